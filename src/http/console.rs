//! The API console (docs/protocol.md §19): `GET /console`, its script and
//! style, the appids it may pick, and `GET /catalogue.json`, all embedded
//! in the binary and served only while `console.enabled` is on. The page
//! never receives a secret: the user types it and it stays in the tab.

use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, StatusCode};
use serde_json::{Value, json};

use super::Gateway;
use super::reply::{self, JSON, Resp, text};
use crate::config::Config;
use crate::config::apps::AppKind;
use crate::handler::catalogue;

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// The page's own files and the client module it imports (the kits'
/// JavaScript client, docs/clients.md §5).
const ASSETS: &[(&str, &str, &str)] = &[
    (
        "/console",
        HTML,
        include_str!("../../clients/console/index.html"),
    ),
    (
        "/console/console.mjs",
        JS,
        include_str!("../../clients/console/console.mjs"),
    ),
    (
        "/console/console.css",
        CSS,
        include_str!("../../clients/console/console.css"),
    ),
    (
        "/console/js/yafgate.mjs",
        JS,
        include_str!("../../clients/js/yafgate.mjs"),
    ),
];

/// Only the gateway's own files run and fetch; nothing inline.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
                   connect-src 'self'; img-src 'self' data: blob:; form-action 'none'; \
                   base-uri 'none'; frame-ancestors 'none'";

/// Whether `path` is one of the console's routes.
pub(super) fn owns(path: &str) -> bool {
    path == "/catalogue.json" || path == "/console" || path.starts_with("/console/")
}

/// Answer a console route: 404 while the console is off or for an unknown
/// file, 405 for other than GET and HEAD.
pub(super) fn serve(gw: &Gateway, req: &Request<Incoming>) -> Resp {
    let config = gw.config.load();
    if !config.settings.console.on(config.settings.env) {
        return not_found();
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return reply::not_allowed("GET, HEAD");
    }
    let path = req.uri().path();
    let mut r = match path {
        "/catalogue.json" => {
            let body = catalogue::catalogue(&gw.registry).to_string();
            text(StatusCode::OK, JSON, body)
        }
        "/console/apps.json" => text(StatusCode::OK, JSON, apps(&config).to_string()),
        _ => match ASSETS.iter().find(|(p, ..)| *p == path) {
            Some((_, kind, body)) => text(StatusCode::OK, kind, *body),
            None => return not_found(),
        },
    };
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    r
}

fn not_found() -> Resp {
    text(StatusCode::NOT_FOUND, JSON, r#"{"error":"not found"}"#)
}

/// The enabled appids the console offers: names, the platform their
/// clients send and whether answers are signed (so the page checks them),
/// never a secret.
fn apps(config: &Config) -> Value {
    let mut list: Vec<Value> = config
        .apps
        .iter()
        .filter(|a| a.enabled)
        .map(|a| {
            let (kind, platform) = match a.kind {
                AppKind::App => ("app", 1),
                AppKind::H5 => ("h5", 3),
                AppKind::Activity => ("activity", 3),
                AppKind::Web => ("web", 4),
                AppKind::Admin => ("admin", 5),
                AppKind::Partner => ("partner", 5),
                AppKind::MiniProgram => ("miniprogram", 6),
            };
            json!({
                "appid": a.appid,
                "name": a.name,
                "type": kind,
                "platform": platform,
                "sign_responses": a.sign_responses,
            })
        })
        .collect();
    list.sort_by(|a, b| a["appid"].as_str().cmp(&b["appid"].as_str()));
    json!({"apps": list})
}
