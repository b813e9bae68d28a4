//! The running companion service: from a flight controller and a folder of photos to a
//! journal of findings, STATUSTEXT reports and exports.
//!
//! # Shape
//!
//! Four concurrent parts, each named after what it is:
//!
//! - the **link** ([`crate::fc`]): a tokio task owning the MAVLink connection to the flight
//!   controller. It keeps the pose timeline, the boot clock and the capture events in shared
//!   state and sends queued STATUSTEXT reports at a limited rate; the service reads it
//!   through [`flight::FlightController`].
//! - the **frames** task ([`frames`]): lists the frames folder, and for each new
//!   `<index>.jpg` waits for its capture event and the pose at the capture time, then hands it
//!   to the worker.
//! - the **worker** ([`worker`]): one blocking thread owning the detector (ONNX Runtime is
//!   synchronous) and the fusion; it journals each frame's records and reports candidates once
//!   they are confirmed (`[fusion] min_sightings`).
//! - the **exports** ([`crate::export`]): GeoJSON and GeoPackage, written from the records
//!   periodically and at shutdown.
//!
//! They talk through two channels only: the frames task sends [`frames::Job`]s to the worker
//! (bounded: a slow detector slows the frames task, never memory), and the worker queues
//! reports on the link through [`flight::FlightController`].
//!
//! Running it (what `companion run` does):
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use companion::config::Config;
//! use companion::service::Service;
//! let config = Config::load("flights/today/companion.toml".as_ref())?;
//! // Config faults stop here: model, ONNX Runtime, journal.
//! let service = Service::prepare(config)?;
//! // Runs until SIGINT/SIGTERM; any future will do (tests pass their own).
//! let summary = service.run(qly_cli::shutdown_signal()).await?;
//! println!("{} frames processed", summary.worker.frames_processed);
//! # Ok(())
//! # }
//! ```
//!
//! # Faults
//!
//! Anything wrong with the configuration stops the service before it starts, with a message
//! that names the file and the key ([`Service::prepare`]): unreadable config, unknown keys, a
//! missing model or ONNX Runtime library, a model of unknown layout, a journal that cannot be
//! opened or replayed. Anything that goes wrong while running is logged and the service goes
//! on: a frame without a capture event or pose, a corrupt JPEG, a lost link, a failed journal
//! write or export.
//!
//! # Shutdown and restart
//!
//! On SIGINT or SIGTERM (`qly_cli::shutdown_signal`) the frames task stops, the worker finishes the
//! frame in hand (journaled and fsynced, like every frame) and stops, the exports are written,
//! queued reports are given a moment to go out, and the link stops. On restart the journal is
//! reopened: frames already journaled are not processed again, and the fusion is rebuilt from
//! the journaled sightings ([`crate::Findings::resume`]) so candidate ids and revisions
//! continue where they were.

pub mod flight;
pub mod frames;
pub mod worker;

use std::collections::BTreeSet;
use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use qly_core::geodesy::GeoPoint;
use qly_core::terrain::{FlatGround, Terrain, TerrainError};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::detect::{DetectError, Detector};
use crate::fc::FcLink;
use crate::findings::{Findings, ResumeError};
use crate::fusion::{Fusion, FusionError};
use crate::journal::{Journal, JournalError, JournalOptions};
use crate::pipeline::Pipeline;
use crate::record::Record;

use flight::{FlightController, LinkedFc};
use frames::{FrameCounts, FrameSettings, FrameTracker};
use worker::{Worker, WorkerSummary};

/// Why the service did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("detector: {0}")]
    Detector(#[from] DetectError),
    #[error("fusion: {0}")]
    Fusion(#[from] FusionError),
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error("journal {path}: cannot resume: {source}")]
    Resume { path: PathBuf, source: ResumeError },
    #[error(
        "journal {path}: written with `{setting}` = {journal}, but the configuration says {config}: \
         a flight keeps one setting; use the journal's value or start a new flight folder"
    )]
    IncompatibleJournal {
        path: PathBuf,
        setting: &'static str,
        journal: String,
        config: String,
    },
    #[error("model {path}: cannot read it to fingerprint it: {source}")]
    ModelFingerprint {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("flight-controller link: {0}")]
    Link(#[from] crate::fc::FcError),
    #[error("config {path}: {source}")]
    Config {
        path: PathBuf,
        source: crate::config::ConfigError,
    },
}

