//! Items 1–4 and 6 of the compatibility issue: what upstream apps send.

use serde_json::{Value, json};

use super::{app_data, php_json, post};
use crate::helpers::wire::Encoding;
use crate::helpers::*;

const MOBILE: &str = "13700001111";
const PASSWORD: &str = "upstream_pw1";

/// The exact answer of a logged-out notice.unread.count.
fn zero() -> Value {
    json!({"code": 200, "msg": "success", "data": {"count": 0}})
}

#[tokio::test]
async fn notice_unread_count_without_a_token_is_zero_and_with_one_counts() {
    let app = &spawn_app().await;
    // The seed's "有传，无传空字符串": an app asking at launch, logged out.
    let data = app_data(app, "notice.unread.count", json!({"token": ""}));
    for encoding in [Encoding::Form, Encoding::Multipart] {
        assert_eq!(post(app, &data, IOS_SECRET, encoding).await, zero());
    }
    let data = app_data(app, "notice.unread.count", json!({}));
    assert_eq!(post(app, &data, IOS_SECRET, Encoding::Form).await, zero());
    // An expired or unknown token is no user, like the other optional-session methods.
    let data = app_data(
        app,
        "notice.unread.count",
        json!({"token": "0123456789abcdef0123456789abcdef"}),
    );
    assert_eq!(post(app, &data, IOS_SECRET, Encoding::Form).await, zero());

    // Logged in: the three published notices are unread, then two.
    let token = app.register_token(MOBILE, PASSWORD).await;
    let data = app_data(app, "notice.unread.count", json!({"token": token}));
    let env = post(app, &data, IOS_SECRET, Encoding::Form).await;
    assert_eq!(env["data"], json!({"count": 3}), "{env}");
    let read = app
        .call_with_token("notice.detail", &token, json!({"noticeid": 1}))
        .await;
    assert_code(&read, 200);
    let env = post(app, &data, IOS_SECRET, Encoding::Form).await;
    assert_eq!(env["data"], json!({"count": 2}), "{env}");
}

#[tokio::test]
async fn register_and_login_take_the_sms_code_as_sms_code() {
    let app = &spawn_app().await;
    let code = app.sms_code(MOBILE, "USER_REGISTER_CODE").await;
    let register = |params: Value| {
        let data = app_data(app, "user.register", params);
        async move { post(app, &data, IOS_SECRET, Encoding::Form).await }
    };
    // Both names, different values: refused by name, the code not tried.
    let env = register(
        json!({"mobile": MOBILE, "password": PASSWORD, "code": "000000", "sms_code": code}),
    )
    .await;
    assert_eq!(
        env,
        json!({"code": 503, "msg": "参数 code 与 sms_code 不一致，请只传其中一个"})
    );
    // A wrong sms_code gets the same checks as a wrong code.
    let wrong = if code == "111111" { "222222" } else { "111111" };
    let env = register(json!({"mobile": MOBILE, "password": PASSWORD, "sms_code": wrong})).await;
    assert_eq!(env, json!({"code": 700, "msg": "您的验证码不正确"}));
    let env = register(json!({"mobile": MOBILE, "password": PASSWORD, "sms_code": code})).await;
    assert_eq!(
        (env["code"].as_i64(), env["msg"].as_str()),
        (Some(200), Some("注册成功")),
        "{env}"
    );

    let login = |params: Value| {
        let data = app_data(app, "user.login", params);
        async move { post(app, &data, IOS_SECRET, Encoding::Multipart).await }
    };
    // login_type 1: the SMS code as sms_code.
    let code = app.sms_code(MOBILE, "USER_LOGIN_CODE").await;
    let env = login(json!({"mobile": MOBILE, "login_type": 1, "sms_code": code})).await;
    assert_eq!(
        (env["code"].as_i64(), env["msg"].as_str()),
        (Some(200), Some("登录成功")),
        "{env}"
    );
    // The code is used up, as through `code` (a second later: the same
    // bytes again would be refused as a replay, docs/protocol.md §11.5).
    app.state.clock.advance(1);
    let env = login(json!({"mobile": MOBILE, "login_type": 1, "sms_code": code})).await;
    assert_eq!(env, json!({"code": 700, "msg": "验证码已失效，请重新获取"}));
    // login_type 2: the password where `code` would carry it.
    let env = login(json!({"mobile": MOBILE, "login_type": 2, "sms_code": PASSWORD})).await;
    assert_code(&env, 200);
    let env =
        login(json!({"mobile": MOBILE, "login_type": 2, "code": PASSWORD, "sms_code": "x"})).await;
    assert_eq!(
        env,
        json!({"code": 503, "msg": "参数 code 与 sms_code 不一致，请只传其中一个"})
    );
}

