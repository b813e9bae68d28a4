//! What the service needs from the flight controller, as a trait: when each photo was taken,
//! where the vehicle was then, and a way to tell the ground station. [`crate::fc::FcHandle`]
//! implements it over the MAVLink link.
//!
//! The frames task and the worker talk to this trait rather than to the link, so their logic
//! is tested with a scripted flight controller.

use std::sync::atomic::{AtomicU64, Ordering};

use qly_core::geotag::CameraMount;
use qly_core::pose::{PoseError, PoseSample};

use crate::fc::{CaptureQueryError, FcHandle, Queued};

/// When photo `image_index` was taken.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Capture {
    pub image_index: u64,
    /// Flight-controller boot time of the exposure, milliseconds.
    pub t_boot_ms: f64,
    /// UTC of the exposure, microseconds since the Unix epoch.
    pub t_utc_us: i64,
}

/// A photo's capture, the vehicle pose then, and what the capture event said about home.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Located {
    pub capture: Capture,
    pub pose: PoseSample,
    /// The gimbal's mount when a gimbal reports one; `None`: the configured fixed mount.
    pub mount: Option<CameraMount>,
    /// Home (take-off) elevation, metres above mean sea level: the capture event's altitude
    /// minus its height above home, when it reports both.
    pub home_amsl_m: Option<f64>,
}

/// The answer to a question that time may settle.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup<T> {
    Ready(T),
    /// Not known yet (the capture event, the clock, or the telemetry after the capture may
    /// still arrive); why.
    Wait(String),
    /// Will not be known; why.
    Fail(String),
}

/// The flight controller as the service sees it. Implementations read shared state and never
/// block on the link.
pub trait FlightController: Send + Sync + 'static {
    /// The capture event (CAMERA_FEEDBACK / CAMERA_IMAGE_CAPTURED) of `image_index` and the
    /// pose at its time. `Wait` until telemetry after the capture has arrived, so the pose is
    /// interpolated rather than held; `Fail` when the pose can never be had (a telemetry gap).
    fn locate(&self, image_index: u64) -> Lookup<Located>;

    /// The GPS's reported horizontal accuracy (1 sigma), metres, if it reports one.
    fn gps_h_acc_m(&self) -> Option<f64>;

    /// Queues a STATUSTEXT about a confirmed candidate (rate-limited by the link; never blocks).
    fn report(&self, class_name: &str, confidence: f32, lat_deg: f64, lon_deg: f64);

    /// Reports queued but not yet sent or dropped (for a graceful shutdown).
    fn reports_pending(&self) -> u64;
}

/// [`FcHandle`] with a count of the reports this service queued.
pub struct LinkedFc {
    pub handle: FcHandle,
    queued: AtomicU64,
}

impl LinkedFc {
    pub fn new(handle: FcHandle) -> LinkedFc {
        LinkedFc {
            handle,
            queued: AtomicU64::new(0),
        }
    }
}

impl FlightController for LinkedFc {
    fn locate(&self, image_index: u64) -> Lookup<Located> {
        let Ok(index) = u32::try_from(image_index) else {
            return Lookup::Fail(format!(
                "image index {image_index} is beyond MAVLink's 32-bit image indices"
            ));
        };
        match self.handle.pose_at_capture(index) {
            Ok(p) if !p.interpolated => Lookup::Wait(format!(
                "telemetry has not passed the capture time of image {index} (t_boot_ms = {:.0}) yet",
                p.t_boot_ms
            )),
            Ok(p) => {
                let Some(t_utc_us) = p
                    .utc_us
                    .or_else(|| p.capture.time_utc_us.and_then(|t| i64::try_from(t).ok()))
                else {
                    return Lookup::Wait(format!("no UTC time for the capture of image {index} yet (no SYSTEM_TIME)"));
                };
                let home_amsl_m = match (
                    p.capture.reported_position,
                    p.capture.reported_alt_rel_home_m,
                ) {
                    (Some(pos), Some(rel)) => Some(pos.alt_amsl_m - rel),
                    _ => None,
                };
                Lookup::Ready(Located {
                    capture: Capture {
                        image_index,
                        t_boot_ms: p.t_boot_ms,
                        t_utc_us,
                    },
                    pose: p.pose,
                    mount: p.mount,
                    home_amsl_m,
                })
            }
            Err(e @ CaptureQueryError::NoCapture { .. }) => Lookup::Wait(e.to_string()),
            Err(CaptureQueryError::Pose { source, .. }) => {
                let reason = format!("no pose at the capture of image {index}: {source}");
                match source {
                    PoseError::Empty { .. } | PoseError::NoUtc | PoseError::NoTimesync => {
                        Lookup::Wait(reason)
                    }
                    PoseError::Gap { t_boot_ms, .. } => {
                        let covered = self
                            .handle
                            .with_state(|s| s.timeline.covered_until_ms());
                        if covered.is_none_or(|c| c < t_boot_ms) {
                            Lookup::Wait(reason)
                        } else {
                            Lookup::Fail(reason)
                        }
                    }
                    _ => Lookup::Fail(reason),
                }
            }
        }
    }

