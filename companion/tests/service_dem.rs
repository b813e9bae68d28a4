//! `[geotag] dem = [...]`: elevation models replace flat ground; a missing, unreadable or
//! non-covering model is a config error at start naming the file.

use std::path::PathBuf;

use companion::config::Config;
use qly_core::geodesy::GeoPoint;
use qly_core::terrain::{read_dem_file, DatumChoice, Terrain};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn config(geotag: &str, river: &str) -> Result<Config, String> {
    let text = format!(
        "[camera]\nname = \"DJI Mavic 3 Enterprise wide\"\n[detector]\nmodel = \"models/outfall.onnx\"\n[geotag]\n{geotag}\n[fusion]\nriver_centreline_deg = {river}\n"
    );
    Config::parse(&text, &repo().join("companion/companion.toml")).map_err(|e| e.to_string())
}

/// Two points inside missions/sample-corridor-dem.tif, as `[[lat, lon], ...]`.
fn river_inside() -> (String, GeoPoint) {
    let dem = read_dem_file(
        &repo().join("missions/sample-corridor-dem.tif"),
        DatumChoice::FromFile,
    )
    .unwrap();
    let (s, w, n, e) = dem.bounds_deg();
    let (lat, lon) = ((s + n) / 2.0, (w + e) / 2.0);
    (
        format!("[[{lat}, {lon}], [{}, {}]]", lat + 0.001, lon + 0.001),
        GeoPoint::new(lat, lon).unwrap(),
    )
}

#[test]
fn a_covering_dem_becomes_the_ground() {
    let (river, p) = river_inside();
    let c = config(r#"dem = ["../missions/sample-corridor-dem.tif"]"#, &river).unwrap();
    let m = c.dem_terrain().unwrap().expect("a mosaic");
    let h = m.height_amsl_m(p).unwrap();
    assert!((790.0..1100.0).contains(&h), "{h}");
    // No DEM: no mosaic.
    let flat = config("ground_amsl_m = 900.0", &river).unwrap();
    assert!(flat.dem_terrain().unwrap().is_none());
}

#[test]
fn missing_unreadable_or_non_covering_dems_are_config_errors_naming_the_file() {
    let (river, _) = river_inside();
    let c = config(r#"dem = ["no-such-dem.tif"]"#, &river).unwrap();
    let e = c.dem_terrain().unwrap_err().to_string();
    assert!(
        e.contains("no-such-dem.tif") && e.contains("geotag.dem[0]"),
        "{e}"
    );
    // Not a GeoTIFF: this very test file.
    let c = config(r#"dem = ["../companion/tests/service_dem.rs"]"#, &river).unwrap();
    let e = c.dem_terrain().unwrap_err().to_string();
    assert!(e.contains("service_dem.rs"), "{e}");
    // A river far outside the tile.
    let c = config(
        r#"dem = ["../missions/sample-corridor-dem.tif"]"#,
        "[[30.0, 120.0], [30.001, 120.001]]",
    )
    .unwrap();
    let e = c.dem_terrain().unwrap_err().to_string();
    assert!(
        e.contains("sample-corridor-dem.tif") && e.contains("covering the river"),
        "{e}"
    );
    // Flat ground and a DEM together: refused at parse.
    let e = config(
        "ground_amsl_m = 900.0\ndem = [\"../missions/sample-corridor-dem.tif\"]",
        &river,
    )
    .unwrap_err();
    assert!(e.contains("geotag.ground_amsl_m"), "{e}");
}
