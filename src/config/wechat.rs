//! WeChat mini-program login settings (gateway.toml `[wechat]`): which
//! code2session driver runs, and per mini-program appid its WeChat appid
//! and secret (docs/protocol.md §8.9, §12.2).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_with::{DurationMilliSeconds, serde_as};

use super::apps::{AppKind, AppTable};
use super::values::{RunEnv, Secret};

/// How a `wx.login` code becomes an openid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WechatDriver {
    /// Local: the openid is derived from the appid and the code's user
    /// part (docs/protocol.md §8.9); dev and test only.
    Sandbox,
    /// `GET https://api.weixin.qq.com/sns/jscode2session`.
    Api,
}

/// One mini-program's credentials at WeChat.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WechatApp {
    /// The mini-program's WeChat appid (`wx…`).
    pub wx_appid: String,
    /// Its AppSecret; give it with `YAFGATE__WECHAT__APPS__<APPID>__SECRET`.
    #[serde(default)]
    pub secret: Secret,
}

/// `[wechat]`.
#[serde_as]
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WechatSettings {
    pub driver: WechatDriver,
    /// The code2session address (api driver).
    pub api_url: String,
    #[serde_as(as = "DurationMilliSeconds<u64>")]
    pub timeout_ms: Duration,
    /// How long the sandbox remembers a used code (WeChat's codes live 5
    /// minutes).
    pub sandbox_code_ttl_secs: u64,
    /// By our appid (apps.toml, type `miniprogram`).
    pub apps: BTreeMap<String, WechatApp>,
}

impl Default for WechatSettings {
    fn default() -> Self {
        Self {
            driver: WechatDriver::Api,
            api_url: "https://api.weixin.qq.com/sns/jscode2session".into(),
            timeout_ms: Duration::from_secs(3),
            sandbox_code_ttl_secs: 300,
            apps: BTreeMap::new(),
        }
    }
}

/// The rules of `[wechat]` alone; `Err((key, reason))`.
pub fn validate(env: RunEnv, w: &WechatSettings) -> Result<(), (&'static str, String)> {
    if w.driver == WechatDriver::Sandbox && !env.is_dev_or_test() {
        return Err((
            "wechat.driver",
            format!(
                "the sandbox driver logs anyone in from a made-up code; allowed only in env dev or test, not {env:?}"
            ),
        ));
    }
    if w.timeout_ms.is_zero() || w.sandbox_code_ttl_secs == 0 {
        return Err((
            "wechat",
            "timeout_ms and sandbox_code_ttl_secs must be greater than 0".into(),
        ));
    }
    if !(w.api_url.starts_with("https://") || w.api_url.starts_with("http://")) {
        return Err((
            "wechat.api_url",
            "must be an http:// or https:// URL".into(),
        ));
    }
    Ok(())
}

/// The rules between `[wechat]` and apps.toml: each entry names an appid
/// of type `miniprogram`; with the api driver each enabled one has a
/// WeChat appid and a secret.
///
/// # Errors
/// The first rule broken, in words.
pub fn check_apps(w: &WechatSettings, apps: &AppTable) -> Result<(), String> {
    for appid in w.apps.keys() {
        if apps
            .get(appid)
            .is_none_or(|a| a.kind != AppKind::MiniProgram)
        {
            return Err(format!(
                "wechat.apps.{appid}: no appid of type miniprogram by that name in apps.toml"
            ));
        }
    }
    if w.driver != WechatDriver::Api {
        return Ok(());
    }
    let mut mps: Vec<_> = apps
        .iter()
        .filter(|a| a.enabled && a.kind == AppKind::MiniProgram)
        .collect();
    mps.sort_by(|a, b| a.appid.cmp(&b.appid));
    for app in mps {
        match w.apps.get(&app.appid) {
            Some(c) if !c.wx_appid.is_empty() && !c.secret.expose().is_empty() => {}
            _ => {
                return Err(format!(
                    "wechat.apps.{}: the api driver needs wx_appid and secret for this mini-program",
                    app.appid
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sandbox_driver_is_refused_outside_dev_and_test() {
        let w = WechatSettings {
            driver: WechatDriver::Sandbox,
            ..Default::default()
        };
        assert!(validate(RunEnv::Dev, &w).is_ok());
        assert!(validate(RunEnv::Test, &w).is_ok());
        for env in [RunEnv::Pre, RunEnv::Beta, RunEnv::Pro] {
            assert_eq!(validate(env, &w).unwrap_err().0, "wechat.driver");
        }
        assert!(validate(RunEnv::Pro, &WechatSettings::default()).is_ok());
    }
}
