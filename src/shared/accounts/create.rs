//! New accounts: by mobile (a registration, a first SMS sign-in) or by a
//! WeChat identity (a mini-program's first login, docs/protocol.md §8.9).

use super::{Account, Arrival, account_columns_literal};
use crate::domain::Mobile;
use crate::gate::profile::profile_columns;
use crate::gate::session;
use crate::protocol::error::{ApiError, ApiResult};
use crate::shared::wechat::WxIdentity;
use crate::stores::Stores;
use crate::stores::db::{Db, Tx};

/// What a new account starts with.
#[derive(Clone, Copy, Debug)]
pub struct NewAccount<'a> {
    /// `None` for a WeChat-only account (bound to a mobile later).
    pub mobile: Option<&'a Mobile>,
    pub nickname: &'a str,
    /// `None` for an account that signs in by code or by WeChat.
    pub password_hash: Option<&'a str>,
}

const INSERT: &str = concat!(
    "INSERT INTO users (open_id, mobile, nickname, password_hash, reg_platform, reg_channel, reg_app_v) \
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (mobile) DO NOTHING RETURNING ",
    account_columns_literal!()
);

/// Insert the account inside the caller's transaction; `None` when its
/// mobile already has one (the caller's refusal or look-up, and its
/// rollback, follow).
///
/// # Errors
/// Store failures (500).
pub async fn create(
    tx: &Tx<'_>,
    new: NewAccount<'_>,
    at: &Arrival<'_>,
) -> ApiResult<Option<Account>> {
    let row = tx
        .query_opt(
            INSERT,
            &[
                &session::new_token(),
                &new.mobile.map(Mobile::as_str),
                &new.nickname,
                &new.password_hash,
                &at.platform.number(),
                &at.channel,
                &at.app_v,
            ],
        )
        .await?;
    Ok(row.map(|r| Account::of(&r)))
}

/// The account `who` logs into, created (password-less, mobile-less) on
/// the first login. Two first logins racing for one openid make one
/// account: the loser's insert is rolled back and it reads the winner's.
///
/// # Errors
/// Store failures (500).
pub async fn wechat_account(
    stores: &Stores,
    appid: &str,
    who: &WxIdentity,
    at: &Arrival<'_>,
) -> ApiResult<i64> {
    let mut db = stores.pg().await?;
    if let Some(id) = bound_user(&db, appid, who).await? {
        return Ok(id);
    }
    let tx = db.transaction().await?;
    let new = NewAccount {
        mobile: None,
        nickname: "微信用户",
        password_hash: None,
    };
    let user = create(&tx, new, at)
        .await?
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("an account without mobile conflicted")))?
        .id;
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
async fn bound_user(db: &Db, appid: &str, who: &WxIdentity) -> ApiResult<Option<i64>> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_insert_returns_what_an_account_reads() {
        assert!(INSERT.ends_with(super::super::ACCOUNT_COLUMNS));
        assert!(INSERT.contains("ON CONFLICT (mobile) DO NOTHING"));
    }
}
