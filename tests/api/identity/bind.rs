//! user.mobile.bind (docs/protocol.md §8.10): a new mobile is bound to the
//! caller; a mobile with an account takes the caller's WeChat identity and
//! roles, retiring the placeholder; of parallel binds one wins.

use futures_util::future::join_all;
use serde_json::{Value, json};

use super::predicted_openid;
use crate::helpers::*;

impl TestApp {
    /// Send a bind code to `mobile` and bind it with the mini-program
    /// session `token`; the envelope.
    pub async fn bind_mobile(&self, token: &str, mobile: &str) -> Value {
        let code = self.sms_code(mobile, "USER_BIND_MOBILE_CODE").await;
        self.bind_with(token, mobile, &code).await
    }

    async fn bind_with(&self, token: &str, mobile: &str, code: &str) -> Value {
        self.call_mp(
            "user.mobile.bind",
            json!({"token": token, "mobile": mobile, "verify_code": code}),
        )
        .await
    }
}

#[tokio::test]
async fn binding_a_new_mobile_keeps_the_account_and_the_token() {
    let app = super::identity_app().await;
    let token = app.wx_token("frank.1").await;

    let env = app.bind_mobile(&token, "13700137001").await;

    assert_code(&env, 200);
    assert_eq!(env["data"]["token"], json!(token));
    assert_eq!(env["data"]["userInfo"]["mobile"], json!("13700137001"));
    let detail = app.call_mp("user.detail", json!({"token": token})).await;
    assert_eq!(detail["data"]["mobile"], json!("13700137001"));
    let again = app.wx_login("frank.2").await;
    assert_eq!(again["data"]["userInfo"]["mobile"], json!("13700137001"));
    let token = again["data"]["token"].as_str().unwrap();
    let rebind = app.bind_mobile(token, "13700137002").await;
    assert_eq!(rebind, json!({"code": 503, "msg": "当前账号已绑定手机号"}));
    app.stop().await;
}

#[tokio::test]
async fn binding_a_mobile_that_has_an_account_merges_onto_it() {
    let app = super::identity_app().await;
    let mobile = "13600136001";
    let app_token = app.register_token(mobile, "secret_123").await;
    let owner = app
        .call_with_token("user.detail", &app_token, json!({}))
        .await;
    let placeholder_token = app.wx_token("grace.1").await;
    let openid = predicted_openid("mp_app_id", "grace.1");
    let placeholder = app.wechat_user(&openid).await.unwrap();
    app.grant(placeholder, "consult", "buyer").await;

    let env = app.bind_mobile(&placeholder_token, mobile).await;

    assert_code(&env, 200);
    let token = env["data"]["token"].as_str().unwrap();
    assert_ne!(token, placeholder_token);
    let detail = app.call_mp("user.detail", json!({"token": token})).await;
    assert_eq!(detail["data"]["open_id"], owner["data"]["open_id"]);
    assert_eq!(detail["data"]["mobile"], json!(mobile));
    let old = app
        .call_mp("user.detail", json!({"token": placeholder_token}))
        .await;
    assert_code(&old, 601);
    let db = app.database.as_ref().unwrap().client().await;
    let owner_id: i64 = db
        .query_one("SELECT id FROM users WHERE mobile = $1", &[&mobile])
        .await
        .unwrap()
        .get(0);
    assert_eq!(app.wechat_user(&openid).await, Some(owner_id));
    let retired = db
        .query_one(
            "SELECT status, merged_into FROM users WHERE id = $1",
            &[&placeholder],
        )
        .await
        .unwrap();
    assert_eq!(
        (retired.get::<_, i16>(0), retired.get::<_, Option<i64>>(1)),
        (3, Some(owner_id))
    );
    let roles = app.call_mp("user.role.list", json!({"token": token})).await;
    assert_eq!(roles["data"]["list"], json!(["consult.buyer"]));
    // The app's session of the account is untouched; the next WeChat login
    // lands on the account.
    assert_code(
        &app.call_with_token("user.detail", &app_token, json!({}))
            .await,
        200,
    );
    let next = app.wx_login("grace.2").await;
    assert_eq!(next["data"]["open_id"], owner["data"]["open_id"]);
    assert_eq!(next["data"]["userInfo"]["mobile"], json!(mobile));
    app.stop().await;
}

