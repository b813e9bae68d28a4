//! GeoTIFF elevation models made in the test: the writer's round trip (and what GDAL makes
//! of it), PixelIsPoint vs PixelIsArea, voids, mosaic seams, vertical datums, and every
//! kind of bad input: wrong projection, unknown datum, missing tags, damaged bytes.

use proptest::prelude::*;
use qly_core::geodesy::GeoPoint;
use qly_core::terrain::geoid::egm96_undulation_m;
use qly_core::terrain::{
    inspect_geotiff, parse_geotiff, read_dem_file, write_dem_file, write_geotiff, DatumChoice, Dem,
    DemError, DemGrid, DemMosaic, Georef, Terrain, TerrainError, VerticalDatum,
};
use std::io::Cursor;
use std::process::Command;
use tiff::encoder::{colortype, TiffEncoder};
use tiff::tags::Tag;

const ARCSEC: f64 = 1.0 / 3600.0;

/// A test GeoTIFF of i16 samples with whatever GeoTIFF tags the case needs.
#[derive(Default)]
struct RawTiff {
    cols: u32,
    rows: u32,
    data: Vec<i16>,
    geokeys: Vec<u16>,
    scale: Option<[f64; 3]>,
    tiepoint: Option<[f64; 6]>,
    transformation: Option<[f64; 16]>,
    nodata: Option<&'static str>,
}

impl RawTiff {
    fn bytes(&self) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        let mut tiff = TiffEncoder::new(&mut out).unwrap();
        let mut image = tiff
            .new_image::<colortype::GrayI16>(self.cols, self.rows)
            .unwrap();
        let dir = image.encoder();
        if let Some(s) = self.scale {
            dir.write_tag(Tag::ModelPixelScaleTag, &s[..]).unwrap();
        }
        if let Some(t) = self.tiepoint {
            dir.write_tag(Tag::ModelTiepointTag, &t[..]).unwrap();
        }
        if let Some(m) = self.transformation {
            dir.write_tag(Tag::ModelTransformationTag, &m[..]).unwrap();
        }
        if !self.geokeys.is_empty() {
            dir.write_tag(Tag::GeoKeyDirectoryTag, &self.geokeys[..])
                .unwrap();
        }
        if let Some(n) = self.nodata {
            dir.write_tag(Tag::GdalNodata, n).unwrap();
        }
        image.write_data(&self.data).unwrap();
        out.into_inner()
    }
}

/// A GeoKey directory from (key, value) pairs, all stored inline.
fn geokeys(keys: &[(u16, u16)]) -> Vec<u16> {
    let mut d = vec![1, 1, 0, keys.len() as u16];
    for &(k, v) in keys {
        d.extend([k, 0, 1, v]);
    }
    d
}

/// EPSG:4326, with GTRasterTypeGeoKey `raster_type`.
fn wgs84_keys(raster_type: u16) -> Vec<u16> {
    geokeys(&[(1024, 2), (1025, raster_type), (2048, 4326), (2054, 9102)])
}

/// A 4 x 3 i16 DEM at 1 arc-second, north-west corner at (30.001 N, 120.001 E), heights
/// `100 + 10*col + row`.
fn small_area_tiff() -> RawTiff {
    RawTiff {
        cols: 4,
        rows: 3,
        data: (0..3)
            .flat_map(|r| (0..4).map(move |c| 100 + 10 * c + r))
            .collect(),
        geokeys: wgs84_keys(1),
        scale: Some([ARCSEC, ARCSEC, 0.0]),
        tiepoint: Some([0.0, 0.0, 0.0, 120.001, 30.001, 0.0]),
        nodata: Some("-32768"),
        ..RawTiff::default()
    }
}

fn known_egm96() -> DatumChoice {
    DatumChoice::Known(VerticalDatum::Egm96)
}

