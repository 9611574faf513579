//! user.pwd.edit and user.pwd.find: change a password knowing the old
//! one (a guarded guess, counted like a wrong login: docs/protocol.md §8.6),
//! or reset it with an SMS code (which lifts the login locks).

use schemars::JsonSchema;
use serde::Deserialize;

use crate::domain::{Mobile, Password, SmsCode, SmsKey};
use crate::gate::session;
use crate::handler::guess::{self, attempts};
use crate::handler::{ApiError, ApiResult, Ctx, Reply, Text, code};
use crate::shared::accounts::not_registered;

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct PwdEditParams {
    /// 旧密码
    old_pwd: Text,
    /// 新密码：6-20 位数字、字母、下划线、破折号
    new_pwd: Text,
}

pub(super) async fn pwd_edit(ctx: Ctx, p: PwdEditParams) -> ApiResult<Reply> {
    let user = ctx.user()?;
    let new = Password::parse(&p.new_pwd, "新密码")?;
    let accounts = ctx.accounts();
    let account = accounts.find_by_id(user.id).await?;
    if account.profile.mobile.is_empty() {
        return Err(ApiError::business("请先绑定手机号"));
    }
    let mobile = Mobile::parse(&Text(account.profile.mobile.clone()))?;
    let wrong = ApiError::business("旧密码不正确");
    guess::password(&ctx, &mobile, p.old_pwd.0, account.password_hash, wrong).await?;
    accounts.change_password(user.id, new).await?;
    session::password_changed(&ctx.state.stores, user.id, Some(&user.token)).await?;
    Ok(Reply::empty("密码修改成功"))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct PwdFindParams {
    /// 手机号
    mobile: Text,
    /// 短信验证码（key = USER_PWD_FIND_CODE）
    code: Text,
    /// 新密码：6-20 位数字、字母、下划线、破折号
    password: Text,
}

pub(super) async fn pwd_find(ctx: Ctx, p: PwdFindParams) -> ApiResult<Reply> {
    let mobile = Mobile::parse(&p.mobile)?;
    let new = Password::parse(&p.password, "新密码")?;
    let accounts = ctx.accounts();
    let account = accounts
        .find_by_mobile(&mobile)
        .await?
        .ok_or_else(not_registered)?;
    session::ensure_active(account.profile.status)?;
    let code = SmsCode::parse(&p.code)?;
    ctx.sms()
        .check(mobile.as_str(), SmsKey::PwdFind, code.as_str(), true)
        .await?
        .map_err(|e| e.into_api(code::SMS_CODE_WRONG))?;
    accounts.change_password(account.id, new).await?;
    session::password_changed(&ctx.state.stores, account.id, None).await?;
    attempts(&ctx).clear(mobile.as_str(), ctx.caller.ip).await?;
    Ok(Reply::empty("密码找回成功"))
}
