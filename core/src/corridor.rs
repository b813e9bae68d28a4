//! The corridor file: what a river corridor is on disk, read once for every program.
//!
//! A corridor file is GeoJSON (RFC 7946: longitude, latitude) holding the river's centreline
//! as a LineString, upstream end first, with the properties
//! - `width_m` (required): the surveyed corridor's width, metres (bank to bank plus margin);
//! - `datum` (optional): `WGS84` (the default), `CGCS2000` or `GCJ02` (Amap/Tencent traces;
//!   converted to WGS-84 here, so nothing downstream sees a shifted datum);
//! - `name` (optional).
//!
//! The LineString is a Feature, the first survey geometry of a FeatureCollection, or a bare
//! geometry. Properties are read from that feature, else from the collection's `properties`
//! member (a common non-standard member), else from the collection's own members. A legacy
//! `crs` member is accepted only when it names WGS-84 longitude/latitude. Coordinates are
//! checked as the planner checks every file ([`crate::coord_check`]: ranges, the
//! latitude/longitude swap, repeats).
//!
//! [`Corridor::from_geojson`] reads one; the planner's survey reader (which also takes areas,
//! exclusions and sites, and KML) reads GeoJSON with the same parts ([`GeoJsonFile`],
//! [`Properties`], [`positions`]), so both agree on what a corridor file says. Core does no
//! I/O: callers read the file and pass its text and name.
//!
//! ```
//! use qly_core::corridor::Corridor;
//! use qly_core::datum::Datum;
//! let text = r#"{"type": "Feature", "properties": {"width_m": 60, "datum": "GCJ02"},
//!   "geometry": {"type": "LineString", "coordinates": [[106.97, 27.06], [106.98, 27.07]]}}"#;
//! let c = Corridor::from_geojson(text, "river.geojson").unwrap();
//! assert_eq!((c.width_m, c.datum, c.centreline.len()), (60.0, Datum::Gcj02, 2));
//! // Converted to WGS-84: GCJ-02 is shifted by a few hundred metres in Guizhou.
//! assert!((c.centreline[0].lon_deg - 106.97).abs() > 1e-3);
//!
//! let e = Corridor::from_geojson(&text.replace(r#""width_m": 60, "#, ""), "river.geojson");
//! assert_eq!(
//!     e.unwrap_err().to_string(),
//!     "river.geojson: (root): no width_m property: expected the corridor width in metres > 0"
//! );
//! ```

use std::str::FromStr;

use geojson::{Feature, GeoJson, GeometryValue, JsonObject, JsonValue, Position};
use thiserror::Error;

use crate::coord_check::{check_pairs, check_width, clean_points, AxisOrder, FieldError};
use crate::datum::Datum;
use crate::geodesy::GeoPoint;

/// Why a corridor was refused: the file (or the name the caller gave its text), the field
/// and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{file}: {field}: {message}")]
pub struct CorridorError {
    pub file: String,
    /// Where in the file, as a JSON path (`features[0].geometry.coordinates[3]`).
    pub field: String,
    /// What is wrong and what was expected.
    pub message: String,
}

impl CorridorError {
    fn in_file(file: &str) -> impl Fn(FieldError) -> CorridorError + '_ {
        move |e| CorridorError {
            file: file.to_string(),
            field: e.field,
            message: e.message,
        }
    }
}

/// A river corridor in WGS-84.
#[derive(Debug, Clone, PartialEq)]
pub struct Corridor {
    /// The file's `name` property, when it has one.
    pub name: Option<String>,
    /// Centreline vertices in WGS-84, upstream end first (the river flows along it), no two
    /// consecutive ones within 1 cm of each other.
    pub centreline: Vec<GeoPoint>,
    /// Width of the surveyed corridor, metres (the river channel lies inside it).
    pub width_m: f64,
    /// The datum the file's coordinates were in (converted from; the centreline is WGS-84).
    pub datum: Datum,
}

impl Corridor {
    /// A checked corridor from WGS-84 vertices: at least two distinct vertices (vertices
    /// within 1 cm of the previous one are dropped) and a finite width > 0. No name; datum
    /// WGS-84. The error's field is `width_m` or `centreline`.
    pub fn new(centreline: Vec<GeoPoint>, width_m: f64) -> Result<Corridor, FieldError> {
        check_width("width_m", width_m)?;
        let mut pts: Vec<GeoPoint> = Vec::with_capacity(centreline.len());
        for p in centreline {
            if pts.last().is_none_or(|q| q.distance_m(p) > 0.01) {
                pts.push(p);
            }
        }
        if pts.len() < 2 {
            return Err(FieldError::new(
                "centreline",
                "fewer than two distinct vertices: expected a LineString",
            ));
        }
        Ok(Corridor {
            name: None,
            centreline: pts,
            width_m,
            datum: Datum::Wgs84,
        })
    }

