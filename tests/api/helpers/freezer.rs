//! A TCP proxy to the project's PostgreSQL that can freeze the connections
//! of one kind open at that moment, told apart by the `application_name`
//! of their startup message (docs/protocol.md §8.8, §24.3, §24.4): it stops
//! passing their bytes either way and keeps them open, as a network that
//! drops a connection without a reset does. Connections opened later, and
//! those of other kinds, pass.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::db::TestDb;
use super::{Options, Settings, TestApp, assert_code, codes_of, spawn_app_with};

pub struct Freezer {
    pub port: u16,
    /// Connections of the kind numbered below this are frozen.
    frozen_below: Arc<AtomicU64>,
    next: Arc<AtomicU64>,
}

impl Freezer {
    /// The shared read connections' startup parameter.
    pub const SHARED_READS: &'static [u8] = b"application_name\0yafgate reads\0";
    /// The pool's connections' startup parameter.
    pub const POOL: &'static [u8] = b"application_name\0yafgate\0";
    /// The profile listener's startup parameter (docs/protocol.md §8.8).
    pub const LISTENER: &'static [u8] = b"application_name\0yafgate listen\0";

    /// A proxy to the project's PostgreSQL that can freeze connections
    /// whose startup message holds `kind` (one of the constants above).
    pub async fn start(kind: &'static [u8]) -> Self {
        Self::start_to(kind, &super::procs::services().pg_url).await
    }

    /// The same in front of the server of `url` (a PgBouncer, say).
    pub async fn start_to(kind: &'static [u8], url: &str) -> Self {
        let upstream = {
            let rest = url.split_once('@').map_or(url, |(_, r)| r);
            rest.split('/').next().unwrap().to_string()
        };
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let frozen_below = Arc::new(AtomicU64::new(0));
        let next = Arc::new(AtomicU64::new(0));
        let (fb, nx) = (frozen_below.clone(), next.clone());
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let id = nx.fetch_add(1, Ordering::SeqCst);
                let server = TcpStream::connect(&upstream).await.unwrap();
                tokio::spawn(pass(client, server, kind, id, fb.clone()));
            }
        });
        Self {
            port,
            frozen_below,
            next,
        }
    }

    /// The URL of database `db` through this proxy.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// Freeze the connections of the kind open now.
    pub fn freeze(&self) {
        self.frozen_below
            .store(self.next.load(Ordering::SeqCst), Ordering::SeqCst);
    }
}

/// Pass bytes both ways until either side closes; a connection of `kind`
/// numbered below `frozen_below` passes nothing more.
async fn pass(
    client: TcpStream,
    server: TcpStream,
    kind: &'static [u8],
    id: u64,
    frozen_below: Arc<AtomicU64>,
) {
    let (mut cr, cw) = client.into_split();
    let (sr, mut sw) = server.into_split();
    let mut first = vec![0; 8192];
    let Ok(n) = cr.read(&mut first).await else {
        return;
    };
    let ours = first[..n].windows(kind.len()).any(|w| w == kind);
    if sw.write_all(&first[..n]).await.is_err() {
        return;
    }
    let frozen = move || ours && id < frozen_below.load(Ordering::SeqCst);
    let one_way = |mut from: tokio::net::tcp::OwnedReadHalf,
                   mut to: tokio::net::tcp::OwnedWriteHalf,
                   frozen: Box<dyn Fn() -> bool + Send>| async move {
        let mut buf = vec![0; 16384];
        loop {
            let Ok(n) = from.read(&mut buf).await else {
                return;
            };
            if n == 0 {
                return;
            }
            if frozen() {
                // Hold the connection open and pass nothing, for good.
                std::future::pending::<()>().await;
            }
            if to.write_all(&buf[..n]).await.is_err() {
                return;
            }
        }
    };
    let f2 = frozen.clone();
    tokio::join!(
        one_way(cr, sw, Box::new(frozen)),
        one_way(sr, cw, Box::new(f2))
    );
}

/// A gateway on a database of its own whose PostgreSQL connections all go
/// through a new [`Freezer`] of `kind`, with `configure` applied. Bind the
/// three in this order, so that the gateway is dropped first.
pub async fn app_behind(
    kind: &'static [u8],
    configure: impl FnOnce(&mut Settings) + Send + 'static,
) -> (TestDb, Freezer, TestApp) {
    let db = TestDb::create().await;
    let freezer = Freezer::start(kind).await;
    let app = spawn_app_with(Options {
        postgres_url: Some(freezer.url(&db.name)),
        ..Options::configure(configure)
    })
    .await;
    (db, freezer, app)
}

/// A statement timeout of 1 s: an answer deadline of 2 s (docs/protocol.md
/// §24.4), so that a frozen connection is found out quickly.
pub fn short_statements(s: &mut Settings) {
    super::config::set_statement_timeout(s, Duration::from_secs(1));
}

/// Settings for a gateway whose pool goes through a [`Freezer`]:
/// [`short_statements`], and callers queued behind frozen connections wait
/// them out.
pub fn short_deadlines(s: &mut Settings) {
    short_statements(s);
    super::config::set_postgres_timeouts(s, Duration::from_secs(2), Duration::from_secs(10));
}

/// The fault of docs/protocol.md §24.4 on `app`, whose pool goes through
/// `freezer` (with [`short_deadlines`]): every connection of the pool is
/// opened, then frozen; of three times as many concurrent writes as
/// connections (`message.read.status` of `msgid`, as `token`) exactly one
/// per frozen connection fails, with the plain 500, and the rest are
/// served; so is every call after them, one by one.
pub async fn a_frozen_pool_fails_one_call_per_connection(
    app: &TestApp,
    freezer: &Freezer,
    token: &str,
    msgid: i64,
) {
    let size = app.settings.postgres.pool_size;
    let held = futures_util::future::join_all((0..size).map(|_| async {
        let db = app.state.stores.pg().await.unwrap();
        db.batch_execute("SELECT 1").await.unwrap();
        db
    }))
    .await;
    drop(held);
    freezer.freeze();

    let write = || app.call_with_token("message.read.status", token, json!({"msgid": msgid}));
    let calls = (0..3 * size).map(|_| async move {
        tokio::time::timeout(Duration::from_secs(20), write())
            .await
            .expect("the call is answered, frozen connection or not")
    });
    let answers = futures_util::future::join_all(calls).await;
    let failed: Vec<_> = answers.iter().filter(|a| a["code"] == 500).collect();
    assert_eq!(
        failed.len(),
        size,
        "one failed call per frozen connection: {answers:?}"
    );
    let plain = yafgate::protocol::error::INTERNAL_MSG;
    assert!(failed.iter().all(|a| a["msg"] == plain), "{failed:?}");
    let served = codes_of(&answers).iter().filter(|&&c| c == 200).count();
    assert_eq!(served, 2 * size, "{answers:?}");
    // The frozen connections are gone: one call after another is served.
    for _ in 0..2 * size {
        let env = tokio::time::timeout(Duration::from_secs(5), write())
            .await
            .expect("answered");
        assert_code(&env, 200);
    }
}
