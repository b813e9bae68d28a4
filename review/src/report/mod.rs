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
use qly_flight::record::{CandidateRecord, HorizontalError};

use qly_i18n::Lang;

use crate::flight::{utc_and_china_time, Flight, FlightWarning, TrackSource};

const SCRIPT: &str = include_str!("page.js");

/// The pages' fonts: CJK-capable ones first (Debian's fonts-noto-cjk, Adobe's name for the
/// same family, the usual Linux, Windows and macOS Chinese fonts), so that Chinese text never
/// falls back to a font without its glyphs (tofu boxes).
pub const CJK_FONT_STACK: &str = "\"Noto Sans CJK SC\", \"Source Han Sans SC\", \"WenQuanYi Micro Hei\", \"Microsoft YaHei\", \"PingFang SC\", system-ui, sans-serif";

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
    lang: Lang,
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
                        r#"<img class="crop" alt="{}" src="{uri}">"#,
                        escape_html(&lang.t_args("card-crop-alt", &[("id", c.id.into())]))
                    )
                })
                .unwrap_or_else(|| placeholder(&lang.t("card-box-outside")));
            let full =
                thumbs::data_uri(&thumbs::frame_with_box(img, c.best.bbox_px, FRAME_THUMB_PX))
                    .map(|uri| {
                        format!(
                            r#"<img class="frame" alt="frame {}" src="{uri}">"#,
                            escape_html(&c.best.file)
                        )
                    })
                    .unwrap_or_else(|e| {
                        placeholder(&lang.t_args(
                            "card-frame-not-encodable",
                            &[("error", e.to_string().into())],
                        ))
                    });
            (crop, full)
        }
        FrameImage::Missing(path) => {
            let t = lang.t_args(
                "card-frame-missing",
                &[("path", path.display().to_string().into())],
            );
            (placeholder(&t), placeholder(&t))
        }
        FrameImage::Unreadable(path, e) => {
            let w = lang.t_args(
                "card-frame-unreadable",
                &[
                    ("path", path.display().to_string().into()),
                    ("error", e.as_str().into()),
                ],
            );
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
        .map_or(lang.t("unknown"), |h| {
            lang.t_args("metres", &[("m", format!("{h:.1}").into())])
        });
    let confirmed = flight.is_confirmed(c);
    let (extra_class, badge) = if confirmed {
        ("", String::new())
    } else {
        (
            " unconfirmed",
            format!(
                r#" <span class="unconf-badge">{}</span>"#,
                escape_html(&lang.t_args(
                    "card-unconfirmed-badge",
                    &[
                        ("seen", c.sightings.into()),
                        ("needed", flight.view.confirmation().min_sightings().into()),
                    ],
                ))
            ),
        )
    };
    let uid = flight.uid(c.id);
    let uid_row = uid.as_deref().map_or(String::new(), |u| {
        format!(
            "<tr><th>{}</th><td class=\"uid\">{}</td></tr>\n",
            escape_html(&lang.t("card-uid")),
            escape_html(u)
        )
    });
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<section class="cand undecided{extra_class}" id="cand-{id}" data-uid="{uid_attr}">
<h3>{t_candidate} <span class="cls">{class}</span> <span class="status" id="status-{id}">{t_undecided}</span>{badge}</h3>
<div class="imgs"><figure>{crop_html}<figcaption>{t_crop}</figcaption></figure><figure>{frame_html}<figcaption>{file}</figcaption></figure></div>
<table>
<tr><th>{t_class}</th><td>{class}</td></tr>
<tr><th>{t_confidence}</th><td>{confidence}</td></tr>
<tr><th>{t_best_time}</th><td>{utc} ({t_utc})<br>{cst} ({t_cst})</td></tr>
<tr><th>{t_seen}</th><td>{first_utc} – {last_utc} ({t_utc})</td></tr>
<tr><th>{t_wgs84}</th><td class="wgs84">{lat}, {lon}</td></tr>
<tr><th>{t_gcj02}</th><td class="gcj02">{glat}, {glon}</td></tr>
<tr><th>{t_position}</th><td>{attribution}</td></tr>
<tr><th>{t_sightings}</th><td>{sightings}</td></tr>
<tr><th>{t_error}</th><td>{error}</td></tr>
<tr><th>{t_camera}</th><td>{camera}</td></tr>
<tr><th>{t_revision}</th><td>{rev}</td></tr>
{uid_row}</table>
<p><button type="button" class="confirm" data-id="{id}" data-decision="confirmed">{t_confirm}</button>
<button type="button" class="reject" data-id="{id}" data-decision="rejected">{t_reject}</button></p>
</section>
"#,
        id = c.id,
        class = escape_html(&class_label(&c.class_name, lang)),
        file = escape_html(&c.best.file),
        t_candidate = e(lang.t_args("card-candidate", &[("id", c.id.into())])),
        t_undecided = e(lang.t("decision-undecided")),
        t_crop = e(lang.t("card-crop")),
        t_class = e(lang.t("card-class")),
        t_confidence = e(lang.t("card-confidence")),
        confidence = e(lang.t_args(
            "card-confidence-value",
            &[
                ("max", format!("{:.2}", c.confidence_max).into()),
                ("mean", format!("{:.2}", c.confidence_mean).into()),
            ],
        )),
        t_best_time = e(lang.t("card-best-time")),
        t_utc = e(lang.t("utc")),
        t_cst = e(lang.t("china-standard-time")),
        t_seen = e(lang.t("card-seen")),
        t_wgs84 = e(lang.t("wgs84-label")),
        t_gcj02 = e(lang.t("gcj02-label")),
        t_position = e(lang.t("card-position")),
        t_sightings = e(lang.t("card-sightings")),
        t_error = e(lang.t("card-predicted-error")),
        error = e(predicted_error(&c.error, lang)),
        t_camera = e(lang.t("card-camera")),
        camera = e(lang.t_args(
            "card-camera-value",
            &[
                ("height", hag.into()),
                ("slant", format!("{:.1}", c.best.slant_range_m).into()),
            ],
        )),
        t_revision = e(lang.t("card-revision")),
        t_confirm = e(lang.t("decision-confirm")),
        t_reject = e(lang.t("decision-reject")),
        lat = fmt_deg(c.lat_deg),
        lon = fmt_deg(c.lon_deg),
        glat = fmt_deg(gcj.lat_deg),
        glon = fmt_deg(gcj.lon_deg),
        attribution = escape_html(&c.attribution),
        sightings = c.sightings,
        rev = c.revision,
        uid_attr = escape_html(uid.as_deref().unwrap_or("")),
    );
    s
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

