//! The seed's logins and codes: the test code `user`, a wrong SMS code
//! (10005), a second mobile (10006), a scene id taken once by one of many
//! parallel logins, an appid that is not a mini-program (70011) and
//! parameters the seed calls 参数不合法 (10001).

use futures_util::future::join_all;
use serde_json::json;

use super::*;

fn code_msg(env: &serde_json::Value) -> (serde_json::Value, serde_json::Value) {
    (env["code"].clone(), env["msg"].clone())
}

#[tokio::test]
async fn the_test_code_user_logs_into_the_configured_mobile() {
    let app = mp_app().await;
    let data = app.mp_ok("mp.wx.login", "", json!({"code": "user"})).await;
    assert_eq!(data["userInfo"]["mobile"], "13800138000");
    // Not single-use, unlike a real code.
    let again = app.mp_ok("mp.wx.login", "", json!({"code": "user"})).await;
    assert_eq!(again["open_id"], data["open_id"]);
    let token = again["token"].as_str().unwrap();
    assert_code(&app.mpc("mp.order.list", token, json!({})).await, 200);
}

#[tokio::test]
async fn a_wrong_code_and_a_second_mobile_answer_the_seeds_codes() {
    let app = mp_app().await;
    let token = app
        .mp_ok("mp.wx.login", "", json!({"code": "codes.1"}))
        .await["token"]
        .as_str()
        .unwrap()
        .to_string();
    let code = app.mp_sms("13700000020").await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let env = app
        .mpc(
            "mp.login",
            &token,
            json!({"mobile": "13700000020", "verify_code": wrong}),
        )
        .await;
    assert_eq!(code_msg(&env), (json!(10005), json!("您的验证码不正确")));
    let env = app
        .mpc(
            "mp.login",
            &token,
            json!({"mobile": "13700000020", "verify_code": code}),
        )
        .await;
    assert_code(&env, 200);
    let code = app.mp_sms("13700000021").await;
    let env = app
        .mpc(
            "mp.login",
            &token,
            json!({"mobile": "13700000021", "verify_code": code}),
        )
        .await;
    assert_eq!(
        code_msg(&env),
        (json!(10006), json!("当前账号已绑定手机号"))
    );
}

#[tokio::test]
async fn bad_parameters_are_the_seeds_10001_and_other_appids_70011() {
    let app = mp_app().await;
    let cases = [
        ("mp.wx.login", json!({}), "缺少参数 code"),
        ("mp.sms.code", json!({"mobile": "123"}), "手机号格式不正确"),
        ("mp.area.tree", json!({"tier": 4}), "参数 tier 须为 1-3"),
        ("mp.area.tree", json!({"tier": "x"}), "参数 tier 格式不正确"),
        (
            "mp.area.by_gps",
            json!({"lng": 200, "lat": 30}),
            "参数 lng 须为 -180 至 180 的经度",
        ),
        (
            "mp.merchant.list",
            json!({"lng": 104}),
            "参数 lng 与 lat 须同时传",
        ),
        (
            "mp.merchant.list",
            json!({"lng": 104, "lat": 30, "radius": -1}),
            "参数 radius 须为大于 0、至多 20000000 的米数",
        ),
        (
            "mp.merchant.list",
            json!({"page": 0}),
            "参数 page 须为 1-100000",
        ),
        ("mp.goods.detail", json!({}), "缺少参数 id"),
    ];
    for (method, params, msg) in cases {
        let env = app.mpc(method, "", params.clone()).await;
        assert_eq!(
            code_msg(&env),
            (json!(10001), json!(msg)),
            "{method} {params}"
        );
    }
    let token = app.mp_member("params", "13700000022").await;
    for (params, msg) in [
        (json!({"goods_id": 1, "number": 0}), "参数 number 须为 1-99"),
        (
            json!({"goods_id": 1, "number": 100}),
            "参数 number 须为 1-99",
        ),
        (
            json!({"goods_id": 1, "number": 1, "notify_mobile": "12"}),
            "手机号格式不正确",
        ),
    ] {
        let env = app.mpc("mp.order.buy", &token, params.clone()).await;
        assert_eq!(code_msg(&env), (json!(10001), json!(msg)), "{params}");
    }
    let env = app
        .mpc(
            "mp.order.buy",
            &token,
            json!({"goods_id": 999_999, "number": 1}),
        )
        .await;
    assert_eq!(code_msg(&env), (json!(404), json!("商品不存在或已下架")));
    let env = app
        .call_as(
            "admin_api_call",
            ADMIN_API_CALL_SECRET,
            "mp.wx.login",
            json!({"code": "x.1"}),
        )
        .await;
    assert_eq!(code_msg(&env), (json!(70011), json!("微信appid不存在")));
}

