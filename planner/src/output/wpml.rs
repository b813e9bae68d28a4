//! DJI route files (WPML KMZ) for DJI Pilot 2 and FlightHub 2: `wpmz/template.kml` and
//! `wpmz/waylines.wpml` zipped, as DJI's WPML specification describes them (repository
//! dji-sdk/Cloud-API-Doc, `docs/en/60.api-reference/00.dji-wpml/`), namespace version 1.0.6
//! (what FlightHub 2 writes for the Mavic 3 and Matrice 3D series).
//!
//! The route flies exactly our MAVLink mission: one waypoint per `NAV_WAYPOINT`, in order, at
//! its height, straight legs (`useStraightLine` 1), stopping only at the first and the last
//! waypoint and passing the others with a short turn (`waypointTurnDampingDist`, at most
//! [`TURN_DAMPING_M`], as ArduCopter's waypoint radius). Photos are taken by distance
//! (`multipleDistance`, our trigger distance) on every run of legs the mission flies with the
//! camera triggering, and none on transits. The gimbal points straight down from the start
//! (`startActionGroup` and an action at waypoint 0). Take-off, return home at the end
//! (`finishAction` goHome) and on a lost link (`executeRCLostAction` goBack) are DJI's.
//!
//! Heights are relative to the take-off point (`relativeToStartPoint`, our `alt_rel_home_m`)
//! or WGS-84 ellipsoid heights (`WGS84`): home's height above the EGM96 geoid plus the
//! relative height plus the EGM96 undulation at each waypoint. The template has no WGS-84
//! height mode: there it says `EGM96`, with each waypoint's EGM96 `height` and WGS-84
//! `ellipsoidHeight` (as FlightHub 2 writes them).

use std::fmt::Write as _;
use std::io::Write as _;

use qly_core::geodesy::GeoPoint;
use qly_core::mission::{AltFrame, Mission, MissionItem};
use qly_core::terrain::geoid::egm96_undulation_m;

use super::{round_deg, OutputError};
use crate::dji_aircraft::DjiAircraft;

/// The WPML namespace version written.
pub const WPML_NAMESPACE: &str = "http://www.dji.com/wpmz/1.0.6";
/// Most waypoints in one route: the specification's index range [0, 65535].
pub const MAX_WAYPOINTS: usize = 65536;
/// Largest turn damping distance, metres (ArduCopter's default WPNAV_RADIUS, 2 m).
pub const TURN_DAMPING_M: f64 = 2.0;
/// Highest `globalTransitionalSpeed` and `autoFlightSpeed` DJI Pilot 2 accepts, m/s.
pub const MAX_SPEED_M_S: f64 = 15.0;

/// How route heights are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WpmlHeightMode {
    /// Above the take-off point (`relativeToStartPoint`).
    #[default]
    RelativeToStartPoint,
    /// WGS-84 ellipsoid heights (`WGS84`); needs home's height above mean sea level.
    Wgs84,
}

impl WpmlHeightMode {
    pub fn wpml(self) -> &'static str {
        match self {
            WpmlHeightMode::RelativeToStartPoint => "relativeToStartPoint",
            WpmlHeightMode::Wgs84 => "WGS84",
        }
    }
}

/// What a DJI route needs beyond the mission.
#[derive(Debug, Clone, PartialEq)]
pub struct WpmlOptions {
    pub aircraft: DjiAircraft,
    pub height_mode: WpmlHeightMode,
    /// Whether home's `alt_amsl_m` is known (from `--home LAT,LON,AMSL` or a DEM); WGS-84
    /// heights are refused without it.
    pub home_amsl_known: bool,
    /// Climb after take-off before flying to the first waypoint, metres (`[2, 1500]`).
    pub take_off_security_height_m: f64,
    /// Height ceiling above take-off checked on the heights as written, metres; `None` where
    /// the plan follows terrain (its ceiling is above the ground, checked when planning).
    pub ceiling_rel_home_m: Option<f64>,
}

/// One waypoint of a DJI route.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WpmlWaypoint {
    pub point: GeoPoint,
    /// Above the take-off point, metres.
    pub alt_rel_home_m: f64,
    /// Height as written in `waylines.wpml` (in the route's height mode), metres.
    pub height_m: f64,
    /// Height above the EGM96 geoid, metres, where home's is known and the route is in WGS-84
    /// heights (the template's `EGM96` height; its `ellipsoidHeight` is `height_m`).
    pub alt_egm96_m: Option<f64>,
    /// Speed flying from this waypoint to the next, m/s.
    pub speed_m_s: f64,
}

/// Photos by distance from waypoint `start` to waypoint `end`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PhotoRun {
    pub start: usize,
    pub end: usize,
    pub distance_m: f64,
}

