//! The simulated ArduCopter: flight modes, arming, take-off, mission execution, landing,
//! camera and battery, stepped in simulated time with no I/O.
//!
//! [`Vehicle::step`] advances the simulation and returns what happened ([`VehicleEvent`]s:
//! mode changes, mission progress, photos); [`Vehicle::telemetry`] reads what the autopilot
//! would report now. Commands ([`Vehicle::arm`], [`Vehicle::set_mode`], ...) answer with
//! ArduCopter's refusals as typed [`CommandError`]s. The MAVLink service is a thin layer on
//! these calls.

pub mod battery;
pub mod camera;
pub mod fence;
pub mod kinematics;
pub mod mission_exec;
pub mod modes;
pub mod wind;
pub mod wpnav;

use qly_core::geodesy::{Enu, GeoPosition, LocalFrame};
use qly_core::mission::{Home, RawItem};
use thiserror::Error;

use crate::noise::{NoiseConfig, NoiseSource, PoseError};
use battery::{Battery, BatteryConfig};
use camera::DistanceTrigger;
use kinematics::{FlightLimits, KinState, Setpoint, Vertical, G_M_S2};
use mission_exec::{interpret, ItemAction, ItemContext, MissionCursor};
pub use modes::FlightMode;
use wind::{Wind, WindConfig};
use wpnav::WpNav;

/// Everything that makes one simulated vehicle (ArduCopter parameter names in brackets).
#[derive(Debug, Clone, PartialEq)]
pub struct VehicleConfig {
    /// Where the vehicle stands at boot; the ground is flat at this height.
    pub home: Home,
    /// Geoid separation at home: ellipsoidal height minus height above mean sea level, metres
    /// (EGM96 N; 0 puts the geoid on the ellipsoid).
    pub geoid_separation_m: f64,
    pub limits: FlightLimits,
    /// Cruise speed in AUTO/RTL until DO_CHANGE_SPEED (WPNAV_SPEED 10 m/s).
    pub wp_speed_m_s: f64,
    /// Return height (RTL_ALT 15 m above home; higher vehicles return at their height).
    pub rtl_alt_m: f64,
    /// Hover over home before landing (RTL_LOIT_TIME 5 s).
    pub rtl_loiter_s: f64,
    /// Final descent rate (LAND_SPEED 0.5 m/s).
    pub land_speed_m_s: f64,
    /// Below this height the final descent rate applies (LAND_ALT_LOW 10 m).
    pub land_alt_low_m: f64,
    /// How long the vehicle must sit still on the ground to be declared landed, seconds.
    pub land_detect_s: f64,
    /// Armed on the ground without taking off: disarm after this long (DISARM_DELAY 10 s;
    /// 0 = never).
    pub disarm_delay_s: f64,
    /// Simulated time until the GPS has a 3D fix; before it, no position and no arming.
    pub gps_lock_after_s: f64,
    /// Satellites reported once locked.
    pub satellites: u8,
    /// Rate at which sensor noise is redrawn, Hz.
    pub sensor_rate_hz: f64,
    pub wind: WindConfig,
    pub noise: NoiseConfig,
    pub battery: BatteryConfig,
    /// Seed of every random process (sensor noise, gusts).
    pub seed: u64,
    /// Longest internal integration step, seconds; longer `step` calls are subdivided.
    pub max_substep_s: f64,
    /// Enforce the uploaded fence (FENCE_ENABLE; ArduCopter's default 0 = off): a breach
    /// switches to RTL (FENCE_ACTION 1).
    pub fence_enabled: bool,
}

impl VehicleConfig {
    /// ArduCopter-like defaults at `home`.
    pub fn new(home: Home) -> Self {
        VehicleConfig {
            home,
            geoid_separation_m: 0.0,
            limits: FlightLimits::default(),
            wp_speed_m_s: 10.0,
            rtl_alt_m: 15.0,
            rtl_loiter_s: 5.0,
            land_speed_m_s: 0.5,
            land_alt_low_m: 10.0,
            land_detect_s: 1.0,
            disarm_delay_s: 10.0,
            gps_lock_after_s: 1.0,
            satellites: 14,
            sensor_rate_hz: 10.0,
            wind: WindConfig::default(),
            noise: NoiseConfig::default(),
            battery: BatteryConfig::default(),
            seed: 0,
            max_substep_s: 0.02,
            fence_enabled: false,
        }
    }
}

/// A position and attitude, as reported or as true.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pose {
    /// WGS-84 latitude/longitude, degrees.
    pub lat_deg: f64,
    pub lon_deg: f64,
    /// Height above mean sea level, metres.
    pub alt_amsl_m: f64,
    /// Height above home, metres.
    pub alt_rel_home_m: f64,
    /// Height above the WGS-84 ellipsoid, metres.
    pub alt_ellipsoid_m: f64,
    pub roll_rad: f64,
    pub pitch_rad: f64,
    /// Heading, clockwise from north, in [0, 2 pi).
    pub yaw_rad: f64,
}

/// One photo: what CAMERA_TRIGGER and CAMERA_FEEDBACK report, plus the truth for the
/// simulated world (renderer, scoring).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CaptureEvent {
    /// 1 for the first photo of the flight, as ArduPilot counts.
    pub image_index: u32,
    /// Simulated time since boot, seconds.
    pub time_boot_s: f64,
    /// The pose the autopilot reports (with sensor noise).
    pub reported: Pose,
    /// The true pose.
    pub truth: Pose,
}

