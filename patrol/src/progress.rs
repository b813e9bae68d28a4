//! What became of the flight's photos so far, from typed sources only: the journal's records
//! (captures, frames processed, frames skipped with their reasons, confirmed candidates), the
//! frames in `frames/` (rendered), and the photos the telemetry reported taken. Re-read every
//! few seconds: a journal of a few thousand records reads in milliseconds.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use qly_flight::folder::{FlightFolder, FrameKey};
use qly_flight::journal::read_journal;
use qly_flight::view::{FlightRecords, FrameTally};

/// One look at the flight folder.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FolderProgress {
    /// Photos in `frames/`.
    pub rendered: BTreeSet<FrameKey>,
    /// Photos with a capture record in the journal.
    pub captured: BTreeSet<FrameKey>,
    /// Photos processed (a frame record) or skipped (a skip record).
    pub done: BTreeSet<FrameKey>,
    pub tally: FrameTally,
    pub confirmed: usize,
    pub candidates: usize,
}

impl FolderProgress {
    /// Reads the journal (absent: nothing yet) and lists the frames.
    pub fn read(folder: &FlightFolder) -> Result<FolderProgress> {
        let rendered = folder
            .list_frames()
            .context("listing the rendered photos")?
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        let records = match read_journal(&folder.journal()) {
            Ok(c) => c.records,
            Err(qly_flight::journal::JournalError::Io { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                Vec::new()
            }
            Err(e) => return Err(e).context("reading the journal"),
        };
        let view = FlightRecords::from_records(&records);
        Ok(FolderProgress {
            rendered,
            captured: view.captures.keys().copied().collect(),
            done: view
                .frames
                .keys()
                .chain(view.skipped.keys())
                .copied()
                .collect(),
            tally: view.tally(),
            confirmed: view.confirmed().count(),
            candidates: view.candidates.len(),
        })
    }

    /// What is still outstanding once `photos_taken` photos were reported by the telemetry.
    pub fn outstanding(&self, photos_taken: usize) -> Outstanding {
        // A capture is expected as a frame whether the journal or the telemetry told of it.
        let expected = self.captured.len().max(photos_taken);
        let captured_not_rendered = self.captured.difference(&self.rendered).count();
        Outstanding {
            not_rendered: captured_not_rendered.max(expected.saturating_sub(self.rendered.len())),
            not_processed: self.rendered.difference(&self.done).count(),
        }
    }
}

/// Photos the patrol still waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outstanding {
    /// Taken, not yet in `frames/`.
    pub not_rendered: usize,
    /// In `frames/`, with neither a frame record nor a skip record yet.
    pub not_processed: usize,
}

impl Outstanding {
    pub fn is_done(&self) -> bool {
        self.not_rendered == 0 && self.not_processed == 0
    }
}

/// Notices progress: the time since anything changed (a photo rendered, processed or
/// skipped, a capture journaled).
#[derive(Debug)]
pub struct StallWatch {
    last: (usize, usize, usize),
    since: Instant,
}

impl StallWatch {
    pub fn new() -> StallWatch {
        StallWatch {
            last: (0, 0, 0),
            since: Instant::now(),
        }
    }

    /// Time without progress, after taking in `p`.
    pub fn observe(&mut self, p: &FolderProgress) -> Duration {
        let now = (p.rendered.len(), p.done.len(), p.captured.len());
        if now != self.last {
            self.last = now;
            self.since = Instant::now();
        }
        self.since.elapsed()
    }
}

impl Default for StallWatch {
    fn default() -> Self {
        StallWatch::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(r: std::ops::RangeInclusive<u64>) -> BTreeSet<FrameKey> {
        r.map(FrameKey::first_boot).collect()
    }

    #[test]
    fn waits_for_every_photo_taken_to_be_rendered_and_dealt_with() {
        let mut p = FolderProgress {
            rendered: keys(1..=8),
            captured: keys(1..=10),
            done: keys(1..=6),
            ..FolderProgress::default()
        };
        assert_eq!(
            p.outstanding(10),
            Outstanding {
                not_rendered: 2,
                not_processed: 2
            }
        );
        // The telemetry saw more photos than the journal has captures for.
        p.captured = keys(1..=8);
        assert_eq!(p.outstanding(12).not_rendered, 4);
        p.rendered = keys(1..=12);
        p.done = keys(1..=12);
        assert!(p.outstanding(12).is_done());
    }

    #[test]
    fn reads_a_folder_without_a_journal_as_nothing_yet() {
        let dir = tempfile::tempdir().unwrap();
        let f = FlightFolder::create(dir.path()).unwrap();
        std::fs::write(f.frame(FrameKey::first_boot(1)), b"x").unwrap();
        let p = FolderProgress::read(&f).unwrap();
        assert_eq!(p.rendered.len(), 1);
        assert_eq!(p.outstanding(1).not_processed, 1);
        assert_eq!(p.tally.processed, 0);
    }
}
