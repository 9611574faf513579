//! Mini-program identity (issue 13, identity part): platform 6 and the
//! `miniprogram` appid type, the sandbox code2session driver, password-less
//! accounts, their own session class, and the sandbox refused in pro.
//! Mobile binding and merging are in `bind`, roles in `roles`.

mod bind;
mod push;
mod reach;
mod roles;

use futures_util::future::join_all;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::*;

pub const MP_SECRET: &str = "mp-test-secret-00000000000000001";
pub const ANDROID_ONLY_SECRET: &str = "android-only-test-secret-0000001";
pub const USED_CODE: &str = "登录凭证 code 无效或已使用，请重新调用 wx.login";

/// The default test appids, a mini-program and an appid narrowed to
/// Android.
pub fn identity_apps() -> String {
    format!(
        r#"{}
[apps.mp_app_id]
name = "Mini-program"
type = "miniprogram"
secrets = ["{MP_SECRET}"]

[apps.android_only]
name = "Android only"
type = "app"
platforms = [2]
secrets = ["{ANDROID_ONLY_SECRET}"]
"#,
        default_apps()
    )
}

pub async fn identity_app() -> TestApp {
    spawn_app_with(Options {
        apps: identity_apps(),
        ..Options::default()
    })
    .await
}

/// The openid the sandbox gives `code`'s user for `appid` (docs/protocol.md §8.9).
pub fn predicted_openid(appid: &str, code: &str) -> String {
    let user = code.split('.').next().unwrap();
    let digest = hex::encode(Sha256::digest(format!("{appid}:{user}").as_bytes()));
    format!("o{}", &digest[..27])
}

impl TestApp {
    /// Call as the mini-program (platform 6).
    pub async fn call_mp(&self, method: &str, params: Value) -> Value {
        self.call_as("mp_app_id", MP_SECRET, method, params).await
    }

    /// user.wx.login with `code`; the envelope.
    pub async fn wx_login(&self, code: &str) -> Value {
        self.call_mp("user.wx.login", json!({"code": code})).await
    }

    /// user.wx.login that must succeed; the token.
    pub async fn wx_token(&self, code: &str) -> String {
        let env = self.wx_login(code).await;
        assert_code(&env, 200);
        env["data"]["token"].as_str().unwrap().to_string()
    }

    /// The id of the account a WeChat identity of the mini-program points to.
    pub async fn wechat_user(&self, openid: &str) -> Option<i64> {
        let db = self.database.as_ref().unwrap().client().await;
        db.query_opt(
            "SELECT user_id FROM wechat_identities WHERE appid = 'mp_app_id' AND openid = $1",
            &[&openid],
        )
        .await
        .unwrap()
        .map(|r| r.get(0))
    }
}

#[tokio::test]
async fn a_mini_program_login_creates_a_password_less_user_and_a_platform_6_session() {
    let app = identity_app().await;

    let env = app.wx_login("alice.1").await;

    assert_code(&env, 200);
    let data = &env["data"];
    assert!(data.get("userInfo").is_none(), "no mobile yet: {env}");
    let openid = predicted_openid("mp_app_id", "alice.1");
    let user = app.wechat_user(&openid).await.expect("identity bound");
    let db = app.database.as_ref().unwrap().client().await;
    let row = db
        .query_one(
            "SELECT password_hash IS NULL, mobile IS NULL, reg_platform, open_id FROM users WHERE id = $1",
            &[&user],
        )
        .await
        .unwrap();
    assert!(row.get::<_, bool>(0) && row.get::<_, bool>(1));
    assert_eq!(row.get::<_, i16>(2), 6);
    assert_eq!(data["open_id"], json!(row.get::<_, String>(3).trim_end()));
    let token = data["token"].as_str().unwrap();
    let detail = app.call_mp("user.detail", json!({"token": token})).await;
    assert_code(&detail, 200);
    assert_eq!(detail["data"]["mobile"], json!(""));
    let unionid: Option<String> = db
        .query_one(
            "SELECT unionid FROM wechat_identities WHERE openid = $1",
            &[&openid],
        )
        .await
        .unwrap()
        .get(0);
    assert!(unionid.is_some_and(|u| u.starts_with('u') && u.len() == 28));
    let mut c = app.redis();
    let session: Vec<String> = redis::cmd("HMGET")
        .arg(format!("{}sess:{token}", app.redis_prefix()))
        .arg("platform")
        .arg("class")
        .query_async(&mut c)
        .await
        .unwrap();
    // A mini-program's session is kept to its appid (session_scope
    // "appid", docs/protocol.md §8.2).
    assert_eq!(session, ["6", "m:mp_app_id"]);
    // The mini-program class lives as long as an app's session.
    let ttl = app.session_ttl(token).await;
    assert!(ttl > app.settings.session.web_ttl_secs as i64, "{ttl}");
    // A mini-program token is no app token (docs/protocol.md §8.2).
    assert_code(
        &app.call_with_token("user.detail", token, json!({})).await,
        601,
    );
    app.stop().await;
}

