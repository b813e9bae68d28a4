//! Bad input: each a clear error or warning that names the file and the problem.

use qly_core::datum::{gcj02_from_wgs84, Datum};
use qly_core::geodesy::GeoPoint;
use review::checks::{locate_reports, report_warnings, ReportSource};
use review::input::{parse_features, parse_timestamp, targets_from, InputError};
use review::model::Target;
use review::settings::ScoreSettings;

fn origin() -> GeoPoint {
    GeoPoint::new(27.05, 106.95).unwrap()
}

fn at(east_m: f64, north_m: f64) -> GeoPoint {
    origin().destination(90.0, east_m).destination(0.0, north_m)
}

fn targets() -> Vec<Target> {
    let text = collection(&[
        (at(0.0, 0.0), r#""id":"T1","class":"outfall""#),
        (at(400.0, 300.0), r#""id":"T2","class":"plume""#),
        (at(900.0, 800.0), r#""id":"T3","class":"outfall""#),
    ]);
    let raw = parse_features("targets.geojson", &text, None).unwrap();
    targets_from("targets.geojson", &raw).unwrap()
}

/// A FeatureCollection of Points at `p` (written [lon, lat]) with the given properties.
fn collection(points: &[(GeoPoint, &str)]) -> String {
    let features: Vec<String> = points
        .iter()
        .map(|(p, props)| {
            format!(
                r#"{{"type":"Feature","geometry":{{"type":"Point","coordinates":[{},{}]}},"properties":{{{props}}}}}"#,
                p.lon_deg, p.lat_deg
            )
        })
        .collect();
    format!(
        r#"{{"type":"FeatureCollection","features":[{}]}}"#,
        features.join(",")
    )
}

fn swapped(points: &[(GeoPoint, &str)]) -> String {
    let flipped: Vec<(GeoPoint, &str)> = points
        .iter()
        .map(|(p, s)| {
            (
                GeoPoint {
                    lat_deg: p.lon_deg,
                    lon_deg: p.lat_deg,
                },
                *s,
            )
        })
        .collect();
    collection(&flipped)
}

#[test]
fn empty_files_are_errors_naming_the_file() {
    for text in ["", "  \n", r#"{"type":"FeatureCollection","features":[]}"#] {
        let err = parse_features("team-a.geojson", text, None).unwrap_err();
        assert!(matches!(err, InputError::Empty { .. }), "{err:?}");
        assert!(
            err.to_string().starts_with("team-a.geojson: no features"),
            "{err}"
        );
    }
}

#[test]
fn not_geojson_and_wrong_geometry_are_errors() {
    let err = parse_features("a.geojson", "{not json", None).unwrap_err();
    assert!(
        err.to_string().starts_with("a.geojson: not GeoJSON"),
        "{err}"
    );
    let line = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"r1"},"geometry":{"type":"LineString","coordinates":[[106.9,27.0],[106.91,27.0]]}}]}"#;
    let err = parse_features("a.geojson", line, None)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("a.geojson: feature 1 (id \"r1\"): is a LineString, expected a Point"),
        "{err}"
    );
}

#[test]
fn another_crs_is_an_error() {
    let text = r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4547"}},"features":[{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[500000,3000000]}}]}"#;
    let err = parse_features("b.geojson", text, None).unwrap_err();
    assert!(matches!(err, InputError::OtherCrs { .. }));
    assert!(err.to_string().contains("EPSG::4547"), "{err}");
    let ok = text
        .replace("EPSG::4547", "OGC:1.3:CRS84")
        .replace("500000,3000000", "106.9,27.0");
    assert!(parse_features("b.geojson", &ok, None).is_ok());
}

#[test]
fn swapped_coordinates_are_an_error_naming_file_and_feature() {
    let text = swapped(&[
        (at(1.0, 0.0), r#""id":"r1""#),
        (at(3.0, 2.0), r#""id":"r2""#),
    ]);
    let raw = parse_features("team-b.geojson", &text, None).unwrap();
    let err = locate_reports("team-b.geojson", &raw, &targets(), Datum::Wgs84).unwrap_err();
    assert!(matches!(err, InputError::Swapped { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.starts_with("team-b.geojson: feature 1 (id \"r1\"): coordinates look swapped"),
        "{msg}"
    );
    assert!(msg.contains("target T1"), "{msg}");
}

#[test]
fn swapped_but_in_range_is_found_by_distance() {
    // Western hemisphere: longitude -76 read as latitude is in range; the swap is found by
    // distance instead.
    let t = Target::at("T1", GeoPoint::new(38.0, -76.0).unwrap());
    let text = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"x"},"geometry":{"type":"Point","coordinates":[38.00001,-76.0]}}]}"#;
    let raw = parse_features("w.geojson", text, None).unwrap();
    let err = locate_reports("w.geojson", &raw, &[t], Datum::Wgs84)
        .unwrap_err()
        .to_string();
    assert!(err.contains("km from the nearest target"), "{err}");
}

#[test]
fn out_of_range_coordinates_are_an_error() {
    let text = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"x"},"geometry":{"type":"Point","coordinates":[106.9,127.0]}}]}"#;
    let raw = parse_features("c.geojson", text, None).unwrap();
    let err = locate_reports("c.geojson", &raw, &targets(), Datum::Wgs84)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("c.geojson: feature 1 (id \"x\"): latitude 127 is outside"),
        "{err}"
    );
}

