//! user.wx.login and user.mobile.bind (seed 004 `/wxLogin` and `/login`;
//! docs/protocol.md §8.9, §8.10): a mini-program logs in with its
//! `wx.login` code, then binds a mobile, merging onto the mobile's account
//! when it has one.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::config::apps::AppKind;
use crate::domain::{Mobile, SmsCode};
use crate::handler::params::aliased;
use crate::handler::{ApiError, ApiResult, Ctx, Reply, Text, code};
use crate::shared::accounts::Account;
use crate::shared::wechat;

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct WxLoginParams {
    /// wx.login 获取到的 code（一次有效）
    code: Text,
}

/// The seed's `userInfo`: present once the account has a mobile.
#[derive(Serialize)]
struct UserInfo {
    name: String,
    mobile: String,
}

#[derive(Serialize)]
struct WxLoginData {
    token: String,
    open_id: String,
    #[serde(rename = "userInfo", skip_serializing_if = "Option::is_none")]
    user_info: Option<UserInfo>,
}

impl WxLoginData {
    fn new(token: String, a: Account) -> Self {
        let p = a.profile;
        let user_info = (!p.mobile.is_empty()).then_some(UserInfo {
            name: p.nickname,
            mobile: p.mobile,
        });
        Self {
            token,
            open_id: p.open_id,
            user_info,
        }
    }
}

pub(super) async fn wx_login(ctx: Ctx, p: WxLoginParams) -> ApiResult<Reply> {
    let appid = ctx.caller.appid.clone();
    if ctx.config.apps.get(&appid).map(|a| a.kind) != Some(AppKind::MiniProgram) {
        return Err(ApiError::new(code::FORBIDDEN, "您没有权限访问该接口"));
    }
    let s = &ctx.config.settings;
    let who = wechat::code2session(
        ctx.stores(),
        &s.wechat,
        &ctx.state.http,
        &appid,
        p.code.as_str(),
    )
    .await?;
    let (token, account) = ctx.accounts().wechat_login(&who, &ctx.arrival()?).await?;
    Reply::data("登录成功", &WxLoginData::new(token, account))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct BindParams {
    /// 手机号
    mobile: Text,
    /// 短信验证码（sms.send，key = USER_BIND_MOBILE_CODE）
    #[serde(default)]
    verify_code: Option<Text>,
    /// verify_code 的别名；与 verify_code 同时传且不同时 503
    #[serde(default)]
    code: Option<Text>,
}

#[derive(Serialize)]
struct BindData {
    /// The caller's token, or a new one for the account merged onto.
    token: String,
    #[serde(rename = "userInfo")]
    user_info: UserInfo,
}

pub(super) async fn mobile_bind(ctx: Ctx, p: BindParams) -> ApiResult<Reply> {
    let user = ctx.user()?;
    let mobile = Mobile::parse(&p.mobile)?;
    let given = aliased("verify_code", p.verify_code, "code", p.code)?
        .ok_or_else(|| ApiError::business("缺少参数 verify_code"))?;
    let code = SmsCode::parse(&given)?;
    let (token, account) = ctx
        .accounts()
        .bind(&ctx.sms(), user, (&mobile, &code), &ctx.arrival()?)
        .await?;
    let p = account.profile;
    let user_info = UserInfo {
        name: p.nickname,
        mobile: p.mobile,
    };
    Reply::data("绑定成功", &BindData { token, user_info })
}
