//! system.init: what an app needs at launch in one call.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::handler::{ApiError, ApiResult, Ctx, Reply};

use super::ads::ads_of;
use super::upgrade::{Upgrade, upgrade_for};
use crate::handler::cached;

#[derive(Serialize)]
struct Button {
    txt: String,
    url: String,
}

#[derive(Serialize, Deserialize)]
struct NoticeDialog {
    title: String,
    summary: String,
    edition: String,
}

#[derive(Serialize)]
struct Init {
    /// 1 when the token is live (and now refreshed), else 0.
    token_status: i16,
    upgrade: Upgrade,
    /// The start-up ad, or `{}`.
    start_ad: serde_json::Value,
    app_home_right_btn_url: String,
    app_service: Button,
    app_about: Button,
    app_feedback: Button,
    /// The pop-up notice, or `{}`.
    notice_dialog: serde_json::Value,
}

/// Parameters of system.init: only the (optional) `token`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct InitParams {}

pub(super) async fn init(ctx: Ctx, _: InitParams) -> ApiResult<Reply> {
    let links = &ctx.config.settings.init;
    let start_ad = ads_of(&ctx, super::START_AD)
        .await?
        .unwrap_or_default()
        .into_iter()
        .next();
    let dialog = cached::value(&ctx, "notice_dialog", notice_dialog(&ctx)).await?;
    let button = |txt: &str, url: &str| Button {
        txt: txt.to_string(),
        url: url.to_string(),
    };
    Reply::data(
        "success",
        &Init {
            token_status: i16::from(ctx.user.is_some()),
            upgrade: upgrade_for(&ctx).await?,
            start_ad: object_or_empty(start_ad)?,
            app_home_right_btn_url: links.home_right_btn_url.clone(),
            app_service: button(&links.service_txt, &links.service_url),
            app_about: button(&links.about_txt, &links.about_url),
            app_feedback: button(&links.feedback_txt, &links.feedback_url),
            notice_dialog: object_or_empty(dialog)?,
        },
    )
}

fn object_or_empty<T: Serialize>(v: Option<T>) -> ApiResult<serde_json::Value> {
    match v {
        Some(v) => serde_json::to_value(v).map_err(|e| ApiError::Internal(e.into())),
        None => Ok(serde_json::Value::Object(serde_json::Map::new())),
    }
}

/// The newest published notice flagged as a dialog.
async fn notice_dialog(ctx: &Ctx) -> ApiResult<Option<NoticeDialog>> {
    let db = ctx.stores().pg_read().await?;
    let stmt = db
        .prepare_cached(
            "SELECT title, summary, edition FROM notices \
             WHERE display AND dialog AND publish_time <= to_timestamp($1::bigint) \
             ORDER BY publish_time DESC, id DESC LIMIT 1",
        )
        .await?;
    Ok(db
        .query_opt(&stmt, &[&ctx.now()])
        .await?
        .map(|r| NoticeDialog {
            title: r.get(0),
            summary: r.get(1),
            edition: r.get(2),
        }))
}
