//! system.*: start-up and housekeeping methods (seed 003 §2.1–2.4, 2.13–2.16).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::context::Ctx;
use crate::error::ApiResult;
use crate::protocol::Reply;
use crate::registry::{Method, Registry};

/// Register the system namespace.
pub fn register(r: &mut Registry) {
    r.add(
        Method::new("system.ping", "1.0.0")
            .bare()
            .summary("连通性与时钟检查：返回服务器时间（Unix 秒），不访问任何存储。"),
        ping,
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