#[tokio::test]
async fn parallel_binds_of_one_mobile_have_one_winner() {
    let app = super::identity_app().await;
    let mobile = "13500135001";
    let tokens = join_all((0..20).map(|i| app.wx_token_owned(format!("racer{i}.1")))).await;
    let code = app.sms_code(mobile, "USER_BIND_MOBILE_CODE").await;

    let envs = join_all(tokens.iter().map(|t| app.bind_with(t, mobile, &code))).await;

    let winners: Vec<usize> = (0..20).filter(|&i| envs[i]["code"] == 200).collect();
    assert_eq!(winners.len(), 1, "{envs:?}");
    for env in envs.iter().filter(|e| e["code"] != 200) {
        assert_eq!(env["code"], json!(700), "{env}");
    }
    let db = app.database.as_ref().unwrap().client().await;
    let row = db
        .query_one(
            "SELECT count(*) FILTER (WHERE mobile IS NOT NULL), count(*) FILTER (WHERE status <> 1) FROM users WHERE reg_platform = 6",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        (row.get::<_, i64>(0), row.get::<_, i64>(1)),
        (1, 0),
        "one bound, none retired"
    );
    app.stop().await;
}

#[tokio::test]
async fn parallel_binds_of_one_session_have_one_winner() {
    let app = super::identity_app().await;
    let mobile = "13400134001";
    app.register_token(mobile, "secret_123").await;
    let token = app.wx_token("heidi.1").await;
    let code = app.sms_code(mobile, "USER_BIND_MOBILE_CODE").await;

    let envs = join_all((0..20).map(|_| app.bind_with(&token, mobile, &code))).await;

    assert_eq!(
        envs.iter().filter(|e| e["code"] == 200).count(),
        1,
        "{envs:?}"
    );
    let db = app.database.as_ref().unwrap().client().await;
    let retired: i64 = db
        .query_one("SELECT count(*) FROM users WHERE status = 3", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(retired, 1);
    app.stop().await;
}

#[tokio::test]
async fn a_wrong_bind_code_writes_nothing() {
    let app = super::identity_app().await;
    let token = app.wx_token("ivan.1").await;
    app.sms_code("13300133001", "USER_BIND_MOBILE_CODE").await;

    let env = app.bind_with(&token, "13300133001", "000000").await;

    assert_eq!(env, json!({"code": 700, "msg": "您的验证码不正确"}));
    let detail = app.call_mp("user.detail", json!({"token": token})).await;
    assert_eq!(detail["data"]["mobile"], json!(""));
    app.stop().await;
}

impl TestApp {
    async fn wx_token_owned(&self, code: String) -> String {
        self.wx_token(&code).await
    }
}

#[tokio::test]
async fn a_bind_racing_a_registration_of_the_mobile_leaves_one_owner() {
    let app = super::identity_app().await;
    let mobile = "13300133009";
    let token = app.wx_token("judy.1").await;
    let register_code = app.sms_code(mobile, "USER_REGISTER_CODE").await;
    let bind_code = app.sms_code(mobile, "USER_BIND_MOBILE_CODE").await;

    let (registered, bound) = tokio::join!(
        app.call(
            "user.register",
            json!({"mobile": mobile, "password": "secret_123", "code": register_code}),
        ),
        app.bind_with(&token, mobile, &bind_code),
    );

    for env in [&registered, &bound] {
        assert!(
            [200, 503, 604].contains(&env["code"].as_i64().unwrap()),
            "{registered} {bound}"
        );
    }
    let db = app.database.as_ref().unwrap().client().await;
    let owners: i64 = db
        .query_one("SELECT count(*) FROM users WHERE mobile = $1", &[&mobile])
        .await
        .unwrap()
        .get(0);
    assert_eq!(owners, 1, "{registered} {bound}");
    app.stop().await;
}
