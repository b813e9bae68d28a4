//! The survey inputs inspectors hold (issue 17, deliverable 4; issue 16, deliverable 2):
//! KMZ (zipped KML and DJI WPML routes, ours and FlightHub 2's), Shapefile with its `.prj`,
//! GeoJSON whose `crs` names CGCS2000 or one of its Gauss-Kruger zones, and BD-09 traces.
//! Projected coordinates are checked against PROJ's own values (PROJ 9.5.1 through pyproj
//! 3.7.2, `Transformer.from_crs(epsg, 4490, always_xy=True)`), and against GDAL's
//! `ogr2ogr` where it is installed.

mod formats_support;

use std::io::Write;
use std::path::Path;
use std::process::Command;

use formats_support::{area_plan, assert_points_close, corridor_plan, fixture, geo_line};
use planner::dji_aircraft::DjiAircraftDatabase;
use planner::input::{from_text, read_survey_input};
use planner::output::wpml::{kmz, mapping_kmz, WpmlHeightMode, WpmlOptions};
use planner::survey::{InputGeometry, PlaneRegion, SurveyInput};
use qly_core::datum::Datum;
use qly_core::geodesy::GeoPoint;
use qly_core::mission::MissionItem;

fn p(lat_deg: f64, lon_deg: f64) -> GeoPoint {
    GeoPoint { lat_deg, lon_deg }
}

/// Two points of the Yangtze at Wuhan in EPSG:4547 (CGCS2000 3-degree GK CM 114E) and their
/// longitude/latitude from PROJ 9.5.1.
const WUHAN_4547: [(f64, f64, f64, f64); 2] = [
    (528770.237, 3386666.251, 114.299999997346, 30.600000003954),
    (538332.774, 3394456.589, 114.399999995603, 30.670000004048),
];

fn line_of(input: &SurveyInput) -> &[GeoPoint] {
    match &input.geometry {
        InputGeometry::Centreline(l) => l,
        other => panic!("expected a centreline, got {other:?}"),
    }
}

fn ring_of(input: &SurveyInput) -> &[GeoPoint] {
    match &input.geometry {
        InputGeometry::Area { boundary, .. } => boundary,
        other => panic!("expected an area, got {other:?}"),
    }
}

/// An open ring (KML and our readers may or may not repeat the first point).
fn open(mut ring: Vec<GeoPoint>) -> Vec<GeoPoint> {
    if ring.len() > 1 && ring.first() == ring.last() {
        ring.pop();
    }
    ring
}

fn zip_of(entries: &[(&str, &str)]) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut w = zip::ZipWriter::new(&mut buf);
    for (name, text) in entries {
        w.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(text.as_bytes()).unwrap();
    }
    w.finish().unwrap();
    buf.into_inner()
}

const KML_LINE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>river</name>
<ExtendedData><Data name="width_m"><value>50</value></Data></ExtendedData>
<LineString><coordinates>106.97,27.06 106.98,27.07 106.99,27.07</coordinates></LineString>
</Placemark></Document></kml>"#;

#[test]
fn kmz_holds_plain_kml() {
    let from_kml = from_text::kml("river.kml", KML_LINE, None).unwrap();
    for entry in ["doc.kml", "files/river.kml"] {
        let bytes = zip_of(&[(entry, KML_LINE), ("files/icon.png", "not read")]);
        let input = from_text::kmz("river.kmz", &bytes, None).unwrap();
        assert_eq!(input.width_m, Some(50.0), "{entry}");
        assert_points_close(line_of(&input), line_of(&from_kml));
    }
    // Errors name the archive and the entry.
    let bad = zip_of(&[("doc.kml", &KML_LINE.replace("106.98,27.07", "106.98;27.07"))]);
    let e = from_text::kmz("river.kmz", &bad, None)
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("river.kmz:doc.kml: kml/Document/Placemark[0]/LineString/coordinates[1]"),
        "{e}"
    );
    let two = zip_of(&[("a.kml", KML_LINE), ("b.kml", KML_LINE)]);
    let e = from_text::kmz("two.kmz", &two, None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("2 .kml entries (a.kml, b.kml)"), "{e}");
    let e = from_text::kmz("x.kmz", b"PK\x03\x04 not really", None)
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("x.kmz: (zip): not a zip archive"), "{e}");
}

