//! The HTTP surface: the endpoint (`POST /`, `POST /api`) with its transport
//! rules (405, 408, 413, 415, CORS), and the ops routes `/healthz`,
//! `/readyz`, `/metrics`. One log line and one metrics sample per request.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};

use crate::config::Config;
use crate::context::AppState;
use crate::error::{ApiError, code};
use crate::gateway::{self, Trace};
use crate::protocol::body::{self, BodyError, BodyKind};
use crate::protocol::{client_ip, envelope};

/// The response type of every route.
pub type Resp = Response<Full<Bytes>>;

const REQUEST_ID: &str = "x-request-id";
const JSON: &str = "application/json; charset=utf-8";

/// Answer one HTTP request.
pub async fn route(state: Arc<AppState>, peer: SocketAddr, req: Request<Incoming>) -> Resp {
    let request_id = request_id(&state, req.headers());
    let mut resp = match req.uri().path() {
        "/" | "/api" => endpoint(&state, peer, req, &request_id).await,
        "/healthz" => {
            ops(&req, || async {
                text(StatusCode::OK, JSON, r#"{"status":"ok"}"#)
            })
            .await
        }
        "/readyz" => ops(&req, || readyz(&state)).await,
        "/metrics" => {
            let config = state.config.load();
            let ip = client_ip_of(&config, peer, req.headers());
            let allowed = config
                .settings
                .server
                .metrics_allow
                .iter()
                .any(|n| n.contains(&ip));
            if allowed {
                ops(&req, || async { metrics(&state) }).await
            } else {
                text(StatusCode::FORBIDDEN, JSON, r#"{"error":"forbidden"}"#)
            }
        }
        _ => text(StatusCode::NOT_FOUND, JSON, r#"{"error":"not found"}"#),
    };
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        resp.headers_mut().insert(REQUEST_ID, v);
    }
    resp
}

async fn ops<F, Fut>(req: &Request<Incoming>, answer: F) -> Resp
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Resp>,
{
    if req.method() == Method::GET || req.method() == Method::HEAD {
        answer().await
    } else {
        let mut r = text(
            StatusCode::METHOD_NOT_ALLOWED,
            JSON,
            r#"{"error":"method not allowed"}"#,
        );
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        r
    }
}

/// An incoming id when it is short and plain, else a fresh one.
fn request_id(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(v) = headers.get(REQUEST_ID).and_then(|v| v.to_str().ok()) {
        if !v.is_empty()
            && v.len() <= 64
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return v.to_string();
        }
    }
    format!(
        "{:08x}{:08x}",
        state.instance_tag(),
        state.metrics.next_request_id()
    )
}

fn client_ip_of(config: &Config, peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok());
    client_ip::resolve(
        peer.ip(),
        forwarded,
        &config.settings.server.trusted_proxies,
    )
}

async fn endpoint(
    state: &Arc<AppState>,
    peer: SocketAddr,
    req: Request<Incoming>,
    request_id: &str,
) -> Resp {
    if req.method() == Method::POST {
        return post(state, peer, req, request_id).await;
    }
    let is_preflight = req.method() == Method::OPTIONS
        && req.headers().contains_key(header::ORIGIN)
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if is_preflight {
        return preflight(state, req.headers());
    }
    state.metrics.transport_error(405);
    let mut r = text(
        StatusCode::METHOD_NOT_ALLOWED,
        JSON,
        r#"{"error":"method not allowed"}"#,
    );
    r.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("POST"));
    r
}

/// CORS preflight: answered without a signature for origins that some
/// enabled appid lists; other origins get no CORS headers.
fn preflight(state: &AppState, headers: &HeaderMap) -> Resp {
    let mut r = text(StatusCode::NO_CONTENT, "text/plain", "");
    let origin = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let h = r.headers_mut();
    h.insert(header::VARY, HeaderValue::from_static("Origin"));
    if state.config.load().apps.any_allows_origin(origin) {
        add_cors(h, origin);
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("POST, OPTIONS"),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("Content-Type, X-Request-Id"),
        );
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("600"),
        );
    }
    r
}

fn add_cors(h: &mut HeaderMap, origin: &str) {
    if let Ok(v) = HeaderValue::from_str(origin) {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
        h.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("X-Request-Id"),
        );
    }
}

async fn post(
    state: &Arc<AppState>,
    peer: SocketAddr,
    req: Request<Incoming>,
    request_id: &str,
) -> Resp {
    let started = Instant::now();
    // One configuration snapshot for the whole request, limits to handler.
    let config = state.config.load_full();
    let ip = client_ip_of(&config, peer, req.headers());
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let sub = match read_submission(&config, req).await {
        Ok(sub) => sub,
        Err(Refusal::Transport(status)) => {
            state.metrics.transport_error(status.as_u16());
            tracing::info!(request_id, %ip, status = status.as_u16(), "refused at transport");
            return transport(status);
        }
        Err(Refusal::Body) => {
            let err = ApiError::new(code::METHOD_MISSING, "data 参数缺失或不是合法的 JSON 对象");
            return answer(
                state,
                &config,
                started,
                ip,
                request_id,
                origin.as_deref(),
                Trace {
                    method: gateway::UNKNOWN_METHOD,
                    ..Trace::default()
                },
                Err(err),
            );
        }
    };
    let mut trace = Trace::default();
    let result = gateway::process(
        state,
        config.clone(),
        sub,
        ip,
        origin.as_deref(),
        request_id,
        &mut trace,
    )
    .await;
    answer(
        state,
        &config,
        started,
        ip,
        request_id,
        origin.as_deref(),
        trace,
        result,
    )
}

