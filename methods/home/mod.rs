//! home.*: seed 000, the 慕慕到家 home-services marketplace
//! (docs/protocol.md §22; docs/methods.md). People publish services, the
//! back office reviews them, others book, pay, confirm, rate and ask for
//! refunds. Refusals answer the seed's `error_code` (10000–10024) with its
//! message; a missing record, or one that is not the caller's, is 404.

pub mod machines;
mod order;
mod rating;
mod refund;
mod service;
mod tim;
mod user;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio_postgres::types::ToSql;

use self::machines::code;
use self::machines::{
    self as h, ORDER_CONSUMER, ORDER_PUBLISHER, REFUND_CONSUMER, REFUND_PUBLISHER, SERVICE,
};
use crate::handler::{
    ApiError, ApiResult, Ctx, Dialect, Envelope, Int, Method, Page, PageRule, Registry,
};
use crate::shared::machine::Refusal;
use crate::stores::{one_row, opt_row};

/// How home.* speaks (seed 000): 10000 请求参数错误 saying which parameter
/// and why, 10008 for what the caller may not see, 10010 for a refused
/// caller, pages of `count` (1-100) from page 1, and `{error_code: 0,
/// message: "ok", data}` to its own clients. A parameter of the wrong type
/// stays the protocol's 503 (docs/codes.md).
pub const DIALECT: Dialect = Dialect {
    namespace: "home",
    invalid: code::PARAMS,
    invalid_prefix: "请求参数错误：",
    ill_typed_is_invalid: false,
    invalid_doc: "",
    not_found: machines::NOT_FOUND.code,
    forbidden: machines::FORBIDDEN.code,
    ok: "ok",
    paging: PageRule {
        size: 10,
        max_size: 100,
        max_page: None,
        refuse_below_first: true,
    },
    envelope: Envelope::Home,
};

/// Register every home.* method, in the seed's order (令牌, 分类, 服务,
/// 预约订单, 退款, 评价, 用户, 文件上传), and the booking's payment.
pub fn register(r: &mut Registry) {
    r.dialect(&DIALECT);
    sessions_and_services(r);
    bookings(r);
    refunds_and_ratings(r);
    users(r);
    r.on_paid(order::SUBJECT, &machines::ORDER_CONSUMER, None);
}

// The method cards.

const PARAMS: (u32, &str) = (code::PARAMS, "请求参数错误");

fn of(r: Refusal) -> (u32, &'static str) {
    (r.code, r.msg)
}

/// A write of a logged-in user (no request token, as the seed has none).
fn write(name: &'static str) -> Method {
    Method::new(name, "1.0.0").user().write().req_token(false)
}

