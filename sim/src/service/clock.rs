//! The vehicle clock: simulated time since boot, and how every MAVLink timestamp is made
//! from it.
//!
//! The simulator runs `speedup` times faster than the wall clock. Every timestamp it sends
//! is simulated time, so a log of a 20x run reads exactly like a real-time flight:
//! `time_boot_ms` counts simulated milliseconds since boot, and UTC fields (SYSTEM_TIME,
//! GPS_RAW_INT, camera events) are a fixed UTC epoch (the simulated boot instant) plus
//! simulated time.

/// Converts simulated seconds since boot into MAVLink time fields.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VehicleClock {
    /// Simulated seconds per wall-clock second.
    pub speedup: f64,
    /// UTC of the simulated boot, microseconds since the Unix epoch.
    pub boot_unix_us: u64,
}

impl VehicleClock {
    /// `boot_unix_s`: UTC of boot, seconds since the Unix epoch.
    pub fn new(speedup: f64, boot_unix_s: u64) -> Self {
        VehicleClock {
            speedup,
            boot_unix_us: boot_unix_s.saturating_mul(1_000_000),
        }
    }

    /// Simulated time reached after `wall_s` wall-clock seconds.
    pub fn sim_s_after(&self, wall_s: f64) -> f64 {
        wall_s * self.speedup
    }

    /// `time_boot_ms` (wraps after 49.7 days, as the u32 field does).
    pub fn time_boot_ms(&self, sim_s: f64) -> u32 {
        ((sim_s.max(0.0) * 1000.0) as u64 % (u32::MAX as u64 + 1)) as u32
    }

    /// MAVLink signing time (10 µs units since 2015-01-01 UTC) at simulated time `sim_s`:
    /// the vehicle's clock, which runs ahead of the wall clock when sped up.
    pub fn signing_time(&self, sim_s: f64) -> u64 {
        let since_2015_us = self
            .unix_us(sim_s)
            .saturating_sub(qly_link::frame::SIGNING_EPOCH_UNIX_S * 1_000_000);
        since_2015_us / 10
    }

    /// Microseconds since the Unix epoch at simulated time `sim_s`.
    pub fn unix_us(&self, sim_s: f64) -> u64 {
        self.boot_unix_us + (sim_s.max(0.0) * 1e6) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_simulated_time() {
        let c = VehicleClock::new(20.0, 1_767_225_600); // 2026-01-01T00:00:00Z
        assert_eq!(c.sim_s_after(1.5), 30.0);
        assert_eq!(c.time_boot_ms(30.0), 30_000);
        assert_eq!(c.unix_us(30.0), 1_767_225_630_000_000);
        assert_eq!(c.time_boot_ms(4_294_967.296), 0); // u32 wrap
                                                      // 2026-01-01 is 11 years after the signing epoch; 30 simulated seconds later.
        assert_eq!(
            c.signing_time(30.0),
            (1_767_225_630 - 1_420_070_400) * 100_000
        );
    }
}
