//! The order journeys of the issue: register → publish → order → pay via
//! the sandbox callback → the consultant accepts → finish; cancel with a
//! refund; and 20 parallel attempts on one transition.

use futures_util::future::join_all;
use serde_json::json;

use super::*;
use crate::helpers::{assert_tally, codes_of, reads_shared};

#[tokio::test]
async fn an_order_goes_from_demand_to_done_through_payment_and_the_consultant() {
    let app = app().await;
    let (mut buyer, mut consultant, post) = buyer_and_consultant(&app).await;

    // Log in again by user name and by mobile: the same account.
    for name in ["buyer_one", "13600000001"] {
        let env = call(
            &app,
            None,
            "consult.user.login",
            json!({"username": name, "password": "secret_123"}),
        )
        .await;
        assert_code(&env, 200);
        assert_eq!(env["data"]["content"], json!([buyer.id]));
        // A login displaces the app's previous session (docs/protocol.md §8.2).
        buyer.token = env["data"]["token"].as_str().unwrap().to_string();
    }
    let env = call(
        &app,
        None,
        "consult.consultant.login",
        json!({"username": "adviser_one", "password": "secret_123"}),
    )
    .await;
    assert_eq!(env["data"]["content"], json!([consultant.id]), "{env}");
    consultant.token = env["data"]["token"].as_str().unwrap().to_string();

    // The demand is the session user's, whatever user_id said.
    let mine = call(
        &app,
        Some(&buyer),
        "consult.user.post.check",
        json!({"user_id": 1}),
    )
    .await;
    let first = &mine["data"]["content"][0];
    assert_code(&mine, 200);
    assert_eq!(first["post_id"], post);
    assert_eq!(first["tag_id"], json!([1, 2]));
    assert_eq!(first["price"], "300.00");
    let tags = call(&app, None, "consult.tag.list", json!({})).await;
    assert_eq!(
        tags["data"]["content"][0],
        json!({"tag_id": 1, "name": "法律咨询"})
    );
    let seen = call(
        &app,
        Some(&consultant),
        "consult.user.post.acquire",
        json!({"tag_id": 2}),
    )
    .await;
    assert_eq!(seen["data"]["content"][0]["user_id"], buyer.id);

    let (id, no) = order(&app, &buyer, &consultant, post).await;
    assert_eq!(status(&app, id).await, 0, "the client's status is ignored");
    // Not accepted before it is paid: 503 and nothing written.
    let early = call(
        &app,
        Some(&consultant),
        "consult.consultant.order.accept",
        json!({"order_id": id}),
    )
    .await;
    assert_eq!(
        early,
        json!({"code": 503, "msg": "只有已付款的订单可以接单"})
    );
    assert!(moves(&app, id).await.is_empty());

    pay(&app, &buyer, &no).await;
    assert_eq!(status(&app, id).await, 1);
    // A demand with a live order stays.
    let del = call(
        &app,
        Some(&buyer),
        "consult.user.post.delete",
        json!({"post_id": post}),
    )
    .await;
    assert_eq!(
        del,
        json!({"code": 503, "msg": "该需求有进行中的订单，不能删除"})
    );

    let env = call(
        &app,
        Some(&consultant),
        "consult.consultant.order.accept",
        json!({"order_id": id}),
    )
    .await;
    assert_code(&env, 200);
    assert_eq!(
        (
            env["data"]["status"].clone(),
            env["data"]["status_label"].clone()
        ),
        (json!(2), json!("服务中"))
    );
    let listed = call(
        &app,
        Some(&consultant),
        "consult.consultant.order.list",
        json!({"status": 2}),
    )
    .await;
    assert_eq!(listed["data"]["content"][0]["order_no"], no, "{listed}");
    let env = call(
        &app,
        Some(&consultant),
        "consult.consultant.order.finish",
        json!({"order_id": id}),
    )
    .await;
    assert_code(&env, 200);
    assert_eq!(status(&app, id).await, 3);
    assert_eq!(
        moves(&app, id).await,
        vec![
            ("pay".to_string(), 0, 1, "payment".to_string()),
            ("accept".to_string(), 1, 2, "owner".to_string()),
            ("finish".to_string(), 2, 3, "owner".to_string()),
        ]
    );

    // Done is closed: the order may be deleted, then the demand.
    let env = call(
        &app,
        Some(&buyer),
        "consult.user.order.delete",
        json!({"post_id": id}),
    )
    .await;
    assert_code(&env, 200);
    let list = call(&app, Some(&buyer), "consult.user.order.list", json!({})).await;
    assert_eq!(list["data"]["content"], json!([]));
    assert_code(
        &call(
            &app,
            Some(&buyer),
            "consult.user.post.delete",
            json!({"post_id": post}),
        )
        .await,
        200,
    );
    let mine = call(&app, Some(&buyer), "consult.user.post.check", json!({})).await;
    assert_eq!(mine["data"]["content"], json!([]));
}

