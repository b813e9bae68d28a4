//! The frames task: journals each capture event with the vehicle's pose at its time, watches
//! the frames folder for new photos, and queues each photo with its capture for the worker.
//!
//! # Captures first, photos whenever they land
//!
//! A capture event (CAMERA_FEEDBACK / CAMERA_IMAGE_CAPTURED) is placed by the link as soon as
//! telemetry has passed its time ([`FlightController::take_captures`]) and journaled here as a
//! [`Record::Capture`] at once, photo or no photo. A photo that lands later (a slow camera or
//! renderer, slow storage, a busy worker, a companion restarted in between) is geotagged with
//! its own journaled capture pose: the pose timeline's capacity never decides what is lost.
//! After a restart the captures come back from the journal.
//!
//! # Photos
//!
//! The camera (or the sim) writes `frames/<index>.jpg` (`<boot>_<index>.jpg` after the
//! autopilot's k-th reboot: [`FrameKey`]) atomically: a temporary name, then a rename. So a
//! file with a frame's name is complete, and anything else (`.1.jpg.tmp`, `1.jpg.part`,
//! `tmp123`) is ignored. The folder is listed every `poll_interval_ms`: cheap at a few photos a
//! second, and it works on every filesystem (inotify does not see files written over NFS or by
//! another machine on a shared card).
//!
//! A photo whose capture is journaled is queued for the worker. The queue holds keys, paths
//! and poses, never images, and waits for the worker however slow it is.
//!
//! # Skips (each journaled as [`Record::FrameSkipped`] with its reason, and logged)
//!
//! - **No capture event ever**: a photo waits for its capture event until the next photo's
//!   capture event has been in for `capture_wait_s` (capture events come in order, before
//!   their photos: one that far behind was lost on the link), or until the service stops.
//! - **No pose**: the capture time fell in a telemetry gap, or no UTC time was ever had.
//! - **No ground**: neither a configured ground nor a take-off elevation from a capture.
//! - **No photo file**: at stop, a journaled capture whose photo never landed.
//!
//! The worker adds the skips of photos it cannot read or process (a corrupt file).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use qly_core::geotag::{CameraMount, CameraPose};
use qly_flight::record::{CaptureRecord, FrameKey, FrameSkipRecord, Record, SkipReason};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::flight::{CaptureOutcome, FlightController};
use super::TakeoffGround;
use crate::journal::Journal;

/// A photo ready to process: its key, file, capture (time and pose, as journaled).
#[derive(Debug, Clone)]
pub struct Job {
    pub key: FrameKey,
    pub path: PathBuf,
    /// How records name the file (relative to the flight folder when inside it).
    pub file: String,
    pub capture: CaptureRecord,
    pub pose: CameraPose,
}

/// Settings of the frames task.
#[derive(Debug, Clone)]
pub struct FrameSettings {
    pub dir: PathBuf,
    /// Records name frames relative to this folder when they are inside it.
    pub flight_dir: PathBuf,
    pub poll_interval: Duration,
    /// How long a photo without a capture event waits once the next photo's capture event
    /// has arrived.
    pub capture_wait: Duration,
    /// The mount when no gimbal reports one.
    pub fixed_mount: CameraMount,
    /// The ground to fix from the first capture event's home elevation; `None`: the ground
    /// is configured.
    pub takeoff_ground: Option<TakeoffGround>,
}

/// What became of the photos and captures the task saw in this run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FrameCounts {
    /// Capture events journaled.
    pub captures: u64,
    /// Photos queued for the worker.
    pub queued: u64,
    /// Skipped, by reason (each journaled).
    pub skipped: BTreeMap<SkipReason, u64>,
    /// Photos already processed (or finally skipped) before this run, still in the folder.
    pub already_done: u64,
    /// Photos queued but not taken by the worker when the service stopped (a restart
    /// processes them).
    pub left_queued: u64,
}

impl FrameCounts {
    pub fn skipped_total(&self) -> u64 {
        self.skipped.values().sum()
    }
}

