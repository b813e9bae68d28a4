//! Writes samples as a YOLO-format dataset, as ultralytics and `models/qly_train` read it:
//!
//! ```text
//! OUT/data.yaml                              classes and the two splits
//! OUT/images/{train,val}/<group>/<photo>.jpg photos (copied)
//! OUT/labels/{train,val}/<group>/<photo>.txt `class cx cy w h` per line, normalised; empty
//!                                            for a hard negative
//! OUT/provenance.csv                         one row per photo: split, files, flight, photo,
//!                                            decision, candidates, inspector, boxes_from
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use qly_flight::class::PROJECT_CLASSES;

use super::split::{validation_groups, Split};
use super::{DatasetError, Sample};

/// What was written.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Written {
    /// Photos per split: `(with boxes, hard negatives)`.
    pub photos: BTreeMap<&'static str, (usize, usize)>,
    /// Boxes per split and class name.
    pub boxes: BTreeMap<(&'static str, &'static str), usize>,
    /// The validation groups.
    pub val_groups: BTreeSet<String>,
}

/// A file or folder name made of `[A-Za-z0-9._-]` (others become `_`), never empty.
fn safe_name(s: &str) -> String {
    let n: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let n = n.trim_start_matches('.').to_string();
    if n.is_empty() {
        "_".into()
    } else {
        n
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Writes `samples` into `out` (created; must be absent or empty), validation groups chosen by
/// [`validation_groups`] from `val_named` and `val_fraction`.
pub fn write_dataset(
    out: &Path,
    samples: &[Sample],
    val_named: &[String],
    val_fraction: f64,
) -> Result<Written, DatasetError> {
    if out.exists() {
        let mut entries = std::fs::read_dir(out).map_err(DatasetError::io(out, "listing"))?;
        if entries.next().is_some() {
            return Err(DatasetError::bad(
                out,
                "--out",
                "the folder is not empty: expected a new or empty folder",
            ));
        }
    }
    let groups: BTreeSet<String> = samples.iter().map(|s| s.group.clone()).collect();
    let val = validation_groups(&groups, val_named, val_fraction)
        .map_err(|e| DatasetError::bad(out, "split", e))?;
    let mut written = Written {
        val_groups: val.clone(),
        ..Written::default()
    };
    let mut used: BTreeSet<PathBuf> = BTreeSet::new();
    let mut csv = String::from(
        "split,image,label,flight,flight_id,photo,decision,candidates,inspector,boxes_from\n",
    );
    for s in samples {
        let split = if val.contains(&s.group) {
            Split::Val
        } else {
            Split::Train
        };
        let ext = s
            .source
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_else(|| "jpg".into());
        let stem = safe_name(
            &s.source
                .file_stem()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        );
        let dir = Path::new(split.name()).join(safe_name(&s.group));
        let mut rel = dir.join(format!("{stem}.{ext}"));
        let mut n = 1;
        while used.contains(&rel) {
            n += 1;
            rel = dir.join(format!("{stem}-{n}.{ext}"));
        }
        used.insert(rel.clone());
        let image = out.join("images").join(&rel);
        let label = out.join("labels").join(rel.with_extension("txt"));
        for p in [&image, &label] {
            if let Some(parent) = p.parent() {
                std::fs::create_dir_all(parent).map_err(DatasetError::io(parent, "creating"))?;
            }
        }
        std::fs::copy(&s.source, &image).map_err(DatasetError::io(&s.source, "copying"))?;
        let text: String = s.boxes.iter().map(|b| b.line() + "\n").collect();
        std::fs::write(&label, text).map_err(DatasetError::io(&label, "writing"))?;
        let counts = written.photos.entry(split.name()).or_default();
        if s.boxes.is_empty() {
            counts.1 += 1;
        } else {
            counts.0 += 1;
        }
        for b in &s.boxes {
            *written
                .boxes
                .entry((split.name(), PROJECT_CLASSES[b.class_id]))
                .or_default() += 1;
        }
        let p = &s.provenance;
        let rel_image = Path::new("images").join(&rel);
        let rel_label = Path::new("labels").join(rel.with_extension("txt"));
        let row = [
            split.name(),
            &rel_image.to_string_lossy(),
            &rel_label.to_string_lossy(),
            &p.flight,
            &p.flight_id,
            &p.photo,
            &p.decision,
            &p.candidates,
            &p.inspector,
            &p.boxes_from,
        ]
        .map(csv_field)
        .join(",");
        csv.push_str(&row);
        csv.push('\n');
    }
    std::fs::create_dir_all(out).map_err(DatasetError::io(out, "creating"))?;
    let provenance = out.join("provenance.csv");
    std::fs::write(&provenance, csv).map_err(DatasetError::io(&provenance, "writing"))?;
    let mut yaml = String::from(
        "# A YOLO-format dataset written by `review dataset` (provenance.csv says where each photo\n\
         # came from). Split by flight: no flight has photos on both sides.\n\
         path: .\ntrain: images/train\nval: images/val\n",
    );
    yaml.push_str(&format!("nc: {}\nnames:\n", PROJECT_CLASSES.len()));
    for (i, n) in PROJECT_CLASSES.iter().enumerate() {
        yaml.push_str(&format!("  {i}: {n}\n"));
    }
    let data = out.join("data.yaml");
    std::fs::write(&data, yaml).map_err(DatasetError::io(&data, "writing"))?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_made_safe_and_csv_fields_quoted() {
        assert_eq!(safe_name("../a b/c"), "_a_b_c");
        assert_eq!(safe_name(""), "_");
        assert_eq!(csv_field("Li Wei, 0427"), "\"Li Wei, 0427\"");
        assert_eq!(csv_field("a\"b,"), "\"a\"\"b,\"");
    }
}
