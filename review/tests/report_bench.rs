//! The review page at the scale of a whole river, measured in headless Chromium (an ignored
//! test: it prints figures and asserts no timing):
//!
//! ```sh
//! cargo test -p review --test report_bench -- --ignored --nocapture
//! # side by side with another build's page (e.g. main's): QLY_OLD_REVIEW=/path/to/review
//! # screenshots kept:                                       QLY_SCREENSHOT_DIR=DIR
//! ```
//!
//! Two synthetic flights along the 8 km sample corridor (`review::river_fixture`): the
//! patrol's size (304 photos, 77 candidates) and 1000 candidates. For each: the page's size
//! (the HTML, then the files beside it), and, from three loads in a fresh browser, the time to
//! first contentful paint and to the first frame with the map and the first cards drawn
//! (`window.qlyRenderedMs`, from navigation start); then frame times while zooming the map in
//! and out and while scrolling the whole card list.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::{file_url, open_page, require_chromium, Cdp};
use serde_json::json;

fn dir_bytes(p: &Path) -> (u64, usize) {
    let mut total = (0, 0);
    if let Ok(rd) = std::fs::read_dir(p) {
        for e in rd.flatten() {
            let m = e.metadata().unwrap();
            if m.is_dir() {
                let (b, n) = dir_bytes(&e.path());
                total = (total.0 + b, total.1 + n);
            } else {
                total = (total.0 + m.len(), total.1 + 1);
            }
        }
    }
    total
}

fn centreline() -> Vec<qly_core::geodesy::GeoPoint> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../missions/sample-corridor.geojson"
    );
    qly_core::corridor::Corridor::from_geojson(&std::fs::read_to_string(path).unwrap(), path)
        .unwrap()
        .centreline
}

