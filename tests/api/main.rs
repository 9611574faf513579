//! Integration tests: real gateways over HTTP, real PostgreSQL, real Redis.

mod abuse_accounts;
mod abuse_requests;
mod accounts;
mod answer_cache;
mod compat;
mod docs;
mod faults;
mod foundation;
mod goods;
mod guards;
mod helpers;
mod hostile;
mod instances;
mod logs;
mod news;
mod notice;
mod payments;
mod protocol;
mod reload;
mod round_trip;
mod schema_fuzz;
mod sms;
mod system_catalogue;
mod uploads;
mod user_catalogue;
