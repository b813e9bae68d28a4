//! GeoJSON survey input (RFC 7946: longitude, latitude).
//!
//! Accepted: a Feature, a FeatureCollection or a bare geometry holding one LineString (a
//! river centreline) or one Polygon (an area, holes allowed; a MultiPolygon only with
//! exactly one polygon). Polygon features with property `"role": "exclusion"` are no-fly
//! zones; Point features with a `name` are sites. The properties `width_m`, `datum`
//! (`WGS84`, `CGCS2000`, `GCJ02`) and `name` are read from the main feature, else from the
//! collection's `properties` member, else from the collection itself. A legacy `crs` member
//! is accepted only when it names WGS-84 longitude/latitude (EPSG:4326 / CRS84).

use std::str::FromStr;

use geojson::{Feature, GeoJson, GeometryValue, JsonObject, JsonValue, Position};
use qly_core::datum::Datum;
use qly_core::geodesy::GeoPoint;

use super::validate::{check_pairs, check_width, clean_points, AxisOrder};
use super::{Ctx, InputError};
use crate::survey::{InputGeometry, Site, SurveyInput};

/// Geometry as read, in the file's datum, before conversion.
enum Main {
    Line(Vec<GeoPoint>),
    Area(Vec<GeoPoint>, Vec<Vec<GeoPoint>>),
}

/// Where a feature sits in the file, for field paths.
fn join(prefix: &str, rest: &str) -> String {
    if prefix.is_empty() {
        rest.to_string()
    } else {
        format!("{prefix}.{rest}")
    }
}

