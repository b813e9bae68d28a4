//! Post-flight batch: a DJI SD card's photos through the [`Pipeline`], in capture order, into
//! the same flight folder a live patrol writes.
//!
//! [`scan_folder`] reads each JPEG's pose from its own tags ([`crate::photo_meta`]), decides
//! which are processed (not thermal R-JPEGs: see [`dji_name`]) and gives every photo its frame
//! key from the flight's order. [`run_scan`] then journals a skip record for each photo not
//! processed, puts the others into the flight folder's `frames/` under their keys (a hard
//! link, or a copy) and processes them. `companion batch` journals the flight header first
//! ([`Scan::header`]: the aircraft and camera from the photos' EXIF `Make`/`Model` and
//! `drone-dji:` tags, [`FlightSource::Batch`]) and writes the exports, as the live service
//! does. Review reads the folder as it reads a live one; with no telemetry log it draws the
//! flown track from the photos' positions.
//!
//! One bad photo never stops the batch: a photo without usable pose tags, one that does not
//! decode, or one the pipeline refuses is skipped, journaled with its reason, and reported
//! through the progress callback and in the [`BatchSummary`]. Only a record sink that cannot
//! take records (the journal's disk is gone) or a frame that cannot be put into the folder
//! ends the batch with an error. [`run_batch`] is the same without a flight folder: records
//! name the photos where they are.
//!
//! # Terrain
//!
//! By default ([`BatchTerrain::TakeoffGround`]) the ground is flat at the take-off point's
//! height, `AbsoluteAltitude - RelativeAltitude` of each photo, median over the batch (robust
//! to a few photos with a glitched barometer). See [`crate::photo_meta`] on why this gives the
//! right height above ground even when DJI's AbsoluteAltitude is biased.
//!
//! # Overlap
//!
//! A second thread reads, decodes and letterboxes photo `i + 1` while the calling thread runs
//! inference, geotagging and the sink on photo `i` ([`process_overlapped`]). On a two-core
//! companion with a one-thread inference session this hides the JPEG decode (the largest
//! non-inference stage) behind the model.
//!
//! ```no_run
//! use companion::batch::{run_batch, BatchOptions, BatchProgressBar};
//! use companion::detect::{Detector, DetectorConfig};
//! use companion::fusion::{Fusion, FusionSettings};
//! use companion::pipeline::Pipeline;
//! use companion::record::Record;
//! use companion::Findings;
//! use qly_core::geotag::Uncertainty;
//! use qly_core::terrain::FlatGround;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let detector = Detector::new(&DetectorConfig::new("models/outfall.onnx"))?;
//! let findings = Findings::new(
//!     Fusion::new(FusionSettings::default(), None)?,
//!     // Replaced by the take-off ground (BatchTerrain::TakeoffGround, the default).
//!     Box::new(FlatGround { height_amsl_m: 0.0 }),
//!     Uncertainty { horizontal_position_sigma_m: 1.5, altitude_sigma_m: 1.0,
//!                   roll_pitch_sigma_deg: 0.5, heading_sigma_deg: 1.0, pixel_sigma_px: 2.0 },
//! );
//! let mut pipeline = Pipeline::new(detector, findings);
//! let mut records: Vec<Record> = Vec::new(); // the journal in the service
//! let mut bar = BatchProgressBar::new();
//! let summary = run_batch(
//!     "flight/DCIM/100MEDIA".as_ref(),
//!     &BatchOptions::default(),
//!     &mut pipeline,
//!     &mut records,
//!     |p| bar.update(&p),
//! )?;
//! bar.finish();
//! println!("{} of {} photos, {} skipped, {} candidates",
//!          summary.processed, summary.photos, summary.skipped.len(), summary.candidates);
//! # Ok(())
//! # }
//! ```

pub mod dji_name;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use image::RgbImage;
use indicatif::{ProgressBar, ProgressStyle};
use ndarray::Array4;
use qly_core::geotag::{CameraPose, Uncertainty};
use qly_core::intrinsics::CameraIntrinsics;
use qly_core::terrain::FlatGround;

use crate::detect::letterbox::{letterbox_nchw, Letterbox};
use crate::detect::{decode_jpeg, DetectError, Detection, Normalisation};
use crate::findings::{FrameMeta, FrameOutcome};
use crate::photo_meta::{self, PhotoMetaError, PhotoMetaOptions, PhotoPose, UtcOffsetSource};
use crate::pipeline::{PhotoIn, Pipeline, PipelineError, StageTimes};
use crate::record::{FrameKey, FrameSkipRecord, Record, RecordSink, SinkError, SkipReason};
use dji_name::{DjiLens, DjiName};
use qly_flight::folder::FlightFolder;
use qly_flight::header::{CameraInfo, FlightHeader, FlightSource, ModelInfo, VehicleInfo};