#[test]
fn a_zip_bomb_entry_is_refused_at_the_size_bound() {
    // 65 MiB of spaces compress to a few hundred KiB; inflating stops at the 64 MiB bound.
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut w = zip::ZipWriter::new(&mut buf);
    w.start_file("doc.kml", zip::write::SimpleFileOptions::default())
        .unwrap();
    let chunk = vec![b' '; 1 << 20];
    for _ in 0..65 {
        w.write_all(&chunk).unwrap();
    }
    w.finish().unwrap();
    let bytes = buf.into_inner();
    assert!(bytes.len() < 1 << 20, "{} bytes", bytes.len());
    let e = from_text::kmz("bomb.kmz", &bytes, None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("doc.kml: inflates to more than 64 MiB"), "{e}");
}

fn options() -> WpmlOptions {
    WpmlOptions {
        aircraft: DjiAircraftDatabase::builtin().find("M3E").unwrap().clone(),
        height_mode: WpmlHeightMode::RelativeToStartPoint,
        home_amsl_known: false,
        take_off_security_height_m: 20.0,
        ceiling_rel_home_m: Some(120.0),
    }
}

#[test]
fn our_dji_kmz_reads_back_as_the_survey_it_was_made_from() {
    // mappingStrip: the corridor's centreline and width.
    let plan = corridor_plan();
    let (bytes, _) = mapping_kmz(&plan, &options()).unwrap();
    let input = from_text::kmz("river-dji-mapping.kmz", &bytes, None).unwrap();
    let PlaneRegion::Corridor {
        centreline,
        width_m,
    } = &plan.region
    else {
        unreachable!()
    };
    assert_points_close(line_of(&input), &geo_line(&plan, centreline));
    assert_eq!(input.width_m, Some(*width_m));

    // mapping2d: the area's outer ring.
    let plan = area_plan();
    let (bytes, _) = mapping_kmz(&plan, &options()).unwrap();
    let input = from_text::kmz("area-dji-mapping.kmz", &bytes, None).unwrap();
    let PlaneRegion::Area { polygon, .. } = &plan.region else {
        unreachable!()
    };
    assert_points_close(
        &open(ring_of(&input).to_vec()),
        &open(geo_line(&plan, polygon.exterior())),
    );

    // A waypoint route: its waypoints in order, as a centreline.
    let sortie = &plan.sorties[0].mission;
    let bytes = kmz(sortie, &options()).unwrap();
    let input = from_text::kmz("area.kmz", &bytes, Some(Datum::Wgs84)).unwrap();
    let mut waypoints: Vec<GeoPoint> = sortie
        .items
        .iter()
        .filter_map(|i| match i {
            MissionItem::Waypoint { point, .. } => Some(*point),
            _ => None,
        })
        .collect();
    waypoints.dedup();
    assert_points_close(line_of(&input), &waypoints);
    assert_eq!(input.width_m, None);
}

