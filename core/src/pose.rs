//! The vehicle's pose over time, and the clocks that say what time a photo was taken.
//!
//! A photo is taken between telemetry messages, and position (GLOBAL_POSITION_INT, ~5-10 Hz)
//! and attitude (ATTITUDE / ATTITUDE_QUATERNION, ~10-50 Hz) arrive as separate streams at
//! their own rates. [`PoseTimeline`] keeps the two series apart and interpolates each to the
//! capture time: linearly for position, by slerp for attitude. It refuses (rather than guess)
//! when the nearest sample of either series is further than `max_gap_ms` from the capture
//! time, e.g. during a telemetry dropout.
//!
//! All times here name their clock: `t_boot_ms` is the flight controller's time since boot
//! (MAVLink `time_boot_ms`), `utc_us` is Unix time in microseconds, `companion_ns` is the
//! companion computer's monotonic clock. [`BootClock`] converts between them. Nothing here
//! reads a clock: times are passed in.
//!
//! ```
//! use qly_core::pose::{AmslPosition, PoseTimeline};
//! use qly_core::rotation::Quat;
//! let mut tl = PoseTimeline::new(200.0, 1000).unwrap();
//! tl.push_position(1000.0, AmslPosition::new(30.0, 120.0, 100.0).unwrap()).unwrap();
//! tl.push_position(1100.0, AmslPosition::new(30.0001, 120.0, 102.0).unwrap()).unwrap();
//! tl.push_attitude(1000.0, Quat::from_ypr_deg(10.0, 0.0, 0.0)).unwrap();
//! tl.push_attitude(1100.0, Quat::from_ypr_deg(20.0, 0.0, 0.0)).unwrap();
//! let p = tl.at(1050.0).unwrap();
//! assert!((p.position.alt_amsl_m - 101.0).abs() < 1e-9);
//! assert!((p.q_ned_body.yaw_rad().to_degrees() - 15.0).abs() < 1e-9);
//! assert!(tl.at(1400.0).is_err()); // 300 ms after the last sample
//! ```

use crate::geodesy::{CoordError, GeoPoint};
use crate::rotation::Quat;
use std::collections::VecDeque;
use thiserror::Error;

/// Which of the two pose series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Series {
    Position,
    Attitude,
}

impl std::fmt::Display for Series {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Series::Position => "position",
            Series::Attitude => "attitude",
        })
    }
}

/// Why a pose or a time could not be given.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum PoseError {
    #[error("{field} = {value} is invalid: expected {expected}")]
    BadField {
        field: &'static str,
        value: f64,
        expected: &'static str,
    },
    #[error("position: {0}")]
    Position(#[from] CoordError),
    #[error("no {series} samples yet")]
    Empty { series: Series },
    #[error("no {series} sample within {max_gap_ms} ms of t_boot_ms = {t_boot_ms}: the nearest is {gap_ms} ms away")]
    Gap {
        series: Series,
        t_boot_ms: f64,
        gap_ms: f64,
        max_gap_ms: f64,
    },
    #[error(
        "no SYSTEM_TIME with a valid UTC time yet: cannot map flight-controller boot time to UTC"
    )]
    NoUtc,
    #[error(
        "no TIMESYNC round trip yet: cannot map companion time to flight-controller boot time"
    )]
    NoTimesync,
    #[error("TIMESYNC tc1 = 0: that is a request, not a response to ours")]
    TimesyncRequest,
    #[error("TIMESYNC round trip of {rtt_ns} ns is invalid: expected 0 <= rtt <= {max_rtt_ns} ns (stale or foreign reply?)")]
    TimesyncRtt { rtt_ns: i64, max_rtt_ns: i64 },
}

/// A WGS-84 horizontal position with an altitude above mean sea level (EGM96), as
/// GLOBAL_POSITION_INT gives it (`lat`, `lon` in degE7, `alt` in mm AMSL).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AmslPosition {
    pub lat_deg: f64,
    pub lon_deg: f64,
    pub alt_amsl_m: f64,
}

