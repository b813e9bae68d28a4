//! The detector end to end on real ONNX Runtime and real ONNX models.
//!
//! `tests/models/make_models.py` (run with `$QLY_PYTHON`, which has `onnx` and `onnxruntime`
//! from scripts/setup-env.sh) builds small models, one per output layout, that put a box around
//! a white marker in their input. The photos here are non-square, so the boxes only land on the
//! marker if letterboxing and the inverse mapping are right. The ONNX Runtime library is the
//! one the `onnxruntime` wheel in that venv ships; the script reports its path. Without
//! `$QLY_PYTHON` the tests print that they skipped (under `CI` they fail).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use companion::detect::{
    DetectError, Detection, Detector, DetectorConfig, MetadataError, OutputLayout, RuntimeConfig,
    TilingConfig,
};
use image::{Rgb, RgbImage};
use qly_test_support::onnx::{make_test_models, TestModels};
use qly_test_support::python::python_or_skip;

/// The test models, built once per test binary; `None` (with a note) without `$QLY_PYTHON`.
fn models(test: &str) -> Option<&'static TestModels> {
    static MODELS: OnceLock<TestModels> = OnceLock::new();
    let python = python_or_skip(test)?;
    Some(MODELS.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("companion-detect-models");
        make_test_models(&python, &dir)
    }))
}

fn config(m: &TestModels, name: &str) -> DetectorConfig {
    DetectorConfig {
        runtime: RuntimeConfig {
            library_path: Some(m.library.clone()),
            intra_op_threads: 1,
        },
        ..DetectorConfig::new(m.dir.join(format!("{name}.onnx")))
    }
}

/// A dark photo with white rectangles at `[x1, x2) x [y1, y2)`.
fn photo(width: u32, height: u32, markers: &[(u32, u32, u32, u32)]) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        if markers
            .iter()
            .any(|&(x1, y1, x2, y2)| x >= x1 && x < x2 && y >= y1 && y < y2)
        {
            Rgb([255, 255, 255])
        } else {
            Rgb([20, 40, 60])
        }
    })
}

fn of_class<'a>(dets: &'a [Detection], name: &str) -> Vec<&'a Detection> {
    dets.iter().filter(|d| d.class_name == name).collect()
}

fn assert_box_near(got: (f32, f32, f32, f32), want: (f32, f32, f32, f32), tol_px: f32) {
    let pairs = [
        (got.0, want.0),
        (got.1, want.1),
        (got.2, want.2),
        (got.3, want.3),
    ];
    assert!(
        pairs.iter().all(|(g, w)| (g - w).abs() <= tol_px),
        "box {got:?} is not within {tol_px} px of {want:?}"
    );
}

#[test]
fn yolov8_boxes_land_on_the_marker_in_a_wide_photo() {
    let Some(m) = models("yolov8_boxes_land_on_the_marker_in_a_wide_photo") else {
        return;
    };
    let mut det = Detector::new(&config(m, "yolov8")).unwrap();
    assert_eq!(det.metadata().layout, OutputLayout::Yolov8);
    assert_eq!(det.metadata().class_names, vec!["outfall", "plume"]);
    assert_eq!(det.metadata().stride_px, Some(32));
    // 1000x563 into 320x320: scale 0.32, 320x180 resized, 70 px grey above and below.
    let img = photo(1000, 563, &[(600, 200, 700, 260)]);
    let (input, geometry) = det.preprocess(&img);
    assert_eq!(input.shape(), &[1, 3, 320, 320]);
    assert_eq!((geometry.pad_left_px, geometry.pad_top_px), (0, 70));
    assert!((input[[0, 1, 10, 10]] - 114.0 / 255.0).abs() < 1e-6);
    let raw = det.infer(&input).unwrap();
    assert_eq!(raw.shape, vec![1, 6, 8]);
    let candidates = det.decode(&raw, &geometry).unwrap();
    // Marker, its near-duplicate and the fixed outfall; the 0.01 noise is below 0.25.
    assert_eq!(candidates.len(), 3, "{candidates:?}");

    let dets = det.suppress(candidates, false);
    assert_eq!(dets.len(), 2, "{dets:?}");
    let plumes = of_class(&dets, "plume");
    assert_eq!(
        plumes.len(),
        1,
        "NMS keeps one of the two marker boxes: {dets:?}"
    );
    assert_eq!(plumes[0].class_id, 1);
    assert!((plumes[0].confidence - 0.9).abs() < 1e-6);
    // One model-input pixel is 1/0.32 = 3.1 photo px; allow two for the resize blur.
    assert_box_near(plumes[0].bbox_px, (600.0, 200.0, 700.0, 260.0), 2.0 / 0.32);
    // The fixed outfall box at input (80, 140)-(120, 160) maps back exactly.
    let outfalls = of_class(&dets, "outfall");
    assert_eq!(outfalls.len(), 1);
    assert_box_near(
        outfalls[0].bbox_px,
        (80.0 / 0.32, 70.0 / 0.32, 120.0 / 0.32, 90.0 / 0.32),
        1e-3,
    );
    // detect() runs the same stages.
    assert_eq!(det.detect(&img).unwrap(), dets);
    assert!(matches!(
        det.detect(&RgbImage::new(0, 10)),
        Err(DetectError::EmptyImage { .. })
    ));
    // A corrupt JPEG is a typed error, not a panic.
    let err = det
        .detect_jpeg(b"\xff\xd8\xff\xe0 broken", "frame 3")
        .unwrap_err();
    assert!(matches!(err, DetectError::Photo(_)), "{err:?}");
    assert!(err.to_string().contains("frame 3"), "{err}");
}

