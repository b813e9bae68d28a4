//! The frames task: watches the frames folder for new photos and pairs each with its capture
//! event and pose.
//!
//! The camera (or the sim) writes `<image index>.jpg` atomically: a temporary name, then a
//! rename. So a file with a frame's name is complete, and anything else (`.1.jpg.tmp`,
//! `1.jpg.part`, `tmp123`) is ignored. The folder is listed every `poll_interval_ms`: cheap
//! at a few photos a second, and it works on every filesystem (inotify does not see files
//! written over NFS or by another machine on a shared card).
//!
//! A new frame waits until its capture event has arrived (CAMERA_FEEDBACK, matched by image
//! index) and telemetry has passed its capture time (so the pose is interpolated, not held).
//! If either takes longer than `capture_wait_s`, or the pose cannot be had at all (a telemetry
//! gap at the capture time), the frame is logged and skipped: it is not journaled, so a
//! restart looks at it again.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use qly_core::geotag::{CameraMount, CameraPose};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::flight::{Capture, FlightController, Lookup};
use super::TakeoffGround;

/// The image index a frame file name stands for: `<digits>.jpg` or `.jpeg`, any case.
/// Temporary and other names give `None`.
///
/// ```
/// use companion::service::frames::frame_index;
/// assert_eq!(frame_index("12.jpg"), Some(12));
/// assert_eq!(frame_index("7.JPEG"), Some(7));
/// assert_eq!(frame_index(".12.jpg.tmp"), None);
/// assert_eq!(frame_index("12.jpg.part"), None);
/// assert_eq!(frame_index("IMG_0012.jpg"), None);
/// ```
pub fn frame_index(name: &str) -> Option<u64> {
    let (stem, ext) = name.rsplit_once('.')?;
    if !(ext.eq_ignore_ascii_case("jpg") || ext.eq_ignore_ascii_case("jpeg")) {
        return None;
    }
    if stem.is_empty() || !stem.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    stem.parse().ok()
}

/// A frame ready to process: its file, when it was taken and the pose then.
#[derive(Debug, Clone)]
pub struct Job {
    pub image_index: u64,
    pub path: PathBuf,
    /// How records name the file (relative to the flight folder when inside it).
    pub file: String,
    pub capture: Capture,
    pub pose: CameraPose,
}

/// Settings of the frames task.
#[derive(Debug, Clone)]
pub struct FrameSettings {
    pub dir: PathBuf,
    /// Records name frames relative to this folder when they are inside it.
    pub flight_dir: PathBuf,
    pub poll_interval: Duration,
    pub capture_wait: Duration,
    /// The mount when no gimbal reports one.
    pub fixed_mount: CameraMount,
    /// The ground to fix from the first capture event's home elevation; `None`: the ground
    /// is configured.
    pub takeoff_ground: Option<TakeoffGround>,
}

/// What became of the frames the task saw.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FrameCounts {
    pub queued: u64,
    /// Skipped: no capture event, no pose, or the take-off ground unknown within the wait.
    pub skipped: u64,
    /// Already journaled before this run.
    pub already_done: u64,
}

/// A frame seen but not yet queued.
#[derive(Debug)]
struct Waiting {
    path: PathBuf,
    since: Instant,
}

/// The frames folder's bookkeeping: what was done, what waits, what was given up.
#[derive(Debug)]
pub struct FrameTracker {
    settings: FrameSettings,
    fc: Arc<dyn FlightController>,
    /// Journaled (before this run) or queued (in it).
    done: BTreeSet<u64>,
    skipped: BTreeSet<u64>,
    waiting: BTreeMap<u64, Waiting>,
    pub counts: FrameCounts,
    unreadable_logged: bool,
}

impl std::fmt::Debug for dyn FlightController {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FlightController")
    }
}

impl FrameTracker {
    /// A tracker that will not queue the frames in `done` (journaled before a restart).
    pub fn new(
        settings: FrameSettings,
        fc: Arc<dyn FlightController>,
        done: BTreeSet<u64>,
    ) -> FrameTracker {
        FrameTracker {
            settings,
            fc,
            done,
            skipped: BTreeSet::new(),
            waiting: BTreeMap::new(),
            counts: FrameCounts::default(),
            unreadable_logged: false,
        }
    }

