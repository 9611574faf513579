//! Abuse guards and anti-duplicate tokens (issue: accounts): request
//! tokens under concurrency across instances, IP bans, the write switch,
//! rate limits across instances.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::helpers::*;

const MOBILE: &str = "13712345678";
const PASSWORD: &str = "secret_123";

#[tokio::test]
async fn request_tokens_come_one_to_five_at_a_time() {
    let app = spawn_app().await;
    let env = app.call("system.request.token", json!({"number": 3})).await;
    assert_code(&env, 200);
    let tokens = env["data"]["tokens"].as_array().unwrap();
    assert_eq!(tokens.len(), 3);
    assert_eq!(env["data"]["token"], tokens[0]);
    let distinct: std::collections::HashSet<_> = tokens.iter().map(Value::to_string).collect();
    assert_eq!(distinct.len(), 3);
    for bad in [json!(0), json!(6), json!(-1), json!("many")] {
        let env = app
            .call("system.request.token", json!({"number": bad}))
            .await;
        assert_code(&env, 503);
        assert!(env["msg"].as_str().unwrap().contains("number"), "{env}");
    }
}

fn require_tokens_for_pwd_edit(s: &mut Settings) {
    s.request_token.require = vec!["user.pwd.edit".into()];
}

async fn request_token(app: &TestApp, session: &str) -> String {
    let env = app
        .call_with_token("system.request.token", session, json!({"number": 1}))
        .await;
    assert_code(&env, 200);
    env["data"]["token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_method_that_needs_a_request_token_takes_each_only_once() {
    let app = spawn_app_with(Options::configure(require_tokens_for_pwd_edit)).await;
    let session = app.register_token(MOBILE, PASSWORD).await;
    let edit = |req_token: Option<&str>| {
        let mut p = json!({"old_pwd": PASSWORD, "new_pwd": PASSWORD});
        if let Some(t) = req_token {
            p["req_token"] = json!(t);
        }
        app.call_with_token("user.pwd.edit", &session, p)
    };
    assert_eq!(
        edit(None).await,
        json!({"code": 503, "msg": "缺少参数 req_token"})
    );
    let t = request_token(&app, &session).await;
    assert_code(&edit(Some(&t)).await, 200);
    assert_eq!(
        edit(Some(&t)).await,
        json!({"code": 503, "msg": "请求令牌无效或已使用，请勿重复提交"})
    );
    assert_code(&edit(Some("not-a-token")).await, 503);

    // A token issued to the anonymous device is not this user's.
    let anonymous = app.call("system.request.token", json!({"number": 1})).await;
    let t = anonymous["data"]["token"].as_str().unwrap();
    assert_code(&edit(Some(t)).await, 503);
}

#[tokio::test]
async fn fifty_concurrent_submissions_of_one_token_across_two_instances_let_exactly_one_through() {
    let a = spawn_app_with(Options::configure(require_tokens_for_pwd_edit)).await;
    let b = spawn_app_with(second_instance_of(&a).and_configure(require_tokens_for_pwd_edit)).await;
    let session = a.register_token(MOBILE, PASSWORD).await;
    let token = request_token(&a, &session).await;

    let (a, b) = (Arc::new(a), Arc::new(b));
    let mut tasks = Vec::new();
    for i in 0..50 {
        let app = if i % 2 == 0 { a.clone() } else { b.clone() };
        let (session, token) = (session.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            let p = json!({"old_pwd": PASSWORD, "new_pwd": PASSWORD, "req_token": token});
            app.call_with_token("user.pwd.edit", &session, p).await["code"]
                .as_i64()
                .unwrap()
        }));
    }
    let mut codes = Vec::new();
    for t in tasks {
        codes.push(t.await.unwrap());
    }
    assert_tally(&codes, &[(200, 1), (503, 49)]);
}

#[tokio::test]
async fn repeated_failures_ban_the_ip_until_the_ban_expires() {
    let app = spawn_app_with(Options::configure(|s| {
        s.guards.ip_max_failures = 3;
        config::set_ip_ban(s, std::time::Duration::from_secs(2));
    }))
    .await;
    for _ in 0..3 {
        let env = app
            .login_as("ios_app_id", IOS_SECRET, "13700000001", PASSWORD)
            .await;
        assert_code(&env, 605);
    }
    let banned = app.call("system.request.token", json!({"number": 1})).await;
    assert_code(&banned, 510);
    assert!(
        banned["msg"].as_str().unwrap().contains("解封时间"),
        "{banned}"
    );
    // system.ping touches no store: automatic bans (in Redis) do not reach it.
    assert_code(&app.call("system.ping", json!({})).await, 200);
    wait_until("the ban expires", 10, || async {
        app.call("system.request.token", json!({"number": 1})).await["code"] == 200
    })
    .await;
}

#[tokio::test]
async fn successes_and_other_methods_do_not_count_as_failures() {
    let app = spawn_app_with(Options::configure(|s| s.guards.ip_max_failures = 2)).await;
    for _ in 0..3 {
        assert_code(&app.call("system.nope", json!({})).await, 509);
        assert_code(
            &app.call("system.request.token", json!({"number": 9})).await,
            503,
        );
    }
    assert_code(
        &app.call("system.request.token", json!({"number": 1})).await,
        200,
    );
}