#[test]
fn pixel_is_point_is_half_a_cell_from_pixel_is_area() {
    let area = small_area_tiff();
    let point = RawTiff {
        geokeys: wgs84_keys(2),
        ..small_area_tiff()
    };
    let a = parse_geotiff(&area.bytes(), "area.tif", known_egm96()).unwrap();
    let p = parse_geotiff(&point.bytes(), "point.tif", known_egm96()).unwrap();
    // Area: the tiepoint is the corner of cell (0, 0). Point: it is that cell's centre.
    assert!((a.georef().west_lon_deg - 120.001).abs() < 1e-12);
    assert!((p.georef().west_lon_deg - (120.001 - ARCSEC / 2.0)).abs() < 1e-12);
    assert!((p.georef().north_lat_deg - (30.001 + ARCSEC / 2.0)).abs() < 1e-12);
    let tie = GeoPoint::new(30.001, 120.001).unwrap();
    let pm = DemMosaic::new(vec![p]).unwrap();
    let am = DemMosaic::new(vec![a]).unwrap();
    // At the tiepoint the PixelIsPoint file has exactly sample (0, 0) ...
    assert!((pm.height_amsl_m(tie).unwrap() - 100.0).abs() < 1e-9);
    // ... and the PixelIsArea file is at its corner, which takes the edge sample.
    assert!((am.height_amsl_m(tie).unwrap() - 100.0).abs() < 1e-9);
    // Half a cell east of the tiepoint: the area file is at cell (0,0)'s centre (100), the
    // point file halfway to cell (1,0) (105): the half-pixel shift is 5 m of height here.
    let east = GeoPoint::new(30.001, 120.001 + ARCSEC / 2.0).unwrap();
    assert!((am.height_amsl_m(east).unwrap() - 100.0).abs() < 1e-9);
    assert!((pm.height_amsl_m(east).unwrap() - 105.0).abs() < 1e-9);
    // GDAL agrees on where the point file's corner is.
    if let Some(json) = gdalinfo_json(&point.bytes()) {
        let gt = json["geoTransform"].as_array().unwrap();
        let x0 = gt[0].as_f64().unwrap();
        let y0 = gt[3].as_f64().unwrap();
        assert!((x0 - (120.001 - ARCSEC / 2.0)).abs() < 1e-12, "{gt:?}");
        assert!((y0 - (30.001 + ARCSEC / 2.0)).abs() < 1e-12, "{gt:?}");
    }
}

#[test]
fn model_transformation_georeferences_like_scale_and_tiepoint() {
    let mut m = [0.0; 16];
    m[0] = ARCSEC;
    m[3] = 120.001;
    m[5] = -ARCSEC;
    m[7] = 30.001;
    m[15] = 1.0;
    let t = RawTiff {
        scale: None,
        tiepoint: None,
        transformation: Some(m),
        ..small_area_tiff()
    };
    let dem = parse_geotiff(&t.bytes(), "transform.tif", known_egm96()).unwrap();
    let a = parse_geotiff(&small_area_tiff().bytes(), "area.tif", known_egm96()).unwrap();
    assert_eq!(dem.georef(), a.georef());
    // A rotated grid is refused.
    m[1] = 1e-6;
    let rotated = RawTiff {
        transformation: Some(m),
        ..t
    };
    let e = parse_geotiff(&rotated.bytes(), "rotated.tif", known_egm96()).unwrap_err();
    assert!(
        e.to_string().contains("rotated.tif") && e.to_string().contains("north-up"),
        "{e}"
    );
}

#[test]
fn voids_are_errors_naming_the_place_and_the_file() {
    let mut t = small_area_tiff();
    t.data[5] = -32768; // row 1, col 1
    let dem = parse_geotiff(&t.bytes(), "holey.tif", known_egm96()).unwrap();
    assert!(dem.grid().heights_m[5].is_nan());
    let m = DemMosaic::new(vec![dem.clone()]).unwrap();
    let centre = |c: f64, r: f64| {
        GeoPoint::new(30.001 - (r + 0.5) * ARCSEC, 120.001 + (c + 0.5) * ARCSEC).unwrap()
    };
    let e = m.height_amsl_m(centre(1.0, 1.0)).unwrap_err();
    assert!(matches!(e, TerrainError::NoData { .. }), "{e}");
    let msg = e.to_string();
    assert!(msg.contains("holey.tif") && msg.contains("void"), "{msg}");
    assert!(
        msg.contains(&format!("{:.7}", centre(1.0, 1.0).lat_deg)),
        "{msg}"
    );
    // Between the void and a valid cell: still an error (the void carries weight).
    assert!(m.height_amsl_m(centre(0.5, 1.0)).is_err());
    // At a neighbouring cell's centre the void has no weight: fine.
    assert!((m.height_amsl_m(centre(0.0, 1.0)).unwrap() - 101.0).abs() < 1e-9);
    // Far from the void: fine.
    assert!((m.height_amsl_m(centre(2.5, 1.5)).unwrap() - 126.5).abs() < 1e-9);
}

