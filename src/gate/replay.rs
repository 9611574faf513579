//! The replay guard (docs/protocol.md §11.5): the `data` of a call that
//! must not be repeated (a login, an SMS, any write) is remembered in Redis
//! for as long as its timestamp is accepted, so the same signed bytes are
//! served once, on any instance.

use sha2::{Digest, Sha256};

/// The refusal of a replayed call.
pub const REPLAYED: &str = "请求重复，请勿重复提交";

/// The key that claims `data` (the signed bytes) for `appid`; the claim
/// itself (`SET NX EX`: of any number of concurrent claims exactly one
/// succeeds) is made in the request's one round trip ([`super::round_trip`]).
pub fn key(appid: &str, data: &[u8]) -> String {
    format!("replay:{appid}:{}", hex::encode(Sha256::digest(data)))
}