/// A photo seen but not yet queued: waiting for its capture event.
#[derive(Debug)]
struct Waiting {
    path: PathBuf,
}

/// What a resumed flight's journal says about its photos.
#[derive(Debug, Default, Clone)]
pub struct Resumed {
    /// Photos processed, or skipped for good (a corrupt file).
    pub done: BTreeSet<FrameKey>,
    /// Journaled captures.
    pub captures: Vec<CaptureRecord>,
    /// Journaled skips: (photo, reason).
    pub skips: Vec<(FrameKey, SkipReason)>,
}

impl Resumed {
    /// From the journal's records.
    pub fn from_records(records: &[Record], done: BTreeSet<FrameKey>) -> Resumed {
        let mut r = Resumed {
            done,
            ..Resumed::default()
        };
        for rec in records {
            match rec {
                Record::Capture(c) => r.captures.push(c.clone()),
                Record::FrameSkipped(s) => r.skips.push((s.key(), s.reason)),
                _ => {}
            }
        }
        r
    }

    /// The autopilot boot the flight is in (the latest journaled capture's) and that
    /// capture's boot time, to continue the boot count after a restart.
    pub fn boot(&self) -> (u32, Option<f64>) {
        self.captures
            .iter()
            .max_by(|a, b| {
                (a.boot, a.t_boot_ms)
                    .partial_cmp(&(b.boot, b.t_boot_ms))
                    .unwrap_or(std::cmp::Ordering::Equal)
            })
            .map_or((0, None), |c| (c.boot, Some(c.t_boot_ms)))
    }
}

/// The frames folder's and the captures' bookkeeping. Pure apart from listing the folder:
/// its methods return the records to journal.
#[derive(Debug)]
pub struct FrameTracker {
    settings: FrameSettings,
    /// Processed, queued or skipped: not looked at again.
    done: BTreeSet<FrameKey>,
    /// Journaled captures whose photo is not queued yet.
    captures: BTreeMap<FrameKey, CaptureRecord>,
    /// When each capture (of this run, or resumed) arrived: a photo waits for its capture
    /// until the next one has been in for `capture_wait`.
    arrived: BTreeMap<FrameKey, Instant>,
    /// Captures without a pose, with the reason (skipped when their photo lands).
    no_pose: BTreeMap<FrameKey, String>,
    /// Skips already journaled (not journaled twice for the same reason).
    journaled_skips: BTreeSet<(FrameKey, SkipReason)>,
    waiting: BTreeMap<FrameKey, Waiting>,
    ready: VecDeque<Job>,
    pub counts: FrameCounts,
    unreadable_logged: bool,
}

impl std::fmt::Debug for dyn FlightController {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FlightController")
    }
}

impl FrameTracker {
    /// A tracker continuing from `resumed` (empty for a new flight); resumed captures count
    /// as arrived `now`.
    pub fn new(settings: FrameSettings, resumed: Resumed, now: Instant) -> FrameTracker {
        let mut t = FrameTracker {
            settings,
            done: resumed.done,
            captures: BTreeMap::new(),
            arrived: BTreeMap::new(),
            no_pose: BTreeMap::new(),
            journaled_skips: resumed.skips.iter().copied().collect(),
            waiting: BTreeMap::new(),
            ready: VecDeque::new(),
            counts: FrameCounts::default(),
            unreadable_logged: false,
        };
        for (key, reason) in &resumed.skips {
            if *reason == SkipReason::NoPose {
                t.no_pose
                    .insert(*key, "no pose at the capture time (journaled)".into());
            }
        }
        for c in resumed.captures {
            let key = c.key();
            t.arrived.insert(key, now);
            t.fix_ground(&c);
            if !t.done.contains(&key) {
                // A capture journaled again (after a restart) keeps its latest record.
                t.no_pose.remove(&key);
                t.captures.insert(key, c);
            }
        }
        t
    }

