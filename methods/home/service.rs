//! home services (seed 000 分类接口, 服务接口): categories, the published
//! list, create, mine, my status counts, detail, the status actions of
//! 服务操作枚举, edit, and the back office's review.

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::machines::{FORBIDDEN, NOT_FOUND, SERVICE, service_status};
use super::{
    DIALECT, PageParams, base_url, block, page_of, parsed, parsed_rows, status_filter, tz,
};
use crate::config::apps::AppKind;
use crate::domain::Money;
use crate::handler::{ApiResult, Ctx, Int, Reply, Text};
use crate::shared::machine::{Actor, Key, transition};
use crate::stores::one_row;

/// home.category.list: every category, in the back office's order.
pub(super) async fn categories(ctx: Ctx, _: Empty) -> ApiResult<Reply> {
    let rows = ctx
        .stores()
        .pg_rows(
            "SELECT id, name FROM home_categories ORDER BY sort, id",
            &[],
        )
        .await?;
    let list: Vec<Value> = rows
        .iter()
        .map(|r| json!({"id": r.get::<_, i64>(0), "name": r.get::<_, String>(1)}))
        .collect();
    // The envelope's data is an object (docs/protocol.md §4): the seed's
    // array is its `list`.
    Reply::data("ok", &json!({"list": list}))
}

/// No parameters.
#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct Empty {}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct ListParams {
    /// 可空，分类 id
    #[serde(default)]
    category_id: Option<Int>,
    /// 可空，服务类型：1 在提供；2 正在找
    #[serde(default, rename = "type")]
    kind: Option<Int>,
    #[serde(flatten)]
    paging: PageParams,
}

/// home.service.list: published services, newest first.
pub(super) async fn list(ctx: Ctx, p: ListParams) -> ApiResult<Reply> {
    let page = page_of(&p.paging)?;
    let category = p.category_id.map_or(-1, |c| c.0);
    let kind = match p.kind {
        None => -1,
        Some(k) => i64::from(kind_of(k)?),
    };
    macro_rules! filter {
        () => {
            "status = 2 AND ($1::bigint = -1 OR category_id = $1) AND ($2::bigint = -1 OR type = $2)"
        };
    }
    const COUNT: &str = concat!("SELECT count(*) FROM home_services WHERE ", filter!());
    const PAGE: &str = concat!(
        "SELECT home_service_json(id, $3, $4)::text FROM home_services WHERE ",
        filter!(),
        " ORDER BY id DESC LIMIT $5 OFFSET $6"
    );
    let total: i64 = one_row(ctx.stores().pg_rows(COUNT, &[&category, &kind]).await?)?.get(0);
    let rows = ctx
        .stores()
        .pg_rows(
            PAGE,
            &[
                &category,
                &kind,
                &tz(&ctx),
                &base_url(&ctx),
                &page.size,
                &page.offset(),
            ],
        )
        .await?;
    Reply::data("ok", &block(page, total, parsed_rows(&rows)?))
}

fn kind_of(v: Int) -> ApiResult<i16> {
    match v.0 {
        1 | 2 => Ok(v.0 as i16),
        _ => Err(DIALECT.invalid("type 为 1（在提供）或 2（正在找）")),
    }
}

/// The fields of a service, as create and edit take them.
#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct Fields {
    /// 服务所属类型：1 在提供；2 正在找
    #[serde(rename = "type")]
    kind: Int,
    /// 服务标题，1-100 字
    title: Text,
    /// 服务所属分类的 id
    category_id: Int,
    /// 封面图 id（home.file.upload 返回的 id）
    cover_image_id: Int,
    /// 是否要求预约人指定服务地点：1 是；0 否
    designated_place: Int,
    /// 服务详情描述，1-5000 字
    description: Text,
    /// 服务有效期开始日期，如 2021-01-01
    begin_date: Text,
    /// 服务有效期结束日期，如 2021-01-01
    end_date: Text,
    /// 服务价格（元），最多两位小数，如 "300.00"
    price: Value,
}

/// Fields checked, ready to write.
struct Checked {
    kind: i16,
    title: String,
    category: i64,
    cover: i64,
    place: i16,
    description: String,
    begin: String,
    end: String,
    price: Money,
}

