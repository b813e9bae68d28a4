//! The flight's durable journal: every frame, sighting and candidate record, appended to one
//! file in the flight folder, on disk within a bounded time, readable after a battery pull.
//!
//! # Why an append-only log and not SQLite
//!
//! The journal is a text file of framed lines (see [`frame`]): `qj1 <len> <crc32> <json>\n`.
//!
//! - **Nothing already journaled can be damaged by a later write.** The file is only ever
//!   appended to; bytes once synced are never rewritten. SQLite rewrites B-tree pages in
//!   place (at every checkpoint in WAL mode, at every commit in rollback mode) and relies on
//!   the storage honouring write order and sector atomicity across a power cut, which cheap
//!   SD cards do not promise.
//! - **Torn writes are detected, not assumed away.** Each line carries its length and a
//!   CRC-32, so a half-written last record, or zeros left by a power cut, is found, reported
//!   with its byte offset, and cut off; a damaged line in the middle (bit rot) costs that line
//!   only, because lines resynchronise at the next newline.
//! - **One fdatasync per group of records, of only the new bytes.** On an SD card a sync is
//!   milliseconds to tens of milliseconds; we pay one per group commit (see below), writing
//!   a few hundred bytes per record. SQLite in `synchronous=FULL` syncs the WAL per
//!   transaction and writes whole 4 KiB pages plus frame headers, and its checkpoints add
//!   more syncs and rewrites: more wear and latency for the same guarantee.
//! - **One file in the flight folder.** SQLite in WAL mode keeps `-wal` and `-shm` files
//!   beside the database; a file copied off the card without them loses the last commits.
//! - **Readable by other tools.** Each line's payload is plain JSON:
//!   `cut -d' ' -f4- journal.qlj | jq .` reads a journal with no Qianliyan code. (SQLite would
//!   be queryable with `sqlite3`; we give that up, and get it back in the post-flight
//!   GeoPackage export, which *is* SQLite, written once when nothing is in flight.)
//!
//! # The sync guarantee
//!
//! [`Journal::append`] only frames the record and queues its bytes (microseconds; it never
//! waits for the disk). A writer thread takes the queue, waits [`JournalOptions::group_window`]
//! (default 5 ms) so that one frame's records (frame, sightings, candidates: appended back to
//! back) share one sync, writes everything queued at the file's end and calls `fdatasync`.
//! Records appended while a sync runs go in the next group. So, while the disk accepts
//! writes, a record appended at time `t` is on disk by
//! `t + group_window + 2 × (write + fdatasync of one group)`: within 200 ms whenever a
//! group's write and sync take under 97 ms. (Measured on the development VM's ext4, a small
//! write + fdatasync is 4 ms median, 18 ms p99; at a service-like pace append-to-synced was
//! 8 ms median, 38 ms worst of 300 frames: `tests/journal_throughput.rs` says how to measure
//! on the drone's card.) A disk slower than that stretches the bound; it is the disk's
//! latency, not a queue: nothing waits behind a timer. [`JournalStats::synced`] counts
//! records known to be on disk, and [`Journal::wait_synced`] waits for one; the tests check
//! the 200 ms by reading the file from another handle while appending.
//!
//! A reader of a journal that is being written may see the record in flight as a torn tail;
//! [`read_journal`] reports it and never changes the file.
//!
//! # When the disk refuses (full card, I/O error)
//!
//! A failed write or sync is logged once per episode with `tracing::error!` (not per record),
//! counted in [`JournalStats::write_errors`], and retried every
//! [`JournalOptions::retry_interval`]. The failed group stays in memory and is rewritten from
//! the end of the last synced record (a partial write is cut off first), so the file never
//! holds a half-written record in the middle and nothing already on disk is touched. The
//! caller is never blocked: appends keep queueing until the queue holds
//! [`JournalOptions::max_pending_bytes`], after which [`Journal::append`] refuses (and counts)
//! new records rather than grow without bound. When the disk takes writes again, a
//! `tracing::warn!` says how many records were written after the outage.
//!
//! # Reopening
//!
//! [`Journal::open`] reads the file back (the service rebuilds its state from the records and
//! skips frames it already processed), cuts off a torn tail with a `tracing::warn!` naming the
//! file and byte offset, and appends after the last intact record. [`read_journal`] reads
//! without opening for writing (review tools, exports).

