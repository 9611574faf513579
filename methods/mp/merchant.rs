//! mp.merchant.category.tree, mp.merchant.list and mp.merchant.detail
//! (seed 004 /merchant/categories/tree, /merchants, /merchant/detail;
//! docs/protocol.md §23.4). Distances are PostgreSQL's earthdistance in
//! metres; nearest-first lists walk the GiST index on `ll_to_earth`.

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio_postgres::types::ToSql;

use super::area::coordinate;
use super::{DIALECT, oper_of};
use crate::domain::Money;
use crate::handler::{ApiError, ApiResult, Ctx, Float, Int, Reply, Text, cached};
use crate::stores::opt_row;

/// Merchants a page of mp.merchant.list.
pub const PAGE_SIZE: i64 = DIALECT.paging.size;
/// The largest `radius`, in metres (half the earth's circumference).
const MAX_RADIUS: f64 = 20_000_000.0;

#[derive(Debug, Serialize, Deserialize)]
struct Category {
    id: i32,
    pid: i32,
    name: String,
    icon: String,
    status: i16,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    sub: Vec<Category>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct NoParams {}

pub(super) async fn categories(ctx: Ctx, _: NoParams) -> ApiResult<Reply> {
    cached::reply(&ctx, "", async {
        let db = ctx.stores().pg_read().await?;
        let rows = db
            .query(
                "SELECT id, pid, name, icon, status FROM mp_merchant_categories WHERE status = 1 \
                 ORDER BY pid, sort, id",
                &[],
            )
            .await?;
        let mut top: Vec<Category> = Vec::new();
        for r in &rows {
            let c = Category {
                id: r.get(0),
                pid: r.get(1),
                name: r.get(2),
                icon: r.get(3),
                status: r.get(4),
                sub: Vec::new(),
            };
            match top.iter_mut().find(|t| t.id == c.pid) {
                Some(parent) => parent.sub.push(c),
                None if c.pid == 0 => top.push(c),
                None => {}
            }
        }
        Ok(json!({ "list": top }))
    })
    .await
}

/// A merchant as the seed shows it.
#[derive(Debug, Serialize)]
pub(super) struct Merchant {
    id: i64,
    oper_id: i32,
    merchant_category_id: i32,
    #[serde(rename = "merchantCategoryName")]
    merchant_category_name: String,
    name: String,
    brand: String,
    region: i16,
    address: String,
    province: String,
    province_id: i32,
    city: String,
    city_id: i32,
    area: String,
    area_id: i32,
    lng: f64,
    lat: f64,
    business_time: [String; 2],
    logo: String,
    desc_pic: String,
    desc: String,
    contacter: String,
    contacter_phone: String,
    status: i16,
    #[serde(skip_serializing_if = "Option::is_none")]
    distance: Option<i64>,
    #[serde(rename = "lowestAmount")]
    lowest_amount: Money,
    #[serde(rename = "isOperSelf")]
    is_oper_self: u8,
}

/// The columns [`Merchant::from_row`] reads, of `m` joined to its
/// category `c` and areas `p`, `ci`, `a`, then the distance.
const COLUMNS: &str = "m.id, m.oper_id, m.merchant_category_id, c.name, m.name, m.brand, m.region, \
     m.address, p.name, m.province_id, ci.name, m.city_id, a.name, m.area_id, m.lng, m.lat, \
     to_char(m.open_time, 'HH24:MI:SS'), to_char(m.close_time, 'HH24:MI:SS'), m.logo, m.desc_pic, \
     m.\"desc\", m.contacter, m.contacter_phone, m.status, m.lowest_amount";

const JOINS: &str = "JOIN mp_merchant_categories c ON c.id = m.merchant_category_id \
     JOIN mp_areas p ON p.area_id = m.province_id JOIN mp_areas ci ON ci.area_id = m.city_id \
     JOIN mp_areas a ON a.area_id = m.area_id";

impl Merchant {
    fn from_row(r: &tokio_postgres::Row, oper: Option<i32>) -> ApiResult<Self> {
        let oper_id: i32 = r.get(1);
        let distance: Option<f64> = r.get(25);
        Ok(Self {
            id: r.get(0),
            oper_id,
            merchant_category_id: r.get(2),
            merchant_category_name: r.get(3),
            name: r.get(4),
            brand: r.get(5),
            region: r.get(6),
            address: r.get(7),
            province: r.get(8),
            province_id: r.get(9),
            city: r.get(10),
            city_id: r.get(11),
            area: r.get(12),
            area_id: r.get(13),
            lng: r.get(14),
            lat: r.get(15),
            business_time: [r.get(16), r.get(17)],
            logo: r.get(18),
            desc_pic: r.get(19),
            desc: r.get(20),
            contacter: r.get(21),
            contacter_phone: r.get(22),
            status: r.get(23),
            distance: distance.map(|d| d.round() as i64),
            lowest_amount: Money::stored(r.get::<_, Decimal>(24))?,
            is_oper_self: u8::from(oper == Some(oper_id)),
        })
    }
}

/// Numbered SQL parameters collected as the query is written.
#[derive(Default)]
struct Args<'a> {
    values: Vec<&'a (dyn ToSql + Sync)>,
}

