//! Ultralytics YOLOv8/YOLO11 detection head as exported to ONNX: `[1, 4 + nc, N]`, channel-major
//! (all N `cx` first, then all `cy`, ...), boxes in model-input pixels, class scores already
//! passed through a sigmoid, no objectness. The best class per anchor is kept (ultralytics'
//! default, not multi-label).

use super::{anchor_candidate, Candidate, DecodeError};
use crate::detect::metadata::OutputLayout;

pub fn decode(
    shape: &[usize],
    data: &[f32],
    thresholds: &[f32],
) -> Result<Vec<Candidate>, DecodeError> {
    let nc = thresholds.len();
    let &[1, channels, anchors] = shape else {
        return Err(shape_error(shape, nc));
    };
    if channels != 4 + nc {
        return Err(shape_error(shape, nc));
    }
    let at = |ch: usize, a: usize| data[ch * anchors + a];
    Ok((0..anchors)
        .filter_map(|a| {
            let cxcywh = [at(0, a), at(1, a), at(2, a), at(3, a)];
            anchor_candidate(cxcywh, 1.0, (0..nc).map(|c| at(4 + c, a)), thresholds)
        })
        .collect())
}

fn shape_error(shape: &[usize], nc: usize) -> DecodeError {
    DecodeError::shape(OutputLayout::Yolov8, shape, format!("[1, {}, N]", 4 + nc))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lays anchors out as the ultralytics export does: one row per channel.
    fn tensor(anchors: &[[f32; 6]]) -> (Vec<usize>, Vec<f32>) {
        let n = anchors.len();
        let mut data = vec![0.0; 6 * n];
        for (a, values) in anchors.iter().enumerate() {
            for (ch, v) in values.iter().enumerate() {
                data[ch * n + a] = *v;
            }
        }
        (vec![1, 6, n], data)
    }

    #[test]
    fn decodes_channel_major_anchors() {
        let (shape, data) = tensor(&[
            // cx, cy, w, h, outfall, plume
            [100.0, 50.0, 20.0, 10.0, 0.9, 0.1],
            [200.0, 150.0, 40.0, 60.0, 0.2, 0.6],
            [10.0, 10.0, 4.0, 4.0, 0.05, 0.1],
        ]);
        let got = decode(&shape, &data, &[0.25, 0.25]).unwrap();
        assert_eq!(
            got,
            vec![
                Candidate {
                    class_id: 0,
                    confidence: 0.9,
                    bbox: (90.0, 45.0, 110.0, 55.0)
                },
                Candidate {
                    class_id: 1,
                    confidence: 0.6,
                    bbox: (180.0, 120.0, 220.0, 180.0)
                },
            ]
        );
        // Per-class thresholds: plume needs 0.7 now.
        let got = decode(&shape, &data, &[0.25, 0.7]).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].class_id, 0);
    }

    #[test]
    fn rejects_wrong_channel_count() {
        let (shape, data) = tensor(&[[0.0; 6]]);
        assert!(matches!(
            decode(&shape, &data, &[0.25, 0.25, 0.25]),
            Err(DecodeError::Shape { .. })
        ));
    }
}