/// MAVLink `MISSION_STATE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissionState {
    NoMission = 1,
    NotStarted = 2,
    Active = 3,
    Paused = 4,
    Complete = 5,
}

/// MAVLink `MAV_SEVERITY` levels used in notices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Critical = 2,
    Warning = 4,
    Notice = 5,
    Info = 6,
}

/// Something that happened during a step or a command.
#[derive(Debug, Clone, PartialEq)]
pub enum VehicleEvent {
    ModeChanged(FlightMode),
    Armed,
    Disarmed {
        /// Disarmed by the autopilot itself (after landing, or idle on the ground).
        auto: bool,
    },
    TakeoffComplete,
    /// The mission item being executed changed (MISSION_CURRENT).
    MissionCurrent {
        seq: u16,
    },
    /// A mission item completed (MISSION_ITEM_REACHED).
    MissionItemReached {
        seq: u16,
    },
    MissionComplete,
    Landed,
    Photo(CaptureEvent),
    /// Anything else worth a STATUSTEXT.
    Notice {
        severity: Severity,
        text: String,
    },
}

impl VehicleEvent {
    /// The STATUSTEXT ArduCopter would send for this event, if any.
    pub fn status_text(&self) -> Option<(Severity, String)> {
        match self {
            VehicleEvent::ModeChanged(m) => Some((Severity::Info, format!("Mode {m}"))),
            VehicleEvent::Armed => Some((Severity::Info, "Arming motors".into())),
            VehicleEvent::Disarmed { auto } => Some((
                Severity::Info,
                if *auto {
                    "Auto disarmed".into()
                } else {
                    "Disarming motors".into()
                },
            )),
            VehicleEvent::TakeoffComplete => Some((Severity::Info, "Takeoff complete".into())),
            VehicleEvent::MissionCurrent { .. } => None,
            VehicleEvent::MissionItemReached { seq } => {
                Some((Severity::Info, format!("Reached command #{seq}")))
            }
            VehicleEvent::MissionComplete => Some((Severity::Info, "Mission complete".into())),
            VehicleEvent::Landed => Some((Severity::Info, "Landed".into())),
            VehicleEvent::Photo(_) => None,
            VehicleEvent::Notice { severity, text } => Some((*severity, text.clone())),
        }
    }
}

/// Why a command was refused. The service maps these to `MAV_RESULT`.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum CommandError {
    /// Try again later (no GPS fix yet).
    #[error("PreArm: need position estimate (GPS fix after {lock_after_s} s of boot)")]
    NoPosition { lock_after_s: f64 },
    #[error("Arm: mode {0} does not allow arming; use GUIDED, LOITER or STABILIZE")]
    ModeDisallowsArming(FlightMode),
    #[error("Disarm: vehicle is flying; land first or force the disarm")]
    Flying,
    #[error("{what}: motors are not armed")]
    NotArmed { what: &'static str },
    #[error("{what} needs mode {expected}, vehicle is in {actual}")]
    WrongMode {
        what: &'static str,
        expected: FlightMode,
        actual: FlightMode,
    },
    #[error("Takeoff: already flying")]
    AlreadyFlying,
    #[error("Auto: mission has no items")]
    MissionEmpty,
    #[error("Auto: missing takeoff command (first navigation item must be NAV_TAKEOFF to start on the ground)")]
    MissingTakeoff,
    #[error("mission has no item {seq} (flyable items are 1..={last})")]
    NoSuchItem { seq: u16, last: u16 },
    #[error("{field} = {value} is invalid: expected {expected}")]
    BadParam {
        field: &'static str,
        value: f64,
        expected: &'static str,
    },
}

/// What the autopilot would report now.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Telemetry {
    pub time_boot_s: f64,
    pub mode: FlightMode,
    pub armed: bool,
    /// In the air (not land-complete).
    pub flying: bool,
    /// GPS has a 3D fix; before it, `pose` is the home position and must not be trusted.
    pub has_position: bool,
    /// Reported pose (with sensor noise).
    pub pose: Pose,
    /// Velocity east/north/up, m/s.
    pub vel_enu_m_s: Enu,
    /// Roll, pitch and yaw rates, rad/s.
    pub rates_rad_s: [f64; 3],
    pub ground_speed_m_s: f64,
    pub airspeed_m_s: f64,
    /// GPS horizontal/vertical accuracy (one standard deviation), metres.
    pub h_acc_m: f64,
    pub v_acc_m: f64,
    /// GPS_FIX_TYPE: 1 = no fix, 3 = 3D fix.
    pub fix_type: u8,
    pub satellites: u8,
    pub battery_voltage_v: f64,
    pub battery_current_a: f64,
    pub battery_remaining_pct: u8,
    /// Throttle, percent of hover-to-full range (VFR_HUD.throttle).
    pub throttle_pct: u16,
    /// MISSION_CURRENT.seq and the number of stored items including home.
    pub mission_seq: u16,
    pub mission_count: u16,
    /// MAV_STATE: 3 = standby, 4 = active.
    pub system_status: u8,
}

