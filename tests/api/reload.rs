//! Hot reload of apps.toml and gateway.toml: secret rotation under load,
//! refused configs, SIGHUP.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
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

/// Where a secret rotation stands. The test moves it forward; each request
/// of the flow reads it before and after, and checks its answer against it.
const OLD_ONLY: usize = 0;
/// apps.toml lists both secrets; the gateway may not have reloaded yet.
const BOTH_WRITTEN: usize = 1;
/// The new secret verified: both are in force.
const BOTH_IN: usize = 2;
/// apps.toml lists only the new secret; the reload may be under way.
const REMOVAL_WRITTEN: usize = 3;
/// The old secret refused: only the new one is in force.
const NEW_ONLY: usize = 4;

/// The codes a ping signed with the old (or new) secret may get when it
/// was sent in phase `before` and answered in phase `after`.
fn allowed(old: bool, before: usize, after: usize) -> &'static [i64] {
    match (old, before, after) {
        // The old secret is configured from the start until its removal is written.
        (true, _, a) if a < REMOVAL_WRITTEN => &[200],
        (true, b, _) if b >= NEW_ONLY => &[403],
        // The new one from the moment it was seen to verify.
        (false, _, a) if a < BOTH_WRITTEN => &[403],
        (false, b, _) if b >= BOTH_IN => &[200],
        // A reload under way: either config may answer.
        _ => &[200, 403],
    }
}

#[tokio::test]
async fn a_secret_rotates_while_requests_flow() {
    let app = Arc::new(spawn_app().await);
    let phase = Arc::new(AtomicUsize::new(OLD_ONLY));
    let stop = Arc::new(AtomicBool::new(false));
    // Answers by phase (answered within one phase) and secret (0 old, 1 new).
    let answered: Arc<[[AtomicUsize; 2]; 5]> = Arc::default();
    let wrong = Arc::new(Mutex::new(Vec::<String>::new()));

    // Clients on both secrets keep calling throughout.
    let flow = {
        let (app, phase, stop) = (app.clone(), phase.clone(), stop.clone());
        let (answered, wrong) = (answered.clone(), wrong.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                for (i, secret) in [IOS_SECRET, NEW_SECRET].into_iter().enumerate() {
                    let before = phase.load(Ordering::SeqCst);
                    let code = ping_code(&app, secret).await;
                    let after = phase.load(Ordering::SeqCst);
                    let ok = allowed(i == 0, before, after);
                    if !ok.contains(&code) {
                        let which = ["old", "new"][i];
                        wrong.lock().unwrap().push(format!(
                            "{which} secret got {code} (phase {before}..{after}), expected one of {ok:?}"
                        ));
                    } else if before == after {
                        answered[after][i].fetch_add(1, Ordering::SeqCst);
                    }
                }
            }
        })
    };
    flow_reaches(OLD_ONLY, &answered, &wrong).await;

    phase.store(BOTH_WRITTEN, Ordering::SeqCst);
    app.write_apps(&apps_with_ios_secrets(&[IOS_SECRET, NEW_SECRET]));
    wait_until("the new secret verifies", 10, || async {
        ping_code(&app, NEW_SECRET).await == 200
    })
    .await;
    phase.store(BOTH_IN, Ordering::SeqCst);
    assert_eq!(
        ping_code(&app, IOS_SECRET).await,
        200,
        "old secret still verifies during rollout"
    );
    flow_reaches(BOTH_IN, &answered, &wrong).await;

    let metrics = app.metrics().await;
    assert!(
        metrics.contains(r#"yafgate_secret_slot_verifications_total{appid="ios_app_id",slot="1"}"#),
        "{metrics}"
    );

    phase.store(REMOVAL_WRITTEN, Ordering::SeqCst);
    app.write_apps(&apps_with_ios_secrets(&[NEW_SECRET]));
    wait_until("the old secret is refused", 10, || async {
        ping_code(&app, IOS_SECRET).await == 403
    })
    .await;
    phase.store(NEW_ONLY, Ordering::SeqCst);
    assert_eq!(ping_code(&app, NEW_SECRET).await, 200);
    flow_reaches(NEW_ONLY, &answered, &wrong).await;

    stop.store(true, Ordering::SeqCst);
    flow.await.expect("the flow ran to the end");
    assert_in_phase(&wrong);
}

/// Wait until the flow has had three answers on each secret within
/// `phase`; fail as soon as an answer came out of phase.
async fn flow_reaches(phase: usize, answered: &[[AtomicUsize; 2]; 5], wrong: &Mutex<Vec<String>>) {
    wait_until(&format!("the flow runs in phase {phase}"), 10, || async {
        !wrong.lock().unwrap().is_empty()
            || answered[phase]
                .iter()
                .all(|n| n.load(Ordering::SeqCst) >= 3)
    })
    .await;
    assert_in_phase(wrong);
}

