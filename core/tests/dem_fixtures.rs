//! The public SRTM fixtures in `../shared/fixtures/dem/` read, sampled against GDAL, and
//! the OpenAthena geotag cross-check on the Rome DEM.
//!
//! Reference values come from GDAL 3.6.2 (Debian gdal-bin, as scripts/setup-env.sh
//! installs), measured by hand and hard-coded here:
//! - `gdalinfo FILE` for size, origin, pixel size, type and nodata;
//! - `gdallocationinfo -valonly FILE COL ROW` for the sample at pixel (COL, ROW) (GDAL 3.6
//!   has no interpolation, so bilinear references are computed from its samples).
//!
//! Each test skips itself, saying so, when the fixtures are absent.

use qly_core::geodesy::GeoPoint;
use qly_core::geotag::{geotag, CameraMount, CameraPose, Uncertainty};
use qly_core::intrinsics::{BrownConrady, CameraIntrinsics};
use qly_core::pose::AmslPosition;
use qly_core::rotation::Quat;
use qly_core::terrain::{
    inspect_geotiff, read_dem_file, DatumChoice, Dem, DemMosaic, Terrain, TerrainError,
    VerticalDatum,
};
use std::path::PathBuf;

/// `$QLY_SHARED`, else `<repo root>/../shared`, else `/work/shared`.
fn shared_dir() -> PathBuf {
    if let Some(s) = std::env::var_os("QLY_SHARED") {
        return PathBuf::from(s);
    }
    let beside = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared");
    if beside.is_dir() {
        return beside;
    }
    PathBuf::from("/work/shared")
}

fn fixture(name: &str) -> Option<PathBuf> {
    let p = shared_dir().join("fixtures/dem").join(name);
    if p.is_file() {
        Some(p)
    } else {
        println!("skipped: fixture {} is absent", p.display());
        None
    }
}

fn load(path: &std::path::Path) -> Dem {
    // SRTM heights are EGM96 orthometric; these files do not say so themselves.
    read_dem_file(path, DatumChoice::Known(VerticalDatum::Egm96)).unwrap()
}

/// The centre of pixel (col, row) of a DEM.
fn centre(dem: &Dem, col: f64, row: f64) -> GeoPoint {
    let g = dem.georef();
    GeoPoint::new(
        g.north_lat_deg - (row + 0.5) * g.lat_step_deg,
        g.west_lon_deg + (col + 0.5) * g.lon_step_deg,
    )
    .unwrap()
}

const ARCSEC: f64 = 1.0 / 3600.0;

#[test]
fn rome_header_matches_gdalinfo() {
    let Some(path) = fixture("Rome-30m-DEM.tif") else {
        return;
    };
    let bytes = std::fs::read(&path).unwrap();
    let info = inspect_geotiff(&bytes, "Rome-30m-DEM.tif").unwrap();
    println!("Rome-30m-DEM.tif: {info:?}");
    // gdalinfo: Size is 1080, 720; Type=Int16; NoData Value=-32768; AREA_OR_POINT=Area;
    // Origin = (12.349861111111110,42.000_138_888_888_89); Pixel Size = 0.000277777777778.
    assert_eq!((info.cols, info.rows), (1080, 720));
    assert_eq!(info.color_type, "Gray(16)");
    assert_eq!(info.nodata, Some(-32768.0));
    assert!(!info.pixel_is_point);
    assert_eq!(info.vertical_datum, None);
    let g = info.georef;
    assert!(
        (g.west_lon_deg - 12.349_861_111_111_11).abs() < 1e-12,
        "{g:?}"
    );
    assert!(
        (g.north_lat_deg - 42.000_138_888_888_89).abs() < 1e-12,
        "{g:?}"
    );
    assert!((g.lon_step_deg - ARCSEC).abs() < 1e-15);
    assert!((g.lat_step_deg - ARCSEC).abs() < 1e-15);
    // Without a declared vertical datum, FromFile refuses, naming the file.
    let e = read_dem_file(&path, DatumChoice::FromFile).unwrap_err();
    assert!(
        e.to_string().contains("Rome-30m-DEM.tif") && e.to_string().contains("does not declare"),
        "{e}"
    );
}

