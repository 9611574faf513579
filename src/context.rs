//! What a handler knows about the request it serves: the shared state, the
//! config snapshot, the validated fixed parameters and the user, if any.

use std::net::IpAddr;
use std::sync::Arc;

use chrono::TimeZone;

use crate::clock::Clock;
use crate::config::{Config, ConfigCell};
use crate::error::{ApiError, ApiResult, code};
use crate::protocol::body::FilePart;
use crate::protocol::types::{Platform, Version};
use crate::registry::Registry;
use crate::session::SessionUser;
use crate::store::Stores;
use crate::telemetry::Metrics;

/// Process-wide state shared by every request.
pub struct AppState {
    pub config: ConfigCell,
    pub stores: Stores,
    pub metrics: Metrics,
    pub clock: Clock,
    pub registry: Registry,
    /// Outbound HTTP (SMS webhook).
    pub http: reqwest::Client,
    /// Random per process; prefixes request ids so instances do not collide.
    pub instance: u32,
    /// The `ip_bans` table as last read (refreshed in the background).
    pub bans: arc_swap::ArcSwap<Vec<crate::guards::TableBan>>,
    /// Public answers kept for `cache.ttl_ms`.
    pub cache: crate::cache::AnswerCache,
}

impl AppState {
    /// This process's request-id prefix.
    pub fn instance_tag(&self) -> u32 {
        self.instance
    }
}

/// The fixed parameters of a request, validated.
#[derive(Debug, Clone)]
pub struct Caller {
    pub request_id: String,
    pub appid: String,
    pub v: Version,
    /// The registered method name.
    pub method: &'static str,
    pub platform: Option<Platform>,
    pub unique_id: String,
    pub app_v: String,
    pub channel: String,
    pub device_token: String,
    pub ip: IpAddr,
}

/// A handler's view of one request.
#[derive(Clone)]
pub struct Ctx {
    pub state: Arc<AppState>,
    /// The config snapshot this request started with.
    pub config: Arc<Config>,
    pub caller: Arc<Caller>,
    /// Unsigned file parts (multipart uploads).
    pub files: Arc<Vec<FilePart>>,
    /// The logged-in user: always set for `Access::User` methods, set for
    /// `Access::OptionalUser` methods when the token is valid.
    pub user: Option<Arc<SessionUser>>,
}

impl Ctx {
    /// The logged-in user.
    ///
    /// # Errors
    /// 602 when there is none (only reachable from `OptionalUser` methods).
    pub fn user(&self) -> ApiResult<&SessionUser> {
        self.user
            .as_deref()
            .ok_or_else(|| ApiError::new(code::NOT_LOGGED_IN, "您还未登录"))
    }

    /// Unix seconds now, by the gateway's clock.
    pub fn now(&self) -> i64 {
        self.state.clock.now()
    }

    /// `Y-m-d H:i:s` for a Unix time in the configured timezone.
    pub fn time_string(&self, unix: i64) -> String {
        format_time(&self.config, unix)
    }
}

/// `Y-m-d H:i:s` for a Unix time in the configured timezone.
pub fn format_time(config: &Config, unix: i64) -> String {
    config
        .settings
        .timezone
        .0
        .timestamp_opt(unix, 0)
        .single()
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}