/// A mission as a DJI route.
#[derive(Debug, Clone, PartialEq)]
pub struct WpmlRoute {
    pub waypoints: Vec<WpmlWaypoint>,
    pub photo_runs: Vec<PhotoRun>,
    /// Mission speed (the first speed set), m/s.
    pub cruise_speed_m_s: f64,
    pub finish_action: &'static str,
    pub height_mode: WpmlHeightMode,
}

fn bad(what: String) -> OutputError {
    OutputError::Inconsistent {
        format: "DJI KMZ",
        what,
    }
}

/// The route a mission flies, in DJI's terms.
pub fn route(mission: &Mission, options: &WpmlOptions) -> Result<WpmlRoute, OutputError> {
    if options.height_mode == WpmlHeightMode::Wgs84 && !options.home_amsl_known {
        return Err(OutputError::Unsupported {
            format: "DJI KMZ",
            what: "WGS-84 heights need home's height above sea level: give --home LAT,LON,AMSL_M \
                   or --dem"
                .into(),
        });
    }
    let home = mission.home;
    let mut waypoints: Vec<WpmlWaypoint> = Vec::new();
    // Trigger distance in force on the leg after each waypoint.
    let mut leg_trigger: Vec<Option<f64>> = Vec::new();
    let mut trigger: Option<f64> = None;
    let mut speed: Option<f64> = None;
    let mut finish_action = "noAction";
    for item in &mission.items {
        match item {
            MissionItem::Waypoint { point, alt, .. } => {
                let alt_rel_home_m = match alt.frame {
                    AltFrame::RelativeHome => alt.alt_m,
                    AltFrame::Amsl => alt.alt_m - home.alt_amsl_m,
                    AltFrame::Terrain => {
                        return Err(OutputError::Unsupported {
                            format: "DJI KMZ",
                            what: "waypoints above terrain (--alt-frame terrain) have no DJI \
                                   equivalent in a waypoint route: plan with --alt-frame relative"
                                .into(),
                        })
                    }
                };
                if let Some(last) = waypoints.last_mut() {
                    last.speed_m_s = speed.unwrap_or(last.speed_m_s);
                    leg_trigger.push(trigger);
                }
                let (height_m, alt_egm96_m) = match options.height_mode {
                    WpmlHeightMode::RelativeToStartPoint => (alt_rel_home_m, None),
                    WpmlHeightMode::Wgs84 => {
                        let egm96 = home.alt_amsl_m + alt_rel_home_m;
                        (egm96 + egm96_undulation_m(*point), Some(round_mm(egm96)))
                    }
                };
                waypoints.push(WpmlWaypoint {
                    point: *point,
                    alt_rel_home_m,
                    height_m: round_mm(height_m),
                    alt_egm96_m,
                    speed_m_s: speed.unwrap_or(0.0),
                });
                finish_action = "noAction";
            }
            MissionItem::ChangeSpeed { speed_m_s } => speed = Some(f64::from(*speed_m_s)),
            MissionItem::CamTriggerDistance { distance_m, .. } => {
                trigger = (*distance_m > 0.0).then_some(f64::from(*distance_m));
            }
            MissionItem::ReturnToLaunch => finish_action = "goHome",
            MissionItem::Land { point: None } => finish_action = "autoLand",
            MissionItem::Takeoff { .. } => {}
            other => {
                return Err(bad(format!(
                    "mission item {other:?} has no DJI waypoint route equivalent"
                )))
            }
        }
    }
    if waypoints.len() < 2 {
        return Err(bad(format!(
            "a route needs at least 2 waypoints, the mission has {}",
            waypoints.len()
        )));
    }
    if waypoints.len() > MAX_WAYPOINTS {
        return Err(OutputError::Unsupported {
            format: "DJI KMZ",
            what: format!(
                "{} waypoints in one sortie: a DJI route holds at most {MAX_WAYPOINTS} (waypoint \
                 index 0..65535); split the survey with --battery-min",
                waypoints.len()
            ),
        });
    }
    let cruise = mission
        .items
        .iter()
        .find_map(|i| match i {
            MissionItem::ChangeSpeed { speed_m_s } => Some(f64::from(*speed_m_s)),
            _ => None,
        })
        .ok_or_else(|| bad("the mission sets no speed".into()))?;
    let n = waypoints.len();
    waypoints[n - 1].speed_m_s = waypoints[n - 2].speed_m_s;
    for w in &mut waypoints {
        if w.speed_m_s.is_nan() || w.speed_m_s <= 0.0 {
            w.speed_m_s = cruise;
        }
        if w.speed_m_s > MAX_SPEED_M_S {
            return Err(OutputError::Unsupported {
                format: "DJI KMZ",
                what: format!(
                    "speed {} m/s: DJI routes fly at most {MAX_SPEED_M_S} m/s (--speed)",
                    w.speed_m_s
                ),
            });
        }
    }
    if let Some(ceiling) = options.ceiling_rel_home_m {
        if let Some(w) = waypoints.iter().find(|w| w.alt_rel_home_m > ceiling + 1e-6) {
            return Err(OutputError::AboveCeiling {
                alt_m: w.alt_rel_home_m,
                ceiling_m: ceiling,
            });
        }
    }
    let mut photo_runs: Vec<PhotoRun> = Vec::new();
    for (leg, t) in leg_trigger.iter().enumerate() {
        let Some(d) = *t else { continue };
        match photo_runs.last_mut() {
            Some(run) if run.end == leg && run.distance_m == d => run.end = leg + 1,
            _ => photo_runs.push(PhotoRun {
                start: leg,
                end: leg + 1,
                distance_m: d,
            }),
        }
    }
    Ok(WpmlRoute {
        waypoints,
        photo_runs,
        cruise_speed_m_s: cruise,
        finish_action,
        height_mode: options.height_mode,
    })
}

