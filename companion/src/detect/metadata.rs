//! The model contract: what the detector needs to know about an ONNX model (class names, input
//! size, input normalisation, output layout) and where it reads it from.
//!
//! Two sources, read from the ONNX model's `metadata_props` (custom metadata map):
//!
//! 1. **Ultralytics keys**, as every ultralytics export writes them: `names` (a Python dict
//!    literal, `{0: 'outfall', 1: 'plume'}`), `imgsz` (`[640, 640]`, height then width), `stride`,
//!    `task` (`detect`) and, for end-to-end heads, `end2end` (`True`). YOLOv5-repo exports write
//!    `names` and `stride` only.
//! 2. **The project's own key `qly_detector`**: one JSON object, for models we train ourselves
//!    (no ultralytics dependency) and to override what an export got wrong. Every field is
//!    optional; a field given here wins over the ultralytics key:
//!
//!    ```json
//!    { "class_names": ["outfall", "plume"],
//!      "input_height_px": 640, "input_width_px": 640,
//!      "layout": "yolov8",            // or "yolov5", "end2end"
//!      "mean_rgb": [0.0, 0.0, 0.0],   // subtracted after scaling pixels to 0..1
//!      "std_rgb": [1.0, 1.0, 1.0] }   // then divided by
//!    ```
//!
//! The input size falls back to the model's static input shape; the layout falls back to a
//! decision from the output shape and the class count (see [`resolve_layout`]). Everything here
//! is pure: the ONNX session hands in the raw strings and shapes.

use std::collections::HashMap;

use serde::Deserialize;

/// The project's own metadata key (a JSON object; see the module docs).
pub const QLY_METADATA_KEY: &str = "qly_detector";

/// An end-to-end head emits at most this many rows; a `[1, N, 6]` output with more rows is not
/// end-to-end (ultralytics-inference draws the same line).
pub const MAX_END_TO_END_ROWS: usize = 4096;

/// How the model's first output tensor is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputLayout {
    /// Ultralytics YOLOv8/YOLO11 export: `[1, 4 + nc, N]`, rows cx, cy, w, h (input pixels), then
    /// one already-sigmoided score per class; no objectness. Needs NMS.
    Yolov8,
    /// YOLOv5 export: `[1, N, 5 + nc]`, cx, cy, w, h, objectness, class scores. Needs NMS.
    Yolov5,
    /// End-to-end head (YOLOv10, YOLO26): `[1, N, 6]`, x1, y1, x2, y2, score, class id. No NMS.
    #[serde(alias = "end-to-end", alias = "e2e")]
    End2end,
}

impl std::fmt::Display for OutputLayout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            OutputLayout::Yolov8 => "yolov8 [1, 4+nc, N]",
            OutputLayout::Yolov5 => "yolov5 [1, N, 5+nc]",
            OutputLayout::End2end => "end2end [1, N, 6]",
        })
    }
}

/// Input normalisation applied after scaling pixel values to 0..1: `(v / 255 - mean) / std`,
/// per RGB channel. Ultralytics models use mean 0, std 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Normalisation {
    pub mean_rgb: [f32; 3],
    pub std_rgb: [f32; 3],
}

impl Default for Normalisation {
    fn default() -> Self {
        Normalisation {
            mean_rgb: [0.0; 3],
            std_rgb: [1.0; 3],
        }
    }
}

/// Everything the detector knows about a model, resolved from metadata and tensor shapes.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelMetadata {
    /// Index = class id.
    pub class_names: Vec<String>,
    pub input_height_px: u32,
    pub input_width_px: u32,
    pub normalisation: Normalisation,
    pub layout: OutputLayout,
    /// Ultralytics `stride`, informational.
    pub stride_px: Option<u32>,
}

