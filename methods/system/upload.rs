//! system.upload: an image from an unsigned multipart part.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::handler::{ApiError, ApiResult, Ctx, Reply};

use crate::shared::upload;

/// Parameters of system.upload: the signed `token`; the image itself is the
/// unsigned multipart part `image`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct UploadParams {}

#[derive(Serialize)]
struct Uploaded {
    file_id: String,
    image_url: String,
    relative_image_url: String,
}

pub(super) async fn upload(ctx: Ctx, _: UploadParams) -> ApiResult<Reply> {
    let field = "image";
    let part = ctx
        .files
        .iter()
        .find(|f| f.field == field)
        .ok_or_else(|| ApiError::business(format!("请选择要上传的图片（表单字段 {field}）")))?;
    let user = ctx.user()?.id;
    let settings = &ctx.config.settings.upload;
    let stored = upload::store_image(ctx.stores(), settings, part, user, &ctx.today()).await?;
    let base = ctx
        .config
        .settings
        .upload
        .public_base_url
        .trim_end_matches('/');
    Reply::data(
        "上传成功",
        &Uploaded {
            file_id: stored.file_id.to_string(),
            image_url: format!("{base}{}", stored.relative_url),
            relative_image_url: stored.relative_url,
        },
    )
}
