#![allow(dead_code)] // a harness: not every test module uses every helper
//! The test harness: `spawn_app()` starts a real gateway on a free port
//! against the project's PostgreSQL and Redis, with its own database (a copy
//! of a migrated template), its own Redis key prefix and its own config
//! folder, all removed when the test ends.

pub mod accounts;
pub mod cluster;
pub mod config;
pub mod db;
pub mod freezer;
pub mod hostile_input;
pub mod load;
pub mod procs;
pub mod shape;
pub mod webhook;
pub mod wire;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::sync::oneshot;
pub use yafgate::config::settings::Settings;
use yafgate::handler::AppState;
use yafgate::handler::Registry;
use yafgate::{Application, Config};

pub use config::Configure;

/// Secrets of the test appids (test values, not used anywhere else).
pub const IOS_SECRET: &str = "7512100214f62d7de8ba01b281d6da02";
pub const ANDROID_SECRET: &str = "android-test-secret-0000000000001";
pub const H5_SECRET: &str = "h5-test-secret-000000000000000001";
pub const ADMIN_SECRET: &str = "admin-test-secret-00000000000001";
pub const LIMITED_SECRET: &str = "limited-test-secret-000000000001";
/// The demo secret of upstream's back-office document (DEMO VALUE, also in
/// config/apps.toml): it signs the published vectors.
pub const ADMIN_API_CALL_SECRET: &str = "16b36c2c513de50126144bb8085260ba";
/// The consulting app's test secret (seed 001, consult.*).
pub const CONSULT_SECRET: &str = "consult-test-secret-000000000001";
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

[apps.admin_api_call]
name = "Back office, upstream Yaf-Server admin (DEMO)"
type = "admin"
secrets = ["{ADMIN_API_CALL_SECRET}"]
ip_allow = ["127.0.0.1", "::1"]

[apps.consult_app_id]
name = "Consulting (seed 001)"
type = "app"
secrets = ["{CONSULT_SECRET}"]
methods = ["consult.*", "sms.send"]

[apps.disabled_app_id]
name = "Disabled"
type = "app"
enabled = false
secrets = ["{IOS_SECRET}"]
"#
    )
}

/// The supplier mini-program's test secret (seed 002, docs/protocol.md §21).
pub const SUPPLIER_SECRET: &str = "supplier-test-secret-00000000001";

/// The default test appids and the supplier mini-program.
pub fn supplier_apps() -> String {
    format!(
        r#"{}
[apps.supplier_app_id]
name = "Supplier mini-program"
type = "miniprogram"
secrets = ["{SUPPLIER_SECRET}"]
"#,
        default_apps()
    )
}

/// The home-services mini-program's test secret (seed 000, docs/protocol.md §22).
pub const HOME_SECRET: &str = "home-test-secret-000000000000001";

/// The default test appids and the home-services mini-program.
pub fn home_apps() -> String {
    format!(
        r#"{}
[apps.home_app_id]
name = "Home services mini-program"
type = "miniprogram"
secrets = ["{HOME_SECRET}"]
"#,
        default_apps()
    )
}

/// The user mini-program's test secret (seed 004, docs/protocol.md §23).
pub const MP_APP_SECRET: &str = "mp-app-test-secret-0000000000001";

/// The default test appids and the user mini-program `mp_app_id`, which
/// the demo data makes operation centre 1's (sql/demo/33_mp.sql).
pub fn mp_apps() -> String {
    format!(
        r#"{}
[apps.mp_app_id]
name = "User mini-program"
type = "miniprogram"
secrets = ["{MP_APP_SECRET}"]
"#,
        default_apps()
    )
}

/// Adds test-only methods to the registry.
pub type Extend = Box<dyn FnOnce(&mut Registry) + Send>;

/// How to start a test gateway.
pub struct Options {
    /// apps.toml text.
    pub apps: String,
    /// Add methods to the production registry.
    pub extend: Option<Extend>,
    /// Point at these stores instead of the project's.
    pub postgres_url: Option<String>,
    pub redis_url: Option<String>,
    /// Share another gateway's Redis namespace (a second instance).
    pub redis_prefix: Option<String>,
    /// Changes to the test settings, applied in order after the harness
    /// has filled in its defaults and the stores above.
    pub configure: Vec<Configure>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            apps: default_apps(),
            extend: None,
            postgres_url: None,
            redis_url: None,
            redis_prefix: None,
            configure: Vec::new(),
        }
    }
}

