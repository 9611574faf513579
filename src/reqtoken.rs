//! Anti-duplicate request tokens (DESIGN §5): single-use, bound to the user
//! (or the device when anonymous), consumed by one atomic Redis script so
//! exactly one of any number of concurrent submissions wins, across
//! gateway instances.

use std::sync::LazyLock;

use redis::Script;

use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};

/// Whom a token belongs to: the user, else the app install.
pub fn owner(ctx: &Ctx) -> String {
    match &ctx.user {
        Some(u) => format!("u:{}", u.id),
        None => format!("d:{}:{}", ctx.caller.appid, ctx.caller.unique_id),
    }
}

/// Issue `n` tokens for the caller.
///
/// # Errors
/// Redis failures.
pub async fn issue(ctx: &Ctx, n: usize) -> ApiResult<Vec<String>> {
    let ttl = ctx.config.settings.request_token.ttl_secs;
    let owner = owner(ctx);
    let tokens: Vec<String> = (0..n).map(|_| crate::session::new_token()).collect();
    let mut pipe = redis::pipe();
    for t in &tokens {
        pipe.cmd("SET")
            .arg(ctx.state.stores.key(format!("rt:{t}")))
            .arg(&owner)
            .arg("EX")
            .arg(ttl)
            .ignore();
    }
    let mut c = ctx.state.stores.redis().await?;
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

/// Use up the request's `req_token`.
///
/// # Errors
/// 503 when it is missing, unknown, someone else's or already used; 500
/// when Redis fails.
pub async fn consume(ctx: &Ctx, token: Option<&str>) -> ApiResult<()> {
    let token = token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::business("缺少参数 req_token"))?;
    if token.len() != 32 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(reused());
    }
    let mut c = ctx.state.stores.redis().await?;
    let ok: i64 = CONSUME
        .key(ctx.state.stores.key(format!("rt:{token}")))
        .arg(owner(ctx))
        .invoke_async(&mut c)
        .await?;
    if ok == 1 { Ok(()) } else { Err(reused()) }
}

fn reused() -> ApiError {
    ApiError::business("请求令牌无效或已使用，请勿重复提交")
}
