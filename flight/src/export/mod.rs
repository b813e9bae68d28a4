//! The flight's findings for GIS tools and map apps: `candidates.geojson`,
//! `sightings.geojson` and `candidates.gpkg` (GeoPackage 1.3 with layers `candidates` and
//! `sightings`), written from journal records.
//!
//! A candidate is journaled once per update; the export keeps its latest revision (the
//! highest `revision` for an `id`, the later record on a tie), and only when it is
//! *confirmed*: fused from at least `min_sightings` photos (1: every candidate). The journal
//! keeps the others; a later export shows them once more photos confirm them. Every sighting
//! is a feature, whatever its candidate.
//! Candidate ids are unique within a flight; both layers also carry the flight id
//! (`flight_id`) and the id across flights (`uid`, `candidate_uid`: `<flight id>/<id>`) from
//! the journal's header, so merging flights never duplicates ids (null without a header).
//! Both exports carry the same attributes under the same names ([`attributes`]), positions
//! WGS-84 (GeoJSON in RFC 7946 longitude, latitude order; GeoPackage in EPSG:4326), plus a
//! GCJ-02 latitude/longitude pair as attributes for Chinese map apps.
//!
//! Files are written beside their final name and renamed into place, so a crash during an
//! export leaves the previous export (or none), never half a file.

pub mod attributes;
mod geopackage;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use geojson::{Feature, FeatureCollection, Geometry, JsonObject, JsonValue};

pub use attributes::{
    iso8601_utc_ms, ColumnType, Layer, PointFeature, Value, CANDIDATE_COLUMNS, SIGHTING_COLUMNS,
};
pub use geopackage::write_geopackage;

use crate::confirm::Confirmation;
use crate::header::FlightId;
use crate::record::{CandidateRecord, Record};

use crate::folder::Entry;
pub const CANDIDATES_GEOJSON: &str = Entry::CandidatesGeojson.name();
pub const SIGHTINGS_GEOJSON: &str = Entry::SightingsGeojson.name();
pub const CANDIDATES_GPKG: &str = Entry::CandidatesGpkg.name();

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("export {path}: {action}: {source}")]
    Io {
        path: PathBuf,
        action: &'static str,
        source: std::io::Error,
    },
    #[error("export {path}: GeoPackage: {source}")]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("export {path}: GeoJSON encoding: {source}")]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
}

/// The current revision of each candidate, by id.
pub fn latest_candidates(records: &[Record]) -> Vec<&CandidateRecord> {
    let mut latest: BTreeMap<u64, &CandidateRecord> = BTreeMap::new();
    for r in records {
        if let Record::Candidate(c) = r {
            match latest.get(&c.id) {
                Some(seen) if seen.revision > c.revision => {}
                _ => {
                    latest.insert(c.id, c);
                }
            }
        }
    }
    latest.into_values().collect()
}

/// The flight id of the records' header (the first), if any.
fn flight_id(records: &[Record]) -> Option<&FlightId> {
    records.iter().find_map(|r| match r {
        Record::Header(h) => Some(&h.flight_id),
        _ => None,
    })
}

fn finite(f: &PointFeature) -> bool {
    f.position.lat_deg.is_finite() && f.position.lon_deg.is_finite()
}

/// The `candidates` layer: the latest revision of each candidate fused from at least
/// `min_sightings` photos, by id. Features without a finite position are left out (and
/// counted by [`export_flight`]).
pub fn candidates_layer(records: &[Record], min_sightings: u32) -> Layer {
    let rule = Confirmation::new(min_sightings);
    let flight = flight_id(records);
    Layer {
        name: "candidates",
        description: "Pollution source candidates (latest revision of each)",
        columns: CANDIDATE_COLUMNS,
        features: latest_candidates(records)
            .into_iter()
            .filter(|c| rule.confirms(c))
            .map(|c| attributes::candidate_feature(c, flight))
            .filter(finite)
            .collect(),
    }
}

/// The `sightings` layer: every sighting, in journal order.
pub fn sightings_layer(records: &[Record]) -> Layer {
    let flight = flight_id(records);
    Layer {
        name: "sightings",
        description: "Geotagged detections, each assigned to a candidate",
        columns: SIGHTING_COLUMNS,
        features: records
            .iter()
            .filter_map(|r| match r {
                Record::Sighting(s) => Some(attributes::sighting_feature(s, flight)),
                _ => None,
            })
            .filter(finite)
            .collect(),
    }
}

