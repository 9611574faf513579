#![allow(dead_code)] // a harness: not every test module uses every helper
//! The test harness: `spawn_app()` starts a real gateway on a free port
//! against the project's PostgreSQL and Redis, with its own database (a copy
//! of a migrated template), its own Redis key prefix and its own config
//! folder, all removed when the test ends.

pub mod accounts;
pub mod db;
pub mod procs;
pub mod shape;
pub mod webhook;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Map, Value, json};
use tokio::sync::oneshot;
use yafgate::handler::AppState;
use yafgate::handler::Registry;
use yafgate::protocol::sign::sign;
use yafgate::{Application, Config};

/// Secrets of the test appids (test values, not used anywhere else).
pub const IOS_SECRET: &str = "7512100214f62d7de8ba01b281d6da02";
pub const ANDROID_SECRET: &str = "android-test-secret-0000000000001";
pub const H5_SECRET: &str = "h5-test-secret-000000000000000001";
pub const ADMIN_SECRET: &str = "admin-test-secret-00000000000001";
pub const LIMITED_SECRET: &str = "limited-test-secret-000000000001";
pub const H5_ORIGIN: &str = "https://m.example.com";

/// The apps.toml every test gateway starts with.
pub fn default_apps() -> String {
    format!(
        r#"
[apps.ios_app_id]
name = "iOS"
type = "app"
secrets = ["{IOS_SECRET}"]

[apps.android_app_id]
name = "Android"
type = "app"
secrets = ["{ANDROID_SECRET}"]

[apps.h5_app_id]
name = "H5"
type = "h5"
secrets = ["{H5_SECRET}"]
cors_origins = ["{H5_ORIGIN}"]

[apps.admin_app_id]
name = "Admin (only from 10/8)"
type = "admin"
secrets = ["{ADMIN_SECRET}"]
ip_allow = ["10.0.0.0/8", "2001:db8::/32"]

[apps.limited_app_id]
name = "Ping only"
type = "partner"
secrets = ["{LIMITED_SECRET}"]
methods = ["system.ping"]

[apps.disabled_app_id]
name = "Disabled"
type = "app"
enabled = false
secrets = ["{IOS_SECRET}"]
"#
    )
}

/// Adds test-only methods to the registry.
pub type Extend = Box<dyn FnOnce(&mut Registry) + Send>;

/// How to start a test gateway.
pub struct Options {
    /// Extra gateway.toml text, appended after the harness's own keys
    /// (use whole `[section]` blocks).
    pub gateway_extra: String,
    /// apps.toml text.
    pub apps: String,
    /// Add methods to the production registry.
    pub extend: Option<Extend>,
    /// Point at these stores instead of the project's.
    pub postgres_url: Option<String>,
    pub redis_url: Option<String>,
    /// Top-level gateway.toml keys (before any section).
    pub top: String,
    /// Keys inside the harness's `[server]` table.
    pub server_extra: String,
    /// Keys inside the harness's `[sms]` table.
    pub sms_extra: String,
    /// Keys inside the harness's `[guards]` table.
    pub guards_extra: String,
    /// Share another gateway's Redis namespace (a second instance).
    pub redis_prefix: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            gateway_extra: String::new(),
            apps: default_apps(),
            extend: None,
            postgres_url: None,
            redis_url: None,
            top: String::new(),
            server_extra: String::new(),
            sms_extra: String::new(),
            guards_extra: String::new(),
            redis_prefix: None,
        }
    }
}

/// A running gateway and what it owns.
pub struct TestApp {
    pub port: u16,
    pub url: String,
    pub state: Arc<AppState>,
    pub http: reqwest::Client,
    pub config_dir: tempfile::TempDir,
    pub redis_prefix: String,
    pub database: Option<db::TestDb>,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// Options for a second instance sharing `app`'s database and Redis namespace.
pub fn second_instance_of(app: &TestApp) -> Options {
    Options {
        postgres_url: Some(
            app.database
                .as_ref()
                .expect("the first instance owns a database")
                .url
                .clone(),
        ),
        redis_prefix: Some(app.redis_prefix.clone()),
        ..Options::default()
    }
}

/// A unique name part for this process and test.
pub fn unique(prefix: &str) -> String {
    format!(
        "{prefix}{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Gateway logs in the test output (errors only unless RUST_LOG says more),
/// so a failing test shows the cause of a 500.
fn init_logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let filter = tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("error"));
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(false)
            .with_test_writer()
            .try_init();
    });
}

/// A gateway with the default test config.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

