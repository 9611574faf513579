//! consult.*: the consulting marketplace of seed 001 (docs/protocol.md §20):
//! buyers publish demands and order consultants' services on them,
//! consultants accept and finish. Answers carry the seed's `content` in
//! `data`; the seed's code 0 is 200 and its failures 503.

mod account;
pub mod machine;
mod order;
mod post;

use self::machine::{BUYER, CONSULTANT};
use crate::handler::{Dialect, Envelope, Method, PageRule, Registry, code};

/// How consult.* speaks (seed 001): every failure is non-zero with its
/// message (the gateway's 503 for what it refuses, 404 for a demand or
/// order the caller may not see), and `{code: 0, msg: "", content}` to its
/// own clients.
pub const DIALECT: Dialect = Dialect {
    namespace: "consult",
    invalid: code::BUSINESS,
    invalid_prefix: "",
    ill_typed_is_invalid: false,
    invalid_doc: "",
    not_found: code::NOT_FOUND,
    forbidden: code::FORBIDDEN,
    ok: "",
    paging: PageRule {
        size: 20,
        max_size: 100,
        max_page: None,
        refuse_below_first: false,
    },
    envelope: Envelope::Consult,
};

/// Register the consult namespace.
pub fn register(r: &mut Registry) {
    r.dialect(&DIALECT);
    register_accounts(r);
    register_posts(r);
    register_orders(r);
    register_consultants(r);
    r.on_paid(order::SUBJECT, &BUYER, None);
}

fn register_accounts(r: &mut Registry) {
    r.add(
        Method::new("consult.user.signin", "1.0.0")
            .write()
            .no_replay()
            .req_token(false)
            .summary("用户手机注册（api/user/signin）：phone_number + verification_code（sms.send，key = CONSULT_SIGNIN_CODE，注册与否均可）。手机号没有账号时创建（无密码），然后登录。data：content 为 [user_id]，token 为会话令牌。验证码错误或已用 700，什么也不写。"),
        account::user_signin,
    );
    r.add(
        Method::new("consult.user.register", "1.0.0")
            .user()
            .write()
            .req_token(false)
            .summary("注册信息提交（api/user/register）：为当前登录的账号设用户名、密码与资料，仅一次（再次 503 该账号已注册；用户名被占用 503）。两次密码不一致 503。data：content 为 [user_id]。"),
        account::register,
    );
    r.add(
        Method::new("consult.user.login", "1.0.0")
            .no_replay()
            .req_token(false)
            .summary("登录（api/user/login）：username 为用户名或手机号，password 为密码。错误 503 用户名或密码不正确（按手机号计数锁定，607）。data：content 为 [user_id]，token 为会话令牌。"),
        account::user_login,
    );
    r.add(
        Method::new("consult.tag.list", "1.0.0")
            .summary("需求标签列表（种子文档使用但未列出）：data.content 为 [{tag_id, name}]。"),
        post::tags,
    );
}

fn register_posts(r: &mut Registry) {
    r.add(
        Method::new("consult.user.post.publish", "1.0.0")
            .user()
            .write()
            .req_token(false)
            .summary("用户发布需求（api/user/post/publish）：需求属于当前会话的用户（user_id 参数被忽略）。tag_id 为一个标签 ID 或数组（1-5 个，不存在 503），title 1-100 字，content 1-5000 字，price 元（默认 0）。data：content 为 [post_id]。"),
        post::publish,
    );
    r.add(
        Method::new("consult.user.post.modify", "1.0.0")
            .user()
            .write()
            .req_token(false)
            .summary("用户修改需求（api/user/post/modify）：仅作者本人（他人的或已删除的需求 404 需求不存在）。改 tag_id、title、content。"),
        post::modify,
    );
    r.add(
        Method::new("consult.user.post.delete", "1.0.0")
            .user()
            .write()
            .req_token(false)
            .refuses([(404, "需求不存在"), (503, "该需求有进行中的订单，不能删除")])
            .summary("用户删除需求（api/user/post/delete）：仅作者本人；有待付款、已付款或服务中的订单时 503，什么也不写。删除后不再出现在列表中。"),
        post::delete,
    );
    r.add(
        Method::new("consult.user.post.check", "1.0.0")
            .user()
            .summary("用户查看已发布需求（api/user/post/check）：当前用户的需求，新的在前，至多 100 条。data.content 为 [{post_id, tag_id（数组）, title, summary, create_time, update_time, price}]。"),
        post::check,
    );
    r.add(
        Method::new("consult.user.post.acquire", "1.0.0")
            .role("consult", "consultant")
            .summary("顾问查看用户发布的需求（api/user/post/acquire）：标签 tag_id 下的需求，新的在前，至多 100 条。data.content 为 [{post_id, user_id, title, summary, create_time, price}]。"),
        post::acquire,
    );
}

