//! Mainland mobile numbers: the rule, the validated value, and the mask
//! used wherever a number is shown or logged (`185****2691`).

use crate::protocol::error::{ApiError, ApiResult};
use crate::protocol::types::Text;

/// Whether `text` is a mainland mobile number (`^1[3-9]\d{9}$`).
pub fn is_mobile(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 11
        && b[0] == b'1'
        && (b'3'..=b'9').contains(&b[1])
        && b.iter().all(u8::is_ascii_digit)
}

/// A mobile fit for logs and nicknames: `185****2691`; anything that is
/// not 11 ASCII characters becomes `***`.
pub fn mask_mobile(mobile: &str) -> String {
    if mobile.len() == 11 && mobile.is_ascii() {
        format!("{}****{}", &mobile[..3], &mobile[7..])
    } else {
        "***".into()
    }
}

/// A validated mobile number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mobile(String);

impl Mobile {
    /// # Errors
    /// 503 when `text` is not a mobile number.
    pub fn parse(text: &Text) -> ApiResult<Self> {
        let t = text.as_str().trim();
        if is_mobile(t) {
            Ok(Self(t.to_string()))
        } else {
            Err(ApiError::business("手机号格式不正确"))
        }
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The nickname a new account gets: 185****2692.
    pub fn masked(&self) -> String {
        mask_mobile(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Text {
        Text(s.to_string())
    }

    #[test]
    fn mobiles_are_eleven_digits_starting_13_to_19() {
        for ok in ["13800138000", "19912345678", " 18575202691 "] {
            assert!(Mobile::parse(&t(ok)).is_ok(), "{ok}");
        }
        for bad in [
            "12800138000",
            "1380013800",
            "138001380001",
            "1380013800a",
            "",
            "+8613800138000",
        ] {
            let e = Mobile::parse(&t(bad)).unwrap_err();
            assert_eq!(
                (e.code(), e.public_msg()),
                (503, "手机号格式不正确"),
                "{bad}"
            );
        }
        assert_eq!(
            Mobile::parse(&t("18575202692")).unwrap().masked(),
            "185****2692"
        );
    }

    #[test]
    fn masks_keep_three_and_four_digits_or_hide_all() {
        assert_eq!(mask_mobile("18575202691"), "185****2691");
        assert_eq!(mask_mobile("1857520269"), "***");
        assert_eq!(mask_mobile("１８５７５２０２６"), "***");
    }
}
