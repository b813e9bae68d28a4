//! The pose of a DJI photo from its own metadata, for post-flight processing.
//!
//! DJI enterprise drones (Mavic 3 Enterprise, M30/M30T, M300/M350 with Zenmuse H20/P1) write
//! everything needed to geotag a photo into the JPEG: EXIF (capture time, GNSS position, focal
//! length, camera model) and the XMP packet's `drone-dji:` tags (altitudes, gimbal and
//! aircraft attitude, calibration, RTK accuracy). [`read_photo_pose`] turns them into a
//! [`PhotoPose`]: UTC time, [`CameraPose`] and [`CameraIntrinsics`].
//!
//! # Time
//!
//! `DateTimeOriginal` is the camera's local time. `OffsetTimeOriginal` (written by newer
//! firmware) gives its offset from UTC; when it is absent the offset is
//! [`PhotoMetaOptions::default_utc_offset_min`] (default +08:00, China Standard Time, where
//! DJI drones are set up for our inspectors) and [`PhotoPose::utc_offset`] says it was assumed.
//!
//! # Altitude
//!
//! The camera position's altitude is `drone-dji:AbsoluteAltitude` (EXIF `GPSAltitude` only when
//! the XMP tag is missing). DJI's AbsoluteAltitude is *not reliable as a sea-level height on
//! all models*: without RTK it is a GNSS/barometer blend that can be tens of metres off, and with
//! RTK some firmware writes an ellipsoidal rather than an EGM96 height. What is reliable is
//! `RelativeAltitude`, the barometric height above the take-off point. For geotagging on flat
//! ground what matters is the camera's height above that ground, so the batch puts the ground at
//! `ground_amsl = AbsoluteAltitude - RelativeAltitude` ([`PhotoPose::takeoff_ground_amsl_m`],
//! the take-off point's height in the same, possibly biased, datum): then
//! `camera - ground = RelativeAltitude` exactly, whatever the bias, as long as it is constant
//! over the flight. Comparing with a real elevation model needs a correct AbsoluteAltitude.
//!
//! # Attitude
//!
//! DJI's gimbal angles are in the earth frame (yaw clockwise from true north, pitch -90 = nadir,
//! roll right side down), so the camera mount is `CameraMount::EarthFrame(Quat::from_ypr_deg(
//! yaw, pitch, roll))` and the aircraft attitude does not enter the ray. The aircraft attitude
//! (`Flight*Degree`) is kept for the record. Near nadir yaw and roll are degenerate (some
//! firmware writes roll 180 with yaw turned by 180): the Z-Y-X composition handles both
//! spellings identically.
//!
//! # Intrinsics, first found wins
//!
//! 1. `DewarpData` (factory calibration: fx, fy, principal point offset from the image centre,
//!    Brown–Conrady k1, k2, p1, p2, k3), unless `DewarpFlag` = 1 says the pixels are already
//!    undistorted;
//! 2. `CalibratedFocalLength` and `CalibratedOpticalCenterX/Y` (pixels; centre of the image if
//!    the optical centre is missing), no distortion;
//! 3. EXIF `FocalLength` (mm) with the sensor width of the camera in core's camera database,
//!    matched by EXIF `Model` (e.g. `M3E` is "DJI Mavic 3 Enterprise wide") and focal length;
//! 4. EXIF `FocalLengthIn35mmFilm` over the 43.27 mm full-frame diagonal.
//!
//! Which one was used is [`PhotoPose::intrinsics_source`].

pub mod exif;
pub mod segments;
pub mod time;
pub mod xmp;

use std::path::Path;

use qly_core::camera::CameraDatabase;
use qly_core::geotag::{CameraMount, CameraPose, Uncertainty};
use qly_core::intrinsics::{BrownConrady, CameraIntrinsics};
use qly_core::pose::AmslPosition;
use qly_core::rotation::Quat;

pub use self::exif::{ExifParseError, ExifTags};
pub use self::segments::{jpeg_headers, JpegHeaders, SegmentError};
pub use self::xmp::{DewarpData, DjiXmp, XmpError};

/// The diagonal of a 36 x 24 mm frame, which "35 mm equivalent" focal lengths refer to.
pub const FULL_FRAME_DIAGONAL_MM: f64 = 43.266_615_305_567_87;