#[tokio::test]
async fn a_scene_logs_one_other_mini_program_session_into_its_user() {
    let app = mp_app().await;
    let owner = app.mp_member("scener", "13700000030").await;
    let gid = good(&db(&app).await, 3).await;
    let order_no = app
        .mp_ok(
            "mp.order.buy",
            &owner,
            json!({"goods_id": gid, "number": 1}),
        )
        .await["order_no"]
        .clone();
    let scene = app
        .mp_ok("mp.scene.create", &owner, json!({"order_no": order_no}))
        .await;
    assert_eq!(scene["expire_in"], 600);
    let scene_id = scene["sceneId"].as_str().unwrap().to_string();
    // Kept in Redis for mp.scene_ttl_secs, not forever.
    let mut c = app.redis();
    let ttl: i64 = redis::cmd("TTL")
        .arg(format!("{}mp:scene:{scene_id}", app.redis_prefix()))
        .query_async(&mut c)
        .await
        .unwrap();
    assert!((1..=600).contains(&ttl), "{ttl}");

    // Ten fresh WeChat sessions race for the scene: one takes it.
    let mut tokens = Vec::new();
    for i in 0..10 {
        let data = app
            .mp_ok("mp.wx.login", "", json!({"code": format!("scanner{i}.1")}))
            .await;
        tokens.push(data["token"].as_str().unwrap().to_string());
    }
    let logins = tokens
        .iter()
        .map(|t| app.mpc("mp.login.scene", t, json!({"sceneId": scene_id})));
    let answers = join_all(logins).await;
    assert_tally(&codes_of(&answers), &[(200, 1), (10001, 9)]);
    let won = answers.iter().find(|e| e["code"] == 200).unwrap();
    let data = &won["data"];
    assert_eq!(data["userInfo"]["mobile"], "13700000030");
    assert_eq!(data["payload"]["order_no"], order_no);
    let user: i64 = db(&app)
        .await
        .query_one("SELECT id FROM users WHERE mobile = '13700000030'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(data["payload"]["user_id"], user);
    // The new token is the scene user's: it sees the order.
    let token = data["token"].as_str().unwrap();
    let order = app
        .mp_ok("mp.order.detail", token, json!({"order_no": order_no}))
        .await;
    assert_eq!(order["user_id"], user);
    // Used up.
    let late = app
        .mp_ok("mp.wx.login", "", json!({"code": "late.1"}))
        .await;
    let env = app
        .mpc(
            "mp.login.scene",
            late["token"].as_str().unwrap(),
            json!({"sceneId": scene_id}),
        )
        .await;
    assert_eq!(
        code_msg(&env),
        (json!(10001), json!("sceneId 无效、已过期或已使用"))
    );
}

#[tokio::test]
async fn another_centres_good_is_not_paid_here_and_a_lost_openid_is_70010() {
    let app = mp_app().await;
    let db = db(&app).await;
    let token = app.mp_member("elsewhere", "13700000040").await;
    // Merchant 100 is in 上海 (operation centre 2, sql/demo/33_mp.sql).
    let oper: i32 = db
        .query_one("SELECT oper_id FROM mp_goods WHERE id = 199", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(oper, 2);
    let data = app
        .mp_ok(
            "mp.order.buy",
            &token,
            json!({"goods_id": 199, "number": 1}),
        )
        .await;
    assert_eq!(data["isOperSelf"], 0);
    assert!(data.get("sdk_config").is_none(), "{data}");
    let env = app
        .mpc(
            "mp.order.pay",
            &token,
            json!({"order_no": data["order_no"]}),
        )
        .await;
    assert_eq!(
        code_msg(&env),
        (json!(503), json!("请在商品所属运营中心的小程序内支付"))
    );

    db.execute(
        "DELETE FROM wechat_identities WHERE user_id = (SELECT id FROM users WHERE mobile = '13700000040')",
        &[],
    )
    .await
    .unwrap();
    let gid = good(&db, 1).await;
    let env = app
        .mpc(
            "mp.order.buy",
            &token,
            json!({"goods_id": gid, "number": 1}),
        )
        .await;
    assert_eq!(
        code_msg(&env),
        (
            json!(70010),
            json!("openId不存在，请重新调用 wx.login 登录")
        )
    );
    assert_eq!(counts(&db, gid).await, (1, 0), "nothing reserved");
}
