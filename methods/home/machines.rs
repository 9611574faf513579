//! The home-services machines (seed 000 慕慕到家, docs/protocol.md §22):
//! a service's review and publication, a booking seen by its publisher and
//! by its consumer, and a refund seen by both; every refusal is the seed's
//! `error_code` with its message.

use crate::shared::machine::{Action, By, Machine, Refusal};

/// The seed's error codes (附录 错误码) the product answers.
pub mod code {
    pub const PARAMS: u32 = 10000;
    pub const NO_FILE: u32 = 10003;
    pub const BAD_EXTENSION: u32 = 10004;
    pub const TOO_MANY_FILES: u32 = 10005;
    pub const TOO_LARGE: u32 = 10006;
    pub const SAVE_FAILED: u32 = 10007;
    pub const FAILED: u32 = 10009;
    pub const FORBIDDEN: u32 = 10010;
    pub const NOT_PUBLISHED: u32 = 10011;
    pub const ORDER_NOT_YOURS: u32 = 10012;
    pub const REFUND_OPEN: u32 = 10013;
    pub const REFUND_NOT_PUBLISHER: u32 = 10014;
    pub const PUBLISHER_DECIDES_ONLY: u32 = 10015;
    pub const REFUND_FAILED: u32 = 10016;
    pub const ORDER_UPDATE_FAILED: u32 = 10017;
    pub const RATE_OWN: u32 = 10018;
    pub const RATE_NOT_CONSUMER: u32 = 10019;
    pub const RATE_MISMATCH: u32 = 10020;
    pub const RATED: u32 = 10021;
    pub const RATE_FAILED: u32 = 10022;
    pub const REFUND_NOT_ALLOWED: u32 = 10023;
    pub const NOT_CONSUMER: u32 = 10024;
}

const fn r(code: u32, msg: &'static str) -> Refusal {
    Refusal { code, msg }
}

/// The seed's 10008 访问的资源不存在, answered as the protocol's 404.
pub const NOT_FOUND: Refusal = r(404, "访问的资源不存在");
pub const FORBIDDEN: Refusal = r(code::FORBIDDEN, "请求权限不足");
pub const FAILED: Refusal = r(code::FAILED, "操作失败");
pub const NOT_PUBLISHED: Refusal = r(code::NOT_PUBLISHED, "目标服务不在已发布状态");
pub const ORDER_NOT_YOURS: Refusal = r(code::ORDER_NOT_YOURS, "没有权限修改该订单");
pub const REFUND_OPEN: Refusal = r(code::REFUND_OPEN, "同一订单存在尚未完结的退款申请");
pub const REFUND_NOT_PUBLISHER: Refusal = r(
    code::REFUND_NOT_PUBLISHER,
    "没有权限同意或拒绝该订单的退款申请",
);
pub const PUBLISHER_DECIDES_ONLY: Refusal = r(
    code::PUBLISHER_DECIDES_ONLY,
    "服务提供者只允许操作同意或拒绝退款申请",
);
pub const REFUND_FAILED: Refusal = r(code::REFUND_FAILED, "退款申请处理失败");
pub const ORDER_UPDATE_FAILED: Refusal = r(code::ORDER_UPDATE_FAILED, "订单状态更新失败");
pub const RATE_OWN: Refusal = r(code::RATE_OWN, "服务提供者不能给自己的服务评价");
pub const RATE_NOT_CONSUMER: Refusal =
    r(code::RATE_NOT_CONSUMER, "评价关联订单的消费者不是当前用户");
pub const RATE_MISMATCH: Refusal = r(code::RATE_MISMATCH, "待评价服务与订单关联服务信息不符");
pub const RATED: Refusal = r(code::RATED, "您已评价过该订单");
pub const RATE_FAILED: Refusal = r(code::RATE_FAILED, "订单评价失败");
pub const REFUND_NOT_ALLOWED: Refusal =
    r(code::REFUND_NOT_ALLOWED, "未支付或已确认的订单不允许退款");
pub const NOT_CONSUMER: Refusal = r(code::NOT_CONSUMER, "该订单消费者不是当前请求用户");

/// 服务状态枚举.
pub mod service_status {
    pub const PENDING: i16 = 0;
    pub const UNPUBLISHED: i16 = 1;
    pub const PUBLISHED: i16 = 2;
    pub const OFF_SHELVES: i16 = 3;
    pub const CANCELLED: i16 = 4;
    pub const DENIED: i16 = 5;
}

use service_status as s;

