//! The server's HTML pages: plain, self-contained (inline style and script, nothing fetched
//! from elsewhere), text from the catalogue.

use std::fmt::Write as _;

use qly_flight::export::iso8601_utc_ms;
use qly_i18n::Lang;
use qly_store::{CandidateRow, FlightRow, SiteSummary};
use serde_json::Value;

use super::contest::Contest;
use super::review_routes::SiteFilter;
use super::state::AppState;

/// HTML-escapes text.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Percent-encodes a path segment (flight ids are plain, but a link must not break).
pub fn path_segment(s: &str) -> String {
    let mut o = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            o.push(b as char);
        } else {
            let _ = write!(o, "%{b:02X}");
        }
    }
    o
}

fn head(title: &str, lang: Lang, extra_style: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>\n\
body{{font-family:{};margin:1.5em;color:#222}}\n\
table{{border-collapse:collapse;margin:0.5em 0 1.5em}}\n\
th,td{{border:1px solid #bbb;padding:0.3em 0.6em;text-align:left}}\n\
th{{background:#eef}}\ntd.num{{text-align:right;font-variant-numeric:tabular-nums}}\n\
.note{{color:#555;font-size:0.9em}}\nform.inline{{display:inline}}\n{extra_style}\n\
</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        lang.tag(),
        esc(title),
        crate::report::CJK_FONT_STACK,
        esc(title)
    )
}

const FOOT: &str = "</body>\n</html>\n";

pub fn index(st: &AppState) -> String {
    let lang = st.lang;
    let mut o = head(&lang.t("serve-index-title"), lang, "");
    o.push_str("<ul>\n");
    let _ = writeln!(
        o,
        "<li><a href=\"/review\">{}</a> (<a href=\"/api/flights.geojson\">flights.geojson</a>, \
         <a href=\"/api/sites.geojson\">sites.geojson</a>)</li>",
        esc(&lang.t("serve-index-review"))
    );
    if let Some(c) = &st.contest {
        let _ = writeln!(
            o,
            "<li><a href=\"/contest/leaderboard\">{}</a>: {}</li>\n<li>{}: \
             <a href=\"/contest/results.html\">HTML</a>, <a href=\"/contest/results.csv\">CSV</a></li>",
            esc(&lang.t("serve-index-leaderboard")),
            esc(&c.title),
            esc(&lang.t("serve-index-results"))
        );
    }
    o.push_str("</ul>\n");
    let _ = writeln!(
        o,
        "<p class=\"note\">{}</p>",
        esc(&lang.t_args("serve-index-store", &[("store", st.store.name().into())]))
    );
    o.push_str(FOOT);
    o
}

/// The live leaderboard: the table as of now, redrawn by a small inline script that polls
/// `leaderboard.json`; without script, the page reloads itself.
pub fn leaderboard(c: &Contest, data: &Value, lang: Lang) -> String {
    let mut o = head(
        &c.title,
        lang,
        "tr.first td{font-weight:bold}\nbody{font-size:1.2em}",
    );
    let _ = writeln!(
        o,
        "<noscript><meta http-equiv=\"refresh\" content=\"{}\"></noscript>",
        c.refresh_s
    );
    let heads: Vec<String> = [
        "col-rank",
        "col-team",
        "col-score",
        "col-found",
        "col-false",
        "col-mean-error",
        "col-last-report",
        "serve-col-uploads",
        "serve-col-last-upload",
    ]
    .iter()
    .map(|id| format!("<th>{}</th>", esc(&lang.t(id))))
    .collect();
    let _ = writeln!(
        o,
        "<p class=\"note\">{} <span id=\"updated\">{}</span>. {}</p>\n<table>\n<thead><tr>{}</tr></thead>\n<tbody id=\"rows\">",
        esc(&lang.t("serve-board-updated")),
        esc(data["updated_utc"].as_str().unwrap_or("")),
        esc(&lang.t_args("serve-board-refresh", &[("seconds", c.refresh_s.into())])),
        heads.concat()
    );
    let targets = data["targets"].as_u64().unwrap_or(0);
    for t in data["teams"].as_array().into_iter().flatten() {
        let cells = row_cells(t, targets);
        let first = t["rank"].as_u64() == Some(1);
        let _ = write!(o, "<tr{}>", if first { " class=\"first\"" } else { "" });
        for (i, c) in cells.iter().enumerate() {
            let class = if i == 1 { "" } else { " class=\"num\"" };
            let _ = write!(o, "<td{class}>{}</td>", esc(c));
        }
        o.push_str("</tr>\n");
    }
    let _ = writeln!(o, "</tbody>\n</table>");
    // The same cells as row_cells, in script.
    let _ = write!(
        o,
        "<script>\n(function () {{\n\
  var version = {version};\n\
  var refreshMs = {refresh_ms};\n\
  function clock(s) {{ if (s === null) return '-'; var t = Math.round(Math.abs(s)); var h = Math.floor(t / 3600), m = Math.floor(t / 60) % 60, x = t % 60; var p = function (n) {{ return (n < 10 ? '0' : '') + n; }}; return (s < 0 ? '-' : '') + (h > 0 ? h + ':' + p(m) : m) + ':' + p(x); }}\n\
  function metres(v) {{ return v === null ? '-' : v.toFixed(1); }}\n\
  function draw(b) {{\n\
    var rows = b.teams.map(function (t) {{\n\
      var tr = document.createElement('tr');\n\
      if (t.rank === 1) tr.className = 'first';\n\
      [t.rank, t.team, t.score.toFixed(2), t.found + '/' + b.targets, t.false_reports, metres(t.mean_error_m), clock(t.last_report_s), t.uploads, t.last_upload_utc || '-'].forEach(function (v, i) {{\n\
        var td = document.createElement('td'); td.textContent = String(v); if (i !== 1) td.className = 'num'; tr.appendChild(td);\n\
      }});\n\
      return tr;\n\
    }});\n\
    document.getElementById('rows').replaceChildren.apply(document.getElementById('rows'), rows);\n\
    document.getElementById('updated').textContent = b.updated_utc;\n\
  }}\n\
  function tick() {{\n\
    fetch('leaderboard.json', {{cache: 'no-store'}}).then(function (r) {{ return r.ok ? r.json() : null; }}).then(function (b) {{\n\
      if (b && b.version !== version) {{ version = b.version; draw(b); }}\n\
    }}).catch(function () {{}}).then(function () {{ setTimeout(tick, refreshMs); }});\n\
  }}\n\
  setTimeout(tick, refreshMs);\n\
}})();\n</script>\n",
        version = serde_json::to_string(&data["version"]).unwrap_or_else(|_| "null".into()),
        refresh_ms = u64::from(c.refresh_s) * 1000,
    );
    o.push_str(FOOT);
    o
}

/// A leaderboard row's cells (the script draws the same).
fn row_cells(t: &Value, targets: u64) -> Vec<String> {
    let num = |k: &str| t[k].as_u64().map_or_else(|| "-".into(), |n| n.to_string());
    vec![
        num("rank"),
        t["team"].as_str().unwrap_or("").to_string(),
        t["score"]
            .as_f64()
            .map_or_else(|| "-".into(), |s| format!("{s:.2}")),
        format!("{}/{targets}", num("found")),
        num("false_reports"),
        t["mean_error_m"]
            .as_f64()
            .map_or_else(|| "-".into(), |m| format!("{m:.1}")),
        t["last_report_s"]
            .as_f64()
            .map_or_else(|| "-".into(), crate::render::clock),
        num("uploads"),
        t["last_upload_utc"].as_str().unwrap_or("-").to_string(),
    ]
}

fn table_head(lang: Lang, ids: &[&str]) -> String {
    let cells: String = ids
        .iter()
        .map(|id| format!("<th>{}</th>", esc(&lang.t(id))))
        .collect();
    format!("<table>\n<tr>{cells}</tr>\n")
}

fn class_name(c: &str, lang: Lang) -> String {
    match c {
        "outfall" => lang.t("class-outfall"),
        "plume" => lang.t("class-plume"),
        other => other.to_string(),
    }
}

/// The flights and the sites, with the filter form.
pub fn review(flights: &[FlightRow], sites: &[SiteSummary], f: &SiteFilter, lang: Lang) -> String {
    let mut o = head(&lang.t("serve-review-title"), lang, "");
    // The filter form.
    let mut rivers: Vec<&str> = flights.iter().map(|f| f.river.as_str()).collect();
    rivers.sort();
    rivers.dedup();
    let sel = |on: bool| if on { " selected" } else { "" };
    let _ = write!(
        o,
        "<form method=\"get\" action=\"/review\">\n<label>{} <select name=\"river\"><option value=\"\">{}</option>",
        esc(&lang.t("serve-review-river")),
        esc(&lang.t("serve-review-all-rivers"))
    );
    for r in &rivers {
        let _ = write!(
            o,
            "<option value=\"{}\"{}>{}</option>",
            esc(r),
            sel(f.river() == Some(*r)),
            esc(if r.is_empty() { "-" } else { r })
        );
    }
    let _ = write!(
        o,
        "</select></label>\n<label>{} <select name=\"which\">",
        esc(&lang.t("serve-review-which"))
    );
    let which = f.which.as_deref().unwrap_or("all");
    for (v, id) in [
        ("all", "serve-which-all"),
        ("new", "serve-which-new"),
        ("not-seen", "serve-which-not-seen"),
        ("plume-again", "serve-which-plume-again"),
    ] {
        let _ = write!(
            o,
            "<option value=\"{v}\"{}>{}</option>",
            sel(which == v),
            esc(&lang.t(id))
        );
    }
    let _ = writeln!(
        o,
        "</select></label>\n<button type=\"submit\">{}</button>\n</form>",
        esc(&lang.t("serve-review-filter"))
    );
    // Flights.
    let _ = writeln!(
        o,
        "<h2>{} ({})</h2>\n<p class=\"note\"><a href=\"/api/flights.geojson\">GeoJSON</a></p>",
        esc(&lang.t("serve-review-flights")),
        flights.len()
    );
    o.push_str(&table_head(
        lang,
        &[
            "serve-col-flight",
            "serve-col-river",
            "serve-col-time",
            "serve-col-photos",
            "serve-col-candidates",
            "serve-col-confirmed",
            "serve-col-decided",
        ],
    ));
    for fl in flights
        .iter()
        .filter(|x| f.river().is_none_or(|r| x.river == r))
    {
        let _ = writeln!(
            o,
            "<tr><td><a href=\"/review/flights/{}\">{}</a></td><td>{}</td><td>{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            path_segment(&fl.flight_id),
            esc(&fl.flight_id),
            esc(&fl.river),
            iso8601_utc_ms(fl.time_utc_us),
            fl.frames,
            fl.candidates,
            fl.confirmed,
            fl.decided
        );
    }
    o.push_str("</table>\n");
    // Sites.
    let mut q = vec![format!("which={}", path_segment(which))];
    if let Some(r) = f.river() {
        q.push(format!("river={}", path_segment(r)));
    }
    let _ = writeln!(
        o,
        "<h2>{} ({})</h2>\n<p class=\"note\"><a href=\"/api/sites.geojson?{}\">GeoJSON</a></p>",
        esc(&lang.t("serve-review-sites")),
        sites.len(),
        esc(&q.join("&"))
    );
    o.push_str(&table_head(
        lang,
        &[
            "serve-col-site",
            "serve-col-class",
            "serve-col-position",
            "serve-col-ce90",
            "serve-col-first-seen",
            "serve-col-last-seen",
            "serve-col-passed",
            "serve-col-seen",
            "serve-col-plume",
            "serve-col-last-flight",
            "serve-col-decision",
        ],
    ));
    for s in sites {
        let last = s.last_flight.as_deref().map_or_else(
            || "-".to_string(),
            |id| {
                format!(
                    "<a href=\"/review/flights/{}\">{}</a>",
                    path_segment(id),
                    esc(id)
                )
            },
        );
        let _ = writeln!(
            o,
            "<tr><td class=\"num\">{}</td><td>{}</td><td>{:.7}, {:.7}</td><td class=\"num\">{:.2}</td>\
             <td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>",
            s.id,
            esc(&class_name(&s.class_name, lang)),
            s.lat_deg,
            s.lon_deg,
            s.ce90_m,
            s.first_seen_utc_us.map_or_else(|| "-".into(), iso8601_utc_ms),
            s.last_seen_utc_us.map_or_else(|| "-".into(), iso8601_utc_ms),
            s.flights_passed,
            s.flights_seen,
            s.flights_with_plume,
            last,
            esc(s.decision.as_deref().unwrap_or("-"))
        );
    }
    o.push_str("</table>\n");
    o.push_str(FOOT);
    o
}

/// A flight's candidates, each with its decision and a form to record one.
pub fn flight(flight_id: &str, cands: &[CandidateRow], tokens: bool, lang: Lang) -> String {
    let mut o = head(
        &lang.t_args("serve-flight-title", &[("flight", flight_id.into())]),
        lang,
        "",
    );
    let _ = writeln!(
        o,
        "<p><a href=\"/review\">{}</a> · <a href=\"/api/flights/{}/candidates.geojson\">GeoJSON</a></p>",
        esc(&lang.t("serve-review-title")),
        path_segment(flight_id)
    );
    if tokens {
        let _ = writeln!(
            o,
            "<p class=\"note\">{}</p>",
            esc(&lang.t("serve-decide-token-note"))
        );
    }
    o.push_str(&table_head(
        lang,
        &[
            "serve-col-candidate",
            "serve-col-class",
            "serve-col-position",
            "serve-col-ce90",
            "serve-col-sightings",
            "serve-col-confidence",
            "serve-col-site",
            "serve-col-decision",
            "serve-col-decide",
        ],
    ));
    for c in cands {
        let decision = match (&c.verdict, &c.inspector, &c.decided_utc) {
            (Some(v), who, when) => {
                let by = [who.as_deref(), when.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(", ");
                if by.is_empty() {
                    v.clone()
                } else {
                    format!("{v} ({by})")
                }
            }
            (None, _, _) => "-".to_string(),
        };
        let _ = write!(
            o,
            "<tr><td class=\"num\">{}</td><td>{}</td><td>{:.7}, {:.7}</td><td class=\"num\">{:.2}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{:.2}</td><td class=\"num\">{}</td><td>{}</td><td>",
            c.candidate_id,
            esc(&class_name(&c.class_name, lang)),
            c.lat_deg,
            c.lon_deg,
            c.ce90_m,
            c.sightings,
            c.confidence_max,
            c.site_id.map_or_else(|| "-".into(), |s| s.to_string()),
            esc(&decision)
        );
        let inspector_input = if tokens {
            String::new()
        } else {
            format!(
                "<input name=\"inspector\" required placeholder=\"{}\" value=\"{}\">",
                esc(&lang.t("serve-decide-inspector")),
                esc(c.inspector.as_deref().unwrap_or(""))
            )
        };
        let _ = write!(
            o,
            "<form class=\"inline\" method=\"post\" action=\"/api/decisions\">\
             <input type=\"hidden\" name=\"flight_id\" value=\"{}\">\
             <input type=\"hidden\" name=\"candidate_id\" value=\"{}\">{inspector_input}\
             <button name=\"verdict\" value=\"confirmed\">{}</button>\
             <button name=\"verdict\" value=\"rejected\">{}</button></form>",
            esc(flight_id),
            c.candidate_id,
            esc(&lang.t("serve-decide-confirm")),
            esc(&lang.t("serve-decide-reject"))
        );
        o.push_str("</td></tr>\n");
    }
    o.push_str("</table>\n");
    o.push_str(FOOT);
    o
}
