//! The supplier back office (docs/protocol.md §21.3; admin appids only):
//! make an account a supplier, certify it, give it specs, place its orders
//! (the buyers' mall is outside seed 002) and move the deliveries its
//! picker and courier make, through the supplier order machine.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::machine::{PAID, SUPPLIER_ORDER, TO_CONFIRM};
use super::{FAILED, PRODUCT, ROLE, back_office};
use crate::domain::Money;
use crate::handler::{ApiError, ApiResult, Ctx, Int, Reply, Text};
use crate::shared::machine::{Actor, Key, transition};

/// The back office's order steps: method, machine action, message, summary.
pub(super) const STEPS: &[(&str, &str, &str, &str)] = &[
    (
        "supplier.delivery.pick",
        "pick",
        "拣货完成",
        "拣货完成（后台，拣货员）：待发货（1）或已修改（4）→ 11。",
    ),
    (
        "supplier.delivery.accept",
        "courier_accept",
        "配送员已接单",
        "配送员接单（后台，配送员）：11 → 12。",
    ),
    (
        "supplier.delivery.fetch",
        "courier_fetch",
        "配送员已取货",
        "配送员取货（后台，配送员）：12 → 13。",
    ),
    (
        "supplier.delivery.finish",
        "finish",
        "订单已完成",
        "送达完成（后台，配送员）：13 → 21 待评价。",
    ),
    (
        "supplier.delivery.review",
        "review",
        "订单已评价",
        "已评价（后台，评价来自种子之外的买家端）：21 → 22。",
    ),
    (
        "supplier.order.close",
        "close",
        "订单已取消",
        "取消订单（后台）：0、1、2、3、4 → 30 交易关闭；已发货或已完成的订单不能取消。",
    ),
];

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct AddParams {
    /// 账号 id
    user_id: Int,
    /// 供应商名称
    title: Text,
}