#[test]
fn rome_samples_match_gdallocationinfo() {
    let Some(path) = fixture("Rome-30m-DEM.tif") else {
        return;
    };
    let dem = load(&path);
    let mosaic = DemMosaic::new(vec![dem.clone()]).unwrap();
    // `gdallocationinfo -valonly Rome-30m-DEM.tif COL ROW`.
    let gdal: [((f64, f64), f64); 12] = [
        ((0.0, 0.0), 133.0),
        ((1079.0, 719.0), 237.0),
        ((540.0, 360.0), 78.0),
        ((1000.0, 700.0), 136.0),
        ((1050.0, 700.0), 156.0),
        ((1044.0, 694.0), 145.0),
        ((1045.0, 694.0), 148.0),
        ((1044.0, 695.0), 145.0),
        ((300.0, 200.0), 88.0),
        ((301.0, 200.0), 92.0),
        ((300.0, 201.0), 87.0),
        ((301.0, 201.0), 93.0),
    ];
    for ((c, r), h) in gdal {
        let p = centre(&dem, c, r);
        let ours = mosaic.height_amsl_m(p).unwrap();
        assert!(
            (ours - h).abs() < 1e-6,
            "pixel ({c}, {r}) at {p:?}: {ours} vs GDAL {h}"
        );
    }
    // `gdallocationinfo -wgs84 Rome-30m-DEM.tif 12.640073 41.807133`: pixel (1044, 694),
    // 145: the same cell by geographic look-up.
    let g = dem.georef();
    let col = ((12.640073 - g.west_lon_deg) / g.lon_step_deg).floor();
    let row = ((g.north_lat_deg - 41.807133) / g.lat_step_deg).floor();
    assert_eq!((col, row), (1044.0, 694.0));
    // Bilinear between GDAL's samples 88, 92 / 87, 93 at a quarter and a third of a cell.
    let (tx, ty) = (0.25, 1.0 / 3.0);
    let expected =
        (88.0 * (1.0 - tx) + 92.0 * tx) * (1.0 - ty) + (87.0 * (1.0 - tx) + 93.0 * tx) * ty;
    let h = mosaic
        .height_amsl_m(centre(&dem, 300.0 + tx, 200.0 + ty))
        .unwrap();
    assert!((h - expected).abs() < 1e-9, "{h} vs {expected}");
    // Half a cell west of pixel 0's centre is still inside (the cell's area) and takes
    // the edge sample; a hair beyond the edge is outside, and the error names the file and
    // its coverage.
    let edge = GeoPoint::new(centre(&dem, 0.0, 0.0).lat_deg, g.west_lon_deg).unwrap();
    assert!((mosaic.height_amsl_m(edge).unwrap() - 133.0).abs() < 1e-6);
    let out = GeoPoint::new(41.9, 12.3498).unwrap();
    let e = mosaic.height_amsl_m(out).unwrap_err();
    assert!(matches!(e, TerrainError::OutsideCoverage { .. }), "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains("Rome-30m-DEM.tif") && msg.contains("longitude 12.349861 to 12.649861"),
        "{msg}"
    );
}

