//! The link task: opens the connection (again, with backoff, when it closes), and runs one
//! session per connection: heartbeat, interval requests, TIMESYNC, message intake, link-loss
//! watch, reports, and rate-limited logs of what could not be decoded.

use super::clock::companion_now_ns;
use super::intervals::{Finished, IntervalOutcome, IntervalRequester};
use super::state::Update;
use super::{AttitudeMessage, FcConfig, FcHandle};
use mavlink::MavlinkVersion;
use qly_core::protocol::Ids;
use qly_link::dialect::{
    MavAutopilot, MavMessage, MavModeFlag, MavSeverity, MavState, MavType, HEARTBEAT_DATA,
    STATUSTEXT_DATA, TIMESYNC_DATA,
};
use qly_link::frame::RxCounts;
use qly_link::{Address, Connection, ConnectionConfig, LinkSender, Received, SigningConfig};
use std::collections::{HashSet, VecDeque};
use std::time::Duration;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

/// How often the session does its housekeeping (retries, loss watch, reports, logs).
const HOUSEKEEPING: Duration = Duration::from_millis(50);
/// TIMESYNC requests remembered for matching replies.
const TIMESYNC_OUTSTANDING: usize = 8;
/// No position or attitude for this long while the autopilot's heartbeat goes on (and the
/// last interval round is over) means the streams stopped: a rebooted ArduPilot forgets the
/// intervals it was asked for. They are asked for again, at most this often.
const STREAMS_SILENT: Duration = Duration::from_secs(3);

/// How a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SessionEnd {
    Shutdown,
    /// The connection closed (TCP server gone, serial error).
    Closed,
    /// No heartbeat on a `tcp:` link: reopen it.
    Lost,
}

/// Least time between two lines about slow TIMESYNC replies.
const SLOW_TIMESYNC_LOG_EVERY: Duration = Duration::from_secs(60);

/// Logs at most once per `every`, saying how many were held back.
struct LogGate {
    every: Duration,
    last: Option<Instant>,
}

impl LogGate {
    fn new(every: Duration) -> Self {
        LogGate { every, last: None }
    }

    fn open(&mut self, now: Instant) -> bool {
        if self.last.is_some_and(|t| now < t + self.every) {
            return false;
        }
        self.last = Some(now);
        true
    }
}

fn heartbeat() -> HEARTBEAT_DATA {
    HEARTBEAT_DATA {
        custom_mode: 0,
        mavtype: MavType::MAV_TYPE_ONBOARD_CONTROLLER,
        autopilot: MavAutopilot::MAV_AUTOPILOT_INVALID,
        base_mode: MavModeFlag::empty(),
        system_status: MavState::MAV_STATE_ACTIVE,
        mavlink_version: 3,
    }
}

fn add_counts(a: RxCounts, b: RxCounts) -> RxCounts {
    a + b
}