/// Flat ground at the take-off elevation, known once the flight controller has sent a
/// position (frames wait for it; see [`frames`]).
#[derive(Debug, Clone, Default)]
pub struct TakeoffGround {
    height_amsl_m: Arc<OnceLock<f64>>,
}

impl TakeoffGround {
    /// Fixes the height (the first call wins).
    pub fn set(&self, height_amsl_m: f64) {
        let _ = self.height_amsl_m.set(height_amsl_m);
    }

    /// The height, once fixed.
    pub fn height_amsl_m(&self) -> Option<f64> {
        self.height_amsl_m.get().copied()
    }
}

impl Terrain for TakeoffGround {
    fn height_amsl_m(&self, p: GeoPoint) -> Result<f64, TerrainError> {
        self.height_amsl_m
            .get()
            .copied()
            .ok_or(TerrainError::OutsideCoverage {
                lat_deg: p.lat_deg,
                lon_deg: p.lon_deg,
                coverage: "take-off elevation not known yet".into(),
            })
    }

    fn constant_height_amsl_m(&self) -> Option<f64> {
        self.height_amsl_m.get().copied()
    }
}

/// What a run did.
#[derive(Debug, Default)]
pub struct RunSummary {
    /// Frames journaled before this run.
    pub resumed_frames: usize,
    pub resumed_sightings: usize,
    pub frames: FrameCounts,
    pub worker: WorkerSummary,
    pub exports: Vec<PathBuf>,
}

/// A service whose configuration has been checked and whose detector, journal and fusion are
/// loaded: everything that can refuse to start has been tried.
pub struct Service {
    config: Config,
    pipeline: Pipeline,
    journal: Journal,
    records: Vec<Record>,
    done: BTreeSet<u64>,
    takeoff_ground: Option<TakeoffGround>,
    resumed: (usize, usize),
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("config", &self.config.path)
            .field("journal", &self.journal.path())
            .field("records", &self.records.len())
            .finish()
    }
}

impl Service {
    /// Loads the detector, opens the journal and replays it into the fusion.
    pub fn prepare(config: Config) -> Result<Service, StartError> {
        let detector_config = config.detector_config();
        // Checked before ONNX Runtime is loaded, so the message names the model even on a
        // machine without the library.
        if !detector_config.model_path.is_file() {
            return Err(StartError::Detector(DetectError::Runtime(
                crate::detect::RuntimeError::ModelNotFound(detector_config.model_path),
            )));
        }
        let detector = Detector::new(&detector_config)?;
        let meta = detector.metadata();
        tracing::info!(
            model = %detector.model_path().display(),
            layout = ?meta.layout,
            classes = ?meta.class_names,
            onnxruntime = %detector.runtime().library_path().display(),
            "detector loaded"
        );
        let river = config.river().map_err(|source| StartError::Config {
            path: config.path.clone(),
            source,
        })?;
        let fusion = Fusion::new(config.fusion.settings(), river)?;
        let dem = config.dem_terrain().map_err(|source| StartError::Config {
            path: config.path.clone(),
            source,
        })?;
        if let Some(m) = &dem {
            tracing::info!(
                tiles = m.tiles().len(),
                "ground: the elevation model (geotag.dem)"
            );
        }
        let (terrain, takeoff_ground): (Box<dyn Terrain + Send + Sync>, _) =
            match (dem, config.geotag.ground_amsl_m) {
                (Some(m), _) => (Box::new(m), None),
                (None, Some(h)) => (Box::new(FlatGround { height_amsl_m: h }), None),
                (None, None) => {
                    let g = TakeoffGround::default();
                    (Box::new(g.clone()), Some(g))
                }
            };
        let mut findings = Findings::new(fusion, terrain, config.geotag.uncertainty());
        let journal_path = config.journal_path();
        let (journal, contents) = Journal::open(&journal_path, JournalOptions::default())?;
        // Boot 0 only until frames are keyed by (boot, image index) here.
        let done: BTreeSet<u64> = contents
            .completed_frames()
            .into_iter()
            .filter(|k| k.boot == 0)
            .map(|k| k.image_index)
            .collect();
        let mut records = contents.records;
        let header = flight_header(&config, &detector_config.model_path, &meta.class_names)?;
        match records.iter().find_map(|r| match r {
            Record::Header(h) => Some(h),
            _ => None,
        }) {
            Some(journaled) if journaled.min_sightings != header.min_sightings => {
                return Err(StartError::IncompatibleJournal {
                    path: journal_path,
                    setting: "fusion.min_sightings",
                    journal: journaled.min_sightings.to_string(),
                    config: header.min_sightings.to_string(),
                });
            }
            Some(journaled) => {
                tracing::info!(flight = %journaled.flight_id, "continuing the flight of the journal");
            }
            None if records.is_empty() => {
                let record = Record::Header(header);
                journal.append(&record)?;
                records.push(record);
            }
            None => tracing::warn!(
                journal = %journal_path.display(),
                "the journal has no flight header (written by an older companion); continuing it without one"
            ),
        }
        let resumed = findings
            .resume(&records)
            .map_err(|source| StartError::Resume {
                path: journal_path.clone(),
                source,
            })?;
        if !records.is_empty() {
            tracing::info!(
                journal = %journal_path.display(),
                frames = done.len(),
                sightings = resumed.1,
                candidates = findings.fusion().candidates().len(),
                "resumed from the journal"
            );
        }
        Ok(Service {
            pipeline: Pipeline::new(detector, findings),
            config,
            journal,
            records,
            done,
            takeoff_ground,
            resumed,
        })
    }

