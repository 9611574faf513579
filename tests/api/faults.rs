//! Faults (issue: load and faults): each test runs its own PostgreSQL or
//! Redis and stops it under load, or freezes its own connections to the
//! project's PostgreSQL through a proxy, so the rest of the suite is
//! undisturbed.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::json;

use crate::helpers::freezer::{self, Freezer};
use crate::helpers::load::{Tally, finish, load};
use crate::helpers::procs::{self, GatewayProcess, PrivatePostgres, PrivateRedis};
use crate::helpers::wire::{self, Encoding};
use crate::helpers::*;

const MOBILE: &str = "13612345678";
const PASSWORD: &str = "secret_123";
/// The test client's own timeout: a hung call fails there first.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(30);

#[tokio::test]
async fn redis_stopping_under_load_gives_500s_then_recovers_without_restart() {
    let mut redis = PrivateRedis::start().await;
    let app = Arc::new(
        spawn_app_with(Options {
            redis_url: Some(redis.url()),
            ..Options::default()
        })
        .await,
    );
    let (stop, tally) = (Arc::new(AtomicBool::new(false)), Arc::new(Tally::default()));
    let tasks = load(
        &app,
        8,
        ("system.request.token", json!({"number": 1})),
        CLIENT_TIMEOUT,
        &stop,
        &tally,
    );
    wait_until("load flows", 10, || async {
        tally.ok.load(Ordering::Relaxed) > 20
    })
    .await;

    redis.kill();
    wait_until("requests fail with 500 while redis is down", 15, || async {
        tally.internal.load(Ordering::Relaxed) > 20
    })
    .await;
    assert_eq!(app.get("/readyz").await.status(), 503);
    assert_code(&app.call("system.ping", json!({})).await, 200);

    redis.resume().await;
    let before = tally.ok.load(Ordering::Relaxed);
    wait_until("requests succeed again", 15, || async {
        tally.ok.load(Ordering::Relaxed) > before + 20
    })
    .await;
    finish(tasks, &stop).await;
    assert_eq!(tally.other.load(Ordering::Relaxed), 0, "only 200 or 500");
    assert_eq!(app.get("/readyz").await.status(), 200);
}

#[tokio::test]
async fn postgres_stopping_under_load_gives_500s_then_recovers_without_restart() {
    let mut pg = PrivatePostgres::start().await;
    let app = Arc::new(
        spawn_app_with(Options {
            postgres_url: Some(pg.url("yafgate")),
            ..Options::default()
        })
        .await,
    );
    let token = app.login_token("13800138000", "demo123456").await;
    let (stop, tally) = (Arc::new(AtomicBool::new(false)), Arc::new(Tally::default()));
    // A session call with a business query (user.detail needs no
    // PostgreSQL: docs/protocol.md §8.8).
    let tasks = load(
        &app,
        8,
        ("order.list", json!({"token": token})),
        CLIENT_TIMEOUT,
        &stop,
        &tally,
    );
    wait_until("load flows", 10, || async {
        tally.ok.load(Ordering::Relaxed) > 20
    })
    .await;

    pg.crash();
    wait_until(
        "requests fail with 500 while postgres is down",
        15,
        || async { tally.internal.load(Ordering::Relaxed) > 20 },
    )
    .await;
    assert_eq!(
        app.get("/readyz").await.text().await.unwrap(),
        r#"{"postgres":"down","redis":"up"}"#
    );

    pg.resume().await;
    let before = tally.ok.load(Ordering::Relaxed);
    wait_until("requests succeed again", 20, || async {
        tally.ok.load(Ordering::Relaxed) > before + 20
    })
    .await;
    finish(tasks, &stop).await;
    assert_eq!(tally.other.load(Ordering::Relaxed), 0, "only 200 or 500");
}