/// Opens the link and keeps it open until `shutdown`.
pub(super) async fn supervise(
    cfg: FcConfig,
    address: Address,
    signing: Option<SigningConfig>,
    fc: FcHandle,
    shutdown: CancellationToken,
) {
    let own = Ids::new(cfg.system_id, cfg.component_id);
    let mut link_cfg = ConnectionConfig::new(own);
    link_cfg.accept_mavlink1 = cfg.accept_mavlink1;
    link_cfg.signing = signing;
    let initial = Duration::from_secs_f64(cfg.reconnect_initial_s);
    let max = Duration::from_secs_f64(cfg.reconnect_max_s);
    let mut backoff = initial;
    // Counts of connections already closed (each connection counts from zero).
    let mut rx_before = RxCounts::default();
    let mut open_log = LogGate::new(Duration::from_secs_f64(cfg.log_every_s));
    loop {
        let opened = tokio::select! {
            _ = shutdown.cancelled() => break,
            r = Connection::open(&address, link_cfg.clone()) => r,
        };
        let wait = match opened {
            Err(e) => {
                fc.update(|s| s.status.open_failures += 1);
                if open_log.open(Instant::now()) {
                    warn!(%address, error = %e, retry_in_s = backoff.as_secs_f64(), "cannot open the flight-controller link");
                }
                let w = backoff;
                backoff = (backoff * 2).min(max);
                w
            }
            Ok(conn) => {
                fc.update(|s| s.status.connections_opened += 1);
                info!(%address, local = ?conn.local_addr(), "flight-controller link open");
                let mut session = Session::new(&cfg, &address, fc.clone(), rx_before);
                let end = session.run(conn, &shutdown).await;
                rx_before = session.rx_total();
                fc.update(|s| s.status.link_up = false);
                match end {
                    SessionEnd::Shutdown => break,
                    SessionEnd::Closed | SessionEnd::Lost => {
                        if session.saw_autopilot {
                            backoff = initial;
                        }
                        warn!(%address, reason = ?end, retry_in_s = backoff.as_secs_f64(), "flight-controller link closed; reopening");
                        let w = backoff;
                        backoff = (backoff * 2).min(max);
                        w
                    }
                }
            }
        };
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep(wait) => {}
        }
    }
    info!(%address, "flight-controller link stopped");
}

struct Session<'a> {
    cfg: &'a FcConfig,
    address: &'a Address,
    fc: FcHandle,
    own: Ids,
    autopilot: Option<Ids>,
    saw_autopilot: bool,
    last_heartbeat: Option<Instant>,
    requester: IntervalRequester,
    timesync_sent: VecDeque<i64>,
    start: Instant,
    rx_before: RxCounts,
    rx_this: RxCounts,
    unknown_gate: LogGate,
    undecodable_gate: LogGate,
    rejected_gate: LogGate,
    foreign_gate: LogGate,
    /// At most one line a minute about slow TIMESYNC replies.
    slow_timesync_gate: LogGate,
    /// Slow TIMESYNC replies since the last such line.
    slow_timesync_unlogged: u64,
    logged_unknown: RxCounts,
    unhandled_seen: HashSet<u32>,
    /// The last position or attitude from the autopilot, or the last interval round's start.
    last_stream: Instant,
    /// A position or attitude came since the last interval round began (only streams that
    /// ran and stopped are asked for again).
    streamed_this_round: bool,
}

impl<'a> Session<'a> {
    fn new(cfg: &'a FcConfig, address: &'a Address, fc: FcHandle, rx_before: RxCounts) -> Self {
        let every = Duration::from_secs_f64(cfg.log_every_s);
        Session {
            cfg,
            address,
            fc,
            own: Ids::new(cfg.system_id, cfg.component_id),
            autopilot: None,
            saw_autopilot: false,
            last_heartbeat: None,
            requester: IntervalRequester::new(
                &cfg.interval_requests(),
                Duration::from_secs_f64(cfg.command_timeout_s),
                cfg.command_attempts,
            ),
            timesync_sent: VecDeque::with_capacity(TIMESYNC_OUTSTANDING),
            start: Instant::now(),
            rx_before,
            rx_this: RxCounts::default(),
            unknown_gate: LogGate::new(every),
            undecodable_gate: LogGate::new(every),
            rejected_gate: LogGate::new(every),
            foreign_gate: LogGate::new(every),
            slow_timesync_gate: LogGate::new(SLOW_TIMESYNC_LOG_EVERY.max(every)),
            slow_timesync_unlogged: 0,
            logged_unknown: RxCounts::default(),
            unhandled_seen: HashSet::new(),
            last_stream: Instant::now(),
            streamed_this_round: false,
        }
    }

    fn rx_total(&self) -> RxCounts {
        add_counts(self.rx_before, self.rx_this)
    }

