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
//! - the **frames** task ([`frames`]): journals each capture event with the vehicle's pose at
//!   its time as soon as the link has placed it, lists the frames folder, and queues each new
//!   photo (`<index>.jpg`, `<boot>_<index>.jpg` after a reboot) with its journaled capture for
//!   the worker, however late it lands; a photo not processed is journaled as skipped with
//!   the reason.
//! - the **worker** ([`worker`]): one blocking thread owning the detector (ONNX Runtime is
//!   synchronous) and the fusion; it journals each frame's records and reports candidates once
//!   they are confirmed (`[fusion] min_sightings`).
//! - the **exports** ([`crate::export`]): GeoJSON and GeoPackage, written from the records
//!   periodically and at shutdown.
//!
//! They talk through two channels only: the frames task sends [`frames::Job`]s to the worker
//! (a short channel; the photos waiting for the worker stay in the frames task's queue as
//! keys, paths and poses, never images, so a slow detector costs neither memory nor
//! captures), and the worker queues reports on the link through [`flight::FlightController`].
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
//! opened, or one written with other settings (`[fusion] min_sightings`: the message names
//! it). A journal damaged in the middle is not a fault: damaged lines are skipped and logged,
//! and the replay keeps every intact record ([`crate::Findings::resume`]). Anything that goes
//! wrong while running is logged (and journaled, for a photo) and the service goes on: a photo
//! without a capture event or pose, a corrupt JPEG, a lost link, an autopilot reboot, a failed
//! journal write or export.
//!
//! # Shutdown and restart
//!
//! On SIGINT or SIGTERM (`qly_cli::shutdown_signal`) the frames task places the captures still
//! waiting, journals the skips of photos that never got a capture event and of captures whose
//! photo never landed, and stops; the worker finishes the frame in hand (journaled and
//! fsynced, like every frame) and stops, the exports are written, queued reports are given a
//! moment to go out, and the link stops. A signal during the journal replay at start stops
//! the replay and writes the exports from the journal. On restart the journal is reopened:
//! frames already journaled are not processed again, captures come back from it (with the
//! autopilot's boot count), and the fusion is rebuilt from the journaled sightings
//! ([`crate::Findings::resume`]) so candidate ids and revisions continue where they were.

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
use crate::findings::Findings;
use crate::fusion::{Fusion, FusionError};
use crate::journal::{Journal, JournalError, JournalOptions};
use crate::pipeline::Pipeline;
use crate::record::Record;

