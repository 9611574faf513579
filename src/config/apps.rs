//! Appids from `config/apps.toml`: who may call, with which secrets, from
//! which addresses, which methods, from which browser origins, how often.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::path::Path;

use ipnet::IpNet;
use serde::Deserialize;

use crate::config::limits::RawLimits;
pub use crate::config::limits::{Limits, RateLimit, Scope, ScopeLimits};
pub use crate::config::patterns::MethodPattern;
pub use crate::config::platforms::AppKind;
pub use crate::config::secrets::SecretSlot;
use crate::config::secrets::{SecretSource, secret_slot};
use crate::protocol::types::Platform;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawApp {
    name: String,
    #[serde(rename = "type")]
    kind: AppKind,
    #[serde(default = "yes")]
    enabled: bool,
    secrets: Vec<SecretSource>,
    #[serde(default)]
    ip_allow: Vec<String>,
    #[serde(default = "all_methods")]
    methods: Vec<String>,
    #[serde(default)]
    cors_origins: Vec<String>,
    #[serde(default)]
    sign_responses: bool,
    rate_limit: Option<RateLimit>,
    rate_limit_per_ip: Option<RateLimit>,
    rate_limit_per_device: Option<RateLimit>,
    rate_limit_per_user: Option<RateLimit>,
    #[serde(default)]
    method_rate_limits: BTreeMap<String, RateLimit>,
    future_skew_secs: Option<i64>,
    /// Narrows the platforms of the type (docs/protocol.md §12.1).
    platforms: Option<Vec<i64>>,
    #[serde(default)]
    method_rate_limits_per_ip: BTreeMap<String, RateLimit>,
    #[serde(default)]
    method_rate_limits_per_device: BTreeMap<String, RateLimit>,
    #[serde(default)]
    method_rate_limits_per_user: BTreeMap<String, RateLimit>,
    #[serde(default)]
    answers: Answers,
    session_scope: Option<SessionScope>,
}

/// Where a token an appid issues is good (docs/protocol.md §8.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SessionScope {
    /// Only on the appid that issued it (the default of mini-programs:
    /// one product's token reaches no other product).
    Appid,
    /// On every appid of its class that is class-scoped too (the default
    /// of the others: an app's token works in its H5 pages' appid).
    Class,
}

/// Which envelope an appid's answers take (docs/protocol.md §4.2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Answers {
    /// The gateway's `{code, msg, data}` for every method.
    #[default]
    Gateway,
    /// A product's methods answer in its seed's envelope, codes and
    /// messages (its dialect's); the gateway's own methods as ever.
    Product,
}

fn yes() -> bool {
    true
}

