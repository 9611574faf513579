//! Method parameter types (docs/protocol.md §3.3): lenient numbers, text
//! without NUL, and `Y-m-d H:i:s` times within a sane range. Each refuses a
//! bad value with a message naming the rule, and documents itself in the
//! method catalogue through its JSON schema.

use std::borrow::Cow;
use std::fmt;

use chrono::{Datelike, NaiveDateTime};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};

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
