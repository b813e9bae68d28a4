//! The processing worker: one thread that owns the [`Pipeline`] (ONNX Runtime runs
//! synchronously, one inference at a time per session) and the journal.
//!
//! For each frame: read the file, decode, detect, geotag, fuse ([`Pipeline::process`]); append
//! the frame, its sightings and the candidates they changed to the journal; once they are on
//! disk, report each candidate to the ground as a STATUSTEXT once it is confirmed (fused from
//! `[fusion] min_sightings` photos). A frame that cannot be read or decoded, or whose
//! findings fail, is logged and skipped; a journal write that fails is logged and the records
//! are kept in memory for the exports. Nothing a frame does stops the worker. A photo that
//! cannot be read or decoded is journaled as skipped (a corrupt file), one the pipeline
//! refuses (another size than the calibration) as not processed.
//!
//! `[debug] frame_delay_ms` (a test aid) makes the worker wait that long before each photo,
//! so tests can slow the companion deterministically.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::detect::DetectError;
use crate::journal::Journal;
use crate::pipeline::{PhotoIn, Pipeline, PipelineError, StageTimes};
use crate::record::{FrameSkipRecord, Record, SkipReason};
use qly_core::geotag::Uncertainty;
use qly_core::intrinsics::CameraIntrinsics;

use super::flight::FlightController;
use super::frames::Job;

/// What the worker is given.
pub struct Worker {
    pub pipeline: Pipeline,
    pub intrinsics: CameraIntrinsics,
    pub journal: Arc<Journal>,
    /// Every record so far, journaled before this run and in it (for the exports).
    pub records: Vec<Record>,
    pub fc: Arc<dyn FlightController>,
    /// The configured uncertainty; its position sigma is replaced by the GPS's accuracy when
    /// `use_gps_accuracy` and the receiver reports one.
    pub uncertainty: Uncertainty,
    pub use_gps_accuracy: bool,
    /// Where the exports go, and how often while running (`None`: only at shutdown).
    pub flight_dir: std::path::PathBuf,
    pub export_every: Option<Duration>,
    /// Photos a candidate needs before it is reported and exported.
    pub min_sightings: u32,
    /// `[debug] frame_delay_ms`: a wait before each photo (tests), cut short at stop.
    pub frame_delay: Duration,
}

/// What the worker did, returned when it stops.
#[derive(Debug, Default)]
pub struct WorkerSummary {
    pub frames_processed: u64,
    /// Frames that could not be read, decoded or placed.
    pub frames_failed: u64,
    /// Photos handed over but not processed when the worker stopped (a restart processes
    /// them).
    pub left_queued: u64,
    pub sightings: u64,
    pub new_candidates: u64,
    /// Candidates that reached `min_sightings` (were reported to the ground).
    pub confirmed_candidates: u64,
    pub journal_errors: u64,
    pub times: StageTimes,
    /// Every record (journaled and not), for the final export.
    pub records: Vec<Record>,
}

