//! The typed settings tree of `config/gateway.toml`: server, stores, policies.
//! Every key has a default; the file overrides them and `YAFGATE__SECTION__KEY`
//! environment variables override the file.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use serde_with::{DurationMilliSeconds, serde_as};

pub use super::accounts::{
    GuardSettings, RequestTokenSettings, SessionSettings, SmsDriver, SmsSettings,
};
pub use super::content::{InitSettings, UploadSettings};
pub use super::jobs::{JobSettings, OrderSettings};
pub use super::log::{LogFormat, LogSettings};
pub use super::payments::{PayDriver, PaySettings};
pub use super::push::{PushDriver, PushSettings};
pub use super::stores::{PostgresSettings, RedisSettings};
pub use super::values::{RunEnv, Secret, TzOffset};
pub use super::wechat::{WechatDriver, WechatSettings};

/// Prefix of the environment variables that override gateway.toml keys.
pub const ENV_PREFIX: &str = "YAFGATE__";

/// Everything gateway.toml can say.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// dev | test | pre | beta | pro
    pub env: RunEnv,
    /// Offset of the "Y-m-d H:i:s" strings in responses.
    pub timezone: TzOffset,
    /// apps.toml, relative to gateway.toml's folder unless absolute.
    pub apps_file: PathBuf,
    /// Reload when gateway.toml or apps.toml changes on disk (SIGHUP always reloads).
    pub watch_config: bool,
    pub server: ServerSettings,
    pub postgres: PostgresSettings,
    pub redis: RedisSettings,
    pub protocol: ProtocolSettings,
    pub log: LogSettings,
    pub session: SessionSettings,
    pub sms: SmsSettings,
    pub guards: GuardSettings,
    pub request_token: RequestTokenSettings,
    pub cache: CacheSettings,
    pub upload: UploadSettings,
    pub init: InitSettings,
    pub jobs: JobSettings,
    pub orders: OrderSettings,
    pub wechat: WechatSettings,
    pub push: PushSettings,
    pub payments: PaySettings,
    pub console: super::console::ConsoleSettings,
    /// `[home]`: the home-services product (docs/protocol.md §22).
    pub home: super::home::HomeSettings,
    /// The user mini-program (seed 004, docs/protocol.md §23).
    pub mp: super::mp::MpSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            env: RunEnv::Dev,
            timezone: TzOffset::default(),
            apps_file: PathBuf::from("apps.toml"),
            watch_config: true,
            server: ServerSettings::default(),
            postgres: PostgresSettings::default(),
            redis: RedisSettings::default(),
            protocol: ProtocolSettings::default(),
            log: LogSettings::default(),
            session: Default::default(),
            sms: Default::default(),
            guards: Default::default(),
            request_token: Default::default(),
            cache: CacheSettings::default(),
            upload: Default::default(),
            init: Default::default(),
            jobs: Default::default(),
            orders: Default::default(),
            wechat: Default::default(),
            push: Default::default(),
            payments: Default::default(),
            console: Default::default(),
            home: Default::default(),
            mp: Default::default(),
        }
    }
}

