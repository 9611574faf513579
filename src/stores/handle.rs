//! The two stores: a PostgreSQL pool for business data (and an optional
//! replica pool for public reads) and one multiplexed Redis connection for
//! sessions, tokens, codes, counters and bans; migrations; readiness. Both
//! are lazy, so the gateway starts while a store is down and recovers when
//! it returns.

use std::time::Duration;

use anyhow::Context;
use deadpool_postgres::Runtime;
use deadpool_postgres::{Manager, ManagerConfig, Pool as PgPool, RecyclingMethod};
use tokio_postgres::NoTls;

use std::sync::Arc;

use tokio_postgres::Row;

use super::db::{Db, Mode, Params, answer_deadline};
use super::redis_conn::RedisConn;
use super::shared_reads::{Failed, SharedReads};
use crate::config::settings::Settings;
use crate::config::values::Secret;
use crate::protocol::error::{ApiError, ApiResult};

/// Advisory-lock key that serialises `migrate` across instances.
const MIGRATION_LOCK: i64 = 0x0079_6166_6761_7465; // "yafgate"

mod embedded {
    refinery::embed_migrations!("sql/migrations");
}

/// Demo data, applied by `migrate --demo` and `make run`; each file is
/// idempotent.
pub const DEMO_DATA: &[(&str, &str)] = &[
    ("10_users.sql", include_str!("../../sql/demo/10_users.sql")),
    (
        "20_categories.sql",
        include_str!("../../sql/demo/20_categories.sql"),
    ),
    ("21_news.sql", include_str!("../../sql/demo/21_news.sql")),
    ("22_ads.sql", include_str!("../../sql/demo/22_ads.sql")),
    ("23_links.sql", include_str!("../../sql/demo/23_links.sql")),
    (
        "24_notices.sql",
        include_str!("../../sql/demo/24_notices.sql"),
    ),
    (
        "25_messages.sql",
        include_str!("../../sql/demo/25_messages.sql"),
    ),
    ("26_goods.sql", include_str!("../../sql/demo/26_goods.sql")),
    (
        "27_orders.sql",
        include_str!("../../sql/demo/27_orders.sql"),
    ),
    (
        "28_upgrades.sql",
        include_str!("../../sql/demo/28_upgrades.sql"),
    ),
    ("29_files.sql", include_str!("../../sql/demo/29_files.sql")),
    (
        "30_consult.sql",
        include_str!("../../sql/demo/30_consult.sql"),
    ),
    (
        "31_supplier.sql",
        include_str!("../../sql/demo/31_supplier.sql"),
    ),
    ("32_home.sql", include_str!("../../sql/demo/32_home.sql")),
    ("33_mp.sql", include_str!("../../sql/demo/33_mp.sql")),
];

/// A fingerprint of the schema and demo data this build carries; test
/// harnesses key their template databases on it.
pub fn schema_fingerprint() -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for m in embedded::migrations::runner().get_migrations() {
        m.version().hash(&mut h);
        m.checksum().hash(&mut h);
    }
    DEMO_DATA.hash(&mut h);
    h.finish()
}

/// Both pools and the Redis key namespace.
#[derive(Clone)]
pub struct Stores {
    /// The primary's pool; use [`Stores::pg`] for a connection (this field
    /// is for its status).
    pub pg: PgPool,
    /// How statements are sent on `pg` (named, or unnamed through a pooler).
    pg_mode: Mode,
    /// How long a pooled call waits for its answer (docs/protocol.md §24.4).
    pg_deadline: Duration,
    /// The replica's pool (`postgres.read_url`), if any.
    pg_read: Option<PgPool>,
    /// One multiplexed, self-reconnecting connection (or a cluster
    /// connection): concurrent requests pipeline over it, and no checkout
    /// costs a round trip.
    redis: RedisConn,
    /// Cluster only: how long a single-use consumption waits for a replica.
    replica_wait: Duration,
    prefix: String,
    /// For connections of their own (LISTEN), outside the pool.
    pg_config: tokio_postgres::Config,
    /// Shared, pipelined connections for single reads ([`Stores::pg_rows`]);
    /// `None` with `postgres.shared_reads = 0` or through a pooler.
    shared: Option<Arc<SharedReads>>,
}

