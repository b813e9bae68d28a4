//! The flight folder: the one place that knows its layout and its file names.
//!
//! Every part of the system exchanges flights as a folder: the companion (live or from a DJI
//! SD card) writes it, the sim writes its frames and ground truth into it, review reads it,
//! and the store ingests it. No other crate spells one of these names; they ask a
//! [`FlightFolder`] for the path. `flight/README.md` documents the layout.
//!
//! ```
//! use qly_flight::folder::{FlightFolder, FrameKey};
//! let f = FlightFolder::new("flights/20261207-0930-qingshui");
//! assert!(f.journal().ends_with("journal.qlj"));
//! assert!(f.frame(FrameKey::first_boot(12)).ends_with("frames/12.jpg"));
//! assert!(f.frame(FrameKey { boot: 2, image_index: 12 }).ends_with("frames/2_12.jpg"));
//! ```

use std::path::{Path, PathBuf};

/// Why a folder could not be used as a flight folder.
#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    #[error("{path}: not a flight folder: {problem}")]
    NotAFolder { path: PathBuf, problem: String },
    #[error("{path}: cannot {action}: {source}")]
    Io {
        path: PathBuf,
        action: &'static str,
        source: std::io::Error,
    },
}

/// Which photo: the flight controller's image index within one boot of it.
///
/// ArduPilot numbers photos from 1 again after every boot, so an index alone does not name
/// a photo of a flight in which the autopilot rebooted. `boot` counts the autopilot boots
/// seen since the flight began (0: the first). Batch (SD-card) photos are boot 0, indexed
/// by their place in the sorted folder.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct FrameKey {
    pub boot: u32,
    pub image_index: u64,
}

impl FrameKey {
    /// A photo of the flight controller's first boot of the flight.
    pub const fn first_boot(image_index: u64) -> FrameKey {
        FrameKey {
            boot: 0,
            image_index,
        }
    }

    /// The frame's file name in `frames/`: `<index>.jpg` in the first boot, `<boot>_<index>.jpg`
    /// after a reboot.
    pub fn file_name(&self) -> String {
        if self.boot == 0 {
            format!("{}.jpg", self.image_index)
        } else {
            format!("{}_{}.jpg", self.boot, self.image_index)
        }
    }

    /// The key a frame file name stands for: `<digits>.jpg` or `<digits>_<digits>.jpg`
    /// (`.jpeg`, any case). Temporary and other names give `None`.
    ///
    /// ```
    /// use qly_flight::folder::FrameKey;
    /// assert_eq!(FrameKey::from_file_name("12.jpg"), Some(FrameKey::first_boot(12)));
    /// assert_eq!(FrameKey::from_file_name("7.JPEG"), Some(FrameKey::first_boot(7)));
    /// assert_eq!(FrameKey::from_file_name("1_3.jpg"), Some(FrameKey { boot: 1, image_index: 3 }));
    /// assert_eq!(FrameKey::from_file_name(".12.jpg.tmp"), None);
    /// assert_eq!(FrameKey::from_file_name("12.jpg.part"), None);
    /// assert_eq!(FrameKey::from_file_name("IMG_0012.jpg"), None);
    /// assert_eq!(FrameKey::from_file_name("_3.jpg"), None);
    /// ```
    pub fn from_file_name(name: &str) -> Option<FrameKey> {
        let (stem, ext) = name.rsplit_once('.')?;
        if !(ext.eq_ignore_ascii_case("jpg") || ext.eq_ignore_ascii_case("jpeg")) {
            return None;
        }
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        match stem.split_once('_') {
            None if digits(stem) => Some(FrameKey::first_boot(stem.parse().ok()?)),
            Some((boot, index)) if digits(boot) && digits(index) => Some(FrameKey {
                boot: boot.parse().ok()?,
                image_index: index.parse().ok()?,
            }),
            _ => None,
        }
    }
}

impl std::fmt::Display for FrameKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.boot == 0 {
            write!(f, "image {}", self.image_index)
        } else {
            write!(f, "image {} of boot {}", self.image_index, self.boot)
        }
    }
}

