//! message.*: the user's system messages and their read state (docs/methods.md). A message is the user's own or one sent to every user;
//! anyone else's answers 404, so ids cannot be probed.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::handler::Ctx;
use crate::handler::Int;
use crate::handler::Reply;
use crate::handler::dialect::GATEWAY;
use crate::handler::paging::Paged;
use crate::handler::{ApiError, ApiResult};
use crate::handler::{Method, Registry};
use crate::stores::one_row;

/// Register the message namespace.
pub fn register(r: &mut Registry) {
    r.add(
        Method::new("message.list", "1.0.0")
            .user()
            .summary("系统消息列表：发给当前用户的和发给全部用户的，新的在前，每页 20 条；is_read 0 未读、1 已读。"),
        list,
    );
    r.add(
        Method::new("message.read.status", "1.0.0")
            .user()
            .write()
            .req_token(false)
            .summary("把一条系统消息设为已读。别人的或不存在的消息返回 404。"),
        read_status,
    );
}

/// Messages the user may see: their own and broadcast ones, published.
/// What a user may see of `messages m` (a macro, so that the statements
/// are literals built at compile time).
macro_rules! visible {
    () => {
        "m.display AND m.publish_time <= now() AND (m.user_id = $1 OR m.user_id IS NULL)"
    };
}
const VISIBLE: &str = visible!();

/// message.list's total and page: two statements, as they always were.
const COUNT: &str = concat!("SELECT count(*) FROM messages m WHERE ", visible!());
const PAGE: &str = concat!(
    "SELECT m.id, m.msg_type, m.type_ref_id, (r.message_id IS NOT NULL), m.title, m.content, m.url, \
     extract(epoch FROM m.publish_time)::bigint \
     FROM messages m LEFT JOIN message_reads r ON r.message_id = m.id AND r.user_id = $1 \
     WHERE ",
    visible!(),
    " ORDER BY m.publish_time DESC, m.id DESC LIMIT $2 OFFSET $3"
);

#[derive(Debug, Deserialize, JsonSchema)]
struct ListParams {
    /// 页码，默认 1
    #[serde(default = "first_page")]
    page: Int,
}

fn first_page() -> Int {
    Int(1)
}

#[derive(Serialize)]
struct Message {
    msgid: i64,
    msg_type: i16,
    type_ref_id: i64,
    is_read: i16,
    title: String,
    content: String,
    url: String,
    c_time: String,
}

async fn list(ctx: Ctx, p: ListParams) -> ApiResult<Reply> {
    let user = ctx.user()?.id;
    let page = GATEWAY.page(Some(p.page.0), None)?;
    let total: i64 = one_row(ctx.stores().pg_rows(COUNT, &[&user]).await?)?.get(0);
    let list = ctx
        .stores()
        .pg_rows(PAGE, &[&user, &page.limit(), &page.offset()])
        .await?
        .iter()
        .map(|r| Message {
            msgid: r.get(0),
            msg_type: r.get(1),
            type_ref_id: r.get(2),
            is_read: i16::from(r.get::<_, bool>(3)),
            title: r.get(4),
            content: r.get(5),
            url: r.get(6),
            c_time: ctx.time_string(r.get(7)),
        })
        .collect();
    Reply::data("success", &Paged::new(list, total, page))
}

#[derive(Debug, Deserialize, JsonSchema)]
struct ReadParams {
    /// 系统消息 ID
    msgid: Int,
}

async fn read_status(ctx: Ctx, p: ReadParams) -> ApiResult<Reply> {
    let user = ctx.user()?.id;
    let db = ctx.stores().pg().await?;
    let mark = db
        .prepare_cached(&format!(
            "INSERT INTO message_reads (message_id, user_id) \
             SELECT m.id, $1 FROM messages m WHERE m.id = $2 AND {VISIBLE} \
             ON CONFLICT DO NOTHING RETURNING 1"
        ))
        .await?;
    if db.query_opt(&mark, &[&user, &p.msgid.0]).await?.is_some() {
        return Ok(Reply::empty("设置成功"));
    }
    // Nothing inserted: already read, or not a message this user may see.
    let seen = db
        .prepare_cached(&format!(
            "SELECT 1 FROM messages m WHERE m.id = $2 AND {VISIBLE}"
        ))
        .await?;
    match db.query_opt(&seen, &[&user, &p.msgid.0]).await? {
        Some(_) => Ok(Reply::empty("设置成功")),
        None => Err(ApiError::not_found("消息不存在")),
    }
}
