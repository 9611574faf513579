//! mp.order.list, mp.order.detail, mp.order.buy, mp.order.pay and
//! mp.order.cancel (seed 004 /orders, /order/detail, /order/buy;
//! docs/protocol.md §23.6). Stock is reserved atomically when buying; the
//! codes are made by the on-paid hook (`paid`).

use std::collections::HashMap;

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::machines::{self, MP_ORDER, UNPAID};
use super::{DIALECT, NO_OPENID, member, oper_of};
use crate::domain::{Mobile, Money};
use crate::handler::{ApiError, ApiResult, Ctx, Int, Reply, Text};
use crate::shared::machine::{Actor, Key, transition};
use crate::shared::pay::{Opened, Subject, nonce};
use crate::stores::{one_row, opt_row};

/// The payment subject kind of mini-program orders.
pub(super) const SUBJECT: &str = "mp_order";
/// Orders a page of mp.order.list.
const PAGE_SIZE: i64 = DIALECT.paging.size;
/// The most units one order buys.
const MAX_UNITS: i64 = 99;

/// A redemption code (核销码).
#[derive(Debug, Serialize)]
pub(super) struct Item {
    id: i64,
    order_id: i64,
    verify_code: String,
    status: i16,
}

/// An order as the seed shows it.
#[derive(Debug, Serialize)]
pub(super) struct Order {
    id: i64,
    oper_id: i32,
    order_no: String,
    user_id: i64,
    user_name: String,
    notify_mobile: String,
    merchant_id: i64,
    merchant_name: String,
    goods_id: i64,
    goods_name: String,
    goods_pic: String,
    goods_thumb_url: String,
    price: Money,
    buy_number: i32,
    pay_price: Money,
    pay_time: Option<String>,
    refund_price: Money,
    refund_time: Option<String>,
    status: i16,
    #[serde(skip_serializing_if = "Option::is_none")]
    items: Option<Vec<Item>>,
    #[serde(rename = "isOperSelf")]
    is_oper_self: u8,
}

/// The order columns [`orders`] reads (a macro, so that the statements are
/// literals built at compile time).
macro_rules! select {
    () => {
        "SELECT o.id, o.oper_id, o.order_no, o.user_id, COALESCE(u.nickname, ''), \
         o.notify_mobile, o.merchant_id, o.merchant_name, o.goods_id, o.goods_name, o.goods_pic, \
         o.goods_thumb_url, o.price, o.buy_number, o.pay_price, extract(epoch FROM o.pay_time)::bigint, \
         o.refund_price, extract(epoch FROM o.refund_time)::bigint, o.status \
         FROM mp_orders o JOIN users u ON u.id = o.user_id"
    };
}

/// mp.order.list's filter, for its total and its page.
macro_rules! filter {
    () => {
        "o.user_id = $1 AND ($2::smallint IS NULL OR o.status = $2)"
    };
}
const COUNT: &str = concat!("SELECT count(*) FROM mp_orders o WHERE ", filter!());
const PAGE: &str = concat!(
    select!(),
    " WHERE ",
    filter!(),
    " ORDER BY o.id DESC LIMIT $3 OFFSET $4"
);
const ONE: &str = concat!(select!(), " WHERE o.order_no = $1 AND o.user_id = $2");

