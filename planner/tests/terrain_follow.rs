//! Terrain-following plans (`plan_survey_over_terrain`) over test surfaces and GeoTIFF DEMs:
//! flat ground gives today's plan, ramps and ridges keep the height above ground and the
//! climb limits, refusals name the place, and the files carry the altitudes.

use planner::plan::{plan_survey, plan_survey_over_terrain};
use planner::survey::{
    AltitudeTarget, InputGeometry, PlaneCoord, SurveyInput, SurveyParams, SurveyPlan,
};
use planner::terrain::{TerrainAltFrame, TerrainFollowError, TerrainOptions};
use planner::PlanError;
use qly_core::camera::CameraDatabase;
use qly_core::datum::Datum;
use qly_core::geodesy::{GeoPoint, LocalFrame};
use qly_core::mission::{AltFrame, Mission, MissionItem, MissionType};
use qly_core::terrain::{
    read_dem_file, write_dem_file, DatumChoice, DemGrid, DemMosaic, FlatGround, Georef, Terrain,
    TerrainError, VerticalDatum,
};

const LAT0: f64 = 27.05;
const LON0: f64 = 106.95;

fn frame() -> LocalFrame {
    LocalFrame::at(GeoPoint {
        lat_deg: LAT0,
        lon_deg: LON0,
    })
}

/// A corridor 60 m wide along `points` (plane metres about the test frame).
fn corridor(points: &[(f64, f64)]) -> SurveyInput {
    let f = frame();
    SurveyInput {
        source: "test.geojson".into(),
        name: None,
        geometry: InputGeometry::Centreline(
            points.iter().map(|&(x, y)| f.unproject(x, y)).collect(),
        ),
        exclusions: vec![],
        width_m: Some(60.0),
        datum: Datum::Wgs84,
        sites: vec![],
    }
}

fn north_2km() -> SurveyInput {
    corridor(&[(0.0, 0.0), (0.0, 2000.0)])
}

/// Mavic 3 Enterprise at 2 cm/px: 75.0 m above ground; 10 m/s, so the steepest climb is
/// 2.5 / 10 = 0.25 and the steepest descent 1.5 / 10 = 0.15 m per m.
fn params() -> SurveyParams {
    let camera = CameraDatabase::builtin()
        .find("DJI Mavic 3 Enterprise wide")
        .unwrap()
        .clone();
    SurveyParams {
        turnaround_m: 20.0,
        cruise_speed_m_s: 10.0,
        ..SurveyParams::new(camera, AltitudeTarget::Gsd { cm_per_px: 2.0 })
    }
}

/// Ground given by a function of plane metres (east, north) about the test frame.
struct Surface<F: Fn(f64, f64) -> f64>(F);
impl<F: Fn(f64, f64) -> f64> Terrain for Surface<F> {
    fn height_amsl_m(&self, p: GeoPoint) -> Result<f64, TerrainError> {
        let (x, y) = frame().project(p);
        Ok((self.0)(x, y))
    }
}

/// The flown path of a plan's mission, sampled every `step_m` along every leg from home to
/// the RTL: (plane point, altitude AMSL), as the autopilot flies it (straight legs; relative
/// altitudes from home's ground; terrain-frame altitudes above `ground`).
fn flown(plan: &SurveyPlan, ground: &dyn Terrain, step_m: f64) -> Vec<(PlaneCoord, f64)> {
    flown_mission(&plan.mission, &plan.frame, ground, step_m)
}

