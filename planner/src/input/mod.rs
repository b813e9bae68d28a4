//! Reading what pilots and GIS tools hand us: survey geometry (GeoJSON, KML, QGroundControl
//! `.plan`) and finished missions (`.plan`, WPL 110 `.waypoints`).
//!
//! Every reader validates before anything is planned: an error names the file, the field
//! (a JSON-pointer-like path such as `features[0].geometry.coordinates[3]`, a KML element
//! path, or a WPL line and column) and what was expected. Coordinates given in GCJ-02 are
//! converted to WGS-84 here, so nothing downstream sees a shifted datum.

mod geojson;
mod kml;
mod plan;
mod validate;
mod wpl;

use std::path::Path;

use qly_core::datum::Datum;
use qly_core::mission::Mission;
use thiserror::Error;

use crate::survey::SurveyInput;

pub use kml::MAX_XML_DEPTH;
pub use qly_core::coord_check::{in_china, SWAP_HINT_LAT_LON, SWAP_HINT_LON_LAT};
pub use validate::{MAX_CORRIDOR_LENGTH_M, MAX_CORRIDOR_WIDTH_M, MAX_SURVEY_EXTENT_M};

/// Largest input file read, bytes. Survey geometry and missions are kilobytes to a few
/// megabytes; a reader holds the text and a parsed copy a few times its size, so this bounds
/// a reader's memory to a few hundred MiB whatever the file holds.
pub const MAX_INPUT_BYTES: u64 = 64 << 20;

/// Why an input file was refused.
#[derive(Debug, Error)]
pub enum InputError {
    /// The file could not be read at all. The OS error is part of the message (and not a
    /// `source`), so that a report of the error chain says it once.
    #[error("{file}: cannot read the file: {io}")]
    Io { file: String, io: std::io::Error },
    /// The file was read but a field is missing, malformed or out of range.
    #[error("{file}: {field}: {message}")]
    Invalid {
        file: String,
        /// Where in the file: a JSON path, a KML element path or a line/column.
        field: String,
        /// What is wrong and what was expected.
        message: String,
    },
}

impl InputError {
    /// The field (path in the file) the error is about, when there is one.
    pub fn field(&self) -> Option<&str> {
        match self {
            InputError::Io { .. } => None,
            InputError::Invalid { field, .. } => Some(field),
        }
    }
}

/// The file being read, to make errors that name it.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    pub file: String,
}

impl Ctx {
    pub fn new(path: &Path) -> Ctx {
        Ctx {
            file: path.display().to_string(),
        }
    }

    pub fn err(&self, field: impl Into<String>, message: impl Into<String>) -> InputError {
        InputError::Invalid {
            file: self.file.clone(),
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn read(&self, path: &Path) -> Result<String, InputError> {
        use std::io::Read;
        let io = |io| InputError::Io {
            file: self.file.clone(),
            io,
        };
        let mut bytes = Vec::new();
        // `take` one byte more than allowed, so a file that grows while read is caught too.
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_INPUT_BYTES + 1).read_to_end(&mut bytes))
            .map_err(io)?;
        if bytes.len() as u64 > MAX_INPUT_BYTES {
            return Err(self.err(
                "(file)",
                format!(
                    "larger than {} MiB: expected a survey or mission file (kilobytes to a few \
                     megabytes)",
                    MAX_INPUT_BYTES >> 20
                ),
            ));
        }
        // A UTF-8 byte order mark is common in files from Windows tools.
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
        let text = std::str::from_utf8(bytes).map_err(|e| {
            self.err(
                "(file)",
                format!("not UTF-8 text ({e}): expected a text file"),
            )
        })?;
        Ok(text.to_string())
    }

    /// Refuses an empty (or blank) file, saying what it should have held.
    pub fn require_text(&self, text: &str, expected: &str) -> Result<(), InputError> {
        if text.trim().is_empty() {
            return Err(self.err("(file)", format!("the file is empty: expected {expected}")));
        }
        Ok(())
    }
}