/// A model whose metadata or shapes do not fit the contract.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum MetadataError {
    #[error("model metadata `{key}` = {value:?} is not valid: {expected}")]
    BadValue {
        key: String,
        value: String,
        expected: String,
    },
    #[error(
        "model has no class names: expected ultralytics metadata `names` (e.g. {{0: 'outfall'}}) or `class_names` in the `qly_detector` JSON"
    )]
    NoClassNames,
    #[error(
        "model input size unknown: the input shape {shape:?} has dynamic height/width and there is no `imgsz` (ultralytics) or `input_height_px`/`input_width_px` (qly_detector) metadata"
    )]
    NoInputSize { shape: Vec<i64> },
    #[error(
        "model input {shape:?} does not match the metadata input size {height_px}x{width_px} (height x width): expected [1, 3, {height_px}, {width_px}]"
    )]
    InputMismatch {
        shape: Vec<i64>,
        height_px: u32,
        width_px: u32,
    },
    #[error(
        "model task is {task:?}: only `detect` models are supported (segmentation, pose, OBB and classification heads have other outputs)"
    )]
    UnsupportedTask { task: String },
    #[error(
        "unknown output layout: output shape {shape:?} with {num_classes} classes matches none of yolov8 [1, 4+nc, N], yolov5 [1, N, 5+nc], end2end [1, N<={MAX_END_TO_END_ROWS}, 6]"
    )]
    UnknownLayout { shape: Vec<i64>, num_classes: usize },
    #[error(
        "output shape {shape:?} does not fit the layout {layout} declared in the metadata with {num_classes} classes"
    )]
    LayoutMismatch {
        shape: Vec<i64>,
        layout: OutputLayout,
        num_classes: usize,
    },
}

/// The `qly_detector` JSON object (see the module docs); unknown fields are rejected so a typo
/// does not pass silently.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct QlyMetadata {
    class_names: Option<Vec<String>>,
    input_height_px: Option<u32>,
    input_width_px: Option<u32>,
    layout: Option<OutputLayout>,
    mean_rgb: Option<[f32; 3]>,
    std_rgb: Option<[f32; 3]>,
}

/// Resolves the model contract from the custom metadata map and the input/output shapes
/// (`-1` = dynamic dimension).
pub fn resolve(
    custom: &HashMap<String, String>,
    input_shape: &[i64],
    output_shape: &[i64],
) -> Result<ModelMetadata, MetadataError> {
    let qly = match custom.get(QLY_METADATA_KEY) {
        Some(json) => {
            serde_json::from_str::<QlyMetadata>(json).map_err(|e| MetadataError::BadValue {
                key: QLY_METADATA_KEY.into(),
                value: json.clone(),
                expected: format!("a JSON object as in the model contract ({e})"),
            })?
        }
        None => QlyMetadata::default(),
    };
    if let Some(task) = custom.get("task") {
        if task.trim() != "detect" {
            return Err(MetadataError::UnsupportedTask { task: task.clone() });
        }
    }
    let class_names = match qly.class_names {
        Some(names) if !names.is_empty() => names,
        _ => match custom.get("names") {
            Some(s) => parse_python_names(s)?,
            None => return Err(MetadataError::NoClassNames),
        },
    };
    let imgsz = custom.get("imgsz").map(|s| parse_imgsz(s)).transpose()?;
    let (input_height_px, input_width_px) =
        resolve_input_size(qly.input_height_px, qly.input_width_px, imgsz, input_shape)?;
    let stride_px = custom
        .get("stride")
        .map(|s| {
            s.trim()
                .parse::<u32>()
                .map_err(|_| MetadataError::BadValue {
                    key: "stride".into(),
                    value: s.clone(),
                    expected: "a positive integer".into(),
                })
        })
        .transpose()?;
    let end2end_flag = custom
        .get("end2end")
        .map(|s| parse_python_bool("end2end", s))
        .transpose()?;
    let layout = resolve_layout(qly.layout, end2end_flag, output_shape, class_names.len())?;
    let normalisation = Normalisation {
        mean_rgb: qly.mean_rgb.unwrap_or([0.0; 3]),
        std_rgb: qly.std_rgb.unwrap_or([1.0; 3]),
    };
    if normalisation
        .std_rgb
        .iter()
        .any(|s| !s.is_finite() || *s <= 0.0)
        || normalisation.mean_rgb.iter().any(|m| !m.is_finite())
    {
        return Err(MetadataError::BadValue {
            key: QLY_METADATA_KEY.into(),
            value: format!("{normalisation:?}"),
            expected: "finite mean_rgb and positive std_rgb".into(),
        });
    }
    Ok(ModelMetadata {
        class_names,
        input_height_px,
        input_width_px,
        normalisation,
        layout,
        stride_px,
    })
}

