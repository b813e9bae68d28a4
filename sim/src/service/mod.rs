//! The autopilot service without sockets: MAVLink messages in, MAVLink messages out.
//!
//! [`Autopilot`] joins the pure [`Vehicle`] to MAVLink: it answers commands, serves the
//! mission protocol through `qly_core::protocol::MissionServer`, streams telemetry on a
//! schedule and turns vehicle events into MISSION_CURRENT, MISSION_ITEM_REACHED,
//! STATUSTEXT, CAMERA_TRIGGER and CAMERA_FEEDBACK. Time comes in as arguments: simulated
//! seconds for the vehicle and telemetry, a monotonic wall-clock `Duration` for the mission
//! protocol's timeouts (a GCS times out in real time). The tokio program in `main.rs` only
//! moves bytes and time into it.

pub mod clock;
pub mod commands;
pub mod connection;
pub mod links;
pub mod router;
pub mod telemetry;
pub mod validate;

use std::time::Duration;

use mavlink::MavHeader;
use qly_core::mission::{MissionType, RawItem};
use qly_core::protocol::{Ids, MissionServer, ServerConfig, ServerEvent};
use qly_link::convert::{from_mavlink, to_mavlink};
use qly_link::dialect::*;

use crate::vehicle::{CaptureEvent, Severity, Telemetry, Vehicle, VehicleEvent};
use clock::VehicleClock;
use commands::{ack, requested_mode, result_for, Command, FORCE_DISARM_MAGIC};
use telemetry::Schedule;

/// Fixed integration step of the vehicle, seconds of simulated time. Stepping in fixed
/// increments keeps a seeded run identical whatever the wall-clock scheduling.
pub const VEHICLE_DT_S: f64 = 0.01;

/// How much slower streams run while the vehicle requests mission items (ArduPilot's
/// `GCS_MAVLINK::get_reschedule_interval_ms`).
pub const STREAM_SLOWDOWN_RECEIVING: f64 = 4.0;

/// Called with each photo as it is taken (the frame renderer's queue), with the boot it was
/// taken in (0 until the first reboot; image indices start again at 1 after each).
pub type PhotoSink = Box<dyn FnMut(u32, &CaptureEvent) + Send>;

/// Which telemetry a link gets before it asks for any.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StreamDefaults {
    /// Only HEARTBEAT (and event messages: STATUSTEXT, COMMAND_ACK, MISSION_ITEM_REACHED,
    /// CAMERA_FEEDBACK, the gimbal's status); every stream starts on SET_MESSAGE_INTERVAL or
    /// REQUEST_DATA_STREAM from that link, and is forgotten on reboot. ArduPilot SITL's
    /// behaviour: its SRn_ stream rates are 0 until a ground station asks.
    #[default]
    OnRequest,
    /// Every stream at MAVProxy's usual rates on every link, unasked.
    Always,
}

/// Where one of the vehicle's messages goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dest {
    /// Wherever the router sends the vehicle's messages (events, replies).
    All,
    /// Only this link (telemetry it asked for).
    Link(usize),
}

/// The simulated autopilot.
pub struct Autopilot {
    vehicle: Vehicle,
    server: MissionServer,
    /// Telemetry schedule of each link (ArduPilot keeps stream rates per channel).
    schedules: Vec<Schedule>,
    stream_defaults: StreamDefaults,
    /// The link the message being handled came in on.
    link: usize,
    /// Reboots so far, and the simulated time (since the sim started) of the last one.
    boot: u32,
    boot_offset_s: f64,
    clock: VehicleClock,
    own: Ids,
    photo_sink: Option<PhotoSink>,
    /// Attitude of the stabilised camera gimbal in the vehicle-heading frame, if fitted.
    gimbal: Option<qly_core::rotation::Quat>,
}

