//! Our contest rules (`ScoreSettings::default`), worked example by worked example.

use qly_core::geodesy::GeoPoint;
use review::leaderboard::score_contest;
use review::model::{Report, Target, TeamReports};
use review::score::score_team;
use review::settings::ScoreSettings;

fn origin() -> GeoPoint {
    GeoPoint::new(27.05, 106.95).unwrap()
}

/// A point `east_m` east and `north_m` north of the origin (geodesic steps).
fn at(east_m: f64, north_m: f64) -> GeoPoint {
    origin().destination(90.0, east_m).destination(0.0, north_m)
}

fn classed_target(id: &str, class: &str, p: GeoPoint) -> Target {
    Target {
        class: Some(class.into()),
        ..Target::at(id, p)
    }
}

fn rep(id: &str, class: &str, p: GeoPoint, time_s: f64) -> Report {
    Report {
        class: Some(class.into()),
        time_s: Some(time_s),
        ..Report::at(id, p)
    }
}

fn team(name: &str, reports: Vec<Report>) -> TeamReports {
    TeamReports {
        team: name.into(),
        reports,
    }
}

/// Two outfalls 200 m apart and a plume.
fn targets() -> Vec<Target> {
    vec![
        classed_target("T1", "outfall", at(0.0, 0.0)),
        classed_target("T2", "outfall", at(200.0, 0.0)),
        classed_target("T3", "plume", at(0.0, 300.0)),
    ]
}

#[test]
fn a_perfect_early_find_earns_nearly_one() {
    let s = ScoreSettings::default(); // limit 1800 s
    let r = score_team(
        &targets(),
        &team("a", vec![rep("r1", "outfall", at(3.0, 0.0), 360.0)]),
        &s,
    )
    .unwrap();
    assert_eq!(r.finds.len(), 1);
    let c = r.finds[0].credit;
    assert_eq!(c.discovery, 0.5);
    assert_eq!(c.location, 0.4); // 3 m: within the full-credit 5 m
    assert!((c.speed - 0.1 * (1.0 - 360.0 / 1800.0)).abs() < 1e-12);
    assert!((r.score - 100.0 * 0.98 / 3.0).abs() < 1e-9, "{}", r.score);
    assert!((r.finds[0].error_m.unwrap() - 3.0).abs() < 0.01);
}

#[test]
fn location_credit_falls_linearly_from_5_to_15_m() {
    let s = ScoreSettings::default();
    let r = score_team(
        &targets(),
        &team("a", vec![rep("r1", "outfall", at(0.0, 10.0), 1800.0)]),
        &s,
    )
    .unwrap();
    // 10 m: half the location credit; at the time limit, no speed credit.
    assert!((r.credit - (0.5 + 0.2)).abs() < 1e-3, "{}", r.credit);
}

#[test]
fn beyond_15_m_a_report_is_false_and_the_score_floors_at_zero() {
    let s = ScoreSettings::default();
    let r = score_team(
        &targets(),
        &team("a", vec![rep("r1", "outfall", at(16.0, 0.0), 10.0)]),
        &s,
    )
    .unwrap();
    assert!(r.finds.is_empty());
    assert_eq!(r.false_reports, vec!["r1".to_string()]);
    assert!((r.penalty - 0.05).abs() < 1e-12);
    assert_eq!(r.score, 0.0);
}

#[test]
fn a_report_of_another_class_finds_nothing() {
    let s = ScoreSettings::default();
    let r = score_team(
        &targets(),
        &team("a", vec![rep("r1", "plume", at(1.0, 0.0), 10.0)]),
        &s,
    )
    .unwrap();
    assert!(r.finds.is_empty());
    let mut loose = s;
    loose.require_same_class = false;
    let r = score_team(
        &targets(),
        &team("a", vec![rep("r1", "plume", at(1.0, 0.0), 10.0)]),
        &loose,
    )
    .unwrap();
    assert_eq!(r.finds.len(), 1);
}