fn resolve_input_size(
    qly_h: Option<u32>,
    qly_w: Option<u32>,
    imgsz: Option<(u32, u32)>,
    input_shape: &[i64],
) -> Result<(u32, u32), MetadataError> {
    let shape_hw = match input_shape {
        [_, c, h, w] if (*c == 3 || *c < 0) => {
            let dim = |d: i64| u32::try_from(d).ok().filter(|d| *d > 0);
            (dim(*h), dim(*w))
        }
        _ => {
            return Err(MetadataError::InputMismatch {
                shape: input_shape.to_vec(),
                height_px: qly_h.or(imgsz.map(|s| s.0)).unwrap_or(0),
                width_px: qly_w.or(imgsz.map(|s| s.1)).unwrap_or(0),
            })
        }
    };
    let h = qly_h.or(imgsz.map(|s| s.0)).or(shape_hw.0);
    let w = qly_w.or(imgsz.map(|s| s.1)).or(shape_hw.1);
    let (Some(h), Some(w)) = (h, w) else {
        return Err(MetadataError::NoInputSize {
            shape: input_shape.to_vec(),
        });
    };
    if shape_hw.0.is_some_and(|s| s != h) || shape_hw.1.is_some_and(|s| s != w) {
        return Err(MetadataError::InputMismatch {
            shape: input_shape.to_vec(),
            height_px: h,
            width_px: w,
        });
    }
    Ok((h, w))
}

/// Picks the output layout: the `qly_detector` layout if given (checked against the shape), an
/// ultralytics `end2end: True` flag, else by shape. The one ambiguous case, a one-class model
/// whose `[1, N, 6]` output fits both YOLOv5 and end-to-end, is end-to-end when
/// `N <= MAX_END_TO_END_ROWS` (a YOLOv5 head has thousands of anchors: 6300 at 320 px).
pub fn resolve_layout(
    declared: Option<OutputLayout>,
    end2end_flag: Option<bool>,
    output_shape: &[i64],
    num_classes: usize,
) -> Result<OutputLayout, MetadataError> {
    let fits = |layout: OutputLayout| -> bool {
        let [b, d1, d2] = output_shape else {
            return false;
        };
        if !(*b == 1 || *b < 0) {
            return false;
        }
        let nc = num_classes as i64;
        match layout {
            OutputLayout::Yolov8 => *d1 == 4 + nc,
            OutputLayout::Yolov5 => *d2 == 5 + nc,
            OutputLayout::End2end => {
                *d2 == 6 && (*d1 < 0 || (*d1 > 0 && *d1 as usize <= MAX_END_TO_END_ROWS))
            }
        }
    };
    let declared = declared.or(match end2end_flag {
        Some(true) => Some(OutputLayout::End2end),
        _ => None,
    });
    if let Some(layout) = declared {
        return if fits(layout) {
            Ok(layout)
        } else {
            Err(MetadataError::LayoutMismatch {
                shape: output_shape.to_vec(),
                layout,
                num_classes,
            })
        };
    }
    let v8 = fits(OutputLayout::Yolov8);
    let v5 = fits(OutputLayout::Yolov5);
    let e2e = fits(OutputLayout::End2end);
    match (v8, v5, e2e) {
        (true, false, _) => Ok(OutputLayout::Yolov8),
        (false, _, true) => Ok(OutputLayout::End2end),
        (false, true, false) => Ok(OutputLayout::Yolov5),
        // [1, 4+nc, 5+nc]: both YOLO layouts fit; only a declaration can tell.
        _ => Err(MetadataError::UnknownLayout {
            shape: output_shape.to_vec(),
            num_classes,
        }),
    }
}

