//! Sorties from launch points along the river (issue 17): every sortie takes off from and
//! lands at a launch point within range of all its photos, fits the battery with the transit
//! there and back, and the pilot's day is shorter than flying everything from one home.

use std::path::{Path, PathBuf};
use std::process::Command;

use planner::input::{read_points, read_survey_input};
use planner::plan::plan_survey;
use planner::survey::{AltitudeTarget, BatteryBudget, LaunchOptions, SurveyParams, SurveyPlan};
use qly_core::camera::CameraDatabase;

fn missions() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../missions")
}

fn params(launch: Option<LaunchOptions>) -> SurveyParams {
    let camera = CameraDatabase::builtin()
        .find("DJI Mavic 3 Enterprise wide")
        .unwrap()
        .clone();
    SurveyParams {
        battery: Some(BatteryBudget {
            usable_min: 30.0,
            reserve_min: 3.0,
        }),
        max_items: Some(planner::sorties::DEFAULT_MAX_ITEMS),
        launch,
        ..SurveyParams::new(camera, AltitudeTarget::Gsd { cm_per_px: 2.0 })
    }
}

fn launch(max_range_m: f64) -> LaunchOptions {
    LaunchOptions {
        points: read_points(&missions().join("sample-corridor-launch.geojson"), None).unwrap(),
        max_range_m,
    }
}

fn river() -> planner::survey::SurveyInput {
    read_survey_input(&missions().join("sample-corridor.geojson"), None).unwrap()
}

fn total_s(plan: &SurveyPlan) -> f64 {
    plan.sorties.iter().map(|s| s.flight_time_s).sum()
}

#[test]
fn the_launch_file_reads_five_named_points_two_km_apart() {
    let l = launch(1500.0);
    assert_eq!(l.points.len(), 5);
    assert!(l.points[1].name.contains("bridge"), "{:?}", l.points);
    for w in l.points.windows(2) {
        let d = w[0].point.distance_m(w[1].point);
        assert!((1300.0..2100.0).contains(&d), "{d}");
    }
}

#[test]
fn sorties_fly_from_launch_points_in_range_within_the_battery() {
    let l = launch(1500.0);
    let plan = plan_survey(&river(), &params(Some(l.clone()))).unwrap();
    let one_home = plan_survey(&river(), &params(None)).unwrap();
    let n = plan.photos.len();
    assert_eq!(n, one_home.photos.len(), "the survey itself does not move");
    assert!(plan.sorties.len() > 1);
    let mut next = 0;
    for s in &plan.sorties {
        let j = s.launch.expect("every sortie names its launch point");
        let site = &l.points[j];
        assert_eq!(s.mission.home.point, site.point);
        for ph in &plan.photos[s.photos.clone()] {
            let d = plan.to_geo(ph.at).distance_m(site.point);
            assert!(d <= 1500.0 + 1.0, "photo {d:.0} m from {}", site.name);
        }
        assert!(s.flight_time_s <= 27.0 * 60.0 + 1e-6, "{}", s.flight_time_s);
        assert!(s.survey_time_s > 0.0 && s.survey_time_s < s.flight_time_s);
        // Sorties follow each other, re-taking the requested photos.
        assert!(
            s.photos.start <= next && s.photos.end > next,
            "{:?}",
            s.photos
        );
        next = s.photos.end;
    }
    assert_eq!(next, n);
    // Flying from the bank saves transit: less flight in all, a larger survey share.
    let share =
        |p: &SurveyPlan| p.sorties.iter().map(|s| s.survey_time_s).sum::<f64>() / total_s(p);
    assert!(
        total_s(&plan) < 0.8 * total_s(&one_home),
        "{} vs {}",
        total_s(&plan),
        total_s(&one_home)
    );
    assert!(share(&plan) > share(&one_home) + 0.1);
    // Without launch points, sorties name none.
    assert!(one_home.sorties.iter().all(|s| s.launch.is_none()));
}

#[test]
fn photos_beyond_every_launch_point_are_refused_with_how_many_and_where() {
    let mut l = launch(1500.0);
    // Only the first two points: the upper reach is out of range.
    l.points.truncate(2);
    let e = plan_survey(&river(), &params(Some(l)))
        .unwrap_err()
        .to_string();
    assert!(e.contains("of 1344 photos lie farther than 1500 m"), "{e}");
    assert!(e.contains("nearest launch point 'L2 km 2.0 bridge'"), "{e}");
    assert!(
        e.contains("photos ") && e.contains("farthest at 27."),
        "{e}"
    );
}

