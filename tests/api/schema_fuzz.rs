//! Every method's parameters, fuzzed from the registry's own schemas: for
//! each parameter, hostile values (extreme and negative numbers, floats for
//! integers, long text, NUL, unicode, wrong JSON types, out-of-range times)
//! are sent over HTTP with a logged-in session, and no answer may be a 500
//! (docs/protocol.md §3.3, §5: a client's fault is never an internal one).

use std::sync::Arc;

use futures_util::StreamExt;
use serde_json::{Map, Value, json};

use crate::helpers::{TestApp, spawn_app};

/// Methods whose success would end the fuzzing session.
const SKIPPED: &[&str] = &["user.logout"];

/// Hostile values for a parameter of JSON schema type `kind`.
fn hostile(kind: &str) -> Vec<Value> {
    let mut values = vec![
        Value::Null,
        json!(true),
        json!([1, 2]),
        json!({"a": 1}),
        json!(""),
        json!("\u{0}"),
        json!("x".repeat(4000)),
        json!("😀ü中\u{202e}'\"%_\\"),
        json!("-5000-01-01 00:00:00"),
        json!("99999-12-31 23:59:59"),
        json!(-1),
        json!(i64::MAX),
        json!(i64::MIN),
        json!(u64::MAX),
        json!(1.5),
        json!(-1e308),
        json!(1e308),
    ];
    match kind {
        "integer" => values.extend([
            json!("9".repeat(40)),
            json!("-9223372036854775808"),
            json!(" 12 "),
            json!(2_147_483_648_i64),
            json!(-2_147_483_649_i64),
            json!(32_768),
            json!(0),
        ]),
        "number" => values.extend([json!("NaN"), json!("1e999"), json!("-0"), json!(0.0)]),
        _ => values.extend([json!("' OR 1=1 --"), json!("9".repeat(40)), json!(" ")]),
    }
    values
}

/// A plain value of `kind`, for the required parameters not being fuzzed.
fn plain(kind: &str) -> Value {
    match kind {
        "integer" => json!(1),
        "number" => json!(1.0),
        _ => json!("1"),
    }
}

fn kind_of(p: &Value) -> String {
    match p.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("string")
            .to_string(),
        _ => "string".into(),
    }
}

/// Every (method, parameters) call to make.
fn cases() -> Vec<(&'static str, Value)> {
    let mut out = Vec::new();
    for (name, entry) in yafgate::registry().entries() {
        if SKIPPED.contains(&name) {
            continue;
        }
        let schema = entry.schema();
        let props: Map<String, Value> = schema
            .get("properties")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        // Optional parameters keep their defaults, so that the one being
        // fuzzed is the only unusual value and reaches the handler.
        let base: Map<String, Value> = props
            .iter()
            .filter(|(k, _)| required.contains(&k.as_str()))
            .map(|(k, p)| (k.clone(), plain(&kind_of(p))))
            .collect();
        out.push((name, Value::Object(base.clone())));
        for (key, p) in &props {
            for v in hostile(&kind_of(p)) {
                let mut params = base.clone();
                params.insert(key.clone(), v);
                out.push((name, Value::Object(params)));
            }
        }
    }
    out
}

#[tokio::test]
async fn no_parameter_value_of_any_method_is_answered_with_500() {
    let app = Arc::new(spawn_app().await);
    let session = app.register_token("13800000091", "Pa55word_9").await;
    let cases = cases();
    assert!(cases.len() > 300, "the registry has parameters to fuzz");
    let calls = futures_util::stream::iter(cases.into_iter().map(|(method, mut params)| {
        let app: Arc<TestApp> = app.clone();
        params["token"] = json!(session);
        async move {
            let env = app.call(method, params.clone()).await;
            (method, params, env)
        }
    }))
    .buffer_unordered(8)
    .collect::<Vec<_>>()
    .await;
    let failures: Vec<_> = calls
        .iter()
        .filter(|(_, _, env)| env["code"] == 500)
        .map(|(m, p, env)| format!("{m} {p} -> {env}"))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The session lived through it, so user methods were really reached.
    let detail = app.call("user.detail", json!({"token": session})).await;
    assert_eq!(detail["code"], 200, "{detail}");
}