/// The HTTP listener and its limits.
#[serde_as]
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSettings {
    pub listen: SocketAddr,
    /// Connections served at once; further clients wait in the kernel backlog.
    pub max_connections: usize,
    /// Deadline for a client to send its request headers.
    #[serde_as(as = "DurationMilliSeconds<u64>")]
    pub header_read_timeout_ms: Duration,
    /// Deadline for a client to send its whole body once headers are in.
    #[serde_as(as = "DurationMilliSeconds<u64>")]
    pub body_read_timeout_ms: Duration,
    /// Deadline for a handler to answer; past it the client gets code 500.
    #[serde_as(as = "DurationMilliSeconds<u64>")]
    pub handler_timeout_ms: Duration,
    /// How long SIGTERM waits for in-flight requests before closing them.
    #[serde_as(as = "DurationMilliSeconds<u64>")]
    pub shutdown_grace_ms: Duration,
    /// Largest accepted body for form and JSON requests.
    pub body_limit_bytes: usize,
    /// Largest accepted multipart body (uploads).
    pub upload_limit_bytes: usize,
    /// Request body bytes held in memory at once, across all connections;
    /// past it new bodies are shed with HTTP 503. Upload file parts go to
    /// disk and do not count. Needs a restart.
    pub body_memory_budget_bytes: usize,
    /// Largest request head (request line + headers).
    pub max_header_bytes: usize,
    /// Peers whose X-Forwarded-For is believed (addresses or CIDR).
    pub trusted_proxies: Vec<IpNet>,
    /// Who may read /metrics (addresses or CIDR).
    pub metrics_allow: Vec<IpNet>,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            max_connections: 10_000,
            header_read_timeout_ms: Duration::from_millis(5_000),
            body_read_timeout_ms: Duration::from_millis(10_000),
            handler_timeout_ms: Duration::from_millis(10_000),
            shutdown_grace_ms: Duration::from_millis(10_000),
            body_limit_bytes: 1024 * 1024,
            upload_limit_bytes: 5 * 1024 * 1024,
            body_memory_budget_bytes: 64 * 1024 * 1024,
            max_header_bytes: 16 * 1024,
            trusted_proxies: Vec::new(),
            // Loopback only: behind a proxy that is not trusted every client
            // would otherwise share a private address (docs/protocol.md §14).
            metrics_allow: ["127.0.0.0/8", "::1/128"]
                .iter()
                .map(|n| n.parse().expect("valid CIDR"))
                .collect(),
        }
    }
}

/// Wire-protocol policies.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProtocolSettings {
    /// Allowed distance between a request's timestamp and server time.
    pub timestamp_skew_secs: i64,
}

impl Default for ProtocolSettings {
    fn default() -> Self {
        Self {
            timestamp_skew_secs: 600,
        }
    }
}

/// The in-process cache of public answers (src/cache.rs).
#[serde_as]
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CacheSettings {
    /// How long a cached answer is served, in milliseconds: the most a
    /// public answer can lag behind PostgreSQL. 0 turns the cache off.
    #[serde_as(as = "DurationMilliSeconds<u64>")]
    pub ttl_ms: Duration,
    /// Memory bound of the cache (keys and answers), in bytes; the least
    /// used entries make room. Needs a restart.
    pub max_bytes: u64,
}

impl Default for CacheSettings {
    fn default() -> Self {
        Self {
            ttl_ms: Duration::from_millis(2_000),
            max_bytes: 64 * 1024 * 1024,
        }
    }
}

/// Why settings could not be loaded; the message names file, key and reason.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SettingsError(pub String);

impl Settings {
    /// Load gateway.toml at `path` over the defaults, then, when
    /// `env_overrides` is set, the `YAFGATE__…` environment variables.
    ///
    /// # Errors
    /// A missing or unreadable file, TOML that does not parse, an unknown
    /// key, a value of the wrong type, or a value out of range.
    pub fn load(path: &Path, env_overrides: bool) -> Result<Self, SettingsError> {
        std::fs::metadata(path)
            .and_then(|_| std::fs::File::open(path).map(drop))
            .map_err(|e| SettingsError(format!("cannot read {}: {e}", path.display())))?;
        let mut figment =
            Figment::from(Serialized::defaults(Settings::default())).merge(Toml::file_exact(path));
        if env_overrides {
            figment = figment.merge(Env::prefixed(ENV_PREFIX).split("__"));
        }
        let mut settings: Settings = figment.extract().map_err(|e| describe(e, path))?;
        let dir = path.parent().unwrap_or(Path::new("."));
        for file in [
            &mut settings.apps_file,
            &mut settings.payments.merchant_key_file,
            &mut settings.payments.platform_public_key_file,
        ] {
            if file.is_relative() && !file.as_os_str().is_empty() {
                *file = dir.join(&*file);
            }
        }
        settings.validate(path)?;
        Ok(settings)
    }