fn flown_mission(
    mission: &Mission,
    f: &LocalFrame,
    ground: &dyn Terrain,
    step_m: f64,
) -> Vec<(PlaneCoord, f64)> {
    let home_ground = mission.home.alt_amsl_m;
    let (hx, hy) = f.project(mission.home.point);
    let mut legs: Vec<(PlaneCoord, f64, AltFrame)> = Vec::new();
    for item in &mission.items {
        match item {
            MissionItem::Takeoff { alt } => legs.push((
                PlaneCoord { x: hx, y: hy },
                alt.alt_m,
                AltFrame::RelativeHome,
            )),
            MissionItem::Waypoint { point, alt, .. } => {
                let (x, y) = f.project(*point);
                legs.push((PlaneCoord { x, y }, alt.alt_m, alt.frame));
            }
            MissionItem::ReturnToLaunch => break,
            _ => {}
        }
    }
    let amsl = |at: PlaneCoord, alt: f64, frame: AltFrame| -> f64 {
        match frame {
            AltFrame::RelativeHome => home_ground + alt,
            AltFrame::Terrain => alt + ground.height_amsl_m(f.unproject(at.x, at.y)).unwrap(),
            AltFrame::Amsl => alt,
        }
    };
    let mut out = Vec::new();
    for w in legs.windows(2) {
        let ((a, za, fa), (b, zb, fb)) = (w[0], w[1]);
        let len = (b.x - a.x).hypot(b.y - a.y);
        let n = (len / step_m).ceil().max(1.0) as usize;
        for j in 0..=n {
            let t = j as f64 / n as f64;
            let at = PlaneCoord {
                x: a.x + t * (b.x - a.x),
                y: a.y + t * (b.y - a.y),
            };
            // Relative legs are straight in AMSL; terrain-frame legs interpolate the height
            // above ground.
            let h = if fa == AltFrame::Terrain && fb == AltFrame::Terrain {
                let g = ground.height_amsl_m(f.unproject(at.x, at.y)).unwrap();
                g + za + t * (zb - za)
            } else {
                let (ha, hb) = (amsl(a, za, fa), amsl(b, zb, fb));
                ha + t * (hb - ha)
            };
            out.push((at, h));
        }
    }
    out
}

fn agl_range(plan: &SurveyPlan, ground: &dyn Terrain) -> (f64, f64) {
    agl_range_of(&plan.mission, &plan.frame, ground)
}

fn agl_range_of(mission: &Mission, f: &LocalFrame, ground: &dyn Terrain) -> (f64, f64) {
    flown_mission(mission, f, ground, 1.0)
        .iter()
        .map(|(at, h)| h - ground.height_amsl_m(f.unproject(at.x, at.y)).unwrap())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), a| {
            (lo.min(a), hi.max(a))
        })
}

#[test]
fn flat_ground_reproduces_the_plan_at_one_height() {
    let input = north_2km();
    let flat = plan_survey(&input, &params()).unwrap();
    let ground = FlatGround {
        height_amsl_m: 1234.0,
    };
    let over =
        plan_survey_over_terrain(&input, &params(), &ground, &TerrainOptions::default()).unwrap();
    assert_eq!(over.transects, flat.transects);
    assert_eq!(over.photos, flat.photos);
    assert_eq!(over.lane_spacing_m, flat.lane_spacing_m);
    // The same items, altitudes equal up to the rounding of (ground + 75 m) - ground.
    let (a, b) = (
        &over.mission.items[over.survey_items.clone()],
        &flat.mission.items[flat.survey_items.clone()],
    );
    assert_eq!(a.len(), b.len());
    for (x, y) in a
        .iter()
        .zip(b)
        .chain([(&over.mission.items[0], &flat.mission.items[0])])
    {
        match (x, y) {
            (
                MissionItem::Waypoint { point, alt, .. },
                MissionItem::Waypoint {
                    point: p2, alt: a2, ..
                },
            ) => {
                assert_eq!(point, p2);
                assert_eq!(alt.frame, a2.frame);
                assert!((alt.alt_m - a2.alt_m).abs() < 1e-9, "{x:?} vs {y:?}");
            }
            (MissionItem::Takeoff { alt }, MissionItem::Takeoff { alt: a2 }) => {
                assert!((alt.alt_m - a2.alt_m).abs() < 1e-9 && alt.frame == a2.frame)
            }
            _ => assert_eq!(x, y),
        }
    }
    assert_eq!(over.mission.home.alt_amsl_m, 1234.0);
    let t = over.terrain.as_ref().unwrap();
    assert!(t.stats.max_deviation_m < 1e-9, "{:?}", t.stats);
    // The only waypoint added is the explicit return leg's end above home.
    assert_eq!(t.stats.waypoints_after, t.stats.waypoints_before + 1);
    assert_eq!(over.coverage.covered_pct, flat.coverage.covered_pct);
}

