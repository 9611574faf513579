//! Value types of the settings: secrets that never print, the deployment
//! environment, and the UTC offset of time strings.

use std::fmt;

use chrono::FixedOffset;
use serde::{Deserialize, Deserializer, Serialize};

/// A value that must never be printed: URLs with passwords, keys.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wrap a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    /// The secret text itself; call only where it is used, never to log.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Deployment environment, as Yaf-Server names them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunEnv {
    #[default]
    Dev,
    Test,
    Pre,
    Beta,
    Pro,
}

impl RunEnv {
    /// Development and test environments may enable debugging aids.
    pub fn is_dev_or_test(self) -> bool {
        matches!(self, RunEnv::Dev | RunEnv::Test)
    }
}

/// A UTC offset written `+08:00`, used for every "Y-m-d H:i:s" time string.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct TzOffset(pub FixedOffset);

impl Default for TzOffset {
    fn default() -> Self {
        Self(FixedOffset::east_opt(8 * 3600).expect("valid offset"))
    }
}

impl fmt::Debug for TzOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Serialize for TzOffset {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_string())
    }
}

impl<'de> Deserialize<'de> for TzOffset {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        parse_offset(&text).map(TzOffset).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "`{text}` is not a UTC offset like +08:00 or -05:30"
            ))
        })
    }
}

fn parse_offset(text: &str) -> Option<FixedOffset> {
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    if h > 14 || m > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_parse_with_sign_hours_and_minutes() {
        assert_eq!(parse_offset("+08:00").unwrap().local_minus_utc(), 8 * 3600);
        assert_eq!(parse_offset("-05:30").unwrap().local_minus_utc(), -19_800);
        for bad in ["08:00", "+8:00", "+08", "+25:00", "+08:61", "UTC", ""] {
            assert!(parse_offset(bad).is_none(), "{bad} should be refused");
        }
    }

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("postgres://u:hunter2@h/db");
        assert!(!format!("{s:?}").contains("hunter2"));
    }
}
