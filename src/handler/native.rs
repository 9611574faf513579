//! Product answers (docs/protocol.md §4.2): under an appid with
//! `answers = "product"`, a product's methods answer in the envelope its
//! seed documents, with its success code and message, and each protocol
//! refusal mapped to the nearest code the product has, from one table per
//! product ([`MAPPINGS`], printed in docs/codes.md). The checks are the
//! same; only the answer's form changes.

use bytes::Bytes;
use serde_json::{Map, Value};

use super::dialect::{Dialect, Envelope};
use crate::protocol::Reply;
use crate::protocol::error::{ApiResult, code};

/// One row of a product's table: a protocol code, the product's code for
/// it, the seed's message when the product has one for it (else the
/// refusal's own), and the HTTP status its clients read.
#[derive(Clone, Copy, Debug)]
pub struct Mapping {
    pub from: &'static [u32],
    pub to: u32,
    pub msg: Option<&'static str>,
    pub status: u16,
}

const fn map(from: &'static [u32], to: u32, msg: Option<&'static str>, status: u16) -> Mapping {
    Mapping {
        from,
        to,
        msg,
        status,
    }
}

const SESSION: &[u32] = &[
    code::SESSION_EXPIRED,
    code::DISPLACED,
    code::PASSWORD_CHANGED,
];
/// The protocol's refusals of the request's form: the parameters of the
/// call rather than the action.
const FORM: &[u32] = &[
    code::BUSINESS,
    code::METHOD_MISSING,
    code::VERSION_MISSING,
    code::APPID_INVALID,
    code::TIMESTAMP_INVALID,
];

/// Seed 000: HTTP statuses 400 (parameters, actions), 401 (tokens), 403
/// (rights), 404 (not found), 500 (the server).
const HOME: &[Mapping] = &[
    map(
        &[code::NOT_LOGGED_IN],
        10001,
        Some("请求 header 中未携带 token 令牌"),
        401,
    ),
    map(SESSION, 10002, Some("token令牌无效或已过期"), 401),
    map(FORM, 10000, None, 400),
    map(
        &[
            code::FORBIDDEN,
            code::IP_NOT_ALLOWED,
            code::IP_BANNED,
            code::ROLE_REQUIRED,
        ],
        10010,
        None,
        403,
    ),
    map(&[code::NOT_FOUND, code::NO_SUCH_METHOD], 10008, None, 404),
    map(
        &[code::RATE_LIMITED, code::LOGIN_LOCKED, code::SMS_CODE_WRONG],
        10009,
        None,
        400,
    ),
    map(
        &[code::ALREADY_REGISTERED, code::NOT_REGISTERED],
        10009,
        None,
        400,
    ),
    map(&[code::INTERNAL], 10009, None, 500),
];

/// Seed 002: 100 未登录, 600 token无效或过期, 400 操作失败 for every
/// other refusal, 500 异常.
const SUPPLIER: &[Mapping] = &[
    map(&[code::NOT_LOGGED_IN], 100, Some("未登录"), 200),
    map(SESSION, 600, Some("token无效或过期"), 200),
    map(&[code::INTERNAL], 500, None, 200),
    map(FORM, 400, None, 200),
    map(
        &[
            code::FORBIDDEN,
            code::NOT_FOUND,
            code::IP_NOT_ALLOWED,
            code::NO_SUCH_METHOD,
            code::IP_BANNED,
            code::RATE_LIMITED,
            code::ALREADY_REGISTERED,
            code::NOT_REGISTERED,
            code::LOGIN_LOCKED,
            code::ROLE_REQUIRED,
            code::SMS_CODE_WRONG,
        ],
        400,
        None,
        200,
    ),
];

/// Seed 004: 10007 token无效或不存在 for sessions, 10001 参数不合法 for
/// the form, 10000 接口不存在, 500 未知错误; refusals it has no code for
/// keep the protocol's.
const MP: &[Mapping] = &[
    map(
        &[
            code::NOT_LOGGED_IN,
            code::SESSION_EXPIRED,
            code::DISPLACED,
            code::PASSWORD_CHANGED,
        ],
        10007,
        Some("token无效或不存在"),
        200,
    ),
    map(FORM, 10001, None, 200),
    map(&[code::NO_SUCH_METHOD], 10000, Some("接口不存在"), 200),
    map(&[code::SMS_CODE_WRONG], 10005, None, 200),
    map(&[code::INTERNAL], 500, None, 200),
];