#[tokio::test]
async fn the_same_code_twice_is_refused_the_second_time() {
    let app = identity_app().await;
    let first = app.wx_login("bob.1").await;
    assert_code(&first, 200);

    let again = app.wx_login("bob.1").await;

    assert_eq!(again, json!({"code": 503, "msg": USED_CODE}));
    // Another code of the same WeChat user finds the same account.
    let later = app.wx_login("bob.2").await;
    assert_code(&later, 200);
    assert_eq!(later["data"]["open_id"], first["data"]["open_id"]);
    app.stop().await;
}

#[tokio::test]
async fn twenty_parallel_logins_of_one_code_have_one_success() {
    let app = identity_app().await;
    let db = app.database.as_ref().unwrap().client().await;
    let before = mini_program_accounts(&db).await;

    let envs = join_all((0..20).map(|_| app.wx_login("carol.1"))).await;

    let ok = envs.iter().filter(|e| e["code"] == 200).count();
    assert_eq!(ok, 1, "{envs:?}");
    for env in envs.iter().filter(|e| e["code"] != 200) {
        assert_eq!(env, &json!({"code": 503, "msg": USED_CODE}));
    }
    assert_eq!(mini_program_accounts(&db).await.0 - before.0, 1);
    app.stop().await;
}

/// (accounts made by mini-program logins, WeChat identities): the demo
/// data has some (sql/demo/32_home.sql), so tests count what they add.
async fn mini_program_accounts(db: &tokio_postgres::Client) -> (i64, i64) {
    let row = db
        .query_one(
            "SELECT (SELECT count(*) FROM users WHERE reg_platform = 6), (SELECT count(*) FROM wechat_identities)",
            &[],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1))
}

#[tokio::test]
async fn parallel_first_logins_make_one_account_per_wechat_user() {
    let app = identity_app().await;
    let db = app.database.as_ref().unwrap().client().await;
    let before = mini_program_accounts(&db).await;

    // 20 codes of one new WeChat user race to create its account, and 20
    // codes of 20 other users each create their own.
    let same = join_all((0..20).map(|i| app.wx_login_owned(format!("dave.{i}")))).await;
    let distinct = join_all((0..20).map(|i| app.wx_login_owned(format!("user{i}.1")))).await;

    for env in same.iter().chain(&distinct) {
        assert_code(env, 200);
    }
    let open_ids = |envs: &[Value]| {
        envs.iter()
            .map(|e| e["data"]["open_id"].as_str().unwrap().to_string())
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    };
    assert_eq!(open_ids(&same), 1);
    assert_eq!(open_ids(&distinct), 20);
    let after = mini_program_accounts(&db).await;
    assert_eq!((after.0 - before.0, after.1 - before.1), (21, 21));
    app.stop().await;
}

impl TestApp {
    async fn wx_login_owned(&self, code: String) -> Value {
        self.wx_login(&code).await
    }
}

