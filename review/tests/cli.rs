//! The `review score` binary on the committed samples, and its bad-input errors.

use std::path::PathBuf;
use std::process::Command;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn review(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_review"))
        .current_dir(repo_root())
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("review-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_readme_command_scores_the_samples() {
    let dir = temp_dir("samples");
    let csv = dir.join("board.csv");
    let html = dir.join("board.html");
    let (ok, out, err) = review(&[
        "score",
        "--targets",
        "missions/targets-sample.geojson",
        "--team",
        "alpha=missions/targets-sample-alpha.geojson",
        "--team",
        "bravo=missions/targets-sample-bravo.geojson",
        "--team",
        "charlie=missions/targets-sample-charlie.geojson",
        "--datum",
        "charlie=gcj02",
        "--start",
        "2026-05-01T09:00:00+08:00",
        "--csv",
        csv.to_str().unwrap(),
        "--html",
        html.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("Leaderboard"), "{out}");
    // alpha finds 7 of 8 with one false report, charlie 6 (after the GCJ-02 conversion),
    // bravo 5 with three false reports (a duplicate, one beyond 15 m, an unknown class).
    let csv_text = std::fs::read_to_string(&csv).unwrap();
    let rows: Vec<Vec<&str>> = csv_text
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    let summary: Vec<(&str, &str, &str, &str)> =
        rows.iter().map(|r| (r[0], r[1], r[3], r[5])).collect();
    assert_eq!(
        summary,
        vec![
            ("1", "alpha", "7", "1"),
            ("2", "charlie", "6", "0"),
            ("3", "bravo", "5", "3")
        ]
    );
    assert!(out.contains("duplicates feature 4 (id \"b4\")"), "{out}");
    assert!(out.contains("unknown class 'oil'"), "{out}");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("<td>charlie</td>"));
    // Self-contained: nothing is fetched.
    for needle in ["http://", "https://", "<script", "<link"] {
        assert!(!page.contains(needle), "the page contains {needle}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn gcj02_reports_without_the_datum_option_warn() {
    let (ok, out, _) = review(&[
        "score",
        "--targets",
        "missions/targets-sample.geojson",
        "--team",
        "charlie=missions/targets-sample-charlie.geojson",
    ]);
    assert!(ok);
    assert!(
        out.contains("missions/targets-sample-charlie.geojson: reports sit a median"),
        "{out}"
    );
    assert!(out.contains("--datum charlie=gcj02"), "{out}");
}

#[test]
fn the_suas_preset_runs() {
    let (ok, out, err) = review(&[
        "score",
        "--preset",
        "suas",
        "--targets",
        "missions/targets-sample.geojson",
        "--team",
        "alpha=missions/targets-sample-alpha.geojson",
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("no distance gate"), "{out}");
}

#[test]
fn bad_input_fails_naming_the_file() {
    let dir = temp_dir("bad");
    let swapped = dir.join("swapped.geojson");
    let text =
        std::fs::read_to_string(repo_root().join("missions/targets-sample-alpha.geojson")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    for f in v["features"].as_array_mut().unwrap() {
        f["geometry"]["coordinates"]
            .as_array_mut()
            .unwrap()
            .reverse();
    }
    std::fs::write(&swapped, v.to_string()).unwrap();
    let empty = dir.join("empty.geojson");
    std::fs::write(&empty, "").unwrap();

    let team = format!("alpha={}", swapped.display());
    let (ok, _, err) = review(&[
        "score",
        "--targets",
        "missions/targets-sample.geojson",
        "--team",
        &team,
    ]);
    assert!(!ok);
    assert!(
        err.contains(&format!(
            "{}: feature 1 (id \"a1\"): coordinates look swapped",
            swapped.display()
        )),
        "{err}"
    );

    let team = format!("x={}", empty.display());
    let (ok, _, err) = review(&[
        "score",
        "--targets",
        "missions/targets-sample.geojson",
        "--team",
        &team,
    ]);
    assert!(!ok);
    assert!(
        err.contains(&format!("{}: no features", empty.display())),
        "{err}"
    );

    let (ok, _, err) = review(&[
        "score",
        "--targets",
        "missions/targets-sample.geojson",
        "--team",
        "alpha=missions/targets-sample-alpha.geojson",
        "--datum",
        "zulu=gcj02",
    ]);
    assert!(!ok);
    assert!(err.contains("--datum names team 'zulu'"), "{err}");

    let (ok, _, err) = review(&[
        "score",
        "--targets",
        "missions/targets-sample.geojson",
        "--team",
        "alpha=missions/targets-sample-alpha.geojson",
        "--location-zero-at-m",
        "2",
    ]);
    assert!(!ok);
    assert!(err.contains("invalid settings"), "{err}");
    std::fs::remove_dir_all(dir).unwrap();
}
