//! The round trip on a single Redis node: one script, `gate.lua`.

use std::sync::LazyLock;

use redis::Script;

use super::ask::{Ask, verdict};
use crate::gate::session;
use crate::protocol::error::{ApiError, ApiResult};
use crate::stores::Stores;

static GATE: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("gate.lua")));

/// Run the steps of `ask` in one round trip.
///
/// # Errors
/// Redis failures (500); a reply the script cannot give (500).
pub(super) async fn run(stores: &Stores, ask: &Ask<'_>) -> ApiResult<super::Verdict> {
    let mut inv = GATE.prepare_invoke();
    inv.arg(stores.prefix())
        .arg(ask.now)
        .arg(ask.upto as u8)
        .arg(ask.ip.to_string())
        .arg(ask.limits.len());
    for (key, l) in &ask.limits {
        inv.arg(key).arg(l.requests).arg(l.per_secs);
    }
    for claim in [&ask.request_no, &ask.replay] {
        match claim {
            Some((key, ttl)) => inv.arg(key).arg((*ttl).max(1)),
            None => inv.arg("").arg(1),
        };
    }
    match &ask.session {
        Some(s) => {
            inv.arg(&s.token)
                .arg(session::tag(s.class, s.scope).as_ref())
                .arg(s.settings.app_ttl_secs)
                .arg(s.settings.web_ttl_secs)
                .arg(s.user_limits.len());
            for (before, after, l) in &s.user_limits {
                inv.arg(before).arg(after).arg(l.requests).arg(l.per_secs);
            }
        }
        None => {
            inv.arg("");
        }
    }
    let mut c = stores.redis();
    let reply: redis::Value = inv.invoke_async(&mut c).await?;
    let reply: Vec<Option<String>> = match reply {
        // The full user reply, as one JSON array text (gate.lua).
        redis::Value::BulkString(json) => serde_json::from_slice(&json)
            .map_err(|e| ApiError::Internal(anyhow::Error::new(e).context("gate reply")))?,
        other => redis::FromRedisValue::from_redis_value(other)
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("gate reply: {e}")))?,
    };
    verdict(&reply).ok_or_else(|| ApiError::Internal(anyhow::anyhow!("gate reply {reply:?}")))
}
