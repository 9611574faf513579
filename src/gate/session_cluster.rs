//! Session operations on Redis Cluster (docs/protocol.md §12.6): the
//! single-node scripts of [`super::session`] touch the user's keys
//! (`prof:{uid}`, `pwdv:{uid}`, `ucur:{uid}:<class>`, one slot by their
//! `{uid}` tag) and session keys (`sess:<token>`, a slot each) in one call;
//! here each slot gets its own script, every key passed in `KEYS`.

use std::sync::LazyLock;

use redis::Script;

use crate::protocol::error::ApiResult;
use crate::stores::Stores;

/// The user's side of a login: keep the profile, swap the class's live
/// token, read the password version. Returns (previous token or '', pwdv).
static LOGIN_USER: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local prof, cur, pwdv = KEYS[1], KEYS[2], KEYS[3]
local token, ttl, profile_ttl = ARGV[1], ARGV[2], ARGV[3]
redis.call('DEL', prof)
redis.call('HSET', prof, unpack(ARGV, 4))
redis.call('EXPIRE', prof, profile_ttl)
local old = redis.call('GET', cur) or ''
redis.call('SET', cur, token, 'EX', ttl)
return {old, redis.call('GET', pwdv) or '0'}
",
    )
});

/// Create a session. A displacement that arrived first (a newer login
/// swapped this token out before it was created) is kept.
static CREATE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
redis.call('HSET', KEYS[1], 'uid', ARGV[1], 'class', ARGV[2], 'pwdv', ARGV[3], 'platform', ARGV[4])
redis.call('HSETNX', KEYS[1], 'state', 'live')
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
",
    )
});

/// Mark a session displaced, even before it exists (see [`CREATE`]).
static DISPLACE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
redis.call('HSET', KEYS[1], 'state', 'displaced')
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return 1
",
    )
});

/// End a session; returns its uid and class (or nils).
static END_SESSION: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local s = redis.call('HMGET', KEYS[1], 'uid', 'class')
redis.call('DEL', KEYS[1])
return s
",
    )
});

/// Drop the class's live-token pointer when it still names this token.
static END_USER: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
",
    )
});

/// Carry a new password version into the session that changed it.
static KEEP: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('HGET', KEYS[1], 'uid') == ARGV[1] then redis.call('HSET', KEYS[1], 'pwdv', ARGV[2]) end
return 1
",
    )
});

/// What a login writes: see [`super::session::issue`].
pub struct Login<'a> {
    pub token: &'a str,
    pub user_id: i64,
    pub class: &'a str,
    pub platform: i16,
    pub ttl: u64,
    pub profile_ttl: u64,
    pub profile: Vec<(&'static str, String)>,
}

/// Issue a session: the user's slot first (the swap decides which token
/// is live), then the new session, then the displaced one.
///
/// # Errors
/// Redis failures (500).
pub async fn issue(stores: &Stores, l: Login<'_>) -> ApiResult<()> {
    let uid = l.user_id;
    let mut c = stores.redis();
    let mut inv = LOGIN_USER.prepare_invoke();
    inv.key(stores.key(super::profile::key(uid)))
        .key(stores.key(format!("ucur:{{{uid}}}:{}", l.class)))
        .key(stores.key(format!("pwdv:{{{uid}}}")))
        .arg(l.token)
        .arg(l.ttl)
        .arg(l.profile_ttl);
    for (field, value) in &l.profile {
        inv.arg(*field).arg(value);
    }
    let (old, pwdv): (String, String) = inv.invoke_async(&mut c).await?;
    CREATE
        .key(stores.key(format!("sess:{}", l.token)))
        .arg(uid)
        .arg(l.class)
        .arg(pwdv)
        .arg(l.platform)
        .arg(l.ttl)
        .invoke_async::<i64>(&mut c)
        .await?;
    if !old.is_empty() && old != l.token {
        DISPLACE
            .key(stores.key(format!("sess:{old}")))
            .arg(l.ttl)
            .invoke_async::<i64>(&mut c)
            .await?;
    }
    Ok(())
}

/// End the session of `token` (logout).
///
/// # Errors
/// Redis failures.
pub async fn end(stores: &Stores, token: &str) -> ApiResult<()> {
    let mut c = stores.redis();
    let (uid, class): (Option<String>, Option<String>) = END_SESSION
        .key(stores.key(format!("sess:{token}")))
        .invoke_async(&mut c)
        .await?;
    if let (Some(uid), Some(class)) = (uid, class) {
        END_USER
            .key(stores.key(format!("ucur:{{{uid}}}:{class}")))
            .arg(token)
            .invoke_async::<i64>(&mut c)
            .await?;
    }
    Ok(())
}

/// Bump the password version of `user_id`; `keep` stays valid.
///
/// # Errors
/// Redis failures.
pub async fn password_changed(stores: &Stores, user_id: i64, keep: Option<&str>) -> ApiResult<()> {
    let mut c = stores.redis();
    let v: i64 = redis::cmd("INCR")
        .arg(stores.key(format!("pwdv:{{{user_id}}}")))
        .query_async(&mut c)
        .await?;
    if let Some(keep) = keep.filter(|k| !k.is_empty()) {
        KEEP.key(stores.key(format!("sess:{keep}")))
            .arg(user_id)
            .arg(v)
            .invoke_async::<i64>(&mut c)
            .await?;
    }
    Ok(())
}
