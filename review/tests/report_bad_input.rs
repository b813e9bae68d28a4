//! Bad flight folders: each problem is a warning or an error that names the file (and the
//! byte offset for journal damage); the page still renders whenever it can.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use review::fixture::{write_flight, FixtureOptions};
use serde_json::json;

fn run(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_review"))
        // English whatever the machine's locale: these tests read the English messages.
        .env("LC_ALL", "C.UTF-8")
        .args(args)
        .output()
        .unwrap()
}

fn report(flight: &Path) -> (Output, String, PathBuf) {
    let page = flight.join("report.html");
    let o = run(&["report".as_ref(), flight.as_os_str()]);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    (o, err, page)
}

fn flight(tmp: &Path, options: FixtureOptions) -> PathBuf {
    let dir = tmp.join("flight");
    write_flight(&dir, &options).unwrap();
    dir
}

#[test]
fn missing_frames_are_named_and_shown_as_placeholders() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = flight(
        tmp.path(),
        FixtureOptions {
            missing_frames: vec![2, 4],
            ..Default::default()
        },
    );
    let (o, err, page) = report(&dir);
    assert!(o.status.success(), "{err}");
    for i in [2, 4] {
        let name = dir.join(format!("frames/{i}.jpg"));
        assert!(
            err.contains(&format!(
                "warning: {}: frame missing (image {i})",
                name.display()
            )),
            "{err}"
        );
    }
    let html = std::fs::read_to_string(&page).unwrap();
    let data = review::report::page_data(&html).unwrap();
    let cands = data["candidates"].as_array().unwrap();
    // Candidate 1's best view is frame 2, candidate 2's frame 4: their cards say so in place
    // of the thumbnails.
    for (i, frame) in [(0, 2), (1, 4)] {
        let expected = format!(
            "frame missing: {}",
            dir.join(format!("frames/{frame}.jpg")).display()
        );
        assert_eq!(cands[i]["missing"], json!(expected));
        assert!(cands[i].get("crop").is_none());
    }
    // Candidate 3's frame is there: two thumbnails beside the page.
    assert_eq!(cands[2]["crop"], json!("report-files/cards/3-crop.jpg"));
    let dir_of_page = page.parent().unwrap();
    for f in [
        "report-files/cards/3-crop.jpg",
        "report-files/cards/3-frame.jpg",
    ] {
        image::open(dir_of_page.join(f)).unwrap();
    }
    assert!(!dir_of_page.join("report-files/cards/1-crop.jpg").exists());
}

#[test]
fn a_damaged_journal_line_is_a_warning_with_its_byte_offset() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = flight(tmp.path(), FixtureOptions::default());
    let jp = dir.join("journal.qlj");
    let mut bytes = std::fs::read(&jp).unwrap();
    // Change one payload byte of the third line: its CRC no longer matches.
    let starts: Vec<usize> = std::iter::once(0)
        .chain(
            bytes
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .map(|(i, _)| i + 1),
        )
        .collect();
    let third = starts[2];
    bytes[third + 40] ^= 0x20;
    std::fs::write(&jp, &bytes).unwrap();
    let (o, err, _) = report(&dir);
    assert!(o.status.success(), "{err}");
    let expected = format!("warning: {}: byte offset {third}: ", jp.display());
    assert!(err.contains(&expected), "{err}");
    assert!(err.contains("CRC-32 mismatch"), "{err}");
}

#[test]
fn a_torn_journal_tail_is_a_warning_and_the_rest_is_reviewed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = flight(tmp.path(), FixtureOptions::default());
    let jp = dir.join("journal.qlj");
    let bytes = std::fs::read(&jp).unwrap();
    let cut = bytes.len() - 25;
    let last_start = bytes[..bytes.len() - 1]
        .iter()
        .rposition(|b| *b == b'\n')
        .unwrap()
        + 1;
    std::fs::write(&jp, &bytes[..cut]).unwrap();
    let (o, err, page) = report(&dir);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains(&format!("{}: byte offset {last_start}: ", jp.display())),
        "{err}"
    );
    assert!(err.contains("torn write"), "{err}");
    // The torn record was candidate 3's only one; the others are reviewed.
    let html = std::fs::read_to_string(page).unwrap();
    let data = review::report::page_data(&html).unwrap();
    let ids: Vec<u64> = data["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, vec![1, 2]);
}

