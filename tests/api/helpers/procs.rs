//! Processes the tests need: where the project's services are, private
//! Redis instances that a test may stop and start, and the gateway binary.

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use yafgate::config::settings::Settings;

/// Where `scripts/services start` put PostgreSQL and Redis.
pub struct Services {
    pub pg_url: String,
    pub redis_url: String,
    pub pg_bin: PathBuf,
}

/// Read `.run/services.env`, written by `scripts/services start`.
pub fn services() -> &'static Services {
    static S: OnceLock<Services> = OnceLock::new();
    S.get_or_init(|| {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".run/services.env");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e}. Run `scripts/services start` first (make test does)",
                path.display()
            )
        });
        let vars: HashMap<&str, &str> = text.lines().filter_map(|l| l.split_once('=')).collect();
        let get = |k: &str| {
            vars.get(k)
                .unwrap_or_else(|| panic!("{k} missing in {}", path.display()))
                .to_string()
        };
        Services {
            pg_url: get("YAFGATE_PG_URL"),
            redis_url: get("YAFGATE_REDIS_URL"),
            pg_bin: PathBuf::from(get("YAFGATE_PG_BIN")),
        }
    })
}

/// The Redis Cluster seed nodes the store tests run against once more
/// (`YAFGATE_TEST_REDIS_CLUSTER`, set by `make test-cluster` from
/// `scripts/services cluster env`); empty: the project's single Redis.
pub fn test_cluster() -> Vec<String> {
    std::env::var("YAFGATE_TEST_REDIS_CLUSTER")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .collect()
}

/// Delete every key under the prefix of `redis`: on a cluster, on each
/// node (replicas refuse the deletions, their masters take them).
pub async fn delete_redis_prefix(redis: &yafgate::config::stores::RedisSettings) {
    let prefix = &redis.key_prefix;
    if redis.cluster_nodes.is_empty() {
        return delete_on_node(redis.url.expose(), prefix).await;
    }
    for node in &redis.cluster_nodes {
        delete_on_node(&format!("redis://{node}"), prefix).await;
    }
}

