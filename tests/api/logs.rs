//! What the gateway writes to its log: one line per request, and never a
//! secret, signature, password, token or SMS code.

use serde_json::json;

use crate::helpers::db::TestDb;
use crate::helpers::procs::{GatewayProcess, Launch, process_settings};
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
