//! user.role.grant, user.role.revoke (admin appids) and user.role.list: the
//! roles per product kept as data (docs/protocol.md §8.11).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::config::apps::AppKind;
use crate::handler::{ApiError, ApiResult, Ctx, Int, Reply, Text, code};
use crate::shared::roles;
use crate::stores::opt_row;

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct RoleParams {
    /// 用户 ID
    user_id: Int,
    /// 产品：如 home、consult、supplier、mall（小写字母、数字、下划线，1-32 位）
    product: Text,
    /// 身份：如 publisher、customer、buyer、consultant、supplier、merchant
    role: Text,
}

#[derive(Serialize)]
struct Changed {
    changed: bool,
}

pub(super) async fn grant(ctx: Ctx, p: RoleParams) -> ApiResult<Reply> {
    let (user_id, product, role) = admitted(&ctx, &p).await?;
    let changed = roles::grant(ctx.stores(), user_id, (product, role)).await?;
    Reply::data("授权成功", &Changed { changed })
}

pub(super) async fn revoke(ctx: Ctx, p: RoleParams) -> ApiResult<Reply> {
    let (user_id, product, role) = admitted(&ctx, &p).await?;
    let changed = roles::revoke(ctx.stores(), user_id, (product, role)).await?;
    Reply::data("撤销成功", &Changed { changed })
}

/// An admin caller, well-formed names and an existing user.
async fn admitted<'p>(ctx: &Ctx, p: &'p RoleParams) -> ApiResult<(i64, &'p str, &'p str)> {
    let admin = ctx
        .config
        .apps
        .get(&ctx.caller.appid)
        .is_some_and(|a| a.kind == AppKind::Admin);
    if !admin {
        return Err(ApiError::new(code::FORBIDDEN, "您没有权限访问该接口"));
    }
    for (name, value) in [("product", &p.product), ("role", &p.role)] {
        if !roles::well_formed(value.as_str()) {
            return Err(ApiError::business(format!(
                "参数 {name} 格式不正确（1-32 位小写字母、数字、下划线）"
            )));
        }
    }
    let rows = ctx
        .stores()
        .pg_rows("SELECT 1 FROM users WHERE id = $1", &[&p.user_id.0])
        .await?;
    if opt_row(rows)?.is_none() {
        return Err(ApiError::not_found("用户不存在"));
    }
    Ok((p.user_id.0, p.product.as_str(), p.role.as_str()))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct NoParams {}

#[derive(Serialize)]
struct RoleList {
    /// `product.role`, sorted.
    list: Vec<String>,
}

pub(super) async fn list(ctx: Ctx, _p: NoParams) -> ApiResult<Reply> {
    let user = ctx.user()?;
    let list = roles::list(ctx.stores(), user.id).await?;
    Reply::data("success", &RoleList { list })
}
