//! Integration tests: real gateways over HTTP, real PostgreSQL, real Redis.

mod answer_cache;
mod docs;
mod foundation;
mod goods;
mod helpers;
mod news;
mod notice;
mod protocol;
mod reload;
mod system_catalogue;
