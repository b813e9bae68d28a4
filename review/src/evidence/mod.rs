//! The evidence package of a flight's confirmed candidates (`review export`) and its check
//! (`review verify`).
//!
//! ```text
//! EVIDENCE_DIR/
//!   frames/<name>.jpg        byte copies of every photo of a confirmed candidate
//!   crops/candidate-<id>.jpg the detection with context, from the best view
//!   the flight folder's GeoJSON and GeoPackage exports   (qly_flight::export, same names)
//!   candidates.kml, candidates.csv
//!   manifest.json            hash chain over all of the above + field records (see manifest)
//! ```

/// The decisions file is qly-flight's ([`qly_flight::decisions`]); re-exported for callers.
pub use qly_flight::decisions;
pub mod manifest;
pub mod record;
pub mod signature;
pub mod tables;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use qly_flight::export::{
    candidates_layer, sightings_layer, write_geojson, write_geopackage, CANDIDATES_GEOJSON,
    CANDIDATES_GPKG, SIGHTINGS_GEOJSON,
};
use qly_flight::folder::Entry;
use qly_flight::record::Record;

use crate::flight::Flight;
use decisions::{Decisions, DecisionsError};
use manifest::{chain, sha256_hex, MANIFEST_FILE_NAME, MANIFEST_FORMAT};
use record::{field_record, FieldRecord, RecordInputs};

#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    #[error(transparent)]
    Decisions(#[from] DecisionsError),
    #[error("{path}: the evidence folder must be new or empty (it holds {first})")]
    NotEmpty { path: PathBuf, first: String },
    #[error("{path}: {action}: {source}")]
    Io {
        path: PathBuf,
        action: &'static str,
        source: std::io::Error,
    },
    #[error("{decisions}: no candidate is confirmed; an evidence package needs at least one")]
    NothingConfirmed { decisions: PathBuf },
    #[error(
        "{decisions}: candidate {id} was confirmed by nobody named: the decisions file names no \
         inspector for it; pass --inspector"
    )]
    NoInspector { decisions: PathBuf, id: u64 },
    #[error(
        "candidate {id}: its evidence photo {path} is missing; the package would have no photo \
         of it (restore the frame, or reject the candidate)"
    )]
    MissingPhoto { id: u64, path: PathBuf },
    #[error("candidate {id}: photo {path} cannot be decoded for the crop: {source}")]
    BadPhoto {
        id: u64,
        path: PathBuf,
        source: image::ImageError,
    },
    #[error("export: {0}")]
    Export(#[from] qly_flight::export::ExportError),
}

fn io_err(path: &Path, action: &'static str) -> impl FnOnce(std::io::Error) -> EvidenceError {
    let path = path.to_path_buf();
    move |source| EvidenceError::Io {
        path,
        action,
        source,
    }
}

/// Who and what made the package.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// Who makes the package; also who confirmed a decision that names no inspector
    /// (decisions format 1). `None`: the inspectors the decisions name.
    pub inspector: Option<String>,
    pub aircraft: String,
    /// The office's key: the manifest head is signed with it (see [`signature`]).
    pub signing_key: Option<signature::SecretKey>,
    /// The language of the KML names and the CSV headings.
    pub lang: qly_i18n::Lang,
}

/// What the package records of one confirmed decision.
#[derive(Debug, Clone)]
struct Confirmed {
    decided_utc: Option<String>,
    inspector: String,
}

/// What [`export_evidence`] wrote.
#[derive(Debug, Clone)]
pub struct ExportOutcome {
    pub records: Vec<FieldRecord>,
    /// Package-relative paths of the files, in manifest order.
    pub files: Vec<String>,
    pub head_sha256: String,
    pub warnings: Vec<String>,
}

/// The package-relative name of a copied frame: `frames/<file name>`, or
/// `frames/<n>-<file name>` when another source file already has that name.
fn package_frame_name(file: &str, taken: &BTreeSet<String>) -> String {
    let name = Path::new(file)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| file.replace(['/', '\\'], "_"));
    // The package keeps its photos where a flight folder does.
    let frames = Entry::Frames.name();
    let mut rel = format!("{frames}/{name}");
    let mut n = 1;
    while taken.contains(&rel) {
        rel = format!("{frames}/{n}-{name}");
        n += 1;
    }
    rel
}

