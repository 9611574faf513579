//! Item 5 of the compatibility issue: upstream's back office, its
//! published vectors, platform 5, optional device parameters, request_no,
//! ADMIN_LOGIN_CODE and sms.send.system.

use futures_util::future::join_all;
use serde_json::{Value, json};
use yafgate::config::accounts::SmsDriver;

use super::{admin_data, app_data, php_json, post, post_multipart_signed, set_clock};
use crate::helpers::webhook::Receiver;
use crate::helpers::wire::Encoding;
use crate::helpers::*;

/// Upstream's published vectors (its back-office calling document).
const VERIFY_DATA: &str = r#"{"v":"1.0.0","appid":"admin_api_call","platform":5,"request_no":"Req-2019042311170000000002","timestamp":1555989441,"method":"sms.verify","mobile":"13812345678","key":"ADMIN_LOGIN_CODE","code":"123456"}"#;
const VERIFY_SIGN: &str = "BBE3B17A0CD4DD1A42B24BB35F1BF95A";
const VERIFY_TS: i64 = 1_555_989_441;
const SEND_DATA: &str = r#"{"v":"1.0.0","appid":"admin_api_call","platform":5,"request_no":"Req-2019042311410000000001","timestamp":1555990911,"method":"sms.send","mobile":"13812345678","key":"ADMIN_LOGIN_CODE"}"#;
const SEND_SIGN: &str = "1939B1FC695C42025A87DB1661CF2FE3";
const SEND_TS: i64 = 1_555_990_911;
const ADMIN_MOBILE: &str = "13812345678";

fn taken() -> Value {
    json!({"code": 503, "msg": "请求编号 request_no 已使用，请勿重复提交"})
}

fn expired() -> Value {
    json!({"code": 503, "msg": "验证码已失效，请重新获取"})
}

#[tokio::test]
async fn the_published_vectors_get_past_every_check_to_their_methods() {
    let app = spawn_app().await;
    set_clock(&app, SEND_TS);
    let sent = post_multipart_signed(&app, SEND_DATA, SEND_SIGN).await;
    assert_eq!(sent["msg"], "发送成功", "{sent}");
    let code = sent["data"]["code"].as_str().unwrap().to_string();

    set_clock(&app, VERIFY_TS);
    let env = post_multipart_signed(&app, VERIFY_DATA, VERIFY_SIGN).await;
    if code == "123456" {
        assert_eq!(env, json!({"code": 200, "msg": "验证码正确"}));
    } else {
        assert_eq!(env, json!({"code": 503, "msg": "您的验证码不正确"}));
    }
    // The right code verifies once: the back office logs in on it.
    let verify = |no: &'static str, code: &str| {
        admin_data(
            &app,
            no,
            "sms.verify",
            json!({"mobile": ADMIN_MOBILE, "key": "ADMIN_LOGIN_CODE", "code": code}),
        )
    };
    let data = verify("Req-verify-1", &code);
    let env = post(&app, &data, ADMIN_API_CALL_SECRET, Encoding::Multipart).await;
    assert_eq!(env, json!({"code": 200, "msg": "验证码正确"}));
    let data = verify("Req-verify-2", &code);
    assert_eq!(
        post(&app, &data, ADMIN_API_CALL_SECRET, Encoding::Multipart).await,
        expired()
    );
}

#[tokio::test]
async fn a_request_no_is_taken_once_across_instances_under_parallel_submissions() {
    let app = spawn_app().await;
    let second = spawn_app_with(second_instance_of(&app)).await;
    set_clock(&app, VERIFY_TS);
    set_clock(&second, VERIFY_TS);
    // Sixteen submissions of the published bytes, half on each instance.
    let answers = join_all((0..16).map(|i| {
        let gw = if i % 2 == 0 { &app } else { &second };
        post_multipart_signed(gw, VERIFY_DATA, VERIFY_SIGN)
    }))
    .await;
    // No code was sent: the one that gets through finds none.
    let through: Vec<_> = answers.iter().filter(|a| **a == expired()).collect();
    let refused = answers.iter().filter(|a| **a == taken()).count();
    assert_eq!((through.len(), refused), (1, 15), "{answers:?}");
    // Later, on either instance, still taken.
    assert_eq!(
        post_multipart_signed(&second, VERIFY_DATA, VERIFY_SIGN).await,
        taken()
    );
    assert_eq!(
        post_multipart_signed(&app, VERIFY_DATA, VERIFY_SIGN).await,
        taken()
    );
    // Numbers are per request: a new one goes on.
    let data = admin_data(
        &app,
        "Req-2019042311170000000003",
        "sms.verify",
        json!({"mobile": ADMIN_MOBILE, "key": "ADMIN_LOGIN_CODE", "code": "123456"}),
    );
    assert_eq!(
        post(&app, &data, ADMIN_API_CALL_SECRET, Encoding::Form).await,
        expired()
    );
}

/// The default apps and a partner appid (a server-to-server caller).
fn apps_with_partner() -> String {
    format!(
        "{}\n[apps.partner_app_id]\nname = \"Partner\"\ntype = \"partner\"\nsecrets = [\"{LIMITED_SECRET}\"]\n",
        default_apps()
    )
}

