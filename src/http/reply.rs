//! Plain HTTP responses: the type every route answers with, and the small
//! JSON bodies of transport refusals and ops routes.

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{self, HeaderValue};
use hyper::{Response, StatusCode};

/// The response type of every route.
pub type Resp = Response<Full<Bytes>>;

pub(super) const JSON: &str = "application/json; charset=utf-8";

/// A response with a status, a content type and a body.
pub(super) fn text(status: StatusCode, content_type: &'static str, body: impl Into<Bytes>) -> Resp {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

/// 405 with the methods the route allows.
pub(super) fn not_allowed(allow: &'static str) -> Resp {
    let mut r = text(
        StatusCode::METHOD_NOT_ALLOWED,
        JSON,
        r#"{"error":"method not allowed"}"#,
    );
    r.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    r
}

/// A transport-level refusal. The body may be unread, so the connection closes.
pub(super) fn transport(status: StatusCode) -> Resp {
    let body = format!(
        r#"{{"error":"{}"}}"#,
        status.canonical_reason().unwrap_or("error")
    );
    let mut r = text(status, JSON, body);
    r.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    r
}