#[test]
fn a_projected_geotiff_is_refused_naming_the_file_and_the_crs() {
    // UTM zone 50N (EPSG:32650), as a drone-survey DEM in metres would be.
    let utm = RawTiff {
        geokeys: geokeys(&[(1024, 1), (1025, 1), (3072, 32650)]),
        scale: Some([30.0, 30.0, 0.0]),
        tiepoint: Some([0.0, 0.0, 0.0, 500_000.0, 3_300_000.0, 0.0]),
        ..small_area_tiff()
    };
    let e = parse_geotiff(&utm.bytes(), "survey-utm50.tif", known_egm96()).unwrap_err();
    assert!(matches!(e, DemError::UnsupportedCrs { .. }), "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains("survey-utm50.tif")
            && msg.contains("EPSG:32650")
            && msg.contains("projected")
            && msg.contains("expected EPSG:4326"),
        "{msg}"
    );
    // Another geographic datum (CGCS2000, EPSG:4490) is refused too.
    let cgcs = RawTiff {
        geokeys: geokeys(&[(1024, 2), (1025, 1), (2048, 4490)]),
        ..small_area_tiff()
    };
    let e = parse_geotiff(&cgcs.bytes(), "cgcs.tif", known_egm96()).unwrap_err();
    assert!(e.to_string().contains("EPSG:4490"), "{e}");
    // No GeoKey directory at all: a plain TIFF.
    let plain = RawTiff {
        geokeys: Vec::new(),
        ..small_area_tiff()
    };
    let e = parse_geotiff(&plain.bytes(), "plain.tif", known_egm96()).unwrap_err();
    assert!(
        e.to_string().contains("plain.tif") && e.to_string().contains("GeoKeyDirectoryTag"),
        "{e}"
    );
    // No georeferencing tags.
    let lost = RawTiff {
        scale: None,
        ..small_area_tiff()
    };
    let e = parse_geotiff(&lost.bytes(), "lost.tif", known_egm96()).unwrap_err();
    assert!(e.to_string().contains("ModelPixelScaleTag"), "{e}");
}

#[test]
fn vertical_datums_are_explicit() {
    let with_vertical = |code: u16| RawTiff {
        geokeys: geokeys(&[
            (1024, 2),
            (1025, 1),
            (2048, 4326),
            (4096, code),
            (4099, 9001),
        ]),
        ..small_area_tiff()
    };
    // Declared EGM96: FromFile takes it.
    let d = parse_geotiff(
        &with_vertical(5773).bytes(),
        "egm96.tif",
        DatumChoice::FromFile,
    )
    .unwrap();
    assert_eq!(d.vertical_datum(), VerticalDatum::Egm96);
    // Unknown vertical CRS (NAVD88, EPSG:5703): refused, naming it.
    let e = parse_geotiff(&with_vertical(5703).bytes(), "navd.tif", known_egm96()).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("navd.tif") && msg.contains("5703"), "{msg}");
    // The caller's datum contradicts the file's.
    let e = parse_geotiff(
        &with_vertical(3855).bytes(),
        "cop30.tif",
        DatumChoice::Known(VerticalDatum::Egm96),
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("EGM2008") && e.to_string().contains("cop30.tif"),
        "{e}"
    );
    // EGM2008 tiles read, but a mosaic refuses them: no EGM2008 model ships.
    let cop = parse_geotiff(
        &with_vertical(3855).bytes(),
        "cop30.tif",
        DatumChoice::FromFile,
    )
    .unwrap();
    let e = DemMosaic::new(vec![cop]).unwrap_err();
    assert!(
        e.to_string().contains("cop30.tif") && e.to_string().contains("no EGM2008 geoid model"),
        "{e}"
    );
    // Ellipsoidal heights come out as AMSL: h - N.
    let ell = parse_geotiff(
        &with_vertical(4979).bytes(),
        "ellipsoid.tif",
        DatumChoice::FromFile,
    )
    .unwrap();
    assert_eq!(ell.vertical_datum(), VerticalDatum::EllipsoidWgs84);
    let p = GeoPoint::new(30.001 - 1.5 * ARCSEC, 120.001 + 2.5 * ARCSEC).unwrap();
    let native = ell.height_in_datum(p).unwrap();
    let amsl = DemMosaic::new(vec![ell]).unwrap().height_amsl_m(p).unwrap();
    assert!((native.height_m - 121.0).abs() < 1e-9);
    assert!(
        (amsl - (121.0 - egm96_undulation_m(p))).abs() < 1e-9,
        "{amsl}"
    );
    // Near Hangzhou the geoid is about 10 m above the ellipsoid.
    assert!(
        (native.height_m - amsl - 10.0).abs() < 3.0,
        "{}",
        native.height_m - amsl
    );
}

