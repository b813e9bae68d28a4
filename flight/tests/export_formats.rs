//! The exports read back: GeoJSON with the `geojson` crate, GeoPackage and GeoJSON with
//! GDAL's `ogrinfo` (Debian `gdal-bin`, installed by `scripts/setup-env.sh`; the GDAL tests
//! skip with a note when it is absent, and fail when `CI` is set).

mod journal_support;

use std::path::Path;
use std::process::Command;

use geojson::{FeatureCollection, GeometryValue, JsonValue};
use journal_support::{candidate, flight, sighting};
use qly_core::datum::gcj02_from_wgs84;
use qly_core::geodesy::GeoPoint;
use qly_flight::export::{
    export_flight, latest_candidates, CANDIDATES_GEOJSON, CANDIDATES_GPKG, SIGHTINGS_GEOJSON,
};
use qly_flight::record::Record;

/// Ten frames: candidates 1 (frames 0, 3, 6, 9: revision 4), 2 and 3 (revision 3 each).
fn exported() -> (tempfile::TempDir, Vec<Record>) {
    let dir = tempfile::tempdir().unwrap();
    let records = flight(10);
    let summary = export_flight(&records, dir.path(), 1).unwrap();
    assert_eq!(
        (summary.candidates, summary.sightings, summary.skipped),
        (3, 10, 0)
    );
    (dir, records)
}

fn read_collection(path: &Path) -> FeatureCollection {
    std::fs::read_to_string(path).unwrap().parse().unwrap()
}

#[test]
fn the_latest_revision_of_each_candidate_is_exported() {
    let records = flight(10);
    let latest = latest_candidates(&records);
    let ids_revisions: Vec<(u64, u32)> = latest.iter().map(|c| (c.id, c.revision)).collect();
    assert_eq!(ids_revisions, vec![(1, 4), (2, 3), (3, 3)]);
    assert_eq!(*latest[0], candidate(9));
}

#[test]
fn candidates_geojson_reads_back_as_lon_lat_points_with_every_attribute() {
    let (dir, _) = exported();
    let fc = read_collection(&dir.path().join(CANDIDATES_GEOJSON));
    assert_eq!(fc.features.len(), 3);
    let f = &fc.features[0];
    let c = candidate(9);
    assert_eq!(f.id, Some(geojson::feature::Id::Number(1.into())));
    match &f.geometry.as_ref().unwrap().value {
        GeometryValue::Point { coordinates } => {
            // RFC 7946: longitude first, exactly as journaled.
            assert_eq!(coordinates.as_slice(), &[c.lon_deg, c.lat_deg]);
        }
        other => panic!("not a point: {other:?}"),
    }
    let p = f.properties.as_ref().unwrap();
    let num = |k: &str| {
        p.get(k)
            .and_then(JsonValue::as_f64)
            .unwrap_or_else(|| panic!("{k}"))
    };
    let text = |k: &str| {
        p.get(k)
            .and_then(JsonValue::as_str)
            .unwrap_or_else(|| panic!("{k}"))
    };
    assert_eq!(num("id"), 1.0);
    assert_eq!(num("revision"), 4.0);
    assert_eq!(text("class"), "outfall");
    // The detector's f32 as its shortest decimal, not 0.899999976158142.
    assert_eq!(num("confidence_max"), 0.9);
    assert_eq!(num("confidence_mean"), 0.7);
    assert_eq!(num("sightings"), 4.0);
    assert_eq!(text("first_seen_utc"), "2027-01-15T08:00:00.000Z");
    assert_eq!(text("last_seen_utc"), "2027-01-15T08:00:18.000Z");
    assert_eq!(num("cep50_m"), 2.05);
    assert_eq!(num("ce90_m"), 3.9);
    assert_eq!(num("sigma_major_m"), 2.1);
    assert_eq!(num("sigma_minor_m"), 1.4);
    assert_eq!(num("major_axis_bearing_deg"), 75.0);
    assert_eq!(text("attribution"), "fused_centre");
    assert_eq!(p.get("along_river_m"), Some(&JsonValue::Null));
    assert_eq!(text("best_photo"), "DJI_0000.JPG");
    assert_eq!(num("best_image_index"), 0.0);
    assert_eq!(
        [
            num("best_bbox_x_min_px"),
            num("best_bbox_y_min_px"),
            num("best_bbox_x_max_px"),
            num("best_bbox_y_max_px")
        ],
        [1000.0, 800.0, 1100.0, 900.0]
    );
    let gcj = gcj02_from_wgs84(GeoPoint {
        lat_deg: c.lat_deg,
        lon_deg: c.lon_deg,
    });
    assert_eq!(
        (num("gcj02_lat_deg"), num("gcj02_lon_deg")),
        (gcj.lat_deg, gcj.lon_deg)
    );
    // In Guizhou the GCJ-02 offset is hundreds of metres, so the pair is not a copy.
    assert!((gcj.lon_deg - c.lon_deg).abs() > 1e-3);

    let plume = fc.features[2].properties.as_ref().unwrap();
    assert_eq!(plume["attribution"], "upstream_end");
    assert_eq!(plume["along_river_m"], 420.5);
}

