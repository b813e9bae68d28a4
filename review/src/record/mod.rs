//! The printable inspection record (`review record`): for each confirmed finding of an
//! evidence package, one page an inspector prints, fills in by hand (aircraft registration,
//! operator, inspector, signature) and files with the case; and one document for the whole
//! flight (a cover sheet listing the findings, then every finding's record).
//!
//! The record is read from a VERIFIED evidence package (`review export`): its field records,
//! photos, crops and hashes are the package's, so the paper cites exactly what the hash chain
//! protects. It is not part of the package: it cites the manifest head, which a file inside
//! the chain could not. The flight folder gives the flown track for the map inset.
//!
//! Each record is an HTML page with a print stylesheet (A4), printed to PDF by headless
//! Chromium ([`print`]); the HTML is kept beside the PDF.

pub mod inset;
pub mod print;

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use qly_core::geodesy::GeoPoint;
use qly_i18n::Lang;
use serde_json::Value;

use crate::evidence::manifest::{verify, MANIFEST_FILE_NAME};
use crate::evidence::record::FieldRecord;
use crate::flight::Flight;
use crate::report::{class_label, escape_html, predicted_error, thumbs, CJK_FONT_STACK};

/// Largest side of the full photo printed in a record, pixels (sharp at A4 width).
const PHOTO_PX: u32 = 1600;

fn esc(s: &str) -> String {
    escape_html(s)
}

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error(
        "{dir}: the evidence package does not verify ({count} problem(s), first: {first}); \
         a record must cite an intact package: run `review verify` and export again"
    )]
    NotVerified {
        dir: PathBuf,
        count: usize,
        first: String,
    },
    #[error("{path}: {what}")]
    Manifest { path: PathBuf, what: String },
    #[error(
        "{evidence}: the package is of flight {package}, but {flight} is flight {folder}; \
         give the flight folder the package was exported from"
    )]
    OtherFlight {
        evidence: PathBuf,
        package: String,
        flight: PathBuf,
        folder: String,
    },
    #[error("{path}: {action}: {source}")]
    Io {
        path: PathBuf,
        action: &'static str,
        source: std::io::Error,
    },
    #[error("{path}: cannot decode the photo: {source}")]
    BadPhoto {
        path: PathBuf,
        source: image::ImageError,
    },
    #[error(transparent)]
    Print(#[from] print::PrintError),
}

fn io_err(path: &Path, action: &'static str) -> impl FnOnce(std::io::Error) -> RecordError {
    let path = path.to_path_buf();
    move |source| RecordError::Io {
        path,
        action,
        source,
    }
}

/// One confirmed finding as the package records it.
#[derive(Debug, Clone)]
pub struct Finding {
    pub record: FieldRecord,
    /// The hash-chain entry of this field record in the manifest.
    pub entry_sha256: String,
    /// SHA-256 of the crop file, as the manifest lists it (`None`: no crop in the package).
    pub crop_sha256: Option<String>,
}

/// What a record cites of the evidence package.
#[derive(Debug, Clone)]
pub struct Package {
    pub dir: PathBuf,
    pub flight: String,
    pub flight_id: Option<String>,
    pub aircraft: String,
    /// Who made the package.
    pub inspector: String,
    pub created_utc: String,
    pub head_sha256: String,
    /// The office that signed the manifest head, when it is signed.
    pub signer: Option<String>,
    pub findings: Vec<Finding>,
}

fn str_field(m: &Value, key: &str) -> String {
    m.get(key).and_then(Value::as_str).unwrap_or("").to_string()
}

