//! Payments end to end (docs/protocol.md, "Payments"): order.pay through
//! the sandbox driver, notifications through `POST /notify/pay/sandbox`
//! (the settle method, the CLI and notifications built here with the demo
//! keys), idempotency under repeated and concurrent delivery, and the
//! refusals that must write nothing.

mod notifications;
mod orders;
mod refunds;
mod wechatpay;

use serde_json::{Value, json};
use yafgate::config::payments::PaySettings;
use yafgate::domain::Money;
use yafgate::shared::pay::PayKeys;
use yafgate::shared::pay::sandbox::{self, Delivery};
use yafgate::shared::pay::wechat::RsaSigner;

use crate::helpers::{ADMIN_API_CALL_SECRET, TestApp, assert_code};

pub(super) const MERCHANT_PUBLIC: &str =
    include_str!("../../../config/payments-demo/merchant_public_key.pem");

/// Demo user 1 (sql/demo/10_users.sql) with a fresh unpaid order of 399
/// yuan: its token and order_sn.
pub(super) async fn user_with_order(app: &TestApp) -> (String, String) {
    let token = app.login_token("13800138000", "demo123456").await;
    let sn = crate::helpers::unique("SNPAY");
    new_order(app, 1, &sn, 0).await;
    (token, sn)
}

pub(super) async fn new_order(app: &TestApp, user: i64, sn: &str, status: i16) {
    db(app)
        .await
        .execute(
            "INSERT INTO orders (order_sn, user_id, order_status, total_price) VALUES ($1, $2, $3, 399)",
            &[&sn, &user, &status],
        )
        .await
        .unwrap();
}

pub(super) async fn db(app: &TestApp) -> tokio_postgres::Client {
    app.database.as_ref().unwrap().client().await
}

pub(super) async fn pay(app: &TestApp, token: &str, sn: &str) -> Value {
    app.call_with_token("order.pay", token, json!({"order_sn": sn}))
        .await
}

/// order.pay's out_trade_no.
pub(super) async fn open_payment(app: &TestApp, token: &str, sn: &str) -> String {
    let env = pay(app, token, sn).await;
    assert_code(&env, 200);
    env["data"]["out_trade_no"].as_str().unwrap().to_string()
}

/// (order_status, pay_time is set, payment statuses, notification count)
pub(super) async fn state(app: &TestApp, sn: &str) -> (i16, bool, Vec<String>, i64) {
    let c = db(app).await;
    let order = c
        .query_one(
            "SELECT id, order_status, pay_time IS NOT NULL FROM orders WHERE order_sn = $1",
            &[&sn],
        )
        .await
        .unwrap();
    let id: i64 = order.get(0);
    let payments = c
        .query(
            "SELECT status FROM payments WHERE subject_kind = 'order' AND subject_id = $1 ORDER BY id",
            &[&id],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let notes: i64 = c
        .query_one(
            "SELECT count(*) FROM pay_notifications n JOIN payments p ON p.out_trade_no = n.out_trade_no \
             WHERE p.subject_id = $1",
            &[&id],
        )
        .await
        .unwrap()
        .get(0);
    (order.get(1), order.get(2), payments, notes)
}

pub(super) fn keys() -> PayKeys {
    PayKeys::load(&PaySettings::default()).unwrap()
}

/// A "paid" notification of `out_trade_no` for `amount`, signed with `signer`.
pub(super) fn paid_notification(
    app: &TestApp,
    signer: &RsaSigner,
    out_trade_no: &str,
    amount: &str,
    at: i64,
) -> Delivery {
    let s = &app.settings.payments;
    let amount = Money::parse_str("amount", amount).unwrap();
    let resource = sandbox::transaction_resource(s, out_trade_no, amount, at);
    let id = crate::helpers::unique("EV");
    Delivery::build(
        s,
        signer,
        keys().api_v3_key(),
        &id,
        "TRANSACTION.SUCCESS",
        &resource,
        at,
    )
    .unwrap()
}

pub(super) fn platform() -> RsaSigner {
    RsaSigner::from_pem(sandbox::PLATFORM_KEY).unwrap()
}

pub(super) async fn deliver(app: &TestApp, d: &Delivery) -> reqwest::Response {
    let h = &d.headers;
    app.http
        .post(format!("http://127.0.0.1:{}/notify/pay/sandbox", app.port))
        .header("content-type", "application/json")
        .header("wechatpay-timestamp", &h.timestamp)
        .header("wechatpay-nonce", &h.nonce)
        .header("wechatpay-signature", &h.signature)
        .header("wechatpay-serial", &h.serial)
        .body(d.body.clone())
        .send()
        .await
        .unwrap()
}

pub(super) async fn settle(app: &TestApp, out_trade_no: &str) -> Value {
    app.call_as(
        "admin_api_call",
        ADMIN_API_CALL_SECRET,
        "pay.settle",
        json!({"out_trade_no": out_trade_no}),
    )
    .await
}