fn check(f: &Fields) -> ApiResult<Checked> {
    let title = f.title.as_str().trim();
    if title.is_empty() || title.chars().count() > 100 {
        return Err(DIALECT.invalid("title 为 1-100 字"));
    }
    let description = f.description.as_str().trim();
    if description.is_empty() || description.chars().count() > 5000 {
        return Err(DIALECT.invalid("description 为 1-5000 字"));
    }
    let place = match f.designated_place.0 {
        0 | 1 => f.designated_place.0 as i16,
        _ => return Err(DIALECT.invalid("designated_place 为 0 或 1")),
    };
    let date = |name: &str, t: &Text| {
        NaiveDate::parse_from_str(t.as_str().trim(), "%Y-%m-%d")
            .map_err(|_| DIALECT.invalid(format!("{name} 格式为 2021-01-01")))
    };
    let (begin, end) = (
        date("begin_date", &f.begin_date)?,
        date("end_date", &f.end_date)?,
    );
    if end < begin {
        return Err(DIALECT.invalid("end_date 不能早于 begin_date"));
    }
    let price = Money::parse("price", &f.price).map_err(|e| DIALECT.invalid(e.public_msg()))?;
    Ok(Checked {
        kind: kind_of(Int(f.kind.0))?,
        title: title.to_string(),
        category: f.category_id.0,
        cover: f.cover_image_id.0,
        place,
        description: description.to_string(),
        begin: begin.to_string(),
        end: end.to_string(),
        price,
    })
}

/// The category and the cover image must exist.
async fn check_refs(tx: &crate::stores::db::Tx<'_>, c: &Checked) -> ApiResult<()> {
    let row = tx
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM home_categories WHERE id = $1), \
             EXISTS (SELECT 1 FROM files WHERE id = $2)",
            &[&c.category, &c.cover],
        )
        .await?;
    if !row.get::<_, bool>(0) {
        return Err(DIALECT.invalid("category_id 分类不存在"));
    }
    if !row.get::<_, bool>(1) {
        return Err(DIALECT.invalid("cover_image_id 图片不存在"));
    }
    Ok(())
}

