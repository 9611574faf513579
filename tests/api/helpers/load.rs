//! Background load for the fault and failover tests: workers calling one
//! method until told to stop, tallying the answers by kind.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

use super::TestApp;

/// Codes seen by a background load, by kind.
#[derive(Default)]
pub struct Tally {
    pub ok: AtomicUsize,
    pub internal: AtomicUsize,
    pub other: AtomicUsize,
}

/// Call `method` from `workers` tasks until `stop`, tallying the answers.
/// Every answer must come within `within` and be a well-formed envelope; a
/// 500 must carry only the plain message.
pub fn load(
    app: &Arc<TestApp>,
    workers: usize,
    (method, params): (&'static str, Value),
    within: Duration,
    stop: &Arc<AtomicBool>,
    tally: &Arc<Tally>,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..workers)
        .map(|_| {
            let (app, stop, tally, params) =
                (app.clone(), stop.clone(), tally.clone(), params.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let env = tokio::time::timeout(within, app.call(method, params.clone()))
                        .await
                        .expect("an answer in time under load");
                    match env["code"].as_i64() {
                        Some(200) => tally.ok.fetch_add(1, Ordering::Relaxed),
                        Some(500) => {
                            assert_eq!(env, json!({"code": 500, "msg": "服务器繁忙，请稍后重试"}));
                            tally.internal.fetch_add(1, Ordering::Relaxed)
                        }
                        _ => tally.other.fetch_add(1, Ordering::Relaxed),
                    };
                }
            })
        })
        .collect()
}

/// Stop the load and wait for every worker: none failed or hung.
pub async fn finish(tasks: Vec<tokio::task::JoinHandle<()>>, stop: &AtomicBool) {
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await
            .expect("no load task failed (a hang would time out the client)");
    }
}
