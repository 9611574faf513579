//! Settings of the payment drivers (gateway.toml `[payments]`,
//! docs/protocol.md "Payments"), with their defaults and rules.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::values::{RunEnv, Secret};

/// Which payment driver serves `order.pay` and the callback route.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PayDriver {
    /// No payments: `order.pay` answers 503 and no callback path answers.
    Off,
    /// WeChat Pay v3 wire format with the demo keys of
    /// `config/payments-demo/`; prepay ids are made locally and
    /// `pay.settle` delivers notifications. Refused in `pro`.
    Sandbox,
    /// WeChat Pay API v3 with the merchant's own keys.
    Wechatpay,
}

impl PayDriver {
    /// The name in config and in the callback path `/notify/pay/<name>`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Sandbox => "sandbox",
            Self::Wechatpay => "wechatpay",
        }
    }
}

/// `[payments]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PaySettings {
    pub driver: PayDriver,
    /// Public base URL of this gateway; the provider is told to notify
    /// `notify_base_url + /notify/pay/<driver>`.
    pub notify_base_url: String,
    /// A created payment that is not paid within this long is not offered
    /// again (a new one is made) and the provider closes it.
    pub expire_minutes: u32,
    /// How far a notification's `Wechatpay-Timestamp` may be from our clock.
    pub notify_skew_secs: u64,
    /// The appid the pay block names (the mini-program's or the app's).
    pub appid: String,
    /// The merchant number.
    pub mchid: String,
    /// Serial number of the merchant certificate (the `serial_no` we sign with).
    pub merchant_serial_no: String,
    /// PEM (PKCS#8) merchant private key; relative to gateway.toml's folder.
    pub merchant_key_file: PathBuf,
    /// PEM (SPKI) platform public key that signs notifications.
    pub platform_public_key_file: PathBuf,
    /// The `Wechatpay-Serial` the platform key is known by.
    pub platform_serial: String,
    /// The API v3 key (32 bytes) that decrypts notification resources.
    pub api_v3_key: Secret,
    /// The provider's API.
    pub api_base_url: String,
}

impl Default for PaySettings {
    fn default() -> Self {
        Self {
            driver: PayDriver::Off,
            notify_base_url: "http://127.0.0.1:8080".into(),
            expire_minutes: 30,
            notify_skew_secs: 300,
            appid: "wx_demo_appid".into(),
            mchid: "1900000001".into(),
            merchant_serial_no: "DEMO0000000000000000000000000000000000".into(),
            merchant_key_file: PathBuf::new(),
            platform_public_key_file: PathBuf::new(),
            platform_serial: "DEMO_PLATFORM_SERIAL".into(),
            api_v3_key: Secret::default(),
            api_base_url: "https://api.mch.weixin.qq.com".into(),
        }
    }
}

/// Check the rules of `[payments]`; `Err((key, reason))`. Key files are
/// read and parsed where the driver is built (`shared::pay`).
pub fn validate(env: RunEnv, p: &PaySettings) -> Result<(), (&'static str, String)> {
    if p.driver == PayDriver::Sandbox && env == RunEnv::Pro {
        return Err((
            "payments.driver",
            "the sandbox driver settles payments nobody paid (demo keys); not allowed in env pro"
                .into(),
        ));
    }
    if !(1..=1440).contains(&p.expire_minutes) {
        return Err((
            "payments.expire_minutes",
            "must be between 1 and 1440".into(),
        ));
    }
    if !(1..=3600).contains(&p.notify_skew_secs) {
        return Err((
            "payments.notify_skew_secs",
            "must be between 1 and 3600".into(),
        ));
    }
    let url = &p.notify_base_url;
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err((
            "payments.notify_base_url",
            "must be an http:// or https:// URL".into(),
        ));
    }
    if p.driver == PayDriver::Wechatpay {
        if p.api_v3_key.expose().len() != 32 {
            return Err((
                "payments.api_v3_key",
                "the wechatpay driver needs the 32-byte API v3 key".into(),
            ));
        }
        for (key, path) in [
            ("payments.merchant_key_file", &p.merchant_key_file),
            (
                "payments.platform_public_key_file",
                &p.platform_public_key_file,
            ),
        ] {
            if path.as_os_str().is_empty() {
                return Err((key, "the wechatpay driver needs this PEM file".into()));
            }
        }
        for (key, v) in [
            ("payments.appid", &p.appid),
            ("payments.mchid", &p.mchid),
            ("payments.merchant_serial_no", &p.merchant_serial_no),
            ("payments.platform_serial", &p.platform_serial),
        ] {
            if v.is_empty() {
                return Err((key, "the wechatpay driver needs it".into()));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sandbox_is_refused_in_pro_only() {
        let p = PaySettings {
            driver: PayDriver::Sandbox,
            ..PaySettings::default()
        };
        for env in [RunEnv::Dev, RunEnv::Test, RunEnv::Pre, RunEnv::Beta] {
            assert!(validate(env, &p).is_ok(), "{env:?}");
        }
        assert_eq!(validate(RunEnv::Pro, &p).unwrap_err().0, "payments.driver");
        assert!(
            validate(RunEnv::Pro, &PaySettings::default()).is_ok(),
            "off by default"
        );
    }

    #[test]
    fn the_wechatpay_driver_needs_its_keys() {
        let p = PaySettings {
            driver: PayDriver::Wechatpay,
            ..PaySettings::default()
        };
        assert_eq!(
            validate(RunEnv::Pro, &p).unwrap_err().0,
            "payments.api_v3_key"
        );
    }
}
