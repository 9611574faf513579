//! SMS verification codes (DESIGN §6): six digits, a limited life and
//! number of tries, one send per interval per mobile, daily caps per mobile
//! and per IP, a blacklist, every send in `sms_log`, delivery by driver.
//! Codes live in Redis and are checked by atomic scripts.

use std::sync::LazyLock;
use std::time::Duration;

use chrono::TimeZone;
use redis::Script;
use serde::Serialize;

use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::policies::SmsDriver;

/// What a code is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmsKey {
    Register,
    Login,
    PwdFind,
}

impl SmsKey {
    /// Parse the seed's template keys.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "USER_REGISTER_CODE" => Some(Self::Register),
            "USER_LOGIN_CODE" => Some(Self::Login),
            "USER_PWD_FIND_CODE" => Some(Self::PwdFind),
            _ => None,
        }
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Register => "USER_REGISTER_CODE",
            Self::Login => "USER_LOGIN_CODE",
            Self::PwdFind => "USER_PWD_FIND_CODE",
        }
    }

    fn text(self, code: &str, minutes: u64) -> String {
        let what = match self {
            Self::Register => "注册",
            Self::Login => "登录",
            Self::PwdFind => "找回密码",
        };
        format!("您的{what}验证码是{code}，{minutes}分钟内有效。如非本人操作，请忽略本短信。")
    }
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
    pub fn into_api(self, code: u16) -> ApiError {
        match self {
            Self::Expired => ApiError::new(code, "验证码已失效，请重新获取"),
            Self::Wrong => ApiError::new(code, "您的验证码不正确"),
        }
    }
}

/// Reserve a send: the interval lock, both daily counters and the new code
/// (replacing any earlier one), or nothing.
static RESERVE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local interval, per_mobile, per_ip, code_key = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local interval_secs, cap_mobile, cap_ip = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local code, code_ttl = ARGV[4], ARGV[5]
if redis.call('EXISTS', interval) == 1 then return 'interval' end
local m = tonumber(redis.call('GET', per_mobile) or '0')
if m >= cap_mobile then return 'mobile_cap' end
local i = tonumber(redis.call('GET', per_ip) or '0')
if i >= cap_ip then return 'ip_cap' end
redis.call('SET', interval, '1', 'EX', interval_secs)
redis.call('INCR', per_mobile)
redis.call('EXPIRE', per_mobile, 172800)
redis.call('INCR', per_ip)
redis.call('EXPIRE', per_ip, 172800)
redis.call('DEL', code_key)
redis.call('HSET', code_key, 'code', code, 'tries', 0)
redis.call('EXPIRE', code_key, code_ttl)
return 'ok'
",
    )
});

/// Undo a reservation whose delivery failed, and drop its code.
static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
redis.call('DEL', KEYS[1], KEYS[4])
if tonumber(redis.call('GET', KEYS[2]) or '0') > 0 then redis.call('DECR', KEYS[2]) end
if tonumber(redis.call('GET', KEYS[3]) or '0') > 0 then redis.call('DECR', KEYS[3]) end
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
}

fn keys(ctx: &Ctx, mobile: &str, key: SmsKey) -> Keys {
    let stores = &ctx.state.stores;
    let day = ctx
        .config
        .settings
        .timezone
        .0
        .timestamp_opt(ctx.now(), 0)
        .single()
        .map(|t| t.format("%Y%m%d").to_string())
        .unwrap_or_default();
    Keys {
        interval: stores.key(format!("smsint:{mobile}")),
        per_mobile: stores.key(format!("smsday:m:{mobile}:{day}")),
        per_ip: stores.key(format!("smsday:ip:{}:{day}", ctx.caller.ip)),
        code: code_key(ctx, mobile, key),
    }
}

fn code_key(ctx: &Ctx, mobile: &str, key: SmsKey) -> String {
    ctx.state
        .stores
        .key(format!("smscode:{}:{mobile}", key.as_str()))
}

/// Send a fresh code to `mobile`. Returns the code (for `sms.echo_code`).
///
/// # Errors
/// 503 blacklisted, too soon, over a daily cap, or delivery failed (then
/// nothing is counted against the user); 500 store failures.
pub async fn send(ctx: &Ctx, mobile: &str, key: SmsKey) -> ApiResult<String> {
    ensure_not_blacklisted(ctx, mobile).await?;
    let sms = &ctx.config.settings.sms;
    let k = keys(ctx, mobile, key);
    let code = format!("{:06}", rand::random_range(0..1_000_000u32));
    let mut c = ctx.state.stores.redis().await?;
    let reserved: String = RESERVE
        .key(&k.interval)
        .key(&k.per_mobile)
        .key(&k.per_ip)
        .key(&k.code)
        .arg(sms.interval_secs)
        .arg(sms.daily_per_mobile)
        .arg(sms.daily_per_ip)
        .arg(&code)
        .arg(sms.code_ttl_secs)
        .invoke_async(&mut c)
        .await?;
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
    drop(c);
    let delivered = deliver(ctx, mobile, key, &code).await;
    record(ctx, mobile, key, delivered.as_ref().err()).await;
    if let Err(e) = delivered {
        let mut c = ctx.state.stores.redis().await?;
        RELEASE
            .key(&k.interval)
            .key(&k.per_mobile)
            .key(&k.per_ip)
            .key(&k.code)
            .invoke_async::<i64>(&mut c)
            .await?;
        tracing::warn!(error = %format!("{e:#}"), mobile = %mask(mobile), key = key.as_str(), "SMS delivery failed");
        return Err(ApiError::business("短信发送失败"));
    }
    Ok(code)
}

