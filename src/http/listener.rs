//! The listener's connection lifecycle: a cap on connections, one task per
//! connection, header size and time limits, backoff on accept errors, and
//! graceful draining when asked to stop.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use super::Gateway;

/// Accept and serve connections until `shutdown` resolves. Connections
/// already open are watched by `graceful`, which the caller drains.
pub async fn serve(
    listener: &TcpListener,
    gw: &Arc<Gateway>,
    graceful: &GracefulShutdown,
    shutdown: impl Future<Output = ()>,
) {
    let settings = gw.config.load().settings.server.clone();
    let slots = Arc::new(Semaphore::new(settings.max_connections));
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(settings.header_read_timeout_ms)
        .max_buf_size(settings.max_header_bytes.max(8192) + 64 * 1024)
        // hyper's own limit of 100 headers (docs/protocol.md §1) is kept by
        // not setting max_headers: set, even to 100, it zero-fills a
        // 100-slot table on the heap for every request head.
        .max_header_size(settings.max_header_bytes)
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
        let conn_gw = gw.clone();
        let service = service_fn(move |req| {
            let gw = conn_gw.clone();
            async move { Ok::<_, Infallible>(super::route(gw, peer, req).await) }
        });
        let conn = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        let state = gw.state.clone();
        tokio::spawn(async move {
            state.metrics.connection_opened();
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, %peer, "connection ended with an error");
            }
            state.metrics.connection_closed();
            drop(permit);
        });
    }
}
