//! The hostile-input generator: malformed request bodies of many kinds
//! (bad percent-encoding, invalid UTF-8, broken multipart, deep nesting,
//! wrong types, duplicate keys, NUL bytes, nonsense under a valid
//! signature, random bytes), deterministic from a seed so a failure
//! replays. Well-formed parts (fixed parameters, signature, encodings) come
//! from [`super::wire`], as every other test request's do.

use serde_json::json;

use super::IOS_SECRET;
use super::wire::{self, BOUNDARY, Encoding, FORM, JSON};

/// A tiny deterministic generator (xorshift64*), so a failure replays.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// One generated request: its Content-Type header and body.
pub struct Case {
    pub kind: &'static str,
    pub content_type: Vec<u8>,
    pub body: Vec<u8>,
}

/// `data` signed with the iOS test secret, in one of the three encodings
/// (a form when JSON cannot carry it).
fn signed(rng: &mut Rng, kind: &'static str, data: &[u8]) -> Case {
    let encoding = match rng.below(3) {
        0 => Encoding::Form,
        1 => Encoding::Multipart,
        _ if std::str::from_utf8(data).is_ok() => Encoding::Json,
        _ => Encoding::Form,
    };
    let (content_type, body) = wire::signed_body(data, IOS_SECRET, encoding);
    Case {
        kind,
        content_type: content_type.into_bytes(),
        body,
    }
}

/// A signed multipart body of `data` (data and sign parts).
fn multipart_body(data: &[u8]) -> Vec<u8> {
    wire::signed_body(data, IOS_SECRET, Encoding::Multipart).1
}

const METHODS: &[&str] = &[
    "system.ping",
    "system.request.token",
    "sms.send",
    "sms.verify",
    "user.login",
    "user.register",
    "user.logout",
    "user.detail",
    "user.pwd.edit",
    "user.pwd.find",
    "no.such.method",
];

fn any_method(rng: &mut Rng) -> &'static str {
    let m: &&'static str = rng.pick(METHODS);
    m
}

/// Well-formed fixed parameters (current timestamp, iOS appid) for `method`,
/// as JSON text fragments so a test can put any raw token in a value.
fn fixed_fields(method: &str) -> Vec<(String, String)> {
    wire::fixed_params(method, "ios_app_id", chrono::Utc::now().timestamp())
        .into_iter()
        .map(|(k, v)| (k, v.to_string()))
        .collect()
}

fn object_text(fields: &[(String, String)]) -> String {
    let inner: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{}:{v}", json!(k)))
        .collect();
    format!("{{{}}}", inner.join(","))
}

/// Raw JSON tokens that are wrong for a fixed parameter one way or another.
const WRONG_VALUES: &[&str] = &[
    "null",
    "true",
    "[]",
    "{}",
    "[\"1.0.0\"]",
    "{\"a\":1}",
    "\"\"",
    "0",
    "-1",
    "1.5",
    "1e400",
    "-1e400",
    "1E+308",
    "1234567890123456789012345678901234567890",
    "-1234567890123456789012345678901234567890",
    "18446744073709551616",
    "\"1234567890123456789012345678901234567890\"",
    "\"\\u0000\"",
    "\"a\\u0000b\"",
    "\"\\ud800\"",
    "\"1493898621\"",
    "\"9999999999\"",
    "\"0000000000\"",
    "\" 1\"",
    "\"５\"",
];

const PARAMS: &[&str] = &[
    "method",
    "v",
    "appid",
    "timestamp",
    "unique_id",
    "app_v",
    "platform",
    "channel",
    "device_token",
    "token",
    "req_token",
    "page",
    "number",
    "mobile",
    "key",
    "code",
    "login_type",
    "password",
];

/// Case number `i` of a run: the kinds take turns.
pub fn generate(rng: &mut Rng, i: usize) -> Case {
    match i % 13 {
        0 => bad_percent_encoding(rng),
        1 => invalid_utf8(rng),
        2 => truncated_multipart(rng),
        3 => bogus_boundary(rng),
        4 => deep_nesting(rng),
        5 | 6 => wrong_fixed_value(rng),
        7 => duplicate_keys(rng),
        8 => nul_bytes(rng),
        9 => not_an_object(rng),
        10 => long_names(rng),
        11 => signed_nonsense(rng),
        _ => random_bytes(rng),
    }
}