#[test]
fn flighthub_exports_read_as_a_route_line_and_an_area() {
    let dir = |name: &str| fixture(&format!("dji-wpml/{name}/wpmz/template.kml"));
    let (Some(wp), Some(map)) = (
        dir("01_fh2_waypoint_m3t_inspection"),
        dir("02_fh2_mapping2d_m3td_terrain_dsm"),
    ) else {
        return;
    };
    let read_zipped = |template: &Path, name: &str| {
        let text = std::fs::read_to_string(template).unwrap();
        let waylines = std::fs::read_to_string(template.with_file_name("waylines.wpml")).unwrap();
        let bytes = zip_of(&[
            ("wpmz/template.kml", &text),
            ("wpmz/waylines.wpml", &waylines),
        ]);
        from_text::kmz(name, &bytes, None).unwrap()
    };
    let route = read_zipped(&wp, "inspection.kmz");
    let line = line_of(&route);
    assert_eq!(line.len(), 6, "the README's 6 waypoints: {line:?}");
    // Shenzhen, beside the take-off point the template gives (22.581243, 113.938206).
    assert!(line
        .iter()
        .all(|q| q.distance_m(p(22.581243, 113.938206)) < 1000.0));
    let area = read_zipped(&map, "mapping.kmz");
    assert_points_close(
        ring_of(&area),
        &[
            p(22.5808834935551, 113.937012340306),
            p(22.5808920744046, 113.938758303662),
            p(22.578279265439, 113.938889030699),
            p(22.5782154736148, 113.937069951962),
        ],
    );
    // The unzipped template itself, as .kml, is told apart by content too.
    let same = read_survey_input(&map, None).unwrap();
    assert_points_close(ring_of(&same), ring_of(&area));
}

#[test]
fn dji_template_errors_name_the_element() {
    let template = |kind: &str, body: &str| {
        format!(
            r#"<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2" xmlns:wpml="http://www.dji.com/wpmz/1.0.6"><Document><Folder><wpml:templateType>{kind}</wpml:templateType>{body}</Folder></Document></kml>"#
        )
    };
    let strip = template(
        "mappingStrip",
        "<Placemark><LineString><coordinates>106.97,27.06 106.98,27.07</coordinates></LineString>\
         <wpml:leftExtend>20</wpml:leftExtend><wpml:rightExtend>35</wpml:rightExtend></Placemark>",
    );
    let input = from_text::kmz("s.kmz", &zip_of(&[("wpmz/template.kml", &strip)]), None).unwrap();
    // Unequal extensions: widened to the larger on both sides.
    assert_eq!(input.width_m, Some(70.0));
    let bad = strip.replace("<wpml:leftExtend>20<", "<wpml:leftExtend>wide<");
    let e = from_text::kmz("s.kmz", &zip_of(&[("wpmz/template.kml", &bad)]), None)
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with(
            "s.kmz:wpmz/template.kml: kml/Document/Folder[0]/Placemark[0]/wpml:leftExtend: 'wide'"
        ),
        "{e}"
    );
    let other = template("mappingObject", "");
    let e = from_text::kmz("o.kmz", &zip_of(&[("wpmz/template.kml", &other)]), None)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("wpml:templateType: 'mappingObject': expected waypoint"),
        "{e}"
    );
}

fn geojson_4547(extra_props: &str) -> String {
    let coords: Vec<String> = WUHAN_4547
        .iter()
        .map(|(e, n, _, _)| format!("[{e}, {n}]"))
        .collect();
    format!(
        r#"{{"type": "FeatureCollection",
        "crs": {{"type": "name", "properties": {{"name": "urn:ogc:def:crs:EPSG::4547"}}}},
        "features": [{{"type": "Feature", "properties": {{"width_m": 80{extra_props}}},
        "geometry": {{"type": "LineString", "coordinates": [{}]}}}}]}}"#,
        coords.join(", ")
    )
}

#[test]
fn geojson_in_a_gauss_kruger_zone_matches_proj() {
    let input = from_text::geojson("yangtze.geojson", &geojson_4547(""), None).unwrap();
    assert_eq!(input.datum, Datum::Cgcs2000);
    for (q, (_, _, lon, lat)) in line_of(&input).iter().zip(WUHAN_4547) {
        assert!(
            q.distance_m(p(lat, lon)) < 0.001,
            "{q:?} vs PROJ {lat},{lon}"
        );
    }
    // EPSG:4490 longitude/latitude is read as WGS-84, and says so.
    let cgcs = r#"{"type": "Feature", "crs": {"type": "name", "properties": {"name": "EPSG:4490"}},
        "properties": {"width_m": 50}, "geometry": {"type": "LineString",
        "coordinates": [[114.3, 30.6], [114.4, 30.67]]}}"#;
    let input = from_text::geojson("c.geojson", cgcs, None).unwrap();
    assert_eq!(input.datum, Datum::Cgcs2000);
    assert_points_close(line_of(&input), &[p(30.6, 114.3), p(30.67, 114.4)]);
}