/// MAV_CMD numbers handled (also reachable as `MavCmd` variants).
mod cmd_id {
    pub const NAV_RETURN_TO_LAUNCH: u32 = 20;
    pub const NAV_LAND: u32 = 21;
    pub const NAV_TAKEOFF: u32 = 22;
    pub const DO_SET_MODE: u32 = 176;
    pub const DO_DIGICAM_CONTROL: u32 = 203;
    pub const DO_SET_CAM_TRIGG_DIST: u32 = 206;
    pub const DO_SET_MISSION_CURRENT: u32 = 224;
    pub const PREFLIGHT_REBOOT_SHUTDOWN: u32 = 246;
    pub const MISSION_START: u32 = 300;
    pub const COMPONENT_ARM_DISARM: u32 = 400;
    pub const GET_HOME_POSITION: u32 = 410;
    pub const GET_MESSAGE_INTERVAL: u32 = 510;
    pub const SET_MESSAGE_INTERVAL: u32 = 511;
    pub const REQUEST_MESSAGE: u32 = 512;
    pub const REQUEST_AUTOPILOT_CAPABILITIES: u32 = 520;
}

impl Autopilot {
    /// A vehicle at MAVLink address `own` (ArduPilot: 1/1) whose mission store holds at most
    /// `mission_capacity` items (including home).
    pub fn new(vehicle: Vehicle, own: Ids, clock: VehicleClock, mission_capacity: usize) -> Self {
        let mut cfg = ServerConfig::default();
        cfg.capacity[0] = mission_capacity;
        // Items are kept, and downloaded, in the form ArduPilot stores them (NaN yaw as 0,
        // altitudes in whole centimetres, commands without a position in frame 0, fence and
        // rally with autocontinue 0, rally heights in whole metres): see
        // `qly_core::protocol::Autopilot::stored_form` for the ArduPilot sources modelled.
        cfg.autopilot = qly_core::protocol::Autopilot::ArduPilot;
        Autopilot {
            vehicle,
            server: MissionServer::new(own, cfg),
            schedules: vec![Schedule::on_request()],
            stream_defaults: StreamDefaults::OnRequest,
            link: 0,
            boot: 0,
            boot_offset_s: 0.0,
            clock,
            own,
            photo_sink: None,
            gimbal: None,
        }
    }

    /// What links get before they ask (default: only HEARTBEAT, as ArduPilot); resets every
    /// link's schedule.
    pub fn set_stream_defaults(&mut self, defaults: StreamDefaults) {
        self.stream_defaults = defaults;
        let n = self.schedules.len();
        self.schedules = (0..n).map(|_| self.fresh_schedule()).collect();
    }

    /// Serves `links` links (ArduPilot's SERIALn), each with its own stream rates.
    pub fn set_links(&mut self, links: usize) {
        while self.schedules.len() < links.max(1) {
            let s = self.fresh_schedule();
            self.schedules.push(s);
        }
    }

    /// Reboots so far (0 until the first MAV_CMD_PREFLIGHT_REBOOT_SHUTDOWN).
    pub fn boot(&self) -> u32 {
        self.boot
    }

    fn fresh_schedule(&self) -> Schedule {
        let mut s = match self.stream_defaults {
            StreamDefaults::OnRequest => Schedule::on_request(),
            StreamDefaults::Always => Schedule::default(),
        };
        if self.gimbal.is_some() {
            // The mount driver reports the gimbal unasked.
            s.add(
                telemetry::ID_GIMBAL_DEVICE_ATTITUDE_STATUS,
                0.1,
                self.vehicle.time_s(),
            );
        }
        s
    }

    /// Hands every photo to `sink` as it is taken, after its CAMERA_FEEDBACK is queued.
    pub fn set_photo_sink(&mut self, sink: PhotoSink) {
        self.photo_sink = Some(sink);
    }

