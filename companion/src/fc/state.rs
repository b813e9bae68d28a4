//! The pose state fed by the flight controller, and the updates each message makes to it.
//!
//! Everything here is plain data and pure updates (times are passed in), so the link task
//! is the only place with I/O and the rest of the service reads the state through
//! [`super::FcHandle`] without ever waiting on the link.

use super::intervals::IntervalStatus;
use qly_core::geotag::CameraMount;
use qly_core::pose::{AmslPosition, BootClock, PoseError, PoseSample, PoseTimeline};
use qly_core::protocol::Ids;
use qly_core::rotation::Quat;
use qly_link::dialect::{
    GpsFixType, ATTITUDE_DATA, ATTITUDE_QUATERNION_DATA, CAMERA_FEEDBACK_DATA,
    CAMERA_IMAGE_CAPTURED_DATA, GIMBAL_DEVICE_ATTITUDE_STATUS_DATA, GLOBAL_POSITION_INT_DATA,
    GPS_RAW_INT_DATA,
};
use qly_link::frame::RxCounts;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// `time_boot_ms` going back by more than this means the flight controller rebooted (a
/// reordered UDP datagram goes back by a sample period, not a second).
pub const REBOOT_BACKSTEP_MS: u32 = 1000;

/// GPS fix and accuracy from the latest GPS_RAW_INT.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GpsStatus {
    pub fix_type: GpsFixType,
    /// `None` when the receiver does not say (255).
    pub satellites_visible: Option<u8>,
    /// Horizontal accuracy (1 sigma), metres; `None` when not reported (0).
    pub h_acc_m: Option<f64>,
    /// Vertical accuracy (1 sigma), metres; `None` when not reported (0).
    pub v_acc_m: Option<f64>,
    /// HDOP; `None` when unknown (65535).
    pub hdop: Option<f64>,
    /// GPS_RAW_INT.time_usec: UTC (or boot time) microseconds, as the autopilot sends it.
    pub time_usec: u64,
    pub received_companion_ns: i64,
}

impl GpsStatus {
    pub fn from_gps_raw_int(m: &GPS_RAW_INT_DATA, received_companion_ns: i64) -> GpsStatus {
        GpsStatus {
            fix_type: m.fix_type,
            satellites_visible: (m.satellites_visible != u8::MAX).then_some(m.satellites_visible),
            h_acc_m: (m.h_acc != 0).then_some(m.h_acc as f64 * 1e-3),
            v_acc_m: (m.v_acc != 0).then_some(m.v_acc as f64 * 1e-3),
            hdop: (m.eph != u16::MAX).then_some(m.eph as f64 * 1e-2),
            time_usec: m.time_usec,
            received_companion_ns,
        }
    }
}

/// The gimbal's attitude from the latest GIMBAL_DEVICE_ATTITUDE_STATUS.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GimbalStatus {
    pub mount: CameraMount,
    /// The gimbal device's own `time_boot_ms` (its clock, not the autopilot's).
    pub gimbal_time_boot_ms: u32,
    pub component: u8,
    pub received_companion_ns: i64,
}

/// Which message told us about a capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureSource {
    /// ArduPilot's CAMERA_FEEDBACK: UTC time and the vehicle's position and attitude.
    CameraFeedback,
    /// The camera protocol's CAMERA_IMAGE_CAPTURED: boot time, position, camera attitude.
    CameraImageCaptured,
}