impl Stores {
    /// Build both pools. No connection is opened here.
    ///
    /// # Errors
    /// A URL that does not parse.
    pub fn build(settings: &Settings) -> anyhow::Result<Self> {
        let pg = &settings.postgres;
        let pool = match &pg.pool_url {
            Some(url) => pg_pool(settings, "postgres.pool_url", url, true)?,
            None => pg_pool(settings, "postgres.url", &pg.url, false)?,
        };
        let direct = pg_config(settings, "postgres.url", &pg.url, false)?;
        Ok(Self {
            pg: pool,
            pg_mode: match pg.pool_url {
                Some(_) => Mode::unnamed(4096),
                None => Mode::Named,
            },
            pg_deadline: answer_deadline(pg.statement_timeout_ms),
            pg_read: match &pg.read_url {
                Some(url) => Some(pg_pool(settings, "postgres.read_url", url, false)?),
                None => None,
            },
            redis: RedisConn::build(&settings.redis)?,
            replica_wait: settings.redis.replica_wait_ms,
            prefix: settings.redis.key_prefix.clone(),
            shared: match (&pg.pool_url, pg.shared_reads) {
                (None, n) if n > 0 => Some(Arc::new(SharedReads::new(
                    n,
                    &direct,
                    pg.statement_timeout_ms,
                ))),
                _ => None,
            },
            pg_config: direct,
        })
    }

    /// A Redis key in this deployment's namespace.
    pub fn key(&self, name: impl std::fmt::Display) -> String {
        format!("{}{}", self.prefix, name)
    }

    /// The Redis key prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// How long a call on a PostgreSQL connection waits for its answer
    /// before the connection is taken as silent (docs/protocol.md §24.4).
    pub fn pg_deadline(&self) -> Duration {
        self.pg_deadline
    }

    /// A PostgreSQL connection to the primary, from the pool.
    ///
    /// # Errors
    /// The pool cannot produce one within the acquire timeout.
    pub async fn pg(&self) -> ApiResult<Db> {
        Ok(Db::new(
            self.pg.get().await?,
            self.pg_mode.clone(),
            self.pg_deadline,
        ))
    }

    /// Rows of one statement that only reads, from the primary: on a
    /// shared, pipelined connection when one is open, else through the
    /// pool (docs/protocol.md §24.3). Never a write, never a statement
    /// that must see this request's transaction.
    ///
    /// # Errors
    /// The statement fails, or no connection can be had.
    pub async fn pg_rows(&self, sql: &str, p: Params<'_>) -> ApiResult<Vec<Row>> {
        if let Some(lease) = self.shared.as_ref().and_then(|s| s.lease()) {
            // It only reads: when its connection failed it, send it again
            // through the pool.
            match lease.query(sql, p).await {
                Ok(rows) => return Ok(rows),
                Err(Failed::Postgres(e)) if lease.is_closed() || e.is_closed() || fatal(&e) => {
                    tracing::warn!(error = %e, "a shared read connection closed under a statement; sending it through the pool");
                }
                Err(Failed::Postgres(e)) => return Err(e.into()),
                Err(Failed::Stuck) => {
                    tracing::warn!(
                        "a shared read connection gave no answer within the statement timeout; replacing it and sending the statement through the pool"
                    );
                }
            }
        }
        let db = self.pg().await?;
        let stmt = db.prepare_cached(sql).await?;
        Ok(db.query(&stmt, p).await?)
    }

    /// The shared read connections, if configured (for status and tests).
    pub fn shared_reads(&self) -> Option<&SharedReads> {
        self.shared.as_deref()
    }

    /// A connection for a public, read-mostly answer that may lag the
    /// primary by the replica's staleness: the replica when
    /// `postgres.read_url` is set, else the primary. Never for a write or
    /// for reading what this user just wrote (docs/protocol.md §24).
    ///
    /// # Errors
    /// The pool cannot produce one within the acquire timeout.
    pub async fn pg_read(&self) -> ApiResult<Db> {
        match &self.pg_read {
            Some(pool) => Ok(Db::new(pool.get().await?, Mode::Named, self.pg_deadline)),
            None => self.pg().await,
        }
    }

    /// The PostgreSQL connection settings, for a connection outside the pool.
    pub fn pg_config(&self) -> &tokio_postgres::Config {
        &self.pg_config
    }

    /// A handle on the shared Redis connection (a cheap clone; commands
    /// on it are pipelined with everyone else's).
    pub fn redis(&self) -> RedisConn {
        self.redis.clone()
    }

    /// Whether Redis is a cluster (docs/protocol.md §12.6): then a call's
    /// keys share a slot, and single-use writes wait for a replica.
    pub fn redis_cluster(&self) -> bool {
        self.redis.is_cluster()
    }

    /// Cluster only: the `WAIT` deadline of single-use consumptions.
    pub fn replica_wait(&self) -> Duration {
        self.replica_wait
    }

    /// Whether each store answers within `deadline`: (postgres, redis).
    pub async fn readiness(&self, deadline: Duration) -> (bool, bool) {
        let pg = async {
            let c = self.pg.get().await.ok()?;
            c.simple_query("SELECT 1").await.ok()
        };
        let redis = async {
            let mut c = self.redis.clone();
            redis::cmd("PING").query_async::<String>(&mut c).await.ok()
        };
        let (pg, redis) = tokio::join!(
            tokio::time::timeout(deadline, pg),
            tokio::time::timeout(deadline, redis)
        );
        (matches!(pg, Ok(Some(_))), matches!(redis, Ok(Some(_))))
    }
}

