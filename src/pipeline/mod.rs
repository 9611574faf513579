//! The request pipeline of docs/protocol.md §6: from a parsed body to a
//! handler's answer, each check in its order with its code. It returns the
//! answer together with what the log line needs ([`Outcome`]); it knows
//! nothing of HTTP. May use `handler`, `services`, `config`, `domain` and
//! `protocol`.

mod head;
mod trace;

use std::net::IpAddr;
use std::sync::Arc;

use serde_json::Value;

pub use head::{Head, caller, decode_data, read_head};
pub use trace::{Trace, UNKNOWN_METHOD, masked_params};

use crate::config::Config;
use crate::config::apps::App;
use crate::handler::{Access, AppState, Caller, Ctx, Entry, Lookup};
use crate::protocol::Reply;
use crate::protocol::body::{FilePart, Submission};
use crate::protocol::error::{ApiError, ApiResult, code};
use crate::protocol::sign;
use crate::protocol::types::{Skew, Timestamp, scalar_text};
use crate::services::session::{self, SessionUser};
use crate::services::{guards, replay, reqtoken, request_no};

/// A request's answer and what the pipeline learnt on the way.
pub struct Outcome {
    pub result: ApiResult<Reply>,
    pub trace: Trace,
}

/// One request as the pipeline sees it.
pub struct Request<'a> {
    pub submission: Submission,
    /// The client's address (docs/protocol.md §12).
    pub ip: IpAddr,
    pub request_id: &'a str,
}

/// Run one submission through every check and, when all pass, its handler,
/// under one config snapshot.
pub async fn process(state: &Arc<AppState>, config: &Arc<Config>, req: Request<'_>) -> Outcome {
    // One copy of the data, shared by the checks, the handler and the log
    // line (which masks it only if it is written).
    let shared = match decode_data(&req.submission.data) {
        Ok(data) => Arc::new(Value::Object(data)),
        Err(e) => return Outcome::refused(e),
    };
    let Value::Object(data) = &*shared else {
        unreachable!("decode_data returns an object")
    };
    let head = match read_head(data) {
        Ok(head) => head,
        Err(e) => return Outcome::refused(e),
    };
    let mut trace = Trace {
        appid: Some(head.appid.to_string()),
        v: Some(head.v_text.to_string()),
        ..Trace::default()
    };
    let lookup = state.registry.find(head.method, &head.v);
    let now = state.clock.now();
    let app = match authenticate(state, config, &head, &req, &lookup, now).await {
        Ok(app) => app,
        Err(e) => {
            return Outcome {
                result: Err(e),
                trace,
            };
        }
    };
    let Lookup::Found(entry) = lookup else {
        let e = ApiError::new(code::NO_SUCH_METHOD, "您访问的接口不存在");
        return Outcome {
            result: Err(e),
            trace,
        };
    };
    trace.method = entry.method.name;
    let device = data.get("unique_id").and_then(scalar_text);
    let client = guards::Client {
        ip: req.ip,
        device: device.as_deref(),
    };
    if let Err(e) = authorize(state, app, (&head, entry), client, now).await {
        return Outcome {
            result: Err(e),
            trace,
        };
    }
    trace.data = Some(Arc::clone(&shared));
    let caller = match caller(
        &head,
        entry,
        data,
        req.ip,
        req.request_id,
        app.kind.is_server(),
    ) {
        Ok(caller) => caller,
        Err(e) => {
            return Outcome {
                result: Err(e),
                trace,
            };
        }
    };
    trace.request_no.clone_from(&caller.request_no);
    if let Some(no) = &caller.request_no {
        let window = config.settings.protocol.timestamp_skew_secs + future_skew(config, app);
        let window = u64::try_from(window).unwrap_or(1);
        if let Err(e) = request_no::claim(&state.stores, &caller.appid, no, window).await {
            return Outcome {
                result: Err(e),
                trace,
            };
        }
    }
    drop(device);
    let once = claim_once(state, config, app, (&head, entry), &req.submission, now);
    if let Err(e) = once.await {
        return Outcome {
            result: Err(e),
            trace,
        };
    }
    let (user_id, result) = serve(
        state,
        config,
        (app, entry, now),
        caller,
        Arc::clone(&shared),
        req.submission.files,
    )
    .await;
    trace.user_id = user_id;
    if matches!(result, Err(ApiError::Refused { .. })) && watched(config, entry) {
        if let Err(e) = state.bans(config).count_failure(req.ip, now).await {
            tracing::warn!(error = %e, "failure not counted against the IP");
        }
    }
    Outcome { result, trace }
}

impl Outcome {
    /// Refused before the appid was read.
    pub fn refused(e: ApiError) -> Self {
        Self {
            result: Err(e),
            trace: Trace::default(),
        }
    }
}

/// The checks from the appid to the timestamp window: who is calling,
/// from where, and whether they signed it.
async fn authenticate<'c>(
    state: &AppState,
    config: &'c Config,
    head: &Head<'_>,
    req: &Request<'_>,
    lookup: &Lookup<'_>,
    now: i64,
) -> ApiResult<&'c App> {
    let app = known_app(config, head.appid)?;
    if !app.ip_allowed(req.ip) {
        return Err(ApiError::new(code::IP_NOT_ALLOWED, "当前 IP 不允许访问"));
    }
    // system.ping's ban check stays off the stores.
    let bare = matches!(lookup, Lookup::Found(e) if e.method.bare);
    state.bans(config).check(req.ip, now, bare).await?;
    verify_signature(state, app, &req.submission)?;
    check_timestamp(config, app, now, head.timestamp)?;
    Ok(app)
}