fn all_methods() -> Vec<String> {
    vec!["*".into()]
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawApps {
    #[serde(default)]
    apps: BTreeMap<String, RawApp>,
}

/// A validated appid, ready for the request path.
#[derive(Clone, Debug)]
pub struct App {
    pub appid: String,
    pub name: String,
    pub kind: AppKind,
    pub enabled: bool,
    pub secrets: Vec<SecretSlot>,
    /// Empty means any address.
    pub ip_allow: Vec<IpNet>,
    pub methods: Vec<MethodPattern>,
    pub cors_origins: Vec<String>,
    /// Whether answers carry `X-Yafgate-Sign` (docs/protocol.md §4.1).
    pub sign_responses: bool,
    /// Rate limits by scope (docs/protocol.md §11.3).
    pub limits: Limits,
    /// How far ahead of server time a timestamp may be; `None` means
    /// `protocol.timestamp_skew_secs`, as behind (docs/protocol.md §3.1).
    pub future_skew_secs: Option<i64>,
    /// The platforms it may send: `platforms` in apps.toml, else its type's.
    pub platforms: Vec<Platform>,
    /// Whether `platforms` was written (then refusals name the list).
    pub platforms_narrowed: bool,
    /// The envelope of its answers (docs/protocol.md §4.2).
    pub answers: Answers,
    /// Where the tokens it issues are good (docs/protocol.md §8.2).
    pub session_scope: SessionScope,
}

impl App {
    /// Whether requests from `ip` are allowed for this appid.
    pub fn ip_allowed(&self, ip: IpAddr) -> bool {
        self.ip_allow.is_empty() || self.ip_allow.iter().any(|n| n.contains(&ip))
    }

    /// Whether this appid may call `method`.
    pub fn may_call(&self, method: &str) -> bool {
        self.methods.iter().any(|p| p.matches(method))
    }

    /// What a production deployment should not ship with for this appid
    /// (docs/protocol.md §12.3): every method allowed (`methods = ["*"]`),
    /// or a scope with no limit for all its methods: the appid's ceiling,
    /// each client IP, and each device (for the types that have devices).
    pub fn exposures(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.methods.contains(&MethodPattern::Any) {
            out.push("methods = [\"*\"]: list the namespaces it serves".to_string());
        }
        let scopes = [
            (&self.limits.app, "rate_limit", true),
            (&self.limits.ip, "rate_limit_per_ip", true),
            (
                &self.limits.device,
                "rate_limit_per_device",
                !self.kind.is_server(),
            ),
        ];
        for (scope, key, needed) in scopes {
            if needed && scope.all.is_none() {
                out.push(format!("no {key}"));
            }
        }
        out
    }

    /// The appid its sessions are kept to, when they are
    /// (`session_scope = "appid"`).
    pub fn session_appid(&self) -> Option<&str> {
        (self.session_scope == SessionScope::Appid).then_some(self.appid.as_str())
    }

    /// Whether a browser page at `origin` may call with this appid.
    pub fn allows_origin(&self, origin: &str) -> bool {
        self.cors_origins.iter().any(|o| o == origin || o == "*")
    }
}

/// All appids, by appid.
#[derive(Clone, Debug, Default)]
pub struct AppTable {
    apps: HashMap<String, App>,
}

/// Why apps.toml was refused; names the file, the appid and the reason.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct AppsError(pub String);

impl AppTable {
    /// Read and validate apps.toml. Secrets named by `env` are read from
    /// the process environment through `env`.
    ///
    /// # Errors
    /// Unreadable file, bad TOML, unknown keys, or an invalid appid entry.
    pub fn load(path: &Path, env: impl Fn(&str) -> Option<String>) -> Result<Self, AppsError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| AppsError(format!("cannot read {}: {e}", path.display())))?;
        Self::parse(&text, env).map_err(|e| AppsError(format!("{}: {}", path.display(), e.0)))
    }

    /// Parse and validate apps.toml text.
    ///
    /// # Errors
    /// See [`AppTable::load`].
    pub fn parse(text: &str, env: impl Fn(&str) -> Option<String>) -> Result<Self, AppsError> {
        let raw: RawApps = toml_from_str(text)?;
        let mut apps = HashMap::new();
        for (appid, raw) in raw.apps {
            let app = compile(&appid, raw, &env)
                .map_err(|why| AppsError(format!("apps.{appid}: {why}")))?;
            apps.insert(appid, app);
        }
        Ok(Self { apps })
    }

    /// The appid, enabled or not.
    pub fn get(&self, appid: &str) -> Option<&App> {
        self.apps.get(appid)
    }

    /// Every appid, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &App> {
        self.apps.values()
    }

    /// Whether any enabled appid lets a page at `origin` call (CORS preflight).
    pub fn any_allows_origin(&self, origin: &str) -> bool {
        self.apps
            .values()
            .any(|a| a.enabled && a.allows_origin(origin))
    }
}

fn toml_from_str(text: &str) -> Result<RawApps, AppsError> {
    use figment::Figment;
    use figment::providers::{Format, Toml};
    Figment::from(Toml::string(text)).extract().map_err(|e| {
        AppsError(
            e.into_iter()
                .map(|e| {
                    if e.path.is_empty() {
                        e.kind.to_string()
                    } else {
                        format!("key `{}`: {}", e.path.join("."), e.kind)
                    }
                })
                .collect::<Vec<_>>()
                .join("; "),
        )
    })
}

