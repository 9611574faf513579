//! WeChat `code2session` (docs/protocol.md §8.9): a `wx.login` code becomes
//! the caller's openid (and unionid when WeChat gives one), by the driver
//! `[wechat] driver` names. The sandbox derives the openid from our appid
//! and the code and accepts each code once; the api driver asks WeChat.

use redis::AsyncCommands;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::config::wechat::{WechatDriver, WechatSettings};
use crate::protocol::error::{ApiError, ApiResult};
use crate::stores::Stores;

/// Who a code belongs to, as WeChat says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WxIdentity {
    pub openid: String,
    pub unionid: Option<String>,
}

/// The refusal for a code that is wrong, expired or used (WeChat 40029,
/// 40163): the client calls `wx.login` again.
pub fn invalid_code() -> ApiError {
    ApiError::business("登录凭证 code 无效或已使用，请重新调用 wx.login")
}

/// The sandbox identity of `code` for our `appid` (docs/protocol.md §8.9).
/// The code's part before its first `.` names the WeChat user, so
/// `alice.1` and `alice.2` are two codes of one user; the openid is `"o"`
/// and the first 27 hex digits of SHA-256(`appid` + ":" + user), 28
/// characters like WeChat's, and the unionid, the same for every
/// mini-program, is `"u"` and the first 27 of SHA-256("union:" + user).
pub fn sandbox_identity(appid: &str, code: &str) -> WxIdentity {
    let user = code.split('.').next().unwrap_or(code);
    let digest = |text: String| hex::encode(Sha256::digest(text.as_bytes()));
    WxIdentity {
        openid: format!("o{}", &digest(format!("{appid}:{user}"))[..27]),
        unionid: Some(format!("u{}", &digest(format!("union:{user}"))[..27])),
    }
}

/// The caller's WeChat identity for `code`, sent by mini-program `appid`.
///
/// # Errors
/// 503 for a code WeChat (or the sandbox) refuses; 511 when WeChat says
/// too many requests; 500 for an unreachable or misconfigured WeChat.
#[tracing::instrument(skip_all, fields(appid = appid))]
pub async fn code2session(
    stores: &Stores,
    w: &WechatSettings,
    http: &reqwest::Client,
    appid: &str,
    code: &str,
) -> ApiResult<WxIdentity> {
    if code.is_empty() || code.len() > 128 || !code.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(invalid_code());
    }
    match w.driver {
        WechatDriver::Sandbox => sandbox(stores, w, appid, code).await,
        WechatDriver::Api => {
            let req = api_request(http, w, appid, code)?;
            let resp = http
                .execute(req)
                .await
                .map_err(|e| internal(format!("code2session: {}", e.without_url())))?;
            let body = resp
                .bytes()
                .await
                .map_err(|e| internal(format!("code2session body: {}", e.without_url())))?;
            parse_answer(&body)
        }
    }
}

/// A code is usable once: its first use sets a marker (keyed by the
/// code's hash, never the code) for `sandbox_code_ttl_secs`.
async fn sandbox(
    stores: &Stores,
    w: &WechatSettings,
    appid: &str,
    code: &str,
) -> ApiResult<WxIdentity> {
    let used = stores.key(format!(
        "wxcode:{appid}:{}",
        hex::encode(Sha256::digest(code.as_bytes()))
    ));
    let mut c = stores.redis();
    let opts = redis::SetOptions::default()
        .conditional_set(redis::ExistenceCheck::NX)
        .with_expiration(redis::SetExpiry::EX(w.sandbox_code_ttl_secs));
    let first: Option<String> = c.set_options(&used, 1, opts).await?;
    if first.is_none() {
        return Err(invalid_code());
    }
    Ok(sandbox_identity(appid, code))
}

/// The `GET jscode2session` request for mini-program `appid`.
///
/// # Errors
/// 500 when `[wechat.apps]` has no credentials for `appid`.
pub fn api_request(
    http: &reqwest::Client,
    w: &WechatSettings,
    appid: &str,
    code: &str,
) -> ApiResult<reqwest::Request> {
    let app = w
        .apps
        .get(appid)
        .ok_or_else(|| internal(format!("wechat.apps.{appid} is not configured")))?;
    http.get(&w.api_url)
        .query(&[
            ("appid", app.wx_appid.as_str()),
            ("secret", app.secret.expose()),
            ("js_code", code),
            ("grant_type", "authorization_code"),
        ])
        .timeout(w.timeout_ms)
        .build()
        .map_err(|e| internal(format!("code2session request: {}", e.without_url())))
}

