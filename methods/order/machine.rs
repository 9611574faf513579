//! The mall order machine (docs/protocol.md §16.2) over `orders`: who may
//! cancel, pay, ship, confirm and close an order, and the queries that find
//! the orders the timed jobs move.

use crate::shared::jobs::Job;
use crate::shared::machine::{Action, By, Machine, Refusal};

pub const UNPAID: i16 = 0;
pub const PAID: i16 = 1;
pub const SHIPPED: i16 = 2;
pub const DONE: i16 = 3;
pub const CLOSED: i16 = 4;

/// The states and actions of a mall order. Codes 810–816 are the mall's
/// own; a missing order (or another user's) is the protocol's 404.
pub const ORDER: Machine = Machine {
    name: "order",
    table: "orders",
    id_column: "id",
    code_column: "order_sn",
    status_column: "order_status",
    owner_column: "user_id",
    updated_column: "updated_at",
    states: &[
        (UNPAID, "待付款"),
        (PAID, "待发货"),
        (SHIPPED, "已发货"),
        (DONE, "交易成功"),
        (CLOSED, "已关闭"),
    ],
    actions: &[
        Action {
            name: "cancel",
            from: &[UNPAID],
            to: CLOSED,
            by: &[By::Owner],
            stamps: &["closed_time"],
            refusal: refusal(811, "订单当前状态不能取消"),
        },
        Action {
            name: "pay",
            from: &[UNPAID],
            to: PAID,
            by: &[By::Payment],
            stamps: &["pay_time"],
            refusal: refusal(812, "订单当前状态不能付款"),
        },
        Action {
            name: "ship",
            from: &[PAID],
            to: SHIPPED,
            by: &[By::Admin],
            stamps: &["shipping_time"],
            refusal: refusal(813, "订单当前状态不能发货"),
        },
        Action {
            name: "confirm",
            from: &[SHIPPED],
            to: DONE,
            by: &[By::Owner],
            stamps: &["done_time"],
            refusal: refusal(814, "订单当前状态不能确认收货"),
        },
        Action {
            name: "close",
            from: &[UNPAID],
            to: CLOSED,
            by: &[By::System],
            stamps: &["closed_time"],
            refusal: refusal(815, "订单当前状态不能关闭"),
        },
        Action {
            name: "auto_confirm",
            from: &[SHIPPED],
            to: DONE,
            by: &[By::System],
            stamps: &["done_time"],
            refusal: refusal(816, "订单当前状态不能自动确认收货"),
        },
    ],
    not_found: refusal(404, "订单不存在"),
    not_allowed: refusal(810, "您无权对该订单执行此操作"),
};

const fn refusal(code: u32, msg: &'static str) -> Refusal {
    Refusal { code, msg }
}

/// Unpaid orders placed at or before `$1` (Unix seconds), oldest first, at
/// most `$2`, locked; rows another instance holds are skipped.
pub const DUE_UNPAID: &str = "SELECT id FROM orders WHERE order_status = 0 \
     AND created_at <= to_timestamp($1) ORDER BY created_at, id LIMIT $2 FOR UPDATE SKIP LOCKED";

/// Shipped orders shipped at or before `$1`, as [`DUE_UNPAID`].
pub const DUE_SHIPPED: &str = "SELECT id FROM orders WHERE order_status = 2 \
     AND shipping_time <= to_timestamp($1) ORDER BY shipping_time, id LIMIT $2 FOR UPDATE SKIP LOCKED";

/// The mall order's timed jobs (docs/protocol.md §17).
pub const JOBS: [Job; 2] = [
    Job {
        name: "orders.close_unpaid",
        machine: &ORDER,
        action: "close",
        due: DUE_UNPAID,
        after_secs: |s| s.orders.close_unpaid_after_minutes * 60,
        then: None,
    },
    Job {
        name: "orders.auto_confirm",
        machine: &ORDER,
        action: "auto_confirm",
        due: DUE_SHIPPED,
        after_secs: |s| s.orders.auto_confirm_after_days * 86_400,
        then: None,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_jobs_are_well_declared_and_due_after_the_configured_times() {
        for job in &JOBS {
            job.check().unwrap();
        }
        let s = crate::config::Settings::default();
        assert_eq!((JOBS[0].after_secs)(&s), 30 * 60);
        assert_eq!((JOBS[1].after_secs)(&s), 7 * 86_400);
    }

    #[test]
    fn every_action_starts_and_ends_in_a_declared_state_with_its_own_code() {
        let known = |s: i16| ORDER.states.iter().any(|(k, _)| *k == s);
        let mut codes: Vec<u32> = vec![ORDER.not_found.code, ORDER.not_allowed.code];
        for a in ORDER.actions {
            assert!(
                a.from.iter().all(|s| known(*s)) && known(a.to),
                "{}",
                a.name
            );
            assert!(!a.by.is_empty(), "{}", a.name);
            codes.push(a.refusal.code);
        }
        let n = codes.len();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), n, "refusal codes are distinct");
    }
}