/// Reads the package in `dir` after checking every hash of it; a package that does not
/// verify gives no record.
pub fn read_package(dir: &Path) -> Result<Package, RecordError> {
    let v = verify(dir);
    if !v.ok() {
        return Err(RecordError::NotVerified {
            dir: dir.to_path_buf(),
            count: v.problems.len(),
            first: v
                .problems
                .first()
                .map(|p| p.to_string())
                .unwrap_or_default(),
        });
    }
    let path = dir.join(MANIFEST_FILE_NAME);
    let text = std::fs::read_to_string(&path).map_err(io_err(&path, "reading"))?;
    let bad = |what: String| RecordError::Manifest {
        path: path.clone(),
        what,
    };
    let m: Value = serde_json::from_str(&text).map_err(|e| bad(format!("not JSON: {e}")))?;
    let entries = m
        .get("entries")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("no `entries` array".into()))?;
    let package = entries
        .iter()
        .find(|e| e.get("kind").and_then(Value::as_str) == Some("package"))
        .ok_or_else(|| bad("no `package` entry".into()))?;
    let files: BTreeMap<String, String> = entries
        .iter()
        .filter(|e| e.get("kind").and_then(Value::as_str) == Some("file"))
        .map(|e| (str_field(e, "path"), str_field(e, "sha256")))
        .collect();
    let mut findings = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        if e.get("kind").and_then(Value::as_str) != Some("candidate") {
            continue;
        }
        let record: FieldRecord = serde_json::from_value(e.clone())
            .map_err(|err| bad(format!("entry {i} (candidate): {err}")))?;
        findings.push(Finding {
            crop_sha256: files.get(&record.crop_file).cloned(),
            entry_sha256: str_field(e, "entry_sha256"),
            record,
        });
    }
    if findings.is_empty() {
        return Err(bad("no confirmed candidate in the package".into()));
    }
    Ok(Package {
        dir: dir.to_path_buf(),
        flight: str_field(package, "flight"),
        flight_id: package
            .get("flight_id")
            .and_then(Value::as_str)
            .map(String::from),
        aircraft: str_field(package, "aircraft"),
        inspector: str_field(package, "inspector"),
        created_utc: str_field(package, "created_utc"),
        head_sha256: v.head_sha256.unwrap_or_default(),
        signer: m
            .get("signature")
            .and_then(|s| s.get("signer"))
            .and_then(Value::as_str)
            .map(String::from),
        findings,
    })
}

/// `2027-01-15T08:00:04.000Z` as `2027-01-15 16:00:04` China Standard Time (UTC+8), the
/// time an inspector in China writes down; the input itself when it is no timestamp.
pub fn china_time(utc: &str) -> String {
    // A fixed offset (China has no daylight saving): shift the instant and print it as UTC.
    utc.parse::<jiff::Timestamp>()
        .ok()
        .and_then(|t| t.checked_add(jiff::SignedDuration::from_hours(8)).ok())
        .map_or_else(
            || utc.to_string(),
            |t| t.strftime("%Y-%m-%d %H:%M:%S").to_string(),
        )
}

fn deg(v: f64) -> String {
    format!("{v:.7}")
}