    /// Fits a stabilised gimbal holding `q_heading_gimbal` (its attitude in the vehicle's
    /// heading frame: level, yaw following the vehicle) and streams
    /// GIMBAL_DEVICE_ATTITUDE_STATUS at 10 Hz with YAW_IN_VEHICLE_FRAME.
    pub fn set_gimbal(&mut self, q_heading_gimbal: qly_core::rotation::Quat) {
        self.gimbal = Some(q_heading_gimbal);
        let now = self.vehicle.time_s();
        for s in &mut self.schedules {
            s.add(telemetry::ID_GIMBAL_DEVICE_ATTITUDE_STATUS, 0.1, now);
        }
    }

    pub fn vehicle(&self) -> &Vehicle {
        &self.vehicle
    }

    pub fn clock(&self) -> &VehicleClock {
        &self.clock
    }

    /// The vehicle's MAVLink signing time now (its UTC clock, sped up with the simulation).
    pub fn signing_time(&self) -> u64 {
        self.clock.signing_time(self.vehicle.time_s())
    }

    fn home_raw(&self) -> RawItem {
        let h = &self.vehicle.config().home;
        qly_core::mission::Mission::new(*h, Vec::new()).home_raw()
    }

    /// Advances the vehicle to simulated time `sim_s` (since the sim started) in fixed steps
    /// and returns the messages produced on the way for link 0: event messages and the
    /// telemetry that fell due. `wall` drives the mission protocol's timeouts.
    pub fn advance_to(&mut self, sim_s: f64, wall: Duration) -> Vec<MavMessage> {
        self.advance_links(sim_s, wall)
            .into_iter()
            .filter(|(d, _)| matches!(d, Dest::All | Dest::Link(0)))
            .map(|(_, m)| m)
            .collect()
    }

    /// As [`Autopilot::advance_to`], for every link: each message with where it goes.
    pub fn advance_links(&mut self, sim_s: f64, wall: Duration) -> Vec<(Dest, MavMessage)> {
        let mut out = Vec::new();
        let vehicle_s = sim_s - self.boot_offset_s;
        while self.vehicle.time_s() + VEHICLE_DT_S * 0.5 <= vehicle_s {
            let events = self.vehicle.step(VEHICLE_DT_S);
            let mut ev_out = Vec::new();
            self.publish_events(events, &mut ev_out);
            out.extend(ev_out.into_iter().map(|m| (Dest::All, m)));
            let now = self.vehicle.time_s();
            let mut t = None;
            // While items are being requested (an upload in progress), streams slow down
            // fourfold, as ArduPilot's do, leaving the link to the transfer.
            let slowdown = if self.server.is_receiving() {
                STREAM_SLOWDOWN_RECEIVING
            } else {
                1.0
            };
            for link in 0..self.schedules.len() {
                let due = self.schedules[link].due_slowed(now, slowdown);
                if due.is_empty() {
                    continue;
                }
                let t = *t.get_or_insert_with(|| self.vehicle.telemetry());
                for id in due {
                    if let Some(m) = self.build(id, &t) {
                        out.push((Dest::Link(link), m));
                    }
                }
            }
        }
        if self.server.next_deadline().is_some_and(|d| wall >= d) {
            let replies = self.server.poll(wall);
            let mut r: Vec<MavMessage> =
                replies.iter().filter_map(|p| to_mavlink(p).ok()).collect();
            self.apply_server_events(&mut r);
            out.extend(r.into_iter().map(|m| (Dest::All, m)));
        }
        out
    }

    /// MAV_CMD_PREFLIGHT_REBOOT_SHUTDOWN: the autopilot starts again. Its clock since boot
    /// restarts from 0, every requested stream is forgotten, the camera numbers photos from
    /// 1 again, the GPS needs its lock again; the mission (in storage) stays. The vehicle's
    /// UTC clock runs on.
    fn reboot(&mut self) {
        let items = self.vehicle.mission_items().to_vec();
        let elapsed_s = self.vehicle.time_s();
        self.boot_offset_s += elapsed_s;
        self.clock.boot_unix_us += (elapsed_s * 1e6) as u64;
        self.vehicle = Vehicle::new(self.vehicle.config().clone());
        if !items.is_empty() {
            self.vehicle.set_mission(items);
        }
        self.boot += 1;
        let n = self.schedules.len();
        self.schedules = (0..n).map(|_| self.fresh_schedule()).collect();
    }

