//! goods.list: goods on sale, filtered by category, keywords and price.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::handler::dialect::GATEWAY;
use crate::handler::paging::{Page, Paged};
use crate::handler::params::category_filter;
use crate::handler::{ApiError, ApiResult, Ctx, Reply, cached};
use crate::handler::{Float, Int, Text};

/// Longest keyword searched for, in characters.
const MAX_KEYWORDS: usize = 50;

/// Parameters of goods.list.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListParams {
    /// 商品分类 ID；不限分类传 -1（含子分类的商品）
    pub cat_id: Int,
    /// 商品名称搜索关键词；不搜索传空字符串
    pub keywords: Text,
    /// 最低价格（金币）；不限传 -1
    pub start_price: Float,
    /// 最高价格（金币）；不限传 -1
    pub end_price: Float,
    /// 页码，从 1 开始（小于 1 按 1 处理）
    pub page: Int,
}

/// A validated goods.list query.
#[derive(Debug)]
struct GoodsQuery {
    cat_id: i64,
    keywords: String,
    /// -1 when open.
    start_price: f64,
    end_price: f64,
    page: Page,
}

#[derive(Serialize)]
struct GoodsItem {
    goodsid: i64,
    goods_name: String,
    min_price: i64,
    max_price: i64,
    goods_img: String,
    buy_count: i64,
    month_buy_count: i64,
}

pub(super) async fn list(ctx: Ctx, p: ListParams) -> ApiResult<Reply> {
    let q = GoodsQuery::new(p)?;
    let key = format!(
        "{}|{}|{}|{}|{:?}",
        q.cat_id, q.start_price, q.end_price, q.page, q.keywords
    );
    cached::reply(&ctx, key, goods_page(&ctx, &q)).await
}

impl GoodsQuery {
    fn new(p: ListParams) -> ApiResult<Self> {
        let start_price = price_bound("start_price", p.start_price)?;
        let end_price = price_bound("end_price", p.end_price)?;
        if start_price >= 0.0 && end_price >= 0.0 && start_price > end_price {
            return Err(ApiError::business("最低价格不能高于最高价格"));
        }
        let keywords = p.keywords.as_str().trim().to_string();
        // PostgreSQL text cannot hold NUL; it is no one's search either.
        if keywords.contains('\0') {
            return Err(ApiError::business("参数 keywords 不正确"));
        }
        if keywords.chars().count() > MAX_KEYWORDS {
            return Err(ApiError::business(format!(
                "参数 keywords 不能超过 {MAX_KEYWORDS} 个字"
            )));
        }
        Ok(Self {
            cat_id: category_filter("cat_id", p.cat_id)?,
            keywords,
            start_price,
            end_price,
            page: GATEWAY.page(Some(p.page.0), None)?,
        })
    }

    /// An ILIKE pattern matching names that contain the keywords.
    fn name_pattern(&self) -> String {
        let mut pattern = String::from("%");
        for c in self.keywords.chars() {
            if matches!(c, '%' | '_' | '\\') {
                pattern.push('\\');
            }
            pattern.push(c);
        }
        pattern.push('%');
        pattern
    }
}

/// A price bound: -1 for open, else at least 0.
fn price_bound(name: &str, v: Float) -> ApiResult<f64> {
    if v.0 == -1.0 || v.0 >= 0.0 {
        Ok(v.0)
    } else {
        Err(ApiError::business(format!(
            "参数 {name} 不正确（不限时传 -1）"
        )))
    }
}