/// Where a piece of guidance stands after a step.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Guidance {
    /// On the ground, nothing to do.
    Ground,
    Hold(Enu),
    /// Climb along a vertical S-curve leg to `height_m`.
    Takeoff {
        height_m: f64,
        nav: WpNav,
    },
    Goto {
        target: Enu,
        radius_m: f64,
        hold_s: f64,
        /// Time held at the target so far; `None` until reached.
        held_s: Option<f64>,
        /// The leg flown to `target` (and the next one when `fast`).
        nav: WpNav,
        /// A fast waypoint: done when the blend into the next leg passes its middle, without
        /// a radius check (ArduCopter's `fast_waypoint`).
        fast: bool,
        /// A fast waypoint that is done: the leg stays in place, still braking and blending
        /// into the next, until the mission's next waypoint continues on it.
        done: bool,
    },
    RtlClimb {
        height_m: f64,
        e_m: f64,
        n_m: f64,
    },
    RtlReturn {
        height_m: f64,
        nav: WpNav,
    },
    RtlLoiter {
        height_m: f64,
        left_s: f64,
    },
    Land {
        target_h: Option<(f64, f64)>,
        on_ground_s: f64,
    },
}

/// The simulated vehicle.
#[derive(Debug, Clone)]
pub struct Vehicle {
    config: VehicleConfig,
    frame: LocalFrame,
    time_s: f64,
    kin: KinState,
    mode: FlightMode,
    armed: bool,
    flying: bool,
    guidance: Guidance,
    idle_on_ground_s: f64,
    wp_speed_m_s: f64,
    mission: MissionCursor,
    mission_running: bool,
    camera: DistanceTrigger,
    fence: fence::Fence,
    /// A breach already acted on: no new one until the vehicle is back inside.
    fence_breached: bool,
    battery: Battery,
    wind: Wind,
    noise: NoiseSource,
    sensor_error: PoseError,
    next_sensor_s: f64,
    /// When the last DO_JUMP STATUSTEXT went out, and jumps made since without one: a loop
    /// of jumps runs on every step, and its messages must not flood the link.
    last_jump_notice_s: Option<f64>,
    jumps_unreported: u32,
}

/// At most one DO_JUMP STATUSTEXT per this many simulated seconds.
const JUMP_NOTICE_INTERVAL_S: f64 = 0.5;

const STREAM_SENSORS: u64 = 1;
const STREAM_WIND: u64 = 2;
/// Height within which a take-off counts as complete, metres.
const TAKEOFF_DONE_M: f64 = 0.1;

impl Vehicle {
    pub fn new(config: VehicleConfig) -> Self {
        let h_ell = config.home.alt_amsl_m + config.geoid_separation_m;
        let frame = LocalFrame::new(GeoPosition::new(
            config.home.point.lat_deg,
            config.home.point.lon_deg,
            h_ell,
        ));
        let mission = MissionCursor::default();
        Vehicle {
            frame,
            time_s: 0.0,
            kin: KinState::default(),
            mode: FlightMode::Stabilize,
            armed: false,
            flying: false,
            guidance: Guidance::Ground,
            idle_on_ground_s: 0.0,
            wp_speed_m_s: config.wp_speed_m_s,
            mission,
            mission_running: false,
            camera: DistanceTrigger::new(),
            fence: fence::Fence::default(),
            fence_breached: false,
            battery: Battery::new(config.battery),
            wind: Wind::new(config.wind, NoiseSource::new(config.seed, STREAM_WIND)),
            noise: NoiseSource::new(config.seed, STREAM_SENSORS),
            sensor_error: PoseError::default(),
            next_sensor_s: 0.0,
            last_jump_notice_s: None,
            jumps_unreported: 0,
            config,
        }
    }

    pub fn config(&self) -> &VehicleConfig {
        &self.config
    }

    /// Simulated time since boot, seconds.
    pub fn time_s(&self) -> f64 {
        self.time_s
    }

    pub fn mode(&self) -> FlightMode {
        self.mode
    }

    pub fn is_armed(&self) -> bool {
        self.armed
    }

    pub fn is_flying(&self) -> bool {
        self.flying
    }

    /// The true kinematic state (ENU about home).
    pub fn kinematics(&self) -> &KinState {
        &self.kin
    }

    /// The local ENU frame about home.
    pub fn frame(&self) -> &LocalFrame {
        &self.frame
    }

    pub fn has_position(&self) -> bool {
        self.time_s >= self.config.gps_lock_after_s
    }

    /// The stored mission, item 0 = home.
    pub fn mission_items(&self) -> &[RawItem] {
        &self.mission.items
    }

    pub fn mission_current(&self) -> u16 {
        self.mission.current
    }

    /// Where the mission stands, as MISSION_CURRENT.mission_state reports it.
    pub fn mission_state(&self) -> MissionState {
        if self.mission.flyable() == 0 {
            MissionState::NoMission
        } else if self.mission.complete {
            MissionState::Complete
        } else if self.mission_running {
            MissionState::Active
        } else if self.mission.current == 0 {
            MissionState::NotStarted
        } else {
            MissionState::Paused
        }
    }

    pub fn images_taken(&self) -> u32 {
        self.camera.image_count()
    }

    // ---------------------------------------------------------------- commands

    /// COMPONENT_ARM_DISARM with param1 = 1.
    pub fn arm(&mut self) -> Result<Vec<VehicleEvent>, CommandError> {
        if self.armed {
            return Ok(Vec::new());
        }
        if !self.has_position() {
            return Err(CommandError::NoPosition {
                lock_after_s: self.config.gps_lock_after_s,
            });
        }
        if !self.mode.allows_arming() {
            return Err(CommandError::ModeDisallowsArming(self.mode));
        }
        self.armed = true;
        self.idle_on_ground_s = 0.0;
        Ok(vec![VehicleEvent::Armed])
    }