#[test]
fn cobb_header_and_samples_match_gdal() {
    let Some(path) = fixture("cobb.tif") else {
        return;
    };
    let bytes = std::fs::read(&path).unwrap();
    let info = inspect_geotiff(&bytes, "cobb.tif").unwrap();
    println!("cobb.tif: {info:?}");
    // gdalinfo: Size is 1342, 1206; Int16; NoData -32768; Origin =
    // (-84.741249999999994,34.078_472_222_222_22); 1 arc-second cells; Area.
    assert_eq!((info.cols, info.rows), (1342, 1206));
    assert_eq!(info.color_type, "Gray(16)");
    assert_eq!(info.nodata, Some(-32768.0));
    assert!(!info.pixel_is_point);
    assert!((info.georef.west_lon_deg + 84.741_25).abs() < 1e-12);
    assert!((info.georef.north_lat_deg - 34.078_472_222_222_22).abs() < 1e-12);
    let dem = load(&path);
    let mosaic = DemMosaic::new(vec![dem.clone()]).unwrap();
    // gdallocationinfo -valonly cobb.tif COL ROW
    for ((c, r), h) in [
        ((0.0, 0.0), 271.0),
        ((1341.0, 1205.0), 307.0),
        ((671.0, 603.0), 330.0),
        ((589.0, 342.0), 346.0),
        ((688.0, 1182.0), 259.0),
    ] {
        assert!((mosaic.height_amsl_m(centre(&dem, c, r)).unwrap() - h).abs() < 1e-6);
    }
    // gdallocationinfo -wgs84 cobb.tif -84.5775 33.9833 reports pixel (589, 342) and
    // -84.55 33.75 pixel (688, 1182): our cell look-up finds the same cells.
    let g = dem.georef();
    for ((lat, lon), (c, r)) in [
        ((33.9833, -84.5775), (589.0, 342.0)),
        ((33.75, -84.55), (688.0, 1182.0)),
    ] {
        let col = ((lon - g.west_lon_deg) / g.lon_step_deg).floor();
        let row = ((g.north_lat_deg - lat) / g.lat_step_deg).floor();
        assert_eq!((col, row), (c, r));
    }
    // Rome and Cobb County together: each point is answered by its own tile.
    if let Some(rome) = fixture("Rome-30m-DEM.tif") {
        let both = DemMosaic::new(vec![load(&rome), dem.clone()]).unwrap();
        let h = both.height_amsl_m(centre(&dem, 671.0, 603.0)).unwrap();
        assert!((h - 330.0).abs() < 1e-6, "{h}");
        let rome_dem = load(&rome);
        let h = both.height_amsl_m(centre(&rome_dem, 540.0, 360.0)).unwrap();
        assert!((h - 78.0).abs() < 1e-6, "{h}");
        let e = both
            .height_amsl_m(GeoPoint::new(30.0, 120.0).unwrap())
            .unwrap_err();
        assert!(
            e.to_string().contains("Rome-30m-DEM.tif") && e.to_string().contains("cobb.tif"),
            "{e}"
        );
    }
}

/// The camera of the OpenAthena check: 500 m AMSL over 41.801 N 12.6483 E, looking along
/// azimuth 315 degrees, 20 degrees below the horizon (centre pixel).
fn openathena_pose() -> (CameraIntrinsics, CameraPose) {
    let cam = CameraIntrinsics::new(
        4000,
        3000,
        3000.0,
        3000.0,
        2000.0,
        1500.0,
        BrownConrady::NONE,
    )
    .unwrap();
    let pose = CameraPose {
        position: AmslPosition::new(41.801, 12.6483, 500.0).unwrap(),
        q_ned_body: Quat::IDENTITY,
        mount: CameraMount::EarthFrame(Quat::from_ypr_deg(315.0, -20.0, 0.0)),
    };
    (cam, pose)
}

/// OpenAthena's published result for this case (OpenAthena-Legacy-Python README, output of
/// `src/example_script.py` since commit 68b9991, 2023-05-09): "Calculated Target (lat,lon):
/// 41.807133, 12.640073 Alt: 149.087333 meters AMSL; estimated terrainAlt was: 146.626879;
/// Slant Range to Target was: 1026.024958 meters".
const OA_TARGET: (f64, f64) = (41.807133, 12.640073);
const OA_SLANT_RANGE_M: f64 = 1026.024958;

