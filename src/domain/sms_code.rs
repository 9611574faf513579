//! SMS verification codes as users type them, and what a code is for.

use crate::protocol::error::{ApiError, ApiResult, code};
use crate::protocol::types::Text;

/// What a code is for (the seed's template keys).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmsKey {
    Register,
    Login,
    PwdFind,
    /// Binding a mobile to a WeChat account (docs/protocol.md §8.10).
    BindMobile,
    /// A back-office login code (docs/protocol.md §10): admin appids only.
    AdminLogin,
    /// Signing in to consulting by mobile (docs/protocol.md §20.1): for
    /// a registered mobile or a new one.
    ConsultSignin,
    /// The supplier mini-program's login and password-recovery code
    /// (docs/protocol.md §21).
    SupplierLogin,
}

impl SmsKey {
    /// Parse a wire name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "USER_REGISTER_CODE" => Some(Self::Register),
            "USER_LOGIN_CODE" => Some(Self::Login),
            "USER_PWD_FIND_CODE" => Some(Self::PwdFind),
            "USER_BIND_MOBILE_CODE" => Some(Self::BindMobile),
            "ADMIN_LOGIN_CODE" => Some(Self::AdminLogin),
            "CONSULT_SIGNIN_CODE" => Some(Self::ConsultSignin),
            "SUPPLIER_LOGIN_CODE" => Some(Self::SupplierLogin),
            _ => None,
        }
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Register => "USER_REGISTER_CODE",
            Self::Login => "USER_LOGIN_CODE",
            Self::PwdFind => "USER_PWD_FIND_CODE",
            Self::BindMobile => "USER_BIND_MOBILE_CODE",
            Self::AdminLogin => "ADMIN_LOGIN_CODE",
            Self::ConsultSignin => "CONSULT_SIGNIN_CODE",
            Self::SupplierLogin => "SUPPLIER_LOGIN_CODE",
        }
    }

    /// The text of the message carrying `code`.
    pub fn text(self, code: &str, minutes: u64) -> String {
        let what = match self {
            Self::Register => "注册",
            Self::Login => "登录",
            Self::PwdFind => "找回密码",
            Self::BindMobile => "绑定手机号",
            Self::AdminLogin => "后台登录",
            Self::ConsultSignin => "咨询平台登录",
            Self::SupplierLogin => "供应商登录",
        };
        format!("您的{what}验证码是{code}，{minutes}分钟内有效。如非本人操作，请忽略本短信。")
    }
}

/// A six-digit SMS code as typed by the user.
pub struct SmsCode(String);

impl SmsCode {
    /// # Errors
    /// 700 when it is not six digits (it cannot be right).
    pub fn parse(text: &Text) -> ApiResult<Self> {
        let t = text.as_str().trim();
        if t.len() == 6 && t.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(t.to_string()))
        } else {
            Err(ApiError::new(code::SMS_CODE_WRONG, "短信验证码不正确"))
        }
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Text {
        Text(s.to_string())
    }

    #[test]
    fn sms_codes_are_six_digits() {
        assert!(SmsCode::parse(&t("012345")).is_ok());
        for bad in ["12345", "1234567", "12345a", ""] {
            assert_eq!(SmsCode::parse(&t(bad)).err().unwrap().code(), 700, "{bad}");
        }
    }

    #[test]
    fn keys_round_trip_their_wire_names() {
        for k in [
            SmsKey::Register,
            SmsKey::Login,
            SmsKey::PwdFind,
            SmsKey::AdminLogin,
        ] {
            assert_eq!(SmsKey::parse(k.as_str()), Some(k));
        }
        assert_eq!(SmsKey::parse("user_register_code"), None);
    }
}
