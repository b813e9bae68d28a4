//! What an autopilot keeps of the mission items it is sent, and the check that a downloaded
//! list holds what we uploaded.
//!
//! An autopilot does not store `MISSION_ITEM_INT` messages: it converts each one to its own
//! internal form and converts that back when a ground station downloads the list. So a
//! download differs from the upload in ways that do not change the flight (an empty yaw
//! comes back as 0, an altitude cut to whole centimetres) and a bit-for-bit comparison fails
//! on every real vehicle. [`Autopilot::stored_form`] models that conversion per autopilot
//! family, and [`check_stored`] compares what matters: the command, the frame class, the
//! position to 1e-7 degree, the altitude to the autopilot's resolution and the parameters as
//! the autopilot keeps them.
//!
//! ArduPilot (read from its source on GitHub, `libraries/`):
//! - `AP_Mission/AP_Mission.cpp`, `mavlink_int_to_mission_cmd` and
//!   `mission_cmd_to_mavlink_int`: a command keeps only the parameters its `Mission_Command`
//!   has room for, in their C types (`cmd.p1` is a `uint16_t`, so a waypoint's hold time is
//!   whole seconds); everything else, NaN included, comes back as 0. Positions
//!   (`stored_in_location`) keep latitude/longitude as the degE7 integers sent and the
//!   altitude as `int32_t` centimetres, `packet.z * 100.0f` truncated (75.01873 -> 75.01);
//!   the frame comes back as `GLOBAL`, `GLOBAL_RELATIVE_ALT` or `GLOBAL_TERRAIN_ALT` (the
//!   `_INT` variants and `MISSION` are folded into them). Commands without a position come
//!   back with `frame = 0` (`GLOBAL`) and no coordinates. `autocontinue` always comes back 1.
//! - `GCS_MAVLink/MissionItemProtocol_Fence.cpp` (`get_item_as_mission_item`) with
//!   `AC_Fence/AC_PolyFence_loader.cpp`: fence items keep the degE7 position, the vertex
//!   count (`uint8_t`) or the circle radius (`float`) in param1, and come back in frame
//!   `GLOBAL` with altitude 0, params 2-4 0 and `autocontinue` 0.
//! - `GCS_MAVLink/MissionItemProtocol_Rally.cpp` (`convert_MISSION_ITEM_INT_to_RallyLocation`,
//!   `get_item_as_mission_item`) with `AP_Rally/AP_Rally.h` (`RallyLocation`): rally points
//!   keep the degE7 position and the altitude as `int16_t` whole metres (truncated), and
//!   come back in their altitude frame with params 0 and `autocontinue` 0.
//!
//! PX4 (`src/modules/mavlink/mavlink_mission.cpp`, `parse_mavlink_mission_item` and
//! `format_mavlink_mission_item`): positions come back in the `_INT` frame variants (the
//! download uses `MISSION_ITEM_INT`), altitudes as the `float` sent; a waypoint keeps hold
//! time, acceptance radius and yaw (wrapped to -180..180 degrees) and loses param3; take-off
//! and land keep only yaw (land also its precision-land mode in param2); commands without a
//! position keep all their parameters; fence items keep param1 only; `autocontinue` is kept.
//!
//! Any other autopilot ([`Autopilot::Verbatim`], e.g. MAVSDK's `MissionRawServer`) is
//! expected to return items as sent.

use crate::mission::{cmd, frame, AltFrame, MissionType, RawItem};
use std::fmt;

/// The autopilot family whose storage rules apply (`HEARTBEAT.autopilot`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Autopilot {
    /// ArduPilot (`MAV_AUTOPILOT_ARDUPILOTMEGA`), Copter.
    ArduPilot,
    /// PX4 (`MAV_AUTOPILOT_PX4`).
    Px4,
    /// Anything else: items are expected back as sent.
    Verbatim,
}

/// `MAV_AUTOPILOT_ARDUPILOTMEGA`.
const MAV_AUTOPILOT_ARDUPILOTMEGA: u8 = 3;
/// `MAV_AUTOPILOT_PX4`.
const MAV_AUTOPILOT_PX4: u8 = 12;