#[test]
fn sightings_geojson_has_every_sighting_in_journal_order() {
    let (dir, _) = exported();
    let fc = read_collection(&dir.path().join(SIGHTINGS_GEOJSON));
    assert_eq!(fc.features.len(), 10);
    for (i, f) in fc.features.iter().enumerate() {
        let s = sighting(i as u64);
        let p = f.properties.as_ref().unwrap();
        assert_eq!(p["image_index"], i as u64);
        assert_eq!(p["candidate_id"], s.candidate_id);
        assert_eq!(p["photo"], s.file.as_str());
        match &f.geometry.as_ref().unwrap().value {
            GeometryValue::Point { coordinates } => {
                assert_eq!(coordinates.as_slice(), &[s.lon_deg, s.lat_deg])
            }
            other => panic!("not a point: {other:?}"),
        }
    }
}

#[test]
fn exporting_again_replaces_the_files_whole() {
    let (dir, _) = exported();
    let fewer = flight(2);
    export_flight(&fewer, dir.path(), 1).unwrap();
    assert_eq!(
        read_collection(&dir.path().join(CANDIDATES_GEOJSON))
            .features
            .len(),
        2
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// `ogrinfo` with `args`, or `None` (after a note) when GDAL is not installed outside CI.
fn ogrinfo(args: &[&str], file: &Path) -> Option<String> {
    let out = match Command::new("ogrinfo").args(args).arg(file).output() {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if std::env::var_os("CI").is_some() {
                panic!("ogrinfo is not installed (CI is set): run scripts/setup-env.sh");
            }
            eprintln!(
                "skipped: ogrinfo not found (Debian gdal-bin; scripts/setup-env.sh installs it)"
            );
            return None;
        }
        Err(e) => panic!("running ogrinfo: {e}"),
    };
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "ogrinfo failed:\n{stdout}\n{stderr}");
    // GDAL warns about anything in a GeoPackage that breaks the specification.
    assert!(
        !stderr.contains("Warning") && !stderr.contains("ERROR"),
        "ogrinfo complained:\n{stderr}"
    );
    Some(stdout)
}

/// The `-so` summary block of `layer`.
fn layer_summary<'a>(summary: &'a str, layer: &str) -> &'a str {
    let start = summary
        .find(&format!("Layer name: {layer}\n"))
        .unwrap_or_else(|| panic!("no layer {layer} in:\n{summary}"));
    let rest = &summary[start..];
    let end = rest[1..].find("Layer name: ").map_or(rest.len(), |i| i + 1);
    &rest[..end]
}

