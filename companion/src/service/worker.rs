//! The processing worker: one thread that owns the [`Pipeline`] (ONNX Runtime runs
//! synchronously, one inference at a time per session) and the journal.
//!
//! For each frame: read the file, decode, detect, geotag, fuse ([`Pipeline::process`]); append
//! the frame, its sightings and the candidates they changed to the journal; once they are on
//! disk, report each candidate to the ground as a STATUSTEXT once it is confirmed (fused from
//! `[fusion] min_sightings` photos). A frame that cannot be read or decoded, or whose
//! findings fail, is logged and skipped; a journal write that fails is logged and the records
//! are kept in memory for the exports. Nothing a frame does stops the worker.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::journal::Journal;
use crate::pipeline::{PhotoIn, Pipeline, StageTimes};
use crate::record::Record;
use qly_core::geotag::Uncertainty;
use qly_core::intrinsics::CameraIntrinsics;

use super::flight::FlightController;
use super::frames::Job;

/// What the worker is given.
pub struct Worker {
    pub pipeline: Pipeline,
    pub intrinsics: CameraIntrinsics,
    pub journal: Journal,
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
}

/// What the worker did, returned when it stops.
#[derive(Debug, Default)]
pub struct WorkerSummary {
    pub frames_processed: u64,
    /// Frames that could not be read, decoded or placed.
    pub frames_failed: u64,
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
                break;
            }
            // A panic in one frame (a bug, not bad input: bad input is an error) costs that
            // frame, not the flight.
            let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                self.process(&job, &mut summary)
            }));
            if caught.is_err() {
                summary.frames_failed += 1;
                tracing::error!(frame = %job.file, "frame skipped: processing panicked");
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
        if let Err(e) = self.journal.flush() {
            tracing::error!("journal not flushed at shutdown: {e}");
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
            // h_acc is a radial figure; the error model wants a sigma per axis.
            if let Some(h) = self.fc.gps_h_acc_m() {
                uncertainty.horizontal_position_sigma_m = h / std::f64::consts::SQRT_2;
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
            image_index = job.image_index,
            detections = outcome.frame.detections,
            sightings = outcome.sightings.len(),
            ms = times.total().as_secs_f64() * 1e3,
            "frame processed"
        );
    }
}
