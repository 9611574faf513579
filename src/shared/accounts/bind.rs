//! A mobile bound to a WeChat account, and a placeholder account merged
//! onto another (docs/protocol.md §8.10): the WeChat identities and roles
//! move, the placeholder retires.

use crate::domain::{Mobile, SmsCode, SmsKey};
use crate::gate::session::{self, status};
use crate::protocol::error::{ApiError, ApiResult, code};
use crate::shared::sms::SmsCodes;
use crate::stores::Stores;
use crate::stores::db::{DbError, Tx};

/// Bind `mobile` to `user_id` in one transaction, or merge `user_id` onto
/// the mobile's account; the SMS code (`SmsKey::BindMobile`) is used up
/// just before the commit. Binds of one mobile are serialized by an
/// advisory lock, and the caller's row is locked, so of two racing binds
/// one wins and the other finds the account already bound or retired.
/// The account the caller now is.
///
/// # Errors
/// 503 "当前账号已绑定手机号" or "该手机号刚刚完成注册，请重试", the
/// account states of [`session::ensure_active`], 700 for a wrong code,
/// store failures (500).
pub async fn bind_mobile(
    stores: &Stores,
    sms: &SmsCodes<'_>,
    user_id: i64,
    mobile: &Mobile,
    code: &SmsCode,
) -> ApiResult<i64> {
    let mut db = stores.pg().await?;
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
    sms.check(mobile.as_str(), SmsKey::BindMobile, code.as_str(), true)
        .await?
        .map_err(|e| e.into_api(code::SMS_CODE_WRONG))?;
    tx.commit().await?;
    Ok(target)
}

/// user.register does not take the bind lock: a registration of the
/// mobile committed since the look-up breaks UNIQUE (mobile). The client
/// retries and merges.
fn taken_meanwhile(e: DbError) -> ApiError {
    if e.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) {
        ApiError::business("该手机号刚刚完成注册，请重试")
    } else {
        e.into()
    }
}

/// Why [`merge_onto`] merged nothing.
#[derive(Debug, PartialEq, Eq)]
pub enum NotMerged {
    /// The caller's account already has a mobile: it is no placeholder.
    HasMobile,
    /// The target account does not exist or has retired.
    NoTarget,
}

/// Merge the caller's WeChat-only account `me` onto `target` (a scene
/// login, docs/protocol.md §23.2), as a mobile bind merges it, with both
/// rows locked.
///
/// # Errors
/// The account states of [`session::ensure_active`], store failures (500);
/// `Ok(Err(_))` when there was nothing to merge.
pub async fn merge_onto(stores: &Stores, me: i64, target: i64) -> ApiResult<Result<(), NotMerged>> {
    let mut db = stores.pg().await?;
    let tx = db.transaction().await?;
    let mine = tx
        .query_one(
            "SELECT status, mobile FROM users WHERE id = $1 FOR UPDATE",
            &[&me],
        )
        .await?;
    session::ensure_active(mine.get(0))?;
    if mine.get::<_, Option<String>>(1).is_some() {
        return Ok(Err(NotMerged::HasMobile));
    }
    let theirs = tx
        .query_opt(
            "SELECT status FROM users WHERE id = $1 FOR UPDATE",
            &[&target],
        )
        .await?;
    match theirs.map(|r| r.get::<_, i16>(0)) {
        Some(s) if s != status::CANCELLED => session::ensure_active(s)?,
        _ => return Ok(Err(NotMerged::NoTarget)),
    }
    merge(&tx, me, target).await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// Re-point the WeChat identities and roles of placeholder `from` to
/// `onto`, and retire `from` (status 3, `merged_into`).
///
/// # Errors
/// Store failures (500).
pub async fn merge(tx: &Tx<'_>, from: i64, onto: i64) -> ApiResult<()> {
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
