//! Appid secrets (docs/protocol.md §12.1): the slots an appid's requests
//! may be signed with, read from apps.toml (a literal or an environment
//! variable), and the rules for shared environments: outside dev and test
//! no secret may be a published demo value or too weak to resist guessing.

use serde::Deserialize;

use crate::config::values::Secret;

/// One secret as written in the file: a literal (demo and dev only) or the
/// name of an environment variable that holds it.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum SecretSource {
    Literal(String),
    Table {
        /// Label shown in metrics; defaults to the slot's position.
        id: Option<String>,
        value: Option<String>,
        env: Option<String>,
    },
}

/// One secret an appid's requests may be signed with.
#[derive(Clone, Debug)]
pub struct SecretSlot {
    /// Stable label for metrics (`0`, `1`, or the configured id).
    pub label: String,
    pub value: Secret,
}

/// The slot of secret `index` as written in the file.
///
/// # Errors
/// Neither or both of `value` and `env`, an unset variable, or a secret
/// shorter than 16 visible ASCII characters.
pub(super) fn secret_slot(
    index: usize,
    source: SecretSource,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<SecretSlot, String> {
    let (label, value) = match source {
        SecretSource::Literal(v) => (index.to_string(), v),
        SecretSource::Table {
            id,
            value,
            env: var,
        } => {
            let value = match (value, var) {
                (Some(v), None) => v,
                (None, Some(var)) => env(&var).ok_or_else(|| {
                    format!("secret {index}: environment variable {var} is not set")
                })?,
                _ => {
                    return Err(format!(
                        "secret {index}: give exactly one of `value` or `env`"
                    ));
                }
            };
            (id.unwrap_or_else(|| index.to_string()), value)
        }
    };
    if value.len() < 16 || !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(format!(
            "secret {label}: must be at least 16 visible ASCII characters"
        ));
    }
    Ok(SecretSlot {
        label,
        value: Secret::new(value),
    })
}

/// Secrets published with the project (config/apps.toml, the test harness,
/// the examples): anyone can sign with them.
const DEMO_SECRETS: &[&str] = &[
    "7512100214f62d7de8ba01b281d6da02",
    "c2a1d9e8b7f6a5d4c3b2a1f0e9d8c7b6",
    "5f4e3d2c1b0a99887766554433221100",
    "a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5",
    "android-test-secret-0000000000001",
    "h5-test-secret-000000000000000001",
    "admin-test-secret-00000000000001",
    "limited-test-secret-000000000001",
    "0123456789abcdef0123456789abcdef",
    "fedcba9876543210fedcba9876543210",
];

/// Why `secret` is not fit for a shared environment (pre, beta, pro), if
/// it is not: a published demo value, fewer than 32 characters, or fewer
/// than 8 distinct characters (a pattern, not a random value).
pub fn weak_secret(secret: &str) -> Option<&'static str> {
    if DEMO_SECRETS.contains(&secret) {
        return Some("is a demo secret published with yafgate");
    }
    if secret.len() < 32 {
        return Some("is shorter than 32 characters");
    }
    let mut seen = [false; 256];
    let distinct = secret
        .bytes()
        .filter(|b| !std::mem::replace(&mut seen[usize::from(*b)], true))
        .count();
    if distinct < 8 {
        return Some("has fewer than 8 distinct characters");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_short_and_patterned_secrets_are_weak() {
        assert!(weak_secret("7512100214f62d7de8ba01b281d6da02").is_some());
        assert!(weak_secret("0123456789abcdef0123").is_some());
        assert!(weak_secret(&"ab".repeat(20)).is_some());
        assert_eq!(weak_secret("Zq3v8Lk1Tn5Wc0Rb7Yh2Pm9Xs4Df6Gj8"), None);
    }
}
