//! `review record`: the printable inspection records of an evidence package, printed by
//! headless Chromium. poppler's `pdftoppm` renders them (a page that is not blank) and
//! `pdftotext` reads back the coordinates, the China Standard Time and the hashes; a package
//! that does not verify gets no record. The evidence package's CSV and KML in Chinese are
//! checked on the way.
//!
//! Needs Debian's `chromium` and `poppler-utils` (scripts/setup-env.sh installs both, and
//! fonts-noto-cjk); skips with a note when absent, fails under `CI`.
//! `QLY_SCREENSHOT_DIR=DIR` keeps the rendered pages for a human to look at.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{json, Value};

fn review(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_review"))
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

fn on_path(name: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(name).is_file()))
}

/// Chromium and poppler, or a skip note (a failure under CI).
fn require_tools() -> bool {
    let chromium = std::env::var_os("QLY_CHROMIUM").is_some()
        || ["chromium", "chromium-browser", "google-chrome"]
            .iter()
            .any(|n| on_path(n));
    let missing: Vec<&str> = [
        ("chromium", chromium),
        ("pdftoppm", on_path("pdftoppm")),
        ("pdftotext", on_path("pdftotext")),
    ]
    .into_iter()
    .filter(|(_, ok)| !ok)
    .map(|(n, _)| n)
    .collect();
    if missing.is_empty() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{missing:?} not found and CI is set: run scripts/setup-env.sh"
    );
    eprintln!("SKIPPED: {missing:?} not found (scripts/setup-env.sh installs them)");
    false
}

