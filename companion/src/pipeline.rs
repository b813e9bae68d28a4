//! One photo through the whole chain: JPEG decode, detection (letterbox, inference, decode,
//! NMS), then [`Findings`] (geotag, fuse, records), timing each stage.
//!
//! This is the edge where the model runtime meets the pure core. The live service and the
//! post-flight batch both feed it; the journal and ground reports take its
//! [`FrameOutcome`]s.

use std::time::{Duration, Instant};

use image::RgbImage;
use qly_core::geotag::CameraPose;
use qly_core::intrinsics::CameraIntrinsics;

use crate::detect::{decode_jpeg, DetectError, Detection, Detector};
use crate::findings::{FindingsError, FrameMeta, FrameOutcome};
use crate::Findings;

/// Wall time spent in each stage of one frame.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct StageTimes {
    pub jpeg_decode: Duration,
    /// Letterbox and tensor layout (zero for tiled frames: it is inside `inference`).
    pub preprocess: Duration,
    /// ONNX Runtime (for tiled frames: every slice, with its preprocessing and decoding).
    pub inference: Duration,
    /// Output decoding and NMS.
    pub postprocess: Duration,
    /// Geotagging, fusion and records.
    pub findings: Duration,
}

impl StageTimes {
    pub fn total(&self) -> Duration {
        self.jpeg_decode + self.preprocess + self.inference + self.postprocess + self.findings
    }

    /// Adds another frame's times (for totals over a run).
    pub fn add(&mut self, other: &StageTimes) {
        self.jpeg_decode += other.jpeg_decode;
        self.preprocess += other.preprocess;
        self.inference += other.inference;
        self.postprocess += other.postprocess;
        self.findings += other.findings;
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Detect(#[from] DetectError),
    #[error(transparent)]
    Findings(#[from] FindingsError),
}

/// A photo to process: its bytes, when and from where it was taken.
#[derive(Debug, Clone, Copy)]
pub struct PhotoIn<'a> {
    /// The autopilot boot of the capture (0 for batch photos; see [`crate::record::FrameKey`]).
    pub boot: u32,
    pub image_index: u64,
    /// Names the photo in records and errors.
    pub file: &'a str,
    pub jpeg: &'a [u8],
    pub t_utc_us: i64,
    pub t_boot_ms: Option<f64>,
    pub pose: &'a CameraPose,
    pub intrinsics: &'a CameraIntrinsics,
}

/// The detector and the flight's findings.
#[derive(Debug)]
pub struct Pipeline {
    detector: Detector,
    findings: Findings,
}

impl Pipeline {
    pub fn new(detector: Detector, findings: Findings) -> Pipeline {
        Pipeline { detector, findings }
    }

    pub fn detector(&self) -> &Detector {
        &self.detector
    }

    pub fn detector_mut(&mut self) -> &mut Detector {
        &mut self.detector
    }

    pub fn findings(&self) -> &Findings {
        &self.findings
    }

    pub fn findings_mut(&mut self) -> &mut Findings {
        &mut self.findings
    }

    /// Decodes, detects, geotags and fuses one photo.
    pub fn process(
        &mut self,
        photo: &PhotoIn<'_>,
    ) -> Result<(FrameOutcome, StageTimes), PipelineError> {
        let mut times = StageTimes::default();
        let t = Instant::now();
        let image = decode_jpeg(photo.jpeg, photo.file).map_err(DetectError::from)?;
        times.jpeg_decode = t.elapsed();
        let outcome = self.process_image(photo, &image, &mut times)?;
        Ok((outcome, times))
    }

    /// As [`Pipeline::process`], for a photo already decoded (`photo.jpeg` is not read).
    pub fn process_image(
        &mut self,
        photo: &PhotoIn<'_>,
        image: &RgbImage,
        times: &mut StageTimes,
    ) -> Result<FrameOutcome, PipelineError> {
        let detections = self.detect_timed(image, times)?;
        let t = Instant::now();
        let meta = FrameMeta {
            boot: photo.boot,
            image_index: photo.image_index,
            file: photo.file.to_string(),
            t_utc_us: photo.t_utc_us,
            t_boot_ms: photo.t_boot_ms,
            width_px: image.width(),
            height_px: image.height(),
        };
        let outcome = self
            .findings
            .add_frame(&meta, photo.pose, photo.intrinsics, &detections)?;
        times.findings = t.elapsed();
        Ok(outcome)
    }

    /// Detection with its stages timed; a tiled frame is timed as one inference stage.
    fn detect_timed(
        &mut self,
        image: &RgbImage,
        times: &mut StageTimes,
    ) -> Result<Vec<Detection>, DetectError> {
        if self.detector.tiles(image) {
            let t = Instant::now();
            let detections = self.detector.detect(image)?;
            times.inference = t.elapsed();
            return Ok(detections);
        }
        if image.width() == 0 || image.height() == 0 {
            return Err(DetectError::EmptyImage {
                width_px: image.width(),
                height_px: image.height(),
            });
        }
        let t = Instant::now();
        let (input, geometry) = self.detector.preprocess(image);
        times.preprocess = t.elapsed();
        let t = Instant::now();
        let raw = self.detector.infer(&input)?;
        times.inference = t.elapsed();
        let t = Instant::now();
        let candidates = self.detector.decode(&raw, &geometry)?;
        let detections = self.detector.suppress(candidates, false);
        times.postprocess = t.elapsed();
        Ok(detections)
    }
}
