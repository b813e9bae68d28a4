//! The river corridor a world is built along: a centreline and a width, read from the
//! GeoJSON the planner takes (a LineString feature with a `width_m` property, as
//! `missions/sample-corridor.geojson`), in WGS-84 or with a `datum` property (`WGS84`,
//! `CGCS2000`, `GCJ02`) that is converted to WGS-84 here.
//!
//! Only what the world needs is read; the planner's full reader (areas, exclusions, sites,
//! KML) stays in the planner, which sim does not depend on.

use std::str::FromStr;

use geojson::{Feature, GeoJson, GeometryValue, JsonObject, JsonValue};
use qly_core::datum::Datum;
use qly_core::geodesy::GeoPoint;

use super::WorldError;

/// A river corridor in WGS-84.
#[derive(Debug, Clone, PartialEq)]
pub struct Corridor {
    /// Centreline vertices, upstream end first (the world's river flows along it).
    pub centreline: Vec<GeoPoint>,
    /// Width of the surveyed corridor, metres (the river channel lies inside it).
    pub width_m: f64,
}

impl Corridor {
    /// A checked corridor: at least two distinct vertices and a finite width > 0.
    pub fn new(centreline: Vec<GeoPoint>, width_m: f64) -> Result<Corridor, WorldError> {
        if !(width_m.is_finite() && width_m > 0.0) {
            return Err(WorldError::Corridor {
                place: "width_m".into(),
                problem: format!("{width_m}: expected a finite width in metres > 0"),
            });
        }
        let mut pts: Vec<GeoPoint> = Vec::with_capacity(centreline.len());
        for p in centreline {
            if pts.last().is_none_or(|q| q.distance_m(p) > 0.01) {
                pts.push(p);
            }
        }
        if pts.len() < 2 {
            return Err(WorldError::Corridor {
                place: "centreline".into(),
                problem: "fewer than two distinct vertices: expected a LineString".into(),
            });
        }
        Ok(Corridor {
            centreline: pts,
            width_m,
        })
    }

    /// Reads a corridor from GeoJSON text: the first LineString feature (or bare LineString
    /// geometry); `width_m` and `datum` from that feature's properties or the collection's.
    /// `source` names the input in errors (a file name).
    pub fn from_geojson(text: &str, source: &str) -> Result<Corridor, WorldError> {
        let err = |place: &str, problem: String| WorldError::Corridor {
            place: format!("{source}: {place}"),
            problem,
        };
        let gj: GeoJson = text
            .parse()
            .map_err(|e| err("(root)", format!("not GeoJSON ({e})")))?;
        let (features, collection_props): (Vec<(String, Feature)>, Option<JsonObject>) = match gj {
            GeoJson::FeatureCollection(fc) => {
                let props = fc.foreign_members.as_ref().and_then(|m| {
                    m.get("properties")
                        .and_then(JsonValue::as_object)
                        .cloned()
                        .or_else(|| Some(m.clone()))
                });
                (
                    fc.features
                        .into_iter()
                        .enumerate()
                        .map(|(i, f)| (format!("features[{i}]"), f))
                        .collect(),
                    props,
                )
            }
            GeoJson::Feature(f) => (vec![("(feature)".into(), f)], None),
            GeoJson::Geometry(g) => (
                vec![(
                    "(geometry)".into(),
                    Feature {
                        geometry: Some(g),
                        ..Default::default()
                    },
                )],
                None,
            ),
        };
        let (path, feature) = features
            .iter()
            .find(|(_, f)| {
                matches!(
                    f.geometry.as_ref().map(|g| &g.value),
                    Some(GeometryValue::LineString { .. })
                )
            })
            .ok_or_else(|| {
                err(
                    "(root)",
                    "no LineString feature: expected a river centreline".into(),
                )
            })?;
        let prop = |key: &str| -> Option<(String, JsonValue)> {
            feature
                .properties
                .as_ref()
                .and_then(|p| p.get(key))
                .map(|v| (format!("{path}.properties.{key}"), v.clone()))
                .or_else(|| {
                    collection_props
                        .as_ref()
                        .and_then(|p| p.get(key))
                        .map(|v| (format!("properties.{key}"), v.clone()))
                })
        };
        let width_m = match prop("width_m") {
            Some((p, JsonValue::Number(n))) => n
                .as_f64()
                .ok_or_else(|| err(&p, format!("{n}: expected a finite width in metres > 0")))?,
            Some((p, other)) => {
                return Err(err(
                    &p,
                    format!("{other}: expected a finite width in metres > 0"),
                ))
            }
            None => {
                return Err(err(
                    path,
                    "no width_m property: expected the corridor width in metres".into(),
                ))
            }
        };
        let datum = match prop("datum") {
            Some((p, JsonValue::String(s))) => {
                Datum::from_str(&s).map_err(|e| err(&p, e.to_string()))?
            }
            Some((p, other)) => {
                return Err(err(
                    &p,
                    format!("{other}: expected a string WGS84, CGCS2000 or GCJ02"),
                ))
            }
            None => Datum::default(),
        };
        let Some(GeometryValue::LineString { coordinates }) =
            feature.geometry.as_ref().map(|g| &g.value)
        else {
            return Err(err(path, "expected a LineString".into()));
        };
        let mut pts = Vec::with_capacity(coordinates.len());
        for (i, c) in coordinates.iter().enumerate() {
            let place = format!("{path}.geometry.coordinates[{i}]");
            let (lon, lat) = match c.as_slice() {
                [lon, lat, ..] => (*lon, *lat),
                _ => {
                    return Err(err(
                        &place,
                        "expected [longitude, latitude] in degrees".into(),
                    ))
                }
            };
            let p = GeoPoint::new(lat, lon).map_err(|e| {
                err(
                    &place,
                    format!("{e}: expected [longitude, latitude] in degrees"),
                )
            })?;
            pts.push(datum.to_wgs84(p));
        }
        Corridor::new(pts, width_m).map_err(|e| match e {
            WorldError::Corridor { place, problem } => err(&format!("{path}.{place}"), problem),
            other => other,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_sample_corridor() {
        let text = include_str!("../../../missions/sample-corridor.geojson");
        let c = Corridor::from_geojson(text, "sample-corridor.geojson").unwrap();
        assert_eq!(c.width_m, 60.0);
        assert!(c.centreline.len() > 100);
        assert!((c.centreline[0].lat_deg - 27.035).abs() < 1e-9);
    }

    #[test]
    fn bad_input_names_the_place() {
        let e = Corridor::from_geojson("{", "x.geojson").unwrap_err();
        assert!(e.to_string().contains("x.geojson"), "{e}");
        let no_width = r#"{"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[106.9,27.0],[106.91,27.0]]}}"#;
        let e = Corridor::from_geojson(no_width, "f").unwrap_err();
        assert!(e.to_string().contains("width_m"), "{e}");
        let bad_lat = r#"{"type":"Feature","properties":{"width_m":50},"geometry":{"type":"LineString","coordinates":[[106.9,97.0],[106.91,27.0]]}}"#;
        let e = Corridor::from_geojson(bad_lat, "f").unwrap_err();
        assert!(e.to_string().contains("coordinates[0]"), "{e}");
        let point = r#"{"type":"Feature","properties":{"width_m":50},"geometry":{"type":"Point","coordinates":[106.9,27.0]}}"#;
        let e = Corridor::from_geojson(point, "f").unwrap_err();
        assert!(e.to_string().contains("LineString"), "{e}");
    }
}
