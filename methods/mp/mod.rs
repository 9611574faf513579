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

use self::machines::{MP_CODE, MP_ORDER};
use crate::gate::session::SessionUser;
use crate::handler::{
    ApiError, ApiResult, Ctx, Dialect, Envelope, Method, PageRule, Registry, code,
};
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

/// How mp.* speaks (seed 004): 10001 参数不合法 for any parameter missing,
/// ill-typed or out of range, with the protocol's message; pages of ten,
/// 1-100000; `{code: 0, message, data}` to its own clients.
pub const DIALECT: Dialect = Dialect {
    namespace: "mp",
    invalid: INVALID,
    invalid_prefix: "",
    ill_typed_is_invalid: true,
    invalid_doc: "参数不合法（缺少参数 <name>、参数 <name> 格式不正确…）",
    not_found: code::NOT_FOUND,
    forbidden: code::FORBIDDEN,
    ok: "success",
    paging: PageRule {
        size: 10,
        max_size: 10,
        max_page: Some(100_000),
        refuse_below_first: true,
    },
    envelope: Envelope::Mp,
};

/// Register the mp namespace.
pub fn register(r: &mut Registry) {
    r.dialect(&DIALECT);
    logins(r);
    areas(r);
    merchants(r);
    goods_(r);
    orders(r);
    refunds(r);
    redeems(r);
    r.on_paid(order::SUBJECT, &machines::MP_ORDER, Some(paid::paid));
    r.job(machines::CLOSE_UNPAID);
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

// The method cards, in the seed's order.

fn logins(r: &mut Registry) {
    r.add(
        Method::new("mp.wx.login", "1.0.0")
            .no_replay()
            .req_token(false)
            .refuses([(NO_APPID, "微信appid不存在"), (NO_ACCOUNT, "账号不存在")])
            .summary("微信登录（/wxLogin）：code 为 wx.login 所得（一次有效，无效或已用 503）。返回 token、open_id；openid 已绑定手机号的账号另返回 userInfo（name、mobile）。env 为 dev、test 时 code = \"user\" 直接登录 mp.test_user_mobile 的账号并返回 userInfo（种子的测试约定）。appid 不是已配置的小程序 70011。"),
        login::wx_login,
    );
    r.add(
        Method::new("mp.login", "1.0.0")
            .user()
            .write()
            .req_token(false)
            .refuses([
                (WRONG_CODE, "您的验证码不正确"),
                (WRONG_CODE, "验证码已失效，请重新获取"),
                (EXISTS, "当前账号已绑定手机号"),
            ])
            .summary("登录（/login，绑定手机号）：mobile、verify_code（mp.sms.code 所得）。手机号没有账号时绑定到当前微信账号；已有账号时当前微信并入该账号（同 user.mobile.bind），返回新的 token。返回 token 与 userInfo（name、mobile）。验证码错误或失效 10005，已绑定过手机号 10006。"),
        login::login,
    );
    r.add(
        Method::new("mp.sms.code", "1.0.0")
            .no_replay()
            .req_token(false)
            .summary("短信验证码（/sms/verify_code）：mobile。发送 mp.login 用的验证码（同 sms.send 的 USER_BIND_MOBILE_CODE：60 秒一次、每日上限）。sms.echo_code 打开时（仅 dev、test）data.verify_code 为验证码，否则无 data。"),
        login::sms_code,
    );
    r.add(
        Method::new("mp.scene.create", "1.0.0")
            .user()
            .refuses([UNBOUND])
            .write()
            .req_token(false)
            .summary("创建场景 ID（小程序间跳转的 H5 生成小程序码用）：order_no 可选（须是本人的订单）。返回 sceneId（32 位十六进制，小程序码的 scene 值）与 expire_in（秒，mp.scene_ttl_secs）。只能登录一次。未绑定手机号 10003。"),
        login::scene_create,
    );
    r.add(
        Method::new("mp.login.scene", "1.0.0")
            .user()
            .write()
            .req_token(false)
            .refuses([
                (INVALID, "sceneId 无效、已过期或已使用"),
                (NO_ACCOUNT, "账号不存在"),
                (EXISTS, "当前微信已绑定其他账号"),
            ])
            .summary("场景 ID 快捷登录（/loginWithSceneId）：token 为本小程序 mp.wx.login 所得，sceneId 为 onLoad 的 scene 值。当前微信并入场景的用户账号，返回该账号的 token、userInfo 与 payload（user_id、order_no）。场景只能用一次（无效、过期或已用 10001）；当前微信已绑定其他手机号 10006。"),
        login::scene_login,
    );
}

fn areas(r: &mut Registry) {
    r.add(
        Method::new("mp.area.tree", "1.0.0")
            .summary("地区列表，树形（/area/tree）：tier 为层级数 1-3（省/市/县，默认 3，其他 10001）。list 为省，每项 id、area_id（行政区划代码）、name、parent_id（省为 0），有下级时 sub 为下级列表。"),
        area::tree,
    );
    r.add(
        Method::new("mp.area.cities", "1.0.0")
            .summary("城市及热门城市（/area/cities/withHot）：data 的键为 \"热门\" 与城市名拼音首字母 A-Z（只列有城市的字母），值为城市列表（每项同地区列表，没有 sub）。"),
        area::cities,
    );
    r.add(
        Method::new("mp.area.by_gps", "1.0.0")
            .refuses([(404, "未找到所在城市")])
            .summary("根据经纬度获取所在城市（/area/getByGps）：lng 经度（-180 至 180）、lat 纬度（-90 至 90），超出 10001。按地区表的县区中心点取最近的县区，返回 province、province_id、city、city_id、area、area_id（均为行政区划代码）。"),
        area::by_gps,
    );
}

fn merchants(r: &mut Registry) {
    r.add(
        Method::new("mp.merchant.category.tree", "1.0.0")
            .summary("商家类别，树形（/merchant/categories/tree）：list 为一级类别，每项 id、pid（一级为 0）、name、icon、status（只返回状态正常 1 的类别），有子类时 sub 为子类列表。"),
        merchant::categories,
    );
    r.add(
        Method::new("mp.merchant.list", "1.0.0")
            .heavy()
            .summary("商家列表（/merchants）：city_id、keyword（商家名或品牌包含，至多 50 字）、merchant_category_id（含其子类）、lng 与 lat（须同时传）、radius（米，仅在有经纬度时有效）、page（每页 10 条）。只列状态正常的商家。传经纬度时每项有 distance（米，整数，PostgreSQL earthdistance 计算），按距离由近到远排序；传 radius 时只列范围内的商家。total 为总数。每项字段同种子：id、oper_id、merchant_category_id、merchantCategoryName、name、brand、region、address、province、province_id、city、city_id、area、area_id、lng、lat、business_time（[开始, 结束]）、logo、desc_pic、desc、contacter、contacter_phone、status、distance、lowestAmount（\"0.00\"）、isOperSelf（1 本小程序运营中心的商家，0 其他）。"),
        merchant::list,
    );
    r.add(
        Method::new("mp.merchant.detail", "1.0.0")
            .refuses([(404, "商家不存在")])
            .summary("商家详情（/merchant/detail）：id，lng、lat 可选（传了则有 distance）。字段同商家列表。不存在或已禁用 404。"),
        merchant::detail,
    );
}

fn goods_(r: &mut Registry) {
    r.add(
        Method::new("mp.goods.list", "1.0.0")
            .summary("商品列表（/goods）：merchant_id。list 为该商家上架（status 1）的商品，每项 id、oper_id、merchant_id、name、desc、market_price、price（\"0.00\"）、start_date、end_date（有效期，Y-m-d）、business_time（[开始, 结束]）、thumb_url、pic、pic_list（数组）、buy_info、status、sell_number（已售）、stock（库存）。"),
        goods::list,
    );
    r.add(
        Method::new("mp.goods.detail", "1.0.0")
            .refuses([(404, "商品不存在或已下架")])
            .summary("商品详情（/goods/detail）：id。字段同商品列表。不存在或已下架 404。"),
        goods::detail,
    );
}

fn orders(r: &mut Registry) {
    r.add(
        Method::new("mp.order.list", "1.0.0")
            .user()
            .refuses([UNBOUND])
            .summary("订单列表（/orders）：status 可选（1 未支付、2 已取消、3 已关闭（超时自动关闭）、4 已付款、6 已退款、7 已完成（不可退款），不传为全部，其他 10001）、page（每页 10 条）。新的在前。每项：id、oper_id、order_no、user_id、user_name、notify_mobile、merchant_id、merchant_name、goods_id、goods_name、goods_pic、goods_thumb_url、price、buy_number、pay_price、pay_time、refund_price、refund_time、status、items（已付款及之后：核销码列表 id、order_id、verify_code、status 1 未核销 2 已核销 3 已退款）、isOperSelf。total 为总数。未绑定手机号 10003。"),
        order::list,
    );
    r.add(
        Method::new("mp.order.detail", "1.0.0")
            .user()
            .refuses([UNBOUND])
            .refuses([(404, "订单不存在")])
            .summary("订单详情（/order/detail）：order_no。字段同订单列表。他人的或不存在 404。"),
        order::detail,
    );
    r.add(
        Method::new("mp.order.buy", "1.0.0")
            .user()
            .refuses([UNBOUND])
            .write()
            .req_token(false)
            .refuses([
                (404, "商品不存在或已下架"),
                (503, "库存不足"),
                (503, "商品已过有效期"),
                (NO_OPENID, "openId不存在，请重新调用 wx.login 登录"),
            ])
            .summary("下单（/order/buy）：goods_id、number（1-99）、notify_mobile（可为空，默认账号手机号）。库存在同一条件更新中扣减，不会超卖；新订单为未支付（1），超过 mp.close_unpaid_after_minutes 未支付由任务关闭（3）并退回库存。返回 order_no、isOperSelf（商品属于本小程序的运营中心为 1）；为 1 时 sdk_config 为 wx.requestPayment 的参数（appId、nonceStr、package、signType、paySign、timestamp，另有 timeStamp）及 out_trade_no。支付结果由支付通知确认，订单变为已付款（4）并生成每件一个核销码。"),
        order::buy,
    );
    r.add(
        Method::new("mp.order.pay", "1.0.0")
            .user()
            .refuses([UNBOUND])
            .write()
            .req_token(false)
            .refuses([(404, "订单不存在"), (503, "订单当前状态不能支付"), (503, "请在商品所属运营中心的小程序内支付")])
            .summary("继续支付（种子未列，小程序间跳转后支付用）：order_no。未支付的本人订单返回 sdk_config 与 out_trade_no（同 mp.order.buy，未过期的支付单复用）。"),
        order::pay,
    );
    r.add(
        Method::new("mp.order.cancel", "1.0.0")
            .user()
            .refuses([UNBOUND])
            .write()
            .req_token(false)
            .refuses(MP_ORDER.refusals("cancel"))
            .summary("取消订单（种子的状态 2 已取消）：order_no。未支付（1）→ 已取消（2），库存退回。data：status。"),
        order::cancel,
    );
}

fn refunds(r: &mut Registry) {
    r.add(
        Method::new("mp.order.refund", "1.0.0")
            .user()
            .refuses([UNBOUND])
            .write()
            .req_token(false)
            .refuses(MP_ORDER.refusals("refund"))
            .refuses([(503, "退款失败，请稍后重试")])
            .summary("退款（/order/refund）：order_no。只退已付款（4）订单中未核销的核销码：金额 = 单价 × 未核销数，经支付渠道退款（沙箱立即回调），这些核销码变为已退款（3），库存退回、销量扣回。没有核销过的订单变为已退款（6），核销过的变为已完成（7，不可再退）。返回退款记录：id、order_id、order_no、amount、created_at、updated_at、refund_id、status（1 退款中、2 已退款）。"),
        refund::refund,
    );
}

fn redeems(r: &mut Registry) {
    r.add(
        Method::new("mp.merchant.redeem", "1.0.0")
            .write()
            .req_token(false)
            .refuses(MP_CODE.refusals("redeem"))
            .summary("核销（商家端，种子未列）：仅 admin 类型的 appid（商家终端或后台，其他 403）。merchant_id、verify_code。核销码须属于该商家的订单（否则 404 核销码不存在）；未核销（1）→ 已核销（2），只能一次。订单的最后一个未核销码核销后订单变为已完成（7）。返回 id、order_id、order_no、verify_code、status 与订单状态 order_status。"),
        redeem::redeem,
    );
}
