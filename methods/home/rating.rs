//! home ratings (seed 000 服务评价接口): create (only for a confirmed
//! booking, once; it completes the booking and moves the service's score),
//! by booking, by service.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::machines::{
    NOT_FOUND, ORDER_CONSUMER, RATE_MISMATCH, RATE_NOT_CONSUMER, RATE_OWN, RATED,
};
use super::{DIALECT, PageParams, block, illustration, page_of, parsed, parsed_rows, tz};
use crate::handler::{ApiResult, Ctx, Int, Reply, Text};
use crate::shared::machine::{Actor, Key, transition};
use crate::stores::one_row;

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct CreateParams {
    /// 评价目标订单的订单 id
    order_id: Int,
    /// 可空，评价的服务 id；传了须与订单的服务一致（否则 10020）
    #[serde(default)]
    service_id: Option<Int>,
    /// 服务评分，1-5 分
    score: Int,
    /// 评价内容，1-1000 字
    content: Text,
    /// 可空，截图：外网图片 url 数组，最多 5 张
    #[serde(default)]
    illustration: Option<Value>,
}

/// home.rating.create: the consumer rates a 待评价 booking; the booking
/// becomes 已完成 and the service's score follows, in one transaction.
pub(super) async fn create(ctx: Ctx, p: CreateParams) -> ApiResult<Reply> {
    let user = ctx.user()?.id;
    let score = i16::try_from(p.score.0)
        .ok()
        .filter(|s| (1..=5).contains(s))
        .ok_or_else(|| DIALECT.invalid("score 为 1-5 分"))?;
    let content = p.content.as_str().trim().to_string();
    if content.is_empty() || content.chars().count() > 1000 {
        return Err(DIALECT.invalid("content 为 1-1000 字"));
    }
    let pictures = illustration(p.illustration)?;
    let now = ctx.now();
    let mut db = ctx.stores().pg().await?;
    let tx = db.transaction().await?;
    // The booking's row lock: parallel ratings of one booking queue here.
    let row = tx
        .query_opt(
            "SELECT publisher_id, consumer_id, service_id FROM home_orders WHERE id = $1 FOR UPDATE",
            &[&p.order_id.0],
        )
        .await?
        .ok_or_else(|| NOT_FOUND.error())?;
    let (publisher, consumer, service): (i64, i64, i64) = (row.get(0), row.get(1), row.get(2));
    if publisher == user {
        return Err(RATE_OWN.error());
    }
    if consumer != user {
        return Err(RATE_NOT_CONSUMER.error());
    }
    if p.service_id.is_some_and(|s| s.0 != service) {
        return Err(RATE_MISMATCH.error());
    }
    let rated = tx
        .query_opt(
            "SELECT 1 FROM home_ratings WHERE order_id = $1",
            &[&p.order_id.0],
        )
        .await?;
    if rated.is_some() {
        return Err(RATED.error());
    }
    let key = Key::Id(p.order_id.0);
    transition(&tx, &ORDER_CONSUMER, key, "rate", &Actor::Owner(user), now).await?;
    let id: i64 = tx
        .query_one(
            "INSERT INTO home_ratings (order_id, service_id, author_id, score, content, illustration, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6::text::jsonb, to_timestamp($7)) RETURNING id",
            &[&p.order_id.0, &service, &user, &score, &content, &pictures.to_string(), &(now as f64)],
        )
        .await?
        .get(0);
    tx.execute(
        "UPDATE home_services SET score_sum = score_sum + $2, rating_count = rating_count + 1 WHERE id = $1",
        &[&service, &i32::from(score)],
    )
    .await?;
    tx.commit().await?;
    Reply::data(
        "ok",
        &json!({"score": score.to_string(), "content": content, "illustration": pictures,
                "create_time": ctx.time_string(now), "id": id}),
    )
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct OrderParams {
    /// 预约订单 id
    order_id: Int,
}

/// home.rating.order: the rating of a booking (404 while it has none).
pub(super) async fn by_order(ctx: Ctx, p: OrderParams) -> ApiResult<Reply> {
    ctx.user()?;
    let row = ctx
        .stores()
        .pg()
        .await?
        .query_opt(
            "SELECT home_rating_json(id, $2)::text FROM home_ratings WHERE order_id = $1 AND status = 2",
            &[&p.order_id.0, &tz(&ctx)],
        )
        .await?
        .ok_or_else(|| NOT_FOUND.error())?;
    Reply::data("ok", &parsed(row.get(0))?)
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct ServiceParams {
    /// 服务 id
    service_id: Int,
    #[serde(flatten)]
    paging: PageParams,
}

/// home.rating.service: a service's shown ratings, newest first.
pub(super) async fn by_service(ctx: Ctx, p: ServiceParams) -> ApiResult<Reply> {
    ctx.user()?;
    let page = page_of(&p.paging)?;
    let total: i64 = one_row(
        ctx.stores()
            .pg_rows(
                "SELECT count(*) FROM home_ratings WHERE service_id = $1 AND status = 2",
                &[&p.service_id.0],
            )
            .await?,
    )?
    .get(0);
    let rows = ctx
        .stores()
        .pg_rows(
            "SELECT home_rating_json(id, $2)::text FROM home_ratings WHERE service_id = $1 AND status = 2 \
             ORDER BY id DESC LIMIT $3 OFFSET $4",
            &[&p.service_id.0, &tz(&ctx), &page.size, &page.offset()],
        )
        .await?;
    Reply::data("ok", &block(page, total, parsed_rows(&rows)?))
}