async fn delete_on_node(url: &str, prefix: &str) {
    let Ok(client) = redis::Client::open(url) else {
        return;
    };
    let Ok(mut c) = client.get_multiplexed_async_connection().await else {
        return;
    };
    let mut cursor: u64 = 0;
    loop {
        let Ok((next, keys)): redis::RedisResult<(u64, Vec<String>)> = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(format!("{prefix}*"))
            .arg("COUNT")
            .arg(1000)
            .query_async(&mut c)
            .await
        else {
            return;
        };
        // One key per DEL: a cluster node refuses keys of several slots.
        for key in &keys {
            let _: redis::RedisResult<()> = redis::cmd("DEL").arg(key).query_async(&mut c).await;
        }
        if next == 0 {
            return;
        }
        cursor = next;
    }
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A Redis server of the test's own, stopped when dropped.
pub struct PrivateRedis {
    pub port: u16,
    child: Option<Child>,
    /// With an append-only file synced on every write (survives a kill).
    aof: Option<tempfile::TempDir>,
    /// Also listening on a Unix socket in this folder.
    socket: Option<tempfile::TempDir>,
}

impl PrivateRedis {
    /// A stopped instance with a reserved port (start it later).
    pub fn stopped() -> Self {
        Self {
            port: free_port(),
            child: None,
            aof: None,
            socket: None,
        }
    }

    /// Start one that also listens on a Unix socket ([`Self::socket_url`]).
    pub async fn with_socket() -> Self {
        let mut r = Self::stopped();
        r.socket = Some(tempfile::tempdir().unwrap());
        r.resume().await;
        r
    }

    /// The `redis+unix://` URL of its socket (see [`Self::with_socket`]).
    pub fn socket_url(&self) -> String {
        let dir = self.socket.as_ref().expect("started with_socket");
        format!("redis+unix://{}", dir.path().join("redis.sock").display())
    }

    /// Start one that persists every write (appendfsync always), as a
    /// production Redis holding sessions and tokens should.
    pub async fn persistent() -> Self {
        let mut r = Self::stopped();
        r.aof = Some(tempfile::tempdir().unwrap());
        r.resume().await;
        r
    }

    /// Start on a fresh port and wait until it answers.
    pub async fn start() -> Self {
        let mut r = Self::stopped();
        r.resume().await;
        r
    }

    /// The URL clients use.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// Start (again) on the same port and wait until it answers.
    pub async fn resume(&mut self) {
        assert!(self.child.is_none(), "already running");
        let mut cmd = Command::new("redis-server");
        cmd.args([
            "--port",
            &self.port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
        ]);
        match &self.aof {
            Some(dir) => cmd
                .args(["--appendonly", "yes", "--appendfsync", "always", "--dir"])
                .arg(dir.path()),
            None => cmd.args(["--appendonly", "no"]),
        };
        if let Some(dir) = &self.socket {
            cmd.arg("--unixsocket")
                .arg(dir.path().join("redis.sock"))
                .args(["--unixsocketperm", "700"]);
        }
        let child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server runs (scripts/services installs it)");
        self.child = Some(child);
        let url = self.url();
        super::wait_until("private redis answers", 10, || {
            let url = url.clone();
            async move {
                let Ok(c) = redis::Client::open(url.as_str()) else {
                    return false;
                };
                let Ok(mut c) = c.get_multiplexed_async_connection().await else {
                    return false;
                };
                redis::cmd("PING")
                    .query_async::<String>(&mut c)
                    .await
                    .is_ok()
            }
        })
        .await;
    }

    /// Kill the server (abruptly, as a crash would).
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The gateway binary cargo built for these tests.
pub fn gateway_bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_yafgate"))
}

/// Wait for a child to exit, up to `secs`; its status, or None when it still runs.
pub async fn wait_exit(child: &mut Child, secs: u64) -> Option<std::process::ExitStatus> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        if tokio::time::Instant::now() > deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A PostgreSQL cluster of the test's own (initdb in a temp folder), with
/// the project's schema and demo data, stopped and removed when dropped.
pub struct PrivatePostgres {
    pub port: u16,
    dir: tempfile::TempDir,
    running: bool,
}

fn as_postgres(program: &std::path::Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0\n"))
        .unwrap_or(false)
}

impl PrivatePostgres {
    /// initdb, start, create and migrate database `yafgate` (with demo data).
    pub async fn start() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("yafgate-pg-")
            .tempdir_in("/tmp")
            .unwrap();
        if is_root() {
            let ok = Command::new("chown")
                .arg("postgres:")
                .arg(dir.path())
                .status()
                .unwrap();
            assert!(ok.success(), "chown to postgres");
        }
        let bin = &services().pg_bin;
        let out = as_postgres(&bin.join("initdb"))
            .arg("-D")
            .arg(dir.path().join("data"))
            .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut pg = Self {
            port: free_port(),
            dir,
            running: false,
        };
        pg.resume().await;
        let (admin, conn) = tokio_postgres::connect(&pg.url("postgres"), tokio_postgres::NoTls)
            .await
            .unwrap();
        let driver = tokio::spawn(conn);
        admin
            .batch_execute("CREATE DATABASE yafgate")
            .await
            .unwrap();
        drop(admin);
        let _ = driver.await;
        let mut settings = yafgate::config::settings::Settings::default();
        settings.postgres.url = yafgate::config::settings::Secret::new(pg.url("yafgate"));
        yafgate::stores::migrate(&settings, true).await.unwrap();
        pg
    }

    /// URL of database `db`.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// Start (again) on the same port and data.
    pub async fn resume(&mut self) {
        let data = self.dir.path().join("data");
        let out = as_postgres(&services().pg_bin.join("pg_ctl"))
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(self.dir.path().join("data/server.log"))
            .arg("-o")
            .arg(format!(
                "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off -c max_connections=100",
                self.port
            ))
            .args(["-w", "-t", "60", "start"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "pg_ctl start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        self.running = true;
    }

    /// Stop at once, as a crash would (`pg_ctl stop -m immediate`).
    pub fn crash(&mut self) {
        if !self.running {
            return;
        }
        let _ = as_postgres(&services().pg_bin.join("pg_ctl"))
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-m", "immediate", "-w", "stop"])
            .output();
        self.running = false;
    }

    /// A client on database `db`.
    pub async fn client(&self, db: &str) -> tokio_postgres::Client {
        let (c, conn) = tokio_postgres::connect(&self.url(db), tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(conn);
        c
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        self.crash();
    }
}

/// How a gateway process is started, besides its configuration.
#[derive(Default)]
pub struct Launch {
    /// Extra environment variables (RUST_LOG is `error` unless set here).
    pub env: Vec<(String, String)>,
    /// Write its log (stderr) to `gateway.log` in its config folder instead
    /// of the test's stderr; read it with [`GatewayProcess::log`].
    pub log_to_file: bool,
}

impl Launch {
    /// Add an environment variable.
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_string(), value.to_string()));
        self
    }

    /// Log to a file (see [`GatewayProcess::log`]).
    pub fn log_to_file(mut self) -> Self {
        self.log_to_file = true;
        self
    }
}

