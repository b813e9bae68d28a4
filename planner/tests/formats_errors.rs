//! Bad input: every refusal names the file and the field and says what was expected; and
//! the GeoJSON features (datum, sites, exclusions) that are accepted.

use std::path::PathBuf;

use planner::input::{
    read_qgc_plan_mission, read_survey_input, read_wpl, InputError, SWAP_HINT_LAT_LON,
    SWAP_HINT_LON_LAT,
};
use planner::survey::InputGeometry;
use qly_core::datum::Datum;

struct Tmp {
    dir: tempfile::TempDir,
}

impl Tmp {
    fn new() -> Tmp {
        Tmp {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn file(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }
}

/// Reads `text` as file `name` and returns the error, checking that it names the file and
/// the expected field and contains `words`.
fn refused(name: &str, text: &str, field: &str, words: &str) -> InputError {
    let t = Tmp::new();
    let p = t.file(name, text);
    let r = if name.ends_with(".waypoints") {
        read_wpl(&p).map(|_| ())
    } else {
        read_survey_input(&p, None).map(|_| ())
    };
    let e = r.expect_err("expected a refusal");
    let msg = e.to_string();
    assert!(msg.contains(name), "does not name the file: {msg}");
    assert_eq!(e.field(), Some(field), "{msg}");
    assert!(msg.contains(words), "'{words}' missing from: {msg}");
    e
}

fn line_feature(coords: &str, props: &str) -> String {
    format!(
        r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{{props}}},
        "geometry":{{"type":"LineString","coordinates":{coords}}}}}]}}"#
    )
}

const LINE: &str = "[[106.97,27.06],[106.98,27.07]]";
const C: &str = "features[0].geometry.coordinates";

#[test]
fn empty_files() {
    refused("e.geojson", "", "(file)", "empty");
    refused("e.kml", "  \n", "(file)", "empty");
    refused("e.plan", "", "(file)", "empty");
    refused("e.waypoints", "\n", "(file)", "empty");
}

#[test]
fn no_geometry() {
    refused(
        "pts.geojson",
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"plant"},
        "geometry":{"type":"Point","coordinates":[106.97,27.06]}}]}"#,
        "(root)",
        "no geometry to survey",
    );
    refused(
        "empty.kml",
        r#"<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document/></kml>"#,
        "kml",
        "no geometry to survey",
    );
}

#[test]
fn too_few_distinct_points() {
    refused(
        "short.geojson",
        &line_feature("[[106.97,27.06],[106.97,27.06]]", ""),
        C,
        "expected at least 2 for a line",
    );
    refused(
        "ring.geojson",
        r#"{"type":"Feature","properties":{},"geometry":{"type":"Polygon",
        "coordinates":[[[106.97,27.06],[106.98,27.06],[106.97,27.06],[106.97,27.06]]]}}"#,
        "geometry.coordinates[0]",
        "expected at least 3 for a ring",
    );
    refused(
        "ring.kml",
        r#"<kml><Placemark><Polygon><outerBoundaryIs><LinearRing><coordinates>
        106.97,27.06 106.98,27.06 106.97,27.06</coordinates></LinearRing></outerBoundaryIs>
        </Polygon></Placemark></kml>"#,
        "kml/Placemark[0]/Polygon/outerBoundaryIs/LinearRing/coordinates",
        "expected at least 3",
    );
}

#[test]
fn non_finite_numbers() {
    refused(
        "nan.kml",
        "<kml><Placemark><LineString><coordinates>106.97,27.06 nan,27.07</coordinates>\
         </LineString></Placemark></kml>",
        "kml/Placemark[0]/LineString/coordinates[1]",
        "non-finite",
    );
    refused(
        "inf.waypoints",
        "QGC WPL 110\n0\t1\t0\t16\t0\t0\t0\t0\t27.06\t106.97\t1100\t1\n\
         1\t0\t3\t16\t0\t0\t0\t0\tinf\t106.97\t50\t1\n",
        "line 3, fields 9-10 (latitude, longitude)",
        "non-finite",
    );
    // JSON has no NaN; a number too large for a float is refused by the parser, with its
    // line and column.
    refused(
        "big.geojson",
        &line_feature("[[106.97,27.06],[1e999,27.07]]", ""),
        "line 2, column 76",
        "not valid JSON",
    );
}

#[test]
fn latitude_and_longitude_out_of_range() {
    refused(
        "lat.geojson",
        &line_feature("[[100,95],[100,96]]", ""),
        "features[0].geometry.coordinates[0]",
        "latitude 95 out of range",
    );
    refused(
        "lon.geojson",
        &line_feature("[[100,10],[190,11]]", ""),
        "features[0].geometry.coordinates[1]",
        "longitude 190 out of range",
    );
    refused(
        "lat.waypoints",
        "QGC WPL 110\n0\t1\t0\t16\t0\t0\t0\t0\t27.06\t106.97\t1100\t1\n\
         1\t0\t3\t16\t0\t0\t0\t0\t91\t106.97\t50\t1\n",
        "line 3, fields 9-10 (latitude, longitude)",
        "latitude 91 out of range",
    );
}

