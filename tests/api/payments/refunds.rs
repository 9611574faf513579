//! Several refunds of one payment, and the close of expired payments
//! (docs/protocol.md §17, §18.5): a payment is refunded in parts up to its
//! amount, one refund in flight at a time, the parts never adding up to
//! more than was paid, even under parallel attempts; a payment nobody paid
//! before its expiry is closed by the timed job.

use serde_json::{Value, json};
use yafgate::app::jobs::run_all;

use super::{db, open_payment, settle, user_with_order};
use crate::helpers::*;

async fn refund(app: &TestApp, no: &str, amount: Option<&str>) -> Value {
    let mut params = json!({"out_trade_no": no, "reason": "部分退款"});
    if let Some(a) = amount {
        params["amount"] = json!(a);
    }
    app.call_as(
        "admin_api_call",
        ADMIN_API_CALL_SECRET,
        "pay.refund",
        params,
    )
    .await
}

/// (payment status, the sum of its successful refunds in fen, refund rows)
async fn refunded(app: &TestApp, no: &str) -> (String, i64, i64) {
    let row = db(app)
        .await
        .query_one(
            "SELECT p.status, (SELECT COALESCE(sum(r.amount) * 100, 0)::bigint FROM refunds r \
             WHERE r.payment_id = p.id AND r.status = 'success'), \
             (SELECT count(*) FROM refunds r WHERE r.payment_id = p.id) \
             FROM payments p WHERE out_trade_no = $1",
            &[&no],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1), row.get(2))
}

/// A paid payment of 399 yuan; its out_trade_no.
async fn paid(app: &TestApp) -> String {
    let (token, sn) = user_with_order(app).await;
    let no = open_payment(app, &token, &sn).await;
    assert_code(&settle(app, &no).await, 200);
    no
}

#[tokio::test]
async fn a_payment_is_refunded_in_parts_up_to_its_amount() {
    let app = spawn_app().await;
    let no = paid(&app).await;

    let env = refund(&app, &no, Some("100.50")).await;
    assert_code(&env, 200);
    assert_eq!(env["data"]["amount"], "100.50", "{env}");
    assert_eq!(env["data"]["status"], "partially_refunded", "{env}");
    assert_eq!(
        refunded(&app, &no).await,
        ("partially_refunded".into(), 10_050, 1)
    );

    // More than remains, and nothing, are refused and write nothing.
    for (amount, msg) in [
        ("298.51", "退款金额超过可退金额（298.50）"),
        ("0", "退款金额须大于 0"),
        ("-1", "参数 amount 不能为负数"),
    ] {
        let env = refund(&app, &no, Some(amount)).await;
        assert_code(&env, 503);
        if amount != "-1" {
            assert_eq!(env["msg"], msg, "{amount}");
        }
        assert_eq!(
            refunded(&app, &no).await,
            ("partially_refunded".into(), 10_050, 1),
            "{amount}"
        );
    }

    // Without an amount, what remains.
    let env = refund(&app, &no, None).await;
    assert_code(&env, 200);
    assert_eq!(env["data"]["amount"], "298.50");
    assert_eq!(env["data"]["status"], "refunded");
    assert_eq!(refunded(&app, &no).await, ("refunded".into(), 39_900, 2));
    assert_eq!(
        refund(&app, &no, Some("0.01")).await["msg"],
        "支付单当前状态不能退款"
    );
}

#[tokio::test]
async fn parallel_partial_refunds_never_refund_more_than_was_paid() {
    let app = spawn_app().await;
    let no = paid(&app).await;
    // 20 attempts at 25 yuan each on a 399-yuan payment: one in flight at a
    // time, so some are refused as busy; those that pass add up exactly,
    // and never past 399 (at most 15 of them).
    let attempts = (0..20).map(|_| refund(&app, &no, Some("25.00")));
    let answers = futures_util::future::join_all(attempts).await;
    let ok = answers.iter().filter(|e| e["code"] == 200).count() as i64;
    for e in &answers {
        assert!(
            e["code"] == 200
                || e["msg"] == "支付单当前状态不能退款"
                || e["msg"].as_str().unwrap().starts_with("退款金额超过"),
            "{e}"
        );
    }
    assert!((1..=15).contains(&ok), "{ok} refunds passed");
    let (status, fen, rows) = refunded(&app, &no).await;
    assert_eq!(
        (fen, rows),
        (ok * 2_500, ok),
        "every passed refund, and only those"
    );
    assert_eq!(status, "partially_refunded");
}

#[tokio::test]
async fn the_job_closes_payments_nobody_paid_before_they_expired() {
    let app = spawn_app().await;
    let (token, sn) = user_with_order(&app).await;
    let no = open_payment(&app, &token, &sn).await;
    let settings = app.settings.clone();
    let expire = i64::from(settings.payments.expire_minutes) * 60;

    // Not yet expired: the job leaves it.
    app.state.clock.advance(expire - 5);
    run_all(&app.state, &settings).await;
    assert_eq!(status_of(&app, &no).await, "created");

    app.state.clock.advance(10);
    let runs = run_all(&app.state, &settings).await;
    let close = runs
        .iter()
        .find(|r| r.job == "payments.close_expired")
        .unwrap();
    assert!(close.ok && close.items >= 1, "{close:?}");
    assert_eq!(status_of(&app, &no).await, "closed");

    // A late notification still applies (the provider took the money).
    assert_code(&settle(&app, &no).await, 200);
    assert_eq!(status_of(&app, &no).await, "paid");
}

async fn status_of(app: &TestApp, no: &str) -> String {
    db(app)
        .await
        .query_one(
            "SELECT status FROM payments WHERE out_trade_no = $1",
            &[&no],
        )
        .await
        .unwrap()
        .get(0)
}
