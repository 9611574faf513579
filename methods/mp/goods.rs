//! mp.goods.list and mp.goods.detail (seed 004 /goods, /goods/detail;
//! docs/protocol.md §23.5): a merchant's voucher goods on sale, with
//! price, market price, validity, sales and stock.

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::domain::Money;
use crate::handler::{ApiError, ApiResult, Ctx, Int, Reply};
use crate::stores::opt_row;

/// A good as the seed shows it (and its stock).
#[derive(Debug, Serialize)]
struct Good {
    id: i64,
    oper_id: i32,
    merchant_id: i64,
    name: String,
    desc: String,
    market_price: Money,
    price: Money,
    start_date: String,
    end_date: String,
    business_time: [String; 2],
    thumb_url: String,
    pic: String,
    pic_list: Vec<String>,
    buy_info: String,
    status: i16,
    sell_number: i32,
    stock: i32,
}

/// The columns [`Good::from_row`] reads (a macro, so that the statements
/// are literals built at compile time).
macro_rules! select {
    () => {
        "SELECT id, oper_id, merchant_id, name, \"desc\", market_price, price, \
         start_date::text, end_date::text, to_char(open_time, 'HH24:MI:SS'), \
         to_char(close_time, 'HH24:MI:SS'), thumb_url, pic, pic_list, buy_info, status, sell_number, \
         stock FROM mp_goods"
    };
}
const LIST: &str = concat!(
    select!(),
    " WHERE merchant_id = $1 AND status = 1 ORDER BY id"
);
const DETAIL: &str = concat!(select!(), " WHERE id = $1 AND status = 1");

impl Good {
    fn from_row(r: &tokio_postgres::Row) -> ApiResult<Self> {
        Ok(Self {
            id: r.get(0),
            oper_id: r.get(1),
            merchant_id: r.get(2),
            name: r.get(3),
            desc: r.get(4),
            market_price: Money::stored(r.get::<_, Decimal>(5))?,
            price: Money::stored(r.get::<_, Decimal>(6))?,
            start_date: r.get(7),
            end_date: r.get(8),
            business_time: [r.get(9), r.get(10)],
            thumb_url: r.get(11),
            pic: r.get(12),
            pic_list: r.get(13),
            buy_info: r.get(14),
            status: r.get(15),
            sell_number: r.get(16),
            stock: r.get(17),
        })
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct ListParams {
    /// 商家 ID
    merchant_id: Int,
}

pub(super) async fn list(ctx: Ctx, p: ListParams) -> ApiResult<Reply> {
    let rows = ctx.stores().pg_rows(LIST, &[&p.merchant_id.0]).await?;
    let list = rows
        .iter()
        .map(Good::from_row)
        .collect::<ApiResult<Vec<_>>>()?;
    Reply::data("success", &json!({ "list": list }))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct DetailParams {
    /// 商品 ID
    id: Int,
}

pub(super) async fn detail(ctx: Ctx, p: DetailParams) -> ApiResult<Reply> {
    let rows = ctx.stores().pg_rows(DETAIL, &[&p.id.0]).await?;
    let row = opt_row(rows)?.ok_or_else(|| ApiError::not_found("商品不存在或已下架"))?;
    Reply::data("success", &Good::from_row(&row)?)
}