/// Goods on sale in category $1 and its visible descendants (all when -1),
/// named like $2, with a product priced within [$3, $4] (-1: open).
macro_rules! listed_goods {
    () => {
        "WITH RECURSIVE cats AS ( \
             SELECT id FROM categories WHERE id = $1 AND cat_type = 3 AND display \
           UNION ALL \
             SELECT c.id FROM categories c JOIN cats ON c.parent_id = cats.id WHERE c.display \
         ), listed AS ( \
             SELECT g.id, g.goods_name, g.goods_img FROM goods g \
             WHERE g.display \
               AND ($1 = -1 OR g.cat_id IN (SELECT id FROM cats)) \
               AND g.goods_name ILIKE $2 ESCAPE '\\' \
               AND EXISTS (SELECT 1 FROM goods_products p WHERE p.goods_id = g.id \
                   AND ($3::float8 < 0 OR p.sales_price >= $3::float8) \
                   AND ($4::float8 < 0 OR p.sales_price <= $4::float8)) \
         ) "
    };
}

async fn goods_page(ctx: &Ctx, q: &GoodsQuery) -> ApiResult<Paged<GoodsItem>> {
    let db = ctx.stores().pg_read().await?;
    let pattern = q.name_pattern();
    let filter: [&(dyn tokio_postgres::types::ToSql + Sync); 4] =
        [&q.cat_id, &pattern, &q.start_price, &q.end_price];
    let count = db
        .prepare_cached(concat!(listed_goods!(), "SELECT count(*) FROM listed"))
        .await?;
    let total: i64 = db.query_one(&count, &filter).await?.get(0);
    let stmt = db
        .prepare_cached(concat!(
            listed_goods!(),
            "SELECT l.id, l.goods_name, price.min_price, price.max_price, l.goods_img, \
                    sold.buy_count, sold.month_buy_count \
             FROM listed l \
             CROSS JOIN LATERAL ( \
                 SELECT min(sales_price)::bigint AS min_price, max(sales_price)::bigint AS max_price \
                 FROM goods_products WHERE goods_id = l.id \
             ) price ",
            sold!("l.id", "$5"),
            "ORDER BY l.id DESC LIMIT $6 OFFSET $7"
        ))
        .await?;
    let (now, limit, offset) = (ctx.now(), q.page.limit(), q.page.offset());
    let params = [&filter[..], &[&now, &limit, &offset]].concat();
    let rows = db.query(&stmt, &params).await?;
    let list = rows
        .iter()
        .map(|r| GoodsItem {
            goodsid: r.get(0),
            goods_name: r.get(1),
            min_price: r.get(2),
            max_price: r.get(3),
            goods_img: r.get(4),
            buy_count: r.get(5),
            month_buy_count: r.get(6),
        })
        .collect();
    Ok(Paged::new(list, total, q.page))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(start: f64, end: f64, keywords: &str) -> ApiResult<GoodsQuery> {
        GoodsQuery::new(ListParams {
            cat_id: Int(-1),
            keywords: Text(keywords.into()),
            start_price: Float(start),
            end_price: Float(end),
            page: Int(1),
        })
    }

    #[test]
    fn bad_price_ranges_and_keywords_are_refused_by_name() {
        let cases = [
            (
                query(-2.0, -1.0, ""),
                "参数 start_price 不正确（不限时传 -1）",
            ),
            (
                query(-1.0, -0.5, ""),
                "参数 end_price 不正确（不限时传 -1）",
            ),
            (query(200.0, 100.0, ""), "最低价格不能高于最高价格"),
            (
                query(-1.0, -1.0, &"键".repeat(51)),
                "参数 keywords 不能超过 50 个字",
            ),
            (query(-1.0, -1.0, "a\0b"), "参数 keywords 不正确"),
        ];
        for (result, msg) in cases {
            assert_eq!(result.unwrap_err().public_msg(), msg);
        }
        assert!(query(100.0, -1.0, "").is_ok());
        assert!(query(0.0, 0.0, &"键".repeat(50)).is_ok());
    }

    #[test]
    fn keywords_match_literally() {
        let q = query(-1.0, -1.0, " 100%_a\\b ").unwrap();
        assert_eq!(q.name_pattern(), "%100\\%\\_a\\\\b%");
        assert_eq!(query(-1.0, -1.0, "").unwrap().name_pattern(), "%%");
    }
}
