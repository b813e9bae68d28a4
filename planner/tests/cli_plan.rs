//! The `planner` binary as a pilot uses it: plan the sample missions, and get a clear error
//! (file, field, what was expected) rather than a panic for each kind of bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn planner() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_planner"));
    // Errors are for pilots: no Rust backtraces in what they read.
    cmd.env("RUST_BACKTRACE", "0")
        .env("RUST_LIB_BACKTRACE", "0");
    cmd
}

fn missions() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../missions")
}

fn run(args: &[&str]) -> Output {
    planner().args(args).output().expect("planner runs")
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `planner plan` on `input` and expects a refusal whose message names all of `needles`.
fn refused(input: &Path, extra: &[&str], needles: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec!["plan", input.to_str().unwrap(), "--out"];
    let out_dir = dir.path().join("out");
    args.push(out_dir.to_str().unwrap());
    args.extend_from_slice(extra);
    let out = run(&args);
    let (stdout, stderr) = text(&out);
    assert!(!out.status.success(), "expected a refusal, got:\n{stdout}");
    assert!(!stderr.contains("panicked"), "panic:\n{stderr}");
    for n in needles {
        assert!(stderr.contains(n), "message lacks '{n}':\n{stderr}");
    }
}

fn write(dir: &Path, name: &str, body: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p
}

#[test]
fn plans_the_sample_corridor_with_sorties_and_full_coverage() {
    let dir = tempfile::tempdir().unwrap();
    let input = missions().join("sample-corridor.geojson");
    let out = run(&[
        "plan",
        input.to_str().unwrap(),
        "--battery-min",
        "25",
        "--reserve-min",
        "4",
        "--home",
        "27.0547,106.9527,1050",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("corridor, 60 m wide"), "{stdout}");
    assert!(stdout.contains("altitude    75.0 m"), "{stdout}");
    assert!(
        stdout.contains("coverage    100.00 % at the requested overlap"),
        "{stdout}"
    );
    for ext in ["plan", "waypoints", "kml", "geojson"] {
        assert!(dir.path().join(format!("sample-corridor.{ext}")).is_file());
    }
    assert!(dir.path().join("sample-corridor-sortie-2.plan").is_file());
}

/// `--home` south of the equator (a value starting with '-') reaches the plan as given.
#[test]
fn a_negative_home_is_taken_as_a_value() {
    let dir = tempfile::tempdir().unwrap();
    // A short stretch of river at ArduPilot SITL's CMAC field.
    let input = write(
        dir.path(),
        "cmac.geojson",
        r#"{"type":"Feature","properties":{"width_m":40},
          "geometry":{"type":"LineString","coordinates":[[149.1650,-35.3630],[149.1680,-35.3610]]}}"#,
    );
    let out = run(&[
        "plan",
        input.to_str().unwrap(),
        "--home",
        "-35.363262,149.165237,584",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    let (_, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    let plan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("cmac.plan")).unwrap())
            .unwrap();
    let home = &plan["mission"]["plannedHomePosition"];
    assert_eq!(home[0].as_f64(), Some(-35.363262), "{home}");
    assert_eq!(home[1].as_f64(), Some(149.165237), "{home}");
    assert_eq!(home[2].as_f64(), Some(584.0), "{home}");
    // A malformed home is refused with the grammar.
    refused(
        &input,
        &["--home", "-35.36"],
        &["--home", "LAT,LON or LAT,LON,AMSL_M"],
    );
}

#[test]
fn plans_the_sample_area_around_its_hole() {
    let dir = tempfile::tempdir().unwrap();
    let input = missions().join("sample-area.geojson");
    let out = run(&[
        "plan",
        input.to_str().unwrap(),
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("area, 1 hole(s)"), "{stdout}");
    assert!(stdout.contains("coverage    100.00 %"), "{stdout}");
    // The hole reaches the autopilot as an exclusion fence (QGroundControl's geoFence).
    let plan: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("sample-area.plan")).unwrap(),
    )
    .unwrap();
    let polygons = plan["geoFence"]["polygons"].as_array().unwrap();
    assert_eq!(polygons.len(), 1);
    assert_eq!(polygons[0]["inclusion"], false);
}

#[test]
fn gcj02_trace_is_moved_back_onto_the_river() {
    // The same centreline once as WGS-84 and once as a GCJ-02 trace from a Chinese map app:
    // after conversion both plans must fly the same place, not 500 m apart.
    let dir = tempfile::tempdir().unwrap();
    let wgs = [(106.95, 27.05), (106.953, 27.052), (106.956, 27.055)];
    let gcj: Vec<(f64, f64)> = wgs
        .iter()
        .map(|&(lon, lat)| {
            let g = qly_core::datum::gcj02_from_wgs84(qly_core::geodesy::GeoPoint {
                lat_deg: lat,
                lon_deg: lon,
            });
            (g.lon_deg, g.lat_deg)
        })
        .collect();
    let body = |coords: &[(f64, f64)], datum: &str| {
        let c: Vec<String> = coords.iter().map(|(x, y)| format!("[{x},{y}]")).collect();
        format!(
            r#"{{"type":"Feature","properties":{{"width_m":40,"datum":"{datum}"}},
               "geometry":{{"type":"LineString","coordinates":[{}]}}}}"#,
            c.join(",")
        )
    };
    let a = write(dir.path(), "wgs.geojson", &body(&wgs, "WGS84"));
    let b = write(dir.path(), "gcj.geojson", &body(&gcj, "GCJ02"));
    let home = |p: &Path| {
        let out = run(&[
            "plan",
            p.to_str().unwrap(),
            "--out",
            dir.path().to_str().unwrap(),
        ]);
        assert!(out.status.success(), "{}", text(&out).1);
        let name = p.file_stem().unwrap().to_str().unwrap();
        let m = planner::input::read_wpl(&dir.path().join(format!("{name}.waypoints"))).unwrap();
        m.home.point
    };
    let (ha, hb) = (home(&a), home(&b));
    let d = ha.distance_m(hb);
    assert!(d < 0.05, "GCJ-02 plan is {d} m from the WGS-84 plan");
}

