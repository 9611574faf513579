//! news.*: articles (docs/methods.md). Public and cached. A category
//! filter takes in the category's visible sub-categories too, so a parent
//! tab ("体育新闻") lists its children's articles ("足球", "篮球").

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::handler::Ctx;
use crate::handler::Int;
use crate::handler::Reply;
use crate::handler::cached;
use crate::handler::{ApiError, ApiResult};
use crate::handler::{Method, Registry};

use crate::handler::dialect::GATEWAY;
use crate::handler::paging::{Page, Paged};
use crate::handler::params::{category_filter, resource_id};

/// Register the news namespace.
pub fn register(r: &mut Registry) {
    r.add(
        Method::new("news.list", "1.0.0").summary(
            "文章列表：已发布的文章，新的在前，每页 20 条；cat_id 为 -1 时不限分类，否则为该分类及其可见子分类。",
        ),
        list,
    );
    r.add(
        Method::new("news.detail", "1.0.0").summary("文章详情；不存在、隐藏或未到发布时间时 404。"),
        detail,
    );
}

// news.list ----------------------------------------------------------

/// Parameters of news.list.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListParams {
    /// 分类 ID；不限分类传 -1（含子分类的文章）
    pub cat_id: Int,
    /// 页码，从 1 开始（小于 1 按 1 处理）
    pub page: Int,
}

#[derive(Serialize)]
struct NewsItem {
    news_id: i64,
    title: String,
    intro: String,
    image_url: String,
    source: String,
    c_time: String,
}

async fn list(ctx: Ctx, p: ListParams) -> ApiResult<Reply> {
    let cat_id = category_filter("cat_id", p.cat_id)?;
    let page = GATEWAY.page(Some(p.page.0), None)?;
    let key = format!("{cat_id}|{page}");
    cached::reply(&ctx, key, news_page(&ctx, cat_id, page)).await
}

/// The published articles of category $1 and its visible descendants
/// (every article when $1 is -1), at time $2; statements append to it.
macro_rules! published_news {
    () => {
        "WITH RECURSIVE cats AS ( \
             SELECT id FROM categories WHERE id = $1 AND cat_type = 1 AND display \
           UNION ALL \
             SELECT c.id FROM categories c JOIN cats ON c.parent_id = cats.id WHERE c.display \
         ), published AS ( \
             SELECT id, title, intro, image_url, source, publish_time FROM news \
             WHERE display AND publish_time <= to_timestamp($2::bigint) \
               AND ($1 = -1 OR cat_id IN (SELECT id FROM cats)) \
         ) "
    };
}

async fn news_page(ctx: &Ctx, cat_id: i64, page: Page) -> ApiResult<Paged<NewsItem>> {
    let db = ctx.stores().pg_read().await?;
    let now = ctx.now();
    let count = db
        .prepare_cached(concat!(published_news!(), "SELECT count(*) FROM published"))
        .await?;
    let total: i64 = db.query_one(&count, &[&cat_id, &now]).await?.get(0);
    let stmt = db
        .prepare_cached(concat!(
            published_news!(),
            "SELECT id, title, intro, image_url, source, extract(epoch FROM publish_time)::bigint \
             FROM published ORDER BY publish_time DESC, id DESC LIMIT $3 OFFSET $4"
        ))
        .await?;
    let rows = db
        .query(&stmt, &[&cat_id, &now, &page.limit(), &page.offset()])
        .await?;
    let list = rows
        .iter()
        .map(|r| NewsItem {
            news_id: r.get(0),
            title: r.get(1),
            intro: r.get(2),
            image_url: r.get(3),
            source: r.get(4),
            c_time: ctx.time_string(r.get(5)),
        })
        .collect();
    Ok(Paged::new(list, total, page))
}

// news.detail --------------------------------------------------------

/// Parameters of news.detail.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct DetailParams {
    /// 文章 ID
    pub news_id: Int,
}

#[derive(Serialize)]
struct NewsDetail {
    news_id: i64,
    title: String,
    intro: String,
    image_url: String,
    source: String,
    c_time: String,
    content: String,
}

async fn detail(ctx: Ctx, p: DetailParams) -> ApiResult<Reply> {
    let id = resource_id("news_id", p.news_id)?;
    cached::reply(&ctx, id, article(&ctx, id)).await
}

async fn article(ctx: &Ctx, id: i64) -> ApiResult<NewsDetail> {
    let db = ctx.stores().pg_read().await?;
    let stmt = db
        .prepare_cached(
            "SELECT id, title, intro, image_url, source, extract(epoch FROM publish_time)::bigint, content \
             FROM news WHERE id = $1 AND display AND publish_time <= to_timestamp($2::bigint)",
        )
        .await?;
    let row = db
        .query_opt(&stmt, &[&id, &ctx.now()])
        .await?
        .ok_or_else(|| ApiError::not_found("文章不存在或已删除"))?;
    Ok(NewsDetail {
        news_id: row.get(0),
        title: row.get(1),
        intro: row.get(2),
        image_url: row.get(3),
        source: row.get(4),
        c_time: ctx.time_string(row.get(5)),
        content: row.get(6),
    })
}