    fn build(&self, id: u32, t: &Telemetry) -> Option<MavMessage> {
        if id == telemetry::ID_MISSION_CURRENT {
            return self.mission_current();
        }
        if id == telemetry::ID_GIMBAL_DEVICE_ATTITUDE_STATUS {
            return self.gimbal.map(|q| {
                telemetry::gimbal_device_attitude_status(
                    q,
                    self.clock.time_boot_ms(t.time_boot_s),
                    t.pose.yaw_rad,
                )
            });
        }
        telemetry::build(id, t, &self.clock)
    }

    /// MISSION_CURRENT from the server (seq, total, mission id) with the vehicle's mission
    /// state and whether it is flying the mission (mission_mode 1 in AUTO).
    fn mission_current(&self) -> Option<MavMessage> {
        let mut m = to_mavlink(&self.server.current_msg()).ok()?;
        if let MavMessage::MISSION_CURRENT(d) = &mut m {
            use crate::vehicle::MissionState as S;
            d.mission_state = match self.vehicle.mission_state() {
                S::NoMission => MissionState::MISSION_STATE_NO_MISSION,
                S::NotStarted => MissionState::MISSION_STATE_NOT_STARTED,
                S::Active => MissionState::MISSION_STATE_ACTIVE,
                S::Paused => MissionState::MISSION_STATE_PAUSED,
                S::Complete => MissionState::MISSION_STATE_COMPLETE,
            };
            d.mission_mode = u8::from(self.vehicle.mode() == crate::vehicle::FlightMode::Auto);
        }
        Some(m)
    }

    /// One message received on link 0: the replies.
    pub fn handle(
        &mut self,
        header: &MavHeader,
        msg: &MavMessage,
        wall: Duration,
    ) -> Vec<MavMessage> {
        self.handle_on(0, header, msg, wall)
    }

    /// One message received on `link`: the replies. Stream requests apply to that link.
    /// SET_MODE and REQUEST_DATA_STREAM are deprecated in MAVLink but still what MAVProxy and
    /// pymavlink send, and ArduPilot answers them.
    #[allow(deprecated)]
    pub fn handle_on(
        &mut self,
        link: usize,
        header: &MavHeader,
        msg: &MavMessage,
        wall: Duration,
    ) -> Vec<MavMessage> {
        self.set_links(link + 1);
        self.link = link;
        let mut out = Vec::new();
        if let Some(p) = from_mavlink(header, msg) {
            return self.handle_protocol(&p, wall);
        }
        let src = (header.system_id as u8, header.component_id);
        match msg {
            MavMessage::COMMAND_LONG(_) | MavMessage::COMMAND_INT(_) => {
                if let Some(c) = Command::from_message(msg) {
                    if self.addressed(c.target_system, c.target_component) {
                        self.command(&c, src, &mut out);
                    }
                }
            }
            MavMessage::SET_MODE(m)
                if m.target_system == self.own.system || m.target_system == 0 =>
            {
                let result = requested_mode(m.base_mode.bits() as u32, m.custom_mode)
                    .and_then(|mode| self.vehicle.set_mode(mode));
                // ArduPilot answers SET_MODE with a COMMAND_ACK for DO_SET_MODE.
                let result = self.finish(result, &mut out);
                out.push(ack(MavCmd::MAV_CMD_DO_SET_MODE, result, src.0, src.1));
            }
            MavMessage::REQUEST_DATA_STREAM(r)
                if self.addressed(r.target_system, r.target_component) =>
            {
                let now = self.vehicle.time_s();
                for &id in telemetry::stream_members(r.req_stream_id) {
                    let interval = (r.start_stop != 0 && r.req_message_rate > 0)
                        .then(|| 1.0 / r.req_message_rate as f64);
                    self.schedules[self.link].set_interval(id, interval, now);
                }
            }
            _ => {}
        }
        out
    }

