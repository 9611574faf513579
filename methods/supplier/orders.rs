//! supplier.order.list, supplier.order.accept and supplier.order.edit:
//! seed 002's /navigation/order_list, /order/accept_order and
//! /order/edit_order. Only the caller's own orders are listed or moved, and
//! every move goes through the supplier order machine (docs/protocol.md §21).

use std::collections::HashMap;

use chrono::TimeZone;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio_postgres::types::ToSql;

use super::home::{PAGESIZE, Paginate, page_of, price};
use super::machine::{SUPPLIER_ORDER, choice};
use super::{FAILED, certified};
use crate::handler::{ApiError, ApiResult, Ctx, Float, Int, Reply, Text};
use crate::shared::machine::{Actor, Key, transition};
use crate::stores::one_row;

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct ListParams {
    /// 页码，默认第 1 页
    #[serde(default)]
    page: Option<Int>,
    /// 默认全部；pay_success 待发货、send_success 待收货、finish 已完成
    #[serde(default)]
    status_choice: Option<Text>,
}

#[derive(Serialize)]
struct Order {
    order_sn: String,
    create_time: String,
    total_number: i32,
    total_amount: String,
    status: i16,
    spec_list: Vec<Spec>,
    advance_son_total_amount: Value,
    final_total_amount: Value,
    status_string: &'static str,
    create_time_string: String,
}

#[derive(Serialize)]
struct Spec {
    good_id: i64,
    good_title: String,
    good_litpic: String,
    buy_number: i32,
    spec_name: String,
    price: String,
}

#[derive(Serialize)]
struct Orders {
    order_paginate: Paginate<Order>,
    count_order_all: i64,
}

/// An amount in fen as the seed's JSON number: `0`, `11`, `0.06`, `-0.04`.
fn number(cents: i64) -> Value {
    if cents % 100 == 0 {
        Value::from(cents / 100)
    } else {
        Value::from(cents as f64 / 100.0)
    }
}

fn cents(d: Decimal) -> i64 {
    i64::try_from(d * Decimal::ONE_HUNDRED).unwrap_or_default()
}

/// The seed's `create_time_string`: "今天 10:24", "14天前 10:24" within a
/// month, "07-17 16:28" before.
fn ago(ctx: &Ctx, unix: i64) -> String {
    let tz = ctx.config.settings.timezone.0;
    let (Some(at), Some(now)) = (
        tz.timestamp_opt(unix, 0).single(),
        tz.timestamp_opt(ctx.now(), 0).single(),
    ) else {
        return String::new();
    };
    match (now.date_naive() - at.date_naive()).num_days() {
        0 => at.format("今天 %H:%M").to_string(),
        d @ 1..=30 => format!("{d}天前 {}", at.format("%H:%M")),
        _ => at.format("%m-%d %H:%M").to_string(),
    }
}

/// supplier.order.list's filter, for its counts and its page (a macro, so
/// that each statement is one literal built at compile time).
macro_rules! filter {
    () => {
        "o.supplier_id = $1 AND (cardinality($2::smallint[]) = 0 OR o.status = ANY($2))"
    };
}

/// The filtered count and the count of all the supplier's orders.
const COUNTS: &str = concat!(
    "SELECT (SELECT count(*) FROM supplier_orders o WHERE ",
    filter!(),
    "), (SELECT count(*) FROM supplier_orders WHERE supplier_id = $1)"
);

/// One page of the filtered orders, with each one's top-up amount.
const PAGE: &str = concat!(
    "SELECT o.id, o.order_sn, extract(epoch FROM o.created_at)::bigint, o.total_number, \
     o.total_amount, o.status, COALESCE(s.amount, 0) FROM supplier_orders o \
     LEFT JOIN supplier_order_sons s ON s.order_id = o.id WHERE ",
    filter!(),
    " ORDER BY o.created_at DESC, o.id DESC LIMIT $3 OFFSET $4"
);

pub(super) async fn list(ctx: Ctx, p: ListParams) -> ApiResult<Reply> {
    let user = ctx.user()?.id;
    certified(&ctx, user).await?;
    let wanted = match p.status_choice.as_ref().map(|t| t.as_str().trim()) {
        None | Some("") => None,
        Some(c) => Some(
            choice(c).ok_or_else(|| ApiError::new(FAILED, "请求失败，status_choice 不正确~"))?,
        ),
    };
    let statuses: Vec<i16> = wanted.map(<[i16]>::to_vec).unwrap_or_default();
    let (page, offset) = page_of(p.page)?;
    // Three reads, none of them needing a transaction: the shared
    // connections (docs/protocol.md §24.3), not a pooled one.
    let stores = ctx.stores();
    let filter: [&(dyn ToSql + Sync); 2] = [&user, &statuses];
    let paged: [&(dyn ToSql + Sync); 4] = [&user, &statuses, &PAGESIZE, &offset];
    let (counts, rows) = tokio::try_join!(
        stores.pg_rows(COUNTS, &filter),
        stores.pg_rows(PAGE, &paged)
    )?;
    let counts = one_row(counts)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
    let mut specs = specs_of(&ctx, &ids).await?;
    let list = rows
        .iter()
        .map(|r| {
            let (total, son): (Decimal, Decimal) = (r.get(4), r.get(6));
            let created: i64 = r.get(2);
            Order {
                order_sn: r.get(1),
                create_time: ctx.time_string(created),
                total_number: r.get(3),
                total_amount: price(total),
                status: r.get(5),
                spec_list: specs.remove(&r.get::<_, i64>(0)).unwrap_or_default(),
                advance_son_total_amount: number(cents(son)),
                final_total_amount: number(cents(total) + cents(son)),
                status_string: SUPPLIER_ORDER.label(r.get(5)),
                create_time_string: ago(&ctx, created),
            }
        })
        .collect();
    let orders = Orders {
        order_paginate: Paginate::new(list, counts.get(0), page),
        count_order_all: counts.get(1),
    };
    Reply::data("获取成功", &orders)
}