/// Every entry of a flight folder, with its name. The list is the layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// `plan/`: copies of the planner's outputs (`.plan`, `.waypoints`, `.kml`, `.geojson`).
    Plan,
    /// `frames/`: the photos as captured ([`FrameKey::file_name`]).
    Frames,
    /// `telemetry.tlog`: MAVLink frames with timestamps (MAVProxy/QGroundControl's format).
    Telemetry,
    /// `journal.qlj`: the crash-safe journal of typed records (header first).
    Journal,
    /// `candidates.geojson`: export of the confirmed candidates.
    CandidatesGeojson,
    /// `sightings.geojson`: export of every sighting.
    SightingsGeojson,
    /// `candidates.gpkg`: GeoPackage export (layers `candidates`, `sightings`).
    CandidatesGpkg,
    /// `truth.geojson`: the simulated world's ground truth (simulated flights only).
    Truth,
    /// `decisions.json`: the inspectors' confirm/reject decisions.
    Decisions,
    /// `report.html`: the review page.
    Report,
    /// `evidence/`: the evidence package of confirmed findings.
    Evidence,
    /// `figures.json`: a simulated patrol's figures against its ground truth.
    Figures,
    /// `score.csv`: a simulated patrol's contest leaderboard (`review score --csv`).
    ScoreCsv,
    /// `score.html`: the same leaderboard as an offline page.
    ScoreHtml,
    /// `companion.toml`: the companion's configuration for this flight.
    CompanionConfig,
    /// `logs/`: the programs' logs, for people (never read by another program).
    Logs,
}

impl Entry {
    /// All entries, in the order `flight/README.md` lists them.
    pub const ALL: [Entry; 16] = [
        Entry::Plan,
        Entry::Frames,
        Entry::Telemetry,
        Entry::Journal,
        Entry::CandidatesGeojson,
        Entry::SightingsGeojson,
        Entry::CandidatesGpkg,
        Entry::Truth,
        Entry::Decisions,
        Entry::Report,
        Entry::Evidence,
        Entry::Figures,
        Entry::ScoreCsv,
        Entry::ScoreHtml,
        Entry::CompanionConfig,
        Entry::Logs,
    ];

    /// The entry's name inside the folder.
    pub const fn name(self) -> &'static str {
        match self {
            Entry::Plan => "plan",
            Entry::Frames => "frames",
            Entry::Telemetry => "telemetry.tlog",
            Entry::Journal => "journal.qlj",
            Entry::CandidatesGeojson => "candidates.geojson",
            Entry::SightingsGeojson => "sightings.geojson",
            Entry::CandidatesGpkg => "candidates.gpkg",
            Entry::Truth => "truth.geojson",
            Entry::Decisions => "decisions.json",
            Entry::Report => "report.html",
            Entry::Evidence => "evidence",
            Entry::Figures => "figures.json",
            Entry::ScoreCsv => "score.csv",
            Entry::ScoreHtml => "score.html",
            Entry::CompanionConfig => "companion.toml",
            Entry::Logs => "logs",
        }
    }

    /// Whether the entry is a folder.
    pub const fn is_dir(self) -> bool {
        matches!(
            self,
            Entry::Plan | Entry::Frames | Entry::Evidence | Entry::Logs
        )
    }
}

/// A flight folder: its root and the paths of its entries. Making one does no I/O;
/// [`FlightFolder::create`] and [`FlightFolder::open`] check the disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlightFolder {
    root: PathBuf,
}

impl FlightFolder {
    pub fn new(root: impl Into<PathBuf>) -> FlightFolder {
        FlightFolder { root: root.into() }
    }

    /// Creates the folder and its sub-folders for a new flight (existing ones are kept).
    pub fn create(root: impl Into<PathBuf>) -> Result<FlightFolder, FolderError> {
        let f = FlightFolder::new(root);
        for dir in [f.root.clone(), f.plan_dir(), f.frames_dir(), f.logs_dir()] {
            std::fs::create_dir_all(&dir).map_err(|source| FolderError::Io {
                path: dir.clone(),
                action: "create the folder",
                source,
            })?;
        }
        Ok(f)
    }

