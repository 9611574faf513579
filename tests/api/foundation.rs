//! Start-up, configuration, migrations and readiness (issue: foundation).

use std::path::Path;

use crate::helpers::db::TestDb;
use crate::helpers::procs::{self, GatewayProcess, Launch, PrivateRedis, free_port};
use crate::helpers::{Options, spawn_app, spawn_app_with, wait_until};

#[tokio::test]
async fn healthz_answers_ok() {
    let app = spawn_app().await;
    let r = app.get("/healthz").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), r#"{"status":"ok"}"#);
}

#[tokio::test]
async fn readyz_is_200_when_both_stores_answer() {
    let app = spawn_app().await;
    let r = app.get("/readyz").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), r#"{"postgres":"up","redis":"up"}"#);
}

#[tokio::test]
async fn readyz_names_redis_while_it_is_down_and_recovers_without_restart() {
    let mut redis = PrivateRedis::stopped();
    let app = spawn_app_with(Options {
        redis_url: Some(redis.url()),
        ..Options::default()
    })
    .await;

    let r = app.get("/readyz").await;
    assert_eq!(r.status(), 503);
    assert_eq!(
        r.text().await.unwrap(),
        r#"{"postgres":"up","redis":"down"}"#
    );

    redis.resume().await;
    wait_until("readyz turns 200 once redis is back", 10, || async {
        app.get("/readyz").await.status() == 200
    })
    .await;
}

/// `redis.url` may name a Unix socket (`redis+unix://`): sessions, the
/// gate's script and readiness all go through it.
#[tokio::test]
async fn redis_is_reached_over_a_unix_socket() {
    let redis = PrivateRedis::with_socket().await;
    let app = spawn_app_with(Options {
        redis_url: Some(redis.socket_url()),
        ..Options::default()
    })
    .await;
    assert_eq!(
        app.get("/readyz").await.text().await.unwrap(),
        r#"{"postgres":"up","redis":"up"}"#
    );
    let token = app.login_token("13800138000", "demo123456").await;
    let me = app
        .call_with_token("user.detail", &token, serde_json::json!({}))
        .await;
    crate::helpers::assert_code(&me, 200);
    assert_eq!(me["data"]["mobile"], "13800138000");
    // The session lives in the Redis behind the socket (read over TCP here).
    let mut tcp = redis::Client::open(redis.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{}sess:*", app.settings.redis.key_prefix))
        .query_async(&mut tcp)
        .await
        .unwrap();
    assert_eq!(keys.len(), 1, "{keys:?}");
}

#[tokio::test]
async fn the_gateway_starts_with_postgres_down_and_readyz_names_it() {
    let url = format!("postgres://postgres@127.0.0.1:{}/nothing", free_port());
    let app = spawn_app_with(Options {
        postgres_url: Some(url),
        ..Options::default()
    })
    .await;
    let r = app.get("/readyz").await;
    assert_eq!(r.status(), 503);
    assert_eq!(
        r.text().await.unwrap(),
        r#"{"postgres":"down","redis":"up"}"#
    );
    // Requests that need no store still work.
    let env = app.call("system.ping", serde_json::json!({})).await;
    crate::helpers::assert_code(&env, 200);
}

#[tokio::test]
async fn migrations_apply_once_each_and_are_recorded() {
    let db = TestDb::empty().await;
    let mut settings = yafgate::config::settings::Settings::default();
    settings.postgres.url = yafgate::config::settings::Secret::new(db.url.clone());

    let first = yafgate::stores::migrate(&settings, false).await.unwrap();
    let second = yafgate::stores::migrate(&settings, false).await.unwrap();

    assert!(!first.applied.is_empty());
    assert!(
        second.applied.is_empty(),
        "second run applied {:?}",
        second.applied
    );
    let c = db.client().await;
    let recorded: i64 = c
        .query_one("SELECT count(*) FROM refinery_schema_history", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(recorded as usize, first.applied.len());
    c.query_one("SELECT count(*) FROM ip_bans", &[])
        .await
        .unwrap();
}

#[tokio::test]
async fn concurrent_migrations_take_turns() {
    let db = TestDb::empty().await;
    let mut settings = yafgate::config::settings::Settings::default();
    settings.postgres.url = yafgate::config::settings::Secret::new(db.url.clone());
    let (a, b) = tokio::join!(
        yafgate::stores::migrate(&settings, false),
        yafgate::stores::migrate(&settings, false)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert!(
        a.applied.is_empty() != b.applied.is_empty(),
        "exactly one run applies: {a:?} {b:?}"
    );
}

fn check_config(dir: &Path, envs: &[(&str, &str)]) -> (bool, String) {
    procs::check_config(&dir.join("gateway.toml"), envs)
}

fn config_dir(gateway: &str, apps: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("gateway.toml"), gateway).unwrap();
    std::fs::write(dir.path().join("apps.toml"), apps).unwrap();
    dir
}

#[test]
fn check_config_accepts_the_shipped_config() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
    let (ok, out) = check_config(&root, &[]);
    assert!(ok, "{out}");
    assert!(out.starts_with("ok: "), "{out}");
    assert!(out.contains("ios_app_id"), "{out}");
}

#[test]
fn bad_configuration_stops_with_file_key_and_reason() {
    let apps = crate::helpers::default_apps();
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "[server]\nlisen = \"x\"\n",
            &apps,
            &["gateway.toml", "lisen"],
        ),
        (
            "[postgres]\npool_size = \"many\"\n",
            &apps,
            &["gateway.toml", "postgres.pool_size"],
        ),
        (
            "[server]\nlisten = \"not an address\"\n",
            &apps,
            &["gateway.toml", "server.listen"],
        ),
        (
            "timezone = \"Asia/Shanghai\"\n",
            &apps,
            &["timezone", "UTC offset"],
        ),
        ("env = \"production\"\n", &apps, &["env", "production"]),
        ("[server\n", &apps, &["gateway.toml"]),
        (
            "",
            "[apps.x]\nname = \"x\"\ntype = \"app\"\nsecrets = [\"short\"]\n",
            &["apps.toml", "apps.x", "16"],
        ),
        (
            "",
            "[apps.x]\nname = \"x\"\ntype = \"app\"\nenabled = false\nsecrets = [\"0123456789abcdef\"]\n",
            &["no enabled appid"],
        ),
        (
            "apps_file = \"missing.toml\"\n",
            &apps,
            &["cannot read", "missing.toml"],
        ),
    ];
    for (gateway, apps, needles) in cases {
        let dir = config_dir(gateway, apps);
        let (ok, out) = check_config(dir.path(), &[]);
        assert!(!ok, "accepted: {gateway} / {apps}");
        for n in *needles {
            assert!(out.contains(n), "expected `{n}` in: {out}");
        }
    }
}

