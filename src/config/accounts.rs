//! Settings for accounts and abuse guards (gateway.toml `[session]`, `[sms]`,
//! `[guards]`, `[request_token]`), with their defaults and rules.

use std::time::Duration;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use serde_with::{DurationMilliSeconds, serde_as};

use super::values::{RunEnv, Secret};

/// Session lifetimes (sliding: every authenticated call refreshes them).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionSettings {
    /// Native apps (platforms 1–2).
    pub app_ttl_secs: u64,
    /// H5 and web (platforms 3–4).
    pub web_ttl_secs: u64,
    /// How long the profile kept with the sessions lives before it is read
    /// again from PostgreSQL (docs/protocol.md §8.8).
    pub profile_ttl_secs: u64,
}

impl Default for SessionSettings {
    fn default() -> Self {
        Self {
            app_ttl_secs: 30 * 86_400,
            web_ttl_secs: 30 * 60,
            profile_ttl_secs: 300,
        }
    }
}

/// How SMS codes are delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmsDriver {
    /// Write a line to the log (the code itself is never logged).
    Log,
    /// POST JSON to `webhook_url`.
    Webhook,
}

/// SMS verification codes.
#[serde_as]
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmsSettings {
    pub driver: SmsDriver,
    /// Where the webhook driver posts `{"mobile", "key", "code", "text"}`.
    pub webhook_url: String,
    /// Sent as `Authorization: Bearer …` when set.
    pub webhook_token: Secret,
    #[serde_as(as = "DurationMilliSeconds<u64>")]
    pub webhook_timeout_ms: Duration,
    /// Life of a code.
    pub code_ttl_secs: u64,
    /// Wrong tries before a code is void.
    pub max_attempts: u32,
    /// Least time between two sends to one mobile.
    pub interval_secs: u64,
    /// Sends per mobile per day (configured timezone).
    pub daily_per_mobile: u32,
    /// Sends per client IP per day.
    pub daily_per_ip: u32,
    /// Sends per (mobile, client IP) per day, checked before the per-mobile
    /// cap; an IP the mobile logged in from recently is not held to the
    /// per-mobile cap (docs/protocol.md §10).
    pub daily_per_mobile_ip: u32,
    /// Mobiles that never get SMS (the `sms_blacklist` table is checked too).
    pub blacklist: Vec<String>,
    /// dev/test only: `sms.send` answers with `data.code`.
    pub echo_code: bool,
}

impl Default for SmsSettings {
    fn default() -> Self {
        Self {
            driver: SmsDriver::Log,
            webhook_url: String::new(),
            webhook_token: Secret::default(),
            webhook_timeout_ms: Duration::from_millis(3_000),
            code_ttl_secs: 600,
            max_attempts: 3,
            interval_secs: 60,
            daily_per_mobile: 10,
            daily_per_ip: 100,
            daily_per_mobile_ip: 5,
            blacklist: Vec::new(),
            echo_code: false,
        }
    }
}

/// Abuse guards (docs/protocol.md §11).
#[serde_as]
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GuardSettings {
    /// Wrong passwords or codes for one mobile from one client IP before
    /// login locks for that pair (docs/protocol.md §8.6).
    pub login_max_failures: u32,
    /// Wrong passwords or codes for one mobile from all IPs together before
    /// password checks lock for the mobile (SMS-code login stays open).
    pub login_max_failures_per_mobile: u32,
    /// How long login stays locked (607), and the window failures count in.
    pub login_lock_secs: u64,
    /// Password checks and hashes (argon2) run at once in this process;
    /// 0: half the cores, at least 1. Read at start-up only.
    pub password_workers: u32,
    /// Password jobs that may wait for a worker; more are refused at once.
    pub password_queue: u32,
    /// How long a password job may wait for a worker before it is refused.
    #[serde_as(as = "DurationMilliSeconds<u64>")]
    pub password_wait_ms: Duration,
    /// Methods whose failures count against the client IP.
    pub watched_methods: Vec<String>,
    /// Failures from one IP within the window that ban it.
    pub ip_max_failures: u32,
    pub ip_failure_window_secs: u64,
    /// How long an automatic ban lasts (510).
    pub ip_ban_secs: u64,
    /// Manual bans (the `ip_bans` table is read too).
    pub banned_ips: Vec<IpNet>,
    /// How often the `ip_bans` table is read again.
    pub ban_table_refresh_secs: u64,
    /// Off: write methods answer 503 with `write_off_message`.
    pub writes_enabled: bool,
    pub write_off_message: String,
    /// Users who may write while writes are off (testers, ops).
    pub write_whitelist_users: Vec<i64>,
}

impl Default for GuardSettings {
    fn default() -> Self {
        Self {
            login_max_failures: 5,
            login_max_failures_per_mobile: 20,
            login_lock_secs: 86_400,
            password_workers: 0,
            password_queue: 16,
            password_wait_ms: Duration::from_millis(2_000),
            watched_methods: ["user.login", "user.register", "sms.send", "user.pwd.find"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            ip_max_failures: 50,
            ip_failure_window_secs: 600,
            ip_ban_secs: 3_600,
            banned_ips: Vec::new(),
            ban_table_refresh_secs: 10,
            writes_enabled: true,
            write_off_message: "产品升级维护中".into(),
            write_whitelist_users: Vec::new(),
        }
    }
}

/// Anti-duplicate request tokens (docs/protocol.md §9).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RequestTokenSettings {
    pub ttl_secs: u64,
    /// Methods that need a `req_token` whatever their default.
    pub require: Vec<String>,
    /// Methods that never need one, whatever their default.
    pub exempt: Vec<String>,
}

