//! Training data from inspections: a YOLO-format dataset (`images/`, `labels/`, `data.yaml`,
//! `provenance.csv`) built from the inspectors' decisions on flights ([`from_flight`]) and
//! from labelled datasets a bureau already holds ([`import_yolo`], [`import_coco`]), split
//! into training and validation by flight, never by photo ([`split`]), and written by
//! [`write`].
//!
//! Classes are the project's (`qly_flight::class::PROJECT_CLASSES`: 0 outfall, 1 plume), what
//! the shipped model and `models/train.sh --finetune` use; an imported dataset's own classes
//! map onto them ([`ClassMap`]).

use std::collections::BTreeMap;
use std::path::PathBuf;

use qly_flight::class::{project_class_id, ProjectClass, PROJECT_CLASSES};

pub mod from_flight;
pub mod import_coco;
pub mod import_yolo;
pub mod split;
pub mod write;

/// One label: a project class and a box normalised to the image (YOLO: centre and size, 0..1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct YoloBox {
    /// Index into `PROJECT_CLASSES`.
    pub class_id: usize,
    pub cx: f64,
    pub cy: f64,
    pub w: f64,
    pub h: f64,
}

impl YoloBox {
    /// The box of pixel corners `[x1, y1, x2, y2]` in an image of `width_px` x `height_px`,
    /// clipped to the image; `None` when nothing of it is inside.
    pub fn from_corners_px(
        class_id: usize,
        [x1, y1, x2, y2]: [f64; 4],
        width_px: u32,
        height_px: u32,
    ) -> Option<YoloBox> {
        let (w, h) = (f64::from(width_px), f64::from(height_px));
        let (x1, x2) = (x1.clamp(0.0, w), x2.clamp(0.0, w));
        let (y1, y2) = (y1.clamp(0.0, h), y2.clamp(0.0, h));
        (x2 > x1 && y2 > y1).then(|| YoloBox {
            class_id,
            cx: (x1 + x2) / 2.0 / w,
            cy: (y1 + y2) / 2.0 / h,
            w: (x2 - x1) / w,
            h: (y2 - y1) / h,
        })
    }

    /// The label line `class cx cy w h`.
    pub fn line(&self) -> String {
        format!(
            "{} {:.6} {:.6} {:.6} {:.6}",
            self.class_id, self.cx, self.cy, self.w, self.h
        )
    }
}

/// Why a photo is in the dataset, for the provenance file.
#[derive(Debug, Clone, PartialEq)]
pub struct Provenance {
    /// The flight folder's name, or the imported dataset's.
    pub flight: String,
    /// The flight header's id (empty for imports and headerless journals).
    pub flight_id: String,
    /// The photo as its source names it (journal file name, or path in the imported set).
    pub photo: String,
    /// `confirmed` (labelled), `rejected` (a hard negative: an empty label file), or
    /// `imported`.
    pub decision: String,
    /// The candidate ids of the flight behind the labels (or the rejection), `;`-separated.
    pub candidates: String,
    /// Who decided, `;`-separated when several did.
    pub inspector: String,
    /// How the boxes were got: `detected` (the journal's detections), `projected` (a
    /// confirmed finding's ground position drawn into a photo where the detector missed it),
    /// both, or `imported`.
    pub boxes_from: String,
}

/// One photo of the dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The split unit: the flight (or imported dataset) it belongs to.
    pub group: String,
    /// The photo file to copy.
    pub source: PathBuf,
    /// Empty for a hard negative.
    pub boxes: Vec<YoloBox>,
    pub provenance: Provenance,
}

/// What an imported dataset's class names become: `outfall`, `plume` or ignored. The
/// project's own names map onto themselves unless given; any other class must be named.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClassMap(pub BTreeMap<String, ProjectClass>);

impl ClassMap {
    /// Parses `NAME=outfall|plume|ignore` arguments.
    pub fn parse(args: &[String]) -> Result<ClassMap, String> {
        let mut map = BTreeMap::new();
        for a in args {
            let Some((name, target)) = a.split_once('=') else {
                return Err(format!(
                    "--map {a:?}: expected NAME=outfall, NAME=plume or NAME=ignore"
                ));
            };
            let Some(t) = ProjectClass::parse(target.trim()) else {
                return Err(format!(
                    "--map {a:?}: {target:?} is not a class: expected outfall, plume or ignore"
                ));
            };
            map.insert(name.trim().to_string(), t);
        }
        Ok(ClassMap(map))
    }

    /// The project class id of an imported class name: `Ok(None)` when ignored, `Err` when the
    /// name is neither mapped nor one of the project's.
    pub fn project_id(&self, name: &str) -> Result<Option<usize>, String> {
        match self.0.get(name) {
            Some(t) => Ok(t.id()),
            None => project_class_id(name).map(Some).ok_or_else(|| {
                format!(
                    "class {name:?} is not one of {PROJECT_CLASSES:?}: map it with --map {name}=outfall, =plume or =ignore"
                )
            }),
        }
    }
}

/// A dataset file that cannot be used: the file, the place in it (field or line) and what
/// was expected.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    #[error("{path}: {place}: {problem}")]
    Bad {
        path: PathBuf,
        place: String,
        problem: String,
    },
    #[error("{path}: {action}: {source}")]
    Io {
        path: PathBuf,
        action: &'static str,
        source: std::io::Error,
    },
    #[error(transparent)]
    Flight(#[from] qly_flight::read::ReadError),
    #[error(transparent)]
    Decisions(#[from] qly_flight::decisions::DecisionsError),
}

impl DatasetError {
    pub(crate) fn bad(
        path: impl Into<PathBuf>,
        place: impl Into<String>,
        problem: impl Into<String>,
    ) -> DatasetError {
        DatasetError::Bad {
            path: path.into(),
            place: place.into(),
            problem: problem.into(),
        }
    }

    pub(crate) fn io(
        path: impl Into<PathBuf>,
        action: &'static str,
    ) -> impl FnOnce(std::io::Error) -> DatasetError {
        let path = path.into();
        move |source| DatasetError::Io {
            path,
            action,
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corner_boxes_are_clipped_and_normalised() {
        let b = YoloBox::from_corners_px(1, [-10.0, 20.0, 30.0, 60.0], 100, 200).unwrap();
        assert_eq!((b.class_id, b.cx, b.cy, b.w, b.h), (1, 0.15, 0.2, 0.3, 0.2));
        assert_eq!(b.line(), "1 0.150000 0.200000 0.300000 0.200000");
        assert_eq!(
            YoloBox::from_corners_px(0, [100.0, 0.0, 120.0, 10.0], 100, 200),
            None
        );
    }

    #[test]
    fn class_maps_take_the_projects_names_and_refuse_unmapped_ones() {
        let m = ClassMap::parse(&["pipe=outfall".into(), "boat=ignore".into()]).unwrap();
        assert_eq!(m.project_id("pipe"), Ok(Some(0)));
        assert_eq!(m.project_id("plume"), Ok(Some(1)));
        assert_eq!(m.project_id("boat"), Ok(None));
        let e = m.project_id("car").unwrap_err();
        assert!(e.contains("--map car=outfall"), "{e}");
        let e = ClassMap::parse(&["pipe=outfal".into()]).unwrap_err();
        assert!(e.contains("expected outfall, plume or ignore"), "{e}");
        assert!(ClassMap::parse(&["pipe".into()]).is_err());
    }
}
