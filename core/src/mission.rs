//! Mission items: the MAVLink mission items we plan, independent of any file format or link.
//!
//! A [`Mission`] is what a vehicle stores: a home position, the navigation/command items, and
//! optionally a geofence and rally points. Writers (`.plan`, WPL 110) and the MAVLink upload
//! all go through [`RawItem`], the exact wire shape of `MISSION_ITEM_INT`, so the file a pilot
//! opens and the mission a vehicle flies are made from the same values.
//!
//! Conventions: latitude/longitude are WGS-84 degrees; every altitude carries its reference
//! in [`AltFrame`]. Item 0 on the wire is home (the ArduPilot convention, which QGroundControl's
//! WPL 110 files and Mission Planner also follow); [`Mission::wire_items`] adds it.

use crate::geodesy::GeoPoint;

/// MAVLink `MAV_FRAME` values we emit or accept for global items.
pub mod frame {
    /// Altitude above mean sea level.
    pub const GLOBAL: u8 = 0;
    /// Not a position: command-only items (DO_*).
    pub const MISSION: u8 = 2;
    /// Altitude relative to the home position.
    pub const GLOBAL_RELATIVE_ALT: u8 = 3;
    /// Integer-coordinate variant of [`GLOBAL`] (deprecated, still read).
    pub const GLOBAL_INT: u8 = 5;
    /// Integer-coordinate variant of [`GLOBAL_RELATIVE_ALT`] (deprecated, still read).
    pub const GLOBAL_RELATIVE_ALT_INT: u8 = 6;
    /// Altitude above terrain (the vehicle's own terrain database).
    pub const GLOBAL_TERRAIN_ALT: u8 = 10;
    /// Integer-coordinate variant of [`GLOBAL_TERRAIN_ALT`] (deprecated, still read).
    pub const GLOBAL_TERRAIN_ALT_INT: u8 = 11;
}

/// MAVLink `MAV_CMD` values we emit.
pub mod cmd {
    pub const NAV_WAYPOINT: u16 = 16;
    pub const NAV_LOITER_TIME: u16 = 19;
    pub const NAV_RETURN_TO_LAUNCH: u16 = 20;
    pub const NAV_LAND: u16 = 21;
    pub const NAV_TAKEOFF: u16 = 22;
    pub const DO_JUMP: u16 = 177;
    pub const DO_CHANGE_SPEED: u16 = 178;
    pub const DO_SET_CAM_TRIGG_DIST: u16 = 206;
    pub const IMAGE_START_CAPTURE: u16 = 2000;
    pub const NAV_FENCE_POLYGON_VERTEX_INCLUSION: u16 = 5001;
    pub const NAV_FENCE_POLYGON_VERTEX_EXCLUSION: u16 = 5002;
    pub const NAV_FENCE_CIRCLE_INCLUSION: u16 = 5003;
    pub const NAV_FENCE_CIRCLE_EXCLUSION: u16 = 5004;
    pub const NAV_RALLY_POINT: u16 = 5100;
}

/// Which of the vehicle's three stored lists a set of items belongs to (`MAV_MISSION_TYPE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MissionType {
    Mission = 0,
    Fence = 1,
    Rally = 2,
}

/// The reference an altitude is measured from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AltFrame {
    /// Above mean sea level (`MAV_FRAME_GLOBAL`).
    Amsl,
    /// Above the home (take-off) position (`MAV_FRAME_GLOBAL_RELATIVE_ALT`).
    RelativeHome,
    /// Above the terrain under the vehicle (`MAV_FRAME_GLOBAL_TERRAIN_ALT`).
    Terrain,
}

impl AltFrame {
    /// The `MAV_FRAME` value written for this reference.
    pub fn mav_frame(self) -> u8 {
        match self {
            AltFrame::Amsl => frame::GLOBAL,
            AltFrame::RelativeHome => frame::GLOBAL_RELATIVE_ALT,
            AltFrame::Terrain => frame::GLOBAL_TERRAIN_ALT,
        }
    }