impl Default for RequestTokenSettings {
    fn default() -> Self {
        Self {
            ttl_secs: 1_800,
            require: Vec::new(),
            exempt: Vec::new(),
        }
    }
}

impl RequestTokenSettings {
    /// Whether `method` needs a request token, given its registered default.
    pub fn needed(&self, method: &str, default: bool) -> bool {
        if self.exempt.iter().any(|m| m == method) {
            false
        } else {
            default || self.require.iter().any(|m| m == method)
        }
    }
}

/// Check the rules of these sections; `Err((key, reason))`.
pub fn validate(
    env: RunEnv,
    session: &SessionSettings,
    sms: &SmsSettings,
    guards: &GuardSettings,
    tokens: &RequestTokenSettings,
) -> Result<(), (&'static str, String)> {
    let positive = [
        ("session.app_ttl_secs", session.app_ttl_secs),
        ("session.web_ttl_secs", session.web_ttl_secs),
        ("session.profile_ttl_secs", session.profile_ttl_secs),
        ("sms.code_ttl_secs", sms.code_ttl_secs),
        ("sms.interval_secs", sms.interval_secs),
        ("guards.login_lock_secs", guards.login_lock_secs),
        (
            "guards.ip_failure_window_secs",
            guards.ip_failure_window_secs,
        ),
        ("guards.ip_ban_secs", guards.ip_ban_secs),
        (
            "guards.ban_table_refresh_secs",
            guards.ban_table_refresh_secs,
        ),
        ("request_token.ttl_secs", tokens.ttl_secs),
    ];
    if sms.webhook_timeout_ms.is_zero() {
        return Err(("sms.webhook_timeout_ms", "must be greater than 0".into()));
    }
    for (key, v) in positive {
        if v == 0 {
            return Err((key, "must be greater than 0".into()));
        }
    }
    let counts = [
        ("sms.max_attempts", sms.max_attempts),
        ("sms.daily_per_mobile", sms.daily_per_mobile),
        ("sms.daily_per_ip", sms.daily_per_ip),
        ("sms.daily_per_mobile_ip", sms.daily_per_mobile_ip),
        ("guards.login_max_failures", guards.login_max_failures),
        (
            "guards.login_max_failures_per_mobile",
            guards.login_max_failures_per_mobile,
        ),
        ("guards.ip_max_failures", guards.ip_max_failures),
    ];
    for (key, v) in counts {
        if v == 0 {
            return Err((key, "must be at least 1".into()));
        }
    }
    if guards.password_wait_ms.is_zero() {
        return Err(("guards.password_wait_ms", "must be greater than 0".into()));
    }
    if sms.echo_code && !env.is_dev_or_test() {
        return Err((
            "sms.echo_code",
            format!("returns SMS codes to clients; allowed only in env dev or test, not {env:?}"),
        ));
    }
    if sms.driver == SmsDriver::Webhook
        && !(sms.webhook_url.starts_with("http://") || sms.webhook_url.starts_with("https://"))
    {
        return Err((
            "sms.webhook_url",
            "the webhook driver needs an http:// or https:// URL".into(),
        ));
    }
    if let Some(m) = sms.blacklist.iter().find(|m| !crate::domain::is_mobile(m)) {
        return Err(("sms.blacklist", format!("`{m}` is not a mobile number")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(env: RunEnv, sms: SmsSettings) -> Result<(), (&'static str, String)> {
        validate(
            env,
            &SessionSettings::default(),
            &sms,
            &GuardSettings::default(),
            &RequestTokenSettings::default(),
        )
    }

    #[test]
    fn echo_code_is_refused_outside_dev_and_test() {
        let sms = SmsSettings {
            echo_code: true,
            ..SmsSettings::default()
        };
        assert!(check(RunEnv::Dev, sms.clone()).is_ok());
        assert!(check(RunEnv::Test, sms.clone()).is_ok());
        for env in [RunEnv::Pre, RunEnv::Beta, RunEnv::Pro] {
            let (key, _) = check(env, sms.clone()).unwrap_err();
            assert_eq!(key, "sms.echo_code");
        }
    }

    #[test]
    fn the_webhook_driver_needs_a_url() {
        let sms = SmsSettings {
            driver: SmsDriver::Webhook,
            ..SmsSettings::default()
        };
        assert_eq!(check(RunEnv::Dev, sms).unwrap_err().0, "sms.webhook_url");
    }

    #[test]
    fn request_token_policy_overrides_defaults() {
        let t = RequestTokenSettings {
            require: vec!["user.register".into()],
            exempt: vec!["goods.buy".into()],
            ..RequestTokenSettings::default()
        };
        assert!(t.needed("user.register", false));
        assert!(!t.needed("goods.buy", true));
        assert!(t.needed("order.submit", true));
        assert!(!t.needed("news.list", false));
    }
}
