//! The companion's link to the flight controller ("fc"): a long-running tokio task that
//! talks MAVLink to the autopilot as an onboard computer and keeps the vehicle's pose state.
//!
//! # What the task does
//!
//! - Opens [`FcConfig::address`] as component 191 (MAV_COMP_ID_ONBOARD_COMPUTER) of the
//!   vehicle's system, sends HEARTBEAT (MAV_TYPE_ONBOARD_CONTROLLER, MAV_AUTOPILOT_INVALID)
//!   every second, accepts MAVLink 1 and 2, signs when a key is configured.
//! - Finds the autopilot (a HEARTBEAT from the vehicle's system with an autopilot type, or
//!   from component 1) and asks it, one MAV_CMD_SET_MESSAGE_INTERVAL at a time with
//!   COMMAND_ACK and retries ([`intervals`]), for GLOBAL_POSITION_INT, ATTITUDE or
//!   ATTITUDE_QUATERNION, GPS_RAW_INT and SYSTEM_TIME. It asks again after a link loss, a
//!   reopened connection and a flight-controller reboot.
//! - Exchanges TIMESYNC when enabled (and answers the autopilot's own TIMESYNC requests).
//! - Feeds [`FcState`]: the [`PoseTimeline`](qly_core::pose::PoseTimeline), the
//!   [`BootClock`](qly_core::pose::BootClock), GPS accuracy, the gimbal mount, capture
//!   events from CAMERA_FEEDBACK and CAMERA_IMAGE_CAPTURED.
//! - Logs (through `tracing`, rate-limited) unknown message ids and undecodable frames
//!   (enum values out of range), link loss and recovery; reopens closed links (TCP server
//!   gone, serial port unplugged) and lost `tcp:` links with exponential backoff.
//! - Sends queued STATUSTEXT reports at the configured rate ([`FcHandle::report_candidate`]).
//! - Ends when the [`CancellationToken`] given to [`FcLink::spawn`] is cancelled.
//!
//! # Reading the state without blocking the link
//!
//! The state lives in an `Arc<Mutex<FcState>>` inside [`FcHandle`] (cheap to clone). The
//! link task holds the lock only to apply one message (microseconds, never across an
//! `.await`), and every [`FcHandle`] query copies what it needs out under the lock, so a
//! slow consumer can never stall telemetry and the link never makes a query wait for I/O.
//! New capture events are also broadcast ([`FcHandle::subscribe_captures`]).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use companion::fc::{FcConfig, FcLink};
//! use tokio_util::sync::CancellationToken;
//! let config: FcConfig = toml::from_str(r#"address = "tcp:127.0.0.1:5760""#)?;
//! let shutdown = CancellationToken::new();
//! let link = FcLink::spawn(config, shutdown.clone())?;
//! let fc = link.handle();
//! let mut captures = fc.subscribe_captures();
//! while let Ok(event) = captures.recv().await {
//!     match fc.pose_at_capture(event.image_index) {
//!         Ok(p) => println!("image {}: {:?}", event.image_index, p.pose.position),
//!         Err(e) => eprintln!("image {}: {e}", event.image_index),
//!     }
//!     fc.report_candidate("outfall", 0.87, 27.054712, 106.952713);
//! }
//! shutdown.cancel();
//! let status = link.join().await?;
//! println!("{} frames", status.rx.accepted);
//! # Ok(())
//! # }
//! ```

pub mod clock;
pub mod config;
pub mod intervals;
pub mod report;
mod run;
pub mod state;

pub use clock::companion_now_ns;
pub use config::{AttitudeMessage, FcConfig, FcSigning, ReportConfig};
pub use intervals::{IntervalOutcome, IntervalStatus};
pub use report::Queued;
pub use state::{
    CaptureEvent, CaptureSource, FcState, GimbalStatus, GpsStatus, LinkStatus, PlacedCapture,
    Placing,
};

use qly_core::geotag::CameraMount;
use qly_core::pose::{PoseError, PoseSample};
use report::ReportQueue;
use std::sync::{Arc, Mutex, MutexGuard};
use thiserror::Error;
use tokio::sync::broadcast;
use tokio::task::JoinHandle;
pub use tokio_util::sync::CancellationToken;

