//! The account row and the queries the user methods share.

use serde::Serialize;

use crate::domain::{Mobile, Password};
use crate::gate::profile::{Profile, profile_columns};
use crate::gate::session;
use crate::handler::{ApiError, ApiResult, Ctx, code};
use crate::shared::push;
use crate::stores::opt_row;

/// The account row: its id, password hash and the profile kept with the
/// sessions.
pub(crate) struct Account {
    pub id: i64,
    /// `None` for an account without a password (WeChat-only, SMS-only):
    /// a password check against it fails without running argon2
    /// (docs/protocol.md §8.9).
    pub password_hash: Option<String>,
    pub profile: Profile,
}

/// `id, password_hash`, then the profile's columns, as a literal for
/// statements built at compile time.
macro_rules! account_columns_literal {
    () => {
        concat!("id, password_hash, ", profile_columns!())
    };
}

/// `id, password_hash`, then the profile's columns.
pub(crate) const ACCOUNT_COLUMNS: &str = account_columns_literal!();

/// The account of a mobile (unique) and of an id.
const BY_MOBILE: &str = concat!(
    "SELECT ",
    account_columns_literal!(),
    " FROM users WHERE mobile = $1"
);
const BY_ID: &str = concat!(
    "SELECT ",
    account_columns_literal!(),
    " FROM users WHERE id = $1"
);

pub(crate) fn account(row: &tokio_postgres::Row) -> Account {
    Account {
        id: row.get(0),
        password_hash: row.get(1),
        profile: Profile::from_row(row, 2),
    }
}

pub(crate) async fn find_by_mobile(ctx: &Ctx, mobile: &Mobile) -> ApiResult<Option<Account>> {
    let rows = ctx.stores().pg_rows(BY_MOBILE, &[&mobile.as_str()]).await?;
    Ok(opt_row(rows)?.map(|r| account(&r)))
}

pub(crate) async fn find_by_id(ctx: &Ctx, id: i64) -> ApiResult<Account> {
    let rows = ctx.stores().pg_rows(BY_ID, &[&id]).await?;
    opt_row(rows)?
        .map(|r| account(&r))
        .ok_or_else(|| ApiError::new(code::SESSION_EXPIRED, "登录超时，请重新登录"))
}

/// The account refusals methods declare for the catalogue
/// (`Method::refuses`), with the messages they answer.
pub(crate) const REFUSED_REGISTERED: (u32, &str) = (code::ALREADY_REGISTERED, "账号已注册");
/// See [`REFUSED_REGISTERED`].
pub(crate) const REFUSED_UNREGISTERED: (u32, &str) = (code::NOT_REGISTERED, "账号未注册");
/// See [`REFUSED_REGISTERED`]; the time is the lock's end.
pub(crate) const REFUSED_LOCKED: (u32, &str) = (
    code::LOGIN_LOCKED,
    "密码或验证码错误次数过多，登录已被限制，请于 <Y-m-d H:i:s> 后再试",
);
/// See [`REFUSED_REGISTERED`].
pub(crate) const REFUSED_SMS_CODE: (u32, &str) = (code::SMS_CODE_WRONG, "短信验证码不正确");

pub(crate) fn not_registered() -> ApiError {
    ApiError::new(code::NOT_REGISTERED, "账号未注册")
}

pub(crate) fn already_registered() -> ApiError {
    ApiError::new(code::ALREADY_REGISTERED, "账号已注册")
}

/// What user.login and user.register answer (seed order).
#[derive(Serialize)]
pub(crate) struct LoginData {
    token: String,
    open_id: String,
    mobile: String,
    headimg: String,
    nickname: String,
    intro: String,
    reg_time: String,
}

impl LoginData {
    pub(crate) fn new(ctx: &Ctx, token: String, a: Account) -> Self {
        let p = a.profile;
        Self {
            token,
            reg_time: ctx.time_string(p.created_at),
            open_id: p.open_id,
            mobile: p.mobile,
            headimg: p.headimg,
            nickname: p.nickname,
            intro: p.intro,
        }
    }
}

/// Hash a password on the bounded workers (503 when they are busy).
pub(crate) async fn hash_password(ctx: &Ctx, password: Password) -> ApiResult<String> {
    ctx.state
        .password_work
        .hash(&ctx.config.settings.guards, password.into_inner())
        .await
}

/// Issue a session for `account` in the caller's class (docs/protocol.md
/// §8.2), keeping its profile with it (§8.8), and remember the device's
/// push token (§8.12).
pub(crate) async fn issue_session(ctx: &Ctx, account: &Account) -> ApiResult<String> {
    let platform = ctx.platform()?;
    let token = session::issue(
        &ctx.state.stores,
        &ctx.config.settings.session,
        (account.id, &account.profile),
        ctx.session_class()?,
        platform,
    )
    .await?;
    let c = &ctx.caller;
    push::remember(
        &ctx.state.stores,
        account.id,
        (&c.appid, platform.number()),
        &c.device_token,
    )
    .await?;
    Ok(token)
}

/// Store a new password hash (the sessions are the caller's business).
pub(crate) async fn set_password(ctx: &Ctx, user_id: i64, new: Password) -> ApiResult<()> {
    let hash = hash_password(ctx, new).await?;
    let db = ctx.stores().pg().await?;
    let stmt = db
        .prepare_cached("UPDATE users SET password_hash = $2, pwd_changed_at = now(), updated_at = now() WHERE id = $1")
        .await?;
    db.execute(&stmt, &[&user_id, &hash]).await?;
    Ok(())
}
