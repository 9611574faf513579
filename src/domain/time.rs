//! Time as users see it: `Y-m-d H:i:s` strings and calendar days in the
//! configured UTC offset (`timezone` in gateway.toml).

use chrono::{Datelike, FixedOffset, TimeZone, Timelike};

/// `Y-m-d H:i:s` for a Unix time at `offset`; empty when out of range.
pub fn format_time(offset: FixedOffset, unix: i64) -> String {
    // Digits pushed directly: lists format several times per row, and a
    // strftime pattern is parsed again on every call.
    let Some(t) = offset.timestamp_opt(unix, 0).single() else {
        return String::new();
    };
    let year = t.year();
    if !(0..=9999).contains(&year) {
        return t.format("%Y-%m-%d %H:%M:%S").to_string();
    }
    let mut s = String::with_capacity(19);
    let two = |s: &mut String, n: u32| {
        s.push(char::from(b'0' + (n / 10 % 10) as u8));
        s.push(char::from(b'0' + (n % 10) as u8));
    };
    two(&mut s, year.unsigned_abs() / 100);
    two(&mut s, year.unsigned_abs() % 100);
    s.push('-');
    two(&mut s, t.month());
    s.push('-');
    two(&mut s, t.day());
    s.push(' ');
    two(&mut s, t.hour());
    s.push(':');
    two(&mut s, t.minute());
    s.push(':');
    two(&mut s, t.second());
    s
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

    #[test]
    fn the_digits_are_strftimes() {
        for offset in [0, 8 * 3600, -5 * 3600 - 1800] {
            let offset = FixedOffset::east_opt(offset).unwrap();
            let mut unix: i64 = -86_400 * 365 * 60;
            while unix < 86_400 * 365 * 200 {
                let expected = offset
                    .timestamp_opt(unix, 0)
                    .single()
                    .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
                    .unwrap();
                assert_eq!(format_time(offset, unix), expected);
                unix += 7_919_993; // about three months, never a round number
            }
        }
    }
}
