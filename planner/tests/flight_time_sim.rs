//! The planner's flight time and photo points against the simulated ArduCopter flying the
//! planned mission (the `sim` crate's vehicle, stepped in-process as fast as it computes).
//!
//! `cargo test -p planner --test flight_time_sim -- --ignored --nocapture` measures the full
//! sample corridor (with and without its DEM) and the sample area the same way and prints
//! the figures.

use std::path::{Path, PathBuf};

use planner::plan::{plan_survey, plan_survey_over_terrain};
use planner::survey::{AltitudeTarget, SurveyInput, SurveyParams, SurveyPlan};
use planner::terrain::TerrainOptions;
use qly_core::camera::CameraDatabase;
use qly_core::geodesy::GeoPoint;
use qly_core::mission::{Home, MissionType};
use qly_core::terrain::{read_dem_file, DatumChoice, DemMosaic, Terrain};
use sim::noise::NoiseConfig;
use sim::vehicle::{CaptureEvent, FlightMode, Vehicle, VehicleConfig, VehicleEvent};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn input(name: &str) -> SurveyInput {
    planner::input::read_survey_input(&root().join("missions").join(name), None).unwrap()
}

fn dem() -> DemMosaic {
    let path = root().join("missions/sample-corridor-dem.tif");
    DemMosaic::new(vec![read_dem_file(&path, DatumChoice::FromFile).unwrap()]).unwrap()
}

/// The planner's defaults (`planner plan` without options), taking off at `home` (on the
/// ground of `dem` when given, else at 1050 m).
fn params_over(home: GeoPoint, dem: Option<&DemMosaic>) -> SurveyParams {
    let alt_amsl_m = dem.map_or(1050.0, |d| d.height_amsl_m(home).unwrap());
    let camera = CameraDatabase::builtin()
        .find("DJI Mavic 3 Enterprise wide")
        .unwrap()
        .clone();
    SurveyParams {
        turnaround_m: 10.0,
        cruise_speed_m_s: 8.0,
        home: Some(Home {
            point: home,
            alt_amsl_m,
        }),
        ..SurveyParams::new(camera, AltitudeTarget::Gsd { cm_per_px: 2.0 })
    }
}

fn params(home: GeoPoint) -> SurveyParams {
    params_over(home, None)
}

fn first_point(i: &SurveyInput) -> GeoPoint {
    match &i.geometry {
        planner::survey::InputGeometry::Centreline(p) => p[0],
        planner::survey::InputGeometry::Area { boundary, .. } => boundary[0],
    }
}

/// What the simulated vehicle did with the plan's mission.
struct Flown {
    /// Take-off (mission start) to the landing being detected, simulated seconds.
    time_s: f64,
    photos: Vec<CaptureEvent>,
    events: Vec<VehicleEvent>,
}

/// Flies the plan's (single) mission on a noiseless, windless simulated vehicle at its home.
fn fly(plan: &SurveyPlan) -> Flown {
    fly_with(plan, VehicleConfig::new(plan.mission.home))
}

/// [`fly`] with the plan's fence uploaded too and enforced (FENCE_ENABLE = 1), with the
/// sensor noise and wind of the patrol's sim.
fn fly_fenced(plan: &SurveyPlan) -> Flown {
    let mut cfg = VehicleConfig::new(plan.mission.home);
    cfg.fence_enabled = true;
    cfg.noise = NoiseConfig::default();
    fly_with(plan, cfg)
}

