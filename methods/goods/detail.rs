//! goods.detail: one good with its images, specs and products, in the
//! seed's two shapes (single product, or keyed by spec values).

use schemars::JsonSchema;
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Serialize, Serializer};

use crate::handler::params::resource_id;
use crate::handler::{ApiError, ApiResult, Ctx, Int, Reply, cached};

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

pub(super) async fn detail(ctx: Ctx, p: DetailParams) -> ApiResult<Reply> {
    let id = resource_id("goods_id", p.goods_id)?;
    cached::reply(&ctx, id, goods_detail(&ctx, id)).await
}

async fn goods_detail(ctx: &Ctx, id: i64) -> ApiResult<GoodsDetail> {
    let db = ctx.stores().pg_read().await?;
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

async fn goods_row(db: &crate::stores::db::Db, id: i64, now: i64) -> ApiResult<GoodsRow> {
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

async fn images_of(db: &crate::stores::db::Db, goods_id: i64) -> ApiResult<Vec<String>> {
    let stmt = db
        .prepare_cached("SELECT image_url FROM goods_images WHERE goods_id = $1 ORDER BY slot")
        .await?;
    let rows = db.query(&stmt, &[&goods_id]).await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

async fn products_of(db: &crate::stores::db::Db, goods_id: i64) -> ApiResult<Vec<Product>> {
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
}
