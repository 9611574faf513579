//! The wire format of a signed call, built one way for every test: the
//! fixed parameters, the data text, its signature, the three body
//! encodings, and the envelope read back. `TestApp`, `Remote` and the
//! hostile-input generator all build their requests here.

use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Map, Value, json};
use yafgate::client;
use yafgate::protocol::sign::sign;

/// The `unique_id` of every well-formed test request.
pub const DEVICE: &str = "test-device-1";

/// The boundary of every multipart body the tests build.
pub const BOUNDARY: &str = "XBOUNDARYX";

/// The fixed parameters of a well-formed request from `appid` at `now`
/// (Unix seconds), as the gateway's own client fills them.
pub fn fixed_params(method: &str, appid: &str, now: i64) -> Map<String, Value> {
    let platform = match appid {
        "h5_app_id" => 3,
        "admin_app_id" | "limited_app_id" => 4,
        "android_app_id" => 2,
        "mp_app_id" | "home_app_id" | "supplier_app_id" => 6,
        _ => 1,
    };
    client::fixed_params(
        method,
        "1.0.0",
        appid,
        now,
        &client::Device::new(platform, DEVICE),
    )
}

/// Numbers the calls the harness builds.
static CALLS: AtomicU64 = AtomicU64::new(0);

/// The data text of a call: the fixed parameters, a fresh `nonce` (a key
/// the gateway ignores), and `params` (an object) merged over them. The
/// nonce makes two calls in the same second two requests rather than one
/// request sent twice, which write methods refuse as a replay
/// (docs/protocol.md §11.5); replay tests send one data text again.
pub fn call_data(method: &str, appid: &str, now: i64, params: Value) -> String {
    let mut data = fixed_params(method, appid, now);
    data.insert(
        "nonce".into(),
        Value::from(CALLS.fetch_add(1, Ordering::Relaxed)),
    );
    match params {
        Value::Object(p) => data.extend(p),
        Value::Null => {}
        other => panic!("call parameters must be an object, got {other}"),
    }
    Value::Object(data).to_string()
}

/// How the `data` and `sign` pair travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Form,
    Multipart,
    Json,
}

/// `data` signed with `secret`, encoded as `encoding`: the Content-Type and
/// the body. JSON bodies carry text, so `data` must be UTF-8 for them.
pub fn signed_body(data: &[u8], secret: &str, encoding: Encoding) -> (String, Vec<u8>) {
    let signature = sign(data, secret);
    match encoding {
        Encoding::Form => (
            FORM.to_string(),
            form_body(&[("data", data), ("sign", signature.as_bytes())]),
        ),
        Encoding::Multipart => (
            multipart_type(),
            multipart(&[
                Part::field("data", data),
                Part::field("sign", signature.as_bytes()),
            ]),
        ),
        Encoding::Json => {
            let text = std::str::from_utf8(data).expect("JSON bodies carry UTF-8 data");
            (
                JSON.to_string(),
                json!({"data": text, "sign": signature})
                    .to_string()
                    .into_bytes(),
            )
        }
    }
}

/// A signed multipart body with `extra` parts (files) after data and sign.
pub fn signed_multipart(data: &[u8], secret: &str, extra: &[Part<'_>]) -> Vec<u8> {
    let signature = sign(data, secret);
    let mut parts = vec![
        Part::field("data", data),
        Part::field("sign", signature.as_bytes()),
    ];
    parts.extend_from_slice(extra);
    multipart(&parts)
}

pub const FORM: &str = "application/x-www-form-urlencoded";
pub const JSON: &str = "application/json";

/// A urlencoded form of `fields` (values may be any bytes).
pub fn form_body(fields: &[(&str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (i, (name, value)) in fields.iter().enumerate() {
        if i > 0 {
            body.push(b'&');
        }
        body.extend(form_urlencoded::byte_serialize(name.as_bytes()).flat_map(str::bytes));
        body.push(b'=');
        body.extend(form_urlencoded::byte_serialize(value).flat_map(str::bytes));
    }
    body
}

/// One part of a multipart body: a plain field, or a PNG file.
#[derive(Clone, Copy)]
pub struct Part<'a> {
    pub name: &'a str,
    pub file_name: Option<&'a str>,
    pub bytes: &'a [u8],
}

impl<'a> Part<'a> {
    /// A plain form field.
    pub fn field(name: &'a str, bytes: &'a [u8]) -> Self {
        Self {
            name,
            file_name: None,
            bytes,
        }
    }

    /// A file part (sent as image/png).
    pub fn file(name: &'a str, file_name: &'a str, bytes: &'a [u8]) -> Self {
        Self {
            name,
            file_name: Some(file_name),
            bytes,
        }
    }
}

/// The Content-Type of the bodies [`multipart`] builds.
pub fn multipart_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

/// A multipart/form-data body of `parts`, delimited by [`BOUNDARY`].
pub fn multipart(parts: &[Part<'_>]) -> Vec<u8> {
    let mut b = Vec::new();
    for part in parts {
        b.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        let head = match part.file_name {
            Some(f) => format!(
                "Content-Disposition: form-data; name=\"{}\"; filename=\"{f}\"\r\nContent-Type: image/png\r\n\r\n",
                part.name
            ),
            None => format!(
                "Content-Disposition: form-data; name=\"{}\"\r\n\r\n",
                part.name
            ),
        };
        b.extend_from_slice(head.as_bytes());
        b.extend_from_slice(part.bytes);
        b.extend_from_slice(b"\r\n");
    }
    b.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    b
}

/// `data` signed with `secret`, as a form POST to `url`.
pub fn post_signed(
    http: &reqwest::Client,
    url: &str,
    data: &str,
    secret: &str,
) -> reqwest::RequestBuilder {
    let (content_type, body) = signed_body(data.as_bytes(), secret, Encoding::Form);
    http.post(url)
        .header("content-type", content_type)
        .body(body)
}

/// The one way a test builds a signed call: fill the fixed parameters of
/// `method` for `appid` at `now`, merge `params`, sign with `secret`, and
/// make the form POST to `url` (send it, or add headers first).
pub fn signed_call(
    http: &reqwest::Client,
    url: &str,
    now: i64,
    appid: &str,
    secret: &str,
    method: &str,
    params: Value,
) -> reqwest::RequestBuilder {
    post_signed(http, url, &call_data(method, appid, now, params), secret)
}

/// The JSON envelope of an HTTP 200 JSON answer, or what was wrong with it.
pub async fn read_envelope(resp: reqwest::Response) -> Result<Value, String> {
    let status = resp.status();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let text = resp.text().await.map_err(|e| format!("body cut: {e}"))?;
    if status != 200 {
        return Err(format!("HTTP status {status}; body: {text}"));
    }
    if content_type != "application/json; charset=utf-8" {
        return Err(format!("Content-Type {content_type:?}; body: {text}"));
    }
    let v: Value = serde_json::from_str(&text).map_err(|e| format!("not JSON ({e}): {text}"))?;
    if !v.is_object() {
        return Err(format!("not a JSON object: {text}"));
    }
    Ok(v)
}
