//! The checks of docs/protocol.md §6 that need no store: the appid, the
//! signature, the timestamp window, and what the session step can decide
//! before Redis (the token's form and the caller's class).

use serde_json::{Map, Value};

use crate::config::Config;
use crate::config::apps::App;
use crate::gate::session;
use crate::handler::{Access, Caller, Entry};
use crate::protocol::body::Submission;
use crate::protocol::error::{ApiError, ApiResult, code};
use crate::protocol::sign;
use crate::protocol::types::{Skew, Timestamp, scalar_text};

pub(super) fn known_app<'c>(config: &'c Config, appid: &str) -> ApiResult<&'c App> {
    config
        .apps
        .get(appid)
        .filter(|a| a.enabled)
        .ok_or_else(|| ApiError::new(code::APPID_INVALID, "appid 无效或已停用"))
}

/// The signature (step 15): the label of the secret that signed it.
pub(super) fn verify_signature<'c>(app: &'c App, sub: &Submission) -> ApiResult<&'c str> {
    // One message whatever was wrong: missing, malformed or mismatched.
    let slot = sign::verify(&sub.data, &sub.sign, &app.secrets, |s| s.value.expose())
        .ok_or_else(|| ApiError::new(code::FORBIDDEN, "签名错误"))?;
    Ok(&slot.label)
}

/// How far ahead of server time `app`'s timestamps may be (docs/protocol.md §3.1).
pub(super) fn future_skew(config: &Config, app: &App) -> i64 {
    app.future_skew_secs
        .unwrap_or(config.settings.protocol.timestamp_skew_secs)
}

pub(super) fn check_timestamp(
    config: &Config,
    app: &App,
    now: i64,
    value: &Value,
) -> ApiResult<()> {
    let ts = Timestamp::from_value(value)
        .ok_or_else(|| ApiError::new(code::TIMESTAMP_INVALID, "参数 timestamp 格式不正确"))?;
    let past = config.settings.protocol.timestamp_skew_secs;
    let refusal = |msg: &'static str| Err(ApiError::new(code::TIMESTAMP_INVALID, msg));
    match ts.window(now, past, future_skew(config, app)) {
        Skew::Within => Ok(()),
        Skew::Slow => refusal("请求已过期（设备时间慢于服务器时间），请校准设备时间后重试"),
        Skew::Fast => refusal("请求时间超前（设备时间快于服务器时间），请校准设备时间后重试"),
    }
}

/// What the session step (21) asks of Redis.
pub(super) enum Wants {
    /// No session: a public method, or an optional one without a usable token.
    Nobody,
    /// Look this token up for a caller of this class.
    Token(String, session::Class),
}

/// The part of step 21 decided without Redis: a required session with an
/// empty token is 602 and with a malformed one 601; an optional one is
/// then no session. A token answers only to callers of its class
/// (docs/protocol.md §8.2).
///
/// # Errors
/// As above; 503 without a platform.
pub(super) fn session_wanted(
    app: &App,
    entry: &Entry,
    caller: &Caller,
    data: &Map<String, Value>,
) -> ApiResult<Wants> {
    if entry.method.access == Access::Public {
        return Ok(Wants::Nobody);
    }
    let token = data.get("token").and_then(scalar_text).unwrap_or_default();
    let platform = caller
        .platform
        .ok_or_else(|| ApiError::business("缺少参数 platform"))?;
    let class = session::Class::of_caller(app.kind, platform);
    let refused = if token.is_empty() {
        ApiError::new(code::NOT_LOGGED_IN, "您还未登录")
    } else if !session::well_formed(&token) {
        session::expired()
    } else {
        return Ok(Wants::Token(token.into_owned(), class));
    };
    match entry.method.access {
        Access::OptionalUser => Ok(Wants::Nobody),
        _ => Err(refused),
    }
}