/// Parses ultralytics' `names`, a Python dict literal `{0: 'outfall', 1: "it's"}`; ids must be
/// exactly 0..n.
pub fn parse_python_names(s: &str) -> Result<Vec<String>, MetadataError> {
    let bad = |why: &str| MetadataError::BadValue {
        key: "names".into(),
        value: s.to_string(),
        expected: format!("a Python dict {{0: 'name', 1: 'name', ...}} with ids 0..n ({why})"),
    };
    let body = s
        .trim()
        .strip_prefix('{')
        .and_then(|b| b.strip_suffix('}'))
        .ok_or_else(|| bad("no braces"))?;
    let mut chars = body.chars().peekable();
    let mut pairs: Vec<(usize, String)> = Vec::new();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ',') {
            chars.next();
        }
        if chars.peek().is_none() {
            break;
        }
        let mut id = String::new();
        while chars.peek().is_some_and(|c| c.is_ascii_digit()) {
            id.extend(chars.next());
        }
        let id: usize = id.parse().map_err(|_| bad("a key is not an integer"))?;
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.next() != Some(':') {
            return Err(bad("missing ':'"));
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let quote = match chars.next() {
            Some(q @ ('\'' | '"')) => q,
            _ => return Err(bad("a name is not quoted")),
        };
        let mut name = String::new();
        loop {
            match chars.next() {
                None => return Err(bad("unterminated string")),
                Some('\\') => name.extend(chars.next()),
                Some(c) if c == quote => break,
                Some(c) => name.push(c),
            }
        }
        pairs.push((id, name));
    }
    if pairs.is_empty() {
        return Err(bad("empty"));
    }
    pairs.sort_by_key(|p| p.0);
    if pairs.iter().enumerate().any(|(i, p)| p.0 != i) {
        return Err(bad("ids are not exactly 0..n"));
    }
    Ok(pairs.into_iter().map(|p| p.1).collect())
}

/// Parses ultralytics' `imgsz`: `[640, 640]` (height, width) or a single `640`.
pub fn parse_imgsz(s: &str) -> Result<(u32, u32), MetadataError> {
    let bad = || MetadataError::BadValue {
        key: "imgsz".into(),
        value: s.to_string(),
        expected: "[height, width] or a single size in pixels, positive integers".into(),
    };
    let inner = s
        .trim()
        .trim_start_matches(['[', '('])
        .trim_end_matches([']', ')']);
    let dims: Vec<u32> = inner
        .split(',')
        .map(|d| d.trim())
        .filter(|d| !d.is_empty())
        .map(|d| d.parse::<u32>().ok().filter(|v| *v > 0).ok_or_else(bad))
        .collect::<Result<_, _>>()?;
    match dims.as_slice() {
        [n] => Ok((*n, *n)),
        [h, w] => Ok((*h, *w)),
        _ => Err(bad()),
    }
}

