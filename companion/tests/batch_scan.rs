//! A DJI SD-card folder read for a batch, without a detector: which photos are processed,
//! their order and frame keys, and the aircraft the flight header names. The photos are
//! header-only JPEGs (EXIF and `drone-dji` XMP as a DJI camera writes them, no image data):
//! reading the tags never touches the pixels.

mod photo_support;

use companion::batch::dji_name::DjiLens;
use companion::batch::{scan_folder, SkipStage};
use companion::photo_meta::PhotoMetaOptions;
use companion::record::{FrameKey, SkipReason};
use photo_support::{header_only_jpeg, DjiTags};
use qly_flight::header::{FlightSource, ModelInfo};

/// An M3T photo: `second` past 14:03, from the `lens` camera.
fn photo(second: u32, lens: &str) -> Vec<u8> {
    let (size, f_px, source) = match lens {
        "T" => ((640u16, 512u16), 700.0, "InfraredCamera"),
        "Z" => ((1280, 960), 4000.0, "ZoomCamera"),
        _ => ((1280, 960), 1000.0, "WideCamera"),
    };
    let tags = DjiTags {
        model: "M3T",
        drone_model: Some("M3T"),
        date_time_original: format!("2024:05:12 14:03:{second:02}"),
        exif_size_px: (u32::from(size.0), u32::from(size.1)),
        calibrated: Some((f_px, f64::from(size.0) / 2.0, f64::from(size.1) / 2.0)),
        dewarp: None,
        image_source: Some(source),
        ..DjiTags::m3e()
    };
    tags.tag(&header_only_jpeg(size.0, size.1), true)
}

