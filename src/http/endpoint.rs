//! The endpoint: `POST /` and `POST /api` with their transport rules
//! (docs/protocol.md §1: 405, 408, 413, 415, 503 when shedding, CORS), the
//! body (`http::body`), the pipeline, and the answer with its log line.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};

use super::body::{self, Held, Refusal};
use super::reply::{self, JSON, Resp};
use super::{Gateway, access_log, cors, signed};
use crate::config::Config;
use crate::handler::native;

use crate::pipeline::{self, Outcome, Trace};
use crate::protocol::error::{ApiError, code};
use crate::protocol::{client_ip, envelope};
use crate::stores::metrics::UNKNOWN_APPID;

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
        .get_all(super::X_FORWARDED_FOR)
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
    // The body's share of the memory budget is held until the answer is made.
    let (outcome, _held) = match body::read(&config, &gw.budget, req).await {
        Ok((submission, held)) => {
            let request = pipeline::Request {
                submission,
                ip,
                request_id,
            };
            (
                pipeline::process(&gw.state, &gw.registry, &config, request).await,
                held,
            )
        }
        Err(Refusal::Transport(status)) => {
            return transport(gw, (&config, origin.as_deref()), request_id, ip, status);
        }
        Err(Refusal::Shed) => {
            tracing::warn!(request_id, %ip, "body memory budget spent; request shed");
            let status = StatusCode::SERVICE_UNAVAILABLE;
            return transport(gw, (&config, origin.as_deref()), request_id, ip, status);
        }
        Err(Refusal::Body) => (
            Outcome::refused(ApiError::new(
                code::METHOD_MISSING,
                "data 参数缺失或不是合法的 JSON 对象",
            )),
            Held::default(),
        ),
        Err(Refusal::Spool(why)) => (
            Outcome::refused(ApiError::Internal(anyhow::anyhow!(
                "spooling an upload: {why}"
            ))),
            Held::default(),
        ),
    };
    let elapsed = started.elapsed();
    let Outcome {
        result,
        trace,
        debug,
    } = outcome;
    let code = result.as_ref().map_or_else(ApiError::code, |_| code::OK);
    // Only a configured appid becomes a label, never client-chosen text.
    let appid = trace.appid.as_deref().and_then(|a| config.apps.get(a));
    let appid = appid.map_or(UNKNOWN_APPID, |app| app.appid.as_str());
    gw.state
        .metrics
        .request(appid, trace.method, code, elapsed.as_secs_f64());
    let mask = &config.settings.log.mask;
    log_request(
        request_id,
        ip,
        (&trace, mask),
        code,
        elapsed,
        result.as_ref().err(),
    );
    let (status, body) = match &trace.product {
        Some((d, method)) => {
            let n = native::render(d, &result, method);
            (
                StatusCode::from_u16(n.status).unwrap_or(StatusCode::OK),
                n.body,
            )
        }
        None => (
            StatusCode::OK,
            envelope::encode_with_debug(&result, debug.as_deref()),
        ),
    };
    let mut r = Response::new(Full::new(body.clone()));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON));
    signed::decorate(&config, &trace, &body, r.headers_mut());
    if let Some(origin) = origin {
        let allowed = cors::allowed(&config, trace.appid.as_deref(), &origin);
        cors::decorate(r.headers_mut(), &origin, allowed);
    }
    r
}

/// A refusal before the pipeline (400, 408, 413, 415, 503). A page on an
/// origin some enabled appid allows can read it, as the preflight decided
/// (docs/protocol.md §12.5): no appid is known yet.
fn transport(
    gw: &Gateway,
    (config, origin): (&Config, Option<&str>),
    request_id: &str,
    ip: IpAddr,
    status: StatusCode,
) -> Resp {
    gw.state.metrics.transport_error(status.as_u16());
    tracing::info!(request_id, %ip, status = status.as_u16(), "refused at transport");
    let mut r = reply::transport(status);
    if let Some(origin) = origin {
        cors::decorate(r.headers_mut(), origin, cors::allowed(config, None, origin));
    }
    r
}

/// The request's log line (`http::access_log`). Its fields are evaluated
/// only when its level is enabled, so at `warn` the parameters are never
/// masked (nor formatted).
fn log_request(
    request_id: &str,
    ip: IpAddr,
    (t, mask): (&Trace, &[String]),
    code: u32,
    elapsed: Duration,
    err: Option<&ApiError>,
) {
    let appid = t.appid.as_deref().unwrap_or("-");
    let v = t.v.as_deref().unwrap_or("-");
    let params = t.params(mask);
    let latency_ms = elapsed.as_secs_f64() * 1000.0;
    let user_id = t.user_id.unwrap_or(0);
    // A server caller's own id for the request (docs/protocol.md §3.4).
    let request_no = t.request_no.as_deref().unwrap_or("-");
    match err {
        Some(ApiError::Internal(e)) => tracing::error!(
            request_id, request_no, appid, method = t.method, v, code, latency_ms, %ip, user_id, %params,
            error = %format_args!("{e:#}"), "request failed"
        ),
        _ if access_log::installed() => {
            if tracing::enabled!(tracing::Level::INFO) {
                access_log::write(&access_log::Line {
                    request_id,
                    request_no,
                    appid,
                    method: t.method,
                    v,
                    code,
                    latency_ms,
                    ip,
                    user_id,
                    data: t.data.as_deref().and_then(serde_json::Value::as_object),
                    mask,
                });
            }
        }
        _ => tracing::info!(
            request_id, request_no, appid, method = t.method, v, code, latency_ms, %ip, user_id, %params, "request"
        ),
    }
}
