//! What the gateway writes to its log: one line per request at `info`,
//! none at `warn` (failures still), every line out before the process
//! exits, and never a secret, signature, password, token or SMS code.

use serde_json::json;
use yafgate::config::settings::Secret;

use crate::helpers::db::TestDb;
use crate::helpers::procs::{GatewayProcess, Launch, free_port, process_settings, services};
use crate::helpers::{IOS_SECRET, assert_code, default_apps};

#[tokio::test]
async fn request_logs_mask_every_sensitive_value() {
    let db = TestDb::create().await;
    let mut gateway = GatewayProcess::start_with(
        process_settings(&db.url),
        &default_apps(),
        Launch::default().env("RUST_LOG", "info").log_to_file(),
    )
    .await;
    let client = gateway.remote();

    // Every call must succeed: a refused call may never reach the code
    // that logs (or masks) its parameters, and the checks below would
    // then prove nothing.
    let (mobile, password) = ("18612345678", "Pa55word_log");
    let sent = client
        .call(
            "sms.send",
            json!({"mobile": mobile, "key": "USER_REGISTER_CODE"}),
        )
        .await;
    assert_code(&sent, 200);
    let code = sent["data"]["code"].as_str().unwrap().to_string();
    let reg = client
        .call(
            "user.register",
            json!({"mobile": mobile, "password": password, "code": code}),
        )
        .await;
    assert_code(&reg, 200);
    let token = reg["data"]["token"].as_str().unwrap().to_string();
    let edit = client
        .call(
            "user.pwd.edit",
            json!({"token": token, "old_pwd": password, "new_pwd": "N3w_password"}),
        )
        .await;
    assert_code(&edit, 200);
    let rt = client
        .call("system.request.token", json!({"number": 1, "token": token}))
        .await;
    assert_code(&rt, 200);
    let req_token = rt["data"]["token"].as_str().unwrap().to_string();
    let detail = client
        .call(
            "user.detail",
            json!({"token": token, "req_token": req_token, "realname": "张三丰"}),
        )
        .await;
    assert_code(&detail, 200);

    let status = gateway.terminate().await;
    assert!(status.success(), "{status:?}");
    let log = gateway.log();

    let requests = log.lines().filter(|l| l.contains(" request ")).count();
    assert!(requests >= 5, "one line per request:\n{log}");
    assert!(log.contains("186****5678"), "mobiles appear masked:\n{log}");
    for secret in [
        mobile,
        password,
        "N3w_password",
        &code,
        &token,
        &req_token,
        "张三丰",
        IOS_SECRET,
    ] {
        assert!(
            !log.contains(secret),
            "`{secret}` leaked into the log:\n{log}"
        );
    }
}

/// Pings that leave a log line each, with parameters to mask.
const PINGS: usize = 40;
const PING_MOBILE: &str = "18600002222";
const PING_PASSWORD: &str = "Ping_password_9";

/// Run a gateway process logging at `level` to the file in its config
/// folder: `PINGS` pings and one news.list that fails (PostgreSQL is
/// unreachable, a 500), then SIGTERM; what it logged by then.
async fn logged_at(level: &str) -> String {
    let mut settings = process_settings(&services().pg_url);
    settings.postgres.url = Secret::new(format!(
        "postgres://postgres@127.0.0.1:{}/yafgate",
        free_port()
    ));
    let mut gateway = GatewayProcess::start_with(
        settings,
        &default_apps(),
        Launch::default().env("RUST_LOG", level).log_to_file(),
    )
    .await;
    let client = gateway.remote();
    let params = json!({"mobile": PING_MOBILE, "password": PING_PASSWORD});
    for _ in 0..PINGS {
        assert_code(&client.call("system.ping", params.clone()).await, 200);
    }
    let failed = client
        .call(
            "news.list",
            json!({"cat_id": -1, "page": 1, "mobile": PING_MOBILE}),
        )
        .await;
    assert_code(&failed, 500);
    let status = gateway.terminate().await;
    assert!(status.success(), "{status:?}");
    let log = gateway.log();
    for secret in [PING_MOBILE, PING_PASSWORD] {
        assert!(!log.contains(secret), "`{secret}` leaked:\n{log}");
    }
    log
}

fn request_lines(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| l.contains(" request ") && !l.contains("request failed"))
        .collect()
}

fn failure_lines(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| l.contains("request failed"))
        .collect()
}

#[tokio::test]
async fn at_info_every_request_line_is_written_masked_before_exit() {
    let log = logged_at("info").await;
    // The lines are written by a worker thread: all of them are out by
    // the time the process has exited.
    let lines = request_lines(&log);
    assert_eq!(lines.len(), PINGS, "one line per ping:\n{log}");
    for line in lines {
        assert!(line.contains(r#""mobile":"186****2222""#), "{line}");
        assert!(line.contains(r#""password":"***""#), "{line}");
    }
    let failures = failure_lines(&log);
    assert_eq!(failures.len(), 1, "{log}");
    assert!(failures[0].contains("186****2222"), "{log}");
}

#[tokio::test]
async fn at_warn_no_request_line_is_written_and_failures_still_are() {
    let log = logged_at("warn").await;
    assert_eq!(request_lines(&log), Vec::<&str>::new(), "{log}");
    // The failure's line is an error: it is written, masked.
    let failures = failure_lines(&log);
    assert_eq!(failures.len(), 1, "{log}");
    assert!(failures[0].contains("186****2222"), "{log}");
}
