//! DJI WPML routes (DJI Pilot 2 / FlightHub 2 KMZ: `wpmz/template.kml` +
//! `wpmz/waylines.wpml`) as survey input, so an existing DJI route can be re-planned.
//!
//! The template's `Folder` says what the route is (`wpml:templateType`):
//! - `waypoint`: its `Placemark` `Point`s in `wpml:index` order are a corridor centreline
//!   (the corridor width comes from `--width`);
//! - `mapping2d` (and the oblique `mapping3d`): its `Polygon` is an area (DJI's area
//!   template has no holes);
//! - `mappingStrip`: its `LineString` is a corridor centreline, and its `wpml:leftExtend` +
//!   `wpml:rightExtend` the corridor width. Our corridors are centred on the line, so
//!   unequal extensions are widened to the larger one on both sides (the DJI strip stays
//!   inside ours).
//!
//! Coordinates are WGS-84 (`wpml:coordinateMode`, the only mode the specification allows);
//! `--datum` still overrides. Elements we do not use are ignored: real exports carry
//! elements the specification does not list.

use qly_core::datum::Datum;
use qly_core::geodesy::GeoPoint;

use super::kml::{coordinates, parse_xml, Element};
use super::validate::{check_pairs, check_width, clean_points, AxisOrder};
use super::{Ctx, InputError};
use crate::survey::{InputGeometry, SurveyInput};

/// The XML namespace prefix of every DJI WPML version (`http://www.dji.com/wpmz/1.0.6`).
pub(crate) const WPML_NAMESPACE: &str = "http://www.dji.com/wpmz/";

/// Whether KML text is a DJI WPML template (declares DJI's WPML namespace and names a
/// template type), as opposed to plain KML.
pub(crate) fn is_dji_template(text: &str) -> bool {
    text.contains(WPML_NAMESPACE) && text.contains("templateType>")
}

