//! CORS for H5 pages (docs/protocol.md §12): which origins may read an
//! answer, decided in one place for preflights and for answers.

use hyper::StatusCode;
use hyper::header::{self, HeaderMap, HeaderValue};

use super::reply::{Resp, text};
use crate::config::Config;

/// Whether `origin` may read an answer to a request that named `appid`:
/// that appid's own origins when it is known and enabled, else those of
/// any enabled appid (so a refusal before the appid is known is readable
/// by the pages that could have asked).
pub fn allowed(config: &Config, appid: Option<&str>, origin: &str) -> bool {
    match appid.and_then(|a| config.apps.get(a)).filter(|a| a.enabled) {
        Some(app) => app.allows_origin(origin),
        None => config.apps.any_allows_origin(origin),
    }
}

/// The preflight answer: CORS headers for origins some enabled appid
/// lists, none for others.
pub fn preflight(config: &Config, headers: &HeaderMap) -> Resp {
    let mut r = text(StatusCode::NO_CONTENT, "text/plain", "");
    let origin = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let h = r.headers_mut();
    h.insert(header::VARY, HeaderValue::from_static("Origin"));
    if allowed(config, None, origin) {
        allow(h, origin);
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

/// Mark an answer for `origin`: `Vary` always, the allow headers when allowed.
pub fn decorate(h: &mut HeaderMap, origin: &str, allowed: bool) {
    h.insert(header::VARY, HeaderValue::from_static("Origin"));
    if allowed {
        allow(h, origin);
    }
}

fn allow(h: &mut HeaderMap, origin: &str) {
    if let Ok(v) = HeaderValue::from_str(origin) {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
        h.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("X-Request-Id, X-Yafgate-Sign, X-Yafgate-Sign-Slot"),
        );
    }
}
