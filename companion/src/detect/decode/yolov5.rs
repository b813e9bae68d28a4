//! YOLOv5 detection head as exported to ONNX: `[1, N, 5 + nc]`, one row per anchor: cx, cy, w,
//! h (model-input pixels), objectness, class scores (all sigmoided). Confidence is objectness
//! times the best class score; rows whose objectness alone is not above the lowest threshold
//! are skipped first, as YOLOv5's NMS does.

use super::{anchor_candidate, passes, Candidate, DecodeError};
use crate::detect::metadata::OutputLayout;

pub fn decode(
    shape: &[usize],
    data: &[f32],
    thresholds: &[f32],
) -> Result<Vec<Candidate>, DecodeError> {
    let nc = thresholds.len();
    let &[1, anchors, width] = shape else {
        return Err(shape_error(shape, nc));
    };
    if width != 5 + nc {
        return Err(shape_error(shape, nc));
    }
    let lowest = thresholds.iter().copied().fold(f32::INFINITY, f32::min);
    Ok(data
        .chunks_exact(width)
        .take(anchors)
        // Objectness alone must pass the lowest threshold before classes are looked at.
        .filter(|row| passes(row[4], lowest))
        .filter_map(|row| {
            let cxcywh = [row[0], row[1], row[2], row[3]];
            anchor_candidate(cxcywh, row[4], row[5..].iter().copied(), thresholds)
        })
        .collect())
}

fn shape_error(shape: &[usize], nc: usize) -> DecodeError {
    DecodeError::shape(OutputLayout::Yolov5, shape, format!("[1, N, {}]", 5 + nc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confidence_is_objectness_times_class() {
        #[rustfmt::skip]
        let data = vec![
            // cx, cy, w, h, obj, outfall, plume
            100.0, 50.0, 20.0, 10.0, 0.8, 0.9, 0.1,   // 0.72 outfall
            200.0, 150.0, 40.0, 60.0, 0.9, 0.2, 0.25, // 0.225 plume: below 0.25
            10.0, 10.0, 4.0, 4.0, 0.1, 0.0, 1.0,      // objectness too low
        ];
        let got = decode(&[1, 3, 7], &data, &[0.25, 0.25]).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].class_id, 0);
        assert!((got[0].confidence - 0.72).abs() < 1e-6);
        assert_eq!(got[0].bbox, (90.0, 45.0, 110.0, 55.0));
        let got = decode(&[1, 3, 7], &data, &[0.25, 0.2]).unwrap();
        assert_eq!(got.len(), 2);
        assert!(matches!(
            decode(&[1, 7, 3], &data, &[0.25, 0.25]),
            Err(DecodeError::Shape { .. })
        ));
    }
}
