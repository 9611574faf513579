//! user.login by SMS code or password. Every check is a guarded guess
//! (docs/protocol.md §8.6): counted per (mobile, client IP) and per mobile,
//! one at a time per mobile, on the bounded password workers.

use schemars::JsonSchema;
use serde::Deserialize;

use super::account::LoginData;
use crate::domain::{Mobile, SmsCode, SmsKey};
use crate::gate::attempts::Kind;
use crate::gate::session;
use crate::handler::guess::{self, guarded};
use crate::handler::params::aliased;
use crate::handler::{ApiError, ApiResult, Ctx, Int, Reply, Text, code};
use crate::shared::accounts::not_registered;

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
    let accounts = ctx.accounts();
    let account = accounts
        .find_by_mobile(&mobile)
        .await?
        .ok_or_else(not_registered)?;
    session::ensure_active(account.profile.status)?;
    if by_code {
        let code = SmsCode::parse(
            code_given
                .as_ref()
                .ok_or_else(|| ApiError::business("缺少参数 code"))?,
        )?;
        let c = ctx.clone();
        let m = mobile.as_str().to_string();
        guarded(&ctx, &mobile, Kind::Code, async move {
            let checked = c
                .sms()
                .check(&m, SmsKey::Login, code.as_str(), true)
                .await?;
            Ok(checked.map_err(|e| e.into_api(code::SMS_CODE_WRONG)))
        })
        .await?;
    } else {
        let given = p
            .password
            .filter(|t| !t.as_str().is_empty())
            .or(code_given)
            .ok_or_else(|| ApiError::business("缺少参数 password"))?;
        let hash = account.password_hash.clone();
        let wrong = ApiError::business("账号或密码不正确");
        guess::password(&ctx, &mobile, given.0, hash, wrong).await?;
    }
    let token = accounts.issue_session(&account, &ctx.arrival()?).await?;
    Reply::data("登录成功", &LoginData::new(&ctx, token, account))
}