fn sessions_and_services(r: &mut Registry) {
    r.add(
        Method::new("home.token.verify", "1.0.0")
            .optional_user()
            .summary("验证令牌（POST v1/token/verify）：请求的 token（会话令牌，由 user.wx.login 获得）是否有效。data：{valid}。"),
        user::verify,
    );
    r.add(
        Method::new("home.category.list", "1.0.0")
            .summary("获取分类列表（GET v1/category）：data.list 为 [{id, name}]（种子的数组放在 list 中，data 总是对象）。"),
        service::categories,
    );
    r.add(
        Method::new("home.service.list", "1.0.0")
            .refuses([PARAMS])
            .summary("查询所有已发布的服务（GET v1/service/list）：category_id、type（1 在提供，2 正在找）可空；page 从 1 起，count 1-100。新发布的在前。data：{total, per_page, current_page, last_page, data: [服务]}，服务含 publisher、category、cover_image。"),
        service::list,
    );
    r.add(
        write("home.service.create")
            .refuses([PARAMS])
            .summary("创建服务（POST v1/service）：type、title、category_id、cover_image_id（home.file.upload 的 id）、designated_place、description、begin_date、end_date、price（\"300.00\"）。新服务为待审核（0），审核由后台 home.admin.service.review 完成。data：{service_id}。"),
        service::create,
    );
    r.add(
        Method::new("home.service.my", "1.0.0")
            .user()
            .refuses([PARAMS])
            .summary("查询我的服务（GET v1/service/my）：type 必传，status 可空（服务状态枚举 0-5），page、count。data 同 home.service.list。"),
        service::mine,
    );
    r.add(
        Method::new("home.service.count", "1.0.0")
            .user()
            .refuses([PARAMS])
            .summary("查询我的服务状态统计（GET v1/service/count）：type。data：{pending, unpublished, published, off_shelves}（状态 0、1、2、3 的数量）。"),
        service::count,
    );
    r.add(
        Method::new("home.service.detail", "1.0.0")
            .user()
            .refuses([of(h::NOT_FOUND)])
            .summary("查询指定 id 的服务（GET v1/service/{id}）：id。已发布的服务任何人可见，其他状态仅发布者本人可见（否则 404）。"),
        service::detail,
    );
    r.add(
        write("home.service.update")
            .refuses([PARAMS])
            .refuses(SERVICE.refusals("publish"))
            .summary("更新指定服务的状态（POST v1/service/{id}）：id、action（服务操作枚举：1 发布服务 待发布→已发布；2 暂停发布 已发布→待发布；3 取消服务 →已取消）。仅发布者本人；状态不允许时 10009 操作失败，什么也不写。data：{result: true, status}。"),
        service::update,
    );
    r.add(
        write("home.service.edit")
            .refuses([PARAMS])
            .refuses(SERVICE.refusals("edit"))
            .summary("编辑服务（PUT v1/service/{id}）：id 与 home.service.create 的全部字段。除已取消外的任何状态均可编辑，编辑后重新进入待审核（0）。data：编辑后的服务。"),
        service::edit,
    );
    r.add(
        Method::new("home.admin.service.review", "1.0.0")
            .write()
            .req_token(false)
            .refuses([PARAMS])
            .refuses(SERVICE.refusals("approve"))
            .summary("后台审核服务（仅 admin 类型的 appid，否则 10010 请求权限不足）：id、action（1 审核通过 待审核→待发布；2 审核不通过 待审核→审核不通过；3 强制下架 已发布或待发布→已下架）。data：{result: true, status}。"),
        service::review,
    );
}

fn bookings(r: &mut Registry) {
    r.add(
        Method::new("home.order.count", "1.0.0")
            .user()
            .refuses([PARAMS])
            .summary("查询我的订单状态统计（GET v1/order/count）：role（1 发布者，2 消费者）。data：{unapproved, unpaid, unconfirmed, unrated}（状态 0-3 的数量）。"),
        order::count,
    );
    r.add(
        Method::new("home.order.my", "1.0.0")
            .user()
            .refuses([PARAMS])
            .summary("查询我的订单（GET v1/order/my）：role、status（可空，预约订单状态枚举 0-6）、page、count。每个订单含 order_no、price、service_snap（下单时的服务）、address_snap、status、publisher、consumer。"),
        order::mine,
    );
    r.add(
        write("home.order.create")
            .refuses([PARAMS, of(h::NOT_FOUND), of(h::NOT_PUBLISHED), of(h::FAILED)])
            .summary("提交预约订单（POST v1/order）：service_id、address（wx.chooseAddress 的对象或其 JSON 文本；服务的 designated_place 为 1 时必传）。只能预约已发布（否则 10011）、他人的、在提供类型的服务。订单为待同意（0），保存服务与地址快照。data：{order_id}。"),
        order::create,
    );
    r.add(
        write("home.order.update")
            .refuses([PARAMS])
            .refuses(ORDER_PUBLISHER.refusals("agree"))
            .refuses([of(h::REFUND_OPEN)])
            .summary("更新指定 id 订单的状态（POST v1/order/{id}）：id、action（预约订单操作枚举）。发布者：1 同意 待同意→待支付，2 拒绝 待同意→已拒绝；消费者：3 支付（待支付时通过支付渠道创建或复用支付单，data 另含 out_trade_no、amount、pay；支付通知到达后订单变为待确认），4 确认订单 待确认→待评价（服务销量 +1；有未完结的退款时 10013），7 取消 待同意或待支付→已取消。另一方的操作 10012，状态不允许 10017，都不写任何东西；5 评价用 home.rating.create，6 退款用 home.refund.create。data：{result: true, status}。"),
        order::update,
    );
    r.add(
        Method::new("home.order.detail", "1.0.0")
            .user()
            .refuses([of(h::NOT_FOUND)])
            .summary(
                "查询指定 id 的订单（GET v1/order/{id}）：id。仅订单的发布者或消费者（否则 404）。",
            ),
        order::detail,
    );
}