/// Test settings for a gateway process on the PostgreSQL database at
/// `postgres_url`, the project's Redis and a fresh key prefix.
pub fn process_settings(postgres_url: &str) -> Settings {
    super::config::test_settings(
        postgres_url,
        &services().redis_url,
        &format!("{}:", super::unique("proc")),
    )
}

/// `yafgate check-config` on the gateway.toml at `path`, with `envs` set:
/// whether it succeeded, and what it printed (stdout then stderr).
pub fn check_config(path: &std::path::Path, envs: &[(&str, &str)]) -> (bool, String) {
    let out = gateway_bin()
        .arg("--config")
        .arg(path)
        .arg("check-config")
        .envs(envs.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// [`check_config`] on `settings` and `apps`, written to a folder of their own.
pub fn check_settings(settings: &Settings, apps: &str, envs: &[(&str, &str)]) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    check_config(
        &super::config::write_config(dir.path(), settings, apps),
        envs,
    )
}

/// A gateway process whose resident memory a test measures, on the
/// database at `postgres_url`: no config watcher, the automatic IP ban out
/// of the way (every request comes from 127.0.0.1), and mimalloc told to
/// return freed pages at once so VmRSS shows live memory. `change` adjusts
/// the settings before it starts.
pub async fn measured_gateway(
    postgres_url: &str,
    change: impl FnOnce(&mut Settings),
) -> GatewayProcess {
    let mut settings = process_settings(postgres_url);
    settings.watch_config = false;
    settings.guards.ip_max_failures = 100_000_000;
    change(&mut settings);
    GatewayProcess::start_with(
        settings,
        &super::default_apps(),
        Launch::default().env("MIMALLOC_PURGE_DELAY", "0"),
    )
    .await
}

/// A gateway running as its own process (`yafgate serve`), killed when
/// dropped, and the Redis keys under its prefix deleted then.
pub struct GatewayProcess {
    /// 0 when started on a configuration written by hand.
    pub port: u16,
    pub child: Child,
    /// Its config folder (gateway.toml, apps.toml, gateway.log).
    pub dir: tempfile::TempDir,
    /// The settings it was started with (None: a hand-written config).
    pub settings: Option<Settings>,
}

impl GatewayProcess {
    /// Start `yafgate serve` on `settings` (on a free port) and `apps`, and
    /// wait until it answers.
    pub async fn start(settings: Settings, apps: &str) -> Self {
        Self::start_with(settings, apps, Launch::default()).await
    }

    /// [`GatewayProcess::start`], launched as `launch` says.
    pub async fn start_with(mut settings: Settings, apps: &str, launch: Launch) -> Self {
        let port = free_port();
        settings.server.listen = SocketAddr::from(([127, 0, 0, 1], port));
        let dir = tempfile::tempdir().unwrap();
        super::config::write_config(dir.path(), &settings, apps);
        let mut gateway = Self::spawn(dir, port, Some(settings), launch);
        gateway.wait_until_healthy().await;
        gateway
    }

    /// Start `yafgate serve` on gateway.toml text written by hand, for
    /// configurations the gateway must refuse; it does not wait.
    pub fn start_raw(gateway_toml: &str, apps: &str, launch: Launch) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("gateway.toml"), gateway_toml).unwrap();
        std::fs::write(dir.path().join("apps.toml"), apps).unwrap();
        Self::spawn(dir, 0, None, launch)
    }

    fn spawn(
        dir: tempfile::TempDir,
        port: u16,
        settings: Option<Settings>,
        launch: Launch,
    ) -> Self {
        let stderr = if launch.log_to_file {
            Stdio::from(std::fs::File::create(dir.path().join("gateway.log")).unwrap())
        } else {
            Stdio::inherit()
        };
        let child = gateway_bin()
            .arg("--config")
            .arg(dir.path().join("gateway.toml"))
            .arg("serve")
            .env("RUST_LOG", "error")
            .envs(launch.env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap();
        Self {
            port,
            child,
            dir,
            settings,
        }
    }

    async fn wait_until_healthy(&mut self) {
        let url = format!("http://127.0.0.1:{}/healthz", self.port);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            if reqwest::get(&url).await.is_ok_and(|r| r.status() == 200) {
                return;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("the gateway process exited before it answered: {status}");
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for the gateway process to answer"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The endpoint URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    /// A client for its endpoint.
    pub fn remote(&self) -> super::Remote {
        super::Remote::new(self.url())
    }

    /// Its /metrics text.
    pub async fn metrics(&self) -> String {
        reqwest::get(format!("http://127.0.0.1:{}/metrics", self.port))
            .await
            .expect("the gateway process answers /metrics")
            .text()
            .await
            .unwrap()
    }

    /// Replace its apps.toml atomically.
    pub fn write_apps(&self, text: &str) {
        super::write_atomically(&self.dir.path().join("apps.toml"), text);
    }

    /// What it logged so far (started with [`Launch::log_to_file`]).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("gateway.log"))
            .expect("the gateway process logs to a file")
    }

    /// Send a signal by name (TERM, HUP, …).
    pub fn signal(&self, name: &str) {
        let ok = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        assert!(ok.success());
    }

    /// Wait up to `secs` for it to exit; its status, or None when it still runs.
    pub async fn wait_exit(&mut self, secs: u64) -> Option<std::process::ExitStatus> {
        wait_exit(&mut self.child, secs).await
    }

    /// SIGTERM, then its exit status.
    ///
    /// # Panics
    /// When it has not exited within 15 s.
    pub async fn terminate(&mut self) -> std::process::ExitStatus {
        self.signal("TERM");
        self.wait_exit(15).await.expect("SIGTERM stops the gateway")
    }

    /// Peak resident memory so far (VmHWM), KiB.
    pub fn peak_rss_kib(&self) -> u64 {
        proc_status_kib(self.child.id(), "VmHWM")
    }

    /// Resident memory now (VmRSS), KiB.
    pub fn rss_kib(&self) -> u64 {
        proc_status_kib(self.child.id(), "VmRSS")
    }
}

fn proc_status_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

impl Drop for GatewayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(settings) = self.settings.take() {
            let redis = settings.redis;
            // Drop cannot await: a thread with its own runtime, joined.
            let _ = std::thread::spawn(move || {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap()
                    .block_on(delete_redis_prefix(&redis));
            })
            .join();
        }
    }
}
