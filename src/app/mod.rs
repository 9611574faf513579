//! The application: start-up (bind, build the shared services), the
//! background tasks (config reload, the ban table, the timed jobs), serving until the
//! shutdown future fires, and draining in-flight requests; the command
//! line; logging. The top layer: it may use every other one, and it is
//! where the handlers of `methods/` are handed to the gateway (through
//! [`crate::registry`]).

pub mod cli;
pub mod jobs;
pub mod logging;
pub mod reload;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use arc_swap::ArcSwap;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::config::{Config, ConfigCell};
use crate::gate::guards::{self, BanTable};
use crate::gate::password::PasswordWork;
use crate::gate::profile;
use crate::handler::{AppState, Registry};
use crate::http::Gateway;
use crate::http::body::BodyBudget;
use crate::shared::pay::PayKeys;
use crate::stores::cache::AnswerCache;
use crate::stores::{Clock, Metrics, Stores};

/// A gateway bound to its port, ready to run.
pub struct Application {
    listener: TcpListener,
    port: u16,
    gateway: Arc<Gateway>,
    triggers: reload::Triggers,
}

impl Application {
    /// Bind the listener (port 0 picks a free one) and build the shared
    /// state. Stores are not contacted: the gateway starts while they are
    /// down and serves as soon as they answer.
    ///
    /// # Errors
    /// The address cannot be bound, or a store URL does not parse.
    pub async fn build(config: Config, registry: Registry) -> anyhow::Result<Self> {
        let addr = config.settings.server.listen;
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("binding {addr}"))?;
        let local_addr = listener.local_addr()?;
        let port = local_addr.port();
        let pay_keys = Arc::new(PayKeys::load(&config.settings.payments)?);
        let stores = Stores::build(&config.settings)?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .connect_timeout(Duration::from_secs(2))
            .build()
            .context("building the HTTP client")?;
        let cache = AnswerCache::new(config.settings.cache.max_bytes);
        let metrics = Metrics::new();
        let triggers = reload::Triggers::install(&config, metrics.watch_events_counter());
        let state = Arc::new(AppState {
            stores,
            metrics,
            clock: Clock::system(),
            jobs: registry.jobs().to_vec(),
            http,
            instance: rand::random(),
            bans: Arc::new(BanTable::default()),
            cache,
            password_work: PasswordWork::new(config.settings.guards.password_workers),
            heavy: tokio::sync::Semaphore::new(config.settings.postgres.heavy_reads),
            pay_keys,
            local_addr,
        });
        let budget = BodyBudget::new(config.settings.server.body_memory_budget_bytes);
        let gateway = Arc::new(Gateway {
            state,
            registry,
            budget,
            config: Arc::new(ArcSwap::from_pointee(config)),
        });
        Ok(Self {
            listener,
            port,
            gateway,
            triggers,
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The shared state (tests move its clock and read its metrics).
    pub fn state(&self) -> Arc<AppState> {
        self.gateway.state.clone()
    }

    /// The configuration in force (reloads replace what it holds).
    pub fn config(&self) -> ConfigCell {
        self.gateway.config.clone()
    }

    /// Serve until `shutdown` resolves, then stop accepting and give
    /// in-flight requests `server.shutdown_grace_ms` to finish.
    ///
    /// # Errors
    /// Only for failures of the listener itself that cannot be retried.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send,
    ) -> anyhow::Result<()> {
        let Self {
            listener,
            gateway,
            triggers,
            ..
        } = self;
        let (stop_tx, stop_rx) = watch::channel(false);
        let reloader = tokio::spawn(reload::run(
            gateway.config.clone(),
            gateway.state.clone(),
            triggers,
            wait_for(stop_rx.clone()),
        ));
        let cell = gateway.config.clone();
        let bans = tokio::spawn(guards::refresh_ban_table(
            gateway.state.bans.clone(),
            gateway.state.stores.clone(),
            move || Duration::from_secs(cell.load().settings.guards.ban_table_refresh_secs),
            wait_for(stop_rx.clone()),
        ));
        let scheduler = tokio::spawn(jobs::schedule(
            gateway.state.clone(),
            gateway.config.clone(),
            wait_for(stop_rx.clone()),
        ));
        let (listening, mut following) = watch::channel(false);
        let profiles = tokio::spawn(profile::follow_changes(
            gateway.state.stores.clone(),
            Duration::from_secs(1),
            listening,
            wait_for(stop_rx),
        ));
        // Serve once profile changes are followed (docs/protocol.md §8.8),
        // so a change made after start-up cannot be missed; with PostgreSQL
        // down, serve anyway after a short wait (the profile TTL bounds it).
        let followed = tokio::time::timeout(Duration::from_secs(3), following.wait_for(|on| *on));
        if followed.await.is_err() {
            tracing::warn!("profile changes not followed yet; serving anyway");
        }
        let graceful = GracefulShutdown::new();
        crate::http::serve(&listener, &gateway, &graceful, shutdown).await;
        drop(listener);
        let _ = stop_tx.send(true);
        let grace = gateway.config.load().settings.server.shutdown_grace_ms;
        tracing::info!(
            grace_ms = grace.as_millis() as u64,
            "shutting down: draining connections"
        );
        tokio::select! {
            () = graceful.shutdown() => tracing::info!("all connections drained"),
            () = tokio::time::sleep(grace) => tracing::warn!("grace period over; closing the remaining connections"),
        }
        let _ = reloader.await;
        let _ = bans.await;
        let _ = profiles.await;
        let _ = scheduler.await;
        Ok(())
    }
}

async fn wait_for(mut rx: watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}