/// Whether this appid may call the method it asked for (by the name it
/// used, alias or not) now: its method patterns, and its rate limits for
/// the appid, the client IP and the device.
async fn authorize(
    state: &AppState,
    app: &App,
    (head, entry): (&Head<'_>, &Entry),
    client: guards::Client<'_>,
    now: i64,
) -> ApiResult<()> {
    if !app.may_call(head.method) {
        return Err(ApiError::new(code::FORBIDDEN, "您没有权限访问该接口"));
    }
    if entry.method.bare {
        return Ok(());
    }
    guards::rate_limit(&state.stores, app, entry.method.name, client, now).await
}

/// The replay guard (docs/protocol.md §11.5, step 20a): the signed bytes of
/// a method that must not repeat are claimed while their timestamp is
/// accepted.
async fn claim_once(
    state: &AppState,
    config: &Config,
    app: &App,
    (head, entry): (&Head<'_>, &Entry),
    submission: &Submission,
    now: i64,
) -> ApiResult<()> {
    if !entry.method.refuses_replays() {
        return Ok(());
    }
    let skew = config.settings.protocol.timestamp_skew_secs;
    let ts = Timestamp::from_value(head.timestamp).map_or(now, |t| t.0);
    let ttl = (ts + skew - now + 1).max(1).unsigned_abs();
    replay::claim(&state.stores, &app.appid, &submission.data, ttl).await
}

fn watched(config: &Config, entry: &Entry) -> bool {
    config
        .settings
        .guards
        .watched_methods
        .iter()
        .any(|m| m == entry.method.name)
}

/// The steps after the caller is known: session, write switch, request
/// token, parameters, handler. The user id is returned for the log.
async fn serve(
    state: &Arc<AppState>,
    config: &Arc<Config>,
    (app, entry, now): (&App, &Entry, i64),
    caller: Caller,
    data: Arc<Value>,
    files: Vec<FilePart>,
) -> (Option<i64>, ApiResult<Reply>) {
    let user = match resolve_session(state, config, entry, &caller, &data).await {
        Ok(user) => user,
        Err(e) => return (None, Err(e)),
    };
    let user_id = user.as_ref().map(|u| u.id);
    if let Some(id) = user_id {
        // The per-user limits need the session (docs/protocol.md §6, step 21a).
        let limited = guards::rate_limit_user(&state.stores, app, entry.method.name, id, now);
        if let Err(e) = limited.await {
            return (user_id, Err(e));
        }
    }
    let ctx = Ctx {
        state: state.clone(),
        config: config.clone(),
        caller: Arc::new(caller),
        files: Arc::new(files),
        user: user.map(Arc::new),
    };
    (user_id, guarded(ctx, entry, data).await)
}

async fn guarded(ctx: Ctx, entry: &Entry, data: Arc<Value>) -> ApiResult<Reply> {
    let user_id = ctx.user.as_ref().map(|u| u.id);
    guards::check_write(&ctx.config.settings.guards, entry.method.write, user_id)?;
    let policy = &ctx.config.settings.request_token;
    if policy.needed(entry.method.name, entry.method.needs_req_token_by_default()) {
        let token = data.get("req_token").and_then(Value::as_str);
        reqtoken::consume(ctx.stores(), &ctx.token_owner(), token).await?;
    }
    let deadline = ctx.config.settings.server.handler_timeout_ms;
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
async fn run_handler(entry: &Entry, ctx: Ctx, data: Arc<Value>) -> ApiResult<Reply> {
    use futures_util::FutureExt;
    let name = entry.method.name;
    let call = std::panic::AssertUnwindSafe(entry.call(ctx, data))
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
/// just means no user) or not looked at. A token answers only to callers
/// of its class (docs/protocol.md §8.2).
async fn resolve_session(
    state: &AppState,
    config: &Config,
    entry: &Entry,
    caller: &Caller,
    data: &Value,
) -> ApiResult<Option<SessionUser>> {
    if entry.method.access == Access::Public {
        return Ok(None);
    }
    let token = data.get("token").and_then(scalar_text).unwrap_or_default();
    let class = caller_class(config, caller)?;
    let resolved = session::resolve(&state.stores, &config.settings.session, &token, class).await;
    match (entry.method.access, resolved) {
        (_, Ok(user)) => Ok(Some(user)),
        (Access::OptionalUser, Err(ApiError::Refused { .. })) => Ok(None),
        (_, Err(e)) => Err(e),
    }
}

fn caller_class(config: &Config, caller: &Caller) -> ApiResult<session::Class> {
    let kind = known_app(config, &caller.appid)?.kind;
    let platform = caller
        .platform
        .ok_or_else(|| ApiError::business("缺少参数 platform"))?;
    Ok(session::Class::of_caller(kind, platform))
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
    let slot = sign::verify(&sub.data, &sub.sign, &app.secrets, |s| s.value.expose())
        .ok_or_else(|| ApiError::new(code::FORBIDDEN, "签名错误"))?;
    state.metrics.secret_slot(&app.appid, &slot.label);
    Ok(())
}

/// How far ahead of server time `app`'s timestamps may be (docs/protocol.md §3.1).
fn future_skew(config: &Config, app: &App) -> i64 {
    app.future_skew_secs
        .unwrap_or(config.settings.protocol.timestamp_skew_secs)
}

fn check_timestamp(config: &Config, app: &App, now: i64, value: &Value) -> ApiResult<()> {
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