#[test]
fn an_unreadable_config_file_is_a_clear_error() {
    let (ok, out) = check_config(Path::new("/nonexistent-dir"), &[]);
    assert!(!ok);
    assert!(
        out.contains("cannot read /nonexistent-dir/gateway.toml"),
        "{out}"
    );
}

#[test]
fn environment_variables_override_the_file() {
    let dir = config_dir("", &crate::helpers::default_apps());
    let (ok, out) = check_config(dir.path(), &[("YAFGATE__SERVER__LISTEN", "127.0.0.1:9999")]);
    assert!(ok, "{out}");
    assert!(out.contains("listen 127.0.0.1:9999"), "{out}");

    let (ok, out) = check_config(dir.path(), &[("YAFGATE__POSTGRES__POOL_SIZE", "lots")]);
    assert!(!ok, "{out}");
    assert!(
        out.contains("environment") && out.contains("postgres.pool_size"),
        "{out}"
    );
}

#[test]
fn secrets_can_come_from_the_environment() {
    let apps =
        "[apps.x]\nname = \"x\"\ntype = \"app\"\nsecrets = [{ env = \"YAFGATE_TEST_SECRET_X\" }]\n";
    let dir = config_dir("", apps);
    let (ok, out) = check_config(dir.path(), &[]);
    assert!(!ok && out.contains("YAFGATE_TEST_SECRET_X"), "{out}");
    let (ok, out) = check_config(
        dir.path(),
        &[("YAFGATE_TEST_SECRET_X", "0123456789abcdef0123")],
    );
    assert!(ok, "{out}");
    assert!(
        !out.contains("0123456789abcdef0123"),
        "secret printed: {out}"
    );
}

#[tokio::test]
async fn serve_exits_non_zero_on_a_bad_config() {
    let mut gateway = GatewayProcess::start_raw(
        "[server]\nlisten = 5\n",
        &crate::helpers::default_apps(),
        Launch::default().log_to_file(),
    );
    let status = gateway.wait_exit(10).await.expect("serve exits");
    assert!(!status.success());
    let err = gateway.log();
    assert!(err.contains("server.listen"), "{err}");
}
