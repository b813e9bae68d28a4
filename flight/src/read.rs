//! A flight folder's journal read back, typed: every intact record, the records arranged
//! ([`FlightRecords`]: header, frames, sightings, candidates, the confirmation rule), and
//! what could not be read. What review, the patrol's figures and the store start from.
//!
//! A missing journal is an error (it holds the findings themselves); damage inside it is not
//! (the intact records are read, the damage is listed for the reader to report).

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::folder::{FlightFolder, FolderError, FrameKey};
use crate::journal::{read_journal, Damage, JournalError};
use crate::record::Record;
use crate::view::FlightRecords;

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Folder(#[from] FolderError),
    #[error(
        "{path}: no journal: a flight folder holds its findings in `{}`; is {dir} the flight \
         folder?",
        crate::folder::Entry::Journal.name()
    )]
    NoJournal { dir: PathBuf, path: PathBuf },
    #[error(transparent)]
    Journal(#[from] JournalError),
}

/// A flight folder's journal, read.
#[derive(Debug, Clone)]
pub struct FolderRecords {
    pub folder: FlightFolder,
    /// Every intact record, in file order.
    pub records: Vec<Record>,
    /// The records arranged.
    pub view: FlightRecords,
    /// What was not read, in file order.
    pub damage: Vec<Damage>,
}

impl FolderRecords {
    /// Every photo file the journal names (frames, sightings, best views), once, by key.
    pub fn named_frames(&self) -> BTreeMap<FrameKey, String> {
        let v = &self.view;
        let mut named: BTreeMap<FrameKey, String> =
            v.frames.iter().map(|(k, f)| (*k, f.file.clone())).collect();
        for s in &v.sightings {
            let key = FrameKey {
                boot: s.boot,
                image_index: s.image_index,
            };
            named.entry(key).or_insert_with(|| s.file.clone());
        }
        for c in &v.candidates {
            let key = FrameKey {
                boot: c.best.boot,
                image_index: c.best.image_index,
            };
            named.entry(key).or_insert_with(|| c.best.file.clone());
        }
        named
    }
}

impl FlightFolder {
    /// Reads the folder's journal. Errors: not a folder, no journal, an unreadable journal.
    pub fn read_records(&self) -> Result<FolderRecords, ReadError> {
        let folder = FlightFolder::open(self.root())?;
        let path = folder.journal();
        if !path.exists() {
            return Err(ReadError::NoJournal {
                dir: folder.root().to_path_buf(),
                path,
            });
        }
        let contents = read_journal(&path)?;
        Ok(FolderRecords {
            view: FlightRecords::from_records(&contents.records),
            records: contents.records,
            damage: contents.damage,
            folder,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_without_a_journal_is_an_error_naming_both() {
        let dir = tempfile::tempdir().unwrap();
        let f = FlightFolder::create(dir.path()).unwrap();
        let e = f.read_records().unwrap_err().to_string();
        assert!(e.contains("no journal") && e.contains("journal.qlj"), "{e}");
        let e = FlightFolder::new(dir.path().join("nope"))
            .read_records()
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a flight folder"), "{e}");
    }

    #[test]
    fn the_journal_is_read_into_the_view() {
        let dir = tempfile::tempdir().unwrap();
        let f = FlightFolder::create(dir.path()).unwrap();
        let (j, _) = crate::journal::Journal::open_in(f.root()).unwrap();
        let skip = Record::FrameSkipped(crate::record::FrameSkipRecord {
            boot: 1,
            image_index: 4,
            file: Some("frames/1_4.jpg".into()),
            reason: crate::record::SkipReason::CorruptFile,
            detail: "not a JPEG".into(),
        });
        j.append(&skip).unwrap();
        j.flush().unwrap();
        drop(j);
        let r = f.read_records().unwrap();
        assert_eq!(r.records, vec![skip]);
        assert_eq!(r.view.tally().skipped_total(), 1);
        assert!(r.damage.is_empty());
    }
}
