//! PostgreSQL through PgBouncer in transaction mode (docs/protocol.md
//! §24.1): named statements break there, the gateway's unnamed ones do
//! not, and a silent connection to the pooler leaves the pool (§24.4).
//! These tests need PgBouncer: they are ignored by a plain `cargo test`,
//! and `make test-pg-scale` (part of `make test`) starts PgBouncer and runs
//! them with `--include-ignored`; run without `YAFGATE_TEST_PGBOUNCER` they
//! fail, saying how to run them.

use std::sync::Arc;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use serde_json::json;
use yafgate::stores::db::{Db, Mode};

use crate::helpers::db::{TestDb, url_with_db};
use crate::helpers::freezer::{self, Freezer};
use crate::helpers::*;

/// More gateway connections than PgBouncer lends server connections
/// (`default_pool_size = 8` in scripts/services), so consecutive
/// transactions of one client land on different servers.
const CLIENTS: usize = 16;
const ROUNDS: usize = 20;
/// The hammer's answer deadline: far past any of its statements (this
/// test is about statement names; §24.4's deadline has its own below).
const ANSWER_WITHIN: std::time::Duration = std::time::Duration::from_secs(60);

/// The PgBouncer of `scripts/services pgbouncer start`.
///
/// # Panics
/// Without `YAFGATE_TEST_PGBOUNCER`: the test cannot run, and says how to.
fn bouncer() -> String {
    std::env::var("YAFGATE_TEST_PGBOUNCER").unwrap_or_else(|_| {
        panic!(
            "YAFGATE_TEST_PGBOUNCER is unset: this test needs PgBouncer; run `make test-pg-scale` \
             (or `eval \"$(scripts/services pgbouncer env)\"` after `scripts/services pgbouncer start`)"
        )
    })
}

fn pool(url: &str) -> Pool {
    let cfg: tokio_postgres::Config = url.parse().unwrap();
    let manager = Manager::from_config(
        cfg,
        tokio_postgres::NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager).max_size(CLIENTS).build().unwrap()
}

/// Every client runs `ROUNDS` cached statements, each in its own
/// transaction as the pooler sees it; the errors seen.
async fn hammer(pool: &Pool, mode: Mode) -> Vec<String> {
    let errors = Arc::new(std::sync::Mutex::new(Vec::new()));
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|i| {
            let (pool, mode, errors) = (pool.clone(), mode.clone(), errors.clone());
            tokio::spawn(async move {
                let db = Db::new(pool.get().await.unwrap(), mode, ANSWER_WITHIN);
                for round in 0..ROUNDS {
                    let n = (i * ROUNDS + round) as i64;
                    let got = async {
                        let stmt = db
                            .prepare_cached("SELECT $1::bigint + id FROM news WHERE id = $2")
                            .await?;
                        let row = db.query_one(&stmt, &[&n, &1_i64]).await?;
                        Ok::<i64, yafgate::stores::db::DbError>(row.get(0))
                    }
                    .await;
                    match got {
                        Ok(v) => assert_eq!(v, n + 1),
                        Err(e) => errors.lock().unwrap().push(format!("{e:?}")),
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    Arc::try_unwrap(errors).unwrap().into_inner().unwrap()
}

#[tokio::test]
#[ignore = "needs PgBouncer: make test-pg-scale runs it"]
async fn named_statements_break_through_pgbouncer_and_unnamed_ones_do_not() {
    let bouncer = bouncer();
    let db = TestDb::create().await;
    let pool = pool(&url_with_db(&bouncer, &db.name));

    let named = hammer(&pool, Mode::Named).await;
    assert!(
        named.iter().any(|e| e.contains("prepared statement")),
        "named statements through a transaction pooler should meet the classic failure: {named:?}"
    );

    let fresh = self::pool(&url_with_db(&bouncer, &db.name));
    let unnamed = hammer(&fresh, Mode::unnamed(64)).await;
    assert!(unnamed.is_empty(), "{unnamed:?}");
}

#[tokio::test]
#[ignore = "needs PgBouncer: make test-pg-scale runs it"]
async fn a_gateway_behind_pgbouncer_serves_parallel_writes_and_reads() {
    bouncer();
    // test_settings sends the pool through PgBouncer (helpers/config.rs).
    let app = spawn_app().await;
    let token = app.register_token("13900000043", "secret_123").await;
    let calls: Vec<_> = (0..30)
        .map(|n| {
            let token = token.as_str();
            let app = &app;
            async move {
                app.call_with_token("notice.detail", token, json!({"noticeid": 1 + n % 3}))
                    .await
            }
        })
        .collect();
    for env in futures_util::future::join_all(calls).await {
        assert_code(&env, 200);
    }
    let unread = app
        .call_with_token("notice.unread.count", &token, json!({}))
        .await;
    assert_code(&unread, 200);
    let rows = db_count(&app, "SELECT count(*) FROM notice_reads r JOIN users u ON u.id = r.user_id WHERE u.mobile = '13900000043'").await;
    assert_eq!(
        rows, 3,
        "each notice read once, whatever the parallel reads"
    );
}

async fn db_count(app: &TestApp, sql: &str) -> i64 {
    let client = app.database.as_ref().unwrap().client().await;
    client.query_one(sql, &[]).await.unwrap().get(0)
}

/// A connection to PgBouncer that the network stops carrying (§24.4): its
/// call fails with the plain 500 a second past `statement_timeout_ms` and
/// it is closed, as on a direct connection; the pool serves again at once.
#[tokio::test]
#[ignore = "needs PgBouncer: make test-pg-scale runs it"]
async fn a_silent_connection_to_pgbouncer_fails_one_call_and_leaves_the_pool() {
    let bouncer = bouncer();
    let db = TestDb::create().await;
    let freezer = Freezer::start_to(Freezer::POOL, &bouncer).await;
    let pool_url = freezer.url(&db.name);
    let direct = url_with_db(&crate::helpers::procs::services().pg_url, &db.name);
    let app = spawn_app_with(Options {
        postgres_url: Some(direct),
        ..Options::configure(move |s| {
            s.postgres.pool_url = Some(yafgate::config::values::Secret::new(pool_url));
            freezer::short_deadlines(s);
        })
    })
    .await;
    let token = app.register_token("13900000044", "secret_123").await;
    freezer::a_frozen_pool_fails_one_call_per_connection(&app, &freezer, &token, 4).await;
}
