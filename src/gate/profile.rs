//! The profile kept with the sessions (docs/protocol.md §8.8): the account
//! fields a session call needs (open_id, mobile, nickname, headimg, intro,
//! created_at, status) in one Redis hash per user, `prof:{<uid>}`, shared by
//! all the user's sessions, so a session call with no business query does
//! not touch PostgreSQL.
//!
//! It is written at login and registration, read by the request's one
//! round trip ([`super::round_trip`]), and filled again from PostgreSQL when it
//! is missing. It lives `session.profile_ttl_secs` at most. Any change to
//! a profile column or the status of a `users` row (by the API or by SQL
//! from elsewhere) fires a trigger that notifies channel
//! [`CHANNEL`]; every instance listens ([`follow_changes`]) and deletes the
//! user's hash, so the next call reads the row again.

use std::time::Duration;

use futures_util::StreamExt;
use tokio_postgres::{AsyncMessage, NoTls};

use crate::protocol::error::ApiResult;
use crate::stores::{Stores, opt_row};

/// The PostgreSQL channel the `users` trigger notifies (payload: the id).
pub const CHANNEL: &str = "yafgate_users";

/// The listening connection's `application_name` (`pg_stat_activity`).
pub const LISTENER_NAME: &str = "yafgate listen";

/// The account fields kept with the sessions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub open_id: String,
    pub mobile: String,
    pub nickname: String,
    pub headimg: String,
    pub intro: String,
    /// Registration time, Unix seconds.
    pub created_at: i64,
    /// users.status (docs/protocol.md §8.1).
    pub status: i16,
}

/// The fields of `prof:<uid>`, in the order [`Profile::from_fields`] reads them.
pub const FIELDS: [&str; 7] = [
    "status",
    "open_id",
    "mobile",
    "nickname",
    "headimg",
    "intro",
    "created_at",
];

impl Profile {
    /// The hash's values in [`FIELDS`] order.
    pub fn fields(&self) -> [String; 7] {
        [
            self.status.to_string(),
            self.open_id.clone(),
            self.mobile.clone(),
            self.nickname.clone(),
            self.headimg.clone(),
            self.intro.clone(),
            self.created_at.to_string(),
        ]
    }

    /// A profile from the hash's values in [`FIELDS`] order; `None` when
    /// one is missing or malformed (then it is read again).
    pub fn from_fields(values: &[String]) -> Option<Self> {
        let [
            status,
            open_id,
            mobile,
            nickname,
            headimg,
            intro,
            created_at,
        ] = values
        else {
            return None;
        };
        Some(Self {
            status: status.parse().ok()?,
            open_id: open_id.clone(),
            mobile: mobile.clone(),
            nickname: nickname.clone(),
            headimg: headimg.clone(),
            intro: intro.clone(),
            created_at: created_at.parse().ok()?,
        })
    }
}

/// [`COLUMNS`] as a literal, for statements built with `concat!` at
/// compile time (as [`Stores::pg_rows`](crate::stores::Stores::pg_rows)
/// takes them).
macro_rules! profile_columns {
    () => {
        "open_id, COALESCE(mobile, ''), nickname, headimg, intro, status, \
         extract(epoch FROM created_at)::bigint"
    };
}
pub(crate) use profile_columns;

/// The `users` columns of a profile, in the order [`Profile::from_row`]
/// reads them; queries that need more put their own columns first.
pub const COLUMNS: &str = profile_columns!();

impl Profile {
    /// The profile in `row`, whose [`COLUMNS`] start at index `first`.
    pub fn from_row(row: &tokio_postgres::Row, first: usize) -> Self {
        Self {
            open_id: row.get::<_, String>(first).trim_end().to_string(),
            mobile: row.get(first + 1),
            nickname: row.get(first + 2),
            headimg: row.get(first + 3),
            intro: row.get(first + 4),
            status: row.get(first + 5),
            created_at: row.get(first + 6),
        }
    }
}

/// The key of `user_id`'s profile (unprefixed).
pub fn key(user_id: i64) -> String {
    format!("prof:{{{user_id}}}")
}

/// Read `user_id`'s profile from PostgreSQL and keep it for `ttl_secs`;
/// `None` when the account no longer exists.
///
/// # Errors
/// Store failures.
pub async fn load(stores: &Stores, user_id: i64, ttl_secs: u64) -> ApiResult<Option<Profile>> {
    const BY_ID: &str = concat!("SELECT ", profile_columns!(), " FROM users WHERE id = $1");
    let rows = stores.pg_rows(BY_ID, &[&user_id]).await?;
    let Some(row) = opt_row(rows)? else {
        return Ok(None);
    };
    let profile = Profile::from_row(&row, 0);
    keep(stores, user_id, &profile, ttl_secs).await?;
    Ok(Some(profile))
}