    /// COMPONENT_ARM_DISARM with param1 = 0; `force` (param2 = 21196) disarms in the air,
    /// and the vehicle falls.
    pub fn disarm(&mut self, force: bool) -> Result<Vec<VehicleEvent>, CommandError> {
        if !self.armed {
            return Ok(Vec::new());
        }
        if self.flying && !force {
            return Err(CommandError::Flying);
        }
        Ok(self.do_disarm(false))
    }

    fn do_disarm(&mut self, auto: bool) -> Vec<VehicleEvent> {
        self.armed = false;
        self.mission_running = false;
        self.guidance = Guidance::Ground;
        vec![VehicleEvent::Disarmed { auto }]
    }

    /// SET_MODE / DO_SET_MODE.
    pub fn set_mode(&mut self, mode: FlightMode) -> Result<Vec<VehicleEvent>, CommandError> {
        if mode.requires_position() && !self.has_position() {
            return Err(CommandError::NoPosition {
                lock_after_s: self.config.gps_lock_after_s,
            });
        }
        let here = self.kin.pos;
        let mut events = Vec::new();
        match mode {
            FlightMode::Auto => {
                if self.mission.flyable() == 0 {
                    return Err(CommandError::MissionEmpty);
                }
                if self.armed && !self.flying && !self.mission.starts_with_takeoff() {
                    return Err(CommandError::MissingTakeoff);
                }
                self.enter(mode, &mut events);
                if self.armed {
                    self.mission.start_or_resume();
                    self.mission_running = true;
                    self.guidance = if self.flying {
                        Guidance::Hold(here)
                    } else {
                        Guidance::Ground
                    };
                    self.run_mission(&mut events);
                } else {
                    self.mission_running = false;
                    self.guidance = Guidance::Ground;
                }
            }
            FlightMode::Rtl => {
                self.enter(mode, &mut events);
                self.guidance = if self.flying {
                    self.rtl_start()
                } else {
                    Guidance::Ground
                };
            }
            FlightMode::Land => {
                self.enter(mode, &mut events);
                self.guidance = if self.flying {
                    Guidance::Land {
                        target_h: None,
                        on_ground_s: 0.0,
                    }
                } else {
                    Guidance::Ground
                };
            }
            FlightMode::Stabilize | FlightMode::Guided | FlightMode::Loiter => {
                self.enter(mode, &mut events);
                self.guidance = if self.flying {
                    Guidance::Hold(here)
                } else {
                    Guidance::Ground
                };
            }
        }
        Ok(events)
    }

    fn enter(&mut self, mode: FlightMode, events: &mut Vec<VehicleEvent>) {
        if mode != FlightMode::Auto {
            self.mission_running = false;
        }
        if mode != self.mode {
            self.mode = mode;
            events.push(VehicleEvent::ModeChanged(mode));
        }
    }

    fn rtl_start(&self) -> Guidance {
        Guidance::RtlClimb {
            height_m: self.config.rtl_alt_m.max(self.kin.pos.u_m),
            e_m: self.kin.pos.e_m,
            n_m: self.kin.pos.n_m,
        }
    }

    /// NAV_TAKEOFF in GUIDED: climb to `height_m` above home.
    pub fn takeoff(&mut self, height_m: f64) -> Result<Vec<VehicleEvent>, CommandError> {
        if !(height_m.is_finite() && height_m > 0.0) {
            return Err(CommandError::BadParam {
                field: "NAV_TAKEOFF param7 (altitude)",
                value: height_m,
                expected: "a height above home > 0 m",
            });
        }
        if self.mode != FlightMode::Guided {
            return Err(CommandError::WrongMode {
                what: "Takeoff",
                expected: FlightMode::Guided,
                actual: self.mode,
            });
        }
        if !self.armed {
            return Err(CommandError::NotArmed { what: "Takeoff" });
        }
        if self.flying {
            return Err(CommandError::AlreadyFlying);
        }
        self.begin_takeoff(height_m);
        Ok(Vec::new())
    }

    fn begin_takeoff(&mut self, height_m: f64) {
        self.flying = true;
        self.guidance = self.climb_to(height_m);
    }

    /// A vertical climb from here to `height_m` above home.
    fn climb_to(&self, height_m: f64) -> Guidance {
        let p = self.kin.pos;
        let params = self.wpnav_params(mission_exec::DEFAULT_WP_RADIUS_M);
        Guidance::Takeoff {
            height_m,
            nav: WpNav::new(
                p,
                Enu::new(p.e_m, p.n_m, height_m),
                self.wp_speed_m_s,
                &params,
            ),
        }
    }

    fn wpnav_params(&self, radius_m: f64) -> qly_core::wpnav::WpNavParams {
        self.config.limits.wpnav(self.wp_speed_m_s, radius_m)
    }

    /// Where the current guidance holds or is headed, if it is a point: the origin of a new
    /// waypoint leg (ArduPilot starts a leg from the previous destination).
    fn leg_origin(&self) -> Enu {
        match self.guidance {
            Guidance::Hold(at) => at,
            Guidance::Goto { nav, .. } => nav.destination(),
            _ => self.kin.pos,
        }
    }

    /// The position of the next navigation item after the current one, when it is a
    /// waypoint the vehicle flies on to without stopping (ArduCopter's `do_nav_wp` sets the
    /// next destination when this waypoint has no delay and the next navigation command is a
    /// waypoint; DO commands between them do not stop it).
    fn next_fast_target(&self, after: Enu) -> Option<Enu> {
        let items = &self.mission.items;
        let from = self.mission.current as usize + 1;
        let raw = items.iter().skip(from).find(|r| r.command < 95)?;
        let ctx = ItemContext {
            frame: &self.frame,
            home_amsl_m: self.config.home.alt_amsl_m,
            here: after,
        };
        match interpret(raw, &ctx) {
            ItemAction::Waypoint { target, .. } => Some(target),
            _ => None,
        }
    }

