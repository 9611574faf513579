//! Anti-duplicate request tokens (docs/protocol.md §9): single-use, bound to the user
//! (or the device when anonymous), consumed by one atomic Redis script so
//! exactly one of any number of concurrent submissions wins, across
//! gateway instances.

use std::sync::LazyLock;

use redis::Script;

use super::session::new_token;
use crate::config::accounts::RequestTokenSettings;
use crate::protocol::error::{ApiError, ApiResult};
use crate::stores::Stores;
use crate::stores::redis_conn;

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
    let sets = tokens.iter().map(|t| {
        let mut set = redis::cmd("SET");
        set.arg(stores.key(format!("rt:{t}")))
            .arg(owner)
            .arg("EX")
            .arg(settings.ttl_secs);
        set
    });
    // Each token is its own slot on a cluster: one pipeline per token.
    redis_conn::each(&stores.redis(), sets.collect()).await?;
    Ok(tokens)
}

const CONSUME_LUA: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
";

static CONSUME: LazyLock<Script> = LazyLock::new(|| Script::new(CONSUME_LUA));

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
    let key = stores.key(format!("rt:{token}"));
    let mut c = stores.redis();
    if c.is_cluster() {
        return consume_acknowledged(stores, &key, owner).await;
    }
    let ok: i64 = CONSUME.key(key).arg(owner).invoke_async(&mut c).await?;
    if ok == 1 { Ok(()) } else { Err(reused()) }
}

/// On a cluster, the deletion reaches a replica before the answer
/// (`WAIT 1`, in the same pipeline, so on the key's master): a failover
/// right after cannot bring the token back. A master without replicas
/// (its own replica was promoted and nothing replaced it yet) cannot be
/// failed over, so there the deletion alone is enough, and `WAIT` (which
/// would block its whole deadline) is left out; `ROLE`, asked first on
/// the key's master, says which (docs/protocol.md §12.6.1).
async fn consume_acknowledged(stores: &Stores, key: &str, owner: &str) -> ApiResult<()> {
    let wait_ms = u64::try_from(stores.replica_wait().as_millis()).unwrap_or(u64::MAX);
    let mut c = stores.redis();
    let (_, role): (i64, redis::Value) = redis::pipe()
        .cmd("EXISTS")
        .arg(key)
        .cmd("ROLE")
        .query_async(&mut c)
        .await?;
    let replicas = replicas_of(&role);
    let mut pipe = redis::pipe();
    pipe.cmd("EVAL").arg(CONSUME_LUA).arg(1).arg(key).arg(owner);
    if replicas == Some(0) {
        let (ok,): (i64,) = pipe.query_async(&mut c).await?;
        return if ok == 1 { Ok(()) } else { Err(reused()) };
    }
    let (ok, acked): (i64, i64) = pipe
        .cmd("WAIT")
        .arg(1)
        .arg(wait_ms.max(1))
        .query_async(&mut c)
        .await?;
    if ok != 1 {
        return Err(reused());
    }
    if acked < 1 {
        return Err(ApiError::Internal(anyhow::anyhow!(
            "request token consumption not acknowledged by any of {replicas:?} replicas within {wait_ms} ms"
        )));
    }
    Ok(())
}

/// The number of replicas in a master's `ROLE` reply; `None` for any
/// other reply.
fn replicas_of(role: &redis::Value) -> Option<usize> {
    match role {
        redis::Value::Array(parts) => match parts.as_slice() {
            [_, _, redis::Value::Array(replicas)] => Some(replicas.len()),
            _ => None,
        },
        _ => None,
    }
}

fn reused() -> ApiError {
    ApiError::business("请求令牌无效或已使用，请勿重复提交")
}

#[cfg(test)]
mod tests {
    use redis::Value;

    use super::replicas_of;

    #[test]
    fn role_replies_count_a_masters_replicas() {
        let master = |replicas: Vec<Value>| {
            Value::Array(vec![
                Value::BulkString(b"master".to_vec()),
                Value::Int(42),
                Value::Array(replicas),
            ])
        };
        let replica = Value::Array(vec![
            Value::BulkString(b"127.0.0.1".to_vec()),
            Value::BulkString(b"57004".to_vec()),
            Value::BulkString(b"42".to_vec()),
        ]);
        assert_eq!(replicas_of(&master(vec![])), Some(0));
        assert_eq!(replicas_of(&master(vec![replica])), Some(1));
        assert_eq!(replicas_of(&Value::Nil), None);
        let slave = Value::Array(vec![Value::BulkString(b"slave".to_vec())]);
        assert_eq!(replicas_of(&slave), None);
    }
}
