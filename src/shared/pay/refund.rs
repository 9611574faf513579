//! Refunds (docs/protocol.md §18.5): a paid payment becomes `refunding`
//! with a refund row in one transaction, then the driver is asked; the
//! refund notification (through the same callback route) settles both: the
//! payment is `refunded` when nothing of it remains, else
//! `partially_refunded`, and can be refunded again up to what remains
//! ([`Payments::start_partial_refund`]). One refund of a payment is in
//! flight at a time.

use anyhow::Context;
use rust_decimal::Decimal;
use serde::Serialize;

use super::{Payments, nonce, wechat};
use crate::config::payments::PayDriver;
use crate::domain::Money;
use crate::protocol::error::{ApiError, ApiResult};

/// A refund asked for.
#[derive(Debug, Serialize)]
pub struct Started {
    /// The payment's row id (not shown to clients).
    #[serde(skip)]
    pub payment_id: i64,
    pub out_trade_no: String,
    pub out_refund_no: String,
    /// What is refunded.
    pub amount: Money,
    /// The whole payment (the provider checks the refund against it).
    #[serde(skip)]
    pub total: Money,
}

impl Payments<'_> {
    /// Start refunding `part` of the paid payment `out_trade_no` (what
    /// remains of it when `None`).
    ///
    /// # Errors
    /// 404 no such payment; 503 it is not paid (or already refunding), or
    /// `part` is zero or more than remains; the provider's refusal; store
    /// failures.
    pub async fn refund(
        &self,
        out_trade_no: &str,
        part: Option<Money>,
        reason: &str,
    ) -> ApiResult<Started> {
        self.enabled()?;
        let mut db = self.stores.pg().await?;
        let tx = db.transaction().await?;
        let started = self
            .start_partial_refund(&tx, out_trade_no, part, reason)
            .await?;
        tx.commit().await?;
        drop(db);
        self.ask_refund(&started).await?;
        Ok(started)
    }

    /// The paid payment of a subject (its `out_trade_no`): every paid
    /// subject has exactly one.
    ///
    /// # Errors
    /// An internal error when it has none; store failures.
    pub async fn paid_payment_of(
        &self,
        tx: &crate::stores::db::Tx<'_>,
        (kind, id): (&str, i64),
    ) -> ApiResult<String> {
        let row = tx
            .query_opt(
                "SELECT out_trade_no FROM payments WHERE subject_kind = $1 AND subject_id = $2 \
                 AND status IN ('paid', 'partially_refunded')",
                &[&kind, &id],
            )
            .await?
            .ok_or_else(|| anyhow::anyhow!("paid {kind} {id} has no paid payment"))?;
        Ok(row.get(0))
    }

    /// Start refunding `part` (the whole when `None`) of a paid subject's
    /// payment inside the caller's transaction, where the product moves its
    /// own record: one commit for both. After it, [`Payments::finish_refund`].
    ///
    /// # Errors
    /// As [`Payments::start_partial_refund`]; no paid payment (500).
    pub async fn start_refund_of(
        &self,
        tx: &crate::stores::db::Tx<'_>,
        subject: (&str, i64),
        part: Option<Money>,
        reason: &str,
    ) -> ApiResult<Started> {
        let no = self.paid_payment_of(tx, subject).await?;
        self.start_partial_refund(tx, &no, part, reason).await
    }

    /// After the commit of a started refund: ask the provider and, with the
    /// sandbox, deliver its notice through the gateway's own callback, as
    /// the provider would (a notice that fails is logged: the refund is
    /// asked for, and the provider's own notice settles it).
    ///
    /// # Errors
    /// The provider's refusal (503; the payment is `paid` again, and the
    /// caller moves its own record back); store failures.
    pub async fn finish_refund(&self, started: &Started) -> ApiResult<()> {
        self.ask_refund(started).await?;
        if let Err(e) = self.refund_notice(started).await {
            tracing::error!(out_refund_no = %started.out_refund_no, error = ?e, "sandbox refund notice not delivered");
        }
        Ok(())
    }

    /// With the sandbox driver, deliver the refund notification of
    /// `started` through the callback route, as the provider would; its
    /// HTTP status, or 0 with a real driver (the provider notifies on its
    /// own).
    ///
    /// # Errors
    /// The notification could not be built or delivered.
    pub async fn refund_notice(&self, started: &Started) -> ApiResult<u16> {
        if self.settings.driver != PayDriver::Sandbox {
            return Ok(0);
        }
        let d = super::sandbox::refund_delivery(
            self.settings,
            self.keys,
            &started.out_trade_no,
            &started.out_refund_no,
            started.total,
            started.amount,
            self.now,
        )?;
        self.deliver(&d).await
    }

    /// Post a sandbox notification to the gateway's own callback route; the
    /// route's HTTP status.
    ///
    /// # Errors
    /// The route could not be reached.
    pub async fn deliver(&self, d: &super::sandbox::Delivery) -> ApiResult<u16> {
        let mut addr = self.local_addr;
        if addr.ip().is_unspecified() {
            addr.set_ip(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));
        }
        Ok(
            d.post(self.http, &format!("http://{addr}/notify/pay/sandbox"))
                .await?,
        )
    }

    /// The first half of [`Payments::refund`], inside the caller's
    /// transaction (so a product can move its own record in the same one):
    /// the payment becomes `refunding` with a refund row. After the commit,
    /// call [`Payments::ask_refund`].
    ///
    /// # Errors
    /// As [`Payments::refund`], without the provider.
    pub async fn start_refund(
        &self,
        tx: &crate::stores::db::Tx<'_>,
        out_trade_no: &str,
        reason: &str,
    ) -> ApiResult<Started> {
        self.start_partial_refund(tx, out_trade_no, None, reason)
            .await
    }

    /// [`Payments::start_refund`] of `part` of the payment (the whole when
    /// `None`), e.g. the unused redemption codes of an order.
    ///
    /// # Errors
    /// As [`Payments::start_refund`]; 503 when `part` is zero or more than
    /// remains of the payment.
    pub async fn start_partial_refund(
        &self,
        tx: &crate::stores::db::Tx<'_>,
        out_trade_no: &str,
        part: Option<Money>,
        reason: &str,
    ) -> ApiResult<Started> {
        self.enabled()?;
        let row = tx
            .query_opt(
                "SELECT id, amount, status, (SELECT COALESCE(sum(r.amount), 0) FROM refunds r \
                 WHERE r.payment_id = p.id AND r.status IN ('processing', 'success')) \
                 FROM payments p WHERE out_trade_no = $1 FOR UPDATE",
                &[&out_trade_no],
            )
            .await?
            .ok_or_else(|| ApiError::not_found("支付单不存在"))?;
        let (id, amount, status): (i64, Decimal, String) = (row.get(0), row.get(1), row.get(2));
        if status != "paid" && status != "partially_refunded" {
            return Err(ApiError::business("支付单当前状态不能退款"));
        }
        let total = Money::from_decimal(amount).context("payment amount out of bounds")?;
        let before = Money::from_decimal(row.get(3)).context("refunded amount out of bounds")?;
        let left = total.cents() - before.cents();
        let amount = match part {
            Some(p) => p,
            None => Money::from_cents(left).context("remaining amount out of bounds")?,
        };
        if amount.cents() <= 0 {
            return Err(ApiError::business("退款金额须大于 0"));
        }
        if amount.cents() > left {
            return Err(ApiError::business(format!(
                "退款金额超过可退金额（{}）",
                Money::from_cents(left).map_or_else(String::new, |m| m.to_string())
            )));
        }
        let out_refund_no = format!("R{}{}", self.now, &nonce()[..12]);
        tx.execute(
            "INSERT INTO refunds (out_refund_no, payment_id, amount, reason) VALUES ($1, $2, $3, $4)",
            &[&out_refund_no, &id, &amount.to_decimal(), &reason],
        )
        .await?;
        tx.execute(
            "UPDATE payments SET status = 'refunding', updated_at = now() WHERE id = $1",
            &[&id],
        )
        .await?;
        Ok(Started {
            payment_id: id,
            out_trade_no: out_trade_no.to_string(),
            out_refund_no,
            amount,
            total,
        })
    }

    /// The second half of [`Payments::refund`]: ask the provider (the
    /// sandbox needs no asking). When it refuses, the refund row is closed
    /// and the payment is `paid` again.
    ///
    /// # Errors
    /// The provider's refusal (503); store failures.
    pub async fn ask_refund(&self, started: &Started) -> ApiResult<()> {
        let (out_trade_no, out_refund_no) = (&started.out_trade_no, &started.out_refund_no);
        if self.settings.driver == PayDriver::Wechatpay {
            let body = wechat::refund_body(
                out_trade_no,
                out_refund_no,
                started.amount.cents(),
                started.total.cents(),
                &self.notify_url(),
            );
            let asked = self.post(wechat::REFUND_PATH, body, "退款失败，请稍后重试");
            if let Err(e) = asked.await {
                self.undo(started.payment_id, out_refund_no).await?;
                return Err(e);
            }
        }
        tracing::info!(%out_trade_no, %out_refund_no, amount = %started.amount, "refund started");
        Ok(())
    }

    /// The provider did not take the refund: close the refund row and give
    /// the payment back its status before it (`paid`, or
    /// `partially_refunded`), so it can be refunded again.
    async fn undo(&self, payment: i64, out_refund_no: &str) -> ApiResult<()> {
        let mut db = self.stores.pg().await?;
        let tx = db.transaction().await?;
        tx.execute(
            "UPDATE refunds SET status = 'closed' WHERE out_refund_no = $1 AND status = 'processing'",
            &[&out_refund_no],
        )
        .await?;
        tx.execute(
            "UPDATE payments p SET status = CASE WHEN EXISTS (SELECT 1 FROM refunds r \
             WHERE r.payment_id = p.id AND r.status = 'success') THEN 'partially_refunded' ELSE 'paid' END, \
             updated_at = now() WHERE id = $1 AND status = 'refunding'",
            &[&payment],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
