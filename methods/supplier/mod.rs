//! supplier.*: seed 002, the 美香厨 supplier mini-program
//! (docs/protocol.md §21; docs/methods.md). A supplier is an account with
//! the role supplier.supplier and a `suppliers` row; it works only once the
//! back office has certified it (101 未认证).

mod account;
mod admin;
mod home;
pub mod machine;
mod orders;

use self::machine::SUPPLIER_ORDER;
use crate::config::apps::AppKind;
use crate::handler::{ApiError, ApiResult, Ctx, Method, Registry};
use crate::stores::opt_row;

pub use self::machine::FAILED;

/// The seed's 101 未认证: a supplier the back office has not certified.
pub const NOT_CERTIFIED: u32 = 101;

const PRODUCT: &str = "supplier";
const ROLE: &str = "supplier";

/// Register the supplier namespace.
pub fn register(r: &mut Registry) {
    r.add(
        Method::new("supplier.login", "1.0.0")
            .no_replay()
            .req_token(false)
            .refuses([(FAILED, "帐号或密码错误"), (NOT_CERTIFIED, "未认证")])
            .summary("密码登录（/account/login_via_password）：mobile、password。返回 token 与 expire_time（秒）。帐号或密码错误 400；不是供应商 608；未认证 101。错误次数的限制同 user.login（607）。"),
        account::login,
    );
    r.add(
        Method::new("supplier.login.sms", "1.0.0")
            .no_replay()
            .req_token(false)
            .refuses([(FAILED, "您的验证码不正确"), (FAILED, "验证码已失效，请重新获取"), (NOT_CERTIFIED, "未认证")])
            .summary("验证码登录（/account/login_via_sms）：mobile、verify_code（sms.send，key = SUPPLIER_LOGIN_CODE）。返回同 supplier.login。验证码错误或失效 400；未认证 101。"),
        account::login_sms,
    );
    r.add(
        Method::new("supplier.pwd.find", "1.0.0")
            .write()
            .req_token(false)
            .refuses([(FAILED, "亲，缺少密码~"), (FAILED, "您的验证码不正确")])
            .summary("找回密码（/account/find_password）：mobile、verify_code（key = SUPPLIER_LOGIN_CODE）、password。该账号已有的会话随之失效（606）。"),
        account::pwd_find,
    );
    r.add(
        Method::new("supplier.home", "1.0.0")
            .role(PRODUCT, ROLE)
            .refuses([(NOT_CERTIFIED, "未认证")])
            .summary("首页（/navigation/index）：page（默认 1）。spec_paginate 为本供应商的规格分页（每页 10 条；payed_buy_number 为已付款且未关闭订单中的购买数量），count_order_all 为全部订单数，user_info.title 为供应商名称。"),
        home::home,
    );
    orders::register(r);
    admin::register(r);
}

/// The supplier row of `user`: its title and whether it is certified.
///
/// # Errors
/// 608 when the account is not a supplier.
pub(crate) async fn supplier_of(ctx: &Ctx, user: i64) -> ApiResult<(String, bool)> {
    let rows = ctx
        .stores()
        .pg_rows(
            "SELECT title, certified_at IS NOT NULL FROM suppliers WHERE user_id = $1",
            &[&user],
        )
        .await?;
    opt_row(rows)?
        .map(|r| (r.get(0), r.get(1)))
        .ok_or_else(|| crate::shared::roles::refused(PRODUCT, ROLE))
}

/// The title of a certified supplier.
///
/// # Errors
/// 608 not a supplier, 101 not certified.
pub(crate) async fn certified(ctx: &Ctx, user: i64) -> ApiResult<String> {
    match supplier_of(ctx, user).await? {
        (title, true) => Ok(title),
        (_, false) => Err(ApiError::new(NOT_CERTIFIED, "未认证")),
    }
}

/// Only a back-office appid (the picker's, the courier's) moves deliveries
/// and certifies; anyone else gets the machine's refusal.
fn back_office(ctx: &Ctx) -> ApiResult<()> {
    let kind = ctx.config.apps.get(&ctx.caller.appid).map(|a| a.kind);
    if kind == Some(AppKind::Admin) {
        Ok(())
    } else {
        Err(SUPPLIER_ORDER.not_allowed.error())
    }
}