#[tokio::test]
async fn tokens_and_codes_are_never_accepted_twice_across_a_redis_restart() {
    let mut redis = PrivateRedis::persistent().await;
    let app = spawn_app_with(Options {
        redis_url: Some(redis.url()),
        ..Options::configure(|s| s.request_token.require = vec!["user.pwd.edit".into()])
    })
    .await;
    // A code used to register, a request token used once, one left unused.
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
    let (used, unused) = (
        tokens["data"]["tokens"][0].as_str().unwrap().to_string(),
        tokens["data"]["tokens"][1].as_str().unwrap().to_string(),
    );
    let edit = |t: String| {
        app.call_with_token(
            "user.pwd.edit",
            &session,
            json!({"old_pwd": PASSWORD, "new_pwd": PASSWORD, "req_token": t}),
        )
    };
    assert_code(&edit(used.clone()).await, 200);

    redis.kill();
    redis.resume().await;

    wait_until("the gateway reaches redis again", 15, || async {
        app.get("/readyz").await.status() == 200
    })
    .await;
    assert_code(
        &app.call_with_token("user.detail", &session, json!({}))
            .await,
        200,
    );
    assert_code(&edit(used).await, 503);
    let again = app
        .call(
            "user.register",
            json!({"mobile": "13612345679", "password": PASSWORD, "code": code}),
        )
        .await;
    assert_code(&again, 700);
    assert_code(&edit(unused.clone()).await, 200);
    assert_code(&edit(unused).await, 503);
}

#[tokio::test]
async fn a_registration_cut_off_by_a_postgres_crash_leaves_no_user() {
    let mut pg = PrivatePostgres::start().await;
    let app = Arc::new(
        spawn_app_with(Options {
            postgres_url: Some(pg.url("yafgate")),
            ..Options::default()
        })
        .await,
    );
    let admin = pg.client("yafgate").await;
    // Hold the insert long enough to crash the server under it.
    admin
        .batch_execute(
            "CREATE FUNCTION hold() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(30); RETURN NEW; END $$;
             CREATE TRIGGER hold BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION hold();",
        )
        .await
        .unwrap();
    let code = app.sms_code(MOBILE, "USER_REGISTER_CODE").await;
    let register = {
        let (app, code) = (app.clone(), code.clone());
        tokio::spawn(async move {
            app.call(
                "user.register",
                json!({"mobile": MOBILE, "password": PASSWORD, "code": code}),
            )
            .await
        })
    };
    wait_until("the insert is under way", 15, || async {
        let rows = admin
            .query("SELECT 1 FROM pg_stat_activity WHERE query LIKE 'INSERT INTO users%' AND state = 'active'", &[])
            .await
            .unwrap();
        !rows.is_empty()
    })
    .await;
    pg.crash();
    assert_eq!(
        register.await.unwrap(),
        json!({"code": 500, "msg": "服务器繁忙，请稍后重试"})
    );

    pg.resume().await;
    let admin = pg.client("yafgate").await;
    let n: i64 = admin
        .query_one("SELECT count(*) FROM users WHERE mobile = $1", &[&MOBILE])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0, "no half-created user");
    admin
        .batch_execute("DROP TRIGGER hold ON users")
        .await
        .unwrap();
    // The code was not used up by the failed attempt.
    let env = app
        .call(
            "user.register",
            json!({"mobile": MOBILE, "password": PASSWORD, "code": code}),
        )
        .await;
    assert_code(&env, 200);
}

#[tokio::test]
async fn reload_storms_under_load_never_break_a_request() {
    let app = Arc::new(spawn_app().await);
    let (stop, tally) = (Arc::new(AtomicBool::new(false)), Arc::new(Tally::default()));
    let tasks = load(
        &app,
        6,
        ("system.ping", json!({})),
        CLIENT_TIMEOUT,
        &stop,
        &tally,
    );
    let second = default_apps().replacen(
        &format!("secrets = [\"{IOS_SECRET}\"]"),
        &format!("secrets = [\"{IOS_SECRET}\", \"another-secret-0000000000000001\"]"),
        1,
    );
    for i in 0..60 {
        let text = match i % 3 {
            0 => second.clone(),
            1 => "[apps.ios_app_id\nbroken".to_string(),
            _ => default_apps(),
        };
        app.write_apps(&text);
        if i % 10 == 9 {
            // Let the watcher catch up now and then, so reloads really happen.
            let seen = app.state.metrics.reloads(true) + app.state.metrics.reloads(false);
            wait_until("a reload happens", 10, || async {
                app.state.metrics.reloads(true) + app.state.metrics.reloads(false) > seen
            })
            .await;
        }
    }
    finish(tasks, &stop).await;
    assert!(tally.ok.load(Ordering::Relaxed) > 0);
    assert_eq!(
        tally.internal.load(Ordering::Relaxed) + tally.other.load(Ordering::Relaxed),
        0,
        "every ping answered 200"
    );
    assert!(
        app.state.metrics.reloads(true) > 0,
        "some reloads were taken"
    );
}

