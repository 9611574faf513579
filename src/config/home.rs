//! Home-services settings (gateway.toml `[home]`, docs/protocol.md §22):
//! the Tencent IM application whose login credential (UserSig)
//! `home.user.sign` computes.

use serde::{Deserialize, Serialize};

use super::values::Secret;

/// `[home]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HomeSettings {
    /// The TIM SDKAppID; 0 = not configured (home.user.sign answers 10009).
    pub tim_sdk_app_id: u64,
    /// The TIM secret key the UserSig is signed with
    /// (`YAFGATE__HOME__TIM_KEY`); never logged.
    pub tim_key: Secret,
    /// How long a UserSig is valid, in seconds.
    pub tim_expire_secs: u32,
}

impl Default for HomeSettings {
    fn default() -> Self {
        Self {
            tim_sdk_app_id: 0,
            tim_key: Secret::default(),
            tim_expire_secs: 180 * 86400,
        }
    }
}

/// The rules of `[home]`; `Err((key, reason))`.
pub fn validate(h: &HomeSettings) -> Result<(), (&'static str, String)> {
    if h.tim_sdk_app_id != 0 && h.tim_key.expose().is_empty() {
        return Err((
            "home.tim_key",
            "tim_sdk_app_id is set: the TIM secret key is needed too".into(),
        ));
    }
    if h.tim_expire_secs == 0 {
        return Err(("home.tim_expire_secs", "must be greater than 0".into()));
    }
    Ok(())
}
