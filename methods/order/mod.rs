//! order.*: the user's mall orders (docs/methods.md). Only the caller's own
//! orders are ever listed, moved or paid; every move goes through the
//! order machine (docs/protocol.md §16.2), paying through the payment
//! driver (docs/protocol.md, "Payments").

pub mod machine;

use chrono::TimeZone;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tokio_postgres::types::ToSql;

use crate::config::apps::AppKind;
use crate::domain::Money;
use crate::handler::Ctx;
use crate::handler::Reply;
use crate::handler::dialect::GATEWAY;
use crate::handler::paging::Paged;
use crate::handler::{ApiError, ApiResult};
use crate::handler::{DateTimeText, Int, Text};
use crate::handler::{Method, Registry};
use crate::shared::machine::{Actor, Key, transition};
use crate::shared::pay::Subject;
use machine::ORDER;

/// Register the order namespace.
pub fn register(r: &mut Registry) {
    for job in machine::JOBS {
        r.job(job);
    }
    r.add(
        Method::new("order.list", "1.0.0")
            .user()
            .summary("订单列表：当前用户的订单，新的在前，每页 20 条。筛选：order_sn（空为全部）、order_status（-1 全部；0 待付款、1 待发货、2 已发货、3 交易成功、4 已关闭）、下单时间 start_time / end_time（\"Y-m-d H:i:s\"，空为不限）。"),
        list,
    );
    r.add(
        Method::new("order.cancel", "1.0.0")
            .user()
            .write()
            .req_token(false)
            .refuses(ORDER.refusals("cancel"))
            .summary("取消订单（种子文档未定义，按用户预期设计）：当前用户的待付款订单 → 已关闭，记录 closed_time。返回 order_sn、order_status、order_status_label。"),
        cancel,
    );
    r.add(
        Method::new("order.confirm", "1.0.0")
            .user()
            .write()
            .req_token(false)
            .refuses(ORDER.refusals("confirm"))
            .summary("确认收货（种子文档未定义，按用户预期设计）：当前用户的已发货订单 → 交易成功，记录 done_time。返回同 order.cancel。"),
        confirm,
    );
    r.add(
        Method::new("order.ship", "1.0.0")
            .write()
            .req_token(false)
            .refuses(ORDER.refusals("ship"))
            .summary("发货（后台，仅 admin 类型的 appid；种子文档未定义）：待发货订单 → 已发货，记录 shipping_time。返回同 order.cancel。"),
        ship,
    );
    r.add(
        Method::new("order.pay", "1.0.0")
            .user()
            .write()
            .req_token(false)
            .summary("支付订单：仅本人的待付款（0）订单。创建支付单（金额为订单总额，字符串 \"399.00\"），返回 out_trade_no、amount 与 pay（wx.requestPayment 所需的 appId、timeStamp、nonceStr、package、signType、paySign）。未过期的支付单重复调用返回同一支付单。支付结果由支付通知回调确认，订单随之变为待发货（1）。订单不存在 404；状态不是待付款 503。"),
        pay,
    );
    // A payment moves the order 0 待付款 → 1 待发货 (`pay_time`), recorded
    // like every transition; a cancelled or closed order refuses it.
    r.on_paid(ORDER_SUBJECT, &ORDER, None);
}

/// The subject kind of mall-order payments.
const ORDER_SUBJECT: &str = "order";

#[derive(Debug, Deserialize, JsonSchema)]
struct ListParams {
    /// 订单号，默认空字符串
    #[serde(default)]
    order_sn: Text,
    /// 订单状态，默认 -1（全部）
    #[serde(default = "any_status")]
    order_status: Int,
    /// 起始下单时间 Y-m-d H:i:s（1970-9999 年），默认空字符串（不限）
    #[serde(default)]
    start_time: DateTimeText,
    /// 截止下单时间 Y-m-d H:i:s（1970-9999 年），默认空字符串（不限）
    #[serde(default)]
    end_time: DateTimeText,
    /// 页码，默认 1
    #[serde(default = "first_page")]
    page: Int,
}

fn any_status() -> Int {
    Int(-1)
}

fn first_page() -> Int {
    Int(1)
}

/// An order of the list, its text borrowed from the rows it was read from:
/// the answer is written before they are dropped.
#[derive(Serialize)]
struct Order<'r> {
    orderid: i64,
    order_sn: &'r str,
    total_price: i32,
    pay_time: Option<String>,
    order_status: i16,
    shipping_time: Option<String>,
    done_time: Option<String>,
    closed_time: Option<String>,
    receiver_name: &'r str,
    receiver_province: &'r str,
    receiver_city: &'r str,
    receiver_district: &'r str,
    receiver_street: &'r str,
    receiver_address: &'r str,
    receiver_mobile: &'r str,
    c_time: String,
    order_status_label: &'r str,
    goods_list: Vec<Item<'r>>,
}

