//! What the service needs from the flight controller, as a trait: when each photo was taken,
//! where the vehicle was then, and a way to tell the ground station. [`crate::fc::FcHandle`]
//! implements it over the MAVLink link.
//!
//! The frames task and the worker talk to this trait rather than to the link, so their logic
//! is tested with a scripted flight controller.

use std::sync::atomic::{AtomicU64, Ordering};

use qly_flight::record::{CaptureRecord, FrameKey, MountRecord};

use crate::fc::{FcHandle, PlacedCapture, Queued};

/// What became of one capture event: its record, or why its pose can never be had.
#[derive(Debug, Clone, PartialEq)]
pub enum CaptureOutcome {
    /// The capture and the vehicle's pose at its time, to journal.
    Placed(CaptureRecord),
    /// No pose at the capture time (a telemetry gap, no UTC time); the photo is skipped.
    NoPose { key: FrameKey, reason: String },
}

impl CaptureOutcome {
    pub fn key(&self) -> FrameKey {
        match self {
            CaptureOutcome::Placed(c) => c.key(),
            CaptureOutcome::NoPose { key, .. } => *key,
        }
    }
}

/// The flight controller as the service sees it. Implementations read shared state and never
/// block on the link.
pub trait FlightController: Send + Sync + 'static {
    /// The capture events (CAMERA_FEEDBACK / CAMERA_IMAGE_CAPTURED) placed since the last
    /// call: each with the vehicle's pose at its time, computed as soon as telemetry passed
    /// it (so the pose is interpolated, and the timeline's capacity never decides what is
    /// lost), or why it has none. Each capture comes once.
    fn take_captures(&self) -> Vec<CaptureOutcome>;

    /// Decides every capture still waiting for telemetry (the service is stopping) and takes
    /// them all.
    fn take_all_captures(&self) -> Vec<CaptureOutcome>;

    /// The GPS's reported horizontal accuracy (1 sigma), metres, if it reports one.
    fn gps_h_acc_m(&self) -> Option<f64>;

    /// Queues a STATUSTEXT about a confirmed candidate (rate-limited by the link; never blocks).
    fn report(&self, class_name: &str, confidence: f32, lat_deg: f64, lon_deg: f64);

    /// Reports queued but not yet sent or dropped (for a graceful shutdown).
    fn reports_pending(&self) -> u64;
}

