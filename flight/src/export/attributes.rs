//! The attribute schema of the exported layers: one list of named, typed columns per layer,
//! used by both the GeoJSON properties and the GeoPackage columns so that the two exports
//! say the same thing under the same names.

use qly_core::datum::gcj02_from_wgs84;
use qly_core::geodesy::GeoPoint;

use crate::header::{CandidateUid, FlightId};
use crate::record::{CandidateRecord, SightingRecord};

/// A column's type (GeoPackage names; GeoJSON numbers and strings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    Integer,
    Real,
    Text,
    /// ISO 8601 UTC with milliseconds, `YYYY-MM-DDTHH:MM:SS.sssZ` (GeoPackage `DATETIME`).
    DateTime,
}

impl ColumnType {
    /// The GeoPackage column type.
    pub fn gpkg_name(self) -> &'static str {
        match self {
            ColumnType::Integer => "INTEGER",
            ColumnType::Real => "REAL",
            ColumnType::Text => "TEXT",
            ColumnType::DateTime => "DATETIME",
        }
    }
}

/// One attribute value; `None` columns are null.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Integer(i64),
    Real(f64),
    Text(String),
    /// Microseconds since the Unix epoch, UTC.
    DateTime(i64),
    Null,
}

/// A point feature: WGS-84 position and values in the layer's column order.
#[derive(Debug, Clone, PartialEq)]
pub struct PointFeature {
    pub position: GeoPoint,
    pub values: Vec<Value>,
}

/// A layer: its name, its columns, its features.
#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    pub name: &'static str,
    pub description: &'static str,
    pub columns: &'static [(&'static str, ColumnType)],
    pub features: Vec<PointFeature>,
}

use ColumnType::{DateTime, Integer, Real, Text};

/// Columns of the `candidates` layer. Positions in WGS-84 degrees (the geometry), the
/// GCJ-02 pair for Chinese map apps; errors in metres; bearing in degrees clockwise from
/// true north; boxes in photo pixels (x right, y down).
pub const CANDIDATE_COLUMNS: &[(&str, ColumnType)] = &[
    ("id", Integer),
    ("uid", Text),
    ("flight_id", Text),
    ("revision", Integer),
    ("class", Text),
    ("confidence_max", Real),
    ("confidence_mean", Real),
    ("sightings", Integer),
    ("first_seen_utc", DateTime),
    ("last_seen_utc", DateTime),
    ("cep50_m", Real),
    ("ce90_m", Real),
    ("sigma_major_m", Real),
    ("sigma_minor_m", Real),
    ("major_axis_bearing_deg", Real),
    ("attribution", Text),
    ("along_river_m", Real),
    ("fused_lat_deg", Real),
    ("fused_lon_deg", Real),
    ("gcj02_lat_deg", Real),
    ("gcj02_lon_deg", Real),
    ("best_photo", Text),
    ("best_image_index", Integer),
    ("best_bbox_x_min_px", Real),
    ("best_bbox_y_min_px", Real),
    ("best_bbox_x_max_px", Real),
    ("best_bbox_y_max_px", Real),
    ("best_confidence", Real),
    ("best_slant_range_m", Real),
];

/// Columns of the `sightings` layer (units as for candidates).
pub const SIGHTING_COLUMNS: &[(&str, ColumnType)] = &[
    ("candidate_id", Integer),
    ("candidate_uid", Text),
    ("flight_id", Text),
    ("image_index", Integer),
    ("photo", Text),
    ("time_utc", DateTime),
    ("class", Text),
    ("confidence", Real),
    ("bbox_x_min_px", Real),
    ("bbox_y_min_px", Real),
    ("bbox_x_max_px", Real),
    ("bbox_y_max_px", Real),
    ("ground_amsl_m", Real),
    ("slant_range_m", Real),
    ("cep50_m", Real),
    ("ce90_m", Real),
    ("sigma_major_m", Real),
    ("sigma_minor_m", Real),
    ("major_axis_bearing_deg", Real),
    ("camera_lat_deg", Real),
    ("camera_lon_deg", Real),
    ("camera_alt_amsl_m", Real),
    ("gcj02_lat_deg", Real),
    ("gcj02_lon_deg", Real),
];

fn int(v: u64) -> Value {
    // Ids, counts and indices stay far below 2^63; saturate rather than wrap if not.
    Value::Integer(i64::try_from(v).unwrap_or(i64::MAX))
}

fn real(v: f64) -> Value {
    if v.is_finite() {
        Value::Real(v)
    } else {
        Value::Null
    }
}

/// A detector's `f32` as the `f64` of its shortest decimal form (0.9, not
/// 0.899999976158142), which is what a reader of the export expects to see.
fn real32(v: f32) -> Value {
    real(v.to_string().parse::<f64>().unwrap_or(f64::NAN))
}

fn bbox(b: [f32; 4]) -> [Value; 4] {
    b.map(real32)
}