/// A gateway with `opts`.
pub async fn spawn_app_with(opts: Options) -> TestApp {
    init_logs();
    let services = procs::services();
    let (database, pg_url) = match opts.postgres_url.clone() {
        Some(url) => (None, url),
        None => {
            let d = db::TestDb::create().await;
            let url = d.url.clone();
            (Some(d), url)
        }
    };
    let redis_url = opts
        .redis_url
        .clone()
        .unwrap_or_else(|| services.redis_url.clone());
    let redis_prefix = opts
        .redis_prefix
        .clone()
        .unwrap_or_else(|| format!("{}:", unique("t")));
    let dir = tempfile::tempdir().expect("temp dir");
    let gateway = gateway_toml(&opts, &pg_url, &redis_url, &redis_prefix);
    std::fs::write(dir.path().join("gateway.toml"), gateway).unwrap();
    std::fs::write(dir.path().join("apps.toml"), &opts.apps).unwrap();
    let config = Config::load_with(&dir.path().join("gateway.toml"), false)
        .unwrap_or_else(|e| panic!("test config refused: {e}"));
    let mut registry = yafgate::registry();
    if let Some(extend) = opts.extend {
        extend(&mut registry);
    }
    let app = Application::build(config, registry)
        .await
        .expect("gateway builds");
    let port = app.port();
    let state = app.state();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        app.run_until_stopped(async {
            let _ = stopped.await;
        })
        .await
        .expect("gateway runs");
    });
    TestApp {
        port,
        url: format!("http://127.0.0.1:{port}/"),
        state,
        http: reqwest::Client::builder()
            .pool_max_idle_per_host(8)
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap(),
        config_dir: dir,
        redis_prefix,
        database,
        stop: Some(stop),
        server: Some(server),
    }
}

fn gateway_toml(opts: &Options, pg: &str, redis: &str, prefix: &str) -> String {
    let (top, server, extra) = (&opts.top, &opts.server_extra, &opts.gateway_extra);
    let sms = with_defaults(
        &opts.sms_extra,
        &[("echo_code", "true"), ("interval_secs", "1")],
    );
    // Tests poll past SMS intervals, which count as refusals: keep the
    // automatic IP ban out of the way unless a test sets it.
    let guards = with_defaults(&opts.guards_extra, &[("ip_max_failures", "100000")]);
    format!(
        r#"env = "test"
{top}

[server]
listen = "127.0.0.1:0"
shutdown_grace_ms = 2000
{server}

[postgres]
url = "{pg}"
pool_size = 4
connect_timeout_ms = 1000
acquire_timeout_ms = 1500

[redis]
url = "{redis}"
key_prefix = "{prefix}"

[sms]
{sms}

[guards]
{guards}

{extra}
"#
    )
}

/// `extra` plus each default whose key `extra` does not set.
fn with_defaults(extra: &str, defaults: &[(&str, &str)]) -> String {
    let mut out = extra.to_string();
    for (key, value) in defaults {
        let set = extra
            .lines()
            .any(|l| l.split('=').next().is_some_and(|k| k.trim() == *key));
        if !set {
            out.push_str(&format!("\n{key} = {value}"));
        }
    }
    out
}

impl TestApp {
    /// Path of a file in this gateway's config folder.
    pub fn config_path(&self, name: &str) -> PathBuf {
        self.config_dir.path().join(name)
    }

    /// Replace apps.toml atomically (write then rename, as editors do).
    pub fn write_apps(&self, text: &str) {
        write_atomically(&self.config_path("apps.toml"), text);
    }

    /// The fixed parameters of a well-formed request, for `appid`.
    pub fn fixed(&self, method: &str, appid: &str) -> Map<String, Value> {
        let now = self.state.clock.now();
        let platform = match appid {
            "h5_app_id" => 3,
            "admin_app_id" | "limited_app_id" => 4,
            "android_app_id" => 2,
            _ => 1,
        };
        json!({
            "method": method, "v": "1.0.0", "appid": appid,
            "timestamp": now.to_string(), "unique_id": "test-device-1",
            "app_v": "1.0.0", "platform": platform, "channel": "", "device_token": "",
        })
        .as_object()
        .cloned()
        .unwrap()
    }

    /// Call `method` as the iOS app with `params` (merged over the fixed
    /// ones); the envelope.
    pub async fn call(&self, method: &str, params: Value) -> Value {
        self.call_as("ios_app_id", IOS_SECRET, method, params).await
    }

    /// Call as a given appid.
    pub async fn call_as(&self, appid: &str, secret: &str, method: &str, params: Value) -> Value {
        let mut data = self.fixed(method, appid);
        if let Value::Object(p) = params {
            data.extend(p);
        }
        self.send_data(&Value::Object(data).to_string(), secret)
            .await
    }

