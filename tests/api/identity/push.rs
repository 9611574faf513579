//! The push channel (docs/protocol.md §8.12): the device token of a login
//! is remembered, and a push reaches the user's latest devices through the
//! sandbox driver, where the test reads it.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};
use yafgate::config::settings::PushDriver;
use yafgate::handler::{Ctx, Method, Registry};
use yafgate::protocol::Reply;
use yafgate::protocol::error::ApiResult;
use yafgate::shared::push::{self, Message, SANDBOX_LIST};

use crate::helpers::*;

#[derive(Deserialize, JsonSchema)]
struct PushParams {
    title: yafgate::protocol::types::Text,
}

/// Push to the caller, as a product's method would.
async fn push_me(ctx: Ctx, p: PushParams) -> ApiResult<Reply> {
    let user = ctx.user()?;
    let payload = json!({"page": "order", "order_no": "N1"});
    let message = Message {
        title: p.title.as_str(),
        body: "您的订单已发货",
        payload: &payload,
    };
    let s = &ctx.config.settings;
    let delivered = push::send(ctx.stores(), &s.push, &ctx.state.http, user.id, &message).await?;
    Reply::data("success", &json!({"delivered": delivered}))
}

fn push_method(r: &mut Registry) {
    r.add(Method::new("test.push", "1.0.0").user(), push_me);
}

async fn sandbox_deliveries(app: &TestApp) -> Vec<Value> {
    let mut c = app.redis();
    let key = format!("{}{SANDBOX_LIST}", app.redis_prefix());
    let items: Vec<String> = redis::cmd("LRANGE")
        .arg(&key)
        .arg(0)
        .arg(-1)
        .query_async(&mut c)
        .await
        .unwrap();
    items
        .iter()
        .map(|i| serde_json::from_str(i).unwrap())
        .collect()
}

async fn login_on(app: &TestApp, mobile: &str, device_token: &str) -> String {
    let env = app
        .call(
            "user.login",
            json!({"mobile": mobile, "login_type": 2, "code": "secret_123", "device_token": device_token}),
        )
        .await;
    assert_code(&env, 200);
    env["data"]["token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_push_reaches_the_device_of_the_latest_login_only() {
    let app = spawn_app_with(Options {
        extend: Some(Box::new(push_method)),
        ..Options::configure(|s: &mut Settings| s.push.driver = PushDriver::Sandbox)
    })
    .await;
    app.register("13100131001", "secret_123").await;
    app.register("13100131002", "secret_123").await;
    let first = login_on(&app, "13100131001", "dt-phone-1").await;

    let env = app
        .call_with_token("test.push", &first, json!({"title": "发货通知"}))
        .await;

    assert_eq!(env["data"]["delivered"], json!(1), "{env}");
    let got = sandbox_deliveries(&app).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["device_token"], json!("dt-phone-1"));
    assert_eq!(got[0]["platform"], json!(1));
    assert_eq!(got[0]["title"], json!("发货通知"));
    assert_eq!(got[0]["payload"]["order_no"], json!("N1"));
    // The phone changes hands: the token now belongs to the second user.
    login_on(&app, "13100131002", "dt-phone-1").await;
    let env = app
        .call_with_token("test.push", &first, json!({"title": "再次通知"}))
        .await;
    assert_eq!(env["data"]["delivered"], json!(0), "{env}");
    assert_eq!(sandbox_deliveries(&app).await.len(), 1);
    app.stop().await;
}

#[test]
fn check_config_refuses_the_push_sandbox_in_pro() {
    let mut settings = Settings {
        env: yafgate::config::settings::RunEnv::Pro,
        ..Default::default()
    };
    settings.sms.echo_code = false;
    settings.push.driver = PushDriver::Sandbox;
    let (ok, err) = crate::helpers::procs::check_settings(&settings, &super::identity_apps(), &[]);
    assert!(!ok);
    assert!(err.contains("push.driver") && err.contains("Pro"), "{err}");
}
