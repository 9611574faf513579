//! Guesses at an account's password or login code (docs/protocol.md §8.6).
//! Before a guess is checked it is reserved in Redis, atomically: refused
//! while its (mobile, client IP) pair or, for passwords, the mobile is
//! locked, and while another guess for the same mobile is being checked.
//! Failures are counted when the guess is settled, so the count plus the
//! one guess in flight never passes the limits, whatever the concurrency
//! and on any number of instances.
//!
//! Keys: `lf:p:<mobile>:<ip>` / `lf:m:<mobile>` (failures in the window),
//! `ll:p:<mobile>:<ip>` / `ll:m:<mobile>` (locks; value: the end, Unix
//! seconds), `lg:<mobile>` (the guess in flight), `known:<mobile>` (IPs
//! the mobile logged in from, scored by time; docs/protocol.md §10).

use std::net::IpAddr;
use std::sync::LazyLock;

use redis::Script;

use crate::config::accounts::GuardSettings;
use crate::protocol::error::ApiResult;
use crate::stores::Stores;

/// How long a guess may stay in flight before its marker lapses (a process
/// that died mid-check frees the mobile after this).
const IN_FLIGHT_MS: u64 = 30_000;

/// How long an IP stays known after a login from it.
pub const KNOWN_IP_SECS: i64 = 30 * 86_400;

/// What is being guessed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A password (`user.login` type 2, `user.pwd.edit`'s old password).
    Password,
    /// An SMS login code (`user.login` type 1).
    Code,
}

impl Kind {
    fn tag(self) -> &'static str {
        match self {
            Self::Password => "p",
            Self::Code => "c",
        }
    }
}

/// Which lock stands in the way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lock {
    /// This mobile from this client IP.
    Pair { until: i64 },
    /// Password checks for this mobile from anywhere.
    Mobile { until: i64 },
}

/// Why a guess was not reserved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    Locked(Lock),
    /// Another guess for this mobile is being checked.
    Busy,
}

/// How a reserved guess ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Right,
    Wrong,
    /// Not checked (busy workers, a store failure): not counted.
    Unchecked,
}

/// A reserved guess; settle it with [`Attempts::settle`].
#[derive(Debug)]
pub struct Guess {
    keys: Keys,
    id: String,
    kind: Kind,
    ip: IpAddr,
}

#[derive(Debug)]
struct Keys {
    pair_lock: String,
    mobile_lock: String,
    pair_fails: String,
    mobile_fails: String,
    in_flight: String,
    known: String,
}

static RESERVE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local kind, max_pair, max_mobile, id, in_flight_ms, till, lock_secs =
  ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local t = redis.call('GET', KEYS[1])
if t then return {'pair', t} end
if tonumber(redis.call('GET', KEYS[3]) or '0') >= max_pair then
  redis.call('SET', KEYS[1], till, 'EX', lock_secs)
  redis.call('DEL', KEYS[3])
  return {'pair', till}
end
if kind == 'p' then
  t = redis.call('GET', KEYS[2])
  if t then return {'mobile', t} end
  if tonumber(redis.call('GET', KEYS[4]) or '0') >= max_mobile then
    redis.call('SET', KEYS[2], till, 'EX', lock_secs)
    redis.call('DEL', KEYS[4])
    return {'mobile', till}
  end
end
if not redis.call('SET', KEYS[5], id, 'NX', 'PX', in_flight_ms) then return {'busy', '0'} end
return {'ok', '0'}
",
    )
});

static SETTLE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local outcome, id, window, max_pair, max_mobile, lock_secs, till, kind, ip, now, keep_since =
  ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11]
if redis.call('GET', KEYS[5]) == id then redis.call('DEL', KEYS[5]) end
if outcome == 'none' then return 'ok' end
if outcome == 'right' then
  redis.call('DEL', KEYS[1], KEYS[3])
  if kind == 'c' then redis.call('DEL', KEYS[2], KEYS[4]) end
  redis.call('ZADD', KEYS[6], now, ip)
  redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', keep_since)
  redis.call('ZREMRANGEBYRANK', KEYS[6], 0, -9)
  redis.call('EXPIRE', KEYS[6], 2592000)
  return 'ok'
end
local res = 'ok'
local n = redis.call('INCR', KEYS[3])
if n == 1 then redis.call('EXPIRE', KEYS[3], window) end
if n >= max_pair then
  redis.call('SET', KEYS[1], till, 'EX', lock_secs)
  redis.call('DEL', KEYS[3])
  res = 'pair'
end
if redis.call('EXISTS', KEYS[2]) == 0 then
  local m = redis.call('INCR', KEYS[4])
  if m == 1 then redis.call('EXPIRE', KEYS[4], window) end
  if m >= max_mobile then
    redis.call('SET', KEYS[2], till, 'EX', lock_secs)
    redis.call('DEL', KEYS[4])
    if res == 'ok' then res = 'mobile' end
  end
end
return res
",
    )
});

/// The guess counters of one mobile, under the `[guards]` settings.
pub struct Attempts<'a> {
    pub stores: &'a Stores,
    pub settings: &'a GuardSettings,
}

