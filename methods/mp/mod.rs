//! mp.*: seed 004, the local-services user mini-program (docs/protocol.md
//! §23; docs/methods.md): WeChat login and mobile binding, scene logins,
//! areas, nearby merchants, voucher goods, orders paid through the payment
//! driver, redemption codes and refunds. Refusals carry the seed's codes.

mod area;
mod goods;
mod login;
pub mod machines;
mod merchant;
mod order;
mod paid;
mod redeem;
mod refund;

use std::borrow::Cow;
use std::future::Future;

use rust_decimal::Decimal;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::domain::Money;
use crate::gate::session::SessionUser;
use crate::handler::registry::parse_params;
use crate::handler::{ApiError, ApiResult, Ctx, Method, Registry, Reply};
use crate::stores::opt_row;

/// 10001 参数不合法: a parameter missing, ill-typed or out of range.
pub const INVALID: u32 = 10001;
/// 10003 未登录: the WeChat session has no mobile bound yet (seed: "执行
/// 步骤2", mp.login).
pub const NOT_BOUND: u32 = 10003;
/// What [`member`] answers before a mobile is bound.
pub const UNBOUND: (u32, &str) = (NOT_BOUND, "未登录，请先绑定手机号");
/// 10004 账号不存在.
pub const NO_ACCOUNT: u32 = 10004;
/// 10005 密码错误: here the SMS code, the password of a mobile login.
pub const WRONG_CODE: u32 = 10005;
/// 10006 账号已存在: the WeChat account already has another mobile.
pub const EXISTS: u32 = 10006;
/// 70010 微信openId不存在: no WeChat identity of this mini-program for the
/// session's account (seed: wx.login again).
pub const NO_OPENID: u32 = 70010;
/// 70011 微信appid不存在: the appid is not a configured mini-program.
pub const NO_APPID: u32 = 70011;

/// Register the mp namespace.
pub fn register(r: &mut Registry) {
    login::register(r);
    area::register(r);
    merchant::register(r);
    goods::register(r);
    order::register(r);
    refund::register(r);
    redeem::register(r);
    r.on_paid(order::SUBJECT, &machines::MP_ORDER, Some(paid::paid));
    r.job(machines::CLOSE_UNPAID);
}

/// Register `handler` so that parameters it cannot read answer 10001 with
/// the protocol's message ("缺少参数 x", "参数 x 格式不正确").
fn add<P, F, Fut>(r: &mut Registry, method: Method, handler: F)
where
    P: DeserializeOwned + JsonSchema + Send + 'static,
    F: Fn(Ctx, P) -> Fut + Copy + Send + Sync + 'static,
    Fut: Future<Output = ApiResult<Reply>> + Send + 'static,
{
    let method = method.refuses([(
        INVALID,
        "参数不合法（缺少参数 <name>、参数 <name> 格式不正确…）",
    )]);
    r.add(method, move |ctx: Ctx, p: Seed<P>| async move {
        handler(ctx, p.0?).await
    });
}

/// A method's parameters, read without failing the registry's parse: an
/// ill-formed one becomes 10001 in [`add`]. Its schema is `P`'s.
struct Seed<P>(ApiResult<P>);

impl<'de, P: DeserializeOwned> Deserialize<'de> for Seed<P> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let data = Value::deserialize(d)?;
        Ok(Self(
            parse_params::<P>(&data).map_err(|e| invalid(e.public_msg().to_string())),
        ))
    }
}

impl<P: JsonSchema> JsonSchema for Seed<P> {
    fn schema_name() -> Cow<'static, str> {
        P::schema_name()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        P::json_schema(generator)
    }
}

/// 10001 with `msg`.
pub(crate) fn invalid(msg: impl Into<Cow<'static, str>>) -> ApiError {
    ApiError::new(INVALID, msg)
}

/// The session's user once a mobile is bound; 10003 before (mp.login).
///
/// # Errors
/// 602 without a session, 10003 without a mobile.
pub(crate) fn member(ctx: &Ctx) -> ApiResult<&SessionUser> {
    let user = ctx.user()?;
    if user.profile.mobile.is_empty() {
        return Err(ApiError::new(UNBOUND.0, UNBOUND.1));
    }
    Ok(user)
}

/// The operation centre of the calling mini-program, if it has one.
///
/// # Errors
/// Store failures.
pub(crate) async fn oper_of(ctx: &Ctx) -> ApiResult<Option<i32>> {
    let rows = ctx
        .stores()
        .pg_rows(
            "SELECT id FROM mp_opers WHERE appid = $1",
            &[&ctx.caller.appid],
        )
        .await?;
    Ok(opt_row(rows)?.map(|r| r.get(0)))
}

/// A stored amount as the wire's `"300.00"`.
///
/// # Errors
/// An amount outside Money's range (a bug or a hand-edited row).
pub(crate) fn money(d: Decimal) -> ApiResult<Money> {
    Money::from_decimal(d).ok_or_else(|| anyhow::anyhow!("amount {d} out of range").into())
}

/// The 1-based page and its offset for `size` rows a page; 10001 for a
/// page below 1 or absurdly far.
pub(crate) fn page_of(page: Option<i64>, size: i64) -> ApiResult<(i64, i64)> {
    let page = page.unwrap_or(1);
    if !(1..=100_000).contains(&page) {
        return Err(invalid("参数 page 须为 1-100000"));
    }
    Ok((page, (page - 1) * size))
}