impl Autopilot {
    /// The family a `HEARTBEAT.autopilot` value names.
    pub fn from_mav_autopilot(value: u8) -> Autopilot {
        match value {
            MAV_AUTOPILOT_ARDUPILOTMEGA => Autopilot::ArduPilot,
            MAV_AUTOPILOT_PX4 => Autopilot::Px4,
            _ => Autopilot::Verbatim,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Autopilot::ArduPilot => "ArduPilot",
            Autopilot::Px4 => "PX4",
            Autopilot::Verbatim => "autopilot",
        }
    }

    /// The resolution of the altitudes it stores, metres: ArduPilot keeps whole centimetres
    /// (mission) or whole metres (rally); the others keep the `float` sent.
    pub fn alt_resolution_m(self, mission_type: MissionType) -> f32 {
        match (self, mission_type) {
            (Autopilot::ArduPilot, MissionType::Rally) => 1.0,
            (Autopilot::ArduPilot, _) => 0.01,
            _ => 0.001,
        }
    }

    /// The item as this autopilot will return it on download after storing `item` as item of
    /// `mission_type`. Commands the model does not know are returned unchanged.
    pub fn stored_form(self, mission_type: MissionType, item: &RawItem) -> RawItem {
        match (self, mission_type) {
            (Autopilot::Verbatim, _) => *item,
            (Autopilot::ArduPilot, MissionType::Mission) => ardupilot_mission(item),
            (Autopilot::ArduPilot, MissionType::Fence) => ardupilot_fence(item),
            (Autopilot::ArduPilot, MissionType::Rally) => ardupilot_rally(item),
            (Autopilot::Px4, MissionType::Mission) => px4_mission(item),
            (Autopilot::Px4, _) => px4_fence_rally(item),
        }
    }
}

impl fmt::Display for Autopilot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// C's float-to-`uint16_t` conversion as ArduPilot's `cmd.p1 = packet.param1` does it
/// (truncation; out of range saturates here where C is undefined).
fn as_u16(v: f32) -> f32 {
    v as u16 as f32
}

fn as_u8(v: f32) -> f32 {
    v as u8 as f32
}

fn as_i16(v: f32) -> f32 {
    v as i16 as f32
}

/// `AP_Mission::stored_in_location`: the commands whose coordinates ArduPilot keeps.
fn ardupilot_has_location(command: u16) -> bool {
    matches!(
        command,
        // NAV_WAYPOINT, LOITER_UNLIM, LOITER_TURNS, LOITER_TIME, LAND, TAKEOFF,
        // CONTINUE_AND_CHANGE_ALT, LOITER_TO_ALT, SPLINE_WAYPOINT, VTOL_TAKEOFF, VTOL_LAND,
        // GUIDED_ENABLE, PAYLOAD_PLACE, DO_SET_HOME, DO_LAND_START, DO_GO_AROUND, DO_SET_ROI.
        16 | 17 | 18 | 19 | 21 | 22 | 30 | 31 | 82 | 84 | 85 | 92 | 94 | 179 | 189 | 191 | 201
    )
}