/// What a busy client of a stopping gateway saw: answers until its first
/// transport failure.
async fn keep_pinging(remote: Remote, answered: Arc<AtomicUsize>) -> Result<(), String> {
    loop {
        let now = chrono::Utc::now().timestamp();
        let sent = wire::signed_call(
            &remote.http,
            &remote.url,
            now,
            "ios_app_id",
            IOS_SECRET,
            "system.ping",
            json!({}),
        )
        .send()
        .await;
        // No answer: the gateway has closed its listener and connections.
        let Ok(resp) = sent else { return Ok(()) };
        let env = wire::read_envelope(resp).await?;
        // A plain envelope: code 200, its message, the server time; nothing else.
        let plain = env["code"] == 200
            && env["msg"].is_string()
            && env["data"]["server_time"].is_i64()
            && env.as_object().is_some_and(|o| o.len() == 3);
        if !plain {
            return Err(format!("not a plain ping answer: {env}"));
        }
        answered.fetch_add(1, Ordering::Relaxed);
    }
}

#[tokio::test]
async fn sigterm_lets_in_flight_requests_finish() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let db = crate::helpers::db::TestDb::create().await;
    let mut settings = procs::process_settings(&db.url);
    config::set_shutdown_grace(&mut settings, std::time::Duration::from_secs(10));
    let mut gw = GatewayProcess::start(settings, &default_apps()).await;

    // A request whose body is still arriving when SIGTERM comes.
    let data = wire::call_data(
        "system.ping",
        "ios_app_id",
        chrono::Utc::now().timestamp(),
        json!({}),
    );
    let (content_type, body) = wire::signed_body(data.as_bytes(), IOS_SECRET, Encoding::Form);
    // `Expect: 100-continue` makes the server say when it has taken the
    // request and waits for its body: only then does SIGTERM come.
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", gw.port))
        .await
        .unwrap();
    let head = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\nExpect: 100-continue\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let mut interim = [0u8; 25];
    s.read_exact(&mut interim).await.unwrap();
    assert!(
        interim.starts_with(b"HTTP/1.1 100 Continue"),
        "{}",
        String::from_utf8_lossy(&interim)
    );

    // Other clients keep calling while it stops; each is being served
    // before SIGTERM comes.
    const BUSY: usize = 8;
    let answered: Vec<Arc<AtomicUsize>> = (0..BUSY).map(|_| Arc::default()).collect();
    let mut busy: Vec<_> = answered
        .iter()
        .map(|n| tokio::spawn(keep_pinging(gw.remote(), n.clone())))
        .collect();
    wait_until("every busy client is answered", 10, || async {
        answered.iter().all(|n| n.load(Ordering::Relaxed) > 0)
            || busy.iter().any(|b| b.is_finished())
    })
    .await;
    if let Some(i) = busy.iter().position(|b| b.is_finished()) {
        let early = busy.swap_remove(i).await.unwrap();
        panic!("busy client {i} stopped before SIGTERM: {early:?}");
    }
    gw.signal("TERM");
    s.write_all(&body).await.unwrap();
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).await.unwrap();
    let resp = String::from_utf8_lossy(&resp);
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    assert!(resp.contains(r#""code":200"#), "{resp}");
    for (i, b) in busy.into_iter().enumerate() {
        b.await
            .unwrap()
            .unwrap_or_else(|e| panic!("busy client {i}: {e}"));
    }
    let counts: Vec<usize> = answered.iter().map(|n| n.load(Ordering::Relaxed)).collect();
    assert!(
        counts.iter().all(|n| *n > 0),
        "every busy client got answers: {counts:?}"
    );
    let status = gw.wait_exit(15).await.expect("the gateway exits");
    assert!(status.success(), "{status:?}");
}

/// A pooled connection whose network stops carrying bytes without a reset
/// (docs/protocol.md §24.4): the call on it fails with a plain 500 a second
/// past the statement timeout, instead of waiting for TCP to give up (a
/// write runs to its end, past the handler deadline), and the connection
/// is closed rather than pooled again, so each frozen connection fails
/// exactly one call and the pool serves again at once.
#[tokio::test]
async fn a_pooled_connection_that_stops_answering_fails_one_call_and_leaves_the_pool() {
    let (_db, freezer, app) = freezer::app_behind(Freezer::POOL, freezer::short_deadlines).await;
    let token = app.login_token("13800138000", "demo123456").await;
    freezer::a_frozen_pool_fails_one_call_per_connection(&app, &freezer, &token, 2).await;
}
