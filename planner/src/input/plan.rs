//! QGroundControl `.plan` files (JSON), read two ways: as survey geometry (the polyline and
//! width of a `CorridorScan` item or the polygon of a `survey` item, plus exclusion fence
//! polygons) and as the mission a vehicle flies (simple items and the items stored inside
//! complex items, as QGroundControl, Mission Planner and MAVSDK upload them).
//!
//! Coordinates in a `.plan` are `[latitude, longitude(, altitude)]`; `null` parameters mean
//! NaN ("unset"). Old files whose simple items carry a `coordinate` array and four params
//! (QGroundControl's pre-v3 item format, e.g. its `SectionTest.plan`) are read too, as are
//! version 1 geofences (a single inclusion `polygon`).

use serde_json::Value;

use qly_core::datum::Datum;
use qly_core::geodesy::GeoPoint;
use qly_core::mission::{AltFrame, FenceZone, Home, Mission, MissionItem, RallyPoint, RawItem};

use super::validate::{check_pairs, check_width, clean_points, AxisOrder};
use super::{Ctx, InputError};
use crate::survey::{InputGeometry, SurveyInput};

fn parse_root(ctx: &Ctx, text: &str) -> Result<serde_json::Map<String, Value>, InputError> {
    ctx.require_text(text, "a QGroundControl plan (JSON)")?;
    let value: Value = serde_json::from_str(text).map_err(|e| {
        ctx.err(
            format!("line {}, column {}", e.line(), e.column()),
            format!("not valid JSON ({e}): expected a QGroundControl .plan"),
        )
    })?;
    let Value::Object(root) = value else {
        return Err(ctx.err(
            "(root)",
            "not a JSON object: expected a QGroundControl .plan",
        ));
    };
    match root.get("fileType").and_then(Value::as_str) {
        Some("Plan") => Ok(root),
        other => Err(ctx.err(
            "fileType",
            format!(
                "{}: expected \"Plan\"",
                other
                    .map(|s| format!("'{s}'"))
                    .unwrap_or_else(|| "missing".into())
            ),
        )),
    }
}

fn object<'a>(
    ctx: &Ctx,
    v: Option<&'a Value>,
    path: &str,
) -> Result<&'a serde_json::Map<String, Value>, InputError> {
    v.and_then(Value::as_object)
        .ok_or_else(|| ctx.err(path, "missing or not an object: expected a JSON object"))
}

fn array<'a>(ctx: &Ctx, v: Option<&'a Value>, path: &str) -> Result<&'a Vec<Value>, InputError> {
    v.and_then(Value::as_array)
        .ok_or_else(|| ctx.err(path, "missing or not an array: expected a JSON array"))
}

fn number(ctx: &Ctx, v: Option<&Value>, path: &str) -> Result<f64, InputError> {
    match v {
        Some(Value::Number(n)) => n
            .as_f64()
            .ok_or_else(|| ctx.err(path, format!("{n}: expected a finite number"))),
        Some(other) => Err(ctx.err(path, format!("{other}: expected a number"))),
        None => Err(ctx.err(path, "missing: expected a number")),
    }
}

/// A number, or NaN for `null` (QGroundControl writes NaN as null).
fn number_or_null(ctx: &Ctx, v: Option<&Value>, path: &str) -> Result<f64, InputError> {
    match v {
        Some(Value::Null) => Ok(f64::NAN),
        _ => number(ctx, v, path),
    }
}

/// `[lat, lon, ...]` arrays, checked (latitude first) and cleaned.
fn lat_lon_list(
    ctx: &Ctx,
    v: Option<&Value>,
    path: &str,
    datum: Datum,
    ring: bool,
) -> Result<Vec<GeoPoint>, InputError> {
    let list = array(ctx, v, path)?;
    let mut pairs = Vec::with_capacity(list.len());
    for (i, p) in list.iter().enumerate() {
        let ppath = format!("{path}[{i}]");
        let a = p
            .as_array()
            .filter(|a| a.len() >= 2)
            .ok_or_else(|| ctx.err(ppath.clone(), "expected [latitude, longitude]"))?;
        pairs.push((
            number(ctx, a.first(), &format!("{ppath}[0]"))?,
            number(ctx, a.get(1), &format!("{ppath}[1]"))?,
        ));
    }
    let pts = check_pairs(
        ctx,
        path,
        &|i| format!("{path}[{i}]"),
        &pairs,
        AxisOrder::LatLon,
        datum,
    )?;
    clean_points(ctx, path, pts, ring)
}