#[derive(Serialize)]
struct Item<'r> {
    goodsid: i64,
    goods_name: &'r str,
    goods_image: &'r str,
    productid: i64,
    spec_val: &'r str,
    market_price: i32,
    sales_price: i32,
    quantity: i32,
    payment_price: i32,
    total_price: i32,
}

/// A time filter as Unix seconds in the configured timezone; `None` is no
/// bound. The type has checked the format and the years already.
fn bound(ctx: &Ctx, time: DateTimeText) -> Option<i64> {
    let tz = ctx.config.settings.timezone.0;
    time.0
        .and_then(|naive| tz.from_local_datetime(&naive).single())
        .map(|t| t.timestamp())
}

/// order.list's filter, for the page and for its total (a macro, so that
/// the statement is one literal built at compile time, not per request).
macro_rules! filter {
    () => {
        "o.user_id = $1 AND ($2 = '' OR o.order_sn = $2) AND ($3::smallint = -1 OR o.order_status = $3) \
         AND ($4::bigint IS NULL OR o.created_at >= to_timestamp($4)) \
         AND ($5::bigint IS NULL OR o.created_at <= to_timestamp($5))"
    };
}

/// The count, the page and its items in one statement: one snapshot, one
/// round trip, one answer for PostgreSQL to send. `total` is joined on so
/// that an empty page still gives one row (of NULLs) to read it from.
const LIST: &str = concat!(
    "WITH page AS (SELECT o.id, o.order_sn, o.total_price, extract(epoch FROM o.pay_time)::bigint AS pay_time, \
     o.order_status, extract(epoch FROM o.shipping_time)::bigint AS shipping_time, \
     extract(epoch FROM o.done_time)::bigint AS done_time, extract(epoch FROM o.closed_time)::bigint AS closed_time, \
     o.receiver_name, o.receiver_province, o.receiver_city, o.receiver_district, o.receiver_street, \
     o.receiver_address, o.receiver_mobile, o.created_at, s.label \
     FROM orders o JOIN order_statuses s ON s.status = o.order_status \
     WHERE ",
    filter!(),
    " ORDER BY o.created_at DESC, o.id DESC LIMIT $6 OFFSET $7), \
     total AS (SELECT count(*) AS n FROM orders o WHERE ",
    filter!(),
    ") SELECT p.id, p.order_sn, p.total_price, p.pay_time, p.order_status, p.shipping_time, p.done_time, \
     p.closed_time, p.receiver_name, p.receiver_province, p.receiver_city, p.receiver_district, \
     p.receiver_street, p.receiver_address, p.receiver_mobile, extract(epoch FROM p.created_at)::bigint, p.label, \
     i.goods_id, i.goods_name, i.goods_image, i.product_id, i.spec_val, i.market_price, i.sales_price, \
     i.quantity, i.payment_price, i.total_price, t.n \
     FROM total t LEFT JOIN (page p LEFT JOIN order_items i ON i.order_id = p.id) ON true \
     ORDER BY p.created_at DESC, p.id DESC, i.id"
);