/// Every product's table, for docs/codes.md.
pub const MAPPINGS: &[(&str, Envelope, &[Mapping])] = &[
    ("home", Envelope::Home, HOME),
    ("consult", Envelope::Consult, &[]),
    ("supplier", Envelope::Supplier, SUPPLIER),
    ("mp", Envelope::Mp, MP),
];

fn table_of(envelope: Envelope) -> &'static [Mapping] {
    MAPPINGS
        .iter()
        .find(|(_, e, _)| *e == envelope)
        .map_or(&[], |(_, _, t)| *t)
}

/// What a refusal with protocol `code` answers in `envelope`: its code,
/// the seed's message if any, and the HTTP status.
pub fn mapped(envelope: Envelope, code: u32) -> (u32, Option<&'static str>, u16) {
    let fallback = if envelope == Envelope::Home { 400 } else { 200 };
    table_of(envelope)
        .iter()
        .find(|m| m.from.contains(&code))
        .map_or((code, None, fallback), |m| (m.to, m.msg, m.status))
}

/// An answer in a product's envelope.
#[derive(Debug)]
pub struct Native {
    pub status: u16,
    pub body: Bytes,
}

/// `result` in `d`'s envelope; `method` is named in seed 000's `request`.
pub fn render(d: &Dialect, result: &ApiResult<Reply>, method: &str) -> Native {
    let mut out = Map::new();
    let status = match result {
        Ok(reply) => {
            success(d, reply, &mut out);
            200
        }
        Err(e) => {
            let (code, seed_msg, status) = mapped(d.envelope, e.code());
            let msg = seed_msg.unwrap_or_else(|| e.public_msg());
            let (code_key, msg_key) = keys(d.envelope);
            out.insert(code_key.into(), code.into());
            out.insert(msg_key.into(), msg.into());
            match d.envelope {
                Envelope::Home => {
                    out.insert("request".into(), format!("POST {method}").into());
                }
                Envelope::Supplier => {
                    out.insert("data".into(), Value::Object(Map::new()));
                }
                Envelope::Gateway | Envelope::Consult | Envelope::Mp => {}
            }
            status
        }
    };
    // A map of JSON values always serialises.
    let body = serde_json::to_vec(&out).unwrap_or_default();
    Native {
        status,
        body: Bytes::from(body),
    }
}

/// The keys of the code and the message.
fn keys(envelope: Envelope) -> (&'static str, &'static str) {
    match envelope {
        Envelope::Home => ("error_code", "message"),
        Envelope::Mp => ("code", "message"),
        Envelope::Gateway | Envelope::Consult | Envelope::Supplier => ("code", "msg"),
    }
}

fn success(d: &Dialect, reply: &Reply, out: &mut Map<String, Value>) {
    let data: Option<Value> = reply
        .data
        .as_deref()
        .and_then(|b| serde_json::from_slice(b).ok());
    let (code_key, msg_key) = keys(d.envelope);
    match d.envelope {
        Envelope::Home => {
            // Seed 000's arrays are answered as `data.list` in the
            // gateway's envelope (data is always an object there).
            let data = match data {
                Some(Value::Object(mut o)) if o.len() == 1 && o.contains_key("list") => {
                    o.remove("list").unwrap_or(Value::Null)
                }
                Some(v) => v,
                None => Value::Null,
            };
            out.insert(code_key.into(), 0.into());
            out.insert("data".into(), data);
            out.insert(msg_key.into(), d.ok.into());
        }
        Envelope::Consult => {
            // Seed 001 puts its `content` at the top, beside the code; what
            // else the answer carries (a token, paging) stands beside it.
            out.insert(code_key.into(), 0.into());
            out.insert(msg_key.into(), d.ok.into());
            let mut rest = match data {
                Some(Value::Object(o)) => o,
                _ => Map::new(),
            };
            let content = rest
                .remove("content")
                .unwrap_or_else(|| Value::Array(Vec::new()));
            out.insert("content".into(), content);
            out.extend(rest);
        }
        Envelope::Supplier | Envelope::Mp | Envelope::Gateway => {
            let ok = if d.envelope == Envelope::Supplier {
                200
            } else {
                0
            };
            out.insert(code_key.into(), ok.into());
            out.insert(msg_key.into(), reply.msg.as_ref().into());
            out.insert(
                "data".into(),
                data.unwrap_or_else(|| Value::Object(Map::new())),
            );
        }
    }
}