    /// Lists the folder and notes new frames. An unreadable folder is logged once and
    /// retried at the next poll (the card may not be mounted yet).
    pub fn scan(&mut self, now: Instant) {
        let entries = match std::fs::read_dir(&self.settings.dir) {
            Ok(e) => {
                self.unreadable_logged = false;
                e
            }
            Err(e) => {
                if !self.unreadable_logged {
                    tracing::warn!(dir = %self.settings.dir.display(), "frames folder unreadable: {e}; retrying");
                    self.unreadable_logged = true;
                }
                return;
            }
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(index) = name.to_str().and_then(frame_index) else {
                continue;
            };
            if self.skipped.contains(&index) || self.waiting.contains_key(&index) {
                continue;
            }
            if self.done.contains(&index) {
                continue;
            }
            self.waiting.insert(
                index,
                Waiting {
                    path: entry.path(),
                    since: now,
                },
            );
        }
    }

    /// Marks frames journaled before this run that are still in the folder (for the count).
    pub fn count_already_done(&mut self) {
        if let Ok(entries) = std::fs::read_dir(&self.settings.dir) {
            self.counts.already_done = entries
                .flatten()
                .filter_map(|e| e.file_name().to_str().and_then(frame_index))
                .filter(|i| self.done.contains(i))
                .count() as u64;
        }
    }

    /// The waiting frames whose capture and pose are known now, in image-index order; frames
    /// that waited too long or can never be placed are logged and skipped.
    pub fn ready(&mut self, now: Instant) -> Vec<Job> {
        let mut jobs = Vec::new();
        let mut give_up = Vec::new();
        for (&index, w) in &self.waiting {
            match locate(self.fc.as_ref(), index, &self.settings) {
                Lookup::Ready((capture, pose)) => jobs.push(Job {
                    image_index: index,
                    file: record_name(&w.path, &self.settings.flight_dir),
                    path: w.path.clone(),
                    capture,
                    pose,
                }),
                Lookup::Wait(reason) => {
                    if now.duration_since(w.since) >= self.settings.capture_wait {
                        give_up.push((
                            index,
                            format!(
                                "{reason} after waiting {:.1} s",
                                self.settings.capture_wait.as_secs_f64()
                            ),
                        ));
                    }
                }
                Lookup::Fail(reason) => give_up.push((index, reason)),
            }
        }
        for (index, reason) in give_up {
            if let Some(w) = self.waiting.remove(&index) {
                tracing::warn!(frame = %w.path.display(), image_index = index, "frame skipped: {reason}");
                self.skipped.insert(index);
                self.counts.skipped += 1;
            }
        }
        for j in &jobs {
            self.waiting.remove(&j.image_index);
            self.done.insert(j.image_index);
            self.counts.queued += 1;
        }
        jobs
    }

    /// Frames still waiting.
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }
}

/// Capture, pose and mount of one frame, or why not yet / not at all.
fn locate(
    fc: &dyn FlightController,
    index: u64,
    settings: &FrameSettings,
) -> Lookup<(Capture, CameraPose)> {
    let located = match fc.locate(index) {
        Lookup::Ready(l) => l,
        Lookup::Wait(r) => return Lookup::Wait(r),
        Lookup::Fail(r) => return Lookup::Fail(r),
    };
    if let Some(ground) = &settings.takeoff_ground {
        if ground.height_amsl_m().is_none() {
            match located.home_amsl_m {
                Some(h) => {
                    tracing::info!(ground_amsl_m = h, "ground: the take-off elevation, from the capture event of image {index}");
                    ground.set(h);
                }
                None => {
                    return Lookup::Fail(format!(
                        "the capture event of image {index} gives no height above home, so the take-off elevation is unknown; set geotag.ground_amsl_m"
                    ))
                }
            }
        }
    }
    Lookup::Ready((
        located.capture,
        CameraPose {
            position: located.pose.position,
            q_ned_body: located.pose.q_ned_body,
            mount: located.mount.unwrap_or(settings.fixed_mount),
        },
    ))
}

/// `path` relative to `base` when inside it, else as given.
fn record_name(path: &Path, base: &Path) -> String {
    if let Ok(r) = path.strip_prefix(base) {
        return r.display().to_string();
    }
    if let (Ok(b), Ok(p)) = (base.canonicalize(), path.canonicalize()) {
        if let Ok(r) = p.strip_prefix(&b) {
            return r.display().to_string();
        }
    }
    path.display().to_string()
}