pub mod frame;
mod writer;

use std::fs::{File, OpenOptions};
use std::io::{self, Seek};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub use frame::{Damage, DamageReason};

use crate::folder::{Entry, FrameKey};
use crate::record::{Record, RecordSink, SinkError, SkipReason};

/// The journal's file name in a flight folder ([`crate::folder::FlightFolder::journal`]).
pub const JOURNAL_FILE_NAME: &str = Entry::Journal.name();

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("journal {path}: {action}: {source}")]
    Io {
        path: PathBuf,
        action: &'static str,
        source: io::Error,
    },
    #[error("journal {path} is already open for writing by another journal (file lock held)")]
    Locked { path: PathBuf },
    #[error("journal {path}: a record could not be encoded: {source}")]
    Encode {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error(
        "journal {path}: {pending_bytes} bytes are waiting for the disk (limit {limit_bytes}); \
         record refused (last write error: {last_error})"
    )]
    QueueFull {
        path: PathBuf,
        pending_bytes: usize,
        limit_bytes: usize,
        last_error: String,
    },
    #[error("journal {path}: {pending} records are not on disk: {last_error}")]
    NotSynced {
        path: PathBuf,
        pending: u64,
        last_error: String,
    },
    #[error("journal {path}: the writer thread has stopped")]
    WriterStopped { path: PathBuf },
}

/// Tuning of a [`Journal`].
#[derive(Debug, Clone, PartialEq)]
pub struct JournalOptions {
    /// How long the writer waits after the first record of a group before writing it, so
    /// that records appended together share one sync.
    pub group_window: Duration,
    /// How often a failed write is retried.
    pub retry_interval: Duration,
    /// Bytes of framed records that may wait for the disk before appends are refused.
    pub max_pending_bytes: usize,
}

impl Default for JournalOptions {
    fn default() -> JournalOptions {
        JournalOptions {
            group_window: Duration::from_millis(5),
            retry_interval: Duration::from_secs(1),
            // About 100 000 records: hours of flight.
            max_pending_bytes: 64 << 20,
        }
    }
}

/// Counters of a [`Journal`] since it was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JournalStats {
    /// Records accepted by [`Journal::append`].
    pub appended: u64,
    /// Of those, records written and fdatasync'ed.
    pub synced: u64,
    /// Accepted records not yet on disk.
    pub pending: u64,
    /// Successful group commits (one write and one fdatasync each).
    pub syncs: u64,
    /// Failed write or sync attempts.
    pub write_errors: u64,
    /// Appends refused because the pending queue was full.
    pub refused: u64,
    /// Bytes of torn tail cut off when the journal was opened.
    pub dropped_torn_bytes: u64,
    /// Bytes of damaged lines before the tail, skipped (and left in the file) at open.
    pub skipped_damaged_bytes: u64,
    /// Whether the last write attempt failed.
    pub failing: bool,
}

/// A journal file read back.
#[derive(Debug, Clone)]
pub struct JournalContents {
    pub path: PathBuf,
    /// Every intact record, in file order.
    pub records: Vec<Record>,
    /// What was not read, in file order: damaged lines, and a torn tail (a span reaching
    /// the end of the file past [`JournalContents::intact_len`]).
    pub damage: Vec<Damage>,
    /// End of the last intact line.
    pub intact_len: u64,
    pub file_len: u64,
}

impl JournalContents {
    /// Bytes past the last intact record (a write cut short).
    pub fn torn_tail_bytes(&self) -> u64 {
        self.file_len - self.intact_len
    }

