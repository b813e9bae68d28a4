//! Scoring one team's reports against the targets.
//!
//! The rules (all values from [`ScoreSettings`]): a report is eligible for a target when it is
//! close enough and of the same class; reports and targets are paired one-to-one by a
//! maximum-weight matching; a matched report earns discovery + location + classification +
//! speed + autonomy credit; every report that finds nothing costs a penalty; at most a
//! multiple of the number of targets of reports count.

use crate::matching::{max_weight_matching, Pair};
use crate::model::{Report, Target, TeamReports};
use crate::settings::{PenaltyScale, ScoreSettings};

/// Why a contest could not be scored.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScoreError {
    #[error("there are no targets: a score per target needs at least one")]
    NoTargets,
    #[error("invalid settings: {0}")]
    InvalidSettings(String),
    #[error("team '{0}' is given twice")]
    DuplicateTeam(String),
}

/// What one report would earn for one target, part by part (each part already weighted).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairCredit {
    /// Distance report-target, when the report has a position.
    pub distance_m: Option<f64>,
    pub discovery: f64,
    pub location: f64,
    pub classification: f64,
    pub speed: f64,
    pub autonomy: f64,
}

impl PairCredit {
    pub fn total(&self) -> f64 {
        self.discovery + self.location + self.classification + self.speed + self.autonomy
    }
}

/// The fraction of characteristics a report repeats, over the keys either side names (a key
/// only one side has is a miss); 1 when neither names any.
pub fn classification_ratio(report: &Report, target: &Target) -> f64 {
    let keys: std::collections::BTreeSet<&String> = report
        .attributes
        .keys()
        .chain(target.attributes.keys())
        .collect();
    if keys.is_empty() {
        return 1.0;
    }
    let same = keys
        .iter()
        .filter(|k| report.attributes.get(**k) == target.attributes.get(**k))
        .count();
    same as f64 / keys.len() as f64
}

/// The credit `report` would earn for `target`, or `None` when it is not eligible: rejected
/// by the judges, of another class, beyond the eligibility radius, or worth nothing.
pub fn pair_credit(report: &Report, target: &Target, s: &ScoreSettings) -> Option<PairCredit> {
    if !report.approved {
        return None;
    }
    if s.require_same_class {
        if let Some(class) = &target.class {
            if report.class.as_ref() != Some(class) {
                return None;
            }
        }
    }
    let distance_m = report
        .position
        .map(|p| s.distance.distance_m(p, target.position));
    if let Some(radius_m) = s.eligible_within_m {
        match distance_m {
            Some(d) if d <= radius_m => {}
            _ => return None,
        }
    }
    let w = s.weights;
    let credit = PairCredit {
        distance_m,
        discovery: w.discovery,
        location: w.location * distance_m.map_or(0.0, |d| s.location_credit(d)),
        classification: w.classification * classification_ratio(report, target),
        speed: w.speed * s.speed.credit(report.time_s),
        autonomy: if report.autonomous { w.autonomy } else { 0.0 },
    };
    (credit.total() > 0.0).then_some(credit)
}

/// A target a report found.
#[derive(Debug, Clone, PartialEq)]
pub struct Find {
    pub target_id: String,
    pub report_id: String,
    pub error_m: Option<f64>,
    pub time_s: Option<f64>,
    pub credit: PairCredit,
}

/// One team's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct TeamResult {
    pub team: String,
    pub targets: usize,
    /// In the order of the targets.
    pub finds: Vec<Find>,
    /// Counted reports that found nothing and were penalised, in file order.
    pub false_reports: Vec<String>,
    /// Reports left over but not penalised (SUAS autonomy twins), in file order.
    pub forgiven_reports: Vec<String>,
    /// Reports beyond the cap, not counted at all, in file order.
    pub ignored_reports: Vec<String>,
    /// Summed credit of the finds.
    pub credit: f64,
    /// Summed penalty of the false reports, in credit units.
    pub penalty: f64,
    /// The score in percent (100 = every target found perfectly, no false report).
    pub score: f64,
    pub mean_error_m: Option<f64>,
    pub median_error_m: Option<f64>,
    /// Time of the team's last counted report, when reports carry times.
    pub last_report_s: Option<f64>,
}

/// The indices of the reports that count, in file order: at most `ceil(k x targets)`, the
/// earliest by time when every report has one, else the first in the file.
fn counted_reports(reports: &[Report], targets: usize, s: &ScoreSettings) -> Vec<usize> {
    let mut order: Vec<usize> = (0..reports.len()).collect();
    let Some(k) = s.max_reports_per_target else {
        return order;
    };
    let cap = (k * targets as f64).ceil() as usize;
    if reports.iter().all(|r| r.time_s.is_some()) {
        // Stable: equal times keep file order.
        order.sort_by(|&a, &b| {
            let (ta, tb) = (reports[a].time_s, reports[b].time_s);
            ta.partial_cmp(&tb).unwrap_or(std::cmp::Ordering::Equal)
        });
    }
    order.truncate(cap);
    order.sort_unstable();
    order
}

