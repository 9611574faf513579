//! The catalogue's refusal sections: the codes a method declares it can
//! answer (`Method::refuses`), and where product codes meet protocol codes
//! (docs/protocol.md §5).

/// Where a product's own code would collide with a protocol code, the
/// protocol code of the same meaning is answered. Each product namespace
/// adds its rows here when it arrives.
pub const CODE_MAPPINGS: &str = "\n## Product codes and protocol codes\n\n\
     A product's own code that collides with a protocol code (docs/protocol.md §5) is answered as the \
     protocol code of the same meaning. A missing record, or another user's, is always 404.\n\n\
     | namespace | product code | answered as | meaning |\n|---|---|---|---|\n\
     | consult | 0 | 200 | success (seed 001's `code` 0; its `content` is answered as `data.content`) |\n\
     | consult | non-zero | 503 | every failure the seed leaves unnumbered, with its message (refused order actions, bad input, a demand with a live order) |\n\
     | consult | — | 404 | a demand or order that does not exist or is another user's |\n\
     | consult | — | 601–606 | sessions (not logged in, expired, displaced), as the protocol |\n\
     | consult | — | 607, 700 | a locked login, a wrong SMS code, as the protocol |\n\
     | consult | — | 608 | a consultant method called without the consult.consultant role |\n\
     | supplier | 100 未登录 | 602 | no token sent |\n\
     | supplier | 600 token无效或过期 | 601 (603, 606) | the session expired, was displaced or outlived a password change |\n\
     | supplier | 101 未认证 | 101 | answered as the seed: the back office has not certified the supplier (no protocol code collides) |\n\
     | supplier | 400 操作失败 | 400 | answered as the seed with its messages: refused order moves, wrong password or code, bad amounts (no protocol code collides) |\n\
     | supplier | 200 操作成功 | 200 | success |\n\
     | supplier | 500 异常 | 500 | internal failure, cause only logged |\n\
     | home | 0 ok | 200 | success (the seed's `error_code` 0 is the envelope's 200; its `data` is `data`, arrays as `data.list`) |\n\
     | home | 10001 未携带 token | 602 | no token sent |\n\
     | home | 10002 token无效或已过期 | 601 (603, 606) | the session expired, was displaced or outlived a password change |\n\
     | home | 10008 访问的资源不存在 | 404 | a service, booking, refund or rating that does not exist or is not the caller's |\n\
     | home | 10000, 10003–10007, 10009–10024 | as the seed | answered with the seed's number and message (no protocol code collides); a parameter of the wrong type stays the protocol's 503 |\n\
     | home | 9999, 10025–10028 | — | the seed's anti-piracy check, cloud functions and check-ins: nothing of home.* answers them |\n\
     | mp | 0 成功 | 200 | success |\n\
     | mp | 10001 参数不合法 | 10001 | answered as the seed: a parameter missing, ill-typed or out of range, with the protocol's message (缺少参数 <name>, 参数 <name> 格式不正确, …) |\n\
     | mp | 10003 未登录 | 10003 | answered as the seed: the WeChat session has no mobile bound yet (mp.login) |\n\
     | mp | 10004 账号不存在 | 10004 | answered as the seed: the scene's user, or the test code's account, is gone |\n\
     | mp | 10005 密码错误 | 10005 | answered as the seed: a wrong or dead SMS code in mp.login (the protocol's 700) |\n\
     | mp | 10006 账号已存在 | 10006 | answered as the seed: the WeChat account already has a mobile |\n\
     | mp | 10007 token无效或不存在 | 601, 602 (603, 606) | sessions, as the protocol |\n\
     | mp | 70010 微信openId不存在 | 70010 | answered as the seed: no WeChat identity of this mini-program for the session's account |\n\
     | mp | 70011 微信appid不存在 | 70011 | answered as the seed: the appid is not a configured mini-program |\n\
     | mp | — | 503 | refused order and code moves, stock, SMS limits, with their messages |\n\
     | mp | 500 未知错误 | 500 | internal failure, cause only logged |\n";

/// The account refusals methods declare for the catalogue
/// (`Method::refuses`), with the messages they answer.
pub const REGISTERED: (u32, &str) = (
    crate::protocol::error::code::ALREADY_REGISTERED,
    "账号已注册",
);
/// See [`REGISTERED`].
pub const UNREGISTERED: (u32, &str) = (crate::protocol::error::code::NOT_REGISTERED, "账号未注册");
/// See [`REGISTERED`]; the time is the lock's end.
pub const LOCKED: (u32, &str) = (
    crate::protocol::error::code::LOGIN_LOCKED,
    "密码或验证码错误次数过多，登录已被限制，请于 <Y-m-d H:i:s> 后再试",
);
/// See [`REGISTERED`].
pub const SMS_CODE: (u32, &str) = (
    crate::protocol::error::code::SMS_CODE_WRONG,
    "短信验证码不正确",
);

/// What a heavy read answers when no turn comes (docs/protocol.md §11.3).
pub const HEAVY_BUSY: (u32, &str) = (
    crate::protocol::error::code::RATE_LIMITED,
    "系统繁忙，请稍后再试",
);

/// What a method registered with a role answers a user without it
/// (docs/protocol.md §8.11); the role itself is named in the message.
pub const ROLE_REQUIRED: (u32, &str) = (
    crate::protocol::error::code::ROLE_REQUIRED,
    "您没有此操作的身份权限（需要 <product>.<role>）",
);

/// The Markdown table of `refusals`; empty when there are none.
pub fn table(refusals: &[(u32, &str)]) -> String {
    if refusals.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "\nRefusals (besides the protocol's common codes):\n\n| code | message |\n|---|---|\n",
    );
    for (code, msg) in refusals {
        out.push_str(&format!("| {code} | {msg} |\n"));
    }
    out
}