impl AmslPosition {
    /// A checked position: latitude/longitude in range, finite altitude.
    pub fn new(lat_deg: f64, lon_deg: f64, alt_amsl_m: f64) -> Result<AmslPosition, PoseError> {
        GeoPoint::new(lat_deg, lon_deg)?;
        if !alt_amsl_m.is_finite() {
            return Err(PoseError::BadField {
                field: "alt_amsl_m",
                value: alt_amsl_m,
                expected: "a finite altitude",
            });
        }
        Ok(AmslPosition {
            lat_deg,
            lon_deg,
            alt_amsl_m,
        })
    }

    /// From GLOBAL_POSITION_INT's integer fields: degE7 and millimetres.
    pub fn from_global_position_int(
        lat_e7: i32,
        lon_e7: i32,
        alt_mm: i32,
    ) -> Result<AmslPosition, PoseError> {
        AmslPosition::new(
            lat_e7 as f64 * 1e-7,
            lon_e7 as f64 * 1e-7,
            alt_mm as f64 * 1e-3,
        )
    }

    pub fn point(self) -> GeoPoint {
        GeoPoint {
            lat_deg: self.lat_deg,
            lon_deg: self.lon_deg,
        }
    }

    /// Straight-line interpolation; longitude along the shorter way round the antimeridian.
    /// Over the sub-second intervals between telemetry samples the curvature of a geodesic
    /// is far below a millimetre.
    pub fn lerp(a: AmslPosition, b: AmslPosition, f: f64) -> AmslPosition {
        let dlon = (b.lon_deg - a.lon_deg + 540.0).rem_euclid(360.0) - 180.0;
        let lon = a.lon_deg + f * dlon;
        AmslPosition {
            lat_deg: a.lat_deg + f * (b.lat_deg - a.lat_deg),
            lon_deg: (lon + 540.0).rem_euclid(360.0) - 180.0,
            alt_amsl_m: a.alt_amsl_m + f * (b.alt_amsl_m - a.alt_amsl_m),
        }
    }
}

/// The vehicle's pose at one flight-controller time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PoseSample {
    /// Flight-controller time since boot, milliseconds (fractional for interpolated times).
    pub t_boot_ms: f64,
    pub position: AmslPosition,
    /// Body (FRD) to NED attitude.
    pub q_ned_body: Quat,
}

/// One time series, sorted by time, bounded in length.
#[derive(Debug, Clone)]
struct Track<T> {
    series: Series,
    samples: VecDeque<(f64, T)>,
}

impl<T: Copy> Track<T> {
    fn push(&mut self, t: f64, value: T, capacity: usize) {
        // Telemetry arrives in order; a late one is put in its place, a repeat replaces.
        let i = self.samples.partition_point(|s| s.0 < t);
        match self.samples.get_mut(i) {
            Some(s) if s.0 == t => s.1 = value,
            _ => self.samples.insert(i, (t, value)),
        }
        while self.samples.len() > capacity {
            self.samples.pop_front();
        }
    }

    fn sample(&self, t: f64, max_gap_ms: f64, interp: fn(T, T, f64) -> T) -> Result<T, PoseError> {
        if self.samples.is_empty() {
            return Err(PoseError::Empty {
                series: self.series,
            });
        }
        let i = self.samples.partition_point(|s| s.0 <= t);
        let before = i.checked_sub(1).and_then(|j| self.samples.get(j));
        let after = self.samples.get(i);
        let gap_ms = before
            .map(|s| t - s.0)
            .into_iter()
            .chain(after.map(|s| s.0 - t))
            .fold(f64::INFINITY, f64::min);
        if gap_ms > max_gap_ms {
            return Err(PoseError::Gap {
                series: self.series,
                t_boot_ms: t,
                gap_ms,
                max_gap_ms,
            });
        }
        Ok(match (before, after) {
            (Some(a), Some(b)) => interp(a.1, b.1, (t - a.0) / (b.0 - a.0)),
            // Before the first or after the last sample (but within the gap): hold, do not
            // extrapolate. Callers that can wait should geotag once a later sample is in.
            (Some(a), None) => a.1,
            (None, Some(b)) => b.1,
            (None, None) => {
                return Err(PoseError::Empty {
                    series: self.series,
                })
            }
        })
    }
}

