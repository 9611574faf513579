//! Request signatures: `upper(hex(md5(data + secret)))` over the raw `data`
//! bytes as received, compared case-insensitively in constant time.

use md5::{Digest, Md5};
use subtle::ConstantTimeEq;

/// The signature of `data` with `secret`, as clients compute it.
pub fn sign(data: &[u8], secret: &str) -> String {
    hex::encode_upper(digest(data, secret))
}

fn digest(data: &[u8], secret: &str) -> [u8; 16] {
    let mut h = Md5::new();
    h.update(data);
    h.update(secret.as_bytes());
    h.finalize().into()
}

/// The slot whose secret verifies `provided`, if any; `secret` reads a
/// slot's secret (an appid keeps several during a rotation).
///
/// Every slot is tried, so the time taken does not tell which one (or
/// whether any) matched; each comparison is constant-time.
pub fn verify<'a, T>(
    data: &[u8],
    provided: &str,
    slots: &'a [T],
    secret: impl Fn(&T) -> &str,
) -> Option<&'a T> {
    let provided = decode_sign(provided)?;
    let mut found = None;
    for slot in slots {
        let ok = digest(data, secret(slot)).ct_eq(&provided);
        if bool::from(ok) && found.is_none() {
            found = Some(slot);
        }
    }
    found
}

/// 32 hex digits, either case, to 16 bytes.
fn decode_sign(text: &str) -> Option<[u8; 16]> {
    let mut out = [0u8; 16];
    if text.len() != 32 {
        return None;
    }
    hex::decode_to_slice(text, &mut out).ok()?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOLDEN_DATA: &str = r#"{"method":"user.login","v":"1.0.0","appid":"ios_app_id","timestamp":"1493898621","unique_id":"68f66b5b72b864dd389748bffe112f4f","username":"18575202691","password":"123456"}"#;
    const GOLDEN_SECRET: &str = "7512100214f62d7de8ba01b281d6da02";
    const GOLDEN_SIGN: &str = "01E62683A5D2B7CD901F5F98C08F10EF";

    /// (label, secret) pairs.
    fn slots(values: &[&'static str]) -> Vec<(String, &'static str)> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), *v))
            .collect()
    }

    fn secret<'a>(slot: &'a (String, &'static str)) -> &'a str {
        slot.1
    }

    #[test]
    fn the_seed_golden_vector_signs_as_documented() {
        assert_eq!(sign(GOLDEN_DATA.as_bytes(), GOLDEN_SECRET), GOLDEN_SIGN);
    }

    /// The two vectors of upstream's back-office document: integer
    /// timestamps, platform 5, no device parameters.
    #[test]
    fn the_upstream_back_office_vectors_sign_as_published() {
        let secret = "16b36c2c513de50126144bb8085260ba";
        let verify = r#"{"v":"1.0.0","appid":"admin_api_call","platform":5,"request_no":"Req-2019042311170000000002","timestamp":1555989441,"method":"sms.verify","mobile":"13812345678","key":"ADMIN_LOGIN_CODE","code":"123456"}"#;
        let send = r#"{"v":"1.0.0","appid":"admin_api_call","platform":5,"request_no":"Req-2019042311410000000001","timestamp":1555990911,"method":"sms.send","mobile":"13812345678","key":"ADMIN_LOGIN_CODE"}"#;
        assert_eq!(
            sign(verify.as_bytes(), secret),
            "BBE3B17A0CD4DD1A42B24BB35F1BF95A"
        );
        assert_eq!(
            sign(send.as_bytes(), secret),
            "1939B1FC695C42025A87DB1661CF2FE3"
        );
    }

    #[test]
    fn verification_ignores_case_and_reports_the_slot() {
        let s = slots(&["0000000000000000", GOLDEN_SECRET]);
        let hit = verify(
            GOLDEN_DATA.as_bytes(),
            &GOLDEN_SIGN.to_lowercase(),
            &s,
            secret,
        )
        .unwrap();
        assert_eq!(hit.0, "1");
    }

    #[test]
    fn a_changed_byte_or_bad_sign_fails() {
        let s = slots(&[GOLDEN_SECRET]);
        let altered = GOLDEN_DATA.replace("123456", "123457");
        assert!(verify(altered.as_bytes(), GOLDEN_SIGN, &s, secret).is_none());
        for bad in [
            "",
            "01E6",
            "ZZE62683A5D2B7CD901F5F98C08F10EF",
            &format!("{GOLDEN_SIGN}00"),
        ] {
            assert!(
                verify(GOLDEN_DATA.as_bytes(), bad, &s, secret).is_none(),
                "{bad}"
            );
        }
    }
}