    /// Reads a corridor file's text (see the module documentation); `file` names it in
    /// errors.
    pub fn from_geojson(text: &str, file: &str) -> Result<Corridor, CorridorError> {
        let in_file = CorridorError::in_file(file);
        let doc = GeoJsonFile::parse(text).map_err(&in_file)?;
        let main = doc.main_feature();
        let props = doc.properties(main);
        let datum = props.datum().map_err(&in_file)?.unwrap_or_default();
        let name = props.name().map_err(&in_file)?;
        let Some(i) = main else {
            return Err(in_file(FieldError::new(
                doc.root_field(),
                "no LineString: expected the river centreline as a GeoJSON LineString",
            )));
        };
        let (prefix, feature) = &doc.features[i];
        let gpath = GeoJsonFile::geometry_path(prefix);
        let Some(GeometryValue::LineString { coordinates }) =
            feature.geometry.as_ref().map(|g| &g.value)
        else {
            let kind = feature
                .geometry
                .as_ref()
                .map_or("no geometry", |g| g.value.type_name());
            return Err(in_file(FieldError::new(
                join(&gpath, "type"),
                format!("{kind}: expected a LineString (the river centreline)"),
            )));
        };
        let width_m = props.width_m().map_err(&in_file)?.ok_or_else(|| {
            in_file(FieldError::new(
                props.field_for_missing(),
                "no width_m property: expected the corridor width in metres > 0",
            ))
        })?;
        let cpath = join(&gpath, "coordinates");
        let pts = positions(&cpath, coordinates, datum).map_err(&in_file)?;
        let pts = clean_points(&cpath, pts, false).map_err(&in_file)?;
        let wgs84 = pts.into_iter().map(|p| datum.to_wgs84(p)).collect();
        let corridor = Corridor::new(wgs84, width_m).map_err(|e| {
            in_file(FieldError::new(
                if e.field == "width_m" {
                    props.field_for_missing()
                } else {
                    cpath.clone()
                },
                e.message,
            ))
        })?;
        Ok(Corridor {
            name,
            datum,
            ..corridor
        })
    }

    /// Length of the centreline, metres (geodesic, vertex to vertex).
    pub fn length_m(&self) -> f64 {
        self.centreline
            .windows(2)
            .map(|w| w[0].distance_m(w[1]))
            .sum()
    }
}

/// `prefix.rest`, or `rest` at the root.
pub fn join(prefix: &str, rest: &str) -> String {
    if prefix.is_empty() {
        rest.to_string()
    } else {
        format!("{prefix}.{rest}")
    }
}

/// A GeoJSON survey file, parsed: its features with their paths in the file, and where
/// collection-level properties come from.
#[derive(Debug, Clone)]
pub struct GeoJsonFile {
    /// `(path prefix, feature)`: `features[3]` in a collection, `` for a lone Feature,
    /// `(geometry)` for a bare geometry.
    pub features: Vec<(String, Feature)>,
    /// Collection-level property sources, in lookup order: its `properties` member, then
    /// its own members.
    collection_props: Vec<(String, JsonObject)>,
}

impl GeoJsonFile {
    /// Parses the text: JSON (errors give line and column), an object, an acceptable `crs`,
    /// then a Feature, FeatureCollection or bare geometry.
    pub fn parse(text: &str) -> Result<GeoJsonFile, FieldError> {
        const EXPECTED: &str = "a GeoJSON Feature or FeatureCollection";
        if text.trim().is_empty() {
            return Err(FieldError::new(
                "(file)",
                format!("the file is empty: expected {EXPECTED}"),
            ));
        }
        let value: JsonValue = serde_json::from_str(text).map_err(|e| {
            FieldError::new(
                format!("line {}, column {}", e.line(), e.column()),
                format!("not valid JSON ({e}): expected {EXPECTED}"),
            )
        })?;
        let root = value.as_object().ok_or_else(|| {
            FieldError::new("(root)", format!("not a JSON object: expected {EXPECTED}"))
        })?;
        if let Some(crs) = root.get("crs") {
            check_crs(crs)?;
        }
        let gj: GeoJson = serde_json::from_value(value.clone()).map_err(|e| {
            FieldError::new(
                "(root)",
                format!("not GeoJSON ({e}): expected a Feature or FeatureCollection"),
            )
        })?;
        let mut features: Vec<(String, Feature)> = Vec::new();
        let mut collection_props: Vec<(String, JsonObject)> = Vec::new();
        match gj {
            GeoJson::FeatureCollection(fc) => {
                // Collection-level members are taken from the raw JSON: `properties` first,
                // then the collection's own members.
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
        Ok(GeoJsonFile {
            features,
            collection_props,
        })
    }

    /// The field to blame when the survey geometry is missing: `features` in a collection
    /// with several features, else `(root)`.
    pub fn root_field(&self) -> &'static str {
        if self.features.len() > 1 {
            "features"
        } else {
            "(root)"
        }
    }

    /// The path of a feature's geometry member (`` for a bare geometry).
    pub fn geometry_path(prefix: &str) -> String {
        if prefix == "(geometry)" {
            String::new()
        } else {
            join(prefix, "geometry")
        }
    }

    /// The index of the survey geometry: the first LineString, Polygon or MultiPolygon
    /// feature that is neither an exclusion nor one of our own drawings.
    pub fn main_feature(&self) -> Option<usize> {
        self.features.iter().position(|(_, f)| {
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
        })
    }

    /// The properties that describe the survey: those of feature `main`, then the
    /// collection's.
    pub fn properties(&self, main: Option<usize>) -> Properties {
        let mut sources: Vec<(String, JsonObject)> = Vec::new();
        if let Some(i) = main {
            let (prefix, f) = &self.features[i];
            if let Some(p) = &f.properties {
                let path = if prefix == "(geometry)" {
                    "properties".to_string()
                } else {
                    join(prefix, "properties")
                };
                sources.push((path, p.clone()));
            }
        }
        sources.extend(self.collection_props.iter().cloned());
        Properties {
            sources,
            main_prefix: main.map(|i| self.features[i].0.clone()),
        }
    }
}

/// The survey's properties, looked up in order (main feature, collection `properties`,
/// collection members); each value comes with its path in the file.
#[derive(Debug, Clone)]
pub struct Properties {
    sources: Vec<(String, JsonObject)>,
    main_prefix: Option<String>,
}

impl Properties {
    /// The first value of `key`, with its path.
    pub fn get(&self, key: &str) -> Option<(String, JsonValue)> {
        self.sources
            .iter()
            .find_map(|(path, obj)| obj.get(key).map(|v| (join(path, key), v.clone())))
    }