#[test]
fn swapped_coordinates() {
    refused(
        "swap.geojson",
        &line_feature("[[27.06,106.97],[27.07,106.98]]", ""),
        C,
        SWAP_HINT_LON_LAT,
    );
    refused(
        "swap.kml",
        "<kml><Document><Folder><Placemark><LineString><coordinates>27.06,106.97 \
         27.07,106.98</coordinates></LineString></Placemark></Folder></Document></kml>",
        "kml/Document/Folder/Placemark[0]/LineString/coordinates",
        SWAP_HINT_LON_LAT,
    );
    refused(
        "swap.waypoints",
        "QGC WPL 110\n0\t1\t0\t16\t0\t0\t0\t0\t106.97\t27.06\t1100\t1\n\
         1\t0\t3\t16\t0\t0\t0\t0\t106.98\t27.07\t50\t1\n",
        "(all items)",
        SWAP_HINT_LAT_LON,
    );
    let t = Tmp::new();
    let p = t.file(
        "swap.plan",
        r#"{"fileType":"Plan","version":1,"groundStation":"QGroundControl",
        "mission":{"version":2,"firmwareType":3,"plannedHomePosition":[27.06,106.97,1100],
        "items":[{"type":"SimpleItem","command":16,"frame":3,"autoContinue":true,
        "params":[0,0,0,null,106.98,27.07,50]}]},
        "geoFence":{"version":2,"polygons":[],"circles":[]},"rallyPoints":{"version":2,"points":[]}}"#,
    );
    let e = read_qgc_plan_mission(&p).unwrap_err();
    assert!(e.to_string().contains("swap.plan"), "{e}");
    assert!(e.to_string().contains(SWAP_HINT_LAT_LON), "{e}");
    assert_eq!(e.field(), Some("mission.items"));
}

/// Western China (Kashgar, 39.47 N 75.99 E) written latitude first is in range both ways;
/// only a Chinese datum tag reveals the swap.
#[test]
fn swap_in_western_china_is_caught_through_the_datum() {
    let coords = "[[39.47,75.99],[39.48,76.0]]";
    refused(
        "kashgar.geojson",
        &line_feature(coords, r#""datum":"GCJ02""#),
        C,
        "the file's datum is GCJ-02",
    );
    refused(
        "kashgar2.geojson",
        &line_feature(coords, r#""datum":"CGCS2000""#),
        C,
        SWAP_HINT_LON_LAT,
    );
    let t = Tmp::new();
    let p = t.file("kashgar-wgs.geojson", &line_feature(coords, ""));
    assert!(
        read_survey_input(&p, None).is_ok(),
        "no datum tag: no guess"
    );
}

#[test]
fn bad_width() {
    for (w, words) in [("0", "width_m = 0"), ("-5", "width_m = -5")] {
        refused(
            "w.geojson",
            &line_feature(LINE, &format!(r#""width_m":{w}"#)),
            "features[0].properties.width_m",
            words,
        );
    }
    refused(
        "ws.geojson",
        &line_feature(LINE, r#""width_m":"wide""#),
        "features[0].properties.width_m",
        "expected a number",
    );
    refused(
        "w.kml",
        "<kml><Placemark><ExtendedData><Data name=\"width_m\"><value>nan</value></Data>\
         </ExtendedData><LineString><coordinates>106.97,27.06 106.98,27.07</coordinates>\
         </LineString></Placemark></kml>",
        "kml/Placemark[0]/ExtendedData[width_m]",
        "width_m = NaN",
    );
    refused(
        "w.plan",
        r#"{"fileType":"Plan","mission":{"items":[{"type":"ComplexItem",
        "complexItemType":"CorridorScan","CorridorWidth":0,"polyline":[[27.06,106.97],[27.07,106.98]]}]}}"#,
        "mission.items[0].CorridorWidth",
        "width_m = 0",
    );
}

#[test]
fn other_refusals() {
    refused(
        "crs.geojson",
        r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:3857"}},
        "features":[]}"#,
        "crs.properties.name",
        "expected EPSG:4326",
    );
    refused(
        "datum.geojson",
        &line_feature(LINE, r#""datum":"BD09MC""#),
        "features[0].properties.datum",
        "unknown datum 'BD09MC'",
    );
    refused(
        "multi.geojson",
        r#"{"type":"Feature","properties":{},"geometry":{"type":"MultiPolygon","coordinates":[
        [[[106.97,27.06],[106.98,27.06],[106.98,27.07]]],[[[107.0,27.06],[107.1,27.06],[107.1,27.07]]]]}}"#,
        "geometry.coordinates",
        "expected exactly one",
    );
    refused(
        "two.geojson",
        &format!(
            r#"{{"type":"FeatureCollection","features":[
            {{"type":"Feature","properties":{{}},"geometry":{{"type":"LineString","coordinates":{LINE}}}}},
            {{"type":"Feature","properties":{{}},"geometry":{{"type":"LineString","coordinates":{LINE}}}}}]}}"#
        ),
        "features[1].geometry",
        "expected exactly one LineString or Polygon",
    );
    refused(
        "fields.waypoints",
        "QGC WPL 110\n0\t1\t0\t16\t0\t0\t0\t0\t27.06\t106.97\t1100\t1\n1\t0\t3\t16\t0\t0\n",
        "line 3",
        "expected 12 tab-separated fields",
    );
    refused(
        "header.waypoints",
        "QGC WPL 999\n",
        "line 1",
        "expected the header 'QGC WPL 110'",
    );
    refused("x.shp.txt", "x", "(file name)", "unknown extension");
}