/// Which ground the batch geotags on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BatchTerrain {
    /// Flat at the take-off ground derived from the photos (median over the batch).
    TakeoffGround,
    /// Flat at this height above mean sea level, metres.
    FlatAmsl(f64),
    /// Whatever terrain the pipeline's findings were built with (e.g. an elevation model).
    Pipeline,
}

/// How a batch runs.
#[derive(Debug, Clone)]
pub struct BatchOptions {
    pub meta: PhotoMetaOptions,
    pub terrain: BatchTerrain,
    /// Use each photo's RTK standard deviation as the horizontal position sigma.
    pub rtk_uncertainty: bool,
    /// Decode the next photo on a second thread while this one is inferred.
    pub overlap: bool,
}

impl Default for BatchOptions {
    fn default() -> BatchOptions {
        BatchOptions {
            meta: PhotoMetaOptions::default(),
            terrain: BatchTerrain::TakeoffGround,
            rtk_uncertainty: true,
            overlap: true,
        }
    }
}

/// At which step a photo was given up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipStage {
    /// Its kind: a thermal photo (by its DJI name or its `drone-dji:ImageSource`).
    PhotoKind,
    /// Reading its pose tags.
    Metadata,
    /// Reading or decoding the JPEG.
    Decode,
    /// Detection or findings.
    Processing,
}

/// A photo the batch could not use.
#[derive(Debug, Clone, PartialEq)]
pub struct Skipped {
    pub file: String,
    pub stage: SkipStage,
    /// Why, as the journal's skip record counts it.
    pub cause: SkipReason,
    /// The particulars, for people.
    pub reason: String,
}

/// What happened to one photo.
#[derive(Debug, Clone, PartialEq)]
pub enum PhotoStatus {
    Processed { detections: u32, sightings: u32 },
    Skipped(Skipped),
}

/// Reported after each photo (and after each photo skipped while reading tags).
#[derive(Debug, Clone, PartialEq)]
pub struct BatchProgress {
    /// Photos dealt with so far, this one included.
    pub done: usize,
    /// JPEG files in the folder.
    pub total: usize,
    pub file: String,
    pub status: PhotoStatus,
}

/// What a batch did.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BatchSummary {
    /// JPEG files in the folder.
    pub photos: usize,
    pub processed: usize,
    pub skipped: Vec<Skipped>,
    pub detections: u64,
    pub sightings: u64,
    /// Candidates the findings hold at the end.
    pub candidates: usize,
    /// The flat ground used, metres AMSL (`None` with [`BatchTerrain::Pipeline`]).
    pub ground_amsl_m: Option<f64>,
    /// Photos whose UTC offset was assumed (no `OffsetTimeOriginal`).
    pub utc_offset_assumed: usize,
    /// Per-stage times summed over the processed photos (decode and letterbox ran on the
    /// second thread when overlapped).
    pub times: StageTimes,
    /// Reading pose tags of all photos.
    pub metadata_time: Duration,
    /// Wall time of the whole batch.
    pub wall_time: Duration,
}

impl BatchSummary {
    /// The skipped photos counted by reason.
    pub fn skipped_by_reason(&self) -> BTreeMap<SkipReason, usize> {
        let mut by = BTreeMap::new();
        for s in &self.skipped {
            *by.entry(s.cause).or_default() += 1;
        }
        by
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error("photo folder {dir} could not be listed: {reason}")]
    ReadDir { dir: PathBuf, reason: String },
    #[error("no photo in {dir} has drone-dji:RelativeAltitude with an altitude, so the take-off ground is unknown; give the ground height (BatchTerrain::FlatAmsl)")]
    NoTakeoffGround { dir: PathBuf },
    #[error("the pipeline's findings already hold {candidates} candidates; a batch that sets the terrain needs fresh findings (or BatchTerrain::Pipeline)")]
    FindingsNotFresh { candidates: usize },
    #[error("the record sink refused the records of {file}: {source}")]
    Sink { file: String, source: SinkError },
    #[error("the decode thread stopped unexpectedly")]
    DecodeThread,
    #[error("photo {from} could not be put into the flight folder as {to}: {reason}")]
    Frame {
        from: PathBuf,
        to: PathBuf,
        reason: String,
    },
}

