//! supplier.home: seed 002's /navigation/index, and the seed's paginate
//! block (`list, count, total_page, current_page, pagesize`) its lists share.

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tokio_postgres::types::ToSql;

use super::certified;
use crate::domain::Money;
use crate::handler::{ApiResult, Ctx, Int, Reply};
use crate::stores::one_row;

/// Rows on a page of the supplier's lists.
pub(super) const PAGESIZE: i64 = super::DIALECT.paging.size;

/// The seed's paginate block, in its key order.
#[derive(Serialize)]
pub(super) struct Paginate<T> {
    list: Vec<T>,
    count: i64,
    total_page: i64,
    current_page: i64,
    pagesize: i64,
}

impl<T> Paginate<T> {
    pub(super) fn new(list: Vec<T>, count: i64, current_page: i64) -> Self {
        Self {
            list,
            count,
            total_page: (count + PAGESIZE - 1) / PAGESIZE,
            current_page,
            pagesize: PAGESIZE,
        }
    }
}

/// The requested page (at least 1) and its SQL offset.
///
/// # Errors
/// None by supplier's rule (a page below 1 is the first).
pub(super) fn page_of(page: Option<Int>) -> ApiResult<(i64, i64)> {
    let page = super::DIALECT.page(page.map(|p| p.0), None)?;
    Ok((page.number, page.offset()))
}

/// A NUMERIC(12,2) amount as the seed's string ("0.01").
pub(super) fn price(d: Decimal) -> String {
    Money::from_decimal(d).map_or_else(|| d.round_dp(2).to_string(), |m| m.to_string())
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct HomeParams {
    /// 页码，默认第 1 页
    #[serde(default)]
    page: Option<Int>,
}

#[derive(Serialize)]
struct Spec {
    id: i64,
    good_title: String,
    good_litpic: String,
    name: String,
    price: String,
    payed_buy_number: i64,
    high_opinion_rate: String,
}

#[derive(Serialize)]
struct UserInfo {
    title: String,
}

#[derive(Serialize)]
struct Home {
    spec_paginate: Paginate<Spec>,
    count_order_all: i64,
    user_info: UserInfo,
}

/// Orders that count as sold: paid and not closed (a macro, so that the
/// statement is a literal built at compile time).
macro_rules! sold {
    () => {
        "o.status NOT IN (0, 30)"
    };
}

/// supplier.home's two counts, and its page of specs with what they sold.
const COUNTS: &str = "SELECT (SELECT count(*) FROM supplier_specs WHERE supplier_id = $1), \
     (SELECT count(*) FROM supplier_orders WHERE supplier_id = $1)";
const SPECS: &str = concat!(
    "SELECT s.good_id, s.good_title, s.good_litpic, s.name, s.price, \
     COALESCE((SELECT sum(i.buy_number) FROM supplier_order_items i JOIN supplier_orders o \
     ON o.id = i.order_id WHERE o.supplier_id = s.supplier_id AND i.good_id = s.good_id \
     AND i.spec_name = s.name AND ",
    sold!(),
    "), 0)::bigint, s.high_opinion_rate \
     FROM supplier_specs s WHERE s.supplier_id = $1 ORDER BY s.id LIMIT $2 OFFSET $3"
);

pub(super) async fn home(ctx: Ctx, p: HomeParams) -> ApiResult<Reply> {
    let user = ctx.user()?.id;
    let title = certified(&ctx, user).await?;
    let (page, offset) = page_of(p.page)?;
    let one: [&(dyn ToSql + Sync); 1] = [&user];
    let paged: [&(dyn ToSql + Sync); 3] = [&user, &PAGESIZE, &offset];
    let stores = ctx.stores();
    let (counts, rows) =
        tokio::try_join!(stores.pg_rows(COUNTS, &one), stores.pg_rows(SPECS, &paged))?;
    let counts = one_row(counts)?;
    let list = rows
        .iter()
        .map(|r| Spec {
            id: r.get(0),
            good_title: r.get(1),
            good_litpic: r.get(2),
            name: r.get(3),
            price: price(r.get(4)),
            payed_buy_number: r.get(5),
            high_opinion_rate: r.get(6),
        })
        .collect();
    let home = Home {
        spec_paginate: Paginate::new(list, counts.get(0), page),
        count_order_all: counts.get(1),
        user_info: UserInfo { title },
    };
    Reply::data("获取成功", &home)
}
