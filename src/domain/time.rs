//! Time as users see it: `Y-m-d H:i:s` strings and calendar days in the
//! configured UTC offset (`timezone` in gateway.toml).

use chrono::{FixedOffset, TimeZone};

/// `Y-m-d H:i:s` for a Unix time at `offset`; empty when out of range.
pub fn format_time(offset: FixedOffset, unix: i64) -> String {
    offset
        .timestamp_opt(unix, 0)
        .single()
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

/// The calendar day of a Unix time at `offset`, as `YYYYMMDD` (daily
/// counters are keyed by it).
pub fn local_day(offset: FixedOffset, unix: i64) -> String {
    offset
        .timestamp_opt(unix, 0)
        .single()
        .map(|t| t.format("%Y%m%d").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_day_turns_at_local_midnight() {
        let beijing = FixedOffset::east_opt(8 * 3600).unwrap();
        // 2017-05-04 15:59:59 UTC is 23:59:59 in Beijing; one second later is the next day.
        assert_eq!(local_day(beijing, 1_493_913_599), "20170504");
        assert_eq!(local_day(beijing, 1_493_913_600), "20170505");
        assert_eq!(format_time(beijing, 1_493_913_600), "2017-05-05 00:00:00");
    }
}
