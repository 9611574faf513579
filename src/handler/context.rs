//! What a handler knows about the request it serves: the process's shared
//! services, the config snapshot the request started with, the validated
//! fixed parameters and the user, if any. The live config is not here: a
//! request sees one snapshot from its first check to its answer.

use std::net::IpAddr;
use std::sync::Arc;

use crate::config::Config;
use crate::config::apps::AppKind;
use crate::domain::time::{format_time, local_day};
use crate::gate::guards::{BanTable, Bans};
use crate::gate::password::PasswordWork;
use crate::gate::session::{Class, SessionUser};
use crate::protocol::body::FilePart;
use crate::protocol::error::{ApiError, ApiResult, code};
use crate::protocol::types::{Platform, Version};
use crate::shared::accounts::{Accounts, Arrival};
use crate::shared::jobs::Task;
use crate::shared::pay::{PayKeys, Payments};
use crate::shared::sms::SmsCodes;
use crate::stores::cache::AnswerCache;
use crate::stores::{Clock, Metrics, Stores};

/// Process-wide services shared by every request.
pub struct AppState {
    pub stores: Stores,
    pub metrics: Metrics,
    pub clock: Clock,
    /// The timed jobs the registry declared (docs/protocol.md §17).
    pub jobs: Vec<Task>,
    /// Outbound HTTP (SMS webhook).
    pub http: reqwest::Client,
    /// Random per process; prefixes request ids so instances do not collide.
    pub instance: u32,
    /// The `ip_bans` table as last read (refreshed in the background).
    pub bans: Arc<BanTable>,
    /// Public answers kept for `cache.ttl_ms`.
    pub cache: AnswerCache,
    /// The bounded argon2 workers (docs/protocol.md §8.6).
    pub password_work: PasswordWork,
    /// The payment driver's keys (docs/protocol.md, "Payments"); read at start-up.
    pub pay_keys: Arc<PayKeys>,
    /// Where this process listens (the sandbox's settle posts to it).
    pub local_addr: std::net::SocketAddr,
    /// Turns of the heavy reads (`postgres.heavy_reads`).
    pub heavy: tokio::sync::Semaphore,
}

impl AppState {
    /// This process's request-id prefix.
    pub fn instance_tag(&self) -> u32 {
        self.instance
    }

    /// The ban checks under `config`.
    pub fn bans<'a>(&'a self, config: &'a Config) -> Bans<'a> {
        Bans {
            stores: &self.stores,
            settings: &config.settings.guards,
            table: &self.bans,
            timezone: config.settings.timezone.0,
        }
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
    /// A server caller's own number for this request (docs/protocol.md §3.4).
    pub request_no: Option<String>,
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

    /// The shared stores.
    pub fn stores(&self) -> &Stores {
        &self.state.stores
    }

    /// Unix seconds now, by the gateway's clock.
    pub fn now(&self) -> i64 {
        self.state.clock.now()
    }

    /// `Y-m-d H:i:s` for a Unix time in the configured timezone.
    pub fn time_string(&self, unix: i64) -> String {
        format_time(self.config.settings.timezone.0, unix)
    }

    /// Today in the configured timezone, `YYYYMMDD`.
    pub fn today(&self) -> String {
        local_day(self.config.settings.timezone.0, self.now())
    }

    /// The SMS code service under this request's config.
    pub fn sms(&self) -> SmsCodes<'_> {
        SmsCodes {
            stores: &self.state.stores,
            settings: &self.config.settings.sms,
            http: &self.state.http,
            timezone: self.config.settings.timezone.0,
        }
    }

    /// The accounts under this request's config.
    pub fn accounts(&self) -> Accounts<'_> {
        Accounts {
            stores: &self.state.stores,
            guards: &self.config.settings.guards,
            sessions: &self.config.settings.session,
            password_work: &self.state.password_work,
        }
    }

    /// Where the caller logs in or registers from: its fixed parameters
    /// and session class.
    ///
    /// # Errors
    /// 503 for a `bare` method, which has no platform.
    pub fn arrival(&self) -> ApiResult<Arrival<'_>> {
        let c = &self.caller;
        let app = self.config.apps.get(&c.appid);
        Ok(Arrival {
            appid: &c.appid,
            class: self.session_class()?,
            scope: app.and_then(|a| a.session_appid()),
            platform: self.platform()?,
            channel: &c.channel,
            app_v: &c.app_v,
            device_token: &c.device_token,
        })
    }

    /// The payment service under this request's config.
    pub fn payments(&self) -> Payments<'_> {
        Payments {
            stores: &self.state.stores,
            settings: &self.config.settings.payments,
            keys: &self.state.pay_keys,
            http: &self.state.http,
            now: self.now(),
            local_addr: self.state.local_addr,
        }
    }

    /// Whom the caller's request tokens belong to: the user, else the app
    /// install.
    pub fn token_owner(&self) -> String {
        match &self.user {
            Some(u) => format!("u:{}", u.id),
            None => format!("d:{}:{}", self.caller.appid, self.caller.unique_id),
        }
    }

    /// The session class of the caller (docs/protocol.md §8.2): its appid's
    /// type and its platform.
    ///
    /// # Errors
    /// 503 for a `bare` method, which has no platform.
    pub fn session_class(&self) -> ApiResult<Class> {
        let kind = self
            .config
            .apps
            .get(&self.caller.appid)
            .map_or(AppKind::App, |a| a.kind);
        Ok(Class::of_caller(kind, self.platform()?))
    }

    /// The caller's platform (always present past the fixed-parameter step).
    ///
    /// # Errors
    /// 503 for a `bare` method, which skips that step.
    pub fn platform(&self) -> ApiResult<Platform> {
        self.caller
            .platform
            .ok_or_else(|| ApiError::business("缺少参数 platform"))
    }
}
