//! Handlers' access to the answer cache (`stores::cache`): a whole
//! public answer keyed by method, version and parameters, or a shared
//! piece (upgrade rules, the ads of a position). docs/protocol.md §13 says
//! which answers are cached and how stale they may be.

use std::fmt::Display;
use std::future::Future;

use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::context::Ctx;
use crate::protocol::Reply;
use crate::protocol::error::{ApiError, ApiResult};

fn to_json(value: &impl Serialize) -> ApiResult<Bytes> {
    serde_json::to_vec(value)
        .map(Bytes::from)
        .map_err(|e| ApiError::Internal(anyhow::Error::new(e).context("serialising an answer")))
}

async fn cached_json<T: Serialize>(
    ctx: &Ctx,
    key: &str,
    load: impl Future<Output = ApiResult<T>>,
) -> ApiResult<Bytes> {
    let clock = &ctx.state.clock;
    ctx.state
        .cache
        .get_or_load(
            key,
            ctx.config.settings.cache.ttl_ms,
            || clock.monotonic_ms(),
            async { to_json(&load.await?) },
        )
        .await
}

/// A public answer ("success") from the cache, or from `load`. The key is
/// the method's registered name, the caller's API version and `params`
/// (the normalised parameters the answer depends on). Never for answers
/// that depend on the user.
///
/// # Errors
/// What `load` returned.
pub async fn reply<T: Serialize>(
    ctx: &Ctx,
    params: impl Display,
    load: impl Future<Output = ApiResult<T>>,
) -> ApiResult<Reply> {
    let key = format!("{}@{}|{params}", ctx.caller.method, ctx.caller.v);
    Reply::raw("success", cached_json(ctx, &key, load).await?)
}

/// A cached piece that several answers share (upgrade rules, the ads of a
/// position), under `key` (which must not collide with a method name).
///
/// # Errors
/// What `load` returned; an internal error when the cached JSON does not
/// read back as `T` (a bug).
pub async fn value<T: Serialize + DeserializeOwned>(
    ctx: &Ctx,
    key: &str,
    load: impl Future<Output = ApiResult<T>>,
) -> ApiResult<T> {
    let json = cached_json(ctx, key, load).await?;
    serde_json::from_slice(&json)
        .map_err(|e| ApiError::Internal(anyhow::Error::new(e).context("reading a cached value")))
}