/// Reads a survey geometry file, choosing the format by extension: `.geojson`/`.json`
/// (GeoJSON), `.kml`, `.plan` (a QGroundControl plan with a survey or corridor scan item).
///
/// `datum_override` says which datum the coordinates are in and wins over what the file
/// says (a GeoJSON `datum` property); GCJ-02 coordinates are converted to WGS-84.
pub fn read_survey_input(
    path: &Path,
    datum_override: Option<Datum>,
) -> Result<SurveyInput, InputError> {
    let ctx = Ctx::new(path);
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
        .unwrap_or_default();
    let input = match ext.as_str() {
        "geojson" | "json" => geojson::read(&ctx, &ctx.read(path)?, datum_override),
        "kml" => kml::read(&ctx, &ctx.read(path)?, datum_override),
        "plan" => plan::read_survey(&ctx, &ctx.read(path)?, datum_override),
        _ => Err(ctx.err(
            "(file name)",
            format!(
                "unknown extension '{ext}': expected .geojson, .json, .kml or .plan \
                 (a WPL .waypoints file is a finished mission: read it with read_wpl)"
            ),
        )),
    }?;
    validate::check_extent(&ctx, &input)?;
    Ok(input)
}

/// Reads a QGroundControl `.plan` as the mission a vehicle would fly: its simple items and
/// the items stored inside complex items (what QGroundControl, Mission Planner and MAVSDK
/// upload), `plannedHomePosition` as home, geofence polygons and circles, rally points.
pub fn read_qgc_plan_mission(path: &Path) -> Result<Mission, InputError> {
    let ctx = Ctx::new(path);
    plan::read_mission(&ctx, &ctx.read(path)?)
}

/// Reads a WPL mission (`QGC WPL 110`: line 0 is home; `QGC WPL 120`: no home line).
/// Fields are tab-separated as the format says; space-separated lines (as some Mission
/// Planner versions write) are accepted too.
pub fn read_wpl(path: &Path) -> Result<Mission, InputError> {
    let ctx = Ctx::new(path);
    wpl::read(&ctx, &ctx.read(path)?)
}

/// The same readers on text already in memory; `source` names it in errors.
///
/// ```
/// use planner::input::from_text;
/// use planner::survey::InputGeometry;
/// let text = r#"{"type": "Feature", "properties": {"width_m": 60},
///   "geometry": {"type": "LineString", "coordinates": [[106.97, 27.06], [106.98, 27.07]]}}"#;
/// let input = from_text::geojson("river.geojson", text, None).unwrap();
/// assert_eq!(input.width_m, Some(60.0));
/// assert!(matches!(input.geometry, InputGeometry::Centreline(ref l) if l.len() == 2));
///
/// let swapped = text.replace("[106.97, 27.06], [106.98, 27.07]", "[27.06, 106.97], [27.07, 106.98]");
/// let err = from_text::geojson("river.geojson", &swapped, None).unwrap_err().to_string();
/// assert!(err.starts_with("river.geojson: geometry.coordinates: coordinates look swapped"));
/// ```
pub mod from_text {
    use super::*;

    pub fn geojson(
        source: &str,
        text: &str,
        datum_override: Option<Datum>,
    ) -> Result<SurveyInput, InputError> {
        let ctx = Ctx {
            file: source.to_string(),
        };
        let input = geojson::read(&ctx, text, datum_override)?;
        validate::check_extent(&ctx, &input)?;
        Ok(input)
    }

    pub fn kml(
        source: &str,
        text: &str,
        datum_override: Option<Datum>,
    ) -> Result<SurveyInput, InputError> {
        let ctx = Ctx {
            file: source.to_string(),
        };
        let input = kml::read(&ctx, text, datum_override)?;
        validate::check_extent(&ctx, &input)?;
        Ok(input)
    }

    pub fn plan_survey(
        source: &str,
        text: &str,
        datum_override: Option<Datum>,
    ) -> Result<SurveyInput, InputError> {
        let ctx = Ctx {
            file: source.to_string(),
        };
        let input = plan::read_survey(&ctx, text, datum_override)?;
        validate::check_extent(&ctx, &input)?;
        Ok(input)
    }

    pub fn plan_mission(source: &str, text: &str) -> Result<Mission, InputError> {
        let ctx = Ctx {
            file: source.to_string(),
        };
        plan::read_mission(&ctx, text)
    }

    pub fn wpl(source: &str, text: &str) -> Result<Mission, InputError> {
        let ctx = Ctx {
            file: source.to_string(),
        };
        wpl::read(&ctx, text)
    }
}
