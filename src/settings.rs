//! The typed settings tree of `config/gateway.toml`: server, stores, policies.
//! Every key has a default; the file overrides them and `YAFGATE__SECTION__KEY`
//! environment variables override the file.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use chrono::FixedOffset;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use ipnet::IpNet;
use serde::{Deserialize, Deserializer, Serialize};

/// Prefix of the environment variables that override gateway.toml keys.
pub const ENV_PREFIX: &str = "YAFGATE__";

/// A value that must never be printed: URLs with passwords, keys.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wrap a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    /// The secret text itself; call only where it is used, never to log.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Deployment environment, as Yaf-Server names them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunEnv {
    #[default]
    Dev,
    Test,
    Pre,
    Beta,
    Pro,
}

impl RunEnv {
    /// Development and test environments may enable debugging aids.
    pub fn is_dev_or_test(self) -> bool {
        matches!(self, RunEnv::Dev | RunEnv::Test)
    }
}

/// A UTC offset written `+08:00`, used for every "Y-m-d H:i:s" time string.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct TzOffset(pub FixedOffset);

impl Default for TzOffset {
    fn default() -> Self {
        Self(FixedOffset::east_opt(8 * 3600).expect("valid offset"))
    }
}

impl fmt::Debug for TzOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Serialize for TzOffset {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_string())
    }
}

impl<'de> Deserialize<'de> for TzOffset {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        parse_offset(&text).map(TzOffset).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "`{text}` is not a UTC offset like +08:00 or -05:30"
            ))
        })
    }
}

fn parse_offset(text: &str) -> Option<FixedOffset> {
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    if h > 14 || m > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

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
    pub session: crate::policies::SessionSettings,
    pub sms: crate::policies::SmsSettings,
    pub guards: crate::policies::GuardSettings,
    pub request_token: crate::policies::RequestTokenSettings,
    pub cache: CacheSettings,
    pub upload: crate::policies::UploadSettings,
    pub init: crate::policies::InitSettings,
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
        }
    }
}

/// The HTTP listener and its limits.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSettings {
    pub listen: SocketAddr,
    /// Connections served at once; further clients wait in the kernel backlog.
    pub max_connections: usize,
    /// Deadline for a client to send its request headers.
    pub header_read_timeout_ms: u64,
    /// Deadline for a client to send its whole body once headers are in.
    pub body_read_timeout_ms: u64,
    /// Deadline for a handler to answer; past it the client gets code 500.
    pub handler_timeout_ms: u64,
    /// How long SIGTERM waits for in-flight requests before closing them.
    pub shutdown_grace_ms: u64,
    /// Largest accepted body for form and JSON requests.
    pub body_limit_bytes: usize,
    /// Largest accepted multipart body (uploads).
    pub upload_limit_bytes: usize,
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
            header_read_timeout_ms: 5_000,
            body_read_timeout_ms: 10_000,
            handler_timeout_ms: 10_000,
            shutdown_grace_ms: 10_000,
            body_limit_bytes: 1024 * 1024,
            upload_limit_bytes: 5 * 1024 * 1024,
            max_header_bytes: 16 * 1024,
            trusted_proxies: Vec::new(),
            metrics_allow: [
                "127.0.0.0/8",
                "::1/128",
                "10.0.0.0/8",
                "172.16.0.0/12",
                "192.168.0.0/16",
            ]
            .iter()
            .map(|n| n.parse().expect("valid CIDR"))
            .collect(),
        }
    }
}

/// PostgreSQL connection pool.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PostgresSettings {
    pub url: Secret,
    pub pool_size: usize,
    /// Deadline to open one connection.
    pub connect_timeout_ms: u64,
    /// Deadline to get a connection from the pool (open or reuse).
    pub acquire_timeout_ms: u64,
    /// Deadline for one statement.
    pub statement_timeout_ms: u64,
    /// Apply pending migrations when `serve` starts.
    pub migrate_on_start: bool,
}

