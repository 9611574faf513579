//! mp.* (seed 004, docs/protocol.md §23): the user mini-program's journey
//! over HTTP (WeChat login, mobile, nearby merchants, buying, paying through
//! the sandbox callback, redeeming and refunding), the close job, stock
//! under concurrent buys, scenes, areas and the seed's codes.

mod journey;
mod logins;
mod nearby;
mod refused;
mod stock;

use serde_json::{Value, json};
use tokio_postgres::Client;

use crate::helpers::*;

pub async fn mp_app() -> TestApp {
    spawn_app_with(Options {
        apps: mp_apps(),
        ..Options::default()
    })
    .await
}

pub async fn db(app: &TestApp) -> Client {
    app.database.as_ref().unwrap().client().await
}

/// Great-circle distance in metres on a sphere of `radius` metres.
pub fn haversine(radius: f64, (lng1, lat1): (f64, f64), (lng2, lat2): (f64, f64)) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lng2 - lng1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * radius * a.sqrt().asin()
}

/// The mean earth radius the test computes with; earthdistance's sphere
/// (6378168 m) is 0.12 % larger, inside [`close`]'s tolerance.
pub const EARTH: f64 = 6_371_000.0;

/// Whether a gateway distance agrees with the test's haversine.
pub fn close(gateway: f64, ours: f64) -> bool {
    (gateway - ours).abs() <= ours * 0.002 + 1.0
}

impl TestApp {
    /// Call as the user mini-program, with `token` when not empty.
    pub async fn mpc(&self, method: &str, token: &str, mut params: Value) -> Value {
        if !token.is_empty() {
            params["token"] = json!(token);
        }
        self.call_as("mp_app_id", MP_APP_SECRET, method, params)
            .await
    }

    /// A call that must succeed; its data.
    pub async fn mp_ok(&self, method: &str, token: &str, params: Value) -> Value {
        let env = self.mpc(method, token, params).await;
        assert_code(&env, 200);
        env["data"].clone()
    }

    /// The verify_code mp.sms.code echoes for `mobile`.
    pub async fn mp_sms(&self, mobile: &str) -> String {
        let env = poll_until(
            "mp.sms.code is past the interval",
            10,
            || self.mpc("mp.sms.code", "", json!({"mobile": mobile})),
            |env: &Value| {
                let msg = env["msg"].as_str().unwrap_or("");
                !msg.contains("间隔") && !msg.contains("请求重复")
            },
        )
        .await;
        assert_code(&env, 200);
        env["data"]["verify_code"].as_str().unwrap().to_string()
    }

    /// A WeChat user `who` logged in with `mobile` bound: the token.
    pub async fn mp_member(&self, who: &str, mobile: &str) -> String {
        let token = self
            .mp_ok("mp.wx.login", "", json!({"code": format!("{who}.1")}))
            .await["token"]
            .as_str()
            .unwrap()
            .to_string();
        let code = self.mp_sms(mobile).await;
        let data = self
            .mp_ok(
                "mp.login",
                &token,
                json!({"mobile": mobile, "verify_code": code}),
            )
            .await;
        data["token"].as_str().unwrap().to_string()
    }

    /// mp.order.buy of `number` units of good `goods_id`, which must
    /// succeed; its data (order_no, out_trade_no, ...).
    pub async fn mp_buy(&self, token: &str, goods_id: i64, number: i64) -> Value {
        let params = json!({"goods_id": goods_id, "number": number});
        self.mp_ok("mp.order.buy", token, params).await
    }

    /// Settle a sandbox payment through the callback route (pay.settle).
    pub async fn mp_settle(&self, out_trade_no: &str) -> Value {
        let env = self
            .call_as(
                "admin_api_call",
                ADMIN_API_CALL_SECRET,
                "pay.settle",
                json!({"out_trade_no": out_trade_no}),
            )
            .await;
        assert_code(&env, 200);
        env["data"].clone()
    }

    /// mp.merchant.redeem from the back office; the envelope.
    pub async fn mp_redeem(&self, merchant: i64, code: &str) -> Value {
        self.call_as(
            "admin_api_call",
            ADMIN_API_CALL_SECRET,
            "mp.merchant.redeem",
            json!({"merchant_id": merchant, "verify_code": code}),
        )
        .await
    }
}

/// A good of demo merchant 1 (operation centre 1, the test appid's) with
/// `stock` units at 30.00: its id.
pub async fn good(db: &Client, stock: i32) -> i64 {
    db.query_one(
        "INSERT INTO mp_goods (oper_id, merchant_id, name, market_price, price, start_date, end_date, stock) \
         VALUES (1, 1, '测试代金券', 50, 30, '2020-01-01', '2099-12-31', $1) RETURNING id",
        &[&stock],
    )
    .await
    .unwrap()
    .get(0)
}

/// (stock, sell_number) of a good.
pub async fn counts(db: &Client, good: i64) -> (i32, i32) {
    let r = db
        .query_one(
            "SELECT stock, sell_number FROM mp_goods WHERE id = $1",
            &[&good],
        )
        .await
        .unwrap();
    (r.get(0), r.get(1))
}

/// The (action, from, to) transitions of `machine` for a record.
pub async fn moves(db: &Client, machine: &str, id: i64) -> Vec<(String, i16, i16)> {
    db.query(
        "SELECT action, from_status, to_status FROM status_transitions \
         WHERE machine = $1 AND record_id = $2 ORDER BY id",
        &[&machine, &id],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2)))
    .collect()
}

#[test]
fn haversine_knows_a_degree_of_latitude() {
    let d = haversine(EARTH, (104.0, 30.0), (104.0, 31.0));
    assert!((d - 111_195.0).abs() < 1.0, "{d}");
}