#[test]
fn class_thresholds_filter_per_class() {
    let Some(m) = models("class_thresholds_filter_per_class") else {
        return;
    };
    let mut cfg = config(m, "yolov8");
    cfg.class_confidence_thresholds = BTreeMap::from([("outfall".to_string(), 0.7)]);
    let mut det = Detector::new(&cfg).unwrap();
    assert_eq!(det.thresholds(), &[0.7, 0.25]);
    let dets = det
        .detect(&photo(1000, 563, &[(600, 200, 700, 260)]))
        .unwrap();
    assert_eq!(dets.len(), 1, "{dets:?}");
    assert_eq!(dets[0].class_name, "plume");
    // No marker: the marker scores are zero, nothing but the (filtered) outfall.
    assert!(det.detect(&photo(1000, 563, &[])).unwrap().is_empty());

    cfg.class_confidence_thresholds = BTreeMap::from([("pipe".to_string(), 0.7)]);
    let err = Detector::new(&cfg).unwrap_err();
    assert!(
        matches!(&err, DetectError::Config { field, .. } if field == "class_confidence_thresholds"),
        "{err:?}"
    );
}

#[test]
fn yolov5_rectangular_input_and_a_portrait_photo() {
    let Some(m) = models("yolov5_rectangular_input_and_a_portrait_photo") else {
        return;
    };
    let mut det = Detector::new(&config(m, "yolov5")).unwrap();
    let md = det.metadata();
    assert_eq!(md.layout, OutputLayout::Yolov5);
    assert_eq!((md.input_height_px, md.input_width_px), (256, 320));
    // 600x900 into W320 x H256: scale 256/900, 171x256 resized, 74 px left and 75 px right.
    let img = photo(600, 900, &[(200, 500, 300, 600)]);
    let (_, geometry) = det.preprocess(&img);
    assert_eq!(
        (
            geometry.resized_width_px,
            geometry.pad_left_px,
            geometry.pad_top_px
        ),
        (171, 74, 0)
    );
    let scale = 256.0 / 900.0;
    let dets = det.detect(&img).unwrap();
    let plumes = of_class(&dets, "plume");
    assert_eq!(plumes.len(), 1, "{dets:?}");
    assert!((plumes[0].confidence - 0.95 * 0.9).abs() < 1e-5);
    assert_box_near(plumes[0].bbox_px, (200.0, 500.0, 300.0, 600.0), 2.0 / scale);
    let outfalls = of_class(&dets, "outfall");
    assert_eq!(outfalls.len(), 1, "{dets:?}");
    assert!((outfalls[0].confidence - 0.63).abs() < 1e-5);
    assert_box_near(
        outfalls[0].bbox_px,
        (
            (80.0 - 74.0) / scale,
            140.0 / scale,
            (120.0 - 74.0) / scale,
            160.0 / scale,
        ),
        1e-2,
    );
}

#[test]
fn end_to_end_layout_with_dynamic_input() {
    let Some(m) = models("end_to_end_layout_with_dynamic_input") else {
        return;
    };
    let mut det = Detector::new(&config(m, "end2end")).unwrap();
    assert_eq!(det.metadata().layout, OutputLayout::End2end);
    assert_eq!(
        (
            det.metadata().input_height_px,
            det.metadata().input_width_px
        ),
        (320, 320)
    );
    // 1280x720 into 320: scale 0.25, 320x180, 70 px above.
    let img = photo(1280, 720, &[(100, 400, 180, 480)]);
    let (input, _) = det.preprocess(&img);
    let raw = det.infer(&input).unwrap();
    assert_eq!(raw.shape, vec![1, 300, 6]);
    let dets = det.detect(&img).unwrap();
    assert_eq!(dets.len(), 2, "{dets:?}");
    assert_eq!(dets[0].class_name, "plume");
    assert_box_near(dets[0].bbox_px, (100.0, 400.0, 180.0, 480.0), 2.0 / 0.25);
    assert_eq!(dets[1].class_name, "outfall");
    assert_box_near(dets[1].bbox_px, (320.0, 280.0, 480.0, 360.0), 1e-3);
}