fn register_orders(r: &mut Registry) {
    r.add(
        Method::new("consult.user.order.add", "1.0.0")
            .user()
            .write()
            .req_token(false)
            .refuses([(404, "需求不存在"), (503, "该需求已有进行中的订单"), (503, "顾问不存在")])
            .summary("用户创建订单（api/user/order/add）：在自己的需求 post_id 上向顾问 consultant_id 下单，价格 price（元，大于 0）。order_no、create_time、status 由服务端决定（传了也忽略），新订单为待付款（0）。一个需求同时只有一个进行中的订单。data：content 为 [order_id]，order_no 为订单号。"),
        order::add,
    );
    r.add(
        Method::new("consult.pay.init", "1.0.0")
            .user()
            .write()
            .req_token(false)
            .summary("支付接口（/api/pay/init）：out_trade_no 为订单号 order_no，total_fee 须等于订单价格（否则 503），body 为商品描述。仅本人的待付款订单（否则 503；不存在 404）。通过支付渠道创建（或复用未过期的）支付单，返回 out_trade_no（支付单号）、amount 与 pay（wx.requestPayment 所需参数）。支付结果由支付通知回调确认，订单随之变为已付款（1）。"),
        order::pay_init,
    );
    r.add(
        Method::new("consult.user.order.cancel", "1.0.0")
            .user()
            .write()
            .req_token(false)
            .refuses(BUYER.refusals("cancel"))
            .summary("用户取消订单（api/user/order/cancel）：post_id 为订单 id（种子文档的字段名）。待付款 → 已取消（4）；已付款 → 已退款（5），通过支付渠道全额退款。服务中及之后 503。data：status、status_label 为新状态。"),
        order::cancel,
    );
    r.add(
        Method::new("consult.user.order.delete", "1.0.0")
            .user()
            .write()
            .req_token(false)
            .refuses([(404, "订单不存在"), (503, "只能删除已完成、已取消或已退款的订单")])
            .summary("用户删除订单（api/user/order/delete）：post_id 为订单 id。仅已完成、已取消、已退款的订单，软删除（从用户的订单列表中消失，顾问仍可见）。"),
        order::delete,
    );
    r.add(
        Method::new("consult.user.order.list", "1.0.0")
            .user()
            .summary("用户的订单列表（种子文档未定义，按用户预期设计）：status -1 全部（默认），0-5 见 consult.user.order.cancel。新的在前，至多 100 条。data.content 为 [{order_id, order_no, post_id, title, user_id, consultant_id, price, status, status_label, create_time}]。"),
        order::buyer_list,
    );
}

fn register_consultants(r: &mut Registry) {
    r.add(
        Method::new("consult.consultant.signin", "1.0.0")
            .write()
            .no_replay()
            .req_token(false)
            .summary("卖家手机注册（api/consultant/signin）：同 consult.user.signin，并给账号 consult.consultant 身份。data：content 为 [consultant_id]，token 为会话令牌。"),
        account::consultant_signin,
    );
    r.add(
        Method::new("consult.consultant.register", "1.0.0")
            .role("consult", "consultant")
            .write()
            .req_token(false)
            .summary(
                "卖家注册信息提交（api/consultant/register）：同 consult.user.register，仅顾问。",
            ),
        account::register,
    );
    r.add(
        Method::new("consult.consultant.login", "1.0.0")
            .no_replay()
            .req_token(false)
            .summary("卖家登录（api/consultant/login）：同 consult.user.login；账号没有顾问身份时 503。data：content 为 [consultant_id]，token。"),
        account::consultant_login,
    );
    r.add(
        Method::new("consult.consultant.order.list", "1.0.0")
            .role("consult", "consultant")
            .summary("卖家订单列表（种子 2.2 节为空，按顾问预期设计）：向当前顾问下的订单，参数与 data 同 consult.user.order.list。"),
        order::consultant_list,
    );
    r.add(
        Method::new("consult.consultant.order.accept", "1.0.0")
            .role("consult", "consultant")
            .write()
            .req_token(false)
            .refuses(CONSULTANT.refusals("accept"))
            .summary("卖家接单（种子 2.2 节为空）：order_id 为向当前顾问下的已付款订单 → 服务中（2）。他人的订单 404。"),
        order::accept,
    );
    r.add(
        Method::new("consult.consultant.order.finish", "1.0.0")
            .role("consult", "consultant")
            .write()
            .req_token(false)
            .refuses(CONSULTANT.refusals("finish"))
            .summary("卖家完成服务（种子 2.2 节为空）：服务中的订单 → 已完成（3）。"),
        order::finish,
    );
}