/// A photo the flight controller (or a MAVLink camera) reports, keyed by image index.
/// When both messages arrive for one index their fields are merged.
#[derive(Debug, Clone, PartialEq)]
pub struct CaptureEvent {
    /// The autopilot boot it was taken in (0: the first the flight saw; see [`FcState::boot`]).
    pub boot: u32,
    /// CAMERA_FEEDBACK.img_idx (16 bits, wraps) or CAMERA_IMAGE_CAPTURED.image_index.
    pub image_index: u32,
    pub sources: Vec<CaptureSource>,
    /// Component that reported it (1 autopilot, 100.. cameras).
    pub component: u8,
    /// Flight-controller boot time of the capture (CAMERA_IMAGE_CAPTURED).
    pub time_boot_ms: Option<u32>,
    /// UTC of the capture, microseconds (CAMERA_FEEDBACK.time_usec, CAMERA_IMAGE_CAPTURED.time_utc).
    pub time_utc_us: Option<u64>,
    /// Where the reporter says the vehicle was (altitude above mean sea level).
    pub reported_position: Option<AmslPosition>,
    /// Altitude above home, metres.
    pub reported_alt_rel_home_m: Option<f64>,
    /// Vehicle attitude at capture (CAMERA_FEEDBACK roll/pitch/yaw).
    pub reported_q_ned_body: Option<Quat>,
    /// Camera attitude at capture (CAMERA_IMAGE_CAPTURED.q).
    pub reported_q_ned_camera: Option<Quat>,
    /// `false` when CAMERA_IMAGE_CAPTURED says the capture failed.
    pub succeeded: bool,
    pub file_url: Option<String>,
    pub received_companion_ns: i64,
}

impl CaptureEvent {
    fn empty(
        boot: u32,
        image_index: u32,
        component: u8,
        received_companion_ns: i64,
    ) -> CaptureEvent {
        CaptureEvent {
            boot,
            image_index,
            sources: Vec::new(),
            component,
            time_boot_ms: None,
            time_utc_us: None,
            reported_position: None,
            reported_alt_rel_home_m: None,
            reported_q_ned_body: None,
            reported_q_ned_camera: None,
            succeeded: true,
            file_url: None,
            received_companion_ns,
        }
    }

    /// The capture's flight-controller boot time: its own `time_boot_ms`, else its UTC time
    /// mapped through SYSTEM_TIME.
    pub fn t_boot_ms(&self, clock: &BootClock) -> Result<f64, PoseError> {
        match (self.time_boot_ms, self.time_utc_us) {
            (Some(t), _) => Ok(t as f64),
            (None, Some(utc)) => {
                let utc = i64::try_from(utc).map_err(|_| PoseError::BadField {
                    field: "capture time_utc_us",
                    value: utc as f64,
                    expected: "a Unix time in microseconds below 2^63",
                })?;
                clock.utc_us_to_boot_ms(utc)
            }
            (None, None) => Err(PoseError::BadField {
                field: "capture time",
                value: f64::NAN,
                expected: "time_boot_ms or a UTC time in the capture message",
            }),
        }
    }
}

/// Link and protocol counters, for logs, health checks and tests.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LinkStatus {
    /// An autopilot heartbeat arrived within `link_lost_after_s`.
    pub link_up: bool,
    /// The autopilot's address once found.
    pub autopilot: Option<Ids>,
    /// Connections opened (1 unless a link was reopened).
    pub connections_opened: u64,
    /// Failed attempts to open the link.
    pub open_failures: u64,
    /// Times the autopilot's heartbeat stopped for `link_lost_after_s`.
    pub link_losses: u64,
    /// Flight-controller reboots seen (`time_boot_ms` going backwards).
    pub reboots: u64,
    /// Rounds of SET_MESSAGE_INTERVAL requests started.
    pub interval_rounds: u64,
    /// The latest round's requests.
    pub intervals: Vec<IntervalStatus>,
    /// Frames by outcome over every connection: accepted, unknown message id, undecodable
    /// (e.g. an enum value the dialect does not know), bad CRC, signing rejections. Copied
    /// from the link every 50 ms, so it may lag the per-message counters below.
    pub rx: RxCounts,
    pub mavlink1_frames: u64,
    pub mavlink2_frames: u64,
    pub signed_frames: u64,
    /// Known messages this module does not use.
    pub unhandled_messages: u64,
    /// Frames from systems other than the vehicle's.
    pub foreign_frames: u64,
    pub positions: u64,
    pub attitudes: u64,
    /// TIMESYNC round trips accepted into the clock.
    pub timesync_samples: u64,
    /// TIMESYNC replies discarded for a round trip over `timesync_max_rtt_ms` (normal on a
    /// busy link or computer: the clock keeps the fastest round trips).
    pub timesync_slow: u64,
    /// SYSTEM_TIME messages with a UTC time.
    pub system_times: u64,
    pub captures: u64,
    /// Captures placed (their pose at the capture time computed) or given up on.
    pub captures_placed: u64,
    /// Placed captures dropped because nobody took them (`capture_capacity` waiting).
    pub placed_dropped: u64,
    /// The same image index reported again with another time: a reboot the telemetry had not
    /// shown yet (ArduPilot numbers photos from 1 again after every boot).
    pub repeated_indices: u64,
    pub reports_sent: u64,
    /// Reports dropped because the queue was full.
    pub reports_dropped: u64,
    /// Telemetry values refused (out-of-range coordinates, zero quaternions).
    pub rejected_values: u64,
}

