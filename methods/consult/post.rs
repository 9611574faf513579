//! consult.user.post.* demands (seed 001 §1.2) and consult.tag.list: only
//! the author modifies or deletes a demand; a demand with a live order
//! cannot be deleted (docs/protocol.md §20.2).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::machine::LIVE;
use crate::domain::Money;
use crate::handler::{ApiError, ApiResult, Ctx, Int, Reply, Text};

pub(super) fn not_found() -> ApiError {
    ApiError::not_found("需求不存在")
}

/// consult.tag.list: every tag a demand can be published under.
pub(super) async fn tags(ctx: Ctx, _: Empty) -> ApiResult<Reply> {
    let rows = ctx
        .stores()
        .pg_rows("SELECT id, name FROM consult_tags ORDER BY id", &[])
        .await?;
    let list: Vec<Value> = rows
        .iter()
        .map(|r| json!({"tag_id": r.get::<_, i64>(0), "name": r.get::<_, String>(1)}))
        .collect();
    Reply::data("success", &json!({"content": list}))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct Empty {}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct PublishParams {
    /// 忽略：需求属于当前会话的用户（种子文档的 user_id 不由客户端决定）
    #[serde(default)]
    #[allow(dead_code)]
    user_id: Option<Value>,
    /// 标签 ID：一个或数组（1-5 个，见 consult.tag.list）
    tag_id: Value,
    /// 需求标题，1-100 字
    title: Text,
    /// 需求具体内容，1-5000 字
    content: Text,
    /// 需求价格（元，字符串 "300.00"），默认 0
    #[serde(default)]
    price: Option<Value>,
}

/// The demand's text, checked.
fn text(name: &str, t: &Text, max: usize) -> ApiResult<String> {
    let s = t.as_str().trim();
    if s.is_empty() || s.chars().count() > max {
        return Err(ApiError::business(format!("{name}为 1-{max} 字")));
    }
    Ok(s.to_string())
}

/// One tag id or an array of 1-5, as numbers or numeric strings.
fn tag_ids(v: &Value) -> ApiResult<Vec<i64>> {
    let bad = || ApiError::business("参数 tag_id 不正确（标签 ID 或其数组，1-5 个）");
    let one = |v: &Value| match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    let mut ids = match v {
        Value::Array(a) => a
            .iter()
            .map(one)
            .collect::<Option<Vec<i64>>>()
            .ok_or_else(bad)?,
        v => vec![one(v).ok_or_else(bad)?],
    };
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() || ids.len() > 5 {
        return Err(bad());
    }
    Ok(ids)
}

/// Replace the demand's tags; every id must be a tag.
async fn set_tags(tx: &crate::stores::db::Tx<'_>, post: i64, tags: &[i64]) -> ApiResult<()> {
    let known: i64 = tx
        .query_one(
            "SELECT count(*) FROM consult_tags WHERE id = ANY($1)",
            &[&tags],
        )
        .await?
        .get(0);
    if known != tags.len() as i64 {
        return Err(ApiError::business("标签不存在"));
    }
    tx.execute("DELETE FROM consult_post_tags WHERE post_id = $1", &[&post])
        .await?;
    tx.execute(
        "INSERT INTO consult_post_tags (post_id, tag_id) SELECT $1, unnest($2::bigint[])",
        &[&post, &tags],
    )
    .await?;
    Ok(())
}

/// consult.user.post.publish.
pub(super) async fn publish(ctx: Ctx, p: PublishParams) -> ApiResult<Reply> {
    let user = ctx.user()?.id;
    let tags = tag_ids(&p.tag_id)?;
    let title = text("需求标题", &p.title, 100)?;
    let content = text("需求内容", &p.content, 5000)?;
    let price = match &p.price {
        None => Money::from_cents(0).expect("zero is money"),
        Some(v) => Money::parse("price", v)?,
    };
    let now = ctx.now() as f64;
    let mut db = ctx.stores().pg().await?;
    let tx = db.transaction().await?;
    let id: i64 = tx
        .query_one(
            "INSERT INTO consult_posts (user_id, title, content, price, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, to_timestamp($5), to_timestamp($5)) RETURNING id",
            &[&user, &title, &content, &price.to_decimal(), &now],
        )
        .await?
        .get(0);
    set_tags(&tx, id, &tags).await?;
    tx.commit().await?;
    Reply::data("发布成功", &json!({"content": [id]}))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct ModifyParams {
    /// 所要修改的需求 ID
    post_id: Int,
    /// 忽略：以当前会话的用户为准
    #[serde(default)]
    #[allow(dead_code)]
    user_id: Option<Value>,
    /// 标签 ID：一个或数组（1-5 个）
    tag_id: Value,
    /// 需求标题，1-100 字
    title: Text,
    /// 需求具体内容，1-5000 字
    content: Text,
}

/// The caller's own demand, locked; another's or a deleted one is 404.
async fn own_post(tx: &crate::stores::db::Tx<'_>, post: i64, user: i64) -> ApiResult<()> {
    tx.query_opt(
        "SELECT 1 FROM consult_posts WHERE id = $1 AND user_id = $2 AND deleted_at IS NULL FOR UPDATE",
        &[&post, &user],
    )
    .await?
    .map(|_| ())
    .ok_or_else(not_found)
}

/// consult.user.post.modify.
pub(super) async fn modify(ctx: Ctx, p: ModifyParams) -> ApiResult<Reply> {
    let user = ctx.user()?.id;
    let tags = tag_ids(&p.tag_id)?;
    let title = text("需求标题", &p.title, 100)?;
    let content = text("需求内容", &p.content, 5000)?;
    let mut db = ctx.stores().pg().await?;
    let tx = db.transaction().await?;
    own_post(&tx, p.post_id.0, user).await?;
    tx.execute(
        "UPDATE consult_posts SET title = $2, content = $3, updated_at = to_timestamp($4) WHERE id = $1",
        &[&p.post_id.0, &title, &content, &(ctx.now() as f64)],
    )
    .await?;
    set_tags(&tx, p.post_id.0, &tags).await?;
    tx.commit().await?;
    Reply::data("修改成功", &json!({"content": []}))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct PostIdParams {
    /// 需求 ID
    post_id: Int,
}

/// consult.user.post.delete: soft; refused while an order on it is live.
pub(super) async fn delete(ctx: Ctx, p: PostIdParams) -> ApiResult<Reply> {
    let user = ctx.user()?.id;
    let mut db = ctx.stores().pg().await?;
    let tx = db.transaction().await?;
    own_post(&tx, p.post_id.0, user).await?;
    let live = tx
        .query_opt(
            "SELECT 1 FROM consult_orders WHERE post_id = $1 AND status = ANY($2) LIMIT 1",
            &[&p.post_id.0, &LIVE],
        )
        .await?;
    if live.is_some() {
        return Err(ApiError::business("该需求有进行中的订单，不能删除"));
    }
    tx.execute(
        "UPDATE consult_posts SET deleted_at = to_timestamp($2) WHERE id = $1",
        &[&p.post_id.0, &(ctx.now() as f64)],
    )
    .await?;
    tx.commit().await?;
    Reply::data("删除成功", &json!({"content": []}))
}

#[derive(Serialize)]
struct Mine {
    post_id: i64,
    tag_id: Vec<i64>,
    title: String,
    summary: String,
    create_time: String,
    update_time: String,
    price: Money,
}

/// The caller's demands, newest first (one literal, built at compile time).
const MINE: &str = "SELECT p.id, \
     ARRAY(SELECT tag_id FROM consult_post_tags t WHERE t.post_id = p.id ORDER BY tag_id), \
     p.title, p.content, extract(epoch FROM p.created_at)::bigint, \
     extract(epoch FROM p.updated_at)::bigint, p.price FROM consult_posts p \
     WHERE p.user_id = $1 AND p.deleted_at IS NULL ORDER BY p.id DESC LIMIT 100";

/// consult.user.post.check: the caller's demands, newest first.
pub(super) async fn check(ctx: Ctx, _: Empty) -> ApiResult<Reply> {
    let user = ctx.user()?.id;
    let rows = ctx.stores().pg_rows(MINE, &[&user]).await?;
    let mut list = Vec::with_capacity(rows.len());
    for r in rows {
        list.push(Mine {
            post_id: r.get(0),
            tag_id: r.get(1),
            title: r.get(2),
            summary: r.get(3),
            create_time: ctx.time_string(r.get(4)),
            update_time: ctx.time_string(r.get(5)),
            price: Money::stored(r.get(6))?,
        });
    }
    Reply::data("success", &json!({"content": list}))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct AcquireParams {
    /// 标签 ID
    tag_id: Int,
}

#[derive(Serialize)]
struct Tagged {
    post_id: i64,
    user_id: i64,
    title: String,
    summary: String,
    create_time: String,
    price: Money,
}

/// consult.user.post.acquire: a tag's demands for consultants, newest first.
pub(super) async fn acquire(ctx: Ctx, p: AcquireParams) -> ApiResult<Reply> {
    let rows = ctx
        .stores()
        .pg_rows(
            "SELECT p.id, p.user_id, p.title, p.content, extract(epoch FROM p.created_at)::bigint, p.price \
             FROM consult_posts p JOIN consult_post_tags t ON t.post_id = p.id \
             WHERE t.tag_id = $1 AND p.deleted_at IS NULL ORDER BY p.id DESC LIMIT 100",
            &[&p.tag_id.0],
        )
        .await?;
    let mut list = Vec::with_capacity(rows.len());
    for r in rows {
        list.push(Tagged {
            post_id: r.get(0),
            user_id: r.get(1),
            title: r.get(2),
            summary: r.get(3),
            create_time: ctx.time_string(r.get(4)),
            price: Money::stored(r.get(5))?,
        });
    }
    Reply::data("success", &json!({"content": list}))
}
