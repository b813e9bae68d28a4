//! The flight-controller link the service runs: one tokio task that owns the MAVLink
//! connection, announces the companion with a HEARTBEAT, asks for the telemetry the pose
//! timeline needs, feeds position, attitude, clock and capture events into shared state, and
//! sends queued STATUSTEXT reports at a limited rate.
//!
//! The shared state is read by the frames task through [`FlightController`]; nothing waits on
//! the link. A lost link only means frames wait for their capture events (and are skipped when
//! those never come); it never stops the service.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use qly_core::geotag::CameraMount;
use qly_core::pose::{AmslPosition, BootClock, PoseError, PoseSample, PoseTimeline};
use qly_core::protocol::Ids;
use qly_core::rotation::Quat;
use qly_link::dialect::{
    MavAutopilot, MavCmd, MavMessage, MavModeFlag, MavSeverity, MavState, MavType,
    COMMAND_LONG_DATA, HEARTBEAT_DATA, STATUSTEXT_DATA,
};
use qly_link::{Address, Connection, ConnectionConfig};
use serde::Deserialize;
use tokio::sync::watch;

use super::flight::{Capture, FlightController, Lookup};

/// `[flight_controller]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FcConfig {
    /// `udpin:HOST:PORT`, `udpout:HOST:PORT`, `tcp:HOST:PORT`, `tcpin:HOST:PORT` or
    /// `serial:PATH:BAUD`.
    pub address: String,
    /// The vehicle's system id; the companion uses the same one.
    pub system_id: u8,
    /// Our component id (191: MAV_COMP_ID_ONBOARD_COMPUTER).
    pub component_id: u8,
    /// HEARTBEAT period, seconds.
    pub heartbeat_period_s: f64,
    /// GLOBAL_POSITION_INT rate asked for, Hz (0: leave the autopilot's rate).
    pub position_hz: f64,
    /// ATTITUDE rate asked for, Hz (0: leave the autopilot's rate).
    pub attitude_hz: f64,
    /// A pose further than this from the nearest telemetry sample is refused, milliseconds.
    pub max_gap_ms: f64,
    /// Samples kept per series (position, attitude).
    pub timeline_capacity: usize,
    /// Capture events kept (oldest forgotten first).
    pub capture_capacity: usize,
    /// `[flight_controller.reports]`.
    pub reports: ReportConfig,
}

/// `[flight_controller.reports]`: STATUSTEXT reports to the ground.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReportConfig {
    /// Most reports per second (a 57600 baud radio shares a few kB/s with all telemetry).
    pub max_per_s: f64,
    /// Reports waiting; when full the oldest is dropped so a burst never blocks the service.
    pub queue_len: usize,
    /// First word of every report, so ground stations can filter ours.
    pub prefix: String,
}

impl Default for ReportConfig {
    fn default() -> Self {
        ReportConfig {
            max_per_s: 1.0,
            queue_len: 8,
            prefix: "QLY".into(),
        }
    }
}

impl Default for FcConfig {
    fn default() -> Self {
        FcConfig {
            address: "udpin:0.0.0.0:14550".into(),
            system_id: 1,
            component_id: 191,
            heartbeat_period_s: 1.0,
            position_hz: 10.0,
            attitude_hz: 20.0,
            max_gap_ms: 500.0,
            timeline_capacity: 6000,
            capture_capacity: 4096,
            reports: ReportConfig::default(),
        }
    }
}

impl FcConfig {
    /// Checks ranges and the address; the message says which key.
    pub fn validate(&self) -> Result<(), String> {
        self.address
            .parse::<Address>()
            .map_err(|e| format!("`address` {:?}: {e}", self.address))?;
        for (key, v, positive) in [
            ("heartbeat_period_s", self.heartbeat_period_s, true),
            ("position_hz", self.position_hz, false),
            ("attitude_hz", self.attitude_hz, false),
            ("max_gap_ms", self.max_gap_ms, false),
            ("reports.max_per_s", self.reports.max_per_s, true),
        ] {
            if !(v.is_finite() && (v > 0.0 || (!positive && v == 0.0))) {
                let want = if positive { "> 0" } else { ">= 0" };
                return Err(format!("`{key}` = {v}: expected a finite number {want}"));
            }
        }
        if self.timeline_capacity < 2 {
            return Err("`timeline_capacity`: expected at least 2".into());
        }
        if self.capture_capacity == 0 || self.reports.queue_len == 0 {
            return Err("`capture_capacity` and `reports.queue_len`: expected at least 1".into());
        }
        Ok(())
    }
}

/// A capture event as received: CAMERA_FEEDBACK carries UTC only; boot time follows from
/// SYSTEM_TIME.
#[derive(Debug, Clone, Copy)]
struct CaptureTime {
    t_utc_us: i64,
}