fn compile(appid: &str, raw: RawApp, env: &impl Fn(&str) -> Option<String>) -> Result<App, String> {
    if appid.is_empty() || appid.len() > 64 || !appid.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("an appid is 1 to 64 visible ASCII characters".into());
    }
    if raw.secrets.is_empty() {
        return Err("`secrets` needs at least one secret".into());
    }
    let mut secrets = Vec::with_capacity(raw.secrets.len());
    for (i, source) in raw.secrets.into_iter().enumerate() {
        secrets.push(secret_slot(i, source, env)?);
    }
    let ip_allow = raw
        .ip_allow
        .iter()
        .map(|s| parse_net(s).map_err(|e| format!("ip_allow: {e}")))
        .collect::<Result<_, _>>()?;
    let methods = raw
        .methods
        .iter()
        .map(|m| MethodPattern::parse(m).map_err(|e| format!("methods: {e}")))
        .collect::<Result<_, _>>()?;
    for origin in &raw.cors_origins {
        if origin != "*" && !(origin.starts_with("http://") || origin.starts_with("https://")) {
            return Err(format!(
                "cors_origins: `{origin}` is not an origin like https://m.example.com"
            ));
        }
        if origin.ends_with('/') {
            return Err(format!("cors_origins: `{origin}` must not end with /"));
        }
    }
    let limits = RawLimits {
        rate_limit: raw.rate_limit,
        rate_limit_per_ip: raw.rate_limit_per_ip,
        rate_limit_per_device: raw.rate_limit_per_device,
        rate_limit_per_user: raw.rate_limit_per_user,
        method_rate_limits: raw.method_rate_limits,
        method_rate_limits_per_ip: raw.method_rate_limits_per_ip,
        method_rate_limits_per_device: raw.method_rate_limits_per_device,
        method_rate_limits_per_user: raw.method_rate_limits_per_user,
    }
    .compile()?;
    if let Some(secs) = raw.future_skew_secs {
        if !(0..=MAX_FUTURE_SKEW_SECS).contains(&secs) {
            return Err(format!(
                "future_skew_secs: {secs} is outside 0 to {MAX_FUTURE_SKEW_SECS} (one year)"
            ));
        }
    }
    let platforms = super::platforms::compile(raw.kind, raw.platforms.as_deref())?;
    Ok(App {
        platforms_narrowed: raw.platforms.is_some(),
        platforms,
        appid: appid.to_string(),
        name: raw.name,
        kind: raw.kind,
        enabled: raw.enabled,
        secrets,
        ip_allow,
        methods,
        cors_origins: raw.cors_origins,
        sign_responses: raw.sign_responses,
        limits,
        future_skew_secs: raw.future_skew_secs,
        answers: raw.answers,
        session_scope: raw.session_scope.unwrap_or(match raw.kind {
            AppKind::MiniProgram => SessionScope::Appid,
            _ => SessionScope::Class,
        }),
    })
}

/// The largest `future_skew_secs`: a year.
pub const MAX_FUTURE_SKEW_SECS: i64 = 31_536_000;

