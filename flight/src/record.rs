//! What a patrol records: the vocabulary shared by the companion's pipeline (which makes
//! records), the journal (which keeps them durably), the exports (GeoJSON, GeoPackage) and the
//! review tools (which read them back).
//!
//! Records are plain, flat values with explicit units and frames, serialised with serde. They
//! are deliberately copies rather than the fusion's own types: the journal is a file format
//! that must stay readable when the fusion's internals change.
//!
//! - Positions are WGS-84 latitude/longitude in degrees; heights say their reference
//!   (`_amsl_m`: above mean sea level, `_rel_home_m`: above take-off).
//! - Times: `t_utc_us` is microseconds since the Unix epoch (UTC), `t_boot_ms` the flight
//!   controller's time since boot.
//! - Errors are horizontal, in metres, in the local east/north plane at the point.
//!
//! A candidate is journaled again each time a sighting updates it; the record with the
//! highest `revision` for an `id` is the current one.
//!
//! Every journal opens with a [`FlightHeader`] (journals written before it existed have
//! none; readers treat its fields as unknown). A photo is named by its [`FrameKey`]
//! (autopilot boot, image index): the `boot` fields default to 0 when absent.

use serde::{Deserialize, Serialize};

pub use crate::folder::FrameKey;
pub use crate::header::{FlightHeader, FlightId};
/// Predicted horizontal error of a point: core's error model's own type, serialised as is.
pub use qly_core::geotag::HorizontalError;

/// One journal entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Record {
    /// What flight this is: the first record of every journal.
    Header(FlightHeader),
    /// A photo was taken, and where the camera was then (journaled when the capture event
    /// and the telemetry around it arrive, before the photo itself may have landed).
    Capture(CaptureRecord),
    Frame(FrameRecord),
    /// A photo that was not processed, and why (counted in the figures; never silent).
    FrameSkipped(FrameSkipRecord),
    Sighting(SightingRecord),
    Candidate(CandidateRecord),
}

/// The orientation of the camera's mount at a capture, as the gimbal reported it (see
/// `qly_core::geotag::CameraMount`): `q` is `[w, x, y, z]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "frame", rename_all = "snake_case")]
pub enum MountRecord {
    /// Fixed to the airframe: `q` is body to gimbal.
    BodyFixed { q: [f64; 4] },
    /// Yaw relative to the vehicle's heading, roll and pitch to the horizon.
    HeadingFrame { q: [f64; 4] },
    /// Fully earth-referenced (NED to gimbal).
    EarthFrame { q: [f64; 4] },
}

impl From<qly_core::geotag::CameraMount> for MountRecord {
    fn from(m: qly_core::geotag::CameraMount) -> MountRecord {
        use qly_core::geotag::CameraMount;
        let q = |q: qly_core::rotation::Quat| [q.w, q.x, q.y, q.z];
        match m {
            CameraMount::BodyFixed(r) => MountRecord::BodyFixed { q: q(r) },
            CameraMount::HeadingFrame(r) => MountRecord::HeadingFrame { q: q(r) },
            CameraMount::EarthFrame(r) => MountRecord::EarthFrame { q: q(r) },
        }
    }
}

impl MountRecord {
    /// The mount back, its quaternion normalised (a zero or non-finite one is refused).
    pub fn mount(
        &self,
    ) -> Result<qly_core::geotag::CameraMount, qly_core::rotation::RotationError> {
        use qly_core::geotag::CameraMount;
        use qly_core::rotation::Quat;
        let quat = |[w, x, y, z]: [f64; 4]| Quat::from_wxyz("mount.q", w, x, y, z);
        Ok(match *self {
            MountRecord::BodyFixed { q } => CameraMount::BodyFixed(quat(q)?),
            MountRecord::HeadingFrame { q } => CameraMount::HeadingFrame(quat(q)?),
            MountRecord::EarthFrame { q } => CameraMount::EarthFrame(quat(q)?),
        })
    }
}

/// A capture event (CAMERA_FEEDBACK / CAMERA_IMAGE_CAPTURED) and the vehicle's pose at its
/// time: everything needed to geotag the photo whenever its file arrives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaptureRecord {
    #[serde(default)]
    pub boot: u32,
    pub image_index: u64,
    /// Flight-controller boot time of the exposure, milliseconds.
    pub t_boot_ms: f64,
    pub t_utc_us: i64,
    /// Vehicle position, WGS-84, height above mean sea level.
    pub lat_deg: f64,
    pub lon_deg: f64,
    pub alt_amsl_m: f64,
    /// Vehicle attitude, body (FRD) to NED, `[w, x, y, z]`.
    pub q_ned_body: [f64; 4],
    /// The gimbal's mount when one reported it; `None`: the configured fixed mount.
    pub mount: Option<MountRecord>,
    /// Take-off elevation (above mean sea level) the capture event implied, when it did.
    pub home_amsl_m: Option<f64>,
}