#[tokio::test]
async fn only_server_appids_may_leave_out_the_device_and_send_platform_5() {
    let app = spawn_app_with(Options {
        apps: apps_with_partner(),
        ..Options::default()
    })
    .await;
    let ads = json!({"place_code": "home_banner"});
    // Admin and partner: platform 5, no device parameters, no request_no.
    for (appid, secret) in [
        ("admin_api_call", ADMIN_API_CALL_SECRET),
        ("partner_app_id", LIMITED_SECRET),
    ] {
        let mut data: Value =
            serde_json::from_str(&admin_data(&app, "", "system.ads", ads.clone())).unwrap();
        data["appid"] = json!(appid);
        data.as_object_mut().unwrap().remove("request_no");
        let data = php_json(&data);
        for _ in 0..2 {
            let env = post(&app, &data, secret, Encoding::Multipart).await;
            assert_code(&env, 200);
        }
        data_with_platform(
            &app,
            appid,
            secret,
            6,
            "参数 platform 不正确（1-iOS、2-Android、3-H5、4-web、5-服务端）",
        )
        .await;
    }
    let data = admin_data(&app, "Req/1", "system.ads", ads.clone());
    assert_eq!(
        post(&app, &data, ADMIN_API_CALL_SECRET, Encoding::Form).await,
        json!({"code": 503, "msg": "参数 request_no 格式不正确（1-64 位字母、数字、_ 或 -）"})
    );
    // An app: platform 5 refused, device parameters required, request_no
    // not looked at.
    let mut data: Value = serde_json::from_str(&app_data(&app, "system.ads", ads.clone())).unwrap();
    data["platform"] = json!(5);
    assert_eq!(
        post(&app, &php_json(&data), IOS_SECRET, Encoding::Form).await,
        json!({"code": 503, "msg": "参数 platform 不正确（1-iOS、2-Android、3-H5、4-web）"})
    );
    let mut data: Value = serde_json::from_str(&app_data(&app, "system.ads", ads.clone())).unwrap();
    data.as_object_mut().unwrap().remove("unique_id");
    assert_eq!(
        post(&app, &php_json(&data), IOS_SECRET, Encoding::Form).await,
        json!({"code": 503, "msg": "缺少参数 unique_id"})
    );
    let mut data: Value = serde_json::from_str(&app_data(&app, "system.ads", ads)).unwrap();
    data["request_no"] = json!("Req-1");
    for _ in 0..2 {
        assert_code(
            &post(&app, &php_json(&data), IOS_SECRET, Encoding::Form).await,
            200,
        );
    }
}

async fn data_with_platform(app: &TestApp, appid: &str, secret: &str, platform: i64, msg: &str) {
    let mut data: Value = serde_json::from_str(&admin_data(
        app,
        "",
        "system.ads",
        json!({"place_code": "home_banner"}),
    ))
    .unwrap();
    data["appid"] = json!(appid);
    data["platform"] = json!(platform);
    let env = post(app, &php_json(&data), secret, Encoding::Form).await;
    assert_eq!(env, json!({"code": 503, "msg": msg}));
}

#[tokio::test]
async fn admin_login_codes_and_system_notices_are_for_admin_appids_only() {
    let carrier = Receiver::start().await;
    let url = carrier.url.clone();
    let app = spawn_app_with(Options::configure(move |s| {
        s.sms.driver = SmsDriver::Webhook;
        s.sms.webhook_url = url;
    }))
    .await;
    // An app cannot send or verify a back-office code.
    let bad_key = json!({"code": 503, "msg": "参数 key 不正确（USER_REGISTER_CODE、USER_LOGIN_CODE、USER_PWD_FIND_CODE、USER_BIND_MOBILE_CODE、CONSULT_SIGNIN_CODE、SUPPLIER_LOGIN_CODE）"});
    for (method, extra) in [
        ("sms.send", json!({})),
        ("sms.verify", json!({"code": "123456"})),
    ] {
        let mut params = json!({"mobile": ADMIN_MOBILE, "key": "ADMIN_LOGIN_CODE"});
        params
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let data = app_data(&app, method, params);
        assert_eq!(post(&app, &data, IOS_SECRET, Encoding::Form).await, bad_key);
    }
    // A system notice, its link escaped as PHP writes it.
    let replace = json!(["张三", "https://m.example.com/o/1"]);
    let params = json!({"mobile": ADMIN_MOBILE, "key": "ORDER_SHIPPED", "replace": replace});
    let data = admin_data(&app, "Req-notice-1", "sms.send.system", params.clone());
    assert!(data.contains(r"https:\/\/m.example.com\/o\/1"), "{data}");
    let env = post(&app, &data, ADMIN_API_CALL_SECRET, Encoding::Multipart).await;
    assert_eq!(env, json!({"code": 200, "msg": "发送成功"}));
    let got = carrier.received();
    assert_eq!(got.len(), 1, "{got:?}");
    let body = &got[0].1;
    assert_eq!(
        (
            &body["mobile"],
            &body["key"],
            &body["code"],
            &body["replace"]
        ),
        (
            &json!(ADMIN_MOBILE),
            &json!("ORDER_SHIPPED"),
            &json!(""),
            &replace
        )
    );
    // Not from an app; not a code key.
    let data = app_data(&app, "sms.send.system", params);
    assert_eq!(
        post(&app, &data, IOS_SECRET, Encoding::Form).await,
        json!({"code": 403, "msg": "您没有权限访问该接口"})
    );
    let data = admin_data(
        &app,
        "Req-notice-2",
        "sms.send.system",
        json!({"mobile": ADMIN_MOBILE, "key": "USER_LOGIN_CODE"}),
    );
    assert_eq!(
        post(&app, &data, ADMIN_API_CALL_SECRET, Encoding::Form).await,
        json!({"code": 503, "msg": "参数 key 不正确：验证码短信请用 sms.send"})
    );
    assert_eq!(carrier.received().len(), 1);
}