fn round_mm(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn leg_m(a: GeoPoint, b: GeoPoint) -> f64 {
    a.distance_m(b)
}

/// Turn mode and damping distance at waypoint `i`: stop at the ends, pass the others with a
/// turn short enough for both adjacent legs (the specification wants the legs longer than the
/// sum of their turn distances).
fn turn(route: &WpmlRoute, i: usize) -> (&'static str, f64) {
    let w = &route.waypoints;
    if i == 0 || i + 1 == w.len() {
        return ("toPointAndStopWithDiscontinuityCurvature", 0.0);
    }
    let shortest = leg_m(w[i - 1].point, w[i].point).min(leg_m(w[i].point, w[i + 1].point));
    let damping = round_mm((0.4 * shortest).min(TURN_DAMPING_M));
    if damping < 0.01 {
        ("toPointAndStopWithDiscontinuityCurvature", 0.0)
    } else {
        ("toPointAndPassWithContinuityCurvature", damping)
    }
}

fn mission_config(out: &mut String, route: &WpmlRoute, options: &WpmlOptions, home: &Mission) {
    let a = &options.aircraft;
    out.push_str("    <wpml:missionConfig>\n");
    let _ = writeln!(
        out,
        "      <wpml:flyToWaylineMode>safely</wpml:flyToWaylineMode>"
    );
    let _ = writeln!(
        out,
        "      <wpml:finishAction>{}</wpml:finishAction>",
        route.finish_action
    );
    let _ = writeln!(
        out,
        "      <wpml:exitOnRCLost>executeLostAction</wpml:exitOnRCLost>"
    );
    let _ = writeln!(
        out,
        "      <wpml:executeRCLostAction>goBack</wpml:executeRCLostAction>"
    );
    let _ = writeln!(
        out,
        "      <wpml:takeOffSecurityHeight>{}</wpml:takeOffSecurityHeight>",
        options.take_off_security_height_m
    );
    if options.home_amsl_known {
        let h = home.home;
        let ellipsoid = round_mm(h.alt_amsl_m + egm96_undulation_m(h.point));
        let _ = writeln!(
            out,
            "      <wpml:takeOffRefPoint>{},{},{}</wpml:takeOffRefPoint>",
            round_deg(h.point.lat_deg),
            round_deg(h.point.lon_deg),
            ellipsoid
        );
    }
    let _ = writeln!(
        out,
        "      <wpml:globalTransitionalSpeed>{}</wpml:globalTransitionalSpeed>",
        route.cruise_speed_m_s
    );
    out.push_str("      <wpml:droneInfo>\n");
    let _ = writeln!(
        out,
        "        <wpml:droneEnumValue>{}</wpml:droneEnumValue>",
        a.drone_enum
    );
    if let Some(sub) = a.drone_sub_enum {
        let _ = writeln!(
            out,
            "        <wpml:droneSubEnumValue>{sub}</wpml:droneSubEnumValue>"
        );
    }
    out.push_str("      </wpml:droneInfo>\n      <wpml:payloadInfo>\n");
    let _ = writeln!(
        out,
        "        <wpml:payloadEnumValue>{}</wpml:payloadEnumValue>",
        a.payload_enum
    );
    let _ = writeln!(
        out,
        "        <wpml:payloadSubEnumValue>{}</wpml:payloadSubEnumValue>",
        a.payload_sub_enum
    );
    out.push_str(
        "        <wpml:payloadPositionIndex>0</wpml:payloadPositionIndex>\n      \
         </wpml:payloadInfo>\n    </wpml:missionConfig>\n",
    );
}

const GIMBAL_DOWN: &str = "<wpml:actionActuatorFunc>gimbalRotate</wpml:actionActuatorFunc>
            <wpml:actionActuatorFuncParam>
              <wpml:gimbalHeadingYawBase>north</wpml:gimbalHeadingYawBase>
              <wpml:gimbalRotateMode>absoluteAngle</wpml:gimbalRotateMode>
              <wpml:gimbalPitchRotateEnable>1</wpml:gimbalPitchRotateEnable>
              <wpml:gimbalPitchRotateAngle>-90</wpml:gimbalPitchRotateAngle>
              <wpml:gimbalRollRotateEnable>0</wpml:gimbalRollRotateEnable>
              <wpml:gimbalRollRotateAngle>0</wpml:gimbalRollRotateAngle>
              <wpml:gimbalYawRotateEnable>0</wpml:gimbalYawRotateEnable>
              <wpml:gimbalYawRotateAngle>0</wpml:gimbalYawRotateAngle>
              <wpml:gimbalRotateTimeEnable>0</wpml:gimbalRotateTimeEnable>
              <wpml:gimbalRotateTime>0</wpml:gimbalRotateTime>
              <wpml:payloadPositionIndex>0</wpml:payloadPositionIndex>
            </wpml:actionActuatorFuncParam>";

const TAKE_PHOTO: &str = "<wpml:actionActuatorFunc>takePhoto</wpml:actionActuatorFunc>
            <wpml:actionActuatorFuncParam>
              <wpml:payloadPositionIndex>0</wpml:payloadPositionIndex>
              <wpml:useGlobalPayloadLensIndex>0</wpml:useGlobalPayloadLensIndex>
            </wpml:actionActuatorFuncParam>";

/// The action groups starting at waypoint `i`; group ids: 0 for the gimbal at waypoint 0,
/// then 1, 2, ... for the photo runs in order, so every id is unique in the file.
fn action_groups(out: &mut String, route: &WpmlRoute, i: usize) {
    let group = |out: &mut String, id: usize, start: usize, end: usize, trigger: &str, action| {
        let _ = write!(
            out,
            "        <wpml:actionGroup>
          <wpml:actionGroupId>{id}</wpml:actionGroupId>
          <wpml:actionGroupStartIndex>{start}</wpml:actionGroupStartIndex>
          <wpml:actionGroupEndIndex>{end}</wpml:actionGroupEndIndex>
          <wpml:actionGroupMode>sequence</wpml:actionGroupMode>
          <wpml:actionTrigger>
{trigger}          </wpml:actionTrigger>
          <wpml:action>
            <wpml:actionId>0</wpml:actionId>
            {action}
          </wpml:action>
        </wpml:actionGroup>
"
        );
    };
    if i == 0 {
        group(
            out,
            0,
            0,
            0,
            "            <wpml:actionTriggerType>reachPoint</wpml:actionTriggerType>\n",
            GIMBAL_DOWN,
        );
    }
    for (k, run) in route.photo_runs.iter().enumerate() {
        if run.start == i {
            let trigger = format!(
                "            <wpml:actionTriggerType>multipleDistance</wpml:actionTriggerType>
            <wpml:actionTriggerParam>{}</wpml:actionTriggerParam>\n",
                round_mm(run.distance_m)
            );
            group(out, k + 1, run.start, run.end, &trigger, TAKE_PHOTO);
        }
    }
}

fn header(out: &mut String) {
    let _ = writeln!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<kml xmlns=\"http://www.opengis.net/kml/2.2\" \
         xmlns:wpml=\"{WPML_NAMESPACE}\">\n  <Document>"
    );
}

