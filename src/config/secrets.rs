//! Rules for appid secrets in shared environments (docs/protocol.md §12.1):
//! outside dev and test no secret may be a published demo value or too
//! weak to resist guessing. May use nothing else in the crate.

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