impl Worker {
    /// Processes jobs until the channel closes or `stop` is set (checked between frames: the
    /// frame in hand is always finished and journaled).
    pub fn run(mut self, mut jobs: mpsc::Receiver<Job>, stop: Arc<AtomicBool>) -> WorkerSummary {
        let mut summary = WorkerSummary::default();
        let mut last_export = Instant::now();
        while let Some(job) = jobs.blocking_recv() {
            if stop.load(Ordering::SeqCst) {
                summary.left_queued += 1;
                break;
            }
            self.delay(&stop);
            // A panic in one frame (a bug, not bad input: bad input is an error) costs that
            // frame, not the flight.
            let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                self.process(&job, &mut summary)
            }));
            if caught.is_err() {
                tracing::error!(frame = %job.file, "processing panicked (a bug)");
                self.skip(
                    &job,
                    SkipReason::NotProcessed,
                    "processing panicked".into(),
                    &mut summary,
                );
            }
            if let Some(every) = self.export_every {
                if last_export.elapsed() >= every {
                    super::write_exports(&self.flight_dir, &self.records, self.min_sightings);
                    last_export = Instant::now();
                }
            }
            if stop.load(Ordering::SeqCst) {
                break;
            }
        }
        while jobs.try_recv().is_ok() {
            summary.left_queued += 1;
        }
        if summary.left_queued > 0 {
            tracing::warn!(
                photos = summary.left_queued,
                "photos queued but not processed at stop; the next run processes them"
            );
        }
        if let Err(e) = self.journal.flush() {
            tracing::error!("journal not flushed at shutdown: {e}");
        }
        summary.records = self.records;
        summary
    }

    /// `[debug] frame_delay_ms`, in steps so a stop cuts it short.
    fn delay(&self, stop: &AtomicBool) {
        let until = Instant::now() + self.frame_delay;
        while !stop.load(Ordering::SeqCst) {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            std::thread::sleep(left.min(Duration::from_millis(50)));
        }
    }

    /// Journals why a photo was not processed, and logs it.
    fn skip(&mut self, job: &Job, reason: SkipReason, detail: String, summary: &mut WorkerSummary) {
        tracing::warn!(frame = %job.file, key = %job.key, reason = reason.describe(), "frame skipped: {detail}");
        summary.frames_failed += 1;
        let record = Record::FrameSkipped(FrameSkipRecord {
            boot: job.key.boot,
            image_index: job.key.image_index,
            file: Some(job.file.clone()),
            reason,
            detail,
        });
        if let Err(e) = self.journal.append(&record) {
            summary.journal_errors += 1;
            tracing::error!(frame = %job.file, "journal append failed: {e}");
        }
        self.records.push(record);
    }

    fn process(&mut self, job: &Job, summary: &mut WorkerSummary) {
        let jpeg = match std::fs::read(&job.path) {
            Ok(b) => b,
            Err(e) => {
                self.skip(
                    job,
                    SkipReason::CorruptFile,
                    format!("cannot read {}: {e}", job.path.display()),
                    summary,
                );
                return;
            }
        };
        let mut uncertainty = self.uncertainty;
        if self.use_gps_accuracy {
            // h_acc is a radial figure; the error model wants a sigma per axis.
            if let Some(h) = self.fc.gps_h_acc_m() {
                uncertainty.horizontal_position_sigma_m = h / std::f64::consts::SQRT_2;
            }
        }
        self.pipeline.findings_mut().set_uncertainty(uncertainty);
        let photo = PhotoIn {
            boot: job.key.boot,
            image_index: job.key.image_index,
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
                // A photo that does not decode is a corrupt file; one the findings refuse
                // (another size than the calibration) is not processed.
                let reason = match &e {
                    PipelineError::Detect(
                        DetectError::Decode(_)
                        | DetectError::Photo(_)
                        | DetectError::EmptyImage { .. },
                    ) => SkipReason::CorruptFile,
                    _ => SkipReason::NotProcessed,
                };
                self.skip(job, reason, e.to_string(), summary);
                return;
            }
        };
        for d in &outcome.dropped {
            tracing::info!(frame = %job.file, class = %d.detection.class_name, "detection not geotagged: {}", d.reason);
        }
        let mut last_seq = None;
        for record in outcome.records() {
            match self.journal.append(&record) {
                Ok(seq) => last_seq = Some(seq),
                Err(e) => {
                    summary.journal_errors += 1;
                    tracing::error!(frame = %job.file, "journal append failed: {e}");
                }
            }
            self.records.push(record);
        }
        // Report only what the journal holds: wait (briefly; the journal syncs within
        // ~200 ms) for the frame's records to be on disk.
        let confirmed: Vec<_> = outcome.confirmed(self.min_sightings).collect();
        if !confirmed.is_empty() {
            if let Some(seq) = last_seq {
                if !self.journal.wait_synced(seq, Duration::from_secs(2)) {
                    tracing::warn!(frame = %job.file, "journal not synced within 2 s; reporting anyway");
                }
            }
        }
        for c in &confirmed {
            tracing::info!(
                candidate = c.id,
                class = %c.class_name,
                lat_deg = c.lat_deg,
                lon_deg = c.lon_deg,
                confidence = c.confidence_max,
                sightings = c.sightings,
                "candidate confirmed"
            );
            self.fc
                .report(&c.class_name, c.confidence_max, c.lat_deg, c.lon_deg);
        }
        summary.confirmed_candidates += confirmed.len() as u64;
        summary.frames_processed += 1;
        summary.sightings += outcome.sightings.len() as u64;
        summary.new_candidates += outcome.new_candidates.len() as u64;
        summary.times.add(&times);
        tracing::info!(
            frame = %job.file,
            key = %job.key,
            detections = outcome.frame.detections,
            sightings = outcome.sightings.len(),
            ms = times.total().as_secs_f64() * 1e3,
            "frame processed"
        );
    }
}