/// The flight id and a candidate's id across flights (`<flight id>/<id>`) as attributes;
/// null when the journal has no header (written before flight ids existed).
fn uid_values(flight: Option<&FlightId>, id: u64) -> [Value; 2] {
    match flight {
        Some(f) => [
            Value::Text(
                CandidateUid {
                    flight: f.clone(),
                    id,
                }
                .to_string(),
            ),
            Value::Text(f.to_string()),
        ],
        None => [Value::Null, Value::Null],
    }
}

/// The `candidates` feature of one candidate record of flight `flight`.
pub fn candidate_feature(c: &CandidateRecord, flight: Option<&FlightId>) -> PointFeature {
    let position = GeoPoint {
        lat_deg: c.lat_deg,
        lon_deg: c.lon_deg,
    };
    let gcj = gcj02_from_wgs84(position);
    let mut values = vec![int(c.id)];
    values.extend(uid_values(flight, c.id));
    values.extend([
        int(u64::from(c.revision)),
        Value::Text(c.class_name.clone()),
        real32(c.confidence_max),
        real32(c.confidence_mean),
        int(u64::from(c.sightings)),
        Value::DateTime(c.first_t_utc_us),
        Value::DateTime(c.last_t_utc_us),
        real(c.error.cep50_m),
        real(c.error.ce90_m),
        real(c.error.sigma_major_m),
        real(c.error.sigma_minor_m),
        real(c.error.major_axis_bearing_deg),
        Value::Text(c.attribution.clone()),
        c.along_river_m.map_or(Value::Null, real),
        real(c.fused_lat_deg),
        real(c.fused_lon_deg),
        real(gcj.lat_deg),
        real(gcj.lon_deg),
        Value::Text(c.best.file.clone()),
        int(c.best.image_index),
    ]);
    values.extend(bbox(c.best.bbox_px));
    values.push(real32(c.best.confidence));
    values.push(real(c.best.slant_range_m));
    debug_assert_eq!(values.len(), CANDIDATE_COLUMNS.len());
    PointFeature { position, values }
}

/// The `sightings` feature of one sighting record of flight `flight`.
pub fn sighting_feature(s: &SightingRecord, flight: Option<&FlightId>) -> PointFeature {
    let position = GeoPoint {
        lat_deg: s.lat_deg,
        lon_deg: s.lon_deg,
    };
    let gcj = gcj02_from_wgs84(position);
    let mut values = vec![int(s.candidate_id)];
    values.extend(uid_values(flight, s.candidate_id));
    values.extend([
        int(s.image_index),
        Value::Text(s.file.clone()),
        Value::DateTime(s.t_utc_us),
        Value::Text(s.class_name.clone()),
        real32(s.confidence),
    ]);
    values.extend(bbox(s.bbox_px));
    values.extend([
        real(s.ground_amsl_m),
        real(s.slant_range_m),
        real(s.error.cep50_m),
        real(s.error.ce90_m),
        real(s.error.sigma_major_m),
        real(s.error.sigma_minor_m),
        real(s.error.major_axis_bearing_deg),
        real(s.camera.lat_deg),
        real(s.camera.lon_deg),
        real(s.camera.alt_amsl_m),
        real(gcj.lat_deg),
        real(gcj.lon_deg),
    ]);
    debug_assert_eq!(values.len(), SIGHTING_COLUMNS.len());
    PointFeature { position, values }
}

/// `t_utc_us` as ISO 8601 UTC with milliseconds (truncated), e.g.
/// `2027-01-15T08:00:00.250Z`.
///
/// ```
/// use qly_flight::export::iso8601_utc_ms;
/// assert_eq!(iso8601_utc_ms(0), "1970-01-01T00:00:00.000Z");
/// assert_eq!(iso8601_utc_ms(1_800_000_000_123_456), "2027-01-15T08:00:00.123Z");
/// assert_eq!(iso8601_utc_ms(-1), "1969-12-31T23:59:59.999Z");
/// ```
pub fn iso8601_utc_ms(t_utc_us: i64) -> String {
    let ms = t_utc_us.div_euclid(1000);
    let days = ms.div_euclid(86_400_000);
    let ms_of_day = ms.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    let (h, rest) = (ms_of_day / 3_600_000, ms_of_day % 3_600_000);
    let (min, rest) = (rest / 60_000, rest % 60_000);
    let (s, milli) = (rest / 1000, rest % 1000);
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}.{milli:03}Z")
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_match_known_calendar_days() {
        // 2000-02-29 (leap day of a century leap year) and 2100-03-01 (2100 is not leap).
        assert_eq!(
            iso8601_utc_ms(951_782_400_000_000),
            "2000-02-29T00:00:00.000Z"
        );
        assert_eq!(
            iso8601_utc_ms(4_107_542_400_000_000),
            "2100-03-01T00:00:00.000Z"
        );
        assert_eq!(
            iso8601_utc_ms(1_709_251_199_999_999),
            "2024-02-29T23:59:59.999Z"
        );
    }
}
