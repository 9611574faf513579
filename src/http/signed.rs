//! Signed answers (docs/protocol.md §4.1): for an appid with
//! `sign_responses`, the envelope carries `X-Yafgate-Sign`, the upper-case
//! MD5 of its exact body bytes followed by the appid's secret, and the
//! secret's slot id in `X-Yafgate-Sign-Slot`.

use hyper::header::{HeaderMap, HeaderValue};

use crate::config::Config;
use crate::pipeline::Trace;
use crate::protocol::sign;

/// The header with the answer's signature.
pub const SIGN: &str = "x-yafgate-sign";
/// The header with the id of the secret slot that signed the answer.
pub const SIGN_SLOT: &str = "x-yafgate-sign-slot";

/// Sign `body` for the request's appid when it asks for signed answers:
/// with the slot that verified the request, or, when none did (a refused
/// signature, a refusal before the signature check), the appid's first.
pub fn decorate(config: &Config, trace: &Trace, body: &[u8], h: &mut HeaderMap) {
    let Some(app) = trace
        .appid
        .as_deref()
        .and_then(|a| config.apps.get(a))
        .filter(|a| a.enabled && a.sign_responses)
    else {
        return;
    };
    let verified = trace
        .slot
        .as_deref()
        .and_then(|label| app.secrets.iter().find(|s| s.label == label));
    let Some(slot) = verified.or_else(|| app.secrets.first()) else {
        return;
    };
    let signature = sign::sign(body, slot.value.expose());
    if let Ok(v) = HeaderValue::from_str(&signature) {
        h.insert(SIGN, v);
    }
    if let Ok(v) = HeaderValue::from_str(&slot.label) {
        h.insert(SIGN_SLOT, v);
    }
}
