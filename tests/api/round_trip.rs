//! The one Redis round trip of a signed call and the profile kept with the
//! sessions (docs/protocol.md §6 "One round trip", §8.8): counted on a
//! Redis of the test's own, with PostgreSQL stopped, and across two
//! instances after a change made by SQL, also after the listening
//! connection went silent.

use redis::Value as RedisValue;
use serde_json::json;

use crate::helpers::freezer::{self, Freezer};
use crate::helpers::procs::{PrivatePostgres, PrivateRedis};
use crate::helpers::*;

const MOBILE: &str = "13712345678";
const PASSWORD: &str = "secret_123";

/// A connection to `redis` that logs every command it runs (slowlog with
/// no threshold) and names itself so its own commands can be left out.
async fn command_log(redis: &PrivateRedis) -> redis::aio::MultiplexedConnection {
    let client = redis::Client::open(redis.url()).unwrap();
    let mut c = client.get_multiplexed_async_connection().await.unwrap();
    for (key, value) in [
        ("slowlog-log-slower-than", "0"),
        ("slowlog-max-len", "100000"),
    ] {
        let () = redis::cmd("CONFIG")
            .arg("SET")
            .arg(key)
            .arg(value)
            .query_async(&mut c)
            .await
            .unwrap();
    }
    let () = redis::cmd("CLIENT")
        .arg("SETNAME")
        .arg("probe")
        .query_async(&mut c)
        .await
        .unwrap();
    c
}

/// Start counting from now.
async fn reset(c: &mut redis::aio::MultiplexedConnection) {
    let () = redis::cmd("SLOWLOG")
        .arg("RESET")
        .query_async(c)
        .await
        .unwrap();
}

/// The commands clients other than the probe sent since [`reset`]; the
/// commands a script runs are logged as the Lua client's (`?:0`) and are
/// not round trips.
async fn sent(c: &mut redis::aio::MultiplexedConnection) -> Vec<String> {
    let entries: Vec<RedisValue> = redis::cmd("SLOWLOG")
        .arg("GET")
        .arg(100_000)
        .query_async(c)
        .await
        .unwrap();
    let text =
        |v: &RedisValue| -> String { redis::from_redis_value(v.clone()).unwrap_or_default() };
    let mut commands = Vec::new();
    for entry in &entries {
        let RedisValue::Array(fields) = entry else {
            panic!("slowlog entry {entry:?}");
        };
        let (addr, name) = (text(&fields[4]), text(&fields[5]));
        if addr == "?:0" || name == "probe" {
            continue;
        }
        let RedisValue::Array(args) = &fields[3] else {
            panic!("slowlog args {entry:?}");
        };
        commands.push(text(&args[0]).to_lowercase());
    }
    commands
}

#[tokio::test]
async fn a_session_call_is_one_redis_round_trip_and_ping_none() {
    let redis = PrivateRedis::start().await;
    let app = spawn_app_with(Options {
        redis_url: Some(redis.url()),
        ..Options::default()
    })
    .await;
    let token = app.register_token(MOBILE, PASSWORD).await;
    // The first call loads the script into this Redis.
    assert_code(
        &app.call_with_token("user.detail", &token, json!({})).await,
        200,
    );
    let mut probe = command_log(&redis).await;

    reset(&mut probe).await;
    const N: usize = 5;
    for _ in 0..N {
        let env = app.call_with_token("user.detail", &token, json!({})).await;
        assert_code(&env, 200);
        assert_eq!(env["data"]["mobile"], MOBILE);
    }
    assert_eq!(sent(&mut probe).await, vec!["evalsha"; N]);

    reset(&mut probe).await;
    for _ in 0..N {
        assert_code(&app.call("system.ping", json!({})).await, 200);
    }
    assert_eq!(sent(&mut probe).await, Vec::<String>::new());
}