    /// Where a missing property would go (the main feature's properties, else the root).
    fn field_for_missing(&self) -> String {
        match self.main_prefix.as_deref() {
            Some("") | None => "(root)".to_string(),
            Some("(geometry)") => "properties".to_string(),
            Some(p) => join(p, "properties"),
        }
    }

    /// `datum`: `WGS84`, `CGCS2000` or `GCJ02` (and their usual spellings).
    pub fn datum(&self) -> Result<Option<Datum>, FieldError> {
        match self.get("datum") {
            Some((path, JsonValue::String(s))) => Ok(Some(
                Datum::from_str(&s).map_err(|e| FieldError::new(path, e.to_string()))?,
            )),
            Some((path, other)) => Err(FieldError::new(
                path,
                format!("{other}: expected a string WGS84, CGCS2000 or GCJ02"),
            )),
            None => Ok(None),
        }
    }

    /// `width_m`: a finite number of metres > 0.
    pub fn width_m(&self) -> Result<Option<f64>, FieldError> {
        match self.get("width_m") {
            Some((path, JsonValue::Number(n))) => {
                Ok(Some(check_width(&path, n.as_f64().unwrap_or(f64::NAN))?))
            }
            Some((path, JsonValue::Null)) => Err(FieldError::new(
                path,
                "null: expected a finite width in metres > 0",
            )),
            Some((path, other)) => Err(FieldError::new(
                path,
                format!("{other}: expected a number (corridor width in metres > 0)"),
            )),
            None => Ok(None),
        }
    }

    /// `name`: a string.
    pub fn name(&self) -> Result<Option<String>, FieldError> {
        match self.get("name") {
            Some((_, JsonValue::String(s))) => Ok(Some(s)),
            Some((path, other)) => {
                Err(FieldError::new(path, format!("{other}: expected a string")))
            }
            None => Ok(None),
        }
    }
}

/// Whether a feature is a no-fly zone (`"role": "exclusion"`).
pub fn is_exclusion(f: &Feature) -> bool {
    f.property("role").and_then(JsonValue::as_str) == Some("exclusion")
}

/// Lanes, photos and corridor outlines that the planner's GeoJSON output draws (property
/// `kind`); skipped so that a written plan reads back as survey input.
pub fn is_our_drawing(f: &Feature) -> bool {
    matches!(
        f.property("kind").and_then(JsonValue::as_str),
        Some("lane" | "photo" | "corridor_outline")
    )
}

/// Checks a list of GeoJSON positions (longitude, latitude[, altitude]) at `path` and returns
/// the points in the file's `datum` (not yet converted).
pub fn positions(
    path: &str,
    coords: &[Position],
    datum: Datum,
) -> Result<Vec<GeoPoint>, FieldError> {
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
            return Err(FieldError::new(
                point_field(i),
                format!(
                    "{} number(s): expected [longitude, latitude] or [longitude, latitude, altitude]",
                    s.len()
                ),
            ));
        }
        pairs.push((s[0], s[1]));
    }
    check_pairs(path, &point_field, &pairs, AxisOrder::LonLat, datum)
}

/// Accepts only a `crs` that names WGS-84 longitude/latitude.
fn check_crs(crs: &JsonValue) -> Result<(), FieldError> {
    let name = crs
        .get("properties")
        .and_then(|p| p.get("name"))
        .and_then(JsonValue::as_str);
    let Some(name) = name else {
        return Err(FieldError::new(
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
        return Err(FieldError::new(
            "crs.properties.name",
            format!(
                "'{name}': expected EPSG:4326 / CRS84 (WGS-84 longitude, latitude); give \
                 CGCS2000 or GCJ-02 coordinates with the \"datum\" property instead"
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