#[test]
fn times_are_seconds_or_date_times_after_the_start() {
    let text = collection(&[
        (at(0.0, 0.0), r#""id":"a","time":95.5"#),
        (
            at(1.0, 0.0),
            r#""id":"b","time":"2026-05-01T09:03:00+08:00""#,
        ),
        (at(2.0, 0.0), r#""id":"c""#),
    ]);
    let err = parse_features("t.geojson", &text, None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("t.geojson: feature 2 (id \"b\"): time '2026-05-01T09:03:00+08:00' is a date-time, so the contest start is needed"), "{err}");
    let start = parse_timestamp("2026-05-01T01:00:00Z").unwrap();
    let raw = parse_features("t.geojson", &text, Some(start)).unwrap();
    let times: Vec<Option<f64>> = raw.iter().map(|f| f.time_s).collect();
    assert_eq!(times, vec![Some(95.5), Some(180.0), None]);
    let bad = collection(&[(at(0.0, 0.0), r#""id":"a","time":"yesterday""#)]);
    let err = parse_features("t.geojson", &bad, Some(start))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("feature 1 (id \"a\"): time 'yesterday' is not an ISO 8601"),
        "{err}"
    );
}

#[test]
fn duplicate_target_ids_are_an_error() {
    let text = collection(&[
        (at(0.0, 0.0), r#""id":"T1""#),
        (at(50.0, 0.0), r#""id":"T1""#),
    ]);
    let raw = parse_features("targets.geojson", &text, None).unwrap();
    let err = targets_from("targets.geojson", &raw)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("targets.geojson: target id 'T1' is used by feature 1"),
        "{err}"
    );
}

fn warnings_for(text: &str, datum: Datum) -> Vec<String> {
    let raw = parse_features("team.geojson", text, None).unwrap();
    let reports = locate_reports("team.geojson", &raw, &targets(), datum).unwrap();
    let labels: Vec<String> = raw.iter().map(|f| f.label.clone()).collect();
    let source = ReportSource {
        team: "blue",
        file: "team.geojson",
        labels: &labels,
        datum,
    };
    report_warnings(
        source,
        &reports,
        &targets(),
        &ScoreSettings::default(),
        qly_i18n::Lang::En,
    )
    .iter()
    .map(|w| w.to_string())
    .collect()
}

#[test]
fn duplicates_unknown_classes_and_missing_times_warn() {
    let text = collection(&[
        (at(1.0, 0.0), r#""id":"r1","class":"outfall","time":10"#),
        (at(1.5, 0.0), r#""id":"r2","class":"outfall","time":20"#),
        (at(400.0, 300.0), r#""id":"r3","class":"oil","time":30"#),
        (at(900.0, 800.0), r#""id":"r4""#),
    ]);
    let w = warnings_for(&text, Datum::Wgs84);
    let has = |needle: &str| w.iter().any(|m| m.contains(needle));
    assert!(
        has("team.geojson: feature 2 (id \"r2\"): duplicates feature 1 (id \"r1\") (0.50 m apart)"),
        "{w:#?}"
    );
    assert!(has("team.geojson: feature 3 (id \"r3\"): unknown class 'oil' (the targets' classes are: outfall, plume)"), "{w:#?}");
    assert!(
        has("team.geojson: feature 4 (id \"r4\"): has no class"),
        "{w:#?}"
    );
    assert!(has("team.geojson: 1 of 4 reports carry no time"), "{w:#?}");
    assert!(!has("GCJ-02"), "{w:#?}");
}

#[test]
fn a_report_far_from_every_target_warns() {
    let text = collection(&[(at(8000.0, 0.0), r#""id":"far","class":"outfall","time":5"#)]);
    let w = warnings_for(&text, Datum::Wgs84);
    assert!(
        w.iter()
            .any(|m| m.contains("feature 1 (id \"far\"): lies 7.")
                && m.contains("outside the contest area")),
        "{w:#?}"
    );
}

#[test]
fn gcj02_reports_warn_and_convert() {
    // Good finds, written in GCJ-02 as a map app would show them.
    let finds = [at(2.0, 1.0), at(401.0, 302.0), at(897.0, 800.0)];
    let gcj: Vec<(GeoPoint, &str)> = finds
        .iter()
        .zip([
            r#""id":"a","class":"outfall","time":1"#,
            r#""id":"b","class":"plume","time":2"#,
            r#""id":"c","class":"outfall","time":3"#,
        ])
        .map(|(p, s)| (gcj02_from_wgs84(*p), s))
        .collect();
    let text = collection(&gcj);
    let w = warnings_for(&text, Datum::Wgs84);
    let gcj_warning = w
        .iter()
        .find(|m| m.contains("GCJ-02"))
        .unwrap_or_else(|| panic!("{w:#?}"));
    assert!(
        gcj_warning.starts_with("team.geojson: reports sit a median"),
        "{gcj_warning}"
    );
    assert!(gcj_warning.contains("--datum blue=gcj02"), "{gcj_warning}");

    // Converted, they land where the team meant them and nothing warns about the datum.
    let w = warnings_for(&text, Datum::Gcj02);
    assert!(!w.iter().any(|m| m.contains("GCJ-02")), "{w:#?}");
    let raw = parse_features("team.geojson", &text, None).unwrap();
    let reports = locate_reports("team.geojson", &raw, &targets(), Datum::Gcj02).unwrap();
    for (r, want) in reports.iter().zip(finds) {
        assert!(r.position.unwrap().distance_m(want) < 0.01);
    }

    // And --datum gcj02 given to WGS-84 reports warns the other way.
    let plain = collection(&[
        (finds[0], r#""id":"a","class":"outfall","time":1"#),
        (finds[1], r#""id":"b","class":"plume","time":2"#),
    ]);
    let w = warnings_for(&plain, Datum::Gcj02);
    assert!(w.iter().any(|m| m.contains("drop the option")), "{w:#?}");
}
