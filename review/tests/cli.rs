//! The `review score` binary on the committed samples, and its bad-input errors.

use std::path::PathBuf;
use std::process::Command;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn review(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_review"))
        // English whatever the machine's locale: these tests read the English messages.
        .env("LC_ALL", "C.UTF-8")
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

/// `review patrol` and `review score --flight` read our own flight's journal, typed, and
/// count only its confirmed candidates (the header's rule), whatever GeoJSON lies about.
#[test]
fn patrol_and_score_read_the_flights_journal_and_its_confirmed_candidates() {
    let dir = temp_dir("journal");
    let flight = dir.join("flight");
    review::fixture::write_flight(
        &flight,
        &review::fixture::FixtureOptions {
            min_sightings: Some(2),
            ..Default::default()
        },
    )
    .unwrap();
    let folder = qly_flight::folder::FlightFolder::new(&flight);
    // A stale export naming other candidates must not be read.
    std::fs::write(
        folder.candidates_geojson(),
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":99},"geometry":{"type":"Point","coordinates":[0.0,0.0]}}]}"#,
    )
    .unwrap();
    // The truth: a target under every candidate (confirmed or not).
    let read = folder.read_records().unwrap();
    let features: Vec<serde_json::Value> = read
        .view
        .candidates
        .iter()
        .map(|c| {
            serde_json::json!({"type": "Feature",
                "properties": {"id": format!("T{}", c.id), "class": c.class_name},
                "geometry": {"type": "Point", "coordinates": [c.lon_deg, c.lat_deg]}})
        })
        .collect();
    assert_eq!(features.len(), 3);
    let truth = dir.join("truth.geojson");
    std::fs::write(
        &truth,
        serde_json::json!({"type": "FeatureCollection", "features": features}).to_string(),
    )
    .unwrap();
    let corridor = dir.join("corridor.geojson");
    std::fs::write(
        &corridor,
        r#"{"type":"Feature","properties":{"width_m":60},"geometry":{"type":"LineString","coordinates":[[106.95,27.05],[106.95,27.06]]}}"#,
    )
    .unwrap();
    let json = dir.join("figures.json");
    let (ok, out, err) = review(&[
        "patrol",
        flight.to_str().unwrap(),
        "--truth",
        truth.to_str().unwrap(),
        "--corridor",
        corridor.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    assert!(ok, "{out}\n{err}");
    let f: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    // Only candidate 1 is confirmed (two photos); it finds its target.
    assert_eq!(f["candidates"], 1, "{f}");
    assert_eq!(f["found_within_act_m"], 1, "{f}");
    assert_eq!(f["false_reports"], 0, "{f}");

    let (ok, out, err) = review(&[
        "score",
        "--targets",
        truth.to_str().unwrap(),
        "--flight",
        &format!("ours={}", flight.display()),
    ]);
    assert!(ok, "{out}\n{err}");
    let row = out
        .lines()
        .find(|l| l.contains("ours"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(row.contains("1/3"), "{row}\n{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `review` run with its language left to the locale: `LANG` as given, nothing else set.
fn review_in_locale(lang_env: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_review"))
        .current_dir(repo_root())
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANG", lang_env)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_chinese_locale_gets_a_chinese_board_aligned_by_display_width_and_a_csv_with_a_bom() {
    let dir = temp_dir("zh");
    let csv = dir.join("board.csv");
    let html = dir.join("board.html");
    let args = [
        "score",
        "--targets",
        "missions/targets-sample.geojson",
        "--team",
        "蓝队千里眼=missions/targets-sample-alpha.geojson",
        "--team",
        "bravo=missions/targets-sample-bravo.geojson",
        "--start",
        "2026-05-01T09:00:00+08:00",
        "--csv",
        csv.to_str().unwrap(),
        "--html",
        html.to_str().unwrap(),
    ];
    let (ok, out, err) = review_in_locale("zh_CN.UTF-8", &args);
    assert!(ok, "{err}");
    assert!(out.contains("排行榜") && out.contains("评分规则"), "{out}");
    // The judge's warnings too (bravo reports a class no target has).
    assert!(
        out.contains("警告：") && out.contains("未知类别“oil”"),
        "{out}"
    );
    // The leaderboard: every row's third column (score) starts at the same display column,
    // though the Chinese team name has 5 characters and 10 columns.
    let board: Vec<&str> = out
        .lines()
        .skip_while(|l| *l != "排行榜")
        .skip(1)
        .take(3)
        .collect();
    assert!(
        board[0].contains("名次") && board[1].contains("蓝队千里眼"),
        "{out}"
    );
    let score_col: Vec<usize> = board
        .iter()
        .zip(["得分", "", ""])
        .map(|(l, head)| {
            let cells: Vec<&str> = l.split("  ").filter(|c| !c.trim().is_empty()).collect();
            let third = if head.is_empty() {
                cells[2].trim()
            } else {
                head
            };
            qly_i18n::width::display_width(&l[..l.find(third).unwrap()])
        })
        .collect();
    assert_eq!(score_col, vec![score_col[0]; 3], "{board:#?}");

    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.starts_with("\u{feff}名次,队伍,得分,"), "{text}");
    assert!(
        text.lines().nth(1).unwrap().starts_with("1,蓝队千里眼,"),
        "{text}"
    );
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("<html lang=\"zh-CN\">") && page.contains("<title>目标发现竞赛</title>"));
    assert!(page.contains("Noto Sans CJK SC"));

    // --lang beats the locale; an English locale gets English.
    let (ok, out, _) = review_in_locale("zh_CN.UTF-8", &[&["--lang", "en"], &args[..]].concat());
    assert!(ok && out.contains("Leaderboard"), "{out}");
    let (ok, out, _) = review_in_locale("en_US.UTF-8", &args);
    assert!(ok && out.contains("Leaderboard"), "{out}");
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.starts_with("\u{feff}rank,team,score,"), "{text}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn an_unknown_language_is_refused_naming_the_choices() {
    let (ok, _, err) = review(&[
        "--lang",
        "fr",
        "score",
        "--targets",
        "x.geojson",
        "--team",
        "a=y.geojson",
    ]);
    assert!(!ok);
    assert!(
        err.contains("--lang") && err.contains("\"fr\"") && err.contains("zh-CN"),
        "{err}"
    );
}

/// A team's reports as CSV score exactly as the same reports as GeoJSON.
#[test]
fn csv_reports_score_as_their_geojson() {
    let dir = temp_dir("csv-team");
    let text =
        std::fs::read_to_string(repo_root().join("missions/targets-sample-alpha.geojson")).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut csv = String::from("id,lat,lon,class,time\n");
    for f in doc["features"].as_array().unwrap() {
        let c = &f["geometry"]["coordinates"];
        let p = &f["properties"];
        csv.push_str(&format!(
            "{},{},{},{},{}\n",
            p["id"].as_str().unwrap(),
            c[1],
            c[0],
            p["class"].as_str().unwrap(),
            p["time"]
        ));
    }
    let alpha_csv = dir.join("alpha.csv");
    std::fs::write(&alpha_csv, csv).unwrap();
    let mut boards = Vec::new();
    for team in [
        "alpha=missions/targets-sample-alpha.geojson".to_string(),
        format!("alpha={}", alpha_csv.display()),
    ] {
        let out = dir.join(format!("board-{}.csv", boards.len()));
        let (ok, _, err) = review(&[
            "score",
            "--targets",
            "missions/targets-sample.geojson",
            "--team",
            &team,
            "--start",
            "2026-05-01T09:00:00+08:00",
            "--csv",
            out.to_str().unwrap(),
        ]);
        assert!(ok, "{team}: {err}");
        boards.push(std::fs::read_to_string(&out).unwrap());
    }
    assert_eq!(boards[0], boards[1]);
    assert!(boards[0].contains(",alpha,"), "{}", boards[0]);
}
