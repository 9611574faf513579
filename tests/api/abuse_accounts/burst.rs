//! Item 2: a burst of password work against a `yafgate serve` process
//! leaves its memory bounded and its public reads fast.

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use serde_json::json;

use super::{WRONG, only_codes};
use crate::helpers::procs;
use crate::helpers::*;

/// Sequential news.detail calls from a thread and runtime of their own (so
/// the burst's client work does not delay them) until `stop`, at least
/// `min` of them: the p50 latency and how many were not 200.
fn news_probe(
    url: String,
    min: usize,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> std::thread::JoinHandle<(Duration, usize)> {
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let remote = Remote::new(url);
            let (mut times, mut bad) = (Vec::new(), 0);
            while times.len() < min || !stop.load(std::sync::atomic::Ordering::Acquire) {
                let t = Instant::now();
                let env = remote.call("news.detail", json!({"news_id": 1})).await;
                times.push(t.elapsed());
                if env["code"] != 200 {
                    bad += 1;
                }
            }
            times.sort();
            (times[times.len() / 2], bad)
        })
    })
}

#[tokio::test]
async fn a_burst_of_password_work_stays_within_memory_and_reads_stay_fast() {
    const USERS: usize = 150;
    let db = crate::helpers::db::TestDb::create().await;
    let pg = db.client().await;
    // 150 accounts with the demo password's hash (no hashing needed).
    pg.batch_execute(&format!(
        "INSERT INTO users (open_id, mobile, nickname, password_hash, reg_platform) \
         SELECT md5(g::text), '1370000' || lpad(g::text, 4, '0'), 'u', \
         (SELECT password_hash FROM users WHERE id = 1), 1 FROM generate_series(1, {USERS}) g"
    ))
    .await
    .unwrap();
    let gateway = procs::measured_gateway(&db.url, |settings| {
        settings.guards.password_workers = 1;
        // The burst's account lookups must not time out on the test's small
        // pool, nor its store calls on a machine the burst saturates (a CI
        // run once saw a 1 s stall: pool connections to PgBouncer not made
        // within a 1 s connect timeout, Redis commands past 1 s): this test
        // is about password work, not the stores' deadlines.
        settings.postgres.pool_size = 16;
        config::set_postgres_timeouts(settings, Duration::from_secs(5), Duration::from_secs(10));
        settings.redis.command_timeout_ms = Duration::from_secs(5);
    })
    .await;
    let remote = gateway.remote();
    let token = remote
        .call(
            "user.login",
            json!({"mobile": "13800138000", "login_type": 2, "password": "demo123456"}),
        )
        .await["data"]["token"]
        .as_str()
        .unwrap()
        .to_string();
    let stopped = || std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let (baseline, _) = news_probe(gateway.url(), 40, stopped()).join().unwrap();
    let rss_before = gateway.peak_rss_kib();

    let logins = (0..USERS).map(|i| {
        remote.call(
            "user.login",
            json!({"mobile": format!("1370000{:04}", i + 1), "login_type": 2, "password": "wrong-one"}),
        )
    });
    let one_mobile = (0..USERS).map(|_| {
        remote.call(
            "user.login",
            json!({"mobile": "13900139000", "login_type": 2, "password": "wrong-two"}),
        )
    });
    let edits = (0..96).map(|_| {
        remote.call(
            "user.pwd.edit",
            json!({"token": token, "old_pwd": "wrong-three", "new_pwd": "whatever-1"}),
        )
    });
    let burst = async {
        let (a, b, c) = tokio::join!(join_all(logins), join_all(one_mobile), join_all(edits));
        a.into_iter().chain(b).chain(c).collect::<Vec<_>>()
    };
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let probe = news_probe(gateway.url(), 10, stop.clone());
    let answers = burst.await;
    stop.store(true, std::sync::atomic::Ordering::Release);
    let (during, bad) = probe.join().unwrap();
    let peak = gateway.peak_rss_kib();
    println!(
        "news.detail p50 {baseline:?} before, {during:?} during; peak RSS {rss_before} KiB before, {peak} KiB after"
    );
    only_codes(&answers, &[503, 511, 607]);
    for e in answers.iter().filter(|e| e["code"] == 503) {
        let m = e["msg"].as_str().unwrap();
        assert!(
            [WRONG, "旧密码不正确", "系统繁忙，请稍后再试"].contains(&m),
            "{e}"
        );
    }
    assert_eq!(bad, 0);
    assert!(peak < 128 * 1024, "peak RSS {peak} KiB");
    assert!(
        during <= baseline * 5 + Duration::from_millis(10),
        "news.detail p50 went from {baseline:?} to {during:?}"
    );
}