/// OpenAthena-Legacy-Python's ground sampler (`getAltFromLatLon`, parseGeoTIFF.py at
/// 68b9991), re-expressed here only to explain the difference from our result:
/// - sample `(row, col)` is placed at `(y0 + row*dy, x0 + col*dx)` from the geotransform
///   origin, i.e. at the cell's north-west *corner*, where the GDAL/PixelIsArea sample is at
///   the centre: half a cell (15 m north, 11.5 m west at 41.8 N) off;
/// - its latitude bracket comes from a search over the reversed rows starting one row past
///   the last one (`y0 + n*dy`), so it interpolates between the wrong pair of rows;
/// - the four samples are blended by inverse-distance weighting (power 2).
fn openathena_sample(dem: &Dem, lat_deg: f64, lon_deg: f64) -> f64 {
    let g = dem.georef();
    let grid = dem.grid();
    let (n_cols, n_rows) = (grid.cols as i64, grid.rows as i64);
    let (x0, dx, y0, s) = (
        g.west_lon_deg,
        g.lon_step_deg,
        g.north_lat_deg,
        g.lat_step_deg,
    );
    let xl = (((lon_deg - x0) / dx).floor() as i64).clamp(0, n_cols - 1);
    let xr = (xl + 1).min(n_cols - 1);
    let k = ((lat_deg - (y0 - n_rows as f64 * s)) / s).floor() as i64;
    let (yt, yb) = (
        (n_rows - k - 2).clamp(0, n_rows - 1),
        (n_rows - k - 1).clamp(0, n_rows - 1),
    );
    let (mut sum_w, mut sum_wh) = (0.0, 0.0);
    for (r, c) in [(yt, xr), (yt, xl), (yb, xl), (yb, xr)] {
        let h = f64::from(grid.get(c as usize, r as usize).unwrap());
        let (lat, lon) = (y0 - r as f64 * s, x0 + c as f64 * dx);
        let d = haversine_m(lat_deg, lon_deg, lat, lon, h);
        if d <= 0.5 {
            return h;
        }
        sum_w += 1.0 / (d * d);
        sum_wh += h / (d * d);
    }
    sum_wh / sum_w
}

/// OpenAthena's Earth radius at a latitude: the geocentric radius of the WGS-84 ellipsoid
/// (with its b rounded to 6356752.3 m).
fn openathena_radius_m(lat_rad: f64) -> f64 {
    let (a, b) = (6_378_137.0f64, 6_356_752.3f64);
    (((a * a * lat_rad.cos()).powi(2) + (b * b * lat_rad.sin()).powi(2))
        / ((a * lat_rad.cos()).powi(2) + (b * lat_rad.sin()).powi(2)))
    .sqrt()
}

fn haversine_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64, alt_m: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let (dp, dl) = (p2 - p1, (lon2 - lon1).to_radians());
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * a.sqrt().asin() * (openathena_radius_m((p1 + p2) / 2.0) + alt_m)
}

/// OpenAthena-Legacy-Python's ray march (`resolveTarget`, getTarget.py at 68b9991),
/// re-expressed: 1 m steps along the ray over a sphere of its local radius plus altitude;
/// it checks the ground *before* each step and stops, one step later, at the first point
/// whose clearance is at most `threshold_m` (OpenAthena: one eighth of the east-west post
/// spacing). Returns (slant range, lat, lon).
fn openathena_march(
    ground: impl Fn(f64, f64) -> f64,
    (lat0, lon0, z0): (f64, f64, f64),
    azimuth_deg: f64,
    theta_deg: f64,
    threshold_m: f64,
) -> (f64, f64, f64) {
    let (az, th) = (azimuth_deg.to_radians(), theta_deg.to_radians());
    let (mut lat, mut lon, mut z) = (lat0, lon0, z0);
    loop {
        let clearance = z - ground(lat, lon);
        let z_before = z;
        z -= th.sin();
        let r = openathena_radius_m(lat.to_radians()) + (z_before + z) / 2.0;
        let d = th.cos() / r;
        let (p, l) = (lat.to_radians(), lon.to_radians());
        let p2 = (p.sin() * d.cos() + p.cos() * d.sin() * az.cos()).asin();
        let l2 = l + (az.sin() * d.sin() * p.cos()).atan2(d.cos() - p.sin() * p2.sin());
        (lat, lon) = (p2.to_degrees(), l2.to_degrees());
        if clearance <= threshold_m {
            break;
        }
    }
    let horizontal = haversine_m(lat0, lon0, lat, lon, z0);
    (horizontal.hypot(z0 - z), lat, lon)
}

