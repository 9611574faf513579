//! The `request_no` guard of server callers (docs/protocol.md §3.4): a
//! back-office or partner appid numbers each request; a number is taken
//! once per appid within the timestamp window, by one atomic `SET NX`, so
//! of any number of submissions of one number, on any number of gateway
//! instances, exactly one goes on.

use super::stores::Stores;
use crate::protocol::error::{ApiError, ApiResult};

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

/// Take `request_no` for `appid` for `window_secs` (how long the same
/// signed request could still pass the timestamp check).
///
/// # Errors
/// 503 when the number was already taken within the window; 500 when
/// Redis fails.
pub async fn claim(
    stores: &Stores,
    appid: &str,
    request_no: &str,
    window_secs: u64,
) -> ApiResult<()> {
    let mut c = stores.redis();
    let taken: Option<String> = redis::cmd("SET")
        .arg(stores.key(format!("reqno:{appid}:{request_no}")))
        .arg(1)
        .arg("NX")
        .arg("EX")
        .arg(window_secs.max(1))
        .query_async(&mut c)
        .await?;
    match taken {
        Some(_) => Ok(()),
        None => Err(ApiError::business(
            "请求编号 request_no 已使用，请勿重复提交",
        )),
    }
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