/// What the link has learnt.
#[derive(Debug)]
struct State {
    timeline: PoseTimeline,
    clock: BootClock,
    captures: BTreeMap<u64, CaptureTime>,
    capture_capacity: usize,
    takeoff_amsl_m: Option<f64>,
    gps_h_acc_m: Option<f64>,
    reports: VecDeque<String>,
    report_capacity: usize,
    reports_dropped: u64,
}

/// The shared side of the link: what the frames task reads.
#[derive(Debug, Clone)]
pub struct FcHandle {
    state: Arc<Mutex<State>>,
}

impl FcHandle {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A poisoned lock only means a reader panicked; the state is plain data.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// STATUSTEXT reports waiting to be sent.
    pub fn pending_reports(&self) -> usize {
        self.lock().reports.len()
    }

    /// STATUSTEXT reports dropped because the queue was full.
    pub fn reports_dropped(&self) -> u64 {
        self.lock().reports_dropped
    }
}

impl FlightController for FcHandle {
    fn capture(&self, image_index: u64) -> Lookup<Capture> {
        let s = self.lock();
        let Some(c) = s.captures.get(&image_index) else {
            return Lookup::Wait(format!("no capture event for image index {image_index}"));
        };
        match s.clock.utc_us_to_boot_ms(c.t_utc_us) {
            Ok(t_boot_ms) => Lookup::Ready(Capture {
                image_index,
                t_boot_ms,
                t_utc_us: c.t_utc_us,
            }),
            Err(e) => Lookup::Wait(format!("capture of image {image_index}: {e}")),
        }
    }

    fn pose(&self, t_boot_ms: f64) -> Lookup<(PoseSample, Option<CameraMount>)> {
        let s = self.lock();
        let covered = s.timeline.covered_until_ms();
        match s.timeline.at(t_boot_ms) {
            Ok(p) if covered.is_some_and(|c| c >= t_boot_ms) => Lookup::Ready((p, None)),
            Ok(_) => Lookup::Wait(format!(
                "telemetry has not reached t_boot_ms = {t_boot_ms:.0} yet"
            )),
            Err(PoseError::Empty { series }) => Lookup::Wait(format!("no {series} samples yet")),
            Err(e @ PoseError::Gap { .. }) if covered.is_none_or(|c| c < t_boot_ms) => {
                Lookup::Wait(e.to_string())
            }
            Err(e) => Lookup::Fail(e.to_string()),
        }
    }

    fn takeoff_amsl_m(&self) -> Option<f64> {
        self.lock().takeoff_amsl_m
    }

    fn gps_h_acc_m(&self) -> Option<f64> {
        self.lock().gps_h_acc_m
    }

    fn report(&self, text: String) {
        let mut s = self.lock();
        if s.reports.len() >= s.report_capacity {
            s.reports.pop_front();
            s.reports_dropped += 1;
        }
        s.reports.push_back(text);
    }
}

