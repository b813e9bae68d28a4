//! GeoJSON survey input (RFC 7946: longitude, latitude).
//!
//! Accepted: a Feature, a FeatureCollection or a bare geometry holding one LineString (a
//! river centreline) or one Polygon (an area, holes allowed; a MultiPolygon only with
//! exactly one polygon). Polygon features with property `"role": "exclusion"` are no-fly
//! zones; Point features with a `name` are sites. The properties `width_m`, `datum`
//! (`WGS84`, `CGCS2000`, `GCJ02`) and `name` are read from the main feature, else from the
//! collection's `properties` member, else from the collection itself. A legacy `crs` member
//! is accepted only when it names WGS-84 longitude/latitude (EPSG:4326 / CRS84).
//!
//! What a corridor file is (the document, the property lookup, `datum`, `width_m`, `name`,
//! the coordinate checks) is owned by `qly_core::corridor`, which the sim and review read
//! corridors with; this reader adds areas, exclusions and sites on the same parts.

use geojson::{GeometryValue, JsonValue, Position};
use qly_core::coord_check::FieldError;
use qly_core::corridor::{is_exclusion, is_our_drawing, join, GeoJsonFile};
use qly_core::datum::Datum;
use qly_core::geodesy::GeoPoint;

use super::validate::clean_points;
use super::{Ctx, InputError};
use crate::survey::{InputGeometry, Site, SurveyInput};

/// Geometry as read, in the file's datum, before conversion.
enum Main {
    Line(Vec<GeoPoint>),
    Area(Vec<GeoPoint>, Vec<Vec<GeoPoint>>),
}

pub(crate) fn read(
    ctx: &Ctx,
    text: &str,
    datum_override: Option<Datum>,
) -> Result<SurveyInput, InputError> {
    let in_file = |e: FieldError| ctx.err(e.field, e.message);
    let doc = GeoJsonFile::parse(text).map_err(in_file)?;
    let features = &doc.features;
    let props = doc.properties(doc.main_feature());
    let file_datum = props.datum().map_err(in_file)?;
    let datum = datum_override.or(file_datum).unwrap_or_default();
    // The datum the swap heuristic trusts: what the file or the pilot declared.
    let declared = datum;

    let width_m = props.width_m().map_err(in_file)?;
    let name = props.name().map_err(in_file)?;

    let mut main: Option<(String, Main)> = None;
    let mut exclusions: Vec<Vec<GeoPoint>> = Vec::new();
    let mut sites: Vec<Site> = Vec::new();
    for (prefix, f) in features {
        let Some(geom) = &f.geometry else { continue };
        if is_our_drawing(f) {
            continue;
        }
        let gpath = GeoJsonFile::geometry_path(prefix);
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
            doc.root_field(),
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

/// [`qly_core::corridor::positions`] for the file of `ctx`.
fn positions(
    ctx: &Ctx,
    path: &str,
    coords: &[Position],
    datum: Datum,
) -> Result<Vec<GeoPoint>, InputError> {
    qly_core::corridor::positions(path, coords, datum).map_err(|e| ctx.err(e.field, e.message))
}
