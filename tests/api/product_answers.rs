//! Product answers (docs/protocol.md §4.2): under appids with
//! `answers = "product"` each product's methods answer in its seed's
//! envelope, codes and messages, protocol refusals included (the table of
//! docs/codes.md); the gateway's own methods, and the same products under
//! a gateway-answering appid, keep the gateway's envelope.

use md5::{Digest, Md5};
use serde_json::{Value, json};

use crate::helpers::*;

const SECRET: &str = "native-answers-secret-000000001";

/// One mini-program appid per product, answering in its envelope, and one
/// that also signs its answers.
fn apps() -> String {
    let mut apps = default_apps();
    for (appid, methods) in [
        ("home_native", "home.*"),
        ("consult_native", "consult.*"),
        ("supplier_native", "supplier.*"),
        ("mp_native", "mp.*"),
    ] {
        apps.push_str(&format!(
            "\n[apps.{appid}]\nname = \"{appid}\"\ntype = \"miniprogram\"\nsecrets = [\"{SECRET}\"]\n\
             methods = [\"{methods}\", \"system.ping\", \"user.wx.login\", \"sms.send\"]\nanswers = \"product\"\n"
        ));
    }
    apps.push_str(&format!(
        "\n[apps.mp_signed]\nname = \"mp signed\"\ntype = \"miniprogram\"\nsecrets = [{{ id = \"k1\", value = \"{SECRET}\" }}]\n\
         answers = \"product\"\nsign_responses = true\n"
    ));
    apps
}

async fn app() -> TestApp {
    spawn_app_with(Options {
        apps: apps(),
        ..Options::default()
    })
    .await
}

/// A signed call as `appid` (a mini-program: platform 6); the HTTP
/// status and the body as JSON.
async fn raw(
    app: &TestApp,
    appid: &str,
    secret: &str,
    method: &str,
    mut params: Value,
) -> (u16, Value) {
    params["platform"] = json!(6);
    let resp = app
        .signed(appid, secret, method, params)
        .send()
        .await
        .expect("gateway answers");
    let status = resp.status().as_u16();
    let body = resp.bytes().await.unwrap();
    let v: Value = serde_json::from_slice(&body).unwrap_or_else(|e| {
        panic!(
            "{method}: not JSON ({e}): {}",
            String::from_utf8_lossy(&body)
        )
    });
    (status, v)
}