    /// A mission protocol message: the server's replies, or an item's refusal.
    fn handle_protocol(
        &mut self,
        p: &qly_core::protocol::ProtocolMsg,
        wall: Duration,
    ) -> Vec<MavMessage> {
        if let Some(refusal) = self.refuse_item(p, wall) {
            return refusal;
        }
        let replies = self.server.handle(p, wall);
        let mut out: Vec<MavMessage> = replies.iter().filter_map(|p| to_mavlink(p).ok()).collect();
        self.apply_server_events(&mut out);
        out
    }

    /// An authentic frame on `link` that the dialect could not decode: the replies. A
    /// MISSION_ITEM_INT or MISSION_ITEM whose frame, command or mission type is no value of
    /// its enum is answered as ArduPilot answers it, which reads the raw C struct: the item
    /// goes through the same checks as any other (an undeclared frame on a command with a
    /// location is MAV_MISSION_UNSUPPORTED_FRAME, an unknown command MAV_MISSION_UNSUPPORTED)
    /// and an unknown mission type is MAV_MISSION_UNSUPPORTED
    /// (`GCS_MAVLINK::handle_mission_item`: no protocol for that type). Anything else is
    /// ignored, as before.
    pub fn handle_undecodable_on(
        &mut self,
        link: usize,
        raw: &qly_link::RawFrame,
        wall: Duration,
    ) -> Vec<MavMessage> {
        use qly_core::protocol::{MissionMsg, MissionResult, ProtocolMsg};
        self.set_links(link + 1);
        self.link = link;
        let Some(r) = qly_link::convert::mission_item_from_raw(raw) else {
            return Vec::new();
        };
        if let Some(p) = r.to_protocol() {
            return self.handle_protocol(&p, wall);
        }
        if !self.own.accepts(r.target) {
            return Vec::new();
        }
        // The ack names a list the dialect knows; the type asked for has none.
        to_mavlink(&ProtocolMsg {
            source: self.own,
            target: r.source,
            msg: MissionMsg::Ack {
                mission_type: MissionType::Mission,
                result: MissionResult::Unsupported,
                opaque_id: 0,
            },
        })
        .ok()
        .into_iter()
        .collect()
    }

    /// An uploaded item ArduPilot would not store: the MISSION_ACK with its result, and the
    /// upload abandoned (the old list stays), as ArduPilot's MissionItemProtocol does.
    fn refuse_item(
        &mut self,
        p: &qly_core::protocol::ProtocolMsg,
        wall: Duration,
    ) -> Option<Vec<MavMessage>> {
        use qly_core::protocol::{MissionMsg, MissionResult, ProtocolMsg};
        let MissionMsg::ItemInt {
            mission_type,
            seq,
            item,
            ..
        } = p.msg
        else {
            return None;
        };
        if !self.server.is_receiving() || !self.own.accepts(p.target) {
            return None;
        }
        let result = validate::check_item(&item, mission_type).err()?;
        // The uploader's own non-accepting ack is what cancels its upload in the server.
        self.server.handle(
            &ProtocolMsg {
                source: p.source,
                target: self.own,
                msg: MissionMsg::Ack {
                    mission_type,
                    result: MissionResult::OperationCancelled,
                    opaque_id: 0,
                },
            },
            wall,
        );
        let mut out: Vec<MavMessage> = to_mavlink(&ProtocolMsg {
            source: self.own,
            target: p.source,
            msg: MissionMsg::Ack {
                mission_type,
                result,
                opaque_id: 0,
            },
        })
        .ok()
        .into_iter()
        .collect();
        out.push(status_text(
            Severity::Warning,
            &format!("Mission item {seq} refused: {}", result.name()),
        ));
        self.apply_server_events(&mut out);
        Some(out)
    }

    fn addressed(&self, system: u8, component: u8) -> bool {
        (system == 0 || system == self.own.system)
            && (component == 0 || component == self.own.component)
    }

