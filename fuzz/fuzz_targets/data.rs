//! Any bytes as the signed `data` text: decoding, the head checks, and the
//! parameter readers the pipeline applies to the decoded object.

#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use yafgate::protocol::error::code;
use yafgate::pipeline::{decode_data, read_head};
use yafgate::protocol::types::{Platform, Timestamp, Version, scalar_text};

fuzz_target!(|raw: &[u8]| {
    let data = match decode_data(raw) {
        Ok(data) => data,
        Err(e) => {
            assert_eq!(e.code(), code::METHOD_MISSING);
            return;
        }
    };
    let text = |k: &str| matches!(data.get(k), Some(Value::String(s)) if !s.is_empty());
    match read_head(&data) {
        Ok(_) => {
            assert!(text("method") && text("v") && text("appid"));
            let v = data["v"].as_str().unwrap_or_default();
            assert!(v.parse::<Version>().is_ok(), "head accepted v = {v:?}");
        }
        Err(e) => assert!(
            [
                code::METHOD_MISSING,
                code::VERSION_MISSING,
                code::APPID_INVALID,
                code::TIMESTAMP_INVALID
            ]
            .contains(&e.code()),
            "unexpected code {}",
            e.code()
        ),
    }
    if let Some(ts) = data.get("timestamp").and_then(Timestamp::from_value) {
        // Ten digits; leading zeros pass here and fail the time window.
        assert!((0..=9_999_999_999).contains(&ts.0));
        let _ = ts.within(1_800_000_000, 600);
    }
    if let Some(p) = data.get("platform") {
        let _ = Platform::from_value(p);
    }
    for v in data.values() {
        let _ = scalar_text(v);
    }
    let mask: Vec<String> = ["password", "mobile", "token"].map(String::from).into();
    let line = yafgate::pipeline::masked_params(&data, &mask);
    assert!(line.len() <= 1024 + '…'.len_utf8());
});