/// EXIF `Model` of DJI cameras and the name of their main (wide) camera in core's camera
/// database. The focal length must also agree (within 5 %): a Zenmuse H20's zoom photos carry
/// the same model as its wide ones.
pub const DJI_MODELS: &[(&str, &str)] = &[
    ("M3E", "DJI Mavic 3 Enterprise wide"),
    ("ZenmuseP1", "DJI Zenmuse P1 35mm"),
    ("ZH20", "DJI Zenmuse H20 wide"),
    ("ZH20T", "DJI Zenmuse H20 wide"),
    ("ZH20N", "DJI Zenmuse H20 wide"),
];

/// How photos are read.
#[derive(Debug, Clone)]
pub struct PhotoMetaOptions {
    /// Offset of the camera clock from UTC, minutes, used when `OffsetTimeOriginal` is absent.
    pub default_utc_offset_min: i32,
    /// Cameras by name for the focal-length-in-mm fallback.
    pub cameras: CameraDatabase,
}

impl Default for PhotoMetaOptions {
    /// +08:00 and core's built-in camera database.
    fn default() -> PhotoMetaOptions {
        PhotoMetaOptions {
            default_utc_offset_min: 8 * 60,
            cameras: CameraDatabase::builtin(),
        }
    }
}

/// Where the UTC offset of the capture time came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UtcOffsetSource {
    /// EXIF `OffsetTimeOriginal`.
    Exif,
    /// Not in the photo: [`PhotoMetaOptions::default_utc_offset_min`].
    Assumed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UtcOffset {
    pub minutes: i32,
    pub source: UtcOffsetSource,
}

/// Where the camera altitude came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AltitudeSource {
    DjiAbsoluteAltitude,
    ExifGpsAltitude,
}

/// Where the intrinsics came from (see the module doc for the order).
#[derive(Debug, Clone, PartialEq)]
pub enum IntrinsicsSource {
    DewarpData,
    CalibratedFocalLength,
    CameraDatabase { camera: String },
    FocalLength35mm,
}

/// RTK position accuracy the photo reports.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RtkAccuracy {
    /// 0 none, 16 single point, 34 float, 50 fixed; `None` if not written.
    pub flag: Option<u32>,
    pub std_lat_m: f64,
    pub std_lon_m: f64,
    pub std_hgt_m: f64,
}

/// Everything the pipeline needs about one photo, from its own tags.
#[derive(Debug, Clone, PartialEq)]
pub struct PhotoPose {
    /// The photo as named in errors and records.
    pub file: String,
    pub make: Option<String>,
    pub model: Option<String>,
    /// Capture time, microseconds since the Unix epoch, UTC.
    pub t_utc_us: i64,
    pub utc_offset: UtcOffset,
    /// Position (altitude: see the module doc), vehicle attitude, earth-frame gimbal.
    pub camera: CameraPose,
    pub altitude_source: AltitudeSource,
    /// Barometric height above the take-off point, metres.
    pub alt_rel_home_m: Option<f64>,
    /// Gimbal yaw, pitch, roll as written, degrees.
    pub gimbal_ypr_deg: [f64; 3],
    /// Aircraft yaw, pitch, roll as written, degrees; `None` when the photo has none.
    pub flight_ypr_deg: Option<[f64; 3]>,
    pub intrinsics: CameraIntrinsics,
    pub intrinsics_source: IntrinsicsSource,
    pub rtk: Option<RtkAccuracy>,
    /// `drone-dji:DroneModel`, `DroneSerialNumber`, `ImageSource` when written.
    pub drone_model: Option<String>,
    pub drone_serial_number: Option<String>,
    pub image_source: Option<String>,
}

impl PhotoPose {
    /// Whether the photo says it is thermal (`drone-dji:ImageSource="InfraredCamera"`).
    pub fn is_thermal(&self) -> bool {
        self.image_source.as_deref() == Some(xmp::INFRARED_IMAGE_SOURCE)
    }

    /// The take-off ground's height in the camera altitude's datum:
    /// `AbsoluteAltitude - RelativeAltitude`; `None` without a relative altitude.
    pub fn takeoff_ground_amsl_m(&self) -> Option<f64> {
        self.alt_rel_home_m
            .map(|rel| self.camera.position.alt_amsl_m - rel)
    }