pub(super) async fn add(ctx: Ctx, p: AddParams) -> ApiResult<Reply> {
    back_office(&ctx)?;
    let title = p.title.as_str().trim();
    if title.is_empty() || title.chars().count() > 100 {
        return Err(ApiError::new(FAILED, "供应商名称须为 1-100 个字"));
    }
    let mut db = ctx.stores().pg().await?;
    let tx = db.transaction().await?;
    if tx
        .query_opt(
            "SELECT 1 FROM users WHERE id = $1 FOR SHARE",
            &[&p.user_id.0],
        )
        .await?
        .is_none()
    {
        return Err(ApiError::not_found("用户不存在"));
    }
    let n = tx
        .execute(
            "INSERT INTO suppliers (user_id, title) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[&p.user_id.0, &title],
        )
        .await?;
    if n == 0 {
        return Err(ApiError::new(FAILED, "该账号已是供应商"));
    }
    tx.execute(
        "INSERT INTO user_roles (user_id, product, role) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        &[&p.user_id.0, &PRODUCT, &ROLE],
    )
    .await?;
    tx.commit().await?;
    Ok(Reply::empty("请求成功"))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct CertifyParams {
    /// 供应商的账号 id
    user_id: Int,
}

pub(super) async fn certify(ctx: Ctx, p: CertifyParams) -> ApiResult<Reply> {
    back_office(&ctx)?;
    let db = ctx.stores().pg().await?;
    let row = db
        .query_opt(
            "WITH s AS (SELECT user_id, certified_at FROM suppliers WHERE user_id = $1 FOR UPDATE), \
             u AS (UPDATE suppliers SET certified_at = to_timestamp($2) \
             WHERE user_id = $1 AND certified_at IS NULL RETURNING 1) \
             SELECT (SELECT count(*) FROM u) FROM s",
            &[&p.user_id.0, &(ctx.now() as f64)],
        )
        .await?
        .ok_or_else(|| ApiError::not_found("供应商不存在"))?;
    if row.get::<_, i64>(0) == 0 {
        return Err(ApiError::new(FAILED, "该供应商已认证"));
    }
    Ok(Reply::empty("请求成功"))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct SpecParams {
    /// 供应商的账号 id
    supplier_id: Int,
    /// 商品 ID
    good_id: Int,
    /// 商品名
    good_title: Text,
    /// 商品图片
    #[serde(default)]
    good_litpic: Text,
    /// 单位
    name: Text,
    /// 单价，如 "0.01"
    price: Text,
}

#[derive(Serialize)]
struct Created {
    id: i64,
}

pub(super) async fn spec_add(ctx: Ctx, p: SpecParams) -> ApiResult<Reply> {
    back_office(&ctx)?;
    let price = Money::parse_str("price", p.price.as_str().trim())?;
    let (title, name) = (p.good_title.as_str().trim(), p.name.as_str().trim());
    if title.is_empty()
        || title.chars().count() > 100
        || name.is_empty()
        || name.chars().count() > 50
    {
        return Err(ApiError::new(
            FAILED,
            "商品名（1-100 字）与单位（1-50 字）不能为空",
        ));
    }
    let row = ctx
        .stores()
        .pg()
        .await?
        .query_opt(
            "INSERT INTO supplier_specs (supplier_id, good_id, good_title, good_litpic, name, price) \
             SELECT user_id, $2, $3, $4, $5, $6 FROM suppliers WHERE user_id = $1 RETURNING id",
            &[&p.supplier_id.0, &p.good_id.0, &title, &p.good_litpic.as_str(), &name, &price.to_decimal()],
        )
        .await?
        .ok_or_else(|| ApiError::not_found("供应商不存在"))?;
    Reply::data("请求成功", &Created { id: row.get(0) })
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct OrderParams {
    /// 规格 id（supplier.admin.spec.add 返回的 id）
    spec_id: Int,
    /// 购买数量（1-9999）
    buy_number: Int,
    /// 1 预付款订单（默认），0 普通订单
    #[serde(default = "advance")]
    advance: Int,
}

fn advance() -> Int {
    Int(1)
}

#[derive(Serialize)]
struct Placed {
    order_sn: String,
    status: i16,
}

pub(super) async fn order_add(ctx: Ctx, p: OrderParams) -> ApiResult<Reply> {
    back_office(&ctx)?;
    let number = i32::try_from(p.buy_number.0)
        .ok()
        .filter(|n| (1..=9999).contains(n))
        .ok_or_else(|| ApiError::new(FAILED, "购买数量须为 1-9999"))?;
    let status = match p.advance.0 {
        1 => TO_CONFIRM,
        0 => PAID,
        _ => {
            return Err(ApiError::new(
                FAILED,
                "参数 advance 不正确（1 预付款、0 普通）",
            ));
        }
    };
    let now = ctx.now();
    let stamp = ctx.time_string(now).replace(['-', ' ', ':'], "");
    let sn = format!("S{stamp}{:06}", rand::random::<u32>() % 1_000_000);
    let mut db = ctx.stores().pg().await?;
    let tx = db.transaction().await?;
    let placed = tx
        .query_opt(
            "WITH o AS (INSERT INTO supplier_orders (order_sn, supplier_id, status, total_number, \
             total_amount, created_at, updated_at) SELECT $2, supplier_id, $3, $4::integer, price * $4::integer, \
             to_timestamp($5), to_timestamp($5) FROM supplier_specs WHERE id = $1 RETURNING id) \
             INSERT INTO supplier_order_items (order_id, good_id, good_title, good_litpic, buy_number, \
             spec_name, price) SELECT o.id, s.good_id, s.good_title, s.good_litpic, $4::integer, s.name, s.price \
             FROM o, supplier_specs s WHERE s.id = $1 RETURNING order_id",
            &[&p.spec_id.0, &sn, &status, &number, &(now as f64)],
        )
        .await?;
    if placed.is_none() {
        return Err(ApiError::not_found("规格不存在"));
    }
    tx.commit().await?;
    Reply::data(
        "请求成功",
        &Placed {
            order_sn: sn,
            status,
        },
    )
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct StepParams {
    /// 订单号
    order_sn: Text,
}

#[derive(Serialize)]
struct Moved {
    order_sn: String,
    status: i16,
    status_string: &'static str,
}

pub(super) async fn step(
    ctx: Ctx,
    p: StepParams,
    action: &'static str,
    msg: &'static str,
) -> ApiResult<Reply> {
    back_office(&ctx)?;
    let sn = p.order_sn.as_str().trim();
    let actor = Actor::Admin(ctx.caller.appid.clone());
    let mut db = ctx.stores().pg().await?;
    let tx = db.transaction().await?;
    let t = transition(
        &tx,
        &SUPPLIER_ORDER,
        Key::Code(sn),
        action,
        &actor,
        ctx.now(),
    )
    .await?;
    tx.commit().await?;
    let moved = Moved {
        order_sn: sn.to_string(),
        status: t.to,
        status_string: SUPPLIER_ORDER.label(t.to),
    };
    Reply::data(msg, &moved)
}