    /// MISSION_START: switch to AUTO (if needed) and start or resume the mission.
    pub fn start_mission(&mut self) -> Result<Vec<VehicleEvent>, CommandError> {
        if !self.armed {
            return Err(CommandError::NotArmed {
                what: "Mission start",
            });
        }
        if self.mode != FlightMode::Auto {
            return self.set_mode(FlightMode::Auto);
        }
        let mut events = Vec::new();
        if !self.mission_running {
            if self.mission.flyable() == 0 {
                return Err(CommandError::MissionEmpty);
            }
            self.mission.start_or_resume();
            self.mission_running = true;
            self.run_mission(&mut events);
        }
        Ok(events)
    }

    /// Stores a newly uploaded mission (item 0 = home, as uploaded; the vehicle keeps its
    /// own home). A running mission continues from its current item number.
    pub fn set_mission(&mut self, items: Vec<RawItem>) -> Vec<VehicleEvent> {
        let was = self.mission.current;
        self.mission.replace(items);
        let mut events = Vec::new();
        if self.mission_running {
            if self.mission.current == 0 {
                self.mission_running = false;
                self.guidance = if self.flying {
                    Guidance::Hold(self.kin.pos)
                } else {
                    Guidance::Ground
                };
            } else {
                self.run_mission(&mut events);
            }
        }
        if self.mission.current != was {
            events.push(VehicleEvent::MissionCurrent {
                seq: self.mission.current,
            });
        }
        events
    }

    /// Stores a newly uploaded fence list (`MAV_MISSION_TYPE_FENCE` items).
    pub fn set_fence(&mut self, items: &[RawItem]) {
        self.fence = fence::Fence::from_items(items, &self.frame);
        self.fence_breached = false;
    }

    /// Whether a fence is stored and enforced.
    pub fn fence_active(&self) -> bool {
        self.config.fence_enabled && !self.fence.is_empty()
    }

    /// A breach of the enforced fence while flying: RTL, as ArduCopter's fence failsafe
    /// (FENCE_ACTION 1) does, with a critical STATUSTEXT. Already returning or landing, the
    /// vehicle carries on.
    fn check_fence(&mut self, events: &mut Vec<VehicleEvent>) {
        if !(self.fence_active() && self.armed && self.flying) {
            return;
        }
        let p = self.kin.pos;
        match self.fence.breach((p.e_m, p.n_m)) {
            Some(zone) if !self.fence_breached => {
                self.fence_breached = true;
                events.push(VehicleEvent::Notice {
                    severity: Severity::Critical,
                    text: format!("Fence Breach: {zone}, RTL"),
                });
                if !matches!(self.mode, FlightMode::Rtl | FlightMode::Land) {
                    if let Ok(ev) = self.set_mode(FlightMode::Rtl) {
                        events.extend(ev);
                    }
                }
            }
            None => self.fence_breached = false,
            _ => {}
        }
    }

    /// MISSION_SET_CURRENT / DO_SET_MISSION_CURRENT.
    pub fn set_mission_current(&mut self, seq: u16) -> Result<Vec<VehicleEvent>, CommandError> {
        if !self.mission.set_current(seq) {
            return Err(CommandError::NoSuchItem {
                seq,
                last: self.mission.flyable() as u16,
            });
        }
        let mut events = vec![VehicleEvent::MissionCurrent { seq }];
        if self.mission_running {
            self.run_mission(&mut events);
        }
        Ok(events)
    }

    /// DO_SET_CAM_TRIGG_DIST as a command.
    pub fn set_trigger_distance(
        &mut self,
        distance_m: f64,
        trigger_once: bool,
    ) -> Vec<VehicleEvent> {
        match self.camera.set_distance(distance_m, trigger_once) {
            Some(index) => vec![VehicleEvent::Photo(self.capture(index))],
            None => Vec::new(),
        }
    }

    /// A photo now (DO_DIGICAM_CONTROL as a command).
    pub fn take_photo(&mut self) -> Vec<VehicleEvent> {
        let index = self.camera.take_now(self.kin.pos.e_m, self.kin.pos.n_m);
        vec![VehicleEvent::Photo(self.capture(index))]
    }

    // ---------------------------------------------------------------- simulation

    /// Advances the simulation by `dt_s` seconds (subdivided into steps of at most
    /// `max_substep_s`). The same sequence of calls from the same config gives the same run.
    pub fn step(&mut self, dt_s: f64) -> Vec<VehicleEvent> {
        let mut events = Vec::new();
        if !(dt_s.is_finite() && dt_s > 0.0) {
            return events;
        }
        let n = (dt_s / self.config.max_substep_s.max(1e-4)).ceil().max(1.0) as usize;
        let h = dt_s / n as f64;
        for _ in 0..n {
            self.substep(h, &mut events);
        }
        events
    }

