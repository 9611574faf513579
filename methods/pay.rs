//! pay.*: back-office payment operations (admin appids only,
//! docs/protocol.md "Payments"): settle a sandbox payment and refund a
//! paid one. Notifications go through the gateway's own callback route,
//! as the provider's would.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::config::apps::AppKind;
use crate::config::payments::PayDriver;
use crate::handler::{ApiError, ApiResult, Ctx, Method, Registry, Reply, Text, code};
use crate::shared::pay::{self, sandbox};

/// Register the pay namespace, and the close of expired payments.
pub fn register(r: &mut Registry) {
    r.sweep(pay::CLOSE_EXPIRED);
    r.add(
        Method::new("pay.settle", "1.0.0")
            .write()
            .req_token(false)
            .summary("沙箱支付：把支付单 out_trade_no 当作已付款，由沙箱签名、加密支付通知并投递到本网关的 /notify/pay/sandbox（与真实支付相同的回调路径）。仅 admin 类型的 appid（其他 403），仅 payments.driver = sandbox（否则 503）。返回回调的 HTTP 状态 notify_status 与支付单状态 status。"),
        settle,
    );
    r.add(
        Method::new("pay.refund", "1.0.0")
            .write()
            .req_token(false)
            .summary("退款：已支付（paid）或已部分退款（partially_refunded）的支付单 out_trade_no 变为退款中（refunding）并向支付渠道发起退款，金额 amount（\"0.01\"，不传为剩余的全部）；退款结果由退款通知确认：全部退完为 refunded，否则 partially_refunded，可再次退款直到退完。沙箱立即通过 /notify/pay/sandbox 投递退款通知。仅 admin 类型的 appid（其他 403）。支付单不存在 404；状态不能退款、金额为 0 或超过可退金额 503。"),
        refund,
    );
}

fn admin_only(ctx: &Ctx) -> ApiResult<()> {
    let admin = ctx
        .config
        .apps
        .get(&ctx.caller.appid)
        .is_some_and(|a| a.kind == AppKind::Admin);
    if admin {
        Ok(())
    } else {
        Err(ApiError::new(code::FORBIDDEN, "您没有权限访问该接口"))
    }
}

fn sandbox_only(ctx: &Ctx) -> ApiResult<()> {
    if ctx.config.settings.payments.driver == PayDriver::Sandbox {
        Ok(())
    } else {
        Err(ApiError::business(
            "仅沙箱支付（payments.driver = sandbox）可用",
        ))
    }
}

async fn status_of(ctx: &Ctx, out_trade_no: &str) -> ApiResult<String> {
    let row = ctx
        .stores()
        .pg()
        .await?
        .query_opt(
            "SELECT status FROM payments WHERE out_trade_no = $1",
            &[&out_trade_no],
        )
        .await?
        .ok_or_else(|| ApiError::not_found("支付单不存在"))?;
    Ok(row.get(0))
}

#[derive(Debug, Deserialize, JsonSchema)]
struct SettleParams {
    /// 支付单号（order.pay 返回的 out_trade_no）
    out_trade_no: Text,
}

#[derive(Serialize)]
struct Settled {
    out_trade_no: String,
    notify_status: u16,
    status: String,
}

async fn settle(ctx: Ctx, p: SettleParams) -> ApiResult<Reply> {
    admin_only(&ctx)?;
    sandbox_only(&ctx)?;
    let no = p.out_trade_no.as_str().trim();
    status_of(&ctx, no).await?;
    let settings = &ctx.config.settings.payments;
    let delivery =
        sandbox::settle_delivery(ctx.stores(), settings, &ctx.state.pay_keys, no, ctx.now())
            .await?;
    let notify_status = ctx.payments().deliver(&delivery).await?;
    let status = status_of(&ctx, no).await?;
    let out_trade_no = no.to_string();
    Reply::data(
        "success",
        &Settled {
            out_trade_no,
            notify_status,
            status,
        },
    )
}

#[derive(Debug, Deserialize, JsonSchema)]
struct RefundParams {
    /// 支付单号
    out_trade_no: Text,
    /// 退款原因，至多 80 字（可不传）
    #[serde(default)]
    reason: Text,
    /// 退款金额（"0.01"，至多两位小数；不传为剩余的全部）
    #[serde(default)]
    amount: Option<serde_json::Value>,
}

#[derive(Serialize)]
struct Refunding {
    out_trade_no: String,
    out_refund_no: String,
    amount: crate::domain::Money,
    /// The sandbox's notification answer (0: not the sandbox, none sent).
    notify_status: u16,
    status: String,
}

async fn refund(ctx: Ctx, p: RefundParams) -> ApiResult<Reply> {
    admin_only(&ctx)?;
    let no = p.out_trade_no.as_str().trim();
    let reason = p.reason.as_str().trim();
    if reason.chars().count() > 80 {
        return Err(ApiError::business("参数 reason 不能超过 80 字"));
    }
    let part = match &p.amount {
        None | Some(serde_json::Value::Null) => None,
        Some(v) => Some(crate::domain::Money::parse("amount", v)?),
    };
    let started = ctx.payments().refund(no, part, reason).await?;
    let notify_status = ctx.payments().refund_notice(&started).await?;
    let status = status_of(&ctx, no).await?;
    Reply::data(
        "success",
        &Refunding {
            out_trade_no: started.out_trade_no,
            out_refund_no: started.out_refund_no,
            amount: started.amount,
            notify_status,
            status,
        },
    )
}
