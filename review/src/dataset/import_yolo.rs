//! Importing a labelled dataset in YOLO txt format (ultralytics, LabelImg, CVAT and
//! Roboflow exports): every image under an `images/` folder below the root, its labels at the
//! mirrored path under `labels/` (`class cx cy w h` per line, normalised; a missing label file
//! is an image without objects, as ultralytics reads it). The class names come from
//! `classes.txt` (one per line) or the `names:` of `data.yaml` (a `[a, b]` list, a block list
//! or a block `id: name` map), mapped onto the project's classes by a [`ClassMap`].
//!
//! Everything is checked on load; an error names the file, the line or key and what was
//! expected. The whole dataset is one group of the split (it goes whole to training or to
//! validation), named after its folder.

use std::path::{Path, PathBuf};

use super::{ClassMap, DatasetError, Provenance, Sample, YoloBox};

const IMAGE_EXTENSIONS: [&str; 3] = ["jpg", "jpeg", "png"];

/// The class names of a YOLO dataset: `classes.txt`, else `data.yaml`'s `names`.
pub fn read_class_names(root: &Path) -> Result<Vec<String>, DatasetError> {
    let classes = root.join("classes.txt");
    if classes.is_file() {
        let text =
            std::fs::read_to_string(&classes).map_err(DatasetError::io(&classes, "reading"))?;
        let names: Vec<String> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect();
        if names.is_empty() {
            return Err(DatasetError::bad(
                classes,
                "file",
                "no class names: expected one name per line",
            ));
        }
        return Ok(names);
    }
    let yaml = root.join("data.yaml");
    if !yaml.is_file() {
        return Err(DatasetError::bad(
            root,
            "classes",
            "no class names: expected classes.txt or data.yaml with `names:`",
        ));
    }
    let text = std::fs::read_to_string(&yaml).map_err(DatasetError::io(&yaml, "reading"))?;
    parse_yaml_names(&text).map_err(|(line, problem)| {
        DatasetError::bad(&yaml, format!("line {line}: `names`"), problem)
    })
}

fn unquote(s: &str) -> &str {
    let s = s.trim();
    s.strip_prefix('\'')
        .and_then(|t| t.strip_suffix('\''))
        .or_else(|| s.strip_prefix('"').and_then(|t| t.strip_suffix('"')))
        .unwrap_or(s)
}

/// The `names:` of a data.yaml: `names: [a, b]`, or the indented lines below `names:` as
/// `- a` or `0: a` (ids from 0 without gaps). Errors: `(line, what was expected)`.
pub fn parse_yaml_names(text: &str) -> Result<Vec<String>, (usize, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let Some(at) = lines
        .iter()
        .position(|l| l.trim_end().starts_with("names:"))
    else {
        return Err((
            0,
            "no `names:` key: expected the dataset's class names".into(),
        ));
    };
    let rest = lines[at].trim_end()["names:".len()..].trim();
    let line_no = at + 1;
    if !rest.is_empty() && !rest.starts_with('#') {
        let inner = rest
            .strip_prefix('[')
            .and_then(|r| r.strip_suffix(']'))
            .ok_or((line_no, format!("{rest:?}: expected a list `[a, b]`")))?;
        let names: Vec<String> = inner
            .split(',')
            .map(unquote)
            .filter(|n| !n.is_empty())
            .map(String::from)
            .collect();
        if names.is_empty() {
            return Err((line_no, "an empty list: expected class names".into()));
        }
        return Ok(names);
    }
    let mut names = Vec::new();
    for (i, l) in lines.iter().enumerate().skip(at + 1) {
        if l.trim().is_empty() || l.trim_start().starts_with('#') {
            continue;
        }
        if !l.starts_with([' ', '\t', '-']) {
            break;
        }
        let item = l.trim();
        if let Some(name) = item.strip_prefix('-') {
            names.push(unquote(name).to_string());
        } else if let Some((id, name)) = item.split_once(':') {
            let id: usize = id.trim().parse().map_err(|_| {
                (
                    i + 1,
                    format!("{item:?}: expected `ID: name` with a whole number ID"),
                )
            })?;
            if id != names.len() {
                return Err((
                    i + 1,
                    format!(
                        "class id {id}: expected {} (ids from 0, in order)",
                        names.len()
                    ),
                ));
            }
            names.push(unquote(name).to_string());
        } else {
            return Err((i + 1, format!("{item:?}: expected `- name` or `ID: name`")));
        }
    }
    if names.is_empty() {
        return Err((line_no, "no class names below `names:`".into()));
    }
    Ok(names)
}