fn point(out: &mut String, p: GeoPoint) {
    let _ = writeln!(
        out,
        "      <Placemark>\n        <Point>\n          <coordinates>{},{}</coordinates>\n        \
         </Point>",
        round_deg(p.lon_deg),
        round_deg(p.lat_deg)
    );
}

const HEADING: &str = "        <wpml:waypointHeadingParam>
          <wpml:waypointHeadingMode>followWayline</wpml:waypointHeadingMode>
          <wpml:waypointHeadingAngle>0</wpml:waypointHeadingAngle>
          <wpml:waypointPoiPoint>0.000000,0.000000,0.000000</wpml:waypointPoiPoint>
          <wpml:waypointHeadingPathMode>followBadArc</wpml:waypointHeadingPathMode>
        </wpml:waypointHeadingParam>\n";

fn turn_param(out: &mut String, route: &WpmlRoute, i: usize) {
    let (mode, damping) = turn(route, i);
    let _ = writeln!(
        out,
        "        <wpml:waypointTurnParam>
          <wpml:waypointTurnMode>{mode}</wpml:waypointTurnMode>"
    );
    // The specification's range is (0, leg length], required only when passing the point
    // (common-element, waypointTurnParam): a stop writes none.
    if damping > 0.0 {
        let _ = writeln!(
            out,
            "          <wpml:waypointTurnDampingDist>{damping}</wpml:waypointTurnDampingDist>"
        );
    }
    out.push_str("        </wpml:waypointTurnParam>\n");
}

