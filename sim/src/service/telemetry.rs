//! Telemetry: which messages the vehicle streams, how often, and what they contain.
//!
//! Default rates (simulated time) follow what ArduPilot SITL sends to a GCS that asked for
//! MAVProxy's usual stream rates: HEARTBEAT 1 Hz, SYS_STATUS 1 Hz, GPS_RAW_INT 2 Hz,
//! SYSTEM_TIME 1 Hz, MISSION_CURRENT 1 Hz, GLOBAL_POSITION_INT 4 Hz, VFR_HUD 4 Hz,
//! ATTITUDE 10 Hz. MAV_CMD_SET_MESSAGE_INTERVAL changes one message; REQUEST_DATA_STREAM
//! changes ArduPilot's stream groups (EXTENDED_STATUS: SYS_STATUS, GPS_RAW_INT,
//! MISSION_CURRENT; POSITION: GLOBAL_POSITION_INT; EXTRA1: ATTITUDE; EXTRA2: VFR_HUD;
//! EXTRA3: SYSTEM_TIME; ALL: every one of them).

use qly_link::dialect::*;

use super::clock::VehicleClock;
use crate::vehicle::{CaptureEvent, Telemetry};

pub const ID_HEARTBEAT: u32 = 0;
pub const ID_SYS_STATUS: u32 = 1;
pub const ID_SYSTEM_TIME: u32 = 2;
pub const ID_GPS_RAW_INT: u32 = 24;
pub const ID_ATTITUDE: u32 = 30;
pub const ID_GLOBAL_POSITION_INT: u32 = 33;
pub const ID_MISSION_CURRENT: u32 = 42;
pub const ID_VFR_HUD: u32 = 74;
pub const ID_AUTOPILOT_VERSION: u32 = 148;
pub const ID_HOME_POSITION: u32 = 242;
pub const ID_GIMBAL_DEVICE_ATTITUDE_STATUS: u32 = 285;

/// The streamed messages and their default interval, seconds of simulated time.
pub const DEFAULT_INTERVALS_S: [(u32, f64); 8] = [
    (ID_HEARTBEAT, 1.0),
    (ID_SYS_STATUS, 1.0),
    (ID_SYSTEM_TIME, 1.0),
    (ID_GPS_RAW_INT, 0.5),
    (ID_ATTITUDE, 0.1),
    (ID_GLOBAL_POSITION_INT, 0.25),
    (ID_MISSION_CURRENT, 1.0),
    (ID_VFR_HUD, 0.25),
];

/// The messages of an ArduPilot stream group (`MAV_DATA_STREAM`, deprecated in MAVLink but
/// what REQUEST_DATA_STREAM still carries).
#[allow(deprecated)]
pub fn stream_members(stream: MavDataStream) -> &'static [u32] {
    use MavDataStream::*;
    match stream {
        MAV_DATA_STREAM_ALL => &[
            ID_SYS_STATUS,
            ID_SYSTEM_TIME,
            ID_GPS_RAW_INT,
            ID_ATTITUDE,
            ID_GLOBAL_POSITION_INT,
            ID_MISSION_CURRENT,
            ID_VFR_HUD,
        ],
        MAV_DATA_STREAM_EXTENDED_STATUS => &[ID_SYS_STATUS, ID_GPS_RAW_INT, ID_MISSION_CURRENT],
        MAV_DATA_STREAM_POSITION => &[ID_GLOBAL_POSITION_INT],
        MAV_DATA_STREAM_EXTRA1 => &[ID_ATTITUDE],
        MAV_DATA_STREAM_EXTRA2 => &[ID_VFR_HUD],
        MAV_DATA_STREAM_EXTRA3 => &[ID_SYSTEM_TIME],
        _ => &[],
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Stream {
    id: u32,
    default_s: f64,
    /// `None`: not sent.
    interval_s: Option<f64>,
    next_s: f64,
}

/// Per-message intervals and when each is next due.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    streams: Vec<Stream>,
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule {
            streams: DEFAULT_INTERVALS_S
                .iter()
                .map(|&(id, s)| Stream {
                    id,
                    default_s: s,
                    interval_s: Some(s),
                    next_s: 0.0,
                })
                .collect(),
        }
    }
}

