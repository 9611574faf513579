//! Signature diagnostics (docs/protocol.md §2.1): in `dev` and `test` only,
//! a 403 "签名错误" (and a 504 for `data` that is not a JSON object) carries
//! `debug`: what the gateway received and the mistakes it can see in those
//! bytes. Never the expected signature, never a secret.

use md5::{Digest, Md5};
use serde::Serialize;
use serde_json::Value;

use crate::config::Config;
use crate::config::apps::App;
use crate::protocol::body::Submission;

/// The `debug` object of a refused signature.
#[derive(Debug, Serialize)]
pub struct SignDebug<'a> {
    /// Bytes of `data` as received, after the transport encoding.
    pub data_length: usize,
    /// `upper(hex(md5(data)))`, without any secret: compare it with the
    /// MD5 of the bytes the client meant to send.
    pub data_md5: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appid: Option<&'a str>,
    /// The ids of the secret slots tried, in order (docs/protocol.md §12.1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_slots: Option<Vec<&'a str>>,
    pub hints: Vec<Hint>,
}

/// One mistake the gateway can see in the bytes it received.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Hint {
    pub id: &'static str,
    pub hint: &'static str,
}

/// The `debug` bytes for a refused signature of `app`, when `env` allows.
pub fn signature(config: &Config, app: &App, sub: &Submission) -> Option<Vec<u8>> {
    if !config.settings.env.is_dev_or_test() {
        return None;
    }
    let mut debug = received(sub);
    debug.appid = Some(&app.appid);
    debug.secret_slots = Some(app.secrets.iter().map(|s| s.label.as_str()).collect());
    serde_json::to_vec(&debug).ok()
}

/// The `debug` bytes for a `data` that is not a JSON object, when `env`
/// allows and there was a `data` at all.
pub fn undecodable(config: &Config, sub: &Submission) -> Option<Vec<u8>> {
    if !config.settings.env.is_dev_or_test() || sub.data.is_empty() {
        return None;
    }
    serde_json::to_vec(&received(sub)).ok()
}

fn received(sub: &Submission) -> SignDebug<'static> {
    SignDebug {
        data_length: sub.data.len(),
        data_md5: hex::encode_upper(Md5::digest(&sub.data)),
        appid: None,
        secret_slots: None,
        hints: hints(&sub.data, &sub.sign, sub.form_plus),
    }
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Every hint that applies to `data` and `sign`, in a fixed order.
pub fn hints(data: &[u8], sign: &str, form_plus: bool) -> Vec<Hint> {
    let mut out = Vec::new();
    let mut add = |id, hint| out.push(Hint { id, hint });
    if sign.is_empty() {
        add("sign_missing", "no `sign` field, or it is empty");
    } else if sign.len() != 32 || !sign.bytes().all(|b| b.is_ascii_hexdigit()) {
        add("sign_malformed", "`sign` must be 32 hexadecimal digits");
    }
    let body = data.strip_prefix(BOM).unwrap_or(data);
    if body.len() != data.len() {
        add(
            "bom",
            "data starts with a UTF-8 byte order mark (EF BB BF); sign and send the JSON without it",
        );
    }
    let trimmed = body.trim_ascii();
    if trimmed.len() != body.len() {
        add(
            "surrounding_whitespace",
            "data starts or ends with whitespace; the gateway verifies the bytes as received, so trim before signing or sign what you send",
        );
    }
    let scan = Scan::of(trimmed);
    if scan.inner_whitespace {
        add(
            "pretty_printed",
            "data has whitespace between JSON tokens (pretty-printed or `\": \"`); serialise once, compactly, and sign and send those bytes",
        );
    }
    if form_plus {
        add(
            "form_plus",
            "the form field data held a literal `+`, which form decoding reads as a space; percent-encode the value (`+` as %2B) or send JSON",
        );
    }
    if scan.escaped_slash {
        add(
            "escaped_slash",
            "data contains `\\/` (PHP json_encode escapes `/`); sign exactly the text you send, escaped or not",
        );
    }
    if scan.unicode_escape {
        add(
            "unicode_escape",
            "data contains `\\u` escapes; if you signed the unescaped text (or a library re-encoded it), the bytes differ",
        );
    }
    let parsed = serde_json::from_slice::<Value>(&scan.compact).ok();
    if let Some(value) = &parsed {
        if scan.keys > count_keys(value) {
            add(
                "duplicate_keys",
                "data has a key twice in one object; it parses as the last value while the signed bytes hold both",
            );
        } else if !scan.escaped_slash
            && !scan.unicode_escape
            && serde_json::to_vec(value).is_ok_and(|again| again != scan.compact)
        {
            add(
                "reparses_differently",
                "data parses to JSON that serialises to other bytes (numbers such as 1.0 or 1e3, escapes): a client that re-serialises before signing signs different bytes",
            );
        }
    }
    out
}

