//! `POST /notify/pay/<driver>`: payment notifications (docs/protocol.md,
//! "Payments"). Not signed by our protocol and without an appid: the
//! driver's own signature scheme verifies it (`shared::pay::notify`).
//! Answers as WeChat Pay expects: 204 on success, 4xx/5xx with
//! `{"code":"FAIL","message":…}` otherwise.

use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::{Method, Request, StatusCode};

use super::Gateway;
use super::reply::{self, JSON, Resp, text};
use crate::shared::pay::Payments;
use crate::shared::pay::notify::{self, NotifyError};

/// Notifications are a few hundred bytes; anything larger is not one.
const MAX_BODY: usize = 64 * 1024;

pub(super) async fn notify(gw: &Gateway, driver: &str, req: Request<Incoming>) -> Resp {
    if req.method() != Method::POST {
        return reply::not_allowed("POST");
    }
    let config = gw.config.load_full();
    let headers = notify::headers_from(|name| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    });
    let deadline = config.settings.server.body_read_timeout_ms;
    let read = tokio::time::timeout(deadline, Limited::new(req.into_body(), MAX_BODY).collect());
    let body = match read.await {
        Ok(Ok(b)) => b.to_bytes(),
        Ok(Err(_)) => return fail(&NotifyError::Malformed("body too large or cut")),
        Err(_) => return reply::transport(StatusCode::REQUEST_TIMEOUT),
    };
    let Ok(body) = std::str::from_utf8(&body) else {
        return fail(&NotifyError::Malformed("body is not UTF-8"));
    };
    let pay = Payments {
        stores: &gw.state.stores,
        settings: &config.settings.payments,
        keys: &gw.state.pay_keys,
        http: &gw.state.http,
        now: gw.state.clock.now(),
        local_addr: gw.state.local_addr,
    };
    match notify::apply(&pay, gw.registry.pay_subjects(), driver, &headers, body).await {
        Ok(applied) => {
            gw.state.metrics.pay_notification(applied.outcome);
            tracing::info!(
                driver,
                notify_id = %applied.notify_id,
                out_trade_no = %applied.out_trade_no,
                outcome = applied.outcome,
                "payment notification"
            );
            let mut r = text(StatusCode::NO_CONTENT, JSON, "");
            r.headers_mut().remove(hyper::header::CONTENT_TYPE);
            r
        }
        Err(e) => {
            gw.state.metrics.pay_notification(e.label());
            match &e {
                NotifyError::Internal(cause) => {
                    tracing::error!(
                        driver,
                        error = format!("{cause:#}"),
                        "payment notification failed"
                    )
                }
                refused => {
                    tracing::warn!(driver, reason = %refused, "payment notification refused")
                }
            }
            fail(&e)
        }
    }
}

fn fail(e: &NotifyError) -> Resp {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
    text(status, JSON, notify::fail_body(e).to_string())
}
