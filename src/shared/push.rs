//! Pushes to a user's devices (docs/protocol.md §8.12): the `device_token`
//! an app sends is remembered at login, and [`send`] delivers to the user's
//! latest tokens through the driver `[push] driver` names.

use redis::AsyncCommands;
use serde::Serialize;
use serde_json::Value;

use crate::config::push::{PushDriver, PushSettings};
use crate::protocol::error::ApiResult;
use crate::stores::Stores;

/// The Redis list (unprefixed) the sandbox driver appends deliveries to.
pub const SANDBOX_LIST: &str = "push:sandbox";

/// What a push says.
#[derive(Debug, Clone, Serialize)]
pub struct Message<'a> {
    pub title: &'a str,
    pub body: &'a str,
    /// Whatever the app needs to open the right page.
    pub payload: &'a Value,
}

/// One delivery, as the sandbox records it and the webhook posts it.
#[derive(Serialize)]
struct Delivery<'a> {
    user_id: i64,
    device_token: &'a str,
    platform: i16,
    #[serde(flatten)]
    message: &'a Message<'a>,
}

/// Remember that `user_id` logged in on the device with `device_token`
/// (an empty token is nothing to remember); the token leaves any user it
/// belonged to before.
///
/// # Errors
/// PostgreSQL failures.
pub async fn remember(
    stores: &Stores,
    user_id: i64,
    (appid, platform): (&str, i16),
    device_token: &str,
) -> ApiResult<()> {
    if device_token.is_empty() {
        return Ok(());
    }
    let db = stores.pg().await?;
    let stmt = db
        .prepare_cached(
            "INSERT INTO device_tokens (appid, device_token, platform, user_id) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (appid, device_token) DO UPDATE \
             SET platform = EXCLUDED.platform, user_id = EXCLUDED.user_id, updated_at = now()",
        )
        .await?;
    db.execute(&stmt, &[&appid, &device_token, &platform, &user_id])
        .await?;
    Ok(())
}

/// Push `message` to the latest `max_devices` devices of `user_id`; how
/// many deliveries succeeded (a failed one is logged with its cause).
///
/// # Errors
/// PostgreSQL or (sandbox) Redis failures.
#[tracing::instrument(skip_all, fields(user_id = user_id))]
pub async fn send(
    stores: &Stores,
    settings: &PushSettings,
    http: &reqwest::Client,
    user_id: i64,
    message: &Message<'_>,
) -> ApiResult<usize> {
    let db = stores.pg().await?;
    let stmt = db
        .prepare_cached(
            "SELECT device_token, platform FROM device_tokens WHERE user_id = $1 \
             ORDER BY updated_at DESC LIMIT $2",
        )
        .await?;
    let limit = i64::from(settings.max_devices);
    let rows = db.query(&stmt, &[&user_id, &limit]).await?;
    drop(db);
    let mut delivered = 0;
    for row in rows {
        let d = Delivery {
            user_id,
            device_token: row.get(0),
            platform: row.get(1),
            message,
        };
        match deliver(stores, settings, http, &d).await {
            Ok(()) => delivered += 1,
            Err(e) => tracing::warn!(error = %format!("{e:#}"), "push not delivered"),
        }
    }
    Ok(delivered)
}

async fn deliver(
    stores: &Stores,
    settings: &PushSettings,
    http: &reqwest::Client,
    d: &Delivery<'_>,
) -> anyhow::Result<()> {
    match settings.driver {
        PushDriver::Log => {
            tracing::info!(
                platform = d.platform,
                title = d.message.title,
                "push sent by the log driver (device token withheld)"
            );
            Ok(())
        }
        PushDriver::Sandbox => {
            let mut c = stores.redis();
            let _: i64 = c
                .rpush(stores.key(SANDBOX_LIST), serde_json::to_string(d)?)
                .await?;
            Ok(())
        }
        PushDriver::Webhook => {
            let mut req = http
                .post(&settings.webhook_url)
                .timeout(settings.webhook_timeout_ms)
                .json(d);
            if !settings.webhook_token.expose().is_empty() {
                req = req.bearer_auth(settings.webhook_token.expose());
            }
            let resp = req
                .send()
                .await
                .map_err(|e| anyhow::anyhow!("push webhook: {}", e.without_url()))?;
            anyhow::ensure!(
                resp.status().is_success(),
                "push webhook answered {}",
                resp.status()
            );
            Ok(())
        }
    }
}
