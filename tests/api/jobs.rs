//! The timed jobs (docs/protocol.md §17): due-ness by the gateway's moved
//! clock, each record moved once when two instances run the same job, runs
//! visible in `job_runs` and `/metrics`.

use std::time::Duration;

use tokio_postgres::Client;
use yafgate::app::jobs::run_all;

use crate::helpers::config::Configure;
use crate::helpers::*;
use crate::machines::order;

const CLOSE: &str = "orders.close_unpaid";

/// A user to own the orders (no session needed). The seed's own orders
/// are removed first, so every order the jobs see is the test's.
async fn owner(db: &Client) -> i64 {
    db.execute("DELETE FROM orders", &[]).await.unwrap();
    db.query_one(
        "INSERT INTO users (open_id, mobile, password_hash, reg_platform) \
         VALUES (md5('jobs'), '13600000000', 'x', 1) RETURNING id",
        &[],
    )
    .await
    .unwrap()
    .get(0)
}

fn jobs_every(ms: u64, batch: i64) -> Configure {
    Box::new(move |s: &mut Settings| {
        s.jobs.enabled = true;
        s.jobs.interval_ms = Duration::from_millis(ms);
        s.jobs.batch_size = batch;
    })
}

fn jobs_off() -> Configure {
    Box::new(|s: &mut Settings| s.jobs.enabled = false)
}

async fn count(db: &Client, sql: &str) -> i64 {
    db.query_one(sql, &[]).await.unwrap().get(0)
}

#[tokio::test]
async fn two_instances_close_each_due_order_exactly_once() {
    // The demo orders go before any instance starts: their unpaid ones are
    // long due, and a job would close them first.
    let shared = crate::helpers::db::TestDb::create().await;
    let db = shared.client().await;
    let user = owner(&db).await;
    let a = spawn_app_with(Options {
        postgres_url: Some(shared.url.clone()),
        configure: vec![jobs_every(30, 7)],
        ..Options::default()
    })
    .await;
    let b = spawn_app_with(Options {
        postgres_url: Some(shared.url.clone()),
        redis_url: Some(a.redis_url().to_string()),
        redis_prefix: Some(a.redis_prefix().to_string()),
        configure: vec![jobs_every(30, 7)],
        ..Options::default()
    })
    .await;
    // 60 orders placed 20 minutes ago, 5 placed now, 3 paid long ago.
    for i in 0..60 {
        order(&a, &db, &format!("DUE-{i}"), user, 0, 20 * 60).await;
    }
    for i in 0..5 {
        order(&a, &db, &format!("NEW-{i}"), user, 0, 0).await;
    }
    for i in 0..3 {
        order(&a, &db, &format!("PAID-{i}"), user, 1, 86_400).await;
    }

    // 15 minutes on: the first 60 are 35 minutes old, past the 30 allowed.
    a.state.clock.advance(15 * 60);
    b.state.clock.advance(15 * 60);
    wait_until("the due orders are closed", 20, || async {
        count(
            &db,
            "SELECT count(*) FROM orders WHERE order_sn LIKE 'DUE-%' AND order_status = 0",
        )
        .await
            == 0
    })
    .await;
    // Both instances run at least once more after that, finding nothing.
    let runs = |app: &TestApp| count_runs(app);
    let (ra, rb) = (runs(&a), runs(&b));
    wait_until("both instances ran again", 10, || async {
        runs(&a) > ra + 1 && runs(&b) > rb + 1
    })
    .await;

    let per_order = count(
        &db,
        "SELECT count(*) FROM (SELECT record_id FROM status_transitions WHERE machine = 'order' \
         AND action = 'close' AND actor_kind = 'system' AND actor_id = 'orders.close_unpaid' \
         GROUP BY record_id HAVING count(*) = 1) once",
    )
    .await;
    assert_eq!(per_order, 60);
    assert_eq!(
        count(&db, "SELECT count(*) FROM status_transitions").await,
        60
    );
    let items = a.state.metrics.job_items(CLOSE) + b.state.metrics.job_items(CLOSE);
    assert_eq!(items, 60, "items counted across both instances");
    let moved = count(
        &db,
        "SELECT coalesce(sum(items), 0)::bigint FROM job_runs WHERE job = 'orders.close_unpaid'",
    )
    .await;
    assert_eq!(moved, 60);
    assert_eq!(
        count(&db, "SELECT count(DISTINCT instance) FROM job_runs").await,
        2,
        "both instances ran the job"
    );
    // Orders not yet due, and paid ones, are untouched.
    assert_eq!(
        count(&db, "SELECT count(*) FROM orders WHERE order_sn LIKE 'NEW-%' AND order_status = 0 AND closed_time IS NULL").await,
        5
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM orders WHERE order_sn LIKE 'PAID-%' AND order_status = 1"
        )
        .await,
        3
    );
    let text = a.metrics().await;
    assert!(
        text.contains(r#"yafgate_job_runs_total{job="orders.close_unpaid",result="ok"}"#),
        "{text}"
    );
    assert!(
        text.contains(r#"yafgate_job_last_run_timestamp_seconds{job="orders.close_unpaid"}"#),
        "{text}"
    );
}

/// Runs of the close job so far in `app` (from its metrics).
fn count_runs(app: &TestApp) -> u64 {
    let text = app.state.metrics.encode();
    text.lines()
        .find(|l| l.starts_with(r#"yafgate_job_runs_total{job="orders.close_unpaid",result="ok"}"#))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn jobs_run_on_demand_at_the_moved_clock_and_respect_their_thresholds() {
    let a = spawn_app_with(Options {
        configure: vec![jobs_off()],
        ..Options::default()
    })
    .await;
    let mut opts = second_instance_of(&a);
    opts.configure.push(jobs_off());
    let b = spawn_app_with(opts).await;
    let db = a.database.as_ref().unwrap().client().await;
    let user = owner(&db).await;
    for i in 0..30 {
        order(&a, &db, &format!("U-{i}"), user, 0, 10 * 60).await;
    }
    // Shipped 6 days ago: due on the 7th day.
    order(&a, &db, "S-1", user, 2, 6 * 86_400).await;

    // Nothing is due yet.
    let runs = run_all(&a.state, &a.settings).await;
    assert!(runs.iter().all(|r| r.ok && r.items == 0), "{runs:?}");

    // A day on, both instances run at once: 30 closed, 1 confirmed, once each.
    a.state.clock.advance(86_400);
    b.state.clock.advance(86_400);
    let (ra, rb) = tokio::join!(
        run_all(&a.state, &a.settings),
        run_all(&b.state, &b.settings)
    );
    let done = |job: &str| {
        ra.iter()
            .chain(&rb)
            .filter(|r| r.job == job)
            .map(|r| r.items)
            .sum::<u64>()
    };
    assert_eq!((done(CLOSE), done("orders.auto_confirm")), (30, 1));
    assert_eq!(
        count(&db, "SELECT count(*) FROM orders WHERE order_status = 4").await,
        30
    );
    assert_eq!(
        count(&db, "SELECT count(*) FROM orders WHERE order_sn = 'S-1' AND order_status = 3 AND done_time IS NOT NULL").await,
        1
    );
    assert_eq!(
        count(&db, "SELECT count(*) FROM status_transitions").await,
        31
    );
    assert_eq!(
        count(&db, "SELECT count(*) FROM job_runs WHERE result = 'ok'").await,
        3 * yafgate::registry().jobs().len() as i64,
        "three runs of every job"
    );
}