    fn validate(&self, path: &Path) -> Result<(), SettingsError> {
        let bad = |key: &str, why: &str| {
            Err(SettingsError(format!(
                "{}: key `{key}`: {why}",
                path.display()
            )))
        };
        let s = &self.server;
        if s.max_connections == 0 {
            return bad("server.max_connections", "must be at least 1");
        }
        for (key, v) in [
            ("server.header_read_timeout_ms", s.header_read_timeout_ms),
            ("server.body_read_timeout_ms", s.body_read_timeout_ms),
            ("server.handler_timeout_ms", s.handler_timeout_ms),
            (
                "postgres.connect_timeout_ms",
                self.postgres.connect_timeout_ms,
            ),
            (
                "postgres.acquire_timeout_ms",
                self.postgres.acquire_timeout_ms,
            ),
            (
                "postgres.statement_timeout_ms",
                self.postgres.statement_timeout_ms,
            ),
            ("redis.connect_timeout_ms", self.redis.connect_timeout_ms),
            ("redis.command_timeout_ms", self.redis.command_timeout_ms),
        ] {
            if v.is_zero() {
                return bad(key, "must be greater than 0");
            }
        }
        if s.body_limit_bytes < 1024 {
            return bad("server.body_limit_bytes", "must be at least 1024");
        }
        if s.upload_limit_bytes < s.body_limit_bytes {
            return bad(
                "server.upload_limit_bytes",
                "must be at least server.body_limit_bytes",
            );
        }
        if s.body_memory_budget_bytes < s.body_limit_bytes {
            return bad(
                "server.body_memory_budget_bytes",
                "must be at least server.body_limit_bytes",
            );
        }
        if s.max_header_bytes < 8192 {
            return bad("server.max_header_bytes", "must be at least 8192");
        }
        if !(1..=self.postgres.pool_size).contains(&self.postgres.heavy_reads) {
            return bad(
                "postgres.heavy_reads",
                "must be at least 1 and at most postgres.pool_size",
            );
        }
        if self.postgres.pool_size == 0 {
            return bad("postgres.pool_size", "must be at least 1");
        }
        if self.postgres.shared_reads > 64 {
            return bad("postgres.shared_reads", "must be at most 64");
        }
        if !self.postgres.url.expose().starts_with("postgres://")
            && !self.postgres.url.expose().starts_with("postgresql://")
        {
            return bad("postgres.url", "must start with postgres://");
        }
        if let Some(key) = self.postgres.bad_optional_url() {
            return bad(key, "must start with postgres://");
        }
        // TCP, or a Unix socket for a Redis on the same host
        // (`redis+unix:///run/redis/redis.sock`, `?db=N` to pick a database).
        let redis_url = self.redis.url.expose();
        if !redis_url.starts_with("redis://") && !redis_url.starts_with("redis+unix://") {
            return bad("redis.url", "must start with redis:// or redis+unix://");
        }
        if !(1..=86_400).contains(&self.protocol.timestamp_skew_secs) {
            return bad(
                "protocol.timestamp_skew_secs",
                "must be between 1 and 86400",
            );
        }
        if self.upload.max_image_bytes == 0 || self.upload.max_image_bytes > s.upload_limit_bytes {
            return bad(
                "upload.max_image_bytes",
                "must be between 1 and server.upload_limit_bytes",
            );
        }
        if self.upload.daily_per_user == 0 {
            return bad("upload.daily_per_user", "must be at least 1");
        }
        if self.upload.spool_dir.starts_with(&self.upload.dir) {
            return bad(
                "upload.spool_dir",
                "must be outside upload.dir, which is served to everyone",
            );
        }
        if !(self.upload.public_base_url.starts_with("http://")
            || self.upload.public_base_url.starts_with("https://"))
        {
            return bad(
                "upload.public_base_url",
                "must be an http:// or https:// URL",
            );
        }
        if let Err((key, why)) = crate::config::accounts::validate(
            self.env,
            &self.session,
            &self.sms,
            &self.guards,
            &self.request_token,
        ) {
            return bad(key, &why);
        }
        if let Err((key, why)) = crate::config::jobs::validate(&self.jobs, &self.orders) {
            return bad(key, &why);
        }
        if let Err((key, why)) = crate::config::wechat::validate(self.env, &self.wechat)
            .and_then(|()| crate::config::push::validate(self.env, &self.push))
        {
            return bad(key, &why);
        }
        if let Err((key, why)) = crate::config::payments::validate(self.env, &self.payments) {
            return bad(key, &why);
        }
        if let Err((key, why)) = crate::config::home::validate(&self.home) {
            return bad(key, &why);
        }
        if let Err((key, why)) = crate::config::mp::validate(&self.mp) {
            return bad(key, &why);
        }
        if self.cache.ttl_ms > Duration::from_secs(600) {
            return bad("cache.ttl_ms", "must be at most 600000 (10 minutes)");
        }
        if self.cache.max_bytes < 1024 * 1024 {
            return bad("cache.max_bytes", "must be at least 1048576 (1 MiB)");
        }
        Ok(())
    }
}

