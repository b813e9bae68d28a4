//! The post-flight review page (`review report`): `report.html` and, beside it, a folder
//! (`report-files/`) of images: each candidate's crop and whole frame, the flight's photos as
//! map tiles ([`mosaic`]) and, with `--mbtiles`, an offline basemap ([`mbtiles`]). The page
//! fetches nothing from the network: its style, its script and the map library (Leaflet,
//! vendored under `review/assets/vendor/leaflet`) are inline, and the candidates are one
//! compact JSON block from which the page builds each card as it scrolls into view.
//!
//! The page shows the confirmed candidates (the flight's one rule, `qly_flight::confirm`);
//! the unconfirmed ones are behind a switch. The page keeps each decision in the browser's
//! storage (keyed by flight and candidate, restored on reload, a warning before leaving with
//! decisions not downloaded) and downloads them as the flight's decisions file
//! (`qly_flight::decisions`), which `review export` turns into an evidence package.

pub mod footprint;
pub mod map;
pub mod mbtiles;
pub mod mercator;
pub mod mosaic;
pub mod thumbs;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write;
use std::path::{Path, PathBuf};

use image::DynamicImage;
use qly_core::datum::gcj02_from_wgs84;
use qly_core::geodesy::GeoPoint;
use qly_flight::folder::Entry;
use qly_flight::record::CandidateRecord;
use serde_json::{json, Value};

use crate::flight::{utc_and_china_time, Flight, FlightWarning, TrackSource};

const SCRIPT: &str = include_str!("page.js");
const LEAFLET_JS: &str = include_str!("../../assets/vendor/leaflet/leaflet.js");
const LEAFLET_CSS: &str = include_str!("../../assets/vendor/leaflet/leaflet.css");

/// Largest side of the whole-frame thumbnail, pixels.
pub const FRAME_THUMB_PX: u32 = 360;

/// How to render the page.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    /// The folder beside the page that holds its images, as the page names it (relative).
    pub assets_dir: String,
    /// Place the flight's photos on the map as its background.
    pub photo_background: bool,
    /// An offline basemap under the photos.
    pub basemap: Option<mbtiles::Basemap>,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions {
            assets_dir: "report-files".into(),
            photo_background: true,
            basemap: None,
        }
    }
}

/// The name of the images folder beside the page `html_path`: `report.html` ->
/// `report-files`.
pub fn assets_dir_for(html_path: &Path) -> String {
    let stem = html_path
        .file_stem()
        .map_or_else(|| "report".into(), |s| s.to_string_lossy().into_owned());
    format!("{stem}-files")
}

/// A file the page loads, relative to the page's folder.
#[derive(Debug, Clone)]
pub struct PageFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// The page, the files beside it and what the reviewer must hear about (the flight's
/// warnings, and frames that could not be decoded).
#[derive(Debug, Clone)]
pub struct Report {
    pub html: String,
    pub files: Vec<PageFile>,
    pub warnings: Vec<String>,
}

/// Why the page could not be written.
#[derive(Debug, thiserror::Error)]
#[error("{path}: cannot write: {source}")]
pub struct WriteError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

impl Report {
    /// Writes the page to `html_path` and its files beside it.
    pub fn write(&self, html_path: &Path) -> Result<(), WriteError> {
        let dir = html_path.parent().unwrap_or(Path::new("."));
        let err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| WriteError { path, source }
        };
        for f in &self.files {
            let p = dir.join(&f.path);
            if let Some(parent) = p.parent() {
                std::fs::create_dir_all(parent).map_err(err(parent))?;
            }
            std::fs::write(&p, &f.bytes).map_err(err(&p))?;
        }
        std::fs::write(html_path, &self.html).map_err(err(html_path))
    }
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
fn script_json(v: &Value) -> String {
    v.to_string().replace("</", "<\\/")
}

fn r1(v: f64) -> Value {
    if v.is_finite() {
        json!((v * 10.0).round() / 10.0)
    } else {
        Value::Null
    }
}

