//! The ops routes (docs/protocol.md §14): `/healthz`, `/readyz`, and
//! `/metrics` for the addresses in `server.metrics_allow`.

use std::net::SocketAddr;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::{Method, Request, StatusCode};

use super::Gateway;
use super::endpoint::client_ip_of;
use super::reply::{self, JSON, Resp, text};

fn readable(req: &Request<Incoming>) -> bool {
    req.method() == Method::GET || req.method() == Method::HEAD
}

pub(super) fn healthz(req: &Request<Incoming>) -> Resp {
    if !readable(req) {
        return reply::not_allowed("GET, HEAD");
    }
    text(StatusCode::OK, JSON, r#"{"status":"ok"}"#)
}

pub(super) async fn readyz(gw: &Gateway, req: &Request<Incoming>) -> Resp {
    if !readable(req) {
        return reply::not_allowed("GET, HEAD");
    }
    let (pg, redis) = gw.state.stores.readiness(Duration::from_secs(1)).await;
    let word = |up: bool| if up { "up" } else { "down" };
    let body = format!(r#"{{"postgres":"{}","redis":"{}"}}"#, word(pg), word(redis));
    let status = if pg && redis {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    text(status, JSON, body)
}

pub(super) fn metrics(gw: &Gateway, peer: SocketAddr, req: &Request<Incoming>) -> Resp {
    let config = gw.config.load();
    let ip = client_ip_of(&config, peer, req.headers());
    let allowed = config
        .settings
        .server
        .metrics_allow
        .iter()
        .any(|n| n.contains(&ip));
    if !allowed {
        return text(StatusCode::FORBIDDEN, JSON, r#"{"error":"forbidden"}"#);
    }
    if !readable(req) {
        return reply::not_allowed("GET, HEAD");
    }
    let state = &gw.state;
    let pg = state.stores.pg.status();
    state
        .metrics
        .pool("postgres", pg.size, pg.available, pg.max_size);
    if let Some(shared) = state.stores.shared_reads() {
        let (open, idle, max) = shared.status();
        state.metrics.pool("postgres_shared_reads", open, idle, max);
    }
    text(
        StatusCode::OK,
        "text/plain; version=0.0.4; charset=utf-8",
        state.metrics.encode(),
    )
}
