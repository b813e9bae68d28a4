//! A post-flight batch over a folder of generated DJI photos: five good nadir photos of a
//! white marker on the ground, one whose JPEG data is corrupt and one without the XMP packet.
//! The batch finishes, skips the two with their reasons, and fuses the marker's sightings into
//! a candidate within a metre of where the marker is.
//!
//! The detector is `tests/models/make_models.py`'s `yolov8` model (boxes the white marker as a
//! `plume`), built with `$QLY_PYTHON`; without it the test prints a skip note (under `CI` it
//! fails).

mod photo_support;

use std::path::PathBuf;

use companion::batch::{run_batch, BatchOptions, BatchProgress, PhotoStatus, SkipStage};
use companion::detect::{Detector, DetectorConfig, RuntimeConfig};
use companion::fusion::{Fusion, FusionSettings};
use companion::pipeline::Pipeline;
use companion::record::Record;
use companion::Findings;
use image::{Rgb, RgbImage};
use photo_support::{encode, DjiTags};
use qly_core::geodesy::{GeoPoint, LocalFrame};
use qly_core::geotag::Uncertainty;
use qly_core::terrain::FlatGround;
use qly_test_support::onnx::make_test_models;
use qly_test_support::python::python_or_skip;

/// The `yolov8` test model and the ONNX Runtime library; `None` (with a note) without
/// `$QLY_PYTHON`.
fn models(test: &str) -> Option<(PathBuf, PathBuf)> {
    let python = python_or_skip(test)?;
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("companion-batch-models");
    let m = make_test_models(&python, &dir);
    Some((m.model("yolov8"), m.library))
}

const W: u32 = 1280;
const H: u32 = 960;
const F_PX: f64 = 1000.0;
const GROUND_AMSL_M: f64 = 52.31;
const REL_M: f64 = 100.0;
const YAW_DEG: f64 = 20.0;
/// The marker: a 3 m square centred here.
const MARKER: (f64, f64) = (30.551_234_5, 114.312_345_6);

/// What a nadir camera `(e, n)` metres from the marker, turned to `YAW_DEG`, sees: the marker
/// white, the rest dark.
fn render(e_cam: f64, n_cam: f64) -> RgbImage {
    let (s, c) = YAW_DEG.to_radians().sin_cos();
    let m_per_px = REL_M / F_PX;
    RgbImage::from_fn(W, H, |u, v| {
        let right = (u as f64 + 0.5 - W as f64 / 2.0) * m_per_px;
        let forward = -(v as f64 + 0.5 - H as f64 / 2.0) * m_per_px;
        let e = e_cam + forward * s + right * c;
        let n = n_cam + forward * c - right * s;
        if e.abs() <= 1.5 && n.abs() <= 1.5 {
            Rgb([255, 255, 255])
        } else {
            Rgb([20, 40, 60])
        }
    })
}

fn tags_at(plane: &LocalFrame, e: f64, n: f64, second: u32) -> DjiTags {
    let p = plane.unproject(e, n);
    DjiTags {
        lat_deg: p.lat_deg,
        lon_deg: p.lon_deg,
        date_time_original: format!("2024:05:12 14:03:{second:02}"),
        exif_size_px: (W, H),
        absolute_altitude_m: GROUND_AMSL_M + REL_M,
        gps_alt_m: GROUND_AMSL_M + REL_M,
        relative_altitude_m: REL_M,
        gimbal_ypr_deg: [YAW_DEG, -90.0, 0.0],
        flight_ypr_deg: Some([YAW_DEG + 0.4, -3.0, 0.5]),
        calibrated: Some((F_PX, W as f64 / 2.0, H as f64 / 2.0)),
        dewarp: None,
        ..DjiTags::m3e()
    }
}

/// Replaces the Huffman table counts of the first DHT segment with 255s: the headers still
/// walk, the JPEG no longer decodes.
fn corrupt_huffman(jpeg: &mut [u8]) {
    let at = jpeg
        .windows(2)
        .position(|w| w == [0xFF, 0xC4])
        .expect("a DHT segment");
    for b in &mut jpeg[at + 5..at + 21] {
        *b = 0xFF;
    }
}

