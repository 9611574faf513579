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
use crate::handler::{ApiError, ApiResult, Ctx, Dialect, Envelope, Method, PageRule, Registry};
use crate::stores::opt_row;

pub use self::machine::FAILED;

/// The seed's 101 未认证: a supplier the back office has not certified.
pub const NOT_CERTIFIED: u32 = 101;

const PRODUCT: &str = "supplier";
const ROLE: &str = "supplier";

/// How supplier.* speaks (seed 002): 400 操作失败 with the seed's
/// messages for whatever it refuses, pages of ten, `{code: 200, msg,
/// data}` with its own session codes (100, 600) to its own clients.
pub const DIALECT: Dialect = Dialect {
    namespace: "supplier",
    invalid: FAILED,
    invalid_prefix: "",
    ill_typed_is_invalid: false,
    invalid_doc: "",
    not_found: FAILED,
    forbidden: FAILED,
    ok: "请求成功",
    paging: PageRule {
        size: 10,
        max_size: 10,
        max_page: None,
        refuse_below_first: false,
    },
    envelope: Envelope::Supplier,
};

/// Register the supplier namespace.
pub fn register(r: &mut Registry) {
    r.dialect(&DIALECT);
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
    order_cards(r);
    admin_cards(r);
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

fn order_cards(r: &mut Registry) {
    r.add(
        Method::new("supplier.order.list", "1.0.0")
            .role(PRODUCT, ROLE)
            .refuses([(NOT_CERTIFIED, "未认证"), (FAILED, "请求失败，status_choice 不正确~")])
            .summary("订单列表（/navigation/order_list）：page（默认 1，每页 10 条）、status_choice（默认全部；pay_success 待发货 = 1、2、3、4，send_success 待收货 = 11、12、13，finish 已完成 = 21、22）。status 为种子的全部状态：0 未付款、1 已付款、2 待确认、3 待修改、4 已修改、11 拣货完成、12 配送员接单、13 配送员取货、21 待评价、22 已评价、30 交易关闭（10、20 是分组，不单独出现）。advance_son_total_amount 为补款子订单金额（未修改为 0，可为负），final_total_amount = total_amount + 补款，二者为数字，同种子。"),
        orders::list,
    );
    r.add(
        Method::new("supplier.order.accept", "1.0.0")
            .role(PRODUCT, ROLE)
            .write()
            .req_token(false)
            .refuses(SUPPLIER_ORDER.refusals("accept"))
            .refuses([(NOT_CERTIFIED, "未认证")])
            .summary("确认订单（/order/accept_order）：order_sn。只有待确认（2）订单可以接单，变为待修改（3）；其他状态 400 \"请求失败，只有待确认订单有权限~\"，不写任何东西。"),
        orders::accept,
    );
    r.add(
        Method::new("supplier.order.edit", "1.0.0")
            .role(PRODUCT, ROLE)
            .write()
            .req_token(false)
            .refuses(SUPPLIER_ORDER.refusals("edit"))
            .refuses([
                (NOT_CERTIFIED, "未认证"),
                (FAILED, "程序罢工，缺少订单金额 total_amount~"),
                (FAILED, "请求失败，订单金额须为不小于 0、至多两位小数的数字~"),
            ])
            .summary("修改订单（/order/edit_order）：order_sn、total_amount（修改后的订单金额，数字或数字字符串，至多两位小数）。只有待修改（3）订单可以修改，变为已修改（4），同一事务中生成补款子订单（金额 = total_amount − 原订单金额，可为负），列表中显示为 advance_son_total_amount 与 final_total_amount。"),
        orders::edit,
    );
}

fn admin_cards(r: &mut Registry) {
    r.add(
        Method::new("supplier.admin.add", "1.0.0")
            .write()
            .req_token(false)
            .refuses([(404, "用户不存在"), (FAILED, "该账号已是供应商")])
            .summary("设为供应商（后台，仅 admin 类型的 appid，其他 400）：user_id、title。授予 supplier.supplier 身份，未认证（登录 101），直到 supplier.admin.certify。"),
        admin::add,
    );
    r.add(
        Method::new("supplier.admin.certify", "1.0.0")
            .write()
            .req_token(false)
            .refuses([(404, "供应商不存在"), (FAILED, "该供应商已认证")])
            .summary("认证供应商（后台）：user_id。之后可以登录与操作。"),
        admin::certify,
    );
    r.add(
        Method::new("supplier.admin.spec.add", "1.0.0")
            .write()
            .req_token(false)
            .refuses([(404, "供应商不存在")])
            .summary("添加规格（后台）：supplier_id、good_id、good_title、good_litpic、name（单位）、price（\"0.01\"）。返回 id。"),
        admin::spec_add,
    );
    r.add(
        Method::new("supplier.admin.order.add", "1.0.0")
            .write()
            .req_token(false)
            .refuses([(404, "规格不存在")])
            .summary("下单（后台；买家端在种子之外）：spec_id、buy_number、advance（1 预付款订单，进入待确认 2；0 普通订单，进入已付款 1；默认 1）。订单已付款。返回 order_sn、status。"),
        admin::order_add,
    );
    for &(name, action, msg, summary) in admin::STEPS {
        r.add(
            Method::new(name, "1.0.0")
                .write()
                .req_token(false)
                .refuses(SUPPLIER_ORDER.refusals(action))
                .summary(summary),
            move |ctx: Ctx, p: admin::StepParams| admin::step(ctx, p, action, msg),
        );
    }
}
