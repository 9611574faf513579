//! The request's one Redis round trip (docs/protocol.md §6, "One round
//! trip"): what the checks found is gathered into one
//! [`gate::Ask`](crate::gate::round_trip::Ask), and its verdict is turned
//! back into the answer of the earliest step that refused.

use crate::config::Config;
use crate::config::apps::App;
use crate::gate::round_trip::{self, Ask, Seen, SessionAsk, Upto, Verdict};
use crate::gate::session::{self, SessionUser};
use crate::gate::{guards, profile};
use crate::handler::{Access, AppState, Entry};
use crate::protocol::error::{ApiError, code};

/// The steps after the ban, as found so far.
pub(super) struct Trip<'a> {
    pub ask: Ask<'a>,
}

/// How the round trip ended, for the pipeline.
pub(super) enum Ended {
    /// Refused at this step.
    Refused(ApiError, Step),
    /// Everything asked for passed; the session user, if any.
    Passed(Option<SessionUser>),
    /// Refused at step 21 or 21a, with the user when known.
    UserRefused(ApiError, Option<i64>),
}

/// The step that refused, for what the trace may show.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Step {
    Ban,
    Limits,
    Later,
}

impl<'a> Trip<'a> {
    pub fn new(now: i64, ip: std::net::IpAddr) -> Self {
        Self {
            ask: Ask {
                now,
                ip,
                upto: Upto::Ban,
                limits: Vec::new(),
                request_no: None,
                replay: None,
                session: None,
            },
        }
    }

    /// Run the round trip and answer `refusal` (a refusal found on the CPU
    /// at the step after `self.ask.upto`) unless an earlier step refused.
    pub async fn refuse(self, state: &AppState, config: &Config, refusal: ApiError) -> Ended {
        match self.run(state, config, None).await {
            Ended::Passed(_) => Ended::Refused(refusal, Step::Later),
            ended => ended,
        }
    }

    /// Run the round trip; `session` is the method's access and the token
    /// to resolve when step 21 was asked for.
    pub async fn run(
        self,
        state: &AppState,
        config: &Config,
        session: Option<(&App, &Entry)>,
    ) -> Ended {
        let verdict = match round_trip::run(&state.stores, &self.ask).await {
            Ok(v) => v,
            Err(e) => return Ended::Refused(e, Step::Ban),
        };
        match verdict {
            Verdict::Banned { until } => {
                Ended::Refused(state.bans(config).refusal(until), Step::Ban)
            }
            Verdict::Limited => Ended::Refused(limited(), Step::Limits),
            Verdict::RequestNoTaken => Ended::Refused(
                ApiError::business("请求编号 request_no 已使用，请勿重复提交"),
                Step::Later,
            ),
            Verdict::Replayed => Ended::Refused(
                ApiError::business(crate::gate::replay::REPLAYED),
                Step::Later,
            ),
            Verdict::Passed => Ended::Passed(None),
            Verdict::Session(seen) => {
                let Some((app, entry)) = session else {
                    return Ended::Passed(None);
                };
                let token = self
                    .ask
                    .session
                    .as_ref()
                    .map(|s| s.token.as_str())
                    .unwrap_or_default();
                let optional = entry.method.access == Access::OptionalUser;
                match resolve(state, config, (app, entry), token, seen, self.ask.now).await {
                    Ok(user) => Ended::Passed(Some(user)),
                    Err((ApiError::Refused { .. }, None)) if optional => Ended::Passed(None),
                    Err((e, user_id)) => Ended::UserRefused(e, user_id),
                }
            }
        }
    }
}

/// Step 21's answer from what the round trip saw; without a kept profile
/// the account row is read (and kept) and the user's limits counted here.
async fn resolve(
    state: &AppState,
    config: &Config,
    (app, entry): (&App, &Entry),
    token: &str,
    seen: Seen,
    now: i64,
) -> Result<SessionUser, (ApiError, Option<i64>)> {
    let (user_id, platform, kept) = match seen {
        Seen::Refused(e) => return Err((e, None)),
        Seen::UserLimited { user_id } => return Err((limited(), Some(user_id))),
        Seen::Valid {
            user_id,
            platform,
            profile,
        } => (user_id, platform, profile),
    };
    if let Some(p) = kept {
        return session::user((user_id, token), platform, p).map_err(|e| (e, None));
    }
    let ttl = config.settings.session.profile_ttl_secs;
    let loaded = profile::load(&state.stores, user_id, ttl).await;
    let p = match loaded {
        Ok(Some(p)) => p,
        Ok(None) => return Err((session::expired(), None)),
        Err(e) => return Err((e, None)),
    };
    let user = session::user((user_id, token), platform, p).map_err(|e| (e, None))?;
    let limited = guards::rate_limit_user(&state.stores, app, entry.method.name, user_id, now);
    limited.await.map_err(|e| (e, Some(user_id)))?;
    Ok(user)
}

fn limited() -> ApiError {
    ApiError::new(code::RATE_LIMITED, "请求过于频繁，请稍后再试")
}

/// Step 21's part of the round trip.
pub(super) fn session_ask<'a>(
    config: &'a Config,
    app: &'a App,
    entry: &Entry,
    (token, class): (String, session::Class),
    now: i64,
) -> SessionAsk<'a> {
    SessionAsk {
        token,
        class,
        scope: app.session_appid(),
        settings: &config.settings.session,
        user_limits: guards::user_limit_keys(app, entry.method.name, now),
    }
}
