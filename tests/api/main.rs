//! Integration tests: real gateways over HTTP, real PostgreSQL, real Redis.

mod foundation;
mod helpers;
mod protocol;
mod reload;
mod system_catalogue;