/// ArduPilot's mission store (`AP_Mission::mavlink_int_to_mission_cmd`, then
/// `mission_cmd_to_mavlink_int`) for the commands it can hold; others unchanged.
fn ardupilot_mission(item: &RawItem) -> RawItem {
    let p = item.params;
    // mission_cmd_to_mavlink_int starts from params 0, frame 0, autocontinue 1.
    let mut out = RawItem {
        frame: frame::GLOBAL,
        command: item.command,
        params: [0.0; 4],
        lat_deg: 0.0,
        lon_deg: 0.0,
        alt_m: 0.0,
        autocontinue: true,
    };
    match item.command {
        // Copter: param1 is the hold time in cmd.p1 (uint16_t); radius, pass-by and yaw are
        // not kept.
        cmd::NAV_WAYPOINT | cmd::NAV_TAKEOFF | 82 => out.params[0] = as_u16(p[0]),
        cmd::NAV_LOITER_TIME => {
            out.params[0] = as_u16(p[0]);
            out.params[2] = if p[2] < 0.0 { -1.0 } else { 1.0 };
            out.params[3] = if p[3] > 0.0 { 1.0 } else { 0.0 };
        }
        cmd::NAV_RETURN_TO_LAUNCH => {}
        cmd::NAV_LAND => {
            out.params[0] = as_u16(p[0]);
            // param4 (yaw direction) becomes loiter_ccw, which comes back as -1 or 1; NaN
            // leaves it clear.
            out.params[3] = if !p[3].is_nan() && p[3] < 0.0 {
                -1.0
            } else {
                1.0
            };
        }
        cmd::DO_JUMP => {
            // Jump_Command { uint16_t target; int16_t num_times; }
            out.params[0] = as_u16(p[0]);
            out.params[1] = as_i16(p[1]);
        }
        cmd::DO_CHANGE_SPEED => {
            // Change_Speed_Command { uint8_t speed_type; float target_ms; float throttle_pct; }
            out.params[0] = as_u8(p[0]);
            out.params[1] = p[1];
            out.params[2] = p[2];
        }
        cmd::DO_SET_CAM_TRIGG_DIST => {
            // Cam_Trigg_Distance { float meters; uint8_t trigger; }
            out.params[0] = p[0];
            out.params[2] = as_u8(p[2]);
        }
        // Not modelled (ArduPilot refuses commands it does not know at upload).
        _ => return *item,
    }
    if ardupilot_has_location(item.command) {
        out.lat_deg = item.lat_deg;
        out.lon_deg = item.lon_deg;
        // Location::alt is int32_t centimetres: `packet.z * 100.0f` truncated, returned as
        // `alt * 0.01f`.
        let alt_cm = (item.alt_m * 100.0f32) as i32;
        out.alt_m = alt_cm as f32 * 0.01f32;
        out.frame = match AltFrame::from_mav_frame(item.frame) {
            Some(AltFrame::RelativeHome) => frame::GLOBAL_RELATIVE_ALT,
            Some(AltFrame::Terrain) => frame::GLOBAL_TERRAIN_ALT,
            // MAV_FRAME_MISSION is read as an absolute altitude.
            Some(AltFrame::Amsl) | None => frame::GLOBAL,
        };
    }
    out
}

/// `MissionItemProtocol_Fence::get_item_as_mission_item` after
/// `convert_MISSION_ITEM_INT_to_AC_PolyFenceItem`.
fn ardupilot_fence(item: &RawItem) -> RawItem {
    let param1 = match item.command {
        cmd::NAV_FENCE_POLYGON_VERTEX_INCLUSION | cmd::NAV_FENCE_POLYGON_VERTEX_EXCLUSION => {
            as_u8(item.params[0])
        }
        cmd::NAV_FENCE_CIRCLE_INCLUSION | cmd::NAV_FENCE_CIRCLE_EXCLUSION => item.params[0],
        // MAV_CMD_NAV_FENCE_RETURN_POINT
        5000 => 0.0,
        _ => return *item,
    };
    RawItem {
        frame: frame::GLOBAL,
        command: item.command,
        params: [param1, 0.0, 0.0, 0.0],
        lat_deg: item.lat_deg,
        lon_deg: item.lon_deg,
        alt_m: 0.0,
        autocontinue: false,
    }
}

/// `MissionItemProtocol_Rally`: `RallyLocation::alt` is an `int16_t` in metres.
fn ardupilot_rally(item: &RawItem) -> RawItem {
    if item.command != cmd::NAV_RALLY_POINT {
        return *item;
    }
    let frame = match AltFrame::from_mav_frame(item.frame) {
        Some(AltFrame::Amsl) => frame::GLOBAL,
        Some(AltFrame::Terrain) => frame::GLOBAL_TERRAIN_ALT,
        _ => frame::GLOBAL_RELATIVE_ALT,
    };
    RawItem {
        frame,
        command: item.command,
        params: [0.0; 4],
        lat_deg: item.lat_deg,
        lon_deg: item.lon_deg,
        alt_m: item.alt_m as i16 as f32,
        autocontinue: false,
    }
}