impl CaptureRecord {
    pub fn key(&self) -> FrameKey {
        FrameKey {
            boot: self.boot,
            image_index: self.image_index,
        }
    }

    /// The camera's pose at the capture: the vehicle's, with the journaled gimbal mount or
    /// else `fixed_mount`. A record whose values are out of range (it was written by another
    /// program) gives the reason.
    pub fn camera_pose(
        &self,
        fixed_mount: qly_core::geotag::CameraMount,
    ) -> Result<qly_core::geotag::CameraPose, String> {
        let position =
            qly_core::pose::AmslPosition::new(self.lat_deg, self.lon_deg, self.alt_amsl_m)
                .map_err(|e| format!("capture of {}: {e}", self.key()))?;
        let [w, x, y, z] = self.q_ned_body;
        let q_ned_body = qly_core::rotation::Quat::from_wxyz("q_ned_body", w, x, y, z)
            .map_err(|e| format!("capture of {}: {e}", self.key()))?;
        let mount = match &self.mount {
            Some(m) => m
                .mount()
                .map_err(|e| format!("capture of {}: {e}", self.key()))?,
            None => fixed_mount,
        };
        Ok(qly_core::geotag::CameraPose {
            position,
            q_ned_body,
            mount,
        })
    }
}

/// Why a photo was not processed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// The file is not a readable photo (truncated, not a JPEG).
    CorruptFile,
    /// No capture event for it ever arrived (the flight ended or the service stopped).
    NoCaptureEvent,
    /// The vehicle's pose at the capture time cannot be had (a telemetry gap).
    NoPose,
    /// The ground under the camera is unknown (no take-off elevation, outside the DEM).
    NoGround,
    /// The photo's own metadata does not place it (batch: no GPS or attitude in EXIF/XMP).
    NoMetadata,
    /// A photo the detector could not process (another size than the camera's calibration,
    /// or processing failed).
    NotProcessed,
    /// The capture event arrived but its photo never did (the camera or renderer lost it).
    NoPhotoFile,
    /// A thermal photo (a DJI R-JPEG, `_T`): the detector takes visible-light photos.
    ThermalPhoto,
}

impl SkipReason {
    pub fn describe(self) -> &'static str {
        match self {
            SkipReason::CorruptFile => "corrupt or unreadable photo",
            SkipReason::NoCaptureEvent => "no capture event",
            SkipReason::NoPose => "no pose at the capture time",
            SkipReason::NoGround => "ground unknown under the camera",
            SkipReason::NoMetadata => "no position or attitude in the photo's metadata",
            SkipReason::NotProcessed => "a kind of photo not processed",
            SkipReason::NoPhotoFile => "the photo never arrived",
            SkipReason::ThermalPhoto => "a thermal photo (the detector takes visible-light photos)",
        }
    }
}

/// A photo that was not processed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameSkipRecord {
    #[serde(default)]
    pub boot: u32,
    pub image_index: u64,
    /// The file, when there was one.
    pub file: Option<String>,
    pub reason: SkipReason,
    /// The particulars, for people.
    pub detail: String,
}

impl FrameSkipRecord {
    pub fn key(&self) -> FrameKey {
        FrameKey {
            boot: self.boot,
            image_index: self.image_index,
        }
    }
}

/// Where the camera was when a photo was taken (as the pose timeline or the photo's own
/// metadata said).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CameraRecord {
    pub lat_deg: f64,
    pub lon_deg: f64,
    pub alt_amsl_m: f64,
    /// Height above the ground the ray hit (terrain model or take-off ground), metres; `None`
    /// when no ground was found under the camera.
    pub height_above_ground_m: Option<f64>,
    /// Vehicle attitude, degrees (roll right-wing-down, pitch nose-up, yaw clockwise from
    /// true north).
    pub roll_deg: f64,
    pub pitch_deg: f64,
    pub yaw_deg: f64,
    /// Camera optical axis: pitch below the horizon is negative (-90 = nadir), yaw clockwise
    /// from true north, degrees.
    pub camera_pitch_deg: f64,
    pub camera_yaw_deg: f64,
}