pub(crate) fn read(
    ctx: &Ctx,
    text: &str,
    datum_override: Option<Datum>,
) -> Result<SurveyInput, InputError> {
    ctx.require_text(text, "a GeoJSON Feature or FeatureCollection")?;
    let value: JsonValue = serde_json::from_str(text).map_err(|e| {
        ctx.err(
            format!("line {}, column {}", e.line(), e.column()),
            format!("not valid JSON ({e}): expected a GeoJSON Feature or FeatureCollection"),
        )
    })?;
    let root = value.as_object().ok_or_else(|| {
        ctx.err(
            "(root)",
            "not a JSON object: expected a GeoJSON Feature or FeatureCollection",
        )
    })?;
    if let Some(crs) = root.get("crs") {
        check_crs(ctx, crs)?;
    }
    let gj: GeoJson = serde_json::from_value(value.clone()).map_err(|e| {
        ctx.err(
            "(root)",
            format!("not GeoJSON ({e}): expected a Feature or FeatureCollection"),
        )
    })?;

    // (path prefix, feature) pairs, and the collection-level property sources.
    let mut features: Vec<(String, Feature)> = Vec::new();
    let mut collection_props: Vec<(String, JsonObject)> = Vec::new();
    match gj {
        GeoJson::FeatureCollection(fc) => {
            // Collection-level members are taken from the raw JSON: `properties` (a common
            // non-standard member) first, then the collection's own members.
            if let Some(JsonValue::Object(p)) = root.get("properties") {
                collection_props.push(("properties".into(), p.clone()));
            }
            collection_props.push((String::new(), root.clone()));
            for (k, f) in fc.features.into_iter().enumerate() {
                features.push((format!("features[{k}]"), f));
            }
        }
        GeoJson::Feature(f) => features.push((String::new(), f)),
        GeoJson::Geometry(g) => {
            // A bare geometry: paths start at its own members.
            features.push((
                "(geometry)".into(),
                Feature {
                    geometry: Some(g),
                    ..Default::default()
                },
            ));
        }
    }

    // First pass: find the main feature to know where properties come from.
    let is_exclusion =
        |f: &Feature| f.property("role").and_then(JsonValue::as_str) == Some("exclusion");
    let main_index = features.iter().position(|(_, f)| {
        !is_exclusion(f)
            && !is_our_drawing(f)
            && matches!(
                f.geometry.as_ref().map(|g| &g.value),
                Some(
                    GeometryValue::LineString { .. }
                        | GeometryValue::Polygon { .. }
                        | GeometryValue::MultiPolygon { .. }
                )
            )
    });

    // Properties: main feature, then collection `properties`, then collection members.
    let mut prop_sources: Vec<(String, JsonObject)> = Vec::new();
    if let Some(i) = main_index {
        let (prefix, f) = &features[i];
        if let Some(p) = &f.properties {
            let path = if prefix == "(geometry)" {
                "properties".to_string()
            } else {
                join(prefix, "properties")
            };
            prop_sources.push((path, p.clone()));
        }
    }
    prop_sources.extend(collection_props);
    let prop = |key: &str| -> Option<(String, JsonValue)> {
        prop_sources
            .iter()
            .find_map(|(path, obj)| obj.get(key).map(|v| (join(path, key), v.clone())))
    };

    let file_datum = match prop("datum") {
        Some((path, JsonValue::String(s))) => {
            Some(Datum::from_str(&s).map_err(|e| ctx.err(path, e.to_string()))?)
        }
        Some((path, other)) => {
            return Err(ctx.err(
                path,
                format!("{other}: expected a string WGS84, CGCS2000 or GCJ02"),
            ))
        }
        None => None,
    };
    let datum = datum_override.or(file_datum).unwrap_or_default();
    // The datum the swap heuristic trusts: what the file or the pilot declared.
    let declared = datum;

    let width_m = match prop("width_m") {
        Some((path, JsonValue::Number(n))) => {
            Some(check_width(ctx, &path, n.as_f64().unwrap_or(f64::NAN))?)
        }
        Some((path, JsonValue::Null)) => {
            return Err(ctx.err(path, "null: expected a finite width in metres > 0"))
        }
        Some((path, other)) => {
            return Err(ctx.err(
                path,
                format!("{other}: expected a number (corridor width in metres > 0)"),
            ))
        }
        None => None,
    };
    let name = match prop("name") {
        Some((_, JsonValue::String(s))) => Some(s),
        Some((path, other)) => return Err(ctx.err(path, format!("{other}: expected a string"))),
        None => None,
    };

    let mut main: Option<(String, Main)> = None;
    let mut exclusions: Vec<Vec<GeoPoint>> = Vec::new();
    let mut sites: Vec<Site> = Vec::new();
    for (prefix, f) in &features {
        let Some(geom) = &f.geometry else { continue };
        if is_our_drawing(f) {
            continue;
        }
        let gpath = if prefix == "(geometry)" {
            String::new()
        } else {
            join(prefix, "geometry")
        };
        let cpath = join(&gpath, "coordinates");
        let ring = |path: &str, r: &[Position]| -> Result<Vec<GeoPoint>, InputError> {
            let pts = positions(ctx, path, r, declared)?;
            clean_points(ctx, path, pts, true)
        };
        let polygon = |path: &str, rings: &[Vec<Position>]| -> Result<Main, InputError> {
            let Some(outer) = rings.first() else {
                return Err(ctx.err(path, "a Polygon without rings: expected an outer ring"));
            };
            let boundary = ring(&format!("{path}[0]"), outer)?;
            let holes = rings[1..]
                .iter()
                .enumerate()
                .map(|(h, r)| ring(&format!("{path}[{}]", h + 1), r))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Main::Area(boundary, holes))
        };
        let found = match &geom.value {
            GeometryValue::Point { coordinates } => {
                let site_name = match f.property("name") {
                    Some(JsonValue::String(s)) => s.clone(),
                    _ => {
                        return Err(ctx.err(
                            join(prefix, "properties.name"),
                            "a Point without a name: expected a \"name\" string \
                             (Point features are named sites)",
                        ))
                    }
                };
                let p = positions(ctx, &cpath, std::slice::from_ref(coordinates), declared)?;
                sites.push(Site {
                    name: site_name,
                    point: p[0],
                });
                continue;
            }
            GeometryValue::LineString { coordinates } => {
                let pts = positions(ctx, &cpath, coordinates, declared)?;
                Main::Line(clean_points(ctx, &cpath, pts, false)?)
            }
            GeometryValue::Polygon { coordinates } => polygon(&cpath, coordinates)?,
            GeometryValue::MultiPolygon { coordinates } => {
                if coordinates.len() != 1 {
                    return Err(ctx.err(
                        cpath,
                        format!(
                            "a MultiPolygon with {} polygons: expected exactly one \
                             (split it into features; mark no-fly ones \"role\": \"exclusion\")",
                            coordinates.len()
                        ),
                    ));
                }
                polygon(&format!("{cpath}[0]"), &coordinates[0])?
            }
            other => {
                return Err(ctx.err(
                    join(&gpath, "type"),
                    format!(
                        "{}: expected a LineString (centreline), a Polygon (area), a Point \
                         (site) or an exclusion Polygon",
                        other.type_name()
                    ),
                ))
            }
        };
        if is_exclusion(f) {
            match found {
                Main::Area(boundary, _) => exclusions.push(boundary),
                Main::Line(_) => {
                    return Err(ctx.err(
                        join(&gpath, "type"),
                        "an exclusion LineString: expected an exclusion Polygon",
                    ))
                }
            }
            continue;
        }
        if let Some((first, _)) = &main {
            return Err(ctx.err(
                gpath,
                format!(
                    "a second survey geometry (the first is at {}): expected exactly one \
                     LineString or Polygon; mark no-fly polygons with \"role\": \"exclusion\"",
                    if first.is_empty() { "(root)" } else { first }
                ),
            ));
        }
        main = Some((gpath, found));
    }

    let Some((_, main)) = main else {
        return Err(ctx.err(
            if features.len() > 1 {
                "features"
            } else {
                "(root)"
            },
            "no geometry to survey: expected one LineString (river centreline) or Polygon (area)",
        ));
    };
    let to_wgs =
        |v: Vec<GeoPoint>| -> Vec<GeoPoint> { v.into_iter().map(|p| datum.to_wgs84(p)).collect() };
    let geometry = match main {
        Main::Line(pts) => InputGeometry::Centreline(to_wgs(pts)),
        Main::Area(b, holes) => InputGeometry::Area {
            boundary: to_wgs(b),
            holes: holes.into_iter().map(to_wgs).collect(),
        },
    };
    Ok(SurveyInput {
        source: ctx.file.clone(),
        name,
        geometry,
        exclusions: exclusions.into_iter().map(to_wgs).collect(),
        width_m,
        datum,
        sites: sites
            .into_iter()
            .map(|s| Site {
                name: s.name,
                point: datum.to_wgs84(s.point),
            })
            .collect(),
    })
}

