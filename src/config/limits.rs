//! Rate limits of an appid (docs/protocol.md §11.3): the appid-wide and
//! per-method budgets, and the same budgets per client IP, per device
//! (`unique_id`) and per session user, as written in apps.toml.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

/// A rate limit: `requests` per `per_secs` window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    pub requests: u32,
    #[serde(default = "default_window")]
    pub per_secs: u32,
}

fn default_window() -> u32 {
    60
}

/// Who a budget is counted for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Every client of the appid together (the ceiling).
    App,
    /// One client IP.
    Ip,
    /// One device (`unique_id`).
    Device,
    /// One session user.
    User,
}

impl Scope {
    /// The scopes in the order their keys are counted.
    pub const ALL: [Scope; 4] = [Scope::App, Scope::Ip, Scope::Device, Scope::User];

    /// The apps.toml key of the scope's all-methods limit.
    pub fn key(self) -> &'static str {
        match self {
            Self::App => "rate_limit",
            Self::Ip => "rate_limit_per_ip",
            Self::Device => "rate_limit_per_device",
            Self::User => "rate_limit_per_user",
        }
    }
}

/// The limits of one scope: for all methods together, and per method.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScopeLimits {
    pub all: Option<RateLimit>,
    pub methods: HashMap<String, RateLimit>,
}

impl ScopeLimits {
    /// The limits that apply to `method`, with the label of their key:
    /// `*` for all methods, else the method's name.
    pub fn for_method<'a>(&'a self, method: &'a str) -> impl Iterator<Item = (&'a str, RateLimit)> {
        let all = self.all.map(|l| ("*", l));
        let one = self.methods.get(method).map(|l| (method, *l));
        all.into_iter().chain(one)
    }

    /// Whether any limit of this scope applies to `method`.
    pub fn covers(&self, method: &str) -> bool {
        self.for_method(method).next().is_some()
    }
}

/// Every limit of an appid, by scope.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Limits {
    pub app: ScopeLimits,
    pub ip: ScopeLimits,
    pub device: ScopeLimits,
    pub user: ScopeLimits,
}

impl Limits {
    /// The limits of `scope`.
    pub fn scope(&self, scope: Scope) -> &ScopeLimits {
        match scope {
            Scope::App => &self.app,
            Scope::Ip => &self.ip,
            Scope::Device => &self.device,
            Scope::User => &self.user,
        }
    }
}

/// The rate-limit keys of an appid as written in its apps.toml table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLimits {
    pub rate_limit: Option<RateLimit>,
    pub rate_limit_per_ip: Option<RateLimit>,
    pub rate_limit_per_device: Option<RateLimit>,
    pub rate_limit_per_user: Option<RateLimit>,
    #[serde(default)]
    pub method_rate_limits: BTreeMap<String, RateLimit>,
    #[serde(default)]
    pub method_rate_limits_per_ip: BTreeMap<String, RateLimit>,
    #[serde(default)]
    pub method_rate_limits_per_device: BTreeMap<String, RateLimit>,
    #[serde(default)]
    pub method_rate_limits_per_user: BTreeMap<String, RateLimit>,
}

impl RawLimits {
    /// Check every limit and build the typed table.
    ///
    /// # Errors
    /// A limit with `requests` or `per_secs` of 0, named by its key.
    pub fn compile(self) -> Result<Limits, String> {
        let scope = |all: Option<RateLimit>,
                     all_key: &str,
                     methods: BTreeMap<String, RateLimit>,
                     methods_key: &str|
         -> Result<ScopeLimits, String> {
            let named = all.iter().map(|l| (all_key.to_string(), l)).chain(
                methods
                    .iter()
                    .map(|(m, l)| (format!("{methods_key}.{m}"), l)),
            );
            for (key, limit) in named {
                if limit.requests == 0 || limit.per_secs == 0 {
                    return Err(format!("{key}: requests and per_secs must be at least 1"));
                }
            }
            Ok(ScopeLimits {
                all,
                methods: methods.into_iter().collect(),
            })
        };
        Ok(Limits {
            app: scope(
                self.rate_limit,
                "rate_limit",
                self.method_rate_limits,
                "method_rate_limits",
            )?,
            ip: scope(
                self.rate_limit_per_ip,
                "rate_limit_per_ip",
                self.method_rate_limits_per_ip,
                "method_rate_limits_per_ip",
            )?,
            device: scope(
                self.rate_limit_per_device,
                "rate_limit_per_device",
                self.method_rate_limits_per_device,
                "method_rate_limits_per_device",
            )?,
            user: scope(
                self.rate_limit_per_user,
                "rate_limit_per_user",
                self.method_rate_limits_per_user,
                "method_rate_limits_per_user",
            )?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Limits, String> {
        toml::from_str::<RawLimits>(text)
            .map_err(|e| e.to_string())?
            .compile()
    }

    #[test]
    fn every_scope_takes_an_all_methods_and_a_per_method_limit() {
        let l = parse(
            r#"
            rate_limit = { requests = 100 }
            rate_limit_per_ip = { requests = 10, per_secs = 1 }
            method_rate_limits_per_device = { "sms.send" = { requests = 2, per_secs = 60 } }
            method_rate_limits_per_user = { "order.list" = { requests = 5 } }
            "#,
        )
        .unwrap();
        let got: Vec<_> = l.ip.for_method("sms.send").collect();
        assert_eq!(
            got,
            [(
                "*",
                RateLimit {
                    requests: 10,
                    per_secs: 1
                }
            )]
        );
        let got: Vec<_> = l.device.for_method("sms.send").collect();
        assert_eq!(
            got,
            [(
                "sms.send",
                RateLimit {
                    requests: 2,
                    per_secs: 60
                }
            )]
        );
        assert!(!l.device.covers("user.login"));
        assert!(l.user.covers("order.list") && !l.user.covers("news.list"));
        assert_eq!(l.app.all.unwrap().per_secs, 60);
    }

    #[test]
    fn zero_limits_are_refused_by_key() {
        let e =
            parse(r#"method_rate_limits_per_ip = { "sms.send" = { requests = 0 } }"#).unwrap_err();
        assert!(e.contains("method_rate_limits_per_ip.sms.send"), "{e}");
        let e = parse("rate_limit_per_user = { requests = 1, per_secs = 0 }").unwrap_err();
        assert!(e.contains("rate_limit_per_user"), "{e}");
    }
}