impl Options {
    /// The default options with `change` made to the settings, e.g.
    /// `Options::configure(|s: &mut Settings| s.guards.login_max_failures = 3)`.
    pub fn configure(change: impl FnOnce(&mut Settings) + Send + 'static) -> Self {
        Self::default().and_configure(change)
    }

    /// These options with one more change to the settings.
    pub fn and_configure(mut self, change: impl FnOnce(&mut Settings) + Send + 'static) -> Self {
        self.configure.push(Box::new(change));
        self
    }
}

/// A running gateway and what it owns.
pub struct TestApp {
    pub port: u16,
    pub url: String,
    pub state: Arc<AppState>,
    pub http: reqwest::Client,
    pub config_dir: tempfile::TempDir,
    /// The settings it was started with (its gateway.toml).
    pub settings: Settings,
    pub database: Option<db::TestDb>,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// Options for a second instance sharing `app`'s database and Redis
/// (URL and namespace).
pub fn second_instance_of(app: &TestApp) -> Options {
    Options {
        postgres_url: Some(
            app.database
                .as_ref()
                .expect("the first instance owns a database")
                .url
                .clone(),
        ),
        redis_url: Some(app.redis_url().to_string()),
        redis_prefix: Some(app.redis_prefix().to_string()),
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
    let mut settings = config::test_settings(&pg_url, &redis_url, &redis_prefix);
    // Test gateways pay through the sandbox (docs/protocol.md §18).
    settings.payments.driver = yafgate::config::payments::PayDriver::Sandbox;
    for change in opts.configure {
        change(&mut settings);
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let path = config::write_config(dir.path(), &settings, &opts.apps);
    let loaded =
        Config::load_with(&path, false).unwrap_or_else(|e| panic!("test config refused: {e}"));
    let mut registry = yafgate::registry();
    if let Some(extend) = opts.extend {
        extend(&mut registry);
    }
    let app = Application::build(loaded, registry)
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
        settings,
        database,
        stop: Some(stop),
        server: Some(server),
    }
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

    /// Replace gateway.toml atomically with the settings this gateway
    /// started with, changed by `change`.
    pub fn rewrite_settings(&self, change: impl FnOnce(&mut Settings)) {
        let mut settings = self.settings.clone();
        change(&mut settings);
        write_atomically(
            &self.config_path("gateway.toml"),
            &config::to_toml(&settings),
        );
    }

    /// The Redis this gateway was configured with.
    pub fn redis_url(&self) -> &str {
        self.settings.redis.url.expose()
    }

    /// A connection to the Redis (or cluster) this gateway was configured
    /// with, for tests that look at keys directly.
    pub fn redis(&self) -> yafgate::stores::redis_conn::RedisConn {
        yafgate::stores::redis_conn::RedisConn::build(&self.settings.redis).unwrap()
    }

    /// The prefix of every Redis key this gateway writes.
    pub fn redis_prefix(&self) -> &str {
        &self.settings.redis.key_prefix
    }

    /// The gateway's clock (tests may move it), in Unix seconds.
    pub fn now(&self) -> i64 {
        self.state.clock.now()
    }

    /// The fixed parameters of a well-formed request, for `appid`.
    pub fn fixed(&self, method: &str, appid: &str) -> Map<String, Value> {
        wire::fixed_params(method, appid, self.now())
    }

    /// The data text of a call as `appid`: `params` over the fixed ones.
    pub fn data(&self, method: &str, appid: &str, params: Value) -> String {
        wire::call_data(method, appid, self.now(), params)
    }

    /// Call `method` as the iOS app with `params` (merged over the fixed
    /// ones); the envelope.
    pub async fn call(&self, method: &str, params: Value) -> Value {
        self.call_as("ios_app_id", IOS_SECRET, method, params).await
    }

    /// Call as a given appid.
    pub async fn call_as(&self, appid: &str, secret: &str, method: &str, params: Value) -> Value {
        let resp = self
            .signed(appid, secret, method, params)
            .send()
            .await
            .expect("gateway answers");
        envelope(resp).await
    }

    /// A signed call as `appid`, not yet sent (add headers, then send).
    pub fn signed(
        &self,
        appid: &str,
        secret: &str,
        method: &str,
        params: Value,
    ) -> reqwest::RequestBuilder {
        wire::signed_call(
            &self.http,
            &self.url,
            self.now(),
            appid,
            secret,
            method,
            params,
        )
    }

    /// Post `data` signed with `secret` as a form; the envelope.
    pub async fn send_data(&self, data: &str, secret: &str) -> Value {
        let resp = wire::post_signed(&self.http, &self.url, data, secret)
            .send()
            .await
            .expect("gateway answers");
        envelope(resp).await
    }

    /// Post form fields.
    pub async fn post_form(&self, fields: &[(&str, &str)]) -> reqwest::Response {
        let fields: Vec<(&str, &[u8])> = fields.iter().map(|(k, v)| (*k, v.as_bytes())).collect();
        self.post(wire::FORM, wire::form_body(&fields)).await
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
        let redis = self.settings.redis.clone();
        // Deleting keys needs async I/O; Drop cannot await, so do it on a
        // thread with its own runtime and wait for it. The database drops
        // itself (TestDb's Drop).
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(procs::delete_redis_prefix(&redis));
        })
        .join();
    }
}

