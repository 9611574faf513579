//! The supplier's refusals: the seed's session codes as the protocol's,
//! 101 for an uncertified supplier, another supplier's order not revealed,
//! and parallel moves of one order with exactly one winner.

use futures_util::future::join_all;
use serde_json::json;

use super::*;

#[tokio::test]
async fn sessions_roles_and_certification_answer_their_codes_and_write_nothing() {
    let app = supplier_app().await;
    let db = app.database.as_ref().unwrap().client().await;
    let (_, spec) = supplier(&app, &db, "13600000011", "甲", true).await;
    let (_, _) = supplier(&app, &db, "13600000012", "乙", false).await;
    let sn = place(&app, spec, 1).await;
    let other = app.supplier_sms_login("13600000011").await;
    assert_code(&other, 200);
    let before = snapshot(&db, &sn).await;

    // The seed's 100 未登录 is 602, its 600 token无效 is 601.
    assert_code(
        &app.sup("supplier.order.accept", "", json!({"order_sn": sn}))
            .await,
        602,
    );
    let bad = "0123456789abcdef0123456789abcdef";
    assert_code(
        &app.sup("supplier.order.accept", bad, json!({"order_sn": sn}))
            .await,
        601,
    );

    // An account without the role: 608; an uncertified supplier: 101.
    let plain = app.register_token("13600000013", PASSWORD).await;
    let env = app
        .call_with_token("supplier.order.accept", &plain, json!({"order_sn": sn}))
        .await;
    assert_code(&env, 608);
    let uncertified = app.login_token("13600000012", PASSWORD).await;
    for method in [
        "supplier.home",
        "supplier.order.list",
        "supplier.order.accept",
    ] {
        let env = app
            .call_with_token(method, &uncertified, json!({"order_sn": sn}))
            .await;
        assert_eq!(
            (env["code"].clone(), env["msg"].clone()),
            (json!(101), json!("未认证")),
            "{method}"
        );
    }
    assert_eq!(
        app.sup(
            "supplier.login",
            "",
            json!({"mobile": "13600000012", "password": PASSWORD})
        )
        .await["code"],
        101
    );

    // Another certified supplier does not see the order.
    let (_, _) = supplier(&app, &db, "13600000014", "丙", true).await;
    let stranger = app.supplier_sms_login("13600000014").await;
    let stranger = stranger["data"]["token"].as_str().unwrap();
    let env = app
        .sup("supplier.order.accept", stranger, json!({"order_sn": sn}))
        .await;
    assert_eq!(
        (env["code"].clone(), env["msg"].clone()),
        (json!(404), json!("订单不存在"))
    );
    assert!(listed(&app, stranger, &sn).await.is_null());
    let env = app
        .sup(
            "supplier.order.list",
            stranger,
            json!({"status_choice": "nope"}),
        )
        .await;
    assert_code(&env, 400);

    assert_eq!(snapshot(&db, &sn).await, before);
}