/// Writes the evidence package of the candidates `decisions` confirms into `out` (which must
/// not exist or be empty). The decisions were checked against the flight by
/// [`decisions::read_decisions`].
pub fn export_evidence(
    flight: &Flight,
    decisions: &Decisions,
    decisions_path: &Path,
    out: &Path,
    options: &ExportOptions,
) -> Result<ExportOutcome, EvidenceError> {
    if let Some(actual) = crate::report::journal_sha256(flight) {
        if let Some(decided) = &decisions.journal_sha256 {
            if *decided != actual {
                return Err(DecisionsError::JournalChanged {
                    path: decisions_path.to_path_buf(),
                    decided: decided.clone(),
                    actual,
                }
                .into());
            }
        }
    }
    let mut confirmed: BTreeMap<u64, Confirmed> = BTreeMap::new();
    for d in decisions.confirmed() {
        let inspector = d
            .inspector
            .clone()
            .or_else(|| options.inspector.clone())
            .ok_or_else(|| EvidenceError::NoInspector {
                decisions: decisions_path.to_path_buf(),
                id: d.candidate_id,
            })?;
        confirmed.insert(
            d.candidate_id,
            Confirmed {
                decided_utc: d.decided_utc.clone(),
                inspector,
            },
        );
    }
    if confirmed.is_empty() {
        return Err(EvidenceError::NothingConfirmed {
            decisions: decisions_path.to_path_buf(),
        });
    }
    let mut warnings = Vec::new();
    for d in &decisions.decisions {
        if let (Some(r), Some(c)) = (
            d.revision,
            flight.candidates().iter().find(|c| c.id == d.candidate_id),
        ) {
            if r != c.revision {
                warnings.push(format!(
                    "{}: candidate {} was decided at revision {r}; the journal's current revision is {}",
                    decisions_path.display(),
                    c.id,
                    c.revision
                ));
            }
        }
    }
    if out.exists() {
        let mut entries = std::fs::read_dir(out).map_err(io_err(out, "listing"))?;
        if let Some(e) = entries.next() {
            let first = e
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .unwrap_or_else(|e| e.to_string());
            return Err(EvidenceError::NotEmpty {
                path: out.to_path_buf(),
                first,
            });
        }
    }
    // Everything is written into `<out>.partial` and renamed into place at the end, so an
    // export that fails half-way leaves no package that looks complete.
    let stage = {
        let mut name = out.as_os_str().to_owned();
        name.push(".partial");
        PathBuf::from(name)
    };
    if stage.exists() {
        std::fs::remove_dir_all(&stage)
            .map_err(io_err(&stage, "removing a stale partial export"))?;
    }
    let result = write_package(flight, &confirmed, &stage, out, options, warnings);
    if result.is_err() {
        // Our own staging folder: a failed export leaves nothing behind.
        let _ = std::fs::remove_dir_all(&stage);
    }
    result
}

