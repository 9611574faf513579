//! consult.user.* and consult.consultant.* accounts (seed 001 §1.1, §2.1):
//! sign in by mobile and SMS code, register a user name and password, log
//! in by user name or mobile and password. A consultant is the same user
//! with the role consult.consultant (docs/protocol.md §20.1).

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use crate::domain::{Mobile, Password, SmsCode, SmsKey};
use crate::gate::session;
use crate::handler::guess;
use crate::handler::{ApiError, ApiResult, Ctx, Int, Reply, Text, code};
use crate::shared::accounts::{self, ACCOUNT_COLUMNS, Account, NewAccount};
use crate::stores::opt_row;

/// The consultant role of consulting (docs/protocol.md §8.11).
pub const CONSULTANT: (&str, &str) = ("consult", "consultant");

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct SigninParams {
    /// 手机号码
    phone_number: Text,
    /// 短信验证码（sms.send，key = CONSULT_SIGNIN_CODE）
    verification_code: Text,
}

/// consult.user.signin: the mobile's account (created on first sign-in,
/// without a password) gets a session.
pub(super) async fn user_signin(ctx: Ctx, p: SigninParams) -> ApiResult<Reply> {
    let account = signin(&ctx, &p, false).await?;
    logged_in(&ctx, &account).await
}

/// consult.consultant.signin: as the user's, and the account becomes a
/// consultant.
pub(super) async fn consultant_signin(ctx: Ctx, p: SigninParams) -> ApiResult<Reply> {
    let account = signin(&ctx, &p, true).await?;
    logged_in(&ctx, &account).await
}

/// Create the account when the mobile has none, and use up the code, in
/// one transaction: a wrong or used code leaves nothing written.
async fn signin(ctx: &Ctx, p: &SigninParams, consultant: bool) -> ApiResult<Account> {
    let mobile = Mobile::parse(&p.phone_number)?;
    let code = SmsCode::parse(&p.verification_code)?;
    let mut db = ctx.stores().pg().await?;
    let tx = db.transaction().await?;
    let nickname = mobile.masked();
    let new = NewAccount {
        mobile: Some(&mobile),
        nickname: &nickname,
        password_hash: None,
    };
    let account = match accounts::create(&tx, new, &ctx.arrival()?).await? {
        Some(created) => created,
        None => {
            let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM users WHERE mobile = $1");
            Account::of(&tx.query_one(&sql, &[&mobile.as_str()]).await?)
        }
    };
    session::ensure_active(account.profile.status)?;
    if consultant {
        tx.execute(
            "INSERT INTO user_roles (user_id, product, role) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            &[&account.id, &CONSULTANT.0, &CONSULTANT.1],
        )
        .await?;
    }
    ctx.sms()
        .check(mobile.as_str(), SmsKey::ConsultSignin, code.as_str(), true)
        .await?
        .map_err(|e| e.into_api(code::SMS_CODE_WRONG))?;
    tx.commit().await?;
    Ok(account)
}