async fn list(ctx: Ctx, p: ListParams) -> ApiResult<Reply> {
    let user = ctx.user()?.id;
    let status = i16::try_from(p.order_status.0)
        .ok()
        .filter(|s| (-1..=4).contains(s))
        .ok_or_else(|| ApiError::business("参数 order_status 不正确（-1 全部，0-4）"))?;
    let (start, end) = (bound(&ctx, p.start_time), bound(&ctx, p.end_time));
    let page = GATEWAY.page(Some(p.page.0), None)?;
    let sn = p.order_sn.as_str().trim();
    let (limit, offset) = (page.limit(), page.offset());
    let paged: [&(dyn ToSql + Sync); 7] = [&user, &sn, &status, &start, &end, &limit, &offset];
    let rows = ctx.stores().pg_rows(LIST, &paged).await?;
    let total: i64 = rows.first().map_or(0, |r| r.get(27));
    let time = |v: Option<i64>| v.map(|t| ctx.time_string(t));
    // One row per item (an order without items has one row of NULLs),
    // orders in page order: each order starts where its id changes.
    let mut list: Vec<Order> = Vec::new();
    for r in &rows {
        let Some(id) = r.get::<_, Option<i64>>(0) else {
            continue; // the page is empty: only the total's row
        };
        if list.last().is_none_or(|o| o.orderid != id) {
            list.push(Order {
                orderid: id,
                order_sn: r.get(1),
                total_price: r.get(2),
                pay_time: time(r.get(3)),
                order_status: r.get(4),
                shipping_time: time(r.get(5)),
                done_time: time(r.get(6)),
                closed_time: time(r.get(7)),
                receiver_name: r.get(8),
                receiver_province: r.get(9),
                receiver_city: r.get(10),
                receiver_district: r.get(11),
                receiver_street: r.get(12),
                receiver_address: r.get(13),
                receiver_mobile: r.get(14),
                c_time: ctx.time_string(r.get(15)),
                order_status_label: r.get(16),
                goods_list: Vec::new(),
            });
        }
        if let (Some(order), Some(goodsid)) = (list.last_mut(), r.get::<_, Option<i64>>(17)) {
            order.goods_list.push(Item {
                goodsid,
                goods_name: r.get(18),
                goods_image: r.get(19),
                productid: r.get(20),
                spec_val: r.get(21),
                market_price: r.get(22),
                sales_price: r.get(23),
                quantity: r.get(24),
                payment_price: r.get(25),
                total_price: r.get(26),
            });
        }
    }
    Reply::data("success", &Paged::new(list, total, page))
}

#[derive(Debug, Deserialize, JsonSchema)]
struct ActionParams {
    /// 订单号
    order_sn: Text,
}

#[derive(Serialize)]
struct Moved {
    order_sn: String,
    order_status: i16,
    order_status_label: &'static str,
}

async fn cancel(ctx: Ctx, p: ActionParams) -> ApiResult<Reply> {
    let actor = Actor::Owner(ctx.user()?.id);
    take(&ctx, &p, "cancel", &actor, "取消成功").await
}

async fn confirm(ctx: Ctx, p: ActionParams) -> ApiResult<Reply> {
    let actor = Actor::Owner(ctx.user()?.id);
    take(&ctx, &p, "confirm", &actor, "确认收货成功").await
}

/// Only a back-office appid ships; anyone else gets the machine's refusal.
async fn ship(ctx: Ctx, p: ActionParams) -> ApiResult<Reply> {
    let kind = ctx.config.apps.get(&ctx.caller.appid).map(|a| a.kind);
    if kind != Some(AppKind::Admin) {
        return Err(ORDER.not_allowed.error());
    }
    let actor = Actor::Admin(ctx.caller.appid.clone());
    take(&ctx, &p, "ship", &actor, "发货成功").await
}

/// Take `action` on the order in one transaction; a refusal writes nothing.
async fn take(
    ctx: &Ctx,
    p: &ActionParams,
    action: &str,
    actor: &Actor,
    msg: &'static str,
) -> ApiResult<Reply> {
    let sn = p.order_sn.as_str().trim();
    let mut db = ctx.stores().pg().await?;
    let tx = db.transaction().await?;
    let t = transition(&tx, &ORDER, Key::Code(sn), action, actor, ctx.now()).await?;
    tx.commit().await?;
    Reply::data(
        msg,
        &Moved {
            order_sn: sn.to_string(),
            order_status: t.to,
            order_status_label: ORDER.label(t.to),
        },
    )
}

async fn pay(ctx: Ctx, p: ActionParams) -> ApiResult<Reply> {
    let user = ctx.user()?.id;
    let sn = p.order_sn.as_str().trim();
    if sn.is_empty() {
        return Err(ApiError::business("参数 order_sn 不能为空"));
    }
    let row = ctx
        .stores()
        .pg()
        .await?
        .query_opt(
            "SELECT id, order_status, total_price FROM orders WHERE order_sn = $1 AND user_id = $2",
            &[&sn, &user],
        )
        .await?
        .ok_or_else(|| ApiError::not_found("订单不存在"))?;
    let (id, status, total): (i64, i16, i32) = (row.get(0), row.get(1), row.get(2));
    if status != 0 {
        return Err(ApiError::business("订单当前状态不能支付"));
    }
    // total_price is whole yuan (INTEGER), as order.list shows it.
    let amount = Money::from_yuan(i64::from(total))
        .ok_or_else(|| anyhow::anyhow!("order {id}: total_price out of bounds"))?;
    let description = format!("订单 {sn}");
    let subject = Subject {
        kind: ORDER_SUBJECT,
        id,
        user_id: user,
        amount,
        description: &description,
    };
    let opened = ctx.payments().open(&subject, None).await?;
    Reply::data("success", &opened)
}
