//! Accounts (docs/protocol.md §8): the one writer of `users` and of
//! passwords. Find an account, create one, hash and check and set its
//! password, issue (and re-issue) its session, bind a mobile, merge a
//! placeholder account onto another, set its names. Every login of every
//! product goes through here; `tests/layers.rs` fails on SQL that writes
//! `users` anywhere else.

mod bind;
mod create;

pub use bind::{NotMerged, bind_mobile, merge, merge_onto};
pub use create::{NewAccount, create, wechat_account};

use crate::config::accounts::{GuardSettings, SessionSettings};
use crate::domain::{Mobile, Password, SmsCode, SmsKey};
use crate::gate::password::PasswordWork;
use crate::gate::profile::{self, Profile, profile_columns};
use crate::gate::session::{self, Class, SessionUser};
use crate::protocol::error::{ApiError, ApiResult, code};
use crate::protocol::types::Platform;
use crate::shared::push;
use crate::shared::sms::SmsCodes;
use crate::shared::wechat::WxIdentity;
use crate::stores::db::Tx;
use crate::stores::{Stores, opt_row};

/// The account row: its id, password hash and the profile kept with the
/// sessions.
#[derive(Debug)]
pub struct Account {
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
pub(crate) use account_columns_literal;

/// `id, password_hash`, then the profile's columns: what [`Account::of`]
/// reads, for a product's own look-up of an account (a read).
pub const ACCOUNT_COLUMNS: &str = account_columns_literal!();

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

impl Account {
    /// The account of a row that starts with [`ACCOUNT_COLUMNS`].
    pub fn of(row: &tokio_postgres::Row) -> Self {
        Self {
            id: row.get(0),
            password_hash: row.get(1),
            profile: Profile::from_row(row, 2),
        }
    }
}

/// Where a login or a registration comes from: the caller's fixed
/// parameters, recorded with a new account and with its session.
#[derive(Clone, Copy, Debug)]
pub struct Arrival<'a> {
    pub appid: &'a str,
    pub class: Class,
    /// The appid its session is kept to (`session_scope = "appid"`).
    pub scope: Option<&'a str>,
    pub platform: Platform,
    pub channel: &'a str,
    pub app_v: &'a str,
    pub device_token: &'a str,
}

/// The accounts under one request's config.
#[derive(Clone, Copy)]
pub struct Accounts<'a> {
    pub stores: &'a Stores,
    pub guards: &'a GuardSettings,
    pub sessions: &'a SessionSettings,
    pub password_work: &'a PasswordWork,
}

impl Accounts<'_> {
    /// The account of `mobile`, if any. One read on the shared connections
    /// (docs/protocol.md §24.3).
    ///
    /// # Errors
    /// Store failures (500).
    pub async fn find_by_mobile(&self, mobile: &Mobile) -> ApiResult<Option<Account>> {
        let rows = self.stores.pg_rows(BY_MOBILE, &[&mobile.as_str()]).await?;
        Ok(opt_row(rows)?.map(|r| Account::of(&r)))
    }

    /// The account of a session's user: 601 when it is gone.
    ///
    /// # Errors
    /// 601, or store failures (500).
    pub async fn find_by_id(&self, id: i64) -> ApiResult<Account> {
        let rows = self.stores.pg_rows(BY_ID, &[&id]).await?;
        opt_row(rows)?
            .map(|r| Account::of(&r))
            .ok_or_else(session::expired)
    }

    /// Hash a password on the bounded workers (503 when they are busy).
    ///
    /// # Errors
    /// 503 when the workers are busy, 500.
    pub async fn hash(&self, password: Password) -> ApiResult<String> {
        self.password_work
            .hash(self.guards, password.into_inner())
            .await
    }

    /// Whether `given` is the password of an account whose hash is
    /// `hash`; an account without a password has none to match.
    ///
    /// # Errors
    /// 503 when the workers are busy, 500.
    pub async fn verify(&self, given: String, hash: Option<String>) -> ApiResult<bool> {
        match hash {
            Some(hash) => self.password_work.verify(self.guards, given, hash).await,
            None => Ok(false),
        }
    }

    /// Store a new password hash, stamped with the time of the change, in
    /// the caller's transaction (ending the other sessions is the caller's:
    /// [`session::password_changed`] after the commit).
    ///
    /// # Errors
    /// Store failures (500).
    pub async fn set_password(&self, tx: &Tx<'_>, user_id: i64, hash: &str) -> ApiResult<()> {
        let stmt = tx
            .prepare_cached(
                "UPDATE users SET password_hash = $2, pwd_changed_at = now(), \
                 updated_at = now() WHERE id = $1",
            )
            .await?;
        tx.execute(&stmt, &[&user_id, &hash]).await?;
        Ok(())
    }

    /// Hash `new` and make it the password of `user_id`, in a transaction
    /// of its own.
    ///
    /// # Errors
    /// 503 when the workers are busy, store failures (500).
    pub async fn change_password(&self, user_id: i64, new: Password) -> ApiResult<()> {
        let hash = self.hash(new).await?;
        let mut db = self.stores.pg().await?;
        let tx = db.transaction().await?;
        self.set_password(&tx, user_id, &hash).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Issue a session for `account` in the arrival's class
    /// (docs/protocol.md §8.2), keeping its profile with it (§8.8), and
    /// remember the device's push token (§8.12).
    ///
    /// # Errors
    /// Redis or store failures (500).
    pub async fn issue_session(&self, account: &Account, at: &Arrival<'_>) -> ApiResult<String> {
        let token = session::issue(
            self.stores,
            self.sessions,
            (account.id, &account.profile),
            (at.class, at.scope),
            at.platform,
        )
        .await?;
        push::remember(
            self.stores,
            account.id,
            (at.appid, at.platform.number()),
            at.device_token,
        )
        .await?;
        Ok(token)
    }

    /// The token `me` goes on with after its account became `target`
    /// (a bind or a scene login that merged it): its own when nothing
    /// changed, else its session ends and `target` gets a new one.
    ///
    /// # Errors
    /// Redis or store failures (500).
    pub async fn reissue(
        &self,
        me: &SessionUser,
        target: &Account,
        at: &Arrival<'_>,
    ) -> ApiResult<String> {
        if target.id == me.id {
            return Ok(me.token.clone());
        }
        session::end(self.stores, &me.token).await?;
        self.issue_session(target, at).await
    }
}

