//! The gate's steps on Redis Cluster (docs/protocol.md §12.6). The one
//! script of [`super`] touches keys of several entities (the IP's
//! ban, the appid's, IP's and device's counters, the claims, the session,
//! the user's keys), which live in different slots: here each runs as its
//! own call, in the same order, stopping at the first refusal, so the
//! outcome is the single-node one at the cost of a few round trips. The
//! user's part (`pwdv`, `ucur`, `prof`, the user's counters, all tagged
//! `{uid}`) stays one atomic script.

use std::sync::LazyLock;

use redis::Script;

use super::ask::{Ask, Upto, Verdict, verdict};
use crate::protocol::error::{ApiError, ApiResult};
use crate::stores::Stores;

/// One fixed-window counter: 1 within its limit, 0 over it.
static COUNT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
if n > tonumber(ARGV[1]) then return 0 end
return 1
",
    )
});

/// Step 21 on the session's slot: the session's fields.
const SESSION_FIELDS: [&str; 5] = ["uid", "class", "pwdv", "state", "platform"];

/// Steps 21 (password version, slide of the class pointer, profile) and
/// 21a on the user's slot. KEYS: pwdv, ucur, prof, then the user's
/// counters; ARGV: the session's pwdv, its uid and platform, ttl, then
/// (max, per_secs) per counter. Replies as gate.lua does.
static USER: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local uid, platform = ARGV[2], ARGV[3]
if (redis.call('GET', KEYS[1]) or '0') ~= ARGV[1] then return {'606'} end
redis.call('EXPIRE', KEYS[2], ARGV[4])
local p = redis.call('HMGET', KEYS[3],
  'status', 'open_id', 'mobile', 'nickname', 'headimg', 'intro', 'created_at')
for k = 1, 7 do
  if not p[k] then return {'user', uid, platform} end
end
if p[1] ~= '2' and p[1] ~= '3' then
  for j = 4, #KEYS do
    local n = redis.call('INCR', KEYS[j])
    if n == 1 then redis.call('EXPIRE', KEYS[j], ARGV[2 * j - 2]) end
    if n > tonumber(ARGV[2 * j - 3]) then return {'user-limited', uid} end
  end
end
return {'user', uid, platform, p[1], p[2], p[3], p[4], p[5], p[6], p[7]}
",
    )
});

/// Run the steps of `ask`, one slot at a time.
///
/// # Errors
/// Redis failures (500); a reply the scripts cannot give (500).
pub(super) async fn run(stores: &Stores, ask: &Ask<'_>) -> ApiResult<Verdict> {
    let mut c = stores.redis();
    let ban: Option<String> = redis::cmd("GET")
        .arg(stores.key(format!("ban:{{{}}}", ask.ip)))
        .query_async(&mut c)
        .await?;
    if let Some(until) = ban.and_then(|t| t.parse::<i64>().ok()) {
        if until > ask.now {
            return Ok(Verdict::Banned { until });
        }
    }
    if ask.upto < Upto::Limits {
        return Ok(Verdict::Passed);
    }
    for (key, l) in &ask.limits {
        let ok: i64 = COUNT
            .key(stores.key(key))
            .arg(l.requests)
            .arg(l.per_secs)
            .invoke_async(&mut c)
            .await?;
        if ok == 0 {
            return Ok(Verdict::Limited);
        }
    }
    if ask.upto < Upto::Claims {
        return Ok(Verdict::Passed);
    }
    for (claim, refused) in [
        (&ask.request_no, Verdict::RequestNoTaken),
        (&ask.replay, Verdict::Replayed),
    ] {
        if let Some((key, ttl)) = claim {
            let set: Option<String> = redis::cmd("SET")
                .arg(stores.key(key))
                .arg(1)
                .arg("NX")
                .arg("EX")
                .arg((*ttl).max(1))
                .query_async(&mut c)
                .await?;
            if set.is_none() {
                return Ok(refused);
            }
        }
    }
    match &ask.session {
        Some(s) if ask.upto >= Upto::Session => session(stores, s).await,
        _ => Ok(Verdict::Passed),
    }
}

async fn session(stores: &Stores, s: &super::SessionAsk<'_>) -> ApiResult<Verdict> {
    let mut c = stores.redis();
    let key = stores.key(format!("sess:{}", s.token));
    let f: Vec<Option<String>> = redis::cmd("HMGET")
        .arg(&key)
        .arg(&SESSION_FIELDS[..])
        .query_async(&mut c)
        .await?;
    let field = |i: usize| f.get(i).cloned().flatten();
    let (Some(uid), Some(class)) = (field(0), field(1)) else {
        return refused("601");
    };
    if class != crate::gate::session::tag(s.class, s.scope) {
        return refused("601");
    }
    if field(3).as_deref() == Some("displaced") {
        return refused("603");
    }
    let ttl = s.class.ttl(s.settings);
    let mut inv = USER.prepare_invoke();
    inv.key(stores.key(format!("pwdv:{{{uid}}}")))
        .key(stores.key(format!("ucur:{{{uid}}}:{class}")))
        .key(stores.key(crate::gate::profile::key(uid.parse().unwrap_or(0))))
        .arg(field(2).unwrap_or_default())
        .arg(&uid)
        .arg(field(4).unwrap_or_default())
        .arg(ttl);
    for (before, after, l) in &s.user_limits {
        inv.key(stores.key(format!("{before}{uid}{after}")))
            .arg(l.requests)
            .arg(l.per_secs);
    }
    let reply: Vec<Option<String>> = inv.invoke_async(&mut c).await?;
    if reply.first().and_then(Option::as_deref) != Some("606") {
        redis::cmd("EXPIRE")
            .arg(&key)
            .arg(ttl)
            .query_async::<i64>(&mut c)
            .await?;
    }
    verdict(&reply).ok_or_else(|| ApiError::Internal(anyhow::anyhow!("gate reply {reply:?}")))
}

fn refused(tag: &str) -> ApiResult<Verdict> {
    let reply = [Some(tag.to_string())];
    verdict(&reply).ok_or_else(|| ApiError::Internal(anyhow::anyhow!("gate reply {tag}")))
}