#[test]
fn project_json_metadata_with_normalisation() {
    let Some(m) = models("project_json_metadata_with_normalisation") else {
        return;
    };
    let mut det = Detector::new(&config(m, "qly_json")).unwrap();
    assert_eq!(det.metadata().normalisation.mean_rgb, [0.5; 3]);
    let img = photo(1000, 563, &[(600, 200, 700, 260)]);
    let (input, _) = det.preprocess(&img);
    // Grey 114 padding after (v/255 - 0.5) / 0.5.
    assert!((input[[0, 0, 0, 0]] - (114.0 / 255.0 - 0.5) / 0.5).abs() < 1e-6);
    let dets = det.detect(&img).unwrap();
    let plumes = of_class(&dets, "plume");
    assert_eq!(plumes.len(), 1, "{dets:?}");
    assert_box_near(plumes[0].bbox_px, (600.0, 200.0, 700.0, 260.0), 2.0 / 0.32);
}

#[test]
fn unknown_layout_is_a_typed_error() {
    let Some(m) = models("unknown_layout_is_a_typed_error") else {
        return;
    };
    let err = Detector::new(&config(m, "unknown")).unwrap_err();
    match &err {
        DetectError::Metadata {
            source: MetadataError::UnknownLayout { shape, num_classes },
            ..
        } => {
            assert_eq!(shape, &vec![1, 10, 10]);
            assert_eq!(*num_classes, 2);
        }
        other => panic!("expected UnknownLayout, got {other:?}"),
    }
    assert!(err.to_string().contains("unknown.onnx"), "{err}");
    // And a model file that is not there.
    let err = Detector::new(&config(m, "no-such-model")).unwrap_err();
    assert!(err.to_string().contains("no-such-model.onnx"), "{err}");
}

/// A 4 px marker in a 2000x1500 photo falls between the sample points of the full-frame
/// resize (scale 0.16: columns 521-522 and 527-528 are read, 523-526 are not), so only slices
/// see it. It lies where four 320 px slices overlap; NMS merges their four boxes into one.
#[test]
fn tiling_finds_what_the_full_frame_misses() {
    let Some(m) = models("tiling_finds_what_the_full_frame_misses") else {
        return;
    };
    let mut cfg = config(m, "yolov8");
    // The fixed "outfall" box (0.6) would appear once per slice; filter it.
    cfg.class_confidence_thresholds = BTreeMap::from([("outfall".to_string(), 0.7)]);
    let img = photo(2000, 1500, &[(523, 523, 527, 527)]);

    let mut plain = Detector::new(&cfg).unwrap();
    assert!(plain.detect(&img).unwrap().is_empty());

    cfg.tiling = Some(TilingConfig {
        slice_width_px: 320,
        slice_height_px: 320,
        overlap_ratio: 0.2,
        full_frame_pass: true,
        min_downscale: 2.0,
    });
    let mut tiled = Detector::new(&cfg).unwrap();
    let dets = tiled.detect(&img).unwrap();
    assert_eq!(dets.len(), 1, "{dets:?}");
    assert_eq!(dets[0].class_name, "plume");
    assert_box_near(dets[0].bbox_px, (523.0, 523.0, 527.0, 527.0), 1e-3);
    // A photo not much larger than the input is not sliced (and this one has no marker).
    assert!(tiled.detect(&photo(400, 300, &[])).unwrap().is_empty());
}

/// With no library path in the config, `ORT_DYLIB_PATH` (set by scripts/setup-env.sh) is used.
#[test]
fn library_from_the_environment_variable() {
    let Some(m) = models("library_from_the_environment_variable") else {
        return;
    };
    let Some(env_path) = std::env::var_os("ORT_DYLIB_PATH") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "ORT_DYLIB_PATH is not set under CI; source scripts/setup-env.sh"
        );
        eprintln!("library_from_the_environment_variable: skipped: ORT_DYLIB_PATH not set");
        return;
    };
    let env_path = std::fs::canonicalize(env_path).expect("ORT_DYLIB_PATH exists");
    let wheel = std::fs::canonicalize(&m.library).unwrap();
    if env_path != wheel {
        eprintln!(
            "library_from_the_environment_variable: skipped: ORT_DYLIB_PATH {} is not the venv's {}",
            env_path.display(),
            wheel.display()
        );
        return;
    }
    let det = Detector::new(&DetectorConfig::new(m.dir.join("yolov8.onnx"))).unwrap();
    assert_eq!(det.runtime().library_path(), wheel.as_path());
}

