//! Refused consult actions answer the seed's failure (503) or the
//! protocol's session and ownership codes, and write nothing.

use serde_json::json;

use super::*;

async fn count(app: &TestApp, table: &str) -> i64 {
    db(app)
        .await
        .query_one(&format!("SELECT count(*) FROM {table}"), &[])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn a_wrong_signin_code_creates_no_account() {
    let app = app().await;
    let (users, posts) = (
        count(&app, "users").await,
        count(&app, "consult_posts").await,
    );
    let code = app.sms_code("13600000009", "CONSULT_SIGNIN_CODE").await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let env = call(
        &app,
        None,
        "consult.user.signin",
        json!({"phone_number": "13600000009", "verification_code": wrong}),
    )
    .await;
    assert_eq!(env["code"], 700, "{env}");
    assert_eq!(count(&app, "users").await, users);
    // Without a session the product's methods answer the protocol's 601-class codes.
    let env = call(
        &app,
        None,
        "consult.user.post.publish",
        json!({"tag_id": 1, "title": "t", "content": "c"}),
    )
    .await;
    assert_ne!(env["code"], 200);
    assert_eq!(count(&app, "consult_posts").await, posts);
}

#[tokio::test]
async fn registration_and_login_refuse_bad_input_without_writing() {
    let app = app().await;
    let (buyer, _, _) = buyer_and_consultant(&app).await;
    let profiles = count(&app, "consult_profiles").await;
    let newcomer = {
        let code = app.sms_code("13600000005", "CONSULT_SIGNIN_CODE").await;
        let env = call(
            &app,
            None,
            "consult.user.signin",
            json!({"phone_number": "13600000005", "verification_code": code}),
        )
        .await;
        Who {
            token: env["data"]["token"].as_str().unwrap().to_string(),
            id: env["data"]["content"][0].as_i64().unwrap(),
        }
    };
    for (p, msg) in [
        (
            json!({"username": "new_one", "password": "secret_123", "password_again": "secret_124"}),
            "两次输入的密码不一致",
        ),
        (
            json!({"username": "12345", "password": "secret_123", "password_again": "secret_123"}),
            "用户名为 2-32 位字母、数字、下划线，不能全是数字",
        ),
        (
            json!({"username": "buyer_one", "password": "secret_123", "password_again": "secret_123"}),
            "用户名已被占用",
        ),
        (
            json!({"username": "new_one", "password": "secret_123", "password_again": "secret_123", "gender": 7}),
            "参数 gender 不正确（1 男，0 女）",
        ),
    ] {
        let env = call(&app, Some(&newcomer), "consult.user.register", p).await;
        assert_eq!(env, json!({"code": 503, "msg": msg}));
    }
    let env = call(
        &app,
        Some(&buyer),
        "consult.user.register",
        json!({"username": "other_name", "password": "secret_123", "password_again": "secret_123"}),
    )
    .await;
    assert_eq!(env, json!({"code": 503, "msg": "该账号已注册"}));
    assert_eq!(count(&app, "consult_profiles").await, profiles);
    let env = call(
        &app,
        None,
        "consult.user.login",
        json!({"username": "buyer_one", "password": "wrong_123"}),
    )
    .await;
    assert_eq!(env, json!({"code": 503, "msg": "用户名或密码不正确"}));
    // A buyer is no consultant.
    let env = call(
        &app,
        None,
        "consult.consultant.login",
        json!({"username": "buyer_one", "password": "secret_123"}),
    )
    .await;
    assert_eq!(env["code"], 503);
}

#[tokio::test]
async fn only_the_author_touches_a_demand_and_only_consultants_serve() {
    let app = app().await;
    let (buyer, consultant, post) = buyer_and_consultant(&app).await;
    let other = signed_in(&app, "user", "13600000003", "buyer_two").await;
    let before = db(&app)
        .await
        .query_one(
            "SELECT title, updated_at::text FROM consult_posts WHERE id = $1",
            &[&post],
        )
        .await
        .unwrap();
    let (title, at): (String, String) = (before.get(0), before.get(1));
    let env = call(
        &app,
        Some(&other),
        "consult.user.post.modify",
        json!({"post_id": post, "tag_id": 1, "title": "改", "content": "改"}),
    )
    .await;
    assert_eq!(env, json!({"code": 404, "msg": "需求不存在"}));
    let env = call(
        &app,
        Some(&other),
        "consult.user.post.delete",
        json!({"post_id": post}),
    )
    .await;
    assert_eq!(env, json!({"code": 404, "msg": "需求不存在"}));
    let after = db(&app)
        .await
        .query_one(
            "SELECT title, updated_at::text, deleted_at IS NULL FROM consult_posts WHERE id = $1",
            &[&post],
        )
        .await
        .unwrap();
    assert_eq!(
        (
            after.get::<_, String>(0),
            after.get::<_, String>(1),
            after.get::<_, bool>(2)
        ),
        (title, at, true)
    );

    // Bad demands write nothing.
    let posts = count(&app, "consult_posts").await;
    for (p, msg) in [
        (
            json!({"tag_id": 99, "title": "t", "content": "c"}),
            "标签不存在",
        ),
        (
            json!({"tag_id": [], "title": "t", "content": "c"}),
            "参数 tag_id 不正确（标签 ID 或其数组，1-5 个）",
        ),
        (
            json!({"tag_id": 1, "title": " ", "content": "c"}),
            "需求标题为 1-100 字",
        ),
    ] {
        assert_eq!(
            call(&app, Some(&buyer), "consult.user.post.publish", p).await,
            json!({"code": 503, "msg": msg})
        );
    }
    assert_eq!(count(&app, "consult_posts").await, posts);

    // Orders: on another's demand, with a non-consultant, at no price.
    let orders = count(&app, "consult_orders").await;
    for (who, p, expected) in [
        (
            &other,
            json!({"post_id": post, "consultant_id": consultant.id, "price": "1"}),
            json!({"code": 404, "msg": "需求不存在"}),
        ),
        (
            &buyer,
            json!({"post_id": post, "consultant_id": other.id, "price": "1"}),
            json!({"code": 503, "msg": "顾问不存在"}),
        ),
        (
            &buyer,
            json!({"post_id": post, "consultant_id": consultant.id, "price": "0"}),
            json!({"code": 503, "msg": "订单价格必须大于 0"}),
        ),
    ] {
        assert_eq!(
            call(&app, Some(who), "consult.user.order.add", p).await,
            expected
        );
    }
    assert_eq!(count(&app, "consult_orders").await, orders);

    let (id, no) = order(&app, &buyer, &consultant, post).await;
    // A buyer cannot act as a consultant (608); the wrong amount opens no payment.
    let env = call(
        &app,
        Some(&buyer),
        "consult.consultant.order.accept",
        json!({"order_id": id}),
    )
    .await;
    assert_eq!(env["code"], 608);
    let env = call(
        &app,
        Some(&buyer),
        "consult.pay.init",
        json!({"body": "x", "out_trade_no": no, "total_fee": "299.99"}),
    )
    .await;
    assert_eq!(env, json!({"code": 503, "msg": "total_fee 与订单金额不符"}));
    let env = call(
        &app,
        Some(&other),
        "consult.pay.init",
        json!({"body": "x", "out_trade_no": no, "total_fee": "300.00"}),
    )
    .await;
    assert_eq!(env["code"], 404);
    assert_eq!(count(&app, "payments").await, 0);
    let env = call(
        &app,
        Some(&buyer),
        "consult.user.order.delete",
        json!({"post_id": id}),
    )
    .await;
    assert_eq!(
        env,
        json!({"code": 503, "msg": "只能删除已完成、已取消或已退款的订单"})
    );
    let env = call(
        &app,
        Some(&other),
        "consult.user.order.cancel",
        json!({"post_id": id}),
    )
    .await;
    assert_eq!(env, json!({"code": 404, "msg": "订单不存在"}));
    assert_eq!(status(&app, id).await, 0);
    assert!(moves(&app, id).await.is_empty());
}
