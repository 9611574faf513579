//! Validated types for untrusted request values. Clients differ in how they
//! encode numbers (`"1493898621"` and `1493898621` are both valid), so the
//! parameter types here accept either form.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDateTime};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::Value;

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
/// (back office or partner; docs/protocol.md §3.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Platform {
    Ios = 1,
    Android = 2,
    H5 = 3,
    Web = 4,
    Server = 5,
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

macro_rules! lenient_schema {
    ($ty:ty, $name:literal, $schema:tt) => {
        impl JsonSchema for $ty {
            fn inline_schema() -> bool {
                true
            }
            fn schema_name() -> Cow<'static, str> {
                Cow::Borrowed($name)
            }
            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!($schema)
            }
        }
    };
}

/// An integer parameter: a JSON integer, or a string of digits with an
/// optional sign.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Int(pub i64);

lenient_schema!(Int, "Integer", {"type": "integer"});

impl<'de> Deserialize<'de> for Int {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Int;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Int, E> {
                Ok(Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Int, E> {
                i64::try_from(v)
                    .map(Int)
                    .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Int, E> {
                if v.fract() == 0.0 && v.abs() < 9.0e15 {
                    Ok(Int(v as i64))
                } else {
                    Err(E::invalid_value(de::Unexpected::Float(v), &self))
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Int, E> {
                let t = v.trim();
                let digits = t.strip_prefix('-').unwrap_or(t);
                if digits.is_empty()
                    || digits.len() > 18
                    || !digits.bytes().all(|b| b.is_ascii_digit())
                {
                    return Err(E::invalid_value(de::Unexpected::Str(v), &self));
                }
                t.parse()
                    .map(Int)
                    .map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
            }
        }
        d.deserialize_any(V)
    }
}

/// A decimal parameter: a JSON number or a numeric string.
#[derive(Clone, Copy, Debug, Default, PartialEq, PartialOrd, Serialize)]
#[serde(transparent)]
pub struct Float(pub f64);

lenient_schema!(Float, "Float", {"type": "number"});

impl<'de> Deserialize<'de> for Float {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Float;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Float, E> {
                Ok(Float(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Float, E> {
                Ok(Float(v as f64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Float, E> {
                Ok(Float(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Float, E> {
                let t = v.trim();
                match t.parse::<f64>() {
                    Ok(f) if f.is_finite() && !t.is_empty() && t.len() <= 32 => Ok(Float(f)),
                    _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// A text parameter: a JSON string, or a number taken as written
/// (clients send mobiles and codes either way).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Text(pub String);

lenient_schema!(Text, "String", {"type": "string"});

impl Text {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            // NUL can be neither stored (PostgreSQL refuses it) nor meant.
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
                self.visit_string(v.to_string())
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Text, E> {
                if v.contains('\0') {
                    return Err(E::invalid_value(
                        de::Unexpected::Str(&v),
                        &"text without NUL",
                    ));
                }
                Ok(Text(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// A time parameter `Y-m-d H:i:s` (local time of the configured timezone),
/// years 1970 to 9999; an empty string (or absence, with a default) means
/// no bound. Anything else is refused by name (code 503).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DateTimeText(pub Option<NaiveDateTime>);

lenient_schema!(DateTimeText, "DateTime", {"type": "string", "format": "Y-m-d H:i:s"});

impl DateTimeText {
    /// The earliest and latest years accepted.
    pub const YEARS: std::ops::RangeInclusive<i32> = 1970..=9999;

    /// Parse `Y-m-d H:i:s`; `Ok(None)` for empty text.
    ///
    /// # Errors
    /// Another format, or a year outside [`DateTimeText::YEARS`].
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        let t = text.trim();
        if t.is_empty() {
            return Ok(Self(None));
        }
        NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S")
            .ok()
            .filter(|d| t.len() == 19 && Self::YEARS.contains(&d.year()))
            .map(|d| Self(Some(d)))
            .ok_or("须为 Y-m-d H:i:s 格式的时间，年份 1970-9999")
    }
}

impl<'de> Deserialize<'de> for DateTimeText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = DateTimeText;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a time Y-m-d H:i:s")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<DateTimeText, E> {
                DateTimeText::parse(v).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
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
    fn platforms_are_one_to_four() {
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
    }

    #[test]
    fn lenient_numbers_take_strings_and_numbers() {
        let i: Int = serde_json::from_value(json!("12")).unwrap();
        assert_eq!(i, Int(12));
        let i: Int = serde_json::from_value(json!(-3)).unwrap();
        assert_eq!(i, Int(-3));
        let i: Int = serde_json::from_value(json!(2.0)).unwrap();
        assert_eq!(i, Int(2));
        for bad in [
            json!("1.5"),
            json!(""),
            json!("12a"),
            json!(true),
            json!([1]),
            json!(1.5),
            json!(u64::MAX),
        ] {
            assert!(serde_json::from_value::<Int>(bad.clone()).is_err(), "{bad}");
        }
        let f: Float = serde_json::from_value(json!("9.5")).unwrap();
        assert_eq!(f, Float(9.5));
        assert!(serde_json::from_value::<Float>(json!("NaN")).is_err());
        assert!(serde_json::from_value::<Text>(json!("a\u{0}b")).is_err());
        let t: Text = serde_json::from_value(json!(18575202691_i64)).unwrap();
        assert_eq!(t.as_str(), "18575202691");
        assert!(serde_json::from_value::<Text>(json!({})).is_err());
    }

    #[test]
    fn times_are_y_m_d_h_i_s_within_the_years_or_empty() {
        let ok = |t: &str| DateTimeText::parse(t).unwrap().0.map(|d| d.to_string());
        assert_eq!(ok(""), None);
        assert_eq!(ok(" "), None);
        assert_eq!(
            ok("2020-03-15 00:00:00").as_deref(),
            Some("2020-03-15 00:00:00")
        );
        assert_eq!(
            ok("1970-01-01 00:00:00").as_deref(),
            Some("1970-01-01 00:00:00")
        );
        assert_eq!(
            ok("9999-12-31 23:59:59").as_deref(),
            Some("9999-12-31 23:59:59")
        );
        for bad in [
            "-5000-01-01 00:00:00",
            "1969-12-31 23:59:59",
            "+10000-01-01 00:00:00",
            "10000-01-01 00:00:00",
            "2020-02-30 00:00:00",
            "2020-03-15 24:00:00",
            "2020/03/15",
            "2020-3-5 0:0:0",
            "yesterday",
        ] {
            assert!(DateTimeText::parse(bad).is_err(), "{bad}");
        }
        assert!(serde_json::from_value::<DateTimeText>(json!(20200315)).is_err());
    }
}
