//! Frames for the companion: each photo the vehicle takes is rendered from its TRUE pose on
//! a worker thread, off the simulation loop (which keeps its simulated clock), and written as
//! `DIR/<name>.jpg` atomically: first `DIR/.<name>.jpg.tmp`, then a rename, so a reader
//! polling the folder never sees half a file. The name is the flight folder's
//! [`FrameKey::file_name`] (qly-flight owns the rule): the CAMERA_FEEDBACK `img_idx` (from 1),
//! prefixed with the boot number after a reboot (ArduPilot numbers photos from 1 again after
//! every boot). A frame lands after its CAMERA_FEEDBACK, by the render time.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::mpsc::{channel, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use qly_core::geotag::{CameraMount, CameraPose};
use qly_core::intrinsics::CameraIntrinsics;
use qly_core::pose::AmslPosition;
use qly_core::rotation::Quat;
use qly_flight::folder::FrameKey;

use super::{render, RenderError, RenderOptions};
use crate::vehicle::Pose;
use crate::world::World;

/// The camera pose of a vehicle pose with the camera on `mount`.
pub fn camera_pose(p: &Pose, mount: CameraMount) -> Result<CameraPose, RenderError> {
    Ok(CameraPose {
        position: AmslPosition::new(p.lat_deg, p.lon_deg, p.alt_amsl_m)
            .map_err(|e| RenderError::Pose(e.to_string()))?,
        q_ned_body: Quat::from_euler_rad(p.roll_rad, p.pitch_rad, p.yaw_rad),
        mount,
    })
}

/// Writes `bytes` as `dir/<name>` through `dir/.<name>.tmp` and a rename (`name` from
/// [`FrameKey::file_name`]).
pub fn write_frame_atomic(dir: &Path, key: FrameKey, bytes: &[u8]) -> Result<PathBuf, RenderError> {
    let name = key.file_name();
    let tmp = dir.join(format!(".{name}.tmp"));
    let path = dir.join(name);
    let io = |p: &Path| {
        let p = p.display().to_string();
        move |source| RenderError::Io { path: p, source }
    };
    fs::write(&tmp, bytes).map_err(io(&tmp))?;
    fs::rename(&tmp, &path).map_err(io(&path))?;
    Ok(path)
}

/// One photo to render.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrameJob {
    /// Boot of the vehicle that took it (0 until the first reboot) and its image index.
    pub key: FrameKey,
    /// The true camera pose at the exposure.
    pub pose: CameraPose,
}

/// Queues photos for a [`FrameWriter`] from another thread (never blocks).
#[derive(Clone)]
pub struct FrameSender {
    tx: Sender<FrameJob>,
    queued: Arc<AtomicU32>,
}

impl FrameSender {
    /// Queues a photo; `Err` when the writer has stopped (the photo is not rendered).
    pub fn send(&self, job: FrameJob) -> Result<(), FrameJob> {
        self.queued.fetch_add(1, Ordering::Relaxed);
        self.tx.send(job).map_err(|e| {
            self.queued.fetch_sub(1, Ordering::Relaxed);
            e.0
        })
    }
}

/// What the writer did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriterStats {
    pub written: u32,
    pub failed: u32,
    /// Queued but not rendered because the writer was stopped.
    pub dropped: u32,
}

/// Settings of the frame writer.
#[derive(Debug, Clone)]
pub struct FrameSettings {
    pub dir: PathBuf,
    pub camera: CameraIntrinsics,
    pub options: RenderOptions,
    /// JPEG quality 1-100.
    pub jpeg_quality: u8,
}

/// A worker thread rendering and writing frames in the order they were taken.
pub struct FrameWriter {
    tx: Option<Sender<FrameJob>>,
    handle: Option<JoinHandle<WriterStats>>,
    stop: Arc<AtomicBool>,
    /// Photos queued and not yet rendered (the queue holds poses, not images).
    queued: Arc<AtomicU32>,
    /// No more photos are coming: the worker ends once the queue is empty (even while a
    /// sender is still held somewhere).
    closing: Arc<AtomicBool>,
}

