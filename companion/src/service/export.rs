//! Exports of the flight's findings, written into the flight folder at shutdown (and
//! periodically while running): `candidates.geojson`, the current revision of every
//! candidate as a WGS-84 point (RFC 7946: `[lon, lat]`) with its class, error and best view.
//!
//! Each file is written to a temporary name and renamed, so a reader (or a crash) never sees
//! half a file. A failed export is logged; it never stops the service.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::record::{CandidateRecord, Record};

/// The file name of the GeoJSON export.
pub const GEOJSON: &str = "candidates.geojson";

/// The current revision of every candidate in `records`, by id.
pub fn current_candidates(records: &[Record]) -> Vec<&CandidateRecord> {
    let mut latest: BTreeMap<u64, &CandidateRecord> = BTreeMap::new();
    for r in records {
        if let Record::Candidate(c) = r {
            match latest.get(&c.id) {
                Some(old) if old.revision >= c.revision => {}
                _ => {
                    latest.insert(c.id, c);
                }
            }
        }
    }
    latest.into_values().collect()
}

/// The candidates as a GeoJSON FeatureCollection.
pub fn geojson(records: &[Record]) -> Value {
    let features: Vec<Value> = current_candidates(records)
        .into_iter()
        .map(|c| {
            json!({
                "type": "Feature",
                "id": c.id,
                "geometry": {"type": "Point", "coordinates": [c.lon_deg, c.lat_deg]},
                "properties": {
                    "id": c.id,
                    "revision": c.revision,
                    "class_name": c.class_name,
                    "attribution": c.attribution,
                    "sightings": c.sightings,
                    "confidence_max": c.confidence_max,
                    "confidence_mean": c.confidence_mean,
                    "cep50_m": c.error.cep50_m,
                    "ce90_m": c.error.ce90_m,
                    "first_t_utc_us": c.first_t_utc_us,
                    "last_t_utc_us": c.last_t_utc_us,
                    "best_file": c.best.file,
                    "best_bbox_px": c.best.bbox_px,
                },
            })
        })
        .collect();
    json!({"type": "FeatureCollection", "features": features})
}

/// Writes `bytes` to `path` through a temporary file and a rename.
fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp-export");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

/// Writes every export into `flight_dir`; returns the files written. Failures are logged.
pub fn write_all(flight_dir: &Path, records: &[Record]) -> Vec<PathBuf> {
    let mut written = Vec::new();
    let path = flight_dir.join(GEOJSON);
    let text = match serde_json::to_vec_pretty(&geojson(records)) {
        Ok(t) => t,
        Err(e) => {
            tracing::error!("GeoJSON export not written: {e}");
            return written;
        }
    };
    match write_atomic(&path, &text) {
        Ok(()) => written.push(path),
        Err(e) => tracing::error!(file = %path.display(), "export not written: {e}"),
    }
    written
}
