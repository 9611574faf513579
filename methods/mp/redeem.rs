//! mp.merchant.redeem: the merchant side's 核销 (docs/protocol.md §23.7),
//! from a back-office appid (the merchants' terminal). A code is used once;
//! the order is done (7 已完成) when its last unused code is redeemed.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use super::machines::{CODE_UNUSED, MP_CODE, MP_ORDER};
use crate::config::apps::AppKind;
use crate::handler::{ApiError, ApiResult, Ctx, Int, Reply, Text, code};
use crate::shared::machine::{Actor, Key, transition};

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct RedeemParams {
    /// 商家 ID
    merchant_id: Int,
    /// 核销码
    verify_code: Text,
}

pub(super) async fn redeem(ctx: Ctx, p: RedeemParams) -> ApiResult<Reply> {
    let appid = ctx.caller.appid.clone();
    if ctx.config.apps.get(&appid).map(|a| a.kind) != Some(AppKind::Admin) {
        return Err(ApiError::new(code::FORBIDDEN, "您没有权限访问该接口"));
    }
    let verify_code = p.verify_code.as_str().trim();
    let now = ctx.now();
    let mut db = ctx.stores().pg().await?;
    let tx = db.transaction().await?;
    // The order's row first, as a refund locks it: a code is never
    // redeemed and refunded at once.
    let order = tx
        .query_opt(
            "SELECT o.id, o.order_no FROM mp_order_items i JOIN mp_orders o ON o.id = i.order_id \
             WHERE i.verify_code = $1 AND o.merchant_id = $2 FOR UPDATE OF o",
            &[&verify_code, &p.merchant_id.0],
        )
        .await?
        .ok_or_else(|| MP_CODE.not_found.error())?;
    let (order_id, order_no): (i64, String) = (order.get(0), order.get(1));
    let actor = Actor::Admin(appid);
    let t = transition(&tx, &MP_CODE, Key::Code(verify_code), "redeem", &actor, now).await?;
    let left: i64 = tx
        .query_one(
            "SELECT count(*) FROM mp_order_items WHERE order_id = $1 AND status = $2",
            &[&order_id, &CODE_UNUSED],
        )
        .await?
        .get(0);
    let order_status: i16 = if left == 0 {
        transition(&tx, &MP_ORDER, Key::Id(order_id), "finish", &actor, now)
            .await?
            .to
    } else {
        super::machines::PAID
    };
    tx.commit().await?;
    Reply::data(
        "核销成功",
        &json!({"id": t.record_id, "order_id": order_id, "order_no": order_no,
                "verify_code": verify_code, "status": t.to, "order_status": order_status}),
    )
}