    fn substep(&mut self, dt: f64, events: &mut Vec<VehicleEvent>) {
        self.time_s += dt;
        self.wind.step(dt);
        let wind = self.wind.velocity_m_s();

        if self.armed {
            if let Some(target) = self.track_target(dt) {
                self.kin =
                    kinematics::step_track(&self.kin, &target, wind, &self.config.limits, dt);
            } else if let Some(sp) = self.setpoint() {
                self.kin = kinematics::step(&self.kin, &sp, wind, &self.config.limits, dt);
            }
            self.progress_guidance(dt, events);
            self.check_fence(events);
            self.run_mission(events);
            self.check_idle_disarm(dt, events);
        } else if self.kin.pos.u_m > 0.0 || self.kin.vel.u_m != 0.0 {
            self.fall(dt, events);
        }

        if self.armed && self.flying {
            if let Some(index) = self.camera.update(self.kin.pos.e_m, self.kin.pos.n_m) {
                events.push(VehicleEvent::Photo(self.capture(index)));
            }
        }
        let v = self.kin.vel;
        self.battery
            .step(dt, self.armed, v.e_m.hypot(v.n_m), v.u_m.max(0.0));
        if self.time_s >= self.next_sensor_s {
            self.sensor_error = self.noise.pose_error(&self.config.noise);
            self.next_sensor_s += 1.0 / self.config.sensor_rate_hz.max(1e-3);
        }
    }

    /// Disarmed in the air: the vehicle drops.
    fn fall(&mut self, dt: f64, events: &mut Vec<VehicleEvent>) {
        let k = &mut self.kin;
        let drag = self.config.limits.drag_per_s;
        k.vel.e_m *= (-drag * dt).exp();
        k.vel.n_m *= (-drag * dt).exp();
        k.vel.u_m -= G_M_S2 * dt;
        k.pos.e_m += k.vel.e_m * dt;
        k.pos.n_m += k.vel.n_m * dt;
        k.pos.u_m += k.vel.u_m * dt;
        if k.pos.u_m <= 0.0 {
            let impact = -k.vel.u_m;
            k.pos.u_m = 0.0;
            k.vel = Enu::default();
            k.roll_rad = 0.0;
            k.rates_rad_s = [0.0; 3];
            k.pitch_rad = 0.0;
            self.flying = false;
            events.push(VehicleEvent::Notice {
                severity: Severity::Critical,
                text: format!("Crash: hit the ground at {impact:.1} m/s"),
            });
        }
    }

    /// Advances and returns the moving position target of a waypoint leg, a take-off climb or
    /// the return leg of an RTL; `None` for the other guidance.
    fn track_target(&mut self, dt: f64) -> Option<wpnav::Target> {
        match &mut self.guidance {
            Guidance::Takeoff { nav, .. }
            | Guidance::Goto { nav, .. }
            | Guidance::RtlReturn { nav, .. } => Some(nav.advance(dt)),
            _ => None,
        }
    }

    fn setpoint(&self) -> Option<Setpoint> {
        let speed = self.wp_speed_m_s;
        let p = self.kin.pos;
        Some(match self.guidance {
            Guidance::Ground => return None,
            Guidance::Hold(at) => Setpoint::hold(at),
            // Followed as moving targets (see `track_target`); a hold at the end otherwise.
            Guidance::Takeoff { nav, .. } | Guidance::Goto { nav, .. } => {
                Setpoint::hold(nav.destination())
            }
            Guidance::RtlClimb {
                height_m, e_m, n_m, ..
            } => Setpoint {
                target_h: Some((e_m, n_m)),
                speed_h_m_s: speed,
                vertical: Vertical::Height(height_m),
            },
            Guidance::RtlReturn { height_m, .. } | Guidance::RtlLoiter { height_m, .. } => {
                Setpoint {
                    target_h: Some((0.0, 0.0)),
                    speed_h_m_s: speed,
                    vertical: Vertical::Height(height_m),
                }
            }
            Guidance::Land { target_h, .. } => {
                let (te, tn) = target_h.unwrap_or((p.e_m, p.n_m));
                let far = (te - p.e_m).hypot(tn - p.n_m) > self.config.limits.accel_h_m_s2;
                let rate = if p.u_m > self.config.land_alt_low_m {
                    self.config.limits.descent_rate_m_s
                } else {
                    self.config.land_speed_m_s
                };
                Setpoint {
                    target_h: Some((te, tn)),
                    speed_h_m_s: speed,
                    // Reposition at height first, then descend (ArduCopter LAND with a point).
                    vertical: if far {
                        Vertical::Height(p.u_m)
                    } else {
                        Vertical::Rate(-rate)
                    },
                }
            }
        })
    }

