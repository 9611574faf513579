//! goods.*: the points mall (seed 003 §2.24–2.25). Public and cached.
//! Prices are whole coins. buy_count and month_buy_count add up the
//! quantities of paid orders (待发货, 已发货, 交易成功), all time and in the
//! last 30 days.

use schemars::JsonSchema;
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Serialize, Serializer};

use crate::cache;
use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::protocol::Reply;
use crate::protocol::types::{Float, Int, Text};
use crate::registry::{Method, Registry};

use super::paging::{PageNo, Paged};
use super::params::{category_filter, resource_id};

/// Longest keyword searched for, in characters.
const MAX_KEYWORDS: usize = 50;

/// Register the goods namespace.
pub fn register(r: &mut Registry) {
    r.add(
        Method::new("goods.list", "1.0.0").summary(
            "商品列表（seed §2.24）：上架的商品，新的在前，每页 20 条。cat_id 为 -1 不限分类，否则为该分类及其可见子分类；keywords 按商品名称模糊匹配；有货品售价落在 [start_price, end_price] 内的商品才列出，-1 表示不限。",
        ),
        list,
    );
    r.add(
        Method::new("goods.detail", "1.0.0").summary(
            "商品详情（seed §2.25）：单规格商品的货品在 products.single_product，spec_val 为 []；多规格商品的货品以规格值（\"颜色:::红色\"，多个规格以 \"|||\" 相连）为键。不存在或已下架时 404。",
        ),
        detail,
    );
}

// §2.24 goods.list ---------------------------------------------------------

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
    page: PageNo,
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

