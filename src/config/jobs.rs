//! Settings of the timed jobs (`[jobs]`) and of the mall orders they move
//! (`[orders]`), docs/protocol.md §17.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_with::{DurationMilliSeconds, serde_as};

/// The scheduler inside `serve`.
#[serde_as]
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JobSettings {
    /// Run the jobs in this instance (several instances may; each record
    /// is still moved once).
    pub enabled: bool,
    /// Time between two runs of every job.
    #[serde_as(as = "DurationMilliSeconds<u64>")]
    pub interval_ms: Duration,
    /// Records one transaction of a job moves at most.
    pub batch_size: i64,
}

impl Default for JobSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            interval_ms: Duration::from_secs(60),
            batch_size: 100,
        }
    }
}

/// When mall orders move by themselves.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OrderSettings {
    /// An unpaid order (待付款) is closed this long after it was placed.
    pub close_unpaid_after_minutes: i64,
    /// A shipped order (已发货) is confirmed this long after shipping.
    pub auto_confirm_after_days: i64,
}

impl Default for OrderSettings {
    fn default() -> Self {
        Self {
            close_unpaid_after_minutes: 30,
            auto_confirm_after_days: 7,
        }
    }
}

/// Check the ranges; the key and why on failure.
///
/// # Errors
/// The first key out of range.
pub fn validate(jobs: &JobSettings, orders: &OrderSettings) -> Result<(), (&'static str, String)> {
    if jobs.interval_ms < Duration::from_millis(10) || jobs.interval_ms > Duration::from_secs(3600)
    {
        return Err(("jobs.interval_ms", "must be between 10 and 3600000".into()));
    }
    if !(1..=10_000).contains(&jobs.batch_size) {
        return Err(("jobs.batch_size", "must be between 1 and 10000".into()));
    }
    if !(1..=7 * 24 * 60).contains(&orders.close_unpaid_after_minutes) {
        return Err((
            "orders.close_unpaid_after_minutes",
            "must be between 1 and 10080 (7 days)".into(),
        ));
    }
    if !(1..=90).contains(&orders.auto_confirm_after_days) {
        return Err((
            "orders.auto_confirm_after_days",
            "must be between 1 and 90".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_pass_and_each_range_is_enforced() {
        let (j, o) = (JobSettings::default(), OrderSettings::default());
        assert!(validate(&j, &o).is_ok());
        type Change = Box<dyn Fn(&mut JobSettings, &mut OrderSettings)>;
        let cases: [(&str, Change); 4] = [
            (
                "jobs.interval_ms",
                Box::new(|j, _| j.interval_ms = Duration::ZERO),
            ),
            ("jobs.batch_size", Box::new(|j, _| j.batch_size = 0)),
            (
                "orders.close_unpaid_after_minutes",
                Box::new(|_, o| o.close_unpaid_after_minutes = -1),
            ),
            (
                "orders.auto_confirm_after_days",
                Box::new(|_, o| o.auto_confirm_after_days = 0),
            ),
        ];
        for (key, change) in cases {
            let (mut j, mut o) = (JobSettings::default(), OrderSettings::default());
            change(&mut j, &mut o);
            assert_eq!(validate(&j, &o).unwrap_err().0, key);
        }
    }

    #[test]
    fn gateway_toml_out_of_range_names_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gateway.toml");
        std::fs::write(&path, "[orders]\nclose_unpaid_after_minutes = 0\n").unwrap();
        let err = crate::config::Settings::load(&path, false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("orders.close_unpaid_after_minutes"), "{err}");
    }
}