    /// Captures placed by the link: journal each (a [`Record::Capture`], or a skip when it has
    /// no pose).
    pub fn take_captures(&mut self, outcomes: Vec<CaptureOutcome>, now: Instant) -> Vec<Record> {
        let mut records = Vec::new();
        for o in outcomes {
            let key = o.key();
            self.arrived.insert(key, now);
            match o {
                CaptureOutcome::Placed(c) => {
                    tracing::debug!(%key, t_boot_ms = c.t_boot_ms, "capture journaled");
                    self.fix_ground(&c);
                    self.counts.captures += 1;
                    records.push(Record::Capture(c.clone()));
                    if !self.done.contains(&key) {
                        self.captures.insert(key, c);
                    }
                }
                CaptureOutcome::NoPose { key, reason } => {
                    let file = self.waiting.get(&key).map(|w| self.record_name(&w.path));
                    records.extend(self.skip(key, file, SkipReason::NoPose, reason.clone()));
                    self.no_pose.insert(key, reason);
                }
            }
        }
        records
    }

    /// Fixes the take-off ground from the first capture that implies it.
    fn fix_ground(&self, c: &CaptureRecord) {
        if let (Some(ground), Some(h)) = (&self.settings.takeoff_ground, c.home_amsl_m) {
            if ground.height_amsl_m().is_none() {
                tracing::info!(
                    ground_amsl_m = h,
                    "ground: the take-off elevation, from the capture event of {}",
                    c.key()
                );
                ground.set(h);
            }
        }
    }

    /// A skip: logged, counted, and its record unless the same skip is journaled already.
    fn skip(
        &mut self,
        key: FrameKey,
        file: Option<String>,
        reason: SkipReason,
        detail: String,
    ) -> Option<Record> {
        self.done.insert(key);
        self.waiting.remove(&key);
        self.captures.remove(&key);
        tracing::warn!(frame = file.as_deref().unwrap_or(""), %key, reason = reason.describe(), "frame skipped: {detail}");
        *self.counts.skipped.entry(reason).or_default() += 1;
        self.journaled_skips.insert((key, reason)).then_some({
            Record::FrameSkipped(FrameSkipRecord {
                boot: key.boot,
                image_index: key.image_index,
                file,
                reason,
                detail,
            })
        })
    }

    fn record_name(&self, path: &Path) -> String {
        record_name(path, &self.settings.flight_dir)
    }