    /// The photos whose frame record and all its sighting records (as many as the frame
    /// record counts) are in the journal, or that were skipped for a reason that will not
    /// change (a corrupt file): the photos a resumed service need not look at again.
    /// A frame cut short by a crash (its frame record written, some sightings not) is not
    /// complete; its candidate records, which follow the sightings, may be missing too, so a
    /// resuming service rebuilds candidates from sightings, not from the last candidate
    /// records of the cut frame.
    pub fn completed_frames(&self) -> std::collections::BTreeSet<FrameKey> {
        use std::collections::{BTreeMap, BTreeSet};
        let mut expected: BTreeMap<FrameKey, u32> = BTreeMap::new();
        let mut seen: BTreeMap<FrameKey, u32> = BTreeMap::new();
        let mut final_skips: BTreeSet<FrameKey> = BTreeSet::new();
        for r in &self.records {
            match r {
                Record::Frame(f) => {
                    expected.insert(
                        FrameKey {
                            boot: f.boot,
                            image_index: f.image_index,
                        },
                        f.sightings,
                    );
                }
                Record::Sighting(s) => {
                    *seen
                        .entry(FrameKey {
                            boot: s.boot,
                            image_index: s.image_index,
                        })
                        .or_default() += 1
                }
                Record::FrameSkipped(s) if s.reason == SkipReason::CorruptFile => {
                    final_skips.insert(s.key());
                }
                _ => {}
            }
        }
        expected
            .into_iter()
            .filter(|(k, n)| seen.get(k).copied().unwrap_or(0) >= *n)
            .map(|(k, _)| k)
            .chain(final_skips)
            .collect()
    }
}

/// Reads a journal without opening it for writing: all intact records and a report of what
/// was skipped. The file is not changed.
///
/// Lines are read one at a time: memory is the records plus one line of at most
/// [`frame::MAX_LINE_BYTES`]; a longer line is reported as damage and skipped unread.
pub fn read_journal(path: &Path) -> Result<JournalContents, JournalError> {
    let file = File::open(path).map_err(|source| JournalError::Io {
        path: path.to_path_buf(),
        action: "reading",
        source,
    })?;
    contents(path, &file).map_err(|source| JournalError::Io {
        path: path.to_path_buf(),
        action: "reading",
        source,
    })
}

/// Scans `file`, just opened (at offset 0), to its end.
fn contents(path: &Path, mut file: &File) -> io::Result<JournalContents> {
    let scan = frame::scan_reader(file)?;
    let file_len = file.stream_position()?;
    Ok(JournalContents {
        path: path.to_path_buf(),
        records: scan.records,
        damage: scan.damage,
        intact_len: scan.intact_len,
        file_len,
    })
}

/// Where the writer thread writes: the journal file, or a test's faulty disk.
pub(crate) trait Storage: Send + 'static {
    /// Writes all of `bytes` at `offset`.
    fn write_at(&mut self, offset: u64, bytes: &[u8]) -> io::Result<()>;
    /// Makes everything written durable (fdatasync).
    fn sync(&mut self) -> io::Result<()>;
    /// Cuts the file to `len` bytes.
    fn truncate(&mut self, len: u64) -> io::Result<()>;
}

impl Storage for File {
    fn write_at(&mut self, offset: u64, bytes: &[u8]) -> io::Result<()> {
        use std::io::{Seek, SeekFrom, Write};
        self.seek(SeekFrom::Start(offset))?;
        self.write_all(bytes)
    }

    fn sync(&mut self) -> io::Result<()> {
        self.sync_data()
    }

    fn truncate(&mut self, len: u64) -> io::Result<()> {
        self.set_len(len)
    }
}

/// State shared by the appenders and the writer thread.
pub(crate) struct Shared {
    path: PathBuf,
    options: JournalOptions,
    state: Mutex<State>,
    /// Wakes the writer: records queued, a flush asked, shutdown.
    wake_writer: Condvar,
    /// Wakes waiters: a write attempt finished.
    progress: Condvar,
}