    /// `base` with the horizontal position sigma replaced by the photo's RTK accuracy (the
    /// larger of the latitude and longitude standard deviations) when it reports one.
    pub fn uncertainty(&self, base: &Uncertainty) -> Uncertainty {
        match self.rtk {
            Some(r) => Uncertainty {
                horizontal_position_sigma_m: r.std_lat_m.max(r.std_lon_m),
                ..*base
            },
            None => *base,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PhotoMetaError {
    #[error("photo {file} could not be read: {reason}")]
    Read { file: String, reason: String },
    #[error("photo {file}: {source}")]
    NotJpeg { file: String, source: SegmentError },
    #[error("photo {file} has no EXIF segment (APP1 `Exif`)")]
    NoExif { file: String },
    #[error("photo {file}: {source}")]
    Exif {
        file: String,
        source: ExifParseError,
    },
    #[error("photo {file} has no XMP packet (APP1 `http://ns.adobe.com/xap/1.0/`): not a DJI photo, or its tags were stripped")]
    NoXmp { file: String },
    #[error("photo {file}: {source}")]
    Xmp { file: String, source: XmpError },
    #[error("photo {file} has no {tag} tag, needed for {needed_for}")]
    MissingTag {
        file: String,
        tag: &'static str,
        needed_for: &'static str,
    },
    #[error("photo {file}: {tag} = {value}: expected {expected}")]
    BadValue {
        file: String,
        tag: &'static str,
        value: String,
        expected: String,
    },
}

/// Reads a photo file's pose (only its header segments are parsed).
pub fn read_photo_pose(
    path: &Path,
    options: &PhotoMetaOptions,
) -> Result<PhotoPose, PhotoMetaError> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| PhotoMetaError::Read {
        file: file.clone(),
        reason: e.to_string(),
    })?;
    photo_pose(&bytes, &file, options)
}

/// The pose of a DJI photo from its JPEG bytes; `file` names it in errors.
pub fn photo_pose(
    jpeg: &[u8],
    file: &str,
    options: &PhotoMetaOptions,
) -> Result<PhotoPose, PhotoMetaError> {
    let f = || file.to_string();
    let headers =
        jpeg_headers(jpeg).map_err(|source| PhotoMetaError::NotJpeg { file: f(), source })?;
    let tiff = headers
        .exif_tiff
        .ok_or_else(|| PhotoMetaError::NoExif { file: f() })?;
    let exif =
        ExifTags::parse(tiff).map_err(|source| PhotoMetaError::Exif { file: f(), source })?;
    let xmp_bytes = headers
        .xmp
        .ok_or_else(|| PhotoMetaError::NoXmp { file: f() })?;
    let dji =
        DjiXmp::parse(xmp_bytes).map_err(|source| PhotoMetaError::Xmp { file: f(), source })?;
    pose_from_tags(&exif, &dji, headers.frame_size_px, file, options)
}

/// The pose from tags already read; `frame_size_px` is the JPEG frame header's size, if known
/// (it wins over EXIF's pixel dimensions, which editing tools leave stale).
pub fn pose_from_tags(
    exif: &ExifTags,
    dji: &DjiXmp,
    frame_size_px: Option<(u32, u32)>,
    file: &str,
    options: &PhotoMetaOptions,
) -> Result<PhotoPose, PhotoMetaError> {
    let missing = |tag: &'static str, needed_for: &'static str| PhotoMetaError::MissingTag {
        file: file.to_string(),
        tag,
        needed_for,
    };
    let bad = |tag: &'static str, value: String, expected: String| PhotoMetaError::BadValue {
        file: file.to_string(),
        tag,
        value,
        expected,
    };

    // Time.
    let local = exif
        .date_time_original
        .as_deref()
        .ok_or_else(|| missing("EXIF DateTimeOriginal", "the capture time"))?;
    let local_us = time::parse_exif_datetime_us(local, exif.sub_sec_time_original.as_deref())
        .map_err(|expected| bad("EXIF DateTimeOriginal", local.to_string(), expected))?;
    let utc_offset = match exif.offset_time_original.as_deref() {
        Some(o) => UtcOffset {
            minutes: time::parse_utc_offset_min(o)
                .map_err(|expected| bad("EXIF OffsetTimeOriginal", o.to_string(), expected))?,
            source: UtcOffsetSource::Exif,
        },
        None => UtcOffset {
            minutes: options.default_utc_offset_min,
            source: UtcOffsetSource::Assumed,
        },
    };
    let t_utc_us = local_us - i64::from(utc_offset.minutes) * 60_000_000;

