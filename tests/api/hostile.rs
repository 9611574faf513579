//! Hostile clients: slowloris connections, oversized request heads, and ten
//! thousand malformed bodies against one real gateway process.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Mutex;
use yafgate::protocol::sign::sign;

use crate::helpers::procs;
use crate::helpers::*;

/// Read until the peer closes (EOF or reset); what arrived before that.
async fn read_until_closed(rd: &mut (impl AsyncRead + Unpin)) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match rd.read(&mut buf).await {
            Ok(0) | Err(_) => return got,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
}

/// The status of an HTTP/1.1 answer, or None when nothing came back.
fn status_of(answer: &[u8]) -> Option<u16> {
    let text = String::from_utf8_lossy(answer);
    let line = text.lines().next()?;
    line.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
}

/// How long a connection the server should close may stay open before the
/// test calls it a hang.
const CLOSE_WITHIN: Duration = Duration::from_secs(20);

/// Open a connection, send `head`, then one more byte every 50 ms until the
/// server closes it; what the server answered.
async fn trickle(port: u16, head: Vec<u8>, opened: tokio::sync::mpsc::Sender<()>) -> Vec<u8> {
    let stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let (mut rd, mut wr) = stream.into_split();
    wr.write_all(&head).await.unwrap();
    let _ = opened.send(()).await;
    let writer = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(50)).await;
            if wr.write_all(b"a").await.is_err() {
                return;
            }
        }
    });
    let answer = tokio::time::timeout(CLOSE_WITHIN, read_until_closed(&mut rd)).await;
    writer.abort();
    answer.expect("the server closes a slow connection")
}

#[tokio::test]
async fn slowloris_connections_are_cut_off_while_others_are_served() {
    let app = spawn_app_with(Options {
        server_extra: "header_read_timeout_ms = 300\nbody_read_timeout_ms = 300\n".into(),
        ..Options::default()
    })
    .await;
    const SLOW_HEADS: usize = 80;
    const SLOW_BODIES: usize = 20;
    let (opened_tx, mut opened_rx) = tokio::sync::mpsc::channel(SLOW_HEADS + SLOW_BODIES);
    let mut heads = Vec::new();
    for _ in 0..SLOW_HEADS {
        let head = b"POST / HTTP/1.1\r\nHost: x\r\nX-Slow: ".to_vec();
        heads.push(tokio::spawn(trickle(app.port, head, opened_tx.clone())));
    }
    let mut bodies = Vec::new();
    for _ in 0..SLOW_BODIES {
        let head = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 10000\r\n\r\ndata=".to_vec();
        bodies.push(tokio::spawn(trickle(app.port, head, opened_tx.clone())));
    }
    drop(opened_tx);
    for _ in 0..SLOW_HEADS + SLOW_BODIES {
        opened_rx.recv().await.expect("every slow client connects");
    }

    // A well-behaved client, on a fresh connection, is served meanwhile.
    // (Fresh each time: with a 300 ms header deadline a pooled connection
    // idles out, and reusing it just as the server closes it is a race.)
    assert_eq!(ping_code(&app.url).await, 200);

    for h in heads {
        let answer = h.await.unwrap();
        // hyper closes a connection whose head is late without answering.
        assert!(
            answer.is_empty() || status_of(&answer) == Some(408),
            "slow head answered: {}",
            String::from_utf8_lossy(&answer)
        );
    }
    for b in bodies {
        let answer = b.await.unwrap();
        assert_eq!(
            status_of(&answer),
            Some(408),
            "slow body answered: {}",
            String::from_utf8_lossy(&answer)
        );
    }
    assert_eq!(ping_code(&app.url).await, 200);
}

/// Send one raw request and read the answer until the server closes.
async fn raw_exchange(port: u16, request: &[u8]) -> Vec<u8> {
    let stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let (mut rd, mut wr) = stream.into_split();
    let request = request.to_vec();
    // The server may refuse before reading everything; a failed write is
    // expected then, and the answer is still read.
    let writer = tokio::spawn(async move {
        let _ = wr.write_all(&request).await;
        let _ = wr.shutdown().await;
    });
    let answer = tokio::time::timeout(CLOSE_WITHIN, read_until_closed(&mut rd))
        .await
        .expect("the server answers or closes");
    writer.abort();
    answer
}