/// Everything known about the vehicle's pose and clocks.
#[derive(Debug, Clone)]
pub struct FcState {
    pub timeline: PoseTimeline,
    pub clock: BootClock,
    pub gps: Option<GpsStatus>,
    pub gimbal: Option<GimbalStatus>,
    pub status: LinkStatus,
    captures: BTreeMap<u32, CaptureEvent>,
    capture_capacity: usize,
    max_gap_ms: f64,
    timeline_capacity: usize,
    clock_window: usize,
    max_rtt_ns: i64,
    last_boot_ms: Option<u32>,
    /// Autopilot boots seen since the flight began: 0 until the first reboot; resumed from
    /// the journal after a companion restart ([`FcState::resume_boot`]). Capture events
    /// belong to the boot they arrive in.
    pub boot: u32,
    /// Captures of the current boot whose pose is not placed yet, by image index.
    unplaced: BTreeSet<u32>,
    /// Captures placed or given up on, oldest first, until the service takes them.
    placed: VecDeque<PlacedCapture>,
    /// A gimbal attitude older than this is not used for a capture's mount.
    gimbal_stale_ns: i64,
}

/// A capture event and the vehicle's pose at its time, or why that pose can never be had.
#[derive(Debug, Clone, PartialEq)]
pub enum PlacedCapture {
    Placed(super::CapturePose),
    NoPose {
        capture: CaptureEvent,
        reason: String,
    },
}

impl PlacedCapture {
    pub fn capture(&self) -> &CaptureEvent {
        match self {
            PlacedCapture::Placed(p) => &p.capture,
            PlacedCapture::NoPose { capture, .. } => capture,
        }
    }
}

/// Whether [`FcState::place_captures`] may still wait for telemetry or must decide now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placing {
    /// Place the captures that telemetry has passed; the others wait.
    WhenPassed,
    /// Decide every waiting capture now (a reboot clears the timeline; the service stops):
    /// with a held pose when one is within `max_gap_ms`, else as no pose.
    Now,
}

/// What an update changed that the link task must act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Update {
    Applied,
    /// The flight controller rebooted: state cleared; request the streams again.
    Rebooted,
    /// The value was refused (and counted).
    Rejected,
    /// A TIMESYNC reply came back too slowly to use (counted in `timesync_slow`).
    SlowTimesync,
}

impl FcState {
    pub fn new(
        max_gap_ms: f64,
        timeline_capacity: usize,
        clock_window: usize,
        max_rtt_ns: i64,
        capture_capacity: usize,
    ) -> Result<FcState, PoseError> {
        Ok(FcState {
            timeline: PoseTimeline::new(max_gap_ms, timeline_capacity)?,
            clock: BootClock::new(clock_window, max_rtt_ns)?,
            gps: None,
            gimbal: None,
            status: LinkStatus::default(),
            captures: BTreeMap::new(),
            capture_capacity: capture_capacity.max(1),
            max_gap_ms,
            timeline_capacity,
            clock_window,
            max_rtt_ns,
            last_boot_ms: None,
            boot: 0,
            unplaced: BTreeSet::new(),
            placed: VecDeque::new(),
            gimbal_stale_ns: 2_000_000_000,
        })
    }

    /// Continues a flight after a companion restart: captures belong to boot `boot`, and a
    /// `time_boot_ms` more than [`REBOOT_BACKSTEP_MS`] before `last_t_boot_ms` (the last
    /// journaled capture's) means the autopilot rebooted while the companion was down.
    pub fn resume_boot(&mut self, boot: u32, last_t_boot_ms: Option<f64>) {
        self.boot = boot;
        self.last_boot_ms = last_t_boot_ms
            .filter(|t| t.is_finite() && *t >= 0.0 && *t <= u32::MAX as f64)
            .map(|t| t as u32);
    }

