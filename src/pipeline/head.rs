//! The first steps of docs/protocol.md §6: `data` decoded into an object,
//! the four parameters every request carries, and, once the method is
//! known, the device parameters (§3) and a server caller's `request_no`
//! (§3.4).

use std::net::IpAddr;

use serde_json::{Map, Value};

use crate::config::apps::{App, AppKind};
use crate::gate::request_no;
use crate::handler::{Caller, Entry};
use crate::protocol::error::{ApiError, ApiResult, code};
use crate::protocol::types::{Platform, Version, scalar_text};

/// Decode the signed `data` text, which must be a JSON object.
///
/// # Errors
/// Code 504 when `raw` is not JSON or not an object.
pub fn decode_data(raw: &[u8]) -> ApiResult<Map<String, Value>> {
    let mut de = serde_json::Deserializer::from_slice(raw);
    match serde::Deserializer::deserialize_map(&mut de, DataVisitor).and_then(|map| {
        de.end()?;
        Ok(map)
    }) {
        Ok(map) => Ok(map),
        Err(_) => Err(ApiError::new(
            code::METHOD_MISSING,
            "data 参数缺失或不是合法的 JSON 对象",
        )),
    }
}

/// The top-level object of `data`, read straight into a map sized for the
/// dozen or so parameters a request carries (a `Value` grows its map from
/// empty, rehashing twice on the way). Duplicate keys behave as in `Value`:
/// the last value wins, in the first one's place.
struct DataVisitor;

impl<'de> serde::de::Visitor<'de> for DataVisitor {
    type Value = Map<String, Value>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut access: A,
    ) -> Result<Self::Value, A::Error> {
        let mut map = Map::with_capacity(16);
        while let Some((key, value)) = access.next_entry::<String, Value>()? {
            map.insert(key, value);
        }
        Ok(map)
    }
}

/// The four parameters checked before anything else.
pub struct Head<'a> {
    pub method: &'a str,
    pub v: Version,
    pub v_text: &'a str,
    pub appid: &'a str,
    pub timestamp: &'a Value,
}

/// Check that `data` names a method, a well-formed `v`, an appid and a
/// timestamp, in that order.
///
/// # Errors
/// Codes 504, 505, 506 or 507 for the first of them missing or malformed.
pub fn read_head(data: &Map<String, Value>) -> ApiResult<Head<'_>> {
    let text = |key: &str| match data.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.as_str()),
        _ => None,
    };
    let method = text("method").ok_or_else(|| missing(code::METHOD_MISSING, "method"))?;
    let v_text = text("v").ok_or_else(|| missing(code::VERSION_MISSING, "v"))?;
    let v = v_text
        .parse()
        .map_err(|_| ApiError::new(code::VERSION_MISSING, "参数 v 格式不正确"))?;
    let appid = text("appid").ok_or_else(|| missing(code::APPID_INVALID, "appid"))?;
    let timestamp = data
        .get("timestamp")
        .filter(|t| scalar_text(t).is_some_and(|s| !s.is_empty()))
        .ok_or_else(|| missing(code::TIMESTAMP_INVALID, "timestamp"))?;
    Ok(Head {
        method,
        v,
        v_text,
        appid,
        timestamp,
    })
}

fn missing(code: u32, name: &str) -> ApiError {
    ApiError::new(code, format!("缺少参数 {name}"))
}

/// The fixed parameters beyond the first four; `bare` methods
/// (system.ping) skip them. `platform` must be one `app` may send. A server caller (admin and partner appids)
/// may leave out the device parameters, may send platform 5, and its
/// `request_no` is read (docs/protocol.md §3.4).
///
/// # Errors
/// 503 naming the first parameter missing or malformed.
pub fn caller(
    head: &Head<'_>,
    entry: &Entry,
    data: &Map<String, Value>,
    ip: IpAddr,
    request_id: &str,
    app: &App,
) -> ApiResult<Caller> {
    let server = app.kind.is_server();
    let mut caller = Caller {
        request_id: request_id.to_string(),
        appid: head.appid.to_string(),
        v: head.v.clone(),
        method: entry.method.name,
        platform: None,
        unique_id: String::new(),
        app_v: String::new(),
        channel: String::new(),
        device_token: String::new(),
        request_no: None,
        ip,
    };
    if entry.method.bare {
        return Ok(caller);
    }
    let field = |key: &str| -> ApiResult<String> {
        let text = match data.get(key).and_then(scalar_text) {
            Some(text) => text,
            // A server has no device: absent means empty.
            None if server && data.get(key).is_none_or(Value::is_null) => return Ok(String::new()),
            None => return Err(ApiError::business(format!("缺少参数 {key}"))),
        };
        if text.contains('\0') || text.len() > 255 {
            return Err(ApiError::business(format!("参数 {key} 格式不正确")));
        }
        Ok(text.into_owned())
    };
    caller.unique_id = field("unique_id")?;
    caller.app_v = field("app_v")?;
    let platform = data
        .get("platform")
        .ok_or_else(|| ApiError::business("缺少参数 platform"))?;
    caller.platform = Some(
        Platform::from_any_value(platform)
            .filter(|p| app.platforms.contains(p))
            .ok_or_else(|| bad_platform(app))?,
    );
    caller.channel = field("channel")?;
    caller.device_token = field("device_token")?;
    if server {
        caller.request_no = read_request_no(data)?;
    }
    Ok(caller)
}

/// 503 naming `platform` and what this appid may send (docs/protocol.md §3.2).
fn bad_platform(app: &App) -> ApiError {
    if app.platforms_narrowed {
        let list: Vec<String> = app
            .platforms
            .iter()
            .map(|p| p.number().to_string())
            .collect();
        return ApiError::business(format!(
            "参数 platform 不正确（此 appid 仅允许 {}）",
            list.join("、")
        ));
    }
    ApiError::business(match app.kind {
        AppKind::MiniProgram => "参数 platform 不正确（6-微信小程序）",
        k if k.is_server() => "参数 platform 不正确（1-iOS、2-Android、3-H5、4-web、5-服务端）",
        _ => "参数 platform 不正确（1-iOS、2-Android、3-H5、4-web）",
    })
}

/// A server caller's `request_no`: absent or empty is none; otherwise a
/// string of 1 to 64 `[A-Za-z0-9_-]`.
fn read_request_no(data: &Map<String, Value>) -> ApiResult<Option<String>> {
    match data.get("request_no") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) if request_no::well_formed(s) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::business(
            "参数 request_no 格式不正确（1-64 位字母、数字、_ 或 -）",
        )),
    }
}
