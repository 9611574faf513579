//! user.*: register, login, logout, detail, password edit and recovery
//! (seed 003 §2.5–2.7, 2.10–2.12; DESIGN §4).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::context::Ctx;
use crate::error::{ApiError, ApiResult, code};
use crate::protocol::Reply;
use crate::protocol::types::{Int, Text};
use crate::registry::{Method, Registry};
use crate::session::{self, SessionUser};
use crate::sms::{self, SmsKey};

/// Register the user namespace.
pub fn register(r: &mut Registry) {
    r.add(
        Method::new("user.login", "1.0.0")
            .req_token(false)
            .summary("登录：login_type 1 短信验证码登录，2 密码登录（密码放在 code，或 password）。同类设备（APP / 非 APP）的旧会话被挤下线（603）。连续 5 次密码或验证码错误锁定 24 小时（607）。"),
        login,
    );
    r.add(
        Method::new("user.register", "1.0.0")
            .write()
            .req_token(false)
            .summary("注册：手机号、密码、短信验证码（USER_REGISTER_CODE）。已注册返回 604（先于验证码校验）。成功即登录并返回 token。"),
        register_user,
    );
    r.add(
        Method::new("user.logout", "1.0.0")
            .user()
            .req_token(false)
            .summary("退出登录：令牌随即失效（之后 601）。"),
        logout,
    );
    r.add(
        Method::new("user.detail", "1.0.0")
            .user()
            .summary("当前用户详情。"),
        detail,
    );
    r.add(
        Method::new("user.pwd.edit", "1.0.0")
            .user()
            .write()
            .req_token(false)
            .summary("修改密码：旧密码 + 新密码。当前会话保持有效，其它会话返回 606。"),
        pwd_edit,
    );
    r.add(
        Method::new("user.pwd.find", "1.0.0")
            .write()
            .req_token(false)
            .summary("找回密码：手机号、短信验证码（USER_PWD_FIND_CODE）、新密码。所有会话返回 606，登录锁定解除。"),
        pwd_find,
    );
}

/// Whether `text` is a mainland mobile number (`^1[3-9]\d{9}$`).
pub fn is_mobile(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 11
        && b[0] == b'1'
        && (b'3'..=b'9').contains(&b[1])
        && b.iter().all(u8::is_ascii_digit)
}

/// A validated mobile number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mobile(String);

impl Mobile {
    /// # Errors
    /// 503 when `text` is not a mobile number.
    pub fn parse(text: &Text) -> ApiResult<Self> {
        let t = text.as_str().trim();
        if is_mobile(t) {
            Ok(Self(t.to_string()))
        } else {
            Err(ApiError::business("手机号格式不正确"))
        }
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The nickname a new account gets: 185****2692.
    pub fn masked(&self) -> String {
        sms::mask(&self.0)
    }
}

/// A password a user may choose: 6–20 letters, digits, `_` or `-`.
pub struct Password(String);

impl Password {
    /// # Errors
    /// 503 naming the rule.
    pub fn parse(text: &Text, name: &str) -> ApiResult<Self> {
        let t = text.as_str();
        let ok = (6..=20).contains(&t.len())
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if ok {
            Ok(Self(t.to_string()))
        } else {
            Err(ApiError::business(format!(
                "{name}须为 6-20 位数字、字母、下划线或破折号"
            )))
        }
    }
}

/// A six-digit SMS code as typed by the user.
pub struct SmsCode(String);

impl SmsCode {
    /// # Errors
    /// 700 when it is not six digits (it cannot be right).
    pub fn parse(text: &Text) -> ApiResult<Self> {
        let t = text.as_str().trim();
        if t.len() == 6 && t.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(t.to_string()))
        } else {
            Err(ApiError::new(code::SMS_CODE_WRONG, "短信验证码不正确"))
        }
    }
}

/// The account row.
struct Account {
    id: i64,
    open_id: String,
    mobile: String,
    nickname: String,
    headimg: String,
    intro: String,
    password_hash: String,
    status: i16,
    created_at: i64,
}

const ACCOUNT_COLUMNS: &str = "id, open_id, mobile, nickname, headimg, intro, password_hash, status, \
     extract(epoch FROM created_at)::bigint";

