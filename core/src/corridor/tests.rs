use super::*;
use crate::datum::wgs84_from_gcj02;

fn line(props: &str, coords: &str) -> String {
    format!(
        r#"{{"type":"Feature","properties":{{{props}}},"geometry":{{"type":"LineString","coordinates":{coords}}}}}"#
    )
}

#[test]
fn reads_the_sample_corridor() {
    let text = include_str!("../../../missions/sample-corridor.geojson");
    let c = Corridor::from_geojson(text, "sample-corridor.geojson").unwrap();
    assert_eq!(c.width_m, 60.0);
    assert_eq!(c.datum, Datum::Wgs84);
    assert!(c.centreline.len() > 100);
    assert!((c.centreline[0].lat_deg - 27.035).abs() < 1e-9);
    // The sample corridor is 8 km of river.
    assert!(
        (7_500.0..8_500.0).contains(&c.length_m()),
        "{}",
        c.length_m()
    );
}

#[test]
fn gcj02_and_cgcs2000_are_converted_to_wgs84() {
    let coords = "[[106.97,27.06],[106.98,27.07]]";
    let gcj =
        Corridor::from_geojson(&line(r#""width_m":50,"datum":"GCJ02""#, coords), "f").unwrap();
    assert_eq!(gcj.datum, Datum::Gcj02);
    let want = wgs84_from_gcj02(GeoPoint::new(27.06, 106.97).unwrap());
    assert!(gcj.centreline[0].distance_m(want) < 1e-6);
    assert!(gcj.centreline[0].distance_m(GeoPoint::new(27.06, 106.97).unwrap()) > 100.0);
    let cgcs =
        Corridor::from_geojson(&line(r#""width_m":50,"datum":"CGCS2000""#, coords), "f").unwrap();
    assert_eq!(cgcs.datum, Datum::Cgcs2000);
    assert_eq!(cgcs.centreline[1], GeoPoint::new(27.07, 106.98).unwrap());
}

#[test]
fn collection_properties_and_name_are_read() {
    let text = r#"{"type":"FeatureCollection","properties":{"datum":"GCJ02","name":"Yangshui","width_m":30},
      "features":[{"type":"Feature","properties":{"kind":"lane"},"geometry":{"type":"LineString","coordinates":[[1,1],[2,2]]}},
                  {"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[106.97,27.06],[106.98,27.07]]}}]}"#;
    let c = Corridor::from_geojson(text, "f").unwrap();
    assert_eq!(c.name.as_deref(), Some("Yangshui"));
    assert_eq!((c.width_m, c.datum), (30.0, Datum::Gcj02));
    // Our own lane drawing is skipped: the centreline is the second feature.
    assert!((c.centreline[0].lat_deg - 27.06).abs() < 0.01);
}

#[test]
fn bad_input_names_the_file_the_field_and_the_expectation() {
    let err = |text: &str| Corridor::from_geojson(text, "x.geojson").unwrap_err();
    let e = err("{");
    assert_eq!(
        (e.file.as_str(), e.field.as_str()),
        ("x.geojson", "line 1, column 1")
    );
    assert!(e.message.contains("expected a GeoJSON"), "{e}");
    let e = err(&line("", "[[106.9,27.0],[106.91,27.0]]"));
    assert!(
        e.message.contains("width_m") && e.message.contains("expected"),
        "{e}"
    );
    let e = err(&line(r#""width_m":-3"#, "[[106.9,27.0],[106.91,27.0]]"));
    assert_eq!(e.field, "properties.width_m");
    let e = err(&line(r#""width_m":50"#, "[[106.9,97.0],[106.91,27.0]]"));
    assert_eq!(e.field, "geometry.coordinates[0]", "{e}");
    let e = err(&line(r#""width_m":50"#, "[[27.0,106.9],[27.0,106.91]]"));
    assert!(e.message.contains("swapped"), "{e}");
    let e = err(&line(
        r#""width_m":50,"datum":"BD09""#,
        "[[106.9,27.0],[106.91,27.0]]",
    ));
    assert_eq!(e.field, "properties.datum", "{e}");
    let e = err(&line(r#""width_m":50"#, "[[106.9,27.0],[106.9,27.0]]"));
    assert!(e.message.contains("distinct"), "{e}");
    let point = r#"{"type":"Feature","properties":{"width_m":50},"geometry":{"type":"Point","coordinates":[106.9,27.0]}}"#;
    assert!(err(point).message.contains("LineString"));
    let area = r#"{"type":"Feature","properties":{"width_m":50},"geometry":{"type":"Polygon","coordinates":[[[106.9,27.0],[106.91,27.0],[106.91,27.01],[106.9,27.0]]]}}"#;
    let e = err(area);
    assert_eq!(e.field, "geometry.type");
    assert!(
        e.message.starts_with("Polygon: expected a LineString"),
        "{e}"
    );
}

#[test]
fn vertices_closer_than_a_centimetre_are_merged() {
    let a = GeoPoint::new(27.0, 106.9).unwrap();
    let c = Corridor::new(
        vec![a, a.destination(90.0, 0.005), a.destination(90.0, 100.0)],
        40.0,
    )
    .unwrap();
    assert_eq!(c.centreline.len(), 2);
    assert_eq!(
        Corridor::new(vec![a, a], 40.0).unwrap_err().field,
        "centreline"
    );
    assert_eq!(
        Corridor::new(vec![a, a.destination(0.0, 10.0)], f64::NAN)
            .unwrap_err()
            .field,
        "width_m"
    );
}
