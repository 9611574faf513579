//! Settings of the stores (`[postgres]`, `[redis]` in gateway.toml): where
//! they are, their pools and deadlines, and the Redis key namespace.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_with::{DurationMilliSeconds, serde_as};

use super::values::Secret;

/// PostgreSQL connection pool.
#[serde_as]
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PostgresSettings {
    pub url: Secret,
    pub pool_size: usize,
    /// Connections beside the pool shared by concurrent single read
    /// statements, pipelined (0: none; docs/protocol.md §24.3). Unused
    /// through `pool_url`.
    pub shared_reads: usize,
    /// Deadline to open one connection.
    #[serde_as(as = "DurationMilliSeconds<u64>")]
    pub connect_timeout_ms: Duration,
    /// Deadline to get a connection from the pool (open or reuse).
    #[serde_as(as = "DurationMilliSeconds<u64>")]
    pub acquire_timeout_ms: Duration,
    /// Deadline for one statement.
    #[serde_as(as = "DurationMilliSeconds<u64>")]
    pub statement_timeout_ms: Duration,
    /// Apply pending migrations when `serve` starts.
    pub migrate_on_start: bool,
    /// A transaction-mode pooler (PgBouncer) for the pooled connections;
    /// statements through it are unnamed. Migrations and LISTEN stay on
    /// `url`, which must then be direct (docs/protocol.md §24).
    pub pool_url: Option<Secret>,
    /// A streaming replica for public read-mostly answers (docs/protocol.md
    /// §24); without it they read from the primary.
    pub read_url: Option<Secret>,
    /// Expensive reads (methods marked heavy, docs/protocol.md §11.3) in
    /// flight at once in this process; more wait `heavy_wait_ms`, then 511.
    pub heavy_reads: usize,
    /// How long a heavy read waits for its turn.
    #[serde_as(as = "DurationMilliSeconds<u64>")]
    pub heavy_wait_ms: Duration,
}

impl Default for PostgresSettings {
    fn default() -> Self {
        Self {
            url: Secret::new("postgres://postgres@127.0.0.1:55432/yafgate"),
            pool_size: 16,
            shared_reads: 2,
            connect_timeout_ms: Duration::from_millis(2_000),
            acquire_timeout_ms: Duration::from_millis(2_000),
            statement_timeout_ms: Duration::from_millis(5_000),
            migrate_on_start: false,
            pool_url: None,
            read_url: None,
            heavy_reads: 4,
            heavy_wait_ms: Duration::from_millis(200),
        }
    }
}

impl PostgresSettings {
    /// The key of the first optional URL (`pool_url`, `read_url`) that is
    /// set but is not a `postgres://` URL.
    pub fn bad_optional_url(&self) -> Option<&'static str> {
        let bad = |u: &Option<Secret>| {
            u.as_ref().is_some_and(|u| {
                let u = u.expose();
                !u.starts_with("postgres://") && !u.starts_with("postgresql://")
            })
        };
        [
            ("postgres.pool_url", &self.pool_url),
            ("postgres.read_url", &self.read_url),
        ]
        .into_iter()
        .find_map(|(key, url)| bad(url).then_some(key))
    }
}

/// Redis connection pool and key namespace.
#[serde_as]
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RedisSettings {
    pub url: Secret,
    /// Deadline to open the connection.
    #[serde_as(as = "DurationMilliSeconds<u64>")]
    pub connect_timeout_ms: Duration,
    /// Deadline for one command (or pipeline).
    #[serde_as(as = "DurationMilliSeconds<u64>")]
    pub command_timeout_ms: Duration,
    /// Every key the gateway writes starts with this, so several
    /// deployments can share one Redis.
    pub key_prefix: String,
    /// Redis Cluster seed nodes (`host:port` or `redis://…`); when set,
    /// the gateway speaks cluster and `url` is not used. Empty (the
    /// default): one Redis at `url`. See docs/protocol.md §12.6.
    pub cluster_nodes: Vec<String>,
    /// Cluster only: after consuming a single-use value (a request token),
    /// wait up to this long for one replica to acknowledge it (`WAIT 1`)
    /// before answering; without the acknowledgement the call fails (500)
    /// rather than risk the value coming back after a failover.
    #[serde_as(as = "DurationMilliSeconds<u64>")]
    pub replica_wait_ms: Duration,
}

impl Default for RedisSettings {
    fn default() -> Self {
        Self {
            url: Secret::new("redis://127.0.0.1:56379/0"),
            connect_timeout_ms: Duration::from_millis(1_000),
            command_timeout_ms: Duration::from_millis(1_000),
            key_prefix: "yafgate:".into(),
            cluster_nodes: Vec::new(),
            replica_wait_ms: Duration::from_millis(1_000),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optional_urls_must_be_postgres_urls() {
        let mut pg = PostgresSettings::default();
        assert_eq!(pg.bad_optional_url(), None);
        pg.read_url = Some(Secret::new("postgresql://replica/yafgate"));
        assert_eq!(pg.bad_optional_url(), None);
        pg.pool_url = Some(Secret::new("127.0.0.1:6432"));
        assert_eq!(pg.bad_optional_url(), Some("postgres.pool_url"));
        pg.pool_url = None;
        pg.read_url = Some(Secret::new("mysql://replica"));
        assert_eq!(pg.bad_optional_url(), Some("postgres.read_url"));
    }
}
