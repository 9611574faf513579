//! A supplier's whole order life, as the issue walks it: a certified
//! supplier logs in by SMS, accepts an order in status 2, edits its amount
//! (the 补款 sub-order), and the back office delivers it 11 → 12 → 13 and
//! completes it 21 → 22.

use serde_json::json;

use super::*;

const MOBILE: &str = "13600000001";
const ACCEPT_ONLY: &str = "请求失败，只有待确认订单有权限~";
const EDIT_ONLY: &str = "请求失败，只有待修改订单有权限~";

#[tokio::test]
async fn a_certified_supplier_walks_an_order_from_confirmation_to_review() {
    let app = supplier_app().await;
    let db = app.database.as_ref().unwrap().client().await;
    let (id, spec) = supplier(&app, &db, MOBILE, "测试供应商001", false).await;

    // Not yet certified: the seed's 101, and no session.
    let env = app.supplier_sms_login(MOBILE).await;
    assert_eq!(
        (env["code"].clone(), env["msg"].clone()),
        (json!(101), json!("未认证"))
    );
    assert!(env["data"]["token"].is_null(), "{env}");
    app.back_office_ok("supplier.admin.certify", json!({"user_id": id}))
        .await;

    let env = app.supplier_sms_login(MOBILE).await;
    assert_code(&env, 200);
    assert_eq!(env["msg"], "亲，关联微信成功~");
    assert!(env["data"]["expire_time"].as_u64().unwrap() > 0);
    let token = env["data"]["token"].as_str().unwrap().to_string();

    let sn = place(&app, spec, 6).await;
    let order = listed(&app, &token, &sn).await;
    assert_eq!(order["status"], 2);
    assert_eq!(order["status_string"], "待确认接单");
    assert_eq!(order["total_amount"], "0.06");
    assert_eq!(order["total_number"], 6);
    assert_eq!(order["advance_son_total_amount"], 0);
    assert_eq!(order["final_total_amount"], 0.06);
    assert_eq!(order["spec_list"][0]["good_id"], 27);
    assert_eq!(order["spec_list"][0]["spec_name"], "12kg");
    assert_eq!(order["spec_list"][0]["price"], "0.01");
    assert_eq!(order["spec_list"][0]["buy_number"], 6);

    // Editing before accepting is refused and writes nothing.
    let before = snapshot(&db, &sn).await;
    let env = app
        .sup(
            "supplier.order.edit",
            &token,
            json!({"order_sn": sn, "total_amount": 11}),
        )
        .await;
    assert_eq!(
        (env["code"].clone(), env["msg"].clone()),
        (json!(400), json!(EDIT_ONLY))
    );
    assert_eq!(snapshot(&db, &sn).await, before);

    let env = app
        .sup("supplier.order.accept", &token, json!({"order_sn": sn}))
        .await;
    assert_code(&env, 200);
    assert_eq!(listed(&app, &token, &sn).await["status"], 3);

    // A second accept is the seed's refusal, with nothing written.
    let before = snapshot(&db, &sn).await;
    let env = app
        .sup("supplier.order.accept", &token, json!({"order_sn": sn}))
        .await;
    assert_eq!(
        (env["code"].clone(), env["msg"].clone()),
        (json!(400), json!(ACCEPT_ONLY))
    );
    let env = app
        .sup("supplier.order.edit", &token, json!({"order_sn": sn}))
        .await;
    assert_eq!(
        (env["code"].clone(), env["msg"].clone()),
        (json!(400), json!("程序罢工，缺少订单金额 total_amount~"))
    );
    assert_eq!(snapshot(&db, &sn).await, before);

    let env = app
        .sup(
            "supplier.order.edit",
            &token,
            json!({"order_sn": sn, "total_amount": 11}),
        )
        .await;
    assert_code(&env, 200);
    let order = listed(&app, &token, &sn).await;
    assert_eq!(order["status"], 4);
    assert_eq!(order["total_amount"], "0.06");
    assert_eq!(order["advance_son_total_amount"], 10.94);
    assert_eq!(order["final_total_amount"], 11);
    let son: String = db
        .query_one(
            "SELECT s.amount::text FROM supplier_order_sons s JOIN supplier_orders o ON o.id = s.order_id \
             WHERE o.order_sn = $1",
            &[&sn],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(son, "10.94");

    // The supplier's own appid cannot move the delivery.
    let before = snapshot(&db, &sn).await;
    let env = app
        .sup("supplier.delivery.pick", &token, json!({"order_sn": sn}))
        .await;
    assert_eq!(
        (env["code"].clone(), env["msg"].clone()),
        (json!(400), json!("请求失败，无权限操作该订单~"))
    );
    // Nor can the back office skip a step.
    let env = app
        .back_office("supplier.delivery.fetch", json!({"order_sn": sn}))
        .await;
    assert_eq!(
        (env["code"].clone(), env["msg"].clone()),
        (
            json!(400),
            json!("请求失败，只有配送员已接单的订单可以取货~")
        )
    );
    assert_eq!(snapshot(&db, &sn).await, before);

    let steps = [
        ("supplier.delivery.pick", 11, "拣货完成", "send_success"),
        (
            "supplier.delivery.accept",
            12,
            "配送员已接单",
            "send_success",
        ),
        (
            "supplier.delivery.fetch",
            13,
            "配送员已取货",
            "send_success",
        ),
        ("supplier.delivery.finish", 21, "待评价", "finish"),
        ("supplier.delivery.review", 22, "已评价", "finish"),
    ];
    for (method, status, label, choice) in steps {
        let data = app.back_office_ok(method, json!({"order_sn": sn})).await;
        assert_eq!(
            (data["status"].clone(), data["status_string"].clone()),
            (json!(status), json!(label))
        );
        let env = app
            .sup(
                "supplier.order.list",
                &token,
                json!({"status_choice": choice}),
            )
            .await;
        let list = &env["data"]["order_paginate"]["list"];
        assert_eq!(list[0]["order_sn"], sn, "{method}: {env}");
        assert_eq!(list[0]["status"], status);
        let env = app
            .sup(
                "supplier.order.list",
                &token,
                json!({"status_choice": "pay_success"}),
            )
            .await;
        assert_eq!(env["data"]["order_paginate"]["count"], 0, "{method}");
        assert_eq!(env["data"]["count_order_all"], 1);
    }

    let moves: Vec<(String, i16, i16, String)> = db
        .query(
            "SELECT t.action, t.from_status, t.to_status, t.actor_kind FROM status_transitions t \
             JOIN supplier_orders o ON t.machine = 'supplier_order' AND t.record_id = o.id \
             WHERE o.order_sn = $1 ORDER BY t.id",
            &[&sn],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    let expected = [
        ("accept", 2, 3, "owner"),
        ("edit", 3, 4, "owner"),
        ("pick", 4, 11, "admin"),
        ("courier_accept", 11, 12, "admin"),
        ("courier_fetch", 12, 13, "admin"),
        ("finish", 13, 21, "admin"),
        ("review", 21, 22, "admin"),
    ];
    let expected: Vec<(String, i16, i16, String)> = expected
        .iter()
        .map(|(a, f, t, k)| (a.to_string(), *f, *t, k.to_string()))
        .collect();
    assert_eq!(moves, expected);

    let env = app.sup("supplier.home", &token, json!({})).await;
    assert_code(&env, 200);
    let home = &env["data"];
    assert_eq!(home["user_info"]["title"], "测试供应商001");
    assert_eq!(home["count_order_all"], 1);
    let page = &home["spec_paginate"];
    assert_eq!(
        (
            page["count"].clone(),
            page["total_page"].clone(),
            page["current_page"].clone(),
            page["pagesize"].clone()
        ),
        (json!(1), json!(1), json!(1), json!(10))
    );
    assert_eq!(page["list"][0]["id"], 27);
    assert_eq!(page["list"][0]["name"], "12kg");
    assert_eq!(page["list"][0]["price"], "0.01");
    assert_eq!(page["list"][0]["payed_buy_number"], 6);
    assert_eq!(page["list"][0]["high_opinion_rate"], "0%");
}

#[tokio::test]
async fn a_supplier_logs_in_by_password_and_recovers_it_by_sms() {
    let app = supplier_app().await;
    let db = app.database.as_ref().unwrap().client().await;
    supplier(&app, &db, "13600000002", "供应商002", true).await;

    let login = |password: &'static str| {
        app.sup(
            "supplier.login",
            "",
            json!({"mobile": "13600000002", "password": password, "access_token": "x"}),
        )
    };
    let env = login("wrong_pw_1").await;
    assert_eq!(
        (env["code"].clone(), env["msg"].clone()),
        (json!(400), json!("帐号或密码错误"))
    );
    let env = login(PASSWORD).await;
    assert_code(&env, 200);
    let old = env["data"]["token"].as_str().unwrap().to_string();

    let code = app.supplier_code("13600000002").await;
    let env = app
        .sup(
            "supplier.pwd.find",
            "",
            json!({"mobile": "13600000002", "verify_code": code}),
        )
        .await;
    assert_eq!(
        (env["code"].clone(), env["msg"].clone()),
        (json!(400), json!("亲，缺少密码~"))
    );
    let env = app
        .sup(
            "supplier.pwd.find",
            "",
            json!({"mobile": "13600000002", "verify_code": code, "password": "new_pw_12"}),
        )
        .await;
    assert_code(&env, 200);
    // The old session ends with the password; the new one logs in.
    assert_code(&app.sup("supplier.home", &old, json!({})).await, 606);
    assert_code(&login("new_pw_12").await, 200);
    assert_eq!(login(PASSWORD).await["code"], 400);
}

#[tokio::test]
async fn the_demo_supplier_sees_the_seeds_orders() {
    let app = supplier_app().await;
    let env = app
        .sup(
            "supplier.login",
            "",
            json!({"mobile": "13900139000", "password": "demo123456"}),
        )
        .await;
    assert_code(&env, 200);
    let token = env["data"]["token"].as_str().unwrap();
    // The role check, the supplier row, the counts, the page and its
    // items: all five on the shared connections.
    let env = reads_shared(&app, 5, app.sup("supplier.order.list", token, json!({}))).await;
    assert_eq!(env["data"]["count_order_all"], 5, "{env}");
    let picked = listed(&app, token, "S201907251024245837").await;
    assert_eq!(picked["status"], 11);
    assert_eq!(picked["status_string"], "拣货完成");
    assert_eq!(picked["advance_son_total_amount"], -0.04);
    assert_eq!(picked["final_total_amount"], 0.02);
    let three = listed(&app, token, "S201907171628071447").await;
    assert_eq!(three["spec_list"].as_array().unwrap().len(), 3);
    let env = app.sup("supplier.home", token, json!({"page": 1})).await;
    assert_eq!(env["data"]["user_info"]["title"], "测试供应商001");
    assert_eq!(env["data"]["spec_paginate"]["count"], 3);
}

#[tokio::test]
async fn the_back_office_closes_an_unshipped_order_and_not_a_shipped_one() {
    let app = supplier_app().await;
    let db = app.database.as_ref().unwrap().client().await;
    let (_, spec) = supplier(&app, &db, "13600000041", "关闭供应商", true).await;
    let token = app.supplier_sms_login("13600000041").await["data"]["token"]
        .as_str()
        .unwrap()
        .to_string();
    let open = place(&app, spec, 1).await;
    let data = app
        .back_office_ok("supplier.order.close", json!({"order_sn": open}))
        .await;
    assert_eq!(
        (data["status"].clone(), data["status_string"].clone()),
        (json!(30), json!("交易关闭"))
    );
    assert_eq!(listed(&app, &token, &open).await["status"], 30);
    let env = app
        .sup("supplier.order.accept", &token, json!({"order_sn": open}))
        .await;
    assert_eq!(env["code"], 400);

    let plain = app
        .back_office_ok(
            "supplier.admin.order.add",
            json!({"spec_id": spec, "buy_number": 2, "advance": 0}),
        )
        .await;
    assert_eq!(plain["status"], 1);
    let sn = plain["order_sn"].as_str().unwrap();
    app.back_office_ok("supplier.delivery.pick", json!({"order_sn": sn}))
        .await;
    let before = snapshot(&db, sn).await;
    let env = app
        .back_office("supplier.order.close", json!({"order_sn": sn}))
        .await;
    assert_eq!(
        (env["code"].clone(), env["msg"].clone()),
        (json!(400), json!("请求失败，已发货或已完成的订单不能取消~"))
    );
    assert_eq!(snapshot(&db, sn).await, before);
}
