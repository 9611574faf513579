//! The order machine end to end (docs/protocol.md §16): illegal actions are
//! refused with the machine's code and write nothing, concurrent actions
//! on one order have one winner, and every transition is recorded.

use serde_json::{Value, json};
use tokio_postgres::Client;
use yafgate::methods::order::machine::ORDER;
use yafgate::shared::machine::{Actor, Key, transition};

use crate::helpers::*;

const PASSWORD: &str = "secret_123";

/// A registered user: token and id.
async fn user(app: &TestApp, db: &Client, mobile: &str) -> (String, i64) {
    let token = app.register_token(mobile, PASSWORD).await;
    let id = db
        .query_one("SELECT id FROM users WHERE mobile = $1", &[&mobile])
        .await
        .unwrap()
        .get(0);
    (token, id)
}

/// An order of `user` in `status`, placed `age` seconds before the app's now.
pub async fn order(app: &TestApp, db: &Client, sn: &str, user: i64, status: i16, age: i64) {
    let placed = (app.now() - age) as f64;
    db.execute(
        "INSERT INTO orders (order_sn, user_id, order_status, total_price, created_at, \
         pay_time, shipping_time) VALUES ($1, $2, $3, 100, to_timestamp($4), \
         CASE WHEN $3::smallint >= 1 THEN to_timestamp($4) END, CASE WHEN $3::smallint >= 2 THEN to_timestamp($4) END)",
        &[&sn, &user, &status, &placed],
    )
    .await
    .unwrap();
}

/// Everything a transition could change about an order, as text.
async fn snapshot(db: &Client, sn: &str) -> String {
    let row = db
        .query_one(
            "SELECT o::text, (SELECT count(*) FROM status_transitions t \
             WHERE t.machine = 'order' AND t.record_id = o.id) FROM orders o WHERE order_sn = $1",
            &[&sn],
        )
        .await
        .unwrap();
    format!(
        "{} / {} transitions",
        row.get::<_, String>(0),
        row.get::<_, i64>(1)
    )
}

/// (action, from, to, actor_kind, actor_id, at) of an order's transitions.
async fn transitions(db: &Client, sn: &str) -> Vec<(String, i16, i16, String, String, i64)> {
    db.query(
        "SELECT t.action, t.from_status, t.to_status, t.actor_kind, t.actor_id, \
         extract(epoch FROM t.at)::bigint FROM status_transitions t JOIN orders o \
         ON t.machine = 'order' AND t.record_id = o.id WHERE o.order_sn = $1 ORDER BY t.id",
        &[&sn],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5)))
    .collect()
}

/// Take `pay` as a payment would: (from, to) or the refusal code.
async fn pay(app: &TestApp, sn: &str, at: i64) -> Result<(i16, i16), u32> {
    let mut conn = app.state.stores.pg().await.unwrap();
    let tx = conn.transaction().await.unwrap();
    let actor = Actor::Payment("PAY-0001".into());
    let t = transition(&tx, &ORDER, Key::Code(sn), "pay", &actor, at).await;
    tx.commit().await.unwrap();
    t.map(|t| (t.from, t.to)).map_err(|e| e.code())
}

async fn ship_as_admin(app: &TestApp, sn: &str) -> Value {
    app.call_as(
        "admin_api_call",
        ADMIN_API_CALL_SECRET,
        "order.ship",
        json!({"order_sn": sn}),
    )
    .await
}