impl Schedule {
    /// Every stream known but stopped except HEARTBEAT: what ArduPilot sends a link that has
    /// not asked for anything.
    pub fn on_request() -> Self {
        let mut s = Schedule::default();
        for stream in &mut s.streams {
            if stream.id != ID_HEARTBEAT {
                stream.interval_s = None;
            }
        }
        s
    }

    /// Whether `id` is a message this vehicle can stream.
    pub fn knows(&self, id: u32) -> bool {
        self.streams.iter().any(|s| s.id == id)
    }

    /// Sets the interval of `id`: `Some(0)` or negative values per MAV_CMD_SET_MESSAGE_INTERVAL
    /// are handled by the caller; `None` stops it. Returns `false` for unknown messages.
    pub fn set_interval(&mut self, id: u32, interval_s: Option<f64>, now_s: f64) -> bool {
        match self.streams.iter_mut().find(|s| s.id == id) {
            Some(s) => {
                s.interval_s = interval_s.filter(|i| i.is_finite() && *i > 0.0);
                s.next_s = now_s;
                true
            }
            None => false,
        }
    }

    /// Adds a message to stream every `default_s` (simulated seconds) from `now_s`; an
    /// existing one gets that default.
    pub fn add(&mut self, id: u32, default_s: f64, now_s: f64) {
        self.streams.retain(|s| s.id != id);
        self.streams.push(Stream {
            id,
            default_s,
            interval_s: Some(default_s),
            next_s: now_s,
        });
    }

    /// Back to the default interval.
    pub fn reset(&mut self, id: u32, now_s: f64) -> bool {
        match self
            .streams
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.default_s)
        {
            Some(d) => self.set_interval(id, Some(d), now_s),
            None => false,
        }
    }

    /// The interval of `id`: `Some(None)` when known but stopped.
    pub fn interval_s(&self, id: u32) -> Option<Option<f64>> {
        self.streams
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.interval_s)
    }

    /// The messages due at `now_s`, each scheduled for its next slot. A late caller gets
    /// each message once, not a burst of missed slots.
    pub fn due(&mut self, now_s: f64) -> Vec<u32> {
        self.due_slowed(now_s, 1.0)
    }

    /// As [`Schedule::due`], with every stream but HEARTBEAT's next slot `slowdown` times its
    /// interval away: ArduPilot sends its streams 4 times slower while it requests mission
    /// items (`GCS_MAVLINK::get_reschedule_interval_ms`: "we are sending requests for
    /// waypoints, penalize streams"), and its 1 Hz heartbeat is not a stream.
    pub fn due_slowed(&mut self, now_s: f64, slowdown: f64) -> Vec<u32> {
        let mut out = Vec::new();
        for s in &mut self.streams {
            if let Some(i) = s.interval_s {
                let i = if s.id == ID_HEARTBEAT {
                    i
                } else {
                    i * slowdown
                };
                if now_s >= s.next_s {
                    out.push(s.id);
                    s.next_s += i;
                    if s.next_s <= now_s {
                        s.next_s = now_s + i;
                    }
                }
            }
        }
        out
    }
}

/// HEARTBEAT as ArduCopter sends it.
pub fn heartbeat(t: &Telemetry) -> MavMessage {
    let mut base_mode = MavModeFlag::MAV_MODE_FLAG_CUSTOM_MODE_ENABLED;
    if t.armed {
        base_mode |= MavModeFlag::MAV_MODE_FLAG_SAFETY_ARMED;
    }
    if t.mode != crate::vehicle::FlightMode::Stabilize {
        base_mode |= MavModeFlag::MAV_MODE_FLAG_GUIDED_ENABLED
            | MavModeFlag::MAV_MODE_FLAG_STABILIZE_ENABLED;
    } else {
        base_mode |= MavModeFlag::MAV_MODE_FLAG_STABILIZE_ENABLED
            | MavModeFlag::MAV_MODE_FLAG_MANUAL_INPUT_ENABLED;
    }
    MavMessage::HEARTBEAT(HEARTBEAT_DATA {
        custom_mode: t.mode.custom_mode(),
        mavtype: MavType::MAV_TYPE_QUADROTOR,
        autopilot: MavAutopilot::MAV_AUTOPILOT_ARDUPILOTMEGA,
        base_mode,
        system_status: if t.armed {
            MavState::MAV_STATE_ACTIVE
        } else {
            MavState::MAV_STATE_STANDBY
        },
        mavlink_version: 3,
    })
}

