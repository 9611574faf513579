//! Public read-mostly answers read from a streaming replica when
//! `postgres.read_url` is set; writes and a user's reads of what they just
//! wrote stay on the primary (docs/protocol.md §24). It needs the replica
//! of `scripts/services replica start`: ignored by a plain `cargo test`,
//! run by `make test-pg-scale` (part of `make test`) with
//! `--include-ignored`; without `YAFGATE_TEST_PG_REPLICA` it fails, saying
//! how to run it.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use yafgate::config::settings::Secret;

use crate::helpers::config::set_cache_ttl;
use crate::helpers::db::url_with_db;
use crate::helpers::*;

/// The most a replica read may lag a primary write on this loopback
/// replica (docs/protocol.md §24.2 gives the figure; the cache adds its
/// TTL, turned off here). `make test` runs this test alone, after the
/// others: their CREATE and DROP DATABASE churn makes replay trail by
/// seconds, a backlog the setup wait below absorbs.
const STALENESS: u64 = 5;
/// Until the replica has replayed our CREATE DATABASE (and whatever the
/// tests before wrote).
const SETUP: u64 = 120;

/// The replica of `scripts/services replica start`.
///
/// # Panics
/// Without `YAFGATE_TEST_PG_REPLICA`: the test cannot run, and says how to.
fn replica_url() -> String {
    std::env::var("YAFGATE_TEST_PG_REPLICA").unwrap_or_else(|_| {
        panic!(
            "YAFGATE_TEST_PG_REPLICA is unset: this test needs the replica; run `make test-pg-scale` \
             (or `eval \"$(scripts/services replica env)\"` after `scripts/services replica start`)"
        )
    })
}

async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    tokio::spawn(conn);
    client
}

/// Pauses WAL replay on the replica; resumes it when dropped, even when
/// the test fails, so the replica keeps serving the other tests.
struct Paused(String);

impl Paused {
    async fn new(url: &str) -> Self {
        connect(url)
            .await
            .batch_execute("SELECT pg_wal_replay_pause()")
            .await
            .expect("pausing replay");
        Self(url.to_string())
    }
}

impl Drop for Paused {
    fn drop(&mut self) {
        let _ = std::process::Command::new("psql")
            .args([self.0.as_str(), "-qc", "SELECT pg_wal_replay_resume()"])
            .status();
    }
}

async fn article(app: &TestApp, id: i64) -> Value {
    app.call("news.detail", json!({"news_id": id})).await
}

async fn unread(app: &TestApp, token: &str) -> i64 {
    app.call_with_token("notice.unread.count", token, json!({}))
        .await["data"]["count"]
        .as_i64()
        .expect("a count")
}

#[tokio::test]
#[ignore = "needs the PostgreSQL replica: make test-pg-scale runs it"]
async fn public_reads_come_from_the_replica_and_a_users_own_from_the_primary() {
    let replica = replica_url();
    let app = spawn_app_with(Options::configure(move |s| {
        let db = s
            .postgres
            .url
            .expose()
            .rsplit_once('/')
            .unwrap()
            .1
            .to_string();
        s.postgres.read_url = Some(Secret::new(url_with_db(&replica, &db)));
        set_cache_ttl(s, Duration::ZERO);
    }))
    .await;
    let db = app.database.as_ref().unwrap();
    let on_replica = url_with_db(&std::env::var("YAFGATE_TEST_PG_REPLICA").unwrap(), &db.name);
    // The replica has replayed CREATE DATABASE once it lets us in.
    wait_until("the test database reached the replica", SETUP, || async {
        tokio_postgres::connect(&on_replica, tokio_postgres::NoTls)
            .await
            .is_ok()
    })
    .await;
    let token = app.register_token("13900000042", "secret_123").await;
    assert_code(&article(&app, 1).await, 200);

    let paused = Paused::new(&on_replica).await;
    let primary = db.client().await;
    primary
        .batch_execute(
            "INSERT INTO news (id, cat_id, title, intro, image_url, source, content, display, publish_time) \
             VALUES (9001, 2, 'replica', 'replica', '', 'test', '<p>replica</p>', TRUE, now() - interval '1 minute')",
        )
        .await
        .unwrap();
    // A public answer reads from the replica, which has not seen the row.
    assert_code(&article(&app, 9001).await, 404);
    // A user's own write is read back from the primary at once.
    let before = unread(&app, &token).await;
    assert_code(
        &app.call_with_token("notice.detail", &token, json!({"noticeid": 1}))
            .await,
        200,
    );
    assert_eq!(unread(&app, &token).await, before - 1);

    drop(paused);
    let resumed = Instant::now();
    wait_until("the replica serves the new article", STALENESS, || async {
        article(&app, 9001).await["code"] == 200
    })
    .await;
    eprintln!(
        "replica caught up {:?} after replay resumed",
        resumed.elapsed()
    );
}
