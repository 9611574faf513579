//! The request log line, written without tracing's per-field machinery
//! (docs/protocol.md §14): formatted by hand into a reused per-thread
//! buffer, the parameters masked straight into it, and handed whole to the
//! process's non-blocking writer, the same one tracing writes to, so the
//! lines of a request and of its errors stay in order. The line reads as
//! tracing's own text or JSON event would (the binary installs the writer
//! with the configured format); where no writer is installed (the library
//! embedded in tests) the line goes through tracing as an ordinary event.

use std::cell::RefCell;
use std::io::Write;
use std::net::IpAddr;
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::config::settings::LogFormat;
use crate::pipeline::masked_params_into;

/// The writer every request line goes to, and the format it is written in.
static SINK: OnceLock<Sink> = OnceLock::new();

type LineWriter = Box<dyn Fn(&[u8]) + Send + Sync>;

struct Sink {
    write: LineWriter,
    format: LogFormat,
}

/// Send request lines to `write` (whole lines, each ending in `\n`), in
/// `format`. Called once by the binary's logging set-up; later calls are
/// ignored.
pub fn install(format: LogFormat, write: impl Fn(&[u8]) + Send + Sync + 'static) {
    let _ = SINK.set(Sink {
        write: Box::new(write),
        format,
    });
}

/// Whether request lines bypass tracing (see the module's comment).
pub fn installed() -> bool {
    SINK.get().is_some()
}

/// The fields of one request line.
pub struct Line<'a> {
    pub request_id: &'a str,
    pub request_no: &'a str,
    pub appid: &'a str,
    pub method: &'a str,
    pub v: &'a str,
    pub code: u32,
    pub latency_ms: f64,
    pub ip: IpAddr,
    pub user_id: i64,
    /// The request's data, masked as it is written (`-` when none).
    pub data: Option<&'a serde_json::Map<String, serde_json::Value>>,
    pub mask: &'a [String],
}

thread_local! {
    /// The line being formatted, and scratch room for the JSON format's
    /// parameters; both keep their capacity from one request to the next.
    static BUFFERS: RefCell<(Vec<u8>, Vec<u8>)> = const { RefCell::new((Vec::new(), Vec::new())) };
    /// The timestamp's text up to the second, and the second it is for.
    static SECOND: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
}

/// Format `line` and hand it to the installed writer (nothing happens when
/// none is installed).
pub fn write(line: &Line<'_>) {
    let Some(sink) = SINK.get() else { return };
    BUFFERS.with_borrow_mut(|(buf, scratch)| {
        buf.clear();
        match sink.format {
            LogFormat::Text => text(buf, line),
            LogFormat::Json => json(buf, scratch, line),
        }
        (sink.write)(buf);
        // A rare huge line (1 KiB of parameters at most) must not keep its
        // memory in every worker thread for good.
        if buf.capacity() > 16 * 1024 {
            *buf = Vec::new();
        }
    });
}

/// `2026-11-30T14:35:53.761780Z  INFO request request_id="…" … params=…`,
/// as tracing's text format writes the same event.
fn text(buf: &mut Vec<u8>, l: &Line<'_>) {
    timestamp(buf);
    buf.extend_from_slice(b"  INFO request request_id=");
    debug_str(buf, l.request_id);
    buf.extend_from_slice(b" request_no=");
    debug_str(buf, l.request_no);
    buf.extend_from_slice(b" appid=");
    debug_str(buf, l.appid);
    buf.extend_from_slice(b" method=");
    debug_str(buf, l.method);
    buf.extend_from_slice(b" v=");
    debug_str(buf, l.v);
    buf.extend_from_slice(b" code=");
    number(buf, l.code);
    buf.extend_from_slice(b" latency_ms=");
    millis(buf, l.latency_ms);
    buf.extend_from_slice(b" ip=");
    ip(buf, l.ip);
    buf.extend_from_slice(b" user_id=");
    number(buf, l.user_id);
    buf.extend_from_slice(b" params=");
    match l.data {
        Some(data) => masked_params_into(buf, data, l.mask),
        None => buf.push(b'-'),
    }
    buf.push(b'\n');
}

/// The same event as tracing's JSON format with flattened fields.
fn json(buf: &mut Vec<u8>, scratch: &mut Vec<u8>, l: &Line<'_>) {
    buf.extend_from_slice(b"{\"timestamp\":\"");
    timestamp(buf);
    buf.extend_from_slice(b"\",\"level\":\"INFO\",\"message\":\"request\"");
    for (key, value) in [
        ("request_id", l.request_id),
        ("request_no", l.request_no),
        ("appid", l.appid),
        ("method", l.method),
        ("v", l.v),
    ] {
        let _ = write!(buf, ",\"{key}\":");
        json_str(buf, value);
    }
    buf.extend_from_slice(b",\"code\":");
    number(buf, l.code);
    buf.extend_from_slice(b",\"latency_ms\":");
    millis(buf, l.latency_ms);
    buf.extend_from_slice(b",\"ip\":\"");
    ip(buf, l.ip);
    buf.extend_from_slice(b"\",\"user_id\":");
    number(buf, l.user_id);
    buf.extend_from_slice(b",\"params\":");
    scratch.clear();
    match l.data {
        Some(data) => masked_params_into(scratch, data, l.mask),
        None => scratch.push(b'-'),
    }
    // The masked parameters are valid UTF-8 (cut on a character boundary).
    json_str(buf, std::str::from_utf8(scratch).unwrap_or("-"));
    if scratch.capacity() > 16 * 1024 {
        *scratch = Vec::new();
    }
    buf.extend_from_slice(b"}\n");
}