/// The orders of `rows` with their codes.
async fn orders(ctx: &Ctx, rows: &[tokio_postgres::Row]) -> ApiResult<Vec<Order>> {
    let oper = oper_of(ctx).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
    let mut items: HashMap<i64, Vec<Item>> = HashMap::new();
    for r in ctx
        .stores()
        .pg_rows(
            "SELECT id, order_id, verify_code, status FROM mp_order_items WHERE order_id = ANY($1) \
             ORDER BY order_id, id",
            &[&ids],
        )
        .await?
    {
        items.entry(r.get(1)).or_default().push(Item {
            id: r.get(0),
            order_id: r.get(1),
            verify_code: r.get(2),
            status: r.get(3),
        });
    }
    let time = |v: Option<i64>| v.map(|t| ctx.time_string(t));
    rows.iter()
        .map(|r| {
            let (id, oper_id, status): (i64, i32, i16) = (r.get(0), r.get(1), r.get(18));
            Ok(Order {
                id,
                oper_id,
                order_no: r.get(2),
                user_id: r.get(3),
                user_name: r.get(4),
                notify_mobile: r.get(5),
                merchant_id: r.get(6),
                merchant_name: r.get(7),
                goods_id: r.get(8),
                goods_name: r.get(9),
                goods_pic: r.get(10),
                goods_thumb_url: r.get(11),
                price: Money::stored(r.get::<_, Decimal>(12))?,
                buy_number: r.get(13),
                pay_price: Money::stored(r.get::<_, Decimal>(14))?,
                pay_time: time(r.get(15)),
                refund_price: Money::stored(r.get::<_, Decimal>(16))?,
                refund_time: time(r.get(17)),
                status,
                items: (status >= machines::PAID).then(|| items.remove(&id).unwrap_or_default()),
                is_oper_self: u8::from(oper == Some(oper_id)),
            })
        })
        .collect()
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct ListParams {
    /// 状态：1 未支付、2 已取消、3 已关闭、4 已付款、6 已退款、7 已完成；不传为全部
    #[serde(default)]
    status: Option<Int>,
    /// 页数，默认 1
    #[serde(default)]
    page: Option<Int>,
}

pub(super) async fn list(ctx: Ctx, p: ListParams) -> ApiResult<Reply> {
    let user = member(&ctx)?.id;
    let status = match p.status.map(|s| s.0) {
        None | Some(0) => None,
        Some(s) if MP_ORDER.states.iter().any(|(k, _)| i64::from(*k) == s) => Some(s as i16),
        Some(_) => return Err(DIALECT.invalid("参数 status 须为 1、2、3、4、6、7")),
    };
    let offset = DIALECT.page(p.page.map(|i| i.0), None)?.offset();
    let total: i64 = one_row(ctx.stores().pg_rows(COUNT, &[&user, &status]).await?)?.get(0);
    let rows = ctx
        .stores()
        .pg_rows(PAGE, &[&user, &status, &PAGE_SIZE, &offset])
        .await?;
    let list = orders(&ctx, &rows).await?;
    Reply::data("success", &json!({"total": total, "list": list}))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct OrderNoParams {
    /// 订单号
    order_no: Text,
}

/// The caller's order `order_no` as the seed shows it.
pub(super) async fn one(ctx: &Ctx, user: i64, order_no: &str) -> ApiResult<Order> {
    let rows = ctx
        .stores()
        .pg_rows(ONE, &[&order_no.trim(), &user])
        .await?;
    orders(ctx, &rows)
        .await?
        .pop()
        .ok_or_else(|| MP_ORDER.not_found.error())
}

pub(super) async fn detail(ctx: Ctx, p: OrderNoParams) -> ApiResult<Reply> {
    let user = member(&ctx)?.id;
    Reply::data("success", &one(&ctx, user, p.order_no.as_str()).await?)
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct BuyParams {
    /// 商品 ID
    goods_id: Int,
    /// 数量，1-99
    number: Int,
    /// 通知手机号（可为空，默认账号的手机号）
    #[serde(default)]
    notify_mobile: Text,
}

/// The caller's openid in this mini-program; 70010 without one.
async fn openid(ctx: &Ctx, user: i64) -> ApiResult<String> {
    let rows = ctx
        .stores()
        .pg_rows(
            "SELECT openid FROM wechat_identities WHERE appid = $1 AND user_id = $2 \
             ORDER BY updated_at DESC LIMIT 1",
            &[&ctx.caller.appid, &user],
        )
        .await?;
    opt_row(rows)?
        .map(|r| r.get(0))
        .ok_or_else(|| ApiError::new(NO_OPENID, "openId不存在，请重新调用 wx.login 登录"))
}

pub(super) async fn buy(ctx: Ctx, p: BuyParams) -> ApiResult<Reply> {
    let user = member(&ctx)?;
    let (id, number) = (user.id, p.number.0);
    if !(1..=MAX_UNITS).contains(&number) {
        return Err(DIALECT.invalid("参数 number 须为 1-99"));
    }
    let notify = match p.notify_mobile.as_str().trim() {
        "" => user.profile.mobile.clone(),
        _ => Mobile::parse(&p.notify_mobile)
            .map_err(|e| DIALECT.invalid(e.public_msg().to_string()))?
            .as_str()
            .to_string(),
    };
    ctx.payments().enabled()?;
    let openid = openid(&ctx, id).await?;
    let oper = oper_of(&ctx).await?;
    let (order, good_oper, name, amount) =
        place(&ctx, id, p.goods_id.0, number as i32, &notify).await?;
    let is_self = oper == Some(good_oper);
    let mut data = json!({"order_no": order.1, "isOperSelf": u8::from(is_self)});
    if is_self {
        let opened = open(&ctx, id, order.0, amount, &name, &openid).await?;
        sdk_config(&mut data, opened);
    }
    Reply::data("下单成功", &data)
}

/// Reserve `number` of the good and write the unpaid order, in one
/// transaction: ((id, order_no), the good's oper_id, its name, the amount).
async fn place(
    ctx: &Ctx,
    user: i64,
    goods: i64,
    number: i32,
    notify: &str,
) -> ApiResult<((i64, String), i32, String, Money)> {
    let now = ctx.now();
    let mut db = ctx.stores().pg().await?;
    let tx = db.transaction().await?;
    let reserved = tx
        .query_opt(
            "UPDATE mp_goods g SET stock = g.stock - $2 FROM mp_merchants m \
             WHERE g.id = $1 AND g.status = 1 AND m.id = g.merchant_id AND m.status = 1 \
             AND g.stock >= $2 AND g.end_date >= to_date($3, 'YYYYMMDD') \
             RETURNING g.oper_id, g.merchant_id, m.name, g.name, g.pic, g.thumb_url, g.price",
            &[&goods, &number, &ctx.today()],
        )
        .await?;
    let Some(g) = reserved else {
        return Err(why_not(&tx, goods, ctx).await);
    };
    let price: Decimal = g.get(6);
    let amount = Money::stored(price * Decimal::from(number))?;
    let order_no = format!("M{now}{}", &nonce()[..12]);
    let (oper, name): (i32, String) = (g.get(0), g.get(3));
    let id: i64 = tx
        .query_one(
            "INSERT INTO mp_orders (order_no, oper_id, user_id, notify_mobile, merchant_id, \
             merchant_name, goods_id, goods_name, goods_pic, goods_thumb_url, price, buy_number, \
             pay_price, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
             $11, $12, $13, to_timestamp($14), to_timestamp($14)) RETURNING id",
            &[
                &order_no,
                &oper,
                &user,
                &notify,
                &g.get::<_, i64>(1),
                &g.get::<_, String>(2),
                &goods,
                &name,
                &g.get::<_, String>(4),
                &g.get::<_, String>(5),
                &price,
                &number,
                &amount.to_decimal(),
                &(now as f64),
            ],
        )
        .await?
        .get(0);
    tx.commit().await?;
    Ok(((id, order_no), oper, name, amount))
}

/// Why the good could not be reserved.
async fn why_not(tx: &crate::stores::db::Tx<'_>, goods: i64, ctx: &Ctx) -> ApiError {
    let row = tx
        .query_opt(
            "SELECT g.end_date < to_date($2, 'YYYYMMDD') FROM mp_goods g \
             JOIN mp_merchants m ON m.id = g.merchant_id WHERE g.id = $1 AND g.status = 1 AND m.status = 1",
            &[&goods, &ctx.today()],
        )
        .await;
    match row {
        Err(e) => e.into(),
        Ok(None) => ApiError::not_found("商品不存在或已下架"),
        Ok(Some(r)) if r.get::<_, bool>(0) => ApiError::business("商品已过有效期"),
        Ok(Some(_)) => ApiError::business("库存不足"),
    }
}

async fn open(
    ctx: &Ctx,
    user: i64,
    order: i64,
    amount: Money,
    name: &str,
    openid: &str,
) -> ApiResult<Opened> {
    let description: String = name.chars().take(127).collect();
    let subject = Subject {
        kind: SUBJECT,
        id: order,
        user_id: user,
        amount,
        description: &description,
    };
    ctx.payments().open(&subject, Some(openid)).await
}

/// The seed's `sdk_config` (its `timestamp`, and `timeStamp` as
/// wx.requestPayment spells it) and the payment's out_trade_no.
fn sdk_config(data: &mut Value, opened: Opened) {
    let b = opened.pay;
    data["sdk_config"] = json!({
        "appId": b.app_id, "nonceStr": b.nonce_str, "package": b.package,
        "signType": b.sign_type, "paySign": b.pay_sign, "timestamp": b.time_stamp,
        "timeStamp": b.time_stamp,
    });
    data["out_trade_no"] = json!(opened.out_trade_no);
}

pub(super) async fn pay(ctx: Ctx, p: OrderNoParams) -> ApiResult<Reply> {
    let user = member(&ctx)?.id;
    let order = one(&ctx, user, p.order_no.as_str()).await?;
    if order.status != UNPAID {
        return Err(ApiError::business("订单当前状态不能支付"));
    }
    if oper_of(&ctx).await? != Some(order.oper_id) {
        return Err(ApiError::business("请在商品所属运营中心的小程序内支付"));
    }
    let openid = openid(&ctx, user).await?;
    let opened = open(
        &ctx,
        user,
        order.id,
        order.pay_price,
        &order.goods_name,
        &openid,
    )
    .await?;
    let mut data = json!({"order_no": order.order_no, "isOperSelf": 1});
    sdk_config(&mut data, opened);
    Reply::data("success", &data)
}

pub(super) async fn cancel(ctx: Ctx, p: OrderNoParams) -> ApiResult<Reply> {
    let user = member(&ctx)?.id;
    let mut db = ctx.stores().pg().await?;
    let tx = db.transaction().await?;
    let key = Key::Code(p.order_no.as_str().trim());
    let t = transition(
        &tx,
        &MP_ORDER,
        key,
        "cancel",
        &Actor::Owner(user),
        ctx.now(),
    )
    .await?;
    machines::closed(&tx, t.record_id).await?;
    tx.commit().await?;
    Reply::data("取消成功", &json!({"status": t.to}))
}
