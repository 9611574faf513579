//! sms.*: send and verify SMS codes, and system notices from the back
//! office (docs/methods.md; docs/protocol.md §10).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::apps::AppKind;
use crate::domain::{Mobile, SmsKey};
use crate::handler::{ApiError, ApiResult, Ctx, Method, Registry, Reply, Text, code, refusals};

/// Register the sms namespace.
pub fn register(r: &mut Registry) {
    r.add(
        Method::new("sms.send", "1.0.0")
            .no_replay()
            .req_token(false)
            .refuses([
                refusals::REGISTERED,
                refusals::UNREGISTERED,
            ])
            .summary("发送短信验证码。key：USER_REGISTER_CODE（已注册返回 604）、USER_LOGIN_CODE、USER_PWD_FIND_CODE（未注册返回 605）；USER_BIND_MOBILE_CODE（小程序绑定手机号，注册与否均可）；CONSULT_SIGNIN_CODE（咨询平台手机登录，注册与否均可）；SUPPLIER_LOGIN_CODE（供应商登录与找回密码，未注册返回 605）；ADMIN_LOGIN_CODE 为管理后台登录验证码，仅 admin 类型的 appid 可用（后台账号由后台自己核对，不查前台用户）。6 位，10 分钟有效，同一手机号 60 秒一次，每日上限。"),
        send,
    );
    r.add(
        Method::new("sms.verify", "1.0.0").summary("校验短信验证码（不消耗；错误 3 次作废）。ADMIN_LOGIN_CODE（仅 admin appid）校验成功即消耗：后台凭此登录，同一验证码不能再用。"),
        verify,
    );
    r.add(
        Method::new("sms.send.system", "1.0.0")
            .req_token(false)
            .summary("系统通知短信（仅 admin 类型的 appid，其他 appid 返回 403）：按模板标识 key 与替换值 replace 发给手机号，不含验证码；黑名单照常拒绝，每次发送记入 sms_log，不受验证码的间隔与每日上限约束。"),
        send_system,
    );
}

/// Whether the calling appid is a back office (docs/protocol.md §10).
fn from_admin(ctx: &Ctx) -> bool {
    ctx.config
        .apps
        .get(&ctx.caller.appid)
        .is_some_and(|a| a.kind == AppKind::Admin)
}

/// The code key; ADMIN_LOGIN_CODE exists only for admin appids.
fn parse_key(ctx: &Ctx, text: &Text) -> ApiResult<SmsKey> {
    let admin = from_admin(ctx);
    match SmsKey::parse(text.as_str()) {
        Some(SmsKey::AdminLogin) if !admin => Err(bad_key(false)),
        Some(key) => Ok(key),
        None => Err(bad_key(admin)),
    }
}

fn bad_key(admin: bool) -> ApiError {
    ApiError::business(if admin {
        "参数 key 不正确（USER_REGISTER_CODE、USER_LOGIN_CODE、USER_PWD_FIND_CODE、USER_BIND_MOBILE_CODE、CONSULT_SIGNIN_CODE、SUPPLIER_LOGIN_CODE、ADMIN_LOGIN_CODE）"
    } else {
        "参数 key 不正确（USER_REGISTER_CODE、USER_LOGIN_CODE、USER_PWD_FIND_CODE、USER_BIND_MOBILE_CODE、CONSULT_SIGNIN_CODE、SUPPLIER_LOGIN_CODE）"
    })
}

#[derive(Debug, Deserialize, JsonSchema)]
struct SendParams {
    /// 手机号
    mobile: Text,
    /// 短信模板标识：USER_REGISTER_CODE、USER_LOGIN_CODE、USER_PWD_FIND_CODE、USER_BIND_MOBILE_CODE、CONSULT_SIGNIN_CODE、SUPPLIER_LOGIN_CODE、ADMIN_LOGIN_CODE（仅 admin appid）
    key: Text,
}

#[derive(Serialize)]
struct Echo {
    code: String,
}