/// MAVLink message ids this module requests.
pub mod ids {
    pub const SYSTEM_TIME: u32 = 2;
    pub const GPS_RAW_INT: u32 = 24;
    pub const ATTITUDE: u32 = 30;
    pub const ATTITUDE_QUATERNION: u32 = 31;
    pub const GLOBAL_POSITION_INT: u32 = 33;
}

/// MAV_COMP_ID_ONBOARD_COMPUTER.
pub const ONBOARD_COMPUTER_COMPONENT: u8 = 191;

/// Why the link could not start or ended badly.
#[derive(Debug, Error)]
pub enum FcError {
    #[error("flight_controller.{field} = {value}: expected {expected}")]
    Config {
        field: &'static str,
        value: String,
        expected: &'static str,
    },
    #[error("flight_controller.{field}: {source}")]
    State {
        field: &'static str,
        #[source]
        source: PoseError,
    },
    #[error("the flight-controller link task failed: {0}")]
    Task(String),
}

/// Why a pose could not be given for a capture.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum CaptureQueryError {
    #[error("no capture event with image index {image_index} (not reported yet, or forgotten)")]
    NoCapture { image_index: u32 },
    #[error("image {image_index}: {source}")]
    Pose {
        image_index: u32,
        #[source]
        source: PoseError,
    },
}

/// Which clock alignment [`FcHandle::companion_ns_to_boot_ms`] used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockSource {
    /// TIMESYNC round trips with the autopilot (sub-millisecond on a wired link).
    Timesync,
    /// The companion's UTC clock and the autopilot's SYSTEM_TIME (as good as both clocks'
    /// UTC, typically a few ms with GPS time on both).
    SystemTime,
}

/// A flight-controller boot time and how it was obtained.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BootTime {
    pub t_boot_ms: f64,
    pub source: ClockSource,
}

/// The pose at a capture, ready for geotagging.
#[derive(Debug, Clone, PartialEq)]
pub struct CapturePose {
    pub capture: CaptureEvent,
    /// Capture time on the flight controller's boot clock.
    pub t_boot_ms: f64,
    /// Capture time, Unix microseconds (when SYSTEM_TIME has given a UTC offset).
    pub utc_us: Option<i64>,
    /// Interpolated from the timeline (position and attitude streams).
    pub pose: PoseSample,
    /// `true` when both streams have samples after the capture time, so the pose is
    /// interpolated; `false` means the latest sample was held (ask again a moment later for
    /// a better answer).
    pub interpolated: bool,
    /// The gimbal's mount from GIMBAL_DEVICE_ATTITUDE_STATUS when fresh; `None` means use
    /// the fixed mount from the service's config.
    pub mount: Option<CameraMount>,
}

pub(crate) struct Shared {
    state: Mutex<FcState>,
    reports: Mutex<ReportQueue>,
    report_prefix: String,
    captures: broadcast::Sender<CaptureEvent>,
    gimbal_stale_ns: i64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock leaves plain data behind; keep serving it.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Read access to the flight-controller state and the report queue; cheap to clone, never
/// waits on the link.
#[derive(Clone)]
pub struct FcHandle {
    shared: Arc<Shared>,
}

impl FcHandle {
    /// A handle over a fresh state (what [`FcLink::spawn`] builds; also for tests of
    /// consumers that feed the state themselves through [`FcHandle::update`]).
    pub fn new(config: &FcConfig) -> Result<FcHandle, FcError> {
        config.validate()?;
        // Start the companion clock now, so TIMESYNC stamps are never 0.
        companion_now_ns();
        let mut state = FcState::new(
            config.max_gap_ms,
            config.timeline_capacity,
            config.clock_window,
            (config.timesync_max_rtt_ms * 1e6).round() as i64,
            config.capture_capacity,
        )
        .map_err(|source| FcError::State {
            field: "timeline",
            source,
        })?;
        state.set_gimbal_stale_ns((config.gimbal_stale_after_s * 1e9) as i64);
        let (captures, _) = broadcast::channel(256);
        Ok(FcHandle {
            shared: Arc::new(Shared {
                state: Mutex::new(state),
                reports: Mutex::new(ReportQueue::new(
                    config.reports.queue_len,
                    config.reports.max_per_s,
                )),
                report_prefix: config.reports.prefix.clone(),
                captures,
                gimbal_stale_ns: (config.gimbal_stale_after_s * 1e9) as i64,
            }),
        })
    }