/// Named Point features of a GeoJSON file (launch points, sites), in WGS-84: a Feature, a
/// FeatureCollection or a bare Point (then unnamed: refused); other geometries are skipped,
/// so a survey file's sites read too. The datum is `datum_override`, else a `datum`
/// property of the collection, else WGS-84.
pub(crate) fn read_points(
    ctx: &Ctx,
    text: &str,
    datum_override: Option<Datum>,
) -> Result<Vec<Site>, InputError> {
    ctx.require_text(text, "a GeoJSON FeatureCollection of named Points")?;
    let value: JsonValue = serde_json::from_str(text).map_err(|e| {
        ctx.err(
            format!("line {}, column {}", e.line(), e.column()),
            format!("not valid JSON ({e}): expected a GeoJSON FeatureCollection"),
        )
    })?;
    if let Some(crs) = value.get("crs") {
        check_crs(ctx, crs)?;
    }
    let file_datum = match value
        .get("properties")
        .and_then(|p| p.get("datum"))
        .or_else(|| value.get("datum"))
    {
        Some(JsonValue::String(d)) => {
            Some(Datum::from_str(d).map_err(|e| ctx.err("datum", e.to_string()))?)
        }
        Some(other) => {
            return Err(ctx.err(
                "datum",
                format!("{other}: expected a string WGS84, CGCS2000 or GCJ02"),
            ))
        }
        None => None,
    };
    let datum = datum_override.or(file_datum).unwrap_or_default();
    let gj: GeoJson = serde_json::from_value(value).map_err(|e| {
        ctx.err(
            "(root)",
            format!("not GeoJSON ({e}): expected a Feature or FeatureCollection"),
        )
    })?;
    let features: Vec<(String, Feature)> = match gj {
        GeoJson::FeatureCollection(fc) => fc
            .features
            .into_iter()
            .enumerate()
            .map(|(k, f)| (format!("features[{k}]"), f))
            .collect(),
        GeoJson::Feature(f) => vec![(String::new(), f)],
        GeoJson::Geometry(g) => vec![(
            "(geometry)".into(),
            Feature {
                geometry: Some(g),
                ..Default::default()
            },
        )],
    };
    let mut sites = Vec::new();
    for (prefix, f) in &features {
        let Some(GeometryValue::Point { coordinates }) = f.geometry.as_ref().map(|g| &g.value)
        else {
            continue;
        };
        let name = match f.property("name") {
            Some(JsonValue::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
            _ => {
                return Err(ctx.err(
                    join(prefix, "properties.name"),
                    "a Point without a name: expected a \"name\" string (a launch point is \
                     named so the pilot knows where to drive)",
                ))
            }
        };
        let cpath = join(&join(prefix, "geometry"), "coordinates");
        let p = positions(ctx, &cpath, std::slice::from_ref(coordinates), datum)?;
        sites.push(Site {
            name,
            point: datum.to_wgs84(p[0]),
        });
    }
    Ok(sites)
}

/// Lanes, photos and corridor outlines that our own GeoJSON output draws (property
/// `kind`); skipped so that a written plan reads back as survey input.
fn is_our_drawing(f: &Feature) -> bool {
    matches!(
        f.property("kind").and_then(JsonValue::as_str),
        Some("lane" | "photo" | "corridor_outline")
    )
}

/// Checks a list of positions (longitude, latitude[, altitude]) and returns the points in the
/// file's datum.
fn positions(
    ctx: &Ctx,
    path: &str,
    coords: &[Position],
    datum: Datum,
) -> Result<Vec<GeoPoint>, InputError> {
    let single = coords.len() == 1 && !path.ends_with(']');
    let point_field = |i: usize| {
        if single {
            path.to_string()
        } else {
            format!("{path}[{i}]")
        }
    };
    let mut pairs = Vec::with_capacity(coords.len());
    for (i, c) in coords.iter().enumerate() {
        let s = c.as_slice();
        if s.len() < 2 {
            return Err(ctx.err(
                point_field(i),
                format!(
                    "{} number(s): expected [longitude, latitude] or [longitude, latitude, altitude]",
                    s.len()
                ),
            ));
        }
        pairs.push((s[0], s[1]));
    }
    check_pairs(ctx, path, &point_field, &pairs, AxisOrder::LonLat, datum)
}

/// Accepts only a `crs` that names WGS-84 longitude/latitude.
fn check_crs(ctx: &Ctx, crs: &JsonValue) -> Result<(), InputError> {
    let name = crs
        .get("properties")
        .and_then(|p| p.get("name"))
        .and_then(JsonValue::as_str);
    let Some(name) = name else {
        return Err(ctx.err(
            "crs",
            "expected {\"type\": \"name\", \"properties\": {\"name\": \"EPSG:4326\"}} or no crs \
             (RFC 7946 GeoJSON is always WGS-84 longitude, latitude)",
        ));
    };
    let key = name.to_ascii_uppercase();
    let wgs84 = key.ends_with("CRS84")
        || key == "EPSG:4326"
        || key.ends_with("EPSG::4326")
        || key.ends_with("EPSG:4326");
    if !wgs84 {
        return Err(ctx.err(
            "crs.properties.name",
            format!(
                "'{name}': expected EPSG:4326 / CRS84 (WGS-84 longitude, latitude); give \
                 CGCS2000 or GCJ-02 coordinates with the \"datum\" property instead"
            ),
        ));
    }
    Ok(())
}