    async fn run(&mut self, mut conn: Connection, shutdown: &CancellationToken) -> SessionEnd {
        let tx = conn.sender();
        let mut hb = tokio::time::interval(Duration::from_secs_f64(self.cfg.heartbeat_period_s));
        hb.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut house = tokio::time::interval(HOUSEKEEPING);
        house.set_missed_tick_behavior(MissedTickBehavior::Skip);
        let mut ts = tokio::time::interval(Duration::from_secs_f64(self.cfg.timesync_period_s));
        ts.set_missed_tick_behavior(MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                biased;
                _ = shutdown.cancelled() => {
                    self.sync_rx(&conn);
                    return SessionEnd::Shutdown;
                }
                _ = hb.tick() => {
                    // A closed link shows up on recv; nothing to do here on error.
                    let _ = tx.send(&MavMessage::HEARTBEAT(heartbeat()));
                }
                _ = house.tick() => {
                    self.sync_rx(&conn);
                    if let Some(end) = self.housekeeping(&tx) {
                        return end;
                    }
                }
                _ = ts.tick(), if self.cfg.timesync && self.link_up() => {
                    self.send_timesync(&tx);
                }
                rx = conn.recv() => match rx {
                    Some(rx) => self.on_frame(rx, &tx),
                    None => {
                        self.sync_rx(&conn);
                        return SessionEnd::Closed;
                    }
                },
            }
        }
    }

    fn link_up(&self) -> bool {
        self.autopilot.is_some() && self.fc.with_state(|s| s.status.link_up)
    }

    fn now_mono(&self) -> Duration {
        self.start.elapsed()
    }

    /// Pulls the link's counters into the status and logs new unknowns, rate-limited.
    fn sync_rx(&mut self, conn: &Connection) {
        self.rx_this = conn.stats().rx;
        let total = self.rx_total();
        self.fc.update(|s| s.status.rx = total);
        let now = Instant::now();
        let new_unknown = total.unknown_message - self.logged_unknown.unknown_message;
        if new_unknown > 0 && self.unknown_gate.open(now) {
            warn!(
                new = new_unknown,
                total = total.unknown_message,
                "frames with message ids this dialect does not know (ignored)"
            );
            self.logged_unknown.unknown_message = total.unknown_message;
        }
        let new_undecodable = total.undecodable - self.logged_unknown.undecodable;
        if new_undecodable > 0 && self.undecodable_gate.open(now) {
            warn!(
                new = new_undecodable,
                total = total.undecodable,
                "frames that did not decode, e.g. an enum value out of range (ignored)"
            );
            self.logged_unknown.undecodable = total.undecodable;
        }
        let rejected = total.bad_crc
            + total.mavlink1_dropped
            + total.unsigned_rejected
            + total.bad_signature
            + total.replayed;
        let logged = self.logged_unknown.bad_crc;
        if rejected > logged && self.rejected_gate.open(now) {
            warn!(
                bad_crc = total.bad_crc,
                mavlink1_dropped = total.mavlink1_dropped,
                unsigned = total.unsigned_rejected,
                bad_signature = total.bad_signature,
                replayed = total.replayed,
                "frames rejected by the link"
            );
            // bad_crc doubles as "all rejections logged so far".
            self.logged_unknown.bad_crc = rejected;
        }
    }

    fn housekeeping(&mut self, tx: &LinkSender) -> Option<SessionEnd> {
        let now = self.now_mono();
        let (msg, finished) = self.requester.poll(now);
        if let Some(m) = msg {
            let _ = tx.send(&m);
        }
        if let Some(f) = finished {
            self.log_finished(f);
        }
        let statuses = self.requester.statuses().to_vec();
        self.fc.update(|s| s.status.intervals = statuses);
        self.fc.place_captures();
        // Streams stopped while the heartbeat goes on (a reboot forgets the intervals).
        if let (Some(ap), true) = (self.autopilot, self.link_up()) {
            if self.streamed_this_round
                && self.requester.done()
                && self.last_stream.elapsed() > STREAMS_SILENT
            {
                warn!(
                    silent_s = self.last_stream.elapsed().as_secs_f64(),
                    "no telemetry from the autopilot while its heartbeat goes on (rebooted?): requesting the streams again"
                );
                self.request_streams(ap, "telemetry stopped");
            }
        }
        // Link loss.
        let lost_after = Duration::from_secs_f64(self.cfg.link_lost_after_s);
        if let Some(last) = self.last_heartbeat {
            if last.elapsed() > lost_after && self.fc.with_state(|s| s.status.link_up) {
                self.fc.update(|s| {
                    s.status.link_up = false;
                    s.status.link_losses += 1;
                });
                self.requester.stop();
                warn!(address = %self.address, silent_s = last.elapsed().as_secs_f64(), "flight-controller link lost: no autopilot heartbeat");
                if matches!(self.address, Address::Tcp(_)) {
                    return Some(SessionEnd::Lost);
                }
            }
        }
        // Reports go out only while the autopilot hears us.
        if self.link_up() {
            if let Some(text) = self.fc.next_report(now) {
                let m = MavMessage::STATUSTEXT(STATUSTEXT_DATA {
                    severity: MavSeverity::MAV_SEVERITY_NOTICE,
                    text: text.as_str().into(),
                    id: 0,
                    chunk_seq: 0,
                });
                if tx.send(&m).is_ok() {
                    debug!(%text, "report sent");
                }
            }
        }
        None
    }

    fn log_finished(&self, f: Finished) {
        match f.outcome {
            IntervalOutcome::Accepted => {
                debug!(message_id = f.message_id, "message interval accepted")
            }
            IntervalOutcome::Pending => {}
            other => warn!(
                message_id = f.message_id,
                outcome = ?other,
                "the autopilot did not accept a message interval; using whatever it streams"
            ),
        }
    }

    fn send_timesync(&mut self, tx: &LinkSender) {
        let Some(ap) = self.autopilot else { return };
        let ts1 = companion_now_ns().max(1);
        if self.timesync_sent.len() == TIMESYNC_OUTSTANDING {
            self.timesync_sent.pop_front();
        }
        self.timesync_sent.push_back(ts1);
        let _ = tx.send(&MavMessage::TIMESYNC(TIMESYNC_DATA {
            tc1: 0,
            ts1,
            target_system: ap.system,
            target_component: ap.component,
        }));
    }

    /// Starts (again) asking for the streams.
    fn request_streams(&mut self, ap: Ids, why: &str) {
        self.requester.start(ap);
        self.last_stream = Instant::now();
        self.streamed_this_round = false;
        let statuses = self.requester.statuses().to_vec();
        self.fc.update(|s| {
            s.status.interval_rounds += 1;
            s.status.intervals = statuses;
        });
        info!(
            system = ap.system,
            component = ap.component,
            why,
            "requesting telemetry intervals"
        );
    }

    fn on_frame(&mut self, rx: Received, tx: &LinkSender) {
        let system = rx.header.system_id as u8;
        let component = rx.header.component_id;
        let now_ns = companion_now_ns();
        let v1 = rx.version == MavlinkVersion::V1;
        self.fc.update(|s| {
            if v1 {
                s.status.mavlink1_frames += 1;
            } else {
                s.status.mavlink2_frames += 1;
            }
            if rx.signed {
                s.status.signed_frames += 1;
            }
        });
        if system != self.cfg.system_id {
            self.fc.update(|s| s.status.foreign_frames += 1);
            if let MavMessage::HEARTBEAT(hb) = &rx.message {
                if hb.autopilot != MavAutopilot::MAV_AUTOPILOT_INVALID
                    && self.foreign_gate.open(Instant::now())
                {
                    warn!(
                        system,
                        configured = self.cfg.system_id,
                        "an autopilot heartbeat from another system id; is flight_controller.system_id right?"
                    );
                }
            }
            return;
        }
        if component == self.own.component {
            // Our own frames coming back (a shared bus or a loop in a router).
            return;
        }
        let from_autopilot = match self.autopilot {
            Some(ap) => ap.component == component,
            None => component == 1,
        };
        let boot_before = self.fc.with_state(|s| s.boot);
        let update = match &rx.message {
            MavMessage::HEARTBEAT(hb) => {
                let is_autopilot = hb.autopilot != MavAutopilot::MAV_AUTOPILOT_INVALID
                    && hb.mavtype != MavType::MAV_TYPE_GCS
                    && hb.mavtype != MavType::MAV_TYPE_ONBOARD_CONTROLLER
                    && hb.mavtype != MavType::MAV_TYPE_GIMBAL
                    && hb.mavtype != MavType::MAV_TYPE_CAMERA;
                let candidate = is_autopilot || component == 1;
                match self.autopilot {
                    // The autopilot we follow; another autopilot-like component of the
                    // same vehicle (a second controller, a bridge) does not take over.
                    Some(ap) if ap.component == component => self.on_autopilot_heartbeat(ap),
                    None if candidate => self.on_autopilot_heartbeat(Ids::new(system, component)),
                    _ => {}
                }
                None
            }
            MavMessage::COMMAND_ACK(ack) => {
                let to_us = (ack.target_system == 0 || ack.target_system == self.own.system)
                    && (ack.target_component == 0 || ack.target_component == self.own.component);
                if from_autopilot && to_us {
                    if let Some(f) = self.requester.on_ack(ack, self.now_mono()) {
                        self.log_finished(f);
                    }
                }
                None
            }
            MavMessage::TIMESYNC(t) => {
                if from_autopilot {
                    // Its clock in either direction is its boot time: a reboot shows here
                    // even while it streams nothing.
                    let own = if t.tc1 == 0 { t.ts1 } else { t.tc1 };
                    let u = self.fc.update(|s| s.note_autopilot_clock_ns(own));
                    if u == Update::Rebooted {
                        self.on_reboot("TIMESYNC");
                    }
                }
                if t.tc1 == 0 {
                    // The autopilot's own request: answer with our clock.
                    let _ = tx.send(&MavMessage::TIMESYNC(TIMESYNC_DATA {
                        tc1: now_ns.max(1),
                        ts1: t.ts1,
                        target_system: system,
                        target_component: component,
                    }));
                    None
                } else if from_autopilot && self.timesync_sent.contains(&t.ts1) {
                    self.timesync_sent.retain(|&x| x != t.ts1);
                    Some(
                        self.fc
                            .update(|s| s.on_timesync_reply(t.tc1, t.ts1, now_ns)),
                    )
                } else {
                    None
                }
            }
            MavMessage::GLOBAL_POSITION_INT(m) if from_autopilot => {
                self.on_stream();
                Some(self.fc.update(|s| s.on_global_position_int(m)))
            }
            MavMessage::ATTITUDE(m) if from_autopilot => {
                self.on_stream();
                if self.cfg.attitude_message == AttitudeMessage::Attitude {
                    Some(self.fc.update(|s| s.on_attitude(m)))
                } else {
                    Some(self.fc.update(|s| s.note_boot_ms(m.time_boot_ms)))
                }
            }
            MavMessage::ATTITUDE_QUATERNION(m) if from_autopilot => {
                self.on_stream();
                if self.cfg.attitude_message == AttitudeMessage::AttitudeQuaternion {
                    Some(self.fc.update(|s| s.on_attitude_quaternion(m)))
                } else {
                    Some(self.fc.update(|s| s.note_boot_ms(m.time_boot_ms)))
                }
            }
            MavMessage::SYSTEM_TIME(m) if from_autopilot => Some(
                self.fc
                    .update(|s| s.on_system_time(m.time_unix_usec, m.time_boot_ms)),
            ),
            MavMessage::GPS_RAW_INT(m) if from_autopilot => {
                Some(self.fc.update(|s| s.on_gps_raw_int(m, now_ns)))
            }
            MavMessage::GIMBAL_DEVICE_ATTITUDE_STATUS(m) => {
                Some(self.fc.update(|s| s.on_gimbal_status(m, component, now_ns)))
            }
            MavMessage::CAMERA_FEEDBACK(m) => {
                if let Some(e) = self
                    .fc
                    .update(|s| s.on_camera_feedback(m, component, now_ns))
                {
                    debug!(image_index = e.image_index, "capture (CAMERA_FEEDBACK)");
                    self.fc.publish_capture(e);
                }
                None
            }
            MavMessage::CAMERA_IMAGE_CAPTURED(m) => {
                if let Some(e) = self
                    .fc
                    .update(|s| s.on_image_captured(m, component, now_ns))
                {
                    debug!(
                        image_index = e.image_index,
                        "capture (CAMERA_IMAGE_CAPTURED)"
                    );
                    self.fc.publish_capture(e);
                }
                None
            }
            other => {
                self.fc.update(|s| s.status.unhandled_messages += 1);
                let id = mavlink::Message::message_id(other);
                if self.unhandled_seen.insert(id) {
                    debug!(
                        message = mavlink::Message::message_name(other),
                        "not used; ignored"
                    );
                }
                None
            }
        };
        match update {
            Some(Update::Rebooted) => self.on_reboot("time_boot_ms went back"),
            _ if self.fc.with_state(|s| s.boot) != boot_before => {
                self.on_reboot("an image index came again")
            }
            Some(Update::SlowTimesync) => {
                // Slow replies are routine on a loaded machine (9 % at 50 ms): one line a
                // minute at most, with how many since the last line, instead of one each.
                self.slow_timesync_unlogged += 1;
                if self.slow_timesync_gate.open(Instant::now()) {
                    info!(
                        discarded = self.slow_timesync_unlogged,
                        total = self.fc.with_state(|s| s.status.timesync_slow),
                        max_rtt_ms = self.cfg.timesync_max_rtt_ms,
                        "TIMESYNC replies slower than timesync_max_rtt_ms discarded; the clock uses the faster ones"
                    );
                    self.slow_timesync_unlogged = 0;
                }
            }
            Some(Update::Rejected) if self.rejected_gate.open(Instant::now()) => {
                warn!(
                    message = mavlink::Message::message_name(&rx.message),
                    "telemetry value refused (out of range)"
                );
            }
            _ => {}
        }
    }

    fn on_stream(&mut self) {
        self.last_stream = Instant::now();
        self.streamed_this_round = true;
    }

    /// The autopilot rebooted: it forgot the intervals we asked for, so ask again.
    fn on_reboot(&mut self, how: &str) {
        let boot = self.fc.with_state(|s| s.boot);
        warn!(
            boot,
            how, "flight controller rebooted: timeline cleared, photos now belong to boot {boot}"
        );
        // While the link is down, regaining it starts the round instead.
        if let (Some(ap), true) = (self.autopilot, self.link_up()) {
            self.request_streams(ap, "reboot");
        }
    }

    fn on_autopilot_heartbeat(&mut self, ap: Ids) {
        let was_up = self.fc.with_state(|s| s.status.link_up);
        let first = self.autopilot.is_none();
        self.autopilot = Some(ap);
        self.saw_autopilot = true;
        self.last_heartbeat = Some(Instant::now());
        if !was_up {
            self.fc.update(|s| {
                s.status.link_up = true;
                s.status.autopilot = Some(ap);
            });
            if first {
                info!(
                    system = ap.system,
                    component = ap.component,
                    "autopilot found"
                );
                self.request_streams(ap, "first contact");
            } else {
                info!(
                    system = ap.system,
                    component = ap.component,
                    "flight-controller link regained"
                );
                self.request_streams(ap, "link regained");
            }
        }
    }
}