    /// Runs until `shutdown` resolves, then stops in order (see the module doc).
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Result<RunSummary, StartError> {
        let Service {
            config,
            pipeline,
            journal,
            records,
            done,
            takeoff_ground,
            resumed,
        } = self;
        let intrinsics = config.intrinsics().map_err(|source| StartError::Config {
            path: config.path.clone(),
            source,
        })?;
        let stop_link = CancellationToken::new();
        let link = FcLink::spawn(config.flight_controller.clone(), stop_link.clone())?;
        tracing::info!(address = %config.flight_controller.address, "flight-controller link started");
        let linked = Arc::new(LinkedFc::new(link.handle()));
        let fc: Arc<dyn FlightController> = linked.clone();

        let flight_dir = config.flight_dir();
        let min_sightings = config.fusion.min_sightings;
        let settings = FrameSettings {
            dir: config.frames_dir(),
            flight_dir: flight_dir.clone(),
            poll_interval: config.frames.poll_interval(),
            capture_wait: config.frames.capture_wait(),
            fixed_mount: config.camera.mount.mount(),
            takeoff_ground,
        };
        let journal_path = journal.path().to_path_buf();
        tracing::info!(frames = %settings.dir.display(), journal = %journal_path.display(), "watching for frames");
        let tracker = FrameTracker::new(settings, fc.clone(), done);
        let (jobs_tx, jobs_rx) = mpsc::channel(16);
        let (stop_frames_tx, stop_frames_rx) = watch::channel(false);
        let frames_task = tokio::spawn(frames::run(tracker, jobs_tx, stop_frames_rx));

        let worker = Worker {
            pipeline,
            intrinsics,
            journal,
            records,
            fc: fc.clone(),
            uncertainty: config.geotag.uncertainty(),
            use_gps_accuracy: config.geotag.use_gps_accuracy,
            flight_dir: flight_dir.clone(),
            export_every: (config.journal.export_every_s > 0.0)
                .then(|| Duration::from_secs_f64(config.journal.export_every_s)),
            min_sightings,
        };
        let stop_worker = Arc::new(AtomicBool::new(false));
        let worker_task = {
            let stop = stop_worker.clone();
            tokio::task::spawn_blocking(move || worker.run(jobs_rx, stop))
        };

        shutdown.await;
        tracing::info!("shutting down: finishing the frame in hand");
        let _ = stop_frames_tx.send(true);
        stop_worker.store(true, Ordering::SeqCst);
        let frames = frames_task.await.unwrap_or_else(|e| {
            tracing::error!("frames task failed: {e}");
            FrameCounts::default()
        });
        let mut worker = match worker_task.await {
            Ok(w) => w,
            Err(e) => {
                // Export what the journal holds rather than nothing over good exports.
                tracing::error!("worker failed: {e}");
                let records = crate::journal::read_journal(&journal_path)
                    .map(|c| c.records)
                    .unwrap_or_default();
                WorkerSummary {
                    records,
                    ..WorkerSummary::default()
                }
            }
        };
        let exports = write_exports(&flight_dir, &worker.records, min_sightings);
        for p in &exports {
            tracing::info!(file = %p.display(), "exported");
        }
        // Give queued reports a moment to reach the ground (the link sends them at its rate).
        let drain_until = tokio::time::Instant::now() + Duration::from_secs(3);
        while linked.reports_pending() > 0 && tokio::time::Instant::now() < drain_until {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        stop_link.cancel();
        match link.join().await {
            Ok(status) => tracing::info!(
                frames_received = status.rx.accepted,
                captures = status.captures,
                reports_sent = status.reports_sent,
                reports_dropped = status.reports_dropped,
                "flight-controller link stopped"
            ),
            Err(e) => tracing::error!("{e}"),
        }
        worker.records = Vec::new();
        tracing::info!(
            processed = worker.frames_processed,
            failed = worker.frames_failed,
            skipped = frames.skipped,
            new_candidates = worker.new_candidates,
            "stopped"
        );
        Ok(RunSummary {
            resumed_frames: resumed.0,
            resumed_sightings: resumed.1,
            frames,
            worker,
            exports,
        })
    }
}

/// The header of a new flight's journal: a new flight id, the aircraft, the camera, the
/// model and its fingerprint, and the confirmation rule.
fn flight_header(
    config: &Config,
    model_path: &std::path::Path,
    classes: &[String],
) -> Result<qly_flight::header::FlightHeader, StartError> {
    use qly_flight::header::{
        sha256_file, CameraInfo, FlightHeader, FlightId, FlightSource, ModelInfo, VehicleInfo,
        JOURNAL_FORMAT,
    };
    let intrinsics = config.intrinsics().map_err(|source| StartError::Config {
        path: config.path.clone(),
        source,
    })?;
    let sha256 = sha256_file(model_path).map_err(|source| StartError::ModelFingerprint {
        path: model_path.to_path_buf(),
        source,
    })?;
    let camera_name = config
        .camera
        .name
        .clone()
        .unwrap_or_else(|| "calibrated".into());
    Ok(FlightHeader {
        journal_format: JOURNAL_FORMAT,
        flight_id: FlightId::generate(),
        created_utc_us: now_utc_us(),
        source: FlightSource::Live,
        vehicle: VehicleInfo {
            id: format!("mavlink:{}", config.flight_controller.system_id),
            description: String::new(),
        },
        camera: CameraInfo::from_intrinsics(&camera_name, &intrinsics),
        model: ModelInfo {
            file: model_path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            sha256,
            classes: classes.to_vec(),
        },
        min_sightings: config.fusion.min_sightings,
        datum: "WGS-84".into(),
        software: format!("qianliyan-companion {}", env!("CARGO_PKG_VERSION")),
    })
}

fn now_utc_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64)
}

/// Writes the exports ([`crate::export::export_flight`]: candidates fused from at least
/// `min_sightings` photos, and every sighting, as GeoJSON and GeoPackage) into `flight_dir`;
/// returns the files written. A failure is logged: it never stops the service.
pub fn write_exports(
    flight_dir: &std::path::Path,
    records: &[Record],
    min_sightings: u32,
) -> Vec<PathBuf> {
    match crate::export::export_flight(records, flight_dir, min_sightings) {
        Ok(summary) => {
            tracing::info!(
                candidates = summary.candidates,
                unconfirmed = summary.unconfirmed,
                sightings = summary.sightings,
                "exported to {}",
                flight_dir.display()
            );
            summary.files
        }
        Err(e) => {
            tracing::error!("export failed: {e}");
            Vec::new()
        }
    }
}
