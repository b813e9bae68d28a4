//! MAVLink 2 signing state of one system: its signing timestamp and the last timestamp of
//! every incoming stream, shared by all of the system's links and optionally kept in a file
//! across restarts.
//!
//! The signing specification keys replay protection by stream, (system id, component id,
//! link id), not by link: the MAVLink C library and ArduPilot keep one stream table for all
//! channels, so a signed frame recorded on one link and replayed on another is refused. The
//! same table outlives a restart when it is persisted, so frames recorded before the
//! restart are refused after it. The signing timestamp only moves forward: it adopts the
//! newest timestamp of any valid signed frame received (as the C library and pymavlink do),
//! so a link keeps working when the peer's clock runs ahead of ours.
//!
//! The state file is plain text, written atomically (temporary file + rename) at most once a
//! second while frames arrive, and by [`SigningStreams::flush`]. After a hard kill, stream
//! timestamps of the last second before it may be missing; a new stream is still refused
//! when it is more than a minute older than the restored signing timestamp.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use thiserror::Error;

/// A new stream whose timestamp is more than this far behind ours is a replay (1 minute, in
/// 10 µs units), as the signing specification says.
pub const NEW_STREAM_WINDOW: u64 = 6_000_000;
/// Most streams remembered; the C library keeps 16. A frame opening a stream beyond this is
/// refused rather than letting the table grow without bound.
pub const MAX_STREAMS: usize = 1024;
/// Persisted at most this often while frames arrive.
const SAVE_INTERVAL: Duration = Duration::from_secs(1);
const HEADER: &str = "# qianliyan MAVLink signing state v1";

/// One incoming signing stream.
pub type StreamId = (u8, u8, u8);

/// Why a signed frame's timestamp was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamRefusal {
    /// Not newer than the stream's last timestamp, or a new stream over a minute behind.
    Replay,
    /// A new stream while the table is full.
    TableFull,
}

/// Why a state file could not be read.
#[derive(Debug, Error)]
pub enum SigningStateError {
    #[error("signing state {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("signing state {path} line {line}: expected {expected}, found {found:?}")]
    Parse {
        path: PathBuf,
        line: usize,
        expected: &'static str,
        found: String,
    },
}

#[derive(Debug, Default)]
struct Table {
    streams: HashMap<StreamId, u64>,
    /// Newest timestamp received or sent (our signing clock).
    timestamp: u64,
    path: Option<PathBuf>,
    dirty: bool,
    last_save: Option<Instant>,
    save_error: Option<String>,
}

/// The signing state shared by a system's links (cheap to clone: one shared table).
#[derive(Debug, Clone, Default)]
pub struct SigningStreams {
    inner: Arc<Mutex<Table>>,
}

impl SigningStreams {
    /// A table kept in memory only (lost on restart).
    pub fn in_memory() -> Self {
        Self::default()
    }

