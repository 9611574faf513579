//! Accounts and sessions (issue: accounts): register, login, displacement,
//! password changes, logout, login locks, locked accounts.

use serde_json::{Value, json};

use crate::helpers::*;

const MOBILE: &str = "18575202691";
const PASSWORD: &str = "secret_123";

fn keys(v: &Value) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

#[tokio::test]
async fn the_session_journey_from_register_to_logout() {
    let app = spawn_app().await;

    // Register on iOS: logged in at once, the seed's login shape.
    let env = app.register(MOBILE, PASSWORD).await;
    assert_code(&env, 200);
    assert_eq!(env["msg"], "注册成功");
    assert_eq!(
        keys(&env["data"]),
        [
            "token", "open_id", "mobile", "headimg", "nickname", "intro", "reg_time"
        ]
    );
    assert_eq!(env["data"]["nickname"], "185****2691");
    assert_eq!(env["data"]["mobile"], MOBILE);
    let ios = env["data"]["token"].as_str().unwrap().to_string();

    let detail = app.call_with_token("user.detail", &ios, json!({})).await;
    assert_code(&detail, 200);
    assert_eq!(
        keys(&detail["data"]),
        // c_time as the seed documents it, reg_time as upstream answers it.
        [
            "mobile", "open_id", "nickname", "headimg", "intro", "c_time", "reg_time"
        ]
    );
    assert_eq!(detail["data"]["open_id"], env["data"]["open_id"]);
    assert_eq!(detail["data"]["c_time"], env["data"]["reg_time"]);

    // Another app device logs in: the first app session is displaced.
    let android = app
        .login_as("android_app_id", ANDROID_SECRET, MOBILE, PASSWORD)
        .await;
    assert_code(&android, 200);
    assert_eq!(android["msg"], "登录成功");
    let android = android["data"]["token"].as_str().unwrap().to_string();
    assert_code(
        &app.call_with_token("user.detail", &ios, json!({})).await,
        603,
    );
    let on_android = |method: &'static str, token: String| {
        let app = &app;
        async move {
            app.call_as(
                "android_app_id",
                ANDROID_SECRET,
                method,
                json!({"token": token}),
            )
            .await
        }
    };
    assert_code(&on_android("user.detail", android.clone()).await, 200);

    // An H5 login is another class: the app session is unaffected.
    let h5 = app.login_as("h5_app_id", H5_SECRET, MOBILE, PASSWORD).await;
    assert_code(&h5, 200);
    let h5 = h5["data"]["token"].as_str().unwrap().to_string();
    assert_code(&on_android("user.detail", android.clone()).await, 200);
    let h5_detail = app
        .call_as("h5_app_id", H5_SECRET, "user.detail", json!({"token": h5}))
        .await;
    assert_code(&h5_detail, 200);

    // A password change keeps the session that made it; others get 606.
    let edit = app
        .call_as(
            "android_app_id",
            ANDROID_SECRET,
            "user.pwd.edit",
            json!({"token": android, "old_pwd": PASSWORD, "new_pwd": "changed-456"}),
        )
        .await;
    assert_code(&edit, 200);
    assert_eq!(edit["msg"], "密码修改成功");
    assert!(edit.get("data").is_none());
    assert_code(&on_android("user.detail", android.clone()).await, 200);
    assert_code(
        &app.call_as("h5_app_id", H5_SECRET, "user.detail", json!({"token": h5}))
            .await,
        606,
    );

    // Logout ends the session: 601 afterwards, and no data in the answer.
    let out = on_android("user.logout", android.clone()).await;
    assert_eq!(out, json!({"code": 200, "msg": "退出成功"}));
    assert_code(&on_android("user.detail", android).await, 601);

    // No token at all where a user is needed: 602.
    assert_code(
        &app.call_with_token("user.detail", "", json!({})).await,
        602,
    );
    assert_code(&app.call("user.detail", json!({})).await, 602);
    // Garbage and unknown tokens: 601.
    assert_code(
        &app.call_with_token("user.detail", "nonsense", json!({}))
            .await,
        601,
    );
    assert_code(
        &app.call_with_token("user.detail", &"0".repeat(32), json!({}))
            .await,
        601,
    );

    // The new password logs in; the old one does not.
    assert_code(
        &app.login_as("ios_app_id", IOS_SECRET, MOBILE, PASSWORD)
            .await,
        503,
    );
    assert_code(
        &app.login_as("ios_app_id", IOS_SECRET, MOBILE, "changed-456")
            .await,
        200,
    );
}