#[test]
fn an_empty_journal_is_a_warning_and_an_empty_review() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = flight(tmp.path(), FixtureOptions::default());
    std::fs::write(dir.join("journal.qlj"), b"").unwrap();
    let (o, err, page) = report(&dir);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("journal.qlj: the journal holds no records"),
        "{err}"
    );
    let html = std::fs::read_to_string(page).unwrap();
    assert!(
        html.contains("0 confirmed candidates (0 unconfirmed)"),
        "page"
    );
}

#[test]
fn no_journal_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = flight(tmp.path(), FixtureOptions::default());
    std::fs::remove_file(dir.join("journal.qlj")).unwrap();
    let (o, err, page) = report(&dir);
    assert!(!o.status.success());
    assert!(
        err.contains(&format!(
            "{}: no journal",
            dir.join("journal.qlj").display()
        )),
        "{err}"
    );
    assert!(!page.exists());
    // And a path that is not a folder.
    let o = run(&["report".as_ref(), tmp.path().join("nowhere").as_os_str()]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a flight folder"));
}

#[test]
fn without_telemetry_the_track_comes_from_the_photos_and_the_page_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = flight(
        tmp.path(),
        FixtureOptions {
            no_tlog: true,
            ..Default::default()
        },
    );
    let (o, err, page) = report(&dir);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("telemetry.tlog: no telemetry log"), "{err}");
    let html = std::fs::read_to_string(page).unwrap();
    assert!(
        html.contains("NO TELEMETRY LOG; drawn from the 6 photos"),
        "page"
    );
}

#[test]
fn a_file_that_is_not_a_tlog_is_a_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = flight(tmp.path(), FixtureOptions::default());
    std::fs::write(
        dir.join("telemetry.tlog"),
        b"this is a CSV export, not a tlog\n",
    )
    .unwrap();
    let (o, err, _) = report(&dir);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("telemetry.tlog: byte 8: expected a MAVLink frame start"),
        "{err}"
    );
}

fn export(dir: &Path, decisions: &Path, out: &Path) -> Output {
    run(&[
        "export".as_ref(),
        dir.as_os_str(),
        "--decisions".as_ref(),
        decisions.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--inspector".as_ref(),
        "Li Wei".as_ref(),
        "--aircraft".as_ref(),
        "M300".as_ref(),
    ])
}

#[test]
fn decisions_for_unknown_candidates_are_an_error_naming_them() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = flight(tmp.path(), FixtureOptions::default());
    let d = tmp.path().join("decisions.json");
    std::fs::write(
        &d,
        json!({"format": "qly-decisions-1", "decisions": [
            {"candidate_id": 1, "decision": "confirmed"},
            {"candidate_id": 9, "decision": "confirmed"},
            {"candidate_id": 7, "decision": "rejected"}]})
        .to_string(),
    )
    .unwrap();
    let o = export(&dir, &d, &tmp.path().join("ev"));
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("candidate ids the flight's journal does not have: 7, 9"),
        "{err}"
    );
    assert!(err.contains("decisions.json"), "{err}");
    assert!(!tmp.path().join("ev").exists());
}

#[test]
fn decisions_from_another_journal_or_without_a_confirmation_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = flight(tmp.path(), FixtureOptions::default());
    let d = tmp.path().join("decisions.json");
    std::fs::write(
        &d,
        json!({"format": "qly-decisions-1", "journal_sha256": "ab".repeat(32),
               "decisions": [{"candidate_id": 1, "decision": "confirmed"}]})
        .to_string(),
    )
    .unwrap();
    let o = export(&dir, &d, &tmp.path().join("ev"));
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("the journal changed after the review"));

    std::fs::write(
        &d,
        json!({"format": "qly-decisions-1", "decisions": [{"candidate_id": 1, "decision": "rejected"}]}).to_string(),
    )
    .unwrap();
    let o = export(&dir, &d, &tmp.path().join("ev"));
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("no candidate is confirmed"));

    std::fs::write(&d, "{\"decisions\": 3}").unwrap();
    let o = export(&dir, &d, &tmp.path().join("ev"));
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a decisions file"));
}

#[test]
fn a_confirmed_candidate_without_its_photo_is_an_error_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = flight(
        tmp.path(),
        FixtureOptions {
            missing_frames: vec![5],
            ..Default::default()
        },
    );
    let d = tmp.path().join("decisions.json");
    std::fs::write(
        &d,
        json!({"format": "qly-decisions-1", "decisions": [{"candidate_id": 3, "decision": "confirmed"}]}).to_string(),
    )
    .unwrap();
    let o = export(&dir, &d, &tmp.path().join("ev"));
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&format!(
            "candidate 3: its evidence photo {} is missing",
            dir.join("frames/5.jpg").display()
        )),
        "{err}"
    );
}
