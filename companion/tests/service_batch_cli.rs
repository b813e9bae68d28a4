//! `companion batch` and `companion export` as an operator runs them: a folder of generated
//! DJI photos of a white marker (one of them corrupt) through the CLI, with a progress bar,
//! a journal and the exports; then the journal exported again elsewhere.
//!
//! Needs `$QLY_PYTHON` for the small ONNX model (`tests/models/make_models.py`); without it
//! the test prints a skip note (under `CI` it fails).

mod photo_support;

use std::path::PathBuf;
use std::process::Command;

use companion::record::Record;
use image::{Rgb, RgbImage};
use photo_support::{encode, DjiTags};
use qly_core::geodesy::{GeoPoint, LocalFrame};
use qly_test_support::onnx::make_test_models;
use qly_test_support::python::python_or_skip;

const W: u32 = 1280;
const H: u32 = 960;
const F_PX: f64 = 1000.0;
const GROUND_AMSL_M: f64 = 52.31;
const REL_M: f64 = 100.0;
const MARKER: (f64, f64) = (30.551_234_5, 114.312_345_6);

/// The `yolov8` test model and the ONNX Runtime library; `None` (with a note) without
/// `$QLY_PYTHON`.
fn models(test: &str) -> Option<(PathBuf, PathBuf)> {
    let python = python_or_skip(test)?;
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("companion-batch-cli-models");
    let m = make_test_models(&python, &dir);
    Some((m.model("yolov8"), m.library))
}

/// A nadir photo (image top to the north) from `(e, n)` metres of the marker, 100 m up.
fn render(e_cam: f64, n_cam: f64) -> RgbImage {
    let m_per_px = REL_M / F_PX;
    RgbImage::from_fn(W, H, |u, v| {
        let e = e_cam + (u as f64 + 0.5 - W as f64 / 2.0) * m_per_px;
        let n = n_cam - (v as f64 + 0.5 - H as f64 / 2.0) * m_per_px;
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
        gimbal_ypr_deg: [0.0, -90.0, 0.0],
        flight_ypr_deg: Some([0.0, 0.0, 0.0]),
        calibrated: Some((F_PX, W as f64 / 2.0, H as f64 / 2.0)),
        dewarp: None,
        ..DjiTags::m3e()
    }
}

#[test]
fn batch_then_export_from_the_command_line() {
    let Some((model, library)) = models("batch_then_export_from_the_command_line") else {
        return;
    };
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("companion-batch-cli");
    let _ = std::fs::remove_dir_all(&root);
    let photos = root.join("DCIM");
    std::fs::create_dir_all(&photos).unwrap();
    let plane = LocalFrame::at(GeoPoint::new(MARKER.0, MARKER.1).unwrap());
    for (name, e, n, second) in [
        ("DJI_0001.JPG", -10.0, 3.0, 10),
        ("DJI_0002.JPG", 0.0, -4.0, 12),
        ("DJI_0003.JPG", 10.0, 2.0, 14),
    ] {
        let jpeg = tags_at(&plane, e, n, second).tag(&encode(&render(e, n)), true);
        std::fs::write(photos.join(name), jpeg).unwrap();
    }
    std::fs::write(photos.join("DJI_0004.JPG"), b"\xff\xd8 cut short").unwrap();

    let out_dir = root.join("flight");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_companion"))
            .args(args)
            .env("ORT_DYLIB_PATH", &library)
            .output()
            .unwrap()
    };
    // The service's config: its detector thresholds drop the model's fixed 0.6 "outfall".
    let config = root.join("companion.toml");
    std::fs::write(
        &config,
        format!(
            "[camera]\nname = \"DJI Mavic 3 Enterprise wide\"\n[detector]\nmodel = \"{}\"\nclass_confidence_thresholds = {{ outfall = 0.95 }}\n",
            model.display()
        ),
    )
    .unwrap();
    let out = run(&[
        "batch",
        photos.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("4 photos: 3 processed, 1 skipped"),
        "{stdout}\n{stderr}"
    );
    assert!(stdout.contains("ground 52.3 m AMSL"), "{stdout}");
    let records = companion::journal::read_journal(&out_dir.join("journal.qlj"))
        .unwrap()
        .records;
    let frames = records
        .iter()
        .filter(|r| matches!(r, Record::Frame(_)))
        .count();
    assert_eq!(frames, 3);
    let geojson: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("candidates.geojson")).unwrap())
            .unwrap();
    let features = geojson["features"].as_array().unwrap();
    assert_eq!(features.len(), 1, "{geojson}");
    let c = &features[0]["geometry"]["coordinates"];
    let at = GeoPoint::new(c[1].as_f64().unwrap(), c[0].as_f64().unwrap()).unwrap();
    let marker = GeoPoint::new(MARKER.0, MARKER.1).unwrap();
    assert!(at.distance_m(marker) < 1.0, "{} m", at.distance_m(marker));

    // The same folder again into the same journal is refused.
    let again = run(&[
        "batch",
        photos.to_str().unwrap(),
        "--model",
        model.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("already holds"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );

    let exported = root.join("exported");
    let out = run(&[
        "export",
        out_dir.join("journal.qlj").to_str().unwrap(),
        "--out",
        exported.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 candidates, 3 sightings"));
    assert_eq!(
        std::fs::read(exported.join("candidates.geojson")).unwrap(),
        std::fs::read(out_dir.join("candidates.geojson")).unwrap()
    );
    assert!(exported.join("candidates.gpkg").is_file());

    // The one candidate has 3 sightings: a minimum of 4 leaves it out of the candidates only.
    let stricter = root.join("stricter");
    let out = run(&[
        "export",
        out_dir.join("journal.qlj").to_str().unwrap(),
        "--out",
        stricter.to_str().unwrap(),
        "--min-sightings",
        "4",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("0 candidates, 3 sightings"), "{stdout}");
    assert!(
        stdout.contains("1 more candidates seen in fewer than 4 photos"),
        "{stdout}"
    );
}