/// The OpenAthena cross-check, decomposed.
///
/// 1. OpenAthena's march with its sampler, re-expressed here, reproduces its published
///    point to centimetres: the emulation is faithful.
/// 2. On the *same* surface as ours (GDAL-correct bilinear) and with a zero threshold,
///    OpenAthena's march and our bracketing + bisection agree within 5 m: the remaining
///    difference is its 1 m overshoot and its spherical stepping.
/// 3. Against the published point itself ours is about 10 m off: OpenAthena's sampler
///    puts every sample half a cell north-west (the PixelIsArea/PixelIsPoint confusion) and
///    blends the wrong rows, and its march stops 2.9 m above the ground.
#[test]
fn openathena_cross_check_on_rome() {
    let Some(path) = fixture("Rome-30m-DEM.tif") else {
        return;
    };
    let t0 = std::time::Instant::now();
    let dem = load(&path);
    let load_s = t0.elapsed().as_secs_f64();
    let mosaic = DemMosaic::new(vec![dem.clone()]).unwrap();
    let (cam, pose) = openathena_pose();
    let t0 = std::time::Instant::now();
    let n = 100;
    for _ in 0..n {
        geotag(
            (2000.0, 1500.0),
            &cam,
            &pose,
            &mosaic,
            &Uncertainty::default(),
        )
        .unwrap();
    }
    println!(
        "timing (this build): read + decode Rome-30m-DEM.tif {:.1} ms; one geotag on it {:.1} us",
        load_s * 1e3,
        t0.elapsed().as_secs_f64() / n as f64 * 1e6
    );
    let reference = GeoPoint::new(OA_TARGET.0, OA_TARGET.1).unwrap();
    let start = (41.801, 12.6483, 500.0);
    let threshold_m = haversine_m(41.801, 0.0, 41.801, dem.georef().lon_step_deg, 500.0) / 8.0;

    // 1. The emulation reproduces the published figures.
    let (oa_range, oa_lat, oa_lon) = openathena_march(
        |lat, lon| openathena_sample(&dem, lat, lon),
        start,
        315.0,
        20.0,
        threshold_m,
    );
    let oa = GeoPoint::new(oa_lat, oa_lon).unwrap();
    println!(
        "OpenAthena re-expressed: {oa_lat:.6} N {oa_lon:.6} E, slant range {oa_range:.3} m (threshold {threshold_m:.3} m); {:.3} m from the published point",
        oa.distance_m(reference)
    );
    assert!(oa.distance_m(reference) < 0.1, "{oa:?}");
    assert!((oa_range - OA_SLANT_RANGE_M).abs() < 0.1, "{oa_range}");

    // 2. Same surface, zero threshold: OpenAthena's march vs our geotag.
    let ours = geotag(
        (2000.0, 1500.0),
        &cam,
        &pose,
        &mosaic,
        &Uncertainty::default(),
    )
    .unwrap();
    let bilinear = |lat: f64, lon: f64| {
        mosaic
            .height_amsl_m(GeoPoint::new(lat, lon).unwrap())
            .unwrap()
    };
    let (m_range, m_lat, m_lon) = openathena_march(bilinear, start, 315.0, 20.0, 0.0);
    let marched = GeoPoint::new(m_lat, m_lon).unwrap();
    println!(
        "ours: {:.6} N {:.6} E, ground {:.2} m AMSL, slant range {:.3} m; OpenAthena's march on our bilinear surface (threshold 0): {m_lat:.6} N {m_lon:.6} E, {m_range:.3} m: {:.2} m apart, slant range {:+.2} m",
        ours.point.lat_deg,
        ours.point.lon_deg,
        ours.height_amsl_m,
        ours.slant_range_m,
        ours.point.distance_m(marched),
        m_range - ours.slant_range_m
    );
    assert!(ours.point.distance_m(marched) < 5.0);
    assert!((m_range - ours.slant_range_m).abs() < 5.0);

    // Each cause alone (printed, for the report): OpenAthena's threshold on our surface,
    // and OpenAthena's sampler without the threshold.
    let (t_range, _, _) = openathena_march(bilinear, start, 315.0, 20.0, threshold_m);
    let (s_range, _, _) = openathena_march(
        |lat, lon| openathena_sample(&dem, lat, lon),
        start,
        315.0,
        20.0,
        0.0,
    );
    println!(
        "OpenAthena's march: our surface + its threshold {t_range:.2} m; its sampler, no threshold {s_range:.2} m"
    );

    // 3. Against the published point.
    let d = ours.point.distance_m(reference);
    println!(
        "ours vs OpenAthena's published 41.807133 N 12.640073 E: {d:.2} m horizontally, slant range {:+.2} m",
        ours.slant_range_m - OA_SLANT_RANGE_M
    );
    assert!((5.0..15.0).contains(&d), "{d}");
    // Our hit is where the ray meets the bilinear surface.
    let ray_h = 500.0 - ours.slant_range_m * 20f64.to_radians().sin();
    assert!(
        (ray_h - ours.height_amsl_m).abs() < 0.5,
        "{ray_h} vs {}",
        ours.height_amsl_m
    );
}