#[test]
fn ogrinfo_reads_the_geopackage_layers_srs_and_attributes() {
    let (dir, _) = exported();
    let gpkg = dir.path().join(CANDIDATES_GPKG);
    let Some(summary) = ogrinfo(&["-al", "-so"], &gpkg) else {
        return;
    };
    assert!(summary.contains("using driver `GPKG'"), "{summary}");
    for (layer, count) in [("candidates", 3), ("sightings", 10)] {
        let block = layer_summary(&summary, layer);
        assert!(block.contains("Geometry: Point\n"), "{block}");
        assert!(
            block.contains(&format!("Feature Count: {count}\n")),
            "{block}"
        );
        assert!(block.contains("ID[\"EPSG\",4326]"), "{block}");
        assert!(block.contains("Geometry Column = geom"), "{block}");
    }
    let candidates = layer_summary(&summary, "candidates");
    for field in [
        "class: String",
        "confidence_max: Real",
        "sightings: Integer64",
        "first_seen_utc: DateTime",
        "cep50_m: Real",
        "gcj02_lat_deg: Real",
        "best_photo: String",
    ] {
        assert!(candidates.contains(field), "{field} in:\n{candidates}");
    }

    let Some(full) = ogrinfo(&["-al"], &gpkg) else {
        return;
    };
    let start = full.find("OGRFeature(candidates):1\n").expect("feature 1");
    let feature = &full[start..start + full[start..].find("\n\n").unwrap()];
    for line in [
        "id (Integer64) = 1",
        "revision (Integer64) = 4",
        "class (String) = outfall",
        "confidence_max (Real) = 0.9\n",
        "sightings (Integer64) = 4",
        "first_seen_utc (DateTime) = 2027/01/15 08:00:00",
        "last_seen_utc (DateTime) = 2027/01/15 08:00:18",
        "cep50_m (Real) = 2.05",
        "attribution (String) = fused_centre",
        "best_photo (String) = DJI_0000.JPG",
        "POINT (106.952 27.052)",
    ] {
        assert!(feature.contains(line), "{line:?} in:\n{feature}");
    }
}

#[test]
fn ogrinfo_reads_the_geojson_as_wgs84_points() {
    let (dir, _) = exported();
    let Some(summary) = ogrinfo(&["-al", "-so"], &dir.path().join(CANDIDATES_GEOJSON)) else {
        return;
    };
    assert!(summary.contains("using driver `GeoJSON'"), "{summary}");
    assert!(summary.contains("Geometry: Point\n"), "{summary}");
    assert!(summary.contains("Feature Count: 3\n"), "{summary}");
    assert!(summary.contains("ID[\"EPSG\",4326]"), "{summary}");
    assert!(summary.contains("first_seen_utc: DateTime"), "{summary}");
    let Some(full) = ogrinfo(&["-al"], &dir.path().join(SIGHTINGS_GEOJSON)) else {
        return;
    };
    assert_eq!(full.matches("OGRFeature(sightings)").count(), 10, "{full}");
    assert!(full.contains("POINT (106.952 27.052)"), "{full}");
}

/// GDAL's own GeoPackage validator (`validate_gpkg.py`, Debian `python3-gdal`), when the
/// system Python has it; skipped with a note otherwise.
#[test]
fn gdal_validate_gpkg_finds_nothing_wrong() {
    let (dir, _) = exported();
    let gpkg = dir.path().join(CANDIDATES_GPKG);
    let python = Path::new("/usr/bin/python3");
    let has_validator = python.exists()
        && Command::new(python)
            .args(["-c", "import osgeo_utils.samples.validate_gpkg"])
            .output()
            .is_ok_and(|o| o.status.success());
    if !has_validator {
        eprintln!("skipped: GDAL's validate_gpkg.py not found (Debian python3-gdal)");
        return;
    }
    let out = Command::new(python)
        .args(["-m", "osgeo_utils.samples.validate_gpkg"])
        .arg(&gpkg)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "validate_gpkg:\n{stdout}\n{stderr}");
    assert!(
        stdout.trim().is_empty() && stderr.trim().is_empty(),
        "validate_gpkg:\n{stdout}\n{stderr}"
    );
}

#[test]
fn candidates_seen_in_too_few_photos_stay_out_of_the_candidates_but_keep_their_sightings() {
    // Candidate 1 ends with 4 sightings, 2 and 3 with 3 each.
    let dir = tempfile::tempdir().unwrap();
    let records = flight(10);
    let summary = export_flight(&records, dir.path(), 4).unwrap();
    assert_eq!(
        (summary.candidates, summary.unconfirmed, summary.sightings),
        (1, 2, 10)
    );
    assert_eq!(summary.skipped, 0);
    let got = read_collection(&dir.path().join(CANDIDATES_GEOJSON));
    let ids: Vec<_> = got.features.iter().map(|f| f.id.clone()).collect();
    assert_eq!(ids.len(), 1);
    assert_eq!(
        got.features[0].property("sightings"),
        Some(&JsonValue::from(4))
    );
    let sightings = read_collection(&dir.path().join(SIGHTINGS_GEOJSON));
    assert_eq!(sightings.features.len(), 10);

    // At 3 all three are confirmed.
    let summary = export_flight(&records, dir.path(), 3).unwrap();
    assert_eq!((summary.candidates, summary.unconfirmed), (3, 0));
}