#[tokio::test]
async fn cancelling_a_paid_order_refunds_it_through_the_payment_driver() {
    let app = app().await;
    let (buyer, consultant, post) = buyer_and_consultant(&app).await;
    let (id, no) = order(&app, &buyer, &consultant, post).await;
    let trade = pay(&app, &buyer, &no).await;

    let env = call(
        &app,
        Some(&buyer),
        "consult.user.order.cancel",
        json!({"post_id": id}),
    )
    .await;
    assert_code(&env, 200);
    assert_eq!(env["data"]["status"], 5);
    let db = db(&app).await;
    let payment: String = db
        .query_one(
            "SELECT status FROM payments WHERE out_trade_no = $1",
            &[&trade],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(payment, "refunded", "the sandbox's refund notice came back");
    let refund: (String, rust_decimal::Decimal) = db
        .query_one("SELECT r.status, r.amount FROM refunds r JOIN payments p ON p.id = r.payment_id WHERE p.out_trade_no = $1", &[&trade])
        .await
        .map(|r| (r.get(0), r.get(1)))
        .unwrap();
    assert_eq!(
        refund,
        ("success".to_string(), rust_decimal::Decimal::new(30000, 2))
    );
    assert_eq!(moves(&app, id).await.last().unwrap().0, "refund");

    // Cancelled once: again is refused and writes nothing.
    let again = call(
        &app,
        Some(&buyer),
        "consult.user.order.cancel",
        json!({"post_id": id}),
    )
    .await;
    assert_eq!(again, json!({"code": 503, "msg": "订单当前状态不能取消"}));
    let n: i64 = db
        .query_one("SELECT count(*) FROM refunds", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 1);

    // An unpaid order is just cancelled, no payment involved.
    let (id, _) = order(&app, &buyer, &consultant, post).await;
    let env = call(
        &app,
        Some(&buyer),
        "consult.user.order.cancel",
        json!({"post_id": id}),
    )
    .await;
    assert_eq!(
        (env["code"].clone(), env["data"]["status"].clone()),
        (json!(200), json!(4))
    );
}

#[tokio::test]
async fn twenty_parallel_accepts_of_one_paid_order_have_one_winner() {
    let app = app().await;
    let (buyer, consultant, post) = buyer_and_consultant(&app).await;
    let (id, no) = order(&app, &buyer, &consultant, post).await;
    pay(&app, &buyer, &no).await;

    let attempts = (0..20).map(|i| {
        call(
            &app,
            Some(&consultant),
            "consult.consultant.order.accept",
            json!({"order_id": id, "attempt": i}),
        )
    });
    let answers = join_all(attempts).await;
    assert_tally(&codes_of(&answers), &[(200, 1), (503, 19)]);
    let accepts = moves(&app, id)
        .await
        .into_iter()
        .filter(|m| m.0 == "accept")
        .count();
    assert_eq!(accepts, 1);
}

#[tokio::test]
async fn twenty_parallel_cancels_of_one_paid_order_refund_it_once() {
    let app = app().await;
    let (buyer, consultant, post) = buyer_and_consultant(&app).await;
    let (id, no) = order(&app, &buyer, &consultant, post).await;
    pay(&app, &buyer, &no).await;

    let attempts = (0..20).map(|i| {
        call(
            &app,
            Some(&buyer),
            "consult.user.order.cancel",
            json!({"post_id": id, "attempt": i}),
        )
    });
    assert_tally(&codes_of(&join_all(attempts).await), &[(200, 1), (503, 19)]);
    let refunds: i64 = db(&app)
        .await
        .query_one("SELECT count(*) FROM refunds", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(refunds, 1);
    assert_eq!(status(&app, id).await, 5);
}

#[tokio::test]
async fn the_demo_buyer_and_consultant_log_in_and_see_their_order() {
    let app = app().await;
    let login = |method: &'static str, name: &'static str| {
        let app = &app;
        async move {
            let env = call(
                app,
                None,
                method,
                json!({"username": name, "password": "demo123456"}),
            )
            .await;
            assert_code(&env, 200);
            Who {
                token: env["data"]["token"].as_str().unwrap().to_string(),
                id: env["data"]["content"][0].as_i64().unwrap(),
            }
        }
    };
    let buyer = reads_shared(&app, 1, login("consult.user.login", "demo_buyer")).await;
    let consultant = login("consult.consultant.login", "demo_consultant").await;
    assert_eq!((buyer.id, consultant.id), (1, 2));
    let mine = reads_shared(
        &app,
        1,
        call(&app, Some(&buyer), "consult.user.order.list", json!({})),
    )
    .await;
    // The consultant's list checks the role first: two reads.
    let theirs = reads_shared(
        &app,
        2,
        call(
            &app,
            Some(&consultant),
            "consult.consultant.order.list",
            json!({}),
        ),
    )
    .await;
    assert_eq!(mine["data"]["content"], theirs["data"]["content"]);
    assert_eq!(mine["data"]["content"][0]["status_label"], "待付款");
}

#[tokio::test]
async fn twenty_parallel_orders_on_one_demand_make_one_live_order() {
    let app = app().await;
    let (buyer, consultant, post) = buyer_and_consultant(&app).await;

    let attempts = (0..20).map(|i| {
        call(
            &app,
            Some(&buyer),
            "consult.user.order.add",
            json!({"post_id": post, "consultant_id": consultant.id, "price": "300.00", "attempt": i}),
        )
    });
    let answers = join_all(attempts).await;
    let codes = codes_of(&answers);
    assert_tally(&codes, &[(200, 1)]);
    let refused = answers
        .iter()
        .filter(|e| e["msg"] == "该需求已有进行中的订单")
        .count();
    assert_eq!(refused, 19, "{codes:?}");
    let n: i64 = db(&app)
        .await
        .query_one(
            "SELECT count(*) FROM consult_orders WHERE post_id = $1",
            &[&post],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
}
