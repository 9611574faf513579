//! consult.* (seed 001, docs/protocol.md §20) over HTTP: the journeys of
//! an order from demand to done and from payment to refund, the refusals
//! that write nothing, and the races on the order machine.

mod journey;
mod refusals;

use serde_json::{Value, json};

use crate::helpers::{ADMIN_API_CALL_SECRET, CONSULT_SECRET, TestApp, assert_code, spawn_app};

/// A signed-in consult user: the app, the token and the user id.
pub(super) struct Who {
    pub token: String,
    pub id: i64,
}

/// Call as the consulting app, with `who`'s session when given.
pub(super) async fn call(app: &TestApp, who: Option<&Who>, method: &str, mut p: Value) -> Value {
    if let Some(w) = who {
        p["token"] = json!(w.token);
    }
    app.call_as("consult_app_id", CONSULT_SECRET, method, p)
        .await
}

/// Sign in by SMS (as user or consultant), then register a user name and
/// password.
pub(super) async fn signed_in(app: &TestApp, side: &str, mobile: &str, username: &str) -> Who {
    let code = app.sms_code(mobile, "CONSULT_SIGNIN_CODE").await;
    let env = call(
        app,
        None,
        &format!("consult.{side}.signin"),
        json!({"phone_number": mobile, "verification_code": code}),
    )
    .await;
    assert_code(&env, 200);
    let who = Who {
        token: env["data"]["token"].as_str().unwrap().to_string(),
        id: env["data"]["content"][0].as_i64().unwrap(),
    };
    let env = call(
        app,
        Some(&who),
        &format!("consult.{side}.register"),
        json!({"username": username, "password": "secret_123", "password_again": "secret_123",
               "gender": 1, "realname": "张三", "email": "z@example.com"}),
    )
    .await;
    assert_code(&env, 200);
    who
}

/// A buyer with a demand under tag 1 and a consultant: (buyer, consultant,
/// post_id).
pub(super) async fn buyer_and_consultant(app: &TestApp) -> (Who, Who, i64) {
    let buyer = signed_in(app, "user", "13600000001", "buyer_one").await;
    let consultant = signed_in(app, "consultant", "13600000002", "adviser_one").await;
    let env = call(
        app,
        Some(&buyer),
        "consult.user.post.publish",
        json!({"user_id": "999", "tag_id": [1, 2], "title": "公司股权设计", "content": "需要律师协助设计股权结构", "price": "300.00"}),
    )
    .await;
    assert_code(&env, 200);
    let post = env["data"]["content"][0].as_i64().unwrap();
    (buyer, consultant, post)
}

/// An unpaid order of 300.00 on `post`: (order_id, order_no).
pub(super) async fn order(
    app: &TestApp,
    buyer: &Who,
    consultant: &Who,
    post: i64,
) -> (i64, String) {
    let env = call(
        app,
        Some(buyer),
        "consult.user.order.add",
        json!({"post_id": post, "consultant_id": consultant.id, "price": "300.00", "status": 3}),
    )
    .await;
    assert_code(&env, 200);
    (
        env["data"]["content"][0].as_i64().unwrap(),
        env["data"]["order_no"].as_str().unwrap().to_string(),
    )
}

/// Pay the order through consult.pay.init and the sandbox callback (the
/// back office's pay.settle posts to /notify/pay/sandbox); the payment's
/// out_trade_no.
pub(super) async fn pay(app: &TestApp, buyer: &Who, order_no: &str) -> String {
    let env = call(
        app,
        Some(buyer),
        "consult.pay.init",
        json!({"body": "股权咨询", "out_trade_no": order_no, "total_fee": "300.00", "spbill_create_ip": "1.2.3.4"}),
    )
    .await;
    assert_code(&env, 200);
    assert_eq!(env["data"]["amount"], "300.00");
    let no = env["data"]["out_trade_no"].as_str().unwrap().to_string();
    let settled = app
        .call_as(
            "admin_api_call",
            ADMIN_API_CALL_SECRET,
            "pay.settle",
            json!({"out_trade_no": no}),
        )
        .await;
    assert_code(&settled, 200);
    assert_eq!(settled["data"]["status"], "paid", "{settled}");
    no
}

pub(super) async fn db(app: &TestApp) -> tokio_postgres::Client {
    app.database.as_ref().unwrap().client().await
}

/// The order's status.
pub(super) async fn status(app: &TestApp, order: i64) -> i16 {
    db(app)
        .await
        .query_one("SELECT status FROM consult_orders WHERE id = $1", &[&order])
        .await
        .unwrap()
        .get(0)
}

/// The order's recorded transitions: (action, from, to, actor kind).
pub(super) async fn moves(app: &TestApp, order: i64) -> Vec<(String, i16, i16, String)> {
    db(app)
        .await
        .query(
            "SELECT action, from_status, to_status, actor_kind FROM status_transitions \
             WHERE machine = 'consult_order' AND record_id = $1 ORDER BY id",
            &[&order],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect()
}

/// A fresh gateway.
pub(super) async fn app() -> TestApp {
    spawn_app().await
}