async fn list(ctx: Ctx, p: ListParams) -> ApiResult<Reply> {
    let q = GoodsQuery::new(p)?;
    let key = format!(
        "{}|{}|{}|{}|{:?}",
        q.cat_id, q.start_price, q.end_price, q.page, q.keywords
    );
    cache::reply(&ctx, key, goods_page(&ctx, &q)).await
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
            page: PageNo::new(p.page),
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

/// How much of a goods paid orders bought, all time and since 30 days
/// before time $N (the macro's argument).
macro_rules! sold {
    ($goods:literal, $now:literal) => {
        concat!(
            "CROSS JOIN LATERAL ( \
                 SELECT coalesce(sum(i.quantity), 0)::bigint AS buy_count, \
                        coalesce(sum(i.quantity) FILTER ( \
                            WHERE o.pay_time > to_timestamp(",
            $now,
            "::bigint) - interval '30 days'), 0)::bigint AS month_buy_count \
                 FROM order_items i JOIN orders o ON o.id = i.order_id \
                 WHERE i.goods_id = ",
            $goods,
            " AND o.order_status IN (1, 2, 3) \
             ) sold "
        )
    };
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
    let db = ctx.state.stores.pg().await?;
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

// §2.25 goods.detail -------------------------------------------------------

/// Parameters of goods.detail.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct DetailParams {
    /// 商品 ID
    pub goods_id: Int,
}

#[derive(Serialize)]
struct GoodsDetail {
    goodsid: i64,
    goods_name: String,
    min_market_price: i64,
    max_market_price: i64,
    min_price: i64,
    max_price: i64,
    goods_img: String,
    buy_count: i64,
    month_buy_count: i64,
    limit_count: i64,
    description: String,
    products: Products,
    spec_val: SpecValues,
    goods_image: Vec<String>,
}

#[derive(Serialize)]
struct Product {
    productid: i64,
    market_price: i64,
    sales_price: i64,
    stock: i64,
    spec_val: String,
    skuid: String,
    arr_spec_val: SpecPairs,
}

async fn detail(ctx: Ctx, p: DetailParams) -> ApiResult<Reply> {
    let id = resource_id("goods_id", p.goods_id)?;
    cache::reply(&ctx, id, goods_detail(&ctx, id)).await
}

async fn goods_detail(ctx: &Ctx, id: i64) -> ApiResult<GoodsDetail> {
    let db = ctx.state.stores.pg().await?;
    let goods = goods_row(&db, id, ctx.now()).await?;
    let products = products_of(&db, id).await?;
    let goods_image = images_of(&db, id).await?;
    Ok(GoodsDetail::new(goods, products, goods_image))
}

/// The goods' own columns and sales figures.
struct GoodsRow {
    goodsid: i64,
    goods_name: String,
    goods_img: String,
    limit_count: i64,
    description: String,
    buy_count: i64,
    month_buy_count: i64,
}

impl GoodsDetail {
    fn new(g: GoodsRow, products: Vec<Product>, goods_image: Vec<String>) -> Self {
        let range = |price: fn(&Product) -> i64| {
            let prices = products.iter().map(price);
            (prices.clone().min().unwrap_or(0), prices.max().unwrap_or(0))
        };
        let (min_market_price, max_market_price) = range(|p| p.market_price);
        let (min_price, max_price) = range(|p| p.sales_price);
        Self {
            goodsid: g.goodsid,
            goods_name: g.goods_name,
            min_market_price,
            max_market_price,
            min_price,
            max_price,
            goods_img: g.goods_img,
            buy_count: g.buy_count,
            month_buy_count: g.month_buy_count,
            limit_count: g.limit_count,
            description: g.description,
            spec_val: SpecValues::of(&products),
            products: Products(products),
            goods_image,
        }
    }
}

async fn goods_row(db: &deadpool_postgres::Object, id: i64, now: i64) -> ApiResult<GoodsRow> {
    let stmt = db
        .prepare_cached(concat!(
            "SELECT g.id, g.goods_name, g.goods_img, g.limit_count, g.description, \
                    sold.buy_count, sold.month_buy_count \
             FROM goods g ",
            sold!("g.id", "$2"),
            "WHERE g.id = $1 AND g.display"
        ))
        .await?;
    let r = db
        .query_opt(&stmt, &[&id, &now])
        .await?
        .ok_or_else(|| ApiError::not_found("商品不存在或已下架"))?;
    Ok(GoodsRow {
        goodsid: r.get(0),
        goods_name: r.get(1),
        goods_img: r.get(2),
        limit_count: i64::from(r.get::<_, i32>(3)),
        description: r.get(4),
        buy_count: r.get(5),
        month_buy_count: r.get(6),
    })
}

async fn images_of(db: &deadpool_postgres::Object, goods_id: i64) -> ApiResult<Vec<String>> {
    let stmt = db
        .prepare_cached("SELECT image_url FROM goods_images WHERE goods_id = $1 ORDER BY slot")
        .await?;
    let rows = db.query(&stmt, &[&goods_id]).await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

async fn products_of(db: &deadpool_postgres::Object, goods_id: i64) -> ApiResult<Vec<Product>> {
    let stmt = db
        .prepare_cached(
            "SELECT id, market_price, sales_price, stock, spec_val, sku \
             FROM goods_products WHERE goods_id = $1 ORDER BY id",
        )
        .await?;
    let rows = db.query(&stmt, &[&goods_id]).await?;
    Ok(rows
        .iter()
        .map(|r| {
            let spec_val: String = r.get(4);
            Product {
                productid: r.get(0),
                market_price: i64::from(r.get::<_, i32>(1)),
                sales_price: i64::from(r.get::<_, i32>(2)),
                stock: i64::from(r.get::<_, i32>(3)),
                arr_spec_val: SpecPairs::parse(&spec_val),
                spec_val,
                skuid: r.get(5),
            }
        })
        .collect())
}

/// Products keyed by their spec_val; the one product of a single-spec
/// goods under "single_product".
struct Products(Vec<Product>);

impl Serialize for Products {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for p in &self.0 {
            let key = if p.spec_val.is_empty() {
                "single_product"
            } else {
                &p.spec_val
            };
            map.serialize_entry(key, p)?;
        }
        map.end()
    }
}

/// One product's spec as name → value, parsed from "颜色:::红色|||尺码:::XL";
/// `[]` when it has none (single spec), as the seed shows.
struct SpecPairs(Vec<(String, String)>);

impl SpecPairs {
    fn parse(spec_val: &str) -> Self {
        Self(
            spec_val
                .split("|||")
                .filter_map(|pair| pair.split_once(":::"))
                .map(|(name, value)| (name.trim().to_string(), value.trim().to_string()))
                .filter(|(name, _)| !name.is_empty())
                .collect(),
        )
    }
}

impl Serialize for SpecPairs {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        object_or_empty_list(&self.0, s)
    }
}