#[tokio::test]
async fn register_on_a_registered_mobile_is_604_before_the_code_is_checked() {
    let app = spawn_app().await;
    app.register_token(MOBILE, PASSWORD).await;
    let env = app
        .call(
            "user.register",
            json!({"mobile": MOBILE, "password": PASSWORD, "code": "000000"}),
        )
        .await;
    assert_eq!(env, json!({"code": 604, "msg": "账号已注册"}));
}

#[tokio::test]
async fn register_refuses_bad_input_with_clear_messages() {
    let app = spawn_app().await;
    let cases = [
        (
            json!({"mobile": "12345", "password": PASSWORD, "code": "123456"}),
            503,
            "手机号格式不正确",
        ),
        (
            json!({"mobile": MOBILE, "password": "12345", "code": "123456"}),
            503,
            "密码须为 6-20 位数字、字母、下划线或破折号",
        ),
        (
            json!({"mobile": MOBILE, "password": "has space", "code": "123456"}),
            503,
            "密码须为 6-20 位数字、字母、下划线或破折号",
        ),
        (
            json!({"mobile": MOBILE, "password": PASSWORD, "code": "12"}),
            700,
            "短信验证码不正确",
        ),
        (
            json!({"mobile": MOBILE, "password": PASSWORD, "code": "123456"}),
            700,
            "验证码已失效，请重新获取",
        ),
        (
            json!({"mobile": MOBILE, "password": PASSWORD}),
            503,
            "缺少参数 code",
        ),
    ];
    for (params, code, msg) in cases {
        let env = app.call("user.register", params.clone()).await;
        assert_eq!(env, json!({"code": code, "msg": msg}), "{params}");
    }
    let db = app.database.as_ref().unwrap().client().await;
    let n: i64 = db
        .query_one("SELECT count(*) FROM users WHERE mobile = $1", &[&MOBILE])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0, "no account from refused registrations");
}

#[tokio::test]
async fn a_registration_code_works_once() {
    let app = spawn_app().await;
    let code = app.sms_code(MOBILE, "USER_REGISTER_CODE").await;
    let env = app
        .call(
            "user.register",
            json!({"mobile": MOBILE, "password": PASSWORD, "code": code}),
        )
        .await;
    assert_code(&env, 200);
    let again = app
        .call(
            "user.register",
            json!({"mobile": "18575202692", "password": PASSWORD, "code": code}),
        )
        .await;
    assert_code(&again, 700);
}

#[tokio::test]
async fn login_answers_605_for_an_unregistered_mobile() {
    let app = spawn_app().await;
    let env = app
        .login_as("ios_app_id", IOS_SECRET, MOBILE, PASSWORD)
        .await;
    assert_eq!(env, json!({"code": 605, "msg": "账号未注册"}));
}

#[tokio::test]
async fn login_by_sms_code_uses_the_code_up() {
    let app = spawn_app().await;
    app.register_token(MOBILE, PASSWORD).await;
    let code = app.sms_code(MOBILE, "USER_LOGIN_CODE").await;
    let login = |code: String| {
        app.call(
            "user.login",
            json!({"mobile": MOBILE, "login_type": 1, "code": code}),
        )
    };
    assert_code(&login(code.clone()).await, 200);
    let again = login(code).await;
    assert_code(&again, 700);
}

#[tokio::test]
async fn login_takes_the_password_in_code_or_in_password() {
    let app = spawn_app().await;
    app.register_token(MOBILE, PASSWORD).await;
    let env = app
        .call(
            "user.login",
            json!({"mobile": MOBILE, "login_type": 2, "password": PASSWORD}),
        )
        .await;
    assert_code(&env, 200);
    let env = app
        .call(
            "user.login",
            json!({"mobile": MOBILE, "login_type": "2", "code": PASSWORD}),
        )
        .await;
    assert_code(&env, 200);
    let env = app
        .call(
            "user.login",
            json!({"mobile": MOBILE, "login_type": 3, "code": PASSWORD}),
        )
        .await;
    assert_code(&env, 503);
    assert!(env["msg"].as_str().unwrap().contains("login_type"));
}