    /// How old a gimbal attitude may be to give a capture's mount.
    pub fn set_gimbal_stale_ns(&mut self, ns: i64) {
        self.gimbal_stale_ns = ns;
    }

    /// Notes a `time_boot_ms` from the autopilot; on a reboot clears the timeline, clocks,
    /// captures (image indices restart) and gimbal state.
    pub fn note_boot_ms(&mut self, time_boot_ms: u32) -> Update {
        let rebooted = self
            .last_boot_ms
            .is_some_and(|last| time_boot_ms.saturating_add(REBOOT_BACKSTEP_MS) < last);
        self.last_boot_ms = Some(match self.last_boot_ms {
            Some(last) if !rebooted => last.max(time_boot_ms),
            _ => time_boot_ms,
        });
        if !rebooted {
            return Update::Applied;
        }
        self.rebooted();
        Update::Rebooted
    }

    /// The autopilot rebooted: the captures of the old boot are placed with what the timeline
    /// holds, then the timeline, clocks, captures (image indices restart) and gimbal state
    /// are cleared and the boot count goes up.
    fn rebooted(&mut self) {
        self.place_captures(Placing::Now, i64::MIN);
        self.timeline.clear();
        // Both were valid when the state was built, so rebuilding cannot fail; keep the old
        // ones (cleared as far as they allow) if it somehow did.
        if let Ok(c) = BootClock::new(self.clock_window, self.max_rtt_ns) {
            self.clock = c;
        }
        if let Ok(t) = PoseTimeline::new(self.max_gap_ms, self.timeline_capacity) {
            self.timeline = t;
        }
        self.captures.clear();
        self.gimbal = None;
        self.status.reboots += 1;
        self.boot += 1;
    }

    /// Places the waiting captures (see [`Placing`]) into the queue
    /// [`FcState::take_placed`] empties. `now_ns` is the companion time, for the gimbal's
    /// freshness (`i64::MIN`: any gimbal attitude still held is used).
    pub fn place_captures(&mut self, placing: Placing, now_ns: i64) {
        let now = placing == Placing::Now;
        for index in self.unplaced.clone() {
            let Some(capture) = self.captures.get(&index).cloned() else {
                self.unplaced.remove(&index);
                continue;
            };
            let no_pose = |reason: String| PlacedCapture::NoPose {
                capture: capture.clone(),
                reason,
            };
            let t = match capture.t_boot_ms(&self.clock) {
                Ok(t) => t,
                Err(PoseError::NoUtc) if !now => continue,
                Err(e) => {
                    self.place(index, no_pose(format!("no capture time: {e}")));
                    continue;
                }
            };
            let passed = self.timeline.covered_until_ms().is_some_and(|c| c >= t);
            if !passed && !now {
                continue;
            }
            let utc_us = self
                .clock
                .boot_ms_to_utc_us(t)
                .ok()
                .or_else(|| capture.time_utc_us.and_then(|u| i64::try_from(u).ok()));
            let placed = match (self.timeline.at(t), utc_us) {
                (Ok(pose), Some(utc)) => {
                    let mount = self
                        .gimbal
                        .filter(|g| {
                            now_ns == i64::MIN
                                || now_ns - g.received_companion_ns <= self.gimbal_stale_ns
                        })
                        .map(|g| g.mount);
                    PlacedCapture::Placed(super::CapturePose {
                        capture: capture.clone(),
                        t_boot_ms: t,
                        utc_us: Some(utc),
                        pose,
                        interpolated: passed,
                        mount,
                    })
                }
                (Ok(_), None) if !now => continue,
                (Ok(_), None) => no_pose(PoseError::NoUtc.to_string()),
                (Err(e), _) => no_pose(format!(
                    "no pose at the capture time (t_boot_ms = {t:.0}): {e}"
                )),
            };
            self.place(index, placed);
        }
    }

    fn place(&mut self, index: u32, placed: PlacedCapture) {
        self.unplaced.remove(&index);
        while self.placed.len() >= self.capture_capacity {
            self.placed.pop_front();
            self.status.placed_dropped += 1;
        }
        self.status.captures_placed += 1;
        self.placed.push_back(placed);
    }

