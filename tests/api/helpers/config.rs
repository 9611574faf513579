//! Typed test configuration. Every gateway a test starts, in this process
//! or as a `yafgate serve` process, reads a gateway.toml serialised from a
//! [`Settings`] value: the test defaults of [`test_settings`], changed by
//! the test through a closure. No test writes gateway.toml text by hand,
//! except the ones about text the gateway must refuse.
//!
//! Settings measured in time are set only through the `set_*` functions at
//! the end of this file, so a change of their type (say `*_ms: u64` to
//! `Duration`) is made there and nowhere else.

use std::path::Path;
use std::time::Duration;

use yafgate::config::settings::{RunEnv, Secret, Settings, WechatDriver};

/// A change a test makes to its gateway's settings.
pub type Configure = Box<dyn FnOnce(&mut Settings) + Send>;

/// The settings every test gateway starts from: the test environment, a
/// free port, small pools and short timeouts, its own Redis key prefix,
/// SMS codes echoed in answers and sendable every second, the WeChat
/// sandbox driver.
pub fn test_settings(postgres_url: &str, redis_url: &str, key_prefix: &str) -> Settings {
    let mut s = Settings {
        env: RunEnv::Test,
        ..Settings::default()
    };
    s.server.listen = "127.0.0.1:0".parse().expect("an address");
    s.postgres.url = Secret::new(postgres_url);
    s.postgres.pool_size = 4;
    s.redis.url = Secret::new(redis_url);
    s.redis.key_prefix = key_prefix.to_string();
    // The project's Redis, or the test cluster when the run asks for it
    // (make test-cluster; docs/protocol.md §12.6). Private Redis instances
    // of a test stay single-node.
    if redis_url == super::procs::services().redis_url {
        s.redis.cluster_nodes = super::procs::test_cluster();
    }
    s.sms.echo_code = true;
    // Mini-programs log in through the local code2session (docs/protocol.md §8.9).
    s.wechat.driver = WechatDriver::Sandbox;
    // Tests poll past SMS intervals, which count as refusals: keep the
    // automatic IP ban out of the way unless a test sets it.
    s.guards.ip_max_failures = 100_000;
    // The timed jobs move orders a test inserted; only the tests of the
    // jobs turn them on (tests/api/jobs.rs).
    s.jobs.enabled = false;
    set_shutdown_grace(&mut s, Duration::from_secs(2));
    set_postgres_timeouts(
        &mut s,
        Duration::from_millis(1_000),
        Duration::from_millis(1_500),
    );
    set_sms_interval(&mut s, Duration::from_secs(1));
    s
}

/// With `YAFGATE_TEST_PGBOUNCER` set (`scripts/services pgbouncer env`),
/// the pooled connections go through PgBouncer to the same database, as
/// `postgres.pool_url` (docs/protocol.md §24); migrations and LISTEN keep
/// the direct URL. Decided on the final settings (in [`to_toml`]), so a
/// test that points `postgres.url` at a private or dead PostgreSQL
/// (procs.rs, logs.rs) stays direct.
fn through_pgbouncer(s: &mut Settings) {
    let Ok(bouncer) = std::env::var("YAFGATE_TEST_PGBOUNCER") else {
        return;
    };
    let shared = super::procs::services()
        .pg_url
        .rsplit_once('/')
        .map(|(h, _)| h);
    let url = s.postgres.url.expose().to_string();
    let (head, db) = url.rsplit_once('/').unwrap_or((&url, ""));
    if shared == Some(head) && s.postgres.pool_url.is_none() {
        let bouncer = bouncer
            .rsplit_once('/')
            .map_or(bouncer.as_str(), |(h, _)| h);
        s.postgres.pool_url = Some(Secret::new(format!("{bouncer}/{db}")));
    }
}

/// gateway.toml text for `settings`.
pub fn to_toml(settings: &Settings) -> String {
    let mut settings = settings.clone();
    through_pgbouncer(&mut settings);
    toml::to_string(&settings).expect("settings serialise to TOML")
}

/// Write gateway.toml (from `settings`) and apps.toml into `dir`; the path
/// of gateway.toml.
pub fn write_config(dir: &Path, settings: &Settings, apps: &str) -> std::path::PathBuf {
    let gateway = dir.join("gateway.toml");
    std::fs::write(&gateway, to_toml(settings)).unwrap();
    std::fs::write(dir.join("apps.toml"), apps).unwrap();
    gateway
}

// Time-valued settings. Each takes a Duration; the `*_ms` fields are
// Durations already, the `*_secs` ones whole seconds.

/// `server.shutdown_grace_ms`.
pub fn set_shutdown_grace(s: &mut Settings, d: Duration) {
    s.server.shutdown_grace_ms = d;
}

/// `server.header_read_timeout_ms` and `server.body_read_timeout_ms`.
pub fn set_read_deadlines(s: &mut Settings, d: Duration) {
    s.server.header_read_timeout_ms = d;
    s.server.body_read_timeout_ms = d;
}

/// `server.handler_timeout_ms`.
pub fn set_handler_timeout(s: &mut Settings, d: Duration) {
    s.server.handler_timeout_ms = d;
}

/// `postgres.connect_timeout_ms` and `postgres.acquire_timeout_ms`.
pub fn set_postgres_timeouts(s: &mut Settings, connect: Duration, acquire: Duration) {
    s.postgres.connect_timeout_ms = connect;
    s.postgres.acquire_timeout_ms = acquire;
}

/// `postgres.statement_timeout_ms`.
pub fn set_statement_timeout(s: &mut Settings, d: Duration) {
    s.postgres.statement_timeout_ms = d;
}

/// `cache.ttl_ms` (zero turns the answer cache off).
pub fn set_cache_ttl(s: &mut Settings, d: Duration) {
    s.cache.ttl_ms = d;
}

/// `sms.webhook_timeout_ms`.
pub fn set_sms_webhook_timeout(s: &mut Settings, d: Duration) {
    s.sms.webhook_timeout_ms = d;
}

/// `sms.interval_secs`.
pub fn set_sms_interval(s: &mut Settings, d: Duration) {
    s.sms.interval_secs = d.as_secs();
}

/// `session.web_ttl_secs`.
pub fn set_web_session_ttl(s: &mut Settings, d: Duration) {
    s.session.web_ttl_secs = d.as_secs();
}

/// `guards.ip_ban_secs`.
pub fn set_ip_ban(s: &mut Settings, d: Duration) {
    s.guards.ip_ban_secs = d.as_secs();
}

/// `guards.ban_table_refresh_secs`.
pub fn set_ban_table_refresh(s: &mut Settings, d: Duration) {
    s.guards.ban_table_refresh_secs = d.as_secs();
}

/// `protocol.timestamp_skew_secs`.
pub fn set_timestamp_skew(s: &mut Settings, d: Duration) {
    s.protocol.timestamp_skew_secs = i64::try_from(d.as_secs()).expect("a skew that fits i64");
}