/// `wpmz/template.kml`: a waypoint template holding every waypoint, so Pilot 2 shows and edits
/// the route as planned.
pub fn template_kml(route: &WpmlRoute, options: &WpmlOptions, mission: &Mission) -> String {
    let mut out = String::new();
    header(&mut out);
    out.push_str("    <wpml:author>Qianliyan planner</wpml:author>\n");
    mission_config(&mut out, route, options, mission);
    let _ = write!(
        out,
        "    <Folder>
      <wpml:templateType>waypoint</wpml:templateType>
      <wpml:templateId>0</wpml:templateId>
      <wpml:waylineCoordinateSysParam>
        <wpml:coordinateMode>WGS84</wpml:coordinateMode>
        <wpml:heightMode>{}</wpml:heightMode>
      </wpml:waylineCoordinateSysParam>
      <wpml:autoFlightSpeed>{}</wpml:autoFlightSpeed>
      <wpml:globalHeight>{}</wpml:globalHeight>
      <wpml:caliFlightEnable>0</wpml:caliFlightEnable>
      <wpml:gimbalPitchMode>usePointSetting</wpml:gimbalPitchMode>
      <wpml:globalWaypointHeadingParam>
        <wpml:waypointHeadingMode>followWayline</wpml:waypointHeadingMode>
        <wpml:waypointHeadingAngle>0</wpml:waypointHeadingAngle>
        <wpml:waypointPoiPoint>0.000000,0.000000,0.000000</wpml:waypointPoiPoint>
        <wpml:waypointHeadingPathMode>followBadArc</wpml:waypointHeadingPathMode>
      </wpml:globalWaypointHeadingParam>
      <wpml:globalWaypointTurnMode>toPointAndStopWithDiscontinuityCurvature</wpml:globalWaypointTurnMode>
      <wpml:globalUseStraightLine>1</wpml:globalUseStraightLine>\n",
        // The template has no WGS84 height mode (20, waylineCoordinateSysParam): its heights are
        // EGM96 with the ellipsoid height beside each.
        match route.height_mode {
            WpmlHeightMode::RelativeToStartPoint => "relativeToStartPoint",
            WpmlHeightMode::Wgs84 => "EGM96",
        },
        route.cruise_speed_m_s,
        // "relative to the height of the take-off point" (20, waypoint template).
        round_mm(route.waypoints[0].alt_rel_home_m),
    );
    for (i, w) in route.waypoints.iter().enumerate() {
        point(&mut out, w.point);
        let _ = write!(
            out,
            "        <wpml:index>{i}</wpml:index>
        <wpml:ellipsoidHeight>{e}</wpml:ellipsoidHeight>
        <wpml:height>{h}</wpml:height>
        <wpml:useGlobalHeight>0</wpml:useGlobalHeight>
        <wpml:waypointSpeed>{s}</wpml:waypointSpeed>\n",
            e = w.height_m,
            h = w.alt_egm96_m.unwrap_or(w.height_m),
            s = w.speed_m_s
        );
        turn_param(&mut out, route, i);
        out.push_str(
            "        <wpml:useGlobalSpeed>0</wpml:useGlobalSpeed>
        <wpml:useGlobalHeadingParam>1</wpml:useGlobalHeadingParam>
        <wpml:useGlobalTurnParam>0</wpml:useGlobalTurnParam>
        <wpml:gimbalPitchAngle>-90</wpml:gimbalPitchAngle>
        <wpml:useStraightLine>1</wpml:useStraightLine>\n",
        );
        action_groups(&mut out, route, i);
        out.push_str("      </Placemark>\n");
    }
    out.push_str("    </Folder>\n  </Document>\n</kml>\n");
    out
}

/// Length of the route (first to last waypoint) and its flight time at the waypoint speeds.
fn distance_duration(route: &WpmlRoute) -> (f64, f64) {
    route.waypoints.windows(2).fold((0.0, 0.0), |(d, t), w| {
        let l = leg_m(w[0].point, w[1].point);
        (d + l, t + l / w[0].speed_m_s)
    })
}

