//! home.*: seed 000, the 慕慕到家 home-services marketplace
//! (docs/protocol.md §22; docs/methods.md). People publish services, the
//! back office reviews them, others book, pay, confirm, rate and ask for
//! refunds. Refusals answer the seed's `error_code` (10000–10024) with its
//! message; a missing record, or one that is not the caller's, is 404.

pub mod machines;
mod order;
mod rating;
mod refund;
mod register;
mod service;
mod tim;
mod user;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio_postgres::types::ToSql;

use self::machines::code;
use crate::handler::{ApiError, ApiResult, Ctx, Int, Registry};
use crate::stores::{one_row, opt_row};

/// Register the home namespace.
pub fn register(r: &mut Registry) {
    register::all(r);
}

/// Most rows a page may ask for.
const MAX_COUNT: i64 = 100;

/// The seed's 10000 请求参数错误, saying which parameter and why.
pub(crate) fn bad_param(detail: impl std::fmt::Display) -> ApiError {
    ApiError::new(code::PARAMS, format!("请求参数错误：{detail}"))
}

/// The paging parameters of every list: `page` from 1, `count` 1–100.
#[derive(Debug, Deserialize, JsonSchema)]
pub(crate) struct PageParams {
    /// 分页页码，起始页为 1
    page: Int,
    /// 分页内容条数，1-100
    count: Int,
}

/// A page asked for: its number, its size and the SQL offset.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Page {
    pub number: i64,
    pub per_page: i64,
}

impl Page {
    /// Check `page` ≥ 1 and `count` in 1–100.
    pub(crate) fn of(p: &PageParams) -> ApiResult<Self> {
        if p.page.0 < 1 {
            return Err(bad_param("page 起始页为 1"));
        }
        if !(1..=MAX_COUNT).contains(&p.count.0) {
            return Err(bad_param(format!("count 为 1-{MAX_COUNT}")));
        }
        Ok(Self {
            number: p.page.0.min(i64::MAX / MAX_COUNT),
            per_page: p.count.0,
        })
    }

    pub(crate) fn offset(self) -> i64 {
        (self.number - 1) * self.per_page
    }

    /// The seed's paging block around `data`.
    pub(crate) fn block(self, total: i64, data: Vec<Value>) -> Value {
        json!({
            "total": total,
            "per_page": self.per_page,
            "current_page": self.number,
            "last_page": ((total + self.per_page - 1) / self.per_page).max(1),
            "data": data,
        })
    }
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
    let paged: [&(dyn ToSql + Sync); 5] = [args[0], args[1], &zone, &page.per_page, &offset];
    let stores = ctx.stores();
    let (count, rows) =
        tokio::try_join!(stores.pg_rows(&count, &args), stores.pg_rows(&list, &paged))?;
    let total: i64 = one_row(count)?.get(0);
    Ok(page.block(total, parsed_rows(&rows)?))
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
            _ => Err(bad_param("role 为 1（发布者）或 2（消费者）")),
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
        Some(_) => Err(bad_param(format!("status 为 0-{max}"))),
    }
}

/// At most five image URLs (`illustration`), each http(s) and ≤ 255 chars.
pub(crate) fn illustration(v: Option<Value>) -> ApiResult<Value> {
    let list = match v {
        None | Some(Value::Null) => return Ok(json!([])),
        Some(Value::Array(list)) => list,
        Some(_) => return Err(bad_param("illustration 为图片 url 数组")),
    };
    if list.len() > 5 {
        return Err(bad_param("illustration 最多 5 张"));
    }
    for u in &list {
        let ok = u.as_str().is_some_and(|s| {
            (s.starts_with("http://") || s.starts_with("https://")) && s.len() <= 255
        });
        if !ok {
            return Err(bad_param("illustration 须为 http(s) 图片 url"));
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
            per_page: 10,
        };
        assert_eq!(p.block(0, vec![])["last_page"], 1);
        assert_eq!(p.block(10, vec![])["last_page"], 1);
        assert_eq!(p.block(11, vec![])["last_page"], 2);
        let keys: Vec<_> = p
            .block(1, vec![])
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
}