#[test]
fn projected_geojson_errors_name_the_position_and_the_expectation() {
    // Northing first (the EPSG axis order): thousands of km off the central meridian.
    let swapped =
        geojson_4547("").replace("[528770.237, 3386666.251]", "[3386666.251, 528770.237]");
    let e = from_text::geojson("y.geojson", &swapped, None)
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with(
            "y.geojson: features[0].geometry.coordinates[0]: easting 3386666.251 m is 2887 km"
        ),
        "{e}"
    );
    assert!(e.contains("swapped"), "{e}");
    let unknown = geojson_4547("").replace("EPSG::4547", "EPSG::3857");
    let e = from_text::geojson("y.geojson", &unknown, None)
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("y.geojson: crs.properties.name: 'urn:ogc:def:crs:EPSG::3857'"),
        "{e}"
    );
    assert!(e.contains("EPSG:4491-4554"), "{e}");
    let gcj = geojson_4547(r#", "datum": "GCJ02""#);
    let e = from_text::geojson("y.geojson", &gcj, None)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("crs.properties.name: the crs names EPSG:4547"),
        "{e}"
    );
    let e = from_text::geojson("y.geojson", &geojson_4547(""), Some(Datum::Bd09))
        .unwrap_err()
        .to_string();
    assert!(e.contains("with --datum BD-09"), "{e}");
}

#[test]
fn a_baidu_trace_is_converted_through_gcj02() {
    let text = r#"{"type": "Feature", "properties": {"width_m": 50, "datum": "BD09"},
        "geometry": {"type": "LineString", "coordinates": [[116.404, 39.915], [116.41, 39.92]]}}"#;
    let input = from_text::geojson("baidu.geojson", text, None).unwrap();
    assert_eq!(input.datum, Datum::Bd09);
    let first = line_of(&input)[0];
    // wandergis/coordtransform: bd09togcj02(116.404, 39.915) = (116.39762729119315,
    // 39.90865673957631); then GCJ-02 -> WGS-84 by our tested inverse.
    let want = Datum::Gcj02.to_wgs84(p(39.90865673957631, 116.39762729119315));
    assert!(first.distance_m(want) < 0.01, "{first:?}");
    // Several hundred metres from where the numbers would put it as WGS-84.
    assert!((700.0..1500.0).contains(&first.distance_m(p(39.915, 116.404))));
}

const PRJ_4547: &str = r#"PROJCS["CGCS2000_3_Degree_GK_CM_114E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",114.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;

/// Writes `<dir>/<stem>.shp/.shx/.dbf` with one polyline record and the given fields.
fn write_polyline_shp(dir: &Path, stem: &str, points: &[(f64, f64)], width_m: f64) {
    use shapefile::dbase::{FieldName, FieldValue, Record, TableWriterBuilder};
    let table = TableWriterBuilder::new()
        .add_character_field(FieldName::try_from("name").unwrap(), 40)
        .add_numeric_field(FieldName::try_from("width_m").unwrap(), 10, 2);
    let mut w = shapefile::Writer::from_path(dir.join(format!("{stem}.shp")), table).unwrap();
    let line = shapefile::Polyline::new(
        points
            .iter()
            .map(|&(x, y)| shapefile::Point::new(x, y))
            .collect(),
    );
    let mut rec = Record::default();
    rec.insert("name".into(), FieldValue::Character(Some("长江".into())));
    rec.insert("width_m".into(), FieldValue::Numeric(Some(width_m)));
    w.write_shape_and_record(&line, &rec).unwrap();
}