    // Position.
    let lat = exif
        .gps_lat_deg
        .or(dji.gps_lat_deg)
        .ok_or_else(|| missing("EXIF GPSLatitude", "the camera position"))?;
    let lon = exif
        .gps_lon_deg
        .or(dji.gps_lon_deg)
        .ok_or_else(|| missing("EXIF GPSLongitude", "the camera position"))?;
    let (alt, altitude_source) = match (dji.absolute_altitude_m, exif.gps_alt_m) {
        (Some(a), _) => (a, AltitudeSource::DjiAbsoluteAltitude),
        (None, Some(a)) => (a, AltitudeSource::ExifGpsAltitude),
        (None, None) => {
            return Err(missing(
                "drone-dji:AbsoluteAltitude (or EXIF GPSAltitude)",
                "the camera altitude",
            ))
        }
    };
    let position = AmslPosition::new(lat, lon, alt).map_err(|e| {
        bad(
            "EXIF GPSLatitude/GPSLongitude",
            format!("{lat}, {lon}, {alt} m"),
            e.to_string(),
        )
    })?;
    if lat == 0.0 && lon == 0.0 {
        return Err(bad(
            "EXIF GPSLatitude/GPSLongitude",
            "0, 0".into(),
            "a GNSS fix (0, 0 is what DJI writes without one)".into(),
        ));
    }

    // Attitude.
    let gimbal_yaw = dji
        .gimbal_yaw_deg
        .ok_or_else(|| missing("drone-dji:GimbalYawDegree", "the camera attitude"))?;
    let gimbal_pitch = dji
        .gimbal_pitch_deg
        .ok_or_else(|| missing("drone-dji:GimbalPitchDegree", "the camera attitude"))?;
    let gimbal_roll = dji
        .gimbal_roll_deg
        .ok_or_else(|| missing("drone-dji:GimbalRollDegree", "the camera attitude"))?;
    let flight_ypr_deg = match (
        dji.flight_yaw_deg,
        dji.flight_pitch_deg,
        dji.flight_roll_deg,
    ) {
        (Some(y), Some(p), Some(r)) => Some([y, p, r]),
        _ => None,
    };
    // Without the aircraft attitude, record it level and heading where the gimbal looks: it
    // does not enter the ray (earth-frame gimbal), only the journal's camera record.
    let [fy, fp, fr] = flight_ypr_deg.unwrap_or([gimbal_yaw, 0.0, 0.0]);
    let camera = CameraPose {
        position,
        q_ned_body: Quat::from_ypr_deg(fy, fp, fr),
        mount: CameraMount::EarthFrame(Quat::from_ypr_deg(gimbal_yaw, gimbal_pitch, gimbal_roll)),
    };

    // Intrinsics.
    let (width_px, height_px) = match (frame_size_px, exif.width_px, exif.height_px) {
        (Some(s), _, _) => s,
        (None, Some(w), Some(h)) => (w, h),
        _ => {
            return Err(missing(
                "image size (JPEG frame header or EXIF PixelXDimension/PixelYDimension)",
                "the camera intrinsics",
            ))
        }
    };
    let (intrinsics, intrinsics_source) =
        intrinsics(exif, dji, width_px, height_px, options).map_err(|e| match e {
            IntrinsicsFailure::Missing => missing(
                "drone-dji:DewarpData, drone-dji:CalibratedFocalLength, EXIF FocalLength with a known Model, or EXIF FocalLengthIn35mmFilm",
                "the camera intrinsics",
            ),
            IntrinsicsFailure::Bad(tag, value, expected) => bad(tag, value, expected),
        })?;

    let rtk = match (dji.rtk_std_lat_m, dji.rtk_std_lon_m, dji.rtk_std_hgt_m) {
        (Some(lat), Some(lon), Some(hgt)) => {
            for (tag, v) in [
                ("drone-dji:RtkStdLat", lat),
                ("drone-dji:RtkStdLon", lon),
                ("drone-dji:RtkStdHgt", hgt),
            ] {
                if v < 0.0 {
                    return Err(bad(
                        tag,
                        v.to_string(),
                        "a standard deviation >= 0 m".into(),
                    ));
                }
            }
            Some(RtkAccuracy {
                flag: dji.rtk_flag,
                std_lat_m: lat,
                std_lon_m: lon,
                std_hgt_m: hgt,
            })
        }
        _ => None,
    };