async fn native(app: &TestApp, appid: &str, method: &str, params: Value) -> (u16, Value) {
    raw(app, appid, SECRET, method, params).await
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

/// A mini-program login (the WeChat sandbox) for `appid`; the token.
async fn wx_token(app: &TestApp, appid: &str) -> String {
    let (_, env) = native(app, appid, "user.wx.login", json!({"code": unique("wx")})).await;
    assert_eq!(
        env["code"], 200,
        "user.wx.login keeps the gateway envelope: {env}"
    );
    env["data"]["token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn home_answers_its_envelope_codes_and_http_statuses() {
    let app = app().await;
    let (status, env) = native(&app, "home_native", "home.category.list", json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(keys(&env), ["error_code", "data", "message"], "{env}");
    assert_eq!(
        (env["error_code"].clone(), env["message"].clone()),
        (json!(0), json!("ok"))
    );
    assert!(
        env["data"].is_array(),
        "the seed's array, not data.list: {env}"
    );

    let cases = [
        (
            "home.user.get",
            json!({}),
            401,
            10001,
            Some("请求 header 中未携带 token 令牌"),
        ),
        (
            "home.user.get",
            json!({"token": "f".repeat(32)}),
            401,
            10002,
            Some("token令牌无效或已过期"),
        ),
        ("home.nope", json!({}), 404, 10008, None),
        (
            "home.service.list",
            json!({"page": 0, "count": 10}),
            400,
            10000,
            Some("请求参数错误：参数 page 起始页为 1"),
        ),
        (
            "home.service.list",
            json!({"page": 1, "count": 101}),
            400,
            10000,
            Some("请求参数错误：参数 count 须为 1-100"),
        ),
    ];
    for (method, params, http, code, msg) in cases {
        let (status, env) = native(&app, "home_native", method, params).await;
        assert_eq!(
            (status, env["error_code"].as_u64()),
            (http, Some(code)),
            "{method}: {env}"
        );
        assert_eq!(keys(&env), ["error_code", "message", "request"], "{env}");
        assert_eq!(env["request"], format!("POST {method}"));
        if let Some(msg) = msg {
            assert_eq!(env["message"], msg, "{method}");
        }
    }
    // A wrong signature: refused as the protocol refuses it, in home's words.
    let (status, env) = raw(
        &app,
        "home_native",
        "another-secret-00000000001",
        "home.category.list",
        json!({}),
    )
    .await;
    assert_eq!(
        (status, env["error_code"].as_u64()),
        (403, Some(10010)),
        "{env}"
    );
    assert_eq!(env["message"], "签名错误");
    assert!(env.get("debug").is_none(), "{env}");
    // The gateway's own methods keep the gateway's envelope.
    let (status, env) = native(&app, "home_native", "system.ping", json!({})).await;
    assert_eq!((status, keys(&env)), (200, vec!["code", "msg", "data"]));
}

#[tokio::test]
async fn consult_puts_content_beside_the_code_and_numbers_failures() {
    let app = app().await;
    let mobile = "13700000071";
    let (_, sent) = native(
        &app,
        "consult_native",
        "sms.send",
        json!({"mobile": mobile, "key": "CONSULT_SIGNIN_CODE"}),
    )
    .await;
    assert_eq!(sent["code"], 200, "{sent}");
    let code = sent["data"]["code"].as_str().unwrap().to_string();
    let (status, env) = native(
        &app,
        "consult_native",
        "consult.user.signin",
        json!({"phone_number": mobile, "verification_code": code}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(keys(&env), ["code", "msg", "content", "token"], "{env}");
    assert_eq!(
        (env["code"].clone(), env["msg"].clone()),
        (json!(0), json!(""))
    );
    assert!(env["content"][0].as_i64().is_some(), "the user id: {env}");

    let (_, env) = native(
        &app,
        "consult_native",
        "consult.user.login",
        json!({"username": mobile, "password": "wrong_pass1"}),
    )
    .await;
    assert_eq!(keys(&env), ["code", "msg"], "{env}");
    assert_eq!(
        (env["code"].as_u64(), env["msg"].clone()),
        (Some(503), json!("用户名或密码不正确"))
    );
    let (_, env) = native(&app, "consult_native", "consult.user.order.list", json!({})).await;
    assert_eq!(env["code"], 602, "not logged in, non-zero: {env}");
}

#[tokio::test]
async fn supplier_answers_100_600_and_400_with_an_empty_data() {
    let app = app().await;
    let (_, env) = native(&app, "supplier_native", "supplier.home", json!({})).await;
    assert_eq!(env, json!({"code": 100, "msg": "未登录", "data": {}}));
    let (_, env) = native(
        &app,
        "supplier_native",
        "supplier.home",
        json!({"token": "e".repeat(32)}),
    )
    .await;
    assert_eq!(
        env,
        json!({"code": 600, "msg": "token无效或过期", "data": {}})
    );
    let (_, env) = native(
        &app,
        "supplier_native",
        "supplier.login",
        json!({"mobile": "13700000072", "password": "whatever_1"}),
    )
    .await;
    assert_eq!(
        env,
        json!({"code": 400, "msg": "帐号或密码错误", "data": {}})
    );
    // A user who is no supplier: the role refusal is the seed's 400.
    let token = wx_token(&app, "supplier_native").await;
    let (_, env) = native(
        &app,
        "supplier_native",
        "supplier.home",
        json!({"token": token}),
    )
    .await;
    assert_eq!(env["code"], 400, "{env}");
}

#[tokio::test]
async fn mp_answers_code_message_data_with_its_session_and_parameter_codes() {
    let app = app().await;
    let (_, env) = native(&app, "mp_native", "mp.order.list", json!({})).await;
    assert_eq!(env, json!({"code": 10007, "message": "token无效或不存在"}));
    let (_, env) = native(&app, "mp_native", "mp.nope", json!({})).await;
    assert_eq!(env, json!({"code": 10000, "message": "接口不存在"}));
    let (_, env) = native(&app, "mp_native", "mp.sms.code", json!({"mobile": "12"})).await;
    assert_eq!(
        (env["code"].as_u64(), keys(&env)),
        (Some(10001), vec!["code", "message"]),
        "{env}"
    );
    let (_, env) = native(&app, "mp_native", "mp.sms.code", json!({})).await;
    assert_eq!(env, json!({"code": 10001, "message": "缺少参数 mobile"}));
    let (_, env) = native(
        &app,
        "mp_native",
        "mp.sms.code",
        json!({"mobile": "13700000073"}),
    )
    .await;
    assert_eq!(
        (env["code"].clone(), keys(&env)),
        (json!(0), vec!["code", "message", "data"]),
        "{env}"
    );
    assert!(env["data"].is_object());
}

#[tokio::test]
async fn a_product_answer_is_signed_over_its_own_bytes() {
    let app = app().await;
    let resp = app
        .signed("mp_signed", SECRET, "mp.nope", json!({"platform": 6}))
        .send()
        .await
        .unwrap();
    let sign = resp.headers()["x-yafgate-sign"]
        .to_str()
        .unwrap()
        .to_string();
    let body = resp.bytes().await.unwrap();
    let mut h = Md5::new();
    h.update(&body);
    h.update(SECRET.as_bytes());
    assert_eq!(sign, hex::encode_upper(h.finalize()));
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap()["code"],
        10000
    );
}

#[tokio::test]
async fn under_a_gateway_appid_the_products_keep_the_gateway_envelope() {
    let app = spawn_app_with(Options {
        apps: home_apps(),
        ..Options::default()
    })
    .await;
    let env = app
        .call_as("home_app_id", HOME_SECRET, "home.user.get", json!({}))
        .await;
    assert_eq!(keys(&env), ["code", "msg"]);
    assert_eq!(env["code"], 602);
}