#[derive(Default)]
pub(crate) struct State {
    /// Framed records appended and not yet taken by the writer.
    queue: Vec<u8>,
    queue_records: u64,
    /// Bytes the writer holds (taken, not yet synced).
    inflight_bytes: usize,
    stats: JournalStats,
    /// The current failure episode's error.
    last_error: Option<String>,
    /// Flush requests made / taken into a write attempt / answered by a finished attempt.
    flush_asked: u64,
    flush_taken: u64,
    flush_done: u64,
    shutdown: bool,
    writer_stopped: bool,
    /// The queue-full error was logged in this episode.
    queue_full_logged: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A poisoned lock means the writer panicked mid-update; the counters are still the
        // best we know, and the journal must not take the service down with it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The flight's journal, open for appending. See the module doc for the guarantees.
pub struct Journal {
    shared: Arc<Shared>,
    writer: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal")
            .field("path", &self.shared.path)
            .field("stats", &self.stats())
            .finish()
    }
}

impl Journal {
    /// Opens `flight_dir/journal.qlj`, creating it if needed.
    pub fn open_in(flight_dir: &Path) -> Result<(Journal, JournalContents), JournalError> {
        Journal::open(
            &flight_dir.join(JOURNAL_FILE_NAME),
            JournalOptions::default(),
        )
    }

