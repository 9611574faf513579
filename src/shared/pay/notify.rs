//! Applying a payment notification (docs/protocol.md, "Payments"): verify
//! the driver's signature and timestamp, decrypt the resource, check it
//! against the payment, then in one transaction record the notification
//! (its id makes a second delivery a no-op), move the payment and run the
//! subject's on-paid hook. A refusal writes nothing.

use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;

use super::wechat::{self, Notification, NotifyHeaders};
use super::{Paid, Payments, Subjects};
use crate::config::payments::PayDriver;
use crate::domain::Money;
use crate::protocol::error::ApiError;

/// Why a notification was refused; the HTTP status it answers.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("no such payment driver here")]
    WrongDriver,
    #[error("signature does not verify")]
    Unverified,
    #[error("timestamp too far from our clock")]
    Stale,
    #[error("malformed notification: {0}")]
    Malformed(&'static str),
    #[error("notification does not match the payment: {0}")]
    Mismatch(&'static str),
    #[error("no such payment")]
    UnknownPayment,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl NotifyError {
    /// The label of the refusal in `/metrics`.
    pub fn label(&self) -> &'static str {
        match self {
            Self::WrongDriver => "wrong_driver",
            Self::Unverified => "unverified",
            Self::Stale => "stale",
            Self::Malformed(_) => "malformed",
            Self::Mismatch(_) => "mismatch",
            Self::UnknownPayment => "unknown_payment",
            Self::Internal(_) => "internal",
        }
    }

    /// The HTTP status of the answer.
    pub fn status(&self) -> u16 {
        match self {
            Self::WrongDriver | Self::UnknownPayment => 404,
            Self::Unverified | Self::Stale => 401,
            Self::Malformed(_) | Self::Mismatch(_) => 400,
            Self::Internal(_) => 500,
        }
    }
}

impl From<crate::stores::db::DbError> for NotifyError {
    fn from(e: crate::stores::db::DbError) -> Self {
        Self::Internal(e.into())
    }
}

/// What a verified notification did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub notify_id: String,
    pub out_trade_no: String,
    /// applied | already_paid | subject_refused | refund_applied |
    /// refund_known | ignored | duplicate (this notification id was seen)
    pub outcome: &'static str,
}

#[derive(Deserialize)]
struct Amount {
    total: i64,
    #[serde(default)]
    refund: i64,
}

/// The decrypted resource of a TRANSACTION or REFUND notification.
#[derive(Deserialize)]
struct Resource {
    mchid: String,
    #[serde(default)]
    appid: String,
    out_trade_no: String,
    #[serde(default)]
    transaction_id: String,
    #[serde(default)]
    trade_state: String,
    #[serde(default)]
    out_refund_no: String,
    #[serde(default)]
    refund_id: String,
    #[serde(default)]
    refund_status: String,
    amount: Amount,
}