/// Position and attitude histories with interpolation to capture times.
#[derive(Debug, Clone)]
pub struct PoseTimeline {
    positions: Track<AmslPosition>,
    attitudes: Track<Quat>,
    max_gap_ms: f64,
    capacity: usize,
}

fn check_time(field: &'static str, t: f64) -> Result<f64, PoseError> {
    if t.is_finite() && t >= 0.0 {
        Ok(t)
    } else {
        Err(PoseError::BadField {
            field,
            value: t,
            expected: "a finite time >= 0 ms",
        })
    }
}

impl PoseTimeline {
    /// A timeline keeping up to `capacity` samples per series (older ones are dropped) that
    /// refuses capture times further than `max_gap_ms` from the nearest sample of a series.
    pub fn new(max_gap_ms: f64, capacity: usize) -> Result<PoseTimeline, PoseError> {
        if !(max_gap_ms.is_finite() && max_gap_ms >= 0.0) {
            return Err(PoseError::BadField {
                field: "max_gap_ms",
                value: max_gap_ms,
                expected: "a finite time >= 0 ms",
            });
        }
        if capacity < 2 {
            return Err(PoseError::BadField {
                field: "capacity",
                value: capacity as f64,
                expected: "at least 2 samples",
            });
        }
        Ok(PoseTimeline {
            positions: Track {
                series: Series::Position,
                samples: VecDeque::new(),
            },
            attitudes: Track {
                series: Series::Attitude,
                samples: VecDeque::new(),
            },
            max_gap_ms,
            capacity,
        })
    }

    pub fn push_position(
        &mut self,
        t_boot_ms: f64,
        position: AmslPosition,
    ) -> Result<(), PoseError> {
        let t = check_time("t_boot_ms", t_boot_ms)?;
        let position = AmslPosition::new(position.lat_deg, position.lon_deg, position.alt_amsl_m)?;
        self.positions.push(t, position, self.capacity);
        Ok(())
    }

    pub fn push_attitude(&mut self, t_boot_ms: f64, q_ned_body: Quat) -> Result<(), PoseError> {
        let t = check_time("t_boot_ms", t_boot_ms)?;
        let q = Quat::from_wxyz(
            "q_ned_body",
            q_ned_body.w,
            q_ned_body.x,
            q_ned_body.y,
            q_ned_body.z,
        )
        .map_err(|_| PoseError::BadField {
            field: "q_ned_body",
            value: q_ned_body.w,
            expected: "a finite, non-zero quaternion",
        })?;
        self.attitudes.push(t, q, self.capacity);
        Ok(())
    }

    /// Both series at once (for sources such as CAMERA_FEEDBACK that carry a whole pose).
    pub fn push(&mut self, sample: PoseSample) -> Result<(), PoseError> {
        self.push_position(sample.t_boot_ms, sample.position)?;
        self.push_attitude(sample.t_boot_ms, sample.q_ned_body)
    }

    pub fn position_at(&self, t_boot_ms: f64) -> Result<AmslPosition, PoseError> {
        let t = check_time("t_boot_ms", t_boot_ms)?;
        self.positions
            .sample(t, self.max_gap_ms, AmslPosition::lerp)
    }

    pub fn attitude_at(&self, t_boot_ms: f64) -> Result<Quat, PoseError> {
        let t = check_time("t_boot_ms", t_boot_ms)?;
        self.attitudes.sample(t, self.max_gap_ms, Quat::slerp)
    }