/// A placed capture as the journal keeps it.
pub fn capture_outcome(p: PlacedCapture) -> CaptureOutcome {
    let c = p.capture();
    let key = FrameKey {
        boot: c.boot,
        image_index: u64::from(c.image_index),
    };
    match p {
        PlacedCapture::NoPose { reason, .. } => CaptureOutcome::NoPose { key, reason },
        PlacedCapture::Placed(p) => {
            let Some(t_utc_us) = p.utc_us else {
                return CaptureOutcome::NoPose {
                    key,
                    reason: "no UTC time for the capture (no SYSTEM_TIME)".into(),
                };
            };
            // Home (take-off) elevation: the capture event's altitude minus its height
            // above home, when it reports both.
            let home_amsl_m = match (
                p.capture.reported_position,
                p.capture.reported_alt_rel_home_m,
            ) {
                (Some(pos), Some(rel)) => Some(pos.alt_amsl_m - rel),
                _ => None,
            };
            let q = p.pose.q_ned_body;
            CaptureOutcome::Placed(CaptureRecord {
                boot: key.boot,
                image_index: key.image_index,
                t_boot_ms: p.t_boot_ms,
                t_utc_us,
                lat_deg: p.pose.position.lat_deg,
                lon_deg: p.pose.position.lon_deg,
                alt_amsl_m: p.pose.position.alt_amsl_m,
                q_ned_body: [q.w, q.x, q.y, q.z],
                mount: p.mount.map(MountRecord::from),
                home_amsl_m,
            })
        }
    }
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
    fn take_captures(&self) -> Vec<CaptureOutcome> {
        self.handle.place_captures();
        self.handle
            .take_placed()
            .into_iter()
            .map(capture_outcome)
            .collect()
    }

    fn take_all_captures(&self) -> Vec<CaptureOutcome> {
        self.handle.place_all_captures();
        self.handle
            .take_placed()
            .into_iter()
            .map(capture_outcome)
            .collect()
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
        photo_utc(fc, index, BOOT_UTC_US + t_boot_ms * 1000)
    }

    fn photo_utc(fc: &LinkedFc, index: u16, time_usec: u64) {
        fc.handle.update(|s| {
            s.on_camera_feedback(
                &CAMERA_FEEDBACK_DATA {
                    time_usec,
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

    fn placed(fc: &LinkedFc) -> Vec<CaptureOutcome> {
        fc.take_captures()
    }

    #[test]
    fn captures_are_placed_once_telemetry_passes_them_and_fail_in_a_gap() {
        let fc = fc();
        assert!(placed(&fc).is_empty());
        telemetry(&fc, 1000);
        telemetry(&fc, 1100);
        photo(&fc, 1, 1150);
        // Telemetry stops at 1100: the pose at 1150 would be held, so it waits.
        assert!(placed(&fc).is_empty());
        telemetry(&fc, 1200);
        let got = placed(&fc);
        let [CaptureOutcome::Placed(c)] = got.as_slice() else {
            panic!("{got:?}")
        };
        assert_eq!(c.key(), FrameKey::first_boot(1));
        assert!((c.t_boot_ms - 1150.0).abs() < 1e-6);
        assert_eq!(c.t_utc_us, (BOOT_UTC_US + 1_150_000) as i64);
        assert!((c.home_amsl_m.unwrap() - 584.0).abs() < 1e-3);
        assert!(placed(&fc).is_empty(), "each capture comes once");
        // A capture inside a telemetry gap of 3 s (max_gap_ms 500) can never get a pose.
        telemetry(&fc, 4200);
        photo(&fc, 2, 2700);
        let got = placed(&fc);
        assert!(
            matches!(got.as_slice(), [CaptureOutcome::NoPose { key, reason }]
                if key.image_index == 2 && reason.contains("no pose at the capture time")),
            "{got:?}"
        );
        // A capture telemetry never passes is decided when the service stops.
        photo(&fc, 3, 4250);
        assert!(placed(&fc).is_empty());
        let got = fc.take_all_captures();
        assert!(
            matches!(got.as_slice(), [CaptureOutcome::Placed(c)] if c.image_index == 3),
            "held pose within max_gap_ms: {got:?}"
        );
    }

    #[test]
    fn a_reboot_places_the_old_boots_captures_and_numbers_the_next_ones_in_a_new_boot() {
        let fc = fc();
        telemetry(&fc, 10_000);
        telemetry(&fc, 10_100);
        photo(&fc, 1, 10_050);
        photo(&fc, 2, 10_120);
        assert_eq!(placed(&fc).len(), 1, "image 1 is passed, 2 waits");
        // The autopilot reboots: its clock starts again. Image 2 is placed with the held
        // pose (20 ms from the last sample) before the timeline is cleared.
        telemetry(&fc, 300);
        let got = placed(&fc);
        assert!(
            matches!(got.as_slice(), [CaptureOutcome::Placed(c)] if c.key() == FrameKey::first_boot(2)),
            "{got:?}"
        );
        assert_eq!(fc.handle.with_state(|s| s.boot), 1);
        fc.handle.update(|s| {
            s.on_system_time(BOOT_UTC_US + 20_000_000, 300);
        });
        telemetry(&fc, 400);
        // Image 1 again: the first photo of boot 1.
        photo_utc(&fc, 1, BOOT_UTC_US + 20_000_000 + 50_000);
        telemetry(&fc, 500);
        let got = placed(&fc);
        assert!(
            matches!(got.as_slice(), [CaptureOutcome::Placed(c)]
                if c.key() == FrameKey { boot: 1, image_index: 1 } && (c.t_boot_ms - 350.0).abs() < 1e-6),
            "{got:?}"
        );
    }

    #[test]
    fn an_image_index_coming_again_is_a_reboot_even_before_telemetry_shows_it() {
        let fc = fc();
        telemetry(&fc, 1000);
        photo(&fc, 1, 1050);
        telemetry(&fc, 1100);
        assert_eq!(placed(&fc).len(), 1);
        // The streams stopped (a rebooted ArduPilot sends none until asked); image 1 comes
        // again a minute later.
        photo_utc(&fc, 1, BOOT_UTC_US + 61_000_000);
        let s = fc.handle.status();
        assert_eq!((s.reboots, s.repeated_indices), (1, 1));
        assert_eq!(fc.handle.with_state(|s| s.boot), 1);
        // Its pose comes once the new boot's telemetry and clock arrive.
        fc.handle.update(|s| {
            s.on_system_time(BOOT_UTC_US + 60_000_000, 500);
        });
        telemetry(&fc, 1000);
        telemetry(&fc, 1600);
        let got = placed(&fc);
        assert!(
            matches!(got.as_slice(), [CaptureOutcome::Placed(c)]
                if c.key() == FrameKey { boot: 1, image_index: 1 } && (c.t_boot_ms - 1500.0).abs() < 1e-6),
            "{got:?}"
        );
    }
}
