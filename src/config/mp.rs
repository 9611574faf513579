//! Settings of the user mini-program (`[mp]`, seed 004, docs/protocol.md
//! §23): when unpaid orders close, how long a scene id lives, and the
//! account the seed's test code `user` logs into in `dev` and `test`.

use serde::{Deserialize, Serialize};

/// `[mp]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MpSettings {
    /// An unpaid order (未支付) is closed (已关闭), its stock returned, this
    /// long after it was placed (the job `mp.close_unpaid`).
    pub close_unpaid_after_minutes: i64,
    /// A scene id (mp.scene.create) can log in once within this time.
    pub scene_ttl_secs: u64,
    /// `mp.wx.login` with `code = "user"` (env dev and test only) logs
    /// into the account of this mobile, as the seed's test shortcut.
    pub test_user_mobile: String,
}

impl Default for MpSettings {
    fn default() -> Self {
        Self {
            close_unpaid_after_minutes: 30,
            scene_ttl_secs: 600,
            test_user_mobile: "13800138000".into(),
        }
    }
}

/// Check the ranges; the key and why on failure.
///
/// # Errors
/// The first key out of range.
pub fn validate(mp: &MpSettings) -> Result<(), (&'static str, String)> {
    if !(1..=7 * 24 * 60).contains(&mp.close_unpaid_after_minutes) {
        return Err((
            "mp.close_unpaid_after_minutes",
            "must be between 1 and 10080 (7 days)".into(),
        ));
    }
    if !(10..=86_400).contains(&mp.scene_ttl_secs) {
        return Err(("mp.scene_ttl_secs", "must be between 10 and 86400".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seeds_codes_and_scene_ids_never_reach_a_log_line() {
        let mask = crate::config::log::LogSettings::default().mask;
        for key in ["verify_code", "sceneId", "notify_mobile", "mobile", "token"] {
            assert!(mask.iter().any(|m| m == key), "{key}");
        }
    }

    #[test]
    fn the_defaults_pass_and_out_of_range_values_are_named() {
        assert!(validate(&MpSettings::default()).is_ok());
        let mut s = MpSettings {
            close_unpaid_after_minutes: 0,
            ..MpSettings::default()
        };
        assert_eq!(validate(&s).unwrap_err().0, "mp.close_unpaid_after_minutes");
        s.close_unpaid_after_minutes = 30;
        s.scene_ttl_secs = 5;
        assert_eq!(validate(&s).unwrap_err().0, "mp.scene_ttl_secs");
    }
}