/// A tile of the plane `h = 1000*(lon - 120) + 2000*(lat - 30)` metres, which bilinear
/// sampling reproduces exactly, so a seam shows as any departure from the plane.
fn plane_tile(name: &str, west: f64, north: f64, cols: usize, rows: usize, point: bool) -> Dem {
    let (w0, n0) = if point {
        (west - ARCSEC / 2.0, north + ARCSEC / 2.0)
    } else {
        (west, north)
    };
    let georef = Georef {
        west_lon_deg: w0,
        north_lat_deg: n0,
        lon_step_deg: ARCSEC,
        lat_step_deg: ARCSEC,
    };
    let heights_m = (0..rows)
        .flat_map(|r| {
            (0..cols).map(move |c| {
                let lat = n0 - (r as f64 + 0.5) * ARCSEC;
                let lon = w0 + (c as f64 + 0.5) * ARCSEC;
                plane(lat, lon) as f32
            })
        })
        .collect();
    let grid = DemGrid {
        cols,
        rows,
        heights_m,
    };
    Dem::new(name, grid, georef, VerticalDatum::Egm96).unwrap()
}

fn plane(lat: f64, lon: f64) -> f64 {
    1000.0 * (lon - 120.0) + 2000.0 * (lat - 30.0)
}

#[test]
fn mosaic_seams_sample_across_tiles() {
    // Two PixelIsArea tiles side by side, 10 x 10 cells, meeting at 120.01 E.
    let west = plane_tile("west.tif", 120.01 - 10.0 * ARCSEC, 30.01, 10, 10, false);
    let east = plane_tile("east.tif", 120.01, 30.01, 10, 10, false);
    let m = DemMosaic::new(vec![west.clone(), east.clone()]).unwrap();
    let alone = DemMosaic::new(vec![west]).unwrap();
    let mut worst: f64 = 0.0;
    // Across the seam, in the outer half cells of both tiles.
    for i in 0..=40 {
        let lon = 120.01 - ARCSEC + i as f64 * ARCSEC / 20.0;
        let lat = 30.01 - 4.3 * ARCSEC;
        let h = m.height_amsl_m(GeoPoint::new(lat, lon).unwrap()).unwrap();
        worst = worst.max((h - plane(lat, lon)).abs());
    }
    assert!(worst < 1e-3, "seam error {worst} m");
    // The west tile alone clamps at its edge: off the plane in its outer half cell.
    let p = GeoPoint::new(30.01 - 4.3 * ARCSEC, 120.01 - 0.1 * ARCSEC).unwrap();
    let clamped = alone.height_amsl_m(p).unwrap();
    assert!((clamped - plane(p.lat_deg, p.lon_deg)).abs() > 1e-3);
    // SRTM-style PixelIsPoint tiles share their edge row/column: seamless too.
    let a = plane_tile("N30E120.tif", 120.0, 30.01, 11, 11, true);
    let b = plane_tile("N30E120b.tif", 120.0 + 10.0 * ARCSEC, 30.01, 11, 11, true);
    let m = DemMosaic::new(vec![a, b]).unwrap();
    for i in 0..=40 {
        let lon = 120.0 + 9.0 * ARCSEC + i as f64 * ARCSEC / 20.0;
        let lat = 30.01 - 3.7 * ARCSEC;
        let h = m.height_amsl_m(GeoPoint::new(lat, lon).unwrap()).unwrap();
        assert!((h - plane(lat, lon)).abs() < 1e-3, "{lon}: {h}");
    }
    // A neighbour on another vertical datum is not blended in: the edge sample is used.
    let east_ellipsoid = Dem::new(
        "east-ellipsoid.tif",
        east.grid().clone(),
        *east.georef(),
        VerticalDatum::EllipsoidWgs84,
    )
    .unwrap();
    let mixed = DemMosaic::new(vec![
        plane_tile("west.tif", 120.01 - 10.0 * ARCSEC, 30.01, 10, 10, false),
        east_ellipsoid,
    ])
    .unwrap();
    assert_eq!(mixed.height_amsl_m(p).unwrap(), clamped);
    // Outside both: the error names both tiles and their coverage.
    let e = DemMosaic::new(vec![east.clone()])
        .unwrap()
        .height_amsl_m(GeoPoint::new(31.0, 121.0).unwrap())
        .unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("east.tif: latitude") && msg.contains("longitude 120.010000 to 120.012778"),
        "{msg}"
    );
    assert!(matches!(DemMosaic::new(vec![]), Err(DemError::EmptyMosaic)));
}