#[test]
fn the_command_line_prints_each_sortie_s_launch_transit_survey_and_reserve() {
    let dir = tempfile::tempdir().unwrap();
    let launch = missions().join("sample-corridor-launch.geojson");
    let out = Command::new(env!("CARGO_BIN_EXE_planner"))
        .args(["plan", "--battery-min", "30", "--launch"])
        .arg(&launch)
        .arg(missions().join("sample-corridor.geojson"))
        .arg("--out")
        .arg(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.trim_start().starts_with("sortie "))
        .collect();
    assert!(lines.len() > 1, "{text}");
    for l in &lines {
        assert!(
            l.contains("from 'L")
                && l.contains(" = transit ")
                && l.contains(" + survey ")
                && l.contains(", reserve "),
            "{l}"
        );
    }
    assert!(text.contains("of it surveying"), "{text}");
    // One mission per sortie.
    for k in 1..=lines.len() {
        assert!(dir
            .path()
            .join(format!("sample-corridor-sortie-{k}.plan"))
            .is_file());
    }
    // A launch file without any named point is refused by name.
    let empty = dir.path().join("none.geojson");
    std::fs::write(&empty, r#"{"type": "FeatureCollection", "features": []}"#).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_planner"))
        .args(["plan", "--launch"])
        .arg(&empty)
        .arg(missions().join("sample-corridor.geojson"))
        .arg("--out")
        .arg(dir.path().join("x"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("reading launch points") && err.contains("no named Point"),
        "{err}"
    );
}

#[test]
fn over_terrain_every_sortie_fits_the_battery_as_flown() {
    use planner::plan::plan_survey_over_terrain;
    use planner::terrain::TerrainOptions;
    use qly_core::terrain::{read_dem_file, DatumChoice, DemMosaic};
    let dem = read_dem_file(
        &missions().join("sample-corridor-dem.tif"),
        DatumChoice::FromFile,
    )
    .unwrap();
    let ground = DemMosaic::new(vec![dem]).unwrap();
    // The first 1.2 km of the river on 10-minute batteries: quick, and several sorties.
    let short = read_survey_input(&missions().join("sample-corridor-short.geojson"), None).unwrap();
    let p = SurveyParams {
        battery: Some(BatteryBudget {
            usable_min: 10.0,
            reserve_min: 3.0,
        }),
        ..params(Some(launch(1500.0)))
    };
    let plan = plan_survey_over_terrain(&short, &p, &ground, &TerrainOptions::default()).unwrap();
    assert!(plan.sorties.len() > 1);
    for s in &plan.sorties {
        // Timed again as followed (climbs and descents included): still within 10 - 3 min.
        assert!(s.flight_time_s <= 7.0 * 60.0 + 1e-6, "{}", s.flight_time_s);
        assert!(s.launch.is_some());
    }
    // From one home too (cut on the flat timing alone, two of these sorties flew 7m09s and
    // 7m02s).
    let one_home = SurveyParams { launch: None, ..p };
    let plan =
        plan_survey_over_terrain(&short, &one_home, &ground, &TerrainOptions::default()).unwrap();
    for s in &plan.sorties {
        assert!(s.flight_time_s <= 7.0 * 60.0 + 1e-6, "{}", s.flight_time_s);
    }
}

#[test]
fn launch_points_read_from_kml_and_refuse_unnamed_points_by_field() {
    let dir = tempfile::tempdir().unwrap();
    let kml = dir.path().join("launch.kml");
    std::fs::write(
        &kml,
        "<kml><Document><Placemark><name>Bridge</name><Point><coordinates>106.9446,27.0445,0\
         </coordinates></Point></Placemark><Placemark><name>River</name><LineString>\
         <coordinates>106.93,27.03 106.94,27.04</coordinates></LineString></Placemark>\
         </Document></kml>",
    )
    .unwrap();
    let points = read_points(&kml, None).unwrap();
    assert_eq!(points.len(), 1, "the LineString is skipped");
    assert_eq!(points[0].name, "Bridge");
    assert!((points[0].point.lat_deg - 27.0445).abs() < 1e-9);
    let unnamed = dir.path().join("unnamed.geojson");
    std::fs::write(
        &unnamed,
        r#"{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
            "geometry": {"type": "Point", "coordinates": [106.94, 27.04]}}]}"#,
    )
    .unwrap();
    let e = read_points(&unnamed, None).unwrap_err();
    assert_eq!(e.field(), Some("features[0].properties.name"), "{e}");
    let swapped = dir.path().join("swapped.geojson");
    std::fs::write(
        &swapped,
        r#"{"type": "Feature", "properties": {"name": "Ferry"},
            "geometry": {"type": "Point", "coordinates": [27.04, 106.94]}}"#,
    )
    .unwrap();
    let e = read_points(&swapped, None).unwrap_err().to_string();
    assert!(e.contains("swapped"), "{e}");
}
