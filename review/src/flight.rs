//! A flight folder read back for review (layout: `flight/README.md`, owned by
//! `qly_flight::folder::FlightFolder`): the journal's records typed and arranged
//! (`qly_flight::view::FlightRecords`, read by qly-flight), the frames on disk, and review's
//! own concerns: the planned lanes from the plan folder's GeoJSON and the flown track from the
//! telemetry log, for drawing.
//!
//! Missing or damaged pieces are warnings naming the file (and the byte offset for journal
//! damage) so that a review still happens; only a missing journal, which holds the findings
//! themselves, is an error.

use std::fmt;
use std::path::{Path, PathBuf};

use qly_flight::folder::{FlightFolder, FrameKey};
use qly_flight::read::ReadError;
use qly_flight::record::{CandidateRecord, FrameRecord, Record};
use qly_flight::view::FlightRecords;

use crate::tlog::{read_tlog, TlogError, TrackPoint};

pub type FlightError = ReadError;

/// Something the reviewer must hear about; the review goes on.
#[derive(Debug, Clone, PartialEq)]
pub enum FlightWarning {
    /// A frame named by the journal is not in the folder.
    MissingFrame { path: PathBuf, key: FrameKey },
    /// A span of the journal could not be read.
    JournalDamage {
        path: PathBuf,
        offset: u64,
        len: u64,
        reason: String,
    },
    /// The journal holds no records.
    EmptyJournal { path: PathBuf },
    /// No telemetry log: the track is drawn from the photos' camera positions.
    NoTelemetry { path: PathBuf },
    /// The telemetry log could not be used (fully or partly).
    Telemetry { path: PathBuf, problem: String },
    /// A plan file could not be read.
    Plan { path: PathBuf, problem: String },
}

impl fmt::Display for FlightWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlightWarning::MissingFrame { path, key } => write!(
                f,
                "{}: frame missing ({key}); shown as a placeholder",
                path.display()
            ),
            FlightWarning::JournalDamage {
                path,
                offset,
                len,
                reason,
            } => write!(
                f,
                "{}: byte offset {offset}: {len} damaged bytes skipped: {reason}",
                path.display()
            ),
            FlightWarning::EmptyJournal { path } => {
                write!(f, "{}: the journal holds no records", path.display())
            }
            FlightWarning::NoTelemetry { path } => write!(
                f,
                "{}: no telemetry log; the flown track is drawn from the photos' camera positions",
                path.display()
            ),
            FlightWarning::Telemetry { path, problem } => {
                write!(f, "{}: {problem}", path.display())
            }
            FlightWarning::Plan { path, problem } => write!(f, "{}: {problem}", path.display()),
        }
    }
}

/// Where the drawn track came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackSource {
    /// GLOBAL_POSITION_INT from the flight's telemetry log.
    Telemetry,
    /// The camera positions of the frame records (no usable telemetry log).
    FrameRecords,
}

/// A planned line or ring, WGS-84 `[lat_deg, lon_deg]` points.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanShape {
    /// The planner's `kind` property (`lane`, `centreline`, `corridor_outline`, `area`, ...).
    pub kind: String,
    pub points: Vec<[f64; 2]>,
}

/// A flight folder read back.
#[derive(Debug, Clone)]
pub struct Flight {
    pub folder: FlightFolder,
    /// The journal's records arranged: header, frames, sightings, candidates (current
    /// revision of each, confirmed or not) and the flight's confirmation rule.
    pub view: FlightRecords,
    /// All intact journal records, in file order.
    pub records: Vec<Record>,
    pub track: Vec<TrackPoint>,
    pub track_source: TrackSource,
    pub plan: Vec<PlanShape>,
    pub warnings: Vec<FlightWarning>,
}

impl Flight {
    /// The path of a frame file named by a record.
    pub fn frame_path(&self, file: &str) -> PathBuf {
        self.folder.resolve_frame_file(file)
    }

    pub fn journal_path(&self) -> PathBuf {
        self.folder.journal()
    }

    /// Every candidate (current revision), confirmed or not.
    pub fn candidates(&self) -> &[CandidateRecord] {
        &self.view.candidates
    }

    /// The confirmed candidates (the flight's one rule, `qly_flight::confirm`).
    pub fn confirmed(&self) -> impl Iterator<Item = &CandidateRecord> {
        self.view.confirmed()
    }

    /// Whether candidate `c` is confirmed.
    pub fn is_confirmed(&self, c: &CandidateRecord) -> bool {
        self.view.confirmation().confirms(c)
    }

    /// The frame record of a photo.
    pub fn frame(&self, boot: u32, image_index: u64) -> Option<&FrameRecord> {
        self.view.frames.get(&FrameKey { boot, image_index })
    }

    /// The frame record of a candidate's best view.
    pub fn best_frame(&self, c: &CandidateRecord) -> Option<&FrameRecord> {
        self.frame(c.best.boot, c.best.image_index)
    }

    /// The sightings of candidate `id`, in journal order.
    pub fn sightings_of(
        &self,
        id: u64,
    ) -> impl Iterator<Item = &qly_flight::record::SightingRecord> {
        self.view.sightings_of(id)
    }

    /// The candidate's id across flights (`<flight id>/<id>`), when the journal has a header.
    pub fn uid(&self, id: u64) -> Option<String> {
        self.view
            .header
            .as_ref()
            .map(|h| h.candidate_uid(id).to_string())
    }
}

