//! Stores: the plumbing under everything else. The PostgreSQL pool and its
//! shared read connections, the Redis connection, migrations and demo data,
//! the answer cache, the metrics registry and the clock. Nothing here knows
//! a request, a session or a product. May use `config`, `domain` and
//! `protocol`.

pub mod cache;
pub mod clock;
pub mod db;
mod handle;
pub mod metrics;
pub mod redis_conn;
pub mod shared_reads;

pub use clock::Clock;
pub use handle::{
    DEMO_DATA, MigrationReport, Stores, migrate, one_row, opt_row, schema_fingerprint,
};
pub use metrics::Metrics;
