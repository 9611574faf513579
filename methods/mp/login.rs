//! mp.wx.login, mp.login, mp.sms.code and the scene logins (seed 004
//! /wxLogin, /login, /sms/verify_code, /loginWithSceneId;
//! docs/protocol.md §23.2). The WeChat login and the mobile bind are
//! user.wx.login's and user.mobile.bind's, answered with the seed's codes.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{DIALECT, EXISTS, NO_ACCOUNT, NO_APPID, WRONG_CODE, member};
use crate::config::apps::AppKind;
use crate::config::wechat::WechatDriver;
use crate::domain::{Mobile, SmsCode, SmsKey};
use crate::gate::session;
use crate::handler::{ApiError, ApiResult, Ctx, Reply, Text, code};
use crate::shared::accounts::NotMerged;
use crate::shared::wechat as wx;
use crate::stores::opt_row;

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct WxParams {
    /// wx.login 获取到的 code（一次有效）；dev、test 中 "user" 为测试账号
    code: Text,
}

pub(super) async fn wx_login(ctx: Ctx, p: WxParams) -> ApiResult<Reply> {
    let appid = ctx.caller.appid.as_str();
    let w = &ctx.config.settings.wechat;
    let mini = ctx.config.apps.get(appid).map(|a| a.kind) == Some(AppKind::MiniProgram);
    if !mini || (w.driver == WechatDriver::Api && !w.apps.contains_key(appid)) {
        return Err(ApiError::new(NO_APPID, "微信appid不存在"));
    }
    if p.code.as_str() == "user" && ctx.config.settings.env.is_dev_or_test() {
        return test_user(&ctx).await;
    }
    let who = wx::code2session(ctx.stores(), w, &ctx.state.http, appid, p.code.as_str()).await?;
    let (token, account) = ctx.accounts().wechat_login(&who, &ctx.arrival()?).await?;
    let p = account.profile;
    let user_info = (!p.mobile.is_empty()).then_some(UserInfo {
        name: p.nickname,
        mobile: p.mobile,
    });
    let mut data = json!({"token": token, "open_id": p.open_id});
    if let Some(info) = user_info {
        data["userInfo"] = serde_json::to_value(info).map_err(anyhow::Error::from)?;
    }
    Reply::data("登录成功", &data)
}

#[derive(Serialize)]
struct UserInfo {
    name: String,
    mobile: String,
}

