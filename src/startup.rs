//! Start-up and the connection lifecycle: bind, build the shared state, then
//! accept connections (capped, one task each, with header/body deadlines)
//! until the shutdown future fires, and drain in-flight requests.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use arc_swap::ArcSwap;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

use crate::clock::Clock;
use crate::config::Config;
use crate::context::AppState;
use crate::registry::Registry;
use crate::store::Stores;
use crate::telemetry::Metrics;

/// A gateway bound to its port, ready to run.
pub struct Application {
    listener: TcpListener,
    port: u16,
    state: Arc<AppState>,
    triggers: crate::reload::Triggers,
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
        let port = listener.local_addr()?.port();
        let stores = Stores::build(&config.settings)?;
        let triggers = crate::reload::Triggers::install(&config);
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .connect_timeout(Duration::from_secs(2))
            .build()
            .context("building the HTTP client")?;
        let cache = crate::cache::AnswerCache::new(config.settings.cache.max_bytes);
        let state = Arc::new(AppState {
            config: Arc::new(ArcSwap::from_pointee(config)),
            stores,
            metrics: Metrics::new(),
            clock: Clock::system(),
            registry,
            http,
            instance: rand::random(),
            bans: ArcSwap::from_pointee(Vec::new()),
            cache,
        });
        Ok(Self {
            listener,
            port,
            state,
            triggers,
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The shared state (tests move its clock and read its metrics).
    pub fn state(&self) -> Arc<AppState> {
        self.state.clone()
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
            state,
            triggers,
            ..
        } = self;
        let (stop_tx, stop_rx) = watch::channel(false);
        let reloader = tokio::spawn(crate::reload::run(
            state.clone(),
            triggers,
            wait_for(stop_rx.clone()),
        ));
        let bans = tokio::spawn(crate::guards::refresh_ban_table(
            state.clone(),
            wait_for(stop_rx),
        ));
        let graceful = GracefulShutdown::new();
        accept_loop(&listener, &state, &graceful, shutdown).await;
        drop(listener);
        let _ = stop_tx.send(true);
        let grace = Duration::from_millis(state.config.load().settings.server.shutdown_grace_ms);
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
        Ok(())
    }
}

async fn wait_for(mut rx: watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}

async fn accept_loop(
    listener: &TcpListener,
    state: &Arc<AppState>,
    graceful: &GracefulShutdown,
    shutdown: impl Future<Output = ()>,
) {
    let settings = state.config.load().settings.server.clone();
    let slots = Arc::new(Semaphore::new(settings.max_connections));
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_millis(settings.header_read_timeout_ms))
        .max_buf_size(settings.max_header_bytes.max(8192) + 64 * 1024)
        .max_header_size(settings.max_header_bytes)
        .max_headers(100)
        .keep_alive(true);
    let mut backoff = Duration::from_millis(5);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            () = &mut shutdown => return,
            p = slots.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => return,
            },
        };
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => return,
            accepted = listener.accept() => match accepted {
                Ok(pair) => {
                    backoff = Duration::from_millis(5);
                    pair
                }
                Err(e) => {
                    // EMFILE and friends: wait for descriptors to free up.
                    tracing::warn!(error = %e, backoff_ms = backoff.as_millis() as u64, "accept failed");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(1));
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let conn_state = state.clone();
        let service = service_fn(move |req| {
            let state = conn_state.clone();
            async move { Ok::<_, Infallible>(crate::server::route(state, peer, req).await) }
        });
        let conn = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        let metrics_state = state.clone();
        tokio::spawn(async move {
            metrics_state.metrics.connection_opened();
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, %peer, "connection ended with an error");
            }
            metrics_state.metrics.connection_closed();
            drop(permit);
        });
    }
}