/// RFC 3339 in UTC with microseconds; the part up to the second is
/// formatted once per second per thread.
fn timestamp(buf: &mut Vec<u8>) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs();
    SECOND.with_borrow_mut(|(second, text)| {
        if *second != secs {
            let at = i64::try_from(secs)
                .ok()
                .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
                .unwrap_or_default();
            *text = at.format("%Y-%m-%dT%H:%M:%S").to_string();
            *second = secs;
        }
        buf.extend_from_slice(text.as_bytes());
    });
    let micros = now.subsec_micros();
    buf.push(b'.');
    let mut digits = itoa::Buffer::new();
    let text = digits.format(micros);
    buf.extend(std::iter::repeat_n(b'0', 6 - text.len()));
    buf.extend_from_slice(text.as_bytes());
    buf.push(b'Z');
}

fn number(buf: &mut Vec<u8>, n: impl itoa::Integer) {
    buf.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// Milliseconds with three decimals (microseconds), without float
/// formatting.
fn millis(buf: &mut Vec<u8>, ms: f64) {
    // Saturating: a latency is never negative nor near u64::MAX µs.
    let micros = (ms * 1000.0).round() as u64;
    number(buf, micros / 1000);
    buf.push(b'.');
    let frac = micros % 1000;
    if frac < 100 {
        buf.push(b'0');
    }
    if frac < 10 {
        buf.push(b'0');
    }
    number(buf, frac);
}

fn ip(buf: &mut Vec<u8>, ip: IpAddr) {
    match ip {
        IpAddr::V4(v4) => {
            for (i, octet) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    buf.push(b'.');
                }
                number(buf, octet);
            }
        }
        IpAddr::V6(v6) => {
            let _ = write!(buf, "{v6}");
        }
    }
}

/// A string as Rust's `Debug` writes it (quoted, escaped), which is how
/// tracing's text format shows a string field; plain printable ASCII is
/// copied without going through the formatter.
fn debug_str(buf: &mut Vec<u8>, s: &str) {
    let plain = s
        .bytes()
        .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\');
    if plain {
        buf.push(b'"');
        buf.extend_from_slice(s.as_bytes());
        buf.push(b'"');
    } else {
        let _ = write!(buf, "{s:?}");
    }
}

fn json_str(buf: &mut Vec<u8>, s: &str) {
    // Writing a &str into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *buf, s);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn line<'a>(data: Option<&'a serde_json::Map<String, serde_json::Value>>) -> Line<'a> {
        Line {
            request_id: "2a7ab5300004da67",
            request_no: "-",
            appid: "app\"\n",
            method: "user.login",
            v: "1.0.0",
            code: 200,
            latency_ms: 0.2404,
            ip: "127.0.0.1".parse().unwrap(),
            user_id: 7,
            data,
            mask: &[],
        }
    }

    #[test]
    fn text_reads_as_tracing_writes_the_event() {
        let data = json!({"mobile": "18600001234", "password": "s3cret", "page": 1});
        let mask = ["password".to_string(), "mobile".to_string()];
        let mut l = line(data.as_object());
        l.mask = &mask;
        let mut buf = Vec::new();
        text(&mut buf, &l);
        let s = String::from_utf8(buf).unwrap();
        let (ts, rest) = s.split_once("  INFO ").unwrap();
        assert!(
            chrono::DateTime::parse_from_rfc3339(ts).is_ok(),
            "timestamp {ts}"
        );
        assert_eq!(ts.len(), "2026-11-30T14:35:53.761780Z".len());
        assert_eq!(
            rest,
            "request request_id=\"2a7ab5300004da67\" request_no=\"-\" appid=\"app\\\"\\n\" \
             method=\"user.login\" v=\"1.0.0\" code=200 latency_ms=0.240 ip=127.0.0.1 \
             user_id=7 params={\"mobile\":\"186****1234\",\"password\":\"***\",\"page\":1}\n"
        );
    }

    #[test]
    fn json_is_one_object_with_the_params_as_text() {
        let data = json!({"mobile": "18600001234"});
        let mask = ["mobile".to_string()];
        let mut l = line(data.as_object());
        l.mask = &mask;
        let mut buf = Vec::new();
        json(&mut buf, &mut Vec::new(), &l);
        assert_eq!(buf.last(), Some(&b'\n'));
        let v: serde_json::Value = serde_json::from_slice(&buf).unwrap();
        assert_eq!(v["message"], "request");
        assert_eq!(v["level"], "INFO");
        assert_eq!(v["appid"], "app\"\n");
        assert_eq!(v["code"], 200);
        assert_eq!(v["user_id"], 7);
        assert_eq!(v["ip"], "127.0.0.1");
        assert_eq!(v["params"], r#"{"mobile":"186****1234"}"#);
        let mut none = Vec::new();
        json(&mut none, &mut Vec::new(), &line(None));
        let v: serde_json::Value = serde_json::from_slice(&none).unwrap();
        assert_eq!(v["params"], "-");
    }
}