/// docs/codes.md's table of the product answers.
pub fn markdown() -> String {
    let mut out = String::from(
        "\n## Product answers\n\n\
         Under an appid with `answers = \"product\"` (docs/protocol.md §4.2) a product's methods \
         answer in its seed's envelope: home `{error_code, data, message}` (a failure carries \
         `request` instead of `data`), consult `{code, msg, content}`, supplier `{code, msg, data}`, \
         mp `{code, message, data}`. Success is 0 (supplier: 200). The product's own codes pass \
         unchanged; the protocol's refusals are answered as below (a code not listed keeps its \
         number and message; home answers it with HTTP 400).\n\n\
         | product | protocol codes | answered as | message | HTTP |\n|---|---|---|---|---|\n",
    );
    for (name, _, table) in MAPPINGS {
        if table.is_empty() {
            out.push_str(&format!(
                "| {name} | every refusal | the same non-zero code | its own | 200 |\n"
            ));
        }
        for m in *table {
            let from: Vec<String> = m.from.iter().map(u32::to_string).collect();
            let msg = m.msg.unwrap_or("the refusal's own");
            out.push_str(&format!(
                "| {name} | {} | {} | {msg} | {} |\n",
                from.join(", "),
                m.to,
                m.status
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handler::dialect::GATEWAY;
    use crate::protocol::error::ApiError;

    fn dialect(envelope: Envelope) -> Dialect {
        Dialect {
            envelope,
            ok: if envelope == Envelope::Home { "ok" } else { "" },
            ..GATEWAY
        }
    }

    fn body(n: &Native) -> Value {
        serde_json::from_slice(&n.body).unwrap()
    }

    #[test]
    fn home_answers_its_keys_in_order_and_unwraps_lists() {
        let ok = Reply::data("ok", &serde_json::json!({"list": [1, 2]})).unwrap();
        let n = render(&dialect(Envelope::Home), &Ok(ok), "home.category.list");
        assert_eq!(n.status, 200);
        assert_eq!(
            std::str::from_utf8(&n.body).unwrap(),
            r#"{"error_code":0,"data":[1,2],"message":"ok"}"#
        );
        let n = render(
            &dialect(Envelope::Home),
            &Err(ApiError::new(code::SESSION_EXPIRED, "登录超时")),
            "home.user.get",
        );
        assert_eq!(n.status, 401);
        assert_eq!(
            body(&n),
            serde_json::json!({"error_code": 10002, "message": "token令牌无效或已过期", "request": "POST home.user.get"})
        );
    }

    #[test]
    fn product_codes_pass_and_protocol_codes_map() {
        assert_eq!(mapped(Envelope::Home, 10013), (10013, None, 400));
        assert_eq!(mapped(Envelope::Supplier, 101), (101, None, 200));
        assert_eq!(mapped(Envelope::Supplier, code::NOT_LOGGED_IN).0, 100);
        assert_eq!(mapped(Envelope::Mp, code::BUSINESS).0, 10001);
        assert_eq!(mapped(Envelope::Consult, code::BUSINESS).0, code::BUSINESS);
        // Every protocol code has one row at most in each table.
        for (name, _, table) in MAPPINGS {
            let mut seen: Vec<u32> = table.iter().flat_map(|m| m.from.iter().copied()).collect();
            let n = seen.len();
            seen.sort_unstable();
            seen.dedup();
            assert_eq!(seen.len(), n, "{name}");
        }
    }

    #[test]
    fn consult_puts_content_at_the_top_and_mp_says_message() {
        let ok = Reply::data(
            "登录成功",
            &serde_json::json!({"content": [7], "token": "t"}),
        )
        .unwrap();
        let n = render(&dialect(Envelope::Consult), &Ok(ok), "consult.user.login");
        assert_eq!(
            std::str::from_utf8(&n.body).unwrap(),
            r#"{"code":0,"msg":"","content":[7],"token":"t"}"#
        );
        let n = render(
            &dialect(Envelope::Mp),
            &Ok(Reply::empty("发送成功")),
            "mp.sms.code",
        );
        assert_eq!(
            body(&n),
            serde_json::json!({"code": 0, "message": "发送成功", "data": {}})
        );
        let n = render(
            &dialect(Envelope::Supplier),
            &Err(ApiError::Internal(anyhow::anyhow!("db down"))),
            "supplier.home",
        );
        let b = body(&n);
        assert_eq!(
            (b["code"].as_u64(), b["data"].clone()),
            (Some(500), serde_json::json!({}))
        );
        assert!(!b["msg"].as_str().unwrap().contains("db down"));
    }
}
