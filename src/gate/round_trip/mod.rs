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
//! `cluster.rs` runs the steps one slot at a time.

mod ask;
mod cluster;
mod single;

pub use ask::{Ask, Seen, SessionAsk, Upto, Verdict};

use crate::protocol::error::ApiResult;
use crate::stores::Stores;

/// Run the steps of `ask`: in one script on a single node, slot by slot on
/// Redis Cluster.
///
/// # Errors
/// Redis failures (500); a reply the scripts cannot give (500).
pub async fn run(stores: &Stores, ask: &Ask<'_>) -> ApiResult<Verdict> {
    if stores.redis_cluster() {
        cluster::run(stores, ask).await
    } else {
        single::run(stores, ask).await
    }
}