/// Writes the package into `stage` and renames it to `out`.
fn write_package(
    flight: &Flight,
    confirmed: &BTreeMap<u64, Confirmed>,
    stage: &Path,
    out: &Path,
    options: &ExportOptions,
    mut warnings: Vec<String>,
) -> Result<ExportOutcome, EvidenceError> {
    let frames_dir = stage.join(Entry::Frames.name());
    let crops_dir = stage.join("crops");
    for d in [&frames_dir, &crops_dir] {
        std::fs::create_dir_all(d).map_err(io_err(d, "creating"))?;
    }

    // Photos: every frame of a confirmed candidate's sightings, plus its best view.
    let mut files: Vec<String> = Vec::new();
    // Source file -> (package path, SHA-256).
    let mut copied: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut taken: BTreeSet<String> = BTreeSet::new();
    let mut records = Vec::new();
    for (c, decision) in flight
        .candidates()
        .iter()
        .filter_map(|c| confirmed.get(&c.id).map(|d| (c, d)))
    {
        let best_src = flight.frame_path(&c.best.file);
        if !best_src.is_file() {
            // Without its photo a finding is hearsay: refuse rather than package it.
            return Err(EvidenceError::MissingPhoto {
                id: c.id,
                path: best_src,
            });
        }
        let mut sources: BTreeSet<String> =
            flight.sightings_of(c.id).map(|s| s.file.clone()).collect();
        sources.insert(c.best.file.clone());
        for file in &sources {
            if copied.contains_key(file) {
                continue;
            }
            let src = flight.frame_path(file);
            let bytes = match std::fs::read(&src) {
                Ok(b) => b,
                Err(e) => {
                    warnings.push(format!(
                        "{}: frame of candidate {} not copied: {e}",
                        src.display(),
                        c.id
                    ));
                    continue;
                }
            };
            let rel = package_frame_name(file, &taken);
            taken.insert(rel.clone());
            let dst = stage.join(&rel);
            std::fs::write(&dst, &bytes).map_err(io_err(&dst, "writing"))?;
            copied.insert(file.clone(), (rel.clone(), sha256_hex(&bytes)));
            files.push(rel);
        }
        let img = image::open(&best_src).map_err(|source| EvidenceError::BadPhoto {
            id: c.id,
            path: best_src.clone(),
            source,
        })?;
        let crop_rel = format!("crops/candidate-{}.jpg", c.id);
        match crate::report::thumbs::crop(&img, c.best.bbox_px) {
            Some(crop) => {
                let bytes = crate::report::thumbs::jpeg_bytes(&crop).map_err(|source| {
                    EvidenceError::BadPhoto {
                        id: c.id,
                        path: best_src.clone(),
                        source,
                    }
                })?;
                let dst = stage.join(&crop_rel);
                std::fs::write(&dst, bytes).map_err(io_err(&dst, "writing"))?;
                files.push(crop_rel.clone());
            }
            None => warnings.push(format!(
                "candidate {}: its box {:?} is outside {}; no crop",
                c.id,
                c.best.bbox_px,
                best_src.display()
            )),
        }
        let frame = flight.best_frame(c);
        records.push(field_record(RecordInputs {
            candidate: c,
            photo_time_utc_us: frame.map_or(c.last_t_utc_us, |f| f.t_utc_us),
            camera: frame.map(|f| f.camera).or_else(|| {
                flight
                    .sightings_of(c.id)
                    .find(|s| s.boot == c.best.boot && s.image_index == c.best.image_index)
                    .map(|s| s.camera)
            }),
            photo_file: copied
                .get(&c.best.file)
                .map(|(rel, _)| rel.clone())
                .unwrap_or_default(),
            photo_sha256: copied
                .get(&c.best.file)
                .map(|(_, h)| h.clone())
                .unwrap_or_default(),
            crop_file: crop_rel,
            aircraft: &options.aircraft,
            inspector: &decision.inspector,
            decided_utc: decision.decided_utc.clone(),
            uid: flight.uid(c.id),
        }));
    }

    // GIS exports of the confirmed candidates only, with the flight crate's writers.
    let kept: Vec<Record> = flight
        .records
        .iter()
        .filter(|r| match r {
            Record::Candidate(c) => confirmed.contains_key(&c.id),
            Record::Sighting(s) => confirmed.contains_key(&s.candidate_id),
            // The header gives the exports their flight id and candidate uids.
            Record::Header(_) => true,
            _ => false,
        })
        .cloned()
        .collect();
    // The inspector's decisions choose what goes in, whatever the sighting count.
    let cands = candidates_layer(&kept, 1);
    let sights = sightings_layer(&kept);
    write_geojson(&stage.join(CANDIDATES_GEOJSON), &cands)?;
    write_geojson(&stage.join(SIGHTINGS_GEOJSON), &sights)?;
    write_geopackage(&stage.join(CANDIDATES_GPKG), &[&cands, &sights])?;
    let name = crate::report::flight_name(flight.folder.root());
    for (rel, text) in [
        ("candidates.kml", tables::kml(&name, &records, options.lang)),
        ("candidates.csv", tables::csv(&records, options.lang)),
    ] {
        let p = stage.join(rel);
        std::fs::write(&p, text).map_err(io_err(&p, "writing"))?;
    }
    files.extend(
        [
            CANDIDATES_GEOJSON,
            SIGHTINGS_GEOJSON,
            CANDIDATES_GPKG,
            "candidates.kml",
            "candidates.csv",
        ]
        .map(String::from),
    );

    // The manifest: package entry, field records, then every file with its hash.
    let mut bodies: Vec<Map<String, Value>> = Vec::new();
    let mut pkg = Map::new();
    pkg.insert("kind".into(), "package".into());
    pkg.insert("flight".into(), name.into());
    pkg.insert(
        "journal_sha256".into(),
        crate::report::journal_sha256(flight).into(),
    );
    let inspectors: BTreeSet<&str> = confirmed.values().map(|d| d.inspector.as_str()).collect();
    let package_by = options
        .inspector
        .clone()
        .unwrap_or_else(|| inspectors.iter().copied().collect::<Vec<_>>().join("; "));
    pkg.insert("inspector".into(), package_by.into());
    if let Some(h) = &flight.view.header {
        pkg.insert("flight_id".into(), h.flight_id.to_string().into());
    }
    pkg.insert("aircraft".into(), options.aircraft.clone().into());
    pkg.insert(
        "created_utc".into(),
        jiff::Timestamp::now().to_string().into(),
    );
    pkg.insert(
        "tool".into(),
        format!("review {}", env!("CARGO_PKG_VERSION")).into(),
    );
    bodies.push(pkg);
    for r in &records {
        let mut m = match serde_json::to_value(r) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        };
        m.insert("kind".into(), "candidate".into());
        bodies.push(m);
    }
    for rel in &files {
        let p = stage.join(rel);
        let bytes = std::fs::read(&p).map_err(io_err(&p, "reading back"))?;
        let mut m = Map::new();
        m.insert("kind".into(), "file".into());
        m.insert("path".into(), rel.clone().into());
        m.insert("bytes".into(), (bytes.len() as u64).into());
        m.insert("sha256".into(), sha256_hex(&bytes).into());
        bodies.push(m);
    }
    let head = chain(&mut bodies);
    let mut manifest = serde_json::json!({
        "format": MANIFEST_FORMAT,
        "hash": "SHA-256",
        "chain": "entry_sha256 = SHA-256(prev_sha256 + \"\\n\" + the entry without prev_sha256/entry_sha256 as compact JSON, keys sorted); the first prev_sha256 is the genesis value",
        "genesis_sha256": manifest::GENESIS_SHA256,
        "entries": bodies.into_iter().map(Value::Object).collect::<Vec<_>>(),
        "head_sha256": head,
    });
    if let (Some(key), Value::Object(m)) = (&options.signing_key, &mut manifest) {
        m.insert("signature".into(), signature::sign_head(key, &head));
    }
    let mp = stage.join(MANIFEST_FILE_NAME);
    let text = serde_json::to_string_pretty(&manifest).unwrap_or_default();
    std::fs::write(&mp, text + "\n").map_err(io_err(&mp, "writing"))?;
    if out.exists() {
        // Checked empty above.
        std::fs::remove_dir(out).map_err(io_err(out, "replacing the empty folder"))?;
    }
    std::fs::rename(stage, out).map_err(io_err(out, "renaming the finished package into place"))?;
    Ok(ExportOutcome {
        records,
        files,
        head_sha256: head,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_with_the_same_file_name_get_distinct_package_names() {
        let mut taken = BTreeSet::new();
        let a = package_frame_name("sortie1/DJI_0001.JPG", &taken);
        taken.insert(a.clone());
        let b = package_frame_name("sortie2/DJI_0001.JPG", &taken);
        assert_eq!(a, "frames/DJI_0001.JPG");
        assert_eq!(b, "frames/1-DJI_0001.JPG");
    }
}
