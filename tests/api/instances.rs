//! Two gateway processes on different ports sharing PostgreSQL and Redis:
//! sessions, displacement, request tokens, bans and rate limits hold across
//! them (docs/protocol.md §12.6).

use serde_json::json;

use crate::helpers::db::TestDb;
use crate::helpers::procs::{GatewayProcess, process_settings};
use crate::helpers::*;

const MOBILE: &str = "13512345678";
const PASSWORD: &str = "secret_123";

/// Two processes on one database and one Redis namespace, with the same
/// settings (the test defaults, request tokens for user.pwd.edit, and
/// `configure`).
async fn pair(
    db: &TestDb,
    configure: impl FnOnce(&mut Settings),
    apps: &str,
) -> (GatewayProcess, GatewayProcess) {
    let mut settings = process_settings(&db.url);
    settings.request_token.require = vec!["user.pwd.edit".into()];
    configure(&mut settings);
    (
        GatewayProcess::start(settings.clone(), apps).await,
        GatewayProcess::start(settings, apps).await,
    )
}

#[tokio::test]
async fn sessions_displacement_and_request_tokens_hold_across_processes() {
    let db = TestDb::create().await;
    let (a, b) = pair(&db, |_| {}, &default_apps()).await;
    let (a, b) = (Remote::new(a.url()), Remote::new(b.url()));

    let code = a
        .call(
            "sms.send",
            json!({"mobile": MOBILE, "key": "USER_REGISTER_CODE"}),
        )
        .await["data"]["code"]
        .clone();
    let reg = b
        .call(
            "user.register",
            json!({"mobile": MOBILE, "password": PASSWORD, "code": code}),
        )
        .await;
    assert_code(&reg, 200);
    let first = reg["data"]["token"].as_str().unwrap().to_string();
    assert_code(&a.call("user.detail", json!({"token": first})).await, 200);

    // A login through B displaces the session in use on A.
    let login = b
        .call(
            "user.login",
            json!({"mobile": MOBILE, "login_type": 2, "code": PASSWORD}),
        )
        .await;
    let second = login["data"]["token"].as_str().unwrap().to_string();
    assert_code(&a.call("user.detail", json!({"token": first})).await, 603);
    assert_code(&a.call("user.detail", json!({"token": second})).await, 200);

    // A request token from A is used once, through B.
    let t = a
        .call(
            "system.request.token",
            json!({"number": 1, "token": second}),
        )
        .await["data"]["token"]
        .clone();
    let edit = json!({"token": second, "old_pwd": PASSWORD, "new_pwd": PASSWORD, "req_token": t});
    assert_code(&b.call("user.pwd.edit", edit.clone()).await, 200);
    assert_code(&a.call("user.pwd.edit", edit).await, 503);
}

#[tokio::test]
async fn bans_and_rate_limits_hold_across_processes() {
    let db = TestDb::create().await;
    let apps = default_apps().replacen(
        "[apps.android_app_id]\n",
        "[apps.android_app_id]\nrate_limit = { requests = 4, per_secs = 3600 }\n",
        1,
    );
    let (a, b) = pair(&db, |s| s.guards.ip_max_failures = 3, &apps).await;
    let (a, b) = (Remote::new(a.url()), Remote::new(b.url()));

    // Rate limit: four calls spread over both, the fifth refused on either.
    for r in [&a, &b, &a, &b] {
        let env = r
            .try_call_as("android_app_id", ANDROID_SECRET, "user.detail", json!({}))
            .await
            .unwrap();
        assert_code(&env, 602);
    }
    let env = b
        .try_call_as("android_app_id", ANDROID_SECRET, "user.detail", json!({}))
        .await
        .unwrap();
    assert_code(&env, 511);

    // Ban: failures counted on A ban the IP on B.
    for _ in 0..3 {
        assert_code(
            &a.call(
                "user.login",
                json!({"mobile": MOBILE, "login_type": 2, "code": PASSWORD}),
            )
            .await,
            605,
        );
    }
    assert_code(
        &b.call("system.request.token", json!({"number": 1})).await,
        510,
    );
}