/// The goods' specs as name → its values, in product order; `[]` for a
/// single-spec goods.
struct SpecValues(Vec<(String, Vec<String>)>);

impl SpecValues {
    fn of(products: &[Product]) -> Self {
        let mut specs: Vec<(String, Vec<String>)> = Vec::new();
        for (name, value) in products.iter().flat_map(|p| &p.arr_spec_val.0) {
            let i = match specs.iter().position(|(n, _)| n == name) {
                Some(i) => i,
                None => {
                    specs.push((name.clone(), Vec::new()));
                    specs.len() - 1
                }
            };
            if !specs[i].1.contains(value) {
                specs[i].1.push(value.clone());
            }
        }
        Self(specs)
    }
}

impl Serialize for SpecValues {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        object_or_empty_list(&self.0, s)
    }
}

fn object_or_empty_list<S: Serializer, V: Serialize>(
    entries: &[(String, V)],
    s: S,
) -> Result<S::Ok, S::Error> {
    if entries.is_empty() {
        return s.serialize_seq(Some(0))?.end();
    }
    let mut map = s.serialize_map(Some(entries.len()))?;
    for (k, v) in entries {
        map.serialize_entry(k, v)?;
    }
    map.end()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn product(id: i64, spec_val: &str) -> Product {
        Product {
            productid: id,
            market_price: 1,
            sales_price: 1,
            stock: 1,
            spec_val: spec_val.into(),
            skuid: format!("sku{id}"),
            arr_spec_val: SpecPairs::parse(spec_val),
        }
    }

    #[test]
    fn spec_values_parse_into_pairs_and_empty_is_a_list() {
        let j = |p: &SpecPairs| serde_json::to_value(p).unwrap();
        assert_eq!(j(&SpecPairs::parse("")), json!([]));
        assert_eq!(j(&SpecPairs::parse("颜色:::红色")), json!({"颜色": "红色"}));
        assert_eq!(
            j(&SpecPairs::parse("颜色:::白色|||尺码:::XL")),
            json!({"颜色": "白色", "尺码": "XL"})
        );
        assert_eq!(j(&SpecPairs::parse("broken|||:::x")), json!([]));
    }

    #[test]
    fn goods_specs_gather_each_value_once_in_product_order() {
        let products = [
            product(1, "颜色:::白色|||尺码:::L"),
            product(2, "颜色:::白色|||尺码:::XL"),
            product(3, "颜色:::黑色|||尺码:::L"),
        ];
        assert_eq!(
            serde_json::to_value(SpecValues::of(&products)).unwrap(),
            json!({"颜色": ["白色", "黑色"], "尺码": ["L", "XL"]})
        );
        assert_eq!(
            serde_json::to_value(SpecValues::of(&[product(1, "")])).unwrap(),
            json!([])
        );
    }

    #[test]
    fn products_are_keyed_by_spec_or_single_product() {
        let v = serde_json::to_value(Products(vec![product(1, "")])).unwrap();
        assert_eq!(v["single_product"]["productid"], 1);
        let v = serde_json::to_value(Products(vec![product(2, "颜色:::红色")])).unwrap();
        assert_eq!(v["颜色:::红色"]["arr_spec_val"], json!({"颜色": "红色"}));
    }

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