/// home.service.create: a new service, 待审核 until the back office
/// reviews it.
pub(super) async fn create(ctx: Ctx, f: Fields) -> ApiResult<Reply> {
    let user = ctx.user()?.id;
    let c = check(&f)?;
    let mut db = ctx.stores().pg().await?;
    let tx = db.transaction().await?;
    check_refs(&tx, &c).await?;
    let id: i64 = tx
        .query_one(
            "INSERT INTO home_services (publisher_id, type, category_id, cover_image_id, designated_place, \
             title, description, begin_date, end_date, price, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text::date, $9::text::date, $10, to_timestamp($11), to_timestamp($11)) \
             RETURNING id",
            &[&user, &c.kind, &c.category, &c.cover, &c.place, &c.title, &c.description,
              &c.begin, &c.end, &c.price.to_decimal(), &(ctx.now() as f64)],
        )
        .await?
        .get(0);
    tx.commit().await?;
    crate::shared::roles::grant(ctx.stores(), user, ("home", "publisher")).await?;
    Reply::data("ok", &json!({"service_id": id}))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct MyParams {
    /// 服务类型：1 在提供；2 正在找
    #[serde(rename = "type")]
    kind: Int,
    /// 可空，服务状态（服务状态枚举 0-5）；不传则查询所有状态
    #[serde(default)]
    status: Option<Int>,
    #[serde(flatten)]
    paging: PageParams,
}

/// home.service.my: the caller's services of a type, by status.
pub(super) async fn mine(ctx: Ctx, p: MyParams) -> ApiResult<Reply> {
    let user = ctx.user()?.id;
    let page = page_of(&p.paging)?;
    let kind = kind_of(p.kind)?;
    let status = status_filter(p.status, service_status::DENIED)?;
    macro_rules! filter {
        () => {
            "publisher_id = $1 AND type = $2 AND ($3::smallint = -1 OR status = $3)"
        };
    }
    const COUNT: &str = concat!("SELECT count(*) FROM home_services WHERE ", filter!());
    const PAGE: &str = concat!(
        "SELECT home_service_json(id, $4, $5)::text FROM home_services WHERE ",
        filter!(),
        " ORDER BY id DESC LIMIT $6 OFFSET $7"
    );
    let total: i64 = one_row(
        ctx.stores()
            .pg_rows(COUNT, &[&user, &kind, &status])
            .await?,
    )?
    .get(0);
    let rows = ctx
        .stores()
        .pg_rows(
            PAGE,
            &[
                &user,
                &kind,
                &status,
                &tz(&ctx),
                &base_url(&ctx),
                &page.size,
                &page.offset(),
            ],
        )
        .await?;
    Reply::data("ok", &block(page, total, parsed_rows(&rows)?))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct CountParams {
    /// 服务类型：1 在提供；2 正在找
    #[serde(rename = "type")]
    kind: Int,
}

/// home.service.count: the caller's services of a type per status.
pub(super) async fn count(ctx: Ctx, p: CountParams) -> ApiResult<Reply> {
    let user = ctx.user()?.id;
    let kind = kind_of(p.kind)?;
    let row = ctx
        .stores()
        .pg()
        .await?
        .query_one(
            "SELECT count(*) FILTER (WHERE status = 0), count(*) FILTER (WHERE status = 1), \
             count(*) FILTER (WHERE status = 2), count(*) FILTER (WHERE status = 3) \
             FROM home_services WHERE publisher_id = $1 AND type = $2",
            &[&user, &kind],
        )
        .await?;
    Reply::data(
        "ok",
        &json!({"pending": row.get::<_, i64>(0), "unpublished": row.get::<_, i64>(1),
                "published": row.get::<_, i64>(2), "off_shelves": row.get::<_, i64>(3)}),
    )
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct IdParams {
    /// 服务 id
    id: Int,
}

/// home.service.detail: a published service, or any of the caller's own.
pub(super) async fn detail(ctx: Ctx, p: IdParams) -> ApiResult<Reply> {
    let user = ctx.user()?.id;
    Reply::data("ok", &visible(&ctx, p.id.0, user).await?)
}

/// The service `id` as the seed shows it, when `user` may see it.
async fn visible(ctx: &Ctx, id: i64, user: i64) -> ApiResult<Value> {
    let row = ctx
        .stores()
        .pg()
        .await?
        .query_opt(
            "SELECT home_service_json(id, $2, $3)::text FROM home_services \
             WHERE id = $1 AND (status = 2 OR publisher_id = $4)",
            &[&id, &tz(ctx), &base_url(ctx), &user],
        )
        .await?
        .ok_or_else(|| NOT_FOUND.error())?;
    parsed(row.get(0))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct ActionParams {
    /// 服务 id
    id: Int,
    /// 服务操作枚举：1 发布服务；2 暂停发布；3 取消服务
    action: Int,
}

/// home.service.update: the publisher's actions of 服务操作枚举.
pub(super) async fn update(ctx: Ctx, p: ActionParams) -> ApiResult<Reply> {
    let action = match p.action.0 {
        1 => "publish",
        2 => "unpublish",
        3 => "cancel",
        _ => return Err(DIALECT.invalid("action 为 1（发布）、2（暂停发布）或 3（取消）")),
    };
    let actor = Actor::Owner(ctx.user()?.id);
    let t = move_service(&ctx, p.id.0, action, &actor).await?;
    Reply::data("ok", &json!({"result": true, "status": t}))
}

async fn move_service(ctx: &Ctx, id: i64, action: &str, actor: &Actor) -> ApiResult<i16> {
    let mut db = ctx.stores().pg().await?;
    let tx = db.transaction().await?;
    let t = transition(&tx, &SERVICE, Key::Id(id), action, actor, ctx.now()).await?;
    tx.commit().await?;
    Ok(t.to)
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct EditParams {
    /// 服务 id
    id: Int,
    #[serde(flatten)]
    fields: Fields,
}

/// home.service.edit: new fields; the service goes back to 待审核.
pub(super) async fn edit(ctx: Ctx, p: EditParams) -> ApiResult<Reply> {
    let user = ctx.user()?.id;
    let c = check(&p.fields)?;
    let id = p.id.0;
    let mut db = ctx.stores().pg().await?;
    let tx = db.transaction().await?;
    transition(
        &tx,
        &SERVICE,
        Key::Id(id),
        "edit",
        &Actor::Owner(user),
        ctx.now(),
    )
    .await?;
    check_refs(&tx, &c).await?;
    tx.execute(
        "UPDATE home_services SET type = $2, category_id = $3, cover_image_id = $4, designated_place = $5, \
         title = $6, description = $7, begin_date = $8::text::date, end_date = $9::text::date, price = $10 \
         WHERE id = $1",
        &[&id, &c.kind, &c.category, &c.cover, &c.place, &c.title, &c.description, &c.begin,
          &c.end, &c.price.to_decimal()],
    )
    .await?;
    tx.commit().await?;
    drop(db);
    Reply::data("ok", &visible(&ctx, id, user).await?)
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct ReviewParams {
    /// 服务 id
    id: Int,
    /// 1 审核通过（待审核 → 待发布）；2 审核不通过；3 强制下架（已发布或待发布 → 已下架）
    action: Int,
}

/// home.admin.service.review: the back office's review and take-down.
pub(super) async fn review(ctx: Ctx, p: ReviewParams) -> ApiResult<Reply> {
    back_office(&ctx)?;
    let action = match p.action.0 {
        1 => "approve",
        2 => "deny",
        3 => "take_down",
        _ => return Err(DIALECT.invalid("action 为 1（通过）、2（不通过）或 3（下架）")),
    };
    let actor = Actor::Admin(ctx.caller.appid.clone());
    let t = move_service(&ctx, p.id.0, action, &actor).await?;
    Reply::data("ok", &json!({"result": true, "status": t}))
}

/// Only a back-office appid (type admin) reviews: others 10010.
pub(super) fn back_office(ctx: &Ctx) -> ApiResult<()> {
    let kind = ctx.config.apps.get(&ctx.caller.appid).map(|a| a.kind);
    if kind == Some(AppKind::Admin) {
        Ok(())
    } else {
        Err(FORBIDDEN.error())
    }
}