fn assert_in_phase(wrong: &Mutex<Vec<String>>) {
    let wrong = wrong.lock().unwrap();
    assert!(
        wrong.is_empty(),
        "answers out of phase:\n{}",
        wrong.join("\n")
    );
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
    // The window in force is still the default 600 s: a request an hour
    // old, inside the refused file's window, is refused.
    let hour_old = (app.state.clock.now() - 3_600).to_string();
    let env = app
        .call("system.ping", json!({"timestamp": hour_old}))
        .await;
    assert_code(&env, 507);
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

/// Reloads counted in a /metrics text, whatever their result.
fn reloads_in(metrics: &str) -> u64 {
    metrics
        .lines()
        .filter(|l| l.starts_with("yafgate_config_reloads_total{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
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
    assert_eq!(ping(IOS_SECRET).await, 200);
    assert_eq!(reloads_in(&gateway.metrics().await), 0);

    gateway.write_apps(&apps_with_ios_secrets(&[NEW_SECRET]));
    // A watcher would reload within its 100 ms settle delay of the write
    // (plus the file event's own latency, milliseconds). Nothing can show
    // that no reload will ever come; watching the reload counter for ten
    // times the settle delay is the bounded stand-in.
    assert_never(
        "a reload without SIGHUP while watching is off",
        Duration::from_secs(1),
        || async { reloads_in(&gateway.metrics().await) > 0 },
    )
    .await;
    assert_eq!(
        ping(NEW_SECRET).await,
        403,
        "the new apps.toml is not in force without SIGHUP"
    );

    gateway.signal("HUP");
    wait_until("SIGHUP reloads", 10, || async {
        ping(NEW_SECRET).await == 200
    })
    .await;
    // The config is swapped in just before the reload is counted, so the
    // counter may trail the first answer by a moment: wait for it, then
    // require exactly one.
    let metrics = poll_until(
        "the SIGHUP reload is counted",
        10,
        || gateway.metrics(),
        |m| reloads_in(m) >= 1,
    )
    .await;
    let reload_lines: Vec<&str> = metrics
        .lines()
        .filter(|l| l.starts_with("yafgate_config_reloads_total"))
        .collect();
    assert!(
        metrics.contains(r#"yafgate_config_reloads_total{result="ok"} 1"#),
        "the counter watched above counts this reload: {reload_lines:?}"
    );

    let status = gateway.terminate().await;
    assert!(status.success(), "{status:?}");
}

/// A counter's value in a /metrics text (0 when absent).
fn counter_in(metrics: &str, name: &str) -> u64 {
    metrics
        .lines()
        .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
        .unwrap_or(0)
}

/// Writes made beside gateway.toml while requests flow.
const WRITES_BESIDE: usize = 300;

#[tokio::test]
async fn writes_beside_the_config_files_wake_no_watcher() {
    // Its log (one line per request, at info) is gateway.log in the folder
    // of gateway.toml and apps.toml, as in a deployment that keeps them
    // together.
    let mut gateway = GatewayProcess::start_with(
        procs::process_settings(&procs::services().pg_url),
        &default_apps(),
        procs::Launch::default()
            .env("RUST_LOG", "info")
            .log_to_file(),
    )
    .await;
    let remote = gateway.remote();
    let mut notes = std::fs::File::create(gateway.dir.path().join("notes.txt")).unwrap();
    for i in 0..WRITES_BESIDE {
        std::io::Write::write_all(&mut notes, format!("note {i}\n").as_bytes()).unwrap();
        if i % 10 == 0 {
            assert_code(&remote.call("system.ping", json!({})).await, 200);
        }
    }
    drop(notes);
    // The folder's events are queued in order: once a change to apps.toml
    // made after them has been reloaded, every earlier one was delivered.
    gateway.write_apps(&default_apps());
    wait_until("the apps.toml change is reloaded", 10, || async {
        reloads_in(&gateway.metrics().await) >= 1
    })
    .await;
    let metrics = gateway.metrics().await;
    assert_eq!(
        reloads_in(&metrics),
        1,
        "only apps.toml reloads:\n{metrics}"
    );
    // The rename that replaced apps.toml, and the reload reading both
    // files, are a handful of events; a watch on the folder would have
    // seen each write beside them as well (hundreds).
    let events = counter_in(&metrics, "yafgate_config_watch_events_total");
    assert!(
        (1..=8).contains(&events),
        "{events} watcher events for one config change and {WRITES_BESIDE} writes beside it"
    );
    let status = gateway.terminate().await;
    assert!(status.success(), "{status:?}");
}

#[tokio::test]
async fn a_config_file_removed_and_written_again_is_still_watched() {
    let app = spawn_app().await;
    let apps = app.config_path("apps.toml");
    std::fs::remove_file(&apps).unwrap();
    // The reload after the removal is refused (no apps.toml); by then the
    // folder is watched for the file's return.
    wait_until("the removal is seen", 10, || async {
        app.state.metrics.reloads(false) >= 1
    })
    .await;
    assert_eq!(ping_code(&app, IOS_SECRET).await, 200);
    std::fs::write(&apps, apps_with_ios_secrets(&[NEW_SECRET])).unwrap();
    wait_until("the file written again is taken", 10, || async {
        ping_code(&app, NEW_SECRET).await == 200
    })
    .await;
    // And it is watched as a file again: a change in place is taken.
    std::fs::write(&apps, apps_with_ios_secrets(&[IOS_SECRET])).unwrap();
    wait_until("the change in place is taken", 10, || async {
        ping_code(&app, NEW_SECRET).await == 403
    })
    .await;
}
