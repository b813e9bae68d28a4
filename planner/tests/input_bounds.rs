//! What a fuzzer found (issue 15): inputs whose size alone made `planner plan` hang, grow
//! past 3 GB or overflow its stack. Each is now refused at once with the figure named. The
//! inputs are generated here, larger than the fuzzer's.

use planner::input::{
    from_text, MAX_CORRIDOR_LENGTH_M, MAX_CORRIDOR_WIDTH_M, MAX_SURVEY_EXTENT_M, MAX_XML_DEPTH,
};
use planner::plan::{plan_survey, MAX_PHOTOS};
use planner::survey::{AltitudeTarget, SurveyParams};
use qly_core::camera::CameraDatabase;

fn params(alt_m: f64) -> SurveyParams {
    let camera = CameraDatabase::builtin()
        .find("DJI Mavic 3 Enterprise wide")
        .unwrap()
        .clone();
    SurveyParams::new(camera, AltitudeTarget::AboveTakeoff { alt_m })
}

fn line(coords: &[(f64, f64)], width_m: f64) -> String {
    let c: Vec<String> = coords.iter().map(|(x, y)| format!("[{x}, {y}]")).collect();
    format!(
        r#"{{"type": "Feature", "properties": {{"width_m": {width_m}}},
           "geometry": {{"type": "LineString", "coordinates": [{}]}}}}"#,
        c.join(", ")
    )
}

#[test]
fn kml_nested_100_000_folders_deep_is_refused_without_overflowing_the_stack() {
    let depth = 100_000;
    let mut text = String::from("<kml><Document>");
    text.push_str(&"<Folder>".repeat(depth));
    text.push_str(
        "<Placemark><LineString><coordinates>106.93,27.03 106.94,27.04</coordinates>\
         </LineString></Placemark>",
    );
    text.push_str(&"</Folder>".repeat(depth));
    text.push_str("</Document></kml>");
    let e = from_text::kml("deep.kml", &text, None)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(&format!("nested more than {MAX_XML_DEPTH} deep")),
        "{e}"
    );
    assert!(e.starts_with("deep.kml: line 1: malformed XML"), "{e}");
    // Just under the bound still reads.
    let ok = format!(
        "<kml>{}<Placemark><LineString><coordinates>106.93,27.03 106.94,27.04</coordinates>\
         </LineString></Placemark>{}</kml>",
        "<Folder>".repeat(MAX_XML_DEPTH - 4),
        "</Folder>".repeat(MAX_XML_DEPTH - 4)
    );
    from_text::kml("ok.kml", &ok, None).unwrap();
}

#[test]
fn a_corridor_vertex_13_degrees_away_is_refused_naming_the_length() {
    // The fuzzer's hang: a 60 m corridor whose second vertex jumped 13 degrees of longitude.
    let text = line(&[(12.45, 41.9), (-1.0, 41.903), (12.462, 41.905)], 60.0);
    let e = from_text::geojson("jump.geojson", &text, None)
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("jump.geojson: centreline: the corridor is 2230.8 km long"),
        "{e}"
    );
    assert!(e.contains("expected at most 100 km"), "{e}");
    assert!(e.contains("point 1 to point 2, is 1115.9 km"), "{e}");
    // Across 169 degrees (the one that grew past 3.5 GB).
    let text = line(&[(84.55, 33.9), (-84.545, 33.903), (-84.54, 33.905)], 60.0);
    let e = from_text::geojson("flip.geojson", &text, None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("12413.6 km long"), "{e}");
}

