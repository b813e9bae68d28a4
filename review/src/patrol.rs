//! The figures of one simulated patrol against the world's ground truth: how many targets
//! were found close enough to act on, the contest score, how far off the fixes were, whether
//! the companion's predicted error told the truth about them, and how many false reports an
//! inspector would chase per kilometre of river.
//!
//! Pure: targets, the candidates (as one team's reports: [`flight_reports`] makes them from a
//! flight's journal records), each candidate's predicted error and the river length in;
//! [`PatrolFigures`] out. `review patrol` reads the files.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use qly_core::geodesy::GeoPoint;
use qly_flight::record::HorizontalError;
use qly_flight::view::FlightRecords;
use qly_i18n::Lang;

use crate::model::{Report, Target, TeamReports};
use crate::score::{score_team, ScoreError};
use crate::settings::ScoreSettings;

/// A flight's confirmed candidates (the flight's one rule, `qly_flight::confirm`) as one
/// team's reports, and each one's predicted error by report id (the candidate's id within the
/// flight). Reports carry no time: a patrol's speed is not scored.
pub fn flight_reports(
    team: &str,
    flight: &FlightRecords,
) -> (TeamReports, BTreeMap<String, HorizontalError>) {
    let mut reports = Vec::new();
    let mut predicted = BTreeMap::new();
    for c in flight.confirmed() {
        let id = c.id.to_string();
        reports.push(Report {
            id: id.clone(),
            position: GeoPoint::new(c.lat_deg, c.lon_deg).ok(),
            class: Some(c.class_name.clone()),
            attributes: BTreeMap::new(),
            time_s: None,
            // As the GeoJSON export read before: no autonomy claimed (it scores 0 here).
            autonomous: false,
            approved: true,
        });
        predicted.insert(id, c.error);
    }
    (
        TeamReports {
            team: team.to_string(),
            reports,
        },
        predicted,
    )
}

/// A candidate decided by the world's ground truth, as an inspector who can see what is on
/// the ground would decide it (simulated flights only: `review decide --by-truth`).
#[derive(Debug, Clone, PartialEq)]
pub struct TruthDecision {
    pub id: u64,
    /// A target of the candidate's class lies within the radius.
    pub confirmed: bool,
    /// The nearest target of its class, metres (`None`: no such target, or the candidate has
    /// no valid position).
    pub nearest_m: Option<f64>,
}

/// Decides every candidate `(id, class, lat_deg, lon_deg)` by the truth: confirmed when a
/// target of the same class (or a target without a class) lies within `within_m` of the
/// candidate's reported position, rejected otherwise. Several candidates may confirm the same
/// target: an inspector confirms each photo's view of a real outfall, duplicates included.
pub fn decide_by_truth<'a>(
    candidates: impl IntoIterator<Item = (u64, &'a str, f64, f64)>,
    targets: &[Target],
    within_m: f64,
) -> Vec<TruthDecision> {
    candidates
        .into_iter()
        .map(|(id, class, lat_deg, lon_deg)| {
            let nearest_m = GeoPoint::new(lat_deg, lon_deg).ok().and_then(|p| {
                targets
                    .iter()
                    .filter(|t| t.class.as_deref().is_none_or(|c| c == class))
                    .map(|t| t.position.distance_m(p))
                    .min_by(f64::total_cmp)
            });
            TruthDecision {
                id,
                confirmed: nearest_m.is_some_and(|d| d <= within_m),
                nearest_m,
            }
        })
        .collect()
}

/// Per target class: how many there were and how many were found within `act_within_m`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassFigures {
    pub class: String,
    pub targets: usize,
    pub found_within_act_m: usize,
    /// Matched (within the eligibility radius, any distance).
    pub matched: usize,
}

