//! Races on one booking: of many parallel attempts at its last action,
//! exactly one wins and the rest get the seed's refusal.

use futures_util::future::join_all;
use serde_json::json;

use super::*;

const TRIES: usize = 12;

async fn attempts(app: &TestApp, who: &Who, method: &str, params: Value) -> Vec<i64> {
    let calls = (0..TRIES).map(|_| app.home(who, method, params.clone()));
    codes_of(&join_all(calls).await)
}

#[tokio::test]
async fn parallel_confirmations_and_ratings_of_one_booking_have_one_winner() {
    let app = home_app().await;
    let (_, consumer, service, order) = paid_booking(&app).await;

    let confirm = json!({"id": order, "action": 4});
    let codes = attempts(&app, &consumer, "home.order.update", confirm).await;
    assert_tally(&codes, &[(200, 1), (10017, TRIES - 1)]);

    let rate = json!({"order_id": order, "score": 5, "content": "好"});
    let codes = attempts(&app, &consumer, "home.rating.create", rate).await;
    assert_tally(&codes, &[(200, 1), (10021, TRIES - 1)]);

    let row = db(&app)
        .await
        .query_one(
            "SELECT sales_volume, rating_count, score_sum, \
             (SELECT count(*) FROM status_transitions WHERE machine = 'home_order' AND record_id = $2) \
             FROM home_services WHERE id = $1",
            &[&service, &order],
        )
        .await
        .unwrap();
    // agree, pay, confirm, rate: one each.
    assert_eq!(
        (
            row.get::<_, i32>(0),
            row.get::<_, i32>(1),
            row.get::<_, i32>(2),
            row.get::<_, i64>(3)
        ),
        (1, 1, 5, 4)
    );
}

#[tokio::test]
async fn the_customer_cancelling_and_the_publisher_rejecting_at_once_leave_one_outcome() {
    let app = home_app().await;
    let publisher = app.home_login("pat").await;
    let consumer = app.home_login("cora").await;
    let service = published(&app, &publisher, "保洁").await;
    for _ in 0..4 {
        let order = booked(&app, &consumer, service).await;
        let (reject, cancel) = tokio::join!(
            app.home(
                &publisher,
                "home.order.update",
                json!({"id": order, "action": 2})
            ),
            app.home(
                &consumer,
                "home.order.update",
                json!({"id": order, "action": 7})
            ),
        );
        let codes = codes_of(&[reject.clone(), cancel.clone()]);
        // The winner's status stays: 6 已拒绝 or 5 已取消, never both moves.
        let want = if codes == [200, 10017] {
            6
        } else {
            assert_eq!(codes, [10017, 200], "{reject} {cancel}");
            5
        };
        assert_eq!(status(&app, "home_orders", order).await, want);
        let moves: i64 = db(&app)
            .await
            .query_one(
                "SELECT count(*) FROM status_transitions WHERE machine = 'home_order' AND record_id = $1",
                &[&order],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(moves, 1);
    }
}

#[tokio::test]
async fn parallel_refund_requests_open_one_refund() {
    let app = home_app().await;
    let (_, consumer, _, order) = paid_booking(&app).await;
    let ask = json!({"order_id": order, "reason": "临时有事"});
    let codes = attempts(&app, &consumer, "home.refund.create", ask).await;
    assert_tally(&codes, &[(200, 1), (10013, TRIES - 1)]);
    let open: i64 = db(&app)
        .await
        .query_one(
            "SELECT count(*) FROM home_refunds WHERE order_id = $1",
            &[&order],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(open, 1);
}
