//! Signature diagnostics (docs/protocol.md §2.1) and signed answers
//! (§4.1), through a real gateway.

use serde_json::{Value, json};
use yafgate::config::settings::{RunEnv, Settings};
use yafgate::protocol::sign::sign;

use crate::helpers::wire::{self, FORM};
use crate::helpers::{
    H5_ORIGIN, H5_SECRET, IOS_SECRET, Options, TestApp, assert_code, default_apps, spawn_app,
    spawn_app_with,
};

const OLD: &str = "kits-old-secret-Zq3v8Lk1Tn5Wc0Rb7Yh2";
const NEW: &str = "kits-new-secret-Pm9Xs4Df6Gj8Hk2Lq5Wn";

/// An appid with two named secret slots that signs its answers, beside
/// the default test appids.
fn apps_with_signed_answers() -> String {
    format!(
        r#"{}
[apps.kit_app_id]
name = "Kit"
type = "app"
sign_responses = true
secrets = [{{ id = "old", value = "{OLD}" }}, {{ id = "new", value = "{NEW}" }}]
cors_origins = ["{H5_ORIGIN}"]
"#,
        default_apps()
    )
}

/// Post `data` with `sign` as a form; the HTTP answer.
async fn post_form_data(app: &TestApp, data: &str, sign: &str) -> reqwest::Response {
    app.post_form(&[("data", data), ("sign", sign)]).await
}

async fn json_of(resp: reqwest::Response) -> Value {
    crate::helpers::envelope(resp).await
}

