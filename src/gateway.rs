//! The request pipeline of DESIGN §2.5: from a parsed body to a handler's
//! answer, each check in its order with its code.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::apps::App;
use crate::config::Config;
use crate::context::{AppState, Caller, Ctx};
use crate::error::{ApiError, ApiResult, code};
use crate::protocol::Reply;
use crate::protocol::body::Submission;
use crate::protocol::sign;
use crate::protocol::types::{Platform, Timestamp, Version, scalar_text};
use crate::registry::{Access, Entry, Lookup};
use crate::session::SessionUser;
use crate::{guards, reqtoken};

/// Metrics label for requests that never named a registered method.
pub const UNKNOWN_METHOD: &str = "_unknown";

/// What the pipeline learnt about a request, for the log line and headers.
#[derive(Debug, Default)]
pub struct Trace {
    /// Registered method name, or [`UNKNOWN_METHOD`].
    pub method: &'static str,
    pub appid: Option<String>,
    pub v: Option<String>,
    pub user_id: Option<i64>,
    /// Masked parameters for the log.
    pub params: Option<String>,
    /// Whether the (known, enabled) appid lets the request's Origin read the answer.
    pub origin_allowed: Option<bool>,
}

/// Run one submission through every check and, when all pass, its handler.
pub async fn process(
    state: &Arc<AppState>,
    config: Arc<Config>,
    sub: Submission,
    ip: IpAddr,
    origin: Option<&str>,
    request_id: &str,
    trace: &mut Trace,
) -> ApiResult<Reply> {
    trace.method = UNKNOWN_METHOD;
    let data = decode_data(&sub.data)?;
    let head = Head::read(&data)?;
    trace.appid = Some(head.appid.to_string());
    trace.v = Some(head.v_text.to_string());
    let app = known_app(&config, head.appid)?;
    trace.origin_allowed = origin.map(|o| app.allows_origin(o));
    if !app.ip_allowed(ip) {
        return Err(ApiError::new(code::IP_NOT_ALLOWED, "当前 IP 不允许访问"));
    }
    // Looked up now so system.ping's ban check stays off the stores;
    // a miss is reported at its own step below.
    let lookup = state.registry.find(head.method, &head.v);
    let bare = matches!(lookup, Lookup::Found(e) if e.method.bare);
    guards::check_ban(state, &config, ip, bare).await?;
    verify_signature(state, app, &sub)?;
    check_timestamp(&config, state.clock.now(), head.timestamp)?;
    let Lookup::Found(entry) = lookup else {
        return Err(ApiError::new(code::NO_SUCH_METHOD, "您访问的接口不存在"));
    };
    trace.method = entry.method.name;
    if !app.may_call(head.method) {
        return Err(ApiError::new(code::FORBIDDEN, "您没有权限访问该接口"));
    }
    if !bare {
        guards::rate_limit(state, app, entry.method.name).await?;
    }
    trace.params = Some(crate::telemetry::masked_params(
        &data,
        &config.settings.log.mask,
    ));
    let caller = caller(&head, entry, &data, ip, request_id)?;
    let result = serve(state, &config, entry, caller, data, sub.files, trace).await;
    if let Err(ApiError::Refused { .. }) = &result {
        if config
            .settings
            .guards
            .watched_methods
            .iter()
            .any(|m| m == entry.method.name)
        {
            if let Err(e) = guards::count_failure(state, &config, ip).await {
                tracing::warn!(error = %e, "failure not counted against the IP");
            }
        }
    }
    result
}

