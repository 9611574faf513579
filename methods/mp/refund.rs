//! mp.order.refund (seed 004 /order/refund; docs/protocol.md §23.7): the
//! unused redemption codes of a paid order are refunded through the
//! payment driver, their stock returned. The order becomes 6 已退款 when
//! no code was used, else 7 已完成.

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use super::machines::{CODE_USED, MP_CODE, MP_ORDER, PAID};
use super::member;
use super::order::SUBJECT;
use crate::domain::Money;
use crate::handler::{ApiResult, Ctx, Reply, Text};
use crate::shared::machine::{Actor, Key, transition};
use crate::shared::pay::refund::Started;
use crate::stores::one_row;

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct RefundParams {
    /// 订单号
    order_no: Text,
}

/// What one refund moved, to undo it when the provider refuses.
struct Moved {
    order: i64,
    codes: Vec<i64>,
    started: Started,
}

pub(super) async fn refund(ctx: Ctx, p: RefundParams) -> ApiResult<Reply> {
    let user = member(&ctx)?.id;
    let no = p.order_no.as_str().trim();
    let moved = start(&ctx, user, no).await?;
    if let Err(refused) = ctx.payments().finish_refund(&moved.started).await {
        undo(&ctx, &moved).await?;
        return Err(refused);
    }
    answer(&ctx, moved.order, no, &moved.started.out_refund_no).await
}

/// In one transaction: the order and its unused codes move, the stock and
/// sales go back, and the payment is marked refunding with its refund row.
async fn start(ctx: &Ctx, user: i64, no: &str) -> ApiResult<Moved> {
    let now = ctx.now();
    let mut db = ctx.stores().pg().await?;
    let tx = db.transaction().await?;
    // The order's row first, as redeeming locks it: the codes cannot move
    // under this refund.
    let row = tx
        .query_opt(
            "SELECT id, status, price FROM mp_orders WHERE order_no = $1 AND user_id = $2 FOR UPDATE",
            &[&no, &user],
        )
        .await?
        .ok_or_else(|| MP_ORDER.not_found.error())?;
    let (order, status, price): (i64, i16, Decimal) = (row.get(0), row.get(1), row.get(2));
    if status != PAID {
        return Err(MP_ORDER.action("refund").refusal.error());
    }
    let codes = tx
        .query(
            "SELECT id, status FROM mp_order_items WHERE order_id = $1 ORDER BY id FOR UPDATE",
            &[&order],
        )
        .await?;
    let used = codes.iter().any(|r| r.get::<_, i16>(1) == CODE_USED);
    let unused: Vec<i64> = codes
        .iter()
        .filter(|r| r.get::<_, i16>(1) == super::machines::CODE_UNUSED)
        .map(|r| r.get(0))
        .collect();
    if unused.is_empty() {
        return Err(MP_ORDER.action("refund").refusal.error());
    }
    let action = if used { "refund_rest" } else { "refund" };
    let actor = Actor::Owner(user);
    transition(&tx, &MP_ORDER, Key::Id(order), action, &actor, now).await?;
    for code in &unused {
        transition(&tx, &MP_CODE, Key::Id(*code), "refund", &actor, now).await?;
    }
    let units = i32::try_from(unused.len()).map_err(anyhow::Error::from)?;
    let amount = Money::stored(price * Decimal::from(units))?;
    give_back(&tx, order, units, amount).await?;
    let started = ctx
        .payments()
        .start_refund_of(&tx, (SUBJECT, order), Some(amount), "用户申请退款")
        .await?;
    tx.commit().await?;
    Ok(Moved {
        order,
        codes: unused,
        started,
    })
}

/// `units` back in stock and out of the sales, `amount` as the order's
/// refund_price (negative units and zero undo it).
async fn give_back(
    tx: &crate::stores::db::Tx<'_>,
    order: i64,
    units: i32,
    amount: Money,
) -> ApiResult<()> {
    tx.execute(
        "UPDATE mp_goods g SET stock = g.stock + $2, sell_number = g.sell_number - $2 \
         FROM mp_orders o WHERE o.id = $1 AND g.id = o.goods_id",
        &[&order, &units],
    )
    .await?;
    tx.execute(
        "UPDATE mp_orders SET refund_price = $2 WHERE id = $1",
        &[&order, &amount.to_decimal()],
    )
    .await?;
    Ok(())
}

/// The provider refused: the order and its codes are paid and unused
/// again (`refund_failed`, recorded like every transition).
async fn undo(ctx: &Ctx, m: &Moved) -> ApiResult<()> {
    let now = ctx.now();
    let mut db = ctx.stores().pg().await?;
    let tx = db.transaction().await?;
    let actor = Actor::System("mp.refund_failed");
    transition(
        &tx,
        &MP_ORDER,
        Key::Id(m.order),
        "refund_failed",
        &actor,
        now,
    )
    .await?;
    for code in &m.codes {
        transition(&tx, &MP_CODE, Key::Id(*code), "refund_failed", &actor, now).await?;
    }
    let units = i32::try_from(m.codes.len()).map_err(anyhow::Error::from)?;
    let zero = Money::from_cents(0).ok_or_else(|| anyhow::anyhow!("zero is money"))?;
    give_back(&tx, m.order, -units, zero).await?;
    tx.commit().await?;
    Ok(())
}

/// The seed's refund record.
async fn answer(ctx: &Ctx, order: i64, no: &str, out_refund_no: &str) -> ApiResult<Reply> {
    let rows = ctx
        .stores()
        .pg_rows(
            "SELECT id, amount, status, COALESCE(refund_id, ''), floor(extract(epoch FROM created_at))::bigint, \
             floor(extract(epoch FROM COALESCE(refunded_at, created_at)))::bigint FROM refunds \
             WHERE out_refund_no = $1",
            &[&out_refund_no],
        )
        .await?;
    let r = one_row(rows)?;
    let status: String = r.get(2);
    Reply::data(
        "退款成功",
        &json!({
            "id": r.get::<_, i64>(0), "order_id": order, "order_no": no,
            "amount": Money::stored(r.get(1))?,
            "updated_at": ctx.time_string(r.get(5)), "created_at": ctx.time_string(r.get(4)),
            "refund_id": r.get::<_, String>(3),
            "status": if status == "success" { 2 } else { 1 },
        }),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_refund_and_its_undo_are_actions_of_both_machines() {
        use crate::methods::mp::machines::{MP_CODE, MP_ORDER};
        for a in ["refund", "refund_rest", "refund_failed"] {
            MP_ORDER.action(a);
        }
        for a in ["refund", "refund_failed"] {
            MP_CODE.action(a);
        }
    }
}
