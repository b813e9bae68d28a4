//! The companion's clocks as this module uses them.
//!
//! "Companion time" is nanoseconds on the monotonic clock since the first call in this
//! process. Frame sources must stamp frames with [`companion_now_ns`] for
//! [`super::FcHandle::companion_ns_to_boot_ms`] to place them on the flight controller's
//! clock: TIMESYNC requests carry the same clock.

use std::sync::OnceLock;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

static EPOCH: OnceLock<Instant> = OnceLock::new();

/// Monotonic nanoseconds since this process first asked (never negative, never jumps).
pub fn companion_now_ns() -> i64 {
    let epoch = *EPOCH.get_or_init(Instant::now);
    i64::try_from(epoch.elapsed().as_nanos()).unwrap_or(i64::MAX)
}

/// The companion's UTC clock, Unix microseconds (0 if the clock is before 1970).
pub fn utc_now_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monotonic_and_positive() {
        let a = companion_now_ns();
        let b = companion_now_ns();
        assert!(a >= 0 && b >= a);
        assert!(utc_now_us() > 1_600_000_000_000_000);
    }
}