/// The one row of [`Stores::pg_rows`]' answer, as `query_one` gives it:
/// no row, or more than one, is an internal error (500, logged), as it was
/// through the pool.
///
/// # Errors
/// Not exactly one row.
pub fn one_row(rows: Vec<Row>) -> ApiResult<Row> {
    let n = rows.len();
    match <[Row; 1]>::try_from(rows) {
        Ok([row]) => Ok(row),
        Err(_) => Err(unexpected_rows(n)),
    }
}

/// At most one row of [`Stores::pg_rows`]' answer, as `query_opt` gives
/// it: more than one is an internal error (500, logged).
///
/// # Errors
/// More than one row.
pub fn opt_row(rows: Vec<Row>) -> ApiResult<Option<Row>> {
    let n = rows.len();
    if n > 1 {
        return Err(unexpected_rows(n));
    }
    Ok(rows.into_iter().next())
}

fn unexpected_rows(n: usize) -> ApiError {
    ApiError::Internal(
        anyhow::anyhow!("query returned an unexpected number of rows ({n})").context("postgres"),
    )
}

/// An error that ends the session (the server was shut down, the backend
/// terminated): the connection is gone even if the client has not seen it
/// close yet.
fn fatal(e: &tokio_postgres::Error) -> bool {
    e.as_db_error()
        .is_some_and(|d| matches!(d.severity(), "FATAL" | "PANIC"))
}

/// Settings of a connection to `url`. Through a pooler (`pooled`) the
/// `options` startup parameter is left out: PgBouncer refuses it, so the
/// statement timeout is the server's there (docs/protocol.md §24).
fn pg_config(
    settings: &Settings,
    key: &str,
    url: &Secret,
    pooled: bool,
) -> anyhow::Result<tokio_postgres::Config> {
    let pg = &settings.postgres;
    let mut cfg: tokio_postgres::Config = url
        .expose()
        .parse()
        .with_context(|| format!("{key} does not parse"))?;
    cfg.connect_timeout(pg.connect_timeout_ms);
    cfg.keepalives(true);
    cfg.application_name("yafgate");
    if pooled {
        return Ok(cfg);
    }
    let statement = format!(
        "-c statement_timeout={}",
        pg.statement_timeout_ms.as_millis()
    );
    let options = match cfg.get_options() {
        Some(o) if !o.is_empty() => format!("{o} {statement}"),
        _ => statement,
    };
    cfg.options(&options);
    Ok(cfg)
}

fn pg_pool(settings: &Settings, key: &str, url: &Secret, pooled: bool) -> anyhow::Result<PgPool> {
    let pg = &settings.postgres;
    let manager = Manager::from_config(
        pg_config(settings, key, url, pooled)?,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    let acquire = pg.acquire_timeout_ms;
    PgPool::builder(manager)
        .max_size(pg.pool_size)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(acquire))
        .create_timeout(Some(pg.connect_timeout_ms))
        .recycle_timeout(Some(acquire))
        .build()
        .context("building the postgres pool")
}

/// Apply pending migrations (each in its own transaction, recorded in
/// `refinery_schema_history`), then the demo data when `demo` is set.
/// Instances migrating at once take turns on an advisory lock.
///
/// # Errors
/// PostgreSQL cannot be reached, or a migration fails (it is rolled back).
pub async fn migrate(settings: &Settings, demo: bool) -> anyhow::Result<MigrationReport> {
    let (mut client, conn) = pg_config(settings, "postgres.url", &settings.postgres.url, false)?
        .connect(NoTls)
        .await
        .context("connecting to postgres")?;
    let driver = tokio::spawn(conn);
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .await
        .context("taking the migration lock")?;
    let result = apply(&mut client, demo).await;
    let _ = client
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
        .await;
    drop(client);
    let _ = driver.await;
    result
}

/// What `migrate` did.
#[derive(Debug, Default)]
pub struct MigrationReport {
    /// Migrations applied now, as `V<n>__<name>`.
    pub applied: Vec<String>,
    /// Demo files loaded.
    pub demo: Vec<&'static str>,
}

async fn apply(client: &mut tokio_postgres::Client, demo: bool) -> anyhow::Result<MigrationReport> {
    let report = embedded::migrations::runner()
        .run_async(client)
        .await
        .context("applying migrations")?;
    let mut out = MigrationReport {
        applied: report
            .applied_migrations()
            .iter()
            .map(|m| format!("V{}__{}", m.version(), m.name()))
            .collect(),
        demo: Vec::new(),
    };
    if demo {
        for (name, sql) in DEMO_DATA {
            let tx = client.transaction().await?;
            tx.batch_execute(sql)
                .await
                .with_context(|| format!("loading demo data {name}"))?;
            tx.commit().await?;
            out.demo.push(name);
        }
    }
    Ok(out)
}
