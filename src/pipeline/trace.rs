//! What the pipeline tells the HTTP layer about a request besides its
//! answer: the fields of the request log line and the metrics labels.
//! Parameters are masked here, before they can reach a log, and only when
//! a line that shows them is written: [`Trace::params`] masks while it is
//! formatted, and tracing formats a field only for an enabled event.

use std::fmt;
use std::sync::Arc;

use serde_json::Value;

use crate::domain::mask_mobile;
use crate::handler::Dialect;

/// Metrics label for requests that never named a registered method.
pub const UNKNOWN_METHOD: &str = "_unknown";

/// What the pipeline learnt about a request, for the log line and metrics.
#[derive(Debug)]
pub struct Trace {
    /// Registered method name, or [`UNKNOWN_METHOD`].
    pub method: &'static str,
    pub appid: Option<String>,
    pub v: Option<String>,
    pub user_id: Option<i64>,
    /// A server caller's `request_no` (docs/protocol.md §3.4).
    pub request_no: Option<String>,
    /// The id of the secret slot that verified the signature, if one did
    /// (it signs the answer, docs/protocol.md §4.1).
    pub slot: Option<String>,
    /// The request's data object, unmasked: never log it directly, only
    /// through [`Trace::params`].
    pub data: Option<Arc<Value>>,
    /// When the appid answers in products' envelopes and the method asked
    /// for is a product's: its dialect and the method's name as asked
    /// (docs/protocol.md §4.2).
    pub product: Option<(&'static Dialect, String)>,
}

impl Default for Trace {
    fn default() -> Self {
        Self {
            method: UNKNOWN_METHOD,
            appid: None,
            v: None,
            user_id: None,
            request_no: None,
            slot: None,
            data: None,
            product: None,
        }
    }
}

impl Trace {
    /// The parameters for a log line: masked (see [`masked_params`]) when
    /// displayed, and not before; `-` when the request had none.
    pub fn params<'a>(&'a self, mask: &'a [String]) -> MaskedParams<'a> {
        MaskedParams {
            data: self.data.as_deref().and_then(Value::as_object),
            mask,
        }
    }
}

/// Parameters that are masked when, and each time, they are displayed.
#[derive(Clone, Copy)]
pub struct MaskedParams<'a> {
    data: Option<&'a serde_json::Map<String, Value>>,
    mask: &'a [String],
}

impl fmt::Display for MaskedParams<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.data {
            Some(data) => f.write_str(&masked_params(data, self.mask)),
            None => f.write_str("-"),
        }
    }
}

/// A copy of the request's parameters fit for a log line: masked keys show
/// `***`, mobiles keep their first three and last four digits, long values
/// are cut, and the whole is bounded.
pub fn masked_params(data: &serde_json::Map<String, Value>, mask: &[String]) -> String {
    let mut out = Vec::new();
    masked_params_into(&mut out, data, mask);
    // Only whole JSON texts and characters cut on their boundaries are written.
    String::from_utf8(out).unwrap_or_default()
}

/// [`masked_params`], appended to `out` as it is made: no copy of the
/// parameters is built (the request log line writes them this way).
pub fn masked_params_into(
    out: &mut Vec<u8>,
    data: &serde_json::Map<String, Value>,
    mask: &[String],
) {
    const SKIP: [&str; 4] = ["method", "v", "appid", "timestamp"];
    const BOUND: usize = 1024;
    let start = out.len();
    out.push(b'{');
    let mut first = true;
    for (k, v) in data {
        if SKIP.contains(&k.as_str()) {
            continue;
        }
        if !first {
            out.push(b',');
        }
        first = false;
        json_into(out, k);
        out.push(b':');
        if mask.iter().any(|m| m == k) {
            json_into(out, &mask_value(k, v));
            continue;
        }
        match v {
            Value::String(s) => match s.char_indices().nth(64) {
                Some((cut, _)) => json_into(out, &format!("{}…", &s[..cut])),
                None => json_into(out, s),
            },
            Value::Object(_) | Value::Array(_) => json_into(out, "…"),
            other => json_into(out, other),
        }
        if out.len() - start > BOUND * 4 {
            break; // far past the bound: the rest would be cut anyway
        }
    }
    out.push(b'}');
    if out.len() - start > BOUND {
        let text = &out[start..];
        let cut = (0..=BOUND)
            .rev()
            .find(|i| std::str::from_utf8(&text[..*i]).is_ok())
            .unwrap_or(0);
        out.truncate(start + cut);
        out.extend_from_slice("…".as_bytes());
    }
}

fn json_into<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    // Serialising strings and JSON values into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, value);
}

fn mask_value(key: &str, v: &Value) -> String {
    match (key, v) {
        (_, Value::String(s)) if s.is_empty() => String::new(),
        ("mobile", Value::String(s)) => mask_mobile(s),
        _ => "***".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::settings::LogSettings;
    use serde_json::json;

    #[test]
    fn sensitive_parameters_never_appear_in_clear() {
        let mask: Vec<String> = LogSettings::default().mask;
        let data = json!({
            "method": "user.login", "mobile": "18575202691", "password": "hunter22",
            "code": "123456", "sms_code": "654321", "token": "abcdef0123", "req_token": "r1", "page": 2,
            "old_pwd": "o", "new_pwd": "n", "realname": "张三", "intro": "x".repeat(100)
        });
        let line = masked_params(data.as_object().unwrap(), &mask);
        for secret in [
            "18575202691",
            "hunter22",
            "123456",
            "654321",
            "abcdef0123",
            "\"r1\"",
            "张三",
        ] {
            assert!(!line.contains(secret), "{secret} leaked in {line}");
        }
        assert!(line.contains("185****2691"), "{line}");
        assert!(line.contains("\"page\":2"), "{line}");
        assert!(!line.contains("user.login"), "{line}");
        assert!(line.len() < 400, "{line}");
    }

    #[test]
    fn a_trace_shows_its_parameters_masked_and_dash_without_them() {
        let mask: Vec<String> = LogSettings::default().mask;
        let data = json!({"method": "user.login", "password": "hunter22", "page": 2});
        let trace = Trace {
            data: Some(Arc::new(data)),
            ..Trace::default()
        };
        let shown = trace.params(&mask).to_string();
        assert_eq!(shown, r#"{"password":"***","page":2}"#);
        assert_eq!(Trace::default().params(&mask).to_string(), "-");
    }
}