#[test]
fn shapefile_in_a_gauss_kruger_zone_matches_proj() {
    let dir = tempfile::tempdir().unwrap();
    let en: Vec<(f64, f64)> = WUHAN_4547.iter().map(|&(e, n, _, _)| (e, n)).collect();
    write_polyline_shp(dir.path(), "yangtze", &en, 120.0);
    let shp = dir.path().join("yangtze.shp");
    // No .prj: refused, naming it.
    let e = read_survey_input(&shp, None).unwrap_err().to_string();
    assert!(e.contains(": yangtze.prj: cannot read it"), "{e}");
    std::fs::write(dir.path().join("yangtze.prj"), PRJ_4547).unwrap();
    let input = read_survey_input(&shp, None).unwrap();
    assert_eq!(input.width_m, Some(120.0));
    assert_eq!(input.datum, Datum::Cgcs2000);
    for (q, (_, _, lon, lat)) in line_of(&input).iter().zip(WUHAN_4547) {
        assert!(
            q.distance_m(p(lat, lon)) < 0.001,
            "{q:?} vs PROJ {lat},{lon}"
        );
    }
    // A Beijing 1954 .prj is refused with its datum.
    std::fs::write(
        dir.path().join("yangtze.prj"),
        PRJ_4547.replace("D_China_2000", "D_Beijing_1954"),
    )
    .unwrap();
    let e = read_survey_input(&shp, None).unwrap_err().to_string();
    assert!(e.contains("yangtze.prj: datum 'D_Beijing_1954'"), "{e}");
}

#[test]
fn a_forged_point_count_is_refused_before_the_shapefile_is_read() {
    let dir = tempfile::tempdir().unwrap();
    write_polyline_shp(dir.path(), "f", &[(114.3, 30.6), (114.4, 30.67)], 50.0);
    std::fs::write(dir.path().join("f.prj"), r#"GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#).unwrap();
    let shp = dir.path().join("f.shp");
    assert_eq!(line_of(&read_survey_input(&shp, None).unwrap()).len(), 2);
    let mut bytes = std::fs::read(&shp).unwrap();
    // The first record's point count (content offset 40, after its 8-byte header).
    bytes[100 + 8 + 40..100 + 8 + 44].copy_from_slice(&i32::MAX.to_le_bytes());
    std::fs::write(&shp, bytes).unwrap();
    let e = read_survey_input(&shp, None).unwrap_err().to_string();
    assert!(e.contains("record[0]: claims"), "{e}");
}

/// GDAL writes the sample corridor as a shapefile and as GeoJSON in a Gauss-Kruger zone;
/// both read back onto the original to a millimetre.
#[test]
fn gdal_projected_exports_read_back_onto_the_original() {
    if Command::new("ogr2ogr").arg("--version").output().is_err() {
        if std::env::var_os("CI").is_some() {
            panic!("ogr2ogr is missing under CI: run scripts/setup-env.sh");
        }
        eprintln!("skipping: ogr2ogr (gdal-bin) is missing");
        return;
    }
    let src =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../missions/sample-corridor-short.geojson");
    let original = read_survey_input(&src, None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (driver, out) in [("ESRI Shapefile", "shp"), ("GeoJSON", "gk.geojson")] {
        let target = dir.path().join(out);
        let status = Command::new("ogr2ogr")
            .args(["-f", driver, "-t_srs", "EPSG:4545"])
            .arg(&target)
            .arg(&src)
            .status()
            .unwrap();
        assert!(status.success(), "ogr2ogr {driver}");
        let path = if out == "shp" {
            std::fs::read_dir(&target)
                .unwrap()
                .map(|e| e.unwrap().path())
                .find(|p| p.extension().is_some_and(|e| e == "shp"))
                .unwrap()
        } else {
            target
        };
        let input = read_survey_input(&path, None).unwrap();
        assert_eq!(input.datum, Datum::Cgcs2000, "{driver}");
        assert_eq!(input.width_m, original.width_m, "{driver}");
        let (a, b) = (line_of(&input), line_of(&original));
        assert_eq!(a.len(), b.len());
        for (q, r) in a.iter().zip(b) {
            assert!(q.distance_m(*r) < 0.001, "{driver}: {q:?} vs {r:?}");
        }
    }
}
