//! Per-test databases: each test gets a copy of a template database that
//! was migrated (with demo data) once per schema version.

use std::sync::OnceLock;

use tokio_postgres::NoTls;

use super::procs::services;

/// A database owned by one test.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

/// Replace the database name at the end of a postgres URL.
pub fn url_with_db(base: &str, db: &str) -> String {
    let (head, _) = base.rsplit_once('/').expect("postgres URL has a database");
    format!("{head}/{db}")
}

async fn admin() -> tokio_postgres::Client {
    let url = url_with_db(&services().pg_url, "postgres");
    let (client, conn) = tokio_postgres::connect(&url, NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {url}: {e}. Run `scripts/services start` (make test does)"));
    tokio::spawn(conn);
    client
}

fn template_name() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| {
        let name = format!("yafgate_tpl_{:016x}", yafgate::stores::schema_fingerprint());
        // Built once per process, on a thread of its own, so no test's
        // runtime owns the connections.
        let n = name.clone();
        std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(ensure_template(&n));
        })
        .join()
        .expect("template database built");
        name
    })
}

async fn ensure_template(name: &str) {
    let admin = admin().await;
    sweep_stale(&admin).await;
    let exists = admin
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
        .await
        .unwrap()
        .is_some();
    if exists {
        return;
    }
    let building = format!("{name}_b{}", std::process::id());
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {building}"))
        .await
        .unwrap();
    admin
        .batch_execute(&format!("CREATE DATABASE {building}"))
        .await
        .unwrap();
    let mut settings = yafgate::config::settings::Settings::default();
    settings.postgres.url =
        yafgate::config::settings::Secret::new(url_with_db(&services().pg_url, &building));
    yafgate::stores::migrate(&settings, true)
        .await
        .expect("template migrates");
    // Another test process may have finished first; then ours is surplus.
    if admin
        .batch_execute(&format!("ALTER DATABASE {building} RENAME TO {name}"))
        .await
        .is_err()
    {
        let _ = admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"))
            .await;
    }
}

/// Drop databases left by test processes that no longer run: per-test
/// copies (`yafgate_t<pid>_<n>`) and half-built templates
/// (`yafgate_tpl_<hash>_b<pid>`). Finished templates stay: test runs of
/// other checkouts may be using them.
async fn sweep_stale(admin: &tokio_postgres::Client) {
    let rows = admin
        .query(
            "SELECT datname FROM pg_database WHERE datname LIKE 'yafgate_t%'",
            &[],
        )
        .await
        .unwrap();
    let dead = |pid: &str| {
        pid.parse::<u32>()
            .is_ok_and(|p| !std::path::Path::new(&format!("/proc/{p}")).exists())
    };
    for row in rows {
        let name: String = row.get(0);
        let owner = match name.strip_prefix("yafgate_tpl_") {
            Some(rest) => rest.split_once("_b").map(|(_, pid)| pid),
            None => name
                .strip_prefix("yafgate_t")
                .and_then(|rest| rest.split('_').next()),
        };
        if owner.is_some_and(dead) {
            let _ = admin
                .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await;
        }
    }
}

impl TestDb {
    /// A fresh copy of the template.
    pub async fn create() -> Self {
        let template = template_name();
        let name = super::unique("yafgate_t");
        let admin = admin().await;
        admin
            .batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
            .await
            .unwrap_or_else(|e| panic!("creating {name}: {e}"));
        Self {
            url: url_with_db(&services().pg_url, &name),
            name,
        }
    }

    /// An empty database (no migrations), for migration tests.
    pub async fn empty() -> Self {
        let name = super::unique("yafgate_t");
        admin()
            .await
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        Self {
            url: url_with_db(&services().pg_url, &name),
            name,
        }
    }

    /// A client on this database.
    pub async fn client(&self) -> tokio_postgres::Client {
        let (client, conn) = tokio_postgres::connect(&self.url, NoTls).await.unwrap();
        tokio::spawn(conn);
        client
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop cannot await: use a thread with its own runtime, and wait.
        let _ = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(async {
                    let admin = admin().await;
                    let _ = admin
                        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await;
                });
        })
        .join();
    }
}
