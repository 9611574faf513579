//! system.ping (the clock and connectivity check) and system.request.token.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::handler::{ApiError, ApiResult, Ctx, Reply};

use super::NoParams;
use crate::gate::reqtoken;
use crate::handler::Int;

#[derive(Serialize)]
struct Pong {
    server_time: i64,
}

pub(super) async fn ping(ctx: Ctx, _: NoParams) -> ApiResult<Reply> {
    Reply::data(
        "success",
        &Pong {
            server_time: ctx.now(),
        },
    )
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct RequestTokenParams {
    /// 令牌数量：1-5
    number: Int,
}

#[derive(Serialize)]
struct RequestTokens {
    token: String,
    tokens: Vec<String>,
}

pub(super) async fn request_token(ctx: Ctx, p: RequestTokenParams) -> ApiResult<Reply> {
    let n = usize::try_from(p.number.0)
        .ok()
        .filter(|n| (1..=5).contains(n))
        .ok_or_else(|| ApiError::business("参数 number 须为 1-5"))?;
    let settings = &ctx.config.settings.request_token;
    let tokens = reqtoken::issue(ctx.stores(), settings, &ctx.token_owner(), n).await?;
    Reply::data(
        "success",
        &RequestTokens {
            token: tokens[0].clone(),
            tokens,
        },
    )
}
