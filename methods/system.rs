//! system.*: start-up and housekeeping methods (seed 003 §2.1–2.4, 2.13–2.16).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::protocol::Reply;
use crate::protocol::types::Int;
use crate::registry::{Method, Registry};

/// Register the system namespace.
pub fn register(r: &mut Registry) {
    r.add(
        Method::new("system.ping", "1.0.0")
            .bare()
            .summary("连通性与时钟检查：返回服务器时间（Unix 秒），不访问任何存储。"),
        ping,
    );
    r.add(
        Method::new("system.request.token", "1.0.0")
            .optional_user()
            .summary("获取防重复提交令牌（number 1-5 个，30 分钟有效，一次性）。需要令牌的接口以 req_token 传入。"),
        request_token,
    );
}

/// No business parameters.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct NoParams {}

#[derive(Serialize)]
struct Pong {
    server_time: i64,
}

async fn ping(ctx: Ctx, _: NoParams) -> ApiResult<Reply> {
    Reply::data(
        "success",
        &Pong {
            server_time: ctx.now(),
        },
    )
}

#[derive(Debug, Deserialize, JsonSchema)]
struct RequestTokenParams {
    /// 令牌数量：1-5
    number: Int,
}

#[derive(Serialize)]
struct RequestTokens {
    token: String,
    tokens: Vec<String>,
}

async fn request_token(ctx: Ctx, p: RequestTokenParams) -> ApiResult<Reply> {
    let n = usize::try_from(p.number.0)
        .ok()
        .filter(|n| (1..=5).contains(n))
        .ok_or_else(|| ApiError::business("参数 number 须为 1-5"))?;
    let tokens = crate::reqtoken::issue(&ctx, n).await?;
    Reply::data(
        "success",
        &RequestTokens {
            token: tokens[0].clone(),
            tokens,
        },
    )
}
