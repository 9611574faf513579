//! Anti-duplicate request tokens (docs/protocol.md §9): single-use, bound to the user
//! (or the device when anonymous), consumed by one atomic Redis script so
//! exactly one of any number of concurrent submissions wins, across
//! gateway instances.

use std::sync::LazyLock;

use redis::Script;

use super::session::new_token;
use super::stores::Stores;
use crate::config::accounts::RequestTokenSettings;
use crate::protocol::error::{ApiError, ApiResult};

/// Issue `n` tokens for `owner` (see `Ctx::token_owner`).
///
/// # Errors
/// Redis failures.
pub async fn issue(
    stores: &Stores,
    settings: &RequestTokenSettings,
    owner: &str,
    n: usize,
) -> ApiResult<Vec<String>> {
    let tokens: Vec<String> = (0..n).map(|_| new_token()).collect();
    let mut pipe = redis::pipe();
    for t in &tokens {
        pipe.cmd("SET")
            .arg(stores.key(format!("rt:{t}")))
            .arg(owner)
            .arg("EX")
            .arg(settings.ttl_secs)
            .ignore();
    }
    let mut c = stores.redis();
    pipe.query_async::<()>(&mut c).await?;
    Ok(tokens)
}

static CONSUME: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
",
    )
});

/// Use up `token`, which must belong to `owner`.
///
/// # Errors
/// 503 when it is missing, unknown, someone else's or already used; 500
/// when Redis fails.
pub async fn consume(stores: &Stores, owner: &str, token: Option<&str>) -> ApiResult<()> {
    let token = token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::business("缺少参数 req_token"))?;
    if token.len() != 32 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(reused());
    }
    let mut c = stores.redis();
    let ok: i64 = CONSUME
        .key(stores.key(format!("rt:{token}")))
        .arg(owner)
        .invoke_async(&mut c)
        .await?;
    if ok == 1 { Ok(()) } else { Err(reused()) }
}

fn reused() -> ApiError {
    ApiError::business("请求令牌无效或已使用，请勿重复提交")
}