    /// The captures placed since the last call, oldest first.
    pub fn take_placed(&mut self) -> Vec<PlacedCapture> {
        self.placed.drain(..).collect()
    }

    /// Captures still waiting for telemetry past their time.
    pub fn unplaced(&self) -> usize {
        self.unplaced.len()
    }

    /// The autopilot's own clock as a TIMESYNC carries it (its reply's `tc1`, its request's
    /// `ts1`): nanoseconds since boot on ArduPilot and PX4, so a reboot is seen even while no
    /// telemetry stream is sent (a rebooted ArduPilot sends none until asked again). A value
    /// that is no boot time (a Unix time, 0) is ignored.
    pub fn note_autopilot_clock_ns(&mut self, ns: i64) -> Update {
        let ms = ns / 1_000_000;
        if ns <= 0 || ms > i64::from(u32::MAX) {
            return Update::Applied;
        }
        self.note_boot_ms(ms as u32)
    }

    fn rejected(&mut self) -> Update {
        self.status.rejected_values += 1;
        Update::Rejected
    }

    pub fn on_global_position_int(&mut self, m: &GLOBAL_POSITION_INT_DATA) -> Update {
        if self.note_boot_ms(m.time_boot_ms) == Update::Rebooted {
            self.push_position(m);
            return Update::Rebooted;
        }
        self.push_position(m)
    }

    fn push_position(&mut self, m: &GLOBAL_POSITION_INT_DATA) -> Update {
        // lat = lon = 0 is what ArduPilot sends before it has a position: nothing to keep.
        if m.lat == 0 && m.lon == 0 {
            return Update::Applied;
        }
        let pushed = AmslPosition::from_global_position_int(m.lat, m.lon, m.alt)
            .and_then(|p| self.timeline.push_position(m.time_boot_ms as f64, p));
        match pushed {
            Ok(()) => {
                self.status.positions += 1;
                Update::Applied
            }
            Err(_) => self.rejected(),
        }
    }

    pub fn on_attitude(&mut self, m: &ATTITUDE_DATA) -> Update {
        let u = self.note_boot_ms(m.time_boot_ms);
        let q = Quat::from_euler_rad(m.roll as f64, m.pitch as f64, m.yaw as f64);
        self.push_attitude(m.time_boot_ms, q, u)
    }

    pub fn on_attitude_quaternion(&mut self, m: &ATTITUDE_QUATERNION_DATA) -> Update {
        let u = self.note_boot_ms(m.time_boot_ms);
        match Quat::from_mavlink("ATTITUDE_QUATERNION.q", [m.q1, m.q2, m.q3, m.q4]) {
            Ok(q) => self.push_attitude(m.time_boot_ms, q, u),
            Err(_) => self.rejected(),
        }
    }

    fn push_attitude(&mut self, time_boot_ms: u32, q: Quat, u: Update) -> Update {
        match self.timeline.push_attitude(time_boot_ms as f64, q) {
            Ok(()) => {
                self.status.attitudes += 1;
                u
            }
            Err(_) => self.rejected(),
        }
    }

    pub fn on_system_time(&mut self, time_unix_usec: u64, time_boot_ms: u32) -> Update {
        let u = self.note_boot_ms(time_boot_ms);
        match self.clock.push_system_time(time_unix_usec, time_boot_ms) {
            Ok(true) => {
                self.status.system_times += 1;
                u
            }
            Ok(false) => u,
            Err(_) => self.rejected(),
        }
    }

    /// A TIMESYNC reply to our request sent at companion time `ts1_ns`.
    pub fn on_timesync_reply(&mut self, tc1_ns: i64, ts1_ns: i64, now_companion_ns: i64) -> Update {
        match self.clock.push_timesync(tc1_ns, ts1_ns, now_companion_ns) {
            Ok(_) => {
                self.status.timesync_samples += 1;
                Update::Applied
            }
            Err(qly_core::pose::PoseError::TimesyncRtt { rtt_ns, max_rtt_ns })
                if rtt_ns > max_rtt_ns =>
            {
                self.status.timesync_slow += 1;
                Update::SlowTimesync
            }
            Err(_) => self.rejected(),
        }
    }

