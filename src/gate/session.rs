//! Sessions (docs/protocol.md §8): opaque tokens in Redis with sliding expiry, one
//! live session per user per class (app / web / mini-program), displacement (603),
//! password changes (606), expiry (601). A token answers only to callers of
//! its own class (§8.2): a web token is no app token.
//!
//! Keys: `sess:<token>` (hash: uid, class, pwdv, state, platform),
//! `ucur:{<uid>}:<class>` (the class's live token), `pwdv:{<uid>}` (password
//! version, bumped on every change), and the user's profile `prof:{<uid>}`
//! ([`super::profile`]); the `{uid}` tag keeps a user's keys in one
//! cluster slot. On one Redis each operation is one Lua script, so it is
//! atomic across gateway instances; a request's check and slide run in the
//! request's one round trip ([`super::round_trip`]). On a cluster, each slot's
//! part is its own script ([`super::session_cluster`]).

use std::sync::LazyLock;

use redis::Script;

use crate::config::accounts::SessionSettings;
use crate::config::apps::AppKind;
use crate::gate::profile::{FIELDS, Profile};
use crate::gate::session_cluster;
use crate::protocol::error::{ApiError, ApiResult, code};
use crate::protocol::types::Platform;
use crate::stores::Stores;

/// The logged-in user of a request, with the profile handlers show.
#[derive(Debug, Clone)]
pub struct SessionUser {
    pub id: i64,
    /// The session token this request carried.
    pub token: String,
    pub platform: Platform,
    pub profile: Profile,
}

/// Sessions are kept per class: a phone login does not end a browser one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    App,
    Web,
    /// A WeChat mini-program (platform 6): its login displaces neither the
    /// app's nor the web's session, and they do not displace it.
    MiniProgram,
}

impl Class {
    /// The class of a platform.
    pub fn of(p: Platform) -> Self {
        match p {
            Platform::MiniProgram => Self::MiniProgram,
            p if p.is_app() => Self::App,
            _ => Self::Web,
        }
    }

    /// The class of a caller: app only for an appid of type `app` on an
    /// app platform (1 iOS, 2 Android); mini-program for an appid of type
    /// `miniprogram` (which sends only platform 6); web for everything else.
    pub fn of_caller(kind: AppKind, p: Platform) -> Self {
        match kind {
            AppKind::App => Self::of(p),
            AppKind::MiniProgram => Self::MiniProgram,
            _ => Self::Web,
        }
    }

    /// The class as stored in the session hash.
    pub fn tag(self) -> &'static str {
        match self {
            Self::App => "a",
            Self::Web => "w",
            Self::MiniProgram => "m",
        }
    }

    /// Seconds a session of this class lives (sliding).
    pub fn ttl(self, s: &SessionSettings) -> u64 {
        match self {
            // A mini-program keeps its token on the phone, like an app.
            Self::App | Self::MiniProgram => s.app_ttl_secs,
            Self::Web => s.web_ttl_secs,
        }
    }
}

/// The class of a session as stored in its hash and in its live-token
/// pointer: the class's tag, and the issuing appid after it when that appid
/// keeps its tokens to itself (`session_scope = "appid"`, docs/protocol.md
/// §8.2). A token answers only to callers whose tag is its own.
pub fn tag(class: Class, appid: Option<&str>) -> std::borrow::Cow<'static, str> {
    match appid {
        None => class.tag().into(),
        Some(a) => format!("{}:{a}", class.tag()).into(),
    }
}

/// A fresh opaque token: 128 random bits as 32 hex digits.
pub fn new_token() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

/// Whether `token` could be one of ours (32 hex digits); others answer 601
/// without a look in Redis.
pub fn well_formed(token: &str) -> bool {
    token.len() == 32 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Issue a session for `user_id`, displacing the class's previous one,
/// and keep the user's profile (ARGV 8 on: field, value pairs) for
/// `profile_ttl` seconds.
static ISSUE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local prefix, token, uid, class, platform, ttl, profile_ttl = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local prof = prefix .. 'prof:{' .. uid .. '}'
redis.call('DEL', prof)
redis.call('HSET', prof, unpack(ARGV, 8))
redis.call('EXPIRE', prof, profile_ttl)
local cur = prefix .. 'ucur:{' .. uid .. '}:' .. class
local old = redis.call('GET', cur)
if old and old ~= token then
  local oldkey = prefix .. 'sess:' .. old
  if redis.call('EXISTS', oldkey) == 1 then
    redis.call('HSET', oldkey, 'state', 'displaced')
  end
end
local pwdv = redis.call('GET', prefix .. 'pwdv:{' .. uid .. '}') or '0'
local key = prefix .. 'sess:' .. token
redis.call('HSET', key, 'uid', uid, 'class', class, 'pwdv', pwdv, 'state', 'live', 'platform', platform)
redis.call('EXPIRE', key, ttl)
redis.call('SET', cur, token, 'EX', ttl)
return 1
",
    )
});

/// End a session (logout): later use answers 601.
static END: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local prefix, token = ARGV[1], ARGV[2]
local key = prefix .. 'sess:' .. token
local s = redis.call('HMGET', key, 'uid', 'class')
redis.call('DEL', key)
if s[1] then
  local cur = prefix .. 'ucur:{' .. s[1] .. '}:' .. s[2]
  if redis.call('GET', cur) == token then redis.call('DEL', cur) end
end
return 1
",
    )
});