/// Bracketing + bisection finds the *first* crossing a fine fixed-step march (0.05 m, as
/// OpenAthena marches in 1 m steps) finds, on the real DEM, for a fan of rays around the
/// OpenAthena case.
#[test]
fn bisection_agrees_with_a_fine_fixed_step_march_on_rome() {
    let Some(path) = fixture("Rome-30m-DEM.tif") else {
        return;
    };
    let mosaic = DemMosaic::new(vec![load(&path)]).unwrap();
    let (cam, pose) = openathena_pose();
    let mut worst_m: f64 = 0.0;
    for az in [300.0, 315.0, 330.0, 345.0] {
        for depression in [10.0, 20.0, 35.0] {
            let pose = CameraPose {
                mount: CameraMount::EarthFrame(Quat::from_ypr_deg(az, -depression, 0.0)),
                ..pose
            };
            let g = geotag(
                (2000.0, 1500.0),
                &cam,
                &pose,
                &mosaic,
                &Uncertainty::default(),
            )
            .unwrap();
            // Fixed steps along the same ray, in the same local frame geotag uses.
            let frame = qly_core::geodesy::LocalFrame::new(qly_core::geodesy::GeoPosition::new(
                41.801, 12.6483, 500.0,
            ));
            let (sa, ca) = (az.to_radians().sin(), az.to_radians().cos());
            let (cd, sd) = (
                f64::cos(f64::to_radians(depression)),
                f64::sin(f64::to_radians(depression)),
            );
            let step = 0.05;
            let mut s = 0.0;
            let fixed = loop {
                s += step;
                let p = frame.to_geodetic(qly_core::geodesy::Enu::new(
                    s * cd * sa,
                    s * cd * ca,
                    -s * sd,
                ));
                if p.h_ellipsoid_m <= mosaic.height_amsl_m(p.point()).unwrap() {
                    break s;
                }
            };
            worst_m = worst_m.max((fixed - g.slant_range_m).abs());
            assert!(
                (fixed - g.slant_range_m).abs() <= step + 0.02,
                "az {az} depression {depression}: fixed-step {fixed} m, ours {} m",
                g.slant_range_m
            );
        }
    }
    println!("largest slant-range difference from a 0.05 m fixed-step march: {worst_m:.3} m");
}