#[tokio::test]
async fn system_ads_takes_the_position_as_place_code() {
    let app = &spawn_app().await;
    let ads = |params: Value| {
        let data = app_data(app, "system.ads", params);
        async move { post(app, &data, IOS_SECRET, Encoding::Form).await }
    };
    let by_code = ads(json!({"code": "home_banner"})).await;
    assert_code(&by_code, 200);
    assert_eq!(ads(json!({"place_code": "home_banner"})).await, by_code);
    assert_eq!(
        ads(json!({"code": "home_banner", "place_code": "home_banner"})).await,
        by_code
    );
    assert_eq!(
        ads(json!({"code": "home_banner", "place_code": "app_start"})).await,
        json!({"code": 503, "msg": "参数 code 与 place_code 不一致，请只传其中一个"})
    );
    assert_eq!(
        ads(json!({"place_code": "no_such_position"})).await,
        json!({"code": 404, "msg": "广告位不存在"})
    );
    assert_eq!(
        ads(json!({})).await,
        json!({"code": 503, "msg": "缺少参数 code"})
    );
}

#[tokio::test]
async fn user_detail_answers_reg_time_beside_c_time() {
    let app = &spawn_app().await;
    let token = app.register_token(MOBILE, PASSWORD).await;
    let data = app_data(app, "user.detail", json!({"token": token}));
    let env = post(app, &data, IOS_SECRET, Encoding::Form).await;
    assert_code(&env, 200);
    let d = &env["data"];
    assert!(d["c_time"].as_str().is_some_and(|t| t.len() == 19), "{env}");
    assert_eq!(d["reg_time"], d["c_time"], "{env}");
}

/// apps.toml with an appid whose clock may run an hour fast.
fn apps_with_future_skew() -> String {
    format!(
        "{}\n[apps.fast_clock_app]\nname = \"Fast clocks\"\ntype = \"app\"\nsecrets = [\"{IOS_SECRET}\"]\nfuture_skew_secs = 3600\n",
        default_apps()
    )
}

#[tokio::test]
async fn the_future_window_is_per_appid_and_507_says_which_clock_is_off() {
    let app = &spawn_app_with(Options {
        apps: apps_with_future_skew(),
        ..Options::default()
    })
    .await;
    let at = |appid: &str, offset: i64| {
        let mut data: Value =
            serde_json::from_str(&app_data(app, "system.init", json!({}))).unwrap();
        data["appid"] = json!(appid);
        data["timestamp"] = json!(app.now() + offset);
        let data = php_json(&data);
        async move { post(app, &data, IOS_SECRET, Encoding::Form).await }
    };
    let fast =
        json!({"code": 507, "msg": "请求时间超前（设备时间快于服务器时间），请校准设备时间后重试"});
    let slow =
        json!({"code": 507, "msg": "请求已过期（设备时间慢于服务器时间），请校准设备时间后重试"});
    // The default stays symmetric: 600 s either side.
    assert_code(&at("ios_app_id", 590).await, 200);
    assert_eq!(at("ios_app_id", 700).await, fast);
    assert_eq!(at("ios_app_id", -700).await, slow);
    // This appid takes an hour ahead; behind, still the 600 s.
    assert_code(&at("fast_clock_app", 3000).await, 200);
    assert_eq!(at("fast_clock_app", 3700).await, fast);
    assert_eq!(at("fast_clock_app", -700).await, slow);
}
