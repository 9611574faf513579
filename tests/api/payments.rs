//! Payments end to end (docs/protocol.md, "Payments"): order.pay through
//! the sandbox driver, notifications through `POST /notify/pay/sandbox`
//! (the settle method, the CLI and notifications built here with the demo
//! keys), idempotency under repeated and concurrent delivery, and the
//! refusals that must write nothing.

use futures_util::future::join_all;
use serde_json::{Value, json};
use yafgate::config::payments::{PayDriver, PaySettings};
use yafgate::config::settings::RunEnv;
use yafgate::domain::Money;
use yafgate::services::pay::PayKeys;
use yafgate::services::pay::sandbox::{self, Delivery};
use yafgate::services::pay::wechat::{RsaSigner, RsaVerifier, message};

use crate::helpers::{
    ADMIN_API_CALL_SECRET, Options, TestApp, assert_code, default_apps, spawn_app, spawn_app_with,
};

const MERCHANT_PUBLIC: &str = include_str!("../../config/payments-demo/merchant_public_key.pem");

/// Demo user 1 (sql/demo/10_users.sql) with a fresh unpaid order of 399
/// yuan: its token and order_sn.
async fn user_with_order(app: &TestApp) -> (String, String) {
    let token = app.login_token("13800138000", "demo123456").await;
    let sn = crate::helpers::unique("SNPAY");
    new_order(app, 1, &sn, 0).await;
    (token, sn)
}

async fn new_order(app: &TestApp, user: i64, sn: &str, status: i16) {
    db(app)
        .await
        .execute(
            "INSERT INTO orders (order_sn, user_id, order_status, total_price) VALUES ($1, $2, $3, 399)",
            &[&sn, &user, &status],
        )
        .await
        .unwrap();
}

async fn db(app: &TestApp) -> tokio_postgres::Client {
    app.database.as_ref().unwrap().client().await
}

async fn pay(app: &TestApp, token: &str, sn: &str) -> Value {
    app.call_with_token("order.pay", token, json!({"order_sn": sn}))
        .await
}

/// order.pay's out_trade_no.
async fn open_payment(app: &TestApp, token: &str, sn: &str) -> String {
    let env = pay(app, token, sn).await;
    assert_code(&env, 200);
    env["data"]["out_trade_no"].as_str().unwrap().to_string()
}

