//! The one Redis round trip of a signed call (docs/protocol.md §6, "One
//! round trip"): the automatic IP ban (step 14), the rate limits of the
//! appid, the client IP and the device (19), a server caller's
//! `request_no` (20, §3.4), the replay guard (20a, §11.5), the session
//! with its profile (21, §8) and the session user's rate limits (21a), in
//! one Lua script, so they run atomically and in order on any number of
//! instances. The script stops at the first refusal: nothing after it is
//! counted, claimed or slid. The caller says how far to go ([`Upto`]):
//! a request already refused on the CPU at a later step runs only the
//! steps before it.
//!
//! Keys (under the deployment's prefix): `ban:{<ip>}`, the rate-limit
//! counters of [`super::guards`], `reqno:…` ([`super::request_no`]),
//! `replay:…` ([`super::replay`]), `sess:<token>`, `pwdv:{<uid>}`,
//! `ucur:{<uid>}:<class>` ([`super::session`]) and `prof:{<uid>}`
//! ([`super::profile`]). On Redis Cluster these span slots, and
//! [`super::gate_cluster`] runs the steps one slot at a time.

use std::net::IpAddr;
use std::sync::LazyLock;

use redis::Script;

use super::profile::Profile;
use super::session::Class;
use super::stores::Stores;
use crate::config::accounts::SessionSettings;
use crate::config::apps::RateLimit;
use crate::protocol::error::{ApiError, ApiResult, code};
use crate::protocol::types::Platform;

/// How far the round trip goes: the last step it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Upto {
    /// Step 14 only.
    Ban = 1,
    /// Through step 19.
    Limits = 2,
    /// Through step 20a.
    Claims = 3,
    /// Through step 21a.
    Session = 4,
}

/// What one request asks of Redis.
pub struct Ask<'a> {
    /// Unix seconds.
    pub now: i64,
    pub ip: IpAddr,
    pub upto: Upto,
    /// Step 19's counters: unprefixed key and limit.
    pub limits: Vec<(String, RateLimit)>,
    /// Step 20's claim: unprefixed key, seconds.
    pub request_no: Option<(String, u64)>,
    /// Step 20a's claim: unprefixed key, seconds.
    pub replay: Option<(String, u64)>,
    /// Step 21, when the method looks at a session and a well-formed
    /// token was sent.
    pub session: Option<SessionAsk<'a>>,
}

/// The session part of an [`Ask`].
pub struct SessionAsk<'a> {
    pub token: String,
    pub class: Class,
    pub settings: &'a SessionSettings,
    /// Step 21a's counters: the unprefixed key before and after the user
    /// id, and the limit.
    pub user_limits: Vec<(String, String, RateLimit)>,
}

/// What the round trip found, by the step that answered.
#[derive(Debug)]
pub enum Verdict {
    /// Step 14: banned until then (Unix seconds).
    Banned { until: i64 },
    /// Step 19.
    Limited,
    /// Step 20: the `request_no` was taken before.
    RequestNoTaken,
    /// Step 20a: these signed bytes were served before.
    Replayed,
    /// Every step asked for passed; no session was asked for.
    Passed,
    /// Step 21 ran.
    Session(Seen),
}

/// What step 21 (and 21a) found.
#[derive(Debug)]
pub enum Seen {
    /// 601, 603 or 606: not slid.
    Refused(ApiError),
    /// A valid session, slid. `profile` is `None` when it was not kept
    /// (then the user's limits were not counted either). With a profile
    /// of an active account, the user's limits were counted and passed.
    Valid {
        user_id: i64,
        platform: Platform,
        profile: Option<Profile>,
    },
    /// Step 21a refused (the session was slid).
    UserLimited { user_id: i64 },
}

static GATE: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("gate.lua")));

/// Run the steps of `ask` in one round trip.
///
/// # Errors
/// Redis failures (500); a reply the script cannot give (500).
pub async fn run(stores: &Stores, ask: &Ask<'_>) -> ApiResult<Verdict> {
    if stores.redis_cluster() {
        return super::gate_cluster::run(stores, ask).await;
    }
    let mut inv = GATE.prepare_invoke();
    inv.arg(stores.prefix())
        .arg(ask.now)
        .arg(ask.upto as u8)
        .arg(ask.ip.to_string())
        .arg(ask.limits.len());
    for (key, l) in &ask.limits {
        inv.arg(key).arg(l.requests).arg(l.per_secs);
    }
    for claim in [&ask.request_no, &ask.replay] {
        match claim {
            Some((key, ttl)) => inv.arg(key).arg((*ttl).max(1)),
            None => inv.arg("").arg(1),
        };
    }
    match &ask.session {
        Some(s) => {
            inv.arg(&s.token)
                .arg(s.class.tag())
                .arg(s.settings.app_ttl_secs)
                .arg(s.settings.web_ttl_secs)
                .arg(s.user_limits.len());
            for (before, after, l) in &s.user_limits {
                inv.arg(before).arg(after).arg(l.requests).arg(l.per_secs);
            }
        }
        None => {
            inv.arg("");
        }
    }
    let mut c = stores.redis();
    let reply: redis::Value = inv.invoke_async(&mut c).await?;
    let reply: Vec<Option<String>> = match reply {
        // The full user reply, as one JSON array text (gate.lua).
        redis::Value::BulkString(json) => serde_json::from_slice(&json)
            .map_err(|e| ApiError::Internal(anyhow::Error::new(e).context("gate reply")))?,
        other => redis::FromRedisValue::from_redis_value(other)
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("gate reply: {e}")))?,
    };
    verdict(&reply).ok_or_else(|| ApiError::Internal(anyhow::anyhow!("gate reply {reply:?}")))
}

pub(super) fn verdict(reply: &[Option<String>]) -> Option<Verdict> {
    let text = |i: usize| reply.get(i).and_then(Option::as_deref);
    let number = |i: usize| text(i).and_then(|t| t.parse::<i64>().ok());
    Some(match text(0)? {
        "ban" => Verdict::Banned { until: number(1)? },
        "limited" => Verdict::Limited,
        "reqno" => Verdict::RequestNoTaken,
        "replay" => Verdict::Replayed,
        "pass" => Verdict::Passed,
        "601" => Verdict::Session(Seen::Refused(super::session::expired())),
        "603" => Verdict::Session(Seen::Refused(ApiError::new(
            code::DISPLACED,
            "您的账号已在其他设备登录",
        ))),
        "606" => Verdict::Session(Seen::Refused(ApiError::new(
            code::PASSWORD_CHANGED,
            "密码已修改，请重新登录",
        ))),
        "user-limited" => Verdict::Session(Seen::UserLimited {
            user_id: number(1)?,
        }),
        "user" => {
            let platform = Platform::from_number(number(2)?)?;
            let fields: Option<Vec<String>> = reply
                .get(3..)
                .map(|f| f.iter().flatten().cloned().collect());
            let profile = fields
                .filter(|f| f.len() == super::profile::FIELDS.len())
                .and_then(|f| Profile::from_fields(&f));
            Verdict::Session(Seen::Valid {
                user_id: number(1)?,
                platform,
                profile,
            })
        }
        _ => return None,
    })
}
