//! The request pipeline of docs/protocol.md §6: from a parsed body to a
//! handler's answer, each check in its order with its code. It returns the
//! answer together with what the log line needs ([`Outcome`]); it knows
//! nothing of HTTP. May use `handler`, `shared`, `gate`, `stores`,
//! `config`, `domain` and `protocol`.

mod checks;
pub mod diagnose;
mod head;
mod trace;
mod trip;

use std::net::IpAddr;
use std::sync::Arc;

use serde_json::Value;

pub use head::{Head, caller, decode_data, read_head};
pub use trace::{Trace, UNKNOWN_METHOD, masked_params, masked_params_into};

use checks::{Wants, check_timestamp, future_skew, known_app, session_wanted, verify_signature};
use trip::{Ended, Step, Trip};

use crate::config::Config;
use crate::config::apps::Answers;
use crate::config::apps::App;
use crate::gate::round_trip::Upto;
use crate::gate::session::SessionUser;
use crate::gate::{guards, replay, reqtoken, request_no};
use crate::handler::{AppState, Caller, Ctx, Dialect, Entry, Envelope, Lookup, Registry};
use crate::protocol::Reply;
use crate::protocol::body::{FilePart, Submission};
use crate::protocol::error::{ApiError, ApiResult, code};
use crate::protocol::types::{Timestamp, scalar_text};
use crate::shared::roles;

/// A request's answer and what the pipeline learnt on the way.
pub struct Outcome {
    pub result: ApiResult<Reply>,
    pub trace: Trace,
    /// The `debug` object of a refused signature, in dev and test only
    /// (docs/protocol.md §2.1).
    pub debug: Option<Vec<u8>>,
}

/// One request as the pipeline sees it.
pub struct Request<'a> {
    pub submission: Submission,
    /// The client's address (docs/protocol.md §12).
    pub ip: IpAddr,
    pub request_id: &'a str,
}

/// Run one submission through every check and, when all pass, its handler,
/// under one config snapshot. The checks that need Redis run in one round
/// trip after the ones that need none (docs/protocol.md §6, "One round
/// trip"); a refusal found on the CPU is answered after the steps before
/// it have run there, so the earliest step's answer wins.
pub async fn process(
    state: &Arc<AppState>,
    registry: &Registry,
    config: &Arc<Config>,
    req: Request<'_>,
) -> Outcome {
    // One copy of the data, shared by the checks, the handler and the log
    // line (which masks it only if it is written).
    let shared = match decode_data(&req.submission.data) {
        Ok(data) => Arc::new(Value::Object(data)),
        Err(e) => {
            let debug = diagnose::undecodable(config, &req.submission);
            return Outcome::refused(e).with_debug(debug);
        }
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
        product: product_answers(registry, config, &head),
        ..Trace::default()
    };
    let lookup = registry.find(head.method, &head.v);
    let now = state.clock.now();
    let app = match admit(state, config, &head, req.ip, now) {
        Ok(app) => app,
        Err(e) => return Outcome::with(Err(e), trace),
    };
    // system.ping stays off the stores: its ban check was the one in memory.
    let bare = matches!(lookup, Lookup::Found(e) if e.method.bare);
    let mut trip = Trip::new(now, req.ip);
    let signed = authenticate(config, app, &head, &req, &lookup, now);
    let (entry, slot) = match signed {
        Ok(found) => found,
        Err((e, slot)) => {
            // Only the signature check refuses without a slot.
            let debug = slot
                .is_none()
                .then(|| diagnose::signature(config, app, &req.submission))
                .flatten();
            let ended = if bare {
                Ended::Refused(e, Step::Later)
            } else {
                trip.refuse(state, config, e).await
            };
            return finish(state, app, slot, ended, trace).with_debug(debug);
        }
    };
    trace.method = entry.method.name;
    trace.slot = Some(slot.to_string());
    if entry.method.bare {
        if !app.may_call(head.method) {
            let ended = Ended::Refused(forbidden(), Step::Later);
            return finish(state, app, Some(slot), ended, trace);
        }
        state.metrics.secret_slot(&app.appid, slot);
        trace.data = Some(Arc::clone(&shared));
        let caller = match caller(&head, entry, data, req.ip, req.request_id, app) {
            Ok(caller) => caller,
            Err(e) => return Outcome::with(Err(e), trace),
        };
        let files = req.submission.files;
        return handle(
            state,
            config,
            (entry, caller, None),
            (Arc::clone(&shared), files),
            (req.ip, now),
            trace,
        )
        .await;
    }
    if !app.may_call(head.method) {
        let ended = trip.refuse(state, config, forbidden()).await;
        return finish(state, app, Some(slot), ended, trace);
    }
    let device = data.get("unique_id").and_then(scalar_text);
    let client = guards::Client {
        ip: req.ip,
        device: device.as_deref(),
    };
    trip.ask.limits = guards::limit_keys(app, entry.method.name, client, now);
    trip.ask.upto = Upto::Limits;
    trace.data = Some(Arc::clone(&shared));
    let caller = match caller(&head, entry, data, req.ip, req.request_id, app) {
        Ok(caller) => caller,
        Err(e) => {
            let ended = trip.refuse(state, config, e).await;
            return finish(state, app, Some(slot), ended, trace);
        }
    };
    trace.request_no.clone_from(&caller.request_no);
    trip.ask.request_no = caller.request_no.as_ref().map(|no| {
        let window = config.settings.protocol.timestamp_skew_secs + future_skew(config, app);
        (
            request_no::key(&caller.appid, no),
            u64::try_from(window).unwrap_or(1),
        )
    });
    trip.ask.replay = replay_claim(config, app, (&head, entry), &req.submission, now);
    trip.ask.upto = Upto::Claims;
    let wants = match session_wanted(app, entry, &caller, data) {
        Ok(wants) => wants,
        Err(e) => {
            let ended = trip.refuse(state, config, e).await;
            return finish(state, app, Some(slot), ended, trace);
        }
    };
    if let Wants::Token(token, class) = wants {
        trip.ask.session = Some(trip::session_ask(config, app, entry, (token, class), now));
        trip.ask.upto = Upto::Session;
    }
    let user = match trip.run(state, config, Some((app, entry))).await {
        Ended::Passed(user) => user,
        ended => return finish(state, app, Some(slot), ended, trace),
    };
    state.metrics.secret_slot(&app.appid, slot);
    let files = req.submission.files;
    handle(
        state,
        config,
        (entry, caller, user),
        (Arc::clone(&shared), files),
        (req.ip, now),
        trace,
    )
    .await
}

