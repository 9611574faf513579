//! A Redis Cluster of a test's own (3 masters + 3 replicas of Debian's
//! redis-server, joined by `redis-cli --cluster create`), so a test may
//! kill a master without disturbing the rest of the suite.

use std::process::{Child, Command, Stdio};

use super::procs::free_port;

/// Six redis-server processes in cluster mode, killed when dropped.
pub struct PrivateCluster {
    pub ports: Vec<u16>,
    children: Vec<Option<Child>>,
    _dir: tempfile::TempDir,
}

impl PrivateCluster {
    /// Start six nodes, join them, wait until every node says
    /// `cluster_state:ok`.
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let ports: Vec<u16> = (0..6).map(|_| free_port()).collect();
        let children = ports.iter().map(|p| Some(node(*p, dir.path()))).collect();
        let c = Self {
            ports,
            children,
            _dir: dir,
        };
        for p in &c.ports {
            super::wait_until("cluster node answers", 10, || async move {
                cli(*p, &["ping"]).is_some_and(|o| o.contains("PONG"))
            })
            .await;
        }
        let mut create = Command::new("redis-cli");
        create.arg("--cluster").arg("create");
        for p in &c.ports {
            create.arg(format!("127.0.0.1:{p}"));
        }
        let out = create
            .args(["--cluster-replicas", "1", "--cluster-yes"])
            .stdin(Stdio::null())
            .output()
            .expect("redis-cli runs");
        assert!(out.status.success(), "cluster create: {out:?}");
        c.wait_ok(&c.ports, 20).await;
        // Replicas acknowledge writes (WAIT) once their first sync is done.
        super::wait_until("every master has an online replica", 20, || async {
            let masters = c
                .ports
                .iter()
                .filter_map(|p| cli(*p, &["info", "replication"]));
            masters
                .filter(|i| i.contains("role:master"))
                .all(|i| i.contains("state=online"))
        })
        .await;
        c
    }

    /// The seed nodes, for `redis.cluster_nodes`.
    pub fn nodes(&self) -> Vec<String> {
        self.ports
            .iter()
            .map(|p| format!("127.0.0.1:{p}"))
            .collect()
    }

    /// The port of the master serving `key`'s slot.
    pub fn master_of(&self, key: &str) -> u16 {
        let live = self.live_port();
        let slot: u16 = cli(live, &["cluster", "keyslot", key])
            .and_then(|s| s.trim().parse().ok())
            .expect("a slot");
        for line in cli(live, &["cluster", "nodes"]).unwrap_or_default().lines() {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 9 || !f[2].contains("master") || f[2].contains("fail") {
                continue;
            }
            let serves = f[8..].iter().any(|r| match r.split_once('-') {
                Some((a, b)) => {
                    a.parse::<u16>().is_ok_and(|a| a <= slot)
                        && b.parse::<u16>().is_ok_and(|b| slot <= b)
                }
                None => r.parse::<u16>().is_ok_and(|s| s == slot),
            });
            if serves {
                let port = f[1].split(['@', ':']).nth(1).unwrap();
                return port.parse().unwrap();
            }
        }
        panic!("no master serves slot {slot}");
    }

    /// Kill the node on `port` (abruptly, as a crash would).
    pub fn kill(&mut self, port: u16) {
        let i = self.ports.iter().position(|p| *p == port).unwrap();
        if let Some(mut c) = self.children[i].take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Wait until the surviving nodes agree the cluster is whole again
    /// (a replica promoted for each dead master).
    pub async fn wait_failover(&self, secs: u64) {
        let live: Vec<u16> = self
            .ports
            .iter()
            .zip(&self.children)
            .filter(|(_, c)| c.is_some())
            .map(|(p, _)| *p)
            .collect();
        self.wait_ok(&live, secs).await;
    }

    async fn wait_ok(&self, ports: &[u16], secs: u64) {
        super::wait_until("cluster_state:ok on every node", secs, || async {
            ports.iter().all(|p| {
                cli(*p, &["cluster", "info"]).is_some_and(|i| i.contains("cluster_state:ok"))
            })
        })
        .await;
    }

    /// How many times `command` ran on the node on `port`.
    pub fn calls(&self, port: u16, command: &str) -> u64 {
        let stats = cli(port, &["info", "commandstats"]).unwrap_or_default();
        let prefix = format!("cmdstat_{command}:calls=");
        stats
            .lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .and_then(|rest| rest.split(',').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    }

    fn live_port(&self) -> u16 {
        self.ports
            .iter()
            .zip(&self.children)
            .find(|(_, c)| c.is_some())
            .map(|(p, _)| *p)
            .expect("a live node")
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        for c in self.children.iter_mut().filter_map(Option::take) {
            let mut c = c;
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn node(port: u16, dir: &std::path::Path) -> Child {
    let d = dir.join(port.to_string());
    std::fs::create_dir_all(&d).unwrap();
    // The bus port (port + 10000 by default) may be past 65535.
    let bus = free_port();
    Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args([
            "--cluster-enabled",
            "yes",
            "--cluster-port",
            &bus.to_string(),
        ])
        .args([
            "--cluster-node-timeout",
            "1000",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .arg("--dir")
        .arg(&d)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-server runs (scripts/services installs it)")
}

/// `redis-cli -p port args…`, its output when it ran.
fn cli(port: u16, args: &[&str]) -> Option<String> {
    let out = Command::new("redis-cli")
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}