    /// Moves guidance phases on; reports completed navigation to the mission.
    fn progress_guidance(&mut self, dt: f64, events: &mut Vec<VehicleEvent>) {
        let p = self.kin.pos;
        let rtl_params = self.wpnav_params(mission_exec::DEFAULT_WP_RADIUS_M);
        let speed = self.wp_speed_m_s;
        let mut nav_done = false;
        match &mut self.guidance {
            Guidance::Ground | Guidance::Hold(_) => {}
            Guidance::Takeoff { height_m, .. } => {
                if p.u_m >= *height_m - TAKEOFF_DONE_M {
                    let hold = Enu::new(p.e_m, p.n_m, *height_m);
                    self.guidance = Guidance::Hold(hold);
                    nav_done = true;
                    if !self.mission_running {
                        events.push(VehicleEvent::TakeoffComplete);
                    }
                }
            }
            Guidance::Goto {
                target,
                radius_m,
                hold_s,
                held_s,
                nav,
                fast,
                done,
            } => {
                let d = (target.e_m - p.e_m)
                    .hypot(target.n_m - p.n_m)
                    .hypot(target.u_m - p.u_m);
                if held_s.is_none() && nav.leg_done() && (*fast || d <= *radius_m) {
                    *held_s = Some(0.0);
                }
                if let (Some(h), false) = (held_s.as_mut(), *done) {
                    *h += dt;
                    if *h >= *hold_s {
                        nav_done = true;
                        if *fast {
                            *done = true;
                        } else {
                            self.guidance = Guidance::Hold(*target);
                        }
                    }
                }
            }
            Guidance::RtlClimb { height_m, .. } => {
                if p.u_m >= *height_m - TAKEOFF_DONE_M {
                    let h = *height_m;
                    self.guidance = Guidance::RtlReturn {
                        height_m: h,
                        nav: WpNav::new(
                            Enu::new(p.e_m, p.n_m, h),
                            Enu::new(0.0, 0.0, h),
                            speed,
                            &rtl_params,
                        ),
                    };
                }
            }
            Guidance::RtlReturn { height_m, nav } => {
                if nav.leg_done() && p.e_m.hypot(p.n_m) <= mission_exec::DEFAULT_WP_RADIUS_M {
                    self.guidance = Guidance::RtlLoiter {
                        height_m: *height_m,
                        left_s: self.config.rtl_loiter_s,
                    };
                }
            }
            Guidance::RtlLoiter { left_s, .. } => {
                *left_s -= dt;
                if *left_s <= 0.0 {
                    self.guidance = Guidance::Land {
                        target_h: Some((0.0, 0.0)),
                        on_ground_s: 0.0,
                    };
                }
            }
            Guidance::Land { on_ground_s, .. } => {
                if p.u_m <= 0.0 && self.kin.vel.u_m.abs() < 1e-9 {
                    *on_ground_s += dt;
                } else {
                    *on_ground_s = 0.0;
                }
                if *on_ground_s >= self.config.land_detect_s {
                    self.flying = false;
                    self.guidance = Guidance::Ground;
                    events.push(VehicleEvent::Landed);
                    nav_done = true;
                }
            }
        }
        if nav_done && self.mission_running && self.mission.started {
            let seq = self.mission.advance();
            events.push(VehicleEvent::MissionItemReached { seq });
            if self.mission.complete {
                self.mission_running = false;
                events.push(VehicleEvent::MissionComplete);
            }
        }
        if !self.flying && self.armed && matches!(self.guidance, Guidance::Ground) && nav_done {
            // Landed in LAND, RTL or AUTO: ArduCopter disarms at once.
            events.extend(self.do_disarm(true));
        }
    }

    fn check_idle_disarm(&mut self, dt: f64, events: &mut Vec<VehicleEvent>) {
        if self.armed && !self.flying && matches!(self.guidance, Guidance::Ground) {
            self.idle_on_ground_s += dt;
            if self.config.disarm_delay_s > 0.0
                && self.idle_on_ground_s >= self.config.disarm_delay_s
            {
                events.extend(self.do_disarm(true));
            }
        } else {
            self.idle_on_ground_s = 0.0;
        }
    }

    /// Starts items of the mission until one that takes time (a navigation item) is running.
    fn run_mission(&mut self, events: &mut Vec<VehicleEvent>) {
        if !(self.mission_running && self.armed && self.mode == FlightMode::Auto) {
            return;
        }
        // Each pass starts or finishes one item, so this many passes always suffice.
        for _ in 0..=self.mission.items.len() {
            if self.mission.started {
                return;
            }
            let Some(raw) = self.mission.current_item().copied() else {
                self.mission_running = false;
                events.push(VehicleEvent::MissionComplete);
                if self.flying {
                    self.guidance = Guidance::Hold(self.kin.pos);
                }
                return;
            };
            let seq = self.mission.current;
            events.push(VehicleEvent::MissionCurrent { seq });
            let ctx = ItemContext {
                frame: &self.frame,
                home_amsl_m: self.config.home.alt_amsl_m,
                here: self.kin.pos,
            };
            let action = interpret(&raw, &ctx);
            if action.is_nav() {
                self.mission.started = true;
            }
            match action {
                ItemAction::Takeoff { height_m } => {
                    if self.flying {
                        // Already in the air: climb (if needed) where we are.
                        self.guidance = self.climb_to(height_m.max(self.kin.pos.u_m));
                    } else {
                        self.begin_takeoff(height_m);
                    }
                }
                ItemAction::Waypoint {
                    target,
                    radius_m,
                    hold_s,
                } => {
                    let params = self.wpnav_params(radius_m);
                    // Flying on from a fast waypoint whose next leg ends here: keep that leg.
                    let continued = match self.guidance {
                        Guidance::Goto {
                            nav, fast: true, ..
                        } => nav.continue_to(target),
                        _ => None,
                    };
                    let mut nav = continued.unwrap_or_else(|| {
                        WpNav::new(self.leg_origin(), target, self.wp_speed_m_s, &params)
                    });
                    let next = (hold_s <= 0.0)
                        .then(|| self.next_fast_target(target))
                        .flatten();
                    if let Some(to) = next {
                        nav.set_next(to, self.wp_speed_m_s, &params);
                    }
                    self.guidance = Guidance::Goto {
                        target,
                        radius_m,
                        hold_s,
                        held_s: None,
                        nav,
                        fast: next.is_some(),
                        done: false,
                    };
                }
                ItemAction::ReturnToLaunch => self.guidance = self.rtl_start(),
                ItemAction::Land { target_h } => {
                    self.guidance = Guidance::Land {
                        target_h,
                        on_ground_s: 0.0,
                    }
                }
                ItemAction::ChangeSpeed { speed_m_s } => {
                    if let Some(s) = speed_m_s {
                        self.wp_speed_m_s = s.min(self.config.limits.max_speed_h_m_s);
                    }
                    self.mission.advance();
                    events.push(VehicleEvent::MissionItemReached { seq });
                }
                ItemAction::CamTriggerDistance {
                    distance_m,
                    trigger_once,
                } => {
                    if let Some(index) = self.camera.set_distance(distance_m, trigger_once) {
                        events.push(VehicleEvent::Photo(self.capture(index)));
                    }
                    self.mission.advance();
                    events.push(VehicleEvent::MissionItemReached { seq });
                }
                ItemAction::Jump { target, repeat } => {
                    if self.mission.jump(target, repeat) {
                        let due = self
                            .last_jump_notice_s
                            .is_none_or(|t| self.time_s - t >= JUMP_NOTICE_INTERVAL_S);
                        if due {
                            let more = std::mem::take(&mut self.jumps_unreported);
                            let text = if more > 0 {
                                format!("Mission: jump from {seq} to {target} (+{more} jumps)")
                            } else {
                                format!("Mission: jump from {seq} to {target}")
                            };
                            self.last_jump_notice_s = Some(self.time_s);
                            events.push(VehicleEvent::Notice {
                                severity: Severity::Info,
                                text,
                            });
                        } else {
                            self.jumps_unreported += 1;
                        }
                    }
                }
                ItemAction::PhotoNow => {
                    let index = self.camera.take_now(self.kin.pos.e_m, self.kin.pos.n_m);
                    events.push(VehicleEvent::Photo(self.capture(index)));
                    self.mission.advance();
                    events.push(VehicleEvent::MissionItemReached { seq });
                }
                ItemAction::Unsupported { command } => {
                    events.push(VehicleEvent::Notice {
                        severity: Severity::Warning,
                        text: format!(
                            "Mission: skipping item {seq}: command {command} not supported"
                        ),
                    });
                    self.mission.advance();
                }
                ItemAction::UnsupportedFrame { command, frame } => {
                    events.push(VehicleEvent::Notice {
                        severity: Severity::Warning,
                        text: format!(
                            "Mission: skipping item {seq}: command {command} in frame {frame} not supported"
                        ),
                    });
                    self.mission.advance();
                }
            }
        }
    }