impl FrameWriter {
    /// Creates `settings.dir` if needed and starts the worker.
    pub fn spawn(world: Arc<World>, settings: FrameSettings) -> Result<FrameWriter, RenderError> {
        fs::create_dir_all(&settings.dir).map_err(|source| RenderError::Io {
            path: settings.dir.display().to_string(),
            source,
        })?;
        let (tx, rx) = channel::<FrameJob>();
        let stop = Arc::new(AtomicBool::new(false));
        let stop_w = stop.clone();
        let queued = Arc::new(AtomicU32::new(0));
        let queued_w = queued.clone();
        let closing = Arc::new(AtomicBool::new(false));
        let closing_w = closing.clone();
        let handle = std::thread::Builder::new()
            .name("sim-frames".into())
            .spawn(move || {
                let mut stats = WriterStats::default();
                loop {
                    let job = match rx.recv_timeout(Duration::from_millis(50)) {
                        Ok(job) => job,
                        Err(RecvTimeoutError::Disconnected) => break,
                        Err(RecvTimeoutError::Timeout) => {
                            let done = closing_w.load(Ordering::Relaxed)
                                && queued_w.load(Ordering::Relaxed) == 0;
                            if done || stop_w.load(Ordering::Relaxed) {
                                break;
                            }
                            continue;
                        }
                    };
                    queued_w.fetch_sub(1, Ordering::Relaxed);
                    if stop_w.load(Ordering::Relaxed) {
                        stats.dropped += 1;
                        continue;
                    }
                    let opts = RenderOptions {
                        seed: settings.options.seed
                            ^ crate::world::noise::mix64(
                                job.key.image_index | (job.key.boot as u64) << 32,
                            ),
                        ..settings.options
                    };
                    let result = render(&world, &settings.camera, &job.pose, &opts)
                        .and_then(|img| img.to_jpeg(settings.jpeg_quality))
                        .and_then(|jpg| write_frame_atomic(&settings.dir, job.key, &jpg));
                    match result {
                        Ok(_) => stats.written += 1,
                        Err(e) => {
                            let name = job.key.file_name();
                            eprintln!("sim: frame {name}: {e}");
                            stats.failed += 1;
                        }
                    }
                }
                // Sent after the stop: not rendered, counted.
                while rx.try_recv().is_ok() {
                    stats.dropped += 1;
                }
                stats
            })
            .map_err(|source| RenderError::Io {
                path: "(frame writer thread)".into(),
                source,
            })?;
        Ok(FrameWriter {
            tx: Some(tx),
            handle: Some(handle),
            stop,
            queued,
            closing,
        })
    }

    /// Queues a photo (never blocks the caller).
    pub fn submit(&self, job: FrameJob) {
        if let Some(s) = self.sender() {
            // Only after the writer stopped; the photo is then not rendered.
            let _ = s.send(job);
        }
    }

    /// A handle for queueing photos from another thread.
    pub fn sender(&self) -> Option<FrameSender> {
        self.tx.clone().map(|tx| FrameSender {
            tx,
            queued: self.queued.clone(),
        })
    }

    /// Photos queued and not yet rendered.
    pub fn queued(&self) -> u32 {
        self.queued.load(Ordering::Relaxed)
    }

    /// Stops taking photos and renders every queued one, for at most `limit` (then the rest
    /// is dropped and counted): every photo taken is rendered however late, within a bound.
    pub fn finish_within(mut self, limit: Duration) -> WriterStats {
        self.tx = None;
        self.closing.store(true, Ordering::Relaxed);
        let until = Instant::now() + limit;
        while self.handle.as_ref().is_some_and(|h| !h.is_finished()) && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(20));
        }
        self.close(false)
    }

    /// Stops taking photos and waits for the worker: `drain` renders what is queued, else
    /// only the frame in progress is finished.
    pub fn finish(mut self, drain: bool) -> WriterStats {
        self.close(drain)
    }

    fn close(&mut self, drain: bool) -> WriterStats {
        if !drain {
            self.stop.store(true, Ordering::Relaxed);
        }
        self.closing.store(true, Ordering::Relaxed);
        self.tx = None;
        match self.handle.take().map(|h| h.join()) {
            Some(Ok(stats)) => stats,
            _ => WriterStats::default(),
        }
    }
}

impl Drop for FrameWriter {
    fn drop(&mut self) {
        self.close(false);
    }
}