fn e7(deg: f64) -> i32 {
    qly_core::mission::deg_to_e7(deg)
}

fn cdeg_0_360(rad: f64) -> u16 {
    ((rad.to_degrees().rem_euclid(360.0) * 100.0).round() as u32 % 36_000) as u16
}

/// One streamed message built from the telemetry snapshot; `None` for ids not streamed.
pub fn build(id: u32, t: &Telemetry, clock: &VehicleClock) -> Option<MavMessage> {
    let boot_ms = clock.time_boot_ms(t.time_boot_s);
    let p = &t.pose;
    let v = &t.vel_enu_m_s;
    Some(match id {
        ID_HEARTBEAT => heartbeat(t),
        ID_SYS_STATUS => {
            let sensors = MavSysStatusSensor::MAV_SYS_STATUS_SENSOR_3D_GYRO
                | MavSysStatusSensor::MAV_SYS_STATUS_SENSOR_3D_ACCEL
                | MavSysStatusSensor::MAV_SYS_STATUS_SENSOR_3D_MAG
                | MavSysStatusSensor::MAV_SYS_STATUS_SENSOR_ABSOLUTE_PRESSURE
                | MavSysStatusSensor::MAV_SYS_STATUS_SENSOR_GPS
                | MavSysStatusSensor::MAV_SYS_STATUS_SENSOR_BATTERY;
            let mut health = sensors;
            if !t.has_position {
                health.remove(MavSysStatusSensor::MAV_SYS_STATUS_SENSOR_GPS);
            }
            MavMessage::SYS_STATUS(SYS_STATUS_DATA {
                onboard_control_sensors_present: sensors,
                onboard_control_sensors_enabled: sensors,
                onboard_control_sensors_health: health,
                load: 200,
                voltage_battery: (t.battery_voltage_v * 1000.0).round() as u16,
                current_battery: (t.battery_current_a * 100.0).round().min(i16::MAX as f64) as i16,
                battery_remaining: t.battery_remaining_pct as i8,
                ..SYS_STATUS_DATA::default()
            })
        }
        ID_SYSTEM_TIME => MavMessage::SYSTEM_TIME(SYSTEM_TIME_DATA {
            time_unix_usec: clock.unix_us(t.time_boot_s),
            time_boot_ms: boot_ms,
        }),
        ID_GPS_RAW_INT => {
            let (lat, lon, alt, alt_ell) = if t.has_position {
                (
                    e7(p.lat_deg),
                    e7(p.lon_deg),
                    (p.alt_amsl_m * 1000.0).round() as i32,
                    (p.alt_ellipsoid_m * 1000.0).round() as i32,
                )
            } else {
                (0, 0, 0, 0)
            };
            let ground = v.e_m.hypot(v.n_m);
            MavMessage::GPS_RAW_INT(GPS_RAW_INT_DATA {
                time_usec: clock.unix_us(t.time_boot_s),
                lat,
                lon,
                alt,
                // HDOP/VDOP: a typical 0.8 once locked.
                eph: if t.has_position { 80 } else { u16::MAX },
                epv: if t.has_position { 80 } else { u16::MAX },
                vel: (ground * 100.0).round() as u16,
                cog: if ground > 0.2 {
                    cdeg_0_360(v.e_m.atan2(v.n_m))
                } else {
                    0
                },
                fix_type: if t.fix_type >= 3 {
                    GpsFixType::GPS_FIX_TYPE_3D_FIX
                } else {
                    GpsFixType::GPS_FIX_TYPE_NO_FIX
                },
                satellites_visible: t.satellites,
                alt_ellipsoid: alt_ell,
                h_acc: (t.h_acc_m * 1000.0).round().max(1.0) as u32,
                v_acc: (t.v_acc_m * 1000.0).round().max(1.0) as u32,
                vel_acc: 100,
                hdg_acc: 0,
                yaw: 0,
            })
        }
        ID_ATTITUDE => MavMessage::ATTITUDE(ATTITUDE_DATA {
            time_boot_ms: boot_ms,
            roll: p.roll_rad as f32,
            pitch: p.pitch_rad as f32,
            // ArduPilot sends yaw in -pi..pi.
            yaw: if p.yaw_rad > std::f64::consts::PI {
                (p.yaw_rad - std::f64::consts::TAU) as f32
            } else {
                p.yaw_rad as f32
            },
            rollspeed: t.rates_rad_s[0] as f32,
            pitchspeed: t.rates_rad_s[1] as f32,
            yawspeed: t.rates_rad_s[2] as f32,
        }),
        // Like ArduPilot before its EKF has an origin: zeros until the GPS fix.
        ID_GLOBAL_POSITION_INT if !t.has_position => {
            MavMessage::GLOBAL_POSITION_INT(GLOBAL_POSITION_INT_DATA {
                time_boot_ms: boot_ms,
                hdg: u16::MAX,
                ..GLOBAL_POSITION_INT_DATA::default()
            })
        }
        ID_GLOBAL_POSITION_INT => MavMessage::GLOBAL_POSITION_INT(GLOBAL_POSITION_INT_DATA {
            time_boot_ms: boot_ms,
            lat: e7(p.lat_deg),
            lon: e7(p.lon_deg),
            alt: (p.alt_amsl_m * 1000.0).round() as i32,
            relative_alt: (p.alt_rel_home_m * 1000.0).round() as i32,
            // NED velocities, cm/s.
            vx: (v.n_m * 100.0).round() as i16,
            vy: (v.e_m * 100.0).round() as i16,
            vz: (-v.u_m * 100.0).round() as i16,
            hdg: cdeg_0_360(p.yaw_rad),
        }),
        ID_VFR_HUD => MavMessage::VFR_HUD(VFR_HUD_DATA {
            airspeed: t.airspeed_m_s as f32,
            groundspeed: t.ground_speed_m_s as f32,
            alt: p.alt_amsl_m as f32,
            climb: v.u_m as f32,
            heading: (cdeg_0_360(p.yaw_rad) / 100) as i16,
            throttle: t.throttle_pct,
        }),
        _ => return None,
    })
}

