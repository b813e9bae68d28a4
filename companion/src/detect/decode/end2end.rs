//! End-to-end detection head (YOLOv10, YOLO26 default export): `[1, N, 6]`, one row per
//! detection: x1, y1, x2, y2 (model-input pixels), score, class id (as a float). The model has
//! already suppressed duplicates; unused rows are padding with score 0. Only thresholds apply.

use super::{kept, passes, Candidate, DecodeError};
use crate::detect::metadata::OutputLayout;

pub fn decode(
    shape: &[usize],
    data: &[f32],
    thresholds: &[f32],
) -> Result<Vec<Candidate>, DecodeError> {
    let nc = thresholds.len();
    let &[1, rows, 6] = shape else {
        return Err(DecodeError::shape(
            OutputLayout::End2end,
            shape,
            "[1, N, 6]".into(),
        ));
    };
    let mut out = Vec::new();
    for (i, row) in data.chunks_exact(6).take(rows).enumerate() {
        let confidence = row[4];
        // Padding rows (score 0) may carry any class; look at the class only for real rows.
        if !passes(confidence, 0.0) {
            continue;
        }
        let class = row[5];
        if !(class >= 0.0 && class.fract() == 0.0 && (class as usize) < nc) {
            return Err(DecodeError::ClassOutOfRange {
                row: i,
                class_id: class,
                num_classes: nc,
            });
        }
        let bbox = (row[0], row[1], row[2], row[3]);
        out.extend(kept(class as usize, confidence, bbox, thresholds));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_rows_above_threshold() {
        #[rustfmt::skip]
        let data = vec![
            10.0, 20.0, 30.0, 60.0, 0.9, 1.0,
            50.0, 50.0, 70.0, 80.0, 0.3, 0.0,
            0.0, 0.0, 0.0, 0.0, 0.0, 0.0, // padding
        ];
        let got = decode(&[1, 3, 6], &data, &[0.5, 0.5]).unwrap();
        assert_eq!(
            got,
            vec![Candidate {
                class_id: 1,
                confidence: 0.9,
                bbox: (10.0, 20.0, 30.0, 60.0)
            }]
        );
        let bad = vec![0.0, 0.0, 1.0, 1.0, 0.9, 7.0];
        assert!(matches!(
            decode(&[1, 1, 6], &bad, &[0.5, 0.5]),
            Err(DecodeError::ClassOutOfRange { row: 0, .. })
        ));
    }
}