#[tokio::test]
async fn a_ban_holds_on_every_instance() {
    let a = spawn_app_with(Options::configure(|s| s.guards.ip_max_failures = 2)).await;
    let b = spawn_app_with(second_instance_of(&a)).await;
    for _ in 0..2 {
        a.login_as("ios_app_id", IOS_SECRET, "13700000001", PASSWORD)
            .await;
    }
    assert_code(
        &b.call("system.request.token", json!({"number": 1})).await,
        510,
    );
}

#[tokio::test]
async fn manual_bans_from_config_and_table_refuse_every_method() {
    let app = spawn_app_with(Options::configure(|s| {
        s.guards.banned_ips = vec!["127.0.0.0/8".parse().unwrap()];
    }))
    .await;
    let env = app.call("system.ping", json!({})).await;
    assert_code(&env, 510);

    let app = spawn_app_with(Options::configure(|s| {
        config::set_ban_table_refresh(s, std::time::Duration::from_secs(1));
    }))
    .await;
    assert_code(&app.call("system.ping", json!({})).await, 200);
    let db = app.database.as_ref().unwrap().client().await;
    db.execute(
        "INSERT INTO ip_bans (net, reason) VALUES ('127.0.0.1/32', 'test')",
        &[],
    )
    .await
    .unwrap();
    wait_until("the table ban is picked up", 10, || async {
        app.call("system.ping", json!({})).await["code"] == 510
    })
    .await;
    db.execute("DELETE FROM ip_bans", &[]).await.unwrap();
    wait_until("the lifted ban is picked up", 10, || async {
        app.call("system.ping", json!({})).await["code"] == 200
    })
    .await;
}

#[tokio::test]
async fn the_write_switch_refuses_writes_except_for_whitelisted_users() {
    // User 1 of the demo data (13800138000, demo123456) is whitelisted.
    let app = spawn_app_with(Options::configure(|s| {
        s.guards.writes_enabled = false;
        s.guards.write_whitelist_users = vec![1];
    }))
    .await;
    let env = app
        .call(
            "user.register",
            json!({"mobile": MOBILE, "password": PASSWORD, "code": "123456"}),
        )
        .await;
    assert_eq!(env, json!({"code": 503, "msg": "产品升级维护中"}));

    // Reads and logins go on; the whitelisted user may write.
    let demo = app.login_token("13800138000", "demo123456").await;
    assert_code(
        &app.call_with_token("user.detail", &demo, json!({})).await,
        200,
    );
    let edit = app
        .call_with_token(
            "user.pwd.edit",
            &demo,
            json!({"old_pwd": "demo123456", "new_pwd": "demo123456"}),
        )
        .await;
    assert_code(&edit, 200);
    let other = app.login_token("13900139000", "demo123456").await;
    let edit = app
        .call_with_token(
            "user.pwd.edit",
            &other,
            json!({"old_pwd": "demo123456", "new_pwd": "demo123456"}),
        )
        .await;
    assert_eq!(edit, json!({"code": 503, "msg": "产品升级维护中"}));
}

fn limited_apps() -> String {
    default_apps().replacen(
        "[apps.ios_app_id]\n",
        "[apps.ios_app_id]\nrate_limit = { requests = 5, per_secs = 3600 }\nmethod_rate_limits = { \"system.request.token\" = { requests = 2, per_secs = 3600 } }\n",
        1,
    )
}

#[tokio::test]
async fn rate_limits_hold_across_two_instances() {
    let a = spawn_app_with(Options {
        apps: limited_apps(),
        ..Options::default()
    })
    .await;
    let mut opts = second_instance_of(&a);
    opts.apps = limited_apps();
    let b = spawn_app_with(opts).await;
    // user.detail without a token passes every check up to the session
    // step (602), so each call spends one unit of the appid's budget.
    let mut codes = Vec::new();
    for app in [&a, &b, &a, &b, &a] {
        codes.push(
            app.call("user.detail", json!({})).await["code"]
                .as_i64()
                .unwrap(),
        );
    }
    assert_eq!(codes, [602; 5]);
    assert_eq!(
        b.call("user.detail", json!({})).await,
        json!({"code": 511, "msg": "请求过于频繁，请稍后再试"})
    );
    assert_code(&a.call("user.detail", json!({})).await, 511);
    // The other appids have their own budget.
    assert_code(
        &a.call_as("android_app_id", ANDROID_SECRET, "user.detail", json!({}))
            .await,
        602,
    );
}

#[tokio::test]
async fn a_method_limit_is_narrower_than_the_appid_limit() {
    let app = spawn_app_with(Options {
        apps: limited_apps(),
        ..Options::default()
    })
    .await;
    for _ in 0..2 {
        assert_code(
            &app.call("system.request.token", json!({"number": 1})).await,
            200,
        );
    }
    assert_code(
        &app.call("system.request.token", json!({"number": 1})).await,
        511,
    );
    assert_code(&app.call("user.detail", json!({})).await, 602);
}