    /// The reference a `MAV_FRAME` value means, for the global frames (float or int variant).
    pub fn from_mav_frame(mav_frame: u8) -> Option<AltFrame> {
        match mav_frame {
            frame::GLOBAL | frame::GLOBAL_INT => Some(AltFrame::Amsl),
            frame::GLOBAL_RELATIVE_ALT | frame::GLOBAL_RELATIVE_ALT_INT => {
                Some(AltFrame::RelativeHome)
            }
            frame::GLOBAL_TERRAIN_ALT | frame::GLOBAL_TERRAIN_ALT_INT => Some(AltFrame::Terrain),
            _ => None,
        }
    }
}

/// An altitude together with what it is measured from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Altitude {
    pub alt_m: f64,
    pub frame: AltFrame,
}

impl Altitude {
    pub fn relative_home(alt_m: f64) -> Self {
        Altitude {
            alt_m,
            frame: AltFrame::RelativeHome,
        }
    }
}

/// One mission item exactly as `MISSION_ITEM_INT` carries it (and as WPL 110 / `.plan`
/// `SimpleItem` store it). `NaN` params mean "unset / keep current", as in MAVLink.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RawItem {
    pub frame: u8,
    pub command: u16,
    pub params: [f32; 4],
    /// Latitude in WGS-84 degrees (param 5); 0 for command-only items.
    pub lat_deg: f64,
    /// Longitude in WGS-84 degrees (param 6); 0 for command-only items.
    pub lon_deg: f64,
    /// Altitude in metres in the reference `frame` names (param 7).
    pub alt_m: f32,
    pub autocontinue: bool,
}

impl RawItem {
    /// Latitude as the degE7 integer `MISSION_ITEM_INT.x` carries.
    pub fn lat_e7(&self) -> i32 {
        deg_to_e7(self.lat_deg)
    }

    /// Longitude as the degE7 integer `MISSION_ITEM_INT.y` carries.
    pub fn lon_e7(&self) -> i32 {
        deg_to_e7(self.lon_deg)
    }

    /// Equality as the vehicle stores items: coordinates compared at degE7 resolution, floats
    /// bit-for-bit except that any two NaNs are equal. Used to verify a download against the
    /// plan.
    pub fn same_on_wire(&self, other: &RawItem) -> bool {
        fn same_f32(a: f32, b: f32) -> bool {
            (a.is_nan() && b.is_nan()) || a == b
        }
        self.frame == other.frame
            && self.command == other.command
            && self
                .params
                .iter()
                .zip(other.params.iter())
                .all(|(a, b)| same_f32(*a, *b))
            && self.lat_e7() == other.lat_e7()
            && self.lon_e7() == other.lon_e7()
            && same_f32(self.alt_m, other.alt_m)
            && self.autocontinue == other.autocontinue
    }
}

/// Degrees to the degE7 integers MAVLink uses, rounded to nearest.
pub fn deg_to_e7(deg: f64) -> i32 {
    (deg * 1e7).round() as i32
}

/// degE7 integers back to degrees.
pub fn e7_to_deg(e7: i32) -> f64 {
    e7 as f64 / 1e7
}

/// The mission items we plan, typed. Anything else read from a file is kept as
/// [`MissionItem::Other`] so a read-then-write round trip loses nothing.
#[derive(Debug, Clone, PartialEq)]
pub enum MissionItem {
    /// `MAV_CMD_NAV_TAKEOFF`: climb to `alt` above the current position.
    Takeoff { alt: Altitude },
    /// `MAV_CMD_NAV_WAYPOINT`: fly to a point; `hold_s` is the hover time there.
    Waypoint {
        point: GeoPoint,
        alt: Altitude,
        hold_s: f32,
    },
    /// `MAV_CMD_DO_CHANGE_SPEED` (ground speed).
    ChangeSpeed { speed_m_s: f32 },
    /// `MAV_CMD_DO_SET_CAM_TRIGG_DIST`: photo every `distance_m` flown; 0 stops triggering.
    /// `trigger_once` takes one photo immediately (param 3).
    CamTriggerDistance { distance_m: f32, trigger_once: bool },
    /// `MAV_CMD_NAV_RETURN_TO_LAUNCH`.
    ReturnToLaunch,
    /// `MAV_CMD_NAV_LAND` at a point (`None`: where the vehicle is).
    Land { point: Option<GeoPoint> },
    /// Any other item, kept verbatim.
    Other(RawItem),
}