/// The print stylesheet: A4, CJK fonts, hashes in a monospace font small enough that a
/// SHA-256 stays on one line (so it can be read back and searched in the PDF).
fn style() -> String {
    format!(
        r#"@page {{ size: A4; margin: 12mm 12mm 14mm 12mm; }}
body {{ font: 10pt/1.35 {CJK_FONT_STACK}; color: #000; margin: 0; }}
h1 {{ font-size: 17pt; margin: 0 0 2mm; }} h2 {{ font-size: 13pt; margin: 4mm 0 2mm; }}
.sub {{ color: #333; margin: 0 0 3mm; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border: 0.3mm solid #555; padding: 0.8mm 2mm; text-align: left; vertical-align: top; }}
th {{ width: 52mm; background: #eee; font-weight: normal; }}
table.list th {{ width: auto; }}
td.fill {{ height: 6.5mm; }} td.notes {{ height: 15mm; }}
.hash {{ font-family: "DejaVu Sans Mono", "Noto Sans Mono CJK SC", monospace; font-size: 7.5pt; white-space: nowrap; }}
.imgs {{ display: flex; gap: 4mm; margin-top: 3mm; align-items: flex-start; }}
figure {{ margin: 0; }} figcaption {{ font-size: 9pt; color: #333; }}
img.crop {{ width: 48mm; image-rendering: pixelated; border: 0.3mm solid #555; }}
img.photo {{ width: 100%; display: block; border: 0.3mm solid #555; }}
.photo-wrap {{ position: relative; }}
.bbox {{ position: absolute; border: 0.7mm solid #e01010; box-sizing: border-box; }}
.record {{ break-after: page; }} .record:last-child {{ break-after: auto; }}
.photo-page {{ break-before: page; }}
.cover {{ break-after: page; }}
.foot {{ font-size: 9pt; color: #333; }}
"#
    )
}

fn doc(lang: Lang, title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\">\n<title>{}</title>\n<style>\n{}</style></head>\n<body>\n{body}</body></html>\n",
        lang.tag(),
        esc(title),
        style()
    )
}

fn row(o: &mut String, head: &str, value_html: &str) {
    let _ = writeln!(o, "<tr><th>{}</th><td>{value_html}</td></tr>", esc(head));
}

fn fill_row(o: &mut String, head: &str, class: &str) {
    let _ = writeln!(
        o,
        "<tr><th>{}</th><td class=\"{class}\"></td></tr>",
        esc(head)
    );
}

fn flight_label(pkg: &Package) -> String {
    match &pkg.flight_id {
        Some(id) => format!("{} ({id})", pkg.flight),
        None => pkg.flight.clone(),
    }
}

fn data_uri_jpeg(bytes: &[u8]) -> String {
    format!(
        "data:image/jpeg;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// One finding's record, as a `<section>` (its own page, the full photo on the next).
fn finding_section(
    pkg: &Package,
    f: &Finding,
    track: &[GeoPoint],
    lang: Lang,
) -> Result<String, RecordError> {
    let r = &f.record;
    let photo_path = pkg.dir.join(&r.photo_file);
    let img = image::open(&photo_path).map_err(|source| RecordError::BadPhoto {
        path: photo_path.clone(),
        source,
    })?;
    let photo_uri =
        thumbs::data_uri(&img.thumbnail(PHOTO_PX, PHOTO_PX).to_rgb8()).map_err(|source| {
            RecordError::BadPhoto {
                path: photo_path.clone(),
                source,
            }
        })?;
    // The detection box over the photo in percent of its size: a stroke that prints at a
    // visible width whatever the photo's resolution.
    let (w, h) = (img.width().max(1) as f32, img.height().max(1) as f32);
    let b = r.bbox_px;
    let box_style = format!(
        "left:{:.3}%;top:{:.3}%;width:{:.3}%;height:{:.3}%",
        100.0 * b[0] / w,
        100.0 * b[1] / h,
        100.0 * (b[2] - b[0]).max(0.0) / w,
        100.0 * (b[3] - b[1]).max(0.0) / h
    );
    let crop_html = match std::fs::read(pkg.dir.join(&r.crop_file)) {
        Ok(bytes) if f.crop_sha256.is_some() => format!(
            r#"<img class="crop" alt="{}" src="{}">"#,
            esc(&lang.t_args("card-crop-alt", &[("id", r.candidate_id.into())])),
            data_uri_jpeg(&bytes)
        ),
        _ => esc(&lang.t("card-box-outside")),
    };
    let finding = GeoPoint {
        lat_deg: r.lat_wgs84_deg,
        lon_deg: r.lon_wgs84_deg,
    };
    let near_m = (4.0 * r.predicted_error.ce90_m).max(120.0);
    let far_m = track
        .iter()
        .map(|p| p.distance_m(finding))
        .filter(|d| d.is_finite())
        .fold(near_m * 2.0, f64::max)
        * 1.05;
    let ce90 = r.predicted_error.ce90_m;
    let near = inset::svg(track, finding, ce90, near_m, 190.0, lang);
    let far = inset::svg(track, finding, ce90, far_m, 190.0, lang);

    let mut o = String::new();
    let _ = writeln!(
        o,
        "<section class=\"record\" id=\"record-{}\">",
        r.candidate_id
    );
    let _ = writeln!(
        o,
        "<h1>{}</h1>\n<p class=\"sub\">{}</p>",
        esc(&lang.t_args("record-title", &[("id", r.candidate_id.into())])),
        esc(&lang.t_args(
            "record-subtitle",
            &[
                ("flight", flight_label(pkg).into()),
                ("uid", r.candidate_uid.clone().unwrap_or_default().into()),
            ]
        ))
    );
    o.push_str("<table>\n");
    row(&mut o, &lang.t("record-flight"), &esc(&flight_label(pkg)));
    row(
        &mut o,
        &lang.t("record-finding"),
        &esc(&lang.t_args(
            "record-finding-value",
            &[
                ("id", r.candidate_id.into()),
                ("class", class_label(&r.class, lang).into()),
                ("sightings", r.sightings.into()),
                ("confidence", format!("{:.2}", r.confidence_max).into()),
            ],
        )),
    );
    row(
        &mut o,
        &lang.t("record-time"),
        &format!(
            "<b>{}</b> {}<br>{} {}",
            esc(&china_time(&r.time_utc)),
            esc(&lang.t("china-standard-time")),
            esc(&r.time_utc),
            esc(&lang.t("utc"))
        ),
    );
    row(
        &mut o,
        &lang.t("wgs84-label"),
        &format!(
            "<span class=\"wgs84\">{}, {}</span>",
            deg(r.lat_wgs84_deg),
            deg(r.lon_wgs84_deg)
        ),
    );
    row(
        &mut o,
        &lang.t("gcj02-label"),
        &format!(
            "<span class=\"gcj02\">{}, {}</span>",
            deg(r.lat_gcj02_deg),
            deg(r.lon_gcj02_deg)
        ),
    );
    row(
        &mut o,
        &lang.t("record-height"),
        &esc(&r.height_above_ground_m.map_or(lang.t("unknown"), |h| {
            lang.t_args("metres", &[("m", format!("{h:.1}").into())])
        })),
    );
    row(
        &mut o,
        &lang.t("card-predicted-error"),
        &esc(&predicted_error(&r.predicted_error, lang)),
    );
    row(
        &mut o,
        &lang.t("record-confirmed-by"),
        &esc(&lang.t_args(
            "record-confirmed-by-value",
            &[
                ("inspector", r.confirmed_by.as_str().into()),
                (
                    "when",
                    r.decided_utc
                        .as_deref()
                        .map(china_time)
                        .unwrap_or_else(|| lang.t("unknown"))
                        .into(),
                ),
            ],
        )),
    );
    row(&mut o, &lang.t("record-aircraft"), &esc(&r.aircraft));
    fill_row(&mut o, &lang.t("record-aircraft-registration"), "fill");
    fill_row(&mut o, &lang.t("record-operator"), "fill");
    fill_row(&mut o, &lang.t("record-inspector"), "fill");
    fill_row(&mut o, &lang.t("record-signature-date"), "fill");
    fill_row(&mut o, &lang.t("record-notes"), "notes");
    o.push_str("</table>\n");
    let _ = writeln!(o, "<h2>{}</h2>\n<table>", esc(&lang.t("record-hashes")));
    let hash = |h: &str| format!("<span class=\"hash\">{}</span>", esc(h));
    row(
        &mut o,
        &lang.t_args(
            "record-hash-photo",
            &[("file", r.photo_file.as_str().into())],
        ),
        &hash(&r.photo_sha256),
    );
    if let Some(h) = &f.crop_sha256 {
        row(
            &mut o,
            &lang.t_args("record-hash-crop", &[("file", r.crop_file.as_str().into())]),
            &hash(h),
        );
    }
    row(&mut o, &lang.t("record-hash-entry"), &hash(&f.entry_sha256));
    row(&mut o, &lang.t("record-hash-head"), &hash(&pkg.head_sha256));
    row(
        &mut o,
        &lang.t("record-signature"),
        &esc(&pkg.signer.as_deref().map_or_else(
            || lang.t("record-unsigned"),
            |s| lang.t_args("record-signed-by", &[("signer", s.into())]),
        )),
    );
    o.push_str("</table>\n");
    let _ = writeln!(
        o,
        "<div class=\"imgs\"><figure>{crop_html}<figcaption>{}</figcaption></figure><figure>{near}<figcaption>{}</figcaption></figure><figure>{far}<figcaption>{}</figcaption></figure></div>",
        esc(&lang.t("card-crop")),
        esc(&lang.t_args("record-inset-near", &[("m", format!("{near_m:.0}").into())])),
        esc(&lang.t("record-inset-far")),
    );
    let _ = writeln!(
        o,
        "<p class=\"foot\">{}</p>",
        esc(&lang.t("record-verify-hint"))
    );
    let _ = writeln!(
        o,
        "<div class=\"photo-page\"><h2>{}</h2><figure><div class=\"photo-wrap\"><img class=\"photo\" alt=\"{}\" src=\"{photo_uri}\"><div class=\"bbox\" style=\"{box_style}\"></div></div><figcaption>{}</figcaption></figure></div>",
        esc(&lang.t_args("record-photo-title", &[("id", r.candidate_id.into())])),
        esc(&r.photo_file),
        esc(&lang.t_args(
            "record-photo-caption",
            &[
                ("file", r.photo_file.as_str().into()),
                ("time", china_time(&r.time_utc).into()),
            ]
        )),
    );
    o.push_str("</section>\n");
    Ok(o)
}

/// The flight's cover sheet: the flight, the fields to fill, and the list of findings.
fn cover_section(pkg: &Package, lang: Lang) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "<section class=\"cover\">\n<h1>{}</h1>\n<p class=\"sub\">{}</p>\n<table>",
        esc(&lang.t("record-flight-title")),
        esc(&lang.t_args(
            "record-flight-subtitle",
            &[("count", pkg.findings.len().into())]
        ))
    );
    row(&mut o, &lang.t("record-flight"), &esc(&flight_label(pkg)));
    row(&mut o, &lang.t("record-aircraft"), &esc(&pkg.aircraft));
    row(
        &mut o,
        &lang.t("record-package"),
        &esc(&lang.t_args(
            "record-package-value",
            &[
                ("dir", pkg.dir.display().to_string().into()),
                ("created", china_time(&pkg.created_utc).into()),
                ("inspector", pkg.inspector.as_str().into()),
            ],
        )),
    );
    row(
        &mut o,
        &lang.t("record-hash-head"),
        &format!("<span class=\"hash\">{}</span>", esc(&pkg.head_sha256)),
    );
    fill_row(&mut o, &lang.t("record-aircraft-registration"), "fill");
    fill_row(&mut o, &lang.t("record-operator"), "fill");
    fill_row(&mut o, &lang.t("record-inspector"), "fill");
    fill_row(&mut o, &lang.t("record-signature-date"), "fill");
    o.push_str("</table>\n");
    let _ = writeln!(
        o,
        "<h2>{}</h2>\n<table class=\"list\">\n<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        esc(&lang.t("record-findings")),
        esc(&lang.t("record-col-id")),
        esc(&lang.t("card-class")),
        esc(&lang.t("record-col-time")),
        esc(&lang.t("wgs84-label")),
        esc(&lang.t("gcj02-label")),
        esc(&lang.t("record-col-ce90")),
    );
    for f in &pkg.findings {
        let r = &f.record;
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}, {}</td><td>{}, {}</td><td>{:.1}</td></tr>",
            r.candidate_id,
            esc(&class_label(&r.class, lang)),
            esc(&china_time(&r.time_utc)),
            deg(r.lat_wgs84_deg),
            deg(r.lon_wgs84_deg),
            deg(r.lat_gcj02_deg),
            deg(r.lon_gcj02_deg),
            r.predicted_error.ce90_m
        );
    }
    o.push_str("</table>\n</section>\n");
    o
}

/// The record pages as HTML: one per finding (by candidate id), and the flight's.
#[derive(Debug, Clone)]
pub struct RecordPages {
    pub findings: Vec<(u64, String)>,
    pub flight: String,
}

/// Renders the records of `pkg`, with the track of `flight` in the map insets.
pub fn render(pkg: &Package, flight: &Flight, lang: Lang) -> Result<RecordPages, RecordError> {
    let track: Vec<GeoPoint> = flight
        .track
        .iter()
        .map(|p| GeoPoint {
            lat_deg: p.lat_deg,
            lon_deg: p.lon_deg,
        })
        .collect();
    let mut findings = Vec::new();
    let mut all = cover_section(pkg, lang);
    for f in &pkg.findings {
        let section = finding_section(pkg, f, &track, lang)?;
        let title = lang.t_args("record-title", &[("id", f.record.candidate_id.into())]);
        findings.push((f.record.candidate_id, doc(lang, &title, &section)));
        all.push_str(&section);
    }
    Ok(RecordPages {
        findings,
        flight: doc(lang, &lang.t("record-flight-title"), &all),
    })
}

/// Checks that the package is of `flight` (by flight id, when both have one).
pub fn check_same_flight(pkg: &Package, flight: &Flight) -> Result<(), RecordError> {
    let folder = flight.view.header.as_ref().map(|h| h.flight_id.to_string());
    match (&pkg.flight_id, folder) {
        (Some(p), Some(f)) if *p != f => Err(RecordError::OtherFlight {
            evidence: pkg.dir.clone(),
            package: p.clone(),
            flight: flight.folder.root().to_path_buf(),
            folder: f,
        }),
        _ => Ok(()),
    }
}

/// The files [`write_records`] wrote.
#[derive(Debug, Clone)]
pub struct Written {
    /// `record-candidate-<id>.pdf`, one per finding.
    pub findings: Vec<PathBuf>,
    /// `record-flight.pdf`.
    pub flight: PathBuf,
}

/// Writes every record of `pkg` into `out` (created if needed) as HTML and PDF.
pub fn write_records(
    pkg: &Package,
    flight: &Flight,
    out: &Path,
    chromium: &Path,
    lang: Lang,
) -> Result<Written, RecordError> {
    check_same_flight(pkg, flight)?;
    let pages = render(pkg, flight, lang)?;
    std::fs::create_dir_all(out).map_err(io_err(out, "creating"))?;
    let profile = out.join(".chromium-profile");
    let print = |stem: &str, html: &str| -> Result<PathBuf, RecordError> {
        let h = out.join(format!("{stem}.html"));
        std::fs::write(&h, html).map_err(io_err(&h, "writing"))?;
        let pdf = out.join(format!("{stem}.pdf"));
        print::print_pdf(chromium, &h, &pdf, &profile)?;
        Ok(pdf)
    };
    let mut findings = Vec::new();
    for (id, html) in &pages.findings {
        findings.push(print(&format!("record-candidate-{id}"), html)?);
    }
    let flight_pdf = print("record-flight", &pages.flight)?;
    // Chromium's scratch profile is ours; the records do not need it.
    let _ = std::fs::remove_dir_all(&profile);
    Ok(Written {
        findings,
        flight: flight_pdf,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn china_time_is_eight_hours_ahead_and_plain() {
        assert_eq!(
            super::china_time("2027-01-15T20:00:04.000Z"),
            "2027-01-16 04:00:04"
        );
        assert_eq!(super::china_time("not a time"), "not a time");
    }
}