pub(crate) fn read_survey(
    ctx: &Ctx,
    text: &str,
    datum_override: Option<Datum>,
) -> Result<SurveyInput, InputError> {
    let root = parse_root(ctx, text)?;
    let datum = datum_override.unwrap_or_default();
    let mission = object(ctx, root.get("mission"), "mission")?;
    let items = array(ctx, mission.get("items"), "mission.items")?;
    let mut found: Option<(String, InputGeometry, Option<f64>)> = None;
    for (i, item) in items.iter().enumerate() {
        let path = format!("mission.items[{i}]");
        if item.get("type").and_then(Value::as_str) != Some("ComplexItem") {
            continue;
        }
        let kind = item.get("complexItemType").and_then(Value::as_str);
        let geometry = match kind {
            Some("CorridorScan") => {
                let wpath = format!("{path}.CorridorWidth");
                let w = check_width(ctx, &wpath, number(ctx, item.get("CorridorWidth"), &wpath)?)?;
                let line = lat_lon_list(
                    ctx,
                    item.get("polyline"),
                    &format!("{path}.polyline"),
                    datum,
                    false,
                )?;
                (InputGeometry::Centreline(line), Some(w))
            }
            Some("survey") => {
                let ring = lat_lon_list(
                    ctx,
                    item.get("polygon"),
                    &format!("{path}.polygon"),
                    datum,
                    true,
                )?;
                (
                    InputGeometry::Area {
                        boundary: ring,
                        holes: Vec::new(),
                    },
                    None,
                )
            }
            _ => continue,
        };
        if let Some((first, ..)) = &found {
            return Err(ctx.err(
                path,
                format!(
                    "a second survey/CorridorScan item (the first is {first}): expected exactly one"
                ),
            ));
        }
        found = Some((path, geometry.0, geometry.1));
    }
    let Some((_, geometry, width_m)) = found else {
        return Err(ctx.err(
            "mission.items",
            "no survey geometry: expected a ComplexItem with complexItemType \"CorridorScan\" \
             (polyline + CorridorWidth) or \"survey\" (polygon)",
        ));
    };
    // Exclusion fence polygons are no-fly zones. Holes of an area written by us come back
    // this way too: both are avoided alike by the planner.
    let mut exclusions = Vec::new();
    if let Some(fence) = root.get("geoFence").and_then(Value::as_object) {
        if let Some(polys) = fence.get("polygons").and_then(Value::as_array) {
            for (k, p) in polys.iter().enumerate() {
                let inclusion = p.get("inclusion").and_then(Value::as_bool).unwrap_or(true);
                if !inclusion {
                    exclusions.push(lat_lon_list(
                        ctx,
                        p.get("polygon"),
                        &format!("geoFence.polygons[{k}].polygon"),
                        datum,
                        true,
                    )?);
                }
            }
        }
    }
    let to_wgs =
        |v: Vec<GeoPoint>| -> Vec<GeoPoint> { v.into_iter().map(|p| datum.to_wgs84(p)).collect() };
    let geometry = match geometry {
        InputGeometry::Centreline(l) => InputGeometry::Centreline(to_wgs(l)),
        InputGeometry::Area { boundary, holes } => InputGeometry::Area {
            boundary: to_wgs(boundary),
            holes: holes.into_iter().map(to_wgs).collect(),
        },
    };
    Ok(SurveyInput {
        source: ctx.file.clone(),
        name: None,
        geometry,
        exclusions: exclusions.into_iter().map(to_wgs).collect(),
        width_m,
        datum,
        sites: Vec::new(),
    })
}