#[allow(clippy::too_many_arguments)]
fn answer(
    state: &AppState,
    config: &Config,
    started: Instant,
    ip: IpAddr,
    request_id: &str,
    origin: Option<&str>,
    trace: Trace,
    result: Result<crate::protocol::Reply, ApiError>,
) -> Resp {
    let body = envelope::encode(&result);
    let code = result.as_ref().map_or_else(ApiError::code, |_| code::OK);
    let elapsed = started.elapsed();
    state
        .metrics
        .request(trace.method, code, elapsed.as_secs_f64());
    log_request(request_id, ip, &trace, code, elapsed, result.as_ref().err());
    let mut r = Response::new(Full::new(body));
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON));
    if let Some(origin) = origin {
        let allowed = trace
            .origin_allowed
            .unwrap_or_else(|| config.apps.any_allows_origin(origin));
        r.headers_mut()
            .insert(header::VARY, HeaderValue::from_static("Origin"));
        if allowed {
            add_cors(r.headers_mut(), origin);
        }
    }
    r
}

fn log_request(
    request_id: &str,
    ip: IpAddr,
    t: &Trace,
    code: u16,
    elapsed: Duration,
    err: Option<&ApiError>,
) {
    let appid = t.appid.as_deref().unwrap_or("-");
    let v = t.v.as_deref().unwrap_or("-");
    let params = t.params.as_deref().unwrap_or("-");
    let latency_ms = elapsed.as_secs_f64() * 1000.0;
    let user_id = t.user_id.unwrap_or(0);
    match err {
        Some(ApiError::Internal(e)) => tracing::error!(
            request_id, appid, method = t.method, v, code, latency_ms, %ip, user_id, params,
            error = %format!("{e:#}"), "request failed"
        ),
        _ => tracing::info!(
            request_id, appid, method = t.method, v, code, latency_ms, %ip, user_id, params, "request"
        ),
    }
}

enum Refusal {
    /// Refused at the HTTP level with this status.
    Transport(StatusCode),
    /// The body is not what its Content-Type says: answered as code 504.
    Body,
}

async fn read_submission(
    config: &Config,
    req: Request<Incoming>,
) -> Result<body::Submission, Refusal> {
    let server = &config.settings.server;
    let kind = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(BodyKind::from_content_type)
        .ok_or(Refusal::Transport(StatusCode::UNSUPPORTED_MEDIA_TYPE))?;
    let limit = if kind.is_multipart() {
        server.upload_limit_bytes
    } else {
        server.body_limit_bytes
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(Refusal::Transport(StatusCode::PAYLOAD_TOO_LARGE));
    }
    let deadline = Duration::from_millis(server.body_read_timeout_ms);
    let collected =
        tokio::time::timeout(deadline, Limited::new(req.into_body(), limit).collect()).await;
    let bytes = match collected {
        Err(_) => return Err(Refusal::Transport(StatusCode::REQUEST_TIMEOUT)),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => {
            return Err(Refusal::Transport(StatusCode::PAYLOAD_TOO_LARGE));
        }
        Ok(Err(_)) => return Err(Refusal::Transport(StatusCode::BAD_REQUEST)),
        Ok(Ok(c)) => c.to_bytes(),
    };
    body::parse(&kind, bytes, limit).await.map_err(|e| match e {
        BodyError::TooLarge => Refusal::Transport(StatusCode::PAYLOAD_TOO_LARGE),
        BodyError::Malformed(_) => Refusal::Body,
    })
}

/// A transport-level refusal. The body may be unread, so the connection closes.
fn transport(status: StatusCode) -> Resp {
    let body = format!(
        r#"{{"error":"{}"}}"#,
        status.canonical_reason().unwrap_or("error")
    );
    let mut r = text(status, JSON, body);
    r.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    r
}

async fn readyz(state: &AppState) -> Resp {
    let (pg, redis) = state.stores.readiness(Duration::from_secs(1)).await;
    let word = |up: bool| if up { "up" } else { "down" };
    let body = format!(r#"{{"postgres":"{}","redis":"{}"}}"#, word(pg), word(redis));
    let status = if pg && redis {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    text(status, JSON, body)
}

fn metrics(state: &AppState) -> Resp {
    let pg = state.stores.pg.status();
    state
        .metrics
        .pool("postgres", pg.size, pg.available, pg.max_size);
    text(
        StatusCode::OK,
        "text/plain; version=0.0.4; charset=utf-8",
        state.metrics.encode(),
    )
}

fn text(status: StatusCode, content_type: &'static str, body: impl Into<Bytes>) -> Resp {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}