/// Reads a flight folder. Errors: not a folder, no journal, an unreadable journal.
pub fn read_flight(dir: &Path) -> Result<Flight, FlightError> {
    let read = FlightFolder::new(dir).read_records()?;
    let folder = read.folder.clone();
    let journal_path = folder.journal();
    let mut warnings = Vec::new();
    for d in &read.damage {
        warnings.push(FlightWarning::JournalDamage {
            path: journal_path.clone(),
            offset: d.offset,
            len: d.len,
            reason: d.reason.to_string(),
        });
    }
    if read.records.is_empty() {
        warnings.push(FlightWarning::EmptyJournal {
            path: journal_path.clone(),
        });
    }
    for (key, file) in read.named_frames() {
        let path = folder.resolve_frame_file(&file);
        if !path.is_file() {
            warnings.push(FlightWarning::MissingFrame { path, key });
        }
    }

    let tlog_path = folder.telemetry();
    let mut track = Vec::new();
    if tlog_path.exists() {
        match read_tlog(&tlog_path) {
            Ok(t) => {
                if t.bad_frames > 0 {
                    warnings.push(FlightWarning::Telemetry {
                        path: tlog_path.clone(),
                        problem: format!("{} damaged MAVLink frames skipped", t.bad_frames),
                    });
                }
                if let Some((offset, len)) = t.truncated_tail {
                    warnings.push(FlightWarning::Telemetry {
                        path: tlog_path.clone(),
                        problem: format!(
                            "byte offset {offset}: the log ends inside a record ({len} bytes ignored)"
                        ),
                    });
                }
                if t.points.is_empty() {
                    warnings.push(FlightWarning::Telemetry {
                        path: tlog_path.clone(),
                        problem: "no GLOBAL_POSITION_INT with a position; the flown track is \
                                  drawn from the photos' camera positions"
                            .into(),
                    });
                }
                track = t.points;
            }
            Err(e @ TlogError::Io { .. }) | Err(e @ TlogError::NotATlog { .. }) => {
                warnings.push(FlightWarning::Telemetry {
                    path: tlog_path.clone(),
                    problem: format!(
                        "{e}; the flown track is drawn from the photos' camera positions"
                    ),
                });
            }
        }
    } else {
        warnings.push(FlightWarning::NoTelemetry {
            path: tlog_path.clone(),
        });
    }
    let track_source = if track.is_empty() {
        track = read
            .view
            .frames
            .values()
            .map(|f| TrackPoint {
                t_utc_us: f.t_utc_us,
                lat_deg: f.camera.lat_deg,
                lon_deg: f.camera.lon_deg,
                alt_rel_home_m: f64::NAN,
            })
            .collect();
        track.sort_by_key(|p| p.t_utc_us);
        TrackSource::FrameRecords
    } else {
        TrackSource::Telemetry
    };

    let plan = read_plan(&folder.plan_dir(), &mut warnings);
    Ok(Flight {
        folder,
        view: read.view,
        records: read.records,
        track,
        track_source,
        plan,
        warnings,
    })
}

/// Lines and rings of every `plan/*.geojson` (the planner's output: lanes, centreline,
/// corridor outline, area, exclusions). Photo points are taken from the journal instead.
fn read_plan(plan_dir: &Path, warnings: &mut Vec<FlightWarning>) -> Vec<PlanShape> {
    let Ok(entries) = std::fs::read_dir(plan_dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "geojson"))
        .collect();
    files.sort();
    let mut shapes = Vec::new();
    for path in files {
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                warnings.push(FlightWarning::Plan {
                    path,
                    problem: format!("cannot read: {e}"),
                });
                continue;
            }
        };
        let fc = match text.parse::<geojson::GeoJson>() {
            Ok(geojson::GeoJson::FeatureCollection(fc)) => fc,
            Ok(_) => {
                warnings.push(FlightWarning::Plan {
                    path,
                    problem: "expected a GeoJSON FeatureCollection".into(),
                });
                continue;
            }
            Err(e) => {
                warnings.push(FlightWarning::Plan {
                    path,
                    problem: format!("not GeoJSON: {e}"),
                });
                continue;
            }
        };
        for f in fc.features {
            let kind = f
                .property("kind")
                .and_then(|k| k.as_str())
                .unwrap_or("plan")
                .to_string();
            let Some(g) = f.geometry else { continue };
            use geojson::GeometryValue as G;
            let lines: Vec<Vec<geojson::Position>> = match g.value {
                G::LineString { coordinates } => vec![coordinates],
                G::MultiLineString { coordinates } => coordinates,
                G::Polygon { coordinates } => coordinates,
                G::MultiPolygon { coordinates } => coordinates.into_iter().flatten().collect(),
                _ => continue,
            };
            for l in lines {
                let points: Vec<[f64; 2]> = l
                    .iter()
                    .map(|c| c.as_slice())
                    .filter(|c| c.len() >= 2 && c[0].is_finite() && c[1].is_finite())
                    .map(|c| [c[1], c[0]])
                    .collect();
                if points.len() >= 2 {
                    shapes.push(PlanShape {
                        kind: kind.clone(),
                        points,
                    });
                }
            }
        }
    }
    shapes
}

/// UTC and China Standard Time (UTC+8, no daylight saving) of `t_utc_us`, to the millisecond.
pub fn utc_and_china_time(t_utc_us: i64) -> (String, String) {
    let utc = qly_flight::export::iso8601_utc_ms(t_utc_us);
    let cst = qly_flight::export::iso8601_utc_ms(t_utc_us + 8 * 3_600_000_000);
    let cst = format!("{}+08:00", cst.trim_end_matches('Z'));
    (utc, cst)
}

#[cfg(test)]
mod tests {
    #[test]
    fn china_time_is_utc_plus_eight() {
        let (utc, cst) = super::utc_and_china_time(1_800_000_000_123_456);
        assert_eq!(utc, "2027-01-15T08:00:00.123Z");
        assert_eq!(cst, "2027-01-15T16:00:00.123+08:00");
    }
}
