//! sms.*: send and verify SMS codes (docs/methods.md; docs/protocol.md §10).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::domain::{Mobile, SmsKey};
use crate::handler::{ApiError, ApiResult, Ctx, Method, Registry, Reply, Text, code};
use crate::methods::user::is_registered;

/// Register the sms namespace.
pub fn register(r: &mut Registry) {
    r.add(
        Method::new("sms.send", "1.0.0")
            .no_replay()
            .req_token(false)
            .summary("发送短信验证码。key：USER_REGISTER_CODE（已注册返回 604）、USER_LOGIN_CODE、USER_PWD_FIND_CODE（未注册返回 605）。6 位，10 分钟有效，同一手机号 60 秒一次，每日上限。"),
        send,
    );
    r.add(
        Method::new("sms.verify", "1.0.0").summary("校验短信验证码（不消耗；错误 3 次作废）。"),
        verify,
    );
}

fn parse_key(text: &Text) -> ApiResult<SmsKey> {
    SmsKey::parse(text.as_str()).ok_or_else(|| {
        ApiError::business(
            "参数 key 不正确（USER_REGISTER_CODE、USER_LOGIN_CODE、USER_PWD_FIND_CODE）",
        )
    })
}

#[derive(Debug, Deserialize, JsonSchema)]
struct SendParams {
    /// 手机号
    mobile: Text,
    /// 短信模板标识：USER_REGISTER_CODE、USER_LOGIN_CODE、USER_PWD_FIND_CODE
    key: Text,
}

#[derive(Serialize)]
struct Echo {
    code: String,
}

async fn send(ctx: Ctx, p: SendParams) -> ApiResult<Reply> {
    let mobile = Mobile::parse(&p.mobile)?;
    let key = parse_key(&p.key)?;
    let registered = is_registered(&ctx, &mobile).await?;
    match key {
        SmsKey::Register if registered => {
            return Err(ApiError::new(code::ALREADY_REGISTERED, "账号已注册"));
        }
        SmsKey::Login | SmsKey::PwdFind if !registered => {
            return Err(ApiError::new(code::NOT_REGISTERED, "账号未注册"));
        }
        _ => {}
    }
    let code = ctx
        .sms()
        .send(mobile.as_str(), key, ctx.caller.ip, ctx.now())
        .await?;
    if ctx.config.settings.sms.echo_code {
        return Reply::data("发送成功", &Echo { code });
    }
    Ok(Reply::empty("发送成功"))
}

#[derive(Debug, Deserialize, JsonSchema)]
struct VerifyParams {
    /// 手机号
    mobile: Text,
    /// 短信模板标识
    key: Text,
    /// 验证码
    code: Text,
}

async fn verify(ctx: Ctx, p: VerifyParams) -> ApiResult<Reply> {
    let mobile = Mobile::parse(&p.mobile)?;
    let key = parse_key(&p.key)?;
    ctx.sms()
        .check(mobile.as_str(), key, p.code.as_str().trim(), false)
        .await?
        .map_err(|e| e.into_api(code::BUSINESS))?;
    Ok(Reply::empty("验证码正确"))
}