fn fly_with(plan: &SurveyPlan, mut cfg: VehicleConfig) -> Flown {
    if !cfg.fence_enabled {
        cfg.noise = NoiseConfig::none();
    }
    let mut v = Vehicle::new(cfg);
    v.step(1.5);
    v.set_mission(plan.mission.wire_items(MissionType::Mission));
    v.set_fence(&plan.mission.wire_items(MissionType::Fence));
    v.set_mode(FlightMode::Guided).unwrap();
    v.arm().unwrap();
    let start = v.time_s();
    let mut events = v.start_mission().unwrap();
    let mut landed = None;
    while v.is_armed() && v.time_s() - start < 4.0 * 3600.0 {
        // In the fixed 10 ms steps of the sim's service (`sim::service::VEHICLE_DT_S`).
        for e in v.step(sim::service::VEHICLE_DT_S) {
            if e == VehicleEvent::Landed {
                landed = Some(v.time_s());
            }
            events.push(e);
        }
    }
    let photos = events
        .iter()
        .filter_map(|e| match e {
            VehicleEvent::Photo(p) => Some(*p),
            _ => None,
        })
        .collect();
    Flown {
        time_s: landed.expect("the vehicle landed") - start,
        photos,
        events,
    }
}

/// Predicted (the sortie's take-off to landing) and flown time, and the farthest photo from
/// its predicted point, metres.
fn compare(plan: &SurveyPlan, flown: &Flown) -> (f64, f64, f64) {
    assert_eq!(plan.sorties.len(), 1);
    let predicted = plan.sorties[0].flight_time_s;
    assert_eq!(
        flown.photos.len(),
        plan.photos.len(),
        "photos taken vs predicted"
    );
    let worst = flown
        .photos
        .iter()
        .zip(&plan.photos)
        .map(|(p, want)| {
            let (x, y) = plan.frame.project(GeoPoint {
                lat_deg: p.truth.lat_deg,
                lon_deg: p.truth.lon_deg,
            });
            (x - want.at.x).hypot(y - want.at.y)
        })
        .fold(0.0, f64::max);
    (predicted, flown.time_s, worst)
}

fn report(what: &str, (predicted, flown, worst): (f64, f64, f64)) {
    println!(
        "{what}: predicted {predicted:.0} s, simulated {flown:.0} s ({:+.1} %), photos within \
         {worst:.2} m of their predicted points",
        100.0 * (predicted - flown) / flown
    );
}

/// No two photos of a lane closer than the camera's minimum interval at the cruise speed.
fn photos_keep_the_camera_interval(plan: &SurveyPlan) {
    let gap = plan.params.camera.min_trigger_interval_s * plan.params.cruise_speed_m_s;
    for w in plan.photos.windows(2) {
        if w[0].transect == w[1].transect {
            let d = (w[0].at.x - w[1].at.x).hypot(w[0].at.y - w[1].at.y);
            assert!(
                d >= gap - 1e-3,
                "photos {d:.2} m apart, camera needs {gap:.2} m"
            );
        }
    }
}

fn check(what: &str, plan: &SurveyPlan) {
    photos_keep_the_camera_interval(plan);
    let flown = fly(plan);
    assert!(flown.events.contains(&VehicleEvent::MissionComplete));
    let figures = compare(plan, &flown);
    report(what, figures);
    let (predicted, simulated, worst) = figures;
    assert!(
        (predicted - simulated).abs() <= 0.10 * simulated,
        "{what}: predicted {predicted:.0} s vs simulated {simulated:.0} s"
    );
    assert!(worst < 2.0, "{what}: a photo {worst:.2} m from its point");
}

#[test]
fn short_corridor_flies_in_the_predicted_time_and_photographs_the_predicted_points() {
    let i = input("sample-corridor-short.geojson");
    let plan = plan_survey(&i, &params(first_point(&i))).unwrap();
    check("short corridor", &plan);
}

#[test]
fn short_corridor_over_the_dem_flies_in_the_predicted_time() {
    let i = input("sample-corridor-short.geojson");
    let ground = dem();
    let plan = plan_survey_over_terrain(
        &i,
        &params_over(first_point(&i), Some(&ground)),
        &ground,
        &TerrainOptions::default(),
    )
    .unwrap();
    check("short corridor over the DEM", &plan);
}

