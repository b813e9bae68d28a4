//! Turning a model's raw output tensor into scored boxes, one decoder per output layout
//! ([`OutputLayout`]). Decoders work on the flat row-major `f32` data and its shape, as ONNX
//! Runtime hands them out, so they are tested on hand-made tensors without a model.

use super::metadata::OutputLayout;

pub mod end2end;
pub mod yolov5;
pub mod yolov8;

/// A box as `(x1, y1, x2, y2)`: left, top, right, bottom, in pixels of whichever image the
/// caller says (model input after decoding, the photo after mapping back).
pub type BoxXyxy = (f32, f32, f32, f32);

/// A scored box before non-maximum suppression.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    pub class_id: usize,
    pub confidence: f32,
    pub bbox: BoxXyxy,
}

/// A raw output that does not have the layout's shape, or holds a class id the model does not
/// have.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DecodeError {
    #[error("model output has shape {got:?}, expected {expected} for layout {layout}")]
    Shape {
        layout: OutputLayout,
        got: Vec<usize>,
        expected: String,
    },
    #[error("model output has {got} values but its shape {shape:?} needs {needed}")]
    Length {
        shape: Vec<usize>,
        got: usize,
        needed: usize,
    },
    #[error("end-to-end output row {row} has class id {class_id}, but the model has {num_classes} classes")]
    ClassOutOfRange {
        row: usize,
        class_id: f32,
        num_classes: usize,
    },
}

impl DecodeError {
    /// `got` is not the shape of `layout`, which is `expected` (as the message writes it).
    fn shape(layout: OutputLayout, got: &[usize], expected: String) -> DecodeError {
        DecodeError::Shape {
            layout,
            got: got.to_vec(),
            expected,
        }
    }
}

/// Decodes `data` (shape `shape`) laid out as `layout`. `thresholds[c]` is the minimum
/// confidence for class `c`; as in ultralytics a candidate must score strictly above it.
pub fn decode(
    layout: OutputLayout,
    shape: &[usize],
    data: &[f32],
    thresholds: &[f32],
) -> Result<Vec<Candidate>, DecodeError> {
    let needed: usize = shape.iter().product();
    if needed != data.len() {
        return Err(DecodeError::Length {
            shape: shape.to_vec(),
            got: data.len(),
            needed,
        });
    }
    match layout {
        OutputLayout::Yolov8 => yolov8::decode(shape, data, thresholds),
        OutputLayout::Yolov5 => yolov5::decode(shape, data, thresholds),
        OutputLayout::End2end => end2end::decode(shape, data, thresholds),
    }
}

/// `(cx, cy, w, h)` to `(x1, y1, x2, y2)`.
pub fn cxcywh_to_xyxy(cx: f32, cy: f32, w: f32, h: f32) -> BoxXyxy {
    (cx - w / 2.0, cy - h / 2.0, cx + w / 2.0, cy + h / 2.0)
}

fn finite_box(b: BoxXyxy) -> bool {
    b.0.is_finite() && b.1.is_finite() && b.2.is_finite() && b.3.is_finite()
}

/// The index and value of the largest score (first one on ties, as `argmax` does).
fn best_class(scores: impl Iterator<Item = f32>) -> Option<(usize, f32)> {
    scores
        .enumerate()
        .fold(None, |best: Option<(usize, f32)>, (i, s)| match best {
            _ if s.is_nan() => best,
            Some((_, b)) if s <= b => best,
            _ => Some((i, s)),
        })
}

/// `value > threshold`, false for NaN: a score passes only when strictly above (ultralytics).
fn passes(value: f32, threshold: f32) -> bool {
    value > threshold
}

/// The candidate of one anchor of a dense head (YOLOv5, YOLOv8): its best class among
/// `scores`, with confidence `objectness * score` (YOLOv8 has no objectness: pass 1), and its
/// `(cx, cy, w, h)` box as corners; `None` when there are no scores or the candidate is not
/// [`kept`].
fn anchor_candidate(
    cxcywh: [f32; 4],
    objectness: f32,
    scores: impl Iterator<Item = f32>,
    thresholds: &[f32],
) -> Option<Candidate> {
    let (class_id, score) = best_class(scores)?;
    let [cx, cy, w, h] = cxcywh;
    kept(
        class_id,
        objectness * score,
        cxcywh_to_xyxy(cx, cy, w, h),
        thresholds,
    )
}

/// The candidate when `confidence` passes its class's threshold and the box is finite.
fn kept(class_id: usize, confidence: f32, bbox: BoxXyxy, thresholds: &[f32]) -> Option<Candidate> {
    (passes(confidence, thresholds[class_id]) && finite_box(bbox)).then_some(Candidate {
        class_id,
        confidence,
        bbox,
    })
}
