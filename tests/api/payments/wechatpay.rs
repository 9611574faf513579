//! The wechatpay driver against a local stand-in for the provider: its
//! signed refund request, a refund refused by the provider undone, and its
//! notifications verified with the configured platform key and API v3 key.

use serde_json::json;
use yafgate::config::payments::PayDriver;
use yafgate::config::settings::Secret;
use yafgate::domain::Money;
use yafgate::shared::pay::sandbox::{self, API_V3_KEY, Delivery};
use yafgate::shared::pay::wechat::{RsaSigner, RsaVerifier, message};

use super::*;
use crate::helpers::webhook::Receiver;
use crate::helpers::{Options, spawn_app_with};

/// A gateway on the wechatpay driver (the demo keys written as its key
/// files, in the folder returned with it), calling `provider` instead of
/// the real API.
async fn wechatpay_app(provider: &Receiver) -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let merchant = dir.path().join("apiclient_key.pem");
    let platform = dir.path().join("platform_public_key.pem");
    std::fs::write(&merchant, sandbox::MERCHANT_KEY).unwrap();
    std::fs::write(&platform, sandbox::PLATFORM_PUBLIC_KEY).unwrap();
    let base = provider.url.trim_end_matches("/sms").to_string();
    let app = spawn_app_with(Options::configure(move |s| {
        s.payments.driver = PayDriver::Wechatpay;
        s.payments.merchant_key_file = merchant;
        s.payments.platform_public_key_file = platform;
        s.payments.api_v3_key = Secret::new(std::str::from_utf8(API_V3_KEY).unwrap());
        s.payments.api_base_url = base;
    }))
    .await;
    (app, dir)
}

/// A payment of 399.00 for a new order of user 1, in `status`.
async fn payment(app: &TestApp, status: &str) -> (String, String) {
    let sn = crate::helpers::unique("SNWX");
    new_order(app, 1, &sn, 0).await;
    let no = crate::helpers::unique("PWX");
    db(app)
        .await
        .execute(
            "INSERT INTO payments (out_trade_no, subject_kind, subject_id, user_id, amount, status, driver, expires_at) \
             SELECT $1, 'order', id, 1, 399.00, $3, 'wechatpay', now() + interval '30 minutes' FROM orders WHERE order_sn = $2",
            &[&no, &sn, &status],
        )
        .await
        .unwrap();
    (no, sn)
}

async fn refund(app: &TestApp, no: &str) -> Value {
    app.call_as(
        "admin_api_call",
        ADMIN_API_CALL_SECRET,
        "pay.refund",
        json!({"out_trade_no": no}),
    )
    .await
}

async fn deliver_to(app: &TestApp, driver: &str, d: &Delivery) -> u16 {
    let h = &d.headers;
    app.http
        .post(format!("http://127.0.0.1:{}/notify/pay/{driver}", app.port))
        .header("wechatpay-timestamp", &h.timestamp)
        .header("wechatpay-nonce", &h.nonce)
        .header("wechatpay-signature", &h.signature)
        .header("wechatpay-serial", &h.serial)
        .body(d.body.clone())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn the_wechatpay_driver_signs_its_refund_request_and_verifies_notifications() {
    let provider = Receiver::start().await;
    let (app, _keys) = wechatpay_app(&provider).await;
    let (no, sn) = payment(&app, "created").await;
    // The paid notification, verified with the configured key files.
    let platform = RsaSigner::from_pem(sandbox::PLATFORM_KEY).unwrap();
    let s = &app.settings.payments;
    let amount = Money::parse_str("amount", "399.00").unwrap();
    let paid = sandbox::transaction_resource(s, &no, amount, app.now());
    let d = Delivery::build(
        s,
        &platform,
        API_V3_KEY,
        "WX-1",
        "TRANSACTION.SUCCESS",
        &paid,
        app.now(),
    )
    .unwrap();
    assert_eq!(
        deliver_to(&app, "sandbox", &d).await,
        404,
        "only the configured driver"
    );
    assert_eq!(deliver_to(&app, "wechatpay", &d).await, 204);
    assert_eq!(state(&app, &sn).await.0, 1);
    // The refund request: signed with the merchant key over the exact body.
    let env = refund(&app, &no).await;
    assert_code(&env, 200);
    assert_eq!(env["data"]["status"], "refunding");
    let (auth, body) = provider.received().pop().expect("the provider was asked");
    let auth = auth.unwrap();
    let field = |name: &str| {
        let start = auth.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        auth[start..].split('"').next().unwrap().to_string()
    };
    assert!(auth.starts_with("WECHATPAY2-SHA256-RSA2048 "), "{auth}");
    assert_eq!(field("mchid"), s.mchid);
    let signed = message(&[
        "POST",
        "/v3/refund/domestic/refunds",
        &field("timestamp"),
        &field("nonce_str"),
        &body.to_string(),
    ]);
    RsaVerifier::from_pem(MERCHANT_PUBLIC)
        .unwrap()
        .verify(&signed, &field("signature"))
        .unwrap();
    assert_eq!(
        body["amount"],
        json!({"refund": 39_900, "total": 39_900, "currency": "CNY"})
    );
    assert_eq!(
        body["notify_url"],
        format!("{}/notify/pay/wechatpay", s.notify_base_url)
    );
    // Its notification completes it.
    let out_refund_no = env["data"]["out_refund_no"].as_str().unwrap();
    let done = sandbox::refund_resource(s, &no, out_refund_no, amount, amount);
    let d = Delivery::build(
        s,
        &platform,
        API_V3_KEY,
        "WX-2",
        "REFUND.SUCCESS",
        &done,
        app.now(),
    )
    .unwrap();
    assert_eq!(deliver_to(&app, "wechatpay", &d).await, 204);
    assert_eq!(state(&app, &sn).await.2, ["refunded"]);
}

#[tokio::test]
async fn a_refund_the_provider_refuses_is_undone() {
    let provider = Receiver::start().await;
    provider.answer_with(500);
    let (app, _keys) = wechatpay_app(&provider).await;
    let (no, sn) = payment(&app, "paid").await;
    let env = refund(&app, &no).await;
    assert_eq!(env, json!({"code": 503, "msg": "退款失败，请稍后重试"}));
    assert_eq!(state(&app, &sn).await.2, ["paid"], "refundable again");
    let status: String = db(&app)
        .await
        .query_one("SELECT status FROM refunds", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(status, "closed");
    // Without the payer's openid the driver cannot prepay.
    let token = app.login_token("13800138000", "demo123456").await;
    let other = crate::helpers::unique("SNWX");
    new_order(&app, 1, &other, 0).await;
    let env = pay(&app, &token, &other).await;
    assert_eq!(env, json!({"code": 503, "msg": "请在微信小程序内支付"}));
}