fn wait(cdp: &mut Cdp, expr: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while cdp.eval(expr) != json!(true) {
        assert!(Instant::now() < deadline, "{expr}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Frame intervals (ms) while `action` runs for `ms`: mean and longest.
fn frames_during(cdp: &mut Cdp, start: &str, ms: u32) -> (f64, f64) {
    let r = cdp.eval(&format!(
        "new Promise(done => {{ const t = []; let last = performance.now(); const end = last + {ms}; \
         function f(now) {{ t.push(now - last); last = now; if (now < end) requestAnimationFrame(f); else done(t); }} \
         requestAnimationFrame(f); {start} }})"
    ));
    let t: Vec<f64> = r
        .as_array()
        .unwrap()
        .iter()
        .skip(1)
        .map(|v| v.as_f64().unwrap())
        .collect();
    let mean = t.iter().sum::<f64>() / t.len().max(1) as f64;
    (mean, t.iter().copied().fold(0.0, f64::max))
}

struct Figures {
    html_bytes: u64,
    files_bytes: u64,
    files: usize,
    fcp_ms: f64,
    rendered_ms: Option<f64>,
    load_ms: f64,
}

fn measure_page(chrome: &Path, profile_root: &Path, page: &Path, interactive: bool) -> Figures {
    let html_bytes = std::fs::metadata(page).unwrap().len();
    let (files_bytes, files) = dir_bytes(&page.with_file_name(format!(
        "{}-files",
        page.file_stem().unwrap().to_string_lossy()
    )));
    let (mut fcp, mut rendered, mut load) = (Vec::new(), Vec::new(), Vec::new());
    for run in 0..3 {
        let (_browser, mut cdp) = open_page(
            chrome,
            &profile_root.join(format!("p{run}")),
            &file_url(page),
        );
        wait(
            &mut cdp,
            "performance.getEntriesByType('paint').some(e => e.name === 'first-contentful-paint')",
        );
        fcp.push(
            cdp.eval("performance.getEntriesByType('paint').find(e => e.name === 'first-contentful-paint').startTime")
                .as_f64()
                .unwrap(),
        );
        load.push(
            cdp.eval("performance.getEntriesByType('navigation')[0].loadEventEnd")
                .as_f64()
                .unwrap(),
        );
        if cdp.eval("typeof qlyMap") == json!("object") {
            wait(&mut cdp, "window.qlyRenderedMs !== undefined");
            rendered.push(cdp.eval("window.qlyRenderedMs").as_f64().unwrap());
        }
        if interactive && run == 0 {
            interact(&mut cdp, page);
        }
    }
    Figures {
        html_bytes,
        files_bytes,
        files,
        fcp_ms: median(fcp),
        rendered_ms: (!rendered.is_empty()).then(|| median(rendered)),
        load_ms: median(load),
    }
}

fn screenshot(cdp: &mut Cdp, name: &str) {
    if let Some(dir) = std::env::var_os("QLY_SCREENSHOT_DIR") {
        std::thread::sleep(Duration::from_millis(1500));
        let shot = cdp.call("Page.captureScreenshot", json!({"format": "png"}));
        use base64::Engine;
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().unwrap())
            .unwrap();
        std::fs::write(Path::new(&dir).join(name), png).unwrap();
    }
}

/// Zoom and scroll frame times, and the screenshots.
fn interact(cdp: &mut Cdp, page: &Path) {
    let stem = page
        .parent()
        .unwrap()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    cdp.eval("window.scrollTo(0, 0)");
    screenshot(cdp, &format!("{stem}-whole-river.png"));
    let labels = cdp.eval("document.getElementById('labels').dataset.placed");
    let (zmean, zmax) = frames_during(
        cdp,
        "const m = qlyMap.map; const z = m.getZoom(); m.setZoom(z + 3); \
         setTimeout(() => m.setZoom(z + 1), 700); setTimeout(() => m.setZoom(z), 1400);",
        2000,
    );
    let (smean, smax) = frames_during(
        cdp,
        "const h = document.body.scrollHeight; let y = 0; \
         window.qlyStop = false; \
         (function s() { y += 200; window.scrollTo(0, y); if (y < h && !window.qlyStop) requestAnimationFrame(s); })();",
        3000,
    );
    let filled = cdp.eval("document.querySelectorAll('.cand.filled').length");
    println!(
        "  {stem}: whole-river labels placed {labels}; zoom frames mean {zmean:.1} ms, longest {zmax:.1} ms; \
         scroll frames mean {smean:.1} ms, longest {smax:.1} ms; cards built after scrolling {filled}"
    );
    cdp.eval(
        "window.qlyStop = true; window.scrollTo(0, 0); (() => { const c = JSON.parse(document.getElementById('flight-data').textContent).candidates[0]; \
         qlyMap.map.setView([c.lat, c.lon], 18, {animate: false}); })()",
    );
    screenshot(cdp, &format!("{stem}-zoomed-in.png"));
}

fn render(review: &Path, flight: &Path, out: &Path) -> f64 {
    let t = Instant::now();
    let o = Command::new(review)
        .arg("report")
        .arg(flight)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{o:?}");
    t.elapsed().as_secs_f64()
}

#[test]
#[ignore = "a benchmark: prints figures (cargo test -p review --test report_bench -- --ignored --nocapture)"]
fn review_page_at_river_scale() {
    let Some(chrome) = require_chromium() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let old = std::env::var_os("QLY_OLD_REVIEW").map(PathBuf::from);
    for (name, candidates) in [("patrol-77", 77usize), ("synthetic-1000", 1000)] {
        let flight = tmp.path().join(name);
        let t = Instant::now();
        review::river_fixture::write_river_flight(
            &flight,
            &review::river_fixture::RiverOptions {
                centreline: centreline(),
                photos: 304,
                candidates,
                seed: 7001,
            },
        )
        .unwrap();
        let made_s = t.elapsed().as_secs_f64();
        let page = flight.join("report.html");
        let render_s = render(Path::new(env!("CARGO_BIN_EXE_review")), &flight, &page);
        let n = review::report::page_data(&std::fs::read_to_string(&page).unwrap()).unwrap()
            ["candidates"]
            .as_array()
            .unwrap()
            .len();
        println!(
            "{name}: {n} candidates, 304 photos (flight written in {made_s:.1} s, page in {render_s:.1} s)"
        );
        let f = measure_page(
            &chrome,
            &tmp.path().join(format!("prof-{name}")),
            &page,
            true,
        );
        println!(
            "  this page: HTML {:.0} kB, files beside it {:.1} MB in {}; first contentful paint {:.0} ms, \
             map and first cards drawn {:.0} ms, load event {:.0} ms (medians of 3)",
            f.html_bytes as f64 / 1000.0,
            f.files_bytes as f64 / 1e6,
            f.files,
            f.fcp_ms,
            f.rendered_ms.unwrap_or(f64::NAN),
            f.load_ms
        );
        if let Some(old) = &old {
            let old_page = flight.join("old.html");
            let old_s = render(old, &flight, &old_page);
            let o = measure_page(
                &chrome,
                &tmp.path().join(format!("old-{name}")),
                &old_page,
                false,
            );
            println!(
                "  old page ({}): HTML {:.0} kB (written in {old_s:.1} s); first contentful paint {:.0} ms, \
                 load event {:.0} ms; HTML size ratio new/old {:.2}, load ratio {:.2}",
                old.display(),
                o.html_bytes as f64 / 1000.0,
                o.fcp_ms,
                o.load_ms,
                f.html_bytes as f64 / o.html_bytes as f64,
                f.load_ms / o.load_ms
            );
        }
    }
}