#[test]
fn geojson_datum_sites_and_exclusions() {
    let text = r#"{"type":"FeatureCollection","properties":{"datum":"GCJ02","name":"Yangshui"},
      "features":[
        {"type":"Feature","properties":{"width_m":80},
         "geometry":{"type":"LineString","coordinates":[[106.97,27.06],[106.98,27.07]]}},
        {"type":"Feature","properties":{"role":"exclusion"},
         "geometry":{"type":"Polygon","coordinates":[[[106.971,27.061],[106.972,27.061],[106.972,27.062],[106.971,27.061]]]}},
        {"type":"Feature","properties":{"name":"phosphate plant"},
         "geometry":{"type":"Point","coordinates":[106.975,27.065]}}]}"#;
    let t = Tmp::new();
    let p = t.file("river.geojson", text);
    let gcj = read_survey_input(&p, None).unwrap();
    assert_eq!(gcj.datum, Datum::Gcj02);
    assert_eq!(gcj.name.as_deref(), Some("Yangshui"));
    assert_eq!(gcj.width_m, Some(80.0));
    assert_eq!(gcj.exclusions.len(), 1);
    assert_eq!(gcj.exclusions[0].len(), 3);
    assert_eq!(gcj.sites.len(), 1);
    assert_eq!(gcj.sites[0].name, "phosphate plant");
    // The override wins: read as WGS-84, the points are as written...
    let wgs = read_survey_input(&p, Some(Datum::Wgs84)).unwrap();
    assert_eq!(wgs.datum, Datum::Wgs84);
    let (InputGeometry::Centreline(a), InputGeometry::Centreline(b)) =
        (&gcj.geometry, &wgs.geometry)
    else {
        panic!("expected centrelines")
    };
    assert_eq!((b[0].lat_deg, b[0].lon_deg), (27.06, 106.97));
    // ...and converted from GCJ-02 they move by the offset of several hundred metres.
    let shift = a[0].distance_m(b[0]);
    assert!((300.0..800.0).contains(&shift), "GCJ-02 shift {shift} m");
    let site_shift = gcj.sites[0].point.distance_m(wgs.sites[0].point);
    assert!((300.0..800.0).contains(&site_shift));
}

#[test]
fn missing_file_names_the_file() {
    let e =
        read_survey_input(std::path::Path::new("/nonexistent/river.geojson"), None).unwrap_err();
    assert!(matches!(e, InputError::Io { .. }));
    assert!(
        e.to_string()
            .starts_with("/nonexistent/river.geojson: cannot read"),
        "{e}"
    );
}

#[test]
fn kml_datum_and_width_from_extended_data() {
    let t = Tmp::new();
    let p = t.file(
        "ovital.kml",
        "<?xml version=\"1.0\"?><kml xmlns=\"http://www.opengis.net/kml/2.2\"><Document>\
         <name>Yangshui</name><ExtendedData><Data name=\"datum\"><value>GCJ-02</value></Data>\
         </ExtendedData><Folder><Placemark><ExtendedData><SchemaData>\
         <SimpleData name=\"width_m\">55</SimpleData></SchemaData></ExtendedData>\
         <LineString><coordinates>106.97,27.06,0\n106.98,27.07,0</coordinates></LineString>\
         </Placemark><Placemark><name>outfall</name><Point><coordinates>106.975,27.065\
         </coordinates></Point></Placemark></Folder></Document></kml>",
    );
    let input = read_survey_input(&p, None).unwrap();
    assert_eq!(input.datum, Datum::Gcj02);
    assert_eq!(input.width_m, Some(55.0));
    assert_eq!(input.name.as_deref(), Some("Yangshui"));
    assert_eq!(input.sites.len(), 1);
    let InputGeometry::Centreline(l) = &input.geometry else {
        panic!("expected a centreline")
    };
    // Converted from GCJ-02: several hundred metres from the written point.
    let written = qly_core::geodesy::GeoPoint {
        lat_deg: 27.06,
        lon_deg: 106.97,
    };
    assert!((300.0..800.0).contains(&l[0].distance_m(written)));
}
