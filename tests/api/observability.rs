//! Per-appid observability (docs/protocol.md §14): requests by appid ×
//! method × code and a latency histogram per method in `/metrics`, and the
//! Grafana dashboard in docs/ names only metrics the gateway exports.

use serde_json::{Value, json};

use crate::helpers::*;

/// The value of the sample line `series` (name and labels as printed).
fn sample(metrics: &str, series: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test]
async fn requests_are_counted_by_appid_method_and_code() {
    let app = spawn_app().await;
    for _ in 0..3 {
        assert_code(&app.call("system.ping", json!({})).await, 200);
    }
    let env = app
        .call_as("h5_app_id", H5_SECRET, "user.detail", json!({}))
        .await;
    assert_code(&env, 602);
    // A client-chosen appid never becomes a label.
    let env = app
        .call_as("made_up_appid", IOS_SECRET, "system.ping", json!({}))
        .await;
    assert_code(&env, 506);

    let m = app.metrics().await;
    let count = |series: &str| sample(&m, series).unwrap_or_else(|| panic!("{series} in\n{m}"));
    let ping =
        r#"yafgate_appid_requests_total{appid="ios_app_id",method="system.ping",code="200"}"#;
    assert_eq!(count(ping), 3.0);
    let detail =
        r#"yafgate_appid_requests_total{appid="h5_app_id",method="user.detail",code="602"}"#;
    assert_eq!(count(detail), 1.0);
    let unknown = r#"yafgate_appid_requests_total{appid="_unknown",method="_unknown",code="506"}"#;
    assert_eq!(count(unknown), 1.0);
    assert!(!m.contains("made_up_appid"), "{m}");
    assert_eq!(
        count(r#"yafgate_method_duration_seconds_count{method="system.ping"}"#),
        3.0
    );
    assert_eq!(
        count(r#"yafgate_method_duration_seconds_count{method="user.detail"}"#),
        1.0
    );
    let inf = r#"yafgate_method_duration_seconds_bucket{le="+Inf",method="system.ping"}"#;
    assert_eq!(count(inf), 3.0);
}

/// Every `yafgate_…` name in a PromQL text.
fn metric_names(expr: &str, into: &mut Vec<String>) {
    let mut rest = expr;
    while let Some(at) = rest.find("yafgate_") {
        let tail = &rest[at..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        into.push(tail[..end].to_string());
        rest = &tail[end..];
    }
}

/// Every query text of the dashboard: panel targets and variable queries.
fn queries(dashboard: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for panel in dashboard["panels"].as_array().expect("panels") {
        let targets = panel["targets"].as_array().expect("each panel has targets");
        assert!(!targets.is_empty(), "{panel}");
        for t in targets {
            out.push(
                t["expr"]
                    .as_str()
                    .expect("a target has an expr")
                    .to_string(),
            );
        }
    }
    for var in dashboard["templating"]["list"]
        .as_array()
        .expect("variables")
    {
        if let Some(q) = var["definition"].as_str() {
            out.push(q.to_string());
        }
    }
    out
}

#[tokio::test]
async fn every_metric_the_grafana_dashboard_names_is_exported() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/grafana-dashboard.json");
    let dashboard: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("dashboard file"))
            .expect("the dashboard is JSON");
    assert!(dashboard["title"].is_string() && dashboard["uid"].is_string());
    let mut names = Vec::new();
    for q in queries(&dashboard) {
        metric_names(&q, &mut names);
    }
    names.sort();
    names.dedup();
    for built_on in [
        "yafgate_appid_requests_total",
        "yafgate_method_duration_seconds_bucket",
    ] {
        assert!(
            names.iter().any(|n| n == built_on),
            "{built_on} in {names:?}"
        );
    }

    // Traffic that makes every family print: signed calls, a refusal at
    // the HTTP level.
    let app = spawn_app().await;
    assert_code(&app.call("system.ping", json!({})).await, 200);
    assert_eq!(app.post("text/plain", b"x".to_vec()).await.status(), 415);
    let m = app.metrics().await;
    let exported = |name: &str| {
        m.lines().any(|l| {
            l.strip_prefix(name)
                .is_some_and(|r| r.starts_with(['{', ' ']))
        })
    };
    let missing: Vec<_> = names.iter().filter(|n| !exported(n)).collect();
    assert!(missing.is_empty(), "not in /metrics: {missing:?}\n{m}");
}

#[tokio::test]
async fn parallel_first_requests_of_an_appid_are_each_counted_once() {
    let app = spawn_app().await;
    let calls = (0..40).map(|i| {
        let (appid, secret) = if i % 2 == 0 {
            ("ios_app_id", IOS_SECRET)
        } else {
            ("android_app_id", ANDROID_SECRET)
        };
        app.call_as(appid, secret, "system.ping", json!({}))
    });
    for env in futures_util::future::join_all(calls).await {
        assert_code(&env, 200);
    }
    let m = app.metrics().await;
    for appid in ["ios_app_id", "android_app_id"] {
        let series = format!(
            r#"yafgate_appid_requests_total{{appid="{appid}",method="system.ping",code="200"}}"#
        );
        assert_eq!(sample(&m, &series), Some(20.0), "{series} in\n{m}");
    }
}
