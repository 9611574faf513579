//! home.* (seed 000 慕慕到家, docs/protocol.md §22) over HTTP: a service
//! from creation through review to a rated booking, a refund back to the
//! payer, the seed's codes for every illegal action with nothing written,
//! races on one booking, the profile, uploads and the TIM credential.

mod journey;
mod races;
mod refusals;
mod users;

use serde_json::{Value, json};
use tokio_postgres::Client;

use crate::helpers::*;
// TestApp::back_office (admin_api_call from loopback) comes from the
// supplier tests' helpers.

/// A cover image of the demo data (sql/demo/32_home.sql).
pub const COVER: i64 = 30;

pub async fn home_app() -> TestApp {
    spawn_app_with(Options {
        apps: home_apps(),
        ..Options::default()
    })
    .await
}

/// A WeChat user of the mini-program, logged in.
pub struct Who {
    pub token: String,
    pub id: i64,
}

impl TestApp {
    /// Call as the home mini-program with `who`'s session.
    pub async fn home(&self, who: &Who, method: &str, mut params: Value) -> Value {
        params["token"] = json!(who.token);
        self.call_as("home_app_id", HOME_SECRET, method, params)
            .await
    }

    /// A call that must succeed; its data.
    pub async fn home_ok(&self, who: &Who, method: &str, params: Value) -> Value {
        let env = self.home(who, method, params).await;
        assert_code(&env, 200);
        env["data"].clone()
    }

    /// Log in through the WeChat sandbox as `name` (a fresh code each time).
    pub async fn home_login(&self, name: &str) -> Who {
        let code = format!("{name}.{}", unique("c"));
        let env = self
            .call_as(
                "home_app_id",
                HOME_SECRET,
                "user.wx.login",
                json!({"code": code}),
            )
            .await;
        assert_code(&env, 200);
        let mut who = Who {
            token: env["data"]["token"].as_str().unwrap().to_string(),
            id: 0,
        };
        who.id = self.home_ok(&who, "home.user.get", json!({})).await["id"]
            .as_i64()
            .unwrap();
        who
    }
}

/// The fields of a new service of 300.00 that needs an address.
pub fn service_fields(title: &str) -> Value {
    json!({"type": 1, "title": title, "category_id": 5, "cover_image_id": COVER,
           "designated_place": 1, "description": "五一劳动节三天假期宠物寄养服务",
           "begin_date": "2021-03-07", "end_date": "2031-03-15", "price": "300.00"})
}

/// The address a consumer picks (wx.chooseAddress's shape).
pub fn address() -> Value {
    json!({"errMsg": "chooseAddress:ok", "cityName": "广州市", "userName": "张三",
           "telNumber": "020-81167888", "countyName": "海珠区", "detailInfo": "新港中路397号",
           "postalCode": "510000", "nationalCode": "510000", "provinceName": "广东省"})
}

/// A service of `publisher`, reviewed and published: its id.
pub async fn published(app: &TestApp, publisher: &Who, title: &str) -> i64 {
    let id = app
        .home_ok(publisher, "home.service.create", service_fields(title))
        .await["service_id"]
        .as_i64()
        .unwrap();
    let env = app
        .back_office("home.admin.service.review", json!({"id": id, "action": 1}))
        .await;
    assert_code(&env, 200);
    app.home_ok(
        publisher,
        "home.service.update",
        json!({"id": id, "action": 1}),
    )
    .await;
    id
}

/// A booking of `service` by `consumer`: its id.
pub async fn booked(app: &TestApp, consumer: &Who, service: i64) -> i64 {
    app.home_ok(
        consumer,
        "home.order.create",
        json!({"service_id": service, "address": address()}),
    )
    .await["order_id"]
        .as_i64()
        .unwrap()
}

/// Take order action `action` and expect it to succeed.
pub async fn act(app: &TestApp, who: &Who, order: i64, action: i64) -> Value {
    app.home_ok(
        who,
        "home.order.update",
        json!({"id": order, "action": action}),
    )
    .await
}

/// Pay a 待支付 booking: action 3 opens the payment, the back office's
/// pay.settle delivers the paid notice through /notify/pay/sandbox. The
/// payment's out_trade_no.
pub async fn pay(app: &TestApp, consumer: &Who, order: i64) -> String {
    let data = act(app, consumer, order, 3).await;
    assert_eq!(data["amount"], "300.00", "{data}");
    assert!(
        data["pay"]["package"]
            .as_str()
            .unwrap()
            .starts_with("prepay_id=")
    );
    let no = data["out_trade_no"].as_str().unwrap().to_string();
    let settled = app
        .back_office("pay.settle", json!({"out_trade_no": no}))
        .await;
    assert_code(&settled, 200);
    assert_eq!(settled["data"]["status"], "paid", "{settled}");
    no
}

/// A publisher, a consumer and a booking paid for (status 2 待确认).
pub async fn paid_booking(app: &TestApp) -> (Who, Who, i64, i64) {
    let publisher = app.home_login("pub").await;
    let consumer = app.home_login("cus").await;
    let service = published(app, &publisher, "宠物寄养").await;
    let order = booked(app, &consumer, service).await;
    act(app, &publisher, order, 1).await;
    pay(app, &consumer, order).await;
    assert_eq!(status(app, "home_orders", order).await, 2);
    (publisher, consumer, service, order)
}

pub async fn db(app: &TestApp) -> Client {
    app.database.as_ref().unwrap().client().await
}

/// The status of row `id` of `table`.
pub async fn status(app: &TestApp, table: &str, id: i64) -> i16 {
    db(app)
        .await
        .query_one(&format!("SELECT status FROM {table} WHERE id = $1"), &[&id])
        .await
        .unwrap()
        .get(0)
}

/// Everything the home product has written, as text: a refused action
/// must leave it unchanged.
pub async fn snapshot(app: &TestApp) -> String {
    let row = db(app)
        .await
        .query_one(
            "SELECT (SELECT string_agg(s::text, '|' ORDER BY id) FROM home_services s), \
             (SELECT string_agg(o::text, '|' ORDER BY id) FROM home_orders o), \
             (SELECT string_agg(r::text, '|' ORDER BY id) FROM home_refunds r), \
             (SELECT string_agg(r::text, '|' ORDER BY id) FROM home_ratings r), \
             (SELECT string_agg(p::text, '|' ORDER BY id) FROM payments p), \
             (SELECT count(*) FROM status_transitions)::text",
            &[],
        )
        .await
        .unwrap();
    (0..6)
        .map(|i| row.get::<_, Option<String>>(i).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The answer's code and message.
pub fn refusal(env: &Value) -> (i64, String) {
    (
        env["code"].as_i64().unwrap(),
        env["msg"].as_str().unwrap_or("").to_string(),
    )
}