#[test]
fn a_ramp_keeps_the_height_above_ground_within_tolerance_at_1_m() {
    // 10 % up to the north: within both the climb (0.25) and descent (0.15) limits.
    let ground = Surface(|_x, y| 500.0 + 0.1 * y);
    for frame in [TerrainAltFrame::RelativeHome, TerrainAltFrame::Terrain] {
        let options = TerrainOptions {
            alt_frame: frame,
            ..TerrainOptions::default()
        };
        let plan = plan_survey_over_terrain(&north_2km(), &params(), &ground, &options).unwrap();
        let (lo, hi) = agl_range(&plan, &ground);
        assert!(lo >= 70.0 && hi <= 80.0, "{frame:?}: {lo} .. {hi}");
        let t = plan.terrain.as_ref().unwrap();
        // Along a straight ramp the lanes need no waypoints besides their own.
        assert!(
            t.stats.waypoints_after <= t.stats.waypoints_before + 4,
            "{:?}",
            t.stats
        );
        assert!(
            t.stats.samples > 10 * t.stats.waypoints_after,
            "{:?}",
            t.stats
        );
        let want = match frame {
            TerrainAltFrame::RelativeHome => AltFrame::RelativeHome,
            TerrainAltFrame::Terrain => AltFrame::Terrain,
        };
        for item in &plan.mission.items {
            if let MissionItem::Waypoint { alt, .. } = item {
                assert_eq!(alt.frame, want);
            }
        }
    }
}

#[test]
fn a_ridge_is_flown_over_within_the_climb_limits_and_never_cut_into() {
    // A 50 m ridge across the lanes with 40 % flanks (steeper than 0.25 up, 0.15 down), and
    // karst-like bumps.
    let ridge = |x: f64, y: f64| {
        500.0
            + (50.0 - 0.4 * (y - 1000.0).abs()).max(0.0)
            + 3.0 * (x / 37.0).sin() * (y / 23.0).cos()
    };
    let ground = Surface(ridge);
    let plan =
        plan_survey_over_terrain(&north_2km(), &params(), &ground, &TerrainOptions::default())
            .unwrap();
    let t = plan.terrain.as_ref().unwrap();
    let path = flown(&plan, &ground, 1.0);
    let f = &plan.frame;
    let mut raised = 0.0f64;
    for w in path.windows(2) {
        let ((a, ha), (b, hb)) = (w[0], w[1]);
        let ds = (b.x - a.x).hypot(b.y - a.y);
        if ds > 0.5 {
            let g = (hb - ha) / ds;
            assert!(
                (-0.15 - 1e-6..=0.25 + 1e-6).contains(&g),
                "gradient {g} at {b:?}"
            );
        }
        let agl = hb - ground.height_amsl_m(f.unproject(b.x, b.y)).unwrap();
        assert!(
            (70.0..=120.0).contains(&agl),
            "{agl} m above ground at {b:?}"
        );
        raised = raised.max(agl);
    }
    // Climbing early and descending late lifts the path well above the target by the ridge.
    assert!(raised > 95.0, "{raised}");
    assert!(t.stats.max_deviation_m > 20.0, "{:?}", t.stats);
    assert_eq!(t.stats.steeper_than_limits_m, 0.0);
    assert!(t.stats.max_climb_gradient <= 0.25 + 1e-9, "{:?}", t.stats);
    assert!(t.stats.max_descent_gradient <= 0.15 + 1e-9, "{:?}", t.stats);
    // The added waypoints lie on the straight legs: flying the mission takes exactly the
    // photos the coverage was proved with.
    let (hx, hy) = f.project(plan.mission.home.point);
    let taken =
        planner::photos::mission_photos(&plan.mission.items, f, PlaneCoord { x: hx, y: hy });
    assert_eq!(taken.len(), plan.photos.len());
    for (a, b) in taken.iter().zip(&plan.photos) {
        assert!(
            (a.0.x - b.at.x).hypot(a.0.y - b.at.y) < 1e-3,
            "{a:?} vs {b:?}"
        );
    }
    println!(
        "ridge: {:.1} to {:.1} m above ground, {} waypoints (before {}, {} samples)",
        t.stats.min_agl_m,
        t.stats.max_agl_m,
        t.stats.waypoints_after,
        t.stats.waypoints_before,
        t.stats.samples
    );
}

