//! The shared, pipelined read connections (`postgres.shared_reads`,
//! docs/protocol.md §24.3): many concurrent order.list calls of two users
//! pipelined on them each get their own user's answer, and a shared
//! connection that PostgreSQL drops fails no request.

use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::helpers::freezer::{self, Freezer};
use crate::helpers::*;

/// The demo users' order lists under a few filters: (user, params).
fn cases() -> Vec<(usize, Value)> {
    vec![
        (0, json!({"page": 1})),
        (1, json!({"page": 1})),
        (0, json!({"order_status": 2, "page": 1})),
        (0, json!({"order_sn": "SN202003140000000001", "page": 1})),
        (1, json!({"order_status": -1, "page": 1000})),
        (
            0,
            json!({"start_time": "2020-03-15 00:00:00", "end_time": "2020-03-15 23:59:59", "page": 1}),
        ),
    ]
}

async fn tokens(app: &TestApp) -> [String; 2] {
    [
        app.login_token("13800138000", "demo123456").await,
        app.login_token("13900139000", "demo123456").await,
    ]
}

/// Each case's answer, one call at a time.
async fn expected(app: &TestApp, tokens: &[String; 2]) -> Vec<Value> {
    let mut out = Vec::new();
    for (user, params) in cases() {
        let env = app
            .call_with_token("order.list", &tokens[user], params)
            .await;
        assert_code(&env, 200);
        out.push(env);
    }
    out
}

/// Whether the app's shared connections are all open; `None` when it has
/// none (through a pooler they are off).
fn all_open(app: &TestApp) -> Option<bool> {
    app.state.stores.shared_reads().map(|s| {
        let (open, _, max) = s.status();
        open == max
    })
}

/// `n` order.list calls at once, the cases interleaved: (call, answer).
async fn call_cases(app: &TestApp, tokens: &[String; 2], n: usize) -> Vec<(usize, Value)> {
    let calls = (0..n).map(|i| {
        let (user, params) = cases()[i % cases().len()].clone();
        let token = &tokens[user];
        async move { (i, app.call_with_token("order.list", token, params).await) }
    });
    join_all(calls).await
}

/// Each call got the answer of the same call made alone.
fn assert_own_answers(answers: &[(usize, Value)], want: &[Value], what: &str) {
    for (i, got) in answers {
        assert_eq!(got, &want[i % want.len()], "{what}, call {i}");
    }
}

/// Wait until the shared connections are open again and answer calls.
async fn serving_again(app: &TestApp, tokens: &[String; 2], want: &[Value]) {
    let shared = app.state.stores.shared_reads().expect("configured");
    poll_until(
        "the shared connections open again and serving",
        10,
        || async {
            let before = shared.served();
            let env = app
                .call_with_token("order.list", &tokens[0], json!({"page": 1}))
                .await;
            assert_eq!(env, want[0]);
            all_open(app) == Some(true) && shared.served() > before
        },
        |ok| *ok,
    )
    .await;
}

#[tokio::test]
async fn concurrent_order_lists_of_two_users_each_get_their_own_answer() {
    let app = spawn_app().await;
    let tokens = tokens(&app).await;
    let Some(_) = all_open(&app) else {
        // Through PgBouncer (make test-pg-scale) there are none, by design:
        // everything reads through the pool, and must still be right.
        assert!(
            std::env::var("YAFGATE_TEST_PGBOUNCER").is_ok(),
            "shared reads are on by default, off only through a pooler"
        );
        expected(&app, &tokens).await;
        return;
    };
    let want = expected(&app, &tokens).await;
    shared_reads_open(&app).await;
    let shared = app.state.stores.shared_reads().expect("configured");
    let before = shared.served();

    // 300 calls at once, the cases interleaved: their statements queue on
    // the two connections together.
    let answers = call_cases(&app, &tokens, 300).await;
    assert_own_answers(&answers, &want, "under load");
    assert_eq!(
        shared.served() - before,
        300,
        "every call was answered on a shared connection"
    );
}

#[tokio::test]
async fn a_shared_connection_dropped_by_postgres_fails_no_request() {
    let app = spawn_app().await;
    if app.state.stores.shared_reads().is_none() {
        return; // through a pooler: none to drop (see the test above)
    }
    let tokens = tokens(&app).await;
    let want = expected(&app, &tokens).await;
    shared_reads_open(&app).await;
    let db = app.database.as_ref().expect("its own database");
    let admin = db.client().await;
    let terminate = format!(
        "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = '{}' AND application_name = 'yafgate reads') t",
        db.name
    );

    // Terminated while calls are in flight, twice: every call still gets
    // its own answer (through the pool while the connections are down).
    for round in 0..2 {
        let kill = async {
            let n: i64 = admin.query_one(&terminate, &[]).await.unwrap().get(0);
            n
        };
        let (answers, killed) = tokio::join!(call_cases(&app, &tokens, 120), kill);
        assert_eq!(killed, 2, "round {round}: both shared connections were up");
        assert_own_answers(&answers, &want, &format!("round {round}"));
        // They come back by themselves, and serve again.
        serving_again(&app, &tokens, &want).await;
    }
}

#[tokio::test]
async fn a_shared_connection_keeps_a_bounded_number_of_statements() {
    let app = spawn_app().await;
    let Some(shared) = app.state.stores.shared_reads() else {
        return; // through a pooler: none
    };
    let stores = &app.state.stores;
    stores.pg_rows("SELECT 1", &[]).await.unwrap();
    shared_reads_open(&app).await;
    // More distinct texts than a connection keeps (1024): every one is
    // still answered, and the cache stops growing at its bound.
    for i in 0..1100_i64 {
        let sql = format!("SELECT $1::bigint + {i}");
        let rows = stores.pg_rows(&sql, &[&1_i64]).await.unwrap();
        assert_eq!(rows[0].get::<_, i64>(0), 1 + i, "{sql}");
    }
    let kept = shared.cached_statements();
    assert!((1..=1024).contains(&kept), "{kept} statements kept");
}

#[tokio::test]
async fn a_shared_connection_that_stops_answering_is_replaced_and_fails_no_request() {
    if std::env::var("YAFGATE_TEST_PGBOUNCER").is_ok() {
        return; // through a pooler there are no shared connections
    }
    let (_db, freezer, app) =
        freezer::app_behind(Freezer::SHARED_READS, freezer::short_statements).await;
    let tokens = tokens(&app).await;
    let want = expected(&app, &tokens).await;
    shared_reads_open(&app).await;

    // Both shared connections stop answering, without a reset. Every call
    // still gets its own answer: its statement waits out the statement
    // timeout and a second, then goes through the pool.
    freezer.freeze();
    let answers = call_cases(&app, &tokens, 12).await;
    assert_own_answers(&answers, &want, "frozen");
    // The stuck connections are replaced by new ones, which serve.
    serving_again(&app, &tokens, &want).await;
}
