//! The endpoint: `POST /` and `POST /api` with their transport rules
//! (docs/protocol.md §1: 405, 408, 413, 415, CORS), the body read within
//! its limits and deadline, the pipeline, and the answer with its log line.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};

use super::reply::{self, JSON, Resp};
use super::{Gateway, cors};
use crate::config::Config;
use crate::pipeline::{self, Outcome, Trace};
use crate::protocol::body::{self, BodyError, BodyKind};
use crate::protocol::error::{ApiError, code};
use crate::protocol::{client_ip, envelope};

pub(super) async fn endpoint(
    gw: &Gateway,
    peer: SocketAddr,
    req: Request<Incoming>,
    request_id: &str,
) -> Resp {
    if req.method() == Method::POST {
        return post(gw, peer, req, request_id).await;
    }
    let is_preflight = req.method() == Method::OPTIONS
        && req.headers().contains_key(header::ORIGIN)
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if is_preflight {
        return cors::preflight(&gw.config.load(), req.headers());
    }
    gw.state.metrics.transport_error(405);
    reply::not_allowed("POST")
}

/// The client's address: the peer, or what a trusted proxy says.
pub(super) fn client_ip_of(config: &Config, peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .map(HeaderValue::as_bytes);
    client_ip::resolve(
        peer.ip(),
        forwarded,
        &config.settings.server.trusted_proxies,
    )
}

async fn post(gw: &Gateway, peer: SocketAddr, req: Request<Incoming>, request_id: &str) -> Resp {
    let started = Instant::now();
    // One configuration snapshot for the whole request, limits to handler.
    let config = gw.config.load_full();
    let ip = client_ip_of(&config, peer, req.headers());
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let outcome = match read_submission(&config, req).await {
        Ok(submission) => {
            let request = pipeline::Request {
                submission,
                ip,
                request_id,
            };
            pipeline::process(&gw.state, &config, request).await
        }
        Err(Refusal::Transport(status)) => {
            gw.state.metrics.transport_error(status.as_u16());
            tracing::info!(request_id, %ip, status = status.as_u16(), "refused at transport");
            return reply::transport(status);
        }
        Err(Refusal::Body) => Outcome::refused(ApiError::new(
            code::METHOD_MISSING,
            "data 参数缺失或不是合法的 JSON 对象",
        )),
    };
    let elapsed = started.elapsed();
    let Outcome { result, trace } = outcome;
    let code = result.as_ref().map_or_else(ApiError::code, |_| code::OK);
    gw.state
        .metrics
        .request(trace.method, code, elapsed.as_secs_f64());
    log_request(request_id, ip, &trace, code, elapsed, result.as_ref().err());
    let mut r = Response::new(Full::new(envelope::encode(&result)));
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON));
    if let Some(origin) = origin {
        let allowed = cors::allowed(&config, trace.appid.as_deref(), &origin);
        cors::decorate(r.headers_mut(), &origin, allowed);
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
    // A server caller's own id for the request (docs/protocol.md §3.4).
    let request_no = t.request_no.as_deref().unwrap_or("-");
    match err {
        Some(ApiError::Internal(e)) => tracing::error!(
            request_id, request_no, appid, method = t.method, v, code, latency_ms, %ip, user_id, params,
            error = %format!("{e:#}"), "request failed"
        ),
        _ => tracing::info!(
            request_id, request_no, appid, method = t.method, v, code, latency_ms, %ip, user_id, params, "request"
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
    let deadline = server.body_read_timeout_ms;
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