    fn gps_h_acc_m(&self) -> Option<f64> {
        self.handle.gps().and_then(|g| g.h_acc_m)
    }

    fn report(&self, class_name: &str, confidence: f32, lat_deg: f64, lon_deg: f64) {
        match self
            .handle
            .report_candidate(class_name, confidence, lat_deg, lon_deg)
        {
            Queued::Invalid => {}
            _ => {
                self.queued.fetch_add(1, Ordering::SeqCst);
            }
        }
    }

    fn reports_pending(&self) -> u64 {
        let s = self.handle.status();
        self.queued
            .load(Ordering::SeqCst)
            .saturating_sub(s.reports_sent + s.reports_dropped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fc::FcConfig;
    use qly_link::dialect::{
        CameraFeedbackFlags, ATTITUDE_DATA, CAMERA_FEEDBACK_DATA, GLOBAL_POSITION_INT_DATA,
    };

    const BOOT_UTC_US: u64 = 1_800_000_000_000_000;

    fn fc() -> LinkedFc {
        let fc = LinkedFc::new(FcHandle::new(&FcConfig::default()).unwrap());
        fc.handle.update(|s| {
            s.on_system_time(BOOT_UTC_US + 1_000_000, 1000);
        });
        fc
    }

    fn telemetry(fc: &LinkedFc, t_boot_ms: u32) {
        fc.handle.update(|s| {
            s.on_global_position_int(&GLOBAL_POSITION_INT_DATA {
                time_boot_ms: t_boot_ms,
                lat: -353_632_620,
                lon: 1_491_652_370,
                alt: 634_000,
                relative_alt: 50_000,
                ..GLOBAL_POSITION_INT_DATA::default()
            });
            s.on_attitude(&ATTITUDE_DATA {
                time_boot_ms: t_boot_ms,
                ..ATTITUDE_DATA::default()
            });
        });
    }

    fn photo(fc: &LinkedFc, index: u16, t_boot_ms: u64) {
        fc.handle.update(|s| {
            s.on_camera_feedback(
                &CAMERA_FEEDBACK_DATA {
                    time_usec: BOOT_UTC_US + t_boot_ms * 1000,
                    lat: -353_632_620,
                    lng: 1_491_652_370,
                    alt_msl: 634.0,
                    alt_rel: 50.0,
                    img_idx: index,
                    flags: CameraFeedbackFlags::CAMERA_FEEDBACK_PHOTO,
                    ..CAMERA_FEEDBACK_DATA::default()
                },
                1,
                0,
            );
        });
    }

    #[test]
    fn captures_wait_for_telemetry_past_them_and_fail_in_a_gap() {
        let fc = fc();
        assert!(matches!(fc.locate(1), Lookup::Wait(r) if r.contains("no capture event")));
        telemetry(&fc, 1000);
        telemetry(&fc, 1100);
        photo(&fc, 1, 1150);
        // Telemetry stops at 1100: the pose at 1150 would be held, so wait.
        assert!(matches!(fc.locate(1), Lookup::Wait(r) if r.contains("not passed")));
        telemetry(&fc, 1200);
        let Lookup::Ready(l) = fc.locate(1) else {
            panic!("{:?}", fc.locate(1))
        };
        assert!((l.capture.t_boot_ms - 1150.0).abs() < 1e-6);
        assert_eq!(l.capture.t_utc_us, (BOOT_UTC_US + 1_150_000) as i64);
        assert!((l.home_amsl_m.unwrap() - 584.0).abs() < 1e-3);
        // A capture inside a telemetry gap of 3 s (max_gap_ms 500) can never get a pose.
        telemetry(&fc, 4200);
        photo(&fc, 2, 2700);
        assert!(
            matches!(fc.locate(2), Lookup::Fail(r) if r.contains("no pose at the capture of image 2"))
        );
    }
}
