//! user.login by SMS code or password, and the login lock of a mobile
//! (docs/protocol.md §8.6).

use schemars::JsonSchema;
use serde::Deserialize;

use super::account::{LoginData, find_by_mobile, not_registered};
use crate::domain::{Mobile, SmsCode, SmsKey};
use crate::handler::{ApiError, ApiResult, Ctx, Int, Reply, Text, code};
use crate::methods::params::aliased;
use crate::services::guards::Strikes;
use crate::services::{password, session};

fn lock_keys(ctx: &Ctx, mobile: &Mobile) -> (String, String) {
    let s = &ctx.state.stores;
    (
        s.key(format!("loginfail:{}", mobile.as_str())),
        s.key(format!("loginlock:{}", mobile.as_str())),
    )
}

fn locked_until(ctx: &Ctx, until: i64) -> ApiError {
    ApiError::new(
        code::LOGIN_LOCKED,
        format!(
            "密码或验证码错误次数过多，登录已被限制，请于 {} 后再试",
            ctx.time_string(until)
        ),
    )
}

async fn ensure_not_locked(ctx: &Ctx, mobile: &Mobile) -> ApiResult<()> {
    let (_, lock) = lock_keys(ctx, mobile);
    let mut c = ctx.stores().redis();
    let until: Option<i64> = redis::cmd("GET").arg(lock).query_async(&mut c).await?;
    match until {
        Some(t) => Err(locked_until(ctx, t)),
        None => Ok(()),
    }
}

/// Count a wrong password or code; the refusal to give (607 once locked).
async fn login_failed(ctx: &Ctx, mobile: &Mobile, refusal: ApiError) -> ApiError {
    let g = &ctx.config.settings.guards;
    let until = ctx.now() + g.login_lock_secs as i64;
    let (counter, lock) = lock_keys(ctx, mobile);
    let strikes = Strikes {
        counter,
        lock,
        window_secs: g.login_lock_secs,
        max: g.login_max_failures,
        lock_secs: g.login_lock_secs,
        until,
    };
    match strikes.strike(ctx.stores()).await {
        Ok(true) => locked_until(ctx, until),
        Ok(false) => refusal,
        Err(e) => e,
    }
}

pub(super) async fn clear_login_failures(ctx: &Ctx, mobile: &Mobile) -> ApiResult<()> {
    let (fails, lock) = lock_keys(ctx, mobile);
    let mut c = ctx.stores().redis();
    redis::cmd("DEL")
        .arg(fails)
        .arg(lock)
        .query_async::<()>(&mut c)
        .await?;
    Ok(())
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct LoginParams {
    /// 手机号
    mobile: Text,
    /// 登录类型：1 验证码登录、2 密码登录
    login_type: Int,
    /// 短信验证码（login_type 1）；login_type 2 时为密码
    #[serde(default)]
    code: Option<Text>,
    /// code 的别名（Yaf-Server 客户端的写法）；与 code 同时传且不同时 503
    #[serde(default)]
    sms_code: Option<Text>,
    /// 密码（login_type 2，也可放在 code）
    #[serde(default)]
    password: Option<Text>,
}

pub(super) async fn login(ctx: Ctx, p: LoginParams) -> ApiResult<Reply> {
    let mobile = Mobile::parse(&p.mobile)?;
    let by_code = match p.login_type.0 {
        1 => true,
        2 => false,
        _ => {
            return Err(ApiError::business(
                "参数 login_type 不正确（1 验证码登录、2 密码登录）",
            ));
        }
    };
    let code_given = aliased("code", p.code, "sms_code", p.sms_code)?;
    ensure_not_locked(&ctx, &mobile).await?;
    let account = find_by_mobile(&ctx, &mobile)
        .await?
        .ok_or_else(not_registered)?;
    session::ensure_active(account.status)?;
    if by_code {
        let code = SmsCode::parse(
            code_given
                .as_ref()
                .ok_or_else(|| ApiError::business("缺少参数 code"))?,
        )?;
        if let Err(e) = ctx
            .sms()
            .check(mobile.as_str(), SmsKey::Login, code.as_str(), true)
            .await?
        {
            return Err(login_failed(&ctx, &mobile, e.into_api(code::SMS_CODE_WRONG)).await);
        }
    } else {
        let given = p
            .password
            .filter(|t| !t.as_str().is_empty())
            .or(code_given)
            .ok_or_else(|| ApiError::business("缺少参数 password"))?;
        let ok = password::verify(given.0, account.password_hash.clone()).await?;
        if !ok {
            return Err(login_failed(&ctx, &mobile, ApiError::business("账号或密码不正确")).await);
        }
    }
    clear_login_failures(&ctx, &mobile).await?;
    let token = session::issue(
        &ctx.state.stores,
        &ctx.config.settings.session,
        account.id,
        ctx.platform()?,
    )
    .await?;
    Reply::data("登录成功", &LoginData::new(&ctx, token, account))
}
