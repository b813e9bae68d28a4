//! QGroundControl `.plan` (JSON), laid out exactly as QGroundControl saves it
//! (`PlanMasterController`, `MissionController`, `TransectStyleComplexItem`, `CameraCalc`):
//! plan v1, mission v2 for ArduPilot (`firmwareType` 3) multirotors (`vehicleType` 2), geofence
//! v2 and rally points v2 (both always present, possibly empty, as MAVSDK requires).
//!
//! The take-off, speed and return items are `SimpleItem`s; the survey pattern is ONE complex
//! item: `CorridorScan` (v2) for a corridor, `survey` (v5) for an area. Its
//! `TransectStyleComplexItem.Items` hold the survey's mission items exactly as we plan them,
//! and `VisualTransectPoints` the path they fly: QGroundControl, Mission Planner and MAVSDK
//! upload the stored `Items` as they are (QGroundControl regenerates them only when the
//! pilot edits the item), so the file flies our plan, not QGroundControl's.
//!
//! MAVSDK's `import_qgroundcontrol_mission` accepts only `survey` complex items and rejects
//! `CorridorScan` ones: for MAVSDK use the `.waypoints` file or a sortie `.plan`
//! ([`mission_plan_json`], simple items only) instead.

use serde::Serialize;
use serde_json::{json, Map, Value};

use qly_core::camera::Orientation;
use qly_core::geodesy::GeoPoint;
use qly_core::mission::{AltFrame, FenceZone, Mission, RawItem};

use super::OutputError;
use crate::estimate::flight_path;
use crate::survey::{AltitudeTarget, PlaneRegion, SurveyParams, SurveyPlan};
use crate::terrain::TerrainAltFrame;

/// MAV_AUTOPILOT_ARDUPILOTMEGA.
const FIRMWARE_ARDUPILOT: u32 = 3;
/// MAV_TYPE_QUADROTOR.
const VEHICLE_QUADROTOR: u32 = 2;
/// QGroundControl's `AltitudeMode` values (`QGroundControlQmlGlobal::AltMode`).
const ALT_MODE_RELATIVE: u32 = 1;
const ALT_MODE_ABSOLUTE: u32 = 2;
const ALT_MODE_TERRAIN_FRAME: u32 = 4;
/// The camera name QGroundControl uses for a camera given by its numbers; unknown names are
/// forced to it on load anyway.
const CUSTOM_CAMERA: &str = "Custom Camera";

