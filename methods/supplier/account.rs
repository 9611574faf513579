//! supplier.login, supplier.login.sms and supplier.pwd.find: seed 002's
//! /account/* (docs/protocol.md §21.1). The checks are the guarded guesses
//! of user.login (§8.6); the refusals are the seed's 400 and 101.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{FAILED, certified};
use crate::domain::{Mobile, Password, SmsCode, SmsKey};
use crate::gate::attempts::Kind;
use crate::gate::session;
use crate::handler::guess::{self, attempts, guarded};
use crate::handler::{ApiError, ApiResult, Ctx, Reply, Text};
use crate::shared::accounts::Account;

const WRONG_PASSWORD: &str = "帐号或密码错误";

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct PasswordParams {
    /// 登录口令（种子的 access_token；由已签名的 appid 代替，可不传）
    #[serde(default)]
    access_token: Option<Text>,
    /// 微信 js code（暂时不用）
    #[serde(default)]
    code: Option<Text>,
    /// 手机号
    mobile: Text,
    /// 密码
    password: Text,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct SmsParams {
    /// 登录口令（种子的 access_token；由已签名的 appid 代替，可不传）
    #[serde(default)]
    access_token: Option<Text>,
    /// 微信 js code（暂时不用）
    #[serde(default)]
    code: Option<Text>,
    /// 手机号
    mobile: Text,
    /// 验证码（sms.send，key = SUPPLIER_LOGIN_CODE）
    verify_code: Text,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct FindParams {
    /// 登录口令（种子的 access_token；由已签名的 appid 代替，可不传）
    #[serde(default)]
    access_token: Option<Text>,
    /// 手机号
    mobile: Text,
    /// 验证码（sms.send，key = SUPPLIER_LOGIN_CODE）
    verify_code: Text,
    /// 重置的密码：6-20 位数字、字母、下划线、破折号
    #[serde(default)]
    password: Text,
}

/// The seed's login answer.
#[derive(Serialize)]
struct Login {
    token: String,
    expire_time: u64,
}

fn failed(msg: &'static str) -> ApiError {
    ApiError::new(FAILED, msg)
}

/// A code refusal as the seed's 400, keeping the protocol's message.
fn code_refused(e: ApiError) -> ApiError {
    match e {
        ApiError::Refused { msg, .. } => ApiError::new(FAILED, msg),
        other => other,
    }
}

pub(super) async fn login(ctx: Ctx, p: PasswordParams) -> ApiResult<Reply> {
    let _ = (p.access_token, p.code);
    let mobile = Mobile::parse(&p.mobile).map_err(code_refused)?;
    let account = ctx
        .accounts()
        .find_by_mobile(&mobile)
        .await?
        .ok_or_else(|| failed(WRONG_PASSWORD))?;
    session::ensure_active(account.profile.status)?;
    let hash = account.password_hash.clone();
    guess::password(&ctx, &mobile, p.password.0, hash, failed(WRONG_PASSWORD)).await?;
    logged_in(&ctx, &account).await
}

pub(super) async fn login_sms(ctx: Ctx, p: SmsParams) -> ApiResult<Reply> {
    let _ = (p.access_token, p.code);
    let mobile = Mobile::parse(&p.mobile).map_err(code_refused)?;
    let account = ctx
        .accounts()
        .find_by_mobile(&mobile)
        .await?
        .ok_or_else(|| failed("亲，验证码已过期~"))?;
    session::ensure_active(account.profile.status)?;
    let code = SmsCode::parse(&p.verify_code).map_err(code_refused)?;
    let c = ctx.clone();
    let m = mobile.as_str().to_string();
    guarded(&ctx, &mobile, Kind::Code, async move {
        let checked = c
            .sms()
            .check(&m, SmsKey::SupplierLogin, code.as_str(), true)
            .await?;
        Ok(checked.map_err(|e| e.into_api(FAILED)))
    })
    .await?;
    logged_in(&ctx, &account).await
}

/// The supplier checks after a right guess, then the session.
async fn logged_in(ctx: &Ctx, account: &Account) -> ApiResult<Reply> {
    certified(ctx, account.id).await?;
    let token = ctx
        .accounts()
        .issue_session(account, &ctx.arrival()?)
        .await?;
    let expire_time = ctx.session_class()?.ttl(&ctx.config.settings.session);
    Reply::data("亲，关联微信成功~", &Login { token, expire_time })
}

pub(super) async fn pwd_find(ctx: Ctx, p: FindParams) -> ApiResult<Reply> {
    let _ = p.access_token;
    let mobile = Mobile::parse(&p.mobile).map_err(code_refused)?;
    if p.password.as_str().is_empty() {
        return Err(failed("亲，缺少密码~"));
    }
    let new = Password::parse(&p.password, "密码").map_err(code_refused)?;
    let account = ctx
        .accounts()
        .find_by_mobile(&mobile)
        .await?
        .ok_or_else(|| failed("亲，验证码已过期~"))?;
    session::ensure_active(account.profile.status)?;
    super::supplier_of(&ctx, account.id).await?;
    let code = SmsCode::parse(&p.verify_code).map_err(code_refused)?;
    ctx.sms()
        .check(mobile.as_str(), SmsKey::SupplierLogin, code.as_str(), true)
        .await?
        .map_err(|e| e.into_api(FAILED))?;
    ctx.accounts().change_password(account.id, new).await?;
    session::password_changed(&ctx.state.stores, account.id, None).await?;
    attempts(&ctx).clear(mobile.as_str(), ctx.caller.ip).await?;
    Ok(Reply::empty("请求成功~"))
}
