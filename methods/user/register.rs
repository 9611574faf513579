//! user.register: a new account from a mobile, a password and an SMS code.

use schemars::JsonSchema;
use serde::Deserialize;

use super::account::LoginData;
use crate::domain::{Mobile, Password, SmsCode, SmsKey};
use crate::handler::guess::attempts;
use crate::handler::params::aliased;
use crate::handler::{ApiError, ApiResult, Ctx, Reply, Text, code};
use crate::shared::accounts::{self, Account, NewAccount, already_registered};

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct RegisterParams {
    /// 手机号
    mobile: Text,
    /// 密码：6-20 位数字、字母、下划线、破折号
    password: Text,
    /// 短信验证码（sms.send，key = USER_REGISTER_CODE）
    #[serde(default)]
    code: Option<Text>,
    /// code 的别名（Yaf-Server 客户端的写法）；与 code 同时传且不同时 503
    #[serde(default)]
    sms_code: Option<Text>,
}

pub(super) async fn register_user(ctx: Ctx, p: RegisterParams) -> ApiResult<Reply> {
    let mobile = Mobile::parse(&p.mobile)?;
    let password = Password::parse(&p.password, "密码")?;
    let code = aliased("code", p.code, "sms_code", p.sms_code)?
        .ok_or_else(|| ApiError::business("缺少参数 code"))?;
    let accounts = ctx.accounts();
    if accounts.find_by_mobile(&mobile).await?.is_some() {
        return Err(already_registered());
    }
    let code = SmsCode::parse(&code)?;
    ctx.sms()
        .check(mobile.as_str(), SmsKey::Register, code.as_str(), false)
        .await?
        .map_err(|e| e.into_api(code::SMS_CODE_WRONG))?;
    let hash = accounts.hash(password).await?;
    let account = create_account(&ctx, &mobile, &hash, &code).await?;
    let token = accounts.issue_session(&account, &ctx.arrival()?).await?;
    attempts(&ctx)
        .remember_ip(mobile.as_str(), ctx.caller.ip, ctx.now())
        .await?;
    Reply::data("注册成功", &LoginData::new(&ctx, token, account))
}

/// Insert the account and use up the code in one step: the row is
/// committed only if the code was still unused, so a failure on either
/// side leaves no account (and a retried request cannot make two).
async fn create_account(
    ctx: &Ctx,
    mobile: &Mobile,
    hash: &str,
    code: &SmsCode,
) -> ApiResult<Account> {
    let mut db = ctx.stores().pg().await?;
    let tx = db.transaction().await?;
    let nickname = mobile.masked();
    let new = NewAccount {
        mobile: Some(mobile),
        nickname: &nickname,
        password_hash: Some(hash),
    };
    let account = accounts::create(&tx, new, &ctx.arrival()?)
        .await?
        .ok_or_else(already_registered)?;
    ctx.sms()
        .check(mobile.as_str(), SmsKey::Register, code.as_str(), true)
        .await?
        .map_err(|e| e.into_api(code::SMS_CODE_WRONG))?;
    tx.commit().await?;
    Ok(account)
}
