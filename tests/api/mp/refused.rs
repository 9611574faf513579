//! A refund the provider refuses (the wechatpay driver against a local
//! stand-in answering 500) is undone: the order is paid and its codes
//! unused again, stock and sales as before, every move recorded.

use serde_json::json;
use yafgate::config::payments::PayDriver;
use yafgate::config::settings::Secret;
use yafgate::shared::pay::sandbox::{self, API_V3_KEY};

use super::*;
use crate::helpers::webhook::Receiver;

#[tokio::test]
async fn a_refused_refund_puts_the_order_and_its_codes_back() {
    let provider = Receiver::start().await;
    provider.answer_with(500);
    let dir = tempfile::tempdir().unwrap();
    let merchant = dir.path().join("apiclient_key.pem");
    let platform = dir.path().join("platform_public_key.pem");
    std::fs::write(&merchant, sandbox::MERCHANT_KEY).unwrap();
    std::fs::write(&platform, sandbox::PLATFORM_PUBLIC_KEY).unwrap();
    let base = provider.url.trim_end_matches("/sms").to_string();
    let app = spawn_app_with(Options {
        apps: mp_apps(),
        ..Options::configure(move |s| {
            s.payments.driver = PayDriver::Wechatpay;
            s.payments.merchant_key_file = merchant;
            s.payments.platform_public_key_file = platform;
            s.payments.api_v3_key = Secret::new(std::str::from_utf8(API_V3_KEY).unwrap());
            s.payments.api_base_url = base;
        })
    })
    .await;
    let db = db(&app).await;
    let token = app.mp_member("refused", "13700000050").await;
    let gid = good(&db, 8).await;
    // A paid order of 2 with its codes, as the payment's hook leaves it.
    let order: i64 = db
        .query_one(
            "WITH u AS (SELECT id FROM users WHERE mobile = '13700000050'), \
             g AS (UPDATE mp_goods SET stock = stock - 2, sell_number = sell_number + 2 WHERE id = $1 RETURNING id) \
             INSERT INTO mp_orders (order_no, oper_id, user_id, merchant_id, merchant_name, goods_id, goods_name, \
             price, buy_number, pay_price, status, pay_time, created_at, updated_at) \
             SELECT 'MREFUSED1', 1, u.id, 1, '商家', g.id, '测试代金券', 30, 2, 60, 4, now(), now(), now() FROM u, g \
             RETURNING id",
            &[&gid],
        )
        .await
        .unwrap()
        .get(0);
    db.batch_execute(&format!(
        "INSERT INTO mp_order_items (order_id, user_id, verify_code, created_at, updated_at) \
         SELECT {order}, user_id, c, now(), now() FROM mp_orders, (VALUES ('900000000001'), ('900000000002')) v(c) \
         WHERE id = {order}; \
         INSERT INTO payments (out_trade_no, subject_kind, subject_id, user_id, amount, status, driver, expires_at) \
         SELECT 'PREFUSED1', 'mp_order', id, user_id, 60.00, 'paid', 'wechatpay', now() FROM mp_orders WHERE id = {order};"
    ))
    .await
    .unwrap();
    assert_eq!(counts(&db, gid).await, (6, 2));

    let env = app
        .mpc("mp.order.refund", &token, json!({"order_no": "MREFUSED1"}))
        .await;
    assert_eq!(env, json!({"code": 503, "msg": "退款失败，请稍后重试"}));

    let order_now = app
        .mp_ok("mp.order.detail", &token, json!({"order_no": "MREFUSED1"}))
        .await;
    assert_eq!(
        (
            order_now["status"].clone(),
            order_now["refund_price"].clone()
        ),
        (json!(4), json!("0.00"))
    );
    assert!(
        order_now["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["status"] == 1)
    );
    assert_eq!(counts(&db, gid).await, (6, 2));
    let pay: String = db
        .query_one(
            "SELECT status FROM payments WHERE out_trade_no = 'PREFUSED1'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(pay, "paid", "refundable again");
    let want: Vec<(String, i16, i16)> =
        vec![("refund".into(), 4, 6), ("refund_failed".into(), 6, 4)];
    assert_eq!(moves(&db, "mp_order", order).await, want);
}
