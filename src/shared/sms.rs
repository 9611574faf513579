//! SMS verification codes (docs/protocol.md §10): six digits, a limited life and
//! number of tries, one send per interval per mobile, daily caps per
//! (mobile, IP), per mobile and per IP, a blacklist, every send in `sms_log`, delivery by driver.
//! Codes live in Redis and are checked by atomic scripts.

use std::net::IpAddr;
use std::sync::LazyLock;

use chrono::FixedOffset;
use redis::Script;
use serde::Serialize;

use crate::config::accounts::{SmsDriver, SmsSettings};
use crate::domain::{SmsKey, mask_mobile, time::local_day};
use crate::gate::attempts::{KNOWN_IP_SECS, known_ips_key};
use crate::protocol::error::{ApiError, ApiResult};
use crate::stores::Stores;

/// The SMS code service: the stores, its settings, the outbound HTTP client
/// (webhook driver) and the timezone of its daily caps.
pub struct SmsCodes<'a> {
    pub stores: &'a Stores,
    pub settings: &'a SmsSettings,
    pub http: &'a reqwest::Client,
    pub timezone: FixedOffset,
}

/// Why a code was not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeError {
    /// No live code: never sent, expired, used, or voided by wrong tries.
    Expired,
    /// Wrong digits (and tries remain, or this try voided it).
    Wrong,
}

impl CodeError {
    /// The refusal with the given code (503 for sms.verify, 700 for logins).
    pub fn into_api(self, code: u32) -> ApiError {
        match self {
            Self::Expired => ApiError::new(code, "验证码已失效，请重新获取"),
            Self::Wrong => ApiError::new(code, "您的验证码不正确"),
        }
    }
}

/// Reserve a send: the interval lock, the daily counters and the new code
/// (replacing any earlier one), or nothing. The (mobile, IP) cap comes
/// first; an IP the mobile logged in from lately is not held to the
/// per-mobile cap, so others cannot spend it for the owner. KEYS[6], the
/// per-IP counter, is in another cluster slot: on a cluster it is left out
/// and [`IP_TAKE`] counts it first (docs/protocol.md §12.6).
static RESERVE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local interval, per_mobile, code_key, per_pair, known, per_ip = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local interval_secs, cap_mobile, cap_ip = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local code, code_ttl, cap_pair, ip, known_since = ARGV[4], ARGV[5], tonumber(ARGV[6]), ARGV[7], tonumber(ARGV[8])
if redis.call('EXISTS', interval) == 1 then return 'interval' end
local p = tonumber(redis.call('GET', per_pair) or '0')
if p >= cap_pair then return 'pair_cap' end
local seen = tonumber(redis.call('ZSCORE', known, ip) or '-1')
if seen < known_since then
  local m = tonumber(redis.call('GET', per_mobile) or '0')
  if m >= cap_mobile then return 'mobile_cap' end
end
local counters = {per_mobile, per_pair}
if per_ip then
  local i = tonumber(redis.call('GET', per_ip) or '0')
  if i >= cap_ip then return 'ip_cap' end
  counters[3] = per_ip
end
redis.call('SET', interval, '1', 'EX', interval_secs)
for _, k in ipairs(counters) do
  redis.call('INCR', k)
  redis.call('EXPIRE', k, 172800)
end
redis.call('DEL', code_key)
redis.call('HSET', code_key, 'code', code, 'tries', 0)
redis.call('EXPIRE', code_key, code_ttl)
return 'ok'
",
    )
});

/// Undo a reservation whose delivery failed, and drop its code. KEYS as
/// [`RESERVE`]'s (without `known`): on a cluster, the per-IP counter is
/// released on its own (KEYS[1] alone, ARGV[1] = 'ip').
static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local counters = {KEYS[1]}
if ARGV[1] ~= 'ip' then
  redis.call('DEL', KEYS[1], KEYS[3])
  counters = {KEYS[2], KEYS[4], KEYS[5]}
end
for _, k in ipairs(counters) do
  if tonumber(redis.call('GET', k) or '0') > 0 then redis.call('DECR', k) end
end
return 1
",
    )
});

/// Cluster only: count a send against the IP's daily cap, or refuse.
static IP_TAKE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if tonumber(redis.call('GET', KEYS[1]) or '0') >= tonumber(ARGV[1]) then return 0 end
redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], 172800)
return 1
",
    )
});

/// Check a code; 1 ok, 0 none, 2 wrong, 3 wrong and now void.
static CHECK: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local key, code, consume, max = KEYS[1], ARGV[1], ARGV[2], tonumber(ARGV[3])
local stored = redis.call('HGET', key, 'code')
if not stored then return 0 end
if stored == code then
  if consume == '1' then redis.call('DEL', key) end
  return 1