/// The JPEG files of a folder (`.jpg`/`.jpeg`, any case), not recursing, sorted by name.
pub fn list_jpegs(dir: &Path) -> Result<Vec<PathBuf>, BatchError> {
    let err = |e: std::io::Error| BatchError::ReadDir {
        dir: dir.to_path_buf(),
        reason: e.to_string(),
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(err)? {
        let path = entry.map_err(err)?.path();
        let is_jpeg = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("jpg") || e.eq_ignore_ascii_case("jpeg"));
        if is_jpeg && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// The header segments hold the tags; 512 KiB covers DJI's (EXIF with its thumbnail, XMP)
/// without reading the image data. Longer headers are read whole.
const HEADER_PREFIX_BYTES: u64 = 512 * 1024;

fn read_pose(path: &Path, options: &PhotoMetaOptions) -> Result<PhotoPose, PhotoMetaError> {
    use std::io::Read;
    let file = path.display().to_string();
    let read_err = |e: std::io::Error| PhotoMetaError::Read {
        file: file.clone(),
        reason: e.to_string(),
    };
    let mut prefix = Vec::new();
    std::fs::File::open(path)
        .map_err(read_err)?
        .take(HEADER_PREFIX_BYTES)
        .read_to_end(&mut prefix)
        .map_err(read_err)?;
    match photo_meta::photo_pose(&prefix, &file, options) {
        Err(PhotoMetaError::NotJpeg {
            source: photo_meta::SegmentError::Truncated { .. },
            ..
        }) if prefix.len() as u64 == HEADER_PREFIX_BYTES => {
            photo_meta::read_photo_pose(path, options)
        }
        other => other,
    }
}

/// The median of the values (mean of the middle two for an even count); `None` if empty.
pub fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    Some(if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    })
}

/// Where a frame's JPEG comes from.
#[derive(Debug, Clone)]
pub enum JpegSource {
    File(PathBuf),
    Bytes(Arc<[u8]>),
}

/// One photo to process, with its pose.
#[derive(Debug, Clone)]
pub struct FrameJob {
    pub image_index: u64,
    pub file: String,
    pub jpeg: JpegSource,
    pub t_utc_us: i64,
    pub pose: CameraPose,
    pub intrinsics: CameraIntrinsics,
    /// The uncertainty for this photo; `None` keeps the findings' current one.
    pub uncertainty: Option<Uncertainty>,
}

/// One photo's result as [`process_overlapped`] reports it.
#[derive(Debug)]
pub enum FrameResult<'a> {
    Processed {
        outcome: &'a FrameOutcome,
        times: &'a StageTimes,
    },
    Skipped(Skipped),
}

/// A decoded and letterboxed photo (made on the decode thread).
struct Prepared {
    image: RgbImage,
    input: Array4<f32>,
    geometry: Letterbox,
    decode: Duration,
    preprocess: Duration,
}

fn prepare(
    job: &FrameJob,
    input_size: (u32, u32),
    normalisation: &Normalisation,
) -> Result<Prepared, String> {
    let t = Instant::now();
    let image = match &job.jpeg {
        JpegSource::File(path) => {
            let bytes = std::fs::read(path)
                .map_err(|e| format!("photo {} could not be read: {e}", path.display()))?;
            decode_jpeg(&bytes, &job.file)
        }
        JpegSource::Bytes(bytes) => decode_jpeg(bytes, &job.file),
    }
    .map_err(|e| e.to_string())?;
    let decode = t.elapsed();
    if image.width() == 0 || image.height() == 0 {
        return Err(format!(
            "photo {} is empty ({}x{} px)",
            job.file,
            image.width(),
            image.height()
        ));
    }
    let t = Instant::now();
    let geometry = Letterbox::new(image.width(), image.height(), input_size.0, input_size.1);
    let input = letterbox_nchw(&image, &geometry, normalisation);
    Ok(Prepared {
        image,
        input,
        geometry,
        decode,
        preprocess: t.elapsed(),
    })
}