    Ok(PhotoPose {
        file: file.to_string(),
        make: exif.make.clone(),
        model: exif.model.clone(),
        t_utc_us,
        utc_offset,
        camera,
        altitude_source,
        alt_rel_home_m: dji.relative_altitude_m,
        gimbal_ypr_deg: [gimbal_yaw, gimbal_pitch, gimbal_roll],
        flight_ypr_deg,
        intrinsics,
        intrinsics_source,
        rtk,
        drone_model: dji.drone_model.clone(),
        drone_serial_number: dji.drone_serial_number.clone(),
        image_source: dji.image_source.clone(),
    })
}

enum IntrinsicsFailure {
    Missing,
    Bad(&'static str, String, String),
}

fn intrinsics(
    exif: &ExifTags,
    dji: &DjiXmp,
    width_px: u32,
    height_px: u32,
    options: &PhotoMetaOptions,
) -> Result<(CameraIntrinsics, IntrinsicsSource), IntrinsicsFailure> {
    let (w, h) = (width_px as f64, height_px as f64);
    let make = |tag: &'static str, fx, fy, cx, cy, d: BrownConrady| {
        CameraIntrinsics::new(width_px, height_px, fx, fy, cx, cy, d).map_err(|e| {
            IntrinsicsFailure::Bad(
                tag,
                format!("fx {fx}, fy {fy}, cx {cx}, cy {cy}"),
                e.to_string(),
            )
        })
    };
    if let (Some(d), false) = (&dji.dewarp_data, dji.dewarp_flag == Some(1)) {
        let distortion = BrownConrady {
            k1: d.k1,
            k2: d.k2,
            k3: d.k3,
            p1: d.p1,
            p2: d.p2,
        };
        let k = make(
            "drone-dji:DewarpData",
            d.fx_px,
            d.fy_px,
            w / 2.0 + d.cx_offset_px,
            h / 2.0 + d.cy_offset_px,
            distortion,
        )?;
        return Ok((k, IntrinsicsSource::DewarpData));
    }
    if let Some(f) = dji.calibrated_focal_length_px {
        let cx = dji.calibrated_optical_center_x_px.unwrap_or(w / 2.0);
        let cy = dji.calibrated_optical_center_y_px.unwrap_or(h / 2.0);
        let k = make(
            "drone-dji:CalibratedFocalLength",
            f,
            f,
            cx,
            cy,
            BrownConrady::NONE,
        )?;
        return Ok((k, IntrinsicsSource::CalibratedFocalLength));
    }
    if let (Some(model), Some(f_mm)) = (&exif.model, exif.focal_length_mm) {
        let spec = DJI_MODELS
            .iter()
            .filter(|(m, _)| m.eq_ignore_ascii_case(model.trim()))
            .filter_map(|(_, name)| options.cameras.find(name).ok())
            .chain(options.cameras.find(model).ok())
            .find(|s| (s.focal_length_mm - f_mm).abs() <= 0.05 * s.focal_length_mm);
        if let Some(spec) = spec {
            // The sensor's width spans the photo's width (DJI crops 16:9 from the top and
            // bottom, not the sides).
            let f_px = f_mm * w / spec.sensor_width_mm;
            let k = make(
                "EXIF FocalLength",
                f_px,
                f_px,
                w / 2.0,
                h / 2.0,
                BrownConrady::NONE,
            )?;
            return Ok((
                k,
                IntrinsicsSource::CameraDatabase {
                    camera: spec.name.clone(),
                },
            ));
        }
    }
    if let Some(f35) = exif.focal_length_35mm_equiv_mm {
        let f_px = f35 * w.hypot(h) / FULL_FRAME_DIAGONAL_MM;
        let k = make(
            "EXIF FocalLengthIn35mmFilm",
            f_px,
            f_px,
            w / 2.0,
            h / 2.0,
            BrownConrady::NONE,
        )?;
        return Ok((k, IntrinsicsSource::FocalLength35mm));
    }
    Err(IntrinsicsFailure::Missing)
}