    /// A table kept in `path`: read now if the file exists (an unreadable or malformed file
    /// is an error, never silently replaced), written as frames arrive.
    pub fn persistent(path: &Path) -> Result<Self, SigningStateError> {
        let mut table = Table {
            path: Some(path.to_path_buf()),
            ..Table::default()
        };
        match std::fs::read_to_string(path) {
            Ok(text) => parse(&text, path, &mut table)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(SigningStateError::Io {
                    path: path.to_path_buf(),
                    source,
                })
            }
        }
        Ok(SigningStreams {
            inner: Arc::new(Mutex::new(table)),
        })
    }

    /// The state file, if persisted.
    pub fn path(&self) -> Option<PathBuf> {
        self.lock().path.clone()
    }

    /// Our signing timestamp (10 µs units since 2015-01-01).
    pub fn timestamp(&self) -> u64 {
        self.lock().timestamp
    }

    /// Streams remembered.
    pub fn stream_count(&self) -> usize {
        self.lock().streams.len()
    }

    /// Moves the signing timestamp forward to `now` (never back): a vehicle does this from
    /// its GPS clock (ArduPilot's `update_signing_timestamp`).
    pub fn advance_timestamp(&self, now: u64) {
        let mut t = self.lock();
        if now > t.timestamp {
            t.timestamp = now;
        }
    }

    /// The timestamp for the next frame we sign: strictly after every timestamp sent or
    /// accepted so far, and never behind `now`.
    pub(crate) fn next_send_timestamp(&self, now: u64) -> u64 {
        let mut t = self.lock();
        let ts = now.max(t.timestamp + 1);
        t.timestamp = ts;
        ts
    }

    /// The replay check of a validly signed frame; on success the stream's timestamp and ours
    /// move forward.
    pub(crate) fn accept(&self, stream: StreamId, ts: u64) -> Result<(), StreamRefusal> {
        let mut t = self.lock();
        match t.streams.get(&stream) {
            Some(last) if ts <= *last => return Err(StreamRefusal::Replay),
            None if ts.saturating_add(NEW_STREAM_WINDOW) < t.timestamp => {
                return Err(StreamRefusal::Replay)
            }
            None if t.streams.len() >= MAX_STREAMS => return Err(StreamRefusal::TableFull),
            _ => {}
        }
        t.streams.insert(stream, ts);
        if ts > t.timestamp {
            t.timestamp = ts;
        }
        t.dirty = true;
        if t.path.is_some() && t.last_save.is_none_or(|s| s.elapsed() >= SAVE_INTERVAL) {
            t.save();
        }
        Ok(())
    }

    /// Writes the state file now (no-op in memory).
    pub fn flush(&self) -> Result<(), std::io::Error> {
        let mut t = self.lock();
        if t.path.is_none() {
            return Ok(());
        }
        t.save();
        match t.save_error.take() {
            Some(e) => Err(std::io::Error::other(e)),
            None => Ok(()),
        }
    }

    /// The last failure to write the state file, if the last attempt failed.
    pub fn save_error(&self) -> Option<String> {
        self.lock().save_error.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Table> {
        // A panic while holding the lock leaves plain data behind: keep using it.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Table {
    fn save(&mut self) {
        let Some(path) = self.path.clone() else {
            return;
        };
        self.last_save = Some(Instant::now());
        let mut text = format!(
            "{HEADER}\n# timestamps: 10 us units since 2015-01-01 UTC\ntimestamp {}\n",
            self.timestamp
        );
        let mut streams: Vec<_> = self.streams.iter().collect();
        streams.sort();
        for ((s, c, l), ts) in streams {
            text.push_str(&format!("stream {s} {c} {l} {ts}\n"));
        }
        let tmp = path.with_extension("tmp");
        let result = (|| {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
            std::fs::rename(&tmp, &path)
        })();
        match result {
            Ok(()) => {
                self.dirty = false;
                self.save_error = None;
            }
            Err(e) => self.save_error = Some(format!("{}: {e}", path.display())),
        }
    }
}

fn parse(text: &str, path: &Path, table: &mut Table) -> Result<(), SigningStateError> {
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = |expected: &'static str| SigningStateError::Parse {
            path: path.to_path_buf(),
            line: line_no,
            expected,
            found: line.chars().take(80).collect(),
        };
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["timestamp", ts] => {
                table.timestamp = ts
                    .parse()
                    .map_err(|_| bad("`timestamp N` with N a whole number"))?;
            }
            ["stream", s, c, l, ts] => {
                let id = (
                    s.parse::<u8>(),
                    c.parse::<u8>(),
                    l.parse::<u8>(),
                    ts.parse::<u64>(),
                );
                let (Ok(s), Ok(c), Ok(l), Ok(ts)) = id else {
                    return Err(bad(
                        "`stream SYSTEM COMPONENT LINK TIMESTAMP` (ids 0-255, timestamp a whole number)",
                    ));
                };
                if table.streams.len() < MAX_STREAMS {
                    table.streams.insert((s, c, l), ts);
                }
            }
            _ => {
                return Err(bad(
                    "`timestamp N` or `stream SYSTEM COMPONENT LINK TIMESTAMP`",
                ))
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replays_and_old_new_streams_are_refused_and_the_clock_adopts_newer_timestamps() {
        let s = SigningStreams::in_memory();
        s.advance_timestamp(100_000_000);
        assert_eq!(s.accept((255, 190, 0), 99_000_000), Ok(()));
        assert_eq!(
            s.accept((255, 190, 0), 99_000_000),
            Err(StreamRefusal::Replay)
        );
        // A new stream over a minute behind our clock.
        assert_eq!(
            s.accept((1, 1, 0), 100_000_000 - NEW_STREAM_WINDOW - 1),
            Err(StreamRefusal::Replay)
        );
        // A peer an hour ahead: accepted, and what we send next is newer still.
        let ahead = 100_000_000 + 360_000_000;
        assert_eq!(s.accept((1, 1, 0), ahead), Ok(()));
        assert_eq!(s.next_send_timestamp(100_000_000), ahead + 1);
        assert_eq!(s.next_send_timestamp(0), ahead + 2);
        // Our clock never goes back.
        s.advance_timestamp(5);
        assert_eq!(s.timestamp(), ahead + 2);
    }

    #[test]
    fn the_table_survives_a_restart_in_its_file() {
        let dir = std::env::temp_dir().join(format!("qly-signing-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("state");
        let _ = std::fs::remove_file(&path);
        let s = SigningStreams::persistent(&path).unwrap();
        assert_eq!(s.accept((255, 190, 0), 500), Ok(()));
        assert_eq!(s.accept((255, 190, 0), 600), Ok(()));
        s.flush().unwrap();
        drop(s);
        let again = SigningStreams::persistent(&path).unwrap();
        assert_eq!(again.timestamp(), 600);
        assert_eq!(again.accept((255, 190, 0), 600), Err(StreamRefusal::Replay));
        assert_eq!(again.accept((255, 190, 0), 601), Ok(()));
        std::fs::write(&path, "timestamp 5\nstream 1 2 x 4\n").unwrap();
        let e = SigningStreams::persistent(&path).unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("stream SYSTEM"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_table_is_bounded() {
        let s = SigningStreams::in_memory();
        for i in 0..MAX_STREAMS {
            let id = ((i / 256) as u8, (i % 256) as u8, 0);
            assert_eq!(s.accept(id, 10), Ok(()));
        }
        assert_eq!(s.accept((200, 1, 1), 10), Err(StreamRefusal::TableFull));
        assert_eq!(s.stream_count(), MAX_STREAMS);
    }
}