fn gdal_available(tool: &str) -> bool {
    let ok = Command::new(tool).arg("--version").output().is_ok();
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "{tool} is required under CI (scripts/setup-env.sh installs gdal-bin)"
        );
        println!("skipped: {tool} is not installed");
    }
    ok
}

/// `gdalinfo -json` of these bytes, or `None` (printed) when GDAL is absent outside CI.
fn gdalinfo_json(bytes: &[u8]) -> Option<serde_json::Value> {
    if !gdal_available("gdalinfo") {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("probe.tif");
    std::fs::write(&path, bytes).unwrap();
    let out = Command::new("gdalinfo")
        .arg("-json")
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

fn valley_grid() -> (DemGrid, Georef) {
    // 7 x 5 cells, 1 arc-second, a V-shaped valley with one void.
    let (cols, rows) = (7usize, 5usize);
    let mut heights_m: Vec<f32> = (0..rows)
        .flat_map(|r| (0..cols).map(move |c| 200.0 + 12.5 * (c as f32 - 3.0).abs() - r as f32))
        .collect();
    heights_m[2 * cols + 5] = f32::NAN;
    let georef = Georef {
        west_lon_deg: 106.7,
        north_lat_deg: 26.6,
        lon_step_deg: ARCSEC,
        lat_step_deg: ARCSEC,
    };
    (
        DemGrid {
            cols,
            rows,
            heights_m,
        },
        georef,
    )
}

#[test]
fn writer_round_trips_for_every_datum() {
    let (grid, georef) = valley_grid();
    for datum in [
        VerticalDatum::Egm96,
        VerticalDatum::Egm2008,
        VerticalDatum::EllipsoidWgs84,
    ] {
        let mut bytes = Cursor::new(Vec::new());
        write_geotiff(&mut bytes, &grid, &georef, datum).unwrap();
        let bytes = bytes.into_inner();
        let info = inspect_geotiff(&bytes, "valley.tif").unwrap();
        assert_eq!(info.color_type, "Gray(32)");
        assert_eq!(info.vertical_datum, Some(datum));
        assert!(info.nodata.unwrap().is_nan());
        let dem = parse_geotiff(&bytes, "valley.tif", DatumChoice::FromFile).unwrap();
        assert_eq!(dem.vertical_datum(), datum);
        assert_eq!(dem.georef(), &georef);
        assert_eq!((dem.grid().cols, dem.grid().rows), (grid.cols, grid.rows));
        for (a, b) in dem.grid().heights_m.iter().zip(&grid.heights_m) {
            assert!(
                a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
                "{a} {b}"
            );
        }
    }
    // Through a file, and errors name the path.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("valley.tif");
    write_dem_file(&path, &grid, &georef, VerticalDatum::Egm96).unwrap();
    let dem = read_dem_file(&path, DatumChoice::FromFile).unwrap();
    let bits = |g: &DemGrid| g.heights_m.iter().map(|h| h.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(dem.grid()), bits(&grid));
    let missing = dir.path().join("nope.tif");
    let e = read_dem_file(&missing, DatumChoice::FromFile).unwrap_err();
    assert!(e.to_string().contains("nope.tif"), "{e}");
    let bad = DemGrid {
        cols: 3,
        rows: 2,
        heights_m: vec![0.0; 5],
    };
    let e = write_dem_file(
        &dir.path().join("bad.tif"),
        &bad,
        &georef,
        VerticalDatum::Egm96,
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("bad.tif") && e.to_string().contains("5 heights for 3 x 2"),
        "{e}"
    );
}

#[test]
fn gdal_reads_what_we_write() {
    let (grid, georef) = valley_grid();
    let mut bytes = Cursor::new(Vec::new());
    write_geotiff(&mut bytes, &grid, &georef, VerticalDatum::Egm96).unwrap();
    let bytes = bytes.into_inner();
    let Some(json) = gdalinfo_json(&bytes) else {
        return;
    };
    println!("gdalinfo -json: {json}");
    assert_eq!(json["size"], serde_json::json!([7, 5]));
    let gt: Vec<f64> = json["geoTransform"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert!(
        (gt[0] - 106.7).abs() < 1e-12 && (gt[3] - 26.6).abs() < 1e-12,
        "{gt:?}"
    );
    assert!((gt[1] - ARCSEC).abs() < 1e-15 && (gt[5] + ARCSEC).abs() < 1e-15);
    assert_eq!(gt[2], 0.0);
    assert_eq!(gt[4], 0.0);
    let band = &json["bands"][0];
    assert_eq!(band["type"], "Float32");
    assert_eq!(band["noDataValue"], "NaN");
    let wkt = json["coordinateSystem"]["wkt"].as_str().unwrap();
    assert!(wkt.contains("WGS 84") && wkt.contains("4326"), "{wkt}");
    assert_eq!(json["metadata"][""]["AREA_OR_POINT"], "Area");
    // Sample values through GDAL: cell (2, 1) and the void at (5, 2).
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("valley.tif");
    std::fs::write(&path, &bytes).unwrap();
    let value = |c: &str, r: &str| {
        let out = Command::new("gdallocationinfo")
            .args(["-valonly"])
            .arg(&path)
            .args([c, r])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    let v: f64 = value("2", "1").parse().unwrap();
    assert_eq!(v, f64::from(grid.heights_m[7 + 2]));
    assert_eq!(value("5", "2").to_lowercase(), "nan");
    // With compound CRS reporting on, GDAL names our vertical datums, without complaint.
    for (datum, name) in [
        (VerticalDatum::Egm96, "EGM96 height"),
        (VerticalDatum::Egm2008, "EGM2008 height"),
        (VerticalDatum::EllipsoidWgs84, "4979"),
    ] {
        let mut bytes = Cursor::new(Vec::new());
        write_geotiff(&mut bytes, &grid, &georef, datum).unwrap();
        std::fs::write(&path, bytes.into_inner()).unwrap();
        let out = Command::new("gdalinfo")
            .args(["--config", "GTIFF_REPORT_COMPD_CS", "YES"])
            .arg(&path)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        println!("{datum}: {stderr}\n{stdout}");
        assert!(out.status.success() && stderr.trim().is_empty(), "{stderr}");
        assert!(stdout.contains(name), "{datum}: {stdout}");
    }
}

#[test]
fn truncated_files_are_errors() {
    let (grid, georef) = valley_grid();
    let mut bytes = Cursor::new(Vec::new());
    write_geotiff(&mut bytes, &grid, &georef, VerticalDatum::Egm96).unwrap();
    let bytes = bytes.into_inner();
    let mut errors = 0;
    for n in 0..bytes.len() {
        match parse_geotiff(&bytes[..n], "cut.tif", DatumChoice::FromFile) {
            Err(e) => {
                assert!(e.to_string().contains("cut.tif"), "{e}");
                errors += 1;
            }
            Ok(dem) => assert_eq!(dem.grid().cols * dem.grid().rows, 35),
        }
    }
    // Every cut that loses data or tags must fail.
    assert!(errors > bytes.len() / 2, "{errors} of {}", bytes.len());
    let e = parse_geotiff(b"not a tiff at all", "text.tif", known_egm96()).unwrap_err();
    assert!(matches!(e, DemError::Tiff { .. }), "{e}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Random byte damage anywhere in a valid GeoTIFF: an error or a DEM, never a panic.
    #[test]
    fn damaged_files_never_panic(
        damage in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)
    ) {
        let (grid, georef) = valley_grid();
        let mut bytes = Cursor::new(Vec::new());
        write_geotiff(&mut bytes, &grid, &georef, VerticalDatum::Egm96).unwrap();
        let mut bytes = bytes.into_inner();
        for (i, b) in damage {
            let i = i.index(bytes.len());
            bytes[i] = b;
        }
        if let Ok(dem) = parse_geotiff(&bytes, "damaged.tif", DatumChoice::FromFile) {
            if let Ok(m) = DemMosaic::new(vec![dem]) {
                let _ = m.height_amsl_m(GeoPoint::new(26.5995, 106.7005).unwrap());
            }
        }
    }

    /// The same for a damaged uncompressed i16 file with GDAL_NODATA.
    #[test]
    fn damaged_raw_tiffs_never_panic(
        damage in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)
    ) {
        let mut bytes = small_area_tiff().bytes();
        for (i, b) in damage {
            let i = i.index(bytes.len());
            bytes[i] = b;
        }
        let _ = inspect_geotiff(&bytes, "damaged.tif");
        let _ = parse_geotiff(&bytes, "damaged.tif", known_egm96());
    }
}