    /// Lists the folder and notes new photos. An unreadable folder is logged once and
    /// retried at the next poll (the card may not be mounted yet).
    pub fn scan(&mut self) {
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
            let Some(key) = name.to_str().and_then(FrameKey::from_file_name) else {
                continue;
            };
            if self.done.contains(&key) || self.waiting.contains_key(&key) {
                continue;
            }
            self.waiting.insert(key, Waiting { path: entry.path() });
        }
    }

    /// Counts the photos in the folder processed before this run.
    pub fn count_already_done(&mut self) {
        if let Ok(entries) = std::fs::read_dir(&self.settings.dir) {
            self.counts.already_done = entries
                .flatten()
                .filter_map(|e| e.file_name().to_str().and_then(FrameKey::from_file_name))
                .filter(|k| self.done.contains(k))
                .count() as u64;
        }
    }

    /// Queues the waiting photos whose capture is journaled; skips those that can never be
    /// placed. Returns the skip records.
    pub fn queue_ready(&mut self, now: Instant) -> Vec<Record> {
        let mut records = Vec::new();
        let keys: Vec<FrameKey> = self.waiting.keys().copied().collect();
        for key in keys {
            let path = self.waiting[&key].path.clone();
            let file = self.record_name(&path);
            if let Some(reason) = self.no_pose.get(&key).cloned() {
                records.extend(self.skip(key, Some(file), SkipReason::NoPose, reason));
                continue;
            }
            let Some(capture) = self.captures.get(&key).cloned() else {
                if let Some(detail) = self.capture_lost(key, now) {
                    records.extend(self.skip(key, Some(file), SkipReason::NoCaptureEvent, detail));
                }
                continue;
            };
            if let Some(ground) = &self.settings.takeoff_ground {
                if ground.height_amsl_m().is_none() {
                    let detail = format!("the capture event of {key} gives no height above home, so the take-off elevation is unknown; set geotag.ground_amsl_m");
                    records.extend(self.skip(key, Some(file), SkipReason::NoGround, detail));
                    continue;
                }
            }
            match capture.camera_pose(self.settings.fixed_mount) {
                Ok(pose) => {
                    self.waiting.remove(&key);
                    self.captures.remove(&key);
                    self.done.insert(key);
                    self.counts.queued += 1;
                    self.ready.push_back(Job {
                        key,
                        path,
                        file,
                        capture,
                        pose,
                    });
                }
                Err(detail) => {
                    records.extend(self.skip(key, Some(file), SkipReason::NoPose, detail));
                }
            }
        }
        records
    }

    /// Why the capture event of `key` will not come: the next capture (of its boot or a
    /// later one) has been in for `capture_wait`.
    fn capture_lost(&self, key: FrameKey, now: Instant) -> Option<String> {
        let (next, at) = self
            .arrived
            .range((Bound::Excluded(key), Bound::Unbounded))
            .next()?;
        let waited = now.saturating_duration_since(*at);
        (waited >= self.settings.capture_wait).then(|| {
            format!(
                "no capture event, and the one of {next} arrived {:.1} s ago (capture events come in order: this one was lost)",
                waited.as_secs_f64()
            )
        })
    }

    /// The next job for the worker, if any.
    pub fn next_job(&mut self) -> Option<Job> {
        self.ready.pop_front()
    }

    /// Puts back a job the worker could not take yet.
    pub fn unsend(&mut self, job: Job) {
        self.ready.push_front(job);
    }

    /// At stop: photos still waiting for a capture event never got one, and journaled
    /// captures whose photo never landed are skipped; photos queued but not taken are
    /// counted (a restart processes them).
    pub fn finish(&mut self) -> Vec<Record> {
        let mut records = Vec::new();
        let keys: Vec<FrameKey> = self.waiting.keys().copied().collect();
        for key in keys {
            let file = self.record_name(&self.waiting[&key].path);
            records.extend(self.skip(
                key,
                Some(file),
                SkipReason::NoCaptureEvent,
                "no capture event before the service stopped".into(),
            ));
        }
        let lost: Vec<FrameKey> = self.captures.keys().copied().collect();
        for key in lost {
            records.extend(self.skip(
                key,
                None,
                SkipReason::NoPhotoFile,
                format!(
                    "captured, but no photo {} in {} before the service stopped",
                    key.file_name(),
                    self.settings.dir.display()
                ),
            ));
        }
        self.counts.left_queued = self.ready.len() as u64;
        if !self.ready.is_empty() {
            tracing::warn!(
                photos = self.ready.len(),
                "photos queued but not processed at stop; the next run processes them"
            );
        }
        records
    }

    /// Photos waiting for their capture event.
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// Photos queued for the worker.
    pub fn queued(&self) -> usize {
        self.ready.len()
    }
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

/// Journals records (a failure is logged: the records are the journal's only copy, so the
/// journal keeps them queued while it can).
pub fn journal_all(journal: &Journal, records: &[Record]) {
    for r in records {
        if let Err(e) = journal.append(r) {
            tracing::error!("journal append failed: {e}");
        }
    }
}

