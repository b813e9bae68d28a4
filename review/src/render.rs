//! The leaderboard and per-team tables as terminal text, CSV and a self-contained HTML page.

use std::fmt::Write as _;

use crate::checks::Warning;
use crate::leaderboard::Standing;
use crate::score::TeamResult;
use crate::settings::{PenaltyScale, ScoreSettings, SpeedCredit};
use qly_i18n::width::table as width_table;
use qly_i18n::{Arg, Lang};

/// Seconds as `m:ss` (or `h:mm:ss`), the way a judge reads a stopwatch.
pub fn clock(seconds: f64) -> String {
    let sign = if seconds < 0.0 { "-" } else { "" };
    let total = seconds.abs().round() as u64;
    let (h, m, s) = (total / 3600, (total / 60) % 60, total % 60);
    if h > 0 {
        format!("{sign}{h}:{m:02}:{s:02}")
    } else {
        format!("{sign}{m}:{s:02}")
    }
}

fn metres(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_string(), |m| format!("{m:.1}"))
}

fn found(r: &TeamResult) -> String {
    format!("{}/{}", r.finds.len(), r.targets)
}

/// `T1 3:12, T2 5:40` (a find without a time shows `-`).
fn times_to_finds(r: &TeamResult) -> String {
    r.finds
        .iter()
        .map(|f| {
            format!(
                "{} {}",
                f.target_id,
                f.time_s.map_or_else(|| "-".to_string(), clock)
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// One line stating the rules in force.
pub fn rules_line(s: &ScoreSettings, lang: Lang) -> String {
    let num = |v: f64| Arg::from(v.to_string());
    let gate = s.eligible_within_m.map_or_else(
        || lang.t("rules-no-gate"),
        |r| lang.t_args("rules-gate", &[("metres", num(r))]),
    );
    let class = if s.require_same_class {
        lang.t("rules-same-class")
    } else {
        String::new()
    };
    let speed = match s.speed {
        SpeedCredit::Linear { time_limit_s } => lang.t_args(
            "rules-speed-linear",
            &[("limit", clock(time_limit_s).into())],
        ),
        SpeedCredit::WithinLimit { time_limit_s } => lang.t_args(
            "rules-speed-within",
            &[("limit", clock(time_limit_s).into())],
        ),
    };
    let w = s.weights;
    let cap = s.max_reports_per_target.map_or_else(
        || lang.t("rules-no-cap"),
        |k| lang.t_args("rules-cap", &[("k", num(k))]),
    );
    let penalty = match s.penalty_scale {
        PenaltyScale::PerTarget => lang.t_args(
            "rules-penalty-per-target",
            &[("penalty", num(s.false_report_penalty))],
        ),
        PenaltyScale::PerTask => lang.t_args(
            "rules-penalty-per-task",
            &[("penalty", num(s.false_report_penalty))],
        ),
    };
    let parts: Vec<String> = [
        (w.discovery, lang.t("rules-discovery")),
        (
            w.location,
            lang.t_args(
                "rules-location",
                &[
                    ("full", num(s.location_full_within_m)),
                    ("zero", num(s.location_zero_at_m)),
                ],
            ),
        ),
        (w.classification, lang.t("rules-classification")),
        (w.speed, speed),
        (w.autonomy, lang.t("rules-autonomy")),
    ]
    .into_iter()
    .filter(|(weight, _)| *weight != 0.0)
    .map(|(weight, what)| format!("{weight} x {what}"))
    .collect();
    lang.t_args(
        "rules-line",
        &[
            ("gate", gate.into()),
            ("class", class.into()),
            ("credit", parts.join(" + ").into()),
            ("penalty", penalty.into()),
            ("cap", cap.into()),
        ],
    )
}

/// The leaderboard's column headings (terminal and HTML).
fn board_head(lang: Lang) -> Vec<String> {
    [
        "col-rank",
        "col-team",
        "col-score",
        "col-found",
        "col-false",
        "col-ignored",
        "col-mean-error",
        "col-median-error",
        "col-last-report",
    ]
    .iter()
    .map(|id| lang.t(id))
    .collect()
}

/// A team's finds table headings (terminal and HTML).
fn finds_head(lang: Lang) -> Vec<String> {
    [
        lang.t("col-target"),
        lang.t("col-report"),
        lang.t("col-error"),
        lang.t("col-time"),
        lang.t("col-credit"),
    ]
    .to_vec()
}

/// The lists under a team's finds: false, forgiven and ignored reports.
fn report_lists(r: &TeamResult, lang: Lang) -> [(String, &Vec<String>); 3] {
    [
        (lang.t("board-false-reports"), &r.false_reports),
        (lang.t("board-forgiven"), &r.forgiven_reports),
        (lang.t("board-ignored"), &r.ignored_reports),
    ]
}

fn team_line(r: &TeamResult, lang: Lang) -> String {
    lang.t_args(
        "board-team-line",
        &[
            ("score", format!("{:.2}", r.score).into()),
            ("found", found(r).into()),
            ("credit", format!("{:.3}", r.credit).into()),
            ("penalty", format!("{:.3}", r.penalty).into()),
        ],
    )
}

/// The terminal report: leaderboard, then each team's finds, then warnings.
pub fn terminal(
    board: &[Standing],
    settings: &ScoreSettings,
    warnings: &[Warning],
    lang: Lang,
) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{}",
        lang.t_args(
            "board-rules",
            &[("rules", rules_line(settings, lang).into())]
        )
    );
    let _ = writeln!(o);
    let _ = writeln!(o, "{}", lang.t("board-leaderboard"));
    let head = board_head(lang);
    let rows: Vec<Vec<String>> = board
        .iter()
        .map(|s| {
            let r = &s.result;
            vec![
                s.rank.to_string(),
                r.team.clone(),
                format!("{:.2}", r.score),
                found(r),
                r.false_reports.len().to_string(),
                r.ignored_reports.len().to_string(),
                metres(r.mean_error_m),
                metres(r.median_error_m),
                r.last_report_s.map_or_else(|| "-".to_string(), clock),
            ]
        })
        .collect();
    table(&mut o, &head, &rows);
    for s in board {
        let r = &s.result;
        let _ = writeln!(o);
        let _ = writeln!(o, "{}: {}", r.team, team_line(r, lang));
        let rows: Vec<Vec<String>> = r
            .finds
            .iter()
            .map(|f| {
                vec![
                    f.target_id.clone(),
                    f.report_id.clone(),
                    metres(f.error_m),
                    f.time_s.map_or_else(|| "-".to_string(), clock),
                    format!("{:.3}", f.credit.total()),
                ]
            })
            .collect();
        if !rows.is_empty() {
            table(&mut o, &finds_head(lang), &rows);
        }
        for (what, ids) in report_lists(r, lang) {
            if !ids.is_empty() {
                let _ = writeln!(
                    o,
                    "  {}",
                    lang.t_args(
                        "board-list",
                        &[("what", what.into()), ("ids", ids.join(", ").into())]
                    )
                );
            }
        }
    }
    if !warnings.is_empty() {
        let _ = writeln!(o);
        let _ = writeln!(o, "{}", lang.t("board-warnings"));
        for w in warnings {
            let _ = writeln!(
                o,
                "  {}",
                lang.t_args("warning-line", &[("warning", w.to_string().into())])
            );
        }
    }
    o
}

/// Columns aligned by display width: Chinese team names and headings take two columns a
/// character.
fn table(o: &mut String, head: &[String], rows: &[Vec<String>]) {
    for line in width_table(head, rows) {
        let _ = writeln!(o, "  {line}");
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The UTF-8 byte-order mark that CSVs start with: Excel on Chinese Windows reads a CSV
/// without it in the ANSI code page (GBK) and garbles Chinese team names.
pub const UTF8_BOM: &str = "\u{feff}";

/// The leaderboard as CSV (with a UTF-8 BOM), one row per team, headings in `lang`. Times
/// are seconds after the start; the finds column lists `target=seconds` pairs separated by
/// `;`.
pub fn csv(board: &[Standing], lang: Lang) -> String {
    let head: Vec<String> = [
        "csv-rank",
        "csv-team",
        "csv-score",
        "csv-found",
        "csv-targets",
        "csv-false-reports",
        "csv-ignored-reports",
        "csv-mean-error-m",
        "csv-median-error-m",
        "csv-last-report-s",
        "csv-times-to-finds-s",
        "csv-false-report-ids",
    ]
    .iter()
    .map(|id| csv_field(&lang.t(id)))
    .collect();
    let mut o = format!("{UTF8_BOM}{}\n", head.join(","));
    let opt =
        |v: Option<f64>, digits: usize| v.map_or_else(String::new, |x| format!("{x:.digits$}"));
    for s in board {
        let r = &s.result;
        let finds = r
            .finds
            .iter()
            .map(|f| format!("{}={}", f.target_id, opt(f.time_s, 1)))
            .collect::<Vec<_>>()
            .join(";");
        let fields = [
            s.rank.to_string(),
            r.team.clone(),
            format!("{:.4}", r.score),
            r.finds.len().to_string(),
            r.targets.to_string(),
            r.false_reports.len().to_string(),
            r.ignored_reports.len().to_string(),
            opt(r.mean_error_m, 3),
            opt(r.median_error_m, 3),
            opt(r.last_report_s, 1),
            finds,
            r.false_reports.join(";"),
        ];
        let line = fields
            .iter()
            .map(|f| csv_field(f))
            .collect::<Vec<_>>()
            .join(",");
        o.push_str(&line);
        o.push('\n');
    }
    o
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A self-contained page (inline style, no script, nothing fetched) for a projector or a
/// notice board.
pub fn html(
    title: &str,
    board: &[Standing],
    settings: &ScoreSettings,
    warnings: &[Warning],
    lang: Lang,
) -> String {
    let mut o = String::new();
    let th = |cells: Vec<String>| -> String {
        cells
            .iter()
            .map(|c| format!("<th>{}</th>", esc(c)))
            .collect()
    };
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>\n\
body{{font-family:{};margin:2em;color:#222}}\n\
table{{border-collapse:collapse;margin:0.5em 0 1.5em}}\n\
th,td{{border:1px solid #bbb;padding:0.3em 0.7em;text-align:left}}\n\
th{{background:#eef}}\ntd.num{{text-align:right;font-variant-numeric:tabular-nums}}\n\
tr.first td{{font-weight:bold}}\n.rules{{color:#555;font-size:0.9em}}\n.warn{{color:#a40}}\n\
</style>\n</head>\n<body>\n<h1>{}</h1>\n<p class=\"rules\">{}</p>\n<h2>{}</h2>\n<table>\n\
<tr>{}</tr>\n",
        lang.tag(),
        esc(title),
        crate::report::CJK_FONT_STACK,
        esc(title),
        esc(&lang.t_args(
            "board-rules",
            &[("rules", rules_line(settings, lang).into())]
        )),
        esc(&lang.t("board-leaderboard")),
        th(board_head(lang))
    );
    for s in board {
        let r = &s.result;
        let _ = writeln!(
            o,
            "<tr{}><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{:.2}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            if s.rank == 1 { " class=\"first\"" } else { "" },
            s.rank,
            esc(&r.team),
            r.score,
            found(r),
            r.false_reports.len(),
            r.ignored_reports.len(),
            metres(r.mean_error_m),
            metres(r.median_error_m),
            r.last_report_s.map_or_else(|| "-".to_string(), clock)
        );
    }
    o.push_str("</table>\n");
    for s in board {
        let r = &s.result;
        let _ = writeln!(
            o,
            "<h2>{}</h2>\n<p>{}</p>",
            esc(&r.team),
            esc(&lang.t_args(
                "board-team-paragraph",
                &[
                    ("line", team_line(r, lang).into()),
                    ("times", times_to_finds(r).into())
                ]
            ))
        );
        if !r.finds.is_empty() {
            let _ = writeln!(o, "<table>\n<tr>{}</tr>", th(finds_head(lang)));
            for f in &r.finds {
                let _ = writeln!(
                    o,
                    "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{:.3}</td></tr>",
                    esc(&f.target_id),
                    esc(&f.report_id),
                    metres(f.error_m),
                    f.time_s.map_or_else(|| "-".to_string(), clock),
                    f.credit.total()
                );
            }
            o.push_str("</table>\n");
        }
        for (what, ids) in report_lists(r, lang) {
            if !ids.is_empty() {
                let _ = writeln!(
                    o,
                    "<p>{}</p>",
                    esc(&lang.t_args(
                        "board-list",
                        &[("what", what.into()), ("ids", ids.join(", ").into())]
                    ))
                );
            }
        }
    }
    if !warnings.is_empty() {
        let _ = writeln!(o, "<h2>{}</h2>\n<ul>", esc(&lang.t("board-warnings")));
        for w in warnings {
            let _ = writeln!(o, "<li class=\"warn\">{}</li>", esc(&w.to_string()));
        }
        o.push_str("</ul>\n");
    }
    o.push_str("</body>\n</html>\n");
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_formats() {
        assert_eq!(clock(0.0), "0:00");
        assert_eq!(clock(192.4), "3:12");
        assert_eq!(clock(3725.0), "1:02:05");
        assert_eq!(clock(-10.0), "-0:10");
    }

    #[test]
    fn csv_quotes_what_needs_it() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("plain"), "plain");
    }

    #[test]
    fn html_escapes() {
        assert_eq!(esc("<b>&'\""), "&lt;b&gt;&amp;&#39;&quot;");
    }
}
