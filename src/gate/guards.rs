//! Abuse guards (docs/protocol.md §11): IP bans (config, the `ip_bans`
//! table, and automatic bans in Redis), per-IP failure counters on
//! sensitive methods, rate limits (per appid, client IP, device and user,
//! each for all methods and per method), and the write switch. Counters live in Redis so they hold across instances.

use std::net::IpAddr;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use arc_swap::ArcSwap;
use chrono::FixedOffset;
use ipnet::IpNet;
use redis::Script;
use sha2::{Digest, Sha256};

use crate::config::accounts::GuardSettings;
use crate::config::apps::{App, RateLimit, Scope};
use crate::domain::time::format_time;
use crate::protocol::error::{ApiError, ApiResult, code};
use crate::stores::Stores;

/// A row of the `ip_bans` table.
#[derive(Debug, Clone)]
pub struct TableBan {
    pub net: IpNet,
    /// Unix seconds; `None` until removed.
    pub until: Option<i64>,
}

/// The `ip_bans` table as last read (refreshed by [`refresh_ban_table`]).
#[derive(Default)]
pub struct BanTable(ArcSwap<Vec<TableBan>>);

impl BanTable {
    /// The ban of `ip` in force at `now`, if any.
    pub fn find(&self, ip: IpAddr, now: i64) -> Option<TableBan> {
        self.0
            .load()
            .iter()
            .find(|b| b.net.contains(&ip) && b.until.is_none_or(|u| u > now))
            .cloned()
    }
}

fn banned(timezone: FixedOffset, until: Option<i64>) -> ApiError {
    let when = match until {
        Some(t) => format_time(timezone, t),
        None => "另行通知".to_string(),
    };
    ApiError::new(
        code::IP_BANNED,
        format!("您的 IP 已被限制访问，解封时间：{when}"),
    )
}

/// Where bans are looked up, and the timezone of the 510 message.
pub struct Bans<'a> {
    pub stores: &'a Stores,
    pub settings: &'a GuardSettings,
    pub table: &'a BanTable,
    pub timezone: FixedOffset,
}

impl Bans<'_> {
    /// 510 when `ip` is banned at `now` by a ban held in memory (config and
    /// table). The automatic bans in Redis are looked up in the request's
    /// one round trip ([`super::round_trip`]); `bare` methods (system.ping) never
    /// look there.
    ///
    /// # Errors
    /// 510 with the end of the ban.
    pub fn check_memory(&self, ip: IpAddr, now: i64) -> ApiResult<()> {
        if self.settings.banned_ips.iter().any(|n| n.contains(&ip)) {
            return Err(banned(self.timezone, None));
        }
        if let Some(b) = self.table.find(ip, now) {
            return Err(banned(self.timezone, b.until));
        }
        Ok(())
    }

    /// The 510 of an automatic ban ending at `until` (Unix seconds).
    pub fn refusal(&self, until: i64) -> ApiError {
        banned(self.timezone, Some(until))
    }

    /// Record a refused call of a watched method from `ip`; enough of them
    /// ban it.
    ///
    /// # Errors
    /// Redis failures.
    pub async fn count_failure(&self, ip: IpAddr, now: i64) -> ApiResult<()> {
        let g = self.settings;
        let until = now + g.ip_ban_secs as i64;
        let banned = Strikes {
            counter: self.stores.key(format!("ipfail:{{{ip}}}")),
            lock: self.stores.key(format!("ban:{{{ip}}}")),
            window_secs: g.ip_failure_window_secs,
            max: g.ip_max_failures,
            lock_secs: g.ip_ban_secs,
            until,
        }
        .strike(self.stores)
        .await?;
        if banned {
            tracing::warn!(%ip, until = %format_time(self.timezone, until), "IP banned after repeated failures");
        }
        Ok(())
    }
}

