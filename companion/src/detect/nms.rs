//! Greedy non-maximum suppression per class, as ultralytics and torchvision do it: take the
//! highest-scoring box, drop every other box of the same class that overlaps it by more than the
//! IoU threshold, repeat. Also merges the overlapping detections of tiled inference.

use super::decode::{BoxXyxy, Candidate};

/// At most this many candidates (the highest-scoring) go into NMS, as ultralytics' `max_nms`.
pub const MAX_NMS_CANDIDATES: usize = 30_000;

/// Intersection over union of two boxes; 0 for empty boxes.
pub fn iou(a: BoxXyxy, b: BoxXyxy) -> f32 {
    let iw = (a.2.min(b.2) - a.0.max(b.0)).max(0.0);
    let ih = (a.3.min(b.3) - a.1.max(b.1)).max(0.0);
    let inter = iw * ih;
    let area = |r: BoxXyxy| (r.2 - r.0).max(0.0) * (r.3 - r.1).max(0.0);
    let union = area(a) + area(b) - inter;
    if union > 0.0 {
        inter / union
    } else {
        0.0
    }
}

/// Keeps the best box of each overlapping group per class (IoU strictly above
/// `iou_threshold` suppresses), highest confidence first, at most `max_detections`.
pub fn nms_per_class(
    mut candidates: Vec<Candidate>,
    iou_threshold: f32,
    max_detections: usize,
) -> Vec<Candidate> {
    // Stable sort: equal scores keep their input order, so results are deterministic.
    candidates.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
    candidates.truncate(MAX_NMS_CANDIDATES);
    let mut kept: Vec<Candidate> = Vec::new();
    for c in candidates {
        if kept.len() >= max_detections {
            break;
        }
        let suppressed = kept
            .iter()
            .any(|k| k.class_id == c.class_id && iou(k.bbox, c.bbox) > iou_threshold);
        if !suppressed {
            kept.push(c);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(class_id: usize, confidence: f32, bbox: BoxXyxy) -> Candidate {
        Candidate {
            class_id,
            confidence,
            bbox,
        }
    }

    #[test]
    fn iou_values() {
        assert_eq!(iou((0.0, 0.0, 10.0, 10.0), (0.0, 0.0, 10.0, 10.0)), 1.0);
        assert_eq!(iou((0.0, 0.0, 10.0, 10.0), (10.0, 0.0, 20.0, 10.0)), 0.0);
        // Half overlap: 50 / 150.
        assert!((iou((0.0, 0.0, 10.0, 10.0), (5.0, 0.0, 15.0, 10.0)) - 1.0 / 3.0).abs() < 1e-6);
        assert_eq!(iou((0.0, 0.0, 0.0, 0.0), (0.0, 0.0, 0.0, 0.0)), 0.0);
    }

    #[test]
    fn suppresses_within_class_only() {
        let got = nms_per_class(
            vec![
                c(0, 0.5, (1.0, 0.0, 11.0, 10.0)), // IoU 0.82 with the 0.9 box: dropped
                c(0, 0.9, (0.0, 0.0, 10.0, 10.0)),
                c(1, 0.8, (0.0, 0.0, 10.0, 10.0)), // other class: kept
                c(0, 0.7, (5.0, 0.0, 15.0, 10.0)), // IoU 1/3: kept
                c(0, 0.6, (50.0, 50.0, 60.0, 60.0)),
            ],
            0.7,
            300,
        );
        let scores: Vec<f32> = got.iter().map(|k| k.confidence).collect();
        assert_eq!(scores, vec![0.9, 0.8, 0.7, 0.6]);
        let capped = nms_per_class(got, 0.7, 2);
        assert_eq!(capped.len(), 2);
        // A lower IoU threshold now suppresses the 1/3 overlap too.
        let strict = nms_per_class(
            vec![
                c(0, 0.9, (0.0, 0.0, 10.0, 10.0)),
                c(0, 0.7, (5.0, 0.0, 15.0, 10.0)),
            ],
            0.3,
            300,
        );
        assert_eq!(strict.len(), 1);
    }
}
