//! Importing a labelled dataset in COCO json (the `instances_*.json` of COCO, CVAT, Label
//! Studio and Roboflow exports): `images` (`id`, `file_name`, `width`, `height`),
//! `annotations` (`image_id`, `category_id`, `bbox` = `[x, y, w, h]` in pixels from the
//! top-left corner) and `categories` (`id`, `name`), the names mapped onto the project's
//! classes by a [`ClassMap`]. Crowd annotations (`iscrowd: 1`, regions of many objects) are
//! left out.
//!
//! Checked on load: the json's structure (serde names the field, line and column), unique
//! ids, every reference, each box inside its image, each image file present with the size
//! the json gives. An error names the file, the field (`annotations[3].bbox`) and what was
//! expected. The whole file is one group of the split, named after it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Deserialize;

use super::{ClassMap, DatasetError, Provenance, Sample, YoloBox};

#[derive(Debug, Deserialize)]
struct Coco {
    images: Vec<CocoImage>,
    annotations: Vec<CocoAnnotation>,
    categories: Vec<CocoCategory>,
}

#[derive(Debug, Deserialize)]
struct CocoImage {
    id: u64,
    file_name: String,
    width: u32,
    height: u32,
}

#[derive(Debug, Deserialize)]
struct CocoAnnotation {
    image_id: u64,
    category_id: u64,
    bbox: Vec<f64>,
    #[serde(default)]
    iscrowd: u8,
}

#[derive(Debug, Deserialize)]
struct CocoCategory {
    id: u64,
    name: String,
}

/// A box may reach this far past the image edge (rounding in exporters), pixels.
const EDGE_TOLERANCE_PX: f64 = 1.0;

/// The images of the COCO file `json` (image files relative to `images_dir`) with their
/// boxes as project classes.
pub fn import_coco(
    json: &Path,
    images_dir: &Path,
    map: &ClassMap,
) -> Result<Vec<Sample>, DatasetError> {
    let text = std::fs::read_to_string(json).map_err(DatasetError::io(json, "reading"))?;
    let coco: Coco = serde_json::from_str(&text).map_err(|e| {
        DatasetError::bad(
            json,
            format!("line {} column {}", e.line(), e.column()),
            format!("not COCO json: {e}"),
        )
    })?;
    let mut categories: BTreeMap<u64, Option<usize>> = BTreeMap::new();
    for (i, c) in coco.categories.iter().enumerate() {
        let id = map
            .project_id(&c.name)
            .map_err(|e| DatasetError::bad(json, format!("categories[{i}].name"), e))?;
        if categories.insert(c.id, id).is_some() {
            return Err(DatasetError::bad(
                json,
                format!("categories[{i}].id"),
                format!("{}: expected a unique category id", c.id),
            ));
        }
    }
    let mut by_id: BTreeMap<u64, usize> = BTreeMap::new();
    for (i, im) in coco.images.iter().enumerate() {
        if by_id.insert(im.id, i).is_some() {
            return Err(DatasetError::bad(
                json,
                format!("images[{i}].id"),
                format!("{}: expected a unique image id", im.id),
            ));
        }
        if im.width == 0 || im.height == 0 {
            return Err(DatasetError::bad(
                json,
                format!("images[{i}]"),
                format!(
                    "{}x{}: expected a positive width and height",
                    im.width, im.height
                ),
            ));
        }
    }
    let mut boxes: Vec<Vec<YoloBox>> = vec![Vec::new(); coco.images.len()];
    for (i, a) in coco.annotations.iter().enumerate() {
        let Some(&img) = by_id.get(&a.image_id) else {
            return Err(DatasetError::bad(
                json,
                format!("annotations[{i}].image_id"),
                format!("{}: expected the id of one of the images", a.image_id),
            ));
        };
        let Some(&class) = categories.get(&a.category_id) else {
            return Err(DatasetError::bad(
                json,
                format!("annotations[{i}].category_id"),
                format!(
                    "{}: expected the id of one of the categories",
                    a.category_id
                ),
            ));
        };
        let im = &coco.images[img];
        let bad_box =
            |problem: String| DatasetError::bad(json, format!("annotations[{i}].bbox"), problem);
        let [x, y, w, h] = a.bbox[..] else {
            return Err(bad_box(format!(
                "{} numbers: expected [x, y, width, height]",
                a.bbox.len()
            )));
        };
        if !(x.is_finite() && y.is_finite() && w > 0.0 && h > 0.0 && w.is_finite() && h.is_finite())
        {
            return Err(bad_box(format!(
                "{:?}: expected finite numbers with a positive width and height",
                a.bbox
            )));
        }
        let (iw, ih) = (f64::from(im.width), f64::from(im.height));
        let t = EDGE_TOLERANCE_PX;
        if x < -t || y < -t || x + w > iw + t || y + h > ih + t {
            return Err(bad_box(format!(
                "{:?}: expected a box inside image {} ({}x{} px); COCO boxes are [x, y, width, height] in pixels",
                a.bbox, im.file_name, im.width, im.height
            )));
        }
        if a.iscrowd != 0 {
            continue;
        }
        if let Some(class_id) = class {
            boxes[img].extend(YoloBox::from_corners_px(
                class_id,
                [x, y, x + w, y + h],
                im.width,
                im.height,
            ));
        }
    }
    let group = json
        .file_stem()
        .map_or_else(|| "coco".into(), |n| n.to_string_lossy().into_owned());
    let mut seen_files = BTreeSet::new();
    let mut out = Vec::with_capacity(coco.images.len());
    for (i, (im, boxes)) in coco.images.iter().zip(boxes).enumerate() {
        let source = images_dir.join(&im.file_name);
        if !seen_files.insert(source.clone()) {
            return Err(DatasetError::bad(
                json,
                format!("images[{i}].file_name"),
                format!("{:?}: expected each image file once", im.file_name),
            ));
        }
        let (w, h) = image::image_dimensions(&source).map_err(|e| {
            DatasetError::bad(
                json,
                format!("images[{i}].file_name"),
                format!("{}: expected a readable image: {e}", source.display()),
            )
        })?;
        if (w, h) != (im.width, im.height) {
            return Err(DatasetError::bad(
                json,
                format!("images[{i}].width/height"),
                format!(
                    "{}x{}: the file {} is {w}x{h} px; expected the json to give its size",
                    im.width,
                    im.height,
                    source.display()
                ),
            ));
        }
        out.push(Sample {
            group: group.clone(),
            source,
            boxes,
            provenance: Provenance {
                flight: group.clone(),
                flight_id: String::new(),
                photo: im.file_name.clone(),
                decision: "imported".into(),
                candidates: String::new(),
                inspector: String::new(),
                boxes_from: "imported".into(),
            },
        });
    }
    Ok(out)
}