/// Count one strike; at `max` strikes within `window` seconds, set the lock
/// key (value: its end, Unix seconds) for `lock_secs` and start over.
static STRIKE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local strikes, lock, window, max, lock_secs, till = KEYS[1], KEYS[2], ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]
local n = redis.call('INCR', strikes)
if n == 1 then redis.call('EXPIRE', strikes, window) end
if n >= max then
  redis.call('SET', lock, till, 'EX', lock_secs)
  redis.call('DEL', strikes)
  return 1
end
return 0
",
    )
});

/// A failure counter that locks something once it reaches its limit: the
/// IP ban here, the login lock of a mobile in user.login.
pub struct Strikes {
    /// The counter's key (already prefixed).
    pub counter: String,
    /// The lock's key (already prefixed).
    pub lock: String,
    pub window_secs: u64,
    pub max: u32,
    pub lock_secs: u64,
    /// When the lock would end, Unix seconds.
    pub until: i64,
}

impl Strikes {
    /// Count one strike; whether it set the lock.
    ///
    /// # Errors
    /// Redis failures.
    pub async fn strike(self, stores: &Stores) -> ApiResult<bool> {
        let mut c = stores.redis();
        let locked: i64 = STRIKE
            .key(self.counter)
            .key(self.lock)
            .arg(self.window_secs)
            .arg(self.max)
            .arg(self.lock_secs)
            .arg(self.until)
            .invoke_async(&mut c)
            .await?;
        Ok(locked == 1)
    }
}

/// Fixed-window counters: increments every key, 511 when one is over its limit.
static RATE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
for i, key in ipairs(KEYS) do
  local n = redis.call('INCR', key)
  if n == 1 then redis.call('EXPIRE', key, ARGV[2 * i]) end
  if n > tonumber(ARGV[2 * i - 1]) then return 0 end
end
return 1
",
    )
});

/// Who is calling, for the per-client rate limits.
#[derive(Clone, Copy, Debug)]
pub struct Client<'a> {
    pub ip: IpAddr,
    /// The `unique_id` as sent; empty or absent counts as no device.
    pub device: Option<&'a str>,
}

/// The counters of the appid's limits on `method` at `now` for every scope
/// known before the session: the appid as a whole (the ceiling over all
/// its clients), the client IP and the device. They are counted in the
/// request's one round trip ([`super::round_trip`]), in this order.
pub fn limit_keys(
    app: &App,
    method: &str,
    client: Client<'_>,
    now: i64,
) -> Vec<(String, RateLimit)> {
    let mut keys = Vec::new();
    push_keys(&mut keys, app, Scope::App, || None, method, now);
    push_keys(
        &mut keys,
        app,
        Scope::Ip,
        || Some(format!("ip={}", client.ip)),
        method,
        now,
    );
    if let Some(d) = client.device.filter(|d| !d.is_empty()) {
        // The id is client text of any length: key on a digest of it
        // (made only when the appid limits devices on this method).
        let device = || {
            let digest = Sha256::digest(d.as_bytes());
            Some(format!("dev={}", hex::encode(&digest[..16])))
        };
        push_keys(&mut keys, app, Scope::Device, device, method, now);
    }
    keys
}

/// The counters of the appid's per-user limits on `method` at `now`, for
/// the round trip that learns the user: each key's text before and after
/// the user id.
pub fn user_limit_keys(app: &App, method: &str, now: i64) -> Vec<(String, String, RateLimit)> {
    const MARK: &str = "\u{0}";
    let mut keys = Vec::new();
    push_keys(
        &mut keys,
        app,
        Scope::User,
        || Some(format!("user={{{MARK}}}")),
        method,
        now,
    );
    keys.into_iter()
        .filter_map(|(key, l)| {
            let (before, after) = key.split_once(MARK)?;
            Some((before.to_string(), after.to_string(), l))
        })
        .collect()
}

