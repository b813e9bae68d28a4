//! The field inspection record of one confirmed candidate: what an enforcement case file
//! needs to say about a finding (when, where in both datums, which photo, from which
//! aircraft at what height, how sure, how precise, who confirmed it).

use serde::{Deserialize, Serialize};

use qly_core::datum::gcj02_from_wgs84;
use qly_core::geodesy::GeoPoint;
use qly_flight::record::{CameraRecord, CandidateRecord, HorizontalError};

use crate::flight::utc_and_china_time;

/// Serialized into the package's manifest (one `candidate` entry each) and read back from it
/// by the printable inspection record (`review record`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldRecord {
    /// The candidate's id within its flight.
    pub candidate_id: u64,
    /// Its id across flights, `<flight id>/<id>` (journals with a header).
    pub candidate_uid: Option<String>,
    pub revision: u32,
    pub class: String,
    /// Time of the evidence photo (the best view).
    pub time_utc: String,
    /// The same instant in China Standard Time (UTC+08:00).
    pub time_local: String,
    pub first_seen_utc: String,
    pub last_seen_utc: String,
    pub lat_wgs84_deg: f64,
    pub lon_wgs84_deg: f64,
    /// For Amap/Gaode and Tencent maps (Baidu uses BD-09).
    pub lat_gcj02_deg: f64,
    pub lon_gcj02_deg: f64,
    /// `fused_centre` or `upstream_end`.
    pub attribution: String,
    /// The original photo, relative to the package.
    pub photo_file: String,
    pub photo_sha256: String,
    pub crop_file: String,
    /// `[x_min, y_min, x_max, y_max]` of the detection in the photo, pixels.
    pub bbox_px: [f32; 4],
    pub aircraft: String,
    pub camera: Option<CameraRecord>,
    pub height_above_ground_m: Option<f64>,
    pub slant_range_m: f64,
    pub confidence_max: f32,
    pub confidence_mean: f32,
    pub sightings: u32,
    /// Predicted error of the reported position (core's error model, as journaled).
    pub predicted_error: HorizontalError,
    pub confirmed_by: String,
    /// When the inspector decided, as the review page recorded it.
    pub decided_utc: Option<String>,
}

pub struct RecordInputs<'a> {
    pub candidate: &'a CandidateRecord,
    pub photo_time_utc_us: i64,
    pub camera: Option<CameraRecord>,
    pub photo_file: String,
    pub photo_sha256: String,
    pub crop_file: String,
    pub aircraft: &'a str,
    pub inspector: &'a str,
    pub decided_utc: Option<String>,
    pub uid: Option<String>,
}

pub fn field_record(i: RecordInputs<'_>) -> FieldRecord {
    let c = i.candidate;
    let (time_utc, time_local) = utc_and_china_time(i.photo_time_utc_us);
    let gcj = gcj02_from_wgs84(GeoPoint {
        lat_deg: c.lat_deg,
        lon_deg: c.lon_deg,
    });
    FieldRecord {
        candidate_id: c.id,
        candidate_uid: i.uid,
        revision: c.revision,
        class: c.class_name.clone(),
        time_utc,
        time_local,
        first_seen_utc: utc_and_china_time(c.first_t_utc_us).0,
        last_seen_utc: utc_and_china_time(c.last_t_utc_us).0,
        lat_wgs84_deg: c.lat_deg,
        lon_wgs84_deg: c.lon_deg,
        lat_gcj02_deg: gcj.lat_deg,
        lon_gcj02_deg: gcj.lon_deg,
        attribution: c.attribution.clone(),
        photo_file: i.photo_file,
        photo_sha256: i.photo_sha256,
        crop_file: i.crop_file,
        bbox_px: c.best.bbox_px,
        aircraft: i.aircraft.to_string(),
        height_above_ground_m: i.camera.and_then(|c| c.height_above_ground_m),
        camera: i.camera,
        slant_range_m: c.best.slant_range_m,
        confidence_max: c.confidence_max,
        confidence_mean: c.confidence_mean,
        sightings: c.sightings,
        predicted_error: c.error,
        confirmed_by: i.inspector.to_string(),
        decided_utc: i.decided_utc,
    }
}