    pub fn on_gps_raw_int(&mut self, m: &GPS_RAW_INT_DATA, now_companion_ns: i64) -> Update {
        self.gps = Some(GpsStatus::from_gps_raw_int(m, now_companion_ns));
        Update::Applied
    }

    pub fn on_gimbal_status(
        &mut self,
        m: &GIMBAL_DEVICE_ATTITUDE_STATUS_DATA,
        component: u8,
        now_companion_ns: i64,
    ) -> Update {
        match CameraMount::from_gimbal_device_status(m.flags.bits(), m.q) {
            Ok(mount) => {
                self.gimbal = Some(GimbalStatus {
                    mount,
                    gimbal_time_boot_ms: m.time_boot_ms,
                    component,
                    received_companion_ns: now_companion_ns,
                });
                Update::Applied
            }
            Err(_) => self.rejected(),
        }
    }

    /// CAMERA_FEEDBACK; returns the merged event.
    pub fn on_camera_feedback(
        &mut self,
        m: &CAMERA_FEEDBACK_DATA,
        component: u8,
        now_companion_ns: i64,
    ) -> Option<CaptureEvent> {
        let position = AmslPosition::from_global_position_int(m.lat, m.lng, 0)
            .ok()
            .filter(|_| !(m.lat == 0 && m.lng == 0))
            .and_then(|p| AmslPosition::new(p.lat_deg, p.lon_deg, m.alt_msl as f64).ok());
        let q = Quat::try_from_ypr_deg(m.yaw as f64, m.pitch as f64, m.roll as f64).ok();
        let utc = (m.time_usec != 0).then_some(m.time_usec);
        let e = self.capture_entry(m.img_idx as u32, component, now_companion_ns, utc, None);
        if !e.sources.contains(&CaptureSource::CameraFeedback) {
            e.sources.push(CaptureSource::CameraFeedback);
        }
        if m.time_usec != 0 {
            e.time_utc_us = Some(m.time_usec);
        }
        e.reported_position = position.or(e.reported_position);
        e.reported_alt_rel_home_m = Some(m.alt_rel as f64);
        e.reported_q_ned_body = q.or(e.reported_q_ned_body);
        let e = e.clone();
        self.status.captures += 1;
        Some(e)
    }

    /// CAMERA_IMAGE_CAPTURED; returns the merged event (`None` for index -1, "unknown").
    pub fn on_image_captured(
        &mut self,
        m: &CAMERA_IMAGE_CAPTURED_DATA,
        component: u8,
        now_companion_ns: i64,
    ) -> Option<CaptureEvent> {
        let index = u32::try_from(m.image_index).ok()?;
        let position = AmslPosition::from_global_position_int(m.lat, m.lon, m.alt)
            .ok()
            .filter(|_| !(m.lat == 0 && m.lon == 0));
        let q = Quat::from_mavlink("CAMERA_IMAGE_CAPTURED.q", m.q).ok();
        let ok = m.capture_result.bits() != 0;
        let url = m
            .file_url
            .to_str()
            .ok()
            .map(|s| s.trim_end_matches('\0').to_string())
            .filter(|s| !s.is_empty());
        let utc = (m.time_utc != 0).then_some(m.time_utc);
        let e = self.capture_entry(
            index,
            component,
            now_companion_ns,
            utc,
            Some(m.time_boot_ms),
        );
        if !e.sources.contains(&CaptureSource::CameraImageCaptured) {
            e.sources.push(CaptureSource::CameraImageCaptured);
        }
        e.time_boot_ms = Some(m.time_boot_ms);
        if m.time_utc != 0 {
            e.time_utc_us = Some(m.time_utc);
        }
        e.reported_position = position.or(e.reported_position);
        e.reported_alt_rel_home_m = Some(m.relative_alt as f64 * 1e-3);
        e.reported_q_ned_camera = q.or(e.reported_q_ned_camera);
        e.succeeded = ok;
        e.file_url = url.or(e.file_url.take());
        let e = e.clone();
        self.status.captures += 1;
        Some(e)
    }

