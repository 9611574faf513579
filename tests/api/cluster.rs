//! Redis Cluster failover (docs/protocol.md §12.6): a master killed under
//! load is replaced by its replica; the gateway follows by itself, answers
//! only clean codes meanwhile, and a request token consumed before the
//! crash is never accepted again. The test runs its own cluster, so the
//! rest of the suite is undisturbed.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::json;

use crate::helpers::cluster::PrivateCluster;
use crate::helpers::load::{Tally, finish, load};
use crate::helpers::*;

const MOBILE: &str = "13612345678";
const PASSWORD: &str = "secret_123";

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
        Duration::from_secs(10),
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
    finish(tasks, &stop).await;
    assert_eq!(
        tally.other.load(Ordering::Relaxed),
        0,
        "only 200 or a plain 500 during a failover"
    );

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