#[tokio::test]
async fn five_wrong_passwords_lock_login_for_a_day_even_for_the_right_one() {
    let app = spawn_app().await;
    app.register_token(MOBILE, PASSWORD).await;
    for i in 1..=4 {
        let env = app
            .login_as("ios_app_id", IOS_SECRET, MOBILE, "wrong-pass")
            .await;
        assert_eq!(
            env,
            json!({"code": 503, "msg": "账号或密码不正确"}),
            "attempt {i}"
        );
    }
    let fifth = app
        .login_as("ios_app_id", IOS_SECRET, MOBILE, "wrong-pass")
        .await;
    assert_code(&fifth, 607);
    let right = app
        .login_as("ios_app_id", IOS_SECRET, MOBILE, PASSWORD)
        .await;
    assert_code(&right, 607);
    // The message says until when: about 24 h from now.
    let tz = yafgate::config::settings::TzOffset::default().0;
    let until = yafgate::domain::time::format_time(tz, app.state.clock.now() + 86_400);
    let msg = right["msg"].as_str().unwrap();
    assert!(msg.contains(&until[..13]), "{msg} should name {until}");
}

#[tokio::test]
async fn wrong_sms_codes_count_towards_the_lock_too() {
    let app = spawn_app().await;
    app.register_token(MOBILE, PASSWORD).await;
    for _ in 0..4 {
        let env = app
            .call(
                "user.login",
                json!({"mobile": MOBILE, "login_type": 1, "code": "000000"}),
            )
            .await;
        assert_code(&env, 700);
    }
    let env = app
        .call(
            "user.login",
            json!({"mobile": MOBILE, "login_type": 1, "code": "000000"}),
        )
        .await;
    assert_code(&env, 607);
}

#[tokio::test]
async fn a_success_clears_the_failure_count() {
    let app = spawn_app().await;
    app.register_token(MOBILE, PASSWORD).await;
    for _ in 0..4 {
        assert_code(
            &app.login_as("ios_app_id", IOS_SECRET, MOBILE, "wrong-pass")
                .await,
            503,
        );
    }
    assert_code(
        &app.login_as("ios_app_id", IOS_SECRET, MOBILE, PASSWORD)
            .await,
        200,
    );
    for _ in 0..4 {
        assert_code(
            &app.login_as("ios_app_id", IOS_SECRET, MOBILE, "wrong-pass")
                .await,
            503,
        );
    }
}

#[tokio::test]
async fn password_recovery_invalidates_every_session_and_lifts_the_lock() {
    let app = spawn_app().await;
    let token = app.register_token(MOBILE, PASSWORD).await;
    for _ in 0..5 {
        app.login_as("ios_app_id", IOS_SECRET, MOBILE, "wrong-pass")
            .await;
    }
    let code = app.sms_code(MOBILE, "USER_PWD_FIND_CODE").await;
    let env = app
        .call(
            "user.pwd.find",
            json!({"mobile": MOBILE, "code": code, "password": "brand-new-1"}),
        )
        .await;
    assert_eq!(env, json!({"code": 200, "msg": "密码找回成功"}));
    assert_code(
        &app.call_with_token("user.detail", &token, json!({})).await,
        606,
    );
    assert_code(
        &app.login_as("ios_app_id", IOS_SECRET, MOBILE, "brand-new-1")
            .await,
        200,
    );

    let env = app
        .call(
            "user.pwd.find",
            json!({"mobile": "18575202699", "code": "123456", "password": "brand-new-1"}),
        )
        .await;
    assert_code(&env, 605);
}

#[tokio::test]
async fn a_wrong_old_password_changes_nothing() {
    let app = spawn_app().await;
    let token = app.register_token(MOBILE, PASSWORD).await;
    let env = app
        .call_with_token(
            "user.pwd.edit",
            &token,
            json!({"old_pwd": "not-it-123", "new_pwd": "changed-456"}),
        )
        .await;
    assert_eq!(env, json!({"code": 503, "msg": "旧密码不正确"}));
    assert_code(
        &app.login_as("android_app_id", ANDROID_SECRET, MOBILE, PASSWORD)
            .await,
        200,
    );
}