    /// The event of image `index` in the current boot, new or to merge into. The index seen
    /// again with a capture time more than a second away means the autopilot rebooted and
    /// numbers its photos from 1 again before its telemetry has shown the reboot (its streams
    /// stop until asked for again): the reboot is taken first, so the photo starts the new
    /// boot instead of being merged into an old one.
    fn capture_entry(
        &mut self,
        index: u32,
        component: u8,
        now_ns: i64,
        time_utc_us: Option<u64>,
        time_boot_ms: Option<u32>,
    ) -> &mut CaptureEvent {
        let repeated = self.captures.get(&index).is_some_and(|old| {
            let utc = matches!((old.time_utc_us, time_utc_us),
                (Some(a), Some(b)) if a.abs_diff(b) > u64::from(REBOOT_BACKSTEP_MS) * 1000);
            let boot = matches!((old.time_boot_ms, time_boot_ms),
                (Some(a), Some(b)) if a.abs_diff(b) > REBOOT_BACKSTEP_MS);
            utc || boot
        });
        if repeated {
            self.status.repeated_indices += 1;
            self.rebooted();
            // The new boot's first time_boot_ms sets the baseline.
            self.last_boot_ms = None;
        }
        if !self.captures.contains_key(&index) {
            while self.captures.len() >= self.capture_capacity {
                // Forget the one heard of longest ago (placed first if it still waits).
                let oldest = self
                    .captures
                    .iter()
                    .min_by_key(|(_, e)| e.received_companion_ns)
                    .map(|(k, _)| *k);
                let Some(k) = oldest else { break };
                if self.unplaced.contains(&k) {
                    if let Some(capture) = self.captures.get(&k).cloned() {
                        self.place(
                            k,
                            PlacedCapture::NoPose {
                                capture,
                                reason: format!(
                                    "more than {} capture events waiting for telemetry",
                                    self.capture_capacity
                                ),
                            },
                        );
                    }
                }
                self.captures.remove(&k);
            }
            self.unplaced.insert(index);
        }
        let boot = self.boot;
        self.captures
            .entry(index)
            .or_insert_with(|| CaptureEvent::empty(boot, index, component, now_ns))
    }

    pub fn capture(&self, image_index: u32) -> Option<&CaptureEvent> {
        self.captures.get(&image_index)
    }

    /// Image indices known, ascending.
    pub fn capture_indices(&self) -> Vec<u32> {
        self.captures.keys().copied().collect()
    }

