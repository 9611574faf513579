//! Abuse guards (DESIGN §7): IP bans (config, the `ip_bans` table, and
//! automatic bans in Redis), per-IP failure counters on sensitive methods,
//! rate limits per appid and per method, and the write switch. Counters
//! live in Redis so they hold across instances.

use std::net::IpAddr;
use std::sync::LazyLock;
use std::time::Duration;

use ipnet::IpNet;
use redis::Script;

use crate::apps::{App, RateLimit};
use crate::config::Config;
use crate::context::{AppState, format_time};
use crate::error::{ApiError, ApiResult, code};

/// A row of the `ip_bans` table.
#[derive(Debug, Clone)]
pub struct TableBan {
    pub net: IpNet,
    /// Unix seconds; `None` until removed.
    pub until: Option<i64>,
}

fn banned(config: &Config, until: Option<i64>) -> ApiError {
    let when = match until {
        Some(t) => format_time(config, t),
        None => "另行通知".to_string(),
    };
    ApiError::new(
        code::IP_BANNED,
        format!("您的 IP 已被限制访问，解封时间：{when}"),
    )
}

/// 510 when `ip` is banned. `bare` methods (system.ping) consult only the
/// bans held in memory (config and table), never Redis.
///
/// # Errors
/// 510 with the end of the ban; 500 when Redis fails.
pub async fn check_ban(state: &AppState, config: &Config, ip: IpAddr, bare: bool) -> ApiResult<()> {
    let now = state.clock.now();
    if config
        .settings
        .guards
        .banned_ips
        .iter()
        .any(|n| n.contains(&ip))
    {
        return Err(banned(config, None));
    }
    if let Some(b) = state
        .bans
        .load()
        .iter()
        .find(|b| b.net.contains(&ip) && b.until.is_none_or(|u| u > now))
    {
        return Err(banned(config, b.until));
    }
    if bare {
        return Ok(());
    }
    let mut c = state.stores.redis().await?;
    let until: Option<i64> = redis::cmd("GET")
        .arg(state.stores.key(format!("ban:{ip}")))
        .query_async(&mut c)
        .await?;
    match until {
        Some(t) if t > now => Err(banned(config, Some(t))),
        _ => Ok(()),
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
pub struct Strikes<'a> {
    /// The counter's key (already prefixed).
    pub counter: String,
    /// The lock's key (already prefixed).
    pub lock: String,
    pub window_secs: u64,
    pub max: u32,
    pub lock_secs: u64,
    /// When the lock would end, Unix seconds.
    pub until: i64,
    pub state: &'a AppState,
}

impl Strikes<'_> {
    /// Count one strike; whether it set the lock.
    ///
    /// # Errors
    /// Redis failures.
    pub async fn strike(self) -> ApiResult<bool> {
        let mut c = self.state.stores.redis().await?;
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

/// Record a refused call of a watched method from `ip`; enough of them ban it.
///
/// # Errors
/// Redis failures.
pub async fn count_failure(state: &AppState, config: &Config, ip: IpAddr) -> ApiResult<()> {
    let g = &config.settings.guards;
    let until = state.clock.now() + g.ip_ban_secs as i64;
    let banned = Strikes {
        counter: state.stores.key(format!("ipfail:{ip}")),
        lock: state.stores.key(format!("ban:{ip}")),
        window_secs: g.ip_failure_window_secs,
        max: g.ip_max_failures,
        lock_secs: g.ip_ban_secs,
        until,
        state,
    }
    .strike()
    .await?;
    if banned {
        tracing::warn!(%ip, until = %format_time(config, until), "IP banned after repeated failures");
    }
    Ok(())
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

/// Enforce the appid's limits: all its methods together, and `method` alone.
///
/// # Errors
/// 511 over a limit; 500 when Redis fails.
pub async fn rate_limit(state: &AppState, app: &App, method: &str) -> ApiResult<()> {
    let now = state.clock.now();
    let mut limits: Vec<(String, RateLimit)> = Vec::with_capacity(2);
    if let Some(l) = app.rate_limit {
        limits.push((
            format!("rl:{}:*:{}", app.appid, now / i64::from(l.per_secs)),
            l,
        ));
    }
    if let Some(l) = app.method_rate_limits.get(method) {
        limits.push((
            format!("rl:{}:{method}:{}", app.appid, now / i64::from(l.per_secs)),
            *l,
        ));
    }
    if limits.is_empty() {
        return Ok(());
    }
    let mut inv = RATE.prepare_invoke();
    for (key, l) in &limits {
        inv.key(state.stores.key(key))
            .arg(l.requests)
            .arg(l.per_secs);
    }
    let mut c = state.stores.redis().await?;
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
pub fn check_write(config: &Config, is_write: bool, user_id: Option<i64>) -> ApiResult<()> {
    let g = &config.settings.guards;
    if !is_write || g.writes_enabled {
        return Ok(());
    }
    if user_id.is_some_and(|u| g.write_whitelist_users.contains(&u)) {
        return Ok(());
    }
    Err(ApiError::business(g.write_off_message.clone()))
}

/// Keep the in-memory copy of the `ip_bans` table fresh until `stop`.
pub async fn refresh_ban_table(state: std::sync::Arc<AppState>, stop: impl Future<Output = ()>) {
    tokio::pin!(stop);
    loop {
        match load_ban_table(&state).await {
            Ok(bans) => state.bans.store(std::sync::Arc::new(bans)),
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "ip_bans not refreshed; keeping the last copy")
            }
        }
        let every = state.config.load().settings.guards.ban_table_refresh_secs;
        tokio::select! {
            () = &mut stop => return,
            () = tokio::time::sleep(Duration::from_secs(every)) => {}
        }
    }
}

async fn load_ban_table(state: &AppState) -> anyhow::Result<Vec<TableBan>> {
    let db = state.stores.pg.get().await?;
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

    fn config(text: &str) -> Config {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("gateway.toml"), text).unwrap();
        std::fs::write(
            dir.path().join("apps.toml"),
            "[apps.a]\nname = \"a\"\ntype = \"app\"\nsecrets = [\"0123456789abcdef\"]\n",
        )
        .unwrap();
        Config::load_with(&dir.path().join("gateway.toml"), false).unwrap()
    }

    #[test]
    fn writes_are_refused_when_off_except_for_whitelisted_users() {
        let off = config("[guards]\nwrites_enabled = false\nwrite_whitelist_users = [7]\n");
        let e = check_write(&off, true, Some(1)).unwrap_err();
        assert_eq!((e.code(), e.public_msg()), (503, "产品升级维护中"));
        assert!(check_write(&off, true, None).is_err());
        assert!(check_write(&off, true, Some(7)).is_ok());
        assert!(check_write(&off, false, None).is_ok());
        let on = config("");
        assert!(check_write(&on, true, None).is_ok());
    }
}
