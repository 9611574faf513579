//! SMS codes (issue: accounts): interval, daily caps, tries, blacklist, the
//! send log, and the webhook driver against a local receiver.

use std::time::Duration;

use serde_json::json;
use yafgate::config::accounts::SmsDriver;
use yafgate::config::settings::Secret;

use crate::helpers::procs::free_port;
use crate::helpers::webhook::Receiver;
use crate::helpers::*;

const MOBILE: &str = "13912345678";

#[tokio::test]
async fn a_second_send_within_the_interval_is_refused() {
    let app = spawn_app_with(Options::configure(|s| {
        config::set_sms_interval(s, Duration::from_secs(60));
    }))
    .await;
    let send = || {
        app.call(
            "sms.send",
            json!({"mobile": MOBILE, "key": "USER_REGISTER_CODE"}),
        )
    };
    assert_code(&send().await, 200);
    assert_eq!(
        send().await,
        json!({"code": 503, "msg": "两次发送间隔小于60秒"})
    );
    // Another mobile is not affected.
    let other = app
        .call(
            "sms.send",
            json!({"mobile": "13912345679", "key": "USER_REGISTER_CODE"}),
        )
        .await;
    assert_code(&other, 200);
}

#[tokio::test]
async fn daily_caps_hold_per_mobile_and_per_ip() {
    let app = spawn_app_with(Options::configure(|s| {
        s.sms.daily_per_mobile = 2;
        s.sms.daily_per_ip = 3;
    }))
    .await;
    app.sms_code(MOBILE, "USER_REGISTER_CODE").await;
    app.sms_code(MOBILE, "USER_REGISTER_CODE").await;
    let capped = json!({"code": 503, "msg": "今日短信发送次数已达上限，请明天再试"});
    let env = poll_until(
        "the interval passes and the mobile cap answers",
        10,
        || {
            app.call(
                "sms.send",
                json!({"mobile": MOBILE, "key": "USER_REGISTER_CODE"}),
            )
        },
        |env: &serde_json::Value| !env["msg"].as_str().unwrap().contains("间隔"),
    )
    .await;
    assert_eq!(env, capped);
    // The IP's third send is its last.
    app.sms_code("13912345670", "USER_REGISTER_CODE").await;
    let env = app
        .call(
            "sms.send",
            json!({"mobile": "13912345671", "key": "USER_REGISTER_CODE"}),
        )
        .await;
    assert_eq!(env, capped);
}

#[tokio::test]
async fn three_wrong_tries_void_a_code() {
    let app = spawn_app().await;
    let code = app.sms_code(MOBILE, "USER_REGISTER_CODE").await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let verify = |c: &str| {
        app.call(
            "sms.verify",
            json!({"mobile": MOBILE, "key": "USER_REGISTER_CODE", "code": c}),
        )
    };
    assert_eq!(
        verify(&code).await,
        json!({"code": 200, "msg": "验证码正确"})
    );
    for _ in 0..2 {
        assert_eq!(
            verify(wrong).await,
            json!({"code": 503, "msg": "您的验证码不正确"})
        );
    }
    assert_code(&verify(wrong).await, 503);
    assert_eq!(
        verify(&code).await,
        json!({"code": 503, "msg": "验证码已失效，请重新获取"})
    );
}

#[tokio::test]
async fn codes_are_six_digits_and_belong_to_their_key() {
    let app = spawn_app().await;
    let code = app.sms_code(MOBILE, "USER_REGISTER_CODE").await;
    assert!(
        code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()),
        "{code}"
    );
    let env = app
        .call(
            "sms.verify",
            json!({"mobile": MOBILE, "key": "USER_LOGIN_CODE", "code": code}),
        )
        .await;
    assert_code(&env, 503);
}

#[tokio::test]
async fn send_refuses_bad_keys_mobiles_and_pointless_codes() {
    let app = spawn_app().await;
    let cases = [
        (
            json!({"mobile": "1391234567", "key": "USER_REGISTER_CODE"}),
            503,
            "手机号格式不正确",
        ),
        (
            json!({"mobile": MOBILE, "key": "SOMETHING"}),
            503,
            "参数 key 不正确（USER_REGISTER_CODE、USER_LOGIN_CODE、USER_PWD_FIND_CODE、USER_BIND_MOBILE_CODE、CONSULT_SIGNIN_CODE、SUPPLIER_LOGIN_CODE）",
        ),
        (
            json!({"mobile": MOBILE, "key": "USER_LOGIN_CODE"}),
            605,
            "账号未注册",
        ),
        (
            json!({"mobile": MOBILE, "key": "USER_PWD_FIND_CODE"}),
            605,
            "账号未注册",
        ),
        (
            json!({"mobile": "13800138000", "key": "USER_REGISTER_CODE"}),
            604,
            "账号已注册",
        ),
    ];
    for (params, code, msg) in cases {
        assert_eq!(
            app.call("sms.send", params.clone()).await,
            json!({"code": code, "msg": msg}),
            "{params}"
        );
    }
}