/// Why the link could not start (a config fault).
#[derive(Debug, thiserror::Error)]
pub enum LinkStartError {
    #[error("flight_controller.address {address:?}: {reason}")]
    Address { address: String, reason: String },
    #[error("flight controller state: {0}")]
    State(#[from] PoseError),
}

/// Opens the link and runs it until `stop` turns true. Returns the handle at once; the task
/// ends by itself on `stop`.
pub async fn spawn(
    config: &FcConfig,
    mut stop: watch::Receiver<bool>,
) -> Result<(FcHandle, tokio::task::JoinHandle<()>), LinkStartError> {
    let address: Address = config
        .address
        .parse()
        .map_err(|e: qly_link::AddressError| LinkStartError::Address {
            address: config.address.clone(),
            reason: e.to_string(),
        })?;
    let state = State {
        timeline: PoseTimeline::new(config.max_gap_ms, config.timeline_capacity)?,
        clock: BootClock::new(16, 50_000_000)?,
        captures: BTreeMap::new(),
        capture_capacity: config.capture_capacity,
        takeoff_amsl_m: None,
        gps_h_acc_m: None,
        reports: VecDeque::new(),
        report_capacity: config.reports.queue_len,
        reports_dropped: 0,
    };
    let handle = FcHandle {
        state: Arc::new(Mutex::new(state)),
    };
    let own = Ids::new(config.system_id, config.component_id);
    let conn = Connection::open(&address, ConnectionConfig::new(own))
        .await
        .map_err(|e| LinkStartError::Address {
            address: config.address.clone(),
            reason: e.to_string(),
        })?;
    tracing::info!(address = %config.address, "flight-controller link open");
    let task_handle = handle.clone();
    let config = config.clone();
    let task = tokio::spawn(async move {
        let mut conn = conn;
        let heartbeat = MavMessage::HEARTBEAT(HEARTBEAT_DATA {
            custom_mode: 0,
            mavtype: MavType::MAV_TYPE_ONBOARD_CONTROLLER,
            autopilot: MavAutopilot::MAV_AUTOPILOT_INVALID,
            base_mode: MavModeFlag::empty(),
            system_status: MavState::MAV_STATE_ACTIVE,
            mavlink_version: 3,
        });
        let mut beat = tokio::time::interval(Duration::from_secs_f64(config.heartbeat_period_s));
        let mut send_report =
            tokio::time::interval(Duration::from_secs_f64(1.0 / config.reports.max_per_s));
        let mut intervals_asked = false;
        loop {
            tokio::select! {
                _ = stop.changed() => break,
                _ = beat.tick() => {
                    let _ = conn.send(&heartbeat);
                }
                _ = send_report.tick() => {
                    let text = task_handle.lock().reports.pop_front();
                    if let Some(text) = text {
                        if let Err(e) = conn.send(&status_text(&text)) {
                            tracing::warn!("STATUSTEXT not sent: {e}");
                        }
                    }
                }
                rx = conn.recv() => {
                    let Some(rx) = rx else {
                        tracing::warn!("flight-controller link closed");
                        break;
                    };
                    if rx.header.system_id != u32::from(config.system_id) || rx.header.component_id != 1 {
                        continue;
                    }
                    if !intervals_asked {
                        intervals_asked = true;
                        for (id, hz) in [(33u32, config.position_hz), (30, config.attitude_hz)] {
                            if hz > 0.0 {
                                let _ = conn.send(&set_interval(config.system_id, id, hz));
                            }
                        }
                    }
                    task_handle.lock().on_message(&rx.message);
                }
            }
        }
        tracing::info!("flight-controller link stopped");
    });
    Ok((handle, task))
}

fn set_interval(target_system: u8, message_id: u32, hz: f64) -> MavMessage {
    MavMessage::COMMAND_LONG(COMMAND_LONG_DATA {
        target_system,
        target_component: 1,
        command: MavCmd::MAV_CMD_SET_MESSAGE_INTERVAL,
        confirmation: 0,
        param1: message_id as f32,
        param2: (1e6 / hz) as f32,
        ..COMMAND_LONG_DATA::default()
    })
}

/// STATUSTEXT (NOTICE) with `text` cut to the 50 bytes the message holds, at a char boundary.
pub fn status_text(text: &str) -> MavMessage {
    let mut bytes = [0u8; 50];
    let mut n = 0;
    for ch in text.chars() {
        let len = ch.len_utf8();
        if n + len > 50 {
            break;
        }
        ch.encode_utf8(&mut bytes[n..n + len]);
        n += len;
    }
    MavMessage::STATUSTEXT(STATUSTEXT_DATA {
        severity: MavSeverity::MAV_SEVERITY_NOTICE,
        text: bytes.into(),
        id: 0,
        chunk_seq: 0,
    })
}

impl State {
    fn on_message(&mut self, message: &MavMessage) {
        let r = match message {
            MavMessage::GLOBAL_POSITION_INT(m) => {
                if m.lat == 0 && m.lon == 0 {
                    return;
                }
                AmslPosition::from_global_position_int(m.lat, m.lon, m.alt).and_then(|p| {
                    if self.takeoff_amsl_m.is_none() {
                        self.takeoff_amsl_m = Some(p.alt_amsl_m - m.relative_alt as f64 * 1e-3);
                    }
                    self.timeline.push_position(m.time_boot_ms as f64, p)
                })
            }
            MavMessage::ATTITUDE(m) => self.timeline.push_attitude(
                m.time_boot_ms as f64,
                Quat::from_euler_rad(m.roll as f64, m.pitch as f64, m.yaw as f64),
            ),
            MavMessage::SYSTEM_TIME(m) => self
                .clock
                .push_system_time(m.time_unix_usec, m.time_boot_ms)
                .map(|_| ()),
            MavMessage::GPS_RAW_INT(m) => {
                self.gps_h_acc_m = (m.h_acc > 0).then_some(m.h_acc as f64 * 1e-3);
                Ok(())
            }
            MavMessage::CAMERA_FEEDBACK(m) => {
                let Ok(t_utc_us) = i64::try_from(m.time_usec) else {
                    return;
                };
                self.captures
                    .insert(m.img_idx as u64, CaptureTime { t_utc_us });
                while self.captures.len() > self.capture_capacity {
                    self.captures.pop_first();
                }
                tracing::debug!(image_index = m.img_idx, "capture event");
                Ok(())
            }
            _ => Ok(()),
        };
        if let Err(e) = r {
            tracing::debug!("telemetry value refused: {e}");
        }
    }
}