/// The `_INT` frame variant PX4 answers a `MISSION_REQUEST_INT` with.
fn px4_int_frame(f: u8) -> u8 {
    match AltFrame::from_mav_frame(f) {
        Some(AltFrame::Amsl) => frame::GLOBAL_INT,
        Some(AltFrame::RelativeHome) => frame::GLOBAL_RELATIVE_ALT_INT,
        Some(AltFrame::Terrain) => frame::GLOBAL_TERRAIN_ALT_INT,
        None => f,
    }
}

/// PX4 keeps yaw in radians wrapped to [-pi, pi): the degrees come back wrapped.
fn px4_yaw(deg: f32) -> f32 {
    if !deg.is_finite() {
        return deg;
    }
    (deg + 180.0).rem_euclid(360.0) - 180.0
}

/// `parse_mavlink_mission_item` then `format_mavlink_mission_item`.
fn px4_mission(item: &RawItem) -> RawItem {
    if item.frame == frame::MISSION {
        // Commands without a position keep their parameters as sent.
        return *item;
    }
    let p = item.params;
    let params = match item.command {
        cmd::NAV_WAYPOINT => [p[0], p[1], 0.0, px4_yaw(p[3])],
        cmd::NAV_TAKEOFF => [0.0, 0.0, 0.0, px4_yaw(p[3])],
        cmd::NAV_LAND => [0.0, p[1], 0.0, px4_yaw(p[3])],
        _ => return *item,
    };
    RawItem {
        frame: px4_int_frame(item.frame),
        params,
        ..*item
    }
}

fn px4_fence_rally(item: &RawItem) -> RawItem {
    let param1 = match item.command {
        cmd::NAV_FENCE_POLYGON_VERTEX_INCLUSION
        | cmd::NAV_FENCE_POLYGON_VERTEX_EXCLUSION
        | cmd::NAV_FENCE_CIRCLE_INCLUSION
        | cmd::NAV_FENCE_CIRCLE_EXCLUSION => item.params[0],
        cmd::NAV_RALLY_POINT | 5000 => 0.0,
        _ => return *item,
    };
    RawItem {
        frame: px4_int_frame(item.frame),
        params: [param1, 0.0, 0.0, 0.0],
        ..*item
    }
}

/// The field of an item that differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemField {
    Command,
    Frame,
    Latitude,
    Longitude,
    Altitude,
    /// Param 1-4.
    Param(u8),
    Autocontinue,
}

impl fmt::Display for ItemField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ItemField::Command => f.write_str("command"),
            ItemField::Frame => f.write_str("frame"),
            ItemField::Latitude => f.write_str("latitude"),
            ItemField::Longitude => f.write_str("longitude"),
            ItemField::Altitude => f.write_str("altitude"),
            ItemField::Param(n) => write!(f, "param{n}"),
            ItemField::Autocontinue => f.write_str("autocontinue"),
        }
    }
}

/// A downloaded item that does not hold what was uploaded, beyond the autopilot's own
/// normalisation: names the item, the field and the three values.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemDifference {
    pub mission_type: MissionType,
    pub seq: usize,
    pub command: u16,
    pub field: ItemField,
    pub autopilot: Autopilot,
    /// The value sent.
    pub sent: String,
    /// The value the autopilot would hold after storing it.
    pub expected: String,
    /// The value downloaded.
    pub got: String,
}

impl fmt::Display for ItemDifference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} item {} (command {}): {} differs: sent {}, the vehicle holds {}",
            super::list_name(self.mission_type),
            self.seq,
            self.command,
            self.field,
            self.sent,
            self.got
        )?;
        if self.expected != self.sent {
            write!(f, " ({} would store {})", self.autopilot, self.expected)?;
        }
        Ok(())
    }
}

impl std::error::Error for ItemDifference {}

fn same_param(a: f32, b: f32) -> bool {
    if a.is_nan() || b.is_nan() {
        return a.is_nan() && b.is_nan();
    }
    (a - b).abs() <= 1e-5 * a.abs().max(b.abs()).max(1.0)
}

fn fmt_f32(v: f32) -> String {
    if v.is_nan() {
        "NaN".to_string()
    } else {
        format!("{v}")
    }
}

