//! Ranking the teams: score first, then the earlier last report, then the smaller mean error.

use std::cmp::Ordering;

use crate::model::{Target, TeamReports};
use crate::score::{score_team, ScoreError, TeamResult};
use crate::settings::ScoreSettings;

/// Scores closer than this (in percent) are a tie: they differ only by float rounding.
const SCORE_TIE_PCT: f64 = 1e-9;

/// A team's place on the leaderboard.
#[derive(Debug, Clone, PartialEq)]
pub struct Standing {
    /// 1 = best; teams tied on score, last report and mean error share a rank.
    pub rank: usize,
    pub result: TeamResult,
}

/// A missing value sorts after every present one.
fn cmp_present_first(a: Option<f64>, b: Option<f64>) -> Ordering {
    match (a, b) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// Leaderboard order of two results, without the final by-name step.
fn cmp_merit(a: &TeamResult, b: &TeamResult) -> Ordering {
    let by_score = if (a.score - b.score).abs() <= SCORE_TIE_PCT {
        Ordering::Equal
    } else {
        b.score.total_cmp(&a.score)
    };
    by_score
        .then_with(|| cmp_present_first(a.last_report_s, b.last_report_s))
        .then_with(|| cmp_present_first(a.mean_error_m, b.mean_error_m))
}

/// Orders results into a leaderboard. Teams equal on every criterion share a rank and are
/// listed by name.
pub fn rank(mut results: Vec<TeamResult>) -> Vec<Standing> {
    results.sort_by(|a, b| cmp_merit(a, b).then_with(|| a.team.cmp(&b.team)));
    let mut out: Vec<Standing> = Vec::with_capacity(results.len());
    for (i, result) in results.into_iter().enumerate() {
        let rank = match out.last() {
            Some(prev) if cmp_merit(&prev.result, &result) == Ordering::Equal => prev.rank,
            _ => i + 1,
        };
        out.push(Standing { rank, result });
    }
    out
}

/// Scores every team and ranks them.
pub fn score_contest(
    targets: &[Target],
    teams: &[TeamReports],
    settings: &ScoreSettings,
) -> Result<Vec<Standing>, ScoreError> {
    let mut seen = std::collections::BTreeSet::new();
    for t in teams {
        if !seen.insert(t.team.as_str()) {
            return Err(ScoreError::DuplicateTeam(t.team.clone()));
        }
    }
    let results = teams
        .iter()
        .map(|t| score_team(targets, t, settings))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rank(results))
}