/// The key of the IPs `mobile` logged in from (read by the SMS caps).
pub fn known_ips_key(stores: &Stores, mobile: &str) -> String {
    stores.key(format!("known:{{{mobile}}}"))
}

impl Attempts<'_> {
    fn keys(&self, mobile: &str, ip: IpAddr) -> Keys {
        let s = self.stores;
        Keys {
            pair_lock: s.key(format!("ll:p:{{{mobile}}}:{ip}")),
            mobile_lock: s.key(format!("ll:m:{{{mobile}}}")),
            pair_fails: s.key(format!("lf:p:{{{mobile}}}:{ip}")),
            mobile_fails: s.key(format!("lf:m:{{{mobile}}}")),
            in_flight: s.key(format!("lg:{{{mobile}}}")),
            known: known_ips_key(s, mobile),
        }
    }

    fn lock_end(&self, now: i64) -> i64 {
        now + self.settings.login_lock_secs as i64
    }

    /// Reserve one guess at `mobile`'s secret of `kind` from `ip` at `now`.
    ///
    /// # Errors
    /// `Ok(Err(_))` when refused; `Err` for Redis failures.
    pub async fn reserve(
        &self,
        mobile: &str,
        ip: IpAddr,
        kind: Kind,
        now: i64,
    ) -> ApiResult<Result<Guess, Refusal>> {
        let g = self.settings;
        let keys = self.keys(mobile, ip);
        let id = hex::encode(rand::random::<[u8; 16]>());
        let mut c = self.stores.redis();
        let (verdict, till): (String, i64) = RESERVE
            .key(&keys.pair_lock)
            .key(&keys.mobile_lock)
            .key(&keys.pair_fails)
            .key(&keys.mobile_fails)
            .key(&keys.in_flight)
            .arg(kind.tag())
            .arg(g.login_max_failures)
            .arg(g.login_max_failures_per_mobile)
            .arg(&id)
            .arg(IN_FLIGHT_MS)
            .arg(self.lock_end(now))
            .arg(g.login_lock_secs)
            .invoke_async(&mut c)
            .await?;
        Ok(match verdict.as_str() {
            "ok" => Ok(Guess { keys, id, kind, ip }),
            "pair" => Err(Refusal::Locked(Lock::Pair { until: till })),
            "mobile" => Err(Refusal::Locked(Lock::Mobile { until: till })),
            _ => Err(Refusal::Busy),
        })
    }

    /// Settle a reserved guess: a right one clears its pair's count (and,
    /// for a code, the mobile's password lock) and remembers the IP; a
    /// wrong one counts. The lock this guess set, if any.
    ///
    /// # Errors
    /// Redis failures.
    pub async fn settle(
        &self,
        guess: Guess,
        outcome: Outcome,
        now: i64,
    ) -> ApiResult<Option<Lock>> {
        let g = self.settings;
        let until = self.lock_end(now);
        let k = &guess.keys;
        let mut c = self.stores.redis();
        let verdict: String = SETTLE
            .key(&k.pair_lock)
            .key(&k.mobile_lock)
            .key(&k.pair_fails)
            .key(&k.mobile_fails)
            .key(&k.in_flight)
            .key(&k.known)
            .arg(match outcome {
                Outcome::Right => "right",
                Outcome::Wrong => "wrong",
                Outcome::Unchecked => "none",
            })
            .arg(&guess.id)
            .arg(g.login_lock_secs)
            .arg(g.login_max_failures)
            .arg(g.login_max_failures_per_mobile)
            .arg(g.login_lock_secs)
            .arg(until)
            .arg(guess.kind.tag())
            .arg(guess.ip.to_string())
            .arg(now)
            .arg(now - KNOWN_IP_SECS)
            .invoke_async(&mut c)
            .await?;
        Ok(match verdict.as_str() {
            "pair" => Some(Lock::Pair { until }),
            "mobile" => Some(Lock::Mobile { until }),
            _ => None,
        })
    }

    /// The owner proved the phone (a reset by SMS code): lift the mobile's
    /// password lock and the lock of `ip`, and forget their counts.
    ///
    /// # Errors
    /// Redis failures.
    pub async fn clear(&self, mobile: &str, ip: IpAddr) -> ApiResult<()> {
        let k = self.keys(mobile, ip);
        let mut c = self.stores.redis();
        redis::cmd("DEL")
            .arg(&k.pair_lock)
            .arg(&k.pair_fails)
            .arg(&k.mobile_lock)
            .arg(&k.mobile_fails)
            .query_async::<()>(&mut c)
            .await?;
        Ok(())
    }

    /// Remember that `mobile` logged in from `ip` (registration).
    ///
    /// # Errors
    /// Redis failures.
    pub async fn remember_ip(&self, mobile: &str, ip: IpAddr, now: i64) -> ApiResult<()> {
        let key = known_ips_key(self.stores, mobile);
        let mut c = self.stores.redis();
        redis::pipe()
            .cmd("ZADD")
            .arg(&key)
            .arg(now)
            .arg(ip.to_string())
            .ignore()
            .cmd("EXPIRE")
            .arg(&key)
            .arg(KNOWN_IP_SECS)
            .ignore()
            .query_async::<()>(&mut c)
            .await?;
        Ok(())
    }
}