    /// Runs `f` on the state under the lock (keep it short: the link waits meanwhile).
    pub fn with_state<R>(&self, f: impl FnOnce(&FcState) -> R) -> R {
        f(&lock(&self.shared.state))
    }

    /// Changes the state under the lock (the link task's way in; tests).
    pub fn update<R>(&self, f: impl FnOnce(&mut FcState) -> R) -> R {
        f(&mut lock(&self.shared.state))
    }

    /// Counters and link state.
    pub fn status(&self) -> LinkStatus {
        self.with_state(|s| s.status.clone())
    }

    /// The pose at flight-controller boot time `t_boot_ms`.
    pub fn pose_at_boot_ms(&self, t_boot_ms: f64) -> Result<PoseSample, PoseError> {
        self.with_state(|s| s.pose_at_boot_ms(t_boot_ms))
    }

    /// Places the captures that telemetry has passed (the link task does this every 50 ms).
    pub fn place_captures(&self) {
        let now = companion_now_ns();
        self.update(|s| s.place_captures(Placing::WhenPassed, now));
    }

    /// Decides every capture still waiting, with a held pose when there is one (the service
    /// is stopping: no more telemetry will be read).
    pub fn place_all_captures(&self) {
        let now = companion_now_ns();
        self.update(|s| s.place_captures(Placing::Now, now));
    }

    /// The captures placed since the last call, oldest first: each capture event once, with
    /// the vehicle's pose at its time or why there is none.
    pub fn take_placed(&self) -> Vec<PlacedCapture> {
        self.update(|s| s.take_placed())
    }

    /// A capture event by image index.
    pub fn capture(&self, image_index: u32) -> Option<CaptureEvent> {
        self.with_state(|s| s.capture(image_index).cloned())
    }

    /// The pose at the capture of image `image_index`, interpolated from the timeline at
    /// the capture's boot time (its `time_boot_ms`, else its UTC time through SYSTEM_TIME).
    pub fn pose_at_capture(&self, image_index: u32) -> Result<CapturePose, CaptureQueryError> {
        let now = companion_now_ns();
        self.with_state(|s| {
            let capture = s
                .capture(image_index)
                .cloned()
                .ok_or(CaptureQueryError::NoCapture { image_index })?;
            let err = |source| CaptureQueryError::Pose {
                image_index,
                source,
            };
            let t = capture.t_boot_ms(&s.clock).map_err(err)?;
            let pose = s.timeline.at(t).map_err(err)?;
            Ok(CapturePose {
                t_boot_ms: t,
                utc_us: s.clock.boot_ms_to_utc_us(t).ok(),
                pose,
                interpolated: s.timeline.covered_until_ms().is_some_and(|c| c >= t),
                mount: self.fresh_mount(s, now),
                capture,
            })
        })
    }

    fn fresh_mount(&self, s: &FcState, now_ns: i64) -> Option<CameraMount> {
        s.gimbal
            .filter(|g| now_ns - g.received_companion_ns <= self.shared.gimbal_stale_ns)
            .map(|g| g.mount)
    }

    /// The gimbal mount if a GIMBAL_DEVICE_ATTITUDE_STATUS arrived within
    /// `gimbal_stale_after_s`; `None`: use the fixed mount from the config.
    pub fn gimbal_mount(&self) -> Option<CameraMount> {
        let now = companion_now_ns();
        self.with_state(|s| self.fresh_mount(s, now))
    }

    /// The latest GPS_RAW_INT summary.
    pub fn gps(&self) -> Option<GpsStatus> {
        self.with_state(|s| s.gps)
    }

    /// Flight-controller boot time -> UTC (Unix µs), from SYSTEM_TIME.
    pub fn boot_ms_to_utc_us(&self, t_boot_ms: f64) -> Result<i64, PoseError> {
        self.with_state(|s| s.clock.boot_ms_to_utc_us(t_boot_ms))
    }