fn r2(v: f32) -> Value {
    json!((f64::from(v) * 100.0).round() / 100.0)
}

fn deg7(v: f64) -> Value {
    json!((v * 1e7).round() / 1e7)
}

/// The words the page's script puts on each card, the filters and the map, in one place.
const LABELS: &[(&str, &str)] = &[
    ("candidate", "Candidate"),
    ("class", "class"),
    ("confidence", "confidence"),
    ("max", "max"),
    ("mean", "mean"),
    ("best_time", "best view time"),
    ("utc", "(UTC)"),
    ("cst", "(China Standard Time)"),
    ("seen", "seen"),
    ("to", "to"),
    ("wgs84", "WGS-84 (GPS)"),
    ("gcj02", "GCJ-02 (Amap, Tencent maps; Baidu maps use BD-09, not this)"),
    ("position", "position"),
    ("sightings", "sightings"),
    ("predicted_error", "predicted error"),
    ("error_text", "CE90 {ce90} m, CEP50 {cep50} m; 1-sigma ellipse {smaj} x {smin} m, major axis {brg}\u{b0} from north"),
    ("camera", "camera"),
    ("camera_text", "height above ground {hag}, slant range {slant} m"),
    ("unknown", "unknown"),
    ("revision", "revision"),
    ("uid", "id across flights"),
    ("crop", "crop (best view)"),
    ("crop_alt", "crop of candidate {id}"),
    ("frame_alt", "frame {file}"),
    ("confirm", "Confirm"),
    ("reject", "Reject"),
    ("unconfirmed_badge", "unconfirmed: {n} of {min} photos"),
    ("undecided", "undecided"),
    ("confirmed", "confirmed"),
    ("rejected", "rejected"),
    ("decided_count", "{n} of {total} decided"),
    ("not_downloaded", "decisions not yet downloaded"),
    ("shown_count", "{n} of {total} shown"),
    ("track", "flown track"),
    ("track_from_photos", "flown track (from photo camera positions: no telemetry)"),
    ("plan", "planned"),
    ("photo", "photo"),
    ("photo_points", "photo points"),
    ("photos_layer", "photos of this flight"),
    ("basemap_layer", "basemap"),
    ("candidates_layer", "candidates"),
    ("map_missing", "The map library did not load."),
];

fn labels() -> Value {
    Value::Object(
        LABELS
            .iter()
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect(),
    )
}