/// Verify and apply the notification `body` delivered to
/// `/notify/pay/<driver>`.
///
/// # Errors
/// A [`NotifyError`]; nothing is written then.
pub async fn apply(
    pay: &Payments<'_>,
    subjects: &Subjects,
    driver: &str,
    h: &NotifyHeaders,
    body: &str,
) -> Result<Applied, NotifyError> {
    let s = pay.settings;
    if s.driver == PayDriver::Off || driver != s.driver.name() {
        return Err(NotifyError::WrongDriver);
    }
    if h.serial != s.platform_serial {
        return Err(NotifyError::Unverified);
    }
    wechat::verify_notification(&pay.keys.platform, h, body)
        .map_err(|_| NotifyError::Unverified)?;
    let ts: i64 = h.timestamp.parse().map_err(|_| NotifyError::Unverified)?;
    if (pay.now - ts).unsigned_abs() > s.notify_skew_secs {
        return Err(NotifyError::Stale);
    }
    let n: Notification = serde_json::from_str(body).map_err(|_| NotifyError::Malformed("body"))?;
    if n.id.is_empty() || n.id.len() > 64 {
        return Err(NotifyError::Malformed("id"));
    }
    let plain = wechat::decrypt_resource(pay.keys.api_v3_key(), &n.resource)
        .map_err(|_| NotifyError::Malformed("resource"))?;
    let r: Resource =
        serde_json::from_value(plain).map_err(|_| NotifyError::Malformed("resource fields"))?;
    if r.mchid != s.mchid || (!r.appid.is_empty() && r.appid != s.appid) {
        return Err(NotifyError::Mismatch("mchid/appid"));
    }
    let outcome = match n.event_type.as_str() {
        "TRANSACTION.SUCCESS" if r.trade_state == "SUCCESS" => paid(pay, subjects, &n, &r).await?,
        "TRANSACTION.SUCCESS" => return Err(NotifyError::Mismatch("trade_state")),
        "REFUND.SUCCESS" if r.refund_status == "SUCCESS" => refunded(pay, &n, &r).await?,
        _ => record_only(pay, &n, &r, "ignored").await?,
    };
    Ok(Applied {
        notify_id: n.id,
        out_trade_no: r.out_trade_no,
        outcome,
    })
}

/// Record the notification; `false` when its id was recorded before.
async fn claim(
    tx: &crate::stores::db::Tx<'_>,
    pay: &Payments<'_>,
    n: &Notification,
    r: &Resource,
) -> Result<bool, NotifyError> {
    let n = tx
        .execute(
            "INSERT INTO pay_notifications (driver, notify_id, event_type, out_trade_no, outcome) \
             VALUES ($1, $2, $3, $4, 'pending') ON CONFLICT (driver, notify_id) DO NOTHING",
            &[
                &pay.settings.driver.name(),
                &n.id,
                &n.event_type,
                &r.out_trade_no,
            ],
        )
        .await?;
    Ok(n == 1)
}

async fn settle_outcome(
    tx: &crate::stores::db::Tx<'_>,
    pay: &Payments<'_>,
    n: &Notification,
    outcome: &str,
) -> Result<(), NotifyError> {
    tx.execute(
        "UPDATE pay_notifications SET outcome = $3 WHERE driver = $1 AND notify_id = $2",
        &[&pay.settings.driver.name(), &n.id, &outcome],
    )
    .await?;
    Ok(())
}

/// The payment row, locked, when its amount matches the notification's.
async fn locked_payment(
    tx: &crate::stores::db::Tx<'_>,
    r: &Resource,
) -> Result<(i64, String, i64), NotifyError> {
    let row = tx
        .query_opt(
            "SELECT id, amount, subject_kind, subject_id FROM payments WHERE out_trade_no = $1 FOR UPDATE",
            &[&r.out_trade_no],
        )
        .await?
        .ok_or(NotifyError::UnknownPayment)?;
    let amount: Decimal = row.get(1);
    let cents = Money::from_decimal(amount).map(Money::cents);
    if cents != Some(r.amount.total) {
        return Err(NotifyError::Mismatch("amount"));
    }
    Ok((row.get(0), row.get(2), row.get(3)))
}

async fn paid(
    pay: &Payments<'_>,
    subjects: &Subjects,
    n: &Notification,
    r: &Resource,
) -> Result<&'static str, NotifyError> {
    let mut db = pay.stores.pg().await.map_err(internal)?;
    let tx = db.transaction().await?;
    if !claim(&tx, pay, n, r).await? {
        return Ok("duplicate");
    }
    let (id, kind, subject) = locked_payment(&tx, r).await?;
    let moved = tx
        .execute(
            "UPDATE payments SET status = 'paid', transaction_id = $2, paid_at = to_timestamp($3::bigint), \
             updated_at = now() WHERE id = $1 AND status IN ('created', 'closed')",
            &[&id, &r.transaction_id, &pay.now],
        )
        .await?;
    let outcome = if moved == 0 {
        "already_paid"
    } else {
        let paid = Paid {
            subject,
            out_trade_no: &r.out_trade_no,
            now: pay.now,
        };
        if subjects.take(&kind, &tx, paid).await? {
            "applied"
        } else {
            tracing::warn!(out_trade_no = %r.out_trade_no, %kind, subject, "paid, but the subject could not take the payment: refund it");
            "subject_refused"
        }
    };
    settle_outcome(&tx, pay, n, outcome).await?;
    tx.commit().await?;
    Ok(outcome)
}

