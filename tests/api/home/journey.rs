//! The journeys: a service created, approved by the back office,
//! published, booked, agreed, paid through the sandbox callback, confirmed
//! and rated (its score and sales follow); and a refund back to the payer.

use serde_json::json;

use super::*;

#[tokio::test]
async fn a_service_goes_from_creation_to_a_rated_booking_and_its_score_follows() {
    let app = home_app().await;
    let publisher = app.home_login("pat").await;
    let consumer = app.home_login("cora").await;

    // Created: 待审核, not yet bookable, not listed.
    let service = app
        .home_ok(
            &publisher,
            "home.service.create",
            service_fields("节假日宠物寄养"),
        )
        .await["service_id"]
        .as_i64()
        .unwrap();
    let counts = app
        .home_ok(&publisher, "home.service.count", json!({"type": 1}))
        .await;
    assert_eq!(
        counts,
        json!({"pending": 1, "unpublished": 0, "published": 0, "off_shelves": 0})
    );
    let env = app
        .home(
            &consumer,
            "home.order.create",
            json!({"service_id": service, "address": address()}),
        )
        .await;
    assert_eq!(refusal(&env), (10011, "目标服务不在已发布状态".into()));

    // Only the back office reviews; then the publisher publishes.
    let env = app
        .home(
            &publisher,
            "home.admin.service.review",
            json!({"id": service, "action": 1}),
        )
        .await;
    assert_eq!(refusal(&env), (10010, "请求权限不足".into()));
    assert_eq!(status(&app, "home_services", service).await, 0);
    assert_code(
        &app.back_office(
            "home.admin.service.review",
            json!({"id": service, "action": 1}),
        )
        .await,
        200,
    );
    assert_eq!(status(&app, "home_services", service).await, 1);
    let data = app
        .home_ok(
            &publisher,
            "home.service.update",
            json!({"id": service, "action": 1}),
        )
        .await;
    assert_eq!(data, json!({"result": true, "status": 2}));
    let list = app
        .home_ok(
            &consumer,
            "home.service.list",
            json!({"category_id": 5, "type": 1, "page": 1, "count": 10}),
        )
        .await;
    let listed = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == service)
        .cloned()
        .unwrap();
    assert_eq!(listed["price"], "300.00");
    assert_eq!(listed["score"], "0");
    assert_eq!(listed["category"], json!({"id": 5, "name": "宠物"}));
    assert_eq!(listed["publisher"]["id"], publisher.id);
    assert!(
        listed["cover_image"]["path"]
            .as_str()
            .unwrap()
            .ends_with("/images/20210307/home-pets.jpg")
    );
    assert_eq!(list["current_page"], 1);
    assert_eq!(list["per_page"], 10);

    // Booked with the address: the snapshots are what was booked.
    let order = booked(&app, &consumer, service).await;
    let detail = reads_shared(
        &app,
        1,
        app.home_ok(&consumer, "home.order.detail", json!({"id": order})),
    )
    .await;
    assert_eq!(detail["status"], 0);
    assert_eq!(detail["price"], "300.00");
    assert_eq!(detail["service_snap"]["title"], "节假日宠物寄养");
    assert_eq!(detail["address_snap"], address());
    assert_eq!(detail["consumer"]["id"], consumer.id);
    assert!(detail["order_no"].as_i64().unwrap() > 2_000_000_000_000_000);
    let counts = app
        .home_ok(&publisher, "home.order.count", json!({"role": 1}))
        .await;
    assert_eq!(counts["unapproved"], 1);

    // Agreed, paid through the sandbox callback, confirmed.
    assert_eq!(act(&app, &publisher, order, 1).await["status"], 1);
    let no = pay(&app, &consumer, order).await;
    assert_eq!(status(&app, "home_orders", order).await, 2);
    let actor: String = db(&app)
        .await
        .query_one(
            "SELECT actor_id FROM status_transitions WHERE machine = 'home_order' AND record_id = $1 AND action = 'pay'",
            &[&order],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(actor, no);
    assert_eq!(act(&app, &consumer, order, 4).await["status"], 3);
    let mine = reads_shared(
        &app,
        2,
        app.home_ok(
            &consumer,
            "home.order.my",
            json!({"role": 2, "status": 3, "page": 1, "count": 10}),
        ),
    )
    .await;
    assert_eq!(mine["total"], 1);
    assert_eq!(mine["data"][0]["id"], order);

    // Rated: the booking completes, the service's score and sales change.
    let rated = app
        .home_ok(
            &consumer,
            "home.rating.create",
            json!({"order_id": order, "score": 4, "content": "很好"}),
        )
        .await;
    assert_eq!(rated["score"], "4");
    assert_eq!(status(&app, "home_orders", order).await, 4);
    let shown = app
        .home_ok(&consumer, "home.service.detail", json!({"id": service}))
        .await;
    assert_eq!(
        (shown["score"].clone(), shown["sales_volume"].clone()),
        (json!("4"), json!(1))
    );
    let ratings = app
        .home_ok(
            &publisher,
            "home.rating.service",
            json!({"service_id": service, "page": 1, "count": 10}),
        )
        .await;
    assert_eq!(ratings["total"], 1);
    assert_eq!(ratings["data"][0]["author"]["id"], consumer.id);
    let one = app
        .home_ok(&publisher, "home.rating.order", json!({"order_id": order}))
        .await;
    assert_eq!(one["content"], "很好");

    // A second customer's rating of 3 makes the average 3.5.
    let other = app.home_login("olga").await;
    let second = booked(&app, &other, service).await;
    act(&app, &publisher, second, 1).await;
    pay(&app, &other, second).await;
    act(&app, &other, second, 4).await;
    app.home_ok(
        &other,
        "home.rating.create",
        json!({"order_id": second, "score": 3, "content": "一般", "service_id": service}),
    )
    .await;
    let shown = app
        .home_ok(&consumer, "home.service.detail", json!({"id": service}))
        .await;
    assert_eq!(
        (shown["score"].clone(), shown["sales_volume"].clone()),
        (json!("3.5"), json!(2))
    );
}

