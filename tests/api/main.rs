//! Integration tests: real gateways over HTTP, real PostgreSQL, real Redis.

mod accounts;
mod faults;
mod foundation;
mod guards;
mod helpers;
mod instances;
mod logs;
mod protocol;
mod reload;
mod sms;