/// One `SimpleItem` as its wire form.
fn simple_item(ctx: &Ctx, item: &Value, path: &str) -> Result<RawItem, InputError> {
    let ty = item.get("type").and_then(Value::as_str);
    if ty != Some("SimpleItem") {
        return Err(ctx.err(
            format!("{path}.type"),
            format!("{ty:?}: expected \"SimpleItem\""),
        ));
    }
    let command = number(ctx, item.get("command"), &format!("{path}.command"))?;
    let frame = number(ctx, item.get("frame"), &format!("{path}.frame"))?;
    if !(0.0..=65535.0).contains(&command) || command.fract() != 0.0 {
        return Err(ctx.err(
            format!("{path}.command"),
            format!("{command}: expected a MAV_CMD number"),
        ));
    }
    if !(0.0..=255.0).contains(&frame) || frame.fract() != 0.0 {
        return Err(ctx.err(
            format!("{path}.frame"),
            format!("{frame}: expected a MAV_FRAME number"),
        ));
    }
    let autocontinue = match item.get("autoContinue") {
        Some(Value::Bool(b)) => *b,
        None => true,
        Some(other) => {
            return Err(ctx.err(
                format!("{path}.autoContinue"),
                format!("{other}: expected true or false"),
            ))
        }
    };
    let ppath = format!("{path}.params");
    let params = array(ctx, item.get("params"), &ppath)?;
    let mut p = [0.0f64; 7];
    match (params.len(), item.get("coordinate")) {
        (7, _) => {
            for (k, v) in params.iter().enumerate() {
                p[k] = number_or_null(ctx, Some(v), &format!("{ppath}[{k}]"))?;
            }
        }
        (4, Some(coord)) => {
            for (k, v) in params.iter().enumerate() {
                p[k] = number_or_null(ctx, Some(v), &format!("{ppath}[{k}]"))?;
            }
            let cpath = format!("{path}.coordinate");
            let c = coord.as_array().filter(|c| c.len() == 3).ok_or_else(|| {
                ctx.err(cpath.clone(), "expected [latitude, longitude, altitude]")
            })?;
            for k in 0..3 {
                p[4 + k] = number_or_null(ctx, c.get(k), &format!("{cpath}[{k}]"))?;
            }
        }
        (n, _) => {
            return Err(ctx.err(
                ppath,
                format!("{n} values: expected 7 params (or 4 with a \"coordinate\")"),
            ))
        }
    }
    Ok(RawItem {
        frame: frame as u8,
        command: command as u16,
        params: [p[0] as f32, p[1] as f32, p[2] as f32, p[3] as f32],
        lat_deg: p[4],
        lon_deg: p[5],
        alt_m: p[6] as f32,
        autocontinue,
    })
}