/// Enforce the appid's per-user limits on `method` for `user_id` (the
/// session user, known only after the session step), when the round trip
/// could not (the profile was not kept).
///
/// # Errors
/// 511 over a limit; 500 when Redis fails.
pub async fn rate_limit_user(
    stores: &Stores,
    app: &App,
    method: &str,
    user_id: i64,
    now: i64,
) -> ApiResult<()> {
    let mut keys = Vec::new();
    push_keys(
        &mut keys,
        app,
        Scope::User,
        || Some(format!("user={{{user_id}}}")),
        method,
        now,
    );
    count(stores, keys).await
}

/// The counter keys of `scope`'s limits on `method` for one subject, each
/// holding its window number.
fn push_keys(
    keys: &mut Vec<(String, RateLimit)>,
    app: &App,
    scope: Scope,
    subject: impl FnOnce() -> Option<String>,
    method: &str,
    now: i64,
) {
    let mut limits = app.limits.scope(scope).for_method(method).peekable();
    if limits.peek().is_none() {
        return;
    }
    let subject = subject();
    for (label, l) in limits {
        let window = now / i64::from(l.per_secs);
        let key = match &subject {
            Some(who) => format!("rl:{}:{who}:{label}:{window}", app.appid),
            None => format!("rl:{}:{label}:{window}", app.appid),
        };
        keys.push((key, l));
    }
}

async fn count(stores: &Stores, keys: Vec<(String, RateLimit)>) -> ApiResult<()> {
    if keys.is_empty() {
        return Ok(());
    }
    let mut inv = RATE.prepare_invoke();
    for (key, l) in &keys {
        inv.key(stores.key(key)).arg(l.requests).arg(l.per_secs);
    }
    let mut c = stores.redis();
    let ok: i64 = inv.invoke_async(&mut c).await?;
    if ok == 1 {
        Ok(())
    } else {
        Err(ApiError::new(
            code::RATE_LIMITED,
            "请求过于频繁，请稍后再试",
        ))
    }
}

/// 503 with the configured message when writes are off and the user is not
/// on the whitelist.
///
/// # Errors
/// As above.
pub fn check_write(g: &GuardSettings, is_write: bool, user_id: Option<i64>) -> ApiResult<()> {
    if !is_write || g.writes_enabled {
        return Ok(());
    }
    if user_id.is_some_and(|u| g.write_whitelist_users.contains(&u)) {
        return Ok(());
    }
    Err(ApiError::business(g.write_off_message.clone()))
}

/// Keep `table` a fresh copy of the `ip_bans` table until `stop`, reading
/// it again every `every()`.
pub async fn refresh_ban_table(
    table: Arc<BanTable>,
    stores: Stores,
    every: impl Fn() -> Duration,
    stop: impl Future<Output = ()>,
) {
    tokio::pin!(stop);
    loop {
        match load_ban_table(&stores).await {
            Ok(bans) => table.0.store(Arc::new(bans)),
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "ip_bans not refreshed; keeping the last copy")
            }
        }
        tokio::select! {
            () = &mut stop => return,
            () = tokio::time::sleep(every()) => {}
        }
    }
}

async fn load_ban_table(stores: &Stores) -> anyhow::Result<Vec<TableBan>> {
    let db = stores.pg().await?;
    let rows = db
        .query(
            "SELECT host(net) || '/' || masklen(net), extract(epoch FROM until_at)::bigint \
             FROM ip_bans WHERE until_at IS NULL OR until_at > now()",
            &[],
        )
        .await?;
    rows.iter()
        .map(|r| {
            let text: String = r.get(0);
            Ok(TableBan {
                net: text.parse()?,
                until: r.get(1),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_are_refused_when_off_except_for_whitelisted_users() {
        let off = GuardSettings {
            writes_enabled: false,
            write_whitelist_users: vec![7],
            ..GuardSettings::default()
        };
        let e = check_write(&off, true, Some(1)).unwrap_err();
        assert_eq!((e.code(), e.public_msg()), (503, "产品升级维护中"));
        assert!(check_write(&off, true, None).is_err());
        assert!(check_write(&off, true, Some(7)).is_ok());
        assert!(check_write(&off, false, None).is_ok());
        assert!(check_write(&GuardSettings::default(), true, None).is_ok());
    }
}