async fn refunded(
    pay: &Payments<'_>,
    n: &Notification,
    r: &Resource,
) -> Result<&'static str, NotifyError> {
    let mut db = pay.stores.pg().await.map_err(internal)?;
    let tx = db.transaction().await?;
    if !claim(&tx, pay, n, r).await? {
        return Ok("duplicate");
    }
    let (payment, _, _) = locked_payment(&tx, r).await?;
    let row = tx
        .query_opt(
            "SELECT id, amount FROM refunds WHERE out_refund_no = $1 AND payment_id = $2 FOR UPDATE",
            &[&r.out_refund_no, &payment],
        )
        .await?
        .ok_or(NotifyError::Mismatch("out_refund_no"))?;
    let (refund, amount): (i64, Decimal) = (row.get(0), row.get(1));
    if Money::from_decimal(amount).map(Money::cents) != Some(r.amount.refund) {
        return Err(NotifyError::Mismatch("refund amount"));
    }
    let moved = tx
        .execute(
            "UPDATE refunds SET status = 'success', refund_id = $2, refunded_at = to_timestamp($3::bigint) \
             WHERE id = $1 AND status = 'processing'",
            &[&refund, &r.refund_id, &pay.now],
        )
        .await?;
    // Refunded when nothing of the payment remains, else partly.
    tx.execute(
        "UPDATE payments p SET status = CASE WHEN (SELECT sum(r.amount) FROM refunds r \
         WHERE r.payment_id = p.id AND r.status = 'success') >= p.amount \
         THEN 'refunded' ELSE 'partially_refunded' END, updated_at = now() \
         WHERE id = $1 AND status = 'refunding'",
        &[&payment],
    )
    .await?;
    let outcome = if moved == 1 {
        "refund_applied"
    } else {
        "refund_known"
    };
    settle_outcome(&tx, pay, n, outcome).await?;
    tx.commit().await?;
    Ok(outcome)
}

async fn record_only(
    pay: &Payments<'_>,
    n: &Notification,
    r: &Resource,
    outcome: &'static str,
) -> Result<&'static str, NotifyError> {
    let mut db = pay.stores.pg().await.map_err(internal)?;
    let tx = db.transaction().await?;
    if !claim(&tx, pay, n, r).await? {
        return Ok("duplicate");
    }
    settle_outcome(&tx, pay, n, outcome).await?;
    tx.commit().await?;
    Ok(outcome)
}

fn internal(e: ApiError) -> NotifyError {
    match e {
        ApiError::Internal(cause) => NotifyError::Internal(cause),
        other => NotifyError::Internal(anyhow::anyhow!("{other}")),
    }
}

/// The parts of a notification's headers, by their HTTP names.
pub fn headers_from(get: impl Fn(&str) -> Option<String>) -> NotifyHeaders {
    let v = |name| get(name).unwrap_or_default();
    NotifyHeaders {
        timestamp: v("wechatpay-timestamp"),
        nonce: v("wechatpay-nonce"),
        signature: v("wechatpay-signature"),
        serial: v("wechatpay-serial"),
    }
}

/// The JSON of a refusal, as WeChat Pay expects it.
pub fn fail_body(e: &NotifyError) -> Value {
    let message = match e {
        NotifyError::Internal(_) => "系统繁忙",
        NotifyError::Unverified | NotifyError::Stale => "签名验证失败",
        _ => "通知无效",
    };
    serde_json::json!({"code": "FAIL", "message": message})
}