    /// Post `data` signed with `secret` as a form; the envelope.
    pub async fn send_data(&self, data: &str, secret: &str) -> Value {
        let resp = self
            .post_form(&[("data", data), ("sign", &sign(data.as_bytes(), secret))])
            .await;
        envelope(resp).await
    }

    /// Post form fields.
    pub async fn post_form(&self, fields: &[(&str, &str)]) -> reqwest::Response {
        let body = {
            let mut s = form_urlencoded::Serializer::new(String::new());
            for (k, v) in fields {
                s.append_pair(k, v);
            }
            s.finish().into_bytes()
        };
        self.post("application/x-www-form-urlencoded", body).await
    }

    /// Post a raw body with a Content-Type.
    pub async fn post(&self, content_type: &str, body: Vec<u8>) -> reqwest::Response {
        self.http
            .post(&self.url)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("gateway answers")
    }

    /// GET a path.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("http://127.0.0.1:{}{path}", self.port))
            .send()
            .await
            .expect("gateway answers")
    }

    /// The /metrics text.
    pub async fn metrics(&self) -> String {
        self.get("/metrics").await.text().await.unwrap()
    }

    /// Stop serving and wait for the drain.
    pub async fn stop(mut self) {
        self.shutdown().await;
    }

    async fn shutdown(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        let prefix = self.redis_prefix.clone();
        let redis_url = procs::services().redis_url.clone();
        // Deleting keys needs async I/O; Drop cannot await, so do it on a
        // thread with its own runtime and wait for it. The database drops
        // itself (TestDb's Drop).
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(procs::delete_redis_prefix(&redis_url, &prefix));
        })
        .join();
    }
}

/// The JSON envelope of an HTTP 200 JSON answer.
///
/// # Panics
/// When the answer is not HTTP 200 with a JSON object body.
pub async fn envelope(resp: reqwest::Response) -> Value {
    let status = resp.status();
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let text = resp.text().await.unwrap();
    assert_eq!(status, 200, "HTTP status; body: {text}");
    assert_eq!(ct, "application/json; charset=utf-8");
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    assert!(v.is_object(), "{text}");
    v
}

/// Write a file so readers see either the old or the new content.
pub fn write_atomically(path: &Path, text: &str) {
    let tmp = path.with_extension("tmp~");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// Poll `check` every 20 ms until it holds or `secs` pass.
pub async fn wait_until<F, Fut>(what: &str, secs: u64, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if check().await {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Call `f` every 20 ms until `done` holds for its result (or `secs` pass);
/// that result.
pub async fn poll_until<T, F, Fut>(what: &str, secs: u64, mut f: F, done: impl Fn(&T) -> bool) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = T>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let v = f().await;
        if done(&v) {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Assert an envelope's code, showing the whole envelope on failure.
#[track_caller]
pub fn assert_code(env: &Value, code: i64) {
    assert_eq!(env["code"].as_i64(), Some(code), "envelope: {env}");
}

/// A client for a gateway known only by URL (a separate process).
#[derive(Clone)]
pub struct Remote {
    pub url: String,
    pub http: reqwest::Client,
}

impl Remote {
    /// A client for `url`.
    pub fn new(url: String) -> Self {
        Self {
            url,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
        }
    }

    /// Call as iOS with the fixed parameters filled in; the envelope, or
    /// `Err` with the transport failure.
    pub async fn try_call_as(
        &self,
        appid: &str,
        secret: &str,
        method: &str,
        params: Value,
    ) -> Result<Value, String> {
        let mut data = json!({
            "method": method, "v": "1.0.0", "appid": appid,
            "timestamp": chrono::Utc::now().timestamp().to_string(), "unique_id": "remote-device",
            "app_v": "1.0.0", "platform": if appid == "h5_app_id" { 3 } else { 1 },
            "channel": "", "device_token": "",
        });
        if let (Some(d), Value::Object(p)) = (data.as_object_mut(), params) {
            d.extend(p);
        }
        let text = data.to_string();
        let signature = sign(text.as_bytes(), secret);
        let resp = self
            .http
            .post(&self.url)
            .form(&[("data", text), ("sign", signature)])
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if resp.status() != 200 {
            return Err(format!("HTTP {}", resp.status()));
        }
        resp.json().await.map_err(|e| e.to_string())
    }

    /// Call as iOS; the envelope.
    pub async fn call(&self, method: &str, params: Value) -> Value {
        self.try_call_as("ios_app_id", IOS_SECRET, method, params)
            .await
            .unwrap_or_else(|e| panic!("{method}: {e}"))
    }
}
