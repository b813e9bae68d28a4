//! The committed detector (`models/qly-outfall-plume-cnet1024.onnx`) on a scene the renderer
//! made: it must find the labelled outfall and plume, run as the model card says (the whole
//! 2048x1536 frame in one pass, resized to the model's 1024x768 input), with at most one false
//! detection. A plume's label is the square of ground about its source (`sim dataset
//! --plume-box source`), the point the companion reports.
//!
//! The scene, `models/testdata/scene.jpg` with its YOLO labels `scene.txt`, is an unmodified
//! frame `sim dataset` rendered for a world whose seed was never used in training, picked by
//! `python -m qly_train.test_scene` (see `scene.json` and models/README.md). ONNX Runtime is the library of the
//! `onnxruntime` wheel in `$QLY_PYTHON`'s venv, as in `detector_onnx.rs`; without
//! `$QLY_PYTHON` the test prints that it skipped (under `CI` it fails).

use std::path::{Path, PathBuf};
use std::time::Instant;

use companion::detect::{
    read_jpeg, BoxXyxy, Detection, Detector, DetectorConfig, OutputLayout, RuntimeConfig,
};
use qly_test_support::python::{onnxruntime_library, python_or_skip};
use qly_test_support::repo;

const MODEL: &str = "qly-outfall-plume-cnet1024.onnx";

fn ort_library(test: &str) -> Option<PathBuf> {
    let python = python_or_skip(test)?;
    Some(onnxruntime_library(&python))
}

/// YOLO label lines -> (class id, box in pixels).
fn read_labels(path: &Path, width_px: f32, height_px: f32) -> Vec<(usize, BoxXyxy)> {
    let text = std::fs::read_to_string(path).expect("scene labels");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: Vec<f32> = l.split_whitespace().map(|x| x.parse().unwrap()).collect();
            let (cx, cy, w, h) = (
                v[1] * width_px,
                v[2] * height_px,
                v[3] * width_px,
                v[4] * height_px,
            );
            (
                v[0] as usize,
                (cx - w / 2.0, cy - h / 2.0, cx + w / 2.0, cy + h / 2.0),
            )
        })
        .collect()
}

/// Largest distance between a detection's box centre and its label's, per class id, pixels
/// (`qly_train/test_scene.py` picks the scene by the same rule).
const MAX_CENTRE_PX: [f32; 2] = [8.0, 16.0];

fn centre_distance_px(a: BoxXyxy, b: BoxXyxy) -> f32 {
    ((a.0 + a.2 - b.0 - b.2) / 2.0).hypot((a.1 + a.3 - b.1 - b.3) / 2.0)
}

#[test]
fn shipped_model_finds_the_targets_in_a_rendered_scene() {
    let Some(library) = ort_library("shipped_model_finds_the_targets_in_a_rendered_scene") else {
        return;
    };
    let root = repo::root();
    let config = DetectorConfig {
        runtime: RuntimeConfig {
            library_path: Some(library),
            intra_op_threads: 2,
        },
        confidence_threshold: 0.3,
        // The model card's settings: no tiling (a 2048x1536 frame is exactly twice the input).
        tiling: None,
        ..DetectorConfig::new(root.join("models").join(MODEL))
    };
    let mut detector = Detector::new(&config).unwrap();
    let md = detector.metadata();
    assert_eq!(md.layout, OutputLayout::End2end);
    assert_eq!(md.class_names, vec!["outfall", "plume"]);
    assert_eq!((md.input_width_px, md.input_height_px), (1024, 768));

    let scene = read_jpeg(&root.join("models/testdata/scene.jpg")).unwrap();
    let truth = read_labels(
        &root.join("models/testdata/scene.txt"),
        scene.width() as f32,
        scene.height() as f32,
    );
    assert!(
        truth.iter().any(|t| t.0 == 0) && truth.iter().any(|t| t.0 == 1),
        "the scene has an outfall and a plume: {truth:?}"
    );
    assert_eq!((scene.width(), scene.height()), (2048, 1536));
    assert!(!detector.tiles(&scene));

    let t = Instant::now();
    let dets = detector.detect(&scene).unwrap();
    eprintln!(
        "{}x{} scene: {} detections in {:.0} ms (2 threads, debug build of the Rust side)",
        scene.width(),
        scene.height(),
        dets.len(),
        t.elapsed().as_secs_f64() * 1e3
    );
    for d in &dets {
        eprintln!("  {} {:.2} {:?}", d.class_name, d.confidence, d.bbox_px);
    }

    // A detection matches a label of its class by its box centre: within 8 px of an outfall
    // label's (40 cm at 5 cm/px), within 16 px of a plume label's (a plume's box is the 8 m
    // square of ground about its source; 16 px is about 80 cm). Every target is found.
    let matches = |(cls, b): &(usize, BoxXyxy), d: &Detection| {
        d.class_id == *cls && centre_distance_px(d.bbox_px, *b) <= MAX_CENTRE_PX[*cls]
    };
    for target in &truth {
        assert!(
            dets.iter().any(|d| matches(target, d)),
            "target {target:?} not found among {dets:?}"
        );
    }
    // And little else: at most one detection that matches no target.
    let unmatched: Vec<&Detection> = dets
        .iter()
        .filter(|d| !truth.iter().any(|t| matches(t, d)))
        .collect();
    assert!(unmatched.len() <= 1, "false detections: {unmatched:?}");
}