/// The steps after the caller is known: session, write switch, request
/// token, parameters, handler.
async fn serve(
    state: &Arc<AppState>,
    config: &Arc<Config>,
    entry: &Entry,
    caller: Caller,
    data: Map<String, Value>,
    files: Vec<crate::protocol::body::FilePart>,
    trace: &mut Trace,
) -> ApiResult<Reply> {
    let user = session(state, config, entry, &data).await?;
    trace.user_id = user.as_ref().map(|u| u.id);
    guards::check_write(config, entry.method.write, trace.user_id)?;
    let ctx = Ctx {
        state: state.clone(),
        config: config.clone(),
        caller: Arc::new(caller),
        files: Arc::new(files),
        user: user.map(Arc::new),
    };
    let policy = &config.settings.request_token;
    if policy.needed(entry.method.name, entry.method.needs_req_token_by_default()) {
        reqtoken::consume(&ctx, data.get("req_token").and_then(Value::as_str)).await?;
    }
    let deadline = Duration::from_millis(config.settings.server.handler_timeout_ms);
    match tokio::time::timeout(deadline, run_handler(entry, ctx, data)).await {
        Ok(result) => result,
        Err(_) => Err(ApiError::Internal(anyhow::anyhow!(
            "handler {} exceeded {} ms",
            entry.method.name,
            deadline.as_millis()
        ))),
    }
}

/// Run the handler, turning a panic into a 500. A write method runs in a
/// task of its own: neither a client that hangs up nor the deadline can
/// stop it half-way through its writes. Reads run in place.
async fn run_handler(entry: &Entry, ctx: Ctx, data: Map<String, Value>) -> ApiResult<Reply> {
    use futures_util::FutureExt;
    let name = entry.method.name;
    let call = std::panic::AssertUnwindSafe(entry.call(ctx, Arc::new(Value::Object(data))))
        .catch_unwind()
        .map(move |r| {
            r.unwrap_or_else(|panic| {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                Err(ApiError::Internal(anyhow::anyhow!(
                    "handler {name} panicked: {what}"
                )))
            })
        });
    if !entry.method.write {
        return call.await;
    }
    tokio::spawn(call).await.unwrap_or_else(|e| {
        Err(ApiError::Internal(anyhow::anyhow!(
            "handler {name} task failed: {e}"
        )))
    })
}

/// The session step: required (602/601/603/606), optional (a bad token
/// just means no user) or not looked at.
async fn session(
    state: &AppState,
    config: &Config,
    entry: &Entry,
    data: &Map<String, Value>,
) -> ApiResult<Option<SessionUser>> {
    if entry.method.access == Access::Public {
        return Ok(None);
    }
    let token = data.get("token").and_then(scalar_text).unwrap_or_default();
    let resolved = crate::session::resolve(&state.stores, &config.settings.session, &token).await;
    match (entry.method.access, resolved) {
        (_, Ok(user)) => Ok(Some(user)),
        (Access::OptionalUser, Err(ApiError::Refused { .. })) => Ok(None),
        (_, Err(e)) => Err(e),
    }
}

/// Decode the signed `data` text, which must be a JSON object (step one of
/// DESIGN §2.5).
///
/// # Errors
/// Code 504 when `raw` is not JSON or not an object.
pub fn decode_data(raw: &[u8]) -> ApiResult<Map<String, Value>> {
    match serde_json::from_slice::<Value>(raw) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(ApiError::new(
            code::METHOD_MISSING,
            "data 参数缺失或不是合法的 JSON 对象",
        )),
    }
}

/// The four parameters checked before anything else.
pub struct Head<'a> {
    method: &'a str,
    v: Version,
    v_text: &'a str,
    appid: &'a str,
    timestamp: &'a Value,
}