fn account(row: &tokio_postgres::Row) -> Account {
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

async fn find_by_mobile(ctx: &Ctx, mobile: &Mobile) -> ApiResult<Option<Account>> {
    let db = ctx.state.stores.pg().await?;
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

async fn find_by_id(ctx: &Ctx, id: i64) -> ApiResult<Account> {
    let db = ctx.state.stores.pg().await?;
    let stmt = db
        .prepare_cached(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM users WHERE id = $1"
        ))
        .await?;
    let row = db.query_opt(&stmt, &[&id]).await?;
    row.map(|r| account(&r))
        .ok_or_else(|| ApiError::new(code::SESSION_EXPIRED, "登录超时，请重新登录"))
}

fn not_registered() -> ApiError {
    ApiError::new(code::NOT_REGISTERED, "账号未注册")
}

fn already_registered() -> ApiError {
    ApiError::new(code::ALREADY_REGISTERED, "账号已注册")
}

/// What user.login and user.register answer (seed order).
#[derive(Serialize)]
struct LoginData {
    token: String,
    open_id: String,
    mobile: String,
    headimg: String,
    nickname: String,
    intro: String,
    reg_time: String,
}

impl LoginData {
    fn new(ctx: &Ctx, token: String, a: Account) -> Self {
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

/// The caller's platform (always present past the fixed-parameter step).
fn platform(ctx: &Ctx) -> ApiResult<crate::protocol::types::Platform> {
    ctx.caller
        .platform
        .ok_or_else(|| ApiError::business("缺少参数 platform"))
}

// ---------------------------------------------------------------- login

fn lock_keys(ctx: &Ctx, mobile: &Mobile) -> (String, String) {
    let s = &ctx.state.stores;
    (
        s.key(format!("loginfail:{}", mobile.as_str())),
        s.key(format!("loginlock:{}", mobile.as_str())),
    )
}

fn locked_until(ctx: &Ctx, until: i64) -> ApiError {
    ApiError::new(
        code::LOGIN_LOCKED,
        format!(
            "密码或验证码错误次数过多，登录已被限制，请于 {} 后再试",
            ctx.time_string(until)
        ),
    )
}

async fn ensure_not_locked(ctx: &Ctx, mobile: &Mobile) -> ApiResult<()> {
    let (_, lock) = lock_keys(ctx, mobile);
    let mut c = ctx.state.stores.redis().await?;
    let until: Option<i64> = redis::cmd("GET").arg(lock).query_async(&mut c).await?;
    match until {
        Some(t) => Err(locked_until(ctx, t)),
        None => Ok(()),
    }
}

/// Count a wrong password or code; the refusal to give (607 once locked).
async fn login_failed(ctx: &Ctx, mobile: &Mobile, refusal: ApiError) -> ApiError {
    let g = &ctx.config.settings.guards;
    let until = ctx.now() + g.login_lock_secs as i64;
    let (counter, lock) = lock_keys(ctx, mobile);
    let strikes = crate::guards::Strikes {
        counter,
        lock,
        window_secs: g.login_lock_secs,
        max: g.login_max_failures,
        lock_secs: g.login_lock_secs,
        until,
        state: &ctx.state,
    };
    match strikes.strike().await {
        Ok(true) => locked_until(ctx, until),
        Ok(false) => refusal,
        Err(e) => e,
    }
}

async fn clear_login_failures(ctx: &Ctx, mobile: &Mobile) -> ApiResult<()> {
    let (fails, lock) = lock_keys(ctx, mobile);
    let mut c = ctx.state.stores.redis().await?;
    redis::cmd("DEL")
        .arg(fails)
        .arg(lock)
        .query_async::<()>(&mut c)
        .await?;
    Ok(())
}

#[derive(Debug, Deserialize, JsonSchema)]
struct LoginParams {
    /// 手机号
    mobile: Text,
    /// 登录类型：1 验证码登录、2 密码登录
    login_type: Int,
    /// 短信验证码（login_type 1）；login_type 2 时为密码
    #[serde(default)]
    code: Option<Text>,
    /// 密码（login_type 2，也可放在 code）
    #[serde(default)]
    password: Option<Text>,
}

async fn login(ctx: Ctx, p: LoginParams) -> ApiResult<Reply> {
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
    ensure_not_locked(&ctx, &mobile).await?;
    let account = find_by_mobile(&ctx, &mobile)
        .await?
        .ok_or_else(not_registered)?;
    session::ensure_active(account.status)?;
    if by_code {
        let code = SmsCode::parse(
            p.code
                .as_ref()
                .ok_or_else(|| ApiError::business("缺少参数 code"))?,
        )?;
        if let Err(e) = sms::check(&ctx, mobile.as_str(), SmsKey::Login, &code.0, true).await? {
            return Err(login_failed(&ctx, &mobile, e.into_api(code::SMS_CODE_WRONG)).await);
        }
    } else {
        let given = p
            .password
            .filter(|t| !t.as_str().is_empty())
            .or(p.code)
            .ok_or_else(|| ApiError::business("缺少参数 password"))?;
        let ok = crate::password::verify(given.0, account.password_hash.clone()).await?;
        if !ok {
            return Err(login_failed(&ctx, &mobile, ApiError::business("账号或密码不正确")).await);
        }
    }
    clear_login_failures(&ctx, &mobile).await?;
    let token = session::issue(
        &ctx.state.stores,
        &ctx.config.settings.session,
        account.id,
        platform(&ctx)?,
    )
    .await?;
    Reply::data("登录成功", &LoginData::new(&ctx, token, account))
}

// ------------------------------------------------------------- register

#[derive(Debug, Deserialize, JsonSchema)]
struct RegisterParams {
    /// 手机号
    mobile: Text,
    /// 密码：6-20 位数字、字母、下划线、破折号
    password: Text,
    /// 短信验证码（sms.send，key = USER_REGISTER_CODE）
    code: Text,
}

async fn register_user(ctx: Ctx, p: RegisterParams) -> ApiResult<Reply> {
    let mobile = Mobile::parse(&p.mobile)?;
    let password = Password::parse(&p.password, "密码")?;
    if find_by_mobile(&ctx, &mobile).await?.is_some() {
        return Err(already_registered());
    }
    let code = SmsCode::parse(&p.code)?;
    sms::check(&ctx, mobile.as_str(), SmsKey::Register, &code.0, false)
        .await?
        .map_err(|e| e.into_api(code::SMS_CODE_WRONG))?;
    let hash = crate::password::hash(password.0).await?;
    let account = create_account(&ctx, &mobile, &hash, &code).await?;
    let token = session::issue(
        &ctx.state.stores,
        &ctx.config.settings.session,
        account.id,
        platform(&ctx)?,
    )
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
    let mut db = ctx.state.stores.pg().await?;
    let tx = db.transaction().await?;
    let open_id = session::new_token();
    let c = &ctx.caller;
    let platform = platform(ctx)?.number();
    let inserted = tx
        .query_opt(
            &format!(
                "INSERT INTO users (open_id, mobile, nickname, password_hash, reg_platform, reg_channel, reg_app_v) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (mobile) DO NOTHING RETURNING {ACCOUNT_COLUMNS}"
            ),
            &[&open_id, &mobile.as_str(), &mobile.masked(), &hash, &platform, &c.channel, &c.app_v],
        )
        .await?;
    let account = inserted
        .map(|r| account(&r))
        .ok_or_else(already_registered)?;
    sms::check(ctx, mobile.as_str(), SmsKey::Register, &code.0, true)
        .await?
        .map_err(|e| e.into_api(code::SMS_CODE_WRONG))?;
    tx.commit().await?;
    Ok(account)
}

// ------------------------------------------------------ logout, detail

#[derive(Debug, Deserialize, JsonSchema)]
struct TokenOnly {}

async fn logout(ctx: Ctx, _: TokenOnly) -> ApiResult<Reply> {
    let user = ctx.user()?;
    session::end(&ctx.state.stores, &user.token).await?;
    Ok(Reply::empty("退出成功"))
}

#[derive(Serialize)]
struct Detail<'a> {
    mobile: &'a str,
    open_id: &'a str,
    nickname: &'a str,
    headimg: &'a str,
    intro: &'a str,
    c_time: String,
}

async fn detail(ctx: Ctx, _: TokenOnly) -> ApiResult<Reply> {
    let u: &SessionUser = ctx.user()?;
    Reply::data(
        "信息获取成功",
        &Detail {
            mobile: &u.mobile,
            open_id: &u.open_id,
            nickname: &u.nickname,
            headimg: &u.headimg,
            intro: &u.intro,
            c_time: ctx.time_string(u.created_at),
        },
    )
}

// ------------------------------------------------------------ passwords

#[derive(Debug, Deserialize, JsonSchema)]
struct PwdEditParams {
    /// 旧密码
    old_pwd: Text,
    /// 新密码：6-20 位数字、字母、下划线、破折号
    new_pwd: Text,
}

async fn pwd_edit(ctx: Ctx, p: PwdEditParams) -> ApiResult<Reply> {
    let user = ctx.user()?;
    let new = Password::parse(&p.new_pwd, "新密码")?;
    let account = find_by_id(&ctx, user.id).await?;
    if !crate::password::verify(p.old_pwd.0, account.password_hash).await? {
        return Err(ApiError::business("旧密码不正确"));
    }
    set_password(&ctx, user.id, new).await?;
    session::password_changed(&ctx.state.stores, user.id, Some(&user.token)).await?;
    Ok(Reply::empty("密码修改成功"))
}

#[derive(Debug, Deserialize, JsonSchema)]
struct PwdFindParams {
    /// 手机号
    mobile: Text,
    /// 短信验证码（key = USER_PWD_FIND_CODE）
    code: Text,
    /// 新密码：6-20 位数字、字母、下划线、破折号
    password: Text,
}

async fn pwd_find(ctx: Ctx, p: PwdFindParams) -> ApiResult<Reply> {
    let mobile = Mobile::parse(&p.mobile)?;
    let new = Password::parse(&p.password, "新密码")?;
    let account = find_by_mobile(&ctx, &mobile)
        .await?
        .ok_or_else(not_registered)?;
    session::ensure_active(account.status)?;
    let code = SmsCode::parse(&p.code)?;
    sms::check(&ctx, mobile.as_str(), SmsKey::PwdFind, &code.0, true)
        .await?
        .map_err(|e| e.into_api(code::SMS_CODE_WRONG))?;
    set_password(&ctx, account.id, new).await?;
    session::password_changed(&ctx.state.stores, account.id, None).await?;
    clear_login_failures(&ctx, &mobile).await?;
    Ok(Reply::empty("密码找回成功"))
}

async fn set_password(ctx: &Ctx, user_id: i64, new: Password) -> ApiResult<()> {
    let hash = crate::password::hash(new.0).await?;
    let db = ctx.state.stores.pg().await?;
    let stmt = db
        .prepare_cached("UPDATE users SET password_hash = $2, pwd_changed_at = now(), updated_at = now() WHERE id = $1")
        .await?;
    db.execute(&stmt, &[&user_id, &hash]).await?;
    Ok(())
}

/// Whether a mobile has an account (sms.send uses it to refuse pointless codes).
///
/// # Errors
/// PostgreSQL failures.
pub async fn is_registered(ctx: &Ctx, mobile: &Mobile) -> ApiResult<bool> {
    Ok(find_by_mobile(ctx, mobile).await?.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Text {
        Text(s.to_string())
    }

    #[test]
    fn mobiles_are_eleven_digits_starting_13_to_19() {
        for ok in ["13800138000", "19912345678", " 18575202691 "] {
            assert!(Mobile::parse(&t(ok)).is_ok(), "{ok}");
        }
        for bad in [
            "12800138000",
            "1380013800",
            "138001380001",
            "1380013800a",
            "",
            "+8613800138000",
        ] {
            let e = Mobile::parse(&t(bad)).unwrap_err();
            assert_eq!(
                (e.code(), e.public_msg()),
                (503, "手机号格式不正确"),
                "{bad}"
            );
        }
        assert_eq!(
            Mobile::parse(&t("18575202692")).unwrap().masked(),
            "185****2692"
        );
    }

    #[test]
    fn passwords_are_six_to_twenty_of_the_allowed_characters() {
        for ok in ["abc123", "A_b-C_d-E_f-G_h-I_j-", "123456"] {
            assert!(Password::parse(&t(ok), "密码").is_ok(), "{ok}");
        }
        for bad in [
            "12345",
            "a".repeat(21).as_str(),
            "pass word",
            "密码密码密码",
            "abc!23",
        ] {
            assert!(Password::parse(&t(bad), "密码").is_err(), "{bad}");
        }
    }

    #[test]
    fn sms_codes_are_six_digits() {
        assert!(SmsCode::parse(&t("012345")).is_ok());
        for bad in ["12345", "1234567", "12345a", ""] {
            assert_eq!(SmsCode::parse(&t(bad)).err().unwrap().code(), 700, "{bad}");
        }
    }
}