#[tokio::test]
async fn locked_and_cancelled_accounts_can_neither_log_in_nor_use_a_token() {
    let app = spawn_app().await;
    let token = app.register_token(MOBILE, PASSWORD).await;
    let db = app.database.as_ref().unwrap().client().await;
    for (status, msg) in [(2i16, "账号已被锁定，请联系客服"), (3, "账号已注销")] {
        db.execute(
            "UPDATE users SET status = $1 WHERE mobile = $2",
            &[&status, &MOBILE],
        )
        .await
        .unwrap();
        // The change reaches the sessions by notification (docs/protocol.md
        // §8.8): within moments, not necessarily before the next request.
        let refused = poll_until(
            "the token is refused",
            5,
            || app.call_with_token("user.detail", &token, json!({})),
            |env| env["msg"] == msg,
        )
        .await;
        assert_eq!(refused, json!({"code": 503, "msg": msg}));
        assert_eq!(
            app.login_as("android_app_id", ANDROID_SECRET, MOBILE, PASSWORD)
                .await,
            json!({"code": 503, "msg": msg})
        );
    }
}

#[tokio::test]
async fn every_authenticated_call_slides_the_expiry() {
    let app = spawn_app().await;
    let token = app.register_token(MOBILE, PASSWORD).await;
    app.expire_session_in(&token, 5).await;

    assert_code(
        &app.call_with_token("user.detail", &token, json!({})).await,
        200,
    );

    let ttl = app.session_ttl(&token).await;
    assert!(
        ttl > 30 * 86_400 - 60,
        "app session TTL back to 30 days, got {ttl}"
    );
}

#[tokio::test]
async fn web_sessions_live_thirty_minutes() {
    let app = spawn_app().await;
    app.register_token(MOBILE, PASSWORD).await;
    let h5 = app.login_as("h5_app_id", H5_SECRET, MOBILE, PASSWORD).await;
    assert_code(&h5, 200);
    let token = h5["data"]["token"].as_str().unwrap();
    // The key itself, as the gateway wrote it: a few seconds may have
    // passed since, never more than the time this test took.
    let ttl = app.session_ttl(token).await;
    assert!(
        (30 * 60 - 10..=30 * 60).contains(&ttl),
        "an H5 session lives 30 minutes, its key's TTL is {ttl} s"
    );
}

#[tokio::test]
async fn idle_web_sessions_expire_to_601() {
    let app = spawn_app_with(Options::configure(|s| {
        config::set_web_session_ttl(s, std::time::Duration::from_secs(1));
    }))
    .await;
    app.register_token(MOBILE, PASSWORD).await;
    let h5 = app.login_as("h5_app_id", H5_SECRET, MOBILE, PASSWORD).await;
    let token = h5["data"]["token"].as_str().unwrap().to_string();
    // Watch the key, not the API: every authenticated call would slide it.
    wait_until("the idle web session expires", 10, || async {
        app.session_ttl(&token).await == -2
    })
    .await;
    let env = app
        .call_as(
            "h5_app_id",
            H5_SECRET,
            "user.detail",
            json!({"token": token}),
        )
        .await;
    assert_code(&env, 601);
}

#[tokio::test]
async fn session_keys_are_read_from_the_apps_own_redis() {
    // The harness must look where the gateway writes: with a Redis of the
    // app's own, the project's Redis has no such key (TTL -2).
    let redis = crate::helpers::procs::PrivateRedis::start().await;
    let app = spawn_app_with(Options {
        redis_url: Some(redis.url()),
        ..Options::default()
    })
    .await;
    let token = app.register_token(MOBILE, PASSWORD).await;
    let ttl = app.session_ttl(&token).await;
    assert!(ttl > 30 * 86_400 - 60, "app session TTL {ttl}");
}

#[tokio::test]
async fn registration_stores_an_argon2id_hash_and_the_client_details() {
    let app = spawn_app().await;
    app.register_token(MOBILE, PASSWORD).await;
    let db = app.database.as_ref().unwrap().client().await;
    let row = db
        .query_one("SELECT password_hash, reg_platform, app_v_ok, status FROM (SELECT password_hash, reg_platform, reg_app_v = '1.0.0' AS app_v_ok, status FROM users WHERE mobile = $1) u", &[&MOBILE])
        .await
        .unwrap();
    let hash: String = row.get(0);
    assert!(hash.starts_with("$argon2id$") && !hash.contains(PASSWORD));
    assert_eq!(row.get::<_, i16>(1), 1);
    assert!(row.get::<_, bool>(2));
    assert_eq!(row.get::<_, i16>(3), 1);
}