/// Set `nickname` and `headimg` of `user`, inside the caller's transaction
/// (home.user.update). After its commit the caller drops the profile kept
/// with the sessions (`profile::forget`, docs/protocol.md §8.8), so every
/// session, its own next call included, reads it again; the `users`
/// trigger's notification drops it too, later.
///
/// # Errors
/// Store failures (500).
pub async fn set_names(tx: &Tx<'_>, user: i64, nickname: &str, headimg: &str) -> ApiResult<()> {
    tx.execute(
        "UPDATE users SET nickname = $2, headimg = $3, updated_at = now() WHERE id = $1",
        &[&user, &nickname, &headimg],
    )
    .await?;
    Ok(())
}

/// 604 for a mobile that has an account.
pub fn already_registered() -> ApiError {
    ApiError::new(code::ALREADY_REGISTERED, "账号已注册")
}

/// 605 for a mobile that has none.
pub fn not_registered() -> ApiError {
    ApiError::new(code::NOT_REGISTERED, "账号未注册")
}

impl Accounts<'_> {
    /// A mini-program's login as WeChat user `who` (docs/protocol.md
    /// §8.9): the identity's account, created on its first login, and a
    /// session for it.
    ///
    /// # Errors
    /// The account states of [`session::ensure_active`], store failures.
    pub async fn wechat_login(
        &self,
        who: &WxIdentity,
        at: &Arrival<'_>,
    ) -> ApiResult<(String, Account)> {
        let user_id = wechat_account(self.stores, at.appid, who, at).await?;
        let account = self.find_by_id(user_id).await?;
        session::ensure_active(account.profile.status)?;
        let token = self.issue_session(&account, at).await?;
        Ok((token, account))
    }

    /// Bind `mobile` to the caller's account, or merge it onto the
    /// mobile's (docs/protocol.md §8.10), with the SMS code checked first
    /// and used up at the commit: the token the caller goes on with, and
    /// the account it now is.
    ///
    /// # Errors
    /// 700 for a wrong code, the refusals of [`bind_mobile`], 500.
    pub async fn bind(
        &self,
        sms: &SmsCodes<'_>,
        me: &SessionUser,
        (mobile, code): (&Mobile, &SmsCode),
        at: &Arrival<'_>,
    ) -> ApiResult<(String, Account)> {
        sms.check(mobile.as_str(), SmsKey::BindMobile, code.as_str(), false)
            .await?
            .map_err(|e| e.into_api(code::SMS_CODE_WRONG))?;
        let target = bind_mobile(self.stores, sms, me.id, mobile, code).await?;
        self.moved(me, target, at).await
    }

    /// Merge the caller's WeChat-only account onto `target` (a scene
    /// login): the token it goes on with and the account it now is, or why
    /// nothing was merged.
    ///
    /// # Errors
    /// The account states of [`session::ensure_active`], 500.
    pub async fn join(
        &self,
        me: &SessionUser,
        target: i64,
        at: &Arrival<'_>,
    ) -> ApiResult<Result<(String, Account), NotMerged>> {
        if target == me.id {
            let account = self.find_by_id(target).await?;
            return Ok(Ok((me.token.clone(), account)));
        }
        if !me.profile.mobile.is_empty() {
            return Ok(Err(NotMerged::HasMobile));
        }
        if let Err(why) = merge_onto(self.stores, me.id, target).await? {
            return Ok(Err(why));
        }
        self.moved(me, target, at).await.map(Ok)
    }

    /// After `me` became `target`: the profile kept for `me` is dropped
    /// (the next request must see the change at once, not when the
    /// trigger's notification arrives, docs/protocol.md §8.8), and the
    /// session follows the account.
    async fn moved(
        &self,
        me: &SessionUser,
        target: i64,
        at: &Arrival<'_>,
    ) -> ApiResult<(String, Account)> {
        profile::forget(self.stores, me.id).await?;
        let account = self.find_by_id(target).await?;
        let token = self.reissue(me, &account, at).await?;
        Ok((token, account))
    }
}
