//! consult orders (seed 001 §1.3, §1.4; §2.2 built as docs/protocol.md
//! §20.3): the buyer adds, pays, cancels (a paid order is refunded through
//! the payment driver) and deletes closed orders; the consultant accepts
//! and finishes. Every status change goes through the machine.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::account::CONSULTANT;
use super::machine::{self, BUYER, CLOSED, LIVE, PAID};
use super::post::not_found as post_not_found;
use crate::domain::Money;
use crate::handler::{ApiError, ApiResult, Ctx, Int, Reply, Text};
use crate::shared::machine::{Actor, Key, Machine, transition};
use crate::shared::pay::refund::Started;
use crate::shared::pay::{Subject, nonce};

/// The payment subject kind of consulting orders.
pub(super) const SUBJECT: &str = "consult_order";

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct AddParams {
    /// 发布的需求 ID（须是当前用户自己的需求）
    post_id: Int,
    /// 顾问的用户 ID（须有 consult.consultant 身份）
    consultant_id: Int,
    /// 订单价格（元，字符串 "300.00"，大于 0）
    price: Value,
    /// 忽略：订单号由服务端生成
    #[serde(default)]
    #[allow(dead_code)]
    order_no: Option<Value>,
    /// 忽略：创建时间由服务端记录
    #[serde(default)]
    #[allow(dead_code)]
    create_time: Option<Value>,
    /// 忽略：新订单总是待付款（0），状态只由状态机改变
    #[serde(default)]
    #[allow(dead_code)]
    status: Option<Value>,
}

