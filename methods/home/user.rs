//! home accounts and files (seed 000 令牌接口, 用户接口, 文件上传接口):
//! token verification, the user's profile, the TIM login credential, and
//! several images in one upload.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::machines::{FAILED, code};
use super::tim;
use super::{DIALECT, base_url, parsed};
use crate::gate::profile;
use crate::handler::{ApiError, ApiResult, Ctx, Int, Reply, Text};
use crate::protocol::body::FilePart;
use crate::shared::{accounts, upload};

/// Files one upload may carry.
pub(super) const MAX_FILES: usize = 9;

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct VerifyParams {}

/// home.token.verify: whether the request's `token` is a live session.
pub(super) async fn verify(ctx: Ctx, _: VerifyParams) -> ApiResult<Reply> {
    Reply::data("ok", &json!({"valid": ctx.user().is_ok()}))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct Empty {}

/// home.user.get: the caller as the seed's user object.
pub(super) async fn get(ctx: Ctx, _: Empty) -> ApiResult<Reply> {
    let user = ctx.user()?.id;
    Reply::data("ok", &user_json(&ctx, user).await?)
}

async fn user_json(ctx: &Ctx, user: i64) -> ApiResult<Value> {
    let row = ctx
        .stores()
        .pg()
        .await?
        .query_one("SELECT home_user_json($1)::text", &[&user])
        .await?;
    parsed(row.get(0))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct UpdateParams {
    /// 用户微信昵称，1-50 字
    nickname: Text,
    /// 用户头像图片地址（http(s)，至多 255 字符）
    avatar: Text,
    /// 用户性别：1 男；2 女
    gender: Int,
    /// 可空，用户真实姓名，至多 50 字
    #[serde(default)]
    real_name: Option<Text>,
    /// 可空，用户手机号码（联系电话，至多 20 位数字、空格或 +-）
    #[serde(default)]
    tel: Option<Text>,
}

/// home.user.update: nickname and avatar on the shared account (through
/// shared::accounts), gender, real name and tel on the home profile.
pub(super) async fn update(ctx: Ctx, p: UpdateParams) -> ApiResult<Reply> {
    let user = ctx.user()?.id;
    let nickname = p.nickname.as_str().trim();
    if nickname.is_empty() || nickname.chars().count() > 50 {
        return Err(DIALECT.invalid("nickname 为 1-50 字"));
    }
    let avatar = p.avatar.as_str().trim();
    let url = avatar.starts_with("http://") || avatar.starts_with("https://");
    if !url || avatar.len() > 255 {
        return Err(DIALECT.invalid("avatar 须为 http(s) 图片地址"));
    }
    let gender = match p.gender.0 {
        1 | 2 => p.gender.0 as i16,
        _ => return Err(DIALECT.invalid("gender 为 1（男）或 2（女）")),
    };
    let real_name = optional(p.real_name);
    if real_name.as_ref().is_some_and(|n| n.chars().count() > 50) {
        return Err(DIALECT.invalid("real_name 至多 50 字"));
    }
    let tel = optional(p.tel);
    let tel_ok =
        |t: &String| t.len() <= 20 && t.chars().all(|c| c.is_ascii_digit() || " +-".contains(c));
    if tel.as_ref().is_some_and(|t| !tel_ok(t)) {
        return Err(DIALECT.invalid("tel 为至多 20 位数字"));
    }
    let mut db = ctx.stores().pg().await?;
    let tx = db.transaction().await?;
    accounts::set_names(&tx, user, nickname, avatar).await?;
    tx.execute(
        "INSERT INTO home_profiles (user_id, real_name, gender, tel, updated_at) \
         VALUES ($1, $2, $3, $4, to_timestamp($5)) ON CONFLICT (user_id) DO UPDATE \
         SET real_name = $2, gender = $3, tel = $4, updated_at = to_timestamp($5)",
        &[&user, &real_name, &gender, &tel, &(ctx.now() as f64)],
    )
    .await?;
    tx.commit().await?;
    drop(db);
    // The profile kept with the sessions (nickname, headimg) is dropped
    // now, so this user's next call sees the change at once; the trigger's
    // notification would drop it too, but later (docs/protocol.md §8.8).
    profile::forget(&ctx.state.stores, user).await?;
    Reply::data("ok", &user_json(&ctx, user).await?)
}

fn optional(t: Option<Text>) -> Option<String> {
    t.map(|t| t.as_str().trim().to_string())
        .filter(|t| !t.is_empty())
}

/// home.user.sign: the caller's TIM UserSig, computed locally.
pub(super) async fn sign(ctx: Ctx, _: Empty) -> ApiResult<Reply> {
    let user = ctx.user()?.id;
    let s = &ctx.config.settings.home;
    if s.tim_sdk_app_id == 0 {
        return Err(ApiError::new(FAILED.code, "操作失败：即时通信暂未开通"));
    }
    let sig = tim::user_sig(
        s.tim_sdk_app_id,
        s.tim_key.expose(),
        &user.to_string(),
        ctx.now(),
        s.tim_expire_secs,
    )
    .map_err(anyhow::Error::from)?;
    Reply::data("ok", &json!({"user_id": user, "sign": sig}))
}

/// home.file.upload: every file part of the request (each under its own
/// field name, its `key`), checked first as system.upload checks one,
/// then stored.
pub(super) async fn upload(ctx: Ctx, _: Empty) -> ApiResult<Reply> {
    let user = ctx.user()?.id;
    let files: &[FilePart] = &ctx.files;
    if files.is_empty() {
        return Err(ApiError::new(code::NO_FILE, "未获取到上传的文件资源"));
    }
    if files.len() > MAX_FILES {
        return Err(ApiError::new(
            code::TOO_MANY_FILES,
            format!("上传的文件数量超过限制（至多 {MAX_FILES} 个）"),
        ));
    }
    let settings = &ctx.config.settings.upload;
    for f in files {
        precheck(f, settings.max_image_bytes).await?;
    }
    let base = base_url(&ctx);
    let mut out = Vec::with_capacity(files.len());
    for f in files {
        let stored = upload::store_image(ctx.stores(), settings, f, user, &ctx.today())
            .await
            .map_err(|e| match e {
                ApiError::Refused { msg, .. } => {
                    ApiError::new(code::SAVE_FAILED, format!("文件保存失败：{msg}"))
                }
                e => e,
            })?;
        out.push(json!({"id": stored.file_id, "key": f.field,
                        "path": format!("{base}{}", stored.relative_url)}));
    }
    // The seed's array, as `list` of the object data (docs/protocol.md §4).
    Reply::data("ok", &json!({"list": out}))
}

/// The seed's codes for a part that cannot be an image: empty 10003,
/// too large 10006, not JPG/PNG/GIF/WebP 10004.
async fn precheck(f: &FilePart, max: usize) -> ApiResult<()> {
    if f.content.is_empty() {
        return Err(ApiError::new(code::NO_FILE, "未获取到上传的文件资源"));
    }
    if f.content.len() > max as u64 {
        return Err(ApiError::new(
            code::TOO_LARGE,
            format!("上传的文件体积超过限制（至多 {} KB）", max / 1024),
        ));
    }
    let bytes = f.content.read().await.map_err(|e| {
        ApiError::Internal(anyhow::Error::new(e).context("reading a spooled upload"))
    })?;
    if upload::sniff(&bytes).is_none() {
        return Err(ApiError::new(
            code::BAD_EXTENSION,
            "上传的文件扩展名不合法（只能上传 JPG、PNG、GIF 或 WebP 图片）",
        ));
    }
    Ok(())
}
