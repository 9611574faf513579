//! The supplier order machine (seed 002, docs/protocol.md §21) over
//! `supplier_orders`: the supplier accepts and edits, the back office's
//! picker and courier move the delivery, and the order completes. Every
//! refusal is the seed's 400 with its message.

use crate::shared::machine::{Action, By, Machine, Refusal};

pub const UNPAID: i16 = 0;
pub const PAID: i16 = 1;
pub const TO_CONFIRM: i16 = 2;
pub const TO_EDIT: i16 = 3;
pub const EDITED: i16 = 4;
pub const PICKED: i16 = 11;
pub const COURIER: i16 = 12;
pub const FETCHED: i16 = 13;
pub const TO_REVIEW: i16 = 21;
pub const REVIEWED: i16 = 22;
pub const CLOSED: i16 = 30;

/// The seed's 400 操作失败: every refusal of the supplier product.
pub const FAILED: u32 = 400;

/// The states and actions of a supplier order. A missing order, or
/// another supplier's, is the protocol's 404.
pub const SUPPLIER_ORDER: Machine = Machine {
    name: "supplier_order",
    table: "supplier_orders",
    id_column: "id",
    code_column: "order_sn",
    status_column: "status",
    owner_column: "supplier_id",
    updated_column: "updated_at",
    states: &[
        (UNPAID, "待付款"),
        (PAID, "待发货"),
        (TO_CONFIRM, "待确认接单"),
        (TO_EDIT, "待修改订单"),
        (EDITED, "已修改订单"),
        (PICKED, "拣货完成"),
        (COURIER, "配送员已接单"),
        (FETCHED, "配送员已取货"),
        (TO_REVIEW, "待评价"),
        (REVIEWED, "已评价"),
        (CLOSED, "交易关闭"),
    ],
    actions: &[
        Action {
            name: "accept",
            from: &[TO_CONFIRM],
            to: TO_EDIT,
            by: &[By::Owner],
            stamps: &["accepted_at"],
            refusal: failed("请求失败，只有待确认订单有权限~"),
        },
        Action {
            name: "edit",
            from: &[TO_EDIT],
            to: EDITED,
            by: &[By::Owner],
            stamps: &["edited_at"],
            refusal: failed("请求失败，只有待修改订单有权限~"),
        },
        Action {
            name: "pick",
            from: &[PAID, EDITED],
            to: PICKED,
            by: &[By::Admin],
            stamps: &["picked_at"],
            refusal: failed("请求失败，只有待发货订单可以拣货~"),
        },
        Action {
            name: "courier_accept",
            from: &[PICKED],
            to: COURIER,
            by: &[By::Admin],
            stamps: &["courier_at"],
            refusal: failed("请求失败，只有拣货完成的订单可以接单~"),
        },
        Action {
            name: "courier_fetch",
            from: &[COURIER],
            to: FETCHED,
            by: &[By::Admin],
            stamps: &["fetched_at"],
            refusal: failed("请求失败，只有配送员已接单的订单可以取货~"),
        },
        Action {
            name: "finish",
            from: &[FETCHED],
            to: TO_REVIEW,
            by: &[By::Admin],
            stamps: &["done_at"],
            refusal: failed("请求失败，只有配送员已取货的订单可以完成~"),
        },
        Action {
            name: "review",
            from: &[TO_REVIEW],
            to: REVIEWED,
            by: &[By::Admin],
            stamps: &["reviewed_at"],
            refusal: failed("请求失败，只有待评价订单可以评价~"),
        },
        Action {
            name: "close",
            from: &[UNPAID, PAID, TO_CONFIRM, TO_EDIT, EDITED],
            to: CLOSED,
            by: &[By::Admin],
            stamps: &["closed_at"],
            refusal: failed("请求失败，已发货或已完成的订单不能取消~"),
        },
    ],
    not_found: Refusal {
        code: 404,
        msg: "订单不存在",
    },
    not_allowed: Refusal {
        code: FAILED,
        msg: "请求失败，无权限操作该订单~",
    },
};

const fn failed(msg: &'static str) -> Refusal {
    Refusal { code: FAILED, msg }
}

/// The seed's `status_choice` groups: the statuses each one lists.
pub fn choice(name: &str) -> Option<&'static [i16]> {
    match name {
        "pay_success" => Some(&[PAID, TO_CONFIRM, TO_EDIT, EDITED]),
        "send_success" => Some(&[PICKED, COURIER, FETCHED]),
        "finish" => Some(&[TO_REVIEW, REVIEWED]),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_starts_and_ends_in_a_declared_state() {
        let known = |s: i16| SUPPLIER_ORDER.states.iter().any(|(k, _)| *k == s);
        for a in SUPPLIER_ORDER.actions {
            assert!(
                a.from.iter().all(|s| known(*s)) && known(a.to),
                "{}",
                a.name
            );
            assert_eq!(a.refusal.code, FAILED, "{}", a.name);
        }
    }

    #[test]
    fn the_choices_cover_the_paid_sent_and_finished_groups() {
        assert_eq!(choice("send_success"), Some(&[11, 12, 13][..]));
        assert_eq!(choice("finish"), Some(&[21, 22][..]));
        assert_eq!(choice("all"), None);
    }
}
