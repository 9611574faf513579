//! Every illegal action of the seed's enums answers its error_code with
//! the seed's message, and writes nothing.

use serde_json::json;

use super::*;

/// Call, expect the refusal, and check nothing the product keeps changed.
async fn refused(app: &TestApp, who: &Who, method: &str, params: Value, want: (i64, &str)) {
    let before = snapshot(app).await;
    let env = app.home(who, method, params.clone()).await;
    assert_eq!(
        refusal(&env),
        (want.0, want.1.to_string()),
        "{method} {params}"
    );
    assert_eq!(
        snapshot(app).await,
        before,
        "{method} {params} wrote something"
    );
}

const FAILED: (i64, &str) = (10009, "操作失败");
const ORDER_FAILED: (i64, &str) = (10017, "订单状态更新失败");
const NOT_YOURS: (i64, &str) = (10012, "没有权限修改该订单");
const MISSING: (i64, &str) = (404, "访问的资源不存在");

#[tokio::test]
async fn service_actions_outside_their_states_answer_10009() {
    let app = home_app().await;
    let publisher = app.home_login("pat").await;
    let stranger = app.home_login("sam").await;
    let id = app
        .home_ok(&publisher, "home.service.create", service_fields("保洁"))
        .await["service_id"]
        .as_i64()
        .unwrap();
    let upd = |action: i64| json!({"id": id, "action": action});
    // 待审核: neither published nor paused.
    refused(&app, &publisher, "home.service.update", upd(1), FAILED).await;
    refused(&app, &publisher, "home.service.update", upd(2), FAILED).await;
    refused(&app, &stranger, "home.service.update", upd(3), MISSING).await;
    refused(
        &app,
        &stranger,
        "home.service.detail",
        json!({"id": id}),
        MISSING,
    )
    .await;
    refused(
        &app,
        &publisher,
        "home.service.update",
        upd(9),
        (
            10000,
            "请求参数错误：action 为 1（发布）、2（暂停发布）或 3（取消）",
        ),
    )
    .await;
    // Reviewed twice: the second is refused.
    assert_code(
        &app.back_office("home.admin.service.review", json!({"id": id, "action": 2}))
            .await,
        200,
    );
    let before = snapshot(&app).await;
    let env = app
        .back_office("home.admin.service.review", json!({"id": id, "action": 1}))
        .await;
    assert_eq!(refusal(&env), (10009, "操作失败".into()));
    assert_eq!(snapshot(&app).await, before);
    // Cancelled: nothing more, not even an edit.
    app.home_ok(&publisher, "home.service.update", upd(3)).await;
    for action in [1, 2, 3] {
        refused(&app, &publisher, "home.service.update", upd(action), FAILED).await;
    }
    let mut fields = service_fields("新标题");
    fields["id"] = json!(id);
    refused(&app, &publisher, "home.service.edit", fields, FAILED).await;
}

#[tokio::test]
async fn an_edit_sends_a_published_service_back_to_review() {
    let app = home_app().await;
    let publisher = app.home_login("pat").await;
    let id = published(&app, &publisher, "保洁").await;
    let mut fields = service_fields("保洁 Plus");
    fields["id"] = json!(id);
    fields["price"] = json!("320.5");
    let edited = app
        .home_ok(&publisher, "home.service.edit", fields.clone())
        .await;
    assert_eq!(
        (
            edited["title"].clone(),
            edited["price"].clone(),
            edited["status"].clone()
        ),
        (json!("保洁 Plus"), json!("320.50"), json!(0))
    );
    // Bad input is refused before anything is written.
    for (key, value, why) in [
        ("price", json!(1.5), "price"),
        (
            "end_date",
            json!("2020-01-01"),
            "end_date 不能早于 begin_date",
        ),
        ("category_id", json!(999), "category_id 分类不存在"),
        ("type", json!(3), "type 为 1（在提供）或 2（正在找）"),
        ("title", json!(""), "title 为 1-100 字"),
    ] {
        let mut bad = fields.clone();
        bad[key] = value;
        let before = snapshot(&app).await;
        let env = app.home(&publisher, "home.service.edit", bad).await;
        assert_eq!(env["code"], 10000, "{key}: {env}");
        assert!(env["msg"].as_str().unwrap().contains(why), "{key}: {env}");
        assert_eq!(snapshot(&app).await, before, "{key}");
    }
}

