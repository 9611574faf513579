//! What one request asks of the round trip, and what it found: the
//! types both runners share, and the reading of the script's reply.

use crate::config::accounts::SessionSettings;
use crate::config::apps::RateLimit;
use crate::gate::profile::{self, Profile};
use crate::gate::session::{self, Class};
use crate::protocol::error::{ApiError, code};
use crate::protocol::types::Platform;
use std::net::IpAddr;

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
    /// The caller's appid when it keeps its tokens to itself: only tokens
    /// it issued answer to it (docs/protocol.md §8.2).
    pub scope: Option<&'a str>,
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

pub(super) fn verdict(reply: &[Option<String>]) -> Option<Verdict> {
    let text = |i: usize| reply.get(i).and_then(Option::as_deref);
    let number = |i: usize| text(i).and_then(|t| t.parse::<i64>().ok());
    Some(match text(0)? {
        "ban" => Verdict::Banned { until: number(1)? },
        "limited" => Verdict::Limited,
        "reqno" => Verdict::RequestNoTaken,
        "replay" => Verdict::Replayed,
        "pass" => Verdict::Passed,
        "601" => Verdict::Session(Seen::Refused(session::expired())),
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
                .filter(|f| f.len() == profile::FIELDS.len())
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