/// GIMBAL_DEVICE_ATTITUDE_STATUS of a stabilised gimbal, as ArduPilot's mount driver sends
/// it from the autopilot (gimbal_device_id 1): roll and pitch locked to the horizon, yaw in
/// the vehicle's heading frame, so `q` is the gimbal's attitude in that frame
/// (`qly_core::geotag::CameraMount::from_gimbal_device_status` reads it back).
/// `delta_yaw` is the vehicle's heading (MAVLink: `q_earth = q_delta_yaw * q_vehicle`).
pub fn gimbal_device_attitude_status(
    q_heading_gimbal: qly_core::rotation::Quat,
    time_boot_ms: u32,
    vehicle_yaw_rad: f64,
) -> MavMessage {
    let q = q_heading_gimbal;
    MavMessage::GIMBAL_DEVICE_ATTITUDE_STATUS(GIMBAL_DEVICE_ATTITUDE_STATUS_DATA {
        time_boot_ms,
        q: [q.w as f32, q.x as f32, q.y as f32, q.z as f32],
        angular_velocity_x: 0.0,
        angular_velocity_y: 0.0,
        angular_velocity_z: 0.0,
        failure_flags: GimbalDeviceErrorFlags::empty(),
        flags: GimbalDeviceFlags::GIMBAL_DEVICE_FLAGS_ROLL_LOCK
            | GimbalDeviceFlags::GIMBAL_DEVICE_FLAGS_PITCH_LOCK
            | GimbalDeviceFlags::GIMBAL_DEVICE_FLAGS_YAW_IN_VEHICLE_FRAME,
        target_system: 0,
        target_component: 0,
        delta_yaw: vehicle_yaw_rad as f32,
        delta_yaw_velocity: 0.0,
        gimbal_device_id: 1,
    })
}

