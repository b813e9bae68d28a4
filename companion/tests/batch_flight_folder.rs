//! A DJI SD card through `companion batch` into a flight folder, then read by review's own
//! code as a live patrol's folder is: the review page, the evidence package and the score.
//!
//! The card: four shutter presses of an M3T-style aircraft over a white marker, each with a
//! wide (`_W`), zoom (`_Z`) and thermal (`_T`) photo, a visible (`_V`) photo, an older
//! aircraft's `DJI_NNNN.JPG`, a wide photo whose JPEG data is corrupt and one without XMP.
//! Generated here: EXIF plus `drone-dji` XMP with DJI's signed decimals.
//!
//! The end-to-end test needs `$QLY_PYTHON` for the small ONNX model
//! (`tests/models/make_models.py`); without it the test prints a skip note (under `CI` it
//! fails). The test of a card with nothing to process needs no model.

mod photo_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use image::{Rgb, RgbImage};
use photo_support::{encode, DjiTags};
use qly_core::geodesy::{GeoPoint, LocalFrame};
use qly_flight::decisions::{Decision, Decisions, Verdict};
use qly_flight::header::FlightSource;
use qly_flight::record::{FrameKey, SkipReason};
use qly_test_support::onnx::make_test_models;
use qly_test_support::python::python_or_skip;

const W: u32 = 640;
const H: u32 = 480;
const F_WIDE_PX: f64 = 500.0;
const F_ZOOM_PX: f64 = 2000.0;
const GROUND_AMSL_M: f64 = 52.31;
const REL_M: f64 = 100.0;
const MARKER: (f64, f64) = (30.551_234_5, 114.312_345_6);
const SERIAL: &str = "1581F5BKD223Q00A0042";