impl MissionItem {
    /// The wire form of this item.
    pub fn to_raw(&self) -> RawItem {
        let nan = f32::NAN;
        match self {
            MissionItem::Takeoff { alt } => RawItem {
                frame: alt.frame.mav_frame(),
                command: cmd::NAV_TAKEOFF,
                params: [0.0, 0.0, 0.0, nan],
                lat_deg: 0.0,
                lon_deg: 0.0,
                alt_m: alt.alt_m as f32,
                autocontinue: true,
            },
            MissionItem::Waypoint { point, alt, hold_s } => RawItem {
                frame: alt.frame.mav_frame(),
                command: cmd::NAV_WAYPOINT,
                params: [*hold_s, 0.0, 0.0, nan],
                lat_deg: point.lat_deg,
                lon_deg: point.lon_deg,
                alt_m: alt.alt_m as f32,
                autocontinue: true,
            },
            MissionItem::ChangeSpeed { speed_m_s } => RawItem {
                frame: frame::MISSION,
                command: cmd::DO_CHANGE_SPEED,
                // param1 1 = ground speed; param3 -1 = leave throttle unchanged.
                params: [1.0, *speed_m_s, -1.0, 0.0],
                lat_deg: 0.0,
                lon_deg: 0.0,
                alt_m: 0.0,
                autocontinue: true,
            },
            MissionItem::CamTriggerDistance {
                distance_m,
                trigger_once,
            } => RawItem {
                frame: frame::MISSION,
                command: cmd::DO_SET_CAM_TRIGG_DIST,
                params: [*distance_m, 0.0, if *trigger_once { 1.0 } else { 0.0 }, 0.0],
                lat_deg: 0.0,
                lon_deg: 0.0,
                alt_m: 0.0,
                autocontinue: true,
            },
            MissionItem::ReturnToLaunch => RawItem {
                frame: frame::MISSION,
                command: cmd::NAV_RETURN_TO_LAUNCH,
                params: [0.0; 4],
                lat_deg: 0.0,
                lon_deg: 0.0,
                alt_m: 0.0,
                autocontinue: true,
            },
            MissionItem::Land { point } => {
                let p = point.unwrap_or(GeoPoint {
                    lat_deg: 0.0,
                    lon_deg: 0.0,
                });
                RawItem {
                    frame: frame::GLOBAL_RELATIVE_ALT,
                    command: cmd::NAV_LAND,
                    params: [0.0, 0.0, 0.0, nan],
                    lat_deg: p.lat_deg,
                    lon_deg: p.lon_deg,
                    alt_m: 0.0,
                    autocontinue: true,
                }
            }
            MissionItem::Other(raw) => *raw,
        }
    }

    /// The typed form of a wire item; unknown commands (or known ones in frames we do not
    /// plan with) become [`MissionItem::Other`].
    pub fn from_raw(raw: &RawItem) -> MissionItem {
        let alt = AltFrame::from_mav_frame(raw.frame).map(|frame| Altitude {
            alt_m: raw.alt_m as f64,
            frame,
        });
        let point = GeoPoint {
            lat_deg: raw.lat_deg,
            lon_deg: raw.lon_deg,
        };
        let typed = match (raw.command, alt) {
            (cmd::NAV_TAKEOFF, Some(alt)) => Some(MissionItem::Takeoff { alt }),
            (cmd::NAV_WAYPOINT, Some(alt)) => Some(MissionItem::Waypoint {
                point,
                alt,
                hold_s: raw.params[0],
            }),
            (cmd::DO_CHANGE_SPEED, _) => Some(MissionItem::ChangeSpeed {
                speed_m_s: raw.params[1],
            }),
            (cmd::DO_SET_CAM_TRIGG_DIST, _) => Some(MissionItem::CamTriggerDistance {
                distance_m: raw.params[0],
                trigger_once: raw.params[2] == 1.0,
            }),
            (cmd::NAV_RETURN_TO_LAUNCH, _) => Some(MissionItem::ReturnToLaunch),
            (cmd::NAV_LAND, Some(_)) => Some(MissionItem::Land {
                point: if raw.lat_deg == 0.0 && raw.lon_deg == 0.0 {
                    None
                } else {
                    Some(point)
                },
            }),
            _ => None,
        };
        // Only accept the typed form when it writes back to exactly the same wire item, so
        // reading a file and writing it again never changes what the vehicle flies.
        match typed {
            Some(item) if item.to_raw().same_on_wire(raw) => item,
            _ => MissionItem::Other(*raw),
        }
    }
}