#[test]
fn ceiling_refuses_and_can_be_raised_explicitly() {
    let input = missions().join("sample-area.geojson");
    // 4 cm/px with the Mavic 3E needs 150 m: above the 120 m true-height rule.
    refused(&input, &["--gsd", "4"], &["120 m", "--ceiling"]);
    let dir = tempfile::tempdir().unwrap();
    let out = run(&[
        "plan",
        input.to_str().unwrap(),
        "--gsd",
        "4",
        "--ceiling",
        "200",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out).1);
}

#[test]
fn bad_inputs_are_named_not_panicked() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let line = |coords: &str, props: &str| {
        format!(
            r#"{{"type":"Feature","properties":{{{props}}},"geometry":{{"type":"LineString","coordinates":{coords}}}}}"#
        )
    };
    // Missing file.
    refused(&d.join("nope.geojson"), &[], &["nope.geojson"]);
    // Lat/lon swapped (latitude 106.95 is impossible).
    let swapped = write(
        d,
        "swapped.geojson",
        &line("[[27.05,106.95],[27.06,106.96]]", r#""width_m":60"#),
    );
    refused(&swapped, &[], &["swapped.geojson", "swapped"]);
    // Width <= 0.
    let narrow = write(
        d,
        "narrow.geojson",
        &line("[[106.95,27.05],[106.96,27.06]]", r#""width_m":0"#),
    );
    refused(&narrow, &[], &["narrow.geojson", "width_m"]);
    // Degenerate: one distinct point.
    let dot = write(
        d,
        "dot.geojson",
        &line("[[106.95,27.05],[106.95,27.05]]", r#""width_m":60"#),
    );
    refused(&dot, &[], &["dot.geojson"]);
    // Overlap of 100 % and an unknown camera.
    let ok = write(
        d,
        "ok.geojson",
        &line("[[106.95,27.05],[106.96,27.06]]", r#""width_m":60"#),
    );
    refused(&ok, &["--side-overlap", "100"], &["side_overlap", "100"]);
    refused(
        &ok,
        &["--camera", "Hasselblad X"],
        &["Hasselblad X", "known cameras"],
    );
    // Self-intersecting polygon (a bow tie).
    let bow = write(
        d,
        "bow.geojson",
        r#"{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[106.95,27.05],[106.96,27.06],[106.96,27.05],[106.95,27.06],[106.95,27.05]]]}}"#,
    );
    refused(&bow, &[], &["bow.geojson"]);
    // Not JSON at all.
    let junk = write(d, "junk.geojson", "this is not json");
    refused(&junk, &[], &["junk.geojson"]);
}