/// Bump the password version; `keep` (when given) stays valid.
static PASSWORD_CHANGED: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local prefix, uid, keep = ARGV[1], ARGV[2], ARGV[3]
local v = redis.call('INCR', prefix .. 'pwdv:{' .. uid .. '}')
if keep ~= '' then
  local key = prefix .. 'sess:' .. keep
  if redis.call('HGET', key, 'uid') == uid then redis.call('HSET', key, 'pwdv', v) end
end
return v
",
    )
});

/// Issue a new session token of `class` (kept to `appid` when it keeps its
/// tokens to itself, [`tag`]) for a user logging in on `platform`, keeping
/// `profile` (just read from the account row) with it.
///
/// # Errors
/// Redis failures (500).
pub async fn issue(
    stores: &Stores,
    s: &SessionSettings,
    (user_id, profile): (i64, &Profile),
    (class, appid): (Class, Option<&str>),
    platform: Platform,
) -> ApiResult<String> {
    let token = new_token();
    let tag = tag(class, appid);
    let mut c = stores.redis();
    if c.is_cluster() {
        let login = session_cluster::Login {
            token: &token,
            user_id,
            class: &tag,
            platform: platform.number(),
            ttl: class.ttl(s),
            profile_ttl: s.profile_ttl_secs.max(1),
            profile: FIELDS.into_iter().zip(profile.fields()).collect(),
        };
        session_cluster::issue(stores, login).await?;
        return Ok(token);
    }
    let mut inv = ISSUE.prepare_invoke();
    inv.arg(stores.prefix())
        .arg(&token)
        .arg(user_id)
        .arg(tag.as_ref())
        .arg(platform.number())
        .arg(class.ttl(s))
        .arg(s.profile_ttl_secs.max(1));
    for (field, value) in FIELDS.into_iter().zip(profile.fields()) {
        inv.arg(field).arg(value);
    }
    inv.invoke_async::<i64>(&mut c).await?;
    Ok(token)
}

/// 601: unknown, expired, logged out or of another class.
pub fn expired() -> ApiError {
    ApiError::new(code::SESSION_EXPIRED, "登录超时，请重新登录")
}

/// End the session of `token`.
///
/// # Errors
/// Redis failures.
pub async fn end(stores: &Stores, token: &str) -> ApiResult<()> {
    let mut c = stores.redis();
    if c.is_cluster() {
        return session_cluster::end(stores, token).await;
    }
    END.arg(stores.prefix())
        .arg(token)
        .invoke_async::<i64>(&mut c)
        .await?;
    Ok(())
}

/// Invalidate every session of `user_id` issued before now (606), except
/// `keep` (the session that changed the password).
///
/// # Errors
/// Redis failures.
pub async fn password_changed(stores: &Stores, user_id: i64, keep: Option<&str>) -> ApiResult<()> {
    let mut c = stores.redis();
    if c.is_cluster() {
        return session_cluster::password_changed(stores, user_id, keep).await;
    }
    PASSWORD_CHANGED
        .arg(stores.prefix())
        .arg(user_id)
        .arg(keep.unwrap_or(""))
        .invoke_async::<i64>(&mut c)
        .await?;
    Ok(())
}

/// Account states (users.status).
pub mod status {
    pub const NORMAL: i16 = 1;
    pub const LOCKED: i16 = 2;
    pub const CANCELLED: i16 = 3;
}

/// Refuse accounts that may not log in or act.
///
/// # Errors
/// 503 with a plain message for locked or cancelled accounts.
pub fn ensure_active(status: i16) -> ApiResult<()> {
    match status {
        status::LOCKED => Err(ApiError::business("账号已被锁定，请联系客服")),
        status::CANCELLED => Err(ApiError::business("账号已注销")),
        _ => Ok(()),
    }
}

/// The user of a valid session with its profile: refused when the account
/// may not act.
///
/// # Errors
/// 503 locked or cancelled account.
pub fn user(
    (id, token): (i64, &str),
    platform: Platform,
    profile: Profile,
) -> ApiResult<SessionUser> {
    ensure_active(profile.status)?;
    Ok(SessionUser {
        id,
        token: token.to_string(),
        platform,
        profile,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_32_hex_digits_and_differ() {
        let (a, b) = (new_token(), new_token());
        assert!(well_formed(&a) && well_formed(&b));
        assert_ne!(a, b);
        for bad in ["", "x", &"g".repeat(32), &"a".repeat(33), "sess:*"] {
            assert!(!well_formed(bad), "{bad}");
        }
    }

    #[test]
    fn classes_follow_platforms() {
        assert_eq!(Class::of(Platform::Ios), Class::App);
        assert_eq!(Class::of(Platform::Android), Class::App);
        assert_eq!(Class::of(Platform::H5), Class::Web);
        assert_eq!(Class::of(Platform::Web), Class::Web);
        assert_eq!(Class::of_caller(AppKind::App, Platform::Ios), Class::App);
        assert_eq!(Class::of_caller(AppKind::App, Platform::H5), Class::Web);
        assert_eq!(Class::of_caller(AppKind::H5, Platform::Ios), Class::Web);
        assert_eq!(Class::of(Platform::MiniProgram), Class::MiniProgram);
        assert_eq!(
            Class::of_caller(AppKind::MiniProgram, Platform::MiniProgram),
            Class::MiniProgram
        );
        assert_eq!(
            Class::of_caller(AppKind::Admin, Platform::Android),
            Class::Web
        );
    }
}