/// Check `code` for `mobile` and `key`; consume it when `consume` and right.
///
/// # Errors
/// `Ok(Err(_))` for a refused code; `Err` for Redis failures.
pub async fn check(
    ctx: &Ctx,
    mobile: &str,
    key: SmsKey,
    code: &str,
    consume: bool,
) -> ApiResult<Result<(), CodeError>> {
    let mut c = ctx.state.stores.redis().await?;
    let r: i64 = CHECK
        .key(code_key(ctx, mobile, key))
        .arg(code)
        .arg(if consume { "1" } else { "0" })
        .arg(ctx.config.settings.sms.max_attempts)
        .invoke_async(&mut c)
        .await?;
    Ok(match r {
        1 => Ok(()),
        2 => Err(CodeError::Wrong),
        3 => Err(CodeError::Wrong),
        _ => Err(CodeError::Expired),
    })
}

async fn ensure_not_blacklisted(ctx: &Ctx, mobile: &str) -> ApiResult<()> {
    let listed = ctx
        .config
        .settings
        .sms
        .blacklist
        .iter()
        .any(|m| m == mobile)
        || {
            let db = ctx.state.stores.pg().await?;
            let stmt = db
                .prepare_cached("SELECT 1 FROM sms_blacklist WHERE mobile = $1")
                .await?;
            db.query_opt(&stmt, &[&mobile]).await?.is_some()
        };
    if listed {
        return Err(ApiError::business("该手机号暂时无法接收短信"));
    }
    Ok(())
}

#[derive(Serialize)]
struct WebhookBody<'a> {
    mobile: &'a str,
    key: &'a str,
    code: &'a str,
    text: String,
}

async fn deliver(ctx: &Ctx, mobile: &str, key: SmsKey, code: &str) -> anyhow::Result<()> {
    let sms = &ctx.config.settings.sms;
    match sms.driver {
        SmsDriver::Log => {
            tracing::info!(mobile = %mask(mobile), key = key.as_str(), "SMS sent by the log driver (code withheld)");
            Ok(())
        }
        SmsDriver::Webhook => {
            let body = WebhookBody {
                mobile,
                key: key.as_str(),
                code,
                text: key.text(code, sms.code_ttl_secs / 60),
            };
            let mut req = ctx
                .state
                .http
                .post(&sms.webhook_url)
                .timeout(Duration::from_millis(sms.webhook_timeout_ms))
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

/// Write the send to `sms_log`. A failure to log is itself logged and does
/// not undo a delivered code.
async fn record(ctx: &Ctx, mobile: &str, key: SmsKey, error: Option<&anyhow::Error>) {
    let driver = match ctx.config.settings.sms.driver {
        SmsDriver::Log => "log",
        SmsDriver::Webhook => "webhook",
    };
    let (status, why): (i16, String) = match error {
        None => (1, String::new()),
        Some(e) => (2, format!("{e:#}")),
    };
    let ip = ctx.caller.ip;
    let result = async {
        let db = ctx.state.stores.pg().await?;
        let stmt = db
            .prepare_cached("INSERT INTO sms_log (mobile, sms_key, ip, driver, status, error) VALUES ($1, $2, $3, $4, $5, $6)")
            .await?;
        db.execute(&stmt, &[&mobile, &key.as_str(), &ip, &driver, &status, &why]).await?;
        Ok::<_, ApiError>(())
    }
    .await;
    if let Err(e) = result {
        tracing::error!(error = %e, mobile = %mask(mobile), "SMS send not written to sms_log");
    }
}

/// A mobile fit for logs: 185****2691.
pub fn mask(mobile: &str) -> String {
    if mobile.len() == 11 && mobile.is_ascii() {
        format!("{}****{}", &mobile[..3], &mobile[7..])
    } else {
        "***".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_the_seed_template_names() {
        for k in [SmsKey::Register, SmsKey::Login, SmsKey::PwdFind] {
            assert_eq!(SmsKey::parse(k.as_str()), Some(k));
        }
        assert_eq!(SmsKey::parse("user_register_code"), None);
    }

    #[test]
    fn mobiles_are_masked_for_logs() {
        assert_eq!(mask("18575202691"), "185****2691");
        assert_eq!(mask("123"), "***");
    }
}
