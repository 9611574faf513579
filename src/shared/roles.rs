//! Roles per product as data (`user_roles`, docs/protocol.md §8.11): a
//! user may be a consultant in consulting and a customer in home services.
//! Methods registered with a role are refused (code 608) without it.

use crate::protocol::error::{ApiError, ApiResult, code};
use crate::stores::{Stores, opt_row};

/// 608: the caller lacks the role the method requires.
pub fn refused(product: &str, role: &str) -> ApiError {
    ApiError::new(
        code::ROLE_REQUIRED,
        format!("您没有此操作的身份权限（需要 {product}.{role}）"),
    )
}

/// Whether `product` and `role` are well-formed names: 1 to 32 of
/// `[a-z0-9_]`.
pub fn well_formed(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Give `user_id` the role; true when it was new.
///
/// # Errors
/// PostgreSQL failures.
pub async fn grant(
    stores: &Stores,
    user_id: i64,
    (product, role): (&str, &str),
) -> ApiResult<bool> {
    let sql = "INSERT INTO user_roles (user_id, product, role) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING";
    changed(stores, sql, user_id, (product, role)).await
}

/// Take the role away; true when the user had it.
///
/// # Errors
/// PostgreSQL failures.
pub async fn revoke(
    stores: &Stores,
    user_id: i64,
    (product, role): (&str, &str),
) -> ApiResult<bool> {
    let sql = "DELETE FROM user_roles WHERE user_id = $1 AND product = $2 AND role = $3";
    changed(stores, sql, user_id, (product, role)).await
}

/// Run `sql` on (user, product, role); true when it changed a row.
async fn changed(
    stores: &Stores,
    sql: &str,
    user_id: i64,
    (product, role): (&str, &str),
) -> ApiResult<bool> {
    let db = stores.pg().await?;
    let stmt = db.prepare_cached(sql).await?;
    Ok(db.execute(&stmt, &[&user_id, &product, &role]).await? == 1)
}

/// Whether `user_id` has the role.
///
/// # Errors
/// PostgreSQL failures.
pub async fn has(stores: &Stores, user_id: i64, (product, role): (&str, &str)) -> ApiResult<bool> {
    let rows = stores
        .pg_rows(
            "SELECT 1 FROM user_roles WHERE user_id = $1 AND product = $2 AND role = $3",
            &[&user_id, &product, &role],
        )
        .await?;
    Ok(opt_row(rows)?.is_some())
}

/// The user's roles as `product.role`, sorted.
///
/// # Errors
/// PostgreSQL failures.
pub async fn list(stores: &Stores, user_id: i64) -> ApiResult<Vec<String>> {
    Ok(stores
        .pg_rows(
            "SELECT product || '.' || role FROM user_roles WHERE user_id = $1 ORDER BY 1",
            &[&user_id],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_are_short_lowercase_words() {
        for ok in ["consult", "consultant", "home", "b2b_2"] {
            assert!(well_formed(ok), "{ok}");
        }
        for bad in ["", "Consult", "a.b", "a b", &"x".repeat(33)] {
            assert!(!well_formed(bad), "{bad}");
        }
    }
}