/// Runs the tracker until `stop`: take and journal captures, scan, queue ready photos, hand
/// them to the worker as it takes them. At stop, decides the captures still waiting and
/// journals the skips of [`FrameTracker::finish`]. Returns the counts. Dropping `jobs` on
/// return tells the worker no more photos come.
pub async fn run(
    mut tracker: FrameTracker,
    fc: Arc<dyn FlightController>,
    journal: Arc<Journal>,
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
        let records = tracker.take_captures(fc.take_captures(), now);
        journal_all(&journal, &records);
        tracker.scan();
        let records = tracker.queue_ready(now);
        journal_all(&journal, &records);
        // Hand over what the worker has room for; the rest waits here (never blocking the
        // captures above).
        while let Some(job) = tracker.next_job() {
            match jobs.try_send(job) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(job)) => {
                    tracker.unsend(job);
                    break;
                }
                Err(mpsc::error::TrySendError::Closed(_)) => return tracker.counts,
            }
        }
    }
    let now = Instant::now();
    let records = tracker.take_captures(fc.take_all_captures(), now);
    journal_all(&journal, &records);
    tracker.scan();
    let records = tracker.queue_ready(now);
    journal_all(&journal, &records);
    let records = tracker.finish();
    journal_all(&journal, &records);
    tracker.counts
}

#[cfg(test)]
mod tests {
    use super::*;
    use qly_core::rotation::Quat;

    fn capture(key: FrameKey, t_boot_ms: f64) -> CaptureRecord {
        CaptureRecord {
            boot: key.boot,
            image_index: key.image_index,
            t_boot_ms,
            t_utc_us: 1_700_000_000_000_000 + (t_boot_ms * 1000.0) as i64,
            lat_deg: 30.0,
            lon_deg: 120.0,
            alt_amsl_m: 100.0,
            q_ned_body: [1.0, 0.0, 0.0, 0.0],
            mount: None,
            home_amsl_m: Some(10.0),
        }
    }

    fn placed(key: FrameKey, t: f64) -> CaptureOutcome {
        CaptureOutcome::Placed(capture(key, t))
    }

    fn k(boot: u32, image_index: u64) -> FrameKey {
        FrameKey { boot, image_index }
    }

    fn kinds(records: &[Record]) -> Vec<String> {
        records
            .iter()
            .map(|r| match r {
                Record::Capture(c) => format!("capture {}", c.key()),
                Record::FrameSkipped(s) => format!("skip {} {:?}", s.key(), s.reason),
                _ => "other".into(),
            })
            .collect()
    }