/// consult.user.order.add: an unpaid order on the caller's own demand.
pub(super) async fn add(ctx: Ctx, p: AddParams) -> ApiResult<Reply> {
    let user = ctx.user()?.id;
    let price = Money::parse("price", &p.price)?;
    if price.cents() == 0 {
        return Err(ApiError::business("订单价格必须大于 0"));
    }
    let consultant = p.consultant_id.0;
    if consultant == user {
        return Err(ApiError::business("不能向自己下单"));
    }
    if !crate::shared::roles::has(ctx.stores(), consultant, CONSULTANT).await? {
        return Err(ApiError::business("顾问不存在"));
    }
    let now = ctx.now();
    let mut db = ctx.stores().pg().await?;
    let tx = db.transaction().await?;
    // The demand's row lock orders this against its deletion and other adds.
    tx.query_opt(
        "SELECT 1 FROM consult_posts WHERE id = $1 AND user_id = $2 AND deleted_at IS NULL FOR UPDATE",
        &[&p.post_id.0, &user],
    )
    .await?
    .ok_or_else(post_not_found)?;
    let live = tx
        .query_opt(
            "SELECT 1 FROM consult_orders WHERE post_id = $1 AND status = ANY($2) LIMIT 1",
            &[&p.post_id.0, &LIVE],
        )
        .await?;
    if live.is_some() {
        return Err(ApiError::business("该需求已有进行中的订单"));
    }
    let order_no = format!("C{now}{}", &nonce()[..12]);
    let id: i64 = tx
        .query_one(
            "INSERT INTO consult_orders (order_no, user_id, consultant_id, post_id, price, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, to_timestamp($6), to_timestamp($6)) RETURNING id",
            &[&order_no, &user, &consultant, &p.post_id.0, &price.to_decimal(), &(now as f64)],
        )
        .await?
        .get(0);
    tx.commit().await?;
    Reply::data("下单成功", &json!({"content": [id], "order_no": order_no}))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct OrderIdParams {
    /// 订单 ID（种子文档的字段名 post_id，含义为订单 id）
    post_id: Int,
}

/// consult.user.order.cancel: unpaid → cancelled; paid → refunded, the
/// payment refunded through the driver before the change commits.
pub(super) async fn cancel(ctx: Ctx, p: OrderIdParams) -> ApiResult<Reply> {
    let user = ctx.user()?.id;
    let id = p.post_id.0;
    let mut db = ctx.stores().pg().await?;
    let tx = db.transaction().await?;
    let status: Option<i16> = tx
        .query_opt(
            "SELECT status FROM consult_orders WHERE id = $1 AND user_id = $2 FOR UPDATE",
            &[&id, &user],
        )
        .await?
        .map(|r| r.get(0));
    let action = if status == Some(PAID) {
        "refund"
    } else {
        "cancel"
    };
    let t = transition(
        &tx,
        &BUYER,
        Key::Id(id),
        action,
        &Actor::Owner(user),
        ctx.now(),
    )
    .await?;
    // The payment is marked refunding in the same transaction: one
    // connection, one commit for both records.
    let refund = if action == "refund" {
        let subject = (SUBJECT, id);
        let payments = ctx.payments();
        Some(
            payments
                .start_refund_of(&tx, subject, None, "用户取消订单")
                .await?,
        )
    } else {
        None
    };
    tx.commit().await?;
    drop(db);
    if let Some(started) = &refund {
        ask_refund(&ctx, id, started).await?;
    }
    Reply::data(
        if refund.is_some() {
            "取消成功，已退款"
        } else {
            "取消成功"
        },
        &json!({"content": [], "status": t.to, "status_label": BUYER.label(t.to)}),
    )
}

/// Ask the driver for the refund (the sandbox's notice follows). When the
/// provider refuses, the order goes back to paid (`refund_failed`,
/// recorded like every transition) and the refusal is answered.
async fn ask_refund(ctx: &Ctx, id: i64, started: &Started) -> ApiResult<()> {
    if let Err(refused) = ctx.payments().finish_refund(started).await {
        let mut db = ctx.stores().pg().await?;
        let tx = db.transaction().await?;
        let actor = Actor::System("consult.refund_failed");
        transition(&tx, &BUYER, Key::Id(id), "refund_failed", &actor, ctx.now()).await?;
        tx.commit().await?;
        return Err(refused);
    }
    Ok(())
}

/// consult.user.order.delete: only a closed order (done, cancelled,
/// refunded), soft.
pub(super) async fn delete(ctx: Ctx, p: OrderIdParams) -> ApiResult<Reply> {
    let user = ctx.user()?.id;
    let db = ctx.stores().pg().await?;
    let row = db
        .query_opt(
            "SELECT status FROM consult_orders WHERE id = $1 AND user_id = $2 AND deleted_at IS NULL",
            &[&p.post_id.0, &user],
        )
        .await?
        .ok_or_else(|| BUYER.not_found.error())?;
    if !CLOSED.contains(&row.get::<_, i16>(0)) {
        return Err(ApiError::business("只能删除已完成、已取消或已退款的订单"));
    }
    // Conditional as well: a status can only move out of CLOSED by no action.
    db.execute(
        "UPDATE consult_orders SET deleted_at = to_timestamp($3) WHERE id = $1 AND user_id = $2 \
         AND status = ANY($4) AND deleted_at IS NULL",
        &[&p.post_id.0, &user, &(ctx.now() as f64), &CLOSED],
    )
    .await?;
    Reply::data("删除成功", &json!({"content": []}))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct ListParams {
    /// 订单状态：-1 全部（默认）；0 待付款、1 已付款、2 服务中、3 已完成、4 已取消、5 已退款
    #[serde(default = "any_status")]
    status: Int,
}

fn any_status() -> Int {
    Int(-1)
}

#[derive(Serialize)]
struct Order {
    order_id: i64,
    order_no: String,
    post_id: i64,
    title: String,
    user_id: i64,
    consultant_id: i64,
    price: Money,
    status: i16,
    status_label: &'static str,
    create_time: String,
}

/// The order list's statement for whose orders (`$1` the caller), written
/// out at compile time so each list is one constant text.
macro_rules! list_sql {
    ($whose:literal) => {
        concat!(
            "SELECT o.id, o.order_no, o.post_id, p.title, o.user_id, o.consultant_id, o.price, o.status, \
             extract(epoch FROM o.created_at)::bigint FROM consult_orders o \
             JOIN consult_posts p ON p.id = o.post_id WHERE ",
            $whose,
            " AND ($2::smallint = -1 OR o.status = $2) ORDER BY o.id DESC LIMIT 100"
        )
    };
}

/// consult.user.order.list: the buyer's orders (deleted ones hidden).
pub(super) async fn buyer_list(ctx: Ctx, p: ListParams) -> ApiResult<Reply> {
    list(
        &ctx,
        p,
        list_sql!("o.user_id = $1 AND o.deleted_at IS NULL"),
    )
    .await
}

/// consult.consultant.order.list: the orders placed with the consultant.
pub(super) async fn consultant_list(ctx: Ctx, p: ListParams) -> ApiResult<Reply> {
    list(&ctx, p, list_sql!("o.consultant_id = $1")).await
}

async fn list(ctx: &Ctx, p: ListParams, sql: &'static str) -> ApiResult<Reply> {
    let user = ctx.user()?.id;
    let status = i16::try_from(p.status.0)
        .ok()
        .filter(|s| (-1..=5).contains(s))
        .ok_or_else(|| ApiError::business("参数 status 不正确（-1 全部，0-5）"))?;
    // One read, no transaction: a shared connection (docs/protocol.md §24.3).
    let rows = ctx.stores().pg_rows(sql, &[&user, &status]).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let status: i16 = r.get(7);
        out.push(Order {
            order_id: r.get(0),
            order_no: r.get(1),
            post_id: r.get(2),
            title: r.get(3),
            user_id: r.get(4),
            consultant_id: r.get(5),
            price: Money::stored(r.get(6))?,
            status,
            status_label: BUYER.label(status),
            create_time: ctx.time_string(r.get(8)),
        });
    }
    Reply::data("success", &json!({"content": out}))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct ServiceParams {
    /// 订单 ID
    order_id: Int,
}

/// consult.consultant.order.accept: paid → in service.
pub(super) async fn accept(ctx: Ctx, p: ServiceParams) -> ApiResult<Reply> {
    serve(
        &ctx,
        &machine::CONSULTANT,
        p.order_id.0,
        "accept",
        "接单成功",
    )
    .await
}

/// consult.consultant.order.finish: in service → done.
pub(super) async fn finish(ctx: Ctx, p: ServiceParams) -> ApiResult<Reply> {
    serve(
        &ctx,
        &machine::CONSULTANT,
        p.order_id.0,
        "finish",
        "服务已完成",
    )
    .await
}

async fn serve(
    ctx: &Ctx,
    m: &Machine,
    id: i64,
    action: &str,
    msg: &'static str,
) -> ApiResult<Reply> {
    let actor = Actor::Owner(ctx.user()?.id);
    let mut db = ctx.stores().pg().await?;
    let tx = db.transaction().await?;
    let t = transition(&tx, m, Key::Id(id), action, &actor, ctx.now()).await?;
    tx.commit().await?;
    Reply::data(
        msg,
        &json!({"content": [], "status": t.to, "status_label": m.label(t.to)}),
    )
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct PayParams {
    /// 设备号（可不传）
    #[serde(default)]
    #[allow(dead_code)]
    device_info: Text,
    /// 商品描述，1-127 字
    body: Text,
    /// 附加数据（可不传）
    #[serde(default)]
    #[allow(dead_code)]
    attach: Text,
    /// 商户订单号：consult.user.order.add 返回的 order_no
    out_trade_no: Text,
    /// 总金额（元，字符串 "300.00"），须等于订单价格
    total_fee: Value,
    /// 终端 IP（可不传；以请求的客户端 IP 为准）
    #[serde(default)]
    #[allow(dead_code)]
    spbill_create_ip: Text,
}

/// consult.pay.init: open (or reuse) the payment of the caller's unpaid
/// order through the payment driver.
pub(super) async fn pay_init(ctx: Ctx, p: PayParams) -> ApiResult<Reply> {
    let user = ctx.user()?.id;
    let body = p.body.as_str().trim();
    if body.is_empty() || body.chars().count() > 127 {
        return Err(ApiError::business("参数 body 为 1-127 字"));
    }
    let fee = Money::parse("total_fee", &p.total_fee)?;
    let row = ctx
        .stores()
        .pg()
        .await?
        .query_opt(
            "SELECT id, status, price FROM consult_orders WHERE order_no = $1 AND user_id = $2",
            &[&p.out_trade_no.as_str().trim(), &user],
        )
        .await?
        .ok_or_else(|| BUYER.not_found.error())?;
    let (id, status): (i64, i16) = (row.get(0), row.get(1));
    if status != machine::UNPAID {
        return Err(ApiError::business("订单当前状态不能支付"));
    }
    let amount = Money::stored(row.get(2))?;
    if fee != amount {
        return Err(ApiError::business("total_fee 与订单金额不符"));
    }
    let subject = Subject {
        kind: SUBJECT,
        id,
        user_id: user,
        amount,
        description: body,
    };
    let opened = ctx.payments().open(&subject, None).await?;
    Reply::data("success", &opened)
}