/// Steps 22–25 and, after a refusal of a watched method, the failure
/// counted against the client IP (docs/protocol.md §11.1).
async fn handle(
    state: &Arc<AppState>,
    config: &Arc<Config>,
    (entry, caller, user): (&Entry, Caller, Option<SessionUser>),
    input: (Arc<Value>, Vec<FilePart>),
    (ip, now): (IpAddr, i64),
    mut trace: Trace,
) -> Outcome {
    let (user_id, result) = serve(state, config, entry, caller, user, input).await;
    trace.user_id = user_id;
    if matches!(result, Err(ApiError::Refused { .. })) && watched(config, entry) {
        if let Err(e) = state.bans(config).count_failure(ip, now).await {
            tracing::warn!(error = %e, "failure not counted against the IP");
        }
    }
    Outcome::with(result, trace)
}

impl Outcome {
    /// Refused before the appid was read.
    pub fn refused(e: ApiError) -> Self {
        Self::with(Err(e), Trace::default())
    }

    fn with(result: ApiResult<Reply>, trace: Trace) -> Self {
        Self {
            result,
            trace,
            debug: None,
        }
    }

    /// Attach `debug` when the answer is still the refusal it explains (a
    /// ban found in Redis answers first, without it).
    fn with_debug(mut self, debug: Option<Vec<u8>>) -> Self {
        let explained = matches!(
            &self.result,
            Err(e) if e.code() == code::FORBIDDEN || e.code() == code::METHOD_MISSING
        );
        if explained {
            self.debug = debug;
        }
        self
    }
}

/// A request that ended before its handler: the trace shows what the
/// steps before the one that refused had learnt, and the signing secret
/// counts once the ban was passed.
fn finish(
    state: &AppState,
    app: &App,
    slot: Option<&str>,
    ended: Ended,
    mut trace: Trace,
) -> Outcome {
    let (e, step) = match ended {
        Ended::Refused(e, step) => (e, step),
        Ended::UserRefused(e, user_id) => {
            trace.user_id = user_id;
            (e, Step::Later)
        }
        Ended::Passed(_) => unreachable!("finish is for refusals"),
    };
    if step == Step::Ban {
        trace.method = UNKNOWN_METHOD;
    }
    if step <= Step::Limits {
        trace.data = None;
        trace.request_no = None;
    }
    trace.slot = slot.map(str::to_string);
    if let (Some(slot), false) = (slot, step == Step::Ban) {
        state.metrics.secret_slot(&app.appid, slot);
    }
    Outcome::with(Err(e), trace)
}

/// The dialect whose envelope answers the request (docs/protocol.md §4.2):
/// the product's of the method asked for, when the appid answers in
/// products' envelopes and the method's namespace has one of its own.
fn product_answers(
    registry: &Registry,
    config: &Config,
    head: &head::Head<'_>,
) -> Option<(&'static Dialect, String)> {
    let app = config.apps.get(head.appid)?;
    if app.answers != Answers::Product {
        return None;
    }
    let namespace = head
        .method
        .split_once('.')
        .map_or(head.method, |(ns, _)| ns);
    let d = registry.dialect_of(namespace);
    (d.envelope != Envelope::Gateway).then(|| (d, head.method.to_string()))
}

