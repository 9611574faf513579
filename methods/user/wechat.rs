//! user.wx.login and user.mobile.bind (seed 004 `/wxLogin` and `/login`;
//! docs/protocol.md §8.9, §8.10): a mini-program logs in with its
//! `wx.login` code, then binds a mobile, merging onto the mobile's account
//! when it has one.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::account::{Account, find_by_id, issue_session};
use crate::config::apps::AppKind;
use crate::domain::{Mobile, SmsCode, SmsKey};
use crate::gate::profile;
use crate::gate::session::{self, status};
use crate::handler::{ApiError, ApiResult, Ctx, Reply, Text, code};
use crate::methods::params::aliased;
use crate::shared::wechat::{self, WxIdentity};

#[derive(Debug, Deserialize, JsonSchema)]
pub(crate) struct WxLoginParams {
    /// wx.login 获取到的 code（一次有效）
    pub(crate) code: Text,
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

pub(crate) async fn wx_login(ctx: Ctx, p: WxLoginParams) -> ApiResult<Reply> {
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
    let user_id = user_of(&ctx, &appid, &who).await?;
    let account = find_by_id(&ctx, user_id).await?;
    session::ensure_active(account.profile.status)?;
    let token = issue_session(&ctx, &account).await?;
    Reply::data("登录成功", &WxLoginData::new(token, account))
}

/// The account `who` logs into, created (password-less, mobile-less) on
/// the first login. Two first logins racing for one openid make one
/// account: the loser's insert is rolled back and it reads the winner's.
async fn user_of(ctx: &Ctx, appid: &str, who: &WxIdentity) -> ApiResult<i64> {
    let mut db = ctx.stores().pg().await?;
    if let Some(id) = bound_user(&db, appid, who).await? {
        return Ok(id);
    }
    let tx = db.transaction().await?;
    let c = &ctx.caller;
    let platform = ctx.platform()?.number();
    let user: i64 = tx
        .query_one(
            "INSERT INTO users (open_id, nickname, reg_platform, reg_channel, reg_app_v) \
             VALUES ($1, '微信用户', $2, $3, $4) RETURNING id",
            &[&session::new_token(), &platform, &c.channel, &c.app_v],
        )
        .await?
        .get(0);
    let bound = tx
        .query_opt(
            "INSERT INTO wechat_identities (appid, openid, unionid, user_id) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (appid, openid) DO NOTHING RETURNING user_id",
            &[&appid, &who.openid, &who.unionid, &user],
        )
        .await?;
    if bound.is_some() {
        tx.commit().await?;
        return Ok(user);
    }
    drop(tx);
    bound_user(&db, appid, who).await?.ok_or_else(|| {
        ApiError::Internal(anyhow::anyhow!("wechat identity vanished after a conflict"))
    })
}

/// The account bound to `who`, whose unionid is refreshed on the way.
async fn bound_user(
    db: &crate::stores::db::Db,
    appid: &str,
    who: &WxIdentity,
) -> ApiResult<Option<i64>> {
    let stmt = db
        .prepare_cached(
            "UPDATE wechat_identities SET unionid = COALESCE($3, unionid), updated_at = now() \
             WHERE appid = $1 AND openid = $2 RETURNING user_id",
        )
        .await?;
    let row = db
        .query_opt(&stmt, &[&appid, &who.openid, &who.unionid])
        .await?;
    Ok(row.map(|r| r.get(0)))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(crate) struct BindParams {
    /// 手机号
    pub(crate) mobile: Text,
    /// 短信验证码（sms.send，key = USER_BIND_MOBILE_CODE）
    #[serde(default)]
    pub(crate) verify_code: Option<Text>,
    /// verify_code 的别名；与 verify_code 同时传且不同时 503
    #[serde(default)]
    pub(crate) code: Option<Text>,
}

#[derive(Serialize)]
struct BindData {
    /// The caller's token, or a new one for the account merged onto.
    token: String,
    #[serde(rename = "userInfo")]
    user_info: UserInfo,
}

pub(crate) async fn mobile_bind(ctx: Ctx, p: BindParams) -> ApiResult<Reply> {
    let user = ctx.user()?;
    let mobile = Mobile::parse(&p.mobile)?;
    let given = aliased("verify_code", p.verify_code, "code", p.code)?
        .ok_or_else(|| ApiError::business("缺少参数 verify_code"))?;
    let code = SmsCode::parse(&given)?;
    check_code(&ctx, &mobile, &code, false).await?;
    let target = bind(&ctx, user.id, &mobile, &code).await?;
    // The next request must see the mobile (or the retirement) at once,
    // not when the trigger's notification arrives (docs/protocol.md §8.8).
    profile::forget(&ctx.state.stores, user.id).await?;
    let account = find_by_id(&ctx, target).await?;
    let token = if target == user.id {
        user.token.clone()
    } else {
        session::end(&ctx.state.stores, &user.token).await?;
        issue_session(&ctx, &account).await?
    };
    let p = account.profile;
    let user_info = UserInfo {
        name: p.nickname,
        mobile: p.mobile,
    };
    Reply::data("绑定成功", &BindData { token, user_info })
}

async fn check_code(ctx: &Ctx, mobile: &Mobile, code: &SmsCode, consume: bool) -> ApiResult<()> {
    ctx.sms()
        .check(mobile.as_str(), SmsKey::BindMobile, code.as_str(), consume)
        .await?
        .map_err(|e| e.into_api(code::SMS_CODE_WRONG))
}

/// Bind `mobile` to `user_id` in one transaction, or merge `user_id` onto
/// the mobile's account; the SMS code is used up just before the commit.
/// Binds of one mobile are serialized by an advisory lock, and the
/// caller's row is locked, so of two racing binds one wins and the other
/// finds the account already bound or retired. The account the caller now
/// is.
async fn bind(ctx: &Ctx, user_id: i64, mobile: &Mobile, code: &SmsCode) -> ApiResult<i64> {
    let mut db = ctx.stores().pg().await?;
    let tx = db.transaction().await?;
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtext('bind:' || $1))",
        &[&mobile.as_str()],
    )
    .await?;
    let me = tx
        .query_one(
            "SELECT status, mobile FROM users WHERE id = $1 FOR UPDATE",
            &[&user_id],
        )
        .await?;
    session::ensure_active(me.get(0))?;
    if me.get::<_, Option<String>>(1).is_some() {
        return Err(ApiError::business("当前账号已绑定手机号"));
    }
    let owner = tx
        .query_opt(
            "SELECT id, status FROM users WHERE mobile = $1 FOR UPDATE",
            &[&mobile.as_str()],
        )
        .await?;
    let target = match owner {
        None => {
            tx.execute(
                "UPDATE users SET mobile = $2, nickname = $3, updated_at = now() WHERE id = $1",
                &[&user_id, &mobile.as_str(), &mobile.masked()],
            )
            .await
            .map_err(taken_meanwhile)?;
            user_id
        }
        Some(row) => {
            let target: i64 = row.get(0);
            session::ensure_active(row.get(1))?;
            merge(&tx, user_id, target).await?;
            target
        }
    };
    check_code(ctx, mobile, code, true).await?;
    tx.commit().await?;
    Ok(target)
}