/// Detection and findings on a prepared photo; tiled photos go through the detector's own
/// tiling.
fn finish(
    pipeline: &mut Pipeline,
    job: &FrameJob,
    prepared: &Prepared,
    times: &mut StageTimes,
) -> Result<FrameOutcome, PipelineError> {
    if let Some(u) = job.uncertainty {
        pipeline.findings_mut().set_uncertainty(u);
    }
    let photo = PhotoIn {
        boot: 0,
        image_index: job.image_index,
        file: &job.file,
        jpeg: &[],
        t_utc_us: job.t_utc_us,
        t_boot_ms: None,
        pose: &job.pose,
        intrinsics: &job.intrinsics,
    };
    if pipeline.detector().tiles(&prepared.image) {
        return pipeline.process_image(&photo, &prepared.image, times);
    }
    let detector = pipeline.detector_mut();
    let t = Instant::now();
    let raw = detector.infer(&prepared.input)?;
    times.inference = t.elapsed();
    let t = Instant::now();
    let candidates = detector.decode(&raw, &prepared.geometry)?;
    let detections: Vec<Detection> = detector.suppress(candidates, false);
    times.postprocess = t.elapsed();
    let t = Instant::now();
    let meta = FrameMeta {
        boot: 0,
        image_index: job.image_index,
        file: job.file.clone(),
        t_utc_us: job.t_utc_us,
        t_boot_ms: None,
        width_px: prepared.image.width(),
        height_px: prepared.image.height(),
    };
    let outcome =
        pipeline
            .findings_mut()
            .add_frame(&meta, &job.pose, &job.intrinsics, &detections)?;
    times.findings = t.elapsed();
    Ok(outcome)
}

/// The journal's record of a skipped photo.
fn skip_record(image_index: u64, s: &Skipped) -> Record {
    Record::FrameSkipped(FrameSkipRecord {
        boot: 0,
        image_index,
        file: Some(s.file.clone()),
        reason: s.cause,
        detail: s.reason.clone(),
    })
}