fn json_value(v: &Value) -> JsonValue {
    match v {
        Value::Integer(i) => JsonValue::from(*i),
        Value::Real(x) => {
            serde_json::Number::from_f64(*x).map_or(JsonValue::Null, JsonValue::Number)
        }
        Value::Text(s) => JsonValue::from(s.as_str()),
        Value::DateTime(t_utc_us) => JsonValue::from(iso8601_utc_ms(*t_utc_us)),
        Value::Null => JsonValue::Null,
    }
}

/// The layer as an RFC 7946 FeatureCollection of Points (`[lon, lat]`, WGS-84). A layer
/// with an `id` column uses it as the feature id.
pub fn feature_collection(layer: &Layer) -> FeatureCollection {
    let id_column = layer.columns.iter().position(|(name, _)| *name == "id");
    let features = layer.features.iter().map(|f| {
        let mut properties = JsonObject::new();
        for ((name, _), v) in layer.columns.iter().zip(&f.values) {
            properties.insert((*name).to_string(), json_value(v));
        }
        let id = id_column.and_then(|i| match &f.values[i] {
            Value::Integer(id) => Some(geojson::feature::Id::Number((*id).into())),
            _ => None,
        });
        Feature {
            bbox: None,
            geometry: Some(Geometry::new_point([
                f.position.lon_deg,
                f.position.lat_deg,
            ])),
            id,
            properties: Some(properties),
            foreign_members: None,
        }
    });
    FeatureCollection::new(features)
}

/// Writes the layer as GeoJSON at `path` (atomically: a temporary file renamed into place).
pub fn write_geojson(path: &Path, layer: &Layer) -> Result<(), ExportError> {
    let text = serde_json::to_vec_pretty(&feature_collection(layer)).map_err(|source| {
        ExportError::Json {
            path: path.to_path_buf(),
            source,
        }
    })?;
    write_atomically(path, |tmp| {
        std::fs::write(tmp, &text).map_err(|source| ExportError::Io {
            path: tmp.to_path_buf(),
            action: "writing",
            source,
        })
    })
}

/// Runs `write` on a temporary path beside `path`, syncs it, and renames it to `path`.
pub(crate) fn write_atomically(
    path: &Path,
    write: impl FnOnce(&Path) -> Result<(), ExportError>,
) -> Result<(), ExportError> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".partial");
    let tmp = PathBuf::from(tmp);
    let io_err = |p: &Path, action: &'static str| {
        let p = p.to_path_buf();
        move |source| ExportError::Io {
            path: p,
            action,
            source,
        }
    };
    match std::fs::remove_file(&tmp) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_err(&tmp, "removing a stale partial file")(e)),
    }
    write(&tmp)?;
    std::fs::File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(io_err(&tmp, "syncing"))?;
    std::fs::rename(&tmp, path).map_err(io_err(path, "renaming the finished file into place"))?;
    // The rename itself must survive a power cut.
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err(dir, "syncing the folder after the rename"))
}

/// What [`export_flight`] wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportSummary {
    pub candidates: usize,
    /// Candidates left out for having fewer than `min_sightings` sightings.
    pub unconfirmed: usize,
    pub sightings: usize,
    /// Candidates and sightings left out for a non-finite position.
    pub skipped: usize,
    pub files: Vec<PathBuf>,
}

/// Writes `candidates.geojson` (the candidates fused from at least `min_sightings` photos),
/// `sightings.geojson` and `candidates.gpkg` into `dir`.
pub fn export_flight(
    records: &[Record],
    dir: &Path,
    min_sightings: u32,
) -> Result<ExportSummary, ExportError> {
    let candidates = candidates_layer(records, min_sightings);
    let sightings = sightings_layer(records);
    let latest = latest_candidates(records);
    let rule = Confirmation::new(min_sightings);
    let unconfirmed = latest.iter().filter(|c| !rule.confirms(c)).count();
    let total_candidates = latest.len() - unconfirmed;
    let total_sightings = records
        .iter()
        .filter(|r| matches!(r, Record::Sighting(_)))
        .count();
    let files = vec![
        dir.join(CANDIDATES_GEOJSON),
        dir.join(SIGHTINGS_GEOJSON),
        dir.join(CANDIDATES_GPKG),
    ];
    write_geojson(&files[0], &candidates)?;
    write_geojson(&files[1], &sightings)?;
    write_geopackage(&files[2], &[&candidates, &sightings])?;
    Ok(ExportSummary {
        candidates: candidates.features.len(),
        unconfirmed,
        sightings: sightings.features.len(),
        skipped: total_candidates + total_sightings
            - candidates.features.len()
            - sightings.features.len(),
        files,
    })
}