/// What a pass over JSON text sees outside and inside its strings.
#[derive(Default)]
struct Scan {
    inner_whitespace: bool,
    escaped_slash: bool,
    unicode_escape: bool,
    /// Object keys written, duplicates included.
    keys: usize,
    /// The text without whitespace outside strings.
    compact: Vec<u8>,
}

impl Scan {
    fn of(text: &[u8]) -> Self {
        let mut s = Self::default();
        let (mut in_string, mut escaped, mut string_ended) = (false, false, false);
        for &b in text {
            if in_string {
                s.compact.push(b);
                if escaped {
                    s.escaped_slash |= b == b'/';
                    s.unicode_escape |= b == b'u';
                    escaped = false;
                } else if b == b'\\' {
                    escaped = true;
                } else if b == b'"' {
                    in_string = false;
                    string_ended = true;
                }
                continue;
            }
            if b.is_ascii_whitespace() {
                s.inner_whitespace = true;
                continue;
            }
            if b == b':' && string_ended {
                s.keys += 1;
            }
            string_ended = false;
            in_string = b == b'"';
            s.compact.push(b);
        }
        s
    }
}

fn count_keys(v: &Value) -> usize {
    match v {
        Value::Object(m) => m.len() + m.values().map(count_keys).sum::<usize>(),
        Value::Array(a) => a.iter().map(count_keys).sum(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD_SIGN: &str = "01E62683A5D2B7CD901F5F98C08F10EF";

    fn ids(data: &str, sign: &str, form_plus: bool) -> Vec<&'static str> {
        hints(data.as_bytes(), sign, form_plus)
            .into_iter()
            .map(|h| h.id)
            .collect()
    }

    #[test]
    fn compact_json_with_a_well_formed_sign_has_no_hint() {
        let data = r#"{"method":"user.login","v":"1.0.0","n":[1,{"a":"x y"}],"z":null}"#;
        assert!(ids(data, GOOD_SIGN, false).is_empty());
    }

    #[test]
    fn each_mistake_is_named() {
        let cases: [(&str, &str, bool, &[&str]); 10] = [
            (r#"{"a":1}"#, "", false, &["sign_missing"]),
            (r#"{"a":1}"#, "01E6", false, &["sign_malformed"]),
            ("\u{feff}{\"a\":1}", GOOD_SIGN, false, &["bom"]),
            (
                " {\"a\":1}\n",
                GOOD_SIGN,
                false,
                &["surrounding_whitespace"],
            ),
            ("{\n  \"a\": 1\n}", GOOD_SIGN, false, &["pretty_printed"]),
            (r#"{"a":"b c"}"#, GOOD_SIGN, true, &["form_plus"]),
            (
                r#"{"url":"http:\/\/x"}"#,
                GOOD_SIGN,
                false,
                &["escaped_slash"],
            ),
            (r#"{"n":"\u4e2d"}"#, GOOD_SIGN, false, &["unicode_escape"]),
            (
                r#"{"a":1,"b":{"c":1,"c":2}}"#,
                GOOD_SIGN,
                false,
                &["duplicate_keys"],
            ),
            (r#"{"a":1e3}"#, GOOD_SIGN, false, &["reparses_differently"]),
        ];
        for (data, sign, plus, want) in cases {
            assert_eq!(ids(data, sign, plus), want, "{data:?}");
        }
    }

    #[test]
    fn whitespace_inside_strings_is_not_pretty_printing() {
        assert!(ids(r#"{"a":"x : y, z"}"#, GOOD_SIGN, false).is_empty());
    }

    #[test]
    fn any_bytes_get_hints_without_a_panic() {
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        let odd: [&[u8]; 8] = [
            b"",
            b"\xEF\xBB",
            b"\xEF\xBB\xBF",
            b"\"",
            b"{\"a\\",
            b"{\"\xff\":1}",
            b"  \n\t ",
            deep.as_bytes(),
        ];
        for data in odd {
            let _ = hints(data, "\u{fffd}", true);
        }
        // Every byte value at every position of a short text.
        let base = br#"{"a":"b\/c","d":[1,2]}"#;
        for i in 0..base.len() {
            for b in 0..=255u8 {
                let mut data = base.to_vec();
                data[i] = b;
                let _ = hints(&data, GOOD_SIGN, false);
            }
        }
    }

    #[test]
    fn a_bom_with_pretty_printing_names_both() {
        assert_eq!(
            ids("\u{feff}{ \"a\": 1 }", GOOD_SIGN, false),
            ["bom", "pretty_printed"]
        );
    }
}
