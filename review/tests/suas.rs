//! The SUAS interop server's worked examples (server/auvsi_suas/models/odlc_test.py,
//! TestOdlcEvaluator), reproduced with `ScoreSettings::suas`.
//!
//! Their fixture, in our terms: the flight is the window 0..100 s after takeoff; an object
//! created in flight and not changed after landing is reported at 50 s, one changed or
//! created after landing at 150-160 s. SUAS's `None` characteristics are encoded as "" so
//! that, as in SUAS, two missing values count as equal. Emergent objects compare only the
//! judge's description approval. `thumbnail_approved=False` is `approved: false`.

use std::collections::BTreeMap;

use qly_core::geodesy::GeoPoint;
use review::model::{Report, Target, TeamReports};
use review::score::{pair_credit, score_team};
use review::settings::{ScoreSettings, M_PER_FT};

const FLIGHT_END_S: f64 = 100.0;

fn p(lat: f64, lon: f64) -> GeoPoint {
    GeoPoint::new(lat, lon).unwrap()
}
fn l1() -> GeoPoint {
    p(38.0, -76.0)
}
fn l2() -> GeoPoint {
    p(38.0003, -76.0)
}
fn l3() -> GeoPoint {
    p(-38.0, 76.0)
}
fn l4() -> GeoPoint {
    p(0.0, 0.0)
}

