//! Server time in Unix seconds, with an offset tests can move so time
//! windows are tested without sleeping.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// The gateway's clock: system time plus an adjustable offset (0 in production).
#[derive(Debug)]
pub struct Clock {
    offset: AtomicI64,
    /// Origin of the monotonic scale.
    origin: Instant,
}

impl Default for Clock {
    fn default() -> Self {
        Self {
            offset: AtomicI64::new(0),
            origin: Instant::now(),
        }
    }
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

    /// Milliseconds on a monotonic scale (not Unix time), for lifetimes
    /// such as the answer cache's: a wall-clock step does not stretch them,
    /// and `advance` moves this scale too.
    pub fn monotonic_ms(&self) -> i64 {
        let elapsed = i64::try_from(self.origin.elapsed().as_millis()).unwrap_or(i64::MAX);
        elapsed.saturating_add(self.offset.load(Ordering::Relaxed).saturating_mul(1000))
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

    #[test]
    fn advancing_moves_the_monotonic_scale_in_milliseconds() {
        let c = Clock::system();
        let before = c.monotonic_ms();
        c.advance(2);
        assert!(c.monotonic_ms() - before >= 2000);
    }
}