    /// The pose at a flight-controller boot time.
    pub fn pose_at_boot_ms(&self, t_boot_ms: f64) -> Result<PoseSample, PoseError> {
        self.timeline.at(t_boot_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> FcState {
        FcState::new(500.0, 100, 8, 50_000_000, 3).unwrap()
    }

    /// A reply slower than the limit is counted as slow, not as a refused value; a reply
    /// from before its request is still refused.
    #[test]
    fn slow_timesync_replies_are_counted_apart() {
        let mut s = state();
        let sent = 1_000_000_000;
        assert_eq!(
            s.on_timesync_reply(5_000_000_000, sent, sent + 80_000_000),
            Update::SlowTimesync
        );
        assert_eq!((s.status.timesync_slow, s.status.rejected_values), (1, 0));
        assert_eq!(
            s.on_timesync_reply(5_000_000_000, sent, sent - 1),
            Update::Rejected
        );
        assert_eq!(
            s.on_timesync_reply(5_000_000_000, sent, sent + 10_000_000),
            Update::Applied
        );
        assert_eq!(
            (
                s.status.timesync_slow,
                s.status.timesync_samples,
                s.status.rejected_values
            ),
            (1, 1, 1)
        );
    }

    fn gpi(t: u32, lat: f64) -> GLOBAL_POSITION_INT_DATA {
        GLOBAL_POSITION_INT_DATA {
            time_boot_ms: t,
            lat: (lat * 1e7) as i32,
            lon: 1_069_500_000,
            alt: 1_100_000,
            ..Default::default()
        }
    }

    #[test]
    fn reboot_clears_and_small_backsteps_do_not() {
        let mut s = state();
        assert_eq!(
            s.on_global_position_int(&gpi(10_000, 27.0)),
            Update::Applied
        );
        assert_eq!(
            s.on_global_position_int(&gpi(10_100, 27.0001)),
            Update::Applied
        );
        // A late datagram 80 ms back: not a reboot.
        assert_eq!(
            s.on_global_position_int(&gpi(10_020, 27.00002)),
            Update::Applied
        );
        assert!(s.timeline.position_at(10_050.0).is_ok());
        assert_eq!(
            s.on_system_time(1_767_225_610_000_000, 10_000),
            Update::Applied
        );
        assert!(s.clock.utc_offset_us().is_ok());
        assert_eq!(s.on_global_position_int(&gpi(300, 27.0)), Update::Rebooted);
        assert_eq!(s.status.reboots, 1);
        assert!(s.timeline.position_at(10_050.0).is_err());
        assert!(
            s.timeline.position_at(300.0).is_ok(),
            "the new sample is kept"
        );
        assert!(s.clock.utc_offset_us().is_err());
        // No position yet (0, 0) is not a sample; a latitude out of range is refused.
        let mut none = gpi(400, 0.0);
        none.lon = 0;
        assert_eq!(s.on_global_position_int(&none), Update::Applied);
        assert_eq!(s.status.positions, 4);
        assert_eq!(s.on_global_position_int(&gpi(500, 91.0)), Update::Rejected);
        assert_eq!(s.status.rejected_values, 1);
    }

    #[test]
    fn attitude_messages_feed_the_same_series() {
        let mut s = state();
        let a = ATTITUDE_DATA {
            time_boot_ms: 1000,
            yaw: 0.5,
            ..Default::default()
        };
        assert_eq!(s.on_attitude(&a), Update::Applied);
        // 90 deg yaw as a quaternion (w, x, y, z).
        let h = std::f32::consts::FRAC_1_SQRT_2;
        let q = ATTITUDE_QUATERNION_DATA {
            time_boot_ms: 1100,
            q1: h,
            q4: h,
            ..Default::default()
        };
        assert_eq!(s.on_attitude_quaternion(&q), Update::Applied);
        let yaw = s.timeline.attitude_at(1100.0).unwrap().yaw_rad();
        assert!((yaw.to_degrees() - 90.0).abs() < 1e-4, "{yaw}");
        let zero = ATTITUDE_QUATERNION_DATA {
            time_boot_ms: 1200,
            ..Default::default()
        };
        assert_eq!(s.on_attitude_quaternion(&zero), Update::Rejected);
        assert_eq!(s.status.attitudes, 2);
    }

    #[test]
    fn captures_merge_and_are_bounded() {
        let mut s = state();
        let fb = CAMERA_FEEDBACK_DATA {
            time_usec: 1_767_225_611_000_000,
            lat: 270_000_000,
            lng: 1_069_500_000,
            alt_msl: 1120.0,
            alt_rel: 20.0,
            yaw: 90.0,
            img_idx: 7,
            ..Default::default()
        };
        let e = s.on_camera_feedback(&fb, 1, 5).unwrap();
        assert_eq!(e.sources, vec![CaptureSource::CameraFeedback]);
        assert!((e.reported_q_ned_body.unwrap().yaw_rad().to_degrees() - 90.0).abs() < 1e-6);
        let ic = CAMERA_IMAGE_CAPTURED_DATA {
            time_boot_ms: 11_000,
            image_index: 7,
            q: [1.0, 0.0, 0.0, 0.0],
            file_url: "IMG_0007.JPG".into(),
            ..Default::default()
        };
        let e = s.on_image_captured(&ic, 100, 6).unwrap();
        assert_eq!(e.sources.len(), 2);
        assert_eq!(e.time_boot_ms, Some(11_000));
        assert_eq!(e.file_url.as_deref(), Some("IMG_0007.JPG"));
        assert!(e.reported_position.is_some(), "kept from CAMERA_FEEDBACK");
        assert_eq!(e.t_boot_ms(&s.clock).unwrap(), 11_000.0);
        for i in 8..12 {
            let fb = CAMERA_FEEDBACK_DATA {
                img_idx: i,
                ..fb.clone()
            };
            s.on_camera_feedback(&fb, 1, i as i64 * 10);
        }
        assert_eq!(s.capture_indices(), vec![9, 10, 11]);
        let neg = CAMERA_IMAGE_CAPTURED_DATA {
            image_index: -1,
            ..ic
        };
        assert!(s.on_image_captured(&neg, 100, 99).is_none());
    }
}