    /// Opens (or creates) the journal at `path` for appending, and returns what it already
    /// holds. A torn tail is cut off with a warning; damaged lines before it are skipped with
    /// a warning and left in the file.
    pub fn open(
        path: &Path,
        options: JournalOptions,
    ) -> Result<(Journal, JournalContents), JournalError> {
        let io_err = |action: &'static str| {
            let path = path.to_path_buf();
            move |source| JournalError::Io {
                path,
                action,
                source,
            }
        };
        let existed = path.exists();
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(io_err("opening for appending"))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(JournalError::Locked {
                    path: path.to_path_buf(),
                })
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io_err("locking")(e)),
        }
        if !existed {
            // The new file's directory entry must survive a power cut too.
            sync_parent_dir(path).map_err(io_err("syncing the flight folder"))?;
        }
        let contents = contents(path, &file).map_err(io_err("reading"))?;
        let mut skipped_damaged_bytes = 0;
        for d in &contents.damage {
            if d.offset >= contents.intact_len {
                tracing::warn!(
                    file = %path.display(),
                    offset = d.offset,
                    bytes = d.len,
                    reason = %d.reason,
                    "journal: torn last record dropped; appending after byte {}",
                    contents.intact_len
                );
            } else {
                skipped_damaged_bytes += d.len;
                tracing::warn!(
                    file = %path.display(),
                    offset = d.offset,
                    bytes = d.len,
                    reason = %d.reason,
                    "journal: damaged record skipped (left in the file)"
                );
            }
        }
        let torn = contents.torn_tail_bytes();
        if torn > 0 {
            file.set_len(contents.intact_len)
                .map_err(io_err("cutting off the torn tail"))?;
            file.sync_data()
                .map_err(io_err("syncing after cutting off the torn tail"))?;
        }
        let journal = Journal::start(
            path,
            options,
            Box::new(file),
            contents.intact_len,
            JournalStats {
                dropped_torn_bytes: torn,
                skipped_damaged_bytes,
                ..JournalStats::default()
            },
        )?;
        Ok((journal, contents))
    }

    /// Starts the writer thread over `storage`, whose intact content ends at `end`.
    pub(crate) fn start(
        path: &Path,
        options: JournalOptions,
        storage: Box<dyn Storage>,
        end: u64,
        stats: JournalStats,
    ) -> Result<Journal, JournalError> {
        let shared = Arc::new(Shared {
            path: path.to_path_buf(),
            options,
            state: Mutex::new(State {
                stats,
                ..State::default()
            }),
            wake_writer: Condvar::new(),
            progress: Condvar::new(),
        });
        // The writer logs where the opener logs (a test's or the service's subscriber).
        let dispatch = tracing::dispatcher::get_default(|d| d.clone());
        let for_writer = Arc::clone(&shared);
        let writer = std::thread::Builder::new()
            .name("journal-writer".into())
            .spawn(move || {
                tracing::dispatcher::with_default(&dispatch, || {
                    writer::run(&for_writer, storage, end)
                })
            })
            .map_err(|source| JournalError::Io {
                path: path.to_path_buf(),
                action: "starting the writer thread",
                source,
            })?;
        Ok(Journal {
            shared,
            writer: Some(writer),
        })
    }

    pub fn path(&self) -> &Path {
        &self.shared.path
    }

    /// Queues `record` for the disk and returns its sequence number (1 for the first record
    /// appended since opening), for [`Journal::wait_synced`]. Never waits for the disk.
    pub fn append(&self, record: &Record) -> Result<u64, JournalError> {
        let line = frame::encode(record).map_err(|source| JournalError::Encode {
            path: self.shared.path.clone(),
            source,
        })?;
        let mut st = self.shared.lock();
        if st.writer_stopped {
            return Err(JournalError::WriterStopped {
                path: self.shared.path.clone(),
            });
        }
        let pending_bytes = st.queue.len() + st.inflight_bytes;
        let limit_bytes = self.shared.options.max_pending_bytes;
        if pending_bytes + line.len() > limit_bytes {
            st.stats.refused += 1;
            if !st.queue_full_logged {
                st.queue_full_logged = true;
                tracing::error!(
                    file = %self.shared.path.display(),
                    pending_bytes,
                    "journal: pending queue full; refusing new records until the disk takes writes"
                );
            }
            return Err(JournalError::QueueFull {
                path: self.shared.path.clone(),
                pending_bytes,
                limit_bytes,
                last_error: st.last_error.clone().unwrap_or_default(),
            });
        }
        let was_empty = st.queue.is_empty();
        st.queue.extend_from_slice(&line);
        st.queue_records += 1;
        st.stats.appended += 1;
        let seq = st.stats.appended;
        drop(st);
        if was_empty {
            self.shared.wake_writer.notify_one();
        }
        Ok(seq)
    }

    /// The counters now.
    pub fn stats(&self) -> JournalStats {
        let st = self.shared.lock();
        let mut s = st.stats;
        s.pending = s.appended - s.synced;
        s.failing = st.last_error.is_some();
        s
    }

    /// Waits until record `seq` (from [`Journal::append`]) is on disk, at most `timeout`.
    /// Returns whether it is.
    pub fn wait_synced(&self, seq: u64, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut st = self.shared.lock();
        while st.stats.synced < seq {
            let now = Instant::now();
            if now >= deadline || st.writer_stopped {
                return false;
            }
            st = self
                .shared
                .progress
                .wait_timeout(st, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        true
    }

    /// Writes and syncs everything appended so far, now (no group window, no retry delay),
    /// and waits for that attempt. Fails, naming the error, when the disk refused it: the
    /// records stay queued and are retried.
    pub fn flush(&self) -> Result<(), JournalError> {
        let mut st = self.shared.lock();
        let target = st.stats.appended;
        st.flush_asked += 1;
        let ticket = st.flush_asked;
        self.shared.wake_writer.notify_one();
        loop {
            if st.stats.synced >= target {
                return Ok(());
            }
            if st.flush_done >= ticket {
                return Err(JournalError::NotSynced {
                    path: self.shared.path.clone(),
                    pending: st.stats.appended - st.stats.synced,
                    last_error: st.last_error.clone().unwrap_or_default(),
                });
            }
            if st.writer_stopped {
                return Err(JournalError::WriterStopped {
                    path: self.shared.path.clone(),
                });
            }
            st = self
                .shared
                .progress
                .wait(st)
                .unwrap_or_else(|e| e.into_inner());
        }
    }
}

impl Drop for Journal {
    /// Writes what is queued (one attempt, no delay) and stops the writer.
    fn drop(&mut self) {
        self.shared.lock().shutdown = true;
        self.shared.wake_writer.notify_one();
        if let Some(writer) = self.writer.take() {
            if writer.join().is_err() {
                tracing::error!(file = %self.shared.path.display(), "journal: the writer thread panicked");
            }
        }
    }
}

impl RecordSink for Journal {
    fn append(&mut self, record: &Record) -> Result<(), SinkError> {
        Journal::append(self, record)
            .map(|_| ())
            .map_err(|e| Box::new(e) as SinkError)
    }
}

fn sync_parent_dir(path: &Path) -> io::Result<()> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    File::open(parent)?.sync_all()
}

#[cfg(test)]
mod tests;
