//! Password hashing with argon2id (PHC strings), run off the async threads
//! because each hash costs tens of milliseconds of CPU by design.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

/// Hash `password` with argon2id and a random salt.
///
/// # Errors
/// The hashing task failed (it does not for valid input).
pub async fn hash(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("argon2 hash: {e}"))
    })
    .await?
}

/// Whether `password` matches the stored PHC `hash`. A malformed stored
/// hash never matches.
///
/// # Errors
/// The verifying task failed.
pub async fn verify(password: String, hash: String) -> anyhow::Result<bool> {
    tokio::task::spawn_blocking(move || {
        let Ok(parsed) = PasswordHash::new(&hash) else {
            return false;
        };
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
    .await
    .map_err(Into::into)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_and_verify() {
        let h = hash("secret-123".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify("secret-123".into(), h.clone()).await.unwrap());
        assert!(!verify("secret-124".into(), h).await.unwrap());
        assert!(!verify("x".into(), "not a phc string".into()).await.unwrap());
    }

    #[tokio::test]
    async fn the_demo_hash_matches_the_demo_password() {
        let sql = include_str!("../../sql/demo/10_users.sql");
        let start = sql
            .find("$argon2id$")
            .expect("demo user has an argon2id hash");
        let end = start + sql[start..].find('\'').unwrap();
        assert!(
            verify("demo123456".into(), sql[start..end].to_string())
                .await
                .unwrap()
        );
    }
}
