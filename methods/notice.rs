//! notice.*: system notices (docs/methods.md). The list and the detail
//! are public and cached; a logged-in reader's detail call marks the notice
//! read, which notice.unread.count counts.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::handler::Ctx;
use crate::handler::Int;
use crate::handler::Reply;
use crate::handler::cached;
use crate::handler::{ApiError, ApiResult};
use crate::handler::{Method, Registry};
use crate::stores::one_row;

use crate::handler::dialect::GATEWAY;
use crate::handler::paging::{Page, Paged};
use crate::handler::params::resource_id;

/// Register the notice namespace.
pub fn register(r: &mut Registry) {
    r.add(
        Method::new("notice.list", "1.0.0")
            .summary("公告列表：已发布的公告，新的在前，每页 20 条。"),
        list,
    );
    r.add(
        Method::new("notice.detail", "1.0.0")
            .optional_user()
            .summary("公告详情；不存在、隐藏或未到发布时间时 404。带有效 token 时记为该用户已读。"),
        detail,
    );
    r.add(
        Method::new("notice.unread.count", "1.0.0")
            .optional_user()
            .summary("当前用户未读公告数：已发布、未在 notice.detail 中读过的公告。token 可为空：未登录（或 token 无效）时 count 为 0。"),
        unread_count,
    );
}

// notice.list --------------------------------------------------------

/// Parameters of notice.list.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListParams {
    /// 页码，从 1 开始（小于 1 按 1 处理）
    pub page: Int,
}

#[derive(Serialize)]
struct NoticeItem {
    noticeid: i64,
    title: String,
    summary: String,
    c_time: String,
}

async fn list(ctx: Ctx, p: ListParams) -> ApiResult<Reply> {
    let page = GATEWAY.page(Some(p.page.0), None)?;
    cached::reply(&ctx, page, notice_page(&ctx, page)).await
}

async fn notice_page(ctx: &Ctx, page: Page) -> ApiResult<Paged<NoticeItem>> {
    let db = ctx.stores().pg_read().await?;
    let now = ctx.now();
    let count = db
        .prepare_cached(
            "SELECT count(*) FROM notices WHERE display AND publish_time <= to_timestamp($1::bigint)",
        )
        .await?;
    let total: i64 = db.query_one(&count, &[&now]).await?.get(0);
    let stmt = db
        .prepare_cached(
            "SELECT id, title, summary, extract(epoch FROM publish_time)::bigint FROM notices \
             WHERE display AND publish_time <= to_timestamp($1::bigint) \
             ORDER BY publish_time DESC, id DESC LIMIT $2 OFFSET $3",
        )
        .await?;
    let rows = db
        .query(&stmt, &[&now, &page.limit(), &page.offset()])
        .await?;
    let list = rows
        .iter()
        .map(|r| NoticeItem {
            noticeid: r.get(0),
            title: r.get(1),
            summary: r.get(2),
            c_time: ctx.time_string(r.get(3)),
        })
        .collect();
    Ok(Paged::new(list, total, page))
}

// notice.detail ------------------------------------------------------

/// Parameters of notice.detail.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct DetailParams {
    /// 公告 ID
    pub noticeid: Int,
}

#[derive(Serialize)]
struct NoticeDetail {
    noticeid: i64,
    title: String,
    summary: String,
    body: String,
    c_time: String,
}

async fn detail(ctx: Ctx, p: DetailParams) -> ApiResult<Reply> {
    let id = resource_id("noticeid", p.noticeid)?;
    let reply = cached::reply(&ctx, id, notice(&ctx, id)).await?;
    if let Some(user) = &ctx.user {
        mark_read(&ctx, user.id, id).await?;
    }
    Ok(reply)
}

async fn mark_read(ctx: &Ctx, user: i64, notice: i64) -> ApiResult<()> {
    let db = ctx.stores().pg().await?;
    let stmt = db
        .prepare_cached(
            "INSERT INTO notice_reads (notice_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .await?;
    db.execute(&stmt, &[&notice, &user]).await?;
    Ok(())
}

// notice.unread.count ------------------------------------------------

/// notice.unread.count takes only the session `token`, which may be empty.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct UnreadParams {}

#[derive(Serialize)]
struct Unread {
    count: i64,
}

async fn unread_count(ctx: Ctx, _: UnreadParams) -> ApiResult<Reply> {
    // Logged out (upstream's empty token): nothing is unread.
    let Some(user) = ctx.user.as_ref().map(|u| u.id) else {
        return Reply::data("success", &Unread { count: 0 });
    };
    let rows = ctx
        .stores()
        .pg_rows(
            "SELECT count(*) FROM notices n WHERE n.display AND n.publish_time <= to_timestamp($2::bigint) \
             AND NOT EXISTS (SELECT 1 FROM notice_reads r WHERE r.notice_id = n.id AND r.user_id = $1)",
            &[&user, &ctx.now()],
        )
        .await?;
    let count: i64 = one_row(rows)?.get(0);
    Reply::data("success", &Unread { count })
}

async fn notice(ctx: &Ctx, id: i64) -> ApiResult<NoticeDetail> {
    let db = ctx.stores().pg_read().await?;
    let stmt = db
        .prepare_cached(
            "SELECT id, title, summary, body, extract(epoch FROM publish_time)::bigint FROM notices \
             WHERE id = $1 AND display AND publish_time <= to_timestamp($2::bigint)",
        )
        .await?;
    let row = db
        .query_opt(&stmt, &[&id, &ctx.now()])
        .await?
        .ok_or_else(|| ApiError::not_found("公告不存在或已删除"))?;
    Ok(NoticeDetail {
        noticeid: row.get(0),
        title: row.get(1),
        summary: row.get(2),
        body: row.get(3),
        c_time: ctx.time_string(row.get(4)),
    })
}