    /// An existing flight folder: the root must be a directory.
    pub fn open(root: impl Into<PathBuf>) -> Result<FlightFolder, FolderError> {
        let f = FlightFolder::new(root);
        match std::fs::metadata(&f.root) {
            Ok(m) if m.is_dir() => Ok(f),
            Ok(_) => Err(FolderError::NotAFolder {
                path: f.root,
                problem: "not a directory".into(),
            }),
            Err(e) => Err(FolderError::NotAFolder {
                path: f.root,
                problem: e.to_string(),
            }),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The path of an entry.
    pub fn path(&self, entry: Entry) -> PathBuf {
        self.root.join(entry.name())
    }

    pub fn plan_dir(&self) -> PathBuf {
        self.path(Entry::Plan)
    }
    pub fn frames_dir(&self) -> PathBuf {
        self.path(Entry::Frames)
    }
    pub fn telemetry(&self) -> PathBuf {
        self.path(Entry::Telemetry)
    }
    pub fn journal(&self) -> PathBuf {
        self.path(Entry::Journal)
    }
    pub fn candidates_geojson(&self) -> PathBuf {
        self.path(Entry::CandidatesGeojson)
    }
    pub fn sightings_geojson(&self) -> PathBuf {
        self.path(Entry::SightingsGeojson)
    }
    pub fn candidates_gpkg(&self) -> PathBuf {
        self.path(Entry::CandidatesGpkg)
    }
    pub fn truth(&self) -> PathBuf {
        self.path(Entry::Truth)
    }
    pub fn decisions(&self) -> PathBuf {
        self.path(Entry::Decisions)
    }
    pub fn report(&self) -> PathBuf {
        self.path(Entry::Report)
    }
    pub fn evidence_dir(&self) -> PathBuf {
        self.path(Entry::Evidence)
    }
    pub fn figures(&self) -> PathBuf {
        self.path(Entry::Figures)
    }
    pub fn score_csv(&self) -> PathBuf {
        self.path(Entry::ScoreCsv)
    }
    pub fn score_html(&self) -> PathBuf {
        self.path(Entry::ScoreHtml)
    }
    pub fn companion_config(&self) -> PathBuf {
        self.path(Entry::CompanionConfig)
    }
    pub fn logs_dir(&self) -> PathBuf {
        self.path(Entry::Logs)
    }

    /// The path of frame `key` in `frames/`.
    pub fn frame(&self, key: FrameKey) -> PathBuf {
        self.frames_dir().join(key.file_name())
    }

    /// The path of a frame file as a record names it: relative names are inside the flight
    /// folder (`frames/12.jpg`); a bare file name is looked for in `frames/` when it is not
    /// at the root; absolute paths stay.
    pub fn resolve_frame_file(&self, file: &str) -> PathBuf {
        let p = Path::new(file);
        if p.is_absolute() {
            return p.to_path_buf();
        }
        let inside = self.root.join(p);
        if p.components().count() == 1 && !inside.exists() {
            self.frames_dir().join(p)
        } else {
            inside
        }
    }

    /// How a record names a frame file: relative to the flight folder when inside it.
    pub fn record_name(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .unwrap_or(path)
            .to_string_lossy()
            .into_owned()
    }

    /// The frames in `frames/` whose names are frame keys (temporary files are not), sorted
    /// by key. A missing `frames/` is an empty list.
    pub fn list_frames(&self) -> Result<Vec<(FrameKey, PathBuf)>, FolderError> {
        let dir = self.frames_dir();
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(FolderError::Io {
                    path: dir,
                    action: "list the frames",
                    source,
                })
            }
        };
        let mut frames: Vec<(FrameKey, PathBuf)> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let key = FrameKey::from_file_name(e.file_name().to_str()?)?;
                Some((key, e.path()))
            })
            .collect();
        frames.sort();
        Ok(frames)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_keys_round_trip_through_their_file_names() {
        for key in [
            FrameKey::first_boot(0),
            FrameKey::first_boot(304),
            FrameKey {
                boot: 1,
                image_index: 1,
            },
            FrameKey {
                boot: 17,
                image_index: 65_535,
            },
        ] {
            assert_eq!(FrameKey::from_file_name(&key.file_name()), Some(key));
        }
    }

    #[test]
    fn entry_names_are_unique() {
        let mut names: Vec<&str> = Entry::ALL.iter().map(|e| e.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Entry::ALL.len());
    }

    #[test]
    fn listing_finds_frames_of_every_boot_and_ignores_temporary_files() {
        let dir = tempfile::tempdir().unwrap();
        let f = FlightFolder::create(dir.path()).unwrap();
        for name in ["2.jpg", "10.jpg", "1_1.jpg", ".3.jpg.tmp", "notes.txt"] {
            std::fs::write(f.frames_dir().join(name), b"x").unwrap();
        }
        let keys: Vec<FrameKey> = f.list_frames().unwrap().into_iter().map(|k| k.0).collect();
        assert_eq!(
            keys,
            vec![
                FrameKey::first_boot(2),
                FrameKey::first_boot(10),
                FrameKey {
                    boot: 1,
                    image_index: 1
                }
            ]
        );
    }

    #[test]
    fn open_refuses_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("journal.qlj");
        std::fs::write(&file, b"").unwrap();
        let e = FlightFolder::open(&file).unwrap_err().to_string();
        assert!(e.contains("not a flight folder"), "{e}");
    }
}
