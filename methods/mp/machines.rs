//! The user mini-program's machines (seed 004, docs/protocol.md §23): the
//! order (1 未支付 → 2 已取消 / 3 已关闭 → 4 已付款 → 6 已退款 / 7 已完成)
//! and its redemption codes (1 未核销 → 2 已核销 / 3 已退款), the stock an
//! order holds, and the query of the job that closes unpaid orders.

use futures_util::future::BoxFuture;

use crate::protocol::error::ApiResult;
use crate::shared::jobs::Job;
use crate::shared::machine::{Action, By, Machine, Refusal};

pub const UNPAID: i16 = 1;
pub const CANCELLED: i16 = 2;
pub const CLOSED: i16 = 3;
pub const PAID: i16 = 4;
pub const REFUNDED: i16 = 6;
pub const DONE: i16 = 7;

pub const CODE_UNUSED: i16 = 1;
pub const CODE_USED: i16 = 2;
pub const CODE_REFUNDED: i16 = 3;

/// The seed numbers no refusal of an order's state: they are the
/// protocol's 503 with a message.
const fn refusal(msg: &'static str) -> Refusal {
    Refusal { code: 503, msg }
}

/// The seed's order.
pub const MP_ORDER: Machine = Machine {
    name: "mp_order",
    table: "mp_orders",
    id_column: "id",
    code_column: "order_no",
    status_column: "status",
    owner_column: "user_id",
    updated_column: "updated_at",
    states: &[
        (UNPAID, "未支付"),
        (CANCELLED, "已取消"),
        (CLOSED, "已关闭"),
        (PAID, "已付款"),
        (REFUNDED, "已退款"),
        (DONE, "已完成"),
    ],
    actions: &[
        Action {
            name: "cancel",
            from: &[UNPAID],
            to: CANCELLED,
            by: &[By::Owner],
            stamps: &["cancel_time"],
            refusal: refusal("订单当前状态不能取消"),
        },
        Action {
            name: "close",
            from: &[UNPAID],
            to: CLOSED,
            by: &[By::System],
            stamps: &["close_time"],
            refusal: refusal("订单当前状态不能关闭"),
        },
        Action {
            name: "pay",
            from: &[UNPAID],
            to: PAID,
            by: &[By::Payment],
            stamps: &["pay_time"],
            refusal: refusal("订单当前状态不能付款"),
        },
        // No code was used: the whole order is refunded.
        Action {
            name: "refund",
            from: &[PAID],
            to: REFUNDED,
            by: &[By::Owner],
            stamps: &["refund_time"],
            refusal: refusal("订单当前状态不能退款"),
        },
        // Some codes were used: the others are refunded and the order is
        // done (不可退款).
        Action {
            name: "refund_rest",
            from: &[PAID],
            to: DONE,
            by: &[By::Owner],
            stamps: &["refund_time", "done_time"],
            refusal: refusal("订单当前状态不能退款"),
        },
        // The last unused code was redeemed.
        Action {
            name: "finish",
            from: &[PAID],
            to: DONE,
            by: &[By::Admin],
            stamps: &["done_time"],
            refusal: refusal("订单当前状态不能核销"),
        },
        // The provider refused the refund: the order is paid again.
        Action {
            name: "refund_failed",
            from: &[REFUNDED, DONE],
            to: PAID,
            by: &[By::System],
            stamps: &[],
            refusal: refusal("订单当前状态不是退款中"),
        },
    ],
    not_found: Refusal {
        code: 404,
        msg: "订单不存在",
    },
    not_allowed: refusal("您无权对该订单执行此操作"),
};

/// A redemption code (核销码) of a paid order.
pub const MP_CODE: Machine = Machine {
    name: "mp_code",
    table: "mp_order_items",
    id_column: "id",
    code_column: "verify_code",
    status_column: "status",
    owner_column: "user_id",
    updated_column: "updated_at",
    states: &[
        (CODE_UNUSED, "未核销"),
        (CODE_USED, "已核销"),
        (CODE_REFUNDED, "已退款"),
    ],
    actions: &[
        Action {
            name: "redeem",
            from: &[CODE_UNUSED],
            to: CODE_USED,
            by: &[By::Admin],
            stamps: &["redeemed_at"],
            refusal: refusal("核销码已核销或已退款"),
        },
        Action {
            name: "refund",
            from: &[CODE_UNUSED],
            to: CODE_REFUNDED,
            by: &[By::Owner],
            stamps: &["refunded_at"],
            refusal: refusal("核销码已核销或已退款"),
        },
        Action {
            name: "refund_failed",
            from: &[CODE_REFUNDED],
            to: CODE_UNUSED,
            by: &[By::System],
            stamps: &[],
            refusal: refusal("核销码不是已退款"),
        },
    ],
    not_found: Refusal {
        code: 404,
        msg: "核销码不存在",
    },
    not_allowed: refusal("您无权核销该核销码"),
};

/// Ids of unpaid orders placed before `$1` (Unix seconds), at most `$2`.
pub const DUE_UNPAID: &str = "SELECT id FROM mp_orders WHERE status = 1 \
     AND created_at <= to_timestamp($1) ORDER BY created_at, id LIMIT $2 FOR UPDATE SKIP LOCKED";

/// Give `units` of the order's good back to its stock (negative: take
/// them again), in the caller's transaction.
///
/// # Errors
/// Store failures; taking more than the stock breaks its CHECK.
pub async fn restock(tx: &crate::stores::db::Tx<'_>, order: i64, units: i32) -> ApiResult<()> {
    tx.execute(
        "UPDATE mp_goods g SET stock = g.stock + $2 FROM mp_orders o \
         WHERE o.id = $1 AND g.id = o.goods_id",
        &[&order, &units],
    )
    .await?;
    Ok(())
}

/// After the job closes an order: its whole stock goes back.
pub fn closed<'a>(tx: &'a crate::stores::db::Tx<'a>, order: i64) -> BoxFuture<'a, ApiResult<()>> {
    Box::pin(async move {
        tx.execute(
            "UPDATE mp_goods g SET stock = g.stock + o.buy_number FROM mp_orders o \
             WHERE o.id = $1 AND g.id = o.goods_id",
            &[&order],
        )
        .await?;
        Ok(())
    })
}

/// The mini-program order's timed job (docs/protocol.md §17): an unpaid
/// order closes and its stock goes back.
pub const CLOSE_UNPAID: Job = Job {
    name: "mp.close_unpaid",
    machine: &MP_ORDER,
    action: "close",
    due: DUE_UNPAID,
    after_secs: |s| s.mp.close_unpaid_after_minutes * 60,
    then: Some(closed),
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_starts_and_ends_in_a_declared_state() {
        for m in [&MP_ORDER, &MP_CODE] {
            let known = |s: i16| m.states.iter().any(|(k, _)| *k == s);
            for a in m.actions {
                assert!(
                    a.from.iter().all(|s| known(*s)) && known(a.to),
                    "{}",
                    a.name
                );
            }
        }
        CLOSE_UNPAID.check().unwrap();
    }
}
