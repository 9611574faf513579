//! What user.login and user.register answer: the session and the account
//! (the account itself is `shared::accounts`'s).

use serde::Serialize;

use crate::handler::Ctx;
use crate::shared::accounts::Account;

/// What user.login and user.register answer (seed order).
#[derive(Serialize)]
pub(super) struct LoginData {
    token: String,
    open_id: String,
    mobile: String,
    headimg: String,
    nickname: String,
    intro: String,
    reg_time: String,
}

impl LoginData {
    pub(super) fn new(ctx: &Ctx, token: String, a: Account) -> Self {
        let p = a.profile;
        Self {
            token,
            reg_time: ctx.time_string(p.created_at),
            open_id: p.open_id,
            mobile: p.mobile,
            headimg: p.headimg,
            nickname: p.nickname,
            intro: p.intro,
        }
    }
}