/// The seed's test shortcut: the account of `mp.test_user_mobile`, with
/// the sandbox identity of WeChat user "user" bound to it.
async fn test_user(ctx: &Ctx) -> ApiResult<Reply> {
    let mobile = &ctx.config.settings.mp.test_user_mobile;
    let db = ctx.stores().pg().await?;
    let id: i64 = db
        .query_opt("SELECT id FROM users WHERE mobile = $1", &[mobile])
        .await?
        .ok_or_else(|| ApiError::new(NO_ACCOUNT, "账号不存在"))?
        .get(0);
    let who = wx::sandbox_identity(&ctx.caller.appid, "user");
    db.execute(
        "INSERT INTO wechat_identities (appid, openid, unionid, user_id) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (appid, openid) DO UPDATE SET user_id = EXCLUDED.user_id, updated_at = now()",
        &[&ctx.caller.appid, &who.openid, &who.unionid, &id],
    )
    .await?;
    drop(db);
    let accounts = ctx.accounts();
    let account = accounts.find_by_id(id).await?;
    session::ensure_active(account.profile.status)?;
    let token = accounts.issue_session(&account, &ctx.arrival()?).await?;
    let p = account.profile;
    Reply::data(
        "登录成功",
        &json!({"token": token, "open_id": who.openid,
                "userInfo": UserInfo { name: p.nickname, mobile: p.mobile }}),
    )
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct LoginParams {
    /// 手机号
    mobile: Text,
    /// 短信验证码（mp.sms.code）
    verify_code: Text,
}

pub(super) async fn login(ctx: Ctx, p: LoginParams) -> ApiResult<Reply> {
    let user = ctx.user()?;
    let mobile = Mobile::parse(&p.mobile).map_err(seed_code)?;
    let code = SmsCode::parse(&p.verify_code).map_err(seed_code)?;
    let (token, account) = ctx
        .accounts()
        .bind(&ctx.sms(), user, (&mobile, &code), &ctx.arrival()?)
        .await
        .map_err(seed_code)?;
    let p = account.profile;
    Reply::data(
        "绑定成功",
        &json!({"token": token, "userInfo": UserInfo { name: p.nickname, mobile: p.mobile }}),
    )
}

/// A bind's refusal as the seed numbers it.
fn seed_code(e: ApiError) -> ApiError {
    match e {
        ApiError::Refused {
            code: code::SMS_CODE_WRONG,
            msg,
        } => ApiError::new(WRONG_CODE, msg),
        ApiError::Refused {
            code: code::BUSINESS,
            msg,
        } if msg == "当前账号已绑定手机号" => ApiError::new(EXISTS, msg),
        ApiError::Refused {
            code: code::BUSINESS,
            msg,
        } if msg.starts_with("手机号") => DIALECT.invalid(msg),
        other => other,
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct SmsParams {
    /// 手机号
    mobile: Text,
}

pub(super) async fn sms_code(ctx: Ctx, p: SmsParams) -> ApiResult<Reply> {
    let mobile =
        Mobile::parse(&p.mobile).map_err(|e| DIALECT.invalid(e.public_msg().to_string()))?;
    let code = ctx
        .sms()
        .send(
            mobile.as_str(),
            SmsKey::BindMobile,
            ctx.caller.ip,
            ctx.now(),
        )
        .await?;
    if ctx.config.settings.sms.echo_code {
        return Reply::data("发送成功", &json!({"verify_code": code}));
    }
    Ok(Reply::empty("发送成功"))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct SceneParams {
    /// 订单号（可不传；须是本人的订单）
    #[serde(default)]
    order_no: Text,
}

#[derive(Debug, Serialize, Deserialize)]
struct Payload {
    user_id: i64,
    order_no: String,
}

fn scene_key(ctx: &Ctx, id: &str) -> String {
    ctx.stores().key(format!("mp:scene:{id}"))
}

pub(super) async fn scene_create(ctx: Ctx, p: SceneParams) -> ApiResult<Reply> {
    let user = member(&ctx)?.id;
    let order_no = p.order_no.as_str().trim().to_string();
    if !order_no.is_empty() {
        let rows = ctx
            .stores()
            .pg_rows(
                "SELECT 1 FROM mp_orders WHERE order_no = $1 AND user_id = $2",
                &[&order_no, &user],
            )
            .await?;
        opt_row(rows)?.ok_or_else(|| ApiError::not_found("订单不存在"))?;
    }
    let id = crate::shared::pay::nonce();
    let ttl = ctx.config.settings.mp.scene_ttl_secs;
    let payload = serde_json::to_string(&Payload {
        user_id: user,
        order_no,
    })
    .map_err(anyhow::Error::from)?;
    let mut c = ctx.stores().redis();
    let () = redis::cmd("SET")
        .arg(scene_key(&ctx, &id))
        .arg(payload)
        .arg("EX")
        .arg(ttl)
        .query_async(&mut c)
        .await?;
    Reply::data("success", &json!({"sceneId": id, "expire_in": ttl}))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct SceneLoginParams {
    /// 小程序码的 scene 值（mp.scene.create 的 sceneId）
    #[serde(rename = "sceneId")]
    scene_id: Text,
}

pub(super) async fn scene_login(ctx: Ctx, p: SceneLoginParams) -> ApiResult<Reply> {
    let me = ctx.user()?;
    let id = p.scene_id.as_str().trim();
    let used = || DIALECT.invalid("sceneId 无效、已过期或已使用");
    if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(used());
    }
    // Taken once: of any number of logins with one scene, one reads it.
    let mut c = ctx.stores().redis();
    let raw: Option<String> = redis::cmd("GETDEL")
        .arg(scene_key(&ctx, id))
        .query_async(&mut c)
        .await?;
    let payload: Payload = raw
        .and_then(|r| serde_json::from_str(&r).ok())
        .ok_or_else(used)?;
    let joined = ctx
        .accounts()
        .join(me, payload.user_id, &ctx.arrival()?)
        .await?;
    let (token, account) = joined.map_err(|why| match why {
        NotMerged::HasMobile => ApiError::new(EXISTS, "当前微信已绑定其他账号"),
        NotMerged::NoTarget => ApiError::new(NO_ACCOUNT, "账号不存在"),
    })?;
    let p = account.profile;
    Reply::data(
        "登录成功",
        &json!({"token": token, "userInfo": UserInfo { name: p.nickname, mobile: p.mobile },
                "payload": payload}),
    )
}