    /// Publishes the events of a command, or its refusal as a STATUSTEXT; the MAV_RESULT.
    fn finish(
        &mut self,
        result: Result<Vec<VehicleEvent>, crate::vehicle::CommandError>,
        out: &mut Vec<MavMessage>,
    ) -> MavResult {
        match result {
            Ok(events) => {
                self.publish_events(events, out);
                MavResult::MAV_RESULT_ACCEPTED
            }
            Err(e) => {
                out.push(status_text(Severity::Warning, &e.to_string()));
                result_for(&e)
            }
        }
    }

    fn command(&mut self, c: &Command, src: (u8, u8), out: &mut Vec<MavMessage>) {
        let p = c.params;
        let result = match c.id() {
            cmd_id::COMPONENT_ARM_DISARM => {
                let r = if p[0] >= 0.5 {
                    self.vehicle.arm()
                } else {
                    self.vehicle.disarm(p[1] == FORCE_DISARM_MAGIC)
                };
                self.finish(r, out)
            }
            cmd_id::NAV_TAKEOFF => {
                let r = self.vehicle.takeoff(p[6] as f64);
                self.finish(r, out)
            }
            cmd_id::DO_SET_MODE => {
                let r =
                    requested_mode(p[0] as u32, p[1] as u32).and_then(|m| self.vehicle.set_mode(m));
                self.finish(r, out)
            }
            cmd_id::NAV_RETURN_TO_LAUNCH => {
                let r = self.vehicle.set_mode(crate::vehicle::FlightMode::Rtl);
                self.finish(r, out)
            }
            cmd_id::NAV_LAND => {
                let r = self.vehicle.set_mode(crate::vehicle::FlightMode::Land);
                self.finish(r, out)
            }
            cmd_id::DO_DIGICAM_CONTROL if p[4] == 1.0 => {
                let events = self.vehicle.take_photo();
                self.finish(Ok(events), out)
            }
            cmd_id::DO_SET_CAM_TRIGG_DIST => {
                let events = self.vehicle.set_trigger_distance(p[0] as f64, p[2] == 1.0);
                self.finish(Ok(events), out)
            }
            cmd_id::MISSION_START => {
                let r = self.vehicle.start_mission();
                self.finish(r, out)
            }
            cmd_id::DO_SET_MISSION_CURRENT => {
                let r = self.vehicle.set_mission_current(p[0] as u16);
                self.finish(r, out)
            }
            cmd_id::SET_MESSAGE_INTERVAL => {
                use validate::IntervalRequest as R;
                let now = self.vehicle.time_s();
                let ok = match validate::interval_request(p[0], p[1]) {
                    Some(R::Default(id)) => self.schedules[self.link].reset(id, now),
                    Some(R::Stop(id)) => self.schedules[self.link].set_interval(id, None, now),
                    Some(R::Every(id, s)) => {
                        self.schedules[self.link].set_interval(id, Some(s), now)
                    }
                    None => false,
                };
                if ok {
                    MavResult::MAV_RESULT_ACCEPTED
                } else {
                    MavResult::MAV_RESULT_DENIED
                }
            }
            cmd_id::GET_MESSAGE_INTERVAL => {
                let id = p[0] as u32;
                match self.schedules[self.link].interval_s(id) {
                    Some(i) => {
                        out.push(MavMessage::MESSAGE_INTERVAL(MESSAGE_INTERVAL_DATA {
                            message_id: id as u16,
                            interval_us: i.map(|s| (s * 1e6).round() as i32).unwrap_or(-1),
                        }));
                        MavResult::MAV_RESULT_ACCEPTED
                    }
                    None => MavResult::MAV_RESULT_DENIED,
                }
            }
            cmd_id::REQUEST_MESSAGE => match self.one_shot(p[0] as u32) {
                Some(m) => {
                    out.push(m);
                    MavResult::MAV_RESULT_ACCEPTED
                }
                None => MavResult::MAV_RESULT_DENIED,
            },
            cmd_id::REQUEST_AUTOPILOT_CAPABILITIES => {
                out.extend(self.one_shot(telemetry::ID_AUTOPILOT_VERSION));
                MavResult::MAV_RESULT_ACCEPTED
            }
            cmd_id::GET_HOME_POSITION => {
                out.extend(self.one_shot(telemetry::ID_HOME_POSITION));
                MavResult::MAV_RESULT_ACCEPTED
            }
            cmd_id::PREFLIGHT_REBOOT_SHUTDOWN if p[0] == 1.0 => {
                if self.vehicle.is_armed() {
                    out.push(status_text(Severity::Warning, "Reboot refused: armed"));
                    MavResult::MAV_RESULT_FAILED
                } else {
                    // The ACK goes out before the autopilot restarts, as ArduPilot's does.
                    out.push(ack(c.command, MavResult::MAV_RESULT_ACCEPTED, src.0, src.1));
                    out.push(status_text(Severity::Info, "Rebooting"));
                    self.reboot();
                    return;
                }
            }
            _ => MavResult::MAV_RESULT_UNSUPPORTED,
        };
        out.push(ack(c.command, result, src.0, src.1));
    }

