//! `planner plan --dem` as a pilot uses it: the sample corridor over its (synthetic) elevation
//! model, and clear errors for elevation models that cannot be used.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn missions() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../missions")
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_planner"))
        .env("RUST_BACKTRACE", "0")
        .env("LC_ALL", "C.UTF-8")
        .args(args)
        .output()
        .expect("planner runs")
}

/// The number after `label` on the summary line starting with `line`.
fn figure(stdout: &str, line: &str, label: &str) -> f64 {
    let l = stdout
        .lines()
        .find(|l| l.starts_with(line))
        .unwrap_or_else(|| panic!("no '{line}' line in\n{stdout}"));
    let rest = &l[l
        .find(label)
        .unwrap_or_else(|| panic!("no '{label}' in {l}"))
        + label.len()..];
    rest.trim_start()
        .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no number after '{label}' in {l}"))
}

#[test]
fn the_sample_corridor_follows_its_valley() {
    let dir = tempfile::tempdir().unwrap();
    let input = missions().join("sample-corridor.geojson");
    let dem = missions().join("sample-corridor-dem.tif");
    for frame in ["relative", "terrain"] {
        let out_dir = dir.path().join(frame);
        let out = run(&[
            "plan",
            input.to_str().unwrap(),
            "--dem",
            dem.to_str().unwrap(),
            "--alt-frame",
            frame,
            // About terrain following, not the vehicle's store: the whole corridor over the
            // synthetic valley is one mission of more than 650 items.
            "--max-items",
            "0",
            "--out",
            out_dir.to_str().unwrap(),
        ]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stdout}\n{stderr}");
        println!("--alt-frame {frame}\n{stdout}");
        let deviation = figure(&stdout, "lanes AGL", "largest deviation from target");
        assert!(deviation <= 5.0, "{deviation}");
        let path_max = figure(&stdout, "path AGL", "to");
        assert!(path_max <= 120.0, "{path_max}");
        let coverage = figure(&stdout, "coverage", "coverage");
        assert!(coverage >= 99.9, "{coverage}");
        let plan = std::fs::read_to_string(out_dir.join("sample-corridor.plan")).unwrap();
        let want = if frame == "terrain" {
            "\"frame\": 10"
        } else {
            "\"frame\": 3"
        };
        assert!(plan.contains(want));
    }
}

#[test]
fn unusable_elevation_models_are_refused_naming_the_file_and_the_place() {
    let dir = tempfile::tempdir().unwrap();
    let dem = missions().join("sample-corridor-dem.tif");
    // A corridor 300 km away from the sample DEM.
    let far = dir.path().join("far.geojson");
    std::fs::write(
        &far,
        r#"{"type":"Feature","properties":{"width_m":40},"geometry":{"type":"LineString",
            "coordinates":[[106.5,29.5],[106.51,29.5]]}}"#,
    )
    .unwrap();
    let out_dir = dir.path().join("out");
    let out = run(&[
        "plan",
        far.to_str().unwrap(),
        "--dem",
        dem.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("sample-corridor-dem.tif")
            && stderr.contains("outside the elevation model"),
        "{stderr}"
    );
    assert!(stderr.contains("29.5"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    // Not a GeoTIFF at all.
    let junk = dir.path().join("junk.tif");
    std::fs::write(&junk, b"not a tiff").unwrap();
    let input = missions().join("sample-corridor.geojson");
    let out = run(&[
        "plan",
        input.to_str().unwrap(),
        "--dem",
        junk.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("junk.tif") && stderr.contains("--dem"),
        "{stderr}"
    );
    // EGM2008 is refused (no EGM2008 geoid ships), naming the file.
    let out = run(&[
        "plan",
        input.to_str().unwrap(),
        "--dem",
        dem.to_str().unwrap(),
        "--dem-datum",
        "egm2008",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("sample-corridor-dem.tif"), "{stderr}");
}