/// A processed photo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameRecord {
    /// Autopilot boot of the capture (see [`FrameKey`]).
    #[serde(default)]
    pub boot: u32,
    /// Capture index: CAMERA_FEEDBACK's image index for live frames, the position in the
    /// sorted folder for batch photos.
    pub image_index: u64,
    /// The photo file as the source named it.
    pub file: String,
    pub t_utc_us: i64,
    /// Flight-controller boot time of the capture, when known (live frames).
    pub t_boot_ms: Option<f64>,
    pub width_px: u32,
    pub height_px: u32,
    pub camera: CameraRecord,
    /// Detections kept after thresholds and NMS.
    pub detections: u32,
    /// Of those, the ones that could be put on the ground.
    pub sightings: u32,
}

/// One geotagged detection in one photo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SightingRecord {
    /// The candidate the fusion gave it to.
    pub candidate_id: u64,
    #[serde(default)]
    pub boot: u32,
    pub image_index: u64,
    pub file: String,
    pub t_utc_us: i64,
    pub class_name: String,
    pub confidence: f32,
    /// `[x_min, y_min, x_max, y_max]` in photo pixels (x right, y down).
    pub bbox_px: [f32; 4],
    /// Ground point of the box centre.
    pub lat_deg: f64,
    pub lon_deg: f64,
    pub ground_amsl_m: f64,
    pub slant_range_m: f64,
    pub error: HorizontalError,
    /// Ground points spanning the detection, `[lat_deg, lon_deg]` (plumes: box corners and
    /// edge midpoints, for upstream attribution); empty for other classes.
    #[serde(default)]
    pub footprint: Vec<[f64; 2]>,
    pub camera: CameraRecord,
}

/// The evidence photo of a candidate: its best sighting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BestView {
    #[serde(default)]
    pub boot: u32,
    pub image_index: u64,
    pub file: String,
    pub bbox_px: [f32; 4],
    pub confidence: f32,
    pub slant_range_m: f64,
}

/// One source, as the fusion currently sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CandidateRecord {
    pub id: u64,
    /// Increases by one with every update of this candidate, from 1.
    pub revision: u32,
    pub class_name: String,
    /// The reported position: the fused centre, or a plume's upstream end.
    pub lat_deg: f64,
    pub lon_deg: f64,
    /// `"fused_centre"` or `"upstream_end"`.
    pub attribution: String,
    /// For `upstream_end`: metres downstream of the river centreline's first point.
    pub along_river_m: Option<f64>,
    /// The information-weighted mean of the sightings.
    pub fused_lat_deg: f64,
    pub fused_lon_deg: f64,
    /// Predicted error of the fused position.
    pub error: HorizontalError,
    pub sightings: u32,
    pub first_t_utc_us: i64,
    pub last_t_utc_us: i64,
    pub confidence_max: f32,
    pub confidence_mean: f32,
    pub best: BestView,
}

/// Why a sink could not take a record.
pub type SinkError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Somewhere records go: the durable journal, or a test's vector.
pub trait RecordSink {
    /// Takes one record. `Ok` means the sink has it (how durably is the sink's business: the
    /// journal's doc says when a record is on disk).
    fn append(&mut self, record: &Record) -> Result<(), SinkError>;
}

impl RecordSink for Vec<Record> {
    fn append(&mut self, record: &Record) -> Result<(), SinkError> {
        self.push(record.clone());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_through_json_with_a_kind_tag() {
        let camera = CameraRecord {
            lat_deg: 27.05,
            lon_deg: 106.95,
            alt_amsl_m: 1125.0,
            height_above_ground_m: Some(75.0),
            roll_deg: 1.0,
            pitch_deg: -2.0,
            yaw_deg: 90.0,
            camera_pitch_deg: -90.0,
            camera_yaw_deg: 90.0,
        };
        let record = Record::Frame(FrameRecord {
            boot: 0,
            image_index: 7,
            file: "frames/7.jpg".into(),
            t_utc_us: 1_800_000_000_000_000,
            t_boot_ms: Some(123_456.5),
            width_px: 2048,
            height_px: 1536,
            camera,
            detections: 2,
            sightings: 1,
        });
        let text = serde_json::to_string(&record).unwrap();
        assert!(text.starts_with(r#"{"kind":"frame","#), "{text}");
        let back: Record = serde_json::from_str(&text).unwrap();
        assert_eq!(back, record);
    }
}