#[tokio::test]
async fn user_detail_answers_from_the_session_with_postgres_stopped() {
    let mut pg = PrivatePostgres::start().await;
    let app = spawn_app_with(Options {
        postgres_url: Some(pg.url("yafgate")),
        ..Options::default()
    })
    .await;
    let registered = app.register(MOBILE, PASSWORD).await;
    assert_code(&registered, 200);
    let token = registered["data"]["token"].as_str().unwrap().to_string();

    pg.crash();
    for _ in 0..3 {
        let env = app.call_with_token("user.detail", &token, json!({})).await;
        assert_code(&env, 200);
        for field in [
            "mobile", "open_id", "nickname", "headimg", "intro", "reg_time",
        ] {
            assert_eq!(env["data"][field], registered["data"][field], "{field}");
        }
    }
}

async fn detail(on: &TestApp, token: &str, appid: &str, secret: &str) -> serde_json::Value {
    on.call_as(appid, secret, "user.detail", json!({"token": token}))
        .await
}

#[tokio::test]
async fn a_profile_changed_by_sql_reaches_every_live_session_on_every_instance() {
    let app = spawn_app().await;
    let other = spawn_app_with(second_instance_of(&app)).await;
    let ios = app.register_token(MOBILE, PASSWORD).await;
    let web = other
        .login_as("h5_app_id", H5_SECRET, MOBILE, PASSWORD)
        .await["data"]["token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        detail(&other, &web, "h5_app_id", H5_SECRET).await["data"]["nickname"],
        detail(&app, &ios, "ios_app_id", IOS_SECRET).await["data"]["nickname"]
    );

    let db = app.database.as_ref().unwrap().client().await;
    db.execute(
        "UPDATE users SET nickname = 'renamed', intro = 'by ops' WHERE mobile = $1",
        &[&MOBILE],
    )
    .await
    .unwrap();
    for (on, token, appid, secret) in [
        (&app, &ios, "ios_app_id", IOS_SECRET),
        (&other, &ios, "ios_app_id", IOS_SECRET),
        (&app, &web, "h5_app_id", H5_SECRET),
        (&other, &web, "h5_app_id", H5_SECRET),
    ] {
        let env = poll_until(
            "the new profile is served",
            10,
            || detail(on, token, appid, secret),
            |env| env["data"]["nickname"] == "renamed",
        )
        .await;
        assert_eq!(env["data"]["intro"], "by ops");
    }

    // A profile lost from Redis is read again and kept.
    let mut c = app.redis();
    let uid: i64 = db
        .query_one("SELECT id FROM users WHERE mobile = $1", &[&MOBILE])
        .await
        .unwrap()
        .get(0);
    let key = format!("{}prof:{{{uid}}}", app.redis_prefix());
    let deleted: i64 = redis::cmd("DEL")
        .arg(&key)
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(deleted, 1);
    let env = detail(&app, &ios, "ios_app_id", IOS_SECRET).await;
    assert_eq!(env["data"]["nickname"], "renamed");
    let kept: i64 = redis::cmd("EXISTS")
        .arg(&key)
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(kept, 1);
}

/// A listening connection that goes silent without a reset (docs/protocol.md
/// §8.8) is found out by its heartbeat and dialled again: changes made by
/// SQL reach the sessions again within seconds, not at the profile's
/// expiry (300 s here).
#[tokio::test]
async fn a_silent_listening_connection_is_dialled_again_and_changes_flow_again() {
    let (db, freezer, app) =
        freezer::app_behind(Freezer::LISTENER, freezer::short_statements).await;
    let token = app.register_token(MOBILE, PASSWORD).await;
    assert_code(&detail(&app, &token, "ios_app_id", IOS_SECRET).await, 200);
    freezer.freeze();

    // Rename again and again until a rename is served: the frozen
    // connection hears none of them, its replacement does.
    let sql = db.client().await;
    let renames = std::sync::atomic::AtomicUsize::new(0);
    wait_until("a rename reaches the session", 20, || async {
        let n = renames.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let name = format!("renamed {n}");
        sql.execute(
            "UPDATE users SET nickname = $1 WHERE mobile = $2",
            &[&name, &MOBILE],
        )
        .await
        .unwrap();
        // A listener that hears it acts on it within a moment.
        let served = async {
            while detail(&app, &token, "ios_app_id", IOS_SECRET).await["data"]["nickname"]
                != name.as_str()
            {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        };
        tokio::time::timeout(std::time::Duration::from_millis(1500), served)
            .await
            .is_ok()
    })
    .await;
}
