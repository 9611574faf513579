//! The response envelope `{"code": …, "msg": …, "data": …}` (docs/protocol.md §4):
//! `data` absent on errors and on successes that carry nothing, `{}` for an
//! empty payload, Unicode written as is.

use std::borrow::Cow;

use bytes::{BufMut, Bytes, BytesMut};
use serde::Serialize;

use crate::protocol::error::{ApiError, code};

/// A successful answer from a handler.
#[derive(Debug, Clone)]
pub struct Reply {
    pub msg: Cow<'static, str>,
    /// The serialised `data` object, or `None` when the answer carries nothing.
    pub data: Option<Bytes>,
}

impl Reply {
    /// A success that carries nothing (`user.logout`).
    pub fn empty(msg: impl Into<Cow<'static, str>>) -> Self {
        Self {
            msg: msg.into(),
            data: None,
        }
    }

    /// A success carrying `data`, which must serialise to a JSON object.
    ///
    /// # Errors
    /// Serialisation failed, or `data` is not an object (a bug: the protocol
    /// promises an object).
    pub fn data(
        msg: impl Into<Cow<'static, str>>,
        data: &impl Serialize,
    ) -> Result<Self, ApiError> {
        let bytes = serde_json::to_vec(data).map_err(anyhow::Error::from)?;
        Self::raw(msg, Bytes::from(bytes))
    }

    /// A success carrying an already-serialised JSON object (from a cache).
    ///
    /// # Errors
    /// `json` is not an object.
    pub fn raw(msg: impl Into<Cow<'static, str>>, json: Bytes) -> Result<Self, ApiError> {
        if json.first() != Some(&b'{') {
            return Err(ApiError::Internal(anyhow::anyhow!(
                "reply data must be a JSON object"
            )));
        }
        Ok(Self {
            msg: msg.into(),
            data: Some(json),
        })
    }
}

/// Write the envelope for a code, a message and optional `data` JSON.
pub fn envelope(code: u32, msg: &str, data: Option<&[u8]>) -> Bytes {
    write(code, msg, data, None)
}

fn write(code: u32, msg: &str, data: Option<&[u8]>, debug: Option<&[u8]>) -> Bytes {
    let extra = data.map_or(0, <[u8]>::len) + debug.map_or(0, <[u8]>::len);
    let mut out = BytesMut::with_capacity(64 + msg.len() + extra);
    out.put_slice(b"{\"code\":");
    out.put_slice(itoa::Buffer::new().format(code).as_bytes());
    out.put_slice(b",\"msg\":");
    // Writing a &str into a Vec cannot fail.
    let mut w = out.writer();
    let _ = serde_json::to_writer(&mut w, msg);
    let mut out = w.into_inner();
    if let Some(data) = data {
        out.put_slice(b",\"data\":");
        out.put_slice(data);
    }
    if let Some(debug) = debug {
        out.put_slice(b",\"debug\":");
        out.put_slice(debug);
    }
    out.put_u8(b'}');
    out.freeze()
}

/// The envelope of an outcome.
pub fn encode(outcome: &Result<Reply, ApiError>) -> Bytes {
    encode_with_debug(outcome, None)
}

/// The envelope of an outcome, with a refusal's `debug` object (a JSON
/// object) after `msg` (docs/protocol.md §2.1).
pub fn encode_with_debug(outcome: &Result<Reply, ApiError>, debug: Option<&[u8]>) -> Bytes {
    match outcome {
        Ok(r) => write(code::OK, &r.msg, r.data.as_deref(), None),
        Err(e) => write(e.code(), e.public_msg(), None, debug),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn parse(b: &Bytes) -> Value {
        serde_json::from_slice(b).unwrap()
    }

    #[test]
    fn errors_have_no_data_and_unicode_is_not_escaped() {
        let e = ApiError::business("账号或密码不正确");
        let b = encode(&Err(e));
        assert_eq!(
            std::str::from_utf8(&b).unwrap(),
            r#"{"code":503,"msg":"账号或密码不正确"}"#
        );
    }

    #[test]
    fn empty_success_has_no_data_and_empty_payload_is_an_object() {
        let b = encode(&Ok(Reply::empty("退出成功")));
        assert_eq!(parse(&b), json!({"code": 200, "msg": "退出成功"}));
        let empty: serde_json::Map<String, Value> = serde_json::Map::new();
        let b = encode(&Ok(Reply::data("success", &empty).unwrap()));
        assert_eq!(
            std::str::from_utf8(&b).unwrap(),
            r#"{"code":200,"msg":"success","data":{}}"#
        );
    }

    #[test]
    fn internal_errors_show_only_the_plain_message() {
        let e = ApiError::Internal(anyhow::anyhow!("connection refused to 10.0.0.5:5432"));
        let b = encode(&Err(e));
        let v = parse(&b);
        assert_eq!(v["code"], 500);
        assert!(!v["msg"].as_str().unwrap().contains("10.0.0.5"));
    }

    #[test]
    fn messages_are_escaped_as_json() {
        let b = envelope(503, "a \"quoted\"\n line", None);
        assert_eq!(parse(&b)["msg"], "a \"quoted\"\n line");
    }

    #[test]
    fn a_refusal_carries_its_debug_object_last() {
        let e = ApiError::new(code::FORBIDDEN, "签名错误");
        let b = encode_with_debug(&Err(e), Some(br#"{"data_length":2}"#));
        assert_eq!(
            std::str::from_utf8(&b).unwrap(),
            r#"{"code":403,"msg":"签名错误","debug":{"data_length":2}}"#
        );
        let ok = encode_with_debug(&Ok(Reply::empty("success")), Some(b"{}"));
        assert_eq!(parse(&ok), json!({"code": 200, "msg": "success"}));
    }

    #[test]
    fn non_object_data_is_refused() {
        assert!(Reply::data("x", &Vec::<i32>::new()).is_err());
    }
}