/// (order_status, pay_time is set, payment statuses, notification count)
async fn state(app: &TestApp, sn: &str) -> (i16, bool, Vec<String>, i64) {
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

fn keys() -> PayKeys {
    PayKeys::load(&PaySettings::default()).unwrap()
}

/// A "paid" notification of `out_trade_no` for `amount`, signed with `signer`.
fn paid_notification(
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

fn platform() -> RsaSigner {
    RsaSigner::from_pem(sandbox::PLATFORM_KEY).unwrap()
}

async fn deliver(app: &TestApp, d: &Delivery) -> reqwest::Response {
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

async fn settle(app: &TestApp, out_trade_no: &str) -> Value {
    app.call_as(
        "admin_api_call",
        ADMIN_API_CALL_SECRET,
        "pay.settle",
        json!({"out_trade_no": out_trade_no}),
    )
    .await
}

#[tokio::test]
async fn order_pay_answers_a_signed_pay_block_and_reuses_the_open_payment() {
    let app = spawn_app().await;
    let (token, sn) = user_with_order(&app).await;
    let env = pay(&app, &token, &sn).await;
    assert_code(&env, 200);
    let data = &env["data"];
    assert_eq!(data["amount"], "399.00", "a decimal string, never a number");
    let block = &data["pay"];
    let package = block["package"].as_str().unwrap();
    assert!(package.starts_with("prepay_id=sandbox_"), "{block}");
    assert_eq!(block["signType"], "RSA");
    let signed = message(&[
        block["appId"].as_str().unwrap(),
        block["timeStamp"].as_str().unwrap(),
        block["nonceStr"].as_str().unwrap(),
        package,
    ]);
    RsaVerifier::from_pem(MERCHANT_PUBLIC)
        .unwrap()
        .verify(&signed, block["paySign"].as_str().unwrap())
        .expect("paySign verifies with the merchant key");
    let again = pay(&app, &token, &sn).await;
    assert_eq!(again["data"]["out_trade_no"], data["out_trade_no"]);
    assert_eq!(again["data"]["pay"]["package"], block["package"]);
    let (status, paid, payments, _) = state(&app, &sn).await;
    assert_eq!(
        (status, paid, payments),
        (0, false, vec!["created".to_string()])
    );
    // order.list answers are unchanged: total_price stays the integer.
    let list = app
        .call_with_token("order.list", &token, json!({"order_sn": sn, "page": 1}))
        .await;
    assert_eq!(list["data"]["list"][0]["total_price"], 399);
}

#[tokio::test]
async fn order_pay_refuses_other_users_orders_unpayable_orders_and_no_order() {
    let app = spawn_app().await;
    let (token, _) = user_with_order(&app).await;
    let theirs = crate::helpers::unique("SNTHEIRS");
    new_order(&app, 2, &theirs, 0).await;
    let shipped = crate::helpers::unique("SNSHIPPED");
    new_order(&app, 1, &shipped, 2).await;
    for (sn, expected) in [
        (theirs.as_str(), json!({"code": 404, "msg": "订单不存在"})),
        ("SN-NONE", json!({"code": 404, "msg": "订单不存在"})),
        (
            shipped.as_str(),
            json!({"code": 503, "msg": "订单当前状态不能支付"}),
        ),
        ("  ", json!({"code": 503, "msg": "参数 order_sn 不能为空"})),
    ] {
        let env = pay(&app, &token, sn).await;
        assert_eq!(env["code"], expected["code"], "{sn}: {env}");
        assert_eq!(env["msg"], expected["msg"], "{sn}: {env}");
    }
    let n: i64 = db(&app)
        .await
        .query_one("SELECT count(*) FROM payments", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0, "no refusal opened a payment");
}

#[tokio::test]
async fn a_notification_delivered_twice_is_applied_once() {
    let app = spawn_app().await;
    let (token, sn) = user_with_order(&app).await;
    let no = open_payment(&app, &token, &sn).await;
    let d = paid_notification(&app, &platform(), &no, "399.00", app.now());
    let first = deliver(&app, &d).await;
    assert_eq!(first.status(), 204);
    let second = deliver(&app, &d).await;
    assert_eq!(second.status(), 204, "a repeat still answers success");
    let (status, paid, payments, notes) = state(&app, &sn).await;
    assert_eq!(
        (status, paid),
        (1, true),
        "the order moved 0 -> 1 with pay_time"
    );
    assert_eq!(payments, vec!["paid".to_string()]);
    assert_eq!(notes, 1, "one notification row");
    let outcome: String = db(&app)
        .await
        .query_one("SELECT outcome FROM pay_notifications", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(outcome, "applied");
    // Paid: order.pay refuses now.
    assert_code(&pay(&app, &token, &sn).await, 503);
}

#[tokio::test]
async fn the_settle_method_pays_through_the_callback_route() {
    let app = spawn_app().await;
    let (token, sn) = user_with_order(&app).await;
    let no = open_payment(&app, &token, &sn).await;
    let env = settle(&app, &no).await;
    assert_code(&env, 200);
    assert_eq!(env["data"]["notify_status"], 204);
    assert_eq!(env["data"]["status"], "paid");
    let again = settle(&app, &no).await;
    assert_eq!(again["data"]["status"], "paid");
    let (status, _, payments, notes) = state(&app, &sn).await;
    assert_eq!((status, payments), (1, vec!["paid".to_string()]));
    assert_eq!(notes, 2, "two notifications (two ids), one application");
    let outcomes: Vec<String> = db(&app)
        .await
        .query("SELECT outcome FROM pay_notifications ORDER BY id", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(outcomes, ["applied", "already_paid"]);
    // Not for users' apps.
    let env = app.call("pay.settle", json!({"out_trade_no": no})).await;
    assert_eq!(env, json!({"code": 403, "msg": "您没有权限访问该接口"}));
}

#[tokio::test]
async fn twenty_concurrent_deliveries_are_applied_once() {
    let app = spawn_app().await;
    let (token, sn) = user_with_order(&app).await;
    let no = open_payment(&app, &token, &sn).await;
    let now = app.now();
    // The same notification twenty times, and twenty distinct ones.
    let same = paid_notification(&app, &platform(), &no, "399.00", now);
    let distinct: Vec<Delivery> = (0..20)
        .map(|_| paid_notification(&app, &platform(), &no, "399.00", now))
        .collect();
    let answers = join_all(
        std::iter::repeat_n(&same, 20)
            .chain(distinct.iter())
            .map(|d| deliver(&app, d)),
    )
    .await;
    assert!(
        answers.iter().all(|r| r.status() == 204),
        "every delivery answers success"
    );
    let rows = db(&app)
        .await
        .query(
            "SELECT outcome, count(*) FROM pay_notifications GROUP BY outcome ORDER BY outcome",
            &[],
        )
        .await
        .unwrap();
    let outcomes: Vec<(String, i64)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(
        outcomes,
        vec![("already_paid".to_string(), 20), ("applied".to_string(), 1)],
        "21 notification ids, one applied"
    );
    let (status, paid, payments, _) = state(&app, &sn).await;
    assert_eq!(
        (status, paid, payments),
        (1, true, vec!["paid".to_string()])
    );
}

#[tokio::test]
async fn forged_tampered_mismatched_and_stale_notifications_write_nothing() {
    let app = spawn_app().await;
    let (token, sn) = user_with_order(&app).await;
    let no = open_payment(&app, &token, &sn).await;
    let now = app.now();
    let forged = paid_notification(
        &app,
        &RsaSigner::from_pem(sandbox::MERCHANT_KEY).unwrap(),
        &no,
        "399.00",
        now,
    );
    let mut tampered = paid_notification(&app, &platform(), &no, "399.00", now);
    tampered.body = tampered
        .body
        .replace("TRANSACTION.SUCCESS", "TRANSACTION.SUCCESS ");
    let mismatched = paid_notification(&app, &platform(), &no, "0.01", now);
    let stale = paid_notification(&app, &platform(), &no, "399.00", now - 3_600);
    let mut wrong_serial = paid_notification(&app, &platform(), &no, "399.00", now);
    wrong_serial.headers.serial = "OTHER".into();
    let unknown = paid_notification(&app, &platform(), "P-NONE", "399.00", now);
    for (what, d, status) in [
        ("forged", &forged, 401),
        ("tampered", &tampered, 401),
        ("amount mismatch", &mismatched, 400),
        ("stale", &stale, 401),
        ("wrong serial", &wrong_serial, 401),
        ("unknown payment", &unknown, 404),
    ] {
        let r = deliver(&app, d).await;
        assert_eq!(r.status().as_u16(), status, "{what}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["code"], "FAIL", "{what}");
        assert!(
            body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{what}"
        );
    }
    let (status, paid, payments, notes) = state(&app, &sn).await;
    assert_eq!(
        (status, paid, payments, notes),
        (0, false, vec!["created".to_string()], 0)
    );
    let all: i64 = db(&app)
        .await
        .query_one("SELECT count(*) FROM pay_notifications", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(all, 0);
    // The route is POST only, and only for the configured driver.
    let r = app.get("/notify/pay/sandbox").await;
    assert_eq!(r.status(), 405);
    let good = paid_notification(&app, &platform(), &no, "399.00", now);
    let h = &good.headers;
    let r = app
        .http
        .post(format!(
            "http://127.0.0.1:{}/notify/pay/wechatpay",
            app.port
        ))
        .header("wechatpay-timestamp", &h.timestamp)
        .header("wechatpay-nonce", &h.nonce)
        .header("wechatpay-signature", &h.signature)
        .header("wechatpay-serial", &h.serial)
        .body(good.body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(state(&app, &sn).await.0, 0);
}

#[tokio::test]
async fn a_refund_goes_through_the_driver_and_its_notification() {
    let app = spawn_app().await;
    let (token, sn) = user_with_order(&app).await;
    let no = open_payment(&app, &token, &sn).await;
    let app = &app;
    let refund = |no: String| async move {
        app.call_as(
            "admin_api_call",
            ADMIN_API_CALL_SECRET,
            "pay.refund",
            json!({"out_trade_no": no, "reason": "缺货"}),
        )
        .await
    };
    assert_eq!(
        refund(no.clone()).await["msg"],
        "支付单当前状态不能退款",
        "not paid yet"
    );
    assert_code(&settle(app, &no).await, 200);
    let env = refund(no.clone()).await;
    assert_code(&env, 200);
    assert_eq!(env["data"]["amount"], "399.00");
    assert_eq!(env["data"]["notify_status"], 204);
    assert_eq!(env["data"]["status"], "refunded");
    let status: String = db(app)
        .await
        .query_one("SELECT status FROM refunds", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(status, "success");
    assert_eq!(
        refund(no).await["msg"],
        "支付单当前状态不能退款",
        "refunded once"
    );
}

#[tokio::test]
async fn the_cli_settles_through_the_callback_route() {
    let app = spawn_app().await;
    let (token, sn) = user_with_order(&app).await;
    let no = open_payment(&app, &token, &sn).await;
    let mut cli = crate::helpers::procs::gateway_bin();
    cli.arg("--config")
        .arg(app.config_path("gateway.toml"))
        .args(["pay", "settle", &no, "--url"])
        .arg(format!("http://127.0.0.1:{}", app.port));
    // The gateway answers on this test's runtime: wait for the CLI off it.
    let out = tokio::task::spawn_blocking(move || cli.output().unwrap())
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(state(&app, &sn).await.0, 1);
}

#[test]
fn check_config_refuses_the_sandbox_driver_in_pro() {
    let settings = |driver| {
        let mut s = crate::helpers::config::test_settings(
            "postgres://x@127.0.0.1/x",
            "redis://127.0.0.1/",
            "p:",
        );
        s.env = RunEnv::Pro;
        s.sms.echo_code = false;
        s.payments.driver = driver;
        s
    };
    let (ok, out) =
        crate::helpers::procs::check_settings(&settings(PayDriver::Sandbox), &default_apps(), &[]);
    assert!(!ok, "{out}");
    assert!(
        out.contains("payments.driver") && out.contains("pro"),
        "{out}"
    );
    let (ok, out) = crate::helpers::procs::check_settings(
        &settings(PayDriver::Wechatpay),
        &default_apps(),
        &[],
    );
    assert!(!ok && out.contains("payments.api_v3_key"), "{out}");
}

#[tokio::test]
async fn with_payments_off_order_pay_refuses_and_no_callback_answers() {
    let app = spawn_app_with(Options::configure(|s| s.payments.driver = PayDriver::Off)).await;
    let (token, sn) = user_with_order(&app).await;
    let env = pay(&app, &token, &sn).await;
    assert_eq!(env, json!({"code": 503, "msg": "支付暂未开通"}));
    for path in ["/notify/pay/off", "/notify/pay/sandbox"] {
        let r = app
            .http
            .post(format!("http://127.0.0.1:{}{path}", app.port))
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{path}");
    }
}