pub(crate) fn read_mission(ctx: &Ctx, text: &str) -> Result<Mission, InputError> {
    let root = parse_root(ctx, text)?;
    let mission = object(ctx, root.get("mission"), "mission")?;
    let hpath = "mission.plannedHomePosition";
    let home = array(ctx, mission.get("plannedHomePosition"), hpath)?;
    if home.len() != 3 {
        return Err(ctx.err(
            hpath,
            format!(
                "{} values: expected [latitude, longitude, altitude AMSL]",
                home.len()
            ),
        ));
    }
    let hpair = [(
        number(ctx, home.first(), &format!("{hpath}[0]"))?,
        number(ctx, home.get(1), &format!("{hpath}[1]"))?,
    )];
    let hp = check_pairs(
        ctx,
        hpath,
        &|_| hpath.to_string(),
        &hpair,
        AxisOrder::LatLon,
        Datum::Wgs84,
    )?;
    let home = Home {
        point: hp[0],
        alt_amsl_m: number(ctx, home.get(2), &format!("{hpath}[2]"))?,
    };

    let items = array(ctx, mission.get("items"), "mission.items")?;
    let mut raws: Vec<(String, RawItem)> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = format!("mission.items[{i}]");
        match item.get("type").and_then(Value::as_str) {
            Some("SimpleItem") => raws.push((path.clone(), simple_item(ctx, item, &path)?)),
            Some("ComplexItem") => {
                let ipath = format!("{path}.TransectStyleComplexItem.Items");
                let stored = item
                    .get("TransectStyleComplexItem")
                    .and_then(|t| t.get("Items"))
                    .and_then(Value::as_array)
                    .ok_or_else(|| {
                        ctx.err(
                            ipath.clone(),
                            format!(
                                "a {} complex item without stored Items: expected \
                                 TransectStyleComplexItem.Items (open and save it in \
                                 QGroundControl to generate them)",
                                item.get("complexItemType")
                                    .and_then(Value::as_str)
                                    .unwrap_or("?")
                            ),
                        )
                    })?;
                for (k, s) in stored.iter().enumerate() {
                    let spath = format!("{ipath}[{k}]");
                    raws.push((spath.clone(), simple_item(ctx, s, &spath)?));
                }
            }
            other => {
                return Err(ctx.err(
                    format!("{path}.type"),
                    format!("{other:?}: expected \"SimpleItem\" or \"ComplexItem\""),
                ))
            }
        }
    }
    // Positions of items in a global frame, finite and not the 0,0 "no position" marker.
    let positional: Vec<&(String, RawItem)> = raws
        .iter()
        .filter(|(_, r)| {
            AltFrame::from_mav_frame(r.frame).is_some()
                && r.lat_deg.is_finite()
                && r.lon_deg.is_finite()
                && !(r.lat_deg == 0.0 && r.lon_deg == 0.0)
        })
        .collect();
    let pairs: Vec<(f64, f64)> = positional
        .iter()
        .map(|(_, r)| (r.lat_deg, r.lon_deg))
        .collect();
    check_pairs(
        ctx,
        "mission.items",
        &|i| format!("{}.params[4..6]", positional[i].0),
        &pairs,
        AxisOrder::LatLon,
        Datum::Wgs84,
    )?;

    let mut fence = Vec::new();
    if let Some(gf) = root.get("geoFence").and_then(Value::as_object) {
        if let Some(polys) = gf.get("polygons").and_then(Value::as_array) {
            for (k, p) in polys.iter().enumerate() {
                let path = format!("geoFence.polygons[{k}]");
                let inclusion = match p.get("inclusion") {
                    Some(Value::Bool(b)) => *b,
                    None => true,
                    Some(other) => {
                        return Err(ctx.err(
                            format!("{path}.inclusion"),
                            format!("{other}: expected true or false"),
                        ))
                    }
                };
                let vertices = lat_lon_list(
                    ctx,
                    p.get("polygon"),
                    &format!("{path}.polygon"),
                    Datum::Wgs84,
                    true,
                )?;
                fence.push(FenceZone::Polygon {
                    inclusion,
                    vertices,
                });
            }
        }
        // Version 1 geofences: one inclusion polygon (often empty).
        if let Some(Value::Array(poly)) = gf.get("polygon") {
            if !poly.is_empty() {
                let vertices = lat_lon_list(
                    ctx,
                    gf.get("polygon"),
                    "geoFence.polygon",
                    Datum::Wgs84,
                    true,
                )?;
                fence.push(FenceZone::Polygon {
                    inclusion: true,
                    vertices,
                });
            }
        }
        if let Some(circles) = gf.get("circles").and_then(Value::as_array) {
            for (k, c) in circles.iter().enumerate() {
                let path = format!("geoFence.circles[{k}]");
                let inclusion = c.get("inclusion").and_then(Value::as_bool).unwrap_or(true);
                let circle = object(ctx, c.get("circle"), &format!("{path}.circle"))?;
                let cpath = format!("{path}.circle.center");
                let centre = array(ctx, circle.get("center"), &cpath)?;
                let pair = [(
                    number(ctx, centre.first(), &format!("{cpath}[0]"))?,
                    number(ctx, centre.get(1), &format!("{cpath}[1]"))?,
                )];
                let centre = check_pairs(
                    ctx,
                    &cpath,
                    &|_| cpath.clone(),
                    &pair,
                    AxisOrder::LatLon,
                    Datum::Wgs84,
                )?[0];
                let rpath = format!("{path}.circle.radius");
                let radius_m = number(ctx, circle.get("radius"), &rpath)?;
                if radius_m <= 0.0 {
                    return Err(ctx.err(
                        rpath,
                        format!("{radius_m}: expected a radius in metres > 0"),
                    ));
                }
                fence.push(FenceZone::Circle {
                    inclusion,
                    centre,
                    radius_m,
                });
            }
        }
    }
    let mut rally = Vec::new();
    if let Some(points) = root
        .get("rallyPoints")
        .and_then(|r| r.get("points"))
        .and_then(Value::as_array)
    {
        for (k, p) in points.iter().enumerate() {
            let path = format!("rallyPoints.points[{k}]");
            let a = p
                .as_array()
                .filter(|a| a.len() == 3)
                .ok_or_else(|| ctx.err(path.clone(), "expected [latitude, longitude, altitude]"))?;
            let pair = [(
                number(ctx, a.first(), &format!("{path}[0]"))?,
                number(ctx, a.get(1), &format!("{path}[1]"))?,
            )];
            let point = check_pairs(
                ctx,
                &path,
                &|_| path.clone(),
                &pair,
                AxisOrder::LatLon,
                Datum::Wgs84,
            )?[0];
            rally.push(RallyPoint {
                point,
                alt_rel_home_m: number(ctx, a.get(2), &format!("{path}[2]"))?,
            });
        }
    }
    Ok(Mission {
        home,
        items: raws.iter().map(|(_, r)| MissionItem::from_raw(r)).collect(),
        fence,
        rally,
    })
}