    /// The pose at a capture time (flight-controller boot time).
    pub fn at(&self, t_boot_ms: f64) -> Result<PoseSample, PoseError> {
        Ok(PoseSample {
            t_boot_ms,
            position: self.position_at(t_boot_ms)?,
            q_ned_body: self.attitude_at(t_boot_ms)?,
        })
    }

    /// The latest time both series have reached: captures up to here can be interpolated
    /// rather than held.
    pub fn covered_until_ms(&self) -> Option<f64> {
        let p = self.positions.samples.back()?.0;
        let a = self.attitudes.samples.back()?.0;
        Some(p.min(a))
    }

    /// Forget everything (e.g. after the flight controller rebooted).
    pub fn clear(&mut self) {
        self.positions.samples.clear();
        self.attitudes.samples.clear();
    }
}

/// Largest window [`BootClock`] keeps per estimator.
pub const MAX_CLOCK_WINDOW: usize = 64;

/// One TIMESYNC round trip, reduced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimesyncSample {
    /// Round-trip time, companion nanoseconds.
    pub rtt_ns: i64,
    /// Flight-controller boot time minus companion monotonic time, nanoseconds.
    pub offset_ns: i64,
}

/// Maps flight-controller boot time to UTC (from SYSTEM_TIME) and to the companion's
/// monotonic clock (from TIMESYNC).
///
/// - UTC: each SYSTEM_TIME gives `time_unix_usec - 1000 * time_boot_ms`; the two fields are
///   not sampled at quite the same instant (jitter of a few ms) and occasionally far apart,
///   so the offset is the **median** of the last `window` pairs.
/// - Companion: each TIMESYNC round trip (our request carried `ts1 = companion_ns`, the reply
///   carries it back with `tc1` = the flight controller's time in ns) gives
///   `offset = tc1 - (ts1 + t_receive) / 2`, exact when the two legs take the same time; the
///   legs' asymmetry is bounded by the round trip, so the sample with the **minimum RTT** of
///   the last `window` is used. PX4 and ArduPilot both answer with their boot time, so the
///   offset maps companion time to boot time.
///
/// A `time_boot_ms` that goes backwards by more than a second means the flight controller
/// rebooted: both estimators start again.
#[derive(Debug, Clone)]
pub struct BootClock {
    window: usize,
    max_rtt_ns: i64,
    utc_offsets_us: VecDeque<i64>,
    timesync: VecDeque<TimesyncSample>,
    last_boot_ms: Option<u32>,
}

impl BootClock {
    /// A clock keeping the last `window` samples of each kind (1..=64) and refusing TIMESYNC
    /// round trips longer than `max_rtt_ns`.
    pub fn new(window: usize, max_rtt_ns: i64) -> Result<BootClock, PoseError> {
        if !(1..=MAX_CLOCK_WINDOW).contains(&window) {
            return Err(PoseError::BadField {
                field: "window",
                value: window as f64,
                expected: "1 to 64 samples",
            });
        }
        if max_rtt_ns <= 0 {
            return Err(PoseError::BadField {
                field: "max_rtt_ns",
                value: max_rtt_ns as f64,
                expected: "a round-trip limit > 0 ns",
            });
        }
        Ok(BootClock {
            window,
            max_rtt_ns,
            utc_offsets_us: VecDeque::with_capacity(window),
            timesync: VecDeque::with_capacity(window),
            last_boot_ms: None,
        })
    }

    fn note_boot_time(&mut self, time_boot_ms: u32) {
        if let Some(last) = self.last_boot_ms {
            if time_boot_ms.saturating_add(1000) < last {
                self.utc_offsets_us.clear();
                self.timesync.clear();
            }
        }
        self.last_boot_ms = Some(time_boot_ms);
    }