use flight::{FlightController, LinkedFc};
use frames::{FrameCounts, FrameSettings, FrameTracker, Resumed};
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
    #[error("journal {path}: the replay failed: {reason}")]
    Replay { path: PathBuf, reason: String },
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
    /// What the journal replay rebuilt and left out.
    pub replay: crate::findings::Resumed,
    /// Damaged spans of the journal skipped at start (a torn tail included).
    pub journal_damage: usize,
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
    done: BTreeSet<qly_flight::record::FrameKey>,
    takeoff_ground: Option<TakeoffGround>,
    journal_damage: usize,
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
    /// Loads the detector and opens the journal (its replay into the fusion is the first
    /// thing [`Service::run`] does, so a stop signal can end it).
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
        let findings = Findings::new(fusion, terrain, config.geotag.uncertainty());
        let journal_path = config.journal_path();
        let (journal, contents) = Journal::open(&journal_path, JournalOptions::default())?;
        let done = contents.completed_frames();
        let journal_damage = contents.damage.len();
        if journal_damage > 0 {
            tracing::warn!(
                journal = %journal_path.display(),
                damaged_spans = journal_damage,
                damaged_bytes = contents.damage.iter().map(|d| d.len).sum::<u64>(),
                intact_records = contents.records.len(),
                "journal damaged: damaged lines skipped, every intact record kept"
            );
        }
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
            None if journal_damage > 0 => tracing::error!(
                journal = %journal_path.display(),
                "the journal's flight header is lost (damaged); continuing the flight without one"
            ),
            None => tracing::warn!(
                journal = %journal_path.display(),
                "the journal has no flight header (written by an older companion); continuing it without one"
            ),
        }
        Ok(Service {
            pipeline: Pipeline::new(detector, findings),
            config,
            journal,
            records,
            done,
            takeoff_ground,
            journal_damage,
        })
    }

    /// Replays the journal into the fusion, then runs until `shutdown` resolves and stops in
    /// order (see the module doc). `shutdown` during the replay stops it: the exports are
    /// written from the journal and nothing else starts.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Result<RunSummary, StartError> {
        let Service {
            config,
            mut pipeline,
            journal,
            records,
            done,
            takeoff_ground,
            journal_damage,
        } = self;
        let intrinsics = config.intrinsics().map_err(|source| StartError::Config {
            path: config.path.clone(),
            source,
        })?;
        let flight_dir = config.flight_dir();
        let min_sightings = config.fusion.min_sightings;
        let journal_path = journal.path().to_path_buf();
        tokio::pin!(shutdown);

        // The replay, on a blocking thread, stoppable between frames.
        if !records.is_empty() {
            tracing::info!(
                journal = %journal_path.display(),
                records = records.len(),
                "replaying the journal"
            );
        }
        let stop_replay = Arc::new(AtomicBool::new(false));
        let replay_delay = config.debug.replay_delay();
        let replay = {
            let stop = stop_replay.clone();
            tokio::task::spawn_blocking(move || {
                let resumed = pipeline.findings_mut().resume(&records, || {
                    pause(replay_delay, &stop);
                    !stop.load(Ordering::SeqCst)
                });
                (pipeline, records, resumed)
            })
        };
        tokio::pin!(replay);
        let replayed = tokio::select! {
            r = &mut replay => r,
            _ = &mut shutdown => {
                tracing::info!("shutting down during the journal replay");
                stop_replay.store(true, Ordering::SeqCst);
                (&mut replay).await
            }
        };
        let (pipeline, records, replay) = match replayed {
            Ok(r) => r,
            Err(e) => {
                return Err(StartError::Replay {
                    path: journal_path,
                    reason: e.to_string(),
                })
            }
        };
        if replay.interrupted {
            let exports = write_exports(&flight_dir, &records, min_sightings);
            tracing::info!(
                frames = replay.frames,
                "stopped during the journal replay; exports written from the journal"
            );
            return Ok(RunSummary {
                resumed_frames: replay.frames,
                resumed_sightings: replay.sightings,
                replay,
                journal_damage,
                exports,
                ..RunSummary::default()
            });
        }
        if !records.is_empty() {
            let damaged =
                replay.incomplete_frames + replay.orphan_sightings + replay.refused_sightings;
            tracing::info!(
                journal = %journal_path.display(),
                frames = replay.frames,
                sightings = replay.sightings,
                candidates = pipeline.findings().fusion().candidates().len(),
                "resumed from the journal"
            );
            if damaged > 0 || journal_damage > 0 {
                tracing::warn!(
                    incomplete_frames = replay.incomplete_frames,
                    orphan_sightings = replay.orphan_sightings,
                    refused_sightings = replay.refused_sightings,
                    next_candidate_id = replay.highest_id.map_or(0, |h| h + 1),
                    "journal replay: sightings whose records were lost or cut are left out of the fusion (frames that lost records are processed again when their photo is there); new candidates are numbered above every journaled id"
                );
            }
        }

        let resumed_frames = Resumed::from_records(&records, done);
        let (boot, last_t_boot_ms) = resumed_frames.boot();
        let stop_link = CancellationToken::new();
        let link = FcLink::spawn_resuming(
            config.flight_controller.clone(),
            stop_link.clone(),
            boot,
            last_t_boot_ms,
        )?;
        tracing::info!(address = %config.flight_controller.address, boot, "flight-controller link started");
        let linked = Arc::new(LinkedFc::new(link.handle()));
        let fc: Arc<dyn FlightController> = linked.clone();

        let settings = FrameSettings {
            dir: config.frames_dir(),
            flight_dir: flight_dir.clone(),
            poll_interval: config.frames.poll_interval(),
            capture_wait: config.frames.capture_wait(),
            fixed_mount: config.camera.mount.mount(),
            takeoff_ground,
        };
        tracing::info!(frames = %settings.dir.display(), journal = %journal_path.display(), "watching for frames");
        let tracker = FrameTracker::new(settings, resumed_frames, tokio::time::Instant::now());
        let journal = Arc::new(journal);
        let (jobs_tx, jobs_rx) = mpsc::channel(4);
        let (stop_frames_tx, stop_frames_rx) = watch::channel(false);
        let frames_task = tokio::spawn(frames::run(
            tracker,
            fc.clone(),
            journal.clone(),
            jobs_tx,
            stop_frames_rx,
        ));

        let worker = Worker {
            pipeline,
            intrinsics,
            journal: journal.clone(),
            records,
            fc: fc.clone(),
            uncertainty: config.geotag.uncertainty(),
            use_gps_accuracy: config.geotag.use_gps_accuracy,
            flight_dir: flight_dir.clone(),
            export_every: (config.journal.export_every_s > 0.0)
                .then(|| Duration::from_secs_f64(config.journal.export_every_s)),
            min_sightings,
            frame_delay: config.debug.frame_delay(),
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
        if let Err(e) = journal.flush() {
            tracing::error!("journal not flushed at shutdown: {e}");
        }
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
                reboots = status.reboots,
                reports_sent = status.reports_sent,
                reports_dropped = status.reports_dropped,
                "flight-controller link stopped"
            ),
            Err(e) => tracing::error!("{e}"),
        }
        worker.records = Vec::new();
        tracing::info!(
            captures = frames.captures,
            processed = worker.frames_processed,
            failed = worker.frames_failed,
            skipped = frames.skipped_total() + worker.frames_failed,
            left_queued = frames.left_queued + worker.left_queued,
            new_candidates = worker.new_candidates,
            "stopped"
        );
        Ok(RunSummary {
            resumed_frames: replay.frames,
            resumed_sightings: replay.sightings,
            replay,
            journal_damage,
            frames,
            worker,
            exports,
        })
    }
}

/// Sleeps `d` in short steps, returning early once `stop` is set.
fn pause(d: Duration, stop: &AtomicBool) {
    let until = std::time::Instant::now() + d;
    while !stop.load(Ordering::SeqCst) {
        let left = until.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            break;
        }
        std::thread::sleep(left.min(Duration::from_millis(20)));
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
