//! The replay guard (docs/protocol.md §11.5): the `data` of a call that
//! must not be repeated (a login, an SMS, any write) is remembered in Redis
//! for as long as its timestamp is accepted, so the same signed bytes are
//! served once, on any instance.

use sha2::{Digest, Sha256};

use super::stores::Stores;
use crate::protocol::error::{ApiError, ApiResult};

/// The refusal of a replayed call.
pub const REPLAYED: &str = "请求重复，请勿重复提交";

/// Claim `data` (the signed bytes) for `appid` for `ttl_secs`; of any
/// number of concurrent claims of the same bytes exactly one succeeds.
///
/// # Errors
/// 503 [`REPLAYED`] when the bytes were claimed before; 500 when Redis fails.
pub async fn claim(stores: &Stores, appid: &str, data: &[u8], ttl_secs: u64) -> ApiResult<()> {
    let key = stores.key(format!(
        "replay:{appid}:{}",
        hex::encode(Sha256::digest(data))
    ));
    let mut c = stores.redis();
    let fresh: Option<String> = redis::cmd("SET")
        .arg(&key)
        .arg(1)
        .arg("NX")
        .arg("EX")
        .arg(ttl_secs.max(1))
        .query_async(&mut c)
        .await?;
    if fresh.is_some() {
        Ok(())
    } else {
        Err(ApiError::business(REPLAYED))
    }
}