/// Processes `jobs` in order: decode and letterbox (on a second thread when `overlap`),
/// inference, decoding, NMS, findings, then every record of the frame into `sink`. A photo
/// that fails is journaled as skipped (a frame-skipped record into `sink`) and reported
/// through `on_frame`; a sink error ends the run. Returns the summed stage times of the
/// processed photos.
pub fn process_overlapped(
    jobs: &[FrameJob],
    overlap: bool,
    pipeline: &mut Pipeline,
    sink: &mut dyn RecordSink,
    mut on_frame: impl FnMut(&FrameJob, FrameResult<'_>),
) -> Result<StageTimes, BatchError> {
    let meta = pipeline.detector().metadata();
    let input_size = (meta.input_width_px, meta.input_height_px);
    let normalisation = meta.normalisation;
    let mut total = StageTimes::default();
    let mut handle = |job: &FrameJob,
                      prepared: Result<Prepared, String>,
                      pipeline: &mut Pipeline|
     -> Result<(), BatchError> {
        let mut skip = |skipped: Skipped| -> Result<(), BatchError> {
            sink.append(&skip_record(job.image_index, &skipped))
                .map_err(|source| BatchError::Sink {
                    file: job.file.clone(),
                    source,
                })?;
            on_frame(job, FrameResult::Skipped(skipped));
            Ok(())
        };
        let prepared = match prepared {
            Ok(p) => p,
            Err(reason) => {
                return skip(Skipped {
                    file: job.file.clone(),
                    stage: SkipStage::Decode,
                    cause: SkipReason::CorruptFile,
                    reason,
                });
            }
        };
        let mut times = StageTimes {
            jpeg_decode: prepared.decode,
            preprocess: prepared.preprocess,
            ..StageTimes::default()
        };
        match finish(pipeline, job, &prepared, &mut times) {
            Ok(outcome) => {
                let t = Instant::now();
                for record in outcome.records() {
                    sink.append(&record).map_err(|source| BatchError::Sink {
                        file: job.file.clone(),
                        source,
                    })?;
                }
                // The sink is part of the findings stage's cost.
                times.findings += t.elapsed();
                total.add(&times);
                on_frame(
                    job,
                    FrameResult::Processed {
                        outcome: &outcome,
                        times: &times,
                    },
                );
            }
            Err(e) => {
                // As the live worker counts them: a photo that does not decode is corrupt,
                // one the findings refuse is not processed.
                let cause = match &e {
                    PipelineError::Detect(
                        DetectError::Decode(_)
                        | DetectError::Photo(_)
                        | DetectError::EmptyImage { .. },
                    ) => SkipReason::CorruptFile,
                    _ => SkipReason::NotProcessed,
                };
                skip(Skipped {
                    file: job.file.clone(),
                    stage: SkipStage::Processing,
                    cause,
                    reason: e.to_string(),
                })?;
            }
        }
        Ok(())
    };
    if !overlap {
        for job in jobs {
            handle(job, prepare(job, input_size, &normalisation), pipeline)?;
        }
    } else {
        std::thread::scope(|scope| {
            // One photo in flight beyond the one being inferred: enough to hide decoding, and
            // memory stays at three decoded photos.
            let (tx, rx) = mpsc::sync_channel::<Result<Prepared, String>>(1);
            scope.spawn(move || {
                for job in jobs {
                    if tx.send(prepare(job, input_size, &normalisation)).is_err() {
                        return; // the consumer stopped (sink error)
                    }
                }
            });
            for job in jobs {
                let prepared = rx.recv().map_err(|_| BatchError::DecodeThread)?;
                handle(job, prepared, pipeline)?;
            }
            Ok::<(), BatchError>(())
        })?;
    }
    Ok(total)
}

/// One JPEG of the folder, with its place in the flight.
#[derive(Debug, Clone)]
pub struct ScannedPhoto {
    /// Boot 0, and the photo's position in the flight's order (see [`scan_folder`]).
    pub key: FrameKey,
    pub path: PathBuf,
    /// What its DJI file name says, if it has one.
    pub dji_name: Option<DjiName>,
    /// Its tags, when they could be read (a thermal photo's too: they give its time).
    pub pose: Option<PhotoPose>,
    /// Why it is not processed, if it is not.
    pub skipped: Option<Skipped>,
}

impl ScannedPhoto {
    /// The pose of a photo to process.
    pub fn processed_pose(&self) -> Option<&PhotoPose> {
        self.pose.as_ref().filter(|_| self.skipped.is_none())
    }
}

/// A photo folder read: every JPEG in the flight's order.
#[derive(Debug, Clone)]
pub struct Scan {
    pub dir: PathBuf,
    pub photos: Vec<ScannedPhoto>,
    /// Reading the tags of all photos.
    pub metadata_time: Duration,
}

/// Why a photo whose tags could not be read is skipped: a file that is not a readable JPEG is
/// corrupt, a JPEG without usable tags has no metadata.
fn metadata_cause(e: &PhotoMetaError) -> SkipReason {
    match e {
        PhotoMetaError::Read { .. } | PhotoMetaError::NotJpeg { .. } => SkipReason::CorruptFile,
        _ => SkipReason::NoMetadata,
    }
}

/// Lists the JPEGs of `dir`, reads their tags, decides which are processed and puts them in
/// the flight's order.
///
/// - Thermal photos (DJI name `_T`, or `drone-dji:ImageSource` `InfraredCamera`) are skipped:
///   the detector takes visible-light photos. Wide (`_W`), visible (`_V`, some aircraft's
///   wide camera), zoom (`_Z`) and any other JPEG with usable tags are processed.
/// - Order: capture time (UTC, from the tags); then DJI capture number; then lens (wide,
///   visible, zoom, thermal: the photos of one shutter press share time and number); then
///   file name. Photos whose tags could not be read have no time and come last, by name.
/// - Keys: boot 0, image index = position in that order, from 0. Every file, processed or
///   skipped, gets one: unique within the flight, and the same every time the folder is read.
pub fn scan_folder(dir: &Path, options: &PhotoMetaOptions) -> Result<Scan, BatchError> {
    let files = list_jpegs(dir)?;
    let t = Instant::now();
    let mut photos: Vec<ScannedPhoto> = files
        .into_iter()
        .map(|path| {
            let file = path.display().to_string();
            let dji_name = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(DjiName::parse);
            let (pose, mut skipped) = match read_pose(&path, options) {
                Ok(p) => (Some(p), None),
                Err(e) => (
                    None,
                    Some(Skipped {
                        file: file.clone(),
                        stage: SkipStage::Metadata,
                        cause: metadata_cause(&e),
                        reason: e.to_string(),
                    }),
                ),
            };
            let thermal_name = dji_name.as_ref().is_some_and(|n| !n.lens.processed());
            let thermal_tag = pose.as_ref().is_some_and(|p| p.is_thermal());
            if thermal_name || thermal_tag {
                let by = if thermal_name {
                    "its DJI name ends in _T"
                } else {
                    "drone-dji:ImageSource is InfraredCamera"
                };
                skipped = Some(Skipped {
                    file,
                    stage: SkipStage::PhotoKind,
                    cause: SkipReason::ThermalPhoto,
                    reason: format!("thermal R-JPEG: {by}"),
                });
            }
            ScannedPhoto {
                key: FrameKey::first_boot(0),
                path,
                dji_name,
                pose,
                skipped,
            }
        })
        .collect();
    let metadata_time = t.elapsed();
    photos.sort_by(|a, b| {
        let order = |p: &ScannedPhoto| {
            (
                p.pose.as_ref().map(|p| p.t_utc_us).unwrap_or(i64::MAX),
                p.dji_name.as_ref().map_or(u32::MAX, |n| n.capture_number),
                p.dji_name.as_ref().map_or(DjiLens::Unnamed, |n| n.lens),
            )
        };
        order(a).cmp(&order(b)).then_with(|| a.path.cmp(&b.path))
    });
    for (i, p) in photos.iter_mut().enumerate() {
        p.key = FrameKey::first_boot(i as u64);
    }
    Ok(Scan {
        dir: dir.to_path_buf(),
        photos,
        metadata_time,
    })
}

impl Scan {
    /// The photos to process.
    pub fn processed(&self) -> impl Iterator<Item = &ScannedPhoto> {
        self.photos.iter().filter(|p| p.processed_pose().is_some())
    }

    /// The aircraft and camera the photos name, for the flight header: the aircraft from
    /// `drone-dji:DroneSerialNumber` (else `DroneModel`, else EXIF `Model`) and EXIF `Make`;
    /// the camera is the calibration of the first processed photo of the main camera (wide or
    /// visible; the zoom camera's when there is no other). `None` when no photo is processed.
    pub fn aircraft(&self) -> Option<(VehicleInfo, CameraInfo)> {
        let main = self
            .processed()
            .find(|p| p.dji_name.as_ref().is_none_or(|n| n.lens != DjiLens::Zoom))
            .or_else(|| self.processed().next())?;
        let pose = main.processed_pose()?;
        let poses: Vec<&PhotoPose> = self.photos.iter().filter_map(|p| p.pose.as_ref()).collect();
        let first = |f: fn(&PhotoPose) -> Option<&String>| poses.iter().find_map(|p| f(p)).cloned();
        let make = first(|p| p.make.as_ref()).unwrap_or_default();
        let model = first(|p| p.drone_model.as_ref()).or_else(|| first(|p| p.model.as_ref()));
        let id = match (first(|p| p.drone_serial_number.as_ref()), &model) {
            (Some(serial), _) => serial,
            (None, Some(m)) => format!("{} {m}", make.trim()).trim().to_string(),
            (None, None) => "unknown DJI aircraft".to_string(),
        };
        let mut cameras: Vec<String> = Vec::new();
        for p in self.processed() {
            let Some(pp) = p.processed_pose() else {
                continue;
            };
            let c = format!(
                "{} {}",
                pp.model.as_deref().unwrap_or("?"),
                p.dji_name.as_ref().map_or("-", |n| n.lens.letter())
            );
            if !cameras.contains(&c) {
                cameras.push(c);
            }
        }
        let description = format!(
            "{} {}; cameras (EXIF Model, lens): {}",
            make.trim(),
            model.as_deref().unwrap_or("(model not written)"),
            cameras.join(", ")
        );
        let camera_name = match &pose.intrinsics_source {
            photo_meta::IntrinsicsSource::CameraDatabase { camera } => camera.clone(),
            _ => format!(
                "{} {}",
                pose.model.as_deref().unwrap_or("DJI camera"),
                main.dji_name.as_ref().map_or("-", |n| n.lens.letter())
            ),
        };
        Some((
            VehicleInfo { id, description },
            CameraInfo::from_intrinsics(&camera_name, &pose.intrinsics),
        ))
    }

    /// The flight header of a batch: the aircraft and camera the photos name ([`Scan::aircraft`]),
    /// the detector and the confirmation rule. `None` when no photo is processed.
    pub fn header(
        &self,
        model: ModelInfo,
        min_sightings: u32,
        software: String,
    ) -> Option<FlightHeader> {
        let (vehicle, camera) = self.aircraft()?;
        Some(FlightHeader::new(
            FlightSource::Batch,
            vehicle,
            camera,
            model,
            min_sightings,
            software,
        ))
    }
}

/// Puts a photo into the flight folder: a hard link when the folder is on the same disk
/// (instant, no space), else a copy. An older file of that name (an earlier, interrupted
/// batch) is replaced.
fn place_frame(from: &Path, to: &Path) -> Result<(), BatchError> {
    let err = |e: std::io::Error| BatchError::Frame {
        from: from.to_path_buf(),
        to: to.to_path_buf(),
        reason: e.to_string(),
    };
    match std::fs::remove_file(to) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(err(e)),
    }
    if std::fs::hard_link(from, to).is_ok() {
        return Ok(());
    }
    std::fs::copy(from, to).map(|_| ()).map_err(err)
}