#[tokio::test]
async fn platforms_are_checked_against_the_appid() {
    let app = identity_app().await;
    let cases = [
        (
            "mp_app_id",
            MP_SECRET,
            json!(1),
            "参数 platform 不正确（6-微信小程序）",
        ),
        (
            "ios_app_id",
            IOS_SECRET,
            json!(6),
            "参数 platform 不正确（1-iOS、2-Android、3-H5、4-web）",
        ),
        (
            "admin_api_call",
            ADMIN_API_CALL_SECRET,
            json!("6"),
            "参数 platform 不正确（1-iOS、2-Android、3-H5、4-web、5-服务端）",
        ),
        (
            "android_only",
            ANDROID_ONLY_SECRET,
            json!(1),
            "参数 platform 不正确（此 appid 仅允许 2）",
        ),
    ];
    for (appid, secret, platform, msg) in cases {
        let env = app
            .call_as(appid, secret, "system.init", json!({"platform": platform}))
            .await;
        assert_eq!(env, json!({"code": 503, "msg": msg}), "{appid}");
    }
    for (appid, secret, platform) in [
        ("mp_app_id", MP_SECRET, 6),
        ("android_only", ANDROID_ONLY_SECRET, 2),
        ("admin_api_call", ADMIN_API_CALL_SECRET, 5),
    ] {
        let env = app
            .call_as(appid, secret, "system.init", json!({"platform": platform}))
            .await;
        assert_code(&env, 200);
    }
    // Only a mini-program logs in with a WeChat code.
    let env = app.call("user.wx.login", json!({"code": "x.1"})).await;
    assert_code(&env, 403);
    app.stop().await;
}

#[tokio::test]
async fn a_mini_program_login_does_not_displace_the_app_session_and_vice_versa() {
    let app = identity_app().await;
    let mobile = "13900139001";
    let app_token = app.register_token(mobile, "secret_123").await;
    let placeholder = app.wx_token("erin.1").await;
    let mp_token = app.bind_mobile(&placeholder, mobile).await["data"]["token"]
        .as_str()
        .unwrap()
        .to_string();

    let mp_again = app.wx_token("erin.2").await;

    assert_code(
        &app.call_with_token("user.detail", &app_token, json!({}))
            .await,
        200,
    );
    let displaced = app.call_mp("user.detail", json!({"token": mp_token})).await;
    assert_code(&displaced, 603);
    let app_again = app.login_token(mobile, "secret_123").await;
    assert_code(
        &app.call_mp("user.detail", json!({"token": mp_again})).await,
        200,
    );
    assert_code(
        &app.call_with_token("user.detail", &app_token, json!({}))
            .await,
        603,
    );
    assert_code(
        &app.call_with_token("user.detail", &app_again, json!({}))
            .await,
        200,
    );
    app.stop().await;
}

#[test]
fn check_config_refuses_the_sandbox_driver_in_pro() {
    use yafgate::config::settings::{RunEnv, Settings, WechatDriver};
    let mut settings = Settings {
        env: RunEnv::Pro,
        ..Default::default()
    };
    settings.sms.echo_code = false;
    settings.wechat.driver = WechatDriver::Sandbox;
    let (ok, err) = crate::helpers::procs::check_settings(&settings, &identity_apps(), &[]);
    assert!(!ok);
    assert!(
        err.contains("wechat.driver") && err.contains("Pro"),
        "{err}"
    );

    // The api driver, in any env, needs the mini-program's credentials.
    settings.env = RunEnv::Dev;
    settings.wechat.driver = WechatDriver::Api;
    let (ok, err) = crate::helpers::procs::check_settings(&settings, &identity_apps(), &[]);
    assert!(!ok, "the api driver needs credentials");
    assert!(err.contains("wechat.apps.mp_app_id"), "{err}");
    settings.wechat.apps.insert(
        "mp_app_id".into(),
        yafgate::config::wechat::WechatApp {
            wx_appid: "wx1234567890abcdef".into(),
            secret: yafgate::config::settings::Secret::new("s3cr3t-from-the-environment"),
        },
    );
    let (ok, out) = crate::helpers::procs::check_settings(&settings, &identity_apps(), &[]);
    assert!(ok, "{out}");
}