fn parse_python_bool(key: &str, s: &str) -> Result<bool, MetadataError> {
    match s.trim() {
        "True" | "true" | "1" => Ok(true),
        "False" | "false" | "0" => Ok(false),
        _ => Err(MetadataError::BadValue {
            key: key.into(),
            value: s.into(),
            expected: "True or False".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn python_names_in_both_quote_styles() {
        let names = parse_python_names(r#"{0: 'outfall', 1: "driver's", 2: 'a\'b'}"#).unwrap();
        assert_eq!(names, vec!["outfall", "driver's", "a'b"]);
        assert!(matches!(
            parse_python_names("{0: 'a', 2: 'b'}"),
            Err(MetadataError::BadValue { .. })
        ));
        assert!(parse_python_names("['a', 'b']").is_err());
        assert!(parse_python_names("{}").is_err());
    }

    #[test]
    fn imgsz_forms() {
        assert_eq!(parse_imgsz("[480, 640]").unwrap(), (480, 640));
        assert_eq!(parse_imgsz("320").unwrap(), (320, 320));
        assert!(parse_imgsz("[0, 640]").is_err());
        assert!(parse_imgsz("big").is_err());
    }

    #[test]
    fn layouts_from_shapes() {
        // 2 classes: yolov8 [1, 6, 2100], yolov5 [1, 6300, 7], e2e [1, 300, 6].
        assert_eq!(
            resolve_layout(None, None, &[1, 6, 2100], 2),
            Ok(OutputLayout::Yolov8)
        );
        assert_eq!(
            resolve_layout(None, None, &[1, 6300, 7], 2),
            Ok(OutputLayout::Yolov5)
        );
        assert_eq!(
            resolve_layout(None, None, &[1, 300, 6], 2),
            Ok(OutputLayout::End2end)
        );
        // 1 class: [1, N, 6] is yolov5 for many anchors, end-to-end for few.
        assert_eq!(
            resolve_layout(None, None, &[1, 6300, 6], 1),
            Ok(OutputLayout::Yolov5)
        );
        assert_eq!(
            resolve_layout(None, None, &[1, 300, 6], 1),
            Ok(OutputLayout::End2end)
        );
        assert_eq!(
            resolve_layout(None, Some(true), &[-1, 300, 6], 80),
            Ok(OutputLayout::End2end)
        );
        assert!(matches!(
            resolve_layout(None, None, &[1, 10, 10], 2),
            Err(MetadataError::UnknownLayout { .. })
        ));
        assert!(matches!(
            resolve_layout(None, None, &[1, 3, 20, 20], 2),
            Err(MetadataError::UnknownLayout { .. })
        ));
        assert!(matches!(
            resolve_layout(Some(OutputLayout::Yolov5), None, &[1, 6, 2100], 2),
            Err(MetadataError::LayoutMismatch { .. })
        ));
    }

    #[test]
    fn ultralytics_metadata_resolves() {
        let m = map(&[
            ("names", "{0: 'outfall', 1: 'plume'}"),
            ("imgsz", "[320, 320]"),
            ("stride", "32"),
            ("task", "detect"),
        ]);
        let md = resolve(&m, &[1, 3, 320, 320], &[1, 6, 2100]).unwrap();
        assert_eq!(md.class_names, vec!["outfall", "plume"]);
        assert_eq!((md.input_height_px, md.input_width_px), (320, 320));
        assert_eq!(md.layout, OutputLayout::Yolov8);
        assert_eq!(md.stride_px, Some(32));
        assert_eq!(md.normalisation, Normalisation::default());
        // Static input that disagrees with imgsz.
        assert!(matches!(
            resolve(&m, &[1, 3, 640, 640], &[1, 6, 8400]),
            Err(MetadataError::InputMismatch { .. })
        ));
        // Dynamic input without imgsz.
        let no_size = map(&[("names", "{0: 'a'}")]);
        assert!(matches!(
            resolve(&no_size, &[1, 3, -1, -1], &[1, 5, 100]),
            Err(MetadataError::NoInputSize { .. })
        ));
        let seg = map(&[("names", "{0: 'a'}"), ("task", "segment")]);
        assert!(matches!(
            resolve(&seg, &[1, 3, 320, 320], &[1, 37, 2100]),
            Err(MetadataError::UnsupportedTask { .. })
        ));
        assert_eq!(
            resolve(&map(&[]), &[1, 3, 320, 320], &[1, 6, 2100]),
            Err(MetadataError::NoClassNames)
        );
    }

    #[test]
    fn qly_json_overrides_and_rejects_typos() {
        let m = map(&[(
            QLY_METADATA_KEY,
            r#"{"class_names": ["outfall"], "input_height_px": 256, "input_width_px": 320,
                "layout": "yolov5", "mean_rgb": [0.485, 0.456, 0.406], "std_rgb": [0.229, 0.224, 0.225]}"#,
        )]);
        let md = resolve(&m, &[1, 3, -1, -1], &[1, 100, 6]).unwrap();
        assert_eq!(md.layout, OutputLayout::Yolov5);
        assert_eq!((md.input_height_px, md.input_width_px), (256, 320));
        assert_eq!(md.normalisation.std_rgb, [0.229, 0.224, 0.225]);
        let typo = map(&[(QLY_METADATA_KEY, r#"{"clas_names": ["a"]}"#)]);
        let err = resolve(&typo, &[1, 3, 320, 320], &[1, 5, 100]).unwrap_err();
        assert!(err.to_string().contains("qly_detector"), "{err}");
    }
}
