//! Push notification settings (gateway.toml `[push]`): the driver behind the
//! `device_token` apps send (docs/protocol.md §8.12).

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_with::{DurationMilliSeconds, serde_as};

use super::values::{RunEnv, Secret};

/// How a push is delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PushDriver {
    /// A log line per delivery (the device token is never logged).
    Log,
    /// Deliveries are appended to a Redis list tests and demos read
    /// (`<prefix>push:sandbox`); dev and test only.
    Sandbox,
    /// POST JSON to `webhook_url` (a push provider's relay).
    Webhook,
}

/// `[push]`.
#[serde_as]
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PushSettings {
    pub driver: PushDriver,
    /// Where the webhook driver posts `{"device_token", "platform",
    /// "title", "body", "payload"}`.
    pub webhook_url: String,
    /// Sent as `Authorization: Bearer …` when set.
    pub webhook_token: Secret,
    #[serde_as(as = "DurationMilliSeconds<u64>")]
    pub webhook_timeout_ms: Duration,
    /// How many of a user's latest device tokens a push goes to.
    pub max_devices: u32,
}

impl Default for PushSettings {
    fn default() -> Self {
        Self {
            driver: PushDriver::Log,
            webhook_url: String::new(),
            webhook_token: Secret::default(),
            webhook_timeout_ms: Duration::from_secs(3),
            max_devices: 5,
        }
    }
}

/// The rules of `[push]`; `Err((key, reason))`.
pub fn validate(env: RunEnv, p: &PushSettings) -> Result<(), (&'static str, String)> {
    if p.driver == PushDriver::Sandbox && !env.is_dev_or_test() {
        return Err((
            "push.driver",
            format!(
                "the sandbox driver keeps pushes in Redis instead of sending them; allowed only in env dev or test, not {env:?}"
            ),
        ));
    }
    if p.driver == PushDriver::Webhook
        && !(p.webhook_url.starts_with("http://") || p.webhook_url.starts_with("https://"))
    {
        return Err((
            "push.webhook_url",
            "the webhook driver needs an http:// or https:// URL".into(),
        ));
    }
    if p.max_devices == 0 || p.webhook_timeout_ms.is_zero() {
        return Err((
            "push",
            "max_devices and webhook_timeout_ms must be greater than 0".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sandbox_driver_is_refused_outside_dev_and_test() {
        let p = PushSettings {
            driver: PushDriver::Sandbox,
            ..Default::default()
        };
        assert!(validate(RunEnv::Test, &p).is_ok());
        assert_eq!(validate(RunEnv::Pro, &p).unwrap_err().0, "push.driver");
        let hook = PushSettings {
            driver: PushDriver::Webhook,
            ..Default::default()
        };
        assert_eq!(
            validate(RunEnv::Dev, &hook).unwrap_err().0,
            "push.webhook_url"
        );
        assert!(validate(RunEnv::Pro, &PushSettings::default()).is_ok());
    }
}