/// A nadir photo (image top to the north) from `(e, n)` metres of the marker, 100 m up.
fn render(e_cam: f64, n_cam: f64, f_px: f64) -> RgbImage {
    let m_per_px = REL_M / f_px;
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

fn tags_at(plane: &LocalFrame, e: f64, n: f64, second: u32, lens: &str) -> DjiTags {
    let p = plane.unproject(e, n);
    let (f_px, source) = match lens {
        "Z" => (F_ZOOM_PX, "ZoomCamera"),
        "T" => (F_WIDE_PX, "InfraredCamera"),
        _ => (F_WIDE_PX, "WideCamera"),
    };
    DjiTags {
        model: "M3T",
        drone_model: Some("M3T"),
        drone_serial: Some(SERIAL),
        image_source: Some(source),
        lat_deg: p.lat_deg,
        lon_deg: p.lon_deg,
        date_time_original: format!("2024:05:12 14:03:{second:02}"),
        exif_size_px: (W, H),
        absolute_altitude_m: GROUND_AMSL_M + REL_M,
        gps_alt_m: GROUND_AMSL_M + REL_M,
        relative_altitude_m: REL_M,
        gimbal_ypr_deg: [0.0, -90.0, 0.0],
        flight_ypr_deg: Some([-0.4, -2.1, 1.3]),
        calibrated: Some((f_px, W as f64 / 2.0, H as f64 / 2.0)),
        dewarp: None,
        ..DjiTags::m3e()
    }
}

fn photo(plane: &LocalFrame, e: f64, n: f64, second: u32, lens: &str) -> Vec<u8> {
    let image = match lens {
        "Z" => render(e, n, F_ZOOM_PX),
        // A thermal R-JPEG's pixels are a false-colour rendering; this one is a grey ramp.
        "T" => RgbImage::from_fn(W, H, |u, _| Rgb([(u % 200) as u8; 3])),
        _ => render(e, n, F_WIDE_PX),
    };
    tags_at(plane, e, n, second, lens).tag(&encode(&image), true)
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

/// Writes the card; returns the photo folder.
fn write_card(root: &Path) -> PathBuf {
    let card = root.join("DCIM").join("DJI_202405121403_001");
    std::fs::create_dir_all(&card).unwrap();
    let plane = LocalFrame::at(GeoPoint::new(MARKER.0, MARKER.1).unwrap());
    for (i, (e, n)) in [(-10.0, 3.0), (-3.0, -4.0), (4.0, 5.0), (10.0, -2.0)]
        .into_iter()
        .enumerate()
    {
        let second = 10 + 2 * i as u32;
        for lens in ["W", "Z", "T"] {
            let name = format!("DJI_202405121403{second:02}_{:04}_{lens}.JPG", i + 1);
            std::fs::write(card.join(name), photo(&plane, e, n, second, lens)).unwrap();
        }
    }
    std::fs::write(
        card.join("DJI_20240512140318_0005_V.JPG"),
        photo(&plane, 6.0, 6.0, 18, "V"),
    )
    .unwrap();
    std::fs::write(
        card.join("DJI_0006.JPG"),
        photo(&plane, -6.0, -6.0, 20, "W"),
    )
    .unwrap();
    let mut corrupt = photo(&plane, 0.0, 0.0, 22, "W");
    corrupt_huffman(&mut corrupt);
    std::fs::write(card.join("DJI_20240512140322_0007_W.JPG"), corrupt).unwrap();
    let untagged =
        tags_at(&plane, 2.0, 0.0, 24, "W").tag(&encode(&render(2.0, 0.0, F_WIDE_PX)), false);
    std::fs::write(card.join("DJI_20240512140324_0008_W.JPG"), untagged).unwrap();
    card
}

fn companion(args: &[&str], library: Option<&Path>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_companion"));
    c.args(args);
    if let Some(l) = library {
        c.env("ORT_DYLIB_PATH", l);
    }
    // Piped: not a terminal, as in a script or a log.
    c.output().unwrap()
}

#[test]
fn an_sd_card_becomes_a_flight_folder_that_review_reads_as_a_live_one() {
    let Some(python) =
        python_or_skip("an_sd_card_becomes_a_flight_folder_that_review_reads_as_a_live_one")
    else {
        return;
    };
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("companion-batch-flight");
    let _ = std::fs::remove_dir_all(&root);
    let models = make_test_models(&python, &root.join("models"));
    let card = write_card(&root);
    let config = root.join("companion.toml");
    // The detector thresholds drop the test model's fixed 0.6 "outfall"; two photos confirm.
    std::fs::write(
        &config,
        format!(
            "[camera]\nname = \"DJI Mavic 3 Enterprise wide\"\n[detector]\nmodel = \"{}\"\nclass_confidence_thresholds = {{ outfall = 0.95 }}\n[fusion]\nmin_sightings = 2\n",
            models.model("yolov8").display()
        ),
    )
    .unwrap();
    let out_dir = root.join("flights").join("20240512-1403-card");
    let out = companion(
        &[
            "batch",
            card.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
        ],
        Some(&models.library),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("16 photos: 10 processed, 6 skipped"),
        "{stdout}\n{stderr}"
    );
    // Every skip, with its reason, though the output is not a terminal.
    for (name, reason) in [
        ("DJI_20240512140310_0001_T.JPG", "a thermal photo"),
        ("DJI_20240512140312_0002_T.JPG", "a thermal photo"),
        ("DJI_20240512140314_0003_T.JPG", "a thermal photo"),
        ("DJI_20240512140316_0004_T.JPG", "a thermal photo"),
        ("DJI_20240512140324_0008_W.JPG", "no position or attitude"),
    ] {
        let line = stdout
            .lines()
            .find(|l| l.starts_with("skipped ") && l.contains(name))
            .unwrap_or_else(|| panic!("no skip line for {name}:\n{stdout}"));
        assert!(line.contains(reason), "{line}");
    }
    let corrupt = stdout
        .lines()
        .find(|l| l.starts_with("skipped ") && l.contains("DJI_20240512140322_0007_W.JPG"))
        .unwrap_or_else(|| panic!("no skip line for the corrupt photo:\n{stdout}"));
    assert!(
        corrupt.contains("corrupt or unreadable photo") && corrupt.contains("frames/14.jpg"),
        "{corrupt}"
    );
    assert!(
        stdout.contains(
            "skipped by reason: 1 corrupt or unreadable photo, 1 no position or attitude in the \
             photo's metadata, 4 a thermal photo"
        ),
        "{stdout}"
    );

    // Review reads it as it reads a live patrol's folder.
    let flight = review::flight::read_flight(&out_dir).unwrap();
    let header = flight.view.header.as_ref().expect("a flight header");
    assert_eq!(header.source, FlightSource::Batch);
    assert_eq!(header.vehicle.id, SERIAL);
    assert!(
        header.vehicle.description.starts_with("DJI M3T"),
        "{:?}",
        header.vehicle
    );
    assert_eq!(
        (header.camera.width_px, header.camera.fx_px),
        (W, F_WIDE_PX)
    );
    assert_eq!(header.min_sightings, 2);
    assert!(stdout.contains(header.flight_id.as_str()), "{stdout}");
    assert_eq!(flight.view.frames.len(), 10);
    let mut keys: Vec<FrameKey> = flight.view.frames.keys().copied().collect();
    keys.extend(flight.view.skipped.keys().copied());
    keys.sort();
    assert_eq!(keys, (0..16).map(FrameKey::first_boot).collect::<Vec<_>>());
    for (key, f) in &flight.view.frames {
        assert_eq!(f.file, format!("frames/{}", key.file_name()));
        assert!(flight.frame_path(&f.file).is_file(), "{}", f.file);
    }
    let tally = flight.view.tally();
    assert_eq!(tally.processed, 10);
    assert_eq!(tally.skipped.get(&SkipReason::ThermalPhoto), Some(&4));
    assert_eq!(tally.skipped.get(&SkipReason::CorruptFile), Some(&1));
    assert_eq!(tally.skipped.get(&SkipReason::NoMetadata), Some(&1));
    // Only the missing telemetry log is worth a warning: the track is the photos' positions.
    let warnings: Vec<String> = flight.warnings.iter().map(|w| w.to_string()).collect();
    assert!(
        flight
            .warnings
            .iter()
            .all(|w| matches!(w, review::flight::FlightWarning::NoTelemetry { .. })),
        "{warnings:?}"
    );
    assert_eq!(
        flight.track_source,
        review::flight::TrackSource::FrameRecords
    );
    assert_eq!(flight.track.len(), 10);

    // One confirmed candidate, on the marker, seen in wide and zoom photos.
    let confirmed: Vec<_> = flight.confirmed().collect();
    assert_eq!(confirmed.len(), 1, "{:#?}", flight.candidates());
    let c = confirmed[0];
    let marker = GeoPoint::new(MARKER.0, MARKER.1).unwrap();
    let at = GeoPoint::new(c.lat_deg, c.lon_deg).unwrap();
    assert!(at.distance_m(marker) < 1.0, "{} m", at.distance_m(marker));
    // Wide, zoom, visible and the older aircraft's photos all see it.
    assert_eq!(c.sightings, 10, "{c:#?}");

    // `review report`.
    let page = review::report::render_report(&flight, &review::report::ReportOptions::default());
    assert!(page.html.contains("NO TELEMETRY LOG"), "track from photos");
    assert!(page.html.contains("10 photos"), "the frames counted");

    // `review score --flight`.
    let (team, _) = review::patrol::flight_reports("card", &flight.view);
    let target = review::model::Target {
        id: "marker".into(),
        position: marker,
        class: Some("plume".into()),
        attributes: Default::default(),
    };
    let scored = review::score::score_team(
        &[target],
        &team,
        &review::settings::ScoreSettings::default(),
    )
    .unwrap();
    assert_eq!(scored.false_reports.len(), 0, "{scored:#?}");
    assert!(scored.score > 0.0, "{scored:#?}");

    // `review export`: the evidence package of the inspector's confirmed candidate.
    let mut decisions = Decisions::new(None, Some(header.flight_id.clone()), None);
    decisions.decide(Decision::new(c.id, Verdict::Confirmed, "Inspector Wang"));
    let package = root.join("evidence");
    let outcome = review::evidence::export_evidence(
        &flight,
        &decisions,
        &out_dir.join("decisions-for-test.json"),
        &package,
        &review::evidence::ExportOptions {
            inspector: None,
            aircraft: header.vehicle.description.clone(),
            signing_key: None,
            lang: qly_i18n::Lang::En,
        },
    )
    .unwrap();
    assert_eq!(outcome.records.len(), 1);
    assert!(
        outcome.files.iter().any(|f| f.ends_with(".jpg")),
        "{:?}",
        outcome.files
    );
    assert!(review::evidence::manifest::verify(&package).ok());
}

#[test]
fn a_card_with_nothing_to_process_says_why_for_each_photo_and_fails() {
    let root = tempfile::tempdir().unwrap();
    let card = root.path().join("card");
    std::fs::create_dir_all(&card).unwrap();
    let plane = LocalFrame::at(GeoPoint::new(MARKER.0, MARKER.1).unwrap());
    std::fs::write(
        card.join("DJI_20240512140310_0001_T.JPG"),
        photo(&plane, 0.0, 0.0, 10, "T"),
    )
    .unwrap();
    std::fs::write(card.join("DJI_20240512140312_0002_W.JPG"), b"cut short").unwrap();
    // The model is not loaded when nothing can be processed.
    let model = root.path().join("model.onnx");
    std::fs::write(&model, b"not read").unwrap();
    let out_dir = root.path().join("flight");
    let out = companion(
        &[
            "batch",
            card.to_str().unwrap(),
            "--model",
            model.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
        ],
        None,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.lines().any(|l| l.starts_with("skipped ")
            && l.contains("DJI_20240512140310_0001_T.JPG")
            && l.contains("thermal")),
        "{stdout}"
    );
    assert!(
        stdout.lines().any(|l| l.starts_with("skipped ")
            && l.contains("DJI_20240512140312_0002_W.JPG")
            && l.contains("corrupt")),
        "{stdout}"
    );
    assert!(
        stdout.contains("skipped by reason: 1 corrupt or unreadable photo, 1 a thermal photo"),
        "{stdout}"
    );
    assert!(stderr.contains("no photo of"), "{stderr}");
    assert!(!out_dir.exists(), "nothing written");
}