/// The JSON envelope of an HTTP 200 JSON answer.
///
/// # Panics
/// When the answer is not HTTP 200 with a JSON object body.
pub async fn envelope(resp: reqwest::Response) -> Value {
    wire::read_envelope(resp)
        .await
        .unwrap_or_else(|e| panic!("not an envelope: {e}"))
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

/// Check every 20 ms, for all of `window`, that `happened` does not hold.
/// For "this does not happen": the window must be longer than whatever
/// would make it happen takes, and the test should say why it is.
pub async fn assert_never<F, Fut>(what: &str, window: Duration, mut happened: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let end = tokio::time::Instant::now() + window;
    while tokio::time::Instant::now() < end {
        assert!(!happened().await, "it happened: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!happened().await, "it happened: {what}");
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

/// Wait until every shared read connection of `app` (docs/protocol.md
/// §24.3) is open, opening those that are not. `app` must have them.
pub async fn shared_reads_open(app: &TestApp) {
    let shared = app
        .state
        .stores
        .shared_reads()
        .expect("shared reads configured");
    wait_until("every shared read connection open", 10, || async {
        drop(shared.lease()); // opens the closed ones in the background
        let (open, _, max) = shared.status();
        open == max
    })
    .await;
}

/// Run `call` and assert that it read exactly `statements` statements on
/// the shared read connections (docs/protocol.md §24.3), once they are all
/// open. Through a pooler there are none by design: `call` only runs.
pub async fn reads_shared<T>(app: &TestApp, statements: u64, call: impl Future<Output = T>) -> T {
    let Some(shared) = app.state.stores.shared_reads() else {
        return call.await;
    };
    shared_reads_open(app).await;
    let before = shared.served();
    let out = call.await;
    assert_eq!(
        shared.served() - before,
        statements,
        "statements read on the shared connections"
    );
    out
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

    /// Call as `appid` with the fixed parameters filled in (timestamp from
    /// the system clock); the envelope, or `Err` with what went wrong
    /// (no answer, not HTTP 200, not a JSON envelope).
    pub async fn try_call_as(
        &self,
        appid: &str,
        secret: &str,
        method: &str,
        params: Value,
    ) -> Result<Value, String> {
        let now = chrono::Utc::now().timestamp();
        let resp = wire::signed_call(&self.http, &self.url, now, appid, secret, method, params)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        wire::read_envelope(resp).await
    }

    /// Call as iOS; the envelope.
    pub async fn call(&self, method: &str, params: Value) -> Value {
        self.try_call_as("ios_app_id", IOS_SECRET, method, params)
            .await
            .unwrap_or_else(|e| panic!("{method}: {e}"))
    }
}

/// The envelope codes of `answers`, in order.
pub fn codes_of(answers: &[Value]) -> Vec<i64> {
    answers
        .iter()
        .map(|e| e["code"].as_i64().expect("an envelope with a code"))
        .collect()
}

/// Assert how many of `codes` are each code, e.g. `[(200, 1), (503, 19)]`
/// for 20 parallel attempts with one winner.
pub fn assert_tally(codes: &[i64], want: &[(i64, usize)]) {
    for (code, n) in want {
        assert_eq!(
            codes.iter().filter(|c| *c == code).count(),
            *n,
            "code {code} in {codes:?}"
        );
    }
}