fn bad_percent_encoding(rng: &mut Rng) -> Case {
    const PIECES: &[&str] = &[
        "%",
        "%z",
        "%zz",
        "%4",
        "%E4%B8",
        "%FF%FE",
        "%00",
        "%%%",
        "+%2",
        "=",
        "&",
        "&&==",
        "data=",
        "sign=",
        "data=%7B%22method%22%3A",
        "%C0%80",
        "%ED%A0%80",
        "%F4%90%80%80",
    ];
    let body: String = (0..1 + rng.below(12)).map(|_| *rng.pick(PIECES)).collect();
    Case {
        kind: "bad percent-encoding",
        content_type: FORM.into(),
        body: body.into_bytes(),
    }
}

fn invalid_utf8(rng: &mut Rng) -> Case {
    const BAD: &[&[u8]] = &[
        b"\xff",
        b"\xfe\xff",
        b"\xc0\x80",
        b"\xed\xa0\x80",
        b"\xe4\xb8",
        b"\x80",
    ];
    let fields = fixed_fields(any_method(rng));
    let at = rng.below(fields.len());
    let mut data = object_text(&fields).into_bytes();
    // Put the bad bytes inside the chosen value's string (or after it).
    let needle = format!("{}:", json!(fields[at].0));
    let pos = find(&data, needle.as_bytes()).map_or(1, |p| p + needle.len() + 1);
    let bad = rng.pick(BAD);
    data.splice(pos..pos, bad.iter().copied());
    signed(rng, "invalid UTF-8", &data)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn truncated_multipart(rng: &mut Rng) -> Case {
    let data = object_text(&fixed_fields(any_method(rng)));
    let body = multipart_body(data.as_bytes());
    let cut = rng.below(body.len());
    Case {
        kind: "truncated multipart",
        content_type: wire::multipart_type().into_bytes(),
        body: body[..cut].to_vec(),
    }
}

fn bogus_boundary(rng: &mut Rng) -> Case {
    let long = "b".repeat(300);
    let content_types = [
        "multipart/form-data; boundary=other".to_string(),
        "multipart/form-data; boundary=".to_string(),
        "multipart/form-data; boundary=\"unclosed".to_string(),
        format!("multipart/form-data; boundary={long}"),
        "multipart/form-data; boundary=\"\"".to_string(),
        "multipart/form-data; boundary=a;boundary=b".to_string(),
        wire::multipart_type(),
    ];
    let data = object_text(&fixed_fields("system.ping"));
    let mut body = multipart_body(data.as_bytes());
    if rng.below(2) == 0 {
        // The right boundary in the header, a different one in the body.
        let text = String::from_utf8(body)
            .unwrap()
            .replace(BOUNDARY, "elsewhere");
        body = text.into_bytes();
    }
    Case {
        kind: "bogus boundary",
        content_type: rng.pick(&content_types).clone().into_bytes(),
        body,
    }
}

fn deep_nesting(rng: &mut Rng) -> Case {
    let depth = *rng.pick(&[129, 1_000, 10_000, 30_000]);
    let open = *rng.pick(&["[", "{\"a\":", "[{\"b\":"]);
    let data = open.repeat(depth);
    if rng.below(4) == 0 {
        // The JSON envelope itself nested, not just the data inside it.
        let body = format!("{{\"data\":{}", "[".repeat(depth));
        return Case {
            kind: "deep nesting (envelope)",
            content_type: JSON.into(),
            body: body.into_bytes(),
        };
    }
    signed(rng, "deep nesting", data.as_bytes())
}

fn wrong_fixed_value(rng: &mut Rng) -> Case {
    let mut fields = fixed_fields(any_method(rng));
    for _ in 0..1 + rng.below(2) {
        let key = rng.pick(PARAMS).to_string();
        let value = rng.pick(WRONG_VALUES).to_string();
        match fields.iter_mut().find(|(k, _)| *k == key) {
            Some(f) => f.1 = value,
            None => fields.push((key, value)),
        }
    }
    signed(
        rng,
        "wrong types and huge numbers",
        object_text(&fields).as_bytes(),
    )
}

fn duplicate_keys(rng: &mut Rng) -> Case {
    let mut fields = fixed_fields(any_method(rng));
    for _ in 0..1 + rng.below(3) {
        let key = rng.pick(PARAMS).to_string();
        let value = rng.pick(WRONG_VALUES).to_string();
        let at = rng.below(fields.len() + 1);
        fields.insert(at, (key, value));
    }
    signed(rng, "duplicate keys", object_text(&fields).as_bytes())
}

fn nul_bytes(rng: &mut Rng) -> Case {
    let mut data = object_text(&fixed_fields(any_method(rng))).into_bytes();
    let at = rng.below(data.len());
    data.insert(at, 0);
    match rng.below(3) {
        0 => signed(rng, "NUL bytes (data)", &data),
        1 => Case {
            kind: "NUL bytes (form)",
            content_type: FORM.into(),
            body: b"data=\0&sign=\0\0".to_vec(),
        },
        _ => {
            let mut fields = fixed_fields(any_method(rng));
            let key = rng.pick(PARAMS).to_string();
            fields.push((key, "\"\\u0000\\u0000x\"".into()));
            signed(rng, "NUL bytes (escaped)", object_text(&fields).as_bytes())
        }
    }
}

fn not_an_object(rng: &mut Rng) -> Case {
    let data = rng
        .pick(&[
            "\"system.ping\"",
            "[\"system.ping\"]",
            "1493898621",
            "null",
            "true",
            "",
            " ",
            "{}",
            "{\"method\":\"system.ping\"}",
            "[{\"method\":\"system.ping\",\"v\":\"1.0.0\",\"appid\":\"ios_app_id\"}]",
        ])
        .to_string();
    signed(rng, "data not an object", data.as_bytes())
}

fn long_names(rng: &mut Rng) -> Case {
    let len = *rng.pick(&[256, 4_096, 65_536, 200_000]);
    let name = "m".repeat(len);
    let mut fields = fixed_fields(&name);
    if rng.below(2) == 0 {
        let key = rng.pick(&["v", "appid", "token", "unique_id"]).to_string();
        let value = json!("x".repeat(len)).to_string();
        fields.retain(|(k, _)| *k != "method");
        fields.push(("method".into(), json!(rng.pick(METHODS)).to_string()));
        fields.retain(|(k, _)| *k != key);
        fields.push((key, value));
    }
    signed(rng, "extremely long names", object_text(&fields).as_bytes())
}

fn signed_nonsense(rng: &mut Rng) -> Case {
    let mut fields = fixed_fields(any_method(rng));
    for _ in 0..rng.below(6) {
        let key = format!("k{}", rng.below(1000));
        let value = match rng.below(4) {
            0 => json!(rng.below(1 << 20)).to_string(),
            1 => {
                let n = rng.below(64);
                json!(String::from_utf8_lossy(&rng.bytes(n))).to_string()
            }
            2 => rng.pick(WRONG_VALUES).to_string(),
            _ => format!("[{}]", rng.pick(WRONG_VALUES)),
        };
        fields.push((key, value));
    }
    if rng.below(2) == 0 {
        let key = rng.pick(PARAMS).to_string();
        let n = 1 + rng.below(40);
        let value = json!(String::from_utf8_lossy(&rng.bytes(n))).to_string();
        fields.retain(|(k, _)| *k != key);
        fields.push((key, value));
    }
    signed(
        rng,
        "valid signature over nonsense",
        object_text(&fields).as_bytes(),
    )
}

fn random_bytes(rng: &mut Rng) -> Case {
    let content_type = rng
        .pick(&[
            FORM.to_string(),
            JSON.to_string(),
            wire::multipart_type(),
            "text/plain".to_string(),
        ])
        .clone();
    let n = rng.below(4096);
    let mut body = rng.bytes(n);
    if content_type.starts_with("multipart") && rng.below(2) == 0 {
        let mut framed = format!("--{BOUNDARY}\r\n").into_bytes();
        framed.append(&mut body);
        body = framed;
    }
    Case {
        kind: "random bytes",
        content_type: content_type.into_bytes(),
        body,
    }
}