/// Processes every JPEG in `dir` (see the module doc and [`scan_folder`]), putting each
/// frame's records (and a skip record for each photo not processed) into `sink` and
/// reporting each photo to `progress`. Records name the photos where they are.
pub fn run_batch(
    dir: &Path,
    options: &BatchOptions,
    pipeline: &mut Pipeline,
    sink: &mut dyn RecordSink,
    progress: impl FnMut(BatchProgress),
) -> Result<BatchSummary, BatchError> {
    let started = Instant::now();
    let scan = scan_folder(dir, &options.meta)?;
    run_scan(&scan, None, options, pipeline, sink, progress, started)
}

/// Processes a scanned folder. With `folder`, each processed photo is put into its
/// `frames/` under its key, as a live patrol's camera writes it, and records name it there;
/// the caller has journaled the header. `started` is when the batch began (for the wall time).
pub fn run_scan(
    scan: &Scan,
    folder: Option<&FlightFolder>,
    options: &BatchOptions,
    pipeline: &mut Pipeline,
    sink: &mut dyn RecordSink,
    mut progress: impl FnMut(BatchProgress),
    started: Instant,
) -> Result<BatchSummary, BatchError> {
    let total = scan.photos.len();
    let mut summary = BatchSummary {
        photos: total,
        metadata_time: scan.metadata_time,
        ..BatchSummary::default()
    };
    let mut done = 0;

    // Photos skipped before processing: journaled and reported first.
    for p in &scan.photos {
        let Some(skipped) = &p.skipped else { continue };
        sink.append(&skip_record(p.key.image_index, skipped))
            .map_err(|source| BatchError::Sink {
                file: skipped.file.clone(),
                source,
            })?;
        summary.skipped.push(skipped.clone());
        done += 1;
        progress(BatchProgress {
            done,
            total,
            file: skipped.file.clone(),
            status: PhotoStatus::Skipped(skipped.clone()),
        });
    }
    let processed: Vec<(&ScannedPhoto, &PhotoPose)> = scan
        .photos
        .iter()
        .filter_map(|p| p.processed_pose().map(|pose| (p, pose)))
        .collect();
    summary.utc_offset_assumed = processed
        .iter()
        .filter(|(_, p)| p.utc_offset.source == UtcOffsetSource::Assumed)
        .count();

    // Terrain.
    let ground = match options.terrain {
        BatchTerrain::Pipeline => None,
        BatchTerrain::FlatAmsl(h) => Some(h),
        BatchTerrain::TakeoffGround => {
            let mut grounds: Vec<f64> = processed
                .iter()
                .filter_map(|(_, p)| p.takeoff_ground_amsl_m())
                .collect();
            match median(&mut grounds) {
                Some(h) => Some(h),
                None if processed.is_empty() => None,
                None => {
                    return Err(BatchError::NoTakeoffGround {
                        dir: scan.dir.clone(),
                    })
                }
            }
        }
    };
    if let Some(h) = ground {
        let findings = pipeline.findings();
        let candidates = findings.fusion().candidates().len();
        if candidates > 0 {
            return Err(BatchError::FindingsNotFresh { candidates });
        }
        pipeline
            .findings_mut()
            .set_terrain(Box::new(FlatGround { height_amsl_m: h }));
    }
    summary.ground_amsl_m = ground;

    // Photos.
    let base = *pipeline.findings().uncertainty();
    let mut jobs: Vec<FrameJob> = Vec::with_capacity(processed.len());
    for (photo, p) in &processed {
        let (file, path) = match folder {
            Some(f) => {
                let to = f.frame(photo.key);
                place_frame(&photo.path, &to)?;
                (f.record_name(&to), to)
            }
            None => (p.file.clone(), photo.path.clone()),
        };
        jobs.push(FrameJob {
            image_index: photo.key.image_index,
            file,
            jpeg: JpegSource::File(path),
            t_utc_us: p.t_utc_us,
            pose: p.camera,
            intrinsics: p.intrinsics,
            uncertainty: Some(if options.rtk_uncertainty {
                p.uncertainty(&base)
            } else {
                base
            }),
        });
    }
    // A photo skipped once in the flight folder is reported by its name on the card.
    let sources: BTreeMap<u64, &Path> = processed
        .iter()
        .map(|(photo, _)| (photo.key.image_index, photo.path.as_path()))
        .collect();
    let times = process_overlapped(&jobs, options.overlap, pipeline, sink, |job, result| {
        done += 1;
        let result = match result {
            FrameResult::Skipped(mut s) if folder.is_some() => {
                if let Some(source) = sources.get(&job.image_index) {
                    s.reason = format!("{} (in the flight folder as {})", s.reason, s.file);
                    s.file = source.display().to_string();
                }
                FrameResult::Skipped(s)
            }
            other => other,
        };
        let status = match result {
            FrameResult::Processed { outcome, .. } => {
                summary.processed += 1;
                summary.detections += u64::from(outcome.frame.detections);
                summary.sightings += u64::from(outcome.frame.sightings);
                PhotoStatus::Processed {
                    detections: outcome.frame.detections,
                    sightings: outcome.frame.sightings,
                }
            }
            FrameResult::Skipped(s) => {
                summary.skipped.push(s.clone());
                PhotoStatus::Skipped(s)
            }
        };
        progress(BatchProgress {
            done,
            total,
            file: job.file.clone(),
            status,
        });
    })?;
    pipeline.findings_mut().set_uncertainty(base);
    summary.times = times;
    summary.candidates = pipeline.findings().fusion().candidates().len();
    summary.wall_time = started.elapsed();
    Ok(summary)
}