#[test]
fn a_duplicate_costs_a_penalty() {
    let s = ScoreSettings::default();
    let reports = vec![
        rep("r1", "outfall", at(2.0, 0.0), 100.0),
        rep("r1b", "outfall", at(2.4, 0.0), 110.0),
        rep("r3", "plume", at(0.0, 302.0), 200.0),
    ];
    let r = score_team(&targets(), &team("a", reports), &s).unwrap();
    assert_eq!(r.finds.len(), 2);
    assert_eq!(r.false_reports.len(), 1);
    let want = (r.finds.iter().map(|f| f.credit.total()).sum::<f64>() - 0.05) / 3.0 * 100.0;
    assert!((r.score - want).abs() < 1e-9);
}

#[test]
fn reports_beyond_twice_the_targets_are_ignored_latest_first() {
    let s = ScoreSettings::default();
    // 3 targets: 6 reports count. Seven false reports; the latest (given first) is ignored.
    let mut reports = vec![rep("late", "outfall", at(1000.0, 1000.0), 1700.0)];
    for i in 0..6 {
        reports.push(rep(
            &format!("f{i}"),
            "outfall",
            at(1000.0 + 10.0 * i as f64, 0.0),
            100.0 + i as f64,
        ));
    }
    let r = score_team(&targets(), &team("a", reports), &s).unwrap();
    assert_eq!(r.ignored_reports, vec!["late".to_string()]);
    assert_eq!(r.false_reports.len(), 6);
    assert_eq!(r.last_report_s, Some(105.0));
}

#[test]
fn the_matching_maximises_the_teams_score_not_just_its_credit() {
    // Location-only credit (no discovery), so one perfect pair (1.0) outweighs two partial
    // ones (0.5 + 0.493): matched on credit alone, the second report is a false report.
    let mut s = ScoreSettings::default();
    s.weights.discovery = 0.0;
    s.weights.speed = 0.0;
    s.weights.location = 1.0;
    s.location_full_within_m = 0.0;
    s.require_same_class = false;
    let t = vec![
        Target::at("T1", at(0.0, 0.0)),
        Target::at("T2", at(7.5, 0.0)),
    ];
    let reports = vec![
        Report::at("r1", at(0.0, 0.0)),
        Report::at("r2", at(-7.6, 0.0)),
    ];
    let with_penalty = score_team(&t, &team("a", reports.clone()), &s).unwrap();
    s.match_weight_includes_penalty = false;
    let credit_only = score_team(&t, &team("a", reports), &s).unwrap();
    assert_eq!(with_penalty.finds.len(), 2);
    assert_eq!(credit_only.finds.len(), 1);
    assert!(with_penalty.score > credit_only.score);
    assert!((credit_only.score - 100.0 * (1.0 - 0.05) / 2.0).abs() < 1e-6);
    assert!((with_penalty.score - 100.0 * (0.5 + (1.0 - 7.6 / 15.0)) / 2.0).abs() < 0.05);
}

#[test]
fn greedy_would_strand_a_report_the_matching_does_not() {
    // r1 lies between T1 and T2, 8 m from T1; r2 is 10 m from T1 and out of T2's reach.
    // Nearest-first would pair the closest couple (r1, T1) and leave r2 with nothing.
    let s = ScoreSettings::default();
    let t = vec![
        classed_target("T1", "outfall", at(0.0, 0.0)),
        classed_target("T2", "outfall", at(20.0, 0.0)),
    ];
    let reports = vec![
        rep("r1", "outfall", at(8.0, 0.0), 50.0),
        rep("r2", "outfall", at(-10.0, 0.0), 60.0),
    ];
    let r = score_team(&t, &team("a", reports), &s).unwrap();
    let pairs: Vec<(&str, &str)> = r
        .finds
        .iter()
        .map(|f| (f.target_id.as_str(), f.report_id.as_str()))
        .collect();
    assert_eq!(pairs, vec![("T1", "r2"), ("T2", "r1")]);
    assert!(r.false_reports.is_empty());
}