    // ---------------------------------------------------------------- reporting

    fn pose_at(&self, pos: Enu, roll: f64, pitch: f64, yaw: f64) -> Pose {
        let g = self.frame.to_geodetic(pos);
        Pose {
            lat_deg: g.lat_deg,
            lon_deg: g.lon_deg,
            alt_amsl_m: g.h_ellipsoid_m - self.config.geoid_separation_m,
            alt_rel_home_m: pos.u_m,
            alt_ellipsoid_m: g.h_ellipsoid_m,
            roll_rad: roll,
            pitch_rad: pitch,
            yaw_rad: yaw.rem_euclid(std::f64::consts::TAU),
        }
    }

    /// The true pose.
    pub fn true_pose(&self) -> Pose {
        let k = &self.kin;
        self.pose_at(k.pos, k.roll_rad, k.pitch_rad, k.yaw_rad)
    }

    /// The pose as the autopilot reports it (truth plus the current sensor error).
    pub fn reported_pose(&self) -> Pose {
        let k = &self.kin;
        let e = &self.sensor_error;
        let pos = Enu::new(
            k.pos.e_m + e.east_m,
            k.pos.n_m + e.north_m,
            k.pos.u_m + e.up_m,
        );
        self.pose_at(
            pos,
            k.roll_rad + e.roll_rad,
            k.pitch_rad + e.pitch_rad,
            k.yaw_rad + e.yaw_rad,
        )
    }

    fn capture(&self, image_index: u32) -> CaptureEvent {
        CaptureEvent {
            image_index,
            time_boot_s: self.time_s,
            reported: self.reported_pose(),
            truth: self.true_pose(),
        }
    }

    /// What the autopilot would report now.
    pub fn telemetry(&self) -> Telemetry {
        let v = self.kin.vel;
        let (we, wn) = self.wind.velocity_m_s();
        let has_position = self.has_position();
        let hover = self.battery.power_w(true, 0.0, 0.0);
        let now = self.battery.power_w(self.armed, v.e_m.hypot(v.n_m), v.u_m);
        let throttle = if self.armed && self.flying {
            (50.0 * now / hover).clamp(0.0, 100.0) as u16
        } else {
            0
        };
        Telemetry {
            time_boot_s: self.time_s,
            mode: self.mode,
            armed: self.armed,
            flying: self.flying,
            has_position,
            pose: if has_position {
                self.reported_pose()
            } else {
                self.true_pose()
            },
            vel_enu_m_s: v,
            rates_rad_s: self.kin.rates_rad_s,
            ground_speed_m_s: v.e_m.hypot(v.n_m),
            airspeed_m_s: (v.e_m - we).hypot(v.n_m - wn),
            h_acc_m: self.config.noise.gps_pos_sigma_m,
            v_acc_m: self.config.noise.alt_sigma_m,
            fix_type: if has_position { 3 } else { 1 },
            satellites: if has_position {
                self.config.satellites
            } else {
                0
            },
            battery_voltage_v: self.battery.voltage_v(),
            battery_current_a: self.battery.current_a(),
            battery_remaining_pct: self.battery.remaining_pct(),
            throttle_pct: throttle,
            mission_seq: self.mission.current,
            mission_count: self.mission.items.len() as u16,
            system_status: if self.armed { 4 } else { 3 },
        }
    }
}

#[cfg(test)]
mod tests;
