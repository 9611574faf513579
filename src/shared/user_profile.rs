//! The one writer of an account's profile columns on the shared `users`
//! table (nickname, headimg) for the product methods that edit them
//! (home.user.update). After its commit the caller drops the profile kept
//! with the sessions (`profile::forget`, docs/protocol.md §8.8), so every
//! session, its own next call included, reads it again; the `users`
//! trigger's notification drops it too, later.

use crate::protocol::error::ApiResult;

/// Set `nickname` and `headimg` of `user`, inside the caller's transaction.
///
/// # Errors
/// Store failures (500).
pub async fn set_names(
    tx: &crate::stores::db::Tx<'_>,
    user: i64,
    nickname: &str,
    headimg: &str,
) -> ApiResult<()> {
    tx.execute(
        "UPDATE users SET nickname = $2, headimg = $3, updated_at = now() WHERE id = $1",
        &[&user, &nickname, &headimg],
    )
    .await?;
    Ok(())
}