/// Renders the review page of `flight` in `lang`.
pub fn render_report(flight: &Flight, lang: Lang) -> Report {
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
        .map(|c| candidate_card(c, flight, &mut frames, &mut warnings, lang))
        .collect();
    let name = flight_name(flight.folder.root());
    let flight_id = flight.view.header.as_ref().map(|h| h.flight_id.to_string());
    let data = serde_json::json!({
        "flight": name,
        "flight_id": flight_id,
        "journal_sha256": journal_sha256(flight),
        "decisions_file": Entry::Decisions.name(),
        // The words the page's script writes (statuses, counts), in the page's language.
        "text": {
            "undecided": lang.t("decision-undecided"),
            "confirmed": lang.t("decision-confirmed"),
            "rejected": lang.t("decision-rejected"),
            "decided_of": lang.t_args("page-decided-of", &[("decided", "{n}".into()), ("shown", "{m}".into())]),
            "not_downloaded": lang.t("page-not-downloaded"),
        },
        "candidates": flight.candidates().iter().map(|c| serde_json::json!({
            "id": c.id, "revision": c.revision, "class": c.class_name,
            "confirmed": flight.is_confirmed(c), "uid": flight.uid(c.id),
        })).collect::<Vec<_>>(),
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
    let mut html = String::new();
    let _ = write!(
        html,
        r#"<!DOCTYPE html>
<html lang="{html_lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font: 14px/1.4 {fonts}; margin: 16px; color: #1a1a1a; background: #fff; }}
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
<h1>{title}</h1>
<p>{summary} {span}<br>{track_note}{missing}</p>
{warn_html}
<h2>{t_map}</h2>
{svg}
<p class="legend">{legend}</p>
<h2>{t_candidates} <small id="decided-count"></small></h2>
{switch}
<p>{t_datums}</p>
{cards}
<h2>{t_decisions}</h2>
<p>{t_kept}
<label>{t_inspector} <input type="text" id="inspector" size="30"></label></p>
<p><button type="button" id="download">{t_download}</button> <span id="unsaved"></span></p>
<pre id="decisions-json"></pre>
<script type="application/json" id="flight-data">{data}</script>
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
        legend = [
            "legend-lanes",
            "legend-track",
            "legend-photos",
            "legend-candidates",
            "legend-frame",
        ]
        .iter()
        .map(|id| format!("<span>{}</span>", e(lang.t(id))))
        .collect::<String>(),
        t_candidates = e(lang.t("page-candidates")),
        t_datums = e(lang.t("page-datums")),
        t_decisions = e(lang.t("page-decisions")),
        t_kept = e(lang.t("page-decisions-kept")),
        t_inspector = e(lang.t("page-inspector")),
        t_download = e(lang.t_args("page-download", &[("file", Entry::Decisions.name().into())])),
        svg = map::svg(flight),
        data = script_json(&data),
    );
    Report { html, warnings }
}