async fn specs_of(ctx: &Ctx, orders: &[i64]) -> ApiResult<HashMap<i64, Vec<Spec>>> {
    const SPECS: &str = "SELECT order_id, good_id, good_title, good_litpic, buy_number, spec_name, price \
         FROM supplier_order_items WHERE order_id = ANY($1) ORDER BY order_id, id";
    let mut out: HashMap<i64, Vec<Spec>> = HashMap::new();
    for r in ctx.stores().pg_rows(SPECS, &[&orders]).await? {
        out.entry(r.get(0)).or_default().push(Spec {
            good_id: r.get(1),
            good_title: r.get(2),
            good_litpic: r.get(3),
            buy_number: r.get(4),
            spec_name: r.get(5),
            price: price(r.get(6)),
        });
    }
    Ok(out)
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct AcceptParams {
    /// 订单号
    order_sn: Text,
}

pub(super) async fn accept(ctx: Ctx, p: AcceptParams) -> ApiResult<Reply> {
    let user = ctx.user()?.id;
    certified(&ctx, user).await?;
    let mut db = ctx.stores().pg().await?;
    let tx = db.transaction().await?;
    let key = Key::Code(p.order_sn.as_str().trim());
    transition(
        &tx,
        &SUPPLIER_ORDER,
        key,
        "accept",
        &Actor::Owner(user),
        ctx.now(),
    )
    .await?;
    tx.commit().await?;
    Ok(Reply::empty("请求成功"))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct EditParams {
    /// 订单号
    order_sn: Text,
    /// 修改后的订单金额
    #[serde(default)]
    total_amount: Option<Float>,
}

/// The edited total in fen: at least 0, at most two decimals.
fn edited_cents(total: Option<Float>) -> ApiResult<i64> {
    let f = total
        .ok_or_else(|| ApiError::new(FAILED, "程序罢工，缺少订单金额 total_amount~"))?
        .0;
    let scaled = f * 100.0;
    let whole = scaled.round();
    if !(0.0..=9_999_999_999.0).contains(&whole) || (scaled - whole).abs() > 1e-6 {
        return Err(ApiError::new(
            FAILED,
            "请求失败，订单金额须为不小于 0、至多两位小数的数字~",
        ));
    }
    Ok(whole as i64)
}

pub(super) async fn edit(ctx: Ctx, p: EditParams) -> ApiResult<Reply> {
    let user = ctx.user()?.id;
    certified(&ctx, user).await?;
    let new_total = edited_cents(p.total_amount)?;
    let sn = p.order_sn.as_str().trim();
    let mut db = ctx.stores().pg().await?;
    let tx = db.transaction().await?;
    let t = transition(
        &tx,
        &SUPPLIER_ORDER,
        Key::Code(sn),
        "edit",
        &Actor::Owner(user),
        ctx.now(),
    )
    .await?;
    let row = tx
        .query_one(
            "SELECT total_amount FROM supplier_orders WHERE id = $1",
            &[&t.record_id],
        )
        .await?;
    let son = Decimal::new(new_total - cents(row.get(0)), 2);
    tx.execute(
        "INSERT INTO supplier_order_sons (order_id, son_sn, amount, created_at) \
         VALUES ($1, $2, $3, to_timestamp($4))",
        &[&t.record_id, &format!("{sn}B"), &son, &(ctx.now() as f64)],
    )
    .await?;
    tx.commit().await?;
    Ok(Reply::empty("请求成功"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_numbers_as_the_seed_shows_them() {
        assert_eq!(number(0), serde_json::json!(0));
        assert_eq!(number(1100), serde_json::json!(11));
        assert_eq!(number(6), serde_json::json!(0.06));
        assert_eq!(number(-4), serde_json::json!(-0.04));
    }

    #[test]
    fn an_edited_total_has_at_most_two_decimals_and_is_not_negative() {
        assert_eq!(edited_cents(Some(Float(11.0))).unwrap(), 1100);
        assert_eq!(edited_cents(Some(Float(0.2))).unwrap(), 20);
        assert_eq!(edited_cents(Some(Float(10.99))).unwrap(), 1099);
        for bad in [-0.01, 0.001, f64::MAX] {
            assert_eq!(
                edited_cents(Some(Float(bad))).unwrap_err().code(),
                FAILED,
                "{bad}"
            );
        }
        assert_eq!(edited_cents(None).unwrap_err().code(), FAILED);
    }
}