#[test]
fn thermal_photos_are_skipped_and_every_photo_gets_a_stable_unique_key() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Two shutter presses with wide, zoom and thermal photos; an older aircraft's name; a
    // visible (V) photo; a thermal photo named like a wide one (its tags say infrared); one
    // without XMP; one that is no JPEG at all.
    let mut files: Vec<(&str, Vec<u8>)> = vec![
        ("DJI_20240512140312_0002_T.JPG", photo(12, "T")),
        ("DJI_20240512140310_0001_Z.JPG", photo(10, "Z")),
        ("DJI_20240512140312_0002_W.JPG", photo(12, "W")),
        ("DJI_20240512140310_0001_W.JPG", photo(10, "W")),
        ("DJI_20240512140310_0001_T.JPG", photo(10, "T")),
        ("DJI_20240512140312_0002_Z.JPG", photo(12, "Z")),
        ("DJI_20240512140314_0003_V.JPG", photo(14, "V")),
        ("DJI_0004.JPG", photo(16, "W")),
        ("renamed-thermal.jpg", photo(18, "T")),
        ("DJI_20240512140320_0006_W.JPG", {
            let t = DjiTags {
                date_time_original: "2024:05:12 14:03:20".into(),
                exif_size_px: (1280, 960),
                ..DjiTags::m3e()
            };
            t.tag(&header_only_jpeg(1280, 960), false)
        }),
        ("DJI_20240512140322_0007_W.JPG", b"not a jpeg".to_vec()),
    ];
    // The listing order must not matter.
    files.reverse();
    for (name, bytes) in &files {
        std::fs::write(d.join(name), bytes).unwrap();
    }
    std::fs::write(d.join("DJI_20240512140310_0001.MP4"), b"video").unwrap();

    let scan = scan_folder(d, &PhotoMetaOptions::default()).unwrap();
    let names: Vec<String> = scan
        .photos
        .iter()
        .map(|p| p.path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            // 14:03:10: wide, zoom, thermal of capture 1; then capture 2; then by time.
            "DJI_20240512140310_0001_W.JPG",
            "DJI_20240512140310_0001_Z.JPG",
            "DJI_20240512140310_0001_T.JPG",
            "DJI_20240512140312_0002_W.JPG",
            "DJI_20240512140312_0002_Z.JPG",
            "DJI_20240512140312_0002_T.JPG",
            "DJI_20240512140314_0003_V.JPG",
            "DJI_0004.JPG",
            "renamed-thermal.jpg",
            // No readable tags: no time, last, by name.
            "DJI_20240512140320_0006_W.JPG",
            "DJI_20240512140322_0007_W.JPG",
        ]
    );
    let keys: Vec<FrameKey> = scan.photos.iter().map(|p| p.key).collect();
    assert_eq!(keys, (0..11).map(FrameKey::first_boot).collect::<Vec<_>>());

    let skipped: Vec<(&str, SkipStage, SkipReason)> = scan
        .photos
        .iter()
        .zip(&names)
        .filter_map(|(p, n)| p.skipped.as_ref().map(|s| (n.as_str(), s.stage, s.cause)))
        .collect();
    assert_eq!(
        skipped,
        [
            (
                "DJI_20240512140310_0001_T.JPG",
                SkipStage::PhotoKind,
                SkipReason::ThermalPhoto
            ),
            (
                "DJI_20240512140312_0002_T.JPG",
                SkipStage::PhotoKind,
                SkipReason::ThermalPhoto
            ),
            (
                "renamed-thermal.jpg",
                SkipStage::PhotoKind,
                SkipReason::ThermalPhoto
            ),
            (
                "DJI_20240512140320_0006_W.JPG",
                SkipStage::Metadata,
                SkipReason::NoMetadata
            ),
            (
                "DJI_20240512140322_0007_W.JPG",
                SkipStage::Metadata,
                SkipReason::CorruptFile
            ),
        ]
    );
    let thermal = scan.photos[2].skipped.as_ref().unwrap();
    assert!(thermal.reason.contains("_T"), "{thermal:?}");
    let renamed = scan.photos[8].skipped.as_ref().unwrap();
    assert!(renamed.reason.contains("InfraredCamera"), "{renamed:?}");
    let lenses: Vec<Option<DjiLens>> = scan
        .processed()
        .map(|p| p.dji_name.as_ref().map(|n| n.lens))
        .collect();
    assert_eq!(
        lenses,
        [
            Some(DjiLens::Wide),
            Some(DjiLens::Zoom),
            Some(DjiLens::Wide),
            Some(DjiLens::Zoom),
            Some(DjiLens::Visible),
            Some(DjiLens::Unnamed),
        ]
    );

    // Read again: the same keys for the same files.
    let again = scan_folder(d, &PhotoMetaOptions::default()).unwrap();
    let pairs = |s: &companion::batch::Scan| -> Vec<(FrameKey, std::path::PathBuf)> {
        s.photos.iter().map(|p| (p.key, p.path.clone())).collect()
    };
    assert_eq!(pairs(&again), pairs(&scan));

    // The header: the aircraft by its serial number, the wide camera's calibration.
    let header = scan
        .header(
            ModelInfo {
                file: "m.onnx".into(),
                sha256: "00".repeat(32),
                classes: vec!["outfall".into()],
            },
            2,
            "test".into(),
        )
        .unwrap();
    assert_eq!(header.source, FlightSource::Batch);
    assert_eq!(header.vehicle.id, "1581F5BKD223Q00A0001");
    assert!(
        header.vehicle.description.starts_with("DJI M3T"),
        "{:?}",
        header.vehicle
    );
    assert!(
        header.vehicle.description.contains("M3T W")
            && header.vehicle.description.contains("M3T Z"),
        "{:?}",
        header.vehicle
    );
    assert_eq!(
        (header.camera.width_px, header.camera.fx_px),
        (1280, 1000.0)
    );
    assert_eq!(header.min_sightings, 2);
    assert_eq!(header.datum, "WGS-84");
}

#[test]
fn a_folder_of_thermal_photos_only_has_nothing_to_process() {
    let dir = tempfile::tempdir().unwrap();
    for (i, second) in [10, 12].into_iter().enumerate() {
        let name = format!("DJI_2024051214031{i}_000{i}_T.JPG");
        std::fs::write(dir.path().join(name), photo(second, "T")).unwrap();
    }
    let scan = scan_folder(dir.path(), &PhotoMetaOptions::default()).unwrap();
    assert_eq!(scan.photos.len(), 2);
    assert_eq!(scan.processed().count(), 0);
    assert!(scan.aircraft().is_none());
}
