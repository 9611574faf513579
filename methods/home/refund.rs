//! home refunds (seed 000 退款订单接口): apply (one open refund per
//! booking), mine by role and status, in process by role, the actions of
//! 退款订单操作枚举 (an agreed refund goes back through the payment
//! driver), detail.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio_postgres::types::ToSql;

use super::machines::{
    NOT_CONSUMER, NOT_FOUND, ORDER_CONSUMER, PUBLISHER_DECIDES_ONLY, REFUND_CONSUMER,
    REFUND_NOT_ALLOWED, REFUND_NOT_PUBLISHER, REFUND_OPEN, REFUND_PUBLISHER, order_status,
    refund_status,
};
use super::order::SUBJECT;
use super::{DIALECT, PageParams, Role, illustration, page_of, status_filter};
use crate::handler::{ApiResult, Ctx, Int, Reply, Text};
use crate::shared::machine::{Actor, Key, Machine, transition};
use crate::shared::pay::refund::Started;

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct CreateParams {
    /// 要申请退款的预约订单 id
    order_id: Int,
    /// 申请理由，1-500 字
    reason: Text,
    /// 可空，截图：外网图片 url 数组，最多 5 张
    #[serde(default)]
    illustration: Option<Value>,
}

/// home.refund.create: the consumer asks for the money of a paid,
/// unconfirmed booking back.
pub(super) async fn create(ctx: Ctx, p: CreateParams) -> ApiResult<Reply> {
    let user = ctx.user()?.id;
    let reason = p.reason.as_str().trim().to_string();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(DIALECT.invalid("reason 为 1-500 字"));
    }
    let pictures = illustration(p.illustration)?;
    let mut db = ctx.stores().pg().await?;
    let tx = db.transaction().await?;
    // The booking's row lock orders this against its confirmation and
    // against another application.
    let row = tx
        .query_opt(
            "SELECT publisher_id, consumer_id, status FROM home_orders WHERE id = $1 FOR UPDATE",
            &[&p.order_id.0],
        )
        .await?
        .ok_or_else(|| NOT_FOUND.error())?;
    let (publisher, consumer, status): (i64, i64, i16) = (row.get(0), row.get(1), row.get(2));
    if consumer != user {
        return Err(if publisher == user {
            NOT_CONSUMER.error()
        } else {
            NOT_FOUND.error()
        });
    }
    if status != order_status::UNCONFIRMED {
        return Err(REFUND_NOT_ALLOWED.error());
    }
    let open = tx
        .query_opt(
            "SELECT 1 FROM home_refunds WHERE order_id = $1 AND status IN (0, 1)",
            &[&p.order_id.0],
        )
        .await?;
    if open.is_some() {
        return Err(REFUND_OPEN.error());
    }
    let day: i64 = ctx.today().parse().map_err(anyhow::Error::from)?;
    let row = tx
        .query_one(
            "INSERT INTO home_refunds (order_no, order_id, publisher_id, consumer_id, reason, illustration, \
             created_at, updated_at) VALUES ($1::bigint * 100000000 + nextval('home_order_no_seq') % 100000000, \
             $2, $3, $4, $5, $6::text::jsonb, to_timestamp($7), to_timestamp($7)) RETURNING id, order_no",
            &[&day, &p.order_id.0, &publisher, &user, &reason, &pictures.to_string(), &(ctx.now() as f64)],
        )
        .await?;
    tx.commit().await?;
    let (id, order_no): (i64, i64) = (row.get(0), row.get(1));
    Reply::data(
        "ok",
        &json!({"order_no": order_no, "reason": reason, "illustration": pictures, "id": id}),
    )
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct MyParams {
    /// 角色类型：1 发布者；2 消费者
    role: Int,
    /// 可空，退款订单状态（0-5）；不传则查询所有状态
    #[serde(default)]
    status: Option<Int>,
    #[serde(flatten)]
    paging: PageParams,
}