/// user.register does not take the bind lock: a registration of the
/// mobile committed since the look-up breaks UNIQUE (mobile). The client
/// retries and merges.
fn taken_meanwhile(e: crate::stores::db::DbError) -> ApiError {
    if e.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) {
        ApiError::business("该手机号刚刚完成注册，请重试")
    } else {
        e.into()
    }
}

/// Re-point the WeChat identities and roles of placeholder `from` to
/// `onto`, and retire `from` (status 3, `merged_into`).
pub(crate) async fn merge(tx: &crate::stores::db::Tx<'_>, from: i64, onto: i64) -> ApiResult<()> {
    tx.execute(
        "UPDATE wechat_identities SET user_id = $2, updated_at = now() WHERE user_id = $1",
        &[&from, &onto],
    )
    .await?;
    tx.execute(
        "INSERT INTO user_roles (user_id, product, role, granted_at) \
         SELECT $2, product, role, granted_at FROM user_roles WHERE user_id = $1 \
         ON CONFLICT DO NOTHING",
        &[&from, &onto],
    )
    .await?;
    tx.execute("DELETE FROM user_roles WHERE user_id = $1", &[&from])
        .await?;
    tx.execute(
        "UPDATE users SET status = $3, merged_into = $2, updated_at = now() WHERE id = $1",
        &[&from, &onto, &status::CANCELLED],
    )
    .await?;
    Ok(())
}