#[tokio::test]
async fn blacklisted_mobiles_get_no_code_from_config_or_table() {
    let app = spawn_app_with(Options::configure(|s| {
        s.sms.blacklist = vec![MOBILE.into()]
    }))
    .await;
    let refused = json!({"code": 503, "msg": "该手机号暂时无法接收短信"});
    assert_eq!(
        app.call(
            "sms.send",
            json!({"mobile": MOBILE, "key": "USER_REGISTER_CODE"})
        )
        .await,
        refused
    );
    let db = app.database.as_ref().unwrap().client().await;
    db.execute(
        "INSERT INTO sms_blacklist (mobile) VALUES ('13912345600')",
        &[],
    )
    .await
    .unwrap();
    assert_eq!(
        app.call(
            "sms.send",
            json!({"mobile": "13912345600", "key": "USER_REGISTER_CODE"})
        )
        .await,
        refused
    );
}

#[tokio::test]
async fn every_send_is_logged_without_its_code() {
    let app = spawn_app().await;
    let code = app.sms_code(MOBILE, "USER_REGISTER_CODE").await;
    let db = app.database.as_ref().unwrap().client().await;
    let rows = db
        .query(
            "SELECT mobile, sms_key, host(ip), driver, status, error FROM sms_log",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!(r.get::<_, String>(0), MOBILE);
    assert_eq!(r.get::<_, String>(1), "USER_REGISTER_CODE");
    assert_eq!(r.get::<_, String>(2), "127.0.0.1");
    assert_eq!(r.get::<_, String>(3), "log");
    assert_eq!(r.get::<_, i16>(4), 1);
    let all: String = db
        .query_one("SELECT string_agg(t::text, ',') FROM sms_log t", &[])
        .await
        .unwrap()
        .get(0);
    assert!(!all.contains(&code), "the code is not stored");
}

#[tokio::test]
async fn the_webhook_driver_posts_the_code_to_the_carrier() {
    let carrier = Receiver::start().await;
    let url = carrier.url.clone();
    let app = spawn_app_with(Options::configure(move |s| {
        s.sms.driver = SmsDriver::Webhook;
        s.sms.webhook_url = url;
        s.sms.webhook_token = Secret::new("carrier-key");
    }))
    .await;
    let code = app.sms_code(MOBILE, "USER_REGISTER_CODE").await;
    let got = carrier.received();
    assert_eq!(got.len(), 1);
    let (auth, body) = &got[0];
    assert_eq!(auth.as_deref(), Some("Bearer carrier-key"));
    assert_eq!(body["mobile"], MOBILE);
    assert_eq!(body["key"], "USER_REGISTER_CODE");
    assert_eq!(body["code"], code.as_str());
    assert!(body["text"].as_str().unwrap().contains(&code));
}

#[tokio::test]
async fn a_failed_delivery_is_503_and_not_counted_against_the_user() {
    let carrier = Receiver::start().await;
    carrier.answer_with(500);
    let url = carrier.url.clone();
    let app = spawn_app_with(Options::configure(move |s| {
        s.sms.driver = SmsDriver::Webhook;
        s.sms.webhook_url = url;
        config::set_sms_interval(s, Duration::from_secs(60));
        s.sms.daily_per_mobile = 1;
    }))
    .await;
    let send = || {
        app.call(
            "sms.send",
            json!({"mobile": MOBILE, "key": "USER_REGISTER_CODE"}),
        )
    };
    assert_eq!(send().await, json!({"code": 503, "msg": "短信发送失败"}));
    // Neither the interval nor the daily cap was used up.
    carrier.answer_with(200);
    assert_code(&send().await, 200);

    let db = app.database.as_ref().unwrap().client().await;
    let statuses: Vec<i16> = db
        .query("SELECT status FROM sms_log ORDER BY id", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(statuses, [2, 1]);
}

#[tokio::test]
async fn a_carrier_that_is_down_gives_503_and_the_code_is_void() {
    let url = format!("http://127.0.0.1:{}/sms", free_port());
    let app = spawn_app_with(Options::configure(move |s| {
        s.sms.driver = SmsDriver::Webhook;
        s.sms.webhook_url = url;
        config::set_sms_webhook_timeout(s, Duration::from_millis(500));
    }))
    .await;
    let env = app
        .call(
            "sms.send",
            json!({"mobile": MOBILE, "key": "USER_REGISTER_CODE"}),
        )
        .await;
    assert_eq!(env, json!({"code": 503, "msg": "短信发送失败"}));
    assert!(
        env.get("data").is_none(),
        "no code handed out for an undelivered SMS"
    );
}

#[test]
fn echo_code_is_refused_outside_dev_and_test() {
    let mut settings = yafgate::config::settings::Settings {
        env: yafgate::config::settings::RunEnv::Pro,
        ..Default::default()
    };
    settings.sms.echo_code = true;
    let (ok, err) = crate::helpers::procs::check_settings(&settings, &default_apps(), &[]);
    assert!(!ok);
    assert!(
        err.contains("sms.echo_code") && err.contains("Pro"),
        "{err}"
    );
}
