//! Clients built for upstream Yaf-Server work unchanged (docs/protocol.md
//! §15). Each test posts the bytes an upstream client sends: `data` as
//! PHP's `json_encode(..., JSON_UNESCAPED_UNICODE)` writes it (integer
//! timestamps, `/` escaped as `\/`), as a form (the apps) or as
//! multipart/form-data (the back office's `ApiTools/Request.php`).

mod app_clients;
mod back_office;

use serde_json::{Map, Value, json};

use crate::helpers::wire::{self, Encoding, Part};
use crate::helpers::*;

/// What PHP's `json_encode($data, JSON_UNESCAPED_UNICODE)` writes for
/// `data`: UTF-8 as is, `/` escaped.
pub fn php_json(data: &Value) -> String {
    data.to_string().replace('/', "\\/")
}

fn merged(mut base: Map<String, Value>, params: Value) -> Value {
    if let Value::Object(p) = params {
        base.extend(p);
    }
    Value::Object(base)
}

/// The `data` of an upstream app (iOS) calling `method` at the gateway's
/// `now`: every fixed parameter, the timestamp an integer.
pub fn app_data(app: &TestApp, method: &str, params: Value) -> String {
    let Value::Object(base) = json!({
        "method": method, "v": "1.0.0", "appid": "ios_app_id", "timestamp": app.now(),
        "unique_id": "upstream-device-1", "app_v": "1.0.0", "platform": 1,
        "channel": "AppStore", "device_token": ""
    }) else {
        unreachable!()
    };
    php_json(&merged(base, params))
}

/// The `data` of upstream's back office (appid `admin_api_call`): only
/// `v`, `appid`, `platform` 5, `request_no` and an integer `timestamp`
/// beside `method` and its parameters.
pub fn admin_data(app: &TestApp, request_no: &str, method: &str, params: Value) -> String {
    let Value::Object(base) = json!({
        "v": "1.0.0", "appid": "admin_api_call", "platform": 5,
        "request_no": request_no, "timestamp": app.now(), "method": method
    }) else {
        unreachable!()
    };
    php_json(&merged(base, params))
}

/// Post `data` signed with `secret` in `encoding`; the envelope.
pub async fn post(app: &TestApp, data: &str, secret: &str, encoding: Encoding) -> Value {
    let (content_type, body) = wire::signed_body(data.as_bytes(), secret, encoding);
    envelope(app.post(&content_type, body).await).await
}

/// Post `data` with the given `sign` as multipart, as the back office does.
pub async fn post_multipart_signed(app: &TestApp, data: &str, sign: &str) -> Value {
    let body = wire::multipart(&[
        Part::field("data", data.as_bytes()),
        Part::field("sign", sign.as_bytes()),
    ]);
    envelope(app.post(&wire::multipart_type(), body).await).await
}

/// Move `app`'s clock to `unix` (give or take the second it takes).
pub fn set_clock(app: &TestApp, unix: i64) {
    app.state.clock.advance(unix - app.now());
}
