//! The HTTP surface: the listener and its connection lifecycle, the routes
//! (the endpoint `POST /` and `POST /api`, the ops routes, the payment
//! notifications `POST /notify/pay/<driver>`, the console), CORS, request
//! ids, body reading, and one log line and one metrics sample per request.
//! May use `pipeline` and everything below it.

pub mod access_log;
pub mod body;
mod console;
mod cors;
mod endpoint;
mod listener;
mod notify;
mod ops;
mod reply;
mod signed;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use hyper::body::Incoming;
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use hyper::{Request, StatusCode};

pub use listener::serve;
pub use reply::Resp;

use crate::config::ConfigCell;
use crate::handler::{AppState, Registry};

// Header names as constants: a `&str` name is parsed and hashed anew on
// every lookup.
const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
pub(super) const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
/// Payment notifications: the driver's name follows (docs/protocol.md, "Payments").
const NOTIFY_PAY: &str = "/notify/pay/";

/// What the HTTP layer serves from: the shared services and the config
/// in force (each request takes one snapshot of it).
pub struct Gateway {
    pub state: Arc<AppState>,
    /// Every method, and the payment subjects their products declared.
    pub registry: Registry,
    pub config: ConfigCell,
    /// Request body bytes that may be in memory at once.
    pub budget: body::BodyBudget,
}

/// Answer one HTTP request.
pub async fn route(gw: Arc<Gateway>, peer: SocketAddr, req: Request<Incoming>) -> Resp {
    let request_id = request_id(&gw.state, req.headers());
    warn_untrusted_forwarding(&gw, peer, req.headers());
    let mut resp = match req.uri().path() {
        "/" | "/api" => endpoint::endpoint(&gw, peer, req, &request_id).await,
        "/healthz" => ops::healthz(&req),
        "/readyz" => ops::readyz(&gw, &req).await,
        "/metrics" => ops::metrics(&gw, peer, &req),
        path if path.starts_with(NOTIFY_PAY) => {
            let driver = path[NOTIFY_PAY.len()..].to_string();
            notify::notify(&gw, &driver, req).await
        }
        p if console::owns(p) => console::serve(&gw, &req),
        _ => reply::text(
            StatusCode::NOT_FOUND,
            reply::JSON,
            r#"{"error":"not found"}"#,
        ),
    };
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        resp.headers_mut().insert(REQUEST_ID, v);
    }
    resp
}

/// Whether [`warn_untrusted_forwarding`] has warned in this process.
static FORWARDING_WARNED: AtomicBool = AtomicBool::new(false);

/// Warn once per process when a request carries X-Forwarded-For while no
/// proxy is trusted: behind a load balancer every client then looks like
/// the balancer (docs/protocol.md §12.4).
fn warn_untrusted_forwarding(gw: &Gateway, peer: SocketAddr, headers: &HeaderMap) {
    if FORWARDING_WARNED.load(Ordering::Relaxed) || !headers.contains_key(X_FORWARDED_FOR) {
        return;
    }
    let untrusted = gw.config.load().settings.server.trusted_proxies.is_empty();
    if untrusted && !FORWARDING_WARNED.swap(true, Ordering::Relaxed) {
        tracing::warn!(
            peer = %peer.ip(),
            "requests carry X-Forwarded-For but server.trusted_proxies is empty: \
             each client is taken to be its socket peer, so behind a proxy or load \
             balancer all clients share its address (allow lists, bans, /metrics); \
             list the proxies in server.trusted_proxies (logged once)"
        );
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
    let mut id = String::with_capacity(16);
    push_hex(&mut id, u64::from(state.instance_tag()));
    push_hex(&mut id, state.metrics.next_request_id());
    id
}

/// `n` in lowercase hex, at least 8 digits (what `{:08x}` writes, without
/// `core::fmt` on every request).
fn push_hex(out: &mut String, n: u64) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let nibbles = (64 - n.leading_zeros()).div_ceil(4).max(8);
    for shift in (0..nibbles).rev() {
        out.push(char::from(DIGITS[((n >> (shift * 4)) & 0xf) as usize]));
    }
}

#[cfg(test)]
mod tests {
    use super::push_hex;

    #[test]
    fn request_ids_are_written_as_format_would() {
        for n in [0, 1, 0xabc, 0xffff_ffff, 0x1_0000_0000, u64::MAX] {
            let mut s = String::new();
            push_hex(&mut s, n);
            assert_eq!(s, format!("{n:08x}"));
        }
    }
}
