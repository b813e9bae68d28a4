//! The leaderboard and per-team tables as terminal text, CSV and a self-contained HTML page.

use std::fmt::Write as _;

use crate::checks::Warning;
use crate::leaderboard::Standing;
use crate::score::TeamResult;
use crate::settings::{PenaltyScale, ScoreSettings, SpeedCredit};

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
pub fn rules_line(s: &ScoreSettings) -> String {
    let gate = s.eligible_within_m.map_or_else(
        || "no distance gate".to_string(),
        |r| format!("eligible within {r} m"),
    );
    let class = if s.require_same_class {
        ", same class"
    } else {
        ""
    };
    let speed = match s.speed {
        SpeedCredit::Linear { time_limit_s } => format!("speed 1 - t/{}", clock(time_limit_s)),
        SpeedCredit::WithinLimit { time_limit_s } => {
            format!("speed: within {}", clock(time_limit_s))
        }
    };
    let w = s.weights;
    let cap = s.max_reports_per_target.map_or_else(
        || "no report cap".to_string(),
        |k| format!("at most {k} x targets reports count"),
    );
    let penalty = match s.penalty_scale {
        PenaltyScale::PerTarget => format!(
            "{} per false report (of one target's credit)",
            s.false_report_penalty
        ),
        PenaltyScale::PerTask => format!(
            "{} per false report (of the whole task)",
            s.false_report_penalty
        ),
    };
    let parts: Vec<String> = [
        (w.discovery, "discovery".to_string()),
        (
            w.location,
            format!(
                "location (1 within {} m, 0 at {} m)",
                s.location_full_within_m, s.location_zero_at_m
            ),
        ),
        (w.classification, "classification".to_string()),
        (w.speed, speed),
        (w.autonomy, "autonomy".to_string()),
    ]
    .into_iter()
    .filter(|(weight, _)| *weight != 0.0)
    .map(|(weight, what)| format!("{weight} x {what}"))
    .collect();
    format!(
        "{gate}{class}; credit = {}; {penalty}; {cap}",
        parts.join(" + ")
    )
}

/// The terminal report: leaderboard, then each team's finds, then warnings.
pub fn terminal(board: &[Standing], settings: &ScoreSettings, warnings: &[Warning]) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "Rules: {}", rules_line(settings));
    let _ = writeln!(o);
    let _ = writeln!(o, "Leaderboard");
    let head = [
        "rank",
        "team",
        "score",
        "found",
        "false",
        "ignored",
        "mean err m",
        "median err m",
        "last report",
    ];
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
        let _ = writeln!(
            o,
            "{}: score {:.2}, found {}, credit {:.3}, penalty {:.3}",
            r.team,
            r.score,
            found(r),
            r.credit,
            r.penalty
        );
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
            table(
                &mut o,
                &["target", "report", "error m", "time", "credit"],
                &rows,
            );
        }
        for (what, ids) in [
            ("false reports", &r.false_reports),
            ("forgiven (autonomy twins)", &r.forgiven_reports),
            ("ignored (over the report cap)", &r.ignored_reports),
        ] {
            if !ids.is_empty() {
                let _ = writeln!(o, "  {what}: {}", ids.join(", "));
            }
        }
    }
    if !warnings.is_empty() {
        let _ = writeln!(o);
        let _ = writeln!(o, "Warnings");
        for w in warnings {
            let _ = writeln!(o, "  warning: {w}");
        }
    }
    o
}

fn table(o: &mut String, head: &[&str], rows: &[Vec<String>]) {
    let mut width: Vec<usize> = head.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            width[i] = width[i].max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<w$}", w = width[i]))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let _ = writeln!(
        o,
        "  {}",
        line(head.iter().map(|h| h.to_string()).collect())
    );
    for row in rows {
        let _ = writeln!(o, "  {}", line(row.clone()));
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The leaderboard as CSV, one row per team. Times are seconds after the start; the finds
/// column lists `target=seconds` pairs separated by `;`.
pub fn csv(board: &[Standing]) -> String {
    let mut o = String::from(
        "rank,team,score,found,targets,false_reports,ignored_reports,mean_error_m,median_error_m,last_report_s,times_to_finds_s,false_report_ids\n",
    );
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
) -> String {
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>\n\
body{{font-family:system-ui,sans-serif;margin:2em;color:#222}}\n\
table{{border-collapse:collapse;margin:0.5em 0 1.5em}}\n\
th,td{{border:1px solid #bbb;padding:0.3em 0.7em;text-align:left}}\n\
th{{background:#eef}}\ntd.num{{text-align:right;font-variant-numeric:tabular-nums}}\n\
tr.first td{{font-weight:bold}}\n.rules{{color:#555;font-size:0.9em}}\n.warn{{color:#a40}}\n\
</style>\n</head>\n<body>\n<h1>{}</h1>\n<p class=\"rules\">{}</p>\n<h2>Leaderboard</h2>\n<table>\n\
<tr><th>Rank</th><th>Team</th><th>Score</th><th>Found</th><th>False reports</th><th>Ignored</th><th>Mean error (m)</th><th>Median error (m)</th><th>Last report</th></tr>\n",
        esc(title),
        esc(title),
        esc(&rules_line(settings))
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
            "<h2>{}</h2>\n<p>Score {:.2}; found {}; credit {:.3}; penalty {:.3}; times to finds: {}</p>",
            esc(&r.team),
            r.score,
            found(r),
            r.credit,
            r.penalty,
            esc(&times_to_finds(r))
        );
        if !r.finds.is_empty() {
            o.push_str("<table>\n<tr><th>Target</th><th>Report</th><th>Error (m)</th><th>Time</th><th>Credit</th></tr>\n");
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
        for (what, ids) in [
            ("False reports", &r.false_reports),
            ("Forgiven (autonomy twins)", &r.forgiven_reports),
            ("Ignored (over the report cap)", &r.ignored_reports),
        ] {
            if !ids.is_empty() {
                let _ = writeln!(o, "<p>{what}: {}</p>", esc(&ids.join(", ")));
            }
        }
    }
    if !warnings.is_empty() {
        o.push_str("<h2>Warnings</h2>\n<ul>\n");
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