/// Runs the tracker until `stop`: scan, hand ready frames to the worker, sleep. Returns the
/// counts. Dropping `jobs` on return tells the worker no more frames come.
pub async fn run(
    mut tracker: FrameTracker,
    jobs: mpsc::Sender<Job>,
    mut stop: watch::Receiver<bool>,
) -> FrameCounts {
    tracker.count_already_done();
    let mut tick = tokio::time::interval(tracker.settings.poll_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            _ = tick.tick() => {}
        }
        let now = Instant::now();
        tracker.scan(now);
        for job in tracker.ready(now) {
            tracing::debug!(image_index = job.image_index, "frame queued");
            tokio::select! {
                _ = stop.changed() => return tracker.counts,
                sent = jobs.send(job) => if sent.is_err() { return tracker.counts },
            }
        }
    }
    tracker.counts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::flight::Located;
    use qly_core::pose::{AmslPosition, PoseSample};
    use qly_core::rotation::Quat;
    use std::sync::Mutex;

    /// A flight controller that knows captures of the listed indices and poses up to a time.
    struct Scripted {
        captures: Mutex<BTreeMap<u64, f64>>,
        covered_until_ms: Mutex<f64>,
        gap_at_ms: Option<f64>,
    }

    impl FlightController for Scripted {
        fn locate(&self, i: u64) -> Lookup<Located> {
            let Some(&t) = self.captures.lock().unwrap().get(&i) else {
                return Lookup::Wait(format!("no capture event for image index {i}"));
            };
            if self.gap_at_ms == Some(t) {
                return Lookup::Fail("telemetry gap".into());
            }
            if t > *self.covered_until_ms.lock().unwrap() {
                return Lookup::Wait("not yet".into());
            }
            Lookup::Ready(Located {
                capture: Capture {
                    image_index: i,
                    t_boot_ms: t,
                    t_utc_us: 1_700_000_000_000_000 + (t * 1000.0) as i64,
                },
                pose: PoseSample {
                    t_boot_ms: t,
                    position: AmslPosition::new(30.0, 120.0, 100.0).unwrap(),
                    q_ned_body: Quat::from_ypr_deg(0.0, 0.0, 0.0),
                },
                mount: None,
                home_amsl_m: Some(10.0),
            })
        }
        fn gps_h_acc_m(&self) -> Option<f64> {
            None
        }
        fn report(&self, _: &str, _: f32, _: f64, _: f64) {}
        fn reports_pending(&self) -> u64 {
            0
        }
    }

    #[test]
    fn frames_wait_for_capture_and_pose_then_queue_or_skip() {
        let dir = std::env::temp_dir().join(format!("qly-frames-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("frames")).unwrap();
        for name in [
            "1.jpg",
            "2.jpg",
            "3.jpg",
            "4.jpg",
            ".5.jpg.tmp",
            "notes.txt",
        ] {
            std::fs::write(dir.join("frames").join(name), b"x").unwrap();
        }
        let fc = Arc::new(Scripted {
            captures: Mutex::new(BTreeMap::from([(1, 1000.0), (2, 2000.0), (4, 4000.0)])),
            covered_until_ms: Mutex::new(1500.0),
            gap_at_ms: Some(4000.0),
        });
        let ground = TakeoffGround::default();
        let settings = FrameSettings {
            dir: dir.join("frames"),
            flight_dir: dir.clone(),
            poll_interval: Duration::from_millis(10),
            capture_wait: Duration::from_secs(5),
            fixed_mount: CameraMount::BodyFixed(Quat::from_ypr_deg(0.0, -90.0, 0.0)),
            takeoff_ground: Some(ground.clone()),
        };
        let mut t = FrameTracker::new(settings, fc.clone(), BTreeSet::from([2]));
        assert_eq!(ground.height_amsl_m(), None);
        let t0 = Instant::now();
        t.scan(t0);
        // 2 was journaled before; 1 is ready; 3 has no capture; 4 has a telemetry gap.
        let jobs = t.ready(t0);
        assert_eq!(jobs.len(), 1);
        assert_eq!(jobs[0].image_index, 1);
        assert_eq!(jobs[0].file, "frames/1.jpg");
        assert_eq!(ground.height_amsl_m(), Some(10.0), "fixed from the capture");
        assert_eq!(t.counts.skipped, 1, "4 is refused at once");
        assert_eq!(t.waiting(), 1, "3 waits");
        // A rescan does not queue 1 again; 3 waits until the wait runs out.
        t.scan(t0);
        assert!(t.ready(t0 + Duration::from_secs(1)).is_empty());
        assert!(t.ready(t0 + Duration::from_secs(6)).is_empty());
        assert_eq!(t.counts.skipped, 2);
        assert_eq!(t.waiting(), 0);
        // A late frame whose capture is ahead of telemetry waits, then goes.
        std::fs::write(dir.join("frames/6.jpg"), b"x").unwrap();
        fc.captures.lock().unwrap().insert(6, 6000.0);
        let t1 = t0 + Duration::from_secs(7);
        t.scan(t1);
        assert!(t.ready(t1).is_empty());
        *fc.covered_until_ms.lock().unwrap() = 6100.0;
        let jobs = t.ready(t1 + Duration::from_millis(100));
        assert_eq!(jobs.len(), 1);
        assert_eq!(jobs[0].capture.t_boot_ms, 6000.0);
        assert_eq!(t.counts.queued, 2);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
