//! The journey: WeChat login → bind a mobile → merchants near a
//! coordinate, nearest first → buy 2 → pay through the sandbox callback →
//! 2 codes → redeem 1 → refund the other; statuses, stock and money as the
//! seed says, every move recorded.

use serde_json::json;

use super::*;

const MOBILE: &str = "13700000001";
/// 锦江区, 成都 (sql/demo/33_mp.sql).
const HERE: (f64, f64) = (104.083, 30.656);

#[tokio::test]
async fn a_user_buys_two_vouchers_redeems_one_and_refunds_the_other() {
    let app = mp_app().await;
    let db = db(&app).await;

    // WeChat login: a token, no userInfo until a mobile is bound.
    let data = app
        .mp_ok("mp.wx.login", "", json!({"code": "journey.1"}))
        .await;
    assert!(data.get("userInfo").is_none(), "{data}");
    let token = data["token"].as_str().unwrap().to_string();
    let env = app.mpc("mp.order.list", &token, json!({})).await;
    assert_eq!(
        (env["code"].clone(), env["msg"].clone()),
        (json!(10003), json!("未登录，请先绑定手机号"))
    );

    // Bind the mobile (a new one: the token stays the caller's).
    let code = app.mp_sms(MOBILE).await;
    let data = app
        .mp_ok(
            "mp.login",
            &token,
            json!({"mobile": MOBILE, "verify_code": code}),
        )
        .await;
    assert_eq!(data["userInfo"]["mobile"], MOBILE);
    assert_eq!(data["token"], token.as_str());
    let again = app
        .mp_ok("mp.wx.login", "", json!({"code": "journey.2"}))
        .await;
    assert_eq!(again["userInfo"]["mobile"], MOBILE, "{again}");
    // That login displaced the first session of the class (docs/protocol.md §8.3).
    let token = again["token"].as_str().unwrap().to_string();

    // Nearby merchants, nearest first, their distances as computed here.
    let (lng, lat) = HERE;
    let data = app
        .mp_ok(
            "mp.merchant.list",
            &token,
            json!({"lng": lng, "lat": lat, "radius": 5000}),
        )
        .await;
    let list = data["list"].as_array().unwrap();
    assert_eq!(list.len(), 10, "{data}");
    assert!(data["total"].as_i64().unwrap() >= 10);
    let mut last = 0.0;
    for m in list {
        let at = (m["lng"].as_f64().unwrap(), m["lat"].as_f64().unwrap());
        let ours = haversine(EARTH, HERE, at);
        let theirs = m["distance"].as_f64().unwrap();
        assert!(close(theirs, ours), "{theirs} vs {ours}: {m}");
        assert!(ours >= last - 1.0, "not nearest first: {m}");
        assert!(theirs <= 5000.0);
        last = ours;
        assert_eq!(m["status"], 1);
        assert_eq!(m["isOperSelf"], 1, "成都 is the test appid's centre");
    }
    let nearest = list[0]["id"].as_i64().unwrap();

    // Its goods; buy 2 of the first.
    let goods = app
        .mp_ok("mp.goods.list", "", json!({"merchant_id": nearest}))
        .await;
    let good = goods["list"][0].clone();
    assert_eq!(good["price"], "88.00");
    assert_eq!(good["market_price"], "100.00");
    let gid = good["id"].as_i64().unwrap();
    let before = counts(&db, gid).await;
    let data = app
        .mp_ok(
            "mp.order.buy",
            &token,
            json!({"goods_id": gid, "number": 2, "notify_mobile": ""}),
        )
        .await;
    assert_eq!(data["isOperSelf"], 1);
    let sdk = &data["sdk_config"];
    for key in [
        "appId",
        "nonceStr",
        "package",
        "signType",
        "paySign",
        "timestamp",
    ] {
        assert!(
            sdk[key].as_str().is_some_and(|v| !v.is_empty()),
            "{key}: {data}"
        );
    }
    let order_no = data["order_no"].as_str().unwrap().to_string();
    assert_eq!(counts(&db, gid).await, (before.0 - 2, before.1));
    let order = app
        .mp_ok("mp.order.detail", &token, json!({"order_no": order_no}))
        .await;
    assert_eq!(
        (order["status"].clone(), order["pay_price"].clone()),
        (json!(1), json!("176.00"))
    );
    assert!(order.get("items").is_none(), "no codes before payment");

    // Paid through the sandbox's signed callback.
    let settled = app.mp_settle(data["out_trade_no"].as_str().unwrap()).await;
    assert_eq!(
        (settled["notify_status"].clone(), settled["status"].clone()),
        (json!(204), json!("paid"))
    );
    let order = app
        .mp_ok("mp.order.detail", &token, json!({"order_no": order_no}))
        .await;
    assert_eq!(order["status"], 4);
    assert!(order["pay_time"].as_str().is_some());
    let items = order["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|i| i["status"] == 1));
    assert_eq!(counts(&db, gid).await, (before.0 - 2, before.1 + 2));
    let codes: Vec<String> = items
        .iter()
        .map(|i| i["verify_code"].as_str().unwrap().to_string())
        .collect();

    // The merchant redeems one code, once.
    let merchant = order["merchant_id"].as_i64().unwrap();
    let env = app.mp_redeem(merchant + 1, &codes[0]).await;
    assert_eq!(
        (env["code"].clone(), env["msg"].clone()),
        (json!(404), json!("核销码不存在")),
        "another merchant's code"
    );
    let env = app.mp_redeem(merchant, &codes[0]).await;
    assert_code(&env, 200);
    assert_eq!(
        (
            env["data"]["status"].clone(),
            env["data"]["order_status"].clone()
        ),
        (json!(2), json!(4))
    );
    let env = app.mp_redeem(merchant, &codes[0]).await;
    assert_eq!(
        (env["code"].clone(), env["msg"].clone()),
        (json!(503), json!("核销码已核销或已退款"))
    );
    let env = app
        .mpc(
            "mp.merchant.redeem",
            &token,
            json!({"merchant_id": merchant, "verify_code": codes[1]}),
        )
        .await;
    assert_code(&env, 403);

    // The user refunds the rest: one code's money, its stock back.
    let refund = app
        .mp_ok("mp.order.refund", &token, json!({"order_no": order_no}))
        .await;
    assert_eq!(
        (refund["amount"].clone(), refund["status"].clone()),
        (json!("88.00"), json!(2))
    );
    assert_eq!(refund["order_no"], order_no.as_str());
    let order = app
        .mp_ok("mp.order.detail", &token, json!({"order_no": order_no}))
        .await;
    assert_eq!(order["status"], 7, "a redeemed order is done: {order}");
    assert_eq!(order["refund_price"], "88.00");
    assert!(order["refund_time"].as_str().is_some());
    let statuses: Vec<i64> = order["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["status"].as_i64().unwrap())
        .collect();
    assert_eq!(statuses, [2, 3]);
    assert_eq!(counts(&db, gid).await, (before.0 - 1, before.1 + 1));
    let pay = db
        .query_one(
            "SELECT p.status, r.amount::text, r.status FROM payments p JOIN refunds r ON r.payment_id = p.id \
             WHERE p.subject_kind = 'mp_order' AND p.subject_id = $1",
            &[&order["id"].as_i64().unwrap()],
        )
        .await
        .unwrap();
    assert_eq!(
        (
            pay.get::<_, String>(0),
            pay.get::<_, String>(1),
            pay.get::<_, String>(2)
        ),
        // The redeemed code's money stays paid: the payment is refunded in
        // part (docs/protocol.md §18.5).
        (
            "partially_refunded".into(),
            "88.00".into(),
            "success".into()
        )
    );
    let env = app
        .mpc("mp.order.refund", &token, json!({"order_no": order_no}))
        .await;
    assert_eq!(
        (env["code"].clone(), env["msg"].clone()),
        (json!(503), json!("订单当前状态不能退款"))
    );

    // Listed by status, and every move recorded by its machine.
    let done = app
        .mp_ok("mp.order.list", &token, json!({"status": 7}))
        .await;
    assert_eq!(done["total"], 1);
    assert_eq!(done["list"][0]["order_no"], order_no.as_str());
    let unpaid = app
        .mp_ok("mp.order.list", &token, json!({"status": 1}))
        .await;
    assert_eq!(unpaid["total"], 0);
    let id = order["id"].as_i64().unwrap();
    let want = |v: &[(&str, i16, i16)]| -> Vec<(String, i16, i16)> {
        v.iter().map(|(a, f, t)| (a.to_string(), *f, *t)).collect()
    };
    assert_eq!(
        moves(&db, "mp_order", id).await,
        want(&[("pay", 1, 4), ("refund_rest", 4, 7)])
    );
    let ids: Vec<i64> = order["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    assert_eq!(
        moves(&db, "mp_code", ids[0]).await,
        want(&[("redeem", 1, 2)])
    );
    assert_eq!(
        moves(&db, "mp_code", ids[1]).await,
        want(&[("refund", 1, 3)])
    );
}

#[tokio::test]
async fn an_order_with_no_code_used_is_refunded_whole_and_the_last_redeem_finishes_another() {
    let app = mp_app().await;
    let db = db(&app).await;
    let token = app.mp_member("whole", "13700000002").await;
    let gid = good(&db, 10).await;
    let mut orders = Vec::new();
    for _ in 0..2 {
        let data = app
            .mp_ok(
                "mp.order.buy",
                &token,
                json!({"goods_id": gid, "number": 2}),
            )
            .await;
        app.mp_settle(data["out_trade_no"].as_str().unwrap()).await;
        orders.push(data["order_no"].as_str().unwrap().to_string());
    }
    assert_eq!(counts(&db, gid).await, (6, 4));

    let refund = app
        .mp_ok("mp.order.refund", &token, json!({"order_no": orders[0]}))
        .await;
    assert_eq!(refund["amount"], "60.00");
    let order = app
        .mp_ok("mp.order.detail", &token, json!({"order_no": orders[0]}))
        .await;
    assert_eq!(
        (order["status"].clone(), order["refund_price"].clone()),
        (json!(6), json!("60.00"))
    );
    assert_eq!(counts(&db, gid).await, (8, 2));

    let order = app
        .mp_ok("mp.order.detail", &token, json!({"order_no": orders[1]}))
        .await;
    for (i, item) in order["items"].as_array().unwrap().iter().enumerate() {
        let env = app
            .mp_redeem(1, item["verify_code"].as_str().unwrap())
            .await;
        assert_code(&env, 200);
        assert_eq!(env["data"]["order_status"], if i == 0 { 4 } else { 7 });
    }
    let env = app
        .mpc("mp.order.refund", &token, json!({"order_no": orders[1]}))
        .await;
    assert_eq!(env["msg"], "订单当前状态不能退款");
    assert_eq!(counts(&db, gid).await, (8, 2));
}