/// figment already names the key and where its value came from; make the
/// file name explicit when the value came from the file.
fn describe(err: figment::Error, path: &Path) -> SettingsError {
    let lines: Vec<String> = err
        .into_iter()
        .map(|e| {
            let key = if e.path.is_empty() {
                String::new()
            } else {
                format!("key `{}`: ", e.path.join("."))
            };
            let source = match e.metadata.as_ref() {
                Some(m) if m.name.contains("environment") => {
                    format!("environment ({ENV_PREFIX}…)")
                }
                _ => path.display().to_string(),
            };
            format!("{source}: {key}{}", e.kind)
        })
        .collect();
    SettingsError(lines.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, text: &str) -> PathBuf {
        let p = dir.join("gateway.toml");
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn unknown_key_names_file_and_key() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "[server]\nlisten = \"127.0.0.1:1\"\nlisen = 3\n",
        );
        let err = Settings::load(&p, false).unwrap_err().to_string();
        assert!(err.contains("gateway.toml"), "{err}");
        assert!(err.contains("lisen"), "{err}");
    }

    #[test]
    fn wrong_type_names_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "[postgres]\npool_size = \"many\"\n");
        let err = Settings::load(&p, false).unwrap_err().to_string();
        assert!(err.contains("postgres.pool_size"), "{err}");
    }

    #[test]
    fn shared_reads_are_bounded_and_may_be_off() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "[postgres]\nshared_reads = 65\n");
        let err = Settings::load(&p, false).unwrap_err().to_string();
        assert!(err.contains("postgres.shared_reads"), "{err}");
        let p = write(dir.path(), "[postgres]\nshared_reads = 0\n");
        assert_eq!(Settings::load(&p, false).unwrap().postgres.shared_reads, 0);
    }

    #[test]
    fn missing_file_is_an_error_not_defaults() {
        let err = Settings::load(Path::new("/nonexistent/gateway.toml"), false)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("cannot read /nonexistent/gateway.toml"),
            "{err}"
        );
    }

    #[test]
    fn out_of_range_values_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "[protocol]\ntimestamp_skew_secs = 0\n");
        let err = Settings::load(&p, false).unwrap_err().to_string();
        assert!(err.contains("protocol.timestamp_skew_secs"), "{err}");
    }

    #[test]
    fn cache_ttl_and_size_are_bounded() {
        let dir = tempfile::tempdir().unwrap();
        for (text, key) in [
            ("[cache]\nttl_ms = 600001\n", "cache.ttl_ms"),
            ("[cache]\nmax_bytes = 1000\n", "cache.max_bytes"),
        ] {
            let p = write(dir.path(), text);
            let err = Settings::load(&p, false).unwrap_err().to_string();
            assert!(err.contains(key), "{err}");
        }
        let p = write(dir.path(), "[cache]\nttl_ms = 0\n");
        assert_eq!(
            Settings::load(&p, false).unwrap().cache.ttl_ms,
            Duration::ZERO
        );
    }

    #[test]
    fn apps_file_is_relative_to_the_settings_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "env = \"test\"\n");
        let s = Settings::load(&p, false).unwrap();
        assert_eq!(s.apps_file, dir.path().join("apps.toml"));
        assert_eq!(s.env, RunEnv::Test);
    }
}