/// Steps 12 and 13 and the bans held in memory (14): answered at once.
fn admit<'c>(
    state: &AppState,
    config: &'c Config,
    head: &Head<'_>,
    ip: IpAddr,
    now: i64,
) -> ApiResult<&'c App> {
    let app = known_app(config, head.appid)?;
    if !app.ip_allowed(ip) {
        return Err(ApiError::new(code::IP_NOT_ALLOWED, "当前 IP 不允许访问"));
    }
    state.bans(config).check_memory(ip, now)?;
    Ok(app)
}

/// Steps 15–17 on the CPU: the signature, the timestamp and the method.
/// The signing secret's label, also with a later refusal.
fn authenticate<'c, 'e>(
    config: &Config,
    app: &'c App,
    head: &Head<'_>,
    req: &Request<'_>,
    lookup: &Lookup<'e>,
    now: i64,
) -> Result<(&'e Entry, &'c str), (ApiError, Option<&'c str>)> {
    let slot = verify_signature(app, &req.submission).map_err(|e| (e, None))?;
    check_timestamp(config, app, now, head.timestamp).map_err(|e| (e, Some(slot)))?;
    match lookup {
        Lookup::Found(entry) => Ok((entry, slot)),
        Lookup::Missing => Err((
            ApiError::new(code::NO_SUCH_METHOD, "您访问的接口不存在"),
            Some(slot),
        )),
    }
}

fn forbidden() -> ApiError {
    ApiError::new(code::FORBIDDEN, "您没有权限访问该接口")
}

/// The replay guard's claim (docs/protocol.md §11.5, step 20a): the signed
/// bytes of a method that must not repeat are claimed while their
/// timestamp is accepted.
fn replay_claim(
    config: &Config,
    app: &App,
    (head, entry): (&Head<'_>, &Entry),
    submission: &Submission,
    now: i64,
) -> Option<(String, u64)> {
    if !entry.method.refuses_replays() {
        return None;
    }
    let skew = config.settings.protocol.timestamp_skew_secs;
    let ts = Timestamp::from_value(head.timestamp).map_or(now, |t| t.0);
    let ttl = (ts + skew - now + 1).max(1).unsigned_abs();
    Some((replay::key(&app.appid, &submission.data), ttl))
}

fn watched(config: &Config, entry: &Entry) -> bool {
    config
        .settings
        .guards
        .watched_methods
        .iter()
        .any(|m| m == entry.method.name)
}

/// The steps after the session: write switch, request token, parameters,
/// handler. The user id is returned for the log.
async fn serve(
    state: &Arc<AppState>,
    config: &Arc<Config>,
    entry: &Entry,
    caller: Caller,
    user: Option<SessionUser>,
    (data, files): (Arc<Value>, Vec<FilePart>),
) -> (Option<i64>, ApiResult<Reply>) {
    let user_id = user.as_ref().map(|u| u.id);
    let ctx = Ctx {
        state: state.clone(),
        config: config.clone(),
        caller: Arc::new(caller),
        files: Arc::new(files),
        user: user.map(Arc::new),
    };
    (user_id, guarded(ctx, entry, data).await)
}

async fn heavy_turn<'s>(
    state: &'s AppState,
    config: &Config,
) -> ApiResult<tokio::sync::SemaphorePermit<'s>> {
    let wait = config.settings.postgres.heavy_wait_ms;
    match tokio::time::timeout(wait, state.heavy.acquire()).await {
        Ok(Ok(turn)) => Ok(turn),
        _ => Err(ApiError::new(code::RATE_LIMITED, "系统繁忙，请稍后再试")),
    }
}

async fn guarded(ctx: Ctx, entry: &Entry, data: Arc<Value>) -> ApiResult<Reply> {
    let user_id = ctx.user.as_ref().map(|u| u.id);
    guards::check_write(&ctx.config.settings.guards, entry.method.write, user_id)?;
    if let (Some(needed), Some(id)) = (entry.method.role, user_id) {
        if !roles::has(ctx.stores(), id, needed).await? {
            return Err(roles::refused(needed.0, needed.1));
        }
    }
    let policy = &ctx.config.settings.request_token;
    if policy.needed(entry.method.name, entry.method.needs_req_token_by_default()) {
        let token = data.get("req_token").and_then(Value::as_str);
        reqtoken::consume(ctx.stores(), &ctx.token_owner(), token).await?;
    }
    // A heavy read waits its turn, so a flood of them cannot take every
    // PostgreSQL backend (docs/protocol.md §11.3).
    let state = Arc::clone(&ctx.state);
    let _turn = match entry.method.heavy {
        true => Some(heavy_turn(&state, &ctx.config).await?),
        false => None,
    };
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
