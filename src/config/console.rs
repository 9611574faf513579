//! The API console's switch (docs/protocol.md §19): on by default where
//! debugging aids are (env dev and test), off elsewhere unless enabled.

use serde::{Deserialize, Serialize};

use super::values::RunEnv;

/// `[console]` of gateway.toml.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsoleSettings {
    /// Serve `/console` and `/catalogue.json`; unset means "in dev and test".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

impl ConsoleSettings {
    /// Whether the console is served in `env`.
    pub fn on(&self, env: RunEnv) -> bool {
        self.enabled.unwrap_or_else(|| env.is_dev_or_test())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_by_default_in_dev_and_test_only_and_a_setting_wins() {
        let unset = ConsoleSettings::default();
        assert!(unset.on(RunEnv::Dev) && unset.on(RunEnv::Test));
        for env in [RunEnv::Pre, RunEnv::Beta, RunEnv::Pro] {
            assert!(!unset.on(env), "{env:?}");
            let enabled = ConsoleSettings {
                enabled: Some(true),
            };
            assert!(enabled.on(env), "{env:?}");
        }
        let disabled = ConsoleSettings {
            enabled: Some(false),
        };
        assert!(!disabled.on(RunEnv::Dev));
    }
}
