//! Money: an amount in yuan with exactly two decimals, `NUMERIC(12,2)` in
//! PostgreSQL and a decimal string (`"300.00"`) on the wire, never a float
//! (docs/protocol.md, "Payments"). Payment drivers count integer fen.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::protocol::error::{ApiError, ApiResult};

/// A non-negative amount of at most [`Money::MAX_CENTS`] fen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(i64);

impl Money {
    /// 99999999.99 yuan: the largest amount accepted anywhere.
    pub const MAX_CENTS: i64 = 9_999_999_999;
    pub const ZERO: Money = Money(0);

    /// An amount of `cents` fen, when it is within bounds.
    pub fn from_cents(cents: i64) -> Option<Self> {
        (0..=Self::MAX_CENTS)
            .contains(&cents)
            .then_some(Self(cents))
    }

    /// An amount of whole yuan (the mall's INTEGER prices), when in bounds.
    pub fn from_yuan(yuan: i64) -> Option<Self> {
        yuan.checked_mul(100).and_then(Self::from_cents)
    }

    /// The amount in fen, as payment providers count it.
    pub fn cents(self) -> i64 {
        self.0
    }

    /// The amount as a decimal with scale 2, for a `NUMERIC` parameter.
    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.0, 2)
    }

    /// An amount read from a `NUMERIC` column; `None` when it has more
    /// than two decimals or is out of bounds.
    pub fn from_decimal(d: Decimal) -> Option<Self> {
        let scaled = d.checked_mul(Decimal::ONE_HUNDRED)?;
        if !scaled.fract().is_zero() {
            return None;
        }
        i64::try_from(scaled).ok().and_then(Self::from_cents)
    }

    /// An amount the gateway stored: out of bounds is a bug or a
    /// hand-edited row, answered as an internal error (500, logged).
    ///
    /// # Errors
    /// More than two decimals, or out of bounds.
    pub fn stored(d: Decimal) -> ApiResult<Self> {
        Self::from_decimal(d)
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("stored amount {d} out of range")))
    }

    /// Parse a wire value for the parameter `name`: a decimal string with
    /// at most two decimals (`"300"`, `"300.5"`, `"300.00"`) or a JSON
    /// integer of yuan. A JSON number with a fraction is refused: it has
    /// been through a float already and may not be what the client meant.
    ///
    /// # Errors
    /// 503 naming `name` for any other value, a negative amount, or one
    /// above 99999999.99.
    pub fn parse(name: &str, value: &Value) -> ApiResult<Self> {
        match value {
            Value::String(s) => Self::parse_str(name, s),
            Value::Number(n) => match (n.as_i64(), n.as_u64()) {
                (Some(v), _) if v < 0 => Err(negative(name)),
                (Some(v), _) => Self::from_yuan(v).ok_or_else(|| too_large(name)),
                (None, Some(_)) => Err(too_large(name)),
                (None, None) => Err(malformed(name)),
            },
            _ => Err(malformed(name)),
        }
    }

    /// Parse the text of an amount (see [`Money::parse`]).
    ///
    /// # Errors
    /// As [`Money::parse`].
    pub fn parse_str(name: &str, text: &str) -> ApiResult<Self> {
        let (digits, negative_sign) = match text.strip_prefix('-') {
            Some(rest) => (rest, true),
            None => (text, false),
        };
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let well_formed = !whole.is_empty()
            && whole.bytes().all(|b| b.is_ascii_digit())
            && fraction.bytes().all(|b| b.is_ascii_digit())
            && (!digits.contains('.') || !fraction.is_empty());
        if !well_formed || fraction.len() > 2 {
            return Err(malformed(name));
        }
        if negative_sign {
            return Err(negative(name));
        }
        let whole = whole.trim_start_matches('0');
        if whole.len() > 8 {
            return Err(too_large(name));
        }
        let yuan: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| malformed(name))?
        };
        let fen: i64 = format!("{fraction:0<2}")
            .parse()
            .map_err(|_| malformed(name))?;
        Self::from_cents(yuan * 100 + fen).ok_or_else(|| too_large(name))
    }
}

fn malformed(name: &str) -> ApiError {
    ApiError::business(format!(
        "参数 {name} 格式不正确：金额须为至多两位小数的字符串，如 \"300.00\""
    ))
}

fn negative(name: &str) -> ApiError {
    ApiError::business(format!("参数 {name} 不能为负数"))
}

fn too_large(name: &str) -> ApiError {
    ApiError::business(format!("参数 {name} 超出上限 99999999.99"))
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

/// On the wire an amount is always a string with two decimals.
impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<String, String> {
        Money::parse("amount", &v)
            .map(|m| m.to_string())
            .map_err(|e| e.public_msg().to_string())
    }

    #[test]
    fn good_amounts_are_kept_exactly_with_two_decimals() {
        for (input, shown) in [
            (json!("300.00"), "300.00"),
            (json!("300"), "300.00"),
            (json!("300.5"), "300.50"),
            (json!("0.01"), "0.01"),
            (json!("0"), "0.00"),
            (json!("007.10"), "7.10"),
            (json!("99999999.99"), "99999999.99"),
            (json!(399), "399.00"),
            (json!(0), "0.00"),
        ] {
            assert_eq!(parse(input.clone()).as_deref(), Ok(shown), "{input}");
        }
    }

    #[test]
    fn bad_amounts_are_refused_naming_the_parameter() {
        let malformed = "参数 amount 格式不正确：金额须为至多两位小数的字符串，如 \"300.00\"";
        let negative = "参数 amount 不能为负数";
        let large = "参数 amount 超出上限 99999999.99";
        for (input, msg) in [
            (json!("300.001"), malformed),
            (json!("1e3"), malformed),
            (json!(""), malformed),
            (json!("."), malformed),
            (json!("3."), malformed),
            (json!(".5"), malformed),
            (json!(" 3.00"), malformed),
            (json!("3,00"), malformed),
            (json!("+3"), malformed),
            (json!("NaN"), malformed),
            (json!("１２"), malformed),
            (json!(300.5), malformed),
            (json!(0.1), malformed),
            (json!(true), malformed),
            (json!(null), malformed),
            (json!(["1"]), malformed),
            (json!("-0.01"), negative),
            (json!("-0"), negative),
            (json!("-5"), negative),
            (json!(-5), negative),
            (json!("100000000.00"), large),
            (json!("99999999999999999999999"), large),
            (json!(100_000_000), large),
            (json!(u64::MAX), large),
            (json!(i64::MAX), large),
        ] {
            assert_eq!(parse(input.clone()), Err(msg.to_string()), "{input}");
        }
    }

    #[test]
    fn cents_decimals_and_wire_text_agree() {
        let m = Money::parse_str("amount", "1234.56").unwrap();
        assert_eq!(m.cents(), 123_456);
        assert_eq!(m.to_decimal().to_string(), "1234.56");
        assert_eq!(Money::from_decimal(m.to_decimal()), Some(m));
        assert_eq!(Money::from_decimal(Decimal::new(12_345, 3)), None);
        assert_eq!(Money::from_decimal(Decimal::new(-1, 2)), None);
        assert_eq!(
            Money::from_decimal(Decimal::new(5, 0)).unwrap().cents(),
            500
        );
        assert_eq!(Money::from_yuan(399).unwrap().to_string(), "399.00");
        assert_eq!(Money::from_cents(Money::MAX_CENTS + 1), None);
        assert_eq!(serde_json::to_string(&m).unwrap(), "\"1234.56\"");
    }
}