/// Parse an address or a CIDR block (`10.0.0.1`, `10.0.0.0/8`, `::1`, `2001:db8::/32`).
///
/// # Errors
/// Text that is neither.
pub fn parse_net(text: &str) -> Result<IpNet, String> {
    if let Ok(net) = text.parse::<IpNet>() {
        return Ok(net.trunc());
    }
    text.parse::<IpAddr>()
        .map(IpNet::from)
        .map_err(|_| format!("`{text}` is neither an IP address nor a CIDR block"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    const ONE: &str = r#"
        [apps.ios]
        name = "iOS"
        type = "app"
        secrets = ["0123456789abcdef0123456789abcdef", { id = "2026", env = "IOS_SECRET" }]
        ip_allow = ["10.0.0.0/8", "2001:db8::/32", "192.168.1.7"]
        methods = ["user.*", "system.init"]
        cors_origins = ["https://m.example.com"]
    "#;

    fn env_with_secret(var: &str) -> Option<String> {
        (var == "IOS_SECRET").then(|| "fedcba9876543210fedcba9876543210".to_string())
    }

    #[test]
    fn secrets_come_from_the_file_and_the_environment() {
        let t = AppTable::parse(ONE, env_with_secret).unwrap();
        let app = t.get("ios").unwrap();
        let labels: Vec<_> = app.secrets.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(labels, ["0", "2026"]);
        assert_eq!(
            app.secrets[1].value.expose(),
            "fedcba9876543210fedcba9876543210"
        );
    }

    #[test]
    fn a_missing_secret_variable_is_refused_by_name() {
        let err = AppTable::parse(ONE, no_env).unwrap_err().0;
        assert!(
            err.contains("apps.ios") && err.contains("IOS_SECRET"),
            "{err}"
        );
    }

    #[test]
    fn ip_allow_takes_addresses_and_cidr_in_both_families() {
        let t = AppTable::parse(ONE, env_with_secret).unwrap();
        let app = t.get("ios").unwrap();
        for ok in ["10.1.2.3", "2001:db8::5", "192.168.1.7"] {
            assert!(app.ip_allowed(ok.parse().unwrap()), "{ok}");
        }
        for no in ["11.0.0.1", "2001:db9::1", "192.168.1.8", "::1"] {
            assert!(!app.ip_allowed(no.parse().unwrap()), "{no}");
        }
    }

    #[test]
    fn method_patterns_cover_namespaces_and_exact_names() {
        let t = AppTable::parse(ONE, env_with_secret).unwrap();
        let app = t.get("ios").unwrap();
        assert!(app.may_call("user.login"));
        assert!(app.may_call("user.pwd.edit"));
        assert!(app.may_call("system.init"));
        assert!(!app.may_call("system.initx"));
        assert!(!app.may_call("users.login"));
        assert!(!app.may_call("news.list"));
    }

    #[test]
    fn bad_entries_are_refused_with_the_reason() {
        let cases = [
            (
                r#"[apps.a]
name = "a"
type = "app"
secrets = []"#,
                "at least one secret",
            ),
            (
                r#"[apps.a]
name = "a"
type = "app"
secrets = ["short"]"#,
                "at least 16",
            ),
            (
                r#"[apps.a]
name = "a"
type = "robot"
secrets = ["0123456789abcdef"]"#,
                "robot",
            ),
            (
                r#"[apps.a]
name = "a"
type = "app"
secrets = ["0123456789abcdef"]
ip_allow = ["10.0.0.300"]"#,
                "10.0.0.300",
            ),
            (
                r#"[apps.a]
name = "a"
type = "app"
secrets = ["0123456789abcdef"]
methods = ["User.Login"]"#,
                "User.Login",
            ),
            (
                r#"[apps.a]
name = "a"
type = "h5"
secrets = ["0123456789abcdef"]
cors_origins = ["m.example.com"]"#,
                "m.example.com",
            ),
            (
                r#"[apps.a]
name = "a"
type = "app"
secrets = ["0123456789abcdef"]
colour = "red""#,
                "colour",
            ),
            (
                r#"[apps.a]
name = "a"
type = "app"
secrets = ["0123456789abcdef"]
future_skew_secs = -1"#,
                "future_skew_secs",
            ),
        ];
        for (text, needle) in cases {
            let err = AppTable::parse(text, no_env).unwrap_err().0;
            assert!(err.contains(needle), "expected `{needle}` in: {err}");
        }
    }

    #[test]
    fn the_key_is_read_from_apps_toml() {
        let text = "[apps.x]\nname = \"x\"\ntype = \"app\"\nsecrets = [\"0123456789abcdef0123\"]\nplatforms = [1, 2]\n";
        let t = AppTable::parse(text, |_| None).unwrap();
        let app = t.get("x").unwrap();
        assert_eq!(app.platforms, [Platform::Ios, Platform::Android]);
        assert!(app.platforms_narrowed);
    }
}