/// The home position: where the vehicle takes off, and item 0 on the wire.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Home {
    pub point: GeoPoint,
    /// Height of home above mean sea level (EGM96 geoid), metres.
    pub alt_amsl_m: f64,
}

/// A geofence zone, as QGroundControl plans them and `MAV_MISSION_TYPE_FENCE` carries them.
#[derive(Debug, Clone, PartialEq)]
pub enum FenceZone {
    Polygon {
        /// `true`: stay inside; `false`: stay out.
        inclusion: bool,
        vertices: Vec<GeoPoint>,
    },
    Circle {
        inclusion: bool,
        centre: GeoPoint,
        radius_m: f64,
    },
}

/// A rally (safe landing) point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RallyPoint {
    pub point: GeoPoint,
    pub alt_rel_home_m: f64,
}

/// Everything a vehicle stores for one flight.
#[derive(Debug, Clone, PartialEq)]
pub struct Mission {
    pub home: Home,
    /// The mission items after home, in flight order.
    pub items: Vec<MissionItem>,
    pub fence: Vec<FenceZone>,
    pub rally: Vec<RallyPoint>,
}

impl Mission {
    pub fn new(home: Home, items: Vec<MissionItem>) -> Self {
        Mission {
            home,
            items,
            fence: Vec::new(),
            rally: Vec::new(),
        }
    }

    /// The items of one list exactly as they go over the wire, sequence number = index.
    /// For [`MissionType::Mission`] item 0 is home (AMSL, as ArduPilot stores it).
    pub fn wire_items(&self, mission_type: MissionType) -> Vec<RawItem> {
        match mission_type {
            MissionType::Mission => std::iter::once(self.home_raw())
                .chain(self.items.iter().map(MissionItem::to_raw))
                .collect(),
            MissionType::Fence => self.fence.iter().flat_map(fence_raw).collect(),
            MissionType::Rally => self
                .rally
                .iter()
                .map(|r| RawItem {
                    frame: frame::GLOBAL_RELATIVE_ALT,
                    command: cmd::NAV_RALLY_POINT,
                    params: [0.0; 4],
                    lat_deg: r.point.lat_deg,
                    lon_deg: r.point.lon_deg,
                    alt_m: r.alt_rel_home_m as f32,
                    autocontinue: true,
                })
                .collect(),
        }
    }

    /// Home as wire item 0: a waypoint in the AMSL frame.
    pub fn home_raw(&self) -> RawItem {
        RawItem {
            frame: frame::GLOBAL,
            command: cmd::NAV_WAYPOINT,
            params: [0.0; 4],
            lat_deg: self.home.point.lat_deg,
            lon_deg: self.home.point.lon_deg,
            alt_m: self.home.alt_amsl_m as f32,
            autocontinue: true,
        }
    }
}

