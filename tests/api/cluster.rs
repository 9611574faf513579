//! Redis Cluster failover (docs/protocol.md §12.6): a master killed under
//! load is replaced by its replica; the gateway follows by itself, answers
//! only clean codes meanwhile, and a request token consumed before the
//! crash is never accepted again. The test runs its own cluster, so the
//! rest of the suite is undisturbed.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::cluster::PrivateCluster;
use crate::helpers::*;

const MOBILE: &str = "13612345678";
const PASSWORD: &str = "secret_123";

#[derive(Default)]
struct Tally {
    ok: AtomicUsize,
    internal: AtomicUsize,
}

/// Call `method` from `workers` tasks until `stop`. Every answer within
/// 10 s (no hang), and either a success or the plain 500.
fn load(
    app: &Arc<TestApp>,
    workers: usize,
    (method, params): (&'static str, Value),
    stop: &Arc<AtomicBool>,
    tally: &Arc<Tally>,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..workers)
        .map(|_| {
            let (app, stop, tally, params) =
                (app.clone(), stop.clone(), tally.clone(), params.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let env = tokio::time::timeout(
                        Duration::from_secs(10),
                        app.call(method, params.clone()),
                    )
                    .await
                    .expect("an answer within 10 s during the failover");
                    match env["code"].as_i64() {
                        Some(200) => tally.ok.fetch_add(1, Ordering::Relaxed),
                        Some(500) => {
                            assert_eq!(env, json!({"code": 500, "msg": "服务器繁忙，请稍后重试"}));
                            tally.internal.fetch_add(1, Ordering::Relaxed)
                        }
                        _ => panic!("only 200 or a plain 500 during a failover: {env}"),
                    };
                }
            })
        })
        .collect()
}

#[tokio::test]
async fn a_master_killed_under_load_fails_over_and_a_used_token_stays_used() {
    let mut cluster = PrivateCluster::start().await;
    let nodes = cluster.nodes();
    let app = Arc::new(
        spawn_app_with(Options::configure(move |s| {
            s.redis.cluster_nodes = nodes;
            s.request_token.require = vec!["user.pwd.edit".into()];
        }))
        .await,
    );
    let code = app.sms_code(MOBILE, "USER_REGISTER_CODE").await;
    let reg = app
        .call(
            "user.register",
            json!({"mobile": MOBILE, "password": PASSWORD, "code": code}),
        )
        .await;
    assert_code(&reg, 200);
    let session = reg["data"]["token"].as_str().unwrap().to_string();
    let tokens = app
        .call_with_token("system.request.token", &session, json!({"number": 2}))
        .await;
    let token = |i: usize| tokens["data"]["tokens"][i].as_str().unwrap().to_string();
    let (used, unused) = (token(0), token(1));
    let edit = |t: String| {
        app.call_with_token(
            "user.pwd.edit",
            &session,
            json!({"old_pwd": PASSWORD, "new_pwd": PASSWORD, "req_token": t}),
        )
    };

    // The consumption is acknowledged by a replica before the answer.
    let master = cluster.master_of(&format!("{}rt:{used}", app.redis_prefix()));
    let waits = cluster.calls(master, "wait");
    assert_code(&edit(used.clone()).await, 200);
    assert!(
        cluster.calls(master, "wait") > waits,
        "WAIT ran on the token's master"
    );

    let (stop, tally) = (Arc::new(AtomicBool::new(false)), Arc::new(Tally::default()));
    let tasks = load(
        &app,
        6,
        ("system.request.token", json!({"number": 3})),
        &stop,
        &tally,
    );
    wait_until("load flows", 10, || async {
        tally.ok.load(Ordering::Relaxed) > 20
    })
    .await;

    cluster.kill(master);
    cluster.wait_failover(30).await;
    let before = tally.ok.load(Ordering::Relaxed);
    wait_until("requests succeed again without a restart", 20, || async {
        tally.ok.load(Ordering::Relaxed) > before + 20
    })
    .await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.expect("no load task failed or hung");
    }

    // The token used before the crash stays used on the promoted replica:
    // never a 200, and a 503 once its slot answers (a plain 500 while the
    // client still learns the new topology is allowed).
    wait_until("the used token's slot answers", 20, || async {
        let env = edit(used.clone()).await;
        assert_ne!(env["code"], 200, "a used token accepted after the failover");
        env["code"] != 500
    })
    .await;
    assert_code(&edit(used).await, 503);
    assert_code(&edit(unused.clone()).await, 200);
    assert_code(&edit(unused).await, 503);
    assert_code(
        &app.call_with_token("user.detail", &session, json!({}))
            .await,
        200,
    );
    eprintln!(
        "failover: {} ok, {} plain 500s under load",
        tally.ok.load(Ordering::Relaxed),
        tally.internal.load(Ordering::Relaxed)
    );
}