    /// A message sent once on request (REQUEST_MESSAGE).
    fn one_shot(&self, id: u32) -> Option<MavMessage> {
        match id {
            telemetry::ID_AUTOPILOT_VERSION => Some(self.autopilot_version()),
            telemetry::ID_HOME_POSITION => Some(self.home_position()),
            id => self.build(id, &self.vehicle.telemetry()),
        }
    }

    fn autopilot_version(&self) -> MavMessage {
        MavMessage::AUTOPILOT_VERSION(AUTOPILOT_VERSION_DATA {
            capabilities: MavProtocolCapability::MAV_PROTOCOL_CAPABILITY_MISSION_INT
                | MavProtocolCapability::MAV_PROTOCOL_CAPABILITY_COMMAND_INT
                | MavProtocolCapability::MAV_PROTOCOL_CAPABILITY_SET_POSITION_TARGET_GLOBAL_INT
                | MavProtocolCapability::MAV_PROTOCOL_CAPABILITY_MAVLINK2
                | MavProtocolCapability::MAV_PROTOCOL_CAPABILITY_MISSION_FENCE
                | MavProtocolCapability::MAV_PROTOCOL_CAPABILITY_MISSION_RALLY,
            // 4.5.0 official, ArduPilot's encoding (major << 24 | minor << 16 | patch << 8 | type).
            flight_sw_version: (4 << 24) | (5 << 16) | 0xFF,
            uid: 0x5157_4C59_0000_0001,
            flight_custom_version: *b"qlysim\0\0",
            ..AUTOPILOT_VERSION_DATA::default()
        })
    }

    fn home_position(&self) -> MavMessage {
        let h = &self.vehicle.config().home;
        MavMessage::HOME_POSITION(HOME_POSITION_DATA {
            latitude: qly_core::mission::deg_to_e7(h.point.lat_deg),
            longitude: qly_core::mission::deg_to_e7(h.point.lon_deg),
            altitude: (h.alt_amsl_m * 1000.0).round() as i32,
            q: [1.0, 0.0, 0.0, 0.0],
            time_usec: self.clock.unix_us(self.vehicle.time_s()),
            ..HOME_POSITION_DATA::default()
        })
    }