#[test]
fn small_area_flies_in_the_predicted_time() {
    // 240 x 160 m, lanes every 31.7 m with turns at both ends of each.
    let f = qly_core::geodesy::LocalFrame::at(GeoPoint {
        lat_deg: 27.03,
        lon_deg: 106.94,
    });
    let ring: Vec<GeoPoint> = [(0.0, 0.0), (240.0, 0.0), (240.0, 160.0), (0.0, 160.0)]
        .iter()
        .map(|&(x, y)| f.unproject(x, y))
        .collect();
    let i = SurveyInput {
        source: "small area".into(),
        name: None,
        geometry: planner::survey::InputGeometry::Area {
            boundary: ring.clone(),
            holes: vec![],
        },
        exclusions: vec![],
        width_m: None,
        datum: qly_core::datum::Datum::Wgs84,
        sites: vec![],
    };
    let plan = plan_survey(&i, &params(ring[0])).unwrap();
    check("small area", &plan);
}

fn fence_notices(flown: &Flown) -> Vec<String> {
    flown
        .events
        .iter()
        .filter_map(|e| match e {
            VehicleEvent::Notice { text, .. } if text.starts_with("Fence") => Some(text.clone()),
            _ => None,
        })
        .collect()
}

/// The sample area's factory yard (a hole of the area) is an exclusion fence of the mission:
/// flown with the fence enforced, the plan (default exclusion margin) never breaches it and
/// is flown to the end.
#[test]
fn sample_area_flies_to_the_end_inside_its_enforced_fence() {
    let a = input("sample-area.geojson");
    let plan = plan_survey(&a, &params(first_point(&a))).unwrap();
    assert_eq!(plan.mission.fence.len(), 1, "the yard is fenced");
    let margin = plan.params.exclusion_margin_m();
    assert!(margin > 3.0, "{margin}");
    let flown = fly_fenced(&plan);
    assert_eq!(fence_notices(&flown), Vec::<String>::new());
    assert!(flown.events.contains(&VehicleEvent::MissionComplete));
    assert_eq!(flown.photos.len(), plan.photos.len());
    let (predicted, simulated, _) = compare(&plan, &flown);
    report("sample area, fenced", compare(&plan, &flown));
    assert!((predicted - simulated).abs() <= 0.10 * simulated);
    // The fence is live: a mission through the yard breaches it and comes home.
    let mut through = plan.clone();
    let yard = match &through.mission.fence[0] {
        qly_core::mission::FenceZone::Polygon { vertices, .. } => vertices.clone(),
        other => panic!("{other:?}"),
    };
    let centre = GeoPoint {
        lat_deg: yard.iter().map(|p| p.lat_deg).sum::<f64>() / yard.len() as f64,
        lon_deg: yard.iter().map(|p| p.lon_deg).sum::<f64>() / yard.len() as f64,
    };
    through.mission.items.insert(
        2,
        qly_core::mission::MissionItem::Waypoint {
            point: centre,
            alt: qly_core::mission::Altitude::relative_home(plan.alt_rel_home_m),
            hold_s: 0.0,
        },
    );
    let flown = fly_fenced(&through);
    assert_eq!(
        fence_notices(&flown),
        vec!["Fence Breach: exclusion polygon, RTL".to_string()]
    );
    assert!(!flown.events.contains(&VehicleEvent::MissionComplete));
}