fn place_in(msg: &str, at: GeoPoint) -> bool {
    msg.contains(&format!("{:.7}", at.lat_deg)) && msg.contains(&format!("{:.7}", at.lon_deg))
}

#[test]
fn ceiling_and_clearance_refusals_name_the_place_and_the_figure() {
    // An 80 m ridge: descending at 0.15 from its top would leave the path 125 m above the
    // foot of the far flank. Strict gradients refuse; by default the path is held under the
    // ceiling and that stretch flown more steeply.
    let ground = Surface(|_x, y| 500.0 + (80.0 - 0.4 * (y - 1000.0).abs()).max(0.0));
    let strict = TerrainOptions {
        strict_gradients: true,
        ..TerrainOptions::default()
    };
    let err = plan_survey_over_terrain(&north_2km(), &params(), &ground, &strict).unwrap_err();
    let PlanError::Terrain(e @ TerrainFollowError::AboveCeiling { agl_m, .. }) = &err else {
        panic!("{err:?}");
    };
    assert!(*agl_m > 120.0, "{err}");
    let msg = err.to_string();
    let at = e.place().unwrap();
    assert!(place_in(&msg, at), "{msg}");
    assert!(
        msg.contains("120 m ceiling") && msg.contains(&format!("{agl_m:.1}")),
        "{msg}"
    );
    // The place is on the far side of the ridge from the lane's start, where the ground has
    // fallen away: on a flank or just past its foot (the ridge top is at y = 1000 m).
    let (_, y) = frame().project(at);
    assert!((50.0..400.0).contains(&(y - 1000.0).abs()), "{y}");

    let held =
        plan_survey_over_terrain(&north_2km(), &params(), &ground, &TerrainOptions::default())
            .unwrap();
    let t = held.terrain.as_ref().unwrap();
    assert!(t.stats.max_agl_m <= 120.0, "{:?}", t.stats);
    assert!(t.stats.steeper_than_limits_m > 0.0, "{:?}", t.stats);

    // 30 m above take-off with a 40 m minimum clearance.
    let mut low = params();
    low.altitude = AltitudeTarget::AboveTakeoff { alt_m: 30.0 };
    low.cruise_speed_m_s = 3.0; // photos no faster than the camera takes them
    let options = TerrainOptions {
        min_clearance_m: 40.0,
        ..TerrainOptions::default()
    };
    let err = plan_survey_over_terrain(&north_2km(), &low, &ground, &options).unwrap_err();
    let PlanError::Terrain(e @ TerrainFollowError::BelowClearance { .. }) = &err else {
        panic!("{err:?}");
    };
    let msg = err.to_string();
    assert!(place_in(&msg, e.place().unwrap()), "{msg}");
    assert!(msg.contains("40 m minimum clearance"), "{msg}");
}

/// A 200 x 300 one-arc-second EGM96 grid around the test corridor, with `hole` cells voided.
fn write_dem(
    dir: &std::path::Path,
    name: &str,
    west: f64,
    north: f64,
    hole: impl Fn(usize, usize) -> bool,
) -> std::path::PathBuf {
    let (cols, rows) = (200, 300);
    let step = 1.0 / 3600.0;
    let mut heights_m = Vec::with_capacity(cols * rows);
    for r in 0..rows {
        for c in 0..cols {
            heights_m.push(if hole(c, r) {
                f32::NAN
            } else {
                600.0 + r as f32 * 0.1
            });
        }
    }
    let path = dir.join(name);
    write_dem_file(
        &path,
        &DemGrid {
            cols,
            rows,
            heights_m,
        },
        &Georef {
            west_lon_deg: west,
            north_lat_deg: north,
            lon_step_deg: step,
            lat_step_deg: step,
        },
        VerticalDatum::Egm96,
    )
    .unwrap();
    path
}