#[tokio::test]
async fn booking_actions_outside_their_states_or_sides_answer_the_seed_codes() {
    let app = home_app().await;
    let publisher = app.home_login("pat").await;
    let consumer = app.home_login("cora").await;
    let stranger = app.home_login("sam").await;
    let service = published(&app, &publisher, "保洁").await;
    let env = app
        .home(
            &publisher,
            "home.order.create",
            json!({"service_id": service, "address": address()}),
        )
        .await;
    assert_eq!(env["code"], 10009, "{env}");
    let env = app
        .home(
            &consumer,
            "home.order.create",
            json!({"service_id": service}),
        )
        .await;
    assert_eq!(env["code"], 10000, "an address is required: {env}");
    let order = booked(&app, &consumer, service).await;
    let upd = |action: i64| json!({"id": order, "action": action});

    // 待同意: the consumer cannot agree, nobody can pay or confirm yet.
    refused(&app, &consumer, "home.order.update", upd(1), NOT_YOURS).await;
    refused(&app, &publisher, "home.order.update", upd(7), NOT_YOURS).await;
    refused(&app, &stranger, "home.order.update", upd(1), MISSING).await;
    refused(
        &app,
        &stranger,
        "home.order.detail",
        json!({"id": order}),
        MISSING,
    )
    .await;
    refused(&app, &consumer, "home.order.update", upd(3), ORDER_FAILED).await;
    refused(&app, &consumer, "home.order.update", upd(4), ORDER_FAILED).await;
    refused(
        &app,
        &consumer,
        "home.rating.create",
        json!({"order_id": order, "score": 5, "content": "好"}),
        (10022, "订单评价失败"),
    )
    .await;
    refused(
        &app,
        &consumer,
        "home.refund.create",
        json!({"order_id": order, "reason": "不要了"}),
        (10023, "未支付或已确认的订单不允许退款"),
    )
    .await;

    act(&app, &publisher, order, 1).await;
    // 待支付: no second answer from the publisher, no confirmation.
    refused(&app, &publisher, "home.order.update", upd(1), ORDER_FAILED).await;
    refused(&app, &publisher, "home.order.update", upd(2), ORDER_FAILED).await;
    refused(&app, &consumer, "home.order.update", upd(4), ORDER_FAILED).await;

    pay(&app, &consumer, order).await;
    // 待确认: not cancellable, not payable again, not ratable.
    refused(&app, &consumer, "home.order.update", upd(7), ORDER_FAILED).await;
    refused(&app, &consumer, "home.order.update", upd(3), ORDER_FAILED).await;
    refused(
        &app,
        &publisher,
        "home.rating.create",
        json!({"order_id": order, "score": 5, "content": "好"}),
        (10018, "服务提供者不能给自己的服务评价"),
    )
    .await;
    refused(
        &app,
        &publisher,
        "home.refund.create",
        json!({"order_id": order, "reason": "x"}),
        (10024, "该订单消费者不是当前请求用户"),
    )
    .await;

    act(&app, &consumer, order, 4).await;
    refused(
        &app,
        &consumer,
        "home.refund.create",
        json!({"order_id": order, "reason": "x"}),
        (10023, "未支付或已确认的订单不允许退款"),
    )
    .await;
    refused(
        &app,
        &stranger,
        "home.rating.create",
        json!({"order_id": order, "score": 5, "content": "好"}),
        (10019, "评价关联订单的消费者不是当前用户"),
    )
    .await;
    refused(
        &app,
        &consumer,
        "home.rating.create",
        json!({"order_id": order, "score": 5, "content": "好", "service_id": service + 1000}),
        (10020, "待评价服务与订单关联服务信息不符"),
    )
    .await;
    refused(
        &app,
        &consumer,
        "home.rating.create",
        json!({"order_id": order, "score": 6, "content": "好"}),
        (10000, "请求参数错误：score 为 1-5 分"),
    )
    .await;
    app.home_ok(
        &consumer,
        "home.rating.create",
        json!({"order_id": order, "score": 5, "content": "好"}),
    )
    .await;
    refused(
        &app,
        &consumer,
        "home.rating.create",
        json!({"order_id": order, "score": 5, "content": "再评"}),
        (10021, "您已评价过该订单"),
    )
    .await;
    refused(&app, &consumer, "home.order.update", upd(4), ORDER_FAILED).await;
}

#[tokio::test]
async fn refund_actions_outside_their_states_or_sides_answer_the_seed_codes() {
    let app = home_app().await;
    let (publisher, consumer, _, order) = paid_booking(&app).await;
    let stranger = app.home_login("sam").await;
    let refund = app
        .home_ok(
            &consumer,
            "home.refund.create",
            json!({"order_id": order, "reason": "不想要了"}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let upd = |action: i64| json!({"id": refund, "action": action});
    refused(
        &app,
        &consumer,
        "home.refund.create",
        json!({"order_id": order, "reason": "再来"}),
        (10013, "同一订单存在尚未完结的退款申请"),
    )
    .await;
    refused(
        &app,
        &consumer,
        "home.refund.update",
        upd(1),
        (10014, "没有权限同意或拒绝该订单的退款申请"),
    )
    .await;
    refused(
        &app,
        &publisher,
        "home.refund.update",
        upd(3),
        (10015, "服务提供者只允许操作同意或拒绝退款申请"),
    )
    .await;
    refused(&app, &stranger, "home.refund.update", upd(2), MISSING).await;
    refused(
        &app,
        &stranger,
        "home.refund.detail",
        json!({"id": refund}),
        MISSING,
    )
    .await;
    refused(
        &app,
        &consumer,
        "home.refund.update",
        upd(4),
        (10016, "退款申请处理失败"),
    )
    .await;

    app.home_ok(&publisher, "home.refund.update", upd(2)).await;
    // 已拒绝: nothing more; the booking can be asked about again.
    for (who, action) in [
        (&publisher, 1),
        (&publisher, 2),
        (&consumer, 3),
        (&consumer, 4),
    ] {
        refused(
            &app,
            who,
            "home.refund.update",
            upd(action),
            (10016, "退款申请处理失败"),
        )
        .await;
    }
    let again = app
        .home_ok(
            &consumer,
            "home.refund.create",
            json!({"order_id": order, "reason": "还是想退"}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    app.home_ok(
        &consumer,
        "home.refund.update",
        json!({"id": again, "action": 3}),
    )
    .await;
    assert_eq!(status(&app, "home_refunds", again).await, 5);
    assert_eq!(status(&app, "home_orders", order).await, 2);
}