/// Reads a DJI `template.kml`.
pub(crate) fn read_template(
    ctx: &Ctx,
    text: &str,
    datum_override: Option<Datum>,
) -> Result<SurveyInput, InputError> {
    ctx.require_text(text, "a DJI WPML template (wpmz/template.kml)")?;
    let root = parse_xml(ctx, text)?;
    let doc = root
        .child("Document")
        .ok_or_else(|| ctx.err("kml", "no <Document>: expected kml/Document/Folder"))?;
    let (folder_path, folder) = doc
        .children_named("Folder")
        .enumerate()
        .find(|(_, f)| f.child("templateType").is_some())
        .map(|(i, f)| (format!("kml/Document/Folder[{i}]"), f))
        .ok_or_else(|| {
            ctx.err(
                "kml/Document",
                "no <Folder> with <wpml:templateType>: expected a DJI WPML template folder",
            )
        })?;
    if let Some(mode) = folder
        .child("waylineCoordinateSysParam")
        .and_then(|p| p.child("coordinateMode"))
    {
        if mode.text.trim() != "WGS84" {
            return Err(ctx.err(
                format!("{folder_path}/wpml:waylineCoordinateSysParam/wpml:coordinateMode"),
                format!(
                    "'{}': expected WGS84 (the only mode DJI's specification allows)",
                    mode.text.trim()
                ),
            ));
        }
    }
    let kind = folder
        .child("templateType")
        .map(|t| t.text.trim())
        .unwrap_or("");
    let datum = datum_override.unwrap_or_default();
    let placemarks: Vec<(String, &Element)> = folder
        .children_named("Placemark")
        .enumerate()
        .map(|(i, p)| (format!("{folder_path}/Placemark[{i}]"), p))
        .collect();
    // `ring`: `Some` cleans a line or ring; `None` keeps a waypoint's single point.
    let points =
        |parent: &Element, path: &str, ring: Option<bool>| -> Result<Vec<GeoPoint>, InputError> {
            let (cpath, pairs) = coordinates(ctx, parent, path)?;
            let pts = check_pairs(
                ctx,
                &cpath,
                &|i| format!("{cpath}[{i}]"),
                &pairs,
                AxisOrder::LonLat,
                datum,
            )?;
            match ring {
                Some(ring) => clean_points(ctx, &cpath, pts, ring),
                None if pts.len() == 1 => Ok(pts),
                None => Err(ctx.err(
                    cpath,
                    format!("{} points: expected one waypoint position", pts.len()),
                )),
            }
        };
    let (geometry, width_m) = match kind {
        "waypoint" => {
            let mut indexed: Vec<(u64, GeoPoint)> = Vec::with_capacity(placemarks.len());
            for (path, pm) in &placemarks {
                let point = pm.child("Point").ok_or_else(|| {
                    ctx.err(
                        path.clone(),
                        "a waypoint Placemark without <Point>: expected a waypoint",
                    )
                })?;
                let ppath = format!("{path}/Point");
                let p = points(point, &ppath, None)?;
                let index = match pm.child("index") {
                    Some(i) => i.text.trim().parse::<u64>().map_err(|_| {
                        ctx.err(
                            format!("{path}/wpml:index"),
                            format!("'{}': expected a waypoint index 0, 1, ...", i.text.trim()),
                        )
                    })?,
                    None => indexed.len() as u64,
                };
                indexed.push((index, p[0]));
            }
            indexed.sort_by_key(|(i, _)| *i);
            let line: Vec<GeoPoint> = indexed.into_iter().map(|(_, p)| p).collect();
            let line = clean_points(ctx, &folder_path, line, false)?;
            (InputGeometry::Centreline(line), None)
        }
        "mapping2d" | "mapping3d" => {
            let (path, pm) = single(ctx, &folder_path, &placemarks, kind)?;
            let ring = pm
                .child("Polygon")
                .and_then(|p| p.child("outerBoundaryIs"))
                .and_then(|b| b.child("LinearRing"))
                .ok_or_else(|| {
                    ctx.err(
                        path.clone(),
                        format!("a {kind} Placemark without Polygon/outerBoundaryIs/LinearRing: expected the area's outline"),
                    )
                })?;
            let boundary = points(
                ring,
                &format!("{path}/Polygon/outerBoundaryIs/LinearRing"),
                Some(true),
            )?;
            (
                InputGeometry::Area {
                    boundary,
                    holes: Vec::new(),
                },
                None,
            )
        }
        "mappingStrip" => {
            let (path, pm) = single(ctx, &folder_path, &placemarks, kind)?;
            let line_el = pm.child("LineString").ok_or_else(|| {
                ctx.err(
                    path.clone(),
                    "a mappingStrip Placemark without <LineString>: expected the strip's centre line",
                )
            })?;
            let line = points(line_el, &format!("{path}/LineString"), Some(false))?;
            let extend = |name: &str| -> Result<Option<f64>, InputError> {
                let Some(el) = pm.child(name) else {
                    return Ok(None);
                };
                let field = format!("{path}/wpml:{name}");
                let v: f64 = el.text.trim().parse().map_err(|_| {
                    ctx.err(
                        field.clone(),
                        format!("'{}': expected metres > 0", el.text.trim()),
                    )
                })?;
                check_width(ctx, &field, v).map(Some)
            };
            let width_m = match (extend("leftExtend")?, extend("rightExtend")?) {
                (Some(l), Some(r)) => Some(2.0 * l.max(r)),
                (Some(e), None) | (None, Some(e)) => Some(2.0 * e),
                (None, None) => None,
            };
            (InputGeometry::Centreline(line), width_m)
        }
        other => {
            return Err(ctx.err(
                format!("{folder_path}/wpml:templateType"),
                format!(
                    "'{other}': expected waypoint (a route: corridor centreline), mapping2d or \
                     mapping3d (an area) or mappingStrip (a corridor)"
                ),
            ))
        }
    };
    let to_wgs =
        |v: Vec<GeoPoint>| -> Vec<GeoPoint> { v.into_iter().map(|p| datum.to_wgs84(p)).collect() };
    let geometry = match geometry {
        InputGeometry::Centreline(l) => InputGeometry::Centreline(to_wgs(l)),
        InputGeometry::Area { boundary, holes } => InputGeometry::Area {
            boundary: to_wgs(boundary),
            holes,
        },
    };
    Ok(SurveyInput {
        source: ctx.file.clone(),
        name: None,
        geometry,
        exclusions: Vec::new(),
        width_m,
        datum,
        sites: Vec::new(),
    })
}

/// The one Placemark of a mapping template.
fn single<'a>(
    ctx: &Ctx,
    folder_path: &str,
    placemarks: &'a [(String, &'a Element)],
    kind: &str,
) -> Result<&'a (String, &'a Element), InputError> {
    match placemarks {
        [one] => Ok(one),
        _ => Err(ctx.err(
            folder_path,
            format!(
                "{} Placemarks in a {kind} template: expected exactly one",
                placemarks.len()
            ),
        )),
    }
}