#[test]
fn a_folder_with_a_corrupt_and_an_untagged_photo_still_finds_the_marker() {
    let Some((model, library)) =
        models("a_folder_with_a_corrupt_and_an_untagged_photo_still_finds_the_marker")
    else {
        return;
    };
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("companion-batch-folder");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let plane = LocalFrame::at(GeoPoint::new(MARKER.0, MARKER.1).unwrap());
    // Names against capture order: the batch must sort by time. (east, north, second)
    let shots = [
        ("DJI_0005.JPG", -20.0, 5.0, 10),
        ("DJI_0004.JPG", -10.0, -4.0, 12),
        ("DJI_0003.JPG", 0.0, 6.0, 14),
        ("DJI_0002.JPG", 10.0, -3.0, 16),
        ("DJI_0001.JPG", 20.0, 2.0, 18),
    ];
    for (name, e, n, second) in shots {
        let jpeg = tags_at(&plane, e, n, second).tag(&encode(&render(e, n)), true);
        std::fs::write(dir.join(name), jpeg).unwrap();
    }
    let mut corrupt = tags_at(&plane, 0.0, 0.0, 20).tag(&encode(&render(0.0, 0.0)), true);
    corrupt_huffman(&mut corrupt);
    std::fs::write(dir.join("DJI_0006.JPG"), corrupt).unwrap();
    let untagged = tags_at(&plane, 5.0, 0.0, 22).tag(&encode(&render(5.0, 0.0)), false);
    std::fs::write(dir.join("DJI_0007.JPG"), untagged).unwrap();
    std::fs::write(dir.join("flight.log"), b"not a photo").unwrap();

    let detector = Detector::new(&DetectorConfig {
        runtime: RuntimeConfig {
            library_path: Some(library),
            intra_op_threads: 1,
        },
        ..DetectorConfig::new(model)
    })
    .unwrap();
    let findings = Findings::new(
        Fusion::new(FusionSettings::default(), None).unwrap(),
        // Replaced by the take-off ground the photos give.
        Box::new(FlatGround { height_amsl_m: 0.0 }),
        Uncertainty {
            horizontal_position_sigma_m: 1.0,
            altitude_sigma_m: 1.0,
            roll_pitch_sigma_deg: 0.5,
            heading_sigma_deg: 1.0,
            pixel_sigma_px: 2.0,
        },
    );
    let mut pipeline = Pipeline::new(detector, findings);
    let mut sink: Vec<Record> = Vec::new();
    let mut reports: Vec<BatchProgress> = Vec::new();
    let summary = run_batch(
        &dir,
        &BatchOptions::default(),
        &mut pipeline,
        &mut sink,
        |p| reports.push(p),
    )
    .unwrap();

    assert_eq!(summary.photos, 7);
    assert_eq!(summary.processed, 5, "{summary:#?}");
    assert_eq!(summary.skipped.len(), 2, "{summary:#?}");
    let decode = summary
        .skipped
        .iter()
        .find(|s| s.stage == SkipStage::Decode)
        .expect("the corrupt photo is skipped at decoding");
    assert!(decode.file.ends_with("DJI_0006.JPG"), "{decode:?}");
    assert!(decode.reason.contains("DJI_0006.JPG"), "{decode:?}");
    let meta = summary
        .skipped
        .iter()
        .find(|s| s.stage == SkipStage::Metadata)
        .expect("the photo without XMP is skipped at its tags");
    assert!(
        meta.file.ends_with("DJI_0007.JPG") && meta.reason.contains("no XMP"),
        "{meta:?}"
    );
    assert!((summary.ground_amsl_m.unwrap() - GROUND_AMSL_M).abs() < 1e-6);
    assert_eq!(summary.utc_offset_assumed, 0);
    assert_eq!(reports.len(), 7);
    assert_eq!(reports.last().unwrap().done, 7);
    assert_eq!(
        reports
            .iter()
            .filter(|r| matches!(r.status, PhotoStatus::Skipped(_)))
            .count(),
        2
    );
    assert!(summary.times.inference > std::time::Duration::ZERO);

    // Frames in capture order, indexed by position.
    let frames: Vec<_> = sink
        .iter()
        .filter_map(|r| match r {
            Record::Frame(f) => Some(f),
            _ => None,
        })
        .collect();
    assert_eq!(frames.len(), 5);
    let names: Vec<&str> = frames
        .iter()
        .map(|f| &f.file[f.file.len() - 12..])
        .collect();
    assert_eq!(
        names,
        [
            "DJI_0005.JPG",
            "DJI_0004.JPG",
            "DJI_0003.JPG",
            "DJI_0002.JPG",
            "DJI_0001.JPG"
        ]
    );
    assert!(frames
        .iter()
        .enumerate()
        .all(|(i, f)| f.image_index == i as u64));
    assert!(frames
        .iter()
        .all(|f| (f.camera.height_above_ground_m.unwrap() - REL_M).abs() < 1e-6));

    // The marker, seen five times, is one plume candidate within a metre of where it is.
    let plumes: Vec<_> = pipeline
        .findings()
        .fusion()
        .candidates()
        .iter()
        .filter(|c| c.class_name == "plume")
        .collect();
    assert_eq!(plumes.len(), 1, "{plumes:#?}");
    assert_eq!(plumes[0].sightings, 5);
    let (e, n) = plane.project(plumes[0].fused_position);
    assert!(
        e.hypot(n) < 1.0,
        "marker candidate {e:.2} m east, {n:.2} m north of the marker"
    );
    eprintln!(
        "marker candidate {:.3} m east, {:.3} m north of the marker; {summary:?}",
        e, n
    );
}
