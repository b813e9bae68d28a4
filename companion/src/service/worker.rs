//! The processing worker: one thread that owns the [`Pipeline`] (ONNX Runtime runs
//! synchronously, one inference at a time per session) and the journal.
//!
//! For each frame: read the file, decode, detect, geotag, fuse ([`Pipeline::process`]); append
//! the frame, its sightings and the candidates they changed to the journal; report each new
//! candidate to the ground as a STATUSTEXT. A frame that cannot be read or decoded, or whose
//! findings fail, is logged and skipped; a journal write that fails is logged and the records
//! are kept in memory for the exports. Nothing a frame does stops the worker.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::pipeline::{PhotoIn, Pipeline, StageTimes};
use crate::record::{CandidateRecord, Record, RecordSink};
use qly_core::geotag::Uncertainty;
use qly_core::intrinsics::CameraIntrinsics;

use super::export;
use super::flight::FlightController;
use super::frames::Job;

/// What the worker is given.
pub struct Worker {
    pub pipeline: Pipeline,
    pub intrinsics: CameraIntrinsics,
    pub journal: Box<dyn RecordSink + Send>,
    /// Every record so far, journaled before this run and in it (for the exports).
    pub records: Vec<Record>,
    pub fc: Arc<dyn FlightController>,
    /// The configured uncertainty; its position sigma is replaced by the GPS's accuracy when
    /// `use_gps_accuracy` and the receiver reports one.
    pub uncertainty: Uncertainty,
    pub use_gps_accuracy: bool,
    pub report_prefix: String,
    /// Where the exports go, and how often while running (`None`: only at shutdown).
    pub flight_dir: std::path::PathBuf,
    pub export_every: Option<Duration>,
}

/// What the worker did, returned when it stops.
#[derive(Debug, Default)]
pub struct WorkerSummary {
    pub frames_processed: u64,
    /// Frames that could not be read, decoded or placed.
    pub frames_failed: u64,
    pub sightings: u64,
    pub new_candidates: u64,
    pub journal_errors: u64,
    pub times: StageTimes,
    /// Every record (journaled and not), for the final export.
    pub records: Vec<Record>,
}

/// The STATUSTEXT for a new candidate: prefix, class, position to 6 decimals (about 0.1 m),
/// confidence. At most 50 bytes for short class names; longer ones are cut by the link.
///
/// ```
/// # use companion::service::worker::report_text;
/// # let c: companion::record::CandidateRecord = serde_json::from_value(serde_json::json!({
/// #   "id": 3, "revision": 1, "class_name": "plume", "lat_deg": -35.3632621, "lon_deg": 149.1652374,
/// #   "attribution": "fused_centre", "along_river_m": null, "fused_lat_deg": -35.3632621,
/// #   "fused_lon_deg": 149.1652374, "error": {"cov_en_m2": [[1.0, 0.0], [0.0, 1.0]],
/// #   "sigma_major_m": 1.0, "sigma_minor_m": 1.0, "major_axis_bearing_deg": 0.0, "cep50_m": 1.2,
/// #   "ce90_m": 2.1}, "sightings": 1, "first_t_utc_us": 0, "last_t_utc_us": 0,
/// #   "confidence_max": 0.9, "confidence_mean": 0.9, "best": {"image_index": 1, "file": "f",
/// #   "bbox_px": [0.0, 0.0, 1.0, 1.0], "confidence": 0.9, "slant_range_m": 50.0}})).unwrap();
/// assert_eq!(report_text("QLY", &c), "QLY #3 plume -35.363262,149.165237 0.90");
/// ```
pub fn report_text(prefix: &str, c: &CandidateRecord) -> String {
    format!(
        "{prefix} #{} {} {:.6},{:.6} {:.2}",
        c.id, c.class_name, c.lat_deg, c.lon_deg, c.confidence_max
    )
}

impl Worker {
    /// Processes jobs until the channel closes or `stop` is set (checked between frames: the
    /// frame in hand is always finished and journaled).
    pub fn run(mut self, mut jobs: mpsc::Receiver<Job>, stop: Arc<AtomicBool>) -> WorkerSummary {
        let mut summary = WorkerSummary::default();
        let mut last_export = Instant::now();
        while let Some(job) = jobs.blocking_recv() {
            if stop.load(Ordering::SeqCst) {
                break;
            }
            self.process(&job, &mut summary);
            if let Some(every) = self.export_every {
                if last_export.elapsed() >= every {
                    export::write_all(&self.flight_dir, &self.records);
                    last_export = Instant::now();
                }
            }
            if stop.load(Ordering::SeqCst) {
                break;
            }
        }
        summary.records = self.records;
        summary
    }

    fn process(&mut self, job: &Job, summary: &mut WorkerSummary) {
        let jpeg = match std::fs::read(&job.path) {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(frame = %job.file, "frame skipped: cannot read: {e}");
                summary.frames_failed += 1;
                return;
            }
        };
        let mut uncertainty = self.uncertainty;
        if self.use_gps_accuracy {
            if let Some(h) = self.fc.gps_h_acc_m() {
                uncertainty.horizontal_position_sigma_m = h;
            }
        }
        self.pipeline.findings_mut().set_uncertainty(uncertainty);
        let photo = PhotoIn {
            image_index: job.image_index,
            file: &job.file,
            jpeg: &jpeg,
            t_utc_us: job.capture.t_utc_us,
            t_boot_ms: Some(job.capture.t_boot_ms),
            pose: &job.pose,
            intrinsics: &self.intrinsics,
        };
        let (outcome, times) = match self.pipeline.process(&photo) {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(frame = %job.file, "frame skipped: {e}");
                summary.frames_failed += 1;
                return;
            }
        };
        for d in &outcome.dropped {
            tracing::info!(frame = %job.file, class = %d.detection.class_name, "detection not geotagged: {}", d.reason);
        }
        for record in outcome.records() {
            if let Err(e) = self.journal.append(&record) {
                summary.journal_errors += 1;
                tracing::error!(frame = %job.file, "journal append failed: {e}");
            }
            self.records.push(record);
        }
        for id in &outcome.new_candidates {
            if let Some(c) = outcome.candidates.iter().rev().find(|c| c.id == *id) {
                let text = report_text(&self.report_prefix, c);
                tracing::info!(candidate = id, "new candidate: {text}");
                self.fc.report(text);
            }
        }
        summary.frames_processed += 1;
        summary.sightings += outcome.sightings.len() as u64;
        summary.new_candidates += outcome.new_candidates.len() as u64;
        summary.times.add(&times);
        tracing::info!(
            frame = %job.file,
            image_index = job.image_index,
            detections = outcome.frame.detections,
            sightings = outcome.sightings.len(),
            ms = times.total().as_secs_f64() * 1e3,
            "frame processed"
        );
    }
}