    /// Applies what the mission server did to the vehicle.
    fn apply_server_events(&mut self, out: &mut Vec<MavMessage>) {
        for ev in self.server.take_events() {
            match ev {
                ServerEvent::ListReplaced {
                    mission_type: MissionType::Mission,
                    count,
                    ..
                } => {
                    // ArduPilot keeps its own home as item 0, whatever was uploaded there.
                    self.server.set_home(self.home_raw());
                    let items = self.server.list(MissionType::Mission).to_vec();
                    let events = self.vehicle.set_mission(items);
                    out.push(status_text(
                        Severity::Info,
                        &format!("Mission: {} items received", count.saturating_sub(1)),
                    ));
                    self.publish_events(events, out);
                }
                ServerEvent::ListCleared {
                    mission_type: MissionType::Mission,
                } => {
                    let events = self.vehicle.set_mission(Vec::new());
                    out.push(status_text(Severity::Info, "Mission: cleared"));
                    self.publish_events(events, out);
                }
                ServerEvent::ListReplaced {
                    mission_type: MissionType::Fence,
                    ..
                } => {
                    let items = self.server.list(MissionType::Fence).to_vec();
                    self.vehicle.set_fence(&items);
                }
                ServerEvent::ListCleared {
                    mission_type: MissionType::Fence,
                } => self.vehicle.set_fence(&[]),
                ServerEvent::CurrentChanged { seq } => {
                    if self.vehicle.mission_current() != seq {
                        let r = self.vehicle.set_mission_current(seq);
                        self.finish(r, out);
                    }
                    out.extend(self.mission_current());
                }
                ServerEvent::SetCurrentRejected { seq, mission_len } => out.push(status_text(
                    Severity::Warning,
                    &format!("Mission: no item {seq} (mission has {mission_len})"),
                )),
                ServerEvent::UploadRejected {
                    count,
                    result,
                    mission_type,
                } => out.push(status_text(
                    Severity::Warning,
                    &format!(
                        "Mission upload of {count} {} items refused: {}",
                        qly_core::protocol::list_name(mission_type),
                        result.name()
                    ),
                )),
                _ => {}
            }
        }
    }

    fn publish_events(&mut self, events: Vec<VehicleEvent>, out: &mut Vec<MavMessage>) {
        for ev in events {
            if let Some((sev, text)) = ev.status_text() {
                out.push(status_text(sev, &text));
            }
            match ev {
                VehicleEvent::MissionCurrent { seq } => {
                    // The vehicle moved on: tell the server (whose only possible event now
                    // is this change, not to be fed back) and the ground station.
                    self.server.set_current(seq);
                    self.server.take_events();
                    // Sent on change only where MISSION_CURRENT is streamed.
                    if self.schedules.iter().any(|s| {
                        s.interval_s(telemetry::ID_MISSION_CURRENT)
                            .is_some_and(|i| i.is_some())
                    }) {
                        out.extend(self.mission_current());
                    }
                }
                VehicleEvent::MissionItemReached { seq } => out.push(
                    MavMessage::MISSION_ITEM_REACHED(MISSION_ITEM_REACHED_DATA { seq }),
                ),
                VehicleEvent::ModeChanged(_)
                | VehicleEvent::Armed
                | VehicleEvent::Disarmed { .. } => {
                    // Ground stations see the change at once, not at the next 1 Hz beat.
                    out.push(telemetry::heartbeat(&self.vehicle.telemetry()));
                }
                VehicleEvent::Photo(c) => {
                    out.push(telemetry::camera_trigger(&c, &self.clock));
                    out.push(telemetry::camera_feedback(&c, &self.clock, self.own.system));
                    if let Some(sink) = &mut self.photo_sink {
                        sink(self.boot, &c);
                    }
                }
                _ => {}
            }
        }
    }
}

/// STATUSTEXT with `text` cut to the 50 bytes the message holds.
pub fn status_text(severity: Severity, text: &str) -> MavMessage {
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
    let severity = match severity {
        Severity::Critical => MavSeverity::MAV_SEVERITY_CRITICAL,
        Severity::Warning => MavSeverity::MAV_SEVERITY_WARNING,
        Severity::Notice => MavSeverity::MAV_SEVERITY_NOTICE,
        Severity::Info => MavSeverity::MAV_SEVERITY_INFO,
    };
    MavMessage::STATUSTEXT(STATUSTEXT_DATA {
        severity,
        text: bytes.into(),
        id: 0,
        chunk_seq: 0,
    })
}