    /// Companion time ([`companion_now_ns`]'s clock, e.g. a frame's capture stamp) ->
    /// flight-controller boot time: by TIMESYNC when the autopilot answers it, else through
    /// the companion's UTC clock and SYSTEM_TIME.
    pub fn companion_ns_to_boot_ms(&self, companion_ns: i64) -> Result<BootTime, PoseError> {
        let utc_minus_companion_us = clock::utc_now_us() - companion_now_ns() / 1000;
        self.with_state(|s| match s.clock.companion_ns_to_boot_ms(companion_ns) {
            Ok(t) => Ok(BootTime {
                t_boot_ms: t,
                source: ClockSource::Timesync,
            }),
            Err(PoseError::NoTimesync) => s
                .clock
                .utc_us_to_boot_ms(companion_ns / 1000 + utc_minus_companion_us)
                .map(|t| BootTime {
                    t_boot_ms: t,
                    source: ClockSource::SystemTime,
                }),
            Err(e) => Err(e),
        })
    }

    /// New capture events as they arrive (a lagging receiver skips the oldest; the events
    /// stay queryable by index).
    pub fn subscribe_captures(&self) -> broadcast::Receiver<CaptureEvent> {
        self.shared.captures.subscribe()
    }

    pub(crate) fn publish_capture(&self, e: CaptureEvent) {
        // No subscriber is fine.
        let _ = self.shared.captures.send(e);
    }

    /// Queues a STATUSTEXT `PREFIX class confidence lat,lon` (WGS-84, 6 decimals, NOTICE)
    /// for the ground station. Never blocks: when the queue is full the oldest waiting
    /// report is dropped and counted. Reports go out at `reports.max_per_s` while the
    /// autopilot's heartbeat is heard (a GCS on the same link or behind the autopilot's
    /// forwarding sees them; STATUSTEXT has no target, so every receiver gets it).
    pub fn report_candidate(
        &self,
        class: &str,
        confidence: f32,
        lat_deg: f64,
        lon_deg: f64,
    ) -> Queued {
        let Some(text) = report::format_report(
            &self.shared.report_prefix,
            class,
            confidence,
            lat_deg,
            lon_deg,
        ) else {
            tracing::warn!(
                class,
                lat_deg,
                lon_deg,
                "report not sent: not a WGS-84 position"
            );
            return Queued::Invalid;
        };
        let (outcome, dropped) = {
            let mut q = lock(&self.shared.reports);
            let o = q.push(text);
            (o, q.dropped)
        };
        if outcome == Queued::DroppedOldest {
            self.update(|s| s.status.reports_dropped = dropped);
        }
        outcome
    }

    /// The next report the rate allows at `now` (monotonic).
    pub(crate) fn next_report(&self, now: std::time::Duration) -> Option<String> {
        let (text, sent) = {
            let mut q = lock(&self.shared.reports);
            (q.pop_due(now), q.sent)
        };
        if text.is_some() {
            self.update(|s| s.status.reports_sent = sent);
        }
        text
    }
}

/// The running link: its task and a handle on its state.
pub struct FcLink {
    handle: FcHandle,
    task: JoinHandle<()>,
}

impl FcLink {
    /// Validates `config` and starts the link task on the current tokio runtime. It runs
    /// until `shutdown` is cancelled.
    pub fn spawn(config: FcConfig, shutdown: CancellationToken) -> Result<FcLink, FcError> {
        FcLink::spawn_resuming(config, shutdown, 0, None)
    }

    /// [`FcLink::spawn`] for a flight already under way: capture events belong to autopilot
    /// boot `boot` until a reboot is seen, and `last_t_boot_ms` (the last journaled capture's
    /// boot time) lets a reboot during the companion's absence be seen ([`FcState::resume_boot`]).
    pub fn spawn_resuming(
        config: FcConfig,
        shutdown: CancellationToken,
        boot: u32,
        last_t_boot_ms: Option<f64>,
    ) -> Result<FcLink, FcError> {
        let handle = FcHandle::new(&config)?;
        handle.update(|s| s.resume_boot(boot, last_t_boot_ms));
        let address = config.address.clone();
        let signing = config.signing_config()?;
        let task = tokio::spawn(run::supervise(
            config,
            address,
            signing,
            handle.clone(),
            shutdown,
        ));
        Ok(FcLink { handle, task })
    }

    pub fn handle(&self) -> FcHandle {
        self.handle.clone()
    }

    /// Waits for the task to end (after the shutdown token is cancelled) and returns the
    /// final counters.
    pub async fn join(self) -> Result<LinkStatus, FcError> {
        self.task.await.map_err(|e| FcError::Task(e.to_string()))?;
        Ok(self.handle.status())
    }

    /// Whether the task has ended.
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }
}