/// CAMERA_TRIGGER for a photo.
pub fn camera_trigger(c: &CaptureEvent, clock: &VehicleClock) -> MavMessage {
    MavMessage::CAMERA_TRIGGER(CAMERA_TRIGGER_DATA {
        time_usec: clock.unix_us(c.time_boot_s),
        seq: c.image_index,
    })
}

/// CAMERA_FEEDBACK for a photo, with the pose the autopilot reports (as ArduPilot's).
pub fn camera_feedback(c: &CaptureEvent, clock: &VehicleClock, own_system: u8) -> MavMessage {
    let p = &c.reported;
    MavMessage::CAMERA_FEEDBACK(CAMERA_FEEDBACK_DATA {
        time_usec: clock.unix_us(c.time_boot_s),
        lat: e7(p.lat_deg),
        lng: e7(p.lon_deg),
        alt_msl: p.alt_amsl_m as f32,
        alt_rel: p.alt_rel_home_m as f32,
        roll: p.roll_rad.to_degrees() as f32,
        pitch: p.pitch_rad.to_degrees() as f32,
        yaw: p.yaw_rad.to_degrees().rem_euclid(360.0) as f32,
        foc_len: 0.0,
        img_idx: (c.image_index % 65_536) as u16,
        target_system: own_system,
        cam_idx: 0,
        flags: CameraFeedbackFlags::CAMERA_FEEDBACK_PHOTO,
        completed_captures: (c.image_index % 65_536) as u16,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_sends_at_the_interval_and_can_be_changed() {
        let mut s = Schedule::default();
        let mut count = 0;
        for i in 0..100 {
            let t = i as f64 * 0.01; // one second
            count += s
                .due(t)
                .iter()
                .filter(|&&id| id == ID_GLOBAL_POSITION_INT)
                .count();
        }
        assert_eq!(count, 4);
        assert!(s.set_interval(ID_GLOBAL_POSITION_INT, Some(0.1), 1.0));
        assert!(s.set_interval(ID_ATTITUDE, None, 1.0));
        let mut pos = 0;
        let mut att = 0;
        for i in 100..200 {
            let due = s.due(i as f64 * 0.01);
            pos += due
                .iter()
                .filter(|&&id| id == ID_GLOBAL_POSITION_INT)
                .count();
            att += due.iter().filter(|&&id| id == ID_ATTITUDE).count();
        }
        assert_eq!((pos, att), (10, 0));
        assert!(!s.set_interval(9999, Some(1.0), 0.0));
        assert!(s.reset(ID_ATTITUDE, 2.0));
        assert_eq!(s.interval_s(ID_ATTITUDE), Some(Some(0.1)));
    }

    #[test]
    fn streams_slow_fourfold_but_not_the_heartbeat() {
        let mut s = Schedule::default();
        let (mut att, mut hb) = (0, 0);
        for i in 0..400 {
            let due = s.due_slowed(i as f64 * 0.01, 4.0); // four seconds
            att += due.iter().filter(|&&id| id == ID_ATTITUDE).count();
            hb += due.iter().filter(|&&id| id == ID_HEARTBEAT).count();
        }
        // ATTITUDE at 10 Hz becomes 2.5 Hz; HEARTBEAT stays at 1 Hz.
        assert_eq!((att, hb), (10, 4));
    }

    #[test]
    fn late_polling_does_not_burst() {
        let mut s = Schedule::default();
        s.due(0.0);
        let due = s.due(10.0);
        assert_eq!(
            due.iter().filter(|&&id| id == ID_ATTITUDE).count(),
            1,
            "{due:?}"
        );
    }
}