    /// Feeds a SYSTEM_TIME message. `time_unix_usec = 0` (no UTC source yet) is ignored and
    /// reported as `Ok(false)`.
    pub fn push_system_time(
        &mut self,
        time_unix_usec: u64,
        time_boot_ms: u32,
    ) -> Result<bool, PoseError> {
        self.note_boot_time(time_boot_ms);
        if time_unix_usec == 0 {
            return Ok(false);
        }
        let unix_us = i64::try_from(time_unix_usec).map_err(|_| PoseError::BadField {
            field: "SYSTEM_TIME.time_unix_usec",
            value: time_unix_usec as f64,
            expected: "a Unix time in microseconds below 2^63",
        })?;
        if self.utc_offsets_us.len() == self.window {
            self.utc_offsets_us.pop_front();
        }
        self.utc_offsets_us
            .push_back(unix_us - 1000 * i64::from(time_boot_ms));
        Ok(true)
    }

    /// UTC minus boot time, microseconds: the median over the window.
    pub fn utc_offset_us(&self) -> Result<i64, PoseError> {
        let n = self.utc_offsets_us.len();
        if n == 0 {
            return Err(PoseError::NoUtc);
        }
        let mut buf = [0i64; MAX_CLOCK_WINDOW];
        for (slot, v) in buf.iter_mut().zip(&self.utc_offsets_us) {
            *slot = *v;
        }
        let sorted = &mut buf[..n];
        sorted.sort_unstable();
        Ok(if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2
        })
    }

    /// Flight-controller boot time -> UTC, Unix microseconds.
    pub fn boot_ms_to_utc_us(&self, t_boot_ms: f64) -> Result<i64, PoseError> {
        let t = check_time("t_boot_ms", t_boot_ms)?;
        Ok(self.utc_offset_us()? + (t * 1000.0).round() as i64)
    }

    /// UTC (Unix microseconds) -> flight-controller boot time, milliseconds.
    pub fn utc_us_to_boot_ms(&self, utc_us: i64) -> Result<f64, PoseError> {
        Ok((utc_us - self.utc_offset_us()?) as f64 / 1000.0)
    }

    /// Feeds a TIMESYNC reply to our request: `tc1_ns` the flight controller's time, `ts1_ns`
    /// our send time echoed back, `t_receive_companion_ns` when we received it.
    pub fn push_timesync(
        &mut self,
        tc1_ns: i64,
        ts1_ns: i64,
        t_receive_companion_ns: i64,
    ) -> Result<TimesyncSample, PoseError> {
        if tc1_ns == 0 {
            return Err(PoseError::TimesyncRequest);
        }
        let rtt_ns = t_receive_companion_ns - ts1_ns;
        if !(0..=self.max_rtt_ns).contains(&rtt_ns) {
            return Err(PoseError::TimesyncRtt {
                rtt_ns,
                max_rtt_ns: self.max_rtt_ns,
            });
        }
        // ts1 + rtt/2 without overflow for any realistic clock value.
        let sample = TimesyncSample {
            rtt_ns,
            offset_ns: tc1_ns - (ts1_ns + rtt_ns / 2),
        };
        if self.timesync.len() == self.window {
            self.timesync.pop_front();
        }
        self.timesync.push_back(sample);
        Ok(sample)
    }

    /// The minimum-RTT sample of the window.
    pub fn best_timesync(&self) -> Result<TimesyncSample, PoseError> {
        self.timesync
            .iter()
            .copied()
            .min_by_key(|s| s.rtt_ns)
            .ok_or(PoseError::NoTimesync)
    }

    /// Companion monotonic time -> flight-controller boot time, milliseconds.
    pub fn companion_ns_to_boot_ms(&self, companion_ns: i64) -> Result<f64, PoseError> {
        Ok((companion_ns + self.best_timesync()?.offset_ns) as f64 / 1e6)
    }

    /// Flight-controller boot time -> companion monotonic time, nanoseconds.
    pub fn boot_ms_to_companion_ns(&self, t_boot_ms: f64) -> Result<i64, PoseError> {
        let t = check_time("t_boot_ms", t_boot_ms)?;
        Ok((t * 1e6).round() as i64 - self.best_timesync()?.offset_ns)
    }
}

#[cfg(test)]
mod tests;
