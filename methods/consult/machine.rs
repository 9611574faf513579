//! The consulting order machine (docs/protocol.md §20.3) over
//! `consult_orders`, seen from both sides: the buyer's actions (owner
//! `user_id`) and the consultant's (owner `consultant_id`). Both record
//! their transitions as machine `consult_order`.

use crate::shared::machine::{Action, By, Machine, Refusal};

pub const UNPAID: i16 = 0;
pub const PAID: i16 = 1;
pub const IN_SERVICE: i16 = 2;
pub const DONE: i16 = 3;
pub const CANCELLED: i16 = 4;
pub const REFUNDED: i16 = 5;

/// Statuses an order is still live in: its demand cannot be deleted.
pub const LIVE: &[i16] = &[UNPAID, PAID, IN_SERVICE];
/// Statuses an order is closed in: the buyer may delete it.
pub const CLOSED: &[i16] = &[DONE, CANCELLED, REFUNDED];

const STATES: &[(i16, &str)] = &[
    (UNPAID, "待付款"),
    (PAID, "已付款"),
    (IN_SERVICE, "服务中"),
    (DONE, "已完成"),
    (CANCELLED, "已取消"),
    (REFUNDED, "已退款"),
];

/// The seed answers every failure as one non-zero code: 503 here
/// (docs/methods.md, "Product codes and protocol codes").
const fn refusal(msg: &'static str) -> Refusal {
    Refusal { code: 503, msg }
}

const NOT_FOUND: Refusal = Refusal {
    code: 404,
    msg: "订单不存在",
};

/// The buyer's side: cancel, cancel a paid order (refunded through the
/// payment driver; `refund_failed` puts it back when the provider refuses
/// the refund), and the payment's own `pay`.
pub const BUYER: Machine = Machine {
    name: "consult_order",
    table: "consult_orders",
    id_column: "id",
    code_column: "order_no",
    status_column: "status",
    owner_column: "user_id",
    updated_column: "updated_at",
    states: STATES,
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
            name: "refund",
            from: &[PAID],
            to: REFUNDED,
            by: &[By::Owner],
            stamps: &["cancel_time"],
            refusal: refusal("订单当前状态不能退款"),
        },
        Action {
            name: "refund_failed",
            from: &[REFUNDED],
            to: PAID,
            by: &[By::System],
            stamps: &[],
            refusal: refusal("订单当前状态不是已退款"),
        },
        Action {
            name: "pay",
            from: &[UNPAID],
            to: PAID,
            by: &[By::Payment],
            stamps: &["pay_time"],
            refusal: refusal("订单当前状态不能付款"),
        },
    ],
    not_found: NOT_FOUND,
    not_allowed: refusal("您无权对该订单执行此操作"),
};

/// The consultant's side: accept a paid order, finish one in service.
pub const CONSULTANT: Machine = Machine {
    name: "consult_order",
    table: "consult_orders",
    id_column: "id",
    code_column: "order_no",
    status_column: "status",
    owner_column: "consultant_id",
    updated_column: "updated_at",
    states: STATES,
    actions: &[
        Action {
            name: "accept",
            from: &[PAID],
            to: IN_SERVICE,
            by: &[By::Owner],
            stamps: &["accept_time"],
            refusal: refusal("只有已付款的订单可以接单"),
        },
        Action {
            name: "finish",
            from: &[IN_SERVICE],
            to: DONE,
            by: &[By::Owner],
            stamps: &["finish_time"],
            refusal: refusal("只有服务中的订单可以完成"),
        },
    ],
    not_found: NOT_FOUND,
    not_allowed: refusal("您无权对该订单执行此操作"),
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_starts_and_ends_in_a_declared_state() {
        for m in [&BUYER, &CONSULTANT] {
            for a in m.actions {
                let known = |s: i16| m.states.iter().any(|(k, _)| *k == s);
                assert!(
                    a.from.iter().all(|s| known(*s)) && known(a.to),
                    "{}",
                    a.name
                );
            }
        }
        assert!(LIVE.iter().chain(CLOSED).count() == STATES.len());
    }
}
