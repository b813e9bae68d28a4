//! The post-flight review page (`review report`): one self-contained HTML file (inline CSS,
//! SVG and script; thumbnails as `data:` URIs; nothing fetched) with the map of the flight
//! and one card per candidate that the inspector confirms or rejects. The page shows the
//! confirmed candidates (the flight's one rule, `qly_flight::confirm`); the unconfirmed ones
//! are behind a switch. The page keeps each decision in the browser's storage (keyed by flight
//! and candidate, restored on reload, a warning before leaving with decisions not downloaded)
//! and downloads them as the flight's decisions file (`qly_flight::decisions`), which
//! `review export` turns into an evidence package.

pub mod map;
pub mod thumbs;

use std::collections::HashMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

use image::DynamicImage;
use qly_core::datum::gcj02_from_wgs84;
use qly_core::geodesy::GeoPoint;
use qly_flight::folder::Entry;
use qly_flight::record::CandidateRecord;

use crate::flight::{utc_and_china_time, Flight, FlightWarning, TrackSource};

const SCRIPT: &str = include_str!("page.js");

/// Largest side of the whole-frame thumbnail, pixels.
pub const FRAME_THUMB_PX: u32 = 360;

/// The page and what the reviewer must hear about (the flight's warnings, and frames that
/// could not be decoded).
#[derive(Debug, Clone)]
pub struct Report {
    pub html: String,
    pub warnings: Vec<String>,
}

/// `&`, `<`, `>`, `"` and `'` escaped for HTML text and attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// JSON for a `<script type="application/json">` block: `</` cannot close the element.
fn script_json(v: &serde_json::Value) -> String {
    v.to_string().replace("</", "<\\/")
}

enum FrameImage {
    Ok(DynamicImage),
    Missing(PathBuf),
    Unreadable(PathBuf, String),
}

fn load_frame(flight: &Flight, file: &str) -> FrameImage {
    let path = flight.frame_path(file);
    if !path.is_file() {
        return FrameImage::Missing(path);
    }
    match image::open(&path) {
        Ok(img) => FrameImage::Ok(img),
        Err(e) => FrameImage::Unreadable(path, e.to_string()),
    }
}

