//! Sessions (DESIGN §4): opaque tokens in Redis with sliding expiry, one
//! live session per user per class (app / non-app), displacement (603),
//! password changes (606), expiry (601).

use crate::protocol::types::Platform;

/// The logged-in user of a request, with the profile fields handlers show.
#[derive(Debug, Clone)]
pub struct SessionUser {
    pub id: i64,
    /// The session token this request carried.
    pub token: String,
    pub platform: Platform,
    pub open_id: String,
    pub mobile: String,
    pub nickname: String,
    pub headimg: String,
    pub intro: String,
    /// Registration time, Unix seconds.
    pub created_at: i64,
}