fn median(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

/// Scores one team. Pure: values in, values out.
pub fn score_team(
    targets: &[Target],
    team: &TeamReports,
    s: &ScoreSettings,
) -> Result<TeamResult, ScoreError> {
    s.validate().map_err(ScoreError::InvalidSettings)?;
    let n = targets.len();
    if n == 0 && s.penalty_scale == PenaltyScale::PerTarget {
        return Err(ScoreError::NoTargets);
    }
    let reports = &team.reports;
    let counted = counted_reports(reports, n, s);
    let ignored_reports = (0..reports.len())
        .filter(|i| counted.binary_search(i).is_err())
        .map(|i| reports[i].id.clone())
        .collect();

    let credits: Vec<Vec<Option<PairCredit>>> = counted
        .iter()
        .map(|&i| {
            targets
                .iter()
                .map(|t| pair_credit(&reports[i], t, s))
                .collect()
        })
        .collect();
    let bonus = if s.match_weight_includes_penalty {
        s.false_report_penalty
    } else {
        0.0
    };
    let weights: Vec<Vec<Option<f64>>> = credits
        .iter()
        .map(|row| row.iter().map(|c| c.map(|c| c.total() + bonus)).collect())
        .collect();
    let pairs = max_weight_matching(&weights);

    // Who found what: counted row -> target column.
    let mut target_of_row: Vec<Option<usize>> = vec![None; counted.len()];
    let mut row_of_target: Vec<Option<usize>> = vec![None; n];
    for Pair { row, col } in &pairs {
        target_of_row[*row] = Some(*col);
        row_of_target[*col] = Some(*row);
    }

    let leftover: Vec<usize> = (0..counted.len())
        .filter(|r| target_of_row[*r].is_none())
        .collect();
    let mut forgiven = vec![false; counted.len()];
    if s.forgive_autonomy_twins && !leftover.is_empty() {
        let twin_weights: Vec<Vec<Option<f64>>> = leftover
            .iter()
            .map(|&r| {
                let rep = &reports[counted[r]];
                (0..n)
                    .map(|t| {
                        let twin = row_of_target[t]
                            .is_some_and(|m| reports[counted[m]].autonomous != rep.autonomous);
                        (twin && credits[r][t].is_some()).then_some(1.0)
                    })
                    .collect()
            })
            .collect();
        for Pair { row, .. } in max_weight_matching(&twin_weights) {
            forgiven[leftover[row]] = true;
        }
    }

    let mut finds = Vec::new();
    for (t, target) in targets.iter().enumerate() {
        if let Some(r) = row_of_target[t] {
            let report = &reports[counted[r]];
            if let Some(credit) = credits[r][t] {
                finds.push(Find {
                    target_id: target.id.clone(),
                    report_id: report.id.clone(),
                    error_m: credit.distance_m,
                    time_s: report.time_s,
                    credit,
                });
            }
        }
    }
    let false_reports: Vec<String> = leftover
        .iter()
        .filter(|r| !forgiven[**r])
        .map(|&r| reports[counted[r]].id.clone())
        .collect();
    let forgiven_reports = leftover
        .iter()
        .filter(|r| forgiven[**r])
        .map(|&r| reports[counted[r]].id.clone())
        .collect();

    let credit: f64 = finds.iter().map(|f| f.credit.total()).sum();
    let penalty = false_reports.len() as f64 * s.false_report_penalty;
    let mut ratio = match s.penalty_scale {
        PenaltyScale::PerTarget => (credit - penalty) / n as f64,
        PenaltyScale::PerTask => {
            let matched = if n == 0 { 0.0 } else { credit / n as f64 };
            matched - penalty
        }
    };
    if s.floor_at_zero {
        ratio = ratio.max(0.0);
    }

    let mut errors: Vec<f64> = finds.iter().filter_map(|f| f.error_m).collect();
    errors.sort_by(f64::total_cmp);
    let mean_error_m =
        (!errors.is_empty()).then(|| errors.iter().sum::<f64>() / errors.len() as f64);
    let last_report_s = counted
        .iter()
        .filter_map(|&i| reports[i].time_s)
        .max_by(f64::total_cmp);

    Ok(TeamResult {
        team: team.team.clone(),
        targets: n,
        finds,
        false_reports,
        forgiven_reports,
        ignored_reports,
        credit,
        penalty,
        score: 100.0 * ratio,
        mean_error_m,
        median_error_m: median(&errors),
        last_report_s,
    })
}
