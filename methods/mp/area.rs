//! mp.area.tree, mp.area.cities and mp.area.by_gps (seed 004 /area/tree,
//! /area/cities/withHot, /area/getByGps; docs/protocol.md §23.3): the
//! province/city/county tree of `mp_areas`, and the county nearest to a
//! coordinate by its centroid, without an outside map API.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::DIALECT;
use crate::handler::{ApiError, ApiResult, Ctx, Float, Int, Reply, cached};
use crate::stores::opt_row;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Area {
    id: i32,
    area_id: i32,
    name: String,
    parent_id: i32,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    sub: Vec<Area>,
    #[serde(skip)]
    level: i16,
}

async fn areas(ctx: &Ctx, levels: i16) -> ApiResult<Vec<Area>> {
    let db = ctx.stores().pg_read().await?;
    let rows = db
        .query(
            "SELECT id, area_id, name, parent_id, level FROM mp_areas WHERE level <= $1 \
             ORDER BY level, area_id",
            &[&levels],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| Area {
            id: r.get(0),
            area_id: r.get(1),
            name: r.get(2),
            parent_id: r.get(3),
            sub: Vec::new(),
            level: r.get(4),
        })
        .collect())
}

/// Nest `flat` (ordered by level) under its parents, deepest first.
fn nest(mut flat: Vec<Area>) -> Vec<Area> {
    for level in (2..=3).rev() {
        let (children, rest): (Vec<Area>, Vec<Area>) =
            flat.into_iter().partition(|a| a.level == level);
        flat = rest;
        for child in children {
            if let Some(parent) = flat.iter_mut().find(|p| p.area_id == child.parent_id) {
                parent.sub.push(child);
            }
        }
    }
    flat
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct TreeParams {
    /// 要获取的层级数 1-3（省/市/县），默认 3
    #[serde(default)]
    tier: Option<Int>,
}

pub(super) async fn tree(ctx: Ctx, p: TreeParams) -> ApiResult<Reply> {
    let tier = p.tier.map_or(3, |t| t.0);
    if !(1..=3).contains(&tier) {
        return Err(DIALECT.invalid("参数 tier 须为 1-3"));
    }
    let levels = tier as i16;
    cached::reply(&ctx, tier, async {
        Ok(json!({"list": nest(areas(&ctx, levels).await?)}))
    })
    .await
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct NoParams {}

pub(super) async fn cities(ctx: Ctx, _: NoParams) -> ApiResult<Reply> {
    cached::reply(&ctx, "", async {
        let db = ctx.stores().pg_read().await?;
        let rows = db
            .query(
                "SELECT id, area_id, name, parent_id, initial, hot FROM mp_areas WHERE level = 2 \
                 ORDER BY initial, area_id",
                &[],
            )
            .await?;
        let mut hot = Vec::new();
        let mut by_letter: Map<String, Value> = Map::new();
        for r in &rows {
            let city = json!({"id": r.get::<_, i32>(0), "area_id": r.get::<_, i32>(1),
                              "name": r.get::<_, String>(2), "parent_id": r.get::<_, i32>(3)});
            if r.get::<_, bool>(5) {
                hot.push(city.clone());
            }
            let letter: String = r.get(4);
            if let Value::Array(list) = by_letter.entry(letter).or_insert_with(|| json!([])) {
                list.push(city);
            }
        }
        let mut out = Map::new();
        out.insert("热门".into(), Value::Array(hot));
        out.extend(by_letter);
        Ok(Value::Object(out))
    })
    .await
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct GpsParams {
    /// 经度，-180 至 180
    lng: Float,
    /// 纬度，-90 至 90
    lat: Float,
}

/// A coordinate in range; 10001 otherwise.
pub(super) fn coordinate(lng: f64, lat: f64) -> ApiResult<(f64, f64)> {
    if !(-180.0..=180.0).contains(&lng) {
        return Err(DIALECT.invalid("参数 lng 须为 -180 至 180 的经度"));
    }
    if !(-90.0..=90.0).contains(&lat) {
        return Err(DIALECT.invalid("参数 lat 须为 -90 至 90 的纬度"));
    }
    Ok((lng, lat))
}

pub(super) async fn by_gps(ctx: Ctx, p: GpsParams) -> ApiResult<Reply> {
    let (lng, lat) = coordinate(p.lng.0, p.lat.0)?;
    let rows = ctx
        .stores()
        .pg_rows(
            "SELECT p.name, p.area_id, c.name, c.area_id, a.name, a.area_id FROM mp_areas a \
             JOIN mp_areas c ON c.area_id = a.parent_id JOIN mp_areas p ON p.area_id = c.parent_id \
             WHERE a.level = 3 ORDER BY ll_to_earth(a.lat, a.lng) <-> ll_to_earth($1, $2) LIMIT 1",
            &[&lat, &lng],
        )
        .await?;
    let row = opt_row(rows)?.ok_or_else(|| ApiError::not_found("未找到所在城市"))?;
    Reply::data(
        "success",
        &json!({
            "province": row.get::<_, String>(0), "province_id": row.get::<_, i32>(1),
            "city": row.get::<_, String>(2), "city_id": row.get::<_, i32>(3),
            "area": row.get::<_, String>(4), "area_id": row.get::<_, i32>(5),
        }),
    )
}