/// Whether an item's coordinates are a position (its frame is a global one), as opposed to
/// a command without a position whose frame and coordinates carry nothing.
fn has_position(item: &RawItem) -> bool {
    AltFrame::from_mav_frame(item.frame).is_some()
        && !(item.frame == frame::GLOBAL && item.lat_e7() == 0 && item.lon_e7() == 0)
}

/// Checks that `got` (downloaded item `seq` of `mission_type`) holds what `sent` asked for,
/// once `autopilot` has stored it: same command; same altitude reference (GLOBAL and
/// GLOBAL_INT are one class) for items with a position; latitude and longitude within
/// 1e-7 degree; altitude within the autopilot's resolution; every parameter as the
/// autopilot keeps it (NaN only equals NaN); for mission items, the same `autocontinue`.
pub fn check_stored(
    autopilot: Autopilot,
    mission_type: MissionType,
    seq: usize,
    sent: &RawItem,
    got: &RawItem,
) -> Result<(), ItemDifference> {
    let expected = autopilot.stored_form(mission_type, sent);
    let diff = |field: ItemField, s: String, e: String, g: String| ItemDifference {
        mission_type,
        seq,
        command: sent.command,
        field,
        autopilot,
        sent: s,
        expected: e,
        got: g,
    };
    if expected.command != got.command {
        return Err(diff(
            ItemField::Command,
            sent.command.to_string(),
            expected.command.to_string(),
            got.command.to_string(),
        ));
    }
    let positioned = has_position(&expected);
    if positioned {
        let class = |f: u8| AltFrame::from_mav_frame(f);
        if class(expected.frame) != class(got.frame) {
            return Err(diff(
                ItemField::Frame,
                sent.frame.to_string(),
                expected.frame.to_string(),
                got.frame.to_string(),
            ));
        }
    }
    for (field, e, g, s) in [
        (
            ItemField::Latitude,
            expected.lat_e7(),
            got.lat_e7(),
            sent.lat_e7(),
        ),
        (
            ItemField::Longitude,
            expected.lon_e7(),
            got.lon_e7(),
            sent.lon_e7(),
        ),
    ] {
        if (i64::from(e) - i64::from(g)).abs() > 1 {
            let deg = |v: i32| format!("{:.7}", v as f64 / 1e7);
            return Err(diff(field, deg(s), deg(e), deg(g)));
        }
    }
    let resolution = autopilot.alt_resolution_m(mission_type);
    let alt_ok = if expected.alt_m.is_nan() || got.alt_m.is_nan() {
        expected.alt_m.is_nan() && got.alt_m.is_nan()
    } else {
        // A hair over the resolution: the float products of either side may round apart.
        (expected.alt_m - got.alt_m).abs() <= resolution * 1.001 + 1e-4
    };
    if !alt_ok {
        let m = |v: f32| format!("{} m", fmt_f32(v));
        return Err(diff(
            ItemField::Altitude,
            m(sent.alt_m),
            m(expected.alt_m),
            m(got.alt_m),
        ));
    }
    for i in 0..4 {
        if !same_param(expected.params[i], got.params[i]) {
            return Err(diff(
                ItemField::Param(i as u8 + 1),
                fmt_f32(sent.params[i]),
                fmt_f32(expected.params[i]),
                fmt_f32(got.params[i]),
            ));
        }
    }
    // Fence and rally items carry no autocontinue that means anything (ArduPilot returns
    // 0); a mission item that does not continue stops the mission.
    if mission_type == MissionType::Mission && expected.autocontinue != got.autocontinue {
        let b = |v: bool| u8::from(v).to_string();
        return Err(diff(
            ItemField::Autocontinue,
            b(sent.autocontinue),
            b(expected.autocontinue),
            b(got.autocontinue),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geodesy::GeoPoint;
    use crate::mission::{Altitude, Home, Mission, MissionItem, RallyPoint};

    fn waypoint(alt_m: f64) -> RawItem {
        MissionItem::Waypoint {
            point: GeoPoint {
                lat_deg: 27.123_456_7,
                lon_deg: 106.987_654_3,
            },
            alt: Altitude::relative_home(alt_m),
            hold_s: 0.0,
        }
        .to_raw()
    }

    fn ap(t: MissionType, item: &RawItem) -> RawItem {
        Autopilot::ArduPilot.stored_form(t, item)
    }

    #[test]
    fn ardupilot_returns_an_empty_yaw_as_zero() {
        let sent = waypoint(80.0);
        assert!(sent.params[3].is_nan());
        let stored = ap(MissionType::Mission, &sent);
        assert_eq!(stored.params, [0.0; 4]);
        // Bit for bit the two differ; as ArduPilot stores them they agree.
        assert!(!sent.same_on_wire(&stored));
        check_stored(
            Autopilot::ArduPilot,
            MissionType::Mission,
            3,
            &sent,
            &stored,
        )
        .unwrap();
    }

    #[test]
    fn ardupilot_cuts_altitudes_to_whole_centimetres() {
        let sent = waypoint(75.018_73);
        let stored = ap(MissionType::Mission, &sent);
        assert!((stored.alt_m - 75.01).abs() < 1e-5, "{}", stored.alt_m);
        check_stored(
            Autopilot::ArduPilot,
            MissionType::Mission,
            1,
            &sent,
            &stored,
        )
        .unwrap();
        // Negative altitudes truncate towards zero, as C's float-to-int conversion does.
        let low = ap(MissionType::Mission, &waypoint(-3.4567));
        assert!((low.alt_m + 3.45).abs() < 1e-5, "{}", low.alt_m);
    }

    #[test]
    fn ardupilot_returns_commands_without_a_position_in_frame_global() {
        let sent = MissionItem::ChangeSpeed { speed_m_s: 8.5 }.to_raw();
        assert_eq!(sent.frame, frame::MISSION);
        let stored = ap(MissionType::Mission, &sent);
        assert_eq!(stored.frame, frame::GLOBAL);
        assert_eq!(stored.params, [1.0, 8.5, -1.0, 0.0]);
        check_stored(
            Autopilot::ArduPilot,
            MissionType::Mission,
            2,
            &sent,
            &stored,
        )
        .unwrap();
        let rtl = ap(MissionType::Mission, &MissionItem::ReturnToLaunch.to_raw());
        assert_eq!(rtl.frame, frame::GLOBAL);
    }

    #[test]
    fn ardupilot_keeps_the_camera_trigger_distance_and_the_immediate_shot() {
        let sent = MissionItem::CamTriggerDistance {
            distance_m: 21.37,
            trigger_once: true,
        }
        .to_raw();
        let stored = ap(MissionType::Mission, &sent);
        assert_eq!(stored.params, [21.37, 0.0, 1.0, 0.0]);
    }

    #[test]
    fn ardupilot_keeps_a_hold_time_in_whole_seconds_and_land_yaw_as_one() {
        let mut sent = waypoint(50.0);
        sent.params[0] = 2.7;
        sent.params[1] = 3.0; // acceptance radius: Copter has no room for it
        let stored = ap(MissionType::Mission, &sent);
        assert_eq!(stored.params, [2.0, 0.0, 0.0, 0.0]);
        let land = ap(
            MissionType::Mission,
            &MissionItem::Land { point: None }.to_raw(),
        );
        assert_eq!(land.params, [0.0, 0.0, 0.0, 1.0]);
        assert_eq!(land.frame, frame::GLOBAL_RELATIVE_ALT);
    }

    #[test]
    fn ardupilot_folds_int_frames_and_keeps_terrain_altitudes() {
        let mut sent = waypoint(100.0);
        sent.frame = frame::GLOBAL_RELATIVE_ALT_INT;
        assert_eq!(
            ap(MissionType::Mission, &sent).frame,
            frame::GLOBAL_RELATIVE_ALT
        );
        sent.frame = frame::GLOBAL_TERRAIN_ALT_INT;
        assert_eq!(
            ap(MissionType::Mission, &sent).frame,
            frame::GLOBAL_TERRAIN_ALT
        );
    }

    fn mission_with_fence_and_rally() -> Mission {
        let mut m = Mission::new(
            Home {
                point: GeoPoint {
                    lat_deg: 27.0,
                    lon_deg: 106.9,
                },
                alt_amsl_m: 1100.0,
            },
            vec![],
        );
        m.fence.push(crate::mission::FenceZone::Polygon {
            inclusion: false,
            vertices: vec![
                GeoPoint {
                    lat_deg: 27.0,
                    lon_deg: 106.9,
                },
                GeoPoint {
                    lat_deg: 27.001,
                    lon_deg: 106.9,
                },
                GeoPoint {
                    lat_deg: 27.001,
                    lon_deg: 106.901,
                },
            ],
        });
        m.fence.push(crate::mission::FenceZone::Circle {
            inclusion: true,
            centre: GeoPoint {
                lat_deg: 27.0,
                lon_deg: 106.9,
            },
            radius_m: 1500.5,
        });
        m.rally.push(RallyPoint {
            point: GeoPoint {
                lat_deg: 27.002,
                lon_deg: 106.902,
            },
            alt_rel_home_m: 45.8,
        });
        m
    }

    #[test]
    fn ardupilot_returns_fence_items_with_autocontinue_zero() {
        let m = mission_with_fence_and_rally();
        for (seq, sent) in m.wire_items(MissionType::Fence).iter().enumerate() {
            assert!(sent.autocontinue);
            let stored = ap(MissionType::Fence, sent);
            assert!(!stored.autocontinue);
            assert_eq!(stored.params[0], sent.params[0]);
            check_stored(Autopilot::ArduPilot, MissionType::Fence, seq, sent, &stored).unwrap();
        }
    }

    #[test]
    fn ardupilot_keeps_rally_heights_in_whole_metres() {
        let m = mission_with_fence_and_rally();
        let sent = m.wire_items(MissionType::Rally)[0];
        let stored = ap(MissionType::Rally, &sent);
        assert_eq!(stored.alt_m, 45.0);
        assert!(!stored.autocontinue);
        assert_eq!(stored.frame, frame::GLOBAL_RELATIVE_ALT);
        check_stored(Autopilot::ArduPilot, MissionType::Rally, 0, &sent, &stored).unwrap();
        // A metre off is more than the resolution.
        let mut wrong = stored;
        wrong.alt_m = 47.0;
        let e =
            check_stored(Autopilot::ArduPilot, MissionType::Rally, 0, &sent, &wrong).unwrap_err();
        assert_eq!(e.field, ItemField::Altitude);
    }

    #[test]
    fn px4_returns_int_frames_wrapped_yaw_and_drops_waypoint_param3() {
        let mut sent = waypoint(60.0);
        sent.params = [1.5, 2.0, 7.0, 270.0];
        let stored = Autopilot::Px4.stored_form(MissionType::Mission, &sent);
        assert_eq!(stored.frame, frame::GLOBAL_RELATIVE_ALT_INT);
        assert_eq!(stored.params[..3], [1.5, 2.0, 0.0]);
        assert!((stored.params[3] + 90.0).abs() < 1e-4);
        assert_eq!(stored.alt_m, 60.0);
        check_stored(Autopilot::Px4, MissionType::Mission, 1, &sent, &stored).unwrap();
        // A NaN yaw stays NaN on PX4.
        let nan = Autopilot::Px4.stored_form(MissionType::Mission, &waypoint(60.0));
        assert!(nan.params[3].is_nan());
        // Commands without a position are kept as sent.
        let speed = MissionItem::ChangeSpeed { speed_m_s: 4.0 }.to_raw();
        assert!(Autopilot::Px4
            .stored_form(MissionType::Mission, &speed)
            .same_on_wire(&speed));
        let fence = mission_with_fence_and_rally().wire_items(MissionType::Fence)[0];
        let f = Autopilot::Px4.stored_form(MissionType::Fence, &fence);
        assert_eq!(f.frame, frame::GLOBAL_INT);
        assert!(f.autocontinue);
    }

    #[test]
    fn verbatim_expects_items_as_sent() {
        let sent = waypoint(75.018_73);
        let stored = ap(MissionType::Mission, &sent);
        let e =
            check_stored(Autopilot::Verbatim, MissionType::Mission, 4, &sent, &stored).unwrap_err();
        // The altitude (0.9 cm off) is checked before the yaw (NaN against 0).
        assert_eq!(e.field, ItemField::Altitude);
        let mut yaw_only = sent;
        yaw_only.params[3] = 0.0;
        let e = check_stored(
            Autopilot::Verbatim,
            MissionType::Mission,
            4,
            &sent,
            &yaw_only,
        )
        .unwrap_err();
        assert_eq!(e.field, ItemField::Param(4));
        check_stored(Autopilot::Verbatim, MissionType::Mission, 4, &sent, &sent).unwrap();
    }

    #[test]
    fn a_real_difference_names_item_field_and_values() {
        let sent = waypoint(75.018_73);
        let mut got = ap(MissionType::Mission, &sent);
        got.alt_m = 80.0;
        let e =
            check_stored(Autopilot::ArduPilot, MissionType::Mission, 12, &sent, &got).unwrap_err();
        assert_eq!(e.field, ItemField::Altitude);
        let text = e.to_string();
        for needle in [
            "mission item 12",
            "command 16",
            "altitude",
            "75.01873",
            "80 m",
        ] {
            assert!(text.contains(needle), "{needle:?} not in {text}");
        }
        assert!(text.contains("ArduPilot would store 75.01 m"), "{text}");

        let mut moved = ap(MissionType::Mission, &sent);
        moved.lat_deg += 3e-7;
        let e =
            check_stored(Autopilot::ArduPilot, MissionType::Mission, 5, &sent, &moved).unwrap_err();
        assert_eq!(e.field, ItemField::Latitude);
        // One unit of 1e-7 degree is within the tolerance.
        let mut nudged = ap(MissionType::Mission, &sent);
        nudged.lat_deg += 1e-7;
        check_stored(
            Autopilot::ArduPilot,
            MissionType::Mission,
            5,
            &sent,
            &nudged,
        )
        .unwrap();

        let mut other_frame = ap(MissionType::Mission, &sent);
        other_frame.frame = frame::GLOBAL;
        let e = check_stored(
            Autopilot::ArduPilot,
            MissionType::Mission,
            5,
            &sent,
            &other_frame,
        )
        .unwrap_err();
        assert_eq!(e.field, ItemField::Frame);

        let mut stop = ap(MissionType::Mission, &sent);
        stop.autocontinue = false;
        let e =
            check_stored(Autopilot::ArduPilot, MissionType::Mission, 5, &sent, &stop).unwrap_err();
        assert_eq!(e.field, ItemField::Autocontinue);

        let mut wrong_speed = MissionItem::ChangeSpeed { speed_m_s: 8.0 }.to_raw();
        let sent_speed = wrong_speed;
        wrong_speed.params[1] = 12.0;
        let e = check_stored(
            Autopilot::ArduPilot,
            MissionType::Mission,
            2,
            &sent_speed,
            &ap(MissionType::Mission, &wrong_speed),
        )
        .unwrap_err();
        assert_eq!(e.field, ItemField::Param(2));
    }

    #[test]
    fn heartbeat_autopilot_values() {
        assert_eq!(Autopilot::from_mav_autopilot(3), Autopilot::ArduPilot);
        assert_eq!(Autopilot::from_mav_autopilot(12), Autopilot::Px4);
        assert_eq!(Autopilot::from_mav_autopilot(0), Autopilot::Verbatim);
    }

    #[test]
    fn stored_form_is_idempotent() {
        // What the vehicle returns, uploaded again, is stored the same (the issue's
        // "re-uploaded in the form ArduPilot returns passes").
        let m = mission_with_fence_and_rally();
        for t in [MissionType::Fence, MissionType::Rally] {
            for item in m.wire_items(t) {
                let once = ap(t, &item);
                assert!(ap(t, &once).same_on_wire(&once));
            }
        }
        for item in [
            waypoint(75.018_73),
            MissionItem::ChangeSpeed { speed_m_s: 3.3 }.to_raw(),
            MissionItem::Land { point: None }.to_raw(),
        ] {
            let once = ap(MissionType::Mission, &item);
            assert!(ap(MissionType::Mission, &once).same_on_wire(&once));
        }
    }
}
