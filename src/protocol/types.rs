//! Validated types for the fixed parameters (docs/protocol.md §3): versions,
//! timestamps, platforms. Clients differ in how they encode numbers
//! (`"1493898621"` and `1493898621` are both valid), so these accept either
//! form. The method parameter types are in `params` and re-exported here.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde_json::Value;

pub use super::params::{DateTimeText, Float, Int, Text};

/// The text of a scalar JSON value: strings as they are, numbers as written.
/// Objects, arrays, booleans and null have none.
pub fn scalar_text(v: &Value) -> Option<Cow<'_, str>> {
    match v {
        Value::String(s) => Some(Cow::Borrowed(s)),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        _ => None,
    }
}

/// An API version such as `1.0.0`, compared numerically part by part
/// (`1.10.0 > 1.9.0`; missing parts count as 0, so `1.2 == 1.2.0`).
#[derive(Clone, Debug, Eq)]
pub struct Version(Vec<u32>);

impl Version {
    /// The parts, most significant first.
    pub fn parts(&self) -> &[u32] {
        &self.0
    }
}

impl FromStr for Version {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        if s.is_empty() || s.len() > 32 {
            return Err(());
        }
        let parts = s
            .split('.')
            .map(|p| {
                if p.is_empty() || p.len() > 9 || !p.bytes().all(|b| b.is_ascii_digit()) {
                    Err(())
                } else {
                    p.parse::<u32>().map_err(|_| ())
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self(parts))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        let n = self.0.len().max(other.0.len());
        (0..n)
            .map(|i| {
                let a = self.0.get(i).copied().unwrap_or(0);
                let b = other.0.get(i).copied().unwrap_or(0);
                a.cmp(&b)
            })
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

/// A request timestamp: exactly ten digits of Unix seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// Parse a string or number holding ten digits.
    pub fn from_value(v: &Value) -> Option<Self> {
        let text = scalar_text(v)?;
        if text.len() != 10 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        text.parse().ok().map(Self)
    }

    /// Whether the timestamp lies within `skew` seconds of `now`, either side.
    pub fn within(self, now: i64, skew: i64) -> bool {
        (self.0 - now).abs() <= skew
    }

    /// Where the timestamp lies against `now`, allowing `past` seconds
    /// behind and `future` seconds ahead (docs/protocol.md §3.1).
    pub fn window(self, now: i64, past: i64, future: i64) -> Skew {
        if self.0 < now.saturating_sub(past) {
            Skew::Slow
        } else if self.0 > now.saturating_add(future) {
            Skew::Fast
        } else {
            Skew::Within
        }
    }
}

/// A timestamp against the accepted window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Skew {
    Within,
    /// Older than the window: the device clock is slow (or the request old).
    Slow,
    /// Newer than the window: the device clock is fast.
    Fast,
}

/// The caller's platform: 1 iOS, 2 Android, 3 H5, 4 web, 5 a server
/// (back office or partner), 6 a WeChat mini-program (docs/protocol.md §3.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Platform {
    Ios = 1,
    Android = 2,
    H5 = 3,
    Web = 4,
    Server = 5,
    MiniProgram = 6,
}

impl Platform {
    /// Parse `1`..`4` given as a number or a string (device platforms).
    pub fn from_value(v: &Value) -> Option<Self> {
        match scalar_text(v)?.as_ref() {
            "1" => Some(Self::Ios),
            "2" => Some(Self::Android),
            "3" => Some(Self::H5),
            "4" => Some(Self::Web),
            _ => None,
        }
    }

    /// Parse `1`..`5`: the device platforms and `5`, a server caller.
    pub fn from_server_value(v: &Value) -> Option<Self> {
        match scalar_text(v)?.as_ref() {
            "5" => Some(Self::Server),
            _ => Self::from_value(v),
        }
    }

    /// Parse any wire number `1`..`6`; which of them an appid may send is
    /// its type's and its `platforms`' business (docs/protocol.md §3.2).
    pub fn from_any_value(v: &Value) -> Option<Self> {
        match scalar_text(v)?.as_ref() {
            "6" => Some(Self::MiniProgram),
            _ => Self::from_server_value(v),
        }
    }

    /// The platform of a wire number.
    pub fn from_number(n: i64) -> Option<Self> {
        Self::from_any_value(&Value::from(n))
    }

    /// Native apps (iOS, Android) versus pages (H5, web): sessions are kept
    /// per class.
    pub fn is_app(self) -> bool {
        matches!(self, Self::Ios | Self::Android)
    }

    /// The wire number.
    pub fn number(self) -> i16 {
        self as i16
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn v(s: &str) -> Version {
        s.parse().unwrap()
    }

    #[test]
    fn versions_compare_as_numbers_not_strings() {
        assert!(v("1.10.0") > v("1.9.0"));
        assert!(v("1.2.0") > v("1.1.9"));
        assert_eq!(v("1.2"), v("1.2.0"));
        assert!(v("2") > v("1.99.99"));
        assert_eq!(v("1.10.0").to_string(), "1.10.0");
        for bad in [
            "",
            "1..0",
            "1.a",
            "v1.0",
            "1.0.",
            " 1.0",
            "1.-1",
            "1234567890.0",
        ] {
            assert!(bad.parse::<Version>().is_err(), "{bad}");
        }
    }

    #[test]
    fn timestamps_are_ten_digits_as_string_or_number() {
        assert_eq!(
            Timestamp::from_value(&json!("1493898621")),
            Some(Timestamp(1_493_898_621))
        );
        assert_eq!(
            Timestamp::from_value(&json!(1493898621)),
            Some(Timestamp(1_493_898_621))
        );
        for bad in [
            json!("149389862"),
            json!(14938986210_i64),
            json!("1493898621.5"),
            json!(1.5),
            json!(null),
            json!("abcdefghij"),
            json!("-493898621"),
        ] {
            assert_eq!(Timestamp::from_value(&bad), None, "{bad}");
        }
        let t = Timestamp(1000);
        assert!(t.within(1600, 600) && t.within(400, 600));
        assert!(!t.within(1601, 600) && !t.within(399, 600));
        assert_eq!(t.window(1600, 600, 30), Skew::Within);
        assert_eq!(t.window(1601, 600, 30), Skew::Slow);
        assert_eq!(t.window(970, 600, 30), Skew::Within);
        assert_eq!(t.window(969, 600, 30), Skew::Fast);
    }

    #[test]
    fn platforms_are_one_to_six_and_parsed_per_caller() {
        assert_eq!(Platform::from_value(&json!(1)), Some(Platform::Ios));
        assert_eq!(Platform::from_value(&json!("3")), Some(Platform::H5));
        assert!(Platform::Android.is_app() && !Platform::Web.is_app());
        for bad in [json!(0), json!("5"), json!(""), json!(true), json!("01")] {
            assert_eq!(Platform::from_value(&bad), None, "{bad}");
        }
        assert_eq!(
            Platform::from_server_value(&json!(5)),
            Some(Platform::Server)
        );
        assert_eq!(
            Platform::from_server_value(&json!("2")),
            Some(Platform::Android)
        );
        for bad in [json!(0), json!(6), json!("05")] {
            assert_eq!(Platform::from_server_value(&bad), None, "{bad}");
        }
        assert_eq!(
            Platform::from_any_value(&json!("6")),
            Some(Platform::MiniProgram)
        );
        assert_eq!(Platform::from_number(5), Some(Platform::Server));
        for bad in [json!(0), json!(7), json!("06")] {
            assert_eq!(Platform::from_any_value(&bad), None, "{bad}");
        }
    }
}