fn refunds_and_ratings(r: &mut Registry) {
    r.add(
        write("home.refund.create")
            .refuses([PARAMS, of(h::NOT_FOUND), of(h::NOT_CONSUMER), of(h::REFUND_NOT_ALLOWED), of(h::REFUND_OPEN)])
            .summary("提交退款申请（POST v1/refund）：order_id、reason、illustration（可空，至多 5 个图片 url）。仅订单的消费者（发布者 10024），仅待确认（已支付未确认）的订单（否则 10023），同一订单同时只有一个未完结的退款（10013）。data：{order_no, reason, illustration, id}。"),
        refund::create,
    );
    r.add(
        Method::new("home.refund.my", "1.0.0")
            .user()
            .refuses([PARAMS])
            .summary("根据角色、状态查询我的退款订单（GET v1/refund）：role、status（可空，退款订单状态枚举 0-5）、page、count。每项含 service_order（关联的预约订单）。"),
        refund::mine,
    );
    r.add(
        Method::new("home.refund.process", "1.0.0")
            .user()
            .refuses([PARAMS])
            .summary("根据角色查询我处理中的退款订单（GET v1/refund/process）：role、page、count。处理中：待同意、已同意、已退款（待消费者确认）。"),
        refund::process,
    );
    r.add(
        write("home.refund.update")
            .refuses([PARAMS])
            .refuses(REFUND_PUBLISHER.refusals("agree"))
            .refuses(REFUND_CONSUMER.refusals("confirm"))
            .summary("更新指定 id 的退款订单状态（POST v1/refund/{id}）：id、action（退款订单操作枚举）。发布者：1 同意 待同意→已同意，随即通过支付渠道原路全额退款，渠道受理后→已退款、预约订单→已取消（渠道拒绝时回到待同意并返回其错误）；2 拒绝 →已拒绝。消费者：3 取消 待同意→已取消；4 确认 已退款→已完成。消费者同意或拒绝 10014，发布者取消或确认 10015，状态不允许 10016。data：{result: true, status}。"),
        refund::update,
    );
    r.add(
        Method::new("home.refund.detail", "1.0.0")
            .user()
            .refuses([of(h::NOT_FOUND)])
            .summary("查询指定 id 的退款订单（GET v1/refund/{id}）：id。仅其发布者或消费者。含 publisher、consumer、service_order。"),
        refund::detail,
    );
    r.add(
        write("home.rating.create")
            .refuses([PARAMS, of(h::NOT_FOUND), of(h::RATE_OWN), of(h::RATE_NOT_CONSUMER), of(h::RATE_MISMATCH), of(h::RATED)])
            .refuses(ORDER_CONSUMER.refusals("rate"))
            .summary("创建评价（POST v1/rating）：order_id、score（1-5）、content、illustration（可空）、service_id（可空，须与订单一致）。仅订单的消费者、仅待评价的订单（否则 10022）、每单一次（10021）。订单随之变为已完成，服务的 score（评分均值）随之更新。data：{score, content, illustration, create_time, id}。"),
        rating::create,
    );
    r.add(
        Method::new("home.rating.order", "1.0.0")
            .user()
            .refuses([of(h::NOT_FOUND)])
            .summary("根据订单 id 查询评价（GET v1/rating/order）：order_id。data：{id, score, content, illustration, status, create_time, author}；尚未评价 404。"),
        rating::by_order,
    );
    r.add(
        Method::new("home.rating.service", "1.0.0")
            .user()
            .refuses([PARAMS])
            .summary("根据服务 id 查询评价列表（GET v1/rating/service）：service_id、page、count。新的在前。"),
        rating::by_service,
    );
}