#[test]
fn the_longest_corridor_allowed_is_planned() {
    // A meander just under the bound: read and planned (in seconds, a few hundred MB).
    let n = 2000;
    let step_m = 0.98 * MAX_CORRIDOR_LENGTH_M / n as f64;
    let m_per_deg_lon = 111_320.0 * 27f64.to_radians().cos();
    let coords: Vec<(f64, f64)> = (0..=n)
        .map(|i| {
            let x = i as f64 * step_m * 0.999;
            let y = 300.0 * (x / 2000.0).sin();
            (106.0 + x / m_per_deg_lon, 27.0 + y / 111_320.0)
        })
        .collect();
    let input = from_text::geojson("long.geojson", &line(&coords, 60.0), None).unwrap();
    let plan = plan_survey(&input, &params(80.0)).unwrap();
    assert!(plan.photos.len() > 5_000, "{}", plan.photos.len());
}

#[test]
fn an_area_wider_than_the_extent_bound_is_refused() {
    let d = 1.2 * MAX_SURVEY_EXTENT_M / 111_320.0;
    let text = format!(
        r#"{{"type": "Polygon", "coordinates": [[[0, 0], [{d}, 0], [{d}, 0.001], [0, 0.001], [0, 0]]]}}"#
    );
    let e = from_text::geojson("wide.geojson", &text, None)
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("wide.geojson: geometry: the survey spans 120.0 km east-west"),
        "{e}"
    );
}

#[test]
fn a_corridor_wider_than_2_km_is_refused() {
    let text = line(
        &[(106.93, 27.03), (106.94, 27.04)],
        2.0 * MAX_CORRIDOR_WIDTH_M,
    );
    let e = from_text::geojson("wide.geojson", &text, None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("width_m = 4000: expected at most 2000 m"), "{e}");
    // The same bound holds for a width given on the command line (which skips the reader).
    let mut input = from_text::geojson(
        "c.geojson",
        &line(&[(106.93, 27.03), (106.94, 27.04)], 60.0),
        None,
    )
    .unwrap();
    input.width_m = Some(1e9);
    let e = plan_survey(&input, &params(80.0)).unwrap_err().to_string();
    assert!(
        e.contains("width_m = 1000000000 is invalid: expected at most 2000 m"),
        "{e}"
    );
}

#[test]
fn too_many_photos_are_refused_before_any_lane_is_laid_out() {
    // 50 km x 50 km at 20 m above take-off: millions of photos, refused from the estimate.
    let d = 50_000.0 / 111_320.0;
    let text = format!(
        r#"{{"type": "Polygon", "coordinates": [[[106, 27], [{}, 27], [{}, {}], [106, {}], [106, 27]]]}}"#,
        106.0 + d,
        106.0 + d,
        27.0 + d,
        27.0 + d
    );
    let input = from_text::geojson("big.geojson", &text, None).unwrap();
    let e = plan_survey(&input, &params(20.0)).unwrap_err().to_string();
    assert!(
        e.contains(&format!("more than the {MAX_PHOTOS:.0} one plan may hold")),
        "{e}"
    );
    assert!(e.contains("an area of 2"), "{e}");
    // A corridor's extra lanes count too (--extra-lanes 4000000000 allocated a lane each).
    let input = from_text::geojson(
        "c.geojson",
        &line(&[(106.93, 27.03), (106.94, 27.04)], 60.0),
        None,
    )
    .unwrap();
    let mut p = params(80.0);
    p.corridor.extra_lanes_per_bank = 4_000_000_000;
    let e = plan_survey(&input, &p).unwrap_err().to_string();
    assert!(e.contains("0002 lane(s) along 1.5 km"), "{e}");
}

#[test]
fn a_line_of_200_000_points_is_checked_in_linear_time() {
    // The distinct-point count was quadratic: 200 000 points took minutes; now linear.
    let coords: Vec<(f64, f64)> = (0..200_000)
        .map(|i| (106.9 + i as f64 * 1e-7, 27.0 + (i % 2) as f64 * 1e-7))
        .collect();
    from_text::geojson("dense.geojson", &line(&coords, 60.0), None).unwrap();
}

#[test]
fn the_width_bound_in_the_plan_error_is_the_constant() {
    assert_eq!(MAX_CORRIDOR_WIDTH_M, 2000.0);
}
