//! What the autopilot refuses among the commands and mission items it receives, and with
//! which MAVLink result, as ArduPilot does.
//!
//! Sources (ArduPilot on GitHub, read through the search tool):
//! - `AP_Mission::mavlink_int_to_mission_cmd`: for commands stored with a location (every
//!   NAV command, id <= MAV_CMD_NAV_LAST = 95, and DO_SET_HOME, DO_LAND_START, DO_SET_ROI),
//!   latitude outside +-90 deg is MAV_MISSION_INVALID_PARAM5_X, longitude outside +-180 deg
//!   MAV_MISSION_INVALID_PARAM6_Y, a NaN altitude or one beyond LOCATION_ALT_MAX_M (83 km)
//!   MAV_MISSION_INVALID_PARAM7, and a frame other than the global ones (absolute, relative
//!   to home, terrain; plain and _INT) or MAV_FRAME_MISSION is MAV_MISSION_UNSUPPORTED_FRAME.
//!   A command it does not know is MAV_MISSION_UNSUPPORTED (the switch's `default`).
//!   Fence and rally items get the same position checks
//!   (`MissionItemProtocol_Rally::convert_MISSION_ITEM_INT_to_RallyLocation`).
//! - `GCS_MAVLINK::set_message_interval`: 0 resets to the default, -1 stops, under 1 ms is
//!   1 ms, over 60 s is 60 s.

use qly_core::mission::{MissionType, RawItem};
use qly_core::protocol::MissionResult;

/// ArduPilot's LOCATION_ALT_MAX_M.
pub const LOCATION_ALT_MAX_M: f32 = 83_000.0;

/// Whether ArduPilot stores command `command` with a location (and checks it).
fn stored_in_location(command: u16) -> bool {
    const DO_SET_HOME: u16 = 179;
    const DO_LAND_START: u16 = 189;
    const DO_SET_ROI: u16 = 201;
    command <= 95 || matches!(command, DO_SET_HOME | DO_LAND_START | DO_SET_ROI)
}

/// The MAV_FRAMEs ArduPilot stores a location in.
fn supported_frame(frame: u8) -> bool {
    // GLOBAL 0, MISSION 2, GLOBAL_RELATIVE_ALT 3, GLOBAL_INT 5, GLOBAL_RELATIVE_ALT_INT 6,
    // GLOBAL_TERRAIN_ALT 10, GLOBAL_TERRAIN_ALT_INT 11.
    matches!(frame, 0 | 2 | 3 | 5 | 6 | 10 | 11)
}

/// `Ok` when ArduPilot would store `item` of list `mission_type`; otherwise the
/// MAV_MISSION_RESULT its MISSION_ACK carries.
pub fn check_item(item: &RawItem, mission_type: MissionType) -> Result<(), MissionResult> {
    // A command outside the dialect (only a raw, undecodable item carries one): ArduPilot's
    // `mavlink_int_to_mission_cmd` answers an unrecognised command MAV_MISSION_UNSUPPORTED.
    if mission_type == MissionType::Mission && !qly_link::convert::known_command(item.command) {
        return Err(MissionResult::Unsupported);
    }
    let located = match mission_type {
        MissionType::Mission => stored_in_location(item.command),
        MissionType::Fence | MissionType::Rally => true,
    };
    if !located {
        return Ok(());
    }
    // Written so that NaN fails each range check too.
    if item.lat_deg.is_nan() || item.lat_deg.abs() > 90.0 {
        return Err(MissionResult::InvalidParam5X);
    }
    if item.lon_deg.is_nan() || item.lon_deg.abs() > 180.0 {
        return Err(MissionResult::InvalidParam6Y);
    }
    if item.alt_m.is_nan() || item.alt_m.abs() >= LOCATION_ALT_MAX_M {
        return Err(MissionResult::InvalidParam7);
    }
    if mission_type == MissionType::Mission && !supported_frame(item.frame) {
        return Err(MissionResult::UnsupportedFrame);
    }
    Ok(())
}

/// What MAV_CMD_SET_MESSAGE_INTERVAL asks for, once checked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum IntervalRequest {
    /// Back to the default rate (param2 = 0).
    Default(u32),
    /// Stop sending (param2 = -1).
    Stop(u32),
    /// Send every this many seconds.
    Every(u32, f64),
}