/// A flight, decisions confirming candidate 1 only, and its package exported in Chinese.
fn package(tmp: &Path) -> (PathBuf, PathBuf) {
    let flight = tmp.join("flight");
    review::fixture::write_flight(&flight, &Default::default()).unwrap();
    let decisions = tmp.join("decisions.json");
    std::fs::write(
        &decisions,
        json!({"format": "qly-decisions-1", "decisions": [
            {"candidate_id": 1, "revision": 2, "decision": "confirmed", "decided_utc": "2027-01-15T10:00:00.000Z"},
            {"candidate_id": 2, "decision": "rejected"}]})
        .to_string(),
    )
    .unwrap();
    let out = tmp.join("evidence");
    let o = review(&[
        "--lang".as_ref(),
        "zh-CN".as_ref(),
        "export".as_ref(),
        flight.as_os_str(),
        "--decisions".as_ref(),
        decisions.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--inspector".as_ref(),
        "李伟（0427）".as_ref(),
        "--aircraft".as_ref(),
        "M300 RTK SN 1ZNBJ7".as_ref(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    (flight, out)
}

fn manifest(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap()
}

#[test]
fn the_package_in_chinese_has_a_bom_csv_and_kml_titles() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, ev) = package(tmp.path());
    let csv = std::fs::read_to_string(ev.join("candidates.csv")).unwrap();
    assert!(
        csv.starts_with("\u{feff}候选编号,类别,时间_UTC,时间_北京时间,纬度_WGS84_度"),
        "{csv}"
    );
    assert!(
        csv.lines().nth(1).unwrap().contains(",李伟（0427）,"),
        "{csv}"
    );
    let kml = std::fs::read_to_string(ev.join("candidates.kml")).unwrap();
    assert!(kml.contains("<name>flight 已确认候选</name>"), "{kml}");
    assert!(
        kml.contains("<Data name=\"confirmed_by\"><displayName>确认人</displayName><value>李伟（0427）</value></Data>"),
        "{kml}"
    );
}

#[test]
fn a_record_that_pdftotext_reads_back_with_coordinates_time_and_hashes() {
    if !require_tools() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (flight, ev) = package(tmp.path());
    let m = manifest(&ev);
    let head = m["head_sha256"].as_str().unwrap().to_string();
    let c1 = m["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "candidate" && e["candidate_id"] == 1)
        .unwrap()
        .clone();
    let out = tmp.path().join("records");
    let o = review(&[
        "--lang".as_ref(),
        "zh-CN".as_ref(),
        "record".as_ref(),
        flight.as_os_str(),
        "--evidence".as_ref(),
        ev.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains(&head), "{}", text(&o));
    let pdf = out.join("record-candidate-1.pdf");
    assert!(out.join("record-flight.pdf").is_file());
    assert!(
        !out.join("record-candidate-2.pdf").exists(),
        "a rejected candidate got a record"
    );

    let t = Command::new("pdftotext")
        .args(["-layout"])
        .arg(&pdf)
        .arg("-")
        .output()
        .unwrap();
    assert!(t.status.success());
    let words = String::from_utf8_lossy(&t.stdout);
    let deg = |k: &str| format!("{:.7}", c1[k].as_f64().unwrap());
    for needle in [
        format!("{}, {}", deg("lat_wgs84_deg"), deg("lon_wgs84_deg")),
        format!("{}, {}", deg("lat_gcj02_deg"), deg("lon_gcj02_deg")),
        // The photo is 08:00:04 UTC: 16:00:04 in China.
        "2027-01-15 16:00:04".to_string(),
        "北京时间".to_string(),
        "现场检查记录".to_string(),
        head.clone(),
        c1["photo_sha256"].as_str().unwrap().to_string(),
        c1["entry_sha256"].as_str().unwrap().to_string(),
    ] {
        assert!(
            words.contains(&needle),
            "{needle} not in the PDF's text:\n{words}"
        );
    }
    // The flight's record lists the finding and cites the same head.
    let t = Command::new("pdftotext")
        .arg(out.join("record-flight.pdf"))
        .arg("-")
        .output()
        .unwrap();
    let flight_words = String::from_utf8_lossy(&t.stdout);
    assert!(
        flight_words.contains("航次检查记录") && flight_words.contains(&head),
        "{flight_words}"
    );

    // pdftoppm renders page 1: a filled-in form, not a blank page.
    let prefix = tmp.path().join("page");
    let r = Command::new("pdftoppm")
        .args(["-r", "60", "-png", "-f", "1", "-l", "1"])
        .arg(&pdf)
        .arg(&prefix)
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", text(&r));
    let png = std::fs::read_dir(tmp.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "png"))
        .expect("pdftoppm wrote no PNG");
    let img = image::open(&png).unwrap().to_rgb8();
    // A4 at 60 dpi: about 496 x 702.
    assert!((480..=510).contains(&img.width()) && (690..=715).contains(&img.height()));
    let dark = img
        .pixels()
        .filter(|p| p.0.iter().all(|c| *c < 128))
        .count();
    let coloured = img
        .pixels()
        .filter(|p| p.0.iter().max().unwrap() - p.0.iter().min().unwrap() > 60)
        .count();
    // Text and table lines, and the crop and the map insets in colour.
    assert!(dark > 2000, "only {dark} dark pixels");
    assert!(coloured > 2000, "only {coloured} coloured pixels");
    if let Some(keep) = std::env::var_os("QLY_SCREENSHOT_DIR") {
        std::fs::create_dir_all(&keep).unwrap();
        std::fs::copy(&png, Path::new(&keep).join("record-candidate-1-zh.png")).unwrap();
    }
}

#[test]
fn a_package_that_does_not_verify_gets_no_record() {
    let tmp = tempfile::tempdir().unwrap();
    let (flight, ev) = package(tmp.path());
    // One byte of the evidence photo changed.
    let photo = ev.join("frames/2.jpg");
    let mut bytes = std::fs::read(&photo).unwrap();
    let n = bytes.len();
    bytes[n / 2] ^= 0xff;
    std::fs::write(&photo, bytes).unwrap();
    let out = tmp.path().join("records");
    let o = review(&[
        "record".as_ref(),
        flight.as_os_str(),
        "--evidence".as_ref(),
        ev.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        // Never reached: the package is checked first.
        "--chromium".as_ref(),
        "/nonexistent/chromium".as_ref(),
    ]);
    assert!(!o.status.success());
    let t = text(&o);
    assert!(
        t.contains("does not verify") && t.contains("frames/2.jpg"),
        "{t}"
    );
    assert!(!out.exists(), "records written for a broken package");
}