/// A service: the publisher publishes, pauses, cancels and edits it (an
/// edit sends it back to review); the back office reviews and takes down.
pub const SERVICE: Machine = Machine {
    name: "home_service",
    table: "home_services",
    id_column: "id",
    code_column: "id",
    status_column: "status",
    owner_column: "publisher_id",
    updated_column: "updated_at",
    states: &[
        (s::PENDING, "待审核"),
        (s::UNPUBLISHED, "待发布"),
        (s::PUBLISHED, "已发布"),
        (s::OFF_SHELVES, "已下架"),
        (s::CANCELLED, "已取消"),
        (s::DENIED, "审核不通过"),
    ],
    actions: &[
        Action {
            name: "approve",
            from: &[s::PENDING],
            to: s::UNPUBLISHED,
            by: &[By::Admin],
            stamps: &["reviewed_at"],
            refusal: FAILED,
        },
        Action {
            name: "deny",
            from: &[s::PENDING],
            to: s::DENIED,
            by: &[By::Admin],
            stamps: &["reviewed_at"],
            refusal: FAILED,
        },
        Action {
            name: "take_down",
            from: &[s::PUBLISHED, s::UNPUBLISHED],
            to: s::OFF_SHELVES,
            by: &[By::Admin],
            stamps: &[],
            refusal: FAILED,
        },
        Action {
            name: "publish",
            from: &[s::UNPUBLISHED],
            to: s::PUBLISHED,
            by: &[By::Owner],
            stamps: &["published_at"],
            refusal: FAILED,
        },
        Action {
            name: "unpublish",
            from: &[s::PUBLISHED],
            to: s::UNPUBLISHED,
            by: &[By::Owner],
            stamps: &[],
            refusal: FAILED,
        },
        Action {
            name: "cancel",
            from: &[
                s::PENDING,
                s::UNPUBLISHED,
                s::PUBLISHED,
                s::OFF_SHELVES,
                s::DENIED,
            ],
            to: s::CANCELLED,
            by: &[By::Owner],
            stamps: &["cancelled_at"],
            refusal: FAILED,
        },
        Action {
            name: "edit",
            from: &[
                s::PENDING,
                s::UNPUBLISHED,
                s::PUBLISHED,
                s::OFF_SHELVES,
                s::DENIED,
            ],
            to: s::PENDING,
            by: &[By::Owner],
            stamps: &["edited_at"],
            refusal: FAILED,
        },
    ],
    not_found: NOT_FOUND,
    not_allowed: FORBIDDEN,
};

/// 预约订单状态枚举.
pub mod order_status {
    pub const UNAPPROVED: i16 = 0;
    pub const UNPAID: i16 = 1;
    pub const UNCONFIRMED: i16 = 2;
    pub const UNRATED: i16 = 3;
    pub const COMPLETED: i16 = 4;
    pub const CANCELLED: i16 = 5;
    pub const REJECTED: i16 = 6;
}

use order_status as o;

const ORDER_STATES: &[(i16, &str)] = &[
    (o::UNAPPROVED, "待同意"),
    (o::UNPAID, "待支付"),
    (o::UNCONFIRMED, "待确认"),
    (o::UNRATED, "待评价"),
    (o::COMPLETED, "已完成"),
    (o::CANCELLED, "已取消"),
    (o::REJECTED, "已拒绝"),
];

/// A booking seen by the service's publisher: agree or reject it.
pub const ORDER_PUBLISHER: Machine = Machine {
    name: "home_order",
    table: "home_orders",
    id_column: "id",
    code_column: "id",
    status_column: "status",
    owner_column: "publisher_id",
    updated_column: "updated_at",
    states: ORDER_STATES,
    actions: &[
        Action {
            name: "agree",
            from: &[o::UNAPPROVED],
            to: o::UNPAID,
            by: &[By::Owner],
            stamps: &["agreed_at"],
            refusal: ORDER_UPDATE_FAILED,
        },
        Action {
            name: "reject",
            from: &[o::UNAPPROVED],
            to: o::REJECTED,
            by: &[By::Owner],
            stamps: &["rejected_at"],
            refusal: ORDER_UPDATE_FAILED,
        },
    ],
    not_found: NOT_FOUND,
    not_allowed: ORDER_NOT_YOURS,
};

/// A booking seen by its consumer: pay (the payment's verified notice),
/// confirm, rate (home.rating.create), cancel before paying; `refunded`
/// closes it when its refund has been paid back.
pub const ORDER_CONSUMER: Machine = Machine {
    name: "home_order",
    table: "home_orders",
    id_column: "id",
    code_column: "id",
    status_column: "status",
    owner_column: "consumer_id",
    updated_column: "updated_at",
    states: ORDER_STATES,
    actions: &[
        Action {
            name: "pay",
            from: &[o::UNPAID],
            to: o::UNCONFIRMED,
            by: &[By::Payment],
            stamps: &["paid_at"],
            refusal: ORDER_UPDATE_FAILED,
        },
        Action {
            name: "confirm",
            from: &[o::UNCONFIRMED],
            to: o::UNRATED,
            by: &[By::Owner],
            stamps: &["confirmed_at"],
            refusal: ORDER_UPDATE_FAILED,
        },
        Action {
            name: "rate",
            from: &[o::UNRATED],
            to: o::COMPLETED,
            by: &[By::Owner],
            stamps: &["rated_at"],
            refusal: RATE_FAILED,
        },
        Action {
            name: "cancel",
            from: &[o::UNAPPROVED, o::UNPAID],
            to: o::CANCELLED,
            by: &[By::Owner],
            stamps: &["cancelled_at"],
            refusal: ORDER_UPDATE_FAILED,
        },
        Action {
            name: "refunded",
            from: &[o::UNCONFIRMED],
            to: o::CANCELLED,
            by: &[By::System],
            stamps: &["cancelled_at"],
            refusal: ORDER_UPDATE_FAILED,
        },
    ],
    not_found: NOT_FOUND,
    not_allowed: ORDER_NOT_YOURS,
};