async fn send(ctx: Ctx, p: SendParams) -> ApiResult<Reply> {
    let mobile = Mobile::parse(&p.mobile)?;
    let key = parse_key(&ctx, &p.key)?;
    if key != SmsKey::AdminLogin {
        let registered = ctx.accounts().find_by_mobile(&mobile).await?.is_some();
        match key {
            SmsKey::Register if registered => {
                return Err(ApiError::new(code::ALREADY_REGISTERED, "账号已注册"));
            }
            SmsKey::Login | SmsKey::PwdFind | SmsKey::SupplierLogin if !registered => {
                return Err(ApiError::new(code::NOT_REGISTERED, "账号未注册"));
            }
            _ => {}
        }
    }
    let code = ctx
        .sms()
        .send(mobile.as_str(), key, ctx.caller.ip, ctx.now())
        .await?;
    if ctx.config.settings.sms.echo_code {
        return Reply::data("发送成功", &Echo { code });
    }
    Ok(Reply::empty("发送成功"))
}

#[derive(Debug, Deserialize, JsonSchema)]
struct VerifyParams {
    /// 手机号
    mobile: Text,
    /// 短信模板标识
    key: Text,
    /// 验证码
    code: Text,
}

async fn verify(ctx: Ctx, p: VerifyParams) -> ApiResult<Reply> {
    let mobile = Mobile::parse(&p.mobile)?;
    let key = parse_key(&ctx, &p.key)?;
    // The back office logs in on this answer: its code is used up.
    let consume = key == SmsKey::AdminLogin;
    ctx.sms()
        .check(mobile.as_str(), key, p.code.as_str().trim(), consume)
        .await?
        .map_err(|e| e.into_api(code::BUSINESS))?;
    Ok(Reply::empty("验证码正确"))
}

#[derive(Debug, Deserialize, JsonSchema)]
struct SystemParams {
    /// 手机号
    mobile: Text,
    /// 通知模板标识：大写字母开头，1-32 位大写字母、数字、下划线；不能是验证码模板
    key: Text,
    /// 模板替换值：数组或对象，至多 10 个字符串或数字，每个至多 200 字（可不传）
    #[serde(default)]
    replace: Option<Value>,
}

async fn send_system(ctx: Ctx, p: SystemParams) -> ApiResult<Reply> {
    if !from_admin(&ctx) {
        return Err(ApiError::new(code::FORBIDDEN, "您没有权限访问该接口"));
    }
    let mobile = Mobile::parse(&p.mobile)?;
    let key = notice_key(p.key.as_str())?;
    let replace = notice_values(p.replace)?;
    ctx.sms()
        .send_notice(mobile.as_str(), key, &replace, ctx.caller.ip)
        .await?;
    Ok(Reply::empty("发送成功"))
}

fn notice_key(key: &str) -> ApiResult<&str> {
    let well_formed = key.len() <= 32
        && key.starts_with(|c: char| c.is_ascii_uppercase())
        && key
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
    if !well_formed {
        return Err(ApiError::business(
            "参数 key 格式不正确（1-32 位大写字母、数字、下划线）",
        ));
    }
    if SmsKey::parse(key).is_some() {
        return Err(ApiError::business(
            "参数 key 不正确：验证码短信请用 sms.send",
        ));
    }
    Ok(key)
}

/// The template values: an array or an object of at most 10 strings or
/// numbers of at most 200 characters (PHP sends either); none is `[]`.
fn notice_values(replace: Option<Value>) -> ApiResult<Value> {
    let replace = match replace {
        None | Some(Value::Null) => return Ok(Value::Array(Vec::new())),
        Some(v) => v,
    };
    let values: Vec<&Value> = match &replace {
        Value::Array(a) => a.iter().collect(),
        Value::Object(o) => o.values().collect(),
        _ => return Err(bad_replace()),
    };
    let fits = |v: &&Value| match v {
        Value::String(s) => s.chars().count() <= 200 && !s.contains('\0'),
        Value::Number(_) => true,
        _ => false,
    };
    if values.len() > 10 || !values.iter().all(fits) {
        return Err(bad_replace());
    }
    Ok(replace)
}

fn bad_replace() -> ApiError {
    ApiError::business("参数 replace 格式不正确（至多 10 个字符串或数字，每个至多 200 字）")
}