/// A terminal progress bar for [`run_batch`]'s `progress` (the `companion batch` command):
/// photos done of the total, skipped count, and each skipped photo's reason printed on
/// standard output (above the bar on a terminal).
pub struct BatchProgressBar {
    bar: Option<ProgressBar>,
    skipped: usize,
}

impl Default for BatchProgressBar {
    fn default() -> Self {
        BatchProgressBar::new()
    }
}

impl BatchProgressBar {
    pub fn new() -> BatchProgressBar {
        BatchProgressBar {
            bar: None,
            skipped: 0,
        }
    }

    /// Takes one progress report; the bar appears with the first.
    pub fn update(&mut self, p: &BatchProgress) {
        let bar = self.bar.get_or_insert_with(|| {
            let bar = ProgressBar::new(p.total as u64);
            if let Ok(style) = ProgressStyle::with_template(
                "{bar:40} {pos}/{len} photos {elapsed_precise} (eta {eta}) {msg}",
            ) {
                bar.set_style(style);
            }
            bar
        });
        if let PhotoStatus::Skipped(s) = &p.status {
            self.skipped += 1;
            // On standard output whether or not it is a terminal (a hidden bar's `println`
            // prints nothing): an operator who pipes the output to a file still reads
            // every skip.
            let line = format!("skipped {}: {}: {}", s.file, s.cause.describe(), s.reason);
            bar.suspend(|| println!("{line}"));
            bar.set_message(format!("{} skipped", self.skipped));
        }
        bar.set_position(p.done as u64);
    }

