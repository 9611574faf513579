//! user.*: register, login, logout, detail, password edit and recovery,
//! the mini-program login and mobile binding, roles
//! (docs/methods.md, user.*; sessions in docs/protocol.md §8). One file per
//! method or pair; `account` holds what a login answers (the accounts are
//! `shared::accounts`'s).

mod account;
mod login;
mod password;
mod profile;
mod register;
mod roles;
mod wechat;

use crate::handler::{Method, Registry, refusals};

/// Register the user namespace.
pub fn register(r: &mut Registry) {
    r.add(
        Method::new("user.login", "1.0.0")
            .no_replay()
            .req_token(false)
            .refuses([refusals::LOCKED, refusals::SMS_CODE])
            .summary("登录：login_type 1 短信验证码登录，2 密码登录（密码放在 code，或 password）。同类设备（APP / 非 APP）的旧会话被挤下线（603）。同一手机号同一 IP 连续 5 次密码或验证码错误锁定 24 小时（607）；同一手机号各 IP 合计 20 次错误锁定密码登录（短信验证码登录不受影响，成功后解除）。"),
        login::login,
    );
    r.add(
        Method::new("user.register", "1.0.0")
            .write()
            .req_token(false)
            .refuses([refusals::REGISTERED, refusals::SMS_CODE])
            .summary("注册：手机号、密码、短信验证码（USER_REGISTER_CODE）。已注册返回 604（先于验证码校验）。成功即登录并返回 token。"),
        register::register_user,
    );
    r.add(
        Method::new("user.logout", "1.0.0")
            .user()
            .req_token(false)
            .summary("退出登录：令牌随即失效（之后 601）。"),
        profile::logout,
    );
    r.add(
        Method::new("user.detail", "1.0.0")
            .user()
            .summary("当前用户详情。"),
        profile::detail,
    );
    r.add(
        Method::new("user.pwd.edit", "1.0.0")
            .user()
            .write()
            .req_token(false)
            .summary("修改密码：旧密码 + 新密码。旧密码错误与登录密码错误合并计数（607）。当前会话保持有效，其它会话返回 606。"),
        password::pwd_edit,
    );
    r.add(
        Method::new("user.pwd.find", "1.0.0")
            .write()
            .req_token(false)
            .refuses([refusals::SMS_CODE])
            .summary("找回密码：手机号、短信验证码（USER_PWD_FIND_CODE）、新密码。所有会话返回 606，登录锁定解除。"),
        password::pwd_find,
    );
    register_identity(r);
}

/// The mini-program login, mobile binding and roles (docs/protocol.md
/// §8.9–§8.11).
fn register_identity(r: &mut Registry) {
    r.add(
        Method::new("user.wx.login", "1.0.0")
            .no_replay()
            .req_token(false)
            .summary("微信小程序登录（仅 miniprogram 类型的 appid，platform 6）：code 为 wx.login 所得，一次有效（无效或已用 503）。首次登录创建无密码、无手机号的账号并绑定 openid；返回 token、open_id，已绑定手机号时另返回 userInfo（name、mobile）。小程序会话自成一类，不挤掉 APP 与网页的会话。"),
        wechat::wx_login,
    );
    r.add(
        Method::new("user.mobile.bind", "1.0.0")
            .user()
            .write()
            .req_token(false)
            .refuses([refusals::SMS_CODE])
            .summary("绑定手机号：mobile + verify_code（sms.send，key = USER_BIND_MOBILE_CODE）。手机号未注册时绑定到当前账号；已属于另一账号时，当前账号的微信身份与角色并入该账号，当前账号注销，当前 token 失效，返回该账号的新 token。已绑定手机号的账号 503。"),
        wechat::mobile_bind,
    );
    r.add(
        Method::new("user.role.list", "1.0.0")
            .user()
            .summary("当前用户的身份列表：list 为 product.role。"),
        roles::list,
    );
    r.add(
        Method::new("user.role.grant", "1.0.0")
            .write()
            .req_token(false)
            .summary("授予身份（仅 admin 类型的 appid，其他 403）：user_id、product、role。"),
        roles::grant,
    );
    r.add(
        Method::new("user.role.revoke", "1.0.0")
            .write()
            .req_token(false)
            .summary("撤销身份（仅 admin 类型的 appid，其他 403）：user_id、product、role。"),
        roles::revoke,
    );
}