/// An HTTP status, or None when the server closed without answering.
type Answer = Option<u16>;

fn request_with(line: &str, headers: &str) -> Vec<u8> {
    format!(
        "{line}\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 6\r\nConnection: close\r\n{headers}\r\ndata=x"
    )
    .into_bytes()
}

#[tokio::test]
async fn oversized_request_heads_are_refused_never_with_a_5xx() {
    let app = spawn_app().await;
    let many = |n: usize| (0..n).map(|i| format!("X-H{i}: v\r\n")).collect::<String>();
    // (what, request, acceptable answers)
    let cases: Vec<(&str, Vec<u8>, &[Answer])> = vec![
        (
            "one 20 KiB header",
            request_with(
                "POST / HTTP/1.1",
                &format!("X-Big: {}\r\n", "a".repeat(20 * 1024)),
            ),
            &[Some(431)],
        ),
        (
            "one 1 MiB header",
            request_with(
                "POST / HTTP/1.1",
                &format!("X-Big: {}\r\n", "a".repeat(1 << 20)),
            ),
            &[Some(431), None],
        ),
        (
            "150 small headers",
            request_with("POST / HTTP/1.1", &many(150)),
            &[Some(431), None],
        ),
        (
            "10 000 small headers",
            request_with("POST / HTTP/1.1", &many(10_000)),
            &[Some(431), None],
        ),
        (
            "a 20 KiB URI",
            request_with(&format!("POST /{} HTTP/1.1", "a".repeat(20 * 1024)), ""),
            &[Some(414), Some(431), None],
        ),
        (
            "a 1 MiB URI",
            request_with(&format!("POST /?{} HTTP/1.1", "q".repeat(1 << 20)), ""),
            &[Some(414), Some(431), None],
        ),
        (
            "a 20 KiB method",
            request_with(&format!("{} / HTTP/1.1", "P".repeat(20 * 1024)), ""),
            &[Some(400), Some(414), Some(431), None],
        ),
    ];
    for (what, request, allowed) in cases {
        let answer = raw_exchange(app.port, &request).await;
        let status = status_of(&answer);
        assert!(
            allowed.contains(&status),
            "{what}: got {status:?}, expected one of {allowed:?}"
        );
    }
    assert_code(&app.call("system.ping", json!({})).await, 200);
}

/// A tiny deterministic generator (xorshift64*), so a failure replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

const FORM: &str = "application/x-www-form-urlencoded";
const JSON_CT: &str = "application/json";
const BOUNDARY: &str = "hostileBoundary";

/// One generated request: its Content-Type header and body.
struct Case {
    kind: &'static str,
    content_type: Vec<u8>,
    body: Vec<u8>,
}

fn form_body(data: &[u8], sign: &str) -> Vec<u8> {
    let mut body = b"data=".to_vec();
    body.extend(form_urlencoded::byte_serialize(data).flat_map(str::bytes));
    body.extend_from_slice(b"&sign=");
    body.extend(form_urlencoded::byte_serialize(sign.as_bytes()).flat_map(str::bytes));
    body
}

fn multipart_body(data: &[u8], sign: &str) -> Vec<u8> {
    let mut b = Vec::new();
    let part = |b: &mut Vec<u8>, name: &str, value: &[u8]| {
        b.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n")
                .as_bytes(),
        );
        b.extend_from_slice(value);
        b.extend_from_slice(b"\r\n");
    };
    part(&mut b, "data", data);
    part(&mut b, "sign", sign.as_bytes());
    b.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    b
}

