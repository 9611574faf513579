//! Notifications through `POST /notify/pay/sandbox`: applied once however
//! often or concurrently delivered; refused ones write nothing.

use futures_util::future::join_all;
use serde_json::Value;
use yafgate::shared::pay::sandbox;
use yafgate::shared::pay::wechat::RsaSigner;

use super::*;
use crate::helpers::{assert_code, spawn_app};

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
    // The move went through the order machine, recorded with the payment
    // as its actor (docs/protocol.md §18.6), once.
    let moves: Vec<(String, i16, i16, String, String)> = db(&app)
        .await
        .query(
            "SELECT action, from_status, to_status, actor_kind, actor_id FROM status_transitions \
             WHERE machine = 'order'",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
        .collect();
    assert_eq!(
        moves,
        vec![("pay".into(), 0, 1, "payment".into(), no.clone())]
    );
    let metrics = app.metrics().await;
    for line in [
        "yafgate_pay_notifications_total{outcome=\"applied\"} 1",
        "yafgate_pay_notifications_total{outcome=\"duplicate\"} 1",
    ] {
        assert!(metrics.contains(line), "{line} in {metrics}");
    }
    // Paid: order.pay refuses now.
    assert_code(&pay(&app, &token, &sn).await, 503);
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
async fn a_payment_for_an_order_that_can_no_longer_take_it_is_kept_for_a_refund() {
    let app = spawn_app().await;
    let (token, sn) = user_with_order(&app).await;
    let no = open_payment(&app, &token, &sn).await;
    db(&app)
        .await
        .execute(
            "UPDATE orders SET order_status = 4 WHERE order_sn = $1",
            &[&sn],
        )
        .await
        .unwrap();
    let d = paid_notification(&app, &platform(), &no, "399.00", app.now());
    assert_eq!(deliver(&app, &d).await.status(), 204);
    let (status, paid, payments, _) = state(&app, &sn).await;
    assert_eq!(
        (status, paid, payments),
        (4, false, vec!["paid".to_string()])
    );
    let outcome: String = db(&app)
        .await
        .query_one("SELECT outcome FROM pay_notifications", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(outcome, "subject_refused");
}

#[tokio::test]
async fn an_expired_payment_is_closed_and_replaced() {
    let app = spawn_app().await;
    let (token, sn) = user_with_order(&app).await;
    let first = open_payment(&app, &token, &sn).await;
    app.state
        .clock
        .advance(i64::from(app.settings.payments.expire_minutes) * 60 + 1);
    let second = open_payment(&app, &token, &sn).await;
    assert_ne!(first, second);
    let statuses = state(&app, &sn).await.2;
    assert_eq!(statuses, ["closed", "created"]);
    // The provider may still deliver the old one: the money is taken, so it
    // is applied, and the order is paid once.
    let d = paid_notification(&app, &platform(), &first, "399.00", app.now());
    assert_eq!(deliver(&app, &d).await.status(), 204);
    let (status, _, statuses, _) = state(&app, &sn).await;
    assert_eq!(
        (status, statuses),
        (1, vec!["paid".to_string(), "created".to_string()])
    );
}