/// The patrol's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatrolFigures {
    pub targets: usize,
    pub candidates: usize,
    /// The "found" radius: a fix within this distance is one an inspector can act on.
    pub act_within_m: f64,
    /// Targets whose matched candidate lies within `act_within_m`.
    pub found_within_act_m: usize,
    pub found_fraction: f64,
    pub per_class: Vec<ClassFigures>,
    /// The contest score (review score's rules, 0-100).
    pub score: f64,
    /// Matched candidates (within the eligibility radius).
    pub matched: usize,
    pub median_error_m: Option<f64>,
    pub p90_error_m: Option<f64>,
    /// Median of the matched candidates' predicted CEP50: the error the noise predicts.
    pub median_predicted_cep50_m: Option<f64>,
    /// median_error_m / median_predicted_cep50_m.
    pub error_to_predicted_ratio: Option<f64>,
    /// Fraction of matched candidates whose true error is within their predicted CE90
    /// (should be about 0.9) and CEP50 (about 0.5).
    pub ce90_coverage: Option<f64>,
    pub cep50_coverage: Option<f64>,
    /// Counted candidates that found no target.
    pub false_reports: usize,
    pub river_km: f64,
    pub false_reports_per_km: f64,
}

/// The `q`-quantile (0..=1) of sorted values, linear between order statistics.
fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    Some(sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64))
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v
}

/// Scores `candidates` against `targets` with `settings` and derives the figures.
/// `predicted` maps a candidate (report) id to its predicted error; a matched candidate
/// without one is left out of the coverage figures. `river_km` is the length of river
/// patrolled (for false reports per km).
pub fn patrol_figures(
    targets: &[Target],
    candidates: &TeamReports,
    predicted: &BTreeMap<String, HorizontalError>,
    river_km: f64,
    act_within_m: f64,
    settings: &ScoreSettings,
) -> Result<PatrolFigures, ScoreError> {
    let result = score_team(targets, candidates, settings)?;
    let errors: Vec<f64> = result.finds.iter().filter_map(|f| f.error_m).collect();
    let found = |f: &crate::score::Find| f.error_m.is_some_and(|e| e <= act_within_m);
    let found_within = result.finds.iter().filter(|f| found(f)).count();

    let mut classes: BTreeMap<String, ClassFigures> = BTreeMap::new();
    let class_of: BTreeMap<&str, String> = targets
        .iter()
        .map(|t| {
            (
                t.id.as_str(),
                t.class.clone().unwrap_or_else(|| "(none)".to_string()),
            )
        })
        .collect();
    for t in targets {
        let c = class_of[t.id.as_str()].clone();
        classes
            .entry(c.clone())
            .or_insert(ClassFigures {
                class: c,
                targets: 0,
                found_within_act_m: 0,
                matched: 0,
            })
            .targets += 1;
    }
    for f in &result.finds {
        if let Some(c) = class_of
            .get(f.target_id.as_str())
            .and_then(|c| classes.get_mut(c))
        {
            c.matched += 1;
            if found(f) {
                c.found_within_act_m += 1;
            }
        }
    }

    let mut within_ce90 = 0usize;
    let mut within_cep50 = 0usize;
    let mut with_prediction = 0usize;
    let mut cep50s = Vec::new();
    for f in &result.finds {
        if let (Some(e), Some(p)) = (f.error_m, predicted.get(&f.report_id)) {
            with_prediction += 1;
            cep50s.push(p.cep50_m);
            within_ce90 += usize::from(e <= p.ce90_m);
            within_cep50 += usize::from(e <= p.cep50_m);
        }
    }
    let frac = |k: usize| (with_prediction > 0).then(|| k as f64 / with_prediction as f64);
    let errors = sorted(errors);
    let median_error_m = quantile(&errors, 0.5);
    let median_predicted_cep50_m = quantile(&sorted(cep50s), 0.5);
    let false_reports = result.false_reports.len();
    Ok(PatrolFigures {
        targets: targets.len(),
        candidates: candidates.reports.len(),
        act_within_m,
        found_within_act_m: found_within,
        found_fraction: if targets.is_empty() {
            0.0
        } else {
            found_within as f64 / targets.len() as f64
        },
        per_class: classes.into_values().collect(),
        score: result.score,
        matched: result.finds.len(),
        median_error_m,
        p90_error_m: quantile(&errors, 0.9),
        median_predicted_cep50_m,
        error_to_predicted_ratio: match (median_error_m, median_predicted_cep50_m) {
            (Some(e), Some(p)) if p > 0.0 => Some(e / p),
            _ => None,
        },
        ce90_coverage: frac(within_ce90),
        cep50_coverage: frac(within_cep50),
        false_reports,
        river_km,
        false_reports_per_km: if river_km > 0.0 {
            false_reports as f64 / river_km
        } else {
            0.0
        },
    })
}

