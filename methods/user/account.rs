//! The account row and the queries the user methods share.

use serde::Serialize;

use crate::config::apps::AppKind;
use crate::domain::{Mobile, Password};
use crate::handler::{ApiError, ApiResult, Ctx, code};
use crate::services::profile::Profile;
use crate::services::session::{self, Class};

/// The account row.
pub(super) struct Account {
    pub id: i64,
    pub open_id: String,
    pub mobile: String,
    pub nickname: String,
    pub headimg: String,
    pub intro: String,
    pub password_hash: String,
    pub status: i16,
    pub created_at: i64,
}

impl Account {
    /// The fields kept with the sessions.
    pub(super) fn profile(&self) -> Profile {
        Profile {
            open_id: self.open_id.clone(),
            mobile: self.mobile.clone(),
            nickname: self.nickname.clone(),
            headimg: self.headimg.clone(),
            intro: self.intro.clone(),
            created_at: self.created_at,
            status: self.status,
        }
    }
}

pub(super) const ACCOUNT_COLUMNS: &str = "id, open_id, mobile, nickname, headimg, intro, password_hash, status, \
     extract(epoch FROM created_at)::bigint";

pub(super) fn account(row: &tokio_postgres::Row) -> Account {
    Account {
        id: row.get(0),
        open_id: row.get::<_, String>(1).trim_end().to_string(),
        mobile: row.get(2),
        nickname: row.get(3),
        headimg: row.get(4),
        intro: row.get(5),
        password_hash: row.get(6),
        status: row.get(7),
        created_at: row.get(8),
    }
}

pub(super) async fn find_by_mobile(ctx: &Ctx, mobile: &Mobile) -> ApiResult<Option<Account>> {
    let db = ctx.stores().pg().await?;
    let stmt = db
        .prepare_cached(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM users WHERE mobile = $1"
        ))
        .await?;
    Ok(db
        .query_opt(&stmt, &[&mobile.as_str()])
        .await?
        .map(|r| account(&r)))
}

pub(super) async fn find_by_id(ctx: &Ctx, id: i64) -> ApiResult<Account> {
    let db = ctx.stores().pg().await?;
    let stmt = db
        .prepare_cached(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM users WHERE id = $1"
        ))
        .await?;
    let row = db.query_opt(&stmt, &[&id]).await?;
    row.map(|r| account(&r))
        .ok_or_else(|| ApiError::new(code::SESSION_EXPIRED, "登录超时，请重新登录"))
}

pub(super) fn not_registered() -> ApiError {
    ApiError::new(code::NOT_REGISTERED, "账号未注册")
}

pub(super) fn already_registered() -> ApiError {
    ApiError::new(code::ALREADY_REGISTERED, "账号已注册")
}

/// What user.login and user.register answer (seed order).
#[derive(Serialize)]
pub(super) struct LoginData {
    token: String,
    open_id: String,
    mobile: String,
    headimg: String,
    nickname: String,
    intro: String,
    reg_time: String,
}

impl LoginData {
    pub(super) fn new(ctx: &Ctx, token: String, a: Account) -> Self {
        Self {
            token,
            reg_time: ctx.time_string(a.created_at),
            open_id: a.open_id,
            mobile: a.mobile,
            headimg: a.headimg,
            nickname: a.nickname,
            intro: a.intro,
        }
    }
}

/// Hash a password on the bounded workers (503 when they are busy).
pub(super) async fn hash_password(ctx: &Ctx, password: Password) -> ApiResult<String> {
    ctx.state
        .password_work
        .hash(&ctx.config.settings.guards, password.into_inner())
        .await
}

/// Issue a session for `account` in the caller's class (docs/protocol.md
/// §8.2), keeping its profile with it (§8.8).
pub(super) async fn issue_session(ctx: &Ctx, account: &Account) -> ApiResult<String> {
    let platform = ctx.platform()?;
    let kind = ctx
        .config
        .apps
        .get(&ctx.caller.appid)
        .map_or(AppKind::App, |a| a.kind);
    session::issue(
        &ctx.state.stores,
        &ctx.config.settings.session,
        (account.id, &account.profile()),
        Class::of_caller(kind, platform),
        platform,
    )
    .await
}

/// Store a new password hash (the sessions are the caller's business).
pub(super) async fn set_password(ctx: &Ctx, user_id: i64, new: Password) -> ApiResult<()> {
    let hash = hash_password(ctx, new).await?;
    let db = ctx.stores().pg().await?;
    let stmt = db
        .prepare_cached("UPDATE users SET password_hash = $2, pwd_changed_at = now(), updated_at = now() WHERE id = $1")
        .await?;
    db.execute(&stmt, &[&user_id, &hash]).await?;
    Ok(())
}