impl<'a> Head<'a> {
    fn read(data: &'a Map<String, Value>) -> ApiResult<Self> {
        let text = |key: &str| match data.get(key) {
            Some(Value::String(s)) if !s.is_empty() => Some(s.as_str()),
            _ => None,
        };
        let method = text("method").ok_or_else(|| missing(code::METHOD_MISSING, "method"))?;
        let v_text = text("v").ok_or_else(|| missing(code::VERSION_MISSING, "v"))?;
        let v = v_text
            .parse()
            .map_err(|_| ApiError::new(code::VERSION_MISSING, "参数 v 格式不正确"))?;
        let appid = text("appid").ok_or_else(|| missing(code::APPID_INVALID, "appid"))?;
        let timestamp = data
            .get("timestamp")
            .filter(|t| scalar_text(t).is_some_and(|s| !s.is_empty()))
            .ok_or_else(|| missing(code::TIMESTAMP_INVALID, "timestamp"))?;
        Ok(Self {
            method,
            v,
            v_text,
            appid,
            timestamp,
        })
    }
}

/// Check that `data` names a method, a well-formed `v`, an appid and a
/// timestamp (the presence checks of DESIGN §2.5), as the pipeline does.
///
/// # Errors
/// Codes 504, 505, 506 or 507 for the first of them missing or malformed.
pub fn read_head(data: &Map<String, Value>) -> ApiResult<Head<'_>> {
    Head::read(data)
}

fn missing(code: u16, name: &str) -> ApiError {
    ApiError::new(code, format!("缺少参数 {name}"))
}

fn known_app<'c>(config: &'c Config, appid: &str) -> ApiResult<&'c App> {
    config
        .apps
        .get(appid)
        .filter(|a| a.enabled)
        .ok_or_else(|| ApiError::new(code::APPID_INVALID, "appid 无效或已停用"))
}

fn verify_signature(state: &AppState, app: &App, sub: &Submission) -> ApiResult<()> {
    // One message whatever was wrong: missing, malformed or mismatched.
    let slot = sign::verify(&sub.data, &sub.sign, &app.secrets)
        .ok_or_else(|| ApiError::new(code::FORBIDDEN, "签名错误"))?;
    state.metrics.secret_slot(&app.appid, &slot.label);
    Ok(())
}

fn check_timestamp(config: &Config, now: i64, value: &Value) -> ApiResult<()> {
    let ts = Timestamp::from_value(value)
        .ok_or_else(|| ApiError::new(code::TIMESTAMP_INVALID, "参数 timestamp 格式不正确"))?;
    if !ts.within(now, config.settings.protocol.timestamp_skew_secs) {
        return Err(ApiError::new(
            code::TIMESTAMP_INVALID,
            "请求已过期，请校准设备时间后重试",
        ));
    }
    Ok(())
}

/// The fixed parameters beyond the first four (DESIGN §2.2); `bare`
/// methods (system.ping) skip them.
fn caller(
    head: &Head<'_>,
    entry: &Entry,
    data: &Map<String, Value>,
    ip: IpAddr,
    request_id: &str,
) -> ApiResult<Caller> {
    let mut caller = Caller {
        request_id: request_id.to_string(),
        appid: head.appid.to_string(),
        v: head.v.clone(),
        method: entry.method.name,
        platform: None,
        unique_id: String::new(),
        app_v: String::new(),
        channel: String::new(),
        device_token: String::new(),
        ip,
    };
    if entry.method.bare {
        return Ok(caller);
    }
    let field = |key: &str| -> ApiResult<String> {
        let text = data
            .get(key)
            .and_then(scalar_text)
            .ok_or_else(|| ApiError::business(format!("缺少参数 {key}")))?;
        if text.contains('\0') || text.len() > 255 {
            return Err(ApiError::business(format!("参数 {key} 格式不正确")));
        }
        Ok(text.into_owned())
    };
    caller.unique_id = field("unique_id")?;
    caller.app_v = field("app_v")?;
    let platform = data
        .get("platform")
        .ok_or_else(|| ApiError::business("缺少参数 platform"))?;
    caller.platform = Some(Platform::from_value(platform).ok_or_else(|| {
        ApiError::business("参数 platform 不正确（1-iOS、2-Android、3-H5、4-web）")
    })?);
    caller.channel = field("channel")?;
    caller.device_token = field("device_token")?;
    Ok(caller)
}