/// An `f32` as the JSON number with the shortest decimal that gives back the same float
/// (so 21.06 stays 21.06, not 21.059999465942383); NaN as `null`, as QGroundControl writes.
fn f32_json(x: f32) -> Value {
    if !x.is_finite() {
        return Value::Null;
    }
    format!("{x}")
        .parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

fn f64_json(x: f64) -> Value {
    serde_json::Number::from_f64(x)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// `[lat, lon]` at full precision: fence vertices and home go over the wire as degE7, and
/// rounding to fewer decimals first could move them by one unit.
fn lat_lon(p: GeoPoint) -> Value {
    json!([p.lat_deg, p.lon_deg])
}

/// One wire item as a QGroundControl `SimpleItem` with the given `doJumpId` (its sequence
/// number: home is 0, the first item 1).
fn simple_item(raw: &RawItem, do_jump_id: usize) -> Value {
    let mut o = Map::new();
    o.insert("type".into(), json!("SimpleItem"));
    o.insert("autoContinue".into(), json!(raw.autocontinue));
    o.insert("command".into(), json!(raw.command));
    o.insert("doJumpId".into(), json!(do_jump_id));
    o.insert("frame".into(), json!(raw.frame));
    o.insert(
        "params".into(),
        Value::Array(vec![
            f32_json(raw.params[0]),
            f32_json(raw.params[1]),
            f32_json(raw.params[2]),
            f32_json(raw.params[3]),
            f64_json(raw.lat_deg),
            f64_json(raw.lon_deg),
            f32_json(raw.alt_m),
        ]),
    );
    // Items with a position carry QGroundControl's altitude fields.
    if let Some(frame) = AltFrame::from_mav_frame(raw.frame) {
        let mode = match frame {
            AltFrame::RelativeHome => ALT_MODE_RELATIVE,
            AltFrame::Amsl => ALT_MODE_ABSOLUTE,
            AltFrame::Terrain => ALT_MODE_TERRAIN_FRAME,
        };
        o.insert("AltitudeMode".into(), json!(mode));
        o.insert("Altitude".into(), f32_json(raw.alt_m));
        o.insert("AMSLAltAboveTerrain".into(), Value::Null);
    }
    Value::Object(o)
}

fn geo_fence(mission: &Mission) -> Value {
    let mut polygons = Vec::new();
    let mut circles = Vec::new();
    for zone in &mission.fence {
        match zone {
            FenceZone::Polygon {
                inclusion,
                vertices,
            } => polygons.push(json!({
                "inclusion": inclusion,
                "polygon": vertices.iter().map(|p| lat_lon(*p)).collect::<Vec<_>>(),
                "version": 1,
            })),
            FenceZone::Circle {
                inclusion,
                centre,
                radius_m,
            } => circles.push(json!({
                "circle": { "center": lat_lon(*centre), "radius": radius_m },
                "inclusion": inclusion,
                "version": 1,
            })),
        }
    }
    json!({ "circles": circles, "polygons": polygons, "version": 2 })
}

fn rally_points(mission: &Mission) -> Value {
    let points: Vec<Value> = mission
        .rally
        .iter()
        .map(|r| json!([r.point.lat_deg, r.point.lon_deg, r.alt_rel_home_m]))
        .collect();
    json!({ "points": points, "version": 2 })
}

fn plan_document(mission: &Mission, params: &SurveyParams, items: Vec<Value>) -> Value {
    json!({
        "fileType": "Plan",
        "geoFence": geo_fence(mission),
        "groundStation": "QGroundControl",
        "mission": {
            "cruiseSpeed": params.cruise_speed_m_s,
            "firmwareType": FIRMWARE_ARDUPILOT,
            "globalPlanAltitudeMode": ALT_MODE_RELATIVE,
            // A multirotor flies at hoverSpeed in QGroundControl's estimates.
            "hoverSpeed": params.cruise_speed_m_s,
            "items": items,
            "plannedHomePosition": [
                mission.home.point.lat_deg,
                mission.home.point.lon_deg,
                mission.home.alt_amsl_m
            ],
            "vehicleType": VEHICLE_QUADROTOR,
            "version": 2
        },
        "rallyPoints": rally_points(mission),
        "version": 1
    })
}

/// JSON pretty-printed with four-space indents, as QGroundControl saves it.
fn to_text(v: &Value) -> String {
    let mut buf = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
    // Serialising a Value into memory cannot fail.
    if v.serialize(&mut ser).is_err() {
        return v.to_string();
    }
    let mut s = String::from_utf8_lossy(&buf).into_owned();
    s.push('\n');
    s
}

/// A mission as a `.plan` of simple items only (used for sorties, which have no single
/// survey item; every tool, MAVSDK included, loads it).
pub fn mission_plan_json(mission: &Mission, params: &SurveyParams) -> String {
    let items = mission
        .items
        .iter()
        .enumerate()
        .map(|(i, it)| simple_item(&it.to_raw(), i + 1))
        .collect();
    to_text(&plan_document(mission, params, items))
}

/// The whole plan as a QGroundControl `.plan`: simple items around one survey complex item.
pub fn plan_json(plan: &SurveyPlan) -> Result<String, OutputError> {
    let n = plan.mission.items.len();
    let range = plan.survey_items.clone();
    if range.start > range.end || range.end > n || range.is_empty() {
        return Err(OutputError::Inconsistent {
            format: ".plan",
            what: format!(
                "survey_items {range:?} is not a non-empty range of the {n} mission items"
            ),
        });
    }
    let raws: Vec<RawItem> = plan.mission.items.iter().map(|i| i.to_raw()).collect();
    let mut items: Vec<Value> = Vec::new();
    for (i, raw) in raws.iter().enumerate().take(range.start) {
        items.push(simple_item(raw, i + 1));
    }
    items.push(survey_complex_item(
        plan,
        &raws[range.clone()],
        range.start + 1,
    ));
    for (i, raw) in raws.iter().enumerate().skip(range.end) {
        items.push(simple_item(raw, i + 1));
    }
    Ok(to_text(&plan_document(&plan.mission, &plan.params, items)))
}

/// Direction of the survey lanes, degrees clockwise from north in [0, 180): the requested
/// sweep angle, else the first lane's direction.
fn grid_angle_deg(plan: &SurveyPlan) -> f64 {
    let raw = plan.params.sweep_angle_deg.unwrap_or_else(|| {
        plan.transects
            .first()
            .and_then(|t| {
                let (a, b) = (t.path.first()?, t.path.get(1)?);
                Some((b.x - a.x).atan2(b.y - a.y).to_degrees())
            })
            .unwrap_or(0.0)
    });
    let a = raw.rem_euclid(180.0);
    // rem_euclid can round up to exactly 180.0 for tiny negative inputs.
    if a >= 180.0 {
        0.0
    } else {
        a
    }
}

fn survey_complex_item(plan: &SurveyPlan, survey: &[RawItem], first_jump_id: usize) -> Value {
    let p = &plan.params;
    // A terrain-frame plan says so (QGroundControl's "Terrain" altitude mode); a plan that
    // follows the terrain with altitudes relative to home keeps "Relative": its stored
    // items carry the per-waypoint altitudes, which QGroundControl uploads as they are.
    let distance_mode = match plan.terrain.as_ref().map(|t| t.options.alt_frame) {
        Some(TerrainAltFrame::Terrain) => ALT_MODE_TERRAIN_FRAME,
        _ => ALT_MODE_RELATIVE,
    };
    let cam = &p.camera;
    let camera_calc = json!({
        "AdjustedFootprintFrontal": plan.trigger_distance_m,
        "AdjustedFootprintSide": plan.lane_spacing_m,
        "CameraName": CUSTOM_CAMERA,
        "DistanceMode": distance_mode,
        "DistanceToSurface": plan.alt_rel_home_m,
        "FixedOrientation": false,
        "FocalLength": cam.focal_length_mm,
        "FrontalOverlap": p.front_overlap_pct,
        "ImageDensity": plan.gsd_cm_per_px,
        "ImageHeight": cam.image_height_px,
        "ImageWidth": cam.image_width_px,
        "Landscape": p.orientation == Orientation::Landscape,
        "MinTriggerInterval": cam.min_trigger_interval_s,
        "SensorHeight": cam.sensor_height_mm,
        "SensorWidth": cam.sensor_width_mm,
        "SideOverlap": p.side_overlap_pct,
        "ValueSetIsDistance": matches!(p.altitude, AltitudeTarget::AboveTakeoff { .. }),
        "version": 2
    });
    let visual: Vec<Value> = flight_path(&plan.transects)
        .into_iter()
        .map(|c| lat_lon(plan.to_geo(c)))
        .collect();
    let stored: Vec<Value> = survey
        .iter()
        .enumerate()
        .map(|(k, r)| simple_item(r, first_jump_id + k))
        .collect();
    let transect_style = json!({
        "CameraCalc": camera_calc,
        "CameraShots": plan.photos.len(),
        "CameraTriggerInTurnAround": false,
        "HoverAndCapture": false,
        "Items": stored,
        "Refly90Degrees": false,
        "TurnAroundDistance": p.turnaround_m,
        "VisualTransectPoints": visual,
        "version": 2
    });
    match &plan.region {
        PlaneRegion::Corridor {
            centreline,
            width_m,
        } => json!({
            "CorridorWidth": width_m,
            "EntryPoint": 0,
            "TransectStyleComplexItem": transect_style,
            "complexItemType": "CorridorScan",
            "polyline": centreline.0.iter().map(|c| lat_lon(plan.to_geo(*c))).collect::<Vec<_>>(),
            "type": "ComplexItem",
            "version": 2
        }),
        PlaneRegion::Area { polygon, .. } => {
            let mut ring: Vec<Value> = polygon
                .exterior()
                .0
                .iter()
                .map(|c| lat_lon(plan.to_geo(*c)))
                .collect();
            // QGroundControl stores rings open (no closing repeat).
            if ring.len() > 1 && ring.first() == ring.last() {
                ring.pop();
            }
            json!({
                "TransectStyleComplexItem": transect_style,
                "angle": grid_angle_deg(plan),
                "complexItemType": "survey",
                "entryLocation": 0,
                "flyAlternateTransects": false,
                "polygon": ring,
                "splitConcavePolygons": false,
                "type": "ComplexItem",
                "version": 5
            })
        }
    }
}
