//! The review page in real headless Chromium: it renders (a screenshot that is not blank),
//! a real mouse click on "Confirm" (CDP `Input.dispatchMouseEvent`) changes the exported
//! decisions, and the file the "Download decisions.json" button saves drives `review export`.
//!
//! Needs Debian's `chromium` (or `QLY_CHROMIUM`); skips with a note when absent, fails under
//! `CI`. `QLY_SCREENSHOT_DIR=DIR` keeps the screenshots for a human to look at.
//!
//! The map: a real click on a candidate's marker opens (fills, scrolls to and marks) its
//! card; the class, confidence and decision filters take candidates off the map and the list;
//! zoomed out until the markers meet, their labels do not overprint.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{file_url, open_page, require_chromium, Cdp, FLAGS};
use serde_json::{json, Value};
use tungstenite::Message;

/// A flight folder with frame 4 missing, and its report.
fn make_report(dir: &Path) -> (PathBuf, String) {
    let flight = dir.join("flight");
    review::fixture::write_flight(
        &flight,
        &review::fixture::FixtureOptions {
            missing_frames: vec![4],
            ..Default::default()
        },
    )
    .unwrap();
    let page = dir.join("report.html");
    let out = Command::new(env!("CARGO_BIN_EXE_review"))
        // English whatever the machine's locale: these tests read the English messages.
        .env("LC_ALL", "C.UTF-8")
        .arg("report")
        .arg(&flight)
        .arg("--out")
        .arg(&page)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    (flight, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn the_page_renders_in_chromium_and_is_not_blank() {
    let Some(chrome) = require_chromium() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let (_, stderr) = make_report(tmp.path());
    assert!(stderr.contains("frames/4.jpg"), "{stderr}");
    let shot = tmp.path().join("shot.png");
    let out = Command::new(&chrome)
        .args(FLAGS)
        .arg(format!(
            "--user-data-dir={}",
            tmp.path().join("profile").display()
        ))
        .arg("--window-size=1000,1800")
        .arg(format!("--screenshot={}", shot.display()))
        .arg(file_url(&tmp.path().join("report.html")))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(out.success());
    let img = image::open(&shot).unwrap().to_rgb8();
    assert_eq!((img.width(), img.height()), (1000, 1800));
    let total = (img.width() * img.height()) as usize;
    let non_white = img
        .pixels()
        .filter(|p| p.0.iter().any(|c| *c < 235))
        .count();
    let mut colours: Vec<[u8; 3]> = img.pixels().map(|p| p.0).collect();
    colours.sort_unstable();
    colours.dedup();
    // The map background, the thumbnails and the text cover far more than a blank page.
    assert!(
        non_white * 5 > total,
        "only {non_white} of {total} pixels are not white"
    );
    assert!(colours.len() > 200, "only {} colours", colours.len());
    // The map's background colour (#f4f1ea) is on screen: the map rendered.
    assert!(img.pixels().filter(|p| p.0 == [0xf4, 0xf1, 0xea]).count() > 10_000);
    if let Some(dir) = std::env::var_os("QLY_SCREENSHOT_DIR") {
        std::fs::copy(&shot, Path::new(&dir).join("review-report.png")).unwrap();
    }
}

#[test]
fn clicking_confirm_changes_the_exported_decisions_and_the_download_drives_export() {
    let Some(chrome) = require_chromium() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let (flight, _) = make_report(tmp.path());
    let (_browser, mut cdp) = open_page(
        &chrome,
        &tmp.path().join("profile"),
        &file_url(&tmp.path().join("report.html")),
    );

    assert_eq!(cdp.decisions()["decisions"], json!([]));
    assert_eq!(
        cdp.eval("document.getElementById('status-1').textContent"),
        json!("undecided")
    );

    cdp.click("#cand-1 button.confirm");
    let d = cdp.decisions();
    assert_eq!(d["decisions"].as_array().unwrap().len(), 1, "{d}");
    assert_eq!(d["decisions"][0]["candidate_id"], json!(1));
    assert_eq!(d["decisions"][0]["decision"], json!("confirmed"));
    assert_eq!(d["decisions"][0]["revision"], json!(2));
    // Visible in the page: the card's status and the decisions block.
    assert_eq!(
        cdp.eval("document.getElementById('status-1').textContent"),
        json!("confirmed")
    );
    assert_eq!(
        cdp.eval("document.getElementById('cand-1').classList.contains('confirmed')"),
        json!(true)
    );
    let shown: Value = serde_json::from_str(
        cdp.eval("document.getElementById('decisions-json').textContent")
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(shown["decisions"], d["decisions"]);

    // Reject 2 and 3, then change our mind about 3.
    cdp.click("#cand-2 button.reject");
    cdp.eval("document.querySelector('#cand-3 button.reject').click()");
    cdp.click("#cand-3 button.confirm");
    let d = cdp.decisions();
    let verdicts: Vec<(u64, String)> = d["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["candidate_id"].as_u64().unwrap(),
                x["decision"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        verdicts,
        vec![
            (1, "confirmed".into()),
            (2, "rejected".into()),
            (3, "confirmed".into())
        ]
    );

    // The download button saves decisions.json (a Blob download) into a folder we choose.
    let downloads = tmp.path().join("downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    cdp.call(
        "Page.setDownloadBehavior",
        json!({"behavior": "allow", "downloadPath": downloads.display().to_string()}),
    );
    cdp.click("#download");
    let saved = downloads.join("decisions.json");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !saved.is_file() {
        assert!(
            Instant::now() < deadline,
            "decisions.json was not downloaded"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(300));
    let file: Value = serde_json::from_str(&std::fs::read_to_string(&saved).unwrap()).unwrap();
    assert_eq!(file["decisions"], d["decisions"]);

    // ... which `review export` accepts: the package holds the two confirmed candidates.
    let evidence = tmp.path().join("evidence");
    let out = Command::new(env!("CARGO_BIN_EXE_review"))
        // English whatever the machine's locale: these tests read the English messages.
        .env("LC_ALL", "C.UTF-8")
        .args(["export"])
        .arg(&flight)
        .arg("--decisions")
        .arg(&saved)
        .arg("--out")
        .arg(&evidence)
        .args([
            "--inspector",
            "Li Wei (0427)",
            "--aircraft",
            "M300 RTK SN 1ZNBJ7",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(evidence.join("manifest.json")).unwrap())
            .unwrap();
    let ids: Vec<u64> = manifest["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "candidate")
        .map(|e| e["candidate_id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, vec![1, 3]);
}

/// A flight with a header confirming at 2 photos (candidate 1 confirmed; 2 and 3 seen once),
/// and its report.
fn make_confirming_report(dir: &Path) -> PathBuf {
    let flight = dir.join("flight2");
    review::fixture::write_flight(
        &flight,
        &review::fixture::FixtureOptions {
            min_sightings: Some(2),
            ..Default::default()
        },
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_review"))
        // English whatever the machine's locale: these tests read the English messages.
        .env("LC_ALL", "C.UTF-8")
        .arg("report")
        .arg(&flight)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    flight
}

fn hidden(cdp: &mut Cdp, selector: &str) -> bool {
    cdp.eval(&format!(
        "getComputedStyle(document.querySelector('{selector}')).display === 'none'"
    )) == json!(true)
}

#[test]
fn decisions_survive_a_reload_and_unconfirmed_sightings_wait_behind_the_switch() {
    let Some(chrome) = require_chromium() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let flight = make_confirming_report(tmp.path());
    let page = qly_flight::folder::FlightFolder::new(&flight).report();
    let (_browser, mut cdp) = open_page(&chrome, &tmp.path().join("profile"), &file_url(&page));

    // Confirmed candidates are shown; the two single sightings wait behind the switch.
    assert!(!hidden(&mut cdp, "#cand-1"));
    assert!(hidden(&mut cdp, "#cand-2") && hidden(&mut cdp, "#cand-3"));
    assert_eq!(
        cdp.eval("document.getElementById('unconfirmed-switch').textContent.trim()"),
        json!(
            "show 2 unconfirmed sightings (candidates seen in fewer than 2 photos; the \
             companion did not report them)"
        )
    );
    assert_eq!(
        cdp.eval("document.getElementById('cand-1').dataset.uid"),
        json!(format!("{}/1", review::fixture::FLIGHT_ID))
    );

    // The inspector types a name, confirms candidate 1 with a real click...
    cdp.click("#inspector");
    cdp.call("Input.insertText", json!({"text": "Li Wei (0427)"}));
    cdp.click("#cand-1 button.confirm");
    assert_eq!(cdp.eval("window.qlyUnsaved()"), json!(true));
    assert_eq!(
        cdp.eval("document.getElementById('unsaved').textContent"),
        json!("decisions not yet downloaded")
    );

    // ... and reloads. With a decision not downloaded the page asks before leaving (a
    // beforeunload dialog), and after the reload the decision is still there.
    cdp.call("Page.enable", json!({}));
    cdp.next_id += 1;
    let reload_id = cdp.next_id;
    cdp.ws
        .send(Message::text(
            json!({"id": reload_id, "method": "Page.reload", "params": {}}).to_string(),
        ))
        .unwrap();
    let mut asked = false;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        assert!(Instant::now() < deadline, "the reload did not finish");
        let Message::Text(t) = cdp.ws.read().unwrap() else {
            continue;
        };
        let v: Value = serde_json::from_str(t.as_str()).unwrap();
        if v["method"] == "Page.javascriptDialogOpening" {
            assert_eq!(v["params"]["type"], json!("beforeunload"), "{v}");
            asked = true;
            cdp.next_id += 1;
            let id = cdp.next_id;
            cdp.ws
                .send(Message::text(
                    json!({"id": id, "method": "Page.handleJavaScriptDialog",
                           "params": {"accept": true}})
                    .to_string(),
                ))
                .unwrap();
        }
        if v["method"] == "Page.loadEventFired" {
            break;
        }
    }
    assert!(
        asked,
        "no warning before leaving with decisions not downloaded"
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while cdp.eval("typeof window.qlyDecisions === 'function'") != json!(true) {
        assert!(Instant::now() < deadline, "page did not load again");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        cdp.eval("document.getElementById('status-1').textContent"),
        json!("confirmed")
    );
    assert_eq!(
        cdp.eval("document.getElementById('inspector').value"),
        json!("Li Wei (0427)")
    );
    let d = cdp.decisions();
    assert_eq!(d["format"], json!("qly-decisions-2"));
    assert_eq!(d["flight_id"], json!(review::fixture::FLIGHT_ID));
    assert_eq!(d["decisions"][0]["candidate_id"], json!(1));
    assert_eq!(d["decisions"][0]["inspector"], json!("Li Wei (0427)"));
    // Kept under the flight's id, so another flight's page does not see it.
    assert_eq!(
        cdp.eval(&format!(
            "localStorage.getItem('qly-decision/{}/1') !== null",
            review::fixture::FLIGHT_ID
        )),
        json!(true)
    );

    // The switch shows the unconfirmed sightings, which can be decided too.
    assert!(hidden(&mut cdp, "#cand-2"));
    cdp.click("#show-unconfirmed");
    assert!(!hidden(&mut cdp, "#cand-2") && !hidden(&mut cdp, "#cand-3"));
    cdp.click("#cand-2 button.reject");

    // Downloaded: nothing left unsaved; `review export` takes the file with no --inspector
    // and records who confirmed from it.
    let downloads = tmp.path().join("downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    cdp.call(
        "Page.setDownloadBehavior",
        json!({"behavior": "allow", "downloadPath": downloads.display().to_string()}),
    );
    cdp.click("#download");
    let saved = downloads.join(qly_flight::folder::Entry::Decisions.name());
    let deadline = Instant::now() + Duration::from_secs(20);
    while !saved.is_file() {
        assert!(
            Instant::now() < deadline,
            "the decisions were not downloaded"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(cdp.eval("window.qlyUnsaved()"), json!(false));
    let evidence = tmp.path().join("evidence");
    let out = Command::new(env!("CARGO_BIN_EXE_review"))
        // English whatever the machine's locale: these tests read the English messages.
        .env("LC_ALL", "C.UTF-8")
        .arg("export")
        .arg(&flight)
        .arg("--decisions")
        .arg(&saved)
        .arg("--out")
        .arg(&evidence)
        .args(["--aircraft", "M300 RTK SN 1ZNBJ7"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(evidence.join("manifest.json")).unwrap())
            .unwrap();
    let confirmed: Vec<(u64, String, String)> = manifest["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "candidate")
        .map(|e| {
            (
                e["candidate_id"].as_u64().unwrap(),
                e["candidate_uid"].as_str().unwrap().to_string(),
                e["confirmed_by"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        confirmed,
        vec![(
            1,
            format!("{}/1", review::fixture::FLIGHT_ID),
            "Li Wei (0427)".to_string()
        )]
    );
    if let Some(dir) = std::env::var_os("QLY_SCREENSHOT_DIR") {
        let shot = cdp.call("Page.captureScreenshot", json!({"format": "png"}));
        use base64::Engine;
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().unwrap())
            .unwrap();
        std::fs::write(Path::new(&dir).join("review-decisions.png"), png).unwrap();
    }
}

fn poll(cdp: &mut Cdp, expr: &str, want: Value) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let got = cdp.eval(expr);
        if got == want {
            return;
        }
        assert!(Instant::now() < deadline, "{expr}: {got}, expected {want}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

const MARKERS_ON_MAP: &str =
    "Object.keys(qlyMap.markers).filter(id => qlyMap.map.hasLayer(qlyMap.markers[id])).map(Number)";

#[test]
fn a_marker_click_opens_its_card_and_the_filters_and_labels_work() {
    let Some(chrome) = require_chromium() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let flight = tmp.path().join("flight");
    review::fixture::write_flight(
        &flight,
        &review::fixture::FixtureOptions {
            min_sightings: Some(1),
            ..Default::default()
        },
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_review"))
        // English whatever the machine's locale: these tests read the English messages.
        .env("LC_ALL", "C.UTF-8")
        .arg("report")
        .arg(&flight)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let page = qly_flight::folder::FlightFolder::new(&flight).report();
    let (_browser, mut cdp) = open_page(&chrome, &tmp.path().join("profile"), &file_url(&page));
    assert_eq!(cdp.eval(MARKERS_ON_MAP), json!([1, 2, 3]));
    // The photo tiles loaded from beside the page.
    poll(
        &mut cdp,
        "Array.from(document.querySelectorAll('#map img')).some(i => i.complete && i.naturalWidth === 256)",
        json!(true),
    );

    // A real mouse click on candidate 3's marker.
    cdp.eval("window.scrollTo(0, 0)");
    let xy = cdp.eval(
        "(() => { const m = qlyMap.map; const c = JSON.parse(document.getElementById('flight-data').textContent).candidates[2]; \
         const p = m.latLngToContainerPoint([c.lat, c.lon]); const r = m.getContainer().getBoundingClientRect(); \
         return [r.x + p.x, r.y + p.y]; })()",
    );
    let (x, y) = (xy[0].as_f64().unwrap(), xy[1].as_f64().unwrap());
    for kind in ["mousePressed", "mouseReleased"] {
        cdp.call(
            "Input.dispatchMouseEvent",
            json!({"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1}),
        );
    }
    poll(
        &mut cdp,
        "document.getElementById('cand-3').classList.contains('selected')",
        json!(true),
    );
    // Scrolled to the top of the window.
    let top = cdp.eval("document.getElementById('cand-3').getBoundingClientRect().top");
    assert!(top.as_f64().unwrap().abs() < 2.0, "{top}");
    assert_eq!(
        cdp.eval("document.querySelector('#cand-3 .wgs84') !== null"),
        json!(true)
    );

    // Filters: without plumes (candidate 2), then at least 0.6 confidence (1: 0.88, 3: 0.52).
    cdp.click("#filter-class input[value=plume]");
    assert_eq!(cdp.eval(MARKERS_ON_MAP), json!([1, 3]));
    assert!(
        cdp.eval("getComputedStyle(document.getElementById('cand-2')).display") == json!("none")
    );
    cdp.eval(
        "(() => { const i = document.getElementById('filter-confidence'); i.value = '0.6'; \
         i.dispatchEvent(new Event('input')); })()",
    );
    assert_eq!(cdp.eval(MARKERS_ON_MAP), json!([1]));
    assert_eq!(
        cdp.eval("document.getElementById('shown-count').textContent"),
        json!("1 of 3 shown")
    );
    // Decided candidates leave when their decision is unticked.
    cdp.click("#cand-1 button.confirm");
    cdp.click("#filter-decision input[value=confirmed]");
    assert_eq!(cdp.eval(MARKERS_ON_MAP), json!([]));
    cdp.click("#filter-decision input[value=confirmed]");
    cdp.click("#filter-class input[value=plume]");
    cdp.eval(
        "(() => { const i = document.getElementById('filter-confidence'); i.value = '0'; \
         i.dispatchEvent(new Event('input')); })()",
    );
    assert_eq!(cdp.eval(MARKERS_ON_MAP), json!([1, 2, 3]));

    // Zoomed in, each candidate has its label; zoomed out until the markers meet, one label
    // is drawn and none overlaps another.
    let labels = "Number(document.getElementById('labels').dataset.placed)";
    cdp.eval("void qlyMap.map.setZoom(19, {animate: false})");
    poll(&mut cdp, labels, json!(3));
    cdp.eval("void qlyMap.map.setZoom(11, {animate: false})");
    poll(&mut cdp, labels, json!(1));
    if let Some(dir) = std::env::var_os("QLY_SCREENSHOT_DIR") {
        cdp.eval("window.scrollTo(0, 0); void qlyMap.map.setZoom(18, {animate: false})");
        std::thread::sleep(Duration::from_millis(500));
        let shot = cdp.call("Page.captureScreenshot", json!({"format": "png"}));
        use base64::Engine;
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().unwrap())
            .unwrap();
        std::fs::write(Path::new(&dir).join("review-map.png"), png).unwrap();
    }
}

/// The fonts Chromium drew the text of the first `selector` match with (CDP
/// `CSS.getPlatformFontsForNode`): family names and glyph counts.
fn fonts_of(cdp: &mut Cdp, selector: &str) -> Vec<(String, u64)> {
    let root = cdp.call("DOM.getDocument", json!({"depth": 0}))["root"]["nodeId"].clone();
    let node = cdp.call(
        "DOM.querySelector",
        json!({"nodeId": root, "selector": selector}),
    )["nodeId"]
        .clone();
    assert_ne!(node, json!(0), "{selector} not on the page");
    let fonts = cdp.call("CSS.getPlatformFontsForNode", json!({"nodeId": node}));
    fonts["fonts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["familyName"].as_str().unwrap_or("").to_string(),
                f["glyphCount"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

/// A CJK font drew the glyphs: a font without Chinese would leave tofu boxes (.notdef
/// glyphs from a Latin font).
fn drawn_in_cjk(fonts: &[(String, u64)]) -> bool {
    let cjk = |f: &str| {
        [
            "CJK",
            "Han",
            "WenQuanYi",
            "Hei",
            "Song",
            "Ming",
            "Kai",
            "Fallback",
        ]
        .iter()
        .any(|k| f.contains(k))
    };
    fonts.iter().any(|(f, n)| cjk(f) && *n > 0)
}

fn screenshot(cdp: &mut Cdp, name: &str) -> image::RgbImage {
    use base64::Engine;
    let shot = cdp.call("Page.captureScreenshot", json!({"format": "png"}));
    let png = base64::engine::general_purpose::STANDARD
        .decode(shot["data"].as_str().unwrap())
        .unwrap();
    if let Some(dir) = std::env::var_os("QLY_SCREENSHOT_DIR") {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(Path::new(&dir).join(name), &png).unwrap();
    }
    image::load_from_memory(&png).unwrap().to_rgb8()
}

/// `fc-list :lang=zh` names a font (Debian's fonts-noto-cjk): else the Chinese pages cannot
/// render here; skips with a note, fails under `CI`.
fn require_cjk_font() -> bool {
    let listed = Command::new("fc-list")
        .args([":lang=zh", "family"])
        .output()
        .map(|o| !o.stdout.is_empty())
        .unwrap_or(false);
    if !listed {
        assert!(
            std::env::var_os("CI").is_none(),
            "no Chinese font and CI is set: install fonts-noto-cjk (scripts/setup-env.sh)"
        );
        eprintln!("SKIPPED: no Chinese font (fc-list :lang=zh); install fonts-noto-cjk");
    }
    listed
}

#[test]
fn the_chinese_page_and_board_draw_their_chinese_with_a_cjk_font() {
    let Some(chrome) = require_chromium() else {
        return;
    };
    if !require_cjk_font() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let flight = tmp.path().join("flight");
    review::fixture::write_flight(&flight, &Default::default()).unwrap();
    let page = tmp.path().join("report.html");
    let board = tmp.path().join("board.html");
    let run = |args: &[&std::ffi::OsStr]| {
        let out = Command::new(env!("CARGO_BIN_EXE_review"))
            // English whatever the machine's locale: these tests read the English messages.
            .env("LC_ALL", "C.UTF-8")
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["--lang", "zh-CN"])
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
    };
    run(&[
        "report".as_ref(),
        flight.as_os_str(),
        "--out".as_ref(),
        page.as_os_str(),
    ]);
    run(&[
        "score".as_ref(),
        "--targets".as_ref(),
        "../missions/targets-sample.geojson".as_ref(),
        "--team".as_ref(),
        "蓝队=../missions/targets-sample-alpha.geojson".as_ref(),
        "--html".as_ref(),
        board.as_os_str(),
    ]);

    let (_browser, mut cdp) = open_page(&chrome, &tmp.path().join("profile"), &file_url(&page));
    cdp.call("DOM.enable", json!({}));
    cdp.call("CSS.enable", json!({}));
    // Cards are built as they come into view: bring candidate 1's in.
    cdp.eval("void qlySelect(1)");
    poll(
        &mut cdp,
        "document.querySelector('#cand-1 h3') !== null",
        json!(true),
    );
    for selector in ["h1", "#cand-1 h3", "#cand-1 button.confirm", "#cand-1 th"] {
        let fonts = fonts_of(&mut cdp, selector);
        assert!(drawn_in_cjk(&fonts), "{selector}: drawn with {fonts:?}");
    }
    // The script's words too (no click here: a decision not downloaded would hold the
    // navigation below in a "leave the page?" dialog).
    assert_eq!(
        cdp.eval("document.getElementById('status-1').textContent"),
        json!("未决定")
    );
    assert_eq!(
        cdp.eval("document.getElementById('decided-count').textContent"),
        json!("已决定 0 / 3")
    );
    let img = screenshot(&mut cdp, "review-report-zh.png");
    let dark = img
        .pixels()
        .filter(|p| p.0.iter().all(|c| *c < 100))
        .count();
    assert!(dark > 5_000, "only {dark} dark pixels: is the text drawn?");

    cdp.call("Page.navigate", json!({"url": file_url(&board)}));
    let deadline = Instant::now() + Duration::from_secs(20);
    while cdp.eval("document.readyState === 'complete' && location.href.endsWith('board.html')")
        != json!(true)
    {
        assert!(Instant::now() < deadline, "the board did not load");
        std::thread::sleep(Duration::from_millis(100));
    }
    for selector in ["h1", "th", "td"] {
        let fonts = fonts_of(&mut cdp, selector);
        assert!(
            drawn_in_cjk(&fonts),
            "board {selector}: drawn with {fonts:?}"
        );
    }
    screenshot(&mut cdp, "board-zh.png");
}