fn fence_raw(zone: &FenceZone) -> Vec<RawItem> {
    let item = |command: u16, p1: f32, p: &GeoPoint| RawItem {
        frame: frame::GLOBAL,
        command,
        params: [p1, 0.0, 0.0, 0.0],
        lat_deg: p.lat_deg,
        lon_deg: p.lon_deg,
        alt_m: 0.0,
        autocontinue: true,
    };
    match zone {
        FenceZone::Polygon {
            inclusion,
            vertices,
        } => {
            let command = if *inclusion {
                cmd::NAV_FENCE_POLYGON_VERTEX_INCLUSION
            } else {
                cmd::NAV_FENCE_POLYGON_VERTEX_EXCLUSION
            };
            // param1 of every vertex is the vertex count of its polygon.
            vertices
                .iter()
                .map(|v| item(command, vertices.len() as f32, v))
                .collect()
        }
        FenceZone::Circle {
            inclusion,
            centre,
            radius_m,
        } => {
            let command = if *inclusion {
                cmd::NAV_FENCE_CIRCLE_INCLUSION
            } else {
                cmd::NAV_FENCE_CIRCLE_EXCLUSION
            };
            vec![item(command, *radius_m as f32, centre)]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(lat_deg: f64, lon_deg: f64) -> GeoPoint {
        GeoPoint { lat_deg, lon_deg }
    }

    #[test]
    fn typed_items_round_trip_through_raw() {
        let items = vec![
            MissionItem::Takeoff {
                alt: Altitude::relative_home(80.0),
            },
            MissionItem::ChangeSpeed { speed_m_s: 8.0 },
            MissionItem::Waypoint {
                point: p(27.05, 106.95),
                alt: Altitude::relative_home(80.0),
                hold_s: 0.0,
            },
            MissionItem::CamTriggerDistance {
                distance_m: 21.5,
                trigger_once: true,
            },
            MissionItem::CamTriggerDistance {
                distance_m: 0.0,
                trigger_once: false,
            },
            MissionItem::ReturnToLaunch,
            MissionItem::Land {
                point: Some(p(27.0, 106.9)),
            },
            MissionItem::Land { point: None },
        ];
        for item in items {
            assert_eq!(MissionItem::from_raw(&item.to_raw()), item);
        }
    }

    #[test]
    fn unknown_command_is_kept_verbatim() {
        let raw = RawItem {
            frame: 3,
            command: 31000,
            params: [1.0, 2.0, f32::NAN, 4.0],
            lat_deg: 1.0,
            lon_deg: 2.0,
            alt_m: 3.0,
            autocontinue: false,
        };
        match MissionItem::from_raw(&raw) {
            MissionItem::Other(back) => assert!(back.same_on_wire(&raw)),
            other => panic!("expected Other, got {other:?}"),
        }
    }

    #[test]
    fn waypoint_with_acceptance_radius_is_not_silently_dropped() {
        // A waypoint with param2 (acceptance radius) set cannot be typed without losing it.
        let mut raw = MissionItem::Waypoint {
            point: p(1.0, 2.0),
            alt: Altitude::relative_home(10.0),
            hold_s: 0.0,
        }
        .to_raw();
        raw.params[1] = 3.0;
        assert!(matches!(MissionItem::from_raw(&raw), MissionItem::Other(_)));
    }

    #[test]
    fn wire_items_put_home_first_and_count_fence_vertices() {
        let mut m = Mission::new(
            Home {
                point: p(27.0, 106.9),
                alt_amsl_m: 1100.0,
            },
            vec![MissionItem::ReturnToLaunch],
        );
        m.fence.push(FenceZone::Polygon {
            inclusion: true,
            vertices: vec![p(0.0, 0.0), p(0.0, 1.0), p(1.0, 1.0)],
        });
        let wire = m.wire_items(MissionType::Mission);
        assert_eq!(wire.len(), 2);
        assert_eq!(wire[0].frame, frame::GLOBAL);
        assert_eq!(wire[0].alt_m, 1100.0);
        let fence = m.wire_items(MissionType::Fence);
        assert_eq!(fence.len(), 3);
        assert!(fence.iter().all(|f| f.params[0] == 3.0));
    }

    #[test]
    fn degree_e7_rounding() {
        assert_eq!(deg_to_e7(27.123_456_78), 271_234_568);
        assert_eq!(deg_to_e7(-106.000_000_04), -1_060_000_000);
        assert!((e7_to_deg(271_234_568) - 27.123_456_8).abs() < 1e-12);
    }
}