fn read(path: &std::path::Path) -> DemMosaic {
    DemMosaic::new(vec![read_dem_file(path, DatumChoice::FromFile).unwrap()]).unwrap()
}

#[test]
fn dem_gaps_under_the_path_are_errors_naming_the_file_and_the_place() {
    let dir = tempfile::tempdir().unwrap();
    let step = 1.0 / 3600.0;
    // The corridor runs 2 km north from (LAT0, LON0): 300 rows (8.3 km) from 1 km south.
    let (west, north) = (LON0 - 100.0 * step, LAT0 + 0.0 + 200.0 * step);
    let good = write_dem(dir.path(), "good.tif", west, north, |_, _| false);
    let plan = plan_survey_over_terrain(
        &north_2km(),
        &params(),
        &read(&good),
        &TerrainOptions::default(),
    )
    .unwrap();
    assert!(plan.terrain.is_some());

    // A void of 5 x 5 cells under the middle of the corridor (row of LAT0 + 1 km).
    let mid_row = ((north - (LAT0 + 1000.0 / 110_800.0)) / step) as usize;
    let holed = write_dem(dir.path(), "holed.tif", west, north, |c, r| {
        (98..103).contains(&c) && (mid_row - 2..mid_row + 3).contains(&r)
    });
    let err = plan_survey_over_terrain(
        &north_2km(),
        &params(),
        &read(&holed),
        &TerrainOptions::default(),
    )
    .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("holed.tif") && msg.contains("void"), "{msg}");
    let PlanError::Terrain(e) = &err else {
        panic!("{err:?}")
    };
    let at = e.place().unwrap();
    assert!(place_in(&msg, at), "{msg}");
    assert!(
        (at.lat_deg - (LAT0 + 1000.0 / 110_800.0)).abs() < 0.001,
        "{at:?}"
    );

    // A DEM that stops 1 km north of the start.
    let short = write_dem(
        dir.path(),
        "short.tif",
        west,
        LAT0 + 1000.0 / 110_800.0,
        |_, _| false,
    );
    let err = plan_survey_over_terrain(
        &north_2km(),
        &params(),
        &read(&short),
        &TerrainOptions::default(),
    )
    .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("short.tif") && msg.contains("outside the elevation model"),
        "{msg}"
    );
    let PlanError::Terrain(e) = &err else {
        panic!("{err:?}")
    };
    assert!(place_in(&msg, e.place().unwrap()), "{msg}");
}