/// `wpmz/waylines.wpml`: the executable route.
pub fn waylines_wpml(route: &WpmlRoute, options: &WpmlOptions, mission: &Mission) -> String {
    let mut out = String::new();
    header(&mut out);
    let no_ref = WpmlOptions {
        home_amsl_known: false,
        ..options.clone()
    };
    mission_config(&mut out, route, &no_ref, mission);
    let (distance_m, duration_s) = distance_duration(route);
    let _ = write!(
        out,
        "    <Folder>
      <wpml:templateId>0</wpml:templateId>
      <wpml:executeHeightMode>{}</wpml:executeHeightMode>
      <wpml:waylineId>0</wpml:waylineId>
      <wpml:distance>{}</wpml:distance>
      <wpml:duration>{}</wpml:duration>
      <wpml:autoFlightSpeed>{}</wpml:autoFlightSpeed>
      <wpml:startActionGroup>
        <wpml:action>
          <wpml:actionId>0</wpml:actionId>
          {}
        </wpml:action>
      </wpml:startActionGroup>\n",
        route.height_mode.wpml(),
        round_mm(distance_m),
        round_mm(duration_s),
        route.cruise_speed_m_s,
        GIMBAL_DOWN,
    );
    for (i, w) in route.waypoints.iter().enumerate() {
        point(&mut out, w.point);
        let _ = writeln!(
            out,
            "        <wpml:index>{i}</wpml:index>
        <wpml:executeHeight>{}</wpml:executeHeight>
        <wpml:waypointSpeed>{}</wpml:waypointSpeed>",
            w.height_m, w.speed_m_s
        );
        out.push_str(HEADING);
        turn_param(&mut out, route, i);
        out.push_str("        <wpml:useStraightLine>1</wpml:useStraightLine>\n");
        action_groups(&mut out, route, i);
        out.push_str("      </Placemark>\n");
    }
    out.push_str("    </Folder>\n  </Document>\n</kml>\n");
    out
}

/// The KMZ (a zip of `wpmz/template.kml` and `wpmz/waylines.wpml`) for one mission.
pub fn kmz(mission: &Mission, options: &WpmlOptions) -> Result<Vec<u8>, OutputError> {
    let route = route(mission, options)?;
    let files = [
        ("wpmz/template.kml", template_kml(&route, options, mission)),
        (
            "wpmz/waylines.wpml",
            waylines_wpml(&route, options, mission),
        ),
    ];
    zip_files(&files)
}