async fn logged_in(ctx: &Ctx, account: &Account) -> ApiResult<Reply> {
    let token = ctx
        .accounts()
        .issue_session(account, &ctx.arrival()?)
        .await?;
    Reply::data(
        "登录成功",
        &json!({"content": [account.id], "token": token}),
    )
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct RegisterParams {
    /// 1 代表男；0 代表女（可不传）
    #[serde(default)]
    gender: Option<Int>,
    /// 真实姓名，至多 32 字（可不传）
    #[serde(default)]
    realname: Text,
    /// 用户名：2-32 位字母、数字、下划线，不能全是数字
    username: Text,
    /// 登录密码：6-20 位数字、字母、下划线、破折号
    password: Text,
    /// 确认密码
    password_again: Text,
    /// 邮箱（可不传）
    #[serde(default)]
    email: Text,
}

/// consult.user.register and consult.consultant.register: the signed-in
/// account's user name, details and password, once.
pub(super) async fn register(ctx: Ctx, p: RegisterParams) -> ApiResult<Reply> {
    let user = ctx.user()?.id;
    let username = username(&p.username)?;
    if p.password.as_str() != p.password_again.as_str() {
        return Err(ApiError::business("两次输入的密码不一致"));
    }
    let password = Password::parse(&p.password, "密码")?;
    let gender = match p.gender.map(|g| g.0) {
        None => None,
        Some(g @ (0 | 1)) => Some(g as i16),
        Some(_) => return Err(ApiError::business("参数 gender 不正确（1 男，0 女）")),
    };
    let realname = p.realname.as_str().trim();
    let email = p.email.as_str().trim();
    if realname.chars().count() > 32 {
        return Err(ApiError::business("真实姓名不能超过 32 字"));
    }
    let email_ok = email.len() <= 100 && email.contains('@') && !email.contains(' ');
    if !email.is_empty() && !email_ok {
        return Err(ApiError::business("邮箱格式不正确"));
    }
    let accounts = ctx.accounts();
    let hash = accounts.hash(password).await?;
    let mut db = ctx.stores().pg().await?;
    let tx = db.transaction().await?;
    let n = tx
        .execute(
            "INSERT INTO consult_profiles (user_id, username, realname, gender, email) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            &[&user, &username, &realname, &gender, &email],
        )
        .await?;
    if n == 0 {
        let taken = tx
            .query_opt(
                "SELECT 1 FROM consult_profiles WHERE user_id = $1",
                &[&user],
            )
            .await?
            .is_none();
        return Err(ApiError::business(if taken {
            "用户名已被占用"
        } else {
            "该账号已注册"
        }));
    }
    accounts.set_password(&tx, user, &hash).await?;
    tx.commit().await?;
    Reply::data("注册成功", &json!({"content": [user]}))
}

/// 2-32 of `[A-Za-z0-9_]`, not all digits (a login name of digits is a
/// mobile).
fn username(text: &Text) -> ApiResult<String> {
    let name = text.as_str().trim();
    let ok = (2..=32).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !name.bytes().all(|b| b.is_ascii_digit());
    if ok {
        Ok(name.to_string())
    } else {
        Err(ApiError::business(
            "用户名为 2-32 位字母、数字、下划线，不能全是数字",
        ))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct LoginParams {
    /// 用户名或手机号
    username: Text,
    /// 登录密码
    password: Text,
}

const WRONG: &str = "用户名或密码不正确";

/// consult.user.login.
pub(super) async fn user_login(ctx: Ctx, p: LoginParams) -> ApiResult<Reply> {
    let account = login(&ctx, p).await?;
    logged_in(&ctx, &account).await
}

/// consult.consultant.login: only an account with the consultant role.
pub(super) async fn consultant_login(ctx: Ctx, p: LoginParams) -> ApiResult<Reply> {
    let account = login(&ctx, p).await?;
    if !crate::shared::roles::has(ctx.stores(), account.id, CONSULTANT).await? {
        return Err(ApiError::business("该账号不是顾问，请先以顾问身份注册"));
    }
    logged_in(&ctx, &account).await
}

/// The account by user name or mobile, its password checked as a guarded
/// guess on its mobile (docs/protocol.md §8.6).
async fn login(ctx: &Ctx, p: LoginParams) -> ApiResult<Account> {
    let name = p.username.as_str().trim();
    let sql = format!(
        "SELECT {} FROM users WHERE mobile = $1 OR id = \
         (SELECT user_id FROM consult_profiles WHERE username = $1)",
        ACCOUNT_COLUMNS
    );
    // One read, no transaction: a shared connection (docs/protocol.md §24.3).
    let row = opt_row(ctx.stores().pg_rows(&sql, &[&name]).await?)?;
    let account = row
        .map(|r| Account::of(&r))
        .ok_or_else(|| ApiError::business(WRONG))?;
    session::ensure_active(account.profile.status)?;
    let mobile = Mobile::parse(&Text(account.profile.mobile.clone()))
        .map_err(|_| ApiError::business(WRONG))?;
    let hash = account.password_hash.clone();
    let wrong = ApiError::business(WRONG);
    guess::password(ctx, &mobile, p.password.0, hash, wrong).await?;
    Ok(account)
}
