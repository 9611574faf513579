//! supplier.* (seed 002, docs/protocol.md §21): a certified supplier's
//! whole order life over HTTP, the seed's codes for every refusal with
//! nothing written, and one winner among parallel moves.

mod journey;
mod refusals;

use serde_json::{Value, json};
use tokio_postgres::Client;

use crate::helpers::*;

pub const PASSWORD: &str = "secret_123";

pub async fn supplier_app() -> TestApp {
    spawn_app_with(Options {
        apps: supplier_apps(),
        ..Options::default()
    })
    .await
}

impl TestApp {
    /// Call as the supplier mini-program, with `token` when not empty.
    pub async fn sup(&self, method: &str, token: &str, mut params: Value) -> Value {
        if !token.is_empty() {
            params["token"] = json!(token);
        }
        self.call_as("supplier_app_id", SUPPLIER_SECRET, method, params)
            .await
    }

    /// Call as the back office (admin appid from loopback).
    pub async fn back_office(&self, method: &str, params: Value) -> Value {
        self.call_as("admin_api_call", ADMIN_API_CALL_SECRET, method, params)
            .await
    }

    /// A back-office call that must succeed; its data.
    pub async fn back_office_ok(&self, method: &str, params: Value) -> Value {
        let env = self.back_office(method, params).await;
        assert_code(&env, 200);
        env["data"].clone()
    }

    /// An SMS code of SUPPLIER_LOGIN_CODE sent from the mini-program.
    pub async fn supplier_code(&self, mobile: &str) -> String {
        let env = poll_until(
            "sms.send is past the interval",
            10,
            || {
                self.sup(
                    "sms.send",
                    "",
                    json!({"mobile": mobile, "key": "SUPPLIER_LOGIN_CODE"}),
                )
            },
            |env: &Value| {
                let msg = env["msg"].as_str().unwrap_or("");
                !msg.contains("间隔") && !msg.contains("请求重复")
            },
        )
        .await;
        assert_code(&env, 200);
        env["data"]["code"].as_str().unwrap().to_string()
    }

    /// Log in by SMS code; the envelope.
    pub async fn supplier_sms_login(&self, mobile: &str) -> Value {
        let code = self.supplier_code(mobile).await;
        self.sup(
            "supplier.login.sms",
            "",
            json!({"mobile": mobile, "verify_code": code}),
        )
        .await
    }
}

/// A registered account made a supplier called `title` with one spec of
/// price 0.01: (user id, spec id). Certified when `certify`.
pub async fn supplier(
    app: &TestApp,
    db: &Client,
    mobile: &str,
    title: &str,
    certify: bool,
) -> (i64, i64) {
    app.register_token(mobile, PASSWORD).await;
    let id: i64 = db
        .query_one("SELECT id FROM users WHERE mobile = $1", &[&mobile])
        .await
        .unwrap()
        .get(0);
    app.back_office_ok("supplier.admin.add", json!({"user_id": id, "title": title}))
        .await;
    if certify {
        app.back_office_ok("supplier.admin.certify", json!({"user_id": id}))
            .await;
    }
    let spec = app
        .back_office_ok(
            "supplier.admin.spec.add",
            json!({"supplier_id": id, "good_id": 27, "good_title": "扬名12kg精制红油豆瓣",
                   "good_litpic": "https://img.example.com/27.jpg", "name": "12kg", "price": "0.01"}),
        )
        .await;
    (id, spec["id"].as_i64().unwrap())
}

/// Place an advance-payment order of `n` of `spec` (status 2); its order_sn.
pub async fn place(app: &TestApp, spec: i64, n: i64) -> String {
    let data = app
        .back_office_ok(
            "supplier.admin.order.add",
            json!({"spec_id": spec, "buy_number": n}),
        )
        .await;
    assert_eq!(data["status"], 2);
    data["order_sn"].as_str().unwrap().to_string()
}

/// Everything a move could change about an order, as text: the row, its
/// sub-order and its recorded transitions.
pub async fn snapshot(db: &Client, sn: &str) -> String {
    let row = db
        .query_one(
            "SELECT o::text, (SELECT count(*) FROM supplier_order_sons s WHERE s.order_id = o.id), \
             (SELECT count(*) FROM status_transitions t WHERE t.machine = 'supplier_order' \
             AND t.record_id = o.id) FROM supplier_orders o WHERE order_sn = $1",
            &[&sn],
        )
        .await
        .unwrap();
    format!(
        "{} / {} sons / {} transitions",
        row.get::<_, String>(0),
        row.get::<_, i64>(1),
        row.get::<_, i64>(2)
    )
}

/// The supplier's order `sn` as supplier.order.list shows it.
pub async fn listed(app: &TestApp, token: &str, sn: &str) -> Value {
    let env = app.sup("supplier.order.list", token, json!({})).await;
    assert_code(&env, 200);
    env["data"]["order_paginate"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["order_sn"] == sn)
        .cloned()
        .unwrap_or(Value::Null)
}
