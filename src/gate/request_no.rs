//! The `request_no` guard of server callers (docs/protocol.md §3.4): a
//! back-office or partner appid numbers each request; a number is taken
//! once per appid within the timestamp window, by one atomic `SET NX`, so
//! of any number of submissions of one number, on any number of gateway
//! instances, exactly one goes on.

/// The longest `request_no` accepted.
pub const MAX_LEN: usize = 64;

/// Whether `text` is a well-formed request number: 1 to 64 characters of
/// `[A-Za-z0-9_-]` (upstream's `Req-2019042311170000000002` fits).
pub fn well_formed(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= MAX_LEN
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The key that takes `request_no` for `appid`; it is taken (`SET NX EX`
/// for as long as the same signed request could still pass the timestamp
/// check) in the request's one round trip ([`super::round_trip`]).
pub fn key(appid: &str, request_no: &str) -> String {
    format!("reqno:{appid}:{request_no}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_numbers_are_short_plain_text() {
        assert!(well_formed("Req-2019042311170000000002"));
        assert!(well_formed(&"a".repeat(64)));
        for bad in ["", "a b", "a/b", "号", &"a".repeat(65)] {
            assert!(!well_formed(bad), "{bad}");
        }
    }
}