/// `wpmz/template.kml` as DJI's own survey template: `mappingStrip` along a corridor's
/// centreline (left and right extension = half the width, centre line included, overlaps,
/// height), `mapping2d` over an area's outer ring (overlaps, lane direction, height), so a
/// pilot can adjust it in Pilot 2's own UI. Heights are above the take-off point.
///
/// DJI's area template holds one outer ring: an area's holes and exclusion zones cannot be
/// written there. Our `waylines.wpml` beside it avoids them, but a route Pilot 2 regenerates
/// from the template would fly over them: the returned notes say so.
pub fn mapping_template_kml(
    plan: &crate::survey::SurveyPlan,
    route: &WpmlRoute,
    options: &WpmlOptions,
) -> (String, Vec<String>) {
    use crate::survey::PlaneRegion;
    let mut notes = Vec::new();
    let mut out = String::new();
    header(&mut out);
    out.push_str("    <wpml:author>Qianliyan planner</wpml:author>\n");
    let relative = WpmlRoute {
        height_mode: WpmlHeightMode::RelativeToStartPoint,
        ..route.clone()
    };
    mission_config(&mut out, &relative, options, &plan.mission);
    let alt = round_mm(plan.alt_rel_home_m);
    let (kind, geometry, specific) = match &plan.region {
        PlaneRegion::Corridor {
            centreline,
            width_m,
        } => {
            let coords: Vec<String> = centreline
                .0
                .iter()
                .map(|c| {
                    let g = plan.to_geo(*c);
                    format!("{},{},0", round_deg(g.lon_deg), round_deg(g.lat_deg))
                })
                .collect();
            let half = (width_m / 2.0).round().max(1.0) as i64;
            let geo: Vec<GeoPoint> = centreline.0.iter().map(|c| plan.to_geo(*c)).collect();
            // One strip, not cut: its length is the centreline's.
            let length_m = geo.windows(2).map(|w| w[0].distance_m(w[1])).sum::<f64>();
            // The strip's general direction: first to last centreline point.
            let direction = match (geo.first(), geo.last()) {
                (Some(a), Some(b)) => (a.bearing_deg(*b).rem_euclid(360.0).round() as i64) % 360,
                _ => 0,
            };
            (
                "mappingStrip",
                format!(
                    "        <LineString>\n          <coordinates>{}</coordinates>\n        \
                     </LineString>\n",
                    coords.join(" ")
                ),
                format!(
                    "        <wpml:direction>{direction}</wpml:direction>
        <wpml:singleLineEnable>0</wpml:singleLineEnable>
        <wpml:cuttingDistance>{}</wpml:cuttingDistance>
        <wpml:boundaryOptimEnable>0</wpml:boundaryOptimEnable>
        <wpml:leftExtend>{half}</wpml:leftExtend>
        <wpml:rightExtend>{half}</wpml:rightExtend>
        <wpml:includeCenterEnable>1</wpml:includeCenterEnable>\n",
                    length_m.ceil()
                ),
            )
        }
        PlaneRegion::Area {
            polygon,
            exclusions,
        } => {
            let holes = polygon.interiors().len();
            if holes + exclusions.len() > 0 {
                notes.push(format!(
                    "DJI's area template (mapping2d) holds only the outer boundary: its {holes} \
                     hole(s) and {} exclusion zone(s) are left out of template.kml. The \
                     waylines.wpml beside it avoids them; a route Pilot 2 regenerates from the \
                     template does not",
                    exclusions.len()
                ));
            }
            let mut ring: Vec<String> = polygon
                .exterior()
                .0
                .iter()
                .map(|c| {
                    let g = plan.to_geo(*c);
                    format!("{},{},0", round_deg(g.lon_deg), round_deg(g.lat_deg))
                })
                .collect();
            if ring.len() > 1 && ring.first() == ring.last() {
                ring.pop();
            }
            // Lane direction: the first lane's bearing, folded into [0, 360).
            let direction = plan
                .transects
                .first()
                .map(|t| {
                    let b = plan.to_geo(t.turn_in).bearing_deg(plan.to_geo(t.turn_out));
                    (b.rem_euclid(360.0).round() as i64) % 360
                })
                .unwrap_or(0);
            (
                "mapping2d",
                format!(
                    "        <Polygon>\n          <outerBoundaryIs>\n            <LinearRing>\n              \
                     <coordinates>{}</coordinates>\n            </LinearRing>\n          \
                     </outerBoundaryIs>\n        </Polygon>\n",
                    ring.join(" ")
                ),
                format!(
                    "        <wpml:elevationOptimizeEnable>0</wpml:elevationOptimizeEnable>
        <wpml:direction>{direction}</wpml:direction>\n"
                ),
            )
        }
    };
    let p = &plan.params;
    let _ = write!(
        out,
        "    <Folder>
      <wpml:templateType>{kind}</wpml:templateType>
      <wpml:templateId>0</wpml:templateId>
      <wpml:waylineCoordinateSysParam>
        <wpml:coordinateMode>WGS84</wpml:coordinateMode>
        <wpml:heightMode>relativeToStartPoint</wpml:heightMode>
        <wpml:globalShootHeight>{alt}</wpml:globalShootHeight>
        <wpml:surfaceFollowModeEnable>0</wpml:surfaceFollowModeEnable>
      </wpml:waylineCoordinateSysParam>
      <wpml:autoFlightSpeed>{speed}</wpml:autoFlightSpeed>
      <Placemark>
        <wpml:shootType>distance</wpml:shootType>
{specific}        <wpml:margin>0</wpml:margin>
        <wpml:overlap>
          <wpml:orthoCameraOverlapH>{front}</wpml:orthoCameraOverlapH>
          <wpml:orthoCameraOverlapW>{side}</wpml:orthoCameraOverlapW>
        </wpml:overlap>
{geometry}        <wpml:ellipsoidHeight>{alt}</wpml:ellipsoidHeight>
        <wpml:height>{alt}</wpml:height>
      </Placemark>
    </Folder>
  </Document>
</kml>
",
        speed = route.cruise_speed_m_s,
        front = p.front_overlap_pct.round() as i64,
        side = p.side_overlap_pct.round() as i64,
    );
    (out, notes)
}

/// The KMZ of the whole plan with DJI's survey template ([`mapping_template_kml`]) and our
/// route of the whole survey as its waylines; the notes say what the template leaves out.
pub fn mapping_kmz(
    plan: &crate::survey::SurveyPlan,
    options: &WpmlOptions,
) -> Result<(Vec<u8>, Vec<String>), OutputError> {
    let relative = WpmlOptions {
        height_mode: WpmlHeightMode::RelativeToStartPoint,
        ..options.clone()
    };
    let route = route(&plan.mission, &relative)?;
    let (template, notes) = mapping_template_kml(plan, &route, &relative);
    let files = [
        ("wpmz/template.kml", template),
        (
            "wpmz/waylines.wpml",
            waylines_wpml(&route, &relative, &plan.mission),
        ),
    ];
    Ok((zip_files(&files)?, notes))
}

