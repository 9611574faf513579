//! `[log]` of gateway.toml: the request log's format, level and the
//! parameters it masks (docs/protocol.md §14).

use serde::{Deserialize, Serialize};

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
                "sms_code",
                "realname",
                // Seed 004 (mp.*): SMS and redemption codes, scene ids.
                "verify_code",
                "sceneId",
                "notify_mobile",
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