fn images_below(root: &Path) -> Result<Vec<PathBuf>, DatasetError> {
    let mut out = Vec::new();
    let mut stack = vec![(root.to_path_buf(), false)];
    while let Some((dir, in_images)) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(DatasetError::io(&dir, "listing"))?;
        for e in entries {
            let e = e.map_err(DatasetError::io(&dir, "listing"))?;
            let p = e.path();
            if p.is_dir() {
                let is_images = in_images || e.file_name() == "images";
                stack.push((p, is_images));
            } else if in_images
                && p.extension().is_some_and(|x| {
                    IMAGE_EXTENSIONS.contains(&x.to_string_lossy().to_ascii_lowercase().as_str())
                })
            {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// ultralytics' rule: the last `images` folder of the path becomes `labels`, the extension
/// `.txt`.
fn label_path(root: &Path, image: &Path) -> PathBuf {
    let rel = image.strip_prefix(root).unwrap_or(image);
    let parts: Vec<_> = rel.components().collect();
    let last = parts
        .iter()
        .rposition(|c| c.as_os_str() == "images")
        .unwrap_or(0);
    let mut p = root.to_path_buf();
    for (i, c) in parts.iter().enumerate() {
        if i == last {
            p.push("labels");
        } else {
            p.push(c.as_os_str());
        }
    }
    p.with_extension("txt")
}

/// Reads one label file; `names` are the dataset's classes.
pub fn read_label_file(
    path: &Path,
    names: &[String],
    map: &ClassMap,
) -> Result<Vec<YoloBox>, DatasetError> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let text = std::fs::read_to_string(path).map_err(DatasetError::io(path, "reading"))?;
    let mut boxes = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.is_empty() {
            continue;
        }
        let place = |field: &str| format!("line {} `{field}`", i + 1);
        if fields.len() != 5 {
            return Err(DatasetError::bad(
                path,
                format!("line {}", i + 1),
                format!(
                    "{} fields: expected 5, `class cx cy w h` (segmentation polygons are not read)",
                    fields.len()
                ),
            ));
        }
        let class: usize = fields[0].parse().map_err(|_| {
            DatasetError::bad(
                path,
                place("class"),
                format!(
                    "{:?}: expected a class id 0..{}",
                    fields[0],
                    names.len() - 1
                ),
            )
        })?;
        let Some(name) = names.get(class) else {
            return Err(DatasetError::bad(
                path,
                place("class"),
                format!(
                    "{class}: expected a class id 0..{} (the dataset has {} classes)",
                    names.len() - 1,
                    names.len()
                ),
            ));
        };
        let mut v = [0.0f64; 4];
        for (k, key) in ["cx", "cy", "w", "h"].iter().enumerate() {
            let x: f64 = fields[k + 1].parse().map_err(|_| {
                DatasetError::bad(
                    path,
                    place(key),
                    format!("{:?}: expected a number", fields[k + 1]),
                )
            })?;
            let ok = if k < 2 {
                (0.0..=1.0).contains(&x)
            } else {
                x > 0.0 && x <= 1.0
            };
            if !ok {
                return Err(DatasetError::bad(
                    path,
                    place(key),
                    format!(
                        "{x}: expected {} (normalised to the image size; pixel values are not YOLO format)",
                        if k < 2 { "0..1" } else { "more than 0, at most 1" }
                    ),
                ));
            }
            v[k] = x;
        }
        let class_id = map
            .project_id(name)
            .map_err(|e| DatasetError::bad(path, place("class"), e))?;
        if let Some(class_id) = class_id {
            boxes.push(YoloBox {
                class_id,
                cx: v[0],
                cy: v[1],
                w: v[2],
                h: v[3],
            });
        }
    }
    Ok(boxes)
}

/// Every image of the YOLO dataset at `root` with its labels, as project classes.
pub fn import_yolo(root: &Path, map: &ClassMap) -> Result<Vec<Sample>, DatasetError> {
    if !root.is_dir() {
        return Err(DatasetError::bad(
            root,
            "folder",
            "not a folder: expected a YOLO dataset (images/ and labels/)",
        ));
    }
    let names = read_class_names(root)?;
    // Every class must be known before any file is read, so a missing mapping is one error
    // naming the class, not one per label file.
    for n in &names {
        map.project_id(n)
            .map_err(|e| DatasetError::bad(root, "classes", e))?;
    }
    let images = images_below(root)?;
    if images.is_empty() {
        return Err(DatasetError::bad(
            root,
            "images",
            "no images (.jpg, .jpeg, .png) under an `images/` folder",
        ));
    }
    let group = root
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "imported".into());
    let mut out = Vec::with_capacity(images.len());
    for image in images {
        image::image_dimensions(&image).map_err(|e| {
            DatasetError::bad(&image, "image", format!("not a readable image: {e}"))
        })?;
        let boxes = read_label_file(&label_path(root, &image), &names, map)?;
        let photo = image
            .strip_prefix(root)
            .unwrap_or(&image)
            .to_string_lossy()
            .into_owned();
        out.push(Sample {
            group: group.clone(),
            source: image,
            boxes,
            provenance: Provenance {
                flight: group.clone(),
                flight_id: String::new(),
                photo,
                decision: "imported".into(),
                candidates: String::new(),
                inspector: String::new(),
                boxes_from: "imported".into(),
            },
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_yaml_names_in_the_three_spellings() {
        assert_eq!(
            parse_yaml_names("path: .\nnames: ['pipe', \"slick\"]\n").unwrap(),
            ["pipe", "slick"]
        );
        assert_eq!(
            parse_yaml_names("names:\n  0: pipe\n  1: slick\nnc: 2\n").unwrap(),
            ["pipe", "slick"]
        );
        assert_eq!(
            parse_yaml_names("names:\n- pipe\n- slick\n").unwrap(),
            ["pipe", "slick"]
        );
        assert_eq!(
            parse_yaml_names("names:\n  0: pipe\n  2: slick\n").unwrap_err(),
            (3, "class id 2: expected 1 (ids from 0, in order)".into())
        );
        assert_eq!(parse_yaml_names("nc: 2\n").unwrap_err().0, 0);
    }

    #[test]
    fn label_paths_mirror_the_last_images_folder() {
        let root = Path::new("/d");
        assert_eq!(
            label_path(root, Path::new("/d/images/train/a.jpg")),
            PathBuf::from("/d/labels/train/a.txt")
        );
        assert_eq!(
            label_path(root, Path::new("/d/x/images/b.png")),
            PathBuf::from("/d/x/labels/b.txt")
        );
    }
}