#[test]
fn terrain_plans_survive_the_dot_plan_and_waypoints_readers() {
    let dir = tempfile::tempdir().unwrap();
    let ground = Surface(|x, y| 700.0 + 0.12 * y + 10.0 * (x / 50.0).sin());
    for (frame, mav_frame) in [
        (TerrainAltFrame::RelativeHome, 3u8),
        (TerrainAltFrame::Terrain, 10u8),
    ] {
        let options = TerrainOptions {
            alt_frame: frame,
            ..TerrainOptions::default()
        };
        let plan = plan_survey_over_terrain(&north_2km(), &params(), &ground, &options).unwrap();
        let written = planner::output::write_outputs(&plan, dir.path(), "t").unwrap();
        let dot_plan = &written[0];
        let back = planner::input::read_qgc_plan_mission(dot_plan).unwrap();
        let wpl = planner::input::read_wpl(&written[1]).unwrap();
        for other in [&back, &wpl] {
            let (a, b) = (
                plan.mission.wire_items(MissionType::Mission),
                other.wire_items(MissionType::Mission),
            );
            assert_eq!(a.len(), b.len());
            for (x, y) in a.iter().zip(&b) {
                assert!(x.same_on_wire(y), "{x:?} vs {y:?}");
            }
        }
        let text = std::fs::read_to_string(dot_plan).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        let items = json["mission"]["items"].as_array().unwrap();
        let complex = items.iter().find(|i| i["type"] == "ComplexItem").unwrap();
        let stored = complex["TransectStyleComplexItem"]["Items"]
            .as_array()
            .unwrap();
        let waypoint = stored.iter().find(|i| i["command"] == 16).unwrap();
        assert_eq!(waypoint["frame"], mav_frame);
        assert!(waypoint["AMSLAltAboveTerrain"].is_null());
        // Home carries the ground height of the DEM under it.
        let home = &json["mission"]["plannedHomePosition"];
        assert!((home[2].as_f64().unwrap() - plan.mission.home.alt_amsl_m).abs() < 1e-9);
        // KML over terrain: absolute altitudes; GeoJSON: a third coordinate.
        let kml = std::fs::read_to_string(&written[2]).unwrap();
        assert!(kml.contains("<altitudeMode>absolute</altitudeMode>"));
        assert!(!kml.contains("relativeToGround"));
        let gj: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&written[3]).unwrap()).unwrap();
        let photo = gj["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["properties"]["kind"] == "photo")
            .unwrap();
        assert_eq!(
            photo["geometry"]["coordinates"].as_array().unwrap().len(),
            3
        );
        let agl = photo["properties"]["agl_m"].as_f64().unwrap();
        assert!((70.0..=80.0).contains(&agl), "{agl}");
    }
}

#[test]
fn sorties_follow_the_terrain_too() {
    // Gentler than the descent limit (0.15) everywhere: the path stays within tolerance.
    let ground = Surface(|x, y| 300.0 + 0.08 * y + 3.0 * (x / 60.0).sin() * (y / 90.0).cos());
    let mut p = params();
    p.battery = Some(planner::survey::BatteryBudget {
        usable_min: 25.0,
        reserve_min: 3.0,
    });
    // The meander of the planner's own sortie test: 5 km east, 200 m amplitude.
    let meander: Vec<(f64, f64)> = (0..=500)
        .map(|k| {
            let x = k as f64 * 10.0;
            (x, 200.0 * (std::f64::consts::TAU * x / 1000.0).sin())
        })
        .collect();
    let plan =
        plan_survey_over_terrain(&corridor(&meander), &p, &ground, &TerrainOptions::default())
            .unwrap();
    assert!(plan.sorties.len() > 1, "{}", plan.sorties.len());
    for s in &plan.sorties {
        let (lo, hi) = agl_range_of(&s.mission, &plan.frame, &ground);
        assert!(lo >= 70.0 && hi <= 80.0, "{lo} .. {hi}");
        assert_eq!(s.mission.home.alt_amsl_m, plan.mission.home.alt_amsl_m);
    }
}

/// The sample corridor over its synthetic DEM, checked independently of the planner's own
/// figures: the emitted mission flown straight leg by leg, sampled every metre.
#[test]
fn the_sample_corridor_over_its_dem() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let input =
        planner::input::read_survey_input(&root.join("missions/sample-corridor.geojson"), None)
            .unwrap();
    let dem = read(&root.join("missions/sample-corridor-dem.tif"));
    let mut p = params();
    p.cruise_speed_m_s = 8.0;
    let plan = plan_survey_over_terrain(&input, &p, &dem, &TerrainOptions::default()).unwrap();
    let (lo, hi) = agl_range(&plan, &dem);
    let t = plan.terrain.as_ref().unwrap();
    println!(
        "sample corridor: whole path {lo:.2} to {hi:.2} m above ground (1 m check); lanes {:.2} \
         to {:.2} m, largest lane deviation {:.2} m; coverage {:.2} %",
        t.lanes_min_agl_m, t.lanes_max_agl_m, t.lanes_max_deviation_m, plan.coverage.covered_pct
    );
    assert!(lo >= 69.5 && hi <= 120.0, "{lo} .. {hi}");
    assert!(t.lanes_max_deviation_m <= 5.0);
    assert!(plan.coverage.covered_pct >= 99.9, "{:?}", plan.coverage);
}