    fn setup(name: &str) -> (PathBuf, FrameSettings, TakeoffGround) {
        let dir = std::env::temp_dir().join(format!("qly-frames-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("frames")).unwrap();
        let ground = TakeoffGround::default();
        let settings = FrameSettings {
            dir: dir.join("frames"),
            flight_dir: dir.clone(),
            poll_interval: Duration::from_millis(10),
            capture_wait: Duration::from_secs(5),
            fixed_mount: CameraMount::BodyFixed(Quat::from_ypr_deg(0.0, -90.0, 0.0)),
            takeoff_ground: Some(ground.clone()),
        };
        (dir, settings, ground)
    }

    fn touch(dir: &Path, name: &str) {
        std::fs::write(dir.join("frames").join(name), b"x").unwrap();
    }

    #[test]
    fn captures_are_journaled_at_once_and_photos_wait_for_them_however_late() {
        let (dir, settings, ground) = setup("late");
        for name in ["1.jpg", "2.jpg", "3.jpg", ".5.jpg.tmp", "notes.txt"] {
            touch(&dir, name);
        }
        let t0 = Instant::now();
        let resumed = Resumed {
            done: BTreeSet::from([k(0, 2)]),
            ..Resumed::default()
        };
        let mut t = FrameTracker::new(settings, resumed, t0);
        // Captures of 1 and 4 are journaled before any photo is looked at; 3's has no pose.
        let recs = t.take_captures(
            vec![
                placed(k(0, 1), 1000.0),
                placed(k(0, 4), 4000.0),
                CaptureOutcome::NoPose {
                    key: k(0, 3),
                    reason: "telemetry gap".into(),
                },
            ],
            t0,
        );
        assert_eq!(
            kinds(&recs),
            ["capture image 1", "capture image 4", "skip image 3 NoPose"]
        );
        assert_eq!(ground.height_amsl_m(), Some(10.0), "fixed from the capture");
        t.scan();
        let recs = t.queue_ready(t0);
        assert!(recs.is_empty(), "3's skip is journaled already: {recs:?}");
        let job = t.next_job().unwrap();
        assert_eq!((job.key, job.file.as_str()), (k(0, 1), "frames/1.jpg"));
        assert_eq!(job.capture.t_boot_ms, 1000.0);
        assert!(t.next_job().is_none(), "2 was done before; 3 has no pose");
        // Photo 4 lands ten minutes later: its journaled capture still places it.
        touch(&dir, "4.jpg");
        let later = t0 + Duration::from_secs(600);
        t.scan();
        assert!(t.queue_ready(later).is_empty());
        assert_eq!(t.next_job().unwrap().capture.t_boot_ms, 4000.0);
        assert_eq!(t.counts.queued, 2);
        assert_eq!(t.counts.skipped.get(&SkipReason::NoPose), Some(&1));
        // Nothing is left at stop.
        assert!(t.finish().is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_photo_without_a_capture_waits_until_the_next_capture_has_been_in_long_enough() {
        let (dir, settings, _) = setup("lost");
        let t0 = Instant::now();
        let mut t = FrameTracker::new(settings, Resumed::default(), t0);
        touch(&dir, "7.jpg");
        t.scan();
        // No later capture: it waits, however long.
        assert!(t.queue_ready(t0 + Duration::from_secs(3600)).is_empty());
        assert_eq!(t.waiting(), 1);
        // Capture 8 arrives; 7's never does. 7 waits capture_wait (5 s) after 8's arrival.
        let t1 = t0 + Duration::from_secs(3600);
        t.take_captures(vec![placed(k(0, 8), 8000.0)], t1);
        assert!(t.queue_ready(t1 + Duration::from_secs(4)).is_empty());
        let recs = t.queue_ready(t1 + Duration::from_secs(5));
        assert_eq!(kinds(&recs), ["skip image 7 NoCaptureEvent"]);
        // A capture of a later boot counts as later too; at stop a capture without its photo
        // and a photo without its capture are skipped with their reasons.
        touch(&dir, "1_1.jpg");
        touch(&dir, "1_3.jpg");
        t.scan();
        t.take_captures(vec![placed(k(1, 1), 100.0)], t1);
        t.queue_ready(t1);
        assert_eq!(t.next_job().unwrap().key, k(1, 1));
        let recs = t.finish();
        assert_eq!(
            kinds(&recs),
            [
                "skip image 3 of boot 1 NoCaptureEvent",
                "skip image 8 NoPhotoFile"
            ]
        );
        assert_eq!(t.counts.skipped_total(), 3);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_resumed_flight_places_photos_with_journaled_captures_and_keeps_the_boot() {
        let (dir, settings, ground) = setup("resume");
        touch(&dir, "1_5.jpg");
        touch(&dir, "5.jpg");
        let records = vec![
            Record::Capture(capture(k(0, 5), 5000.0)),
            Record::Capture(capture(k(1, 5), 700.0)),
            Record::FrameSkipped(FrameSkipRecord {
                boot: 0,
                image_index: 5,
                file: None,
                reason: SkipReason::NoPhotoFile,
                detail: String::new(),
            }),
        ];
        let resumed = Resumed::from_records(&records, BTreeSet::new());
        assert_eq!(resumed.boot(), (1, Some(700.0)));
        let t0 = Instant::now();
        let mut t = FrameTracker::new(settings, resumed, t0);
        assert_eq!(ground.height_amsl_m(), Some(10.0));
        t.scan();
        assert!(t.queue_ready(t0).is_empty());
        let keys: Vec<FrameKey> = std::iter::from_fn(|| t.next_job()).map(|j| j.key).collect();
        assert_eq!(keys, [k(0, 5), k(1, 5)]);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