#[tokio::test]
async fn an_agreed_refund_returns_the_money_through_the_payment_driver() {
    let app = home_app().await;
    let (publisher, consumer, _, order) = paid_booking(&app).await;

    let applied = app
        .home_ok(&consumer, "home.refund.create", json!({"order_id": order, "reason": "临时有事", "illustration": ["https://img.example.com/1.jpg"]}))
        .await;
    let refund = applied["id"].as_i64().unwrap();
    assert_eq!(applied["reason"], "临时有事");
    assert_eq!(
        applied["illustration"],
        json!(["https://img.example.com/1.jpg"])
    );
    // Its total and its page, both on the shared connections.
    let process = reads_shared(
        &app,
        2,
        app.home_ok(
            &publisher,
            "home.refund.process",
            json!({"role": 1, "page": 1, "count": 10}),
        ),
    )
    .await;
    assert_eq!(process["total"], 1);
    assert_eq!(process["data"][0]["service_order"]["id"], order);

    // While the refund is open the booking cannot be confirmed.
    let env = app
        .home(
            &consumer,
            "home.order.update",
            json!({"id": order, "action": 4}),
        )
        .await;
    assert_eq!(
        refusal(&env),
        (10013, "同一订单存在尚未完结的退款申请".into())
    );

    let data = app
        .home_ok(
            &publisher,
            "home.refund.update",
            json!({"id": refund, "action": 1}),
        )
        .await;
    assert_eq!(data, json!({"result": true, "status": 2}));
    assert_eq!(status(&app, "home_orders", order).await, 5);
    // The money is back: the payment refunded, its refund settled by the
    // provider's notice through /notify/pay/sandbox.
    let c = db(&app).await;
    let row = c
        .query_one(
            "SELECT p.status, f.status, f.amount::text, r.out_refund_no = f.out_refund_no \
             FROM home_refunds r JOIN payments p ON p.subject_kind = 'home_order' AND p.subject_id = r.order_id \
             JOIN refunds f ON f.payment_id = p.id WHERE r.id = $1",
            &[&refund],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "refunded");
    assert_eq!(row.get::<_, String>(1), "success");
    assert_eq!(row.get::<_, String>(2), "300.00");
    assert!(row.get::<_, bool>(3));

    // The consumer confirms receipt; nothing is in process any more.
    let data = app
        .home_ok(
            &consumer,
            "home.refund.update",
            json!({"id": refund, "action": 4}),
        )
        .await;
    assert_eq!(data["status"], 3);
    let detail = reads_shared(
        &app,
        1,
        app.home_ok(&publisher, "home.refund.detail", json!({"id": refund})),
    )
    .await;
    assert_eq!(detail["status"], 3);
    assert_eq!(detail["service_order"]["status"], 5);
    let process = app
        .home_ok(
            &consumer,
            "home.refund.process",
            json!({"role": 2, "page": 1, "count": 10}),
        )
        .await;
    assert_eq!(process["total"], 0);
    let mine = app
        .home_ok(
            &consumer,
            "home.refund.my",
            json!({"role": 2, "status": 3, "page": 1, "count": 10}),
        )
        .await;
    assert_eq!(mine["total"], 1);
}