end
local tries = redis.call('HINCRBY', key, 'tries', 1)
if tries >= max then
  redis.call('DEL', key)
  return 3
end
return 2
",
    )
});

struct Keys {
    interval: String,
    per_mobile: String,
    per_ip: String,
    code: String,
    per_pair: String,
    known: String,
}

impl SmsCodes<'_> {
    fn keys(&self, mobile: &str, key: SmsKey, ip: IpAddr, now: i64) -> Keys {
        let day = local_day(self.timezone, now);
        Keys {
            interval: self.stores.key(format!("smsint:{{{mobile}}}")),
            per_mobile: self.stores.key(format!("smsday:m:{{{mobile}}}:{day}")),
            per_ip: self.stores.key(format!("smsday:ip:{{{ip}}}:{day}")),
            code: self.code_key(mobile, key),
            per_pair: self
                .stores
                .key(format!("smsday:mi:{{{mobile}}}:{ip}:{day}")),
            known: known_ips_key(self.stores, mobile),
        }
    }

    fn code_key(&self, mobile: &str, key: SmsKey) -> String {
        self.stores
            .key(format!("smscode:{}:{{{mobile}}}", key.as_str()))
    }

    /// Send a fresh code to `mobile`, asked from `ip` at `now`. Returns the
    /// code (for `sms.echo_code`).
    ///
    /// # Errors
    /// 503 blacklisted, too soon, over a daily cap, or delivery failed (then
    /// nothing is counted against the user); 500 store failures.
    pub async fn send(&self, mobile: &str, key: SmsKey, ip: IpAddr, now: i64) -> ApiResult<String> {
        self.ensure_not_blacklisted(mobile).await?;
        let sms = self.settings;
        let k = self.keys(mobile, key, ip, now);
        let code = format!("{:06}", rand::random_range(0..1_000_000u32));
        let mut c = self.stores.redis();
        let cluster = c.is_cluster();
        if cluster {
            let taken: i64 = IP_TAKE
                .key(&k.per_ip)
                .arg(sms.daily_per_ip)
                .invoke_async(&mut c)
                .await?;
            if taken == 0 {
                return Err(ApiError::business("今日短信发送次数已达上限，请明天再试"));
            }
        }
        let mut reserve = RESERVE.prepare_invoke();
        reserve
            .key(&k.interval)
            .key(&k.per_mobile)
            .key(&k.code)
            .key(&k.per_pair)
            .key(&k.known);
        if !cluster {
            reserve.key(&k.per_ip);
        }
        let reserved: String = reserve
            .arg(sms.interval_secs)
            .arg(sms.daily_per_mobile)
            .arg(sms.daily_per_ip)
            .arg(&code)
            .arg(sms.code_ttl_secs)
            .arg(sms.daily_per_mobile_ip)
            .arg(ip.to_string())
            .arg(now - KNOWN_IP_SECS)
            .invoke_async(&mut c)
            .await?;
        if cluster && reserved != "ok" {
            self.release_ip(&k).await?;
        }
        match reserved.as_str() {
            "ok" => {}
            "interval" => {
                return Err(ApiError::business(format!(
                    "两次发送间隔小于{}秒",
                    sms.interval_secs
                )));
            }
            _ => return Err(ApiError::business("今日短信发送次数已达上限，请明天再试")),
        }
        let text = key.text(&code, sms.code_ttl_secs / 60);
        let delivered = self.deliver(mobile, key.as_str(), &code, text, None).await;
        self.record(mobile, key.as_str(), ip, delivered.as_ref().err())
            .await;
        if let Err(e) = delivered {
            let mut release = RELEASE.prepare_invoke();
            release
                .key(&k.interval)
                .key(&k.per_mobile)
                .key(&k.code)
                .key(&k.per_pair);
            if cluster {
                self.release_ip(&k).await?;
            } else {
                release.key(&k.per_ip);
            }
            release.invoke_async::<i64>(&mut c).await?;
            tracing::warn!(error = %format!("{e:#}"), mobile = %mask_mobile(mobile), key = key.as_str(), "SMS delivery failed");
            return Err(ApiError::business("短信发送失败"));
        }
        Ok(code)
    }

    /// Cluster only: give back the per-IP count of a send that did not go.
    async fn release_ip(&self, k: &Keys) -> ApiResult<()> {
        let mut c = self.stores.redis();
        RELEASE
            .key(&k.per_ip)
            .arg("ip")
            .invoke_async::<i64>(&mut c)
            .await?;
        Ok(())
    }

    /// Check `code` for `mobile` and `key`; consume it when `consume` and right.
    ///
    /// # Errors
    /// `Ok(Err(_))` for a refused code; `Err` for Redis failures.
    pub async fn check(
        &self,
        mobile: &str,
        key: SmsKey,
        code: &str,
        consume: bool,
    ) -> ApiResult<Result<(), CodeError>> {
        let mut c = self.stores.redis();
        let r: i64 = CHECK
            .key(self.code_key(mobile, key))
            .arg(code)
            .arg(if consume { "1" } else { "0" })
            .arg(self.settings.max_attempts)
            .invoke_async(&mut c)
            .await?;
        Ok(match r {
            1 => Ok(()),
            2 | 3 => Err(CodeError::Wrong),
            _ => Err(CodeError::Expired),
        })
    }

    async fn ensure_not_blacklisted(&self, mobile: &str) -> ApiResult<()> {
        let listed = self.settings.blacklist.iter().any(|m| m == mobile)
            || !self
                .stores
                .pg_rows("SELECT 1 FROM sms_blacklist WHERE mobile = $1", &[&mobile])
                .await?
                .is_empty();
        if listed {
            return Err(ApiError::business("该手机号暂时无法接收短信"));
        }
        Ok(())
    }

    /// Send a system notice (`sms.send.system`): template `key` with its
    /// `replace` values, no code. Blacklisted mobiles are refused; every
    /// send is written to `sms_log`. No interval or daily cap: only admin
    /// appids may send, under their own rate limits.
    ///
    /// # Errors
    /// 503 blacklisted or delivery failed; 500 store failures.
    pub async fn send_notice(
        &self,
        mobile: &str,
        key: &str,
        replace: &serde_json::Value,
        ip: IpAddr,
    ) -> ApiResult<()> {
        self.ensure_not_blacklisted(mobile).await?;
        let delivered = self
            .deliver(mobile, key, "", String::new(), Some(replace))
            .await;
        self.record(mobile, key, ip, delivered.as_ref().err()).await;
        if let Err(e) = delivered {
            tracing::warn!(error = %format!("{e:#}"), mobile = %mask_mobile(mobile), key, "SMS notice delivery failed");
            return Err(ApiError::business("短信发送失败"));
        }
        Ok(())
    }

    async fn deliver(
        &self,
        mobile: &str,
        key: &str,
        code: &str,
        text: String,
        replace: Option<&serde_json::Value>,
    ) -> anyhow::Result<()> {
        let sms = self.settings;
        match sms.driver {
            SmsDriver::Log => {
                tracing::info!(mobile = %mask_mobile(mobile), key, "SMS sent by the log driver (code withheld)");
                Ok(())
            }
            SmsDriver::Webhook => {
                let body = WebhookBody {
                    mobile,
                    key,
                    code,
                    text,
                    replace,
                };
                let mut req = self
                    .http
                    .post(&sms.webhook_url)
                    .timeout(sms.webhook_timeout_ms)
                    .json(&body);
                if !sms.webhook_token.expose().is_empty() {
                    req = req.bearer_auth(sms.webhook_token.expose());
                }
                let resp = req
                    .send()
                    .await
                    .map_err(|e| anyhow::anyhow!("webhook: {}", e.without_url()))?;
                anyhow::ensure!(
                    resp.status().is_success(),
                    "webhook answered HTTP {}",
                    resp.status()
                );
                Ok(())
            }
        }
    }

    /// Write the send to `sms_log`. A failure to log is itself logged and
    /// does not undo a delivered code.
    async fn record(&self, mobile: &str, key: &str, ip: IpAddr, error: Option<&anyhow::Error>) {
        let driver = match self.settings.driver {
            SmsDriver::Log => "log",
            SmsDriver::Webhook => "webhook",
        };
        let (status, why): (i16, String) = match error {
            None => (1, String::new()),
            Some(e) => (2, format!("{e:#}")),
        };
        let result = async {
            let db = self.stores.pg().await?;
            let stmt = db
                .prepare_cached("INSERT INTO sms_log (mobile, sms_key, ip, driver, status, error) VALUES ($1, $2, $3, $4, $5, $6)")
                .await?;
            db.execute(&stmt, &[&mobile, &key, &ip, &driver, &status, &why]).await?;
            Ok::<_, ApiError>(())
        }
        .await;
        if let Err(e) = result {
            tracing::error!(error = %e, mobile = %mask_mobile(mobile), "SMS send not written to sms_log");
        }
    }
}

#[derive(Serialize)]
struct WebhookBody<'a> {
    mobile: &'a str,
    key: &'a str,
    code: &'a str,
    text: String,
    /// Template values of a system notice.
    #[serde(skip_serializing_if = "Option::is_none")]
    replace: Option<&'a serde_json::Value>,
}