#[tokio::test]
async fn twenty_parallel_accepts_of_one_order_have_exactly_one_winner() {
    let app = supplier_app().await;
    let db = app.database.as_ref().unwrap().client().await;
    let (_, spec) = supplier(&app, &db, "13600000021", "并发供应商", true).await;
    let env = app.supplier_sms_login("13600000021").await;
    let token = env["data"]["token"].as_str().unwrap().to_string();
    let sn = place(&app, spec, 2).await;

    let answers = join_all(
        (0..20).map(|_| app.sup("supplier.order.accept", &token, json!({"order_sn": sn}))),
    )
    .await;
    let won = answers.iter().filter(|e| e["code"] == 200).count();
    let refused = answers
        .iter()
        .filter(|e| e["code"] == 400 && e["msg"] == "请求失败，只有待确认订单有权限~")
        .count();
    assert_eq!((won, refused), (1, 19), "{answers:?}");

    let edits = join_all((0..20).map(|i| {
        app.sup(
            "supplier.order.edit",
            &token,
            json!({"order_sn": sn, "total_amount": format!("{}.5", i + 1)}),
        )
    }))
    .await;
    assert_eq!(
        edits.iter().filter(|e| e["code"] == 200).count(),
        1,
        "{edits:?}"
    );
    let row = db
        .query_one(
            "SELECT (SELECT count(*) FROM supplier_order_sons s WHERE s.order_id = o.id), \
             (SELECT count(*) FROM status_transitions t WHERE t.machine = 'supplier_order' \
             AND t.record_id = o.id), o.status FROM supplier_orders o WHERE o.order_sn = $1",
            &[&sn],
        )
        .await
        .unwrap();
    let (sons, moves, status): (i64, i64, i16) = (row.get(0), row.get(1), row.get(2));
    assert_eq!((sons, moves, status), (1, 2, 4));

    // The picker's and courier's systems racing on one step: one winner.
    let picks = join_all(
        (0..20).map(|_| app.back_office("supplier.delivery.pick", json!({"order_sn": sn}))),
    )
    .await;
    let won = picks.iter().filter(|e| e["code"] == 200).count();
    let refused = picks
        .iter()
        .filter(|e| e["code"] == 400 && e["msg"] == "请求失败，只有待发货订单可以拣货~")
        .count();
    assert_eq!((won, refused), (1, 19), "{picks:?}");
}

#[tokio::test]
async fn bad_amounts_and_orders_are_refused_with_a_message_and_write_nothing() {
    let app = supplier_app().await;
    let db = app.database.as_ref().unwrap().client().await;
    let (_, spec) = supplier(&app, &db, "13600000031", "输入供应商", true).await;
    let env = app.supplier_sms_login("13600000031").await;
    let token = env["data"]["token"].as_str().unwrap().to_string();
    let sn = place(&app, spec, 1).await;
    assert_code(
        &app.sup("supplier.order.accept", &token, json!({"order_sn": sn}))
            .await,
        200,
    );
    let before = snapshot(&db, &sn).await;
    let amount = "请求失败，订单金额须为不小于 0、至多两位小数的数字~";
    let cases = [
        (json!(-1), 400, amount),
        (json!(0.001), 400, amount),
        (json!("12.345"), 400, amount),
        (json!(1e12), 400, amount),
        (json!("abc"), 503, "参数 total_amount 格式不正确"),
        (json!([1]), 503, "参数 total_amount 格式不正确"),
    ];
    for (total, code, msg) in cases {
        let env = app
            .sup(
                "supplier.order.edit",
                &token,
                json!({"order_sn": sn, "total_amount": total}),
            )
            .await;
        assert_eq!(
            (env["code"].clone(), env["msg"].clone()),
            (json!(code), json!(msg)),
            "{total}"
        );
    }
    assert_eq!(snapshot(&db, &sn).await, before);

    // The back office's bad orders: nothing placed.
    let count = || async {
        db.query_one("SELECT count(*) FROM supplier_orders", &[])
            .await
            .unwrap()
            .get::<_, i64>(0)
    };
    let placed = count().await;
    for (params, code) in [
        (json!({"spec_id": spec, "buy_number": 0}), 400),
        (json!({"spec_id": spec, "buy_number": 1, "advance": 7}), 400),
        (json!({"spec_id": 999_999, "buy_number": 1}), 404),
    ] {
        let env = app
            .back_office("supplier.admin.order.add", params.clone())
            .await;
        assert_code(&env, code);
        assert!(!env["msg"].as_str().unwrap().is_empty(), "{params}");
    }
    assert_eq!(count().await, placed);

    // A supplier code for a mobile without an account: the protocol's 605.
    let env = app
        .sup(
            "sms.send",
            "",
            json!({"mobile": "13600000039", "key": "SUPPLIER_LOGIN_CODE"}),
        )
        .await;
    assert_code(&env, 605);
}