fn placeholder(text: &str) -> String {
    format!(r#"<div class="placeholder">{}</div>"#, escape_html(text))
}

fn fmt_deg(v: f64) -> String {
    format!("{v:.7}")
}

fn candidate_card(
    c: &CandidateRecord,
    flight: &Flight,
    frames: &mut HashMap<String, FrameImage>,
    warnings: &mut Vec<String>,
) -> String {
    let frame = frames
        .entry(c.best.file.clone())
        .or_insert_with(|| load_frame(flight, &c.best.file));
    let (crop_html, frame_html) = match frame {
        FrameImage::Ok(img) => {
            let crop = thumbs::crop(img, c.best.bbox_px)
                .and_then(|c| thumbs::data_uri(&c).ok())
                .map(|uri| {
                    format!(
                        r#"<img class="crop" alt="crop of candidate {}" src="{uri}">"#,
                        c.id
                    )
                })
                .unwrap_or_else(|| placeholder("box outside the frame"));
            let full =
                thumbs::data_uri(&thumbs::frame_with_box(img, c.best.bbox_px, FRAME_THUMB_PX))
                    .map(|uri| {
                        format!(
                            r#"<img class="frame" alt="frame {}" src="{uri}">"#,
                            escape_html(&c.best.file)
                        )
                    })
                    .unwrap_or_else(|e| placeholder(&format!("frame not encodable: {e}")));
            (crop, full)
        }
        FrameImage::Missing(path) => {
            let t = format!("frame missing: {}", path.display());
            (placeholder(&t), placeholder(&t))
        }
        FrameImage::Unreadable(path, e) => {
            let w = format!("{}: frame unreadable: {e}", path.display());
            if !warnings.contains(&w) {
                warnings.push(w.clone());
            }
            (placeholder(&w), placeholder(&w))
        }
    };
    let (utc, cst) = utc_and_china_time(c.best_time_utc_us(flight));
    let (first_utc, _) = utc_and_china_time(c.first_t_utc_us);
    let (last_utc, _) = utc_and_china_time(c.last_t_utc_us);
    let gcj = gcj02_from_wgs84(GeoPoint {
        lat_deg: c.lat_deg,
        lon_deg: c.lon_deg,
    });
    let hag = flight
        .best_frame(c)
        .and_then(|f| f.camera.height_above_ground_m)
        .map_or("unknown".to_string(), |h| format!("{h:.1} m"));
    let confirmed = flight.is_confirmed(c);
    let (extra_class, badge) = if confirmed {
        ("", String::new())
    } else {
        (
            " unconfirmed",
            format!(
                r#" <span class="unconf-badge">unconfirmed: {} of {} photos</span>"#,
                c.sightings,
                flight.view.confirmation().min_sightings()
            ),
        )
    };
    let uid = flight.uid(c.id);
    let uid_row = uid.as_deref().map_or(String::new(), |u| {
        format!(
            "<tr><th>id across flights</th><td class=\"uid\">{}</td></tr>\n",
            escape_html(u)
        )
    });
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<section class="cand undecided{extra_class}" id="cand-{id}" data-uid="{uid_attr}">
<h3>Candidate {id} <span class="cls">{class}</span> <span class="status" id="status-{id}">undecided</span>{badge}</h3>
<div class="imgs"><figure>{crop_html}<figcaption>crop (best view)</figcaption></figure><figure>{frame_html}<figcaption>{file}</figcaption></figure></div>
<table>
<tr><th>class</th><td>{class}</td></tr>
<tr><th>confidence</th><td>max {cmax:.2}, mean {cmean:.2}</td></tr>
<tr><th>best view time</th><td>{utc} (UTC)<br>{cst} (China Standard Time)</td></tr>
<tr><th>seen</th><td>{first_utc} to {last_utc} (UTC)</td></tr>
<tr><th>WGS-84 (GPS)</th><td class="wgs84">{lat}, {lon}</td></tr>
<tr><th>GCJ-02 (Amap, Tencent maps; Baidu maps use BD-09, not this)</th><td class="gcj02">{glat}, {glon}</td></tr>
<tr><th>position</th><td>{attribution}</td></tr>
<tr><th>sightings</th><td>{sightings}</td></tr>
<tr><th>predicted error</th><td>CE90 {ce90:.1} m, CEP50 {cep50:.1} m; 1-sigma ellipse {smaj:.1} x {smin:.1} m, major axis {brg:.0}&deg; from north</td></tr>
<tr><th>camera</th><td>height above ground {hag}, slant range {slant:.1} m</td></tr>
<tr><th>revision</th><td>{rev}</td></tr>
{uid_row}</table>
<p><button type="button" class="confirm" data-id="{id}" data-decision="confirmed">Confirm</button>
<button type="button" class="reject" data-id="{id}" data-decision="rejected">Reject</button></p>
</section>
"#,
        id = c.id,
        class = escape_html(&c.class_name),
        file = escape_html(&c.best.file),
        cmax = c.confidence_max,
        cmean = c.confidence_mean,
        lat = fmt_deg(c.lat_deg),
        lon = fmt_deg(c.lon_deg),
        glat = fmt_deg(gcj.lat_deg),
        glon = fmt_deg(gcj.lon_deg),
        attribution = escape_html(&c.attribution),
        sightings = c.sightings,
        ce90 = c.error.ce90_m,
        cep50 = c.error.cep50_m,
        smaj = c.error.sigma_major_m,
        smin = c.error.sigma_minor_m,
        brg = c.error.major_axis_bearing_deg,
        slant = c.best.slant_range_m,
        rev = c.revision,
        uid_attr = escape_html(uid.as_deref().unwrap_or("")),
    );
    s
}

/// Time of a candidate's best view: its frame's time, else its last sighting's time.
trait BestTime {
    fn best_time_utc_us(&self, flight: &Flight) -> i64;
}