/// `data` signed with the iOS test secret, in one of the three encodings.
fn signed(rng: &mut Rng, kind: &'static str, data: &[u8]) -> Case {
    let s = sign(data, IOS_SECRET);
    let (content_type, body) = match rng.below(3) {
        0 => (FORM.to_string(), form_body(data, &s)),
        1 => (
            format!("multipart/form-data; boundary={BOUNDARY}"),
            multipart_body(data, &s),
        ),
        _ => match std::str::from_utf8(data) {
            Ok(text) => (
                JSON_CT.to_string(),
                json!({"data": text, "sign": s}).to_string().into_bytes(),
            ),
            Err(_) => (FORM.to_string(), form_body(data, &s)),
        },
    };
    Case {
        kind,
        content_type: content_type.into_bytes(),
        body,
    }
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
    let now = chrono::Utc::now().timestamp();
    [
        ("method", json!(method).to_string()),
        ("v", "\"1.0.0\"".into()),
        ("appid", "\"ios_app_id\"".into()),
        ("timestamp", format!("\"{now}\"")),
        ("unique_id", "\"hostile-device\"".into()),
        ("app_v", "\"1.0.0\"".into()),
        ("platform", "1".into()),
        ("channel", "\"\"".into()),
        ("device_token", "\"\"".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
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

fn generate(rng: &mut Rng, i: usize) -> Case {
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
    let body = multipart_body(data.as_bytes(), &sign(data.as_bytes(), IOS_SECRET));
    let cut = rng.below(body.len());
    Case {
        kind: "truncated multipart",
        content_type: format!("multipart/form-data; boundary={BOUNDARY}").into_bytes(),
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
        format!("multipart/form-data; boundary={BOUNDARY}"),
    ];
    let data = object_text(&fixed_fields("system.ping"));
    let mut body = multipart_body(data.as_bytes(), &sign(data.as_bytes(), IOS_SECRET));
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
            content_type: JSON_CT.into(),
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
            JSON_CT.to_string(),
            format!("multipart/form-data; boundary={BOUNDARY}"),
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

/// A gateway process on a database of its own, with the automatic IP ban
/// out of the way (every request comes from 127.0.0.1) and mimalloc told to
/// return freed pages at once, so VmRSS shows live memory.
async fn hostile_gateway() -> (procs::GatewayProcess, crate::helpers::db::TestDb) {
    let db = crate::helpers::db::TestDb::create().await;
    let prefix = format!("{}:", unique("hostile"));
    let config = format!(
        "env = \"test\"\nwatch_config = false\n[server]\n[postgres]\nurl = \"{}\"\npool_size = 4\n[redis]\nurl = \"{}\"\nkey_prefix = \"{prefix}\"\n[guards]\nip_max_failures = 100000000\n",
        db.url,
        procs::services().redis_url
    );
    let gateway = procs::GatewayProcess::start_with_env(
        &config,
        &default_apps(),
        &[("MIMALLOC_PURGE_DELAY", "0")],
    )
    .await
    .cleaning_redis_prefix(&prefix);
    (gateway, db)
}

/// A signed system.ping on a fresh connection; its code, 0 when it failed.
async fn ping_code(url: &str) -> i64 {
    Remote::new(url.to_string())
        .try_call_as("ios_app_id", IOS_SECRET, "system.ping", json!({}))
        .await
        .map_or(0, |env| env["code"].as_i64().unwrap_or(0))
}

/// What went wrong across a batch of requests (empty when nothing did).
#[derive(Default)]
struct Findings {
    problems: Vec<String>,
    statuses: std::collections::BTreeMap<u16, usize>,
    codes: std::collections::BTreeMap<i64, usize>,
}

/// Send `cases` with `CONCURRENCY` workers sharing keep-alive connections.
async fn send_all(http: &reqwest::Client, url: &str, cases: Vec<Case>) -> Findings {
    const CONCURRENCY: usize = 8;
    let cases = Arc::new(cases);
    let next = Arc::new(AtomicUsize::new(0));
    let findings = Arc::new(Mutex::new(Findings::default()));
    let workers: Vec<_> = (0..CONCURRENCY)
        .map(|_| {
            let (http, url) = (http.clone(), url.to_string());
            let (cases, next, findings) = (cases.clone(), next.clone(), findings.clone());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(case) = cases.get(i) else { return };
                    let verdict = exchange(&http, &url, case).await;
                    let mut f = findings.lock().await;
                    match verdict {
                        Ok((status, code)) => {
                            *f.statuses.entry(status).or_default() += 1;
                            if let Some(code) = code {
                                *f.codes.entry(code).or_default() += 1;
                            }
                        }
                        Err(problem) => f.problems.push(format!("#{i} {}: {problem}", case.kind)),
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.await.unwrap();
    }
    Arc::try_unwrap(findings).ok().unwrap().into_inner()
}

/// One request: its HTTP status and envelope code, or what was wrong.
async fn exchange(
    http: &reqwest::Client,
    url: &str,
    case: &Case,
) -> Result<(u16, Option<i64>), String> {
    let content_type = reqwest::header::HeaderValue::from_bytes(&case.content_type)
        .map_err(|e| format!("test bug: bad header value: {e}"))?;
    let resp = http
        .post(url)
        .header("content-type", content_type)
        .body(case.body.clone())
        .send()
        .await
        .map_err(|e| format!("no answer: {e:?}"))?;
    let status = resp.status().as_u16();
    let text = resp.text().await.map_err(|e| format!("body cut: {e:?}"))?;
    if status >= 500 {
        return Err(format!("HTTP {status}: {text}"));
    }
    if status != 200 {
        return Ok((status, None));
    }
    let env: Value =
        serde_json::from_str(&text).map_err(|e| format!("HTTP 200 not JSON ({e}): {text}"))?;
    let code = env["code"]
        .as_i64()
        .ok_or_else(|| format!("HTTP 200 without a code: {text}"))?;
    if code == 500 {
        return Err(format!("code 500 for a client's fault: {text}"));
    }
    Ok((status, Some(code)))
}

#[tokio::test]
async fn ten_thousand_malformed_bodies_get_no_5xx_and_leave_memory_flat() {
    // Generated first: the client's pooled connections must not sit idle
    // past the server's keep-alive deadline while this runs.
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut cases: Vec<Case> = (0..10_000).map(|i| generate(&mut rng, i)).collect();
    let (mut gateway, _db) = hostile_gateway().await;
    let url = gateway.url();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(8)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    wait_until("the gateway process serves", 30, || async {
        ping_code(&url).await == 200
    })
    .await;
    let rest = cases.split_off(1_000);

    let warm = send_all(&http, &url, cases).await;
    let rss_warm = gateway.rss_kib();
    let main = send_all(&http, &url, rest).await;
    let rss_end = gateway.rss_kib();

    println!(
        "VmRSS after 1 000 warm-up requests: {rss_warm} KiB; after 10 000: {rss_end} KiB (growth {} KiB)",
        rss_end as i64 - rss_warm as i64
    );
    for f in [&warm, &main] {
        println!(
            "HTTP statuses {:?}; envelope codes {:?}",
            f.statuses, f.codes
        );
    }
    let problems: Vec<&String> = warm.problems.iter().chain(&main.problems).collect();
    assert!(
        problems.is_empty(),
        "{} problems, the first ones:\n{}",
        problems.len(),
        problems
            .iter()
            .take(20)
            .map(|p| p.chars().take(400).collect::<String>())
            .collect::<Vec<_>>()
            .join("\n")
    );
    // The signed cases must get past the signature to the handlers, or the
    // run says little about the deep end of the pipeline.
    for code in [200, 503, 509, 602] {
        assert!(
            main.codes.get(&code).is_some_and(|n| *n > 0),
            "no request ended with code {code}: {:?}",
            main.codes
        );
    }
    assert_eq!(
        gateway.child.try_wait().unwrap(),
        None,
        "the gateway process exited"
    );
    assert_eq!(ping_code(&url).await, 200, "system.ping after the run");
    assert!(
        rss_end < rss_warm + 16 * 1024,
        "resident memory grew from {rss_warm} KiB to {rss_end} KiB"
    );
}