#[test]
fn ties_break_on_the_earlier_last_report_then_the_smaller_mean_error() {
    let s = ScoreSettings {
        weights: review::settings::CreditWeights {
            speed: 0.0,
            ..ScoreSettings::default().weights
        },
        ..ScoreSettings::default()
    };
    let t = targets();
    // Same score (both within 5 m, no speed credit); "slow" reported last at 900 s.
    let fast = team("fast", vec![rep("a", "outfall", at(4.0, 0.0), 500.0)]);
    let slow = team("slow", vec![rep("a", "outfall", at(1.0, 0.0), 900.0)]);
    // Same score and last report as "fast", but a smaller error.
    let sharp = team("sharp", vec![rep("a", "outfall", at(0.5, 0.0), 500.0)]);
    let board = score_contest(&t, &[slow, fast, sharp], &s).unwrap();
    let order: Vec<(&str, usize)> = board
        .iter()
        .map(|x| (x.result.team.as_str(), x.rank))
        .collect();
    assert_eq!(order, vec![("sharp", 1), ("fast", 2), ("slow", 3)]);
    assert!((board[0].result.score - board[2].result.score).abs() < 1e-9);
}

#[test]
fn identical_teams_share_a_rank() {
    let s = ScoreSettings::default();
    let a = team("a", vec![rep("x", "outfall", at(1.0, 0.0), 100.0)]);
    let b = team("b", vec![rep("x", "outfall", at(1.0, 0.0), 100.0)]);
    let c = team("c", vec![]);
    let board = score_contest(&targets(), &[c, b, a], &s).unwrap();
    let ranks: Vec<(&str, usize)> = board
        .iter()
        .map(|x| (x.result.team.as_str(), x.rank))
        .collect();
    assert_eq!(ranks, vec![("a", 1), ("b", 1), ("c", 3)]);
}

#[test]
fn no_targets_and_duplicate_teams_are_errors() {
    let s = ScoreSettings::default();
    assert_eq!(
        score_team(&[], &team("a", vec![]), &s).unwrap_err(),
        review::score::ScoreError::NoTargets
    );
    let err = score_contest(&targets(), &[team("a", vec![]), team("a", vec![])], &s).unwrap_err();
    assert!(err.to_string().contains("'a'"));
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Target (east, north) and report (east, north, time) positions.
    type Layout = (Vec<(f64, f64)>, Vec<(f64, f64, f64)>);

    fn layout() -> impl Strategy<Value = Layout> {
        (
            proptest::collection::vec((0.0..60.0f64, 0.0..60.0f64), 1..5),
            proptest::collection::vec((0.0..60.0f64, 0.0..60.0f64, 0.0..2000.0f64), 0..9),
        )
    }

    fn build(t: &[(f64, f64)], r: &[(f64, f64, f64)]) -> (Vec<Target>, TeamReports) {
        let targets = t
            .iter()
            .enumerate()
            .map(|(i, (e, n))| Target::at(format!("T{i}"), at(*e, *n)))
            .collect();
        let reports = r
            .iter()
            .enumerate()
            .map(|(i, (e, n, time))| Report {
                time_s: Some(*time),
                ..Report::at(format!("r{i}"), at(*e, *n))
            })
            .collect();
        (targets, team("p", reports))
    }

    proptest! {
        #[test]
        fn the_score_is_a_percentage_and_the_penalty_aware_matching_never_scores_lower(
            (t, r) in layout(),
            // Up to the default 0.5: the weights then sum to at most 1 (0.4 location, 0.1 speed).
            discovery in 0.0..=0.5f64,
        ) {
            let (targets, reports) = build(&t, &r);
            let mut s = ScoreSettings::default();
            s.weights.discovery = discovery;
            let ours = score_team(&targets, &reports, &s).unwrap();
            prop_assert!((0.0..=100.0 + 1e-9).contains(&ours.score), "{}", ours.score);
            prop_assert_eq!(ours.finds.len() + ours.false_reports.len() + ours.ignored_reports.len(), r.len());
            s.match_weight_includes_penalty = false;
            let credit_only = score_team(&targets, &reports, &s).unwrap();
            prop_assert!(ours.score >= credit_only.score - 1e-6, "{} < {}", ours.score, credit_only.score);
        }
    }
}