/// The figures as the patrol prints them, one per line.
pub fn render_figures(f: &PatrolFigures, lang: Lang) -> String {
    let na = || lang.t("not-available");
    let m = |v: Option<f64>| {
        v.map_or_else(na, |v| {
            lang.t_args("metres", &[("m", format!("{v:.2}").into())])
        })
    };
    let pct = |v: Option<f64>| v.map_or_else(na, |v| format!("{:.0} %", v * 100.0));
    let within = format!("{:.0}", f.act_within_m);
    let mut lines = vec![lang.t_args(
        "figures-found",
        &[
            ("within", within.as_str().into()),
            ("found", f.found_within_act_m.into()),
            ("targets", f.targets.into()),
            ("percent", format!("{:.0}", f.found_fraction * 100.0).into()),
        ],
    )];
    for c in &f.per_class {
        lines.push(format!(
            "  {}",
            lang.t_args(
                "figures-class",
                &[
                    ("class", crate::report::class_label(&c.class, lang).into()),
                    ("found", c.found_within_act_m.into()),
                    ("targets", c.targets.into()),
                    ("within", within.as_str().into()),
                    ("matched", c.matched.into()),
                ],
            )
        ));
    }
    lines.push(lang.t_args(
        "figures-score",
        &[("score", format!("{:.2}", f.score).into())],
    ));
    lines.push(lang.t_args(
        "figures-error",
        &[
            ("matched", f.matched.into()),
            ("median", m(f.median_error_m).into()),
            ("p90", m(f.p90_error_m).into()),
        ],
    ));
    lines.push(
        lang.t_args(
            "figures-predicted",
            &[
                ("cep50", m(f.median_predicted_cep50_m).into()),
                (
                    "ratio",
                    f.error_to_predicted_ratio
                        .map_or_else(na, |r| format!("{r:.2}"))
                        .into(),
                ),
            ],
        ),
    );
    lines.push(lang.t_args(
        "figures-coverage",
        &[
            ("ce90", pct(f.ce90_coverage).into()),
            ("cep50", pct(f.cep50_coverage).into()),
        ],
    ));
    lines.push(lang.t_args(
        "figures-false",
        &[
            ("count", f.false_reports.into()),
            ("km", format!("{:.2}", f.river_km).into()),
            ("per_km", format!("{:.2}", f.false_reports_per_km).into()),
            ("candidates", f.candidates.into()),
        ],
    ));
    lines.iter().map(|l| format!("{l}\n")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Report;
    use qly_core::geodesy::GeoPoint;

    fn target(id: &str, class: &str, north_m: f64) -> Target {
        let o = GeoPoint::new(27.0, 107.0).unwrap();
        Target {
            id: id.into(),
            position: o.destination(0.0, north_m),
            class: Some(class.into()),
            attributes: Default::default(),
        }
    }

    fn report(id: &str, class: &str, north_m: f64, east_m: f64) -> Report {
        let o = GeoPoint::new(27.0, 107.0).unwrap();
        Report {
            id: id.into(),
            position: Some(o.destination(0.0, north_m).destination(90.0, east_m)),
            class: Some(class.into()),
            attributes: Default::default(),
            time_s: None,
            autonomous: false,
            approved: true,
        }
    }

    #[test]
    fn truth_confirms_a_candidate_near_a_target_of_its_class_and_rejects_the_rest() {
        let targets = vec![target("o1", "outfall", 0.0), target("p1", "plume", 500.0)];
        let o = GeoPoint::new(27.0, 107.0).unwrap();
        let at = |north_m: f64| {
            let p = o.destination(0.0, north_m);
            (p.lat_deg, p.lon_deg)
        };
        let (a, b, c, d) = (at(3.0), at(12.0), at(0.0), at(498.0));
        let got = decide_by_truth(
            [
                (1, "outfall", a.0, a.1),      // 3 m from o1
                (2, "outfall", b.0, b.1),      // 12 m: too far
                (3, "plume", c.0, c.1),        // on o1, but o1 is an outfall
                (4, "plume", d.0, d.1),        // 2 m from p1
                (5, "outfall", f64::NAN, 0.0), // no position
            ],
            &targets,
            10.0,
        );
        let verdicts: Vec<(u64, bool)> = got.iter().map(|d| (d.id, d.confirmed)).collect();
        assert_eq!(
            verdicts,
            [(1, true), (2, false), (3, false), (4, true), (5, false)]
        );
        assert!((got[0].nearest_m.unwrap() - 3.0).abs() < 0.01);
        assert!((got[2].nearest_m.unwrap() - 500.0).abs() < 0.5);
        assert_eq!(got[4].nearest_m, None);
    }

    #[test]
    fn figures_count_finds_errors_coverage_and_false_reports() {
        let targets = vec![
            target("o1", "outfall", 0.0),
            target("o2", "outfall", 500.0),
            target("p1", "plume", 1000.0),
        ];
        let team = TeamReports {
            team: "patrol".into(),
            reports: vec![
                report("1", "outfall", 0.0, 2.0),    // 2 m off
                report("2", "outfall", 500.0, 8.0),  // 8 m off: matched, not within 5
                report("3", "outfall", 2000.0, 0.0), // false
            ],
        };
        let predicted: BTreeMap<String, HorizontalError> =
            [("1", 1.0, 3.0), ("2", 4.0, 9.0), ("3", 1.0, 2.0)]
                .into_iter()
                .map(|(id, c50, c90)| {
                    (
                        id.to_string(),
                        HorizontalError {
                            cep50_m: c50,
                            ce90_m: c90,
                            ..HorizontalError::default()
                        },
                    )
                })
                .collect();
        let f = patrol_figures(
            &targets,
            &team,
            &predicted,
            2.0,
            5.0,
            &ScoreSettings::default(),
        )
        .unwrap();
        assert_eq!(f.found_within_act_m, 1);
        assert_eq!(f.matched, 2);
        assert!((f.found_fraction - 1.0 / 3.0).abs() < 1e-9);
        assert!((f.median_error_m.unwrap() - 5.0).abs() < 0.01);
        assert!((f.p90_error_m.unwrap() - 7.4).abs() < 0.01);
        assert_eq!(f.ce90_coverage, Some(1.0));
        assert_eq!(f.cep50_coverage, Some(0.0));
        assert!((f.median_predicted_cep50_m.unwrap() - 2.5).abs() < 1e-9);
        assert_eq!(f.false_reports, 1);
        assert!((f.false_reports_per_km - 0.5).abs() < 1e-9);
        let plume = f.per_class.iter().find(|c| c.class == "plume").unwrap();
        assert_eq!((plume.targets, plume.found_within_act_m), (1, 0));
        assert!(f.score > 0.0 && f.score < 100.0);
        let text = render_figures(&f, Lang::En);
        assert!(text.contains("targets found within 5 m: 1/3"), "{text}");
        let text = render_figures(&f, Lang::ZhCn);
        assert!(text.contains("5 米以内发现目标：1/3"), "{text}");
        assert!(text.contains("  污染羽流："), "{text}");
    }

    #[test]
    fn quantiles_interpolate() {
        assert_eq!(quantile(&[], 0.5), None);
        assert_eq!(quantile(&[1.0, 3.0], 0.5), Some(2.0));
        assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0, 5.0], 0.9), Some(4.6));
    }
}
