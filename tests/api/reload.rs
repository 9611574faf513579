//! Hot reload of apps.toml and gateway.toml: secret rotation under load,
//! refused configs, SIGHUP.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::json;

use crate::helpers::procs::{self, GatewayProcess};
use crate::helpers::*;

const NEW_SECRET: &str = "new-ios-secret-00000000000000002";

fn apps_with_ios_secrets(secrets: &[&str]) -> String {
    let list = secrets
        .iter()
        .map(|s| format!("\"{s}\""))
        .collect::<Vec<_>>()
        .join(", ");
    default_apps().replacen(
        &format!("secrets = [\"{IOS_SECRET}\"]"),
        &format!("secrets = [{list}]"),
        1,
    )
}

async fn ping_code(app: &TestApp, secret: &str) -> i64 {
    app.call_as("ios_app_id", secret, "system.ping", json!({}))
        .await["code"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn a_secret_rotates_while_requests_flow() {
    let app = Arc::new(spawn_app().await);
    let stop = Arc::new(AtomicBool::new(false));
    let removed = Arc::new(AtomicBool::new(false));

    // Clients on the old secret keep calling throughout.
    let flow = {
        let (app, stop, removed) = (app.clone(), stop.clone(), removed.clone());
        tokio::spawn(async move {
            let mut ok = 0u32;
            while !stop.load(Ordering::Relaxed) {
                match ping_code(&app, IOS_SECRET).await {
                    200 => ok += 1,
                    // Refused only once the old secret has been removed
                    // (the flag is set after the removal is observed, so a
                    // 403 may come just before it flips).
                    403 => assert!(
                        removed.load(Ordering::Relaxed) || ping_code(&app, NEW_SECRET).await == 200,
                        "old secret refused before the new one was in"
                    ),
                    other => panic!("unexpected code {other} during rotation"),
                }
            }
            ok
        })
    };

    app.write_apps(&apps_with_ios_secrets(&[IOS_SECRET, NEW_SECRET]));
    wait_until("the new secret verifies", 10, || async {
        ping_code(&app, NEW_SECRET).await == 200
    })
    .await;
    assert_eq!(
        ping_code(&app, IOS_SECRET).await,
        200,
        "old secret still verifies during rollout"
    );

    let metrics = app.metrics().await;
    assert!(
        metrics.contains(r#"yafgate_secret_slot_verifications_total{appid="ios_app_id",slot="1"}"#),
        "{metrics}"
    );

    app.write_apps(&apps_with_ios_secrets(&[NEW_SECRET]));
    wait_until("the old secret is refused", 10, || async {
        ping_code(&app, IOS_SECRET).await == 403
    })
    .await;
    removed.store(true, Ordering::Relaxed);
    assert_eq!(ping_code(&app, NEW_SECRET).await, 200);

    stop.store(true, Ordering::Relaxed);
    let ok = flow.await.expect("no unexpected code while rotating");
    assert!(ok > 0, "the flow made requests");
}

#[tokio::test]
async fn a_broken_apps_file_is_refused_and_the_previous_config_keeps_serving() {
    let app = spawn_app().await;
    app.write_apps("[apps.ios_app_id\nthis is not toml");
    wait_until("the reload is refused", 10, || async {
        app.state.metrics.reloads(false) >= 1
    })
    .await;
    assert_eq!(ping_code(&app, IOS_SECRET).await, 200);

    // Valid TOML that breaks a rule is refused too.
    app.write_apps("[apps.ios_app_id]\nname = \"x\"\ntype = \"app\"\nsecrets = [\"short\"]\n");
    wait_until("the second reload is refused", 10, || async {
        app.state.metrics.reloads(false) >= 2
    })
    .await;
    assert_eq!(ping_code(&app, IOS_SECRET).await, 200);
    let metrics = app.metrics().await;
    assert!(
        metrics.contains(r#"yafgate_config_reloads_total{result="error"} 2"#),
        "{metrics}"
    );

    // A good file afterwards is taken.
    app.write_apps(&apps_with_ios_secrets(&[NEW_SECRET]));
    wait_until("the good file is taken", 10, || async {
        ping_code(&app, NEW_SECRET).await == 200
    })
    .await;
}

#[tokio::test]
async fn a_broken_gateway_file_is_refused_too() {
    let app = spawn_app().await;
    // Out of range (1 s to 1 day).
    app.rewrite_settings(|s| config::set_timestamp_skew(s, Duration::from_secs(86_401)));
    wait_until("the reload is refused", 10, || async {
        app.state.metrics.reloads(false) >= 1
    })
    .await;
    assert_eq!(ping_code(&app, IOS_SECRET).await, 200);
}

#[tokio::test]
async fn policy_changes_apply_on_reload() {
    let app = spawn_app().await;
    // Narrow the timestamp window to 5 s, then send a request 60 s old.
    app.rewrite_settings(|s| config::set_timestamp_skew(s, Duration::from_secs(5)));
    wait_until("the reload is taken", 10, || async {
        app.state.metrics.reloads(true) >= 1
    })
    .await;
    let old = (app.state.clock.now() - 60).to_string();
    let env = app.call("system.ping", json!({"timestamp": old})).await;
    assert_code(&env, 507);

    // Disabling an appid takes effect the same way.
    app.write_apps(&default_apps().replacen(
        "[apps.ios_app_id]\n",
        "[apps.ios_app_id]\nenabled = false\n",
        1,
    ));
    wait_until("the appid is disabled", 10, || async {
        ping_code(&app, IOS_SECRET).await == 506
    })
    .await;
}

#[tokio::test]
async fn sighup_reloads_when_file_watching_is_off() {
    let mut settings = procs::process_settings(&procs::services().pg_url);
    settings.watch_config = false;
    let mut gateway = GatewayProcess::start(settings, &default_apps()).await;
    let remote = gateway.remote();
    let ping = |secret: &'static str| {
        let remote = remote.clone();
        async move {
            remote
                .try_call_as("ios_app_id", secret, "system.ping", json!({}))
                .await
                .map_or(0, |env| env["code"].as_i64().unwrap_or(0))
        }
    };
    wait_until("the gateway serves", 20, || async {
        ping(IOS_SECRET).await == 200
    })
    .await;

    gateway.write_apps(&apps_with_ios_secrets(&[NEW_SECRET]));
    assert_eq!(
        ping(NEW_SECRET).await,
        403,
        "no reload without SIGHUP when watching is off"
    );
    gateway.signal("HUP");
    wait_until("SIGHUP reloads", 10, || async {
        ping(NEW_SECRET).await == 200
    })
    .await;

    let status = gateway.terminate().await;
    assert!(status.success(), "{status:?}");
}
