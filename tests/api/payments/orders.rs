//! order.pay, the settle method and CLI, refunds, payments off, and the
//! sandbox refused in pro.

use futures_util::future::join_all;
use serde_json::json;
use yafgate::config::payments::PayDriver;
use yafgate::config::settings::RunEnv;
use yafgate::shared::pay::wechat::{RsaVerifier, message};

use super::*;
use crate::helpers::{Options, default_apps, spawn_app, spawn_app_with};

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
        // The WeChat login default (the api driver, no mini-programs), so
        // that only the payment driver is in question.
        s.wechat = Default::default();
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

#[tokio::test]
async fn twenty_concurrent_order_pays_open_one_payment() {
    let app = spawn_app().await;
    let (token, sn) = user_with_order(&app).await;
    let answers = join_all((0..20).map(|_| pay(&app, &token, &sn))).await;
    let numbers: std::collections::HashSet<&str> = answers
        .iter()
        .map(|env| {
            assert_code(env, 200);
            env["data"]["out_trade_no"].as_str().unwrap()
        })
        .collect();
    assert_eq!(numbers.len(), 1, "every caller got the same payment");
    assert_eq!(state(&app, &sn).await.2, vec!["created".to_string()]);
}
