//! user.logout and user.detail.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::gate::session::{self, SessionUser};
use crate::handler::{ApiResult, Ctx, Reply};

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct TokenOnly {}

pub(super) async fn logout(ctx: Ctx, _: TokenOnly) -> ApiResult<Reply> {
    let user = ctx.user()?;
    session::end(&ctx.state.stores, &user.token).await?;
    Ok(Reply::empty("退出成功"))
}

#[derive(Serialize)]
struct Detail<'a> {
    mobile: &'a str,
    open_id: &'a str,
    nickname: &'a str,
    headimg: &'a str,
    intro: &'a str,
    c_time: String,
    /// The same time under upstream Yaf-Server's name.
    reg_time: String,
}

pub(super) async fn detail(ctx: Ctx, _: TokenOnly) -> ApiResult<Reply> {
    let u: &SessionUser = ctx.user()?;
    Reply::data(
        "信息获取成功",
        &Detail {
            mobile: &u.profile.mobile,
            open_id: &u.profile.open_id,
            nickname: &u.profile.nickname,
            headimg: &u.profile.headimg,
            intro: &u.profile.intro,
            c_time: ctx.time_string(u.profile.created_at),
            reg_time: ctx.time_string(u.profile.created_at),
        },
    )
}