    /// Ends the bar, leaving it on screen.
    pub fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_pass_letterbox_equals_the_detectors_two_pass_one() {
        use crate::detect::letterbox::{letterbox, to_nchw};
        let image = RgbImage::from_fn(517, 301, |x, y| {
            image::Rgb([(x * 7 + y) as u8, (x ^ y) as u8, (y * 3) as u8])
        });
        let norms = [
            Normalisation::default(),
            Normalisation {
                mean_rgb: [0.485, 0.456, 0.406],
                std_rgb: [0.229, 0.224, 0.225],
            },
        ];
        for norm in &norms {
            for (iw, ih) in [(320, 320), (640, 480), (160, 256), (517, 301), (1024, 1024)] {
                let g = Letterbox::new(517, 301, iw, ih);
                let want = to_nchw(&letterbox(&image, &g), norm);
                let got = letterbox_nchw(&image, &g, norm);
                assert_eq!(got, want, "{iw}x{ih}");
            }
        }
    }

    #[test]
    fn median_is_robust_to_an_outlier() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [3.0, 1.0, 1000.0]), Some(3.0));
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), Some(2.5));
    }

    #[test]
    fn lists_only_jpegs_sorted() {
        let dir = std::env::temp_dir().join(format!("qly-batch-list-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for name in ["b.JPG", "a.jpeg", "c.png", "notes.txt"] {
            std::fs::write(dir.join(name), b"x").unwrap();
        }
        let names: Vec<String> = list_jpegs(&dir)
            .unwrap()
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["a.jpeg", "b.JPG"]);
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(matches!(list_jpegs(&dir), Err(BatchError::ReadDir { .. })));
    }
}