fn hint_ids(env: &Value) -> Vec<String> {
    env["debug"]["hints"]
        .as_array()
        .unwrap_or_else(|| panic!("no debug hints: {env}"))
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_refused_signature_in_test_shows_what_the_gateway_received() {
    let app = spawn_app_with(Options {
        apps: apps_with_signed_answers(),
        ..Options::default()
    })
    .await;
    // The client signed compact JSON and sent it pretty-printed.
    let compact = app.data("system.ping", "kit_app_id", json!({}));
    let sent =
        serde_json::to_string_pretty(&serde_json::from_str::<Value>(&compact).unwrap()).unwrap();
    let resp = post_form_data(&app, &sent, &sign(compact.as_bytes(), NEW)).await;
    let text = resp.text().await.unwrap();
    let env: Value = serde_json::from_str(&text).unwrap();
    assert_code(&env, 403);
    assert_eq!(env["msg"], "签名错误");
    let debug = &env["debug"];
    assert_eq!(debug["data_length"], sent.len());
    assert_eq!(debug["data_md5"], sign(sent.as_bytes(), ""));
    assert_eq!(debug["appid"], "kit_app_id");
    assert_eq!(debug["secret_slots"], json!(["old", "new"]));
    assert_eq!(hint_ids(&env), ["pretty_printed"]);
    // Neither a secret nor any signature the gateway would have accepted.
    for secret in [OLD, NEW] {
        for forbidden in [secret.to_string(), sign(sent.as_bytes(), secret)] {
            assert!(!text.contains(&forbidden), "leaked {forbidden}: {text}");
            assert!(
                !text.to_lowercase().contains(&forbidden.to_lowercase()),
                "{text}"
            );
        }
    }
}

#[tokio::test]
async fn each_detectable_mistake_is_named_in_the_hints() {
    let app = spawn_app().await;
    let good = app.data("system.ping", "ios_app_id", json!({"url": "a/b"}));
    let signed = sign(good.as_bytes(), IOS_SECRET);
    let with_slash = good.replace("a/b", "a\\/b");
    let (ts_key, dup) = (
        "\"appid\":\"ios_app_id\"",
        "\"appid\":\"ios_app_id\",\"appid\":\"ios_app_id\"",
    );
    let cases: Vec<(&str, String, String, &str)> = vec![
        ("no sign", good.clone(), String::new(), "sign_missing"),
        ("short sign", good.clone(), "01E6".into(), "sign_malformed"),
        (
            "trailing newline",
            format!("{good}\n"),
            signed.clone(),
            "surrounding_whitespace",
        ),
        ("escaped slash", with_slash, signed.clone(), "escaped_slash"),
        (
            "duplicate key",
            good.replacen(ts_key, dup, 1),
            signed.clone(),
            "duplicate_keys",
        ),
        (
            "a number re-serialised",
            good.replace('}', ",\"n\":1e3}"),
            signed.clone(),
            "reparses_differently",
        ),
    ];
    for (what, data, sign, hint) in cases {
        let env = json_of(post_form_data(&app, &data, &sign).await).await;
        assert_code(&env, 403);
        assert!(hint_ids(&env).contains(&hint.to_string()), "{what}: {env}");
    }
}

#[tokio::test]
async fn a_plus_sent_raw_in_a_form_is_named_as_form_encoding() {
    let app = spawn_app().await;
    let data = app.data(
        "system.ping",
        "ios_app_id",
        json!({"mobile": "+8613800000000"}),
    );
    // The classic mistake: the data value put into the form unencoded.
    let body = format!("data={data}&sign={}", sign(data.as_bytes(), IOS_SECRET));
    let env = json_of(app.post(FORM, body.into_bytes()).await).await;
    assert_code(&env, 403);
    assert_eq!(hint_ids(&env), ["form_plus"], "{env}");
    // Percent-encoded, the same data verifies.
    let env = app.send_data(&data, IOS_SECRET).await;
    assert_code(&env, 200);
}

#[tokio::test]
async fn a_data_with_a_byte_order_mark_is_refused_with_the_hint() {
    let app = spawn_app().await;
    let data = format!(
        "\u{feff}{}",
        app.data("system.ping", "ios_app_id", json!({}))
    );
    let env = json_of(post_form_data(&app, &data, &sign(data.as_bytes(), IOS_SECRET)).await).await;
    // Not JSON to the gateway: 504, with what it received.
    assert_code(&env, 504);
    assert_eq!(env["debug"]["data_length"], data.len());
    assert_eq!(hint_ids(&env), ["bom"]);
    assert!(env["debug"].get("appid").is_none(), "{env}");
}

#[tokio::test]
async fn other_refusals_and_successes_carry_no_debug() {
    let app = spawn_app().await;
    let ok = app.call("system.ping", json!({})).await;
    assert_code(&ok, 200);
    let late = app
        .send_data(
            &wire::call_data("system.ping", "ios_app_id", app.now() - 100_000, json!({})),
            IOS_SECRET,
        )
        .await;
    assert_code(&late, 507);
    let no_data = json_of(app.post_form(&[("sign", "x")]).await).await;
    assert_code(&no_data, 504);
    for env in [ok, late, no_data] {
        assert!(env.get("debug").is_none(), "{env}");
    }
}

/// Settings of a shared environment that the test harness can start.
fn shared_env(env: RunEnv) -> impl FnOnce(&mut Settings) + Send + 'static {
    move |s: &mut Settings| {
        s.env = env;
        s.sms.echo_code = false;
        // The sandboxes the test harness turns on are refused outside dev
        // and test: back to the defaults (the api driver with no
        // mini-programs, payments off).
        s.wechat = Default::default();
        s.payments = Default::default();
    }
}

#[tokio::test]
async fn diagnostics_are_off_in_pre_beta_and_pro() {
    // Pro refuses an appid without limits or with every method (§12.3).
    let strong = "[apps.kit_app_id]\nname = \"Kit\"\ntype = \"app\"\nsecrets = [\"Zq3v8Lk1Tn5Wc0Rb7Yh2Pm9Xs4Df6Gj8\"]\n\
        methods = [\"system.*\"]\nrate_limit = { requests = 1000 }\nrate_limit_per_ip = { requests = 1000 }\n\
        rate_limit_per_device = { requests = 1000 }\n";
    for env in [RunEnv::Pre, RunEnv::Beta, RunEnv::Pro] {
        let app = spawn_app_with(Options {
            apps: strong.to_string(),
            ..Options::configure(shared_env(env))
        })
        .await;
        let data = app.data("system.ping", "kit_app_id", json!({}));
        let pretty = format!(" {data}\n");
        let env_403 = json_of(post_form_data(&app, &pretty, &"0".repeat(32)).await).await;
        assert_code(&env_403, 403);
        let bom = format!("\u{feff}{data}");
        let env_504 = json_of(post_form_data(&app, &bom, &"0".repeat(32)).await).await;
        assert_code(&env_504, 504);
        for answer in [env_403, env_504] {
            assert_eq!(answer.as_object().unwrap().len(), 2, "{env:?}: {answer}");
        }
    }
}