/// home.refund.my: the caller's refunds by role and status.
pub(super) async fn mine(ctx: Ctx, p: MyParams) -> ApiResult<Reply> {
    let statuses = match status_filter(p.status, refund_status::CANCELLED)? {
        -1 => (0..=refund_status::CANCELLED).collect(),
        s => vec![s],
    };
    list(&ctx, &p.role, &p.paging, &statuses).await
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct ProcessParams {
    /// 角色类型：1 发布者；2 消费者
    role: Int,
    #[serde(flatten)]
    paging: PageParams,
}

/// home.refund.process: the caller's refunds still in process (待同意,
/// 已同意, 已退款 awaiting the consumer's confirmation).
pub(super) async fn process(ctx: Ctx, p: ProcessParams) -> ApiResult<Reply> {
    use refund_status::{AGREED, REFUNDED, UNAPPROVED};
    list(&ctx, &p.role, &p.paging, &[UNAPPROVED, AGREED, REFUNDED]).await
}

/// The caller's refunds on `role`'s side in one of `statuses`.
async fn list(ctx: &Ctx, role: &Int, paging: &PageParams, statuses: &[i16]) -> ApiResult<Reply> {
    let user = ctx.user()?.id;
    let role = Role::of(Int(role.0))?;
    let page = page_of(paging)?;
    let filter = format!("{} = $1 AND status = ANY($2)", role.column());
    let args: [&(dyn ToSql + Sync); 2] = [&user, &statuses];
    let answer = super::json_page(
        ctx,
        ("home_refunds", "home_refund_json"),
        &filter,
        args,
        page,
    );
    Reply::data("ok", &answer.await?)
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct ActionParams {
    /// 退款订单 id
    id: Int,
    /// 退款订单操作枚举：1 同意退款、2 拒绝退款（发布者）；3 取消、4 确认（消费者，确认已收到退款）
    action: Int,
}

/// home.refund.update: an action of 退款订单操作枚举 by its side.
pub(super) async fn update(ctx: Ctx, p: ActionParams) -> ApiResult<Reply> {
    let user = ctx.user()?.id;
    let (side, action) = match p.action.0 {
        1 => (Role::Publisher, "agree"),
        2 => (Role::Publisher, "reject"),
        3 => (Role::Consumer, "cancel"),
        4 => (Role::Consumer, "confirm"),
        _ => return Err(DIALECT.invalid("action 为 1-4（退款订单操作枚举）")),
    };
    let id = p.id.0;
    side_of(&ctx, id, user, side).await?;
    if action == "agree" {
        return agree(&ctx, id, user).await;
    }
    let m: &Machine = match side {
        Role::Publisher => &REFUND_PUBLISHER,
        Role::Consumer => &REFUND_CONSUMER,
    };
    let mut db = ctx.stores().pg().await?;
    let tx = db.transaction().await?;
    let t = transition(&tx, m, Key::Id(id), action, &Actor::Owner(user), ctx.now()).await?;
    tx.commit().await?;
    Reply::data("ok", &json!({"result": true, "status": t.to}))
}

/// A stranger gets 404; a consumer agreeing or rejecting 10014; a
/// publisher cancelling or confirming 10015.
async fn side_of(ctx: &Ctx, id: i64, user: i64, side: Role) -> ApiResult<()> {
    let row = ctx
        .stores()
        .pg()
        .await?
        .query_opt(
            "SELECT publisher_id, consumer_id FROM home_refunds WHERE id = $1",
            &[&id],
        )
        .await?
        .ok_or_else(|| NOT_FOUND.error())?;
    let (publisher, consumer): (i64, i64) = (row.get(0), row.get(1));
    match side {
        Role::Publisher if publisher == user => Ok(()),
        Role::Consumer if consumer == user => Ok(()),
        Role::Publisher if consumer == user => Err(REFUND_NOT_PUBLISHER.error()),
        Role::Consumer if publisher == user => Err(PUBLISHER_DECIDES_ONLY.error()),
        _ => Err(NOT_FOUND.error()),
    }
}

/// Agree: the refund becomes 已同意 and the booking's payment `refunding`
/// in one transaction; then the provider is asked. Taken: 已退款, and the
/// booking 已取消. Refused: back to 待同意, the provider's refusal answered.
async fn agree(ctx: &Ctx, id: i64, user: i64) -> ApiResult<Reply> {
    let now = ctx.now();
    let mut db = ctx.stores().pg().await?;
    let tx = db.transaction().await?;
    transition(
        &tx,
        &REFUND_PUBLISHER,
        Key::Id(id),
        "agree",
        &Actor::Owner(user),
        now,
    )
    .await?;
    let row = tx
        .query_one(
            "SELECT order_id, reason FROM home_refunds WHERE id = $1",
            &[&id],
        )
        .await?;
    let (order, reason): (i64, String) = (row.get(0), row.get(1));
    let started = ctx
        .payments()
        .start_refund_of(&tx, (SUBJECT, order), None, &reason)
        .await?;
    tx.execute(
        "UPDATE home_refunds SET out_refund_no = $2 WHERE id = $1",
        &[&id, &started.out_refund_no],
    )
    .await?;
    tx.commit().await?;
    drop(db);
    let to = refunded(ctx, id, order, &started).await?;
    Reply::data("ok", &json!({"result": true, "status": to}))
}

/// Ask the provider for the refund and record the outcome.
async fn refunded(ctx: &Ctx, id: i64, order: i64, started: &Started) -> ApiResult<i16> {
    let system = Actor::System("home.refund");
    let asked = ctx.payments().finish_refund(started).await;
    let mut db = ctx.stores().pg().await?;
    let tx = db.transaction().await?;
    if let Err(refused) = asked {
        transition(
            &tx,
            &REFUND_PUBLISHER,
            Key::Id(id),
            "refund_failed",
            &system,
            ctx.now(),
        )
        .await?;
        tx.commit().await?;
        return Err(refused);
    }
    let t = transition(
        &tx,
        &REFUND_PUBLISHER,
        Key::Id(id),
        "refunded",
        &system,
        ctx.now(),
    )
    .await?;
    transition(
        &tx,
        &ORDER_CONSUMER,
        Key::Id(order),
        "refunded",
        &system,
        ctx.now(),
    )
    .await?;
    tx.commit().await?;
    Ok(t.to)
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct IdParams {
    /// 退款订单 id
    id: Int,
}

/// home.refund.detail: a refund of the caller's, either side.
pub(super) async fn detail(ctx: Ctx, p: IdParams) -> ApiResult<Reply> {
    let sql = "SELECT home_refund_json(id, $2)::text FROM home_refunds \
               WHERE id = $1 AND (publisher_id = $3 OR consumer_id = $3)";
    Reply::data("ok", &super::one_for_caller(&ctx, sql, p.id.0).await?)
}