impl<'a> Args<'a> {
    fn push(&mut self, v: &'a (dyn ToSql + Sync)) -> String {
        self.values.push(v);
        format!("${}", self.values.len())
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct ListParams {
    /// 城市 ID（行政区划代码）
    #[serde(default)]
    city_id: Option<Int>,
    /// 搜索关键字（商家名或品牌）
    #[serde(default)]
    keyword: Text,
    /// 商家类别 ID（含其子类）
    #[serde(default)]
    merchant_category_id: Option<Int>,
    /// 用户当前经度
    #[serde(default)]
    lng: Option<Float>,
    /// 用户当前纬度
    #[serde(default)]
    lat: Option<Float>,
    /// 范围（米）：只在有经纬度时有效，只列范围内的商家
    #[serde(default)]
    radius: Option<Float>,
    /// 页数，默认 1
    #[serde(default)]
    page: Option<Int>,
}

/// Both coordinates or neither; 10001 for one alone or out of range.
fn point(lng: Option<Float>, lat: Option<Float>) -> ApiResult<Option<(f64, f64)>> {
    match (lng, lat) {
        (None, None) => Ok(None),
        (Some(lng), Some(lat)) => coordinate(lng.0, lat.0).map(Some),
        _ => Err(DIALECT.invalid("参数 lng 与 lat 须同时传")),
    }
}

fn int32(name: &str, v: Option<Int>) -> ApiResult<Option<i32>> {
    v.map(|i| i32::try_from(i.0).map_err(|_| DIALECT.invalid(format!("参数 {name} 不正确"))))
        .transpose()
}

/// `%keyword%` for ILIKE, its wildcards escaped; empty for none.
fn pattern(keyword: &str) -> ApiResult<String> {
    let k = keyword.trim();
    if k.chars().count() > 50 {
        return Err(DIALECT.invalid("参数 keyword 至多 50 字"));
    }
    if k.is_empty() {
        return Ok(String::new());
    }
    let escaped: String = k
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    Ok(format!("%{escaped}%"))
}

pub(super) async fn list(ctx: Ctx, p: ListParams) -> ApiResult<Reply> {
    let at = point(p.lng, p.lat)?;
    let radius = match (at, p.radius) {
        (Some(_), Some(r)) if !(r.0 > 0.0 && r.0 <= MAX_RADIUS) => {
            return Err(DIALECT.invalid("参数 radius 须为大于 0、至多 20000000 的米数"));
        }
        (Some(_), Some(r)) => Some(r.0),
        _ => None,
    };
    let city = int32("city_id", p.city_id)?;
    let category = int32("merchant_category_id", p.merchant_category_id)?;
    let like = pattern(p.keyword.as_str())?;
    let page = DIALECT.page(p.page.map(|i| i.0), None)?;
    let offset = page.offset();
    let oper = oper_of(&ctx).await?;
    let (lat, lng) = at.map_or((0.0, 0.0), |(lng, lat)| (lat, lng));
    let mut args = Args::default();
    let mut filter = String::from("m.status = 1");
    if let Some(city) = &city {
        filter += &format!(" AND m.city_id = {}", args.push(city));
    }
    if let Some(c) = &category {
        let n = args.push(c);
        filter += &format!(
            " AND (m.merchant_category_id = {n} OR m.merchant_category_id IN \
             (SELECT id FROM mp_merchant_categories WHERE pid = {n}))"
        );
    }
    if !like.is_empty() {
        let n = args.push(&like);
        filter += &format!(" AND (m.name ILIKE {n} OR m.brand ILIKE {n})");
    }
    let mut here = String::new();
    if let Some(r) = &radius {
        here = format!("ll_to_earth({}, {})", args.push(&lat), args.push(&lng));
        let n = args.push(r);
        filter += &format!(
            " AND earth_box({here}, {n}) @> ll_to_earth(m.lat, m.lng) \
             AND earth_distance({here}, ll_to_earth(m.lat, m.lng)) <= {n}"
        );
    }
    let db = ctx.stores().pg().await?;
    let count_sql = format!("SELECT count(*) FROM mp_merchants m WHERE {filter}");
    let count = async {
        let stmt = db.prepare_cached(&count_sql).await?;
        Ok::<i64, ApiError>(db.query_one(&stmt, &args.values).await?.get(0))
    };
    // Without a radius the total does not depend on where the user is: it
    // is a public figure kept like a public answer (docs/protocol.md §13),
    // so a nearest-first page reads only the index.
    let total: i64 = if radius.is_none() {
        let key = format!("mp:merchants:count|{city:?}|{category:?}|{like}");
        cached::value(&ctx, &key, count).await?
    } else {
        count.await?
    };

    if at.is_some() && here.is_empty() {
        here = format!("ll_to_earth({}, {})", args.push(&lat), args.push(&lng));
    }
    let (distance, order) = if at.is_some() {
        (
            format!("earth_distance({here}, ll_to_earth(m.lat, m.lng))"),
            format!("ll_to_earth(m.lat, m.lng) <-> {here}"),
        )
    } else {
        ("NULL::float8".to_string(), "m.id".to_string())
    };
    let limit = format!(
        "LIMIT {} OFFSET {}",
        args.push(&PAGE_SIZE),
        args.push(&offset)
    );
    // The page is chosen on mp_merchants alone and ordered by the index's
    // own `<->` (no tie-breaker, which would turn the KNN index scan into
    // a sort of every row), so nearest-first walks the GiST index; the
    // names are joined to the page's rows only.
    let sql = format!(
        "WITH page AS (SELECT m.id, {distance} AS distance FROM mp_merchants m WHERE {filter} \
         ORDER BY {order} {limit}) \
         SELECT {COLUMNS}, page.distance FROM page JOIN mp_merchants m ON m.id = page.id {JOINS} \
         ORDER BY page.distance, m.id"
    );
    let stmt = db.prepare_cached(&sql).await?;
    let rows = db.query(&stmt, &args.values).await?;
    let list = rows
        .iter()
        .map(|r| Merchant::from_row(r, oper))
        .collect::<ApiResult<Vec<_>>>()?;
    Reply::data(
        "success",
        &json!({"total": total, "page": page.number, "list": list}),
    )
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct DetailParams {
    /// 商户 ID
    id: Int,
    /// 用户所在经度（可不传）
    #[serde(default)]
    lng: Option<Float>,
    /// 用户所在纬度（可不传）
    #[serde(default)]
    lat: Option<Float>,
}

/// The listed merchant `id` (status 1), with its distance from `at`.
pub(super) async fn one(ctx: &Ctx, id: i64, at: Option<(f64, f64)>) -> ApiResult<Merchant> {
    let (lng, lat) = at.unwrap_or((0.0, 0.0));
    let with = at.is_some();
    let sql = format!(
        "SELECT {COLUMNS}, CASE WHEN $4 THEN earth_distance(ll_to_earth($2, $3), \
         ll_to_earth(m.lat, m.lng)) END FROM mp_merchants m {JOINS} WHERE m.id = $1 AND m.status = 1"
    );
    let rows = ctx
        .stores()
        .pg_rows(&sql, &[&id, &lat, &lng, &with])
        .await?;
    let row = opt_row(rows)?.ok_or_else(|| ApiError::not_found("商家不存在"))?;
    Merchant::from_row(&row, oper_of(ctx).await?)
}

pub(super) async fn detail(ctx: Ctx, p: DetailParams) -> ApiResult<Reply> {
    let at = point(p.lng, p.lat)?;
    let m = one(&ctx, p.id.0, at).await?;
    Reply::data("success", &m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_match_literally() {
        assert_eq!(pattern("  ").unwrap(), "");
        assert_eq!(pattern("火锅").unwrap(), "%火锅%");
        assert_eq!(pattern("100%_a\\").unwrap(), "%100\\%\\_a\\\\%");
        assert_eq!(pattern(&"字".repeat(51)).unwrap_err().code(), 10001);
    }

    #[test]
    fn coordinates_come_in_pairs_and_in_range() {
        assert_eq!(point(None, None).unwrap(), None);
        assert_eq!(
            point(Some(Float(116.4)), Some(Float(39.9))).unwrap(),
            Some((116.4, 39.9))
        );
        assert_eq!(point(Some(Float(116.4)), None).unwrap_err().code(), 10001);
        assert_eq!(
            point(Some(Float(181.0)), Some(Float(0.0)))
                .unwrap_err()
                .code(),
            10001
        );
    }
}
