//! system.ads and system.home: the ads showing now in a position.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::handler::{ApiError, ApiResult, Ctx, Reply};

use super::NoParams;
use crate::handler::params::aliased;
use crate::handler::{Text, cached};

/// Parameters of system.ads.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct AdsParams {
    /// 广告位编码：home_banner 首页轮播、app_start APP 启动页
    #[serde(default)]
    pub code: Option<Text>,
    /// code 的别名（Yaf-Server 的写法）；与 code 同时传且不同时 503
    #[serde(default)]
    pub place_code: Option<Text>,
}

/// One ad, as system.ads, system.home and system.init show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ad {
    pub ad_id: i64,
    pub ad_name: String,
    pub ad_image_url: String,
    pub ad_url: String,
}

#[derive(Serialize)]
struct AdList {
    list: Vec<Ad>,
}

pub(super) async fn ads(ctx: Ctx, p: AdsParams) -> ApiResult<Reply> {
    let code = aliased("code", p.code, "place_code", p.place_code)?
        .ok_or_else(|| ApiError::business("缺少参数 code"))?;
    let code = code.as_str().trim();
    if code.is_empty() {
        return Err(ApiError::business("参数 code 不能为空"));
    }
    if code.contains('\0') {
        return Err(ApiError::business("参数 code 不正确"));
    }
    let list = ads_of(&ctx, code)
        .await?
        .ok_or_else(|| ApiError::not_found("广告位不存在"))?;
    Reply::data("success", &AdList { list })
}

/// The ads showing now in position `code`, in display order (an empty list
/// while the position is switched off); `None` when there is no such
/// position. Cached.
///
/// # Errors
/// PostgreSQL failed.
pub async fn ads_of(ctx: &Ctx, code: &str) -> ApiResult<Option<Vec<Ad>>> {
    if code.chars().count() > 50 {
        return Ok(None);
    }
    cached::value(ctx, &format!("ads|{code}"), load_ads(ctx, code)).await
}

async fn load_ads(ctx: &Ctx, code: &str) -> ApiResult<Option<Vec<Ad>>> {
    let db = ctx.stores().pg_read().await?;
    let position = db
        .prepare_cached("SELECT id, enabled, pos_ad_count FROM ad_positions WHERE pos_code = $1")
        .await?;
    let Some(position) = db.query_opt(&position, &[&code]).await? else {
        return Ok(None);
    };
    let (pos_id, enabled, shown): (i64, bool, i16) =
        (position.get(0), position.get(1), position.get(2));
    if !enabled {
        return Ok(Some(Vec::new()));
    }
    let stmt = db
        .prepare_cached(
            "SELECT id, ad_name, ad_image_url, ad_url FROM ads \
             WHERE pos_id = $1 AND display \
               AND start_time <= to_timestamp($2::bigint) AND end_time > to_timestamp($2::bigint) \
             ORDER BY sort, id DESC LIMIT $3",
        )
        .await?;
    let rows = db
        .query(&stmt, &[&pos_id, &ctx.now(), &i64::from(shown)])
        .await?;
    Ok(Some(
        rows.iter()
            .map(|r| Ad {
                ad_id: r.get(0),
                ad_name: r.get(1),
                ad_image_url: r.get(2),
                ad_url: r.get(3),
            })
            .collect(),
    ))
}

#[derive(Serialize)]
struct Home {
    ads: Vec<Ad>,
}

pub(super) async fn home(ctx: Ctx, _: NoParams) -> ApiResult<Reply> {
    let ads = ads_of(&ctx, super::HOME_ADS).await?.unwrap_or_default();
    Reply::data("success", &Home { ads })
}
