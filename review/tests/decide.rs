//! `review decide` through the binary: decisions by candidate id into the flight's
//! decisions.json, which `review export` then accepts; `--confirm-all` says loudly that
//! nobody looked; unknown ids and contradictions are refused.

use std::path::Path;
use std::process::{Command, Output};

use review::evidence::decisions::{read_decisions, Verdict};

fn review(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_review"))
        // English whatever the machine's locale: these tests read the English messages.
        .env("LC_ALL", "C.UTF-8")
        .args(args)
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn flight(tmp: &Path) -> std::path::PathBuf {
    let flight = tmp.join("flight");
    review::fixture::write_flight(&flight, &Default::default()).unwrap();
    flight
}

fn ids(flight: &Path) -> std::collections::BTreeSet<u64> {
    review::flight::read_flight(flight)
        .unwrap()
        .candidates()
        .iter()
        .map(|c| c.id)
        .collect()
}

#[test]
fn decisions_by_id_are_kept_and_updated_and_export_accepts_them() {
    let tmp = tempfile::tempdir().unwrap();
    let flight = flight(tmp.path());
    let o = review(&[
        "decide".as_ref(),
        flight.as_os_str(),
        "--confirm".as_ref(),
        "1,3".as_ref(),
        "--reject".as_ref(),
        "2".as_ref(),
        "--inspector".as_ref(),
        "Li Wei (0427)".as_ref(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let file = flight.join("decisions.json");
    let d = read_decisions(&file, &ids(&flight), None).unwrap();
    let verdict = |id| {
        d.decisions
            .iter()
            .find(|x| x.candidate_id == id)
            .map(|x| x.decision)
    };
    assert_eq!(verdict(1), Some(Verdict::Confirmed));
    assert_eq!(verdict(2), Some(Verdict::Rejected));
    assert_eq!(verdict(3), Some(Verdict::Confirmed));
    assert!(d.journal_sha256.is_some());
    assert!(d
        .decisions
        .iter()
        .all(|x| x.inspector.as_deref() == Some("Li Wei (0427)") && x.decided_utc.is_some()));

    // A second decision on candidate 3 replaces the first; the others stay.
    let o = review(&[
        "decide".as_ref(),
        flight.as_os_str(),
        "--reject".as_ref(),
        "3".as_ref(),
        "--inspector".as_ref(),
        "Zhang Min (0311)".as_ref(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let d = read_decisions(&file, &ids(&flight), None).unwrap();
    assert_eq!(d.decisions.len(), 3);
    let three = d.decisions.iter().find(|x| x.candidate_id == 3).unwrap();
    assert_eq!(three.decision, Verdict::Rejected);
    assert_eq!(three.inspector.as_deref(), Some("Zhang Min (0311)"));

    let out = tmp.path().join("evidence");
    let o = review(&[
        "export".as_ref(),
        flight.as_os_str(),
        "--decisions".as_ref(),
        file.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--inspector".as_ref(),
        "Li Wei (0427)".as_ref(),
        "--aircraft".as_ref(),
        "M300 RTK SN 1ZNBJ7".as_ref(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("1 confirmed candidates"), "{}", text(&o));
}

#[test]
fn confirm_all_says_nobody_looked() {
    let tmp = tempfile::tempdir().unwrap();
    let flight = flight(tmp.path());
    let o = review(&[
        "decide".as_ref(),
        flight.as_os_str(),
        "--confirm-all".as_ref(),
        "--inspector".as_ref(),
        "demo".as_ref(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("CONFIRMED WITHOUT ANYONE LOOKING"),
        "{}",
        text(&o)
    );
    let d = read_decisions(&flight.join("decisions.json"), &ids(&flight), None).unwrap();
    assert!(!d.decisions.is_empty());
    assert!(d.decisions.iter().all(|x| x.decision == Verdict::Confirmed));
}

#[test]
fn unknown_ids_contradictions_and_nothing_to_do_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let flight = flight(tmp.path());
    let run = |extra: &[&str]| {
        let mut args: Vec<&std::ffi::OsStr> = vec!["decide".as_ref(), flight.as_os_str()];
        args.extend(extra.iter().map(std::ffi::OsStr::new));
        args.extend([
            std::ffi::OsStr::new("--inspector"),
            std::ffi::OsStr::new("Li Wei"),
        ]);
        review(&args)
    };
    let o = run(&["--confirm", "99"]);
    assert!(!o.status.success());
    assert!(text(&o).contains("no candidate with id 99"), "{}", text(&o));
    let o = run(&["--confirm", "1", "--reject", "1"]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("both in --confirm and --reject"),
        "{}",
        text(&o)
    );
    let o = run(&[]);
    assert!(!o.status.success());
    assert!(text(&o).contains("nothing to decide"), "{}", text(&o));
    assert!(!flight.join("decisions.json").exists());
}

#[test]
fn by_truth_confirms_candidates_on_a_target_of_their_class_and_rejects_the_rest() {
    let tmp = tempfile::tempdir().unwrap();
    let flight = flight(tmp.path());
    let f = review::flight::read_flight(&flight).unwrap();
    let cands = f.candidates();
    assert!(
        cands.len() >= 2,
        "the fixture has {} candidates",
        cands.len()
    );
    // A target of its own class 2 m north of the first candidate; a target of the other class
    // on top of the second; nothing near the others.
    let first = &cands[0];
    let second = &cands[1];
    let other = |c: &str| if c == "outfall" { "plume" } else { "outfall" };
    let north = 2.0 / 111_320.0;
    let truth = serde_json::json!({
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "id": "t1",
             "geometry": {"type": "Point", "coordinates": [first.lon_deg, first.lat_deg + north]},
             "properties": {"id": "t1", "class": first.class_name}},
            {"type": "Feature", "id": "t2",
             "geometry": {"type": "Point", "coordinates": [second.lon_deg, second.lat_deg]},
             "properties": {"id": "t2", "class": other(&second.class_name)}},
        ]
    });
    let truth_path = tmp.path().join("truth.geojson");
    std::fs::write(&truth_path, truth.to_string()).unwrap();
    let o = review(&[
        "decide".as_ref(),
        flight.as_os_str(),
        "--by-truth".as_ref(),
        truth_path.as_os_str(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("not by an inspector"), "{}", text(&o));
    let d = read_decisions(&flight.join("decisions.json"), &ids(&flight), None).unwrap();
    assert_eq!(d.decisions.len(), cands.len(), "every candidate is decided");
    for x in &d.decisions {
        let want = if x.candidate_id == first.id {
            Verdict::Confirmed
        } else {
            Verdict::Rejected
        };
        // Any other candidate of the first's class within 10 m of t1 is confirmed too.
        let near_t1 = cands.iter().any(|c| {
            c.id == x.candidate_id
                && c.class_name == first.class_name
                && (c.lat_deg - first.lat_deg - north).abs() * 111_320.0 < 9.0
                && (c.lon_deg - first.lon_deg).abs() * 99_000.0 < 9.0
        });
        if !near_t1 {
            assert_eq!(x.decision, want, "candidate {}", x.candidate_id);
        }
        assert!(x.inspector.as_deref().unwrap().contains("ground truth"));
    }
    // A radius that is not a distance is refused.
    let o = review(&[
        "decide".as_ref(),
        flight.as_os_str(),
        "--by-truth".as_ref(),
        truth_path.as_os_str(),
        "--truth-within-m".as_ref(),
        "-1".as_ref(),
    ]);
    assert!(!o.status.success());
}