fn users(r: &mut Registry) {
    r.add(
        Method::new("home.user.get", "1.0.0")
            .user()
            .summary("查询当前用户信息（GET v1/user）：data：{id, nickname, avatar, real_name, gender, tel}。"),
        user::get,
    );
    r.add(
        write("home.user.update")
            .refuses([PARAMS])
            .summary("更新当前用户信息（PUT v1/user）：nickname、avatar、gender（1 男，2 女）必传，real_name、tel 可空。data 同 home.user.get。"),
        user::update,
    );
    r.add(
        Method::new("home.user.sign", "1.0.0")
            .user()
            .refuses([(code::FAILED, "操作失败：即时通信暂未开通")])
            .summary("获取当前用户的 TIM 登录凭证（GET v1/user/sign）：以配置的 [home] tim_sdk_app_id、tim_key 在本地计算 UserSig（identifier 为用户 id，有效期 tim_expire_secs）。data：{user_id, sign}。未配置时 10009。"),
        user::sign,
    );
    r.add(
        write("home.file.upload")
            .refuses([
                (code::NO_FILE, "未获取到上传的文件资源"),
                (code::BAD_EXTENSION, "上传的文件扩展名不合法"),
                (code::TOO_MANY_FILES, "上传的文件数量超过限制"),
                (code::TOO_LARGE, "上传的文件体积超过限制"),
                (code::SAVE_FAILED, "文件保存失败"),
            ])
            .summary("文件上传（POST v1/file，multipart）：任意个（至多 9 个）不签名的文件字段，字段名互不相同（如 file1、file2），签名的 data 只含固定参数。每个文件的检查同 system.upload（大小、按内容识别 JPG/PNG/GIF/WebP、完整解码、每日配额）。data.list 为 [{id, key（字段名）, path（图片 url）}]。"),
        user::upload,
    );
}

/// The paging parameters of every list: `page` from 1, `count` 1–100.
#[derive(Debug, Deserialize, JsonSchema)]
pub(crate) struct PageParams {
    /// 分页页码，起始页为 1
    page: Int,
    /// 分页内容条数，1-100
    count: Int,
}

/// The page a list asks for, by the dialect's rule.
pub(crate) fn page_of(p: &PageParams) -> ApiResult<Page> {
    DIALECT.page(Some(p.page.0), Some(p.count.0))
}

/// The seed's paging block around `data`.
pub(crate) fn block(page: Page, total: i64, data: Vec<Value>) -> Value {
    json!({
        "total": total,
        "per_page": page.size,
        "current_page": page.number,
        "last_page": page.last(total),
        "data": data,
    })
}

/// The configured timezone's offset in seconds, for the SQL time format.
pub(crate) fn tz(ctx: &Ctx) -> i32 {
    ctx.config.settings.timezone.0.local_minus_utc()
}

/// The public base URL of uploads (a file's `path` is it + its relative path).
pub(crate) fn base_url(ctx: &Ctx) -> String {
    ctx.config
        .settings
        .upload
        .public_base_url
        .trim_end_matches('/')
        .to_string()
}

/// A JSON answer the database built as text (the `home_*_json` functions
/// of migration V27).
pub(crate) fn parsed(text: &str) -> ApiResult<Value> {
    serde_json::from_str(text)
        .map_err(|e| ApiError::Internal(anyhow::Error::new(e).context("home JSON from SQL")))
}

/// One record's answer that the database builds as JSON text (`sql` takes
/// the record's id as $1, the timezone offset as $2 and the caller as $3,
/// and finds nothing for a record the caller may not see): 404 when none.
/// One read, no transaction: a shared connection (docs/protocol.md §24.3).
pub(crate) async fn one_for_caller(ctx: &Ctx, sql: &str, id: i64) -> ApiResult<Value> {
    let user = ctx.user()?.id;
    let rows = ctx.stores().pg_rows(sql, &[&id, &tz(ctx), &user]).await?;
    let row = opt_row(rows)?.ok_or_else(|| self::machines::NOT_FOUND.error())?;
    parsed(row.get(0))
}

/// A page of `table`'s records as `json_fn` builds them (taking the id and
/// the timezone offset), newest first, in the seed's paging block with the
/// total: the records matching `filter` over `$1` and `$2` (`args`). Two
/// reads, no transaction: the shared connections (docs/protocol.md §24.3).
pub(crate) async fn json_page(
    ctx: &Ctx,
    (table, json_fn): (&str, &str),
    filter: &str,
    args: [&(dyn ToSql + Sync); 2],
    page: Page,
) -> ApiResult<Value> {
    let count = format!("SELECT count(*) FROM {table} WHERE {filter}");
    let list = format!(
        "SELECT {json_fn}(id, $3)::text FROM {table} WHERE {filter} \
         ORDER BY id DESC LIMIT $4 OFFSET $5"
    );
    let (zone, offset) = (tz(ctx), page.offset());
    let paged: [&(dyn ToSql + Sync); 5] = [args[0], args[1], &zone, &page.size, &offset];
    let stores = ctx.stores();
    let (count, rows) =
        tokio::try_join!(stores.pg_rows(&count, &args), stores.pg_rows(&list, &paged))?;
    let total: i64 = one_row(count)?.get(0);
    Ok(block(page, total, parsed_rows(&rows)?))
}