/// A user's own YOLOv8-layout model with five classes of its own (`car`, `drain_pipe`,
/// `oil_slick`, `boat`, `culvert`) plugs in through `[detector.class_map]`, read from a
/// companion config: ignored classes vanish, classes mapped onto one project class are
/// suppressed together, detections carry the project's names.
#[test]
fn a_users_model_plugs_in_through_the_class_map() {
    let Some(m) = models("a_users_model_plugs_in_through_the_class_map") else {
        return;
    };
    let img = photo(1000, 563, &[(600, 200, 700, 260)]);
    // Unmapped, the model's own classes come out: the car on the marker, the boat, and the
    // drain pipe and culvert on one box (different classes: NMS keeps both).
    let mut own = Detector::new(&config(m, "user_yolov8")).unwrap();
    let names: Vec<String> = own
        .detect(&img)
        .unwrap()
        .into_iter()
        .map(|d| d.class_name)
        .collect();
    assert_eq!(
        names,
        ["oil_slick", "car", "boat", "drain_pipe", "culvert"],
        "by confidence"
    );

    let text = format!(
        r#"
[camera]
name = "DJI Mavic 3 Enterprise wide"
[detector]
model = "{}"
onnxruntime_library = "{}"
intra_op_threads = 1
class_confidence_thresholds = {{ outfall = 0.55 }}
[detector.class_map]
car = "ignore"
drain_pipe = "outfall"
"2" = "plume"
boat = "ignore"
culvert = "outfall"
"#,
        m.model("user_yolov8").display(),
        m.library.display()
    );
    let cfg = companion::config::Config::parse(&text, std::path::Path::new("c.toml")).unwrap();
    let mut det = Detector::new(&cfg.detector_config()).unwrap();
    assert_eq!(det.class_names(), ["outfall", "plume"]);
    assert_eq!(det.metadata().class_names.len(), 5, "the model's own list");
    // "outfall" sets both classes mapped onto it.
    assert_eq!(det.thresholds(), &[0.25, 0.55, 0.25, 0.25, 0.55]);
    let dets = det.detect(&img).unwrap();
    assert_eq!(dets.len(), 2, "{dets:?}");
    let plumes = of_class(&dets, "plume");
    assert_eq!((plumes.len(), plumes[0].class_id), (1, 1), "{dets:?}");
    assert!((plumes[0].confidence - 0.9).abs() < 1e-6);
    assert_box_near(plumes[0].bbox_px, (600.0, 200.0, 700.0, 260.0), 2.0 / 0.32);
    // The culvert (0.5) fell under the outfall threshold; the drain pipe is the outfall.
    let outfalls = of_class(&dets, "outfall");
    assert_eq!((outfalls.len(), outfalls[0].class_id), (1, 0), "{dets:?}");
    assert!((outfalls[0].confidence - 0.6).abs() < 1e-6);
    assert_box_near(
        outfalls[0].bbox_px,
        (80.0 / 0.32, 70.0 / 0.32, 120.0 / 0.32, 90.0 / 0.32),
        1e-3,
    );

    // Without the threshold the culvert passes, and is suppressed as a second outfall box.
    let mut dc = cfg.detector_config();
    dc.class_confidence_thresholds.clear();
    let dets = Detector::new(&dc).unwrap().detect(&img).unwrap();
    assert_eq!(of_class(&dets, "outfall").len(), 1, "{dets:?}");
    assert_eq!(dets.len(), 2, "{dets:?}");

    // A map that leaves a class out, or names one the model does not have, is refused
    // naming the class and the field.
    dc.class_map.remove("boat");
    let err = Detector::new(&dc).unwrap_err().to_string();
    assert!(err.contains("`detector.class_map`"), "{err}");
    assert!(err.contains("\"boat\" (id 3) is not mapped"), "{err}");
    dc.class_map
        .insert("ship".into(), companion::detect::ProjectClass::Ignore);
    let err = Detector::new(&dc).unwrap_err().to_string();
    assert!(err.contains("`detector.class_map.ship`"), "{err}");
    assert!(
        err.contains("3 \"boat\""),
        "lists the model's classes: {err}"
    );
}
