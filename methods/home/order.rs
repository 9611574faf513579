//! home bookings (seed 000 预约订单接口): status counts, mine by role and
//! status, create with the service's and the address's snapshots, the
//! actions of 预约订单操作枚举 (pay through the payment driver), detail.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio_postgres::types::ToSql;

use super::machines::{
    FAILED, NOT_FOUND, NOT_PUBLISHED, ORDER_CONSUMER, ORDER_NOT_YOURS, ORDER_PUBLISHER,
    ORDER_UPDATE_FAILED, REFUND_OPEN, order_status, service_status,
};
use super::{DIALECT, PageParams, Role, base_url, page_of, status_filter, tz};
use crate::domain::Money;
use crate::handler::{ApiError, ApiResult, Ctx, Int, Reply};
use crate::shared::machine::{Actor, Key, Machine, transition};
use crate::shared::pay::Subject;
use crate::stores::one_row;

/// The payment subject kind of bookings.
pub(super) const SUBJECT: &str = "home_order";

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct CountParams {
    /// 角色类型：1 发布者；2 消费者
    role: Int,
}

/// home.order.count: the caller's bookings per open status, by role.
pub(super) async fn count(ctx: Ctx, p: CountParams) -> ApiResult<Reply> {
    let user = ctx.user()?.id;
    let role = Role::of(p.role)?;
    let row = ctx
        .stores()
        .pg()
        .await?
        .query_one(
            &format!(
                "SELECT count(*) FILTER (WHERE status = 0), count(*) FILTER (WHERE status = 1), \
                 count(*) FILTER (WHERE status = 2), count(*) FILTER (WHERE status = 3) \
                 FROM home_orders WHERE {} = $1",
                role.column()
            ),
            &[&user],
        )
        .await?;
    Reply::data(
        "ok",
        &json!({"unapproved": row.get::<_, i64>(0), "unpaid": row.get::<_, i64>(1),
                "unconfirmed": row.get::<_, i64>(2), "unrated": row.get::<_, i64>(3)}),
    )
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct MyParams {
    /// 角色类型：1 发布者；2 消费者
    role: Int,
    /// 可空，订单状态（预约订单状态枚举 0-6）；不传则查询所有状态
    #[serde(default)]
    status: Option<Int>,
    #[serde(flatten)]
    paging: PageParams,
}

/// home.order.my: the caller's bookings as publisher or consumer.
pub(super) async fn mine(ctx: Ctx, p: MyParams) -> ApiResult<Reply> {
    let user = ctx.user()?.id;
    let role = Role::of(p.role)?;
    let page = page_of(&p.paging)?;
    let status = status_filter(p.status, order_status::REJECTED)?;
    let filter = format!(
        "{} = $1 AND ($2::smallint = -1 OR status = $2)",
        role.column()
    );
    let args: [&(dyn ToSql + Sync); 2] = [&user, &status];
    let answer = super::json_page(
        &ctx,
        ("home_orders", "home_order_json"),
        &filter,
        args,
        page,
    );
    Reply::data("ok", &answer.await?)
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct CreateParams {
    /// 要预约的服务 id
    service_id: Int,
    /// wx.chooseAddress() 返回的地址信息（对象，或其 JSON 文本）；服务的 designated_place 为 0 时可不传
    #[serde(default)]
    address: Option<Value>,
}

/// home.order.create: book a published service; the booking keeps the
/// service and the address as they are now.
pub(super) async fn create(ctx: Ctx, p: CreateParams) -> ApiResult<Reply> {
    let user = ctx.user()?.id;
    let address = address_of(p.address)?;
    let mut db = ctx.stores().pg().await?;
    let tx = db.transaction().await?;
    // Shared lock: the service cannot be unpublished or edited meanwhile.
    let row = tx
        .query_opt(
            "SELECT publisher_id, status, designated_place, price, type, \
             home_service_json(id, $2, $3)::text FROM home_services WHERE id = $1 FOR SHARE",
            &[&p.service_id.0, &tz(&ctx), &base_url(&ctx)],
        )
        .await?
        .ok_or_else(|| NOT_FOUND.error())?;
    let (publisher, status, place): (i64, i16, i16) = (row.get(0), row.get(1), row.get(2));
    if status != service_status::PUBLISHED {
        return Err(NOT_PUBLISHED.error());
    }
    if publisher == user {
        return Err(ApiError::new(
            FAILED.code,
            "操作失败：不能预约自己发布的服务",
        ));
    }
    if row.get::<_, i16>(4) != 1 {
        return Err(ApiError::new(
            FAILED.code,
            "操作失败：「正在找」的服务不能预约",
        ));
    }
    if place == 1 && address.is_none() {
        return Err(DIALECT.invalid("该服务要求指定服务地点，请传 address"));
    }
    let day: i64 = ctx.today().parse().map_err(anyhow::Error::from)?;
    let id: i64 = tx
        .query_one(
            "INSERT INTO home_orders (order_no, service_id, publisher_id, consumer_id, price, service_snap, \
             address_snap, created_at, updated_at) \
             VALUES ($1::bigint * 100000000 + nextval('home_order_no_seq') % 100000000, $2, $3, $4, $5, $6::text::jsonb, \
             $7::text::jsonb, to_timestamp($8), to_timestamp($8)) RETURNING id",
            &[&day, &p.service_id.0, &publisher, &user, &row.get::<_, rust_decimal::Decimal>(3),
              &row.get::<_, String>(5), &address.map(|a| a.to_string()), &(ctx.now() as f64)],
        )
        .await?
        .get(0);
    tx.commit().await?;
    crate::shared::roles::grant(ctx.stores(), user, ("home", "customer")).await?;
    Reply::data("ok", &json!({"order_id": id}))
}

/// The address as an object (wx.chooseAddress's), given as one or as its
/// JSON text; at most 2 KB.
fn address_of(v: Option<Value>) -> ApiResult<Option<Value>> {
    let v = match v {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
        Some(Value::String(s)) => serde_json::from_str(&s)
            .map_err(|_| DIALECT.invalid("address 须为 wx.chooseAddress 返回的对象"))?,
        Some(v) => v,
    };
    if !v.is_object() {
        return Err(DIALECT.invalid("address 须为 wx.chooseAddress 返回的对象"));
    }
    if v.to_string().len() > 2048 {
        return Err(DIALECT.invalid("address 过长"));
    }
    Ok(Some(v))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct ActionParams {
    /// 订单 id
    id: Int,
    /// 预约订单操作枚举：1 同意预约、2 拒绝预约（发布者）；3 支付、4 确认订单、7 取消订单（消费者）；5 评价请用 home.rating.create，6 退款请用 home.refund.create
    action: Int,
}

/// home.order.update: an action of 预约订单操作枚举 by the side it belongs to.
pub(super) async fn update(ctx: Ctx, p: ActionParams) -> ApiResult<Reply> {
    let user = ctx.user()?.id;
    let (side, action) = match p.action.0 {
        1 => (Role::Publisher, "agree"),
        2 => (Role::Publisher, "reject"),
        3 => (Role::Consumer, "pay"),
        4 => (Role::Consumer, "confirm"),
        7 => (Role::Consumer, "cancel"),
        5 => return Err(DIALECT.invalid("评价请调用 home.rating.create")),
        6 => return Err(DIALECT.invalid("退款请调用 home.refund.create")),
        _ => return Err(DIALECT.invalid("action 为 1-7（预约订单操作枚举）")),
    };
    let id = p.id.0;
    side_of(&ctx, id, user, side).await?;
    if action == "pay" {
        return pay(&ctx, id, user).await;
    }
    let m: &Machine = match side {
        Role::Publisher => &ORDER_PUBLISHER,
        Role::Consumer => &ORDER_CONSUMER,
    };
    let mut db = ctx.stores().pg().await?;
    let tx = db.transaction().await?;
    let t = transition(&tx, m, Key::Id(id), action, &Actor::Owner(user), ctx.now()).await?;
    if action == "confirm" {
        confirmed(&tx, id).await?;
    }
    tx.commit().await?;
    Reply::data("ok", &json!({"result": true, "status": t.to}))
}

/// The caller must be the booking's `side`: a stranger gets 404, the
/// other side 10012.
pub(super) async fn side_of(ctx: &Ctx, id: i64, user: i64, side: Role) -> ApiResult<()> {
    let row = ctx
        .stores()
        .pg()
        .await?
        .query_opt(
            "SELECT publisher_id, consumer_id FROM home_orders WHERE id = $1",
            &[&id],
        )
        .await?
        .ok_or_else(|| NOT_FOUND.error())?;
    let (publisher, consumer): (i64, i64) = (row.get(0), row.get(1));
    let mine = match side {
        Role::Publisher => publisher == user,
        Role::Consumer => consumer == user,
    };
    match (mine, user == publisher || user == consumer) {
        (true, _) => Ok(()),
        (false, true) => Err(ORDER_NOT_YOURS.error()),
        (false, false) => Err(NOT_FOUND.error()),
    }
}

/// A confirmed booking counts as a sale of its service; one with a
/// refund still open cannot be confirmed (10013).
async fn confirmed(tx: &crate::stores::db::Tx<'_>, id: i64) -> ApiResult<()> {
    let open = tx
        .query_opt(
            "SELECT 1 FROM home_refunds WHERE order_id = $1 AND status IN (0, 1)",
            &[&id],
        )
        .await?;
    if open.is_some() {
        return Err(REFUND_OPEN.error());
    }
    tx.execute(
        "UPDATE home_services SET sales_volume = sales_volume + 1 \
         WHERE id = (SELECT service_id FROM home_orders WHERE id = $1)",
        &[&id],
    )
    .await?;
    Ok(())
}

/// Action 3: open (or reuse) the payment of a 待支付 booking. The booking
/// moves to 待确认 when the provider's verified notice arrives.
async fn pay(ctx: &Ctx, id: i64, user: i64) -> ApiResult<Reply> {
    let rows = ctx
        .stores()
        .pg_rows(
            "SELECT status, price, service_snap->>'title', \
             (SELECT openid FROM wechat_identities w WHERE w.appid = $2 AND w.user_id = o.consumer_id LIMIT 1) \
             FROM home_orders o WHERE id = $1",
            &[&id, &ctx.caller.appid],
        )
        .await?;
    let row = one_row(rows)?;
    if row.get::<_, i16>(0) != order_status::UNPAID {
        return Err(ORDER_UPDATE_FAILED.error());
    }
    let amount = Money::from_decimal(row.get(1))
        .ok_or_else(|| anyhow::anyhow!("home order {id} price out of bounds"))?;
    let title: String = row.get(2);
    let openid: Option<String> = row.get(3);
    let subject = Subject {
        kind: SUBJECT,
        id,
        user_id: user,
        amount,
        description: &title,
    };
    let opened = ctx.payments().open(&subject, openid.as_deref()).await?;
    let mut data = serde_json::to_value(&opened).map_err(anyhow::Error::from)?;
    data["result"] = json!(true);
    Reply::data("ok", &data)
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct IdParams {
    /// 订单 id
    id: Int,
}

/// home.order.detail: a booking of the caller's, either side.
pub(super) async fn detail(ctx: Ctx, p: IdParams) -> ApiResult<Reply> {
    let sql = "SELECT home_order_json(id, $2)::text FROM home_orders \
               WHERE id = $1 AND (publisher_id = $3 OR consumer_id = $3)";
    Reply::data("ok", &super::one_for_caller(&ctx, sql, p.id.0).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_an_object_or_its_json_text() {
        let obj = json!({"userName": "张三", "cityName": "广州市"});
        assert_eq!(address_of(Some(obj.clone())).unwrap(), Some(obj.clone()));
        assert_eq!(
            address_of(Some(Value::String(obj.to_string()))).unwrap(),
            Some(obj)
        );
        assert_eq!(address_of(None).unwrap(), None);
        assert_eq!(address_of(Some(json!(""))).unwrap(), None);
        for bad in [json!("not json"), json!([1]), json!(3)] {
            assert_eq!(address_of(Some(bad)).unwrap_err().code(), 10000);
        }
    }
}