/// Each row's first column, a JSON text, parsed.
pub(crate) fn parsed_rows(rows: &[tokio_postgres::Row]) -> ApiResult<Vec<Value>> {
    rows.iter().map(|r| parsed(r.get(0))).collect()
}

/// The seed's 角色类型枚举: 1 发布者, 2 消费者.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    Publisher,
    Consumer,
}

impl Role {
    pub(crate) fn of(v: Int) -> ApiResult<Self> {
        match v.0 {
            1 => Ok(Self::Publisher),
            2 => Ok(Self::Consumer),
            _ => Err(DIALECT.invalid("role 为 1（发布者）或 2（消费者）")),
        }
    }

    /// The column of the caller's side.
    pub(crate) fn column(self) -> &'static str {
        match self {
            Self::Publisher => "publisher_id",
            Self::Consumer => "consumer_id",
        }
    }
}

/// An optional status filter within `range`; -1 and absent mean all.
pub(crate) fn status_filter(v: Option<Int>, max: i16) -> ApiResult<i16> {
    match v.map(|i| i.0) {
        None | Some(-1) => Ok(-1),
        Some(s) if (0..=i64::from(max)).contains(&s) => Ok(s as i16),
        Some(_) => Err(DIALECT.invalid(format!("status 为 0-{max}"))),
    }
}

/// At most five image URLs (`illustration`), each http(s) and ≤ 255 chars.
pub(crate) fn illustration(v: Option<Value>) -> ApiResult<Value> {
    let list = match v {
        None | Some(Value::Null) => return Ok(json!([])),
        Some(Value::Array(list)) => list,
        Some(_) => return Err(DIALECT.invalid("illustration 为图片 url 数组")),
    };
    if list.len() > 5 {
        return Err(DIALECT.invalid("illustration 最多 5 张"));
    }
    for u in &list {
        let ok = u.as_str().is_some_and(|s| {
            (s.starts_with("http://") || s.starts_with("https://")) && s.len() <= 255
        });
        if !ok {
            return Err(DIALECT.invalid("illustration 须为 http(s) 图片 url"));
        }
    }
    Ok(Value::Array(list))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_paging_block_counts_pages_like_the_seed() {
        let p = Page {
            number: 1,
            size: 10,
        };
        assert_eq!(block(p, 0, vec![])["last_page"], 1);
        assert_eq!(block(p, 10, vec![])["last_page"], 1);
        assert_eq!(block(p, 11, vec![])["last_page"], 2);
        let keys: Vec<_> = block(p, 1, vec![])
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(
            keys,
            ["total", "per_page", "current_page", "last_page", "data"]
        );
    }

    #[test]
    fn illustrations_are_at_most_five_urls() {
        assert_eq!(illustration(None).unwrap(), json!([]));
        let six = json!(vec!["https://a.example/x.jpg"; 6]);
        assert_eq!(illustration(Some(six)).unwrap_err().code(), 10000);
        assert!(illustration(Some(json!(["ftp://x"]))).is_err());
        assert!(illustration(Some(json!(["https://a.example/1.png"]))).is_ok());
    }

    #[test]
    fn status_filters_are_all_or_a_known_status() {
        assert_eq!(status_filter(None, 5).unwrap(), -1);
        assert_eq!(status_filter(Some(Int(-1)), 5).unwrap(), -1);
        assert_eq!(status_filter(Some(Int(5)), 5).unwrap(), 5);
        assert!(status_filter(Some(Int(6)), 5).is_err());
    }

    #[test]
    fn pages_start_at_one_and_hold_one_to_a_hundred() {
        let page = |n, c| {
            page_of(&PageParams {
                page: Int(n),
                count: Int(c),
            })
        };
        assert_eq!(
            page(2, 100).unwrap(),
            Page {
                number: 2,
                size: 100
            }
        );
        for (n, c) in [(0, 10), (1, 0), (1, 101)] {
            assert_eq!(page(n, c).unwrap_err().code(), 10000, "{n} {c}");
        }
    }
}