#[tokio::test]
async fn illegal_actions_are_refused_with_the_machines_code_and_write_nothing() {
    let app = spawn_app().await;
    let db = app.database.as_ref().unwrap().client().await;
    let (alice, alice_id) = user(&app, &db, "13500000001").await;
    let (bob, _) = user(&app, &db, "13500000002").await;
    order(&app, &db, "M-UNPAID", alice_id, 0, 60).await;
    order(&app, &db, "M-PAID", alice_id, 1, 60).await;

    let cases = [
        (
            "order.confirm",
            &alice,
            "M-UNPAID",
            814,
            "订单当前状态不能确认收货",
        ),
        ("order.cancel", &bob, "M-UNPAID", 404, "订单不存在"),
        ("order.confirm", &bob, "M-UNPAID", 404, "订单不存在"),
        (
            "order.cancel",
            &alice,
            "M-PAID",
            811,
            "订单当前状态不能取消",
        ),
        (
            "order.ship",
            &alice,
            "M-PAID",
            810,
            "您无权对该订单执行此操作",
        ),
        ("order.cancel", &alice, "M-NONE", 404, "订单不存在"),
    ];
    for (method, token, sn, code, msg) in cases {
        let before = [
            snapshot(&db, "M-UNPAID").await,
            snapshot(&db, "M-PAID").await,
        ];
        let env = app
            .call_with_token(method, token, json!({"order_sn": sn}))
            .await;
        assert_code(&env, code);
        assert_eq!(env["msg"], msg, "{method} {sn}");
        let after = [
            snapshot(&db, "M-UNPAID").await,
            snapshot(&db, "M-PAID").await,
        ];
        assert_eq!(before, after, "{method} {sn} wrote something");
    }
    // The admin may ship, but not an unpaid order.
    let env = ship_as_admin(&app, "M-UNPAID").await;
    assert_eq!(
        (env["code"].as_i64(), env["msg"].as_str()),
        (Some(813), Some("订单当前状态不能发货"))
    );
    let count: i64 = db
        .query_one("SELECT count(*) FROM status_transitions", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(count, 0);
}

#[tokio::test]
async fn twenty_concurrent_cancels_of_one_order_have_exactly_one_winner() {
    let app = spawn_app().await;
    let db = app.database.as_ref().unwrap().client().await;
    let (token, id) = user(&app, &db, "13500000003").await;
    order(&app, &db, "M-RACE", id, 0, 60).await;

    // Each request differs by a parameter the method ignores, so none is a
    // replay of another (docs/protocol.md §11.5).
    let attempts = (0..20).map(|i| {
        app.call_with_token(
            "order.cancel",
            &token,
            json!({"order_sn": "M-RACE", "attempt": i}),
        )
    });
    let answers = futures_util::future::join_all(attempts).await;
    assert_tally(&codes_of(&answers), &[(200, 1), (811, 19)]);
    let winner = answers.iter().find(|e| e["code"] == 200).unwrap();
    assert_eq!(
        winner["data"],
        json!({"order_sn": "M-RACE", "order_status": 4, "order_status_label": "已关闭"})
    );
    let moves = transitions(&db, "M-RACE").await;
    assert_eq!(moves.len(), 1, "{moves:?}");
    assert_eq!(
        (
            moves[0].0.as_str(),
            moves[0].1,
            moves[0].2,
            moves[0].3.as_str()
        ),
        ("cancel", 0, 4, "owner")
    );
    assert_eq!(moves[0].4, id.to_string());
}

#[tokio::test]
async fn every_transition_is_recorded_with_who_when_from_and_to() {
    let app = spawn_app().await;
    let db = app.database.as_ref().unwrap().client().await;
    let (token, id) = user(&app, &db, "13500000004").await;
    order(&app, &db, "M-LIFE", id, 0, 60).await;

    // The payment side takes `pay` through the machine directly; a second
    // notification of the same payment is refused.
    let paid_at = app.now();
    assert_eq!(pay(&app, "M-LIFE", paid_at).await, Ok((0, 1)));
    assert_eq!(pay(&app, "M-LIFE", paid_at).await, Err(812));

    app.state.clock.advance(3_600);
    let shipped_at = app.now();
    assert_code(&ship_as_admin(&app, "M-LIFE").await, 200);
    app.state.clock.advance(86_400);
    let done_at = app.now();
    let env = app
        .call_with_token("order.confirm", &token, json!({"order_sn": "M-LIFE"}))
        .await;
    assert_code(&env, 200);
    assert_eq!(env["data"]["order_status_label"], "交易成功");

    let moves = transitions(&db, "M-LIFE").await;
    let near = |want: i64, got: i64| (got - want).abs() <= 2;
    let expected = [
        ("pay", 0, 1, "payment", "PAY-0001".to_string(), paid_at),
        (
            "ship",
            1,
            2,
            "admin",
            "admin_api_call".to_string(),
            shipped_at,
        ),
        ("confirm", 2, 3, "owner", id.to_string(), done_at),
    ];
    assert_eq!(moves.len(), expected.len(), "{moves:?}");
    for (got, want) in moves.iter().zip(&expected) {
        assert_eq!(
            (got.0.as_str(), got.1, got.2, got.3.as_str(), &got.4),
            (want.0, want.1, want.2, want.3, &want.4)
        );
        assert!(near(want.5, got.5), "{} at {} not {}", got.0, got.5, want.5);
    }
    // The stamps are the machine's times, by the gateway's clock.
    let row = db
        .query_one(
            "SELECT extract(epoch FROM pay_time)::bigint, extract(epoch FROM shipping_time)::bigint, \
             extract(epoch FROM done_time)::bigint, order_status FROM orders WHERE order_sn = 'M-LIFE'",
            &[],
        )
        .await
        .unwrap();
    assert!(near(paid_at, row.get(0)) && near(shipped_at, row.get(1)) && near(done_at, row.get(2)));
    assert_eq!(row.get::<_, i16>(3), 3);
}
