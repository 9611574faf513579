//! Processes the tests need: where the project's services are, private
//! Redis instances that a test may stop and start, and the gateway binary.

use std::collections::HashMap;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use deadpool_redis::redis;

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

/// Delete every key under `prefix`.
pub async fn delete_redis_prefix(url: &str, prefix: &str) {
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
        if !keys.is_empty() {
            let _: redis::RedisResult<()> = redis::cmd("DEL").arg(&keys).query_async(&mut c).await;
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
}

impl PrivateRedis {
    /// A stopped instance with a reserved port (start it later).
    pub fn stopped() -> Self {
        Self {
            port: free_port(),
            child: None,
        }
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
        let child = Command::new("redis-server")
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
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
