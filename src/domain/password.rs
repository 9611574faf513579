//! The password rule users choose under (hashing is a service:
//! `gate::password`).

use crate::protocol::error::{ApiError, ApiResult};
use crate::protocol::types::Text;

/// A password a user may choose: 6–20 letters, digits, `_` or `-`.
pub struct Password(String);

impl Password {
    /// # Errors
    /// 503 naming the rule; `name` is the parameter's name as the user
    /// knows it (密码, 新密码).
    pub fn parse(text: &Text, name: &str) -> ApiResult<Self> {
        let t = text.as_str();
        let ok = (6..=20).contains(&t.len())
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if ok {
            Ok(Self(t.to_string()))
        } else {
            Err(ApiError::business(format!(
                "{name}须为 6-20 位数字、字母、下划线或破折号"
            )))
        }
    }

    /// The password itself, to be hashed.
    pub fn into_inner(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Text {
        Text(s.to_string())
    }

    #[test]
    fn passwords_are_six_to_twenty_of_the_allowed_characters() {
        for ok in ["abc123", "A_b-C_d-E_f-G_h-I_j-", "123456"] {
            assert!(Password::parse(&t(ok), "密码").is_ok(), "{ok}");
        }
        for bad in [
            "12345",
            "a".repeat(21).as_str(),
            "pass word",
            "密码密码密码",
            "abc!23",
        ] {
            assert!(Password::parse(&t(bad), "密码").is_err(), "{bad}");
        }
    }
}
