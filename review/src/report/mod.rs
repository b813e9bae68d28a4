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
use qly_flight::record::{CandidateRecord, HorizontalError};
use qly_i18n::Lang;
use serde_json::{json, Value};

use crate::flight::{utc_and_china_time, Flight, FlightWarning, TrackSource};

const SCRIPT: &str = include_str!("page.js");
const LEAFLET_JS: &str = include_str!("../../assets/vendor/leaflet/leaflet.js");
const LEAFLET_CSS: &str = include_str!("../../assets/vendor/leaflet/leaflet.css");

/// The pages' fonts: CJK-capable ones first (Debian's fonts-noto-cjk, Adobe's name for the
/// same family, the usual Linux, Windows and macOS Chinese fonts), so that Chinese text never
/// falls back to a font without its glyphs (tofu boxes).
pub const CJK_FONT_STACK: &str = "\"Noto Sans CJK SC\", \"Source Han Sans SC\", \"WenQuanYi Micro Hei\", \"Microsoft YaHei\", \"PingFang SC\", system-ui, sans-serif";

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
    /// The page's language.
    pub lang: Lang,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions {
            assets_dir: "report-files".into(),
            photo_background: true,
            basemap: None,
            lang: Lang::En,
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

/// The words the page's script puts on each card, the filters and the map: the script's
/// name for each and its catalogue message. Placeholders the script fills in are passed to
/// the catalogue as `{name}` and come back as such.
const LABELS: &[(&str, &str)] = &[
    ("candidate", "card-candidate"),
    ("class", "card-class"),
    ("confidence", "card-confidence"),
    ("confidence_value", "card-confidence-value"),
    ("best_time", "card-best-time"),
    ("utc", "page-utc-paren"),
    ("cst", "page-cst-paren"),
    ("seen", "card-seen"),
    ("seen_value", "page-seen-value"),
    ("wgs84", "wgs84-label"),
    ("gcj02", "gcj02-label"),
    ("position", "card-position"),
    ("sightings", "card-sightings"),
    ("predicted_error", "card-predicted-error"),
    ("error_text", "predicted-error-value"),
    ("camera", "card-camera"),
    ("camera_text", "card-camera-value"),
    ("metres", "metres"),
    ("unknown", "unknown"),
    ("revision", "card-revision"),
    ("uid", "card-uid"),
    ("crop", "card-crop"),
    ("crop_alt", "card-crop-alt"),
    ("frame_alt", "page-frame-alt"),
    ("confirm", "decision-confirm"),
    ("reject", "decision-reject"),
    ("unconfirmed_badge", "card-unconfirmed-badge"),
    ("undecided", "decision-undecided"),
    ("confirmed", "decision-confirmed"),
    ("rejected", "decision-rejected"),
    ("decided_count", "page-decided-of"),
    ("not_downloaded", "page-not-downloaded"),
    ("shown_count", "page-shown-count"),
    ("track", "map-track"),
    ("track_from_photos", "map-track-from-photos"),
    ("plan", "map-plan"),
    ("photo", "map-photo"),
    ("photo_points", "map-photo-points"),
    ("photos_layer", "map-photos-layer"),
    ("basemap_layer", "map-basemap-layer"),
    ("candidates_layer", "map-candidates-layer"),
    ("map_missing", "map-missing"),
];

/// Every placeholder a label may hold, each given to the catalogue as itself (`{name}`).
const PLACEHOLDERS: &[&str] = &[
    "id", "max", "mean", "first", "last", "ce90", "cep50", "major", "minor", "bearing", "height",
    "slant", "m", "file", "seen", "needed", "decided", "shown", "n", "total",
];

fn labels(lang: Lang) -> Value {
    let args: Vec<(&str, qly_i18n::Arg)> = PLACEHOLDERS
        .iter()
        .map(|p| (*p, format!("{{{p}}}").into()))
        .collect();
    Value::Object(
        LABELS
            .iter()
            .map(|(k, id)| (k.to_string(), json!(lang.t_args(id, &args))))
            .collect(),
    )
}

/// The detector classes of the flight's candidates in `lang`, by class name.
fn class_labels(flight: &Flight, lang: Lang) -> Value {
    Value::Object(
        flight
            .candidates()
            .iter()
            .map(|c| {
                (
                    c.class_name.clone(),
                    json!(class_label(&c.class_name, lang)),
                )
            })
            .collect(),
    )
}

/// The predicted error of a candidate's position, in words: CE90, CEP50 and the 1-sigma
/// ellipse.
pub fn predicted_error(err: &HorizontalError, lang: Lang) -> String {
    lang.t_args(
        "predicted-error-value",
        &[
            ("ce90", format!("{:.1}", err.ce90_m).into()),
            ("cep50", format!("{:.1}", err.cep50_m).into()),
            ("major", format!("{:.1}", err.sigma_major_m).into()),
            ("minor", format!("{:.1}", err.sigma_minor_m).into()),
            (
                "bearing",
                format!("{:.0}", err.major_axis_bearing_deg).into(),
            ),
        ],
    )
}

/// A detector class in `lang` (`class-<name>` in the catalogue), or its own name for a class
/// the catalogue does not know (a model trained on new classes still shows them).
pub fn class_label(class: &str, lang: Lang) -> String {
    let id = format!("class-{}", class.replace('_', "-"));
    if lang.has(&id) {
        lang.t(&id)
    } else {
        class.to_string()
    }
}

fn e(s: String) -> String {
    escape_html(&s)
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
    let lang = options.lang;
    for name in names {
        let path = flight.frame_path(name);
        let cands = by_file.get(name).map(Vec::as_slice).unwrap_or(&[]);
        let img: DynamicImage = if !path.is_file() {
            for c in cands {
                out.missing.insert(
                    c.id,
                    lang.t_args(
                        "card-frame-missing",
                        &[("path", path.display().to_string().into())],
                    ),
                );
            }
            continue;
        } else {
            match image::open(&path) {
                Ok(img) => img,
                Err(e) => {
                    let w = lang.t_args(
                        "card-frame-unreadable",
                        &[
                            ("path", path.display().to_string().into()),
                            ("error", e.to_string().into()),
                        ],
                    );
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
                    out.missing.insert(c.id, lang.t("card-box-outside"));
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

/// Renders the review page of `flight` in `options.lang`.
pub fn render_report(flight: &Flight, options: &ReportOptions) -> Report {
    let lang = options.lang;
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
            warnings.push(lang.t_args(
                "page-basemap-zooms-left-out",
                &[
                    ("name", b.name.as_str().into()),
                    ("zooms", format!("{:?}", b.zooms_left_out).into()),
                    ("max", mbtiles::MAX_TILES.into()),
                ],
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
        "labels": labels(lang),
        "class_labels": class_labels(flight, lang),
        "map": layers,
        "candidates": cards,
    });
    let switch = if unconfirmed.is_empty() {
        String::new()
    } else {
        format!(
            r#"<p id="unconfirmed-switch"><label><input type="checkbox" id="show-unconfirmed"> {}</label> {}</p>"#,
            e(lang.t_args(
                "page-show-unconfirmed",
                &[("count", unconfirmed.len().into())]
            )),
            e(lang.t_args(
                "page-unconfirmed-why",
                &[("needed", flight.view.confirmation().min_sightings().into())]
            ))
        )
    };
    let track_note = match flight.track_source {
        TrackSource::Telemetry => lang.t_args(
            "page-track-telemetry",
            &[
                ("count", flight.track.len().into()),
                ("file", Entry::Telemetry.name().into()),
            ],
        ),
        TrackSource::FrameRecords => {
            lang.t_args("page-track-frames", &[("count", flight.track.len().into())])
        }
    };
    let first = flight.view.frames.values().map(|f| f.t_utc_us).min();
    let last = flight.view.frames.values().map(|f| f.t_utc_us).max();
    let span = match (first, last) {
        (Some(a), Some(b)) => {
            let (au, ac) = utc_and_china_time(a);
            let (bu, _) = utc_and_china_time(b);
            lang.t_args(
                "page-photo-span",
                &[
                    ("first", au.into()),
                    ("last", bu.into()),
                    ("start_cst", ac.into()),
                ],
            )
        }
        _ => lang.t("page-no-photos"),
    };
    let warn_html = if warnings.is_empty() {
        String::new()
    } else {
        let items: String = warnings
            .iter()
            .map(|w| format!("<li>{}</li>", escape_html(w)))
            .collect();
        format!(
            r#"<div id="warnings"><h2>{}</h2><ul>{items}</ul></div>"#,
            e(lang.t("board-warnings"))
        )
    };
    let missing_frames = flight
        .warnings
        .iter()
        .filter(|w| matches!(w, FlightWarning::MissingFrame { .. }))
        .count();
    let background_note = lang.t(if layers_have_photos(&data) {
        "page-background-photos"
    } else {
        "page-background-none"
    });
    let mut html = String::new();
    let _ = write!(
        html,
        r#"<!DOCTYPE html>
<html lang="{html_lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{LEAFLET_CSS}</style>
<style>
body {{ font: 14px/1.4 {fonts}; margin: 16px; color: #1a1a1a; background: #fff; }}
h1 {{ font-size: 20px; }} h2 {{ font-size: 17px; }}
.leaflet-container {{ font: 12px/1.5 {fonts}; }}
#map {{ height: 620px; max-height: 75vh; border: 1px solid #bbb; background: #f4f1ea; }}
#filters {{ display: flex; flex-wrap: wrap; gap: 6px 18px; align-items: center; margin: 6px 0; }}
#filters fieldset {{ border: 1px solid #ccc; padding: 2px 8px; margin: 0; }}
.qly-label {{ position: absolute; font: bold 12px {fonts}; color: #7a1010; background: rgba(255,255,255,0.85); padding: 0 3px; border-radius: 3px; pointer-events: none; white-space: nowrap; z-index: 650; }}
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
<h1>{title}</h1>
<p>{summary} {span}<br>{track_note}{missing}</p>
{warn_html}
<div id="map-box">
<div id="map" role="region" aria-label="{t_map}"></div>
<div id="filters">
<fieldset id="filter-class"><legend>{t_filter_class}</legend></fieldset>
<fieldset id="filter-decision"><legend>{t_filter_decision}</legend>
<label><input type="checkbox" value="undecided" checked> {t_undecided}</label>
<label><input type="checkbox" value="confirmed" checked> {t_confirmed}</label>
<label><input type="checkbox" value="rejected" checked> {t_rejected}</label></fieldset>
<label>{t_filter_confidence} <input type="range" id="filter-confidence" min="0" max="1" step="0.05" value="0"> <output id="filter-confidence-value">0.00</output></label>
<span id="shown-count"></span>
</div>
<p class="legend">{legend}<span>{background_note}</span></p>
</div>
<h2>{t_candidates} <small id="decided-count"></small></h2>
{switch}
<p>{t_datums}</p>
<div id="cards"></div>
<h2>{t_decisions}</h2>
<p>{t_kept}
<label>{t_inspector} <input type="text" id="inspector" size="30"></label></p>
<p><button type="button" id="download">{t_download}</button> <span id="unsaved"></span></p>
<pre id="decisions-json"></pre>
<script type="application/json" id="flight-data">{data}</script>
<script>{LEAFLET_JS}</script>
<script>{SCRIPT}</script>
</body></html>
"#,
        html_lang = lang.tag(),
        fonts = CJK_FONT_STACK,
        title = e(lang.t_args("page-title", &[("flight", name.as_str().into())])),
        summary = e(lang.t_args(
            "page-summary",
            &[
                ("confirmed", confirmed.len().into()),
                ("unconfirmed", unconfirmed.len().into()),
                ("photos", flight.view.frames.len().into()),
                ("sightings", flight.view.sightings.len().into()),
            ],
        )),
        span = e(span),
        track_note = e(track_note),
        missing = if missing_frames > 0 {
            format!(
                "<br><b>{}</b>",
                e(lang.t_args("page-frames-missing", &[("count", missing_frames.into())]))
            )
        } else {
            String::new()
        },
        t_map = e(lang.t("page-map")),
        t_filter_class = e(lang.t("page-filter-class")),
        t_filter_decision = e(lang.t("page-filter-decision")),
        t_filter_confidence = e(lang.t("page-filter-confidence")),
        t_undecided = e(lang.t("decision-undecided")),
        t_confirmed = e(lang.t("decision-confirmed")),
        t_rejected = e(lang.t("decision-rejected")),
        legend = [
            "legend-lanes",
            "legend-track",
            "legend-photos",
            "legend-candidates-map"
        ]
        .iter()
        .map(|id| format!("<span>{}</span>", e(lang.t(id))))
        .collect::<String>(),
        background_note = e(background_note),
        t_candidates = e(lang.t("page-candidates")),
        t_datums = e(lang.t("page-datums")),
        t_decisions = e(lang.t("page-decisions")),
        t_kept = e(lang.t("page-decisions-kept")),
        t_inspector = e(lang.t("page-inspector")),
        t_download = e(lang.t_args("page-download", &[("file", Entry::Decisions.name().into())])),
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