/// Checks SET_MESSAGE_INTERVAL's params (message id, interval in µs). ArduPilot casts both
/// to integers in C, where NaN or out-of-range values are undefined; here they are refused
/// (`None`: MAV_RESULT_DENIED). HEARTBEAT can be reset but never stopped or slowed below
/// 1 Hz: it is how every peer knows the link is alive, and a stranger's command must not
/// silence it.
pub fn interval_request(id_param: f32, interval_us_param: f32) -> Option<IntervalRequest> {
    if !(id_param.is_finite() && id_param >= 0.0 && id_param.fract() == 0.0)
        || id_param > 16_777_215.0
    {
        return None;
    }
    if !interval_us_param.is_finite() || interval_us_param.fract() != 0.0 {
        return None;
    }
    let id = id_param as u32;
    let us = interval_us_param as f64;
    let request = if us == 0.0 {
        IntervalRequest::Default(id)
    } else if us == -1.0 {
        IntervalRequest::Stop(id)
    } else if us < 0.0 {
        return None;
    } else {
        IntervalRequest::Every(id, us.clamp(1_000.0, 60_000_000.0) / 1e6)
    };
    const HEARTBEAT: u32 = 0;
    match request {
        IntervalRequest::Stop(HEARTBEAT) => None,
        IntervalRequest::Every(HEARTBEAT, s) if s > 1.0 => None,
        r => Some(r),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn waypoint(lat_deg: f64, lon_deg: f64, alt_m: f32, frame: u8) -> RawItem {
        RawItem {
            frame,
            command: 16,
            params: [0.0; 4],
            lat_deg,
            lon_deg,
            alt_m,
            autocontinue: true,
        }
    }

    #[test]
    fn items_are_refused_as_ardupilot_refuses_them() {
        let m = MissionType::Mission;
        assert_eq!(check_item(&waypoint(27.0, 106.9, 80.0, 3), m), Ok(()));
        assert_eq!(
            check_item(&waypoint(214.0, 106.9, 80.0, 3), m),
            Err(MissionResult::InvalidParam5X)
        );
        assert_eq!(
            check_item(&waypoint(27.0, -181.0, 80.0, 3), m),
            Err(MissionResult::InvalidParam6Y)
        );
        assert_eq!(
            check_item(&waypoint(27.0, 106.9, f32::NAN, 3), m),
            Err(MissionResult::InvalidParam7)
        );
        assert_eq!(
            check_item(&waypoint(27.0, 106.9, 1e6, 3), m),
            Err(MissionResult::InvalidParam7)
        );
        assert_eq!(
            check_item(&waypoint(f64::NAN, 106.9, 80.0, 3), m),
            Err(MissionResult::InvalidParam5X)
        );
        // MAV_FRAME_LOCAL_NED (1) and MAV_FRAME_BODY_FRD (12): no location ArduPilot stores.
        for frame in [1, 12, 255] {
            assert_eq!(
                check_item(&waypoint(27.0, 106.9, 80.0, frame), m),
                Err(MissionResult::UnsupportedFrame)
            );
        }
        // A command without a location is not checked (DO_CHANGE_SPEED).
        let mut speed = waypoint(0.0, 0.0, f32::NAN, 2);
        speed.command = 178;
        assert_eq!(check_item(&speed, m), Ok(()));
        // Rally points are positions.
        assert_eq!(
            check_item(&waypoint(91.0, 0.0, 10.0, 3), MissionType::Rally),
            Err(MissionResult::InvalidParam5X)
        );
    }

    #[test]
    fn interval_requests_cannot_silence_the_heartbeat() {
        for bad in [f32::NAN, f32::INFINITY, -1.0, 1e30, -5.0, 0.5] {
            assert_eq!(interval_request(0.0, bad), None, "{bad}");
        }
        assert_eq!(interval_request(f32::NAN, 1e6), None);
        assert_eq!(interval_request(-1.0, 1e6), None);
        assert_eq!(interval_request(33.5, 1e6), None);
        assert_eq!(
            interval_request(0.0, 0.0),
            Some(IntervalRequest::Default(0))
        );
        assert_eq!(
            interval_request(0.0, 500_000.0),
            Some(IntervalRequest::Every(0, 0.5))
        );
        // Other messages as ArduPilot: -1 stops, tiny is 1 ms, huge is 60 s.
        assert_eq!(
            interval_request(33.0, -1.0),
            Some(IntervalRequest::Stop(33))
        );
        assert_eq!(
            interval_request(33.0, 10.0),
            Some(IntervalRequest::Every(33, 0.001))
        );
        assert_eq!(
            interval_request(33.0, 1e30),
            Some(IntervalRequest::Every(33, 60.0))
        );
    }
}
