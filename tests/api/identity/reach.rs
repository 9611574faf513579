//! Token reach (`session_scope`, docs/protocol.md §8.2): a product
//! mini-program's token works only on the appid that issued it, unless
//! both appids are configured to share their class; the app appids share
//! theirs as before.

use serde_json::json;

use super::MP_SECRET;
use crate::helpers::*;

const OTHER_SECRET: &str = "other-mini-program-secret-000001";
const SHARED_A: &str = "shared-mini-program-secret-00001";
const SHARED_B: &str = "shared-mini-program-secret-00002";

/// Two mini-programs of the default scope (appid), two that share their
/// class, and the default app appids.
fn apps() -> String {
    format!(
        r#"{}
[apps.mp_app_id]
name = "Mini-program"
type = "miniprogram"
secrets = ["{MP_SECRET}"]

[apps.other_mp]
name = "Another product's mini-program"
type = "miniprogram"
secrets = ["{OTHER_SECRET}"]

[apps.shared_a]
name = "Shares its class"
type = "miniprogram"
secrets = ["{SHARED_A}"]
session_scope = "class"

[apps.shared_b]
name = "Shares its class too"
type = "miniprogram"
secrets = ["{SHARED_B}"]
session_scope = "class"
"#,
        default_apps()
    )
}

async fn app() -> TestApp {
    spawn_app_with(Options {
        apps: apps(),
        ..Options::default()
    })
    .await
}

/// A mini-program login as `appid`; the token.
async fn login(app: &TestApp, appid: &str, secret: &str, who: &str) -> String {
    let env = app
        .call_as(
            appid,
            secret,
            "user.wx.login",
            json!({"code": format!("{who}.{}", unique("c")), "platform": 6}),
        )
        .await;
    assert_code(&env, 200);
    env["data"]["token"].as_str().unwrap().to_string()
}

async fn detail(app: &TestApp, appid: &str, secret: &str, token: &str) -> i64 {
    let env = app
        .call_as(
            appid,
            secret,
            "user.detail",
            json!({"token": token, "platform": 6}),
        )
        .await;
    env["code"].as_i64().unwrap()
}

#[tokio::test]
async fn a_product_token_works_only_on_the_appid_that_issued_it() {
    let app = app().await;
    let token = login(&app, "mp_app_id", MP_SECRET, "alice").await;
    assert_eq!(detail(&app, "mp_app_id", MP_SECRET, &token).await, 200);
    // Another product's mini-program, and one that shares its class, are
    // refused as for an unknown token.
    assert_eq!(detail(&app, "other_mp", OTHER_SECRET, &token).await, 601);
    assert_eq!(detail(&app, "shared_a", SHARED_A, &token).await, 601);
    // And the other way: its own token answers only there.
    let other = login(&app, "other_mp", OTHER_SECRET, "alice").await;
    assert_eq!(detail(&app, "mp_app_id", MP_SECRET, &other).await, 601);
    assert_eq!(detail(&app, "other_mp", OTHER_SECRET, &other).await, 200);
    // One product's login displaces nothing of the other's.
    assert_eq!(detail(&app, "mp_app_id", MP_SECRET, &token).await, 200);
}

#[tokio::test]
async fn appids_configured_to_share_their_class_share_tokens() {
    let app = app().await;
    let token = login(&app, "shared_a", SHARED_A, "bob").await;
    assert_eq!(detail(&app, "shared_b", SHARED_B, &token).await, 200);
    assert_eq!(detail(&app, "shared_a", SHARED_A, &token).await, 200);
    // A class-wide token is still no token of an appid that keeps its own.
    assert_eq!(detail(&app, "mp_app_id", MP_SECRET, &token).await, 601);
    // Within the shared class, a second login displaces the first (603),
    // wherever the first is used.
    let second = login(&app, "shared_a", SHARED_A, "bob").await;
    assert_eq!(detail(&app, "shared_b", SHARED_B, &token).await, 603);
    assert_eq!(detail(&app, "shared_b", SHARED_B, &second).await, 200);
}

#[tokio::test]
async fn app_appids_keep_sharing_their_class() {
    let app = app().await;
    let token = app.register_token("13600000081", "secret_123").await;
    let env = app
        .call_as(
            "android_app_id",
            ANDROID_SECRET,
            "user.detail",
            json!({"token": token, "platform": 2}),
        )
        .await;
    assert_code(&env, 200);
}

#[test]
fn a_scope_other_than_appid_or_class_is_refused() {
    let bad = "[apps.x]\nname = \"x\"\ntype = \"miniprogram\"\nsecrets = [\"0123456789abcdef0123\"]\nsession_scope = \"world\"\n";
    let err = yafgate::config::apps::AppTable::parse(bad, |_| None).unwrap_err();
    assert!(err.0.contains("session_scope"), "{}", err.0);
}