#[test]
#[ignore = "measures the full samples (minutes); run with --ignored --nocapture"]
fn full_samples_predicted_vs_simulated() {
    let c = input("sample-corridor.geojson");
    let plan = plan_survey(&c, &params(first_point(&c))).unwrap();
    report("sample corridor", compare(&plan, &fly(&plan)));
    let ground = dem();
    // The sim's ground is flat at home, so take off where the valley is lowest: every
    // waypoint is then above it.
    let planner::survey::InputGeometry::Centreline(line) = &c.geometry else {
        panic!("a corridor")
    };
    let lowest = line
        .iter()
        .copied()
        .min_by(|a, b| {
            let h = |p: &GeoPoint| ground.height_amsl_m(*p).unwrap();
            h(a).total_cmp(&h(b))
        })
        .unwrap();
    let plan = plan_survey_over_terrain(
        &c,
        &params_over(lowest, Some(&ground)),
        &ground,
        &TerrainOptions::default(),
    )
    .unwrap();
    report("sample corridor over its DEM", compare(&plan, &fly(&plan)));
    let a = input("sample-area.geojson");
    let plan = plan_survey(&a, &params(first_point(&a))).unwrap();
    report("sample area", compare(&plan, &fly(&plan)));
    for (name, over_dem) in [
        ("sample-corridor.geojson", false),
        ("sample-corridor.geojson", true),
        ("sample-area.geojson", false),
    ] {
        let i = input(name);
        let plan = if over_dem {
            let ground = dem();
            plan_survey_over_terrain(
                &i,
                &params_over(first_point(&i), Some(&ground)),
                &ground,
                &TerrainOptions::default(),
            )
            .unwrap()
        } else {
            plan_survey(&i, &params(first_point(&i))).unwrap()
        };
        photos_keep_the_camera_interval(&plan);
    }
}

/// Sorties of the sample area within a small battery: the transits around the yard are part
/// of each sortie's time, so none runs past the budget.
#[test]
fn sample_area_sorties_with_routed_transits_fit_the_battery() {
    let a = input("sample-area.geojson");
    let p = SurveyParams {
        battery: Some(planner::survey::BatteryBudget {
            usable_min: 8.0,
            reserve_min: 3.0,
        }),
        ..params(first_point(&a))
    };
    let plan = plan_survey(&a, &p).unwrap();
    assert!(plan.sorties.len() > 5, "{}", plan.sorties.len());
    let planner::survey::PlaneRegion::Area { polygon, .. } = &plan.region else {
        panic!("an area")
    };
    let yard: Vec<(f64, f64)> = polygon.interiors()[0]
        .0
        .iter()
        .map(|c| (c.x, c.y))
        .collect();
    // Distance from a point to the yard's ring.
    let to_yard = |x: f64, y: f64| {
        yard.windows(2)
            .map(|w| {
                let ((ax, ay), (bx, by)) = (w[0], w[1]);
                let (dx, dy) = (bx - ax, by - ay);
                let t = (((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)).clamp(0.0, 1.0);
                (x - ax - t * dx).hypot(y - ay - t * dy)
            })
            .fold(f64::INFINITY, f64::min)
    };
    let margin = p.exclusion_margin_m();
    let (hx, hy) = plan.frame.project(plan.mission.home.point);
    for s in &plan.sorties {
        // Home, every waypoint, home: the whole flight keeps the margin, transits included.
        let mut pts = vec![(hx, hy)];
        for i in &s.mission.items {
            if let qly_core::mission::MissionItem::Waypoint { point, .. } = i {
                pts.push(plan.frame.project(*point));
            }
        }
        pts.push((hx, hy));
        for w in pts.windows(2) {
            let n = ((w[1].0 - w[0].0).hypot(w[1].1 - w[0].1) / 0.5)
                .ceil()
                .max(1.0) as usize;
            for k in 0..=n {
                let f = k as f64 / n as f64;
                let (x, y) = (
                    w[0].0 + f * (w[1].0 - w[0].0),
                    w[0].1 + f * (w[1].1 - w[0].1),
                );
                assert!(
                    to_yard(x, y) >= margin - 0.1,
                    "({x:.1}, {y:.1}) near the yard"
                );
            }
        }
        assert!(s.flight_time_s <= 300.0 + 0.01, "{}", s.flight_time_s);
        let again =
            planner::estimate::mission_flight_time_s(&s.mission, &plan.frame, p.cruise_speed_m_s);
        assert!(
            (again - s.flight_time_s).abs() < 0.01,
            "{again} vs {}",
            s.flight_time_s
        );
    }
}