#[tokio::test]
async fn answers_are_signed_with_the_slot_that_verified_the_request() {
    let app = spawn_app_with(Options {
        apps: apps_with_signed_answers(),
        ..Options::default()
    })
    .await;
    for (secret, slot) in [(NEW, "new"), (OLD, "old")] {
        let resp = app
            .signed("kit_app_id", secret, "system.ping", json!({}))
            .send()
            .await
            .unwrap();
        let (sig, label) = sign_headers(&resp);
        let body = resp.bytes().await.unwrap();
        assert_eq!(sig.as_deref(), Some(sign(&body, secret).as_str()), "{slot}");
        assert_eq!(label.as_deref(), Some(slot));
        // A changed byte no longer verifies.
        let mut tampered = body.to_vec();
        tampered[9] ^= 1;
        assert_ne!(sig.unwrap(), sign(&tampered, secret));
    }
    // A refused signature: no slot verified, the first one signs.
    let resp = app
        .signed(
            "kit_app_id",
            "wrong-secret-0000000000",
            "system.ping",
            json!({}),
        )
        .send()
        .await
        .unwrap();
    let (sig, label) = sign_headers(&resp);
    let body = resp.bytes().await.unwrap();
    assert!(body.starts_with(b"{\"code\":403"));
    assert_eq!(sig.unwrap(), sign(&body, OLD));
    assert_eq!(label.as_deref(), Some("old"));
}

#[tokio::test]
async fn appids_without_the_switch_and_unknown_appids_get_no_signature() {
    let app = spawn_app_with(Options {
        apps: apps_with_signed_answers(),
        ..Options::default()
    })
    .await;
    let plain = app
        .signed("ios_app_id", IOS_SECRET, "system.ping", json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(sign_headers(&plain), (None, None));
    let unknown = app
        .signed("nobody_app_id", IOS_SECRET, "system.ping", json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(sign_headers(&unknown), (None, None));
    assert_code(&json_of(unknown).await, 506);
}

#[tokio::test]
async fn a_page_on_an_allowed_origin_may_read_the_signature_headers() {
    let app = spawn_app_with(Options {
        apps: apps_with_signed_answers(),
        ..Options::default()
    })
    .await;
    let resp = app
        .signed("kit_app_id", NEW, "system.ping", json!({}))
        .header("origin", H5_ORIGIN)
        .send()
        .await
        .unwrap();
    let exposed = resp.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    for name in ["x-yafgate-sign", "x-yafgate-sign-slot", "x-request-id"] {
        assert!(exposed.contains(name), "{exposed}");
    }
    let h5 = app
        .call_as("h5_app_id", H5_SECRET, "system.ping", json!({}))
        .await;
    assert_code(&h5, 200);
}

fn sign_headers(resp: &reqwest::Response) -> (Option<String>, Option<String>) {
    let get = |name: &str| {
        resp.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    };
    (get("x-yafgate-sign"), get("x-yafgate-sign-slot"))
}

#[tokio::test]
async fn parallel_answers_each_carry_the_signature_of_their_own_body_and_slot() {
    let app = spawn_app_with(Options {
        apps: apps_with_signed_answers(),
        ..Options::default()
    })
    .await;
    let calls = (0..60).map(|i| {
        let (secret, slot) = if i % 2 == 0 {
            (NEW, "new")
        } else {
            (OLD, "old")
        };
        let app = &app;
        async move {
            let resp = app
                .signed("kit_app_id", secret, "system.ping", json!({ "i": i }))
                .send()
                .await
                .unwrap();
            let (sig, label) = sign_headers(&resp);
            let body = resp.bytes().await.unwrap();
            (sig, label, sign(&body, secret), slot)
        }
    });
    for (sig, label, expected, slot) in futures_util::future::join_all(calls).await {
        assert_eq!(sig.as_deref(), Some(expected.as_str()));
        assert_eq!(label.as_deref(), Some(slot));
    }
}
