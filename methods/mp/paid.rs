//! What a paid mini-program order adds (docs/protocol.md §23.6): the
//! payment moved the order 1 → 4 (its machine's `pay`); this makes one
//! redemption code per unit.

use futures_util::future::BoxFuture;

use crate::shared::pay::Paid;

/// After the order took the payment, in the notification's transaction:
/// one redemption code per unit, and the sales counted.
pub(super) fn paid<'a>(
    tx: &'a crate::stores::db::Tx<'a>,
    paid: Paid<'a>,
) -> BoxFuture<'a, anyhow::Result<()>> {
    Box::pin(async move {
        let row = tx
            .query_one(
                "UPDATE mp_goods g SET sell_number = g.sell_number + o.buy_number FROM mp_orders o \
                 WHERE o.id = $1 AND g.id = o.goods_id RETURNING o.buy_number, o.user_id",
                &[&paid.subject],
            )
            .await?;
        let (units, user): (i32, i64) = (row.get(0), row.get(1));
        for _ in 0..units {
            tx.execute(
                "INSERT INTO mp_order_items (order_id, user_id, verify_code, created_at, updated_at) \
                 VALUES ($1, $2, $3, to_timestamp($4), to_timestamp($4))",
                &[&paid.subject, &user, &redemption_code(), &(paid.now as f64)],
            )
            .await?;
        }
        Ok(())
    })
}

/// 12 random digits: what the merchant types or scans.
fn redemption_code() -> String {
    let n: u64 = rand::random::<u64>() % 1_000_000_000_000;
    format!("{n:012}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redemption_code_is_twelve_digits() {
        for _ in 0..100 {
            let c = redemption_code();
            assert_eq!(c.len(), 12);
            assert!(c.bytes().all(|b| b.is_ascii_digit()));
        }
    }
}
