//! Integration tests: real gateways over HTTP, real PostgreSQL, real Redis.

mod accounts;
mod foundation;
mod guards;
mod helpers;
mod hostile;
mod logs;
mod protocol;
mod reload;
mod sms;