fn zip_files(files: &[(&str, String)]) -> Result<Vec<u8>, OutputError> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let err = |e: String| bad(format!("zip: {e}"));
    for (name, text) in files {
        zip.start_file(*name, opts)
            .map_err(|e| err(e.to_string()))?;
        zip.write_all(text.as_bytes())
            .map_err(|e| err(e.to_string()))?;
    }
    let cursor = zip.finish().map_err(|e| err(e.to_string()))?;
    Ok(cursor.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dji_aircraft::DjiAircraftDatabase;
    use qly_core::mission::{Altitude, Home};

    fn options() -> WpmlOptions {
        WpmlOptions {
            aircraft: DjiAircraftDatabase::builtin().find("M3E").unwrap().clone(),
            height_mode: WpmlHeightMode::RelativeToStartPoint,
            home_amsl_known: false,
            take_off_security_height_m: 20.0,
            ceiling_rel_home_m: Some(120.0),
        }
    }

    fn wp(lat: f64, lon: f64, alt_m: f64) -> MissionItem {
        MissionItem::Waypoint {
            point: GeoPoint::new(lat, lon).unwrap(),
            alt: Altitude::relative_home(alt_m),
            hold_s: 0.0,
        }
    }

    fn cam(distance_m: f32) -> MissionItem {
        MissionItem::CamTriggerDistance {
            distance_m,
            trigger_once: distance_m > 0.0,
        }
    }

    fn mission(items: Vec<MissionItem>) -> Mission {
        let home = Home {
            point: GeoPoint::new(27.0, 106.9).unwrap(),
            alt_amsl_m: 0.0,
        };
        Mission::new(home, items)
    }

    #[test]
    fn photos_run_on_camera_legs_only_and_transits_have_none() {
        let m = mission(vec![
            MissionItem::Takeoff {
                alt: Altitude::relative_home(60.0),
            },
            MissionItem::ChangeSpeed { speed_m_s: 8.0 },
            wp(27.0, 106.9, 60.0),   // 0: transit out
            wp(27.001, 106.9, 60.0), // 1: lane 1 start
            cam(20.0),
            wp(27.002, 106.9, 60.0),
            wp(27.003, 106.9, 60.0), // 3: lane 1 end
            cam(0.0),
            wp(27.003, 106.901, 60.0), // 4: lane 2 start
            cam(25.0),
            wp(27.001, 106.901, 60.0), // 5: lane 2 end
            cam(0.0),
            wp(27.0, 106.9, 60.0), // 6: transit home
            MissionItem::ReturnToLaunch,
        ]);
        let r = route(&m, &options()).unwrap();
        assert_eq!(r.waypoints.len(), 7);
        assert_eq!(
            r.photo_runs,
            vec![
                PhotoRun {
                    start: 1,
                    end: 3,
                    distance_m: 20.0
                },
                PhotoRun {
                    start: 4,
                    end: 5,
                    distance_m: 25.0
                }
            ]
        );
        assert_eq!(r.finish_action, "goHome");
        let xml = waylines_wpml(&r, &options(), &m);
        assert_eq!(xml.matches("multipleDistance").count(), 2);
        assert_eq!(xml.matches("<wpml:actionGroupId>").count(), 3);
    }

    #[test]
    fn refusals_name_the_figure() {
        let mut items = vec![MissionItem::ChangeSpeed { speed_m_s: 8.0 }];
        items.extend((0..=MAX_WAYPOINTS).map(|i| wp(27.0 + i as f64 * 1e-6, 106.9, 60.0)));
        let e = route(&mission(items), &options()).unwrap_err().to_string();
        assert!(e.contains("65537 waypoints") && e.contains("65536"), "{e}");

        let high = mission(vec![
            MissionItem::ChangeSpeed { speed_m_s: 8.0 },
            wp(27.0, 106.9, 60.0),
            wp(27.001, 106.9, 121.0),
        ]);
        let e = route(&high, &options()).unwrap_err().to_string();
        assert!(e.contains("121.0 m") && e.contains("120 m ceiling"), "{e}");

        let fast = mission(vec![
            MissionItem::ChangeSpeed { speed_m_s: 16.0 },
            wp(27.0, 106.9, 60.0),
            wp(27.001, 106.9, 60.0),
        ]);
        assert!(route(&fast, &options())
            .unwrap_err()
            .to_string()
            .contains("15 m/s"));

        let terrain = mission(vec![
            MissionItem::ChangeSpeed { speed_m_s: 8.0 },
            MissionItem::Waypoint {
                point: GeoPoint::new(27.0, 106.9).unwrap(),
                alt: Altitude {
                    alt_m: 60.0,
                    frame: AltFrame::Terrain,
                },
                hold_s: 0.0,
            },
            wp(27.001, 106.9, 60.0),
        ]);
        let e = route(&terrain, &options()).unwrap_err().to_string();
        assert!(e.contains("--alt-frame relative"), "{e}");

        let wgs = WpmlOptions {
            height_mode: WpmlHeightMode::Wgs84,
            ..options()
        };
        let e = route(&high, &wgs).unwrap_err().to_string();
        assert!(e.contains("--home LAT,LON,AMSL_M"), "{e}");
    }
}