impl Default for PostgresSettings {
    fn default() -> Self {
        Self {
            url: Secret::new("postgres://postgres@127.0.0.1:55432/yafgate"),
            pool_size: 16,
            connect_timeout_ms: 2_000,
            acquire_timeout_ms: 2_000,
            statement_timeout_ms: 5_000,
            migrate_on_start: false,
        }
    }
}

/// Redis connection pool and key namespace.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RedisSettings {
    pub url: Secret,
    /// Deadline to open the connection.
    pub connect_timeout_ms: u64,
    /// Deadline for one command (or pipeline).
    pub command_timeout_ms: u64,
    /// Every key the gateway writes starts with this, so several
    /// deployments can share one Redis.
    pub key_prefix: String,
}

impl Default for RedisSettings {
    fn default() -> Self {
        Self {
            url: Secret::new("redis://127.0.0.1:56379/0"),
            connect_timeout_ms: 1_000,
            command_timeout_ms: 1_000,
            key_prefix: "yafgate:".into(),
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

/// Request log output.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSettings {
    /// `text` for people, `json` for log shippers.
    pub format: LogFormat,
    /// tracing filter directive, overridden by RUST_LOG.
    pub level: String,
    /// Parameters whose values never appear in logs.
    pub mask: Vec<String>,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            format: LogFormat::Text,
            level: "info".into(),
            mask: [
                "password",
                "old_pwd",
                "new_pwd",
                "token",
                "req_token",
                "mobile",
                "code",
                "realname",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        }
    }
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// The in-process cache of public answers (src/cache.rs).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CacheSettings {
    /// How long a cached answer is served, in milliseconds: the most a
    /// public answer can lag behind PostgreSQL. 0 turns the cache off.
    pub ttl_ms: u64,
    /// Memory bound of the cache (keys and answers), in bytes; the least
    /// used entries make room. Needs a restart.
    pub max_bytes: u64,
}

impl Default for CacheSettings {
    fn default() -> Self {
        Self {
            ttl_ms: 2_000,
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
        if settings.apps_file.is_relative() {
            let dir = path.parent().unwrap_or(Path::new("."));
            settings.apps_file = dir.join(&settings.apps_file);
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
            if v == 0 {
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
        if s.max_header_bytes < 8192 {
            return bad("server.max_header_bytes", "must be at least 8192");
        }
        if self.postgres.pool_size == 0 {
            return bad("postgres.pool_size", "must be at least 1");
        }
        if !self.postgres.url.expose().starts_with("postgres://")
            && !self.postgres.url.expose().starts_with("postgresql://")
        {
            return bad("postgres.url", "must start with postgres://");
        }
        if !self.redis.url.expose().starts_with("redis://") {
            return bad("redis.url", "must start with redis://");
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
        if !(self.upload.public_base_url.starts_with("http://")
            || self.upload.public_base_url.starts_with("https://"))
        {
            return bad(
                "upload.public_base_url",
                "must be an http:// or https:// URL",
            );
        }
        if let Err((key, why)) = crate::policies::validate(
            self.env,
            &self.session,
            &self.sms,
            &self.guards,
            &self.request_token,
        ) {
            return bad(key, &why);
        }
        if self.cache.ttl_ms > 600_000 {
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

    #[test]
    fn offsets_parse_with_sign_hours_and_minutes() {
        assert_eq!(parse_offset("+08:00").unwrap().local_minus_utc(), 8 * 3600);
        assert_eq!(parse_offset("-05:30").unwrap().local_minus_utc(), -19_800);
        for bad in ["08:00", "+8:00", "+08", "+25:00", "+08:61", "UTC", ""] {
            assert!(parse_offset(bad).is_none(), "{bad} should be refused");
        }
    }

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("postgres://u:hunter2@h/db");
        assert!(!format!("{s:?}").contains("hunter2"));
    }

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
        assert_eq!(Settings::load(&p, false).unwrap().cache.ttl_ms, 0);
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
