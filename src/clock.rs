//! Server time in Unix seconds, with an offset tests can move so time
//! windows are tested without sleeping.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// The gateway's clock: system time plus an adjustable offset (0 in production).
#[derive(Debug, Default)]
pub struct Clock {
    offset: AtomicI64,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self::default()
    }

    /// Unix seconds now.
    pub fn now(&self) -> i64 {
        let sys = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        sys + self.offset.load(Ordering::Relaxed)
    }

    /// Move this clock forward (or back, with a negative value) by `secs`.
    pub fn advance(&self, secs: i64) {
        self.offset.fetch_add(secs, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_now() {
        let c = Clock::system();
        let before = c.now();
        c.advance(3600);
        assert!(c.now() - before >= 3600);
    }
}