/// A candidate's card data. Thumbnails are files named in `crop`/`frame`; `missing` explains
/// their absence.
fn candidate_json(
    c: &CandidateRecord,
    flight: &Flight,
    thumbs: Option<&(String, String)>,
) -> Value {
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
        .map_or(Value::Null, r1);
    let e = &c.error;
    let mut v = json!({
        "id": c.id,
        "rev": c.revision,
        "cls": c.class_name,
        "ok": flight.is_confirmed(c),
        "lat": deg7(c.lat_deg),
        "lon": deg7(c.lon_deg),
        "glat": deg7(gcj.lat_deg),
        "glon": deg7(gcj.lon_deg),
        "cmax": r2(c.confidence_max),
        "cmean": r2(c.confidence_mean),
        "t": utc,
        "tc": cst,
        "t0": first_utc,
        "t1": last_utc,
        "att": c.attribution,
        "n": c.sightings,
        "e": [r1(e.ce90_m), r1(e.cep50_m), r1(e.sigma_major_m), r1(e.sigma_minor_m), r1(e.major_axis_bearing_deg)],
        "hag": hag,
        "slant": r1(c.best.slant_range_m),
        "file": c.best.file,
    });
    if let Some(uid) = flight.uid(c.id) {
        v["uid"] = json!(uid);
    }
    if let Some((crop, frame)) = thumbs {
        v["crop"] = json!(crop);
        v["frame"] = json!(frame);
    }
    v
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

/// What the frames give the page: candidates' thumbnails (written to `files`) and the photos
/// placed for the background. Each frame is decoded once and dropped before the next, so a
/// whole river's photos never sit in memory at full size.
struct FromFrames {
    /// Candidate id -> (crop path, frame path).
    thumbs: HashMap<u64, (String, String)>,
    /// Candidate id -> why its thumbnails are missing.
    missing: HashMap<u64, String>,
    photos: Vec<mosaic::PlacedPhoto>,
}

fn read_frames(
    flight: &Flight,
    options: &ReportOptions,
    files: &mut Vec<PageFile>,
    warnings: &mut Vec<String>,
) -> FromFrames {
    let mut out = FromFrames {
        thumbs: HashMap::new(),
        missing: HashMap::new(),
        photos: Vec::new(),
    };
    let mut by_file: BTreeMap<&str, Vec<&CandidateRecord>> = BTreeMap::new();
    for c in flight.candidates() {
        by_file.entry(c.best.file.as_str()).or_default().push(c);
    }
    let intrinsics = flight
        .view
        .header
        .as_ref()
        .and_then(|h| footprint::intrinsics(&h.camera))
        .filter(|_| options.photo_background);
    let mut frame_of: BTreeMap<&str, &qly_flight::record::FrameRecord> = BTreeMap::new();
    if intrinsics.is_some() {
        for f in flight.view.frames.values() {
            frame_of.insert(f.file.as_str(), f);
        }
    }
    let names: BTreeSet<&str> = by_file.keys().chain(frame_of.keys()).copied().collect();
    let assets = &options.assets_dir;
    for name in names {
        let path = flight.frame_path(name);
        let cands = by_file.get(name).map(Vec::as_slice).unwrap_or(&[]);
        let img: DynamicImage = if !path.is_file() {
            for c in cands {
                out.missing
                    .insert(c.id, format!("frame missing: {}", path.display()));
            }
            continue;
        } else {
            match image::open(&path) {
                Ok(img) => img,
                Err(e) => {
                    let w = format!("{}: frame unreadable: {e}", path.display());
                    for c in cands {
                        out.missing.insert(c.id, w.clone());
                    }
                    warnings.push(w);
                    continue;
                }
            }
        };
        for c in cands {
            let crop = thumbs::crop(&img, c.best.bbox_px).and_then(|i| thumbs::jpeg_bytes(&i).ok());
            let full = thumbs::jpeg_bytes(&thumbs::frame_with_box(
                &img,
                c.best.bbox_px,
                FRAME_THUMB_PX,
            ))
            .ok();
            match (crop, full) {
                (Some(crop), Some(full)) => {
                    let (pc, pf) = (
                        format!("{assets}/cards/{}-crop.jpg", c.id),
                        format!("{assets}/cards/{}-frame.jpg", c.id),
                    );
                    files.push(PageFile {
                        path: pc.clone(),
                        bytes: crop,
                    });
                    files.push(PageFile {
                        path: pf.clone(),
                        bytes: full,
                    });
                    out.thumbs.insert(c.id, (pc, pf));
                }
                _ => {
                    out.missing.insert(c.id, "box outside the frame".into());
                }
            }
        }
        if let (Some(k), Some(f)) = (&intrinsics, frame_of.get(name)) {
            if let Some(fp) = footprint::footprint(f, k) {
                if let Some(p) =
                    mosaic::PlacedPhoto::new(&img, f.camera.lat_deg, f.camera.lon_deg, &fp)
                {
                    out.photos.push(p);
                }
            }
        }
    }
    out
}

/// Renders the review page of `flight`.
pub fn render_report(flight: &Flight, options: &ReportOptions) -> Report {
    let mut warnings: Vec<String> = flight.warnings.iter().map(|w| w.to_string()).collect();
    let mut files = Vec::new();
    let frames = read_frames(flight, options, &mut files, &mut warnings);
    let assets = &options.assets_dir;
    // Confirmed candidates first (by id), then the unconfirmed ones (hidden by default).
    let (confirmed, unconfirmed): (Vec<&CandidateRecord>, Vec<&CandidateRecord>) = flight
        .candidates()
        .iter()
        .partition(|c| flight.is_confirmed(c));
    let cards: Vec<Value> = confirmed
        .iter()
        .chain(&unconfirmed)
        .map(|c| {
            let mut v = candidate_json(c, flight, frames.thumbs.get(&c.id));
            if let Some(m) = frames.missing.get(&c.id) {
                v["missing"] = json!(m);
            }
            v
        })
        .collect();

    let pyramid = mosaic::pyramid(&frames.photos);
    let photo_index: serde_json::Map<String, Value> = pyramid
        .tiles
        .iter()
        .map(|t| {
            (
                format!("{}/{}/{}", t.z, t.x, t.y),
                json!(u8::from(t.ext == "png")),
            )
        })
        .collect();
    let photo_tiles = (!pyramid.tiles.is_empty()).then(|| {
        json!({
            "dir": format!("{assets}/photos"),
            "minz": pyramid.min_zoom,
            "maxz": pyramid.max_zoom,
            "index": photo_index,
        })
    });
    for t in pyramid.tiles {
        files.push(PageFile {
            path: format!("{assets}/photos/{}/{}/{}.{}", t.z, t.x, t.y, t.ext),
            bytes: t.bytes,
        });
    }
    let basemap = options.basemap.as_ref().map(|b| {
        if !b.zooms_left_out.is_empty() {
            warnings.push(format!(
                "basemap '{}': zooms {:?} left out (more than {} tiles around the flight)",
                b.name,
                b.zooms_left_out,
                mbtiles::MAX_TILES
            ));
        }
        for t in &b.tiles {
            files.push(PageFile {
                path: format!("{assets}/basemap/{}/{}/{}.{}", t.z, t.x, t.y, b.ext),
                bytes: t.bytes.clone(),
            });
        }
        json!({
            "dir": format!("{assets}/basemap"),
            "ext": b.ext,
            "minz": b.min_zoom,
            "maxz": b.max_zoom,
            "name": b.name,
            "attribution": b.attribution,
        })
    });
    let mut layers = map::layers(flight);
    layers["photo_tiles"] = photo_tiles.unwrap_or(Value::Null);
    layers["basemap"] = basemap.unwrap_or(Value::Null);

    let name = flight_name(flight.folder.root());
    let flight_id = flight.view.header.as_ref().map(|h| h.flight_id.to_string());
    let data = json!({
        "flight": name,
        "flight_id": flight_id,
        "journal_sha256": journal_sha256(flight),
        "decisions_file": Entry::Decisions.name(),
        "min_sightings": flight.view.confirmation().min_sightings(),
        "labels": labels(),
        "map": layers,
        "candidates": cards,
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
    let background_note = if layers_have_photos(&data) {
        "Background: this flight's photos, placed by their camera poses on flat ground (an approximation: hills and tilt shift them by metres; the candidates' positions do not come from it)."
    } else {
        "No photo background: the journal has no camera calibration (flight header) or no photo could be placed."
    };
    let mut html = String::new();
    let _ = write!(
        html,
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Flight review: {name}</title>
<style>{LEAFLET_CSS}</style>
<style>
body {{ font: 14px/1.4 system-ui, sans-serif; margin: 16px; color: #1a1a1a; background: #fff; }}
h1 {{ font-size: 20px; }} h2 {{ font-size: 17px; }}
#map {{ height: 620px; max-height: 75vh; border: 1px solid #bbb; background: #f4f1ea; }}
#filters {{ display: flex; flex-wrap: wrap; gap: 6px 18px; align-items: center; margin: 6px 0; }}
#filters fieldset {{ border: 1px solid #ccc; padding: 2px 8px; margin: 0; }}
.qly-label {{ position: absolute; font: bold 12px system-ui, sans-serif; color: #7a1010; background: rgba(255,255,255,0.85); padding: 0 3px; border-radius: 3px; pointer-events: none; white-space: nowrap; z-index: 650; }}
#labels {{ position: absolute; inset: 0; pointer-events: none; z-index: 650; overflow: hidden; }}
#warnings {{ background: #fff4d6; border: 1px solid #e0b040; padding: 4px 12px; }}
.cand {{ border: 2px solid #ccc; border-radius: 6px; padding: 8px 12px; margin: 12px 0; min-height: 380px; }}
.cand.filled {{ min-height: 0; }}
.cand.confirmed {{ border-color: #2a9a3a; background: #f0fbf1; }}
.cand.rejected {{ border-color: #b03030; background: #fbf0f0; }}
.cand.selected {{ outline: 4px solid #f0a000; }}
.cand.filtered {{ display: none; }}
.status {{ font-size: 13px; padding: 1px 6px; border-radius: 4px; background: #eee; }}
.imgs {{ display: flex; gap: 12px; flex-wrap: wrap; }}
figure {{ margin: 0; }} figcaption {{ font-size: 12px; color: #555; }}
img.crop {{ height: 160px; image-rendering: pixelated; border: 1px solid #888; }}
img.frame {{ border: 1px solid #888; max-width: 360px; }}
.placeholder {{ width: 240px; height: 160px; display: flex; align-items: center; justify-content: center; text-align: center; background: repeating-linear-gradient(45deg, #eee, #eee 8px, #ddd 8px, #ddd 16px); border: 1px dashed #999; font-size: 12px; padding: 4px; }}
.cand table {{ border-collapse: collapse; margin-top: 6px; }} .cand th {{ text-align: left; padding-right: 12px; color: #444; font-weight: normal; }}
.cand td, .cand th {{ padding: 2px 8px 2px 0; vertical-align: top; }}
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
<div id="map-box">
<div id="map" role="region" aria-label="Flight map"></div>
<div id="filters">
<fieldset id="filter-class"><legend>Class</legend></fieldset>
<fieldset id="filter-decision"><legend>Decision</legend>
<label><input type="checkbox" value="undecided" checked> undecided</label>
<label><input type="checkbox" value="confirmed" checked> confirmed</label>
<label><input type="checkbox" value="rejected" checked> rejected</label></fieldset>
<label>Confidence at least <input type="range" id="filter-confidence" min="0" max="1" step="0.05" value="0"> <output id="filter-confidence-value">0.00</output></label>
<span id="shown-count"></span>
</div>
<p class="legend"><span>dashed blue: planned lanes</span><span>black line: flown track</span><span>white dots: photo points</span><span>red: candidates with CE90 circle; click one for its card</span><span>{background_note}</span></p>
</div>
<h2>Candidates <small id="decided-count"></small></h2>
{switch}
<p>Coordinates: WGS-84 is what GPS, GIS tools and the exports use; GCJ-02 is the offset datum
of Chinese map apps (Amap/Gaode, Tencent): paste that pair there. Baidu maps use BD-09, a
further offset, so neither pair is right in Baidu.</p>
<div id="cards"></div>
<h2>Decisions</h2>
<p>Decisions are kept by this browser for this flight until you download them.
<label>Inspector (name and badge number): <input type="text" id="inspector" size="30"></label></p>
<p><button type="button" id="download">Download {decisions_file}</button> <span id="unsaved"></span></p>
<pre id="decisions-json"></pre>
<script type="application/json" id="flight-data">{data}</script>
<script>{LEAFLET_JS}</script>
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
        data = script_json(&data),
    );
    Report {
        html,
        files,
        warnings,
    }
}

fn layers_have_photos(data: &Value) -> bool {
    !data["map"]["photo_tiles"].is_null()
}

/// The JSON a rendered page carries (its `flight-data` block), for tools and tests that read
/// a page back.
pub fn page_data(html: &str) -> Option<Value> {
    let start_tag = r#"<script type="application/json" id="flight-data">"#;
    let start = html.find(start_tag)? + start_tag.len();
    let len = html[start..].find("</script>")?;
    serde_json::from_str(&html[start..start + len].replace("<\\/", "</")).ok()
}