/// 退款订单状态枚举.
pub mod refund_status {
    pub const UNAPPROVED: i16 = 0;
    pub const AGREED: i16 = 1;
    pub const REFUNDED: i16 = 2;
    pub const COMPLETED: i16 = 3;
    pub const REJECTED: i16 = 4;
    pub const CANCELLED: i16 = 5;
}

use refund_status as rf;

const REFUND_STATES: &[(i16, &str)] = &[
    (rf::UNAPPROVED, "待同意"),
    (rf::AGREED, "已同意"),
    (rf::REFUNDED, "已退款"),
    (rf::COMPLETED, "已完成"),
    (rf::REJECTED, "已拒绝"),
    (rf::CANCELLED, "已取消"),
];

/// A refund seen by the service's publisher: agree (the money goes back
/// through the payment driver: `refunded` once the provider took the
/// refund, `refund_failed` back to 待同意 when it refused) or reject.
pub const REFUND_PUBLISHER: Machine = Machine {
    name: "home_refund",
    table: "home_refunds",
    id_column: "id",
    code_column: "id",
    status_column: "status",
    owner_column: "publisher_id",
    updated_column: "updated_at",
    states: REFUND_STATES,
    actions: &[
        Action {
            name: "agree",
            from: &[rf::UNAPPROVED],
            to: rf::AGREED,
            by: &[By::Owner],
            stamps: &["agreed_at"],
            refusal: REFUND_FAILED,
        },
        Action {
            name: "reject",
            from: &[rf::UNAPPROVED],
            to: rf::REJECTED,
            by: &[By::Owner],
            stamps: &["rejected_at"],
            refusal: REFUND_FAILED,
        },
        Action {
            name: "refunded",
            from: &[rf::AGREED],
            to: rf::REFUNDED,
            by: &[By::System],
            stamps: &["refunded_at"],
            refusal: REFUND_FAILED,
        },
        Action {
            name: "refund_failed",
            from: &[rf::AGREED],
            to: rf::UNAPPROVED,
            by: &[By::System],
            stamps: &[],
            refusal: REFUND_FAILED,
        },
    ],
    not_found: NOT_FOUND,
    not_allowed: REFUND_NOT_PUBLISHER,
};

/// A refund seen by the consumer who asked for it: cancel it while it
/// waits, confirm the money has come back.
pub const REFUND_CONSUMER: Machine = Machine {
    name: "home_refund",
    table: "home_refunds",
    id_column: "id",
    code_column: "id",
    status_column: "status",
    owner_column: "consumer_id",
    updated_column: "updated_at",
    states: REFUND_STATES,
    actions: &[
        Action {
            name: "cancel",
            from: &[rf::UNAPPROVED],
            to: rf::CANCELLED,
            by: &[By::Owner],
            stamps: &["cancelled_at"],
            refusal: REFUND_FAILED,
        },
        Action {
            name: "confirm",
            from: &[rf::REFUNDED],
            to: rf::COMPLETED,
            by: &[By::Owner],
            stamps: &["completed_at"],
            refusal: REFUND_FAILED,
        },
    ],
    not_found: NOT_FOUND,
    not_allowed: PUBLISHER_DECIDES_ONLY,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_starts_and_ends_in_a_declared_state() {
        for m in [
            &SERVICE,
            &ORDER_PUBLISHER,
            &ORDER_CONSUMER,
            &REFUND_PUBLISHER,
            &REFUND_CONSUMER,
        ] {
            let known = |st: i16| m.states.iter().any(|(k, _)| *k == st);
            for a in m.actions {
                assert!(
                    a.from.iter().all(|st| known(*st)) && known(a.to),
                    "{} {}",
                    m.name,
                    a.name
                );
                assert!((10000..=10028).contains(&a.refusal.code), "{}", a.name);
            }
        }
    }

    #[test]
    fn a_booking_can_be_refunded_only_while_it_waits_for_confirmation() {
        let refunded = ORDER_CONSUMER.action("refunded");
        assert_eq!(refunded.from, &[order_status::UNCONFIRMED]);
        assert_eq!(ORDER_CONSUMER.action("pay").by, &[By::Payment]);
    }
}
