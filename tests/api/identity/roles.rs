//! Roles per product (docs/protocol.md §8.11): a method that requires one
//! refuses a caller without it (608) and answers with it; admin appids
//! grant and revoke.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;
use yafgate::handler::{Ctx, Method, Registry};
use yafgate::protocol::Reply;
use yafgate::protocol::error::ApiResult;

use crate::helpers::*;

const REFUSED: &str = "您没有此操作的身份权限（需要 consult.consultant）";

#[derive(Deserialize, JsonSchema)]
struct NoParams {}

async fn consultant_only(_: Ctx, _: NoParams) -> ApiResult<Reply> {
    Reply::data("success", &json!({"ok": true}))
}

fn consultant_method(r: &mut Registry) {
    r.add(
        Method::new("test.consultant", "1.0.0").role("consult", "consultant"),
        consultant_only,
    );
}

impl TestApp {
    /// Grant a role through the admin appid; asserts success.
    pub async fn grant(&self, user_id: i64, product: &str, role: &str) {
        let env = self
            .role_call("user.role.grant", user_id, product, role)
            .await;
        assert_code(&env, 200);
    }

    async fn role_call(
        &self,
        method: &str,
        user_id: i64,
        product: &str,
        role: &str,
    ) -> serde_json::Value {
        self.call_as(
            "admin_api_call",
            ADMIN_API_CALL_SECRET,
            method,
            json!({"user_id": user_id, "product": product, "role": role, "platform": 5}),
        )
        .await
    }
}

#[tokio::test]
async fn a_method_requiring_a_role_refuses_without_it_and_answers_with_it() {
    let app = spawn_app_with(Options {
        apps: super::identity_apps(),
        extend: Some(Box::new(consultant_method)),
        ..Options::default()
    })
    .await;
    let token = app.register_token("13200132001", "secret_123").await;
    let db = app.database.as_ref().unwrap().client().await;
    let user: i64 = db
        .query_one("SELECT id FROM users WHERE mobile = '13200132001'", &[])
        .await
        .unwrap()
        .get(0);

    let without = app
        .call_with_token("test.consultant", &token, json!({}))
        .await;
    app.grant(user, "consult", "consultant").await;
    let with = app
        .call_with_token("test.consultant", &token, json!({}))
        .await;
    let revoked = app
        .role_call("user.role.revoke", user, "consult", "consultant")
        .await;
    let after = app
        .call_with_token("test.consultant", &token, json!({}))
        .await;

    assert_eq!(without, json!({"code": 608, "msg": REFUSED}));
    assert_code(&with, 200);
    assert_eq!(revoked["data"]["changed"], json!(true));
    assert_eq!(after, json!({"code": 608, "msg": REFUSED}));
    // The role check comes after the session check.
    assert_code(&app.call("test.consultant", json!({})).await, 602);
    app.stop().await;
}

#[tokio::test]
async fn only_admin_appids_grant_roles_and_names_are_checked() {
    let app = super::identity_app().await;
    let token = app.register_token("13200132002", "secret_123").await;

    let from_app = app
        .call_with_token(
            "user.role.grant",
            &token,
            json!({"user_id": 1, "product": "consult", "role": "consultant"}),
        )
        .await;
    let bad_name = app
        .role_call("user.role.grant", 1, "Consult", "consultant")
        .await;
    let no_user = app
        .role_call("user.role.grant", 999_999, "consult", "consultant")
        .await;

    assert_eq!(
        from_app,
        json!({"code": 403, "msg": "您没有权限访问该接口"})
    );
    assert_eq!(
        bad_name,
        json!({"code": 503, "msg": "参数 product 格式不正确（1-32 位小写字母、数字、下划线）"})
    );
    assert_eq!(no_user, json!({"code": 404, "msg": "用户不存在"}));
    app.stop().await;
}