#[derive(Deserialize)]
struct Answer {
    openid: Option<String>,
    unionid: Option<String>,
    #[serde(default)]
    errcode: i64,
    #[serde(default)]
    errmsg: String,
}

/// WeChat's answer: the identity, or the refusal its `errcode` means.
///
/// # Errors
/// 503 for 40029 (invalid code) and 40163 (code used); 511 for 45011
/// (too frequent); 500 for anything else.
pub fn parse_answer(body: &[u8]) -> ApiResult<WxIdentity> {
    let a: Answer = serde_json::from_slice(body)
        .map_err(|e| internal(format!("code2session answer is not JSON: {e}")))?;
    match (a.errcode, a.openid) {
        (0, Some(openid)) if !openid.is_empty() => Ok(WxIdentity {
            openid,
            unionid: a.unionid.filter(|u| !u.is_empty()),
        }),
        (40029 | 40163, _) => Err(invalid_code()),
        (45011, _) => Err(ApiError::new(
            crate::protocol::error::code::RATE_LIMITED,
            "操作过于频繁，请稍后再试",
        )),
        (errcode, _) => Err(internal(format!(
            "code2session errcode {errcode}: {}",
            a.errmsg
        ))),
    }
}

fn internal(why: String) -> ApiError {
    ApiError::Internal(anyhow::anyhow!(why))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::wechat::WechatApp;
    use crate::protocol::error::code;

    #[test]
    fn sandbox_identities_follow_the_documented_formula() {
        let id = sandbox_identity("mp_app_id", "alice.1");
        assert_eq!(id.openid.len(), 28);
        let digest = hex::encode(Sha256::digest(b"mp_app_id:alice"));
        assert_eq!(id.openid, format!("o{}", &digest[..27]));
        let union = hex::encode(Sha256::digest(b"union:alice"));
        assert_eq!(id.unionid, Some(format!("u{}", &union[..27])));
        assert_eq!(id, sandbox_identity("mp_app_id", "alice.2"));
        assert_eq!(id, sandbox_identity("mp_app_id", "alice"));
        assert_ne!(id.openid, sandbox_identity("mp_app_id", "bob.1").openid);
        let elsewhere = sandbox_identity("supplier_app_id", "alice.1");
        assert_ne!(id.openid, elsewhere.openid);
        assert_eq!(id.unionid, elsewhere.unionid);
    }

    #[test]
    fn the_api_request_carries_the_documented_query() {
        let mut w = WechatSettings::default();
        w.apps.insert(
            "mp_app_id".into(),
            WechatApp {
                wx_appid: "wx1234567890abcdef".into(),
                secret: crate::config::values::Secret::new("s3cr3t"),
            },
        );
        let http = reqwest::Client::new();
        let req = api_request(&http, &w, "mp_app_id", "081abc").unwrap();
        assert_eq!(req.method(), reqwest::Method::GET);
        assert_eq!(
            req.url().as_str(),
            "https://api.weixin.qq.com/sns/jscode2session?appid=wx1234567890abcdef&secret=s3cr3t&js_code=081abc&grant_type=authorization_code"
        );
        assert_eq!(req.timeout(), Some(&w.timeout_ms));
        assert_eq!(
            api_request(&http, &w, "other", "x").unwrap_err().code(),
            500
        );
    }

    #[test]
    fn wechat_answers_are_read_as_documented() {
        let ok = br#"{"openid":"oABC","session_key":"k","unionid":"uXYZ"}"#;
        assert_eq!(
            parse_answer(ok).unwrap(),
            WxIdentity {
                openid: "oABC".into(),
                unionid: Some("uXYZ".into())
            }
        );
        let no_union = br#"{"openid":"oABC","session_key":"k"}"#;
        assert_eq!(parse_answer(no_union).unwrap().unionid, None);
        let cases: [(&[u8], u32); 5] = [
            (
                br#"{"errcode":40029,"errmsg":"invalid code"}"#,
                code::BUSINESS,
            ),
            (
                br#"{"errcode":40163,"errmsg":"code been used"}"#,
                code::BUSINESS,
            ),
            (
                br#"{"errcode":45011,"errmsg":"api minute-quota reach limit"}"#,
                code::RATE_LIMITED,
            ),
            (br#"{"errcode":-1,"errmsg":"system error"}"#, code::INTERNAL),
            (b"<html>", code::INTERNAL),
        ];
        for (body, want) in cases {
            assert_eq!(parse_answer(body).unwrap_err().code(), want);
        }
    }
}
