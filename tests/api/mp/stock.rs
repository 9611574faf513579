//! Stock and single use under concurrency: 50 buys of 10 units sell
//! exactly 10; the close job returns an unpaid order's stock when the
//! clock has moved past the configured time; one redeem and one refund
//! win among parallel attempts.

use futures_util::future::join_all;
use serde_json::json;
use yafgate::app::jobs::run_all;

use super::*;

#[tokio::test]
async fn fifty_concurrent_buys_of_a_stock_of_ten_sell_exactly_ten() {
    let app = mp_app().await;
    let db = db(&app).await;
    let token = app.mp_member("crowd", "13700000010").await;
    let gid = good(&db, 10).await;

    let buys = (0..50).map(|_| {
        app.mpc(
            "mp.order.buy",
            &token,
            json!({"goods_id": gid, "number": 1}),
        )
    });
    let answers = join_all(buys).await;

    let codes = codes_of(&answers);
    assert_tally(&codes, &[(200, 10), (503, 40)]);
    assert!(
        answers
            .iter()
            .filter(|e| e["code"] == 503)
            .all(|e| e["msg"] == "库存不足"),
        "{answers:?}"
    );
    assert_eq!(counts(&db, gid).await, (0, 0));
    let placed: i64 = db
        .query_one(
            "SELECT COALESCE(sum(buy_number), 0) FROM mp_orders WHERE goods_id = $1",
            &[&gid],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(placed, 10);

    // Paid, the ten are the good's sales.
    for won in answers.iter().filter(|e| e["code"] == 200) {
        app.mp_settle(won["data"]["out_trade_no"].as_str().unwrap())
            .await;
    }
    assert_eq!(counts(&db, gid).await, (0, 10));
}

async fn status(app: &TestApp, token: &str, order_no: &str) -> serde_json::Value {
    app.mp_ok("mp.order.detail", token, json!({"order_no": order_no}))
        .await["status"]
        .clone()
}

#[tokio::test]
async fn the_job_closes_an_unpaid_order_when_due_and_returns_its_stock() {
    let app = mp_app().await;
    let db = db(&app).await;
    let token = app.mp_member("late", "13700000011").await;
    let gid = good(&db, 5).await;
    let data = app.mp_buy(&token, gid, 3).await;
    let order_no = data["order_no"].as_str().unwrap().to_string();
    let out_trade_no = data["out_trade_no"].as_str().unwrap().to_string();
    assert_eq!(counts(&db, gid).await, (2, 0));
    // 29 minutes on: not due yet (mp.close_unpaid_after_minutes = 30).
    app.state.clock.advance(29 * 60);
    run_all(&app.state, &app.settings).await;
    assert_eq!(status(&app, &token, &order_no).await, 1);
    assert_eq!(counts(&db, gid).await, (2, 0));

    app.state.clock.advance(2 * 60);
    let runs = run_all(&app.state, &app.settings).await;
    let close = runs.iter().find(|r| r.job == "mp.close_unpaid").unwrap();
    assert!(close.ok);
    assert_eq!(close.items, 1);
    assert_eq!(status(&app, &token, &order_no).await, 3);
    assert_eq!(counts(&db, gid).await, (5, 0));
    let id: i64 = db
        .query_one("SELECT id FROM mp_orders WHERE order_no = $1", &[&order_no])
        .await
        .unwrap()
        .get(0);
    let recorded = moves(&db, "mp_order", id).await;
    assert_eq!(recorded, [("close".to_string(), 1, 3)]);

    // A payment arriving after the close is kept for support, not applied.
    app.mp_settle(&out_trade_no).await;
    assert_eq!(status(&app, &token, &order_no).await, 3);
    assert_eq!(counts(&db, gid).await, (5, 0));
    let outcome: String = db
        .query_one(
            "SELECT outcome FROM pay_notifications WHERE out_trade_no = $1",
            &[&out_trade_no],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(outcome, "subject_refused");
}

#[tokio::test]
async fn a_cancelled_order_returns_its_stock_once() {
    let app = mp_app().await;
    let db = db(&app).await;
    let token = app.mp_member("cancel", "13700000012").await;
    let gid = good(&db, 4).await;
    let order_no = app.mp_buy(&token, gid, 4).await["order_no"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(counts(&db, gid).await, (0, 0));

    let cancels =
        (0..10).map(|_| app.mpc("mp.order.cancel", &token, json!({"order_no": order_no})));
    let codes = codes_of(&join_all(cancels).await);
    assert_tally(&codes, &[(200, 1), (503, 9)]);
    assert_eq!(counts(&db, gid).await, (4, 0));
    let other = app.mp_member("other", "13700000013").await;
    let env = app
        .mpc("mp.order.cancel", &other, json!({"order_no": order_no}))
        .await;
    assert_eq!(
        (env["code"].clone(), env["msg"].clone()),
        (json!(404), json!("订单不存在"))
    );
}

#[tokio::test]
async fn one_redeem_and_one_refund_win_among_parallel_attempts() {
    let app = mp_app().await;
    let db = db(&app).await;
    let token = app.mp_member("race", "13700000014").await;
    let gid = good(&db, 10).await;
    let data = app.mp_buy(&token, gid, 3).await;
    app.mp_settle(data["out_trade_no"].as_str().unwrap()).await;
    let order_no = data["order_no"].as_str().unwrap().to_string();
    let order = app
        .mp_ok("mp.order.detail", &token, json!({"order_no": order_no}))
        .await;
    let code = order["items"][0]["verify_code"]
        .as_str()
        .unwrap()
        .to_string();

    let redeems = (0..20).map(|_| app.mp_redeem(1, &code));
    assert_tally(&codes_of(&join_all(redeems).await), &[(200, 1), (503, 19)]);

    let refunds =
        (0..10).map(|_| app.mpc("mp.order.refund", &token, json!({"order_no": order_no})));
    assert_tally(&codes_of(&join_all(refunds).await), &[(200, 1), (503, 9)]);
    let order = app
        .mp_ok("mp.order.detail", &token, json!({"order_no": order_no}))
        .await;
    assert_eq!(order["status"], 7);
    assert_eq!(order["refund_price"], "60.00");
    assert_eq!(counts(&db, gid).await, (9, 1));
    let refunds: i64 = db
        .query_one(
            "SELECT count(*) FROM refunds r JOIN payments p ON p.id = r.payment_id \
             WHERE p.subject_kind = 'mp_order' AND p.subject_id = $1",
            &[&order["id"].as_i64().unwrap()],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(refunds, 1);
}