impl BestTime for CandidateRecord {
    fn best_time_utc_us(&self, flight: &Flight) -> i64 {
        flight
            .best_frame(self)
            .map_or(self.last_t_utc_us, |f| f.t_utc_us)
    }
}

/// SHA-256 (hex) of the flight's journal, which the decisions carry so that they cannot be
/// applied to another flight's candidates by mistake.
pub fn journal_sha256(flight: &Flight) -> Option<String> {
    qly_flight::header::sha256_file(&flight.journal_path()).ok()
}

/// The flight's folder name, which names the flight in decisions and evidence.
pub fn flight_name(dir: &Path) -> String {
    dir.canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| dir.display().to_string())
}

/// Renders the review page of `flight`.
pub fn render_report(flight: &Flight) -> Report {
    let mut warnings: Vec<String> = flight.warnings.iter().map(|w| w.to_string()).collect();
    let mut frames = HashMap::new();
    // Confirmed candidates first (by id), then the unconfirmed ones (hidden by default).
    let (confirmed, unconfirmed): (Vec<&CandidateRecord>, Vec<&CandidateRecord>) = flight
        .candidates()
        .iter()
        .partition(|c| flight.is_confirmed(c));
    let cards: String = confirmed
        .iter()
        .chain(&unconfirmed)
        .map(|c| candidate_card(c, flight, &mut frames, &mut warnings))
        .collect();
    let name = flight_name(flight.folder.root());
    let flight_id = flight.view.header.as_ref().map(|h| h.flight_id.to_string());
    let data = serde_json::json!({
        "flight": name,
        "flight_id": flight_id,
        "journal_sha256": journal_sha256(flight),
        "decisions_file": Entry::Decisions.name(),
        "candidates": flight.candidates().iter().map(|c| serde_json::json!({
            "id": c.id, "revision": c.revision, "class": c.class_name,
            "confirmed": flight.is_confirmed(c), "uid": flight.uid(c.id),
        })).collect::<Vec<_>>(),
    });
    let switch = if unconfirmed.is_empty() {
        String::new()
    } else {
        format!(
            r#"<p id="unconfirmed-switch"><label><input type="checkbox" id="show-unconfirmed"> show {} unconfirmed sightings</label> (candidates seen in fewer than {} photos; the companion did not report them)</p>"#,
            unconfirmed.len(),
            flight.view.confirmation().min_sightings()
        )
    };
    let track_note = match flight.track_source {
        TrackSource::Telemetry => format!(
            "Flown track: {} positions from {} (GLOBAL_POSITION_INT).",
            flight.track.len(),
            Entry::Telemetry.name()
        ),
        TrackSource::FrameRecords => format!(
            "Flown track: NO TELEMETRY LOG; drawn from the {} photos' camera positions.",
            flight.track.len()
        ),
    };
    let first = flight.view.frames.values().map(|f| f.t_utc_us).min();
    let last = flight.view.frames.values().map(|f| f.t_utc_us).max();
    let span = match (first, last) {
        (Some(a), Some(b)) => {
            let (au, ac) = utc_and_china_time(a);
            let (bu, _) = utc_and_china_time(b);
            format!("Photos {au} to {bu} (UTC); start {ac} China Standard Time.")
        }
        _ => "No photos in the journal.".to_string(),
    };
    let warn_html = if warnings.is_empty() {
        String::new()
    } else {
        let items: String = warnings
            .iter()
            .map(|w| format!("<li>{}</li>", escape_html(w)))
            .collect();
        format!(r#"<div id="warnings"><h2>Warnings</h2><ul>{items}</ul></div>"#)
    };
    let missing_frames = flight
        .warnings
        .iter()
        .filter(|w| matches!(w, FlightWarning::MissingFrame { .. }))
        .count();
    let mut html = String::new();
    let _ = write!(
        html,
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Flight review: {name}</title>
<style>
body {{ font: 14px/1.4 system-ui, sans-serif; margin: 16px; color: #1a1a1a; background: #fff; }}
h1 {{ font-size: 20px; }} h2 {{ font-size: 17px; }}
#map {{ border: 1px solid #bbb; max-width: 100%; height: auto; }}
#warnings {{ background: #fff4d6; border: 1px solid #e0b040; padding: 4px 12px; }}
.cand {{ border: 2px solid #ccc; border-radius: 6px; padding: 8px 12px; margin: 12px 0; }}
.cand.confirmed {{ border-color: #2a9a3a; background: #f0fbf1; }}
.cand.rejected {{ border-color: #b03030; background: #fbf0f0; }}
.status {{ font-size: 13px; padding: 1px 6px; border-radius: 4px; background: #eee; }}
.imgs {{ display: flex; gap: 12px; flex-wrap: wrap; }}
figure {{ margin: 0; }} figcaption {{ font-size: 12px; color: #555; }}
img.crop {{ height: 160px; image-rendering: pixelated; border: 1px solid #888; }}
img.frame {{ border: 1px solid #888; }}
.placeholder {{ width: 240px; height: 160px; display: flex; align-items: center; justify-content: center; text-align: center; background: repeating-linear-gradient(45deg, #eee, #eee 8px, #ddd 8px, #ddd 16px); border: 1px dashed #999; font-size: 12px; padding: 4px; }}
table {{ border-collapse: collapse; margin-top: 6px; }} th {{ text-align: left; padding-right: 12px; color: #444; font-weight: normal; }}
td, th {{ padding: 2px 8px 2px 0; vertical-align: top; }}
button {{ font-size: 15px; padding: 6px 16px; margin-right: 8px; cursor: pointer; }}
button.confirm {{ background: #d8f5dc; }} button.reject {{ background: #f8dcdc; }}
pre {{ background: #f6f6f6; border: 1px solid #ddd; padding: 8px; }}
.legend span {{ margin-right: 16px; }}
body:not(.show-unconfirmed) .unconfirmed {{ display: none; }}
.cand.unconfirmed {{ border-style: dashed; }}
.unconf-badge {{ font-size: 12px; padding: 1px 6px; border-radius: 4px; background: #fff0c0; }}
#unsaved {{ color: #a05000; font-weight: bold; }}
</style></head>
<body>
<h1>Flight review: {name_h}</h1>
<p>{candidates} confirmed candidates ({unconfirmed_n} unconfirmed), {frames} photos, {sightings} sightings. {span}<br>{track_note}{missing}</p>
{warn_html}
<h2>Map</h2>
{svg}
<p class="legend"><span>dashed blue: planned lanes</span><span>black line: flown track</span><span>white dots: photo points</span><span>red: candidates with CE90 circle (shaded) and 1-sigma ellipse (dashed)</span><span>local east/north metres, north up</span></p>
<h2>Candidates <small id="decided-count"></small></h2>
{switch}
<p>Coordinates: WGS-84 is what GPS, GIS tools and the exports use; GCJ-02 is the offset datum
of Chinese map apps (Amap/Gaode, Tencent): paste that pair there. Baidu maps use BD-09, a
further offset, so neither pair is right in Baidu.</p>
{cards}
<h2>Decisions</h2>
<p>Decisions are kept by this browser for this flight until you download them.
<label>Inspector (name and badge number): <input type="text" id="inspector" size="30"></label></p>
<p><button type="button" id="download">Download {decisions_file}</button> <span id="unsaved"></span></p>
<pre id="decisions-json"></pre>
<script type="application/json" id="flight-data">{data}</script>
<script>{SCRIPT}</script>
</body></html>
"#,
        name = escape_html(&name),
        name_h = escape_html(&name),
        candidates = confirmed.len(),
        unconfirmed_n = unconfirmed.len(),
        decisions_file = Entry::Decisions.name(),
        frames = flight.view.frames.len(),
        sightings = flight.view.sightings.len(),
        missing = if missing_frames > 0 {
            format!("<br><b>{missing_frames} frame(s) missing</b> (see warnings).")
        } else {
            String::new()
        },
        svg = map::svg(flight),
        data = script_json(&data),
    );
    Report { html, warnings }
}