/// orientation, shape, shape colour, alphanumeric, alphanumeric colour ("" = None).
fn standard(
    o: &str,
    shape: &str,
    shape_color: &str,
    alnum: &str,
    alnum_color: &str,
) -> BTreeMap<String, String> {
    [
        ("orientation", o),
        ("shape", shape),
        ("shape_color", shape_color),
        ("alphanumeric", alnum),
        ("alphanumeric_color", alnum_color),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn emergent(description_approved: &str) -> BTreeMap<String, String> {
    BTreeMap::from([(
        "description_approved".to_string(),
        description_approved.to_string(),
    )])
}

fn target(id: &str, class: &str, at: GeoPoint, attributes: BTreeMap<String, String>) -> Target {
    Target {
        id: id.into(),
        position: at,
        class: Some(class.into()),
        attributes,
    }
}

#[allow(clippy::too_many_arguments)]
fn report(
    id: &str,
    class: &str,
    at: Option<GeoPoint>,
    attributes: BTreeMap<String, String>,
    time_s: f64,
    autonomous: bool,
    approved: bool,
) -> Report {
    Report {
        id: id.into(),
        position: at,
        class: Some(class.into()),
        attributes,
        time_s: Some(time_s),
        autonomous,
        approved,
    }
}

struct Fixture {
    submitted: Vec<Report>,
    real: Vec<Target>,
}

fn fixture() -> Fixture {
    let s1 = report(
        "submit1",
        "STANDARD",
        Some(l1()),
        standard("S", "SQUARE", "WHITE", "ABC", "BLACK"),
        50.0,
        true,
        true,
    );
    let r1 = target(
        "real1",
        "STANDARD",
        l1(),
        standard("S", "SQUARE", "WHITE", "ABC", "BLACK"),
    );
    // Alphanumeric set after landing: last modified at 150 s.
    let s2 = report(
        "submit2",
        "STANDARD",
        Some(l1()),
        standard("N", "CIRCLE", "WHITE", "ABC", "BLACK"),
        150.0,
        false,
        true,
    );
    let r2 = target(
        "real2",
        "STANDARD",
        l2(),
        standard("S", "TRIANGLE", "WHITE", "ABC", "BLACK"),
    );
    // Alphanumeric colour changed after landing.
    let s3 = report(
        "submit3",
        "STANDARD",
        Some(l4()),
        standard("NW", "PENTAGON", "GRAY", "XYZ", "YELLOW"),
        150.0,
        false,
        true,
    );
    let r3 = target(
        "real3",
        "STANDARD",
        l3(),
        standard("E", "SEMICIRCLE", "YELLOW", "LMN", ""),
    );
    let s4 = report(
        "submit4",
        "EMERGENT",
        Some(l1()),
        emergent(""),
        50.0,
        false,
        false,
    );
    let r4 = target("real4", "EMERGENT", l1(), emergent(""));
    let s5 = report(
        "submit5",
        "STANDARD",
        None,
        standard("N", "TRAPEZOID", "PURPLE", "PQR", "BLUE"),
        50.0,
        false,
        true,
    );
    let r5 = target(
        "real5",
        "STANDARD",
        l1(),
        standard("N", "TRAPEZOID", "PURPLE", "PQR", "BLUE"),
    );
    let s6 = report(
        "submit6",
        "EMERGENT",
        Some(l1()),
        emergent("true"),
        50.0,
        true,
        true,
    );
    let r6 = target("real6", "EMERGENT", l1(), emergent("true"));
    // Created after landing.
    let s7 = report(
        "submit7",
        "STANDARD",
        Some(l4()),
        standard("", "", "", "", "BLACK"),
        160.0,
        false,
        true,
    );
    Fixture {
        submitted: vec![s7, s6, s5, s4, s3, s2, s1],
        real: vec![r1, r2, r3, r4, r5, r6],
    }
}

impl Fixture {
    fn sub(&self, id: &str) -> &Report {
        self.submitted.iter().find(|r| r.id == id).unwrap()
    }
    fn real(&self, id: &str) -> &Target {
        self.real.iter().find(|t| t.id == id).unwrap()
    }
    fn value(&self, s: &str, r: &str) -> f64 {
        pair_credit(
            self.sub(s),
            self.real(r),
            &ScoreSettings::suas(FLIGHT_END_S),
        )
        .map_or(0.0, |c| c.total())
    }
    fn team(&self) -> TeamReports {
        TeamReports {
            team: "user".into(),
            reports: self.submitted.clone(),
        }
    }
}

fn close(a: f64, b: f64, places: i32) -> bool {
    // Python's assertAlmostEqual(places=n): round(a - b, n) == 0.
    ((a - b) * 10f64.powi(places)).round() == 0.0
}

#[test]
fn match_values() {
    let f = fixture();
    for (s, r, want) in [
        ("submit1", "real1", 1.0),
        ("submit2", "real2", 0.3481),
        ("submit3", "real3", 0.0),
        ("submit4", "real4", 0.0),
        ("submit5", "real5", 0.5),
        ("submit6", "real6", 1.0),
        ("submit7", "real1", 0.08),
        ("submit1", "real2", 0.628),
        ("submit2", "real1", 0.64),
    ] {
        let got = f.value(s, r);
        assert!(
            close(got, want, 3),
            "{s} vs {r}: got {got}, SUAS says {want}"
        );
    }
}

#[test]
fn matching_is_the_suas_matching() {
    let f = fixture();
    let result = score_team(&f.real, &f.team(), &ScoreSettings::suas(FLIGHT_END_S)).unwrap();
    let pairs: Vec<(&str, &str)> = result
        .finds
        .iter()
        .map(|x| (x.report_id.as_str(), x.target_id.as_str()))
        .collect();
    assert_eq!(
        pairs,
        vec![
            ("submit1", "real1"),
            ("submit2", "real2"),
            ("submit5", "real5"),
            ("submit6", "real6")
        ]
    );
}

#[test]
fn evaluation() {
    let f = fixture();
    let result = score_team(&f.real, &f.team(), &ScoreSettings::suas(FLIGHT_END_S)).unwrap();
    let real2 = result
        .finds
        .iter()
        .find(|x| x.target_id == "real2")
        .unwrap();
    let err_ft = real2.error_m.unwrap() / M_PER_FT;
    assert!(
        close(err_ft, 109.444, 3),
        "geolocation accuracy {err_ft} ft"
    );
    // geolocation_score_ratio 0.270, weighted by 0.4.
    assert!(close(real2.credit.location / 0.4, 0.270, 3));
    assert!(close(real2.credit.total(), 0.3481, 3));
    let real1 = result
        .finds
        .iter()
        .find(|x| x.target_id == "real1")
        .unwrap();
    assert_eq!(real1.error_m, Some(0.0));
    assert_eq!(real1.credit.total(), 1.0);
    // score_ratio 0.375 with 2 unmatched (submit3 and submit4); submit7 is an autonomy twin
    // of real1 ("unused but not unmatched").
    assert!(
        close(result.score / 100.0, 0.375, 3),
        "score {}",
        result.score
    );
    assert_eq!(
        result.false_reports,
        vec!["submit4".to_string(), "submit3".to_string()]
    );
    assert_eq!(result.forgiven_reports, vec!["submit7".to_string()]);
}

#[test]
fn evaluation_without_twin_forgiveness_costs_the_twin() {
    let f = fixture();
    let mut s = ScoreSettings::suas(FLIGHT_END_S);
    s.forgive_autonomy_twins = false;
    let result = score_team(&f.real, &f.team(), &s).unwrap();
    assert_eq!(result.false_reports.len(), 3);
    assert!(
        close(result.score / 100.0, 0.375 - 0.05, 3),
        "score {}",
        result.score
    );
}

#[test]
fn no_submitted_objects() {
    let f = fixture();
    let empty = TeamReports {
        team: "user".into(),
        reports: vec![],
    };
    let result = score_team(&f.real, &empty, &ScoreSettings::suas(FLIGHT_END_S)).unwrap();
    assert_eq!(result.credit, 0.0);
    assert!(result.false_reports.is_empty());
    assert_eq!(result.score, 0.0);
}

#[test]
fn no_real_objects() {
    let f = fixture();
    let result = score_team(&[], &f.team(), &ScoreSettings::suas(FLIGHT_END_S)).unwrap();
    assert_eq!(result.credit, 0.0);
    assert_eq!(result.false_reports.len(), 7);
    // SUAS does not clamp the object score: -0.35.
    assert!(
        close(result.score / 100.0, -0.35, 3),
        "score {}",
        result.score
    );
}
