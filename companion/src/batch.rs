//! Post-flight batch: every DJI photo of a folder through the [`Pipeline`], in capture order.
//!
//! [`run_batch`] reads each JPEG's pose from its own tags ([`crate::photo_meta`]), sorts the
//! usable photos by capture time, then name (`image_index` is the position in that order),
//! and processes them. One bad photo never stops the batch: a photo without usable pose tags,
//! one that does not decode, or one the pipeline refuses is skipped, counted, and reported
//! with its reason through the progress callback and in the [`BatchSummary`]. Only a record
//! sink that cannot take records (the journal's disk is gone) ends the batch with an error.
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
use crate::detect::{decode_jpeg, Detection, Normalisation};
use crate::findings::{FrameMeta, FrameOutcome};
use crate::photo_meta::{self, PhotoMetaError, PhotoMetaOptions, PhotoPose, UtcOffsetSource};
use crate::pipeline::{PhotoIn, Pipeline, PipelineError, StageTimes};
use crate::record::{RecordSink, SinkError};

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

/// Processes `jobs` in order: decode and letterbox (on a second thread when `overlap`),
/// inference, decoding, NMS, findings, then every record of the frame into `sink`. A photo
/// that fails is reported as skipped through `on_frame`; a sink error ends the run. Returns
/// the summed stage times of the processed photos.
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
        let prepared = match prepared {
            Ok(p) => p,
            Err(reason) => {
                on_frame(
                    job,
                    FrameResult::Skipped(Skipped {
                        file: job.file.clone(),
                        stage: SkipStage::Decode,
                        reason,
                    }),
                );
                return Ok(());
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
            Err(e) => on_frame(
                job,
                FrameResult::Skipped(Skipped {
                    file: job.file.clone(),
                    stage: SkipStage::Processing,
                    reason: e.to_string(),
                }),
            ),
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

/// Processes every JPEG in `dir` (see the module doc), putting each frame's records into
/// `sink` and reporting each photo to `progress`.
pub fn run_batch(
    dir: &Path,
    options: &BatchOptions,
    pipeline: &mut Pipeline,
    sink: &mut dyn RecordSink,
    mut progress: impl FnMut(BatchProgress),
) -> Result<BatchSummary, BatchError> {
    let started = Instant::now();
    let files = list_jpegs(dir)?;
    let total = files.len();
    let mut summary = BatchSummary {
        photos: total,
        ..BatchSummary::default()
    };
    let mut done = 0;

    // Tags.
    let t = Instant::now();
    let mut poses = Vec::new();
    for path in &files {
        match read_pose(path, &options.meta) {
            Ok(p) => poses.push((p, path.clone())),
            Err(e) => {
                let skipped = Skipped {
                    file: path.display().to_string(),
                    stage: SkipStage::Metadata,
                    reason: e.to_string(),
                };
                summary.skipped.push(skipped.clone());
                done += 1;
                progress(BatchProgress {
                    done,
                    total,
                    file: skipped.file.clone(),
                    status: PhotoStatus::Skipped(skipped),
                });
            }
        }
    }
    summary.metadata_time = t.elapsed();
    poses.sort_by(|(a, pa), (b, pb)| a.t_utc_us.cmp(&b.t_utc_us).then_with(|| pa.cmp(pb)));
    summary.utc_offset_assumed = poses
        .iter()
        .filter(|(p, _)| p.utc_offset.source == UtcOffsetSource::Assumed)
        .count();

    // Terrain.
    let ground = match options.terrain {
        BatchTerrain::Pipeline => None,
        BatchTerrain::FlatAmsl(h) => Some(h),
        BatchTerrain::TakeoffGround => {
            let mut grounds: Vec<f64> = poses
                .iter()
                .filter_map(|(p, _)| p.takeoff_ground_amsl_m())
                .collect();
            match median(&mut grounds) {
                Some(h) => Some(h),
                None if poses.is_empty() => None,
                None => {
                    return Err(BatchError::NoTakeoffGround {
                        dir: dir.to_path_buf(),
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
    let jobs: Vec<FrameJob> = poses
        .iter()
        .enumerate()
        .map(|(i, (p, path))| FrameJob {
            image_index: i as u64,
            file: p.file.clone(),
            jpeg: JpegSource::File(path.clone()),
            t_utc_us: p.t_utc_us,
            pose: p.camera,
            intrinsics: p.intrinsics,
            uncertainty: Some(if options.rtk_uncertainty {
                p.uncertainty(&base)
            } else {
                base
            }),
        })
        .collect();
    let times = process_overlapped(&jobs, options.overlap, pipeline, sink, |job, result| {
        done += 1;
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
/// photos done of the total, skipped count, and each skipped photo's reason printed above
/// the bar.
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
            bar.println(format!("skipped {}: {}", s.file, s.reason));
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