/// Keep `profile` as `user_id`'s for `ttl_secs` (one round trip).
///
/// # Errors
/// Redis failures.
pub async fn keep(
    stores: &Stores,
    user_id: i64,
    profile: &Profile,
    ttl_secs: u64,
) -> ApiResult<()> {
    let key = stores.key(key(user_id));
    let pairs: Vec<(&str, String)> = FIELDS.into_iter().zip(profile.fields()).collect();
    let mut c = stores.redis();
    redis::pipe()
        .atomic()
        .del(&key)
        .ignore()
        .hset_multiple(&key, &pairs)
        .ignore()
        .expire(&key, i64::try_from(ttl_secs.max(1)).unwrap_or(i64::MAX))
        .ignore()
        .query_async::<()>(&mut c)
        .await?;
    Ok(())
}

/// Forget `user_id`'s profile: every session reads the row again on its
/// next call. Call it after changing a profile column or the status.
///
/// # Errors
/// Redis failures.
pub async fn forget(stores: &Stores, user_id: i64) -> ApiResult<()> {
    let mut c = stores.redis();
    redis::cmd("DEL")
        .arg(stores.key(key(user_id)))
        .query_async::<i64>(&mut c)
        .await?;
    Ok(())
}

/// Until `stop`, listen on [`CHANNEL`] and [`forget`] each user whose row
/// changed; `listening` says whether the LISTEN is in place. Every `retry`
/// the connection is asked `SELECT 1`, and one that gives no answer within
/// the stores' answer deadline ([`Stores::pg_deadline`]) is taken as lost
/// (a network that dropped it without a reset leaves it open and silent).
/// A lost connection is dialled again after `retry`; changes made
/// meanwhile reach the sessions when their profile expires.
pub async fn follow_changes(
    stores: Stores,
    retry: Duration,
    listening: tokio::sync::watch::Sender<bool>,
    stop: impl Future<Output = ()>,
) {
    tokio::pin!(stop);
    loop {
        tokio::select! {
            () = &mut stop => return,
            e = listen(&stores, retry, &listening) => {
                listening.send_replace(false);
                tracing::warn!(error = %format!("{e:#}"), "profile changes not followed; dialling again");
            }
        }
        tokio::select! {
            () = &mut stop => return,
            () = tokio::time::sleep(retry) => {}
        }
    }
}

/// Listen until the connection fails or goes silent; the failure.
async fn listen(
    stores: &Stores,
    every: Duration,
    listening: &tokio::sync::watch::Sender<bool>,
) -> anyhow::Error {
    let deadline = stores.pg_deadline();
    let mut config = stores.pg_config().clone();
    config.application_name(LISTENER_NAME);
    let (client, mut conn) = match config.connect(NoTls).await {
        Ok(pair) => pair,
        Err(e) => return e.into(),
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let driver = tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| conn.poll_message(cx));
        while let Some(message) = messages.next().await {
            match message {
                Ok(AsyncMessage::Notification(n)) => {
                    let _ = tx.send(Ok(n.payload().to_string()));
                }
                Ok(_) => {}
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            }
        }
    });
    if let Err(e) = client.batch_execute(&format!("LISTEN {CHANNEL}")).await {
        driver.abort();
        return e.into();
    }
    listening.send_replace(true);
    let mut heartbeat = tokio::time::interval(every);
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let failure = loop {
        let message = tokio::select! {
            m = rx.recv() => m,
            _ = heartbeat.tick() => {
                match tokio::time::timeout(deadline, client.simple_query("SELECT 1")).await {
                    Ok(Ok(_)) => continue,
                    Ok(Err(e)) => break e.into(),
                    Err(_) => break anyhow::anyhow!(
                        "the listening connection gave no answer within {} ms",
                        deadline.as_millis()
                    ),
                }
            }
        };
        match message {
            Some(Ok(payload)) => {
                let Ok(user_id) = payload.parse::<i64>() else {
                    continue;
                };
                if let Err(e) = forget(stores, user_id).await {
                    tracing::warn!(error = %e, user_id, "profile not forgotten");
                }
            }
            Some(Err(e)) => break e.into(),
            None => break anyhow::anyhow!("the listening connection closed"),
        }
    };
    drop(client);
    driver.abort();
    failure
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profile_survives_its_hash_and_a_broken_hash_is_none() {
        let p = Profile {
            open_id: "o".into(),
            mobile: "13800138000".into(),
            nickname: "n".into(),
            headimg: String::new(),
            intro: "i".into(),
            created_at: 1_700_000_000,
            status: 2,
        };
        assert_eq!(Profile::from_fields(&p.fields()), Some(p));
        assert_eq!(Profile::from_fields(&[]), None);
        let bad = ["x", "o", "m", "n", "h", "i", "1"].map(String::from);
        assert_eq!(Profile::from_fields(&bad), None);
    }
}
