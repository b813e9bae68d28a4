//! The planner stays bounded: a large accepted area plans under a memory limit, and surveys
//! past the sane bounds are refused before planning, with the estimate and the flag to
//! override, under a limit far below what planning them would take. The planner runs as a
//! child with its address space capped (RLIMIT_AS), so an unbounded allocation fails the
//! test instead of taking the machine's memory.

mod formats_support;

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `planner plan INPUT --out <tmp> EXTRA...` with its address space capped at `limit_mb`.
fn plan_limited(input: &Path, extra: &[&str], limit_mb: u64) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_planner"));
    cmd.env("RUST_BACKTRACE", "0")
        .arg("plan")
        .arg(input)
        .arg("--out")
        .arg(dir.path().join("out"))
        .args(extra);
    let bytes = limit_mb << 20;
    // SAFETY: between fork and exec the closure only calls setrlimit, which is
    // async-signal-safe, on a struct on its own stack.
    unsafe {
        cmd.pre_exec(move || {
            let lim = libc::rlimit {
                rlim_cur: bytes as libc::rlim_t,
                rlim_max: bytes as libc::rlim_t,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd.output().expect("planner runs")
}

/// A GeoJSON square `side_km` on a side (south-west corner at 27.05 N, 106.95 E) in `dir`.
fn square(dir: &Path, side_km: f64) -> PathBuf {
    let (lat0, lon0) = (27.05_f64, 106.95_f64);
    let dlat = side_km * 1000.0 / 110_800.0;
    let dlon = side_km * 1000.0 / (111_320.0 * (lat0 + dlat / 2.0).to_radians().cos());
    let ring = [
        (lon0, lat0),
        (lon0 + dlon, lat0),
        (lon0 + dlon, lat0 + dlat),
        (lon0, lat0 + dlat),
        (lon0, lat0),
    ]
    .iter()
    .map(|(x, y)| format!("[{x}, {y}]"))
    .collect::<Vec<_>>()
    .join(", ");
    let path = dir.join(format!("square-{side_km}km.geojson"));
    std::fs::write(
        &path,
        format!(r#"{{"type": "Feature", "properties": {{}}, "geometry": {{"type": "Polygon", "coordinates": [[{ring}]]}}}}"#),
    )
    .unwrap();
    path
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_large_area_plans_under_a_memory_limit() {
    let dir = tempfile::tempdir().unwrap();
    // 9 km2: about 18 000 photos, some 120 MB at its peak (see planner::bounds).
    let out = plan_limited(&square(dir.path(), 3.0), &[], 400);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}\n{text}", stderr(&out));
    let photos: usize = text
        .lines()
        .find_map(|l| l.strip_prefix("photos"))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("a photos line");
    assert!((15_000..22_000).contains(&photos), "{photos}\n{text}");
    // No battery given: the sortie is longer than the one assumed, and the warning says so.
    let err = stderr(&out);
    assert!(
        err.contains("warning: sortie 1 of 1 flies") && err.contains("assumed"),
        "{err}"
    );
}

#[test]
fn a_survey_past_the_bounds_is_refused_with_its_estimate_under_a_small_limit() {
    let dir = tempfile::tempdir().unwrap();
    // 80 km x 80 km: inside the readers' 100 km extent, millions of photos.
    let big = square(dir.path(), 80.0);
    let out = plan_limited(&big, &[], 256);
    assert!(!out.status.success());
    let err = stderr(&out);
    for needle in [
        "too large to plan as one",
        "photos",
        "h of survey lanes",
        "MB of memory",
        "an area of 64",
        "more than 100000 photos",
        "--allow-large",
    ] {
        assert!(err.contains(needle), "lacks '{needle}':\n{err}");
    }
    // Overriding the sane bounds does not lift the memory bound.
    let out = plan_limited(&big, &["--allow-large"], 256);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("more than the 200000 one plan may hold") && !err.contains("panicked"),
        "{err}"
    );
}

#[test]
fn qgroundcontrols_one_degree_polygon_is_refused_under_a_small_limit() {
    let Some(p) = formats_support::fixture("qgc/polygon.kml") else {
        return;
    };
    let out = plan_limited(&p, &["--allow-large"], 256);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("expected at most 100 km either way") && !err.contains("panicked"),
        "{err}"
    );
}
