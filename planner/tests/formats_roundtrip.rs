//! Write a hand-made plan in every format and read it back.

mod formats_support;

use formats_support::{area_plan, assert_points_close, corridor_plan, geo_line};
use planner::estimate::flight_path;
use planner::input::{read_qgc_plan_mission, read_survey_input, read_wpl};
use planner::output::{geojson, kml, plan_json, waypoints, write_outputs};
use planner::survey::{InputGeometry, PlaneRegion, SurveyPlan};
use qly_core::datum::Datum;
use qly_core::mission::{cmd, FenceZone, Mission, MissionType};
use serde_json::Value;

fn assert_same_mission(a: &Mission, b: &Mission) {
    let (wa, wb) = (
        a.wire_items(MissionType::Mission),
        b.wire_items(MissionType::Mission),
    );
    assert_eq!(wa.len(), wb.len());
    for (i, (x, y)) in wa.iter().zip(&wb).enumerate() {
        assert!(x.same_on_wire(y), "item {i}: {x:?} vs {y:?}");
    }
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn check_plan_round_trip(plan: &SurveyPlan) {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "p.plan", &plan_json(plan).unwrap());
    let input = read_survey_input(&path, None).unwrap();
    match (&plan.region, &input.geometry) {
        (
            PlaneRegion::Corridor {
                centreline,
                width_m,
            },
            InputGeometry::Centreline(line),
        ) => {
            assert_points_close(line, &geo_line(plan, centreline));
            assert_eq!(input.width_m, Some(*width_m));
        }
        (PlaneRegion::Area { polygon, .. }, InputGeometry::Area { boundary, holes }) => {
            let mut ring = geo_line(plan, polygon.exterior());
            ring.pop();
            assert_points_close(boundary, &ring);
            assert!(holes.is_empty());
            // Holes and exclusions come back as exclusion fence polygons.
            let fence: Vec<_> = plan
                .mission
                .fence
                .iter()
                .map(|z| match z {
                    FenceZone::Polygon { vertices, .. } => vertices.clone(),
                    FenceZone::Circle { .. } => unreachable!(),
                })
                .collect();
            assert_eq!(input.exclusions.len(), fence.len());
            for (a, b) in input.exclusions.iter().zip(&fence) {
                assert_points_close(a, b);
            }
        }
        other => panic!("geometry kind changed: {other:?}"),
    }
    assert_eq!(input.datum, Datum::Wgs84);

    let mission = read_qgc_plan_mission(&path).unwrap();
    assert_same_mission(&mission, &plan.mission);
    assert!((mission.home.alt_amsl_m - plan.mission.home.alt_amsl_m).abs() < 1e-9);
    assert_eq!(mission.fence.len(), plan.mission.fence.len());
    for (a, b) in mission.fence.iter().zip(&plan.mission.fence) {
        match (a, b) {
            (
                FenceZone::Polygon {
                    inclusion: ia,
                    vertices: va,
                },
                FenceZone::Polygon {
                    inclusion: ib,
                    vertices: vb,
                },
            ) => {
                assert_eq!(ia, ib);
                assert_points_close(va, vb);
            }
            other => panic!("fence zone changed: {other:?}"),
        }
    }
}

#[test]
fn corridor_plan_round_trips_through_dot_plan() {
    check_plan_round_trip(&corridor_plan());
}

#[test]
fn area_plan_round_trips_through_dot_plan() {
    check_plan_round_trip(&area_plan());
}

#[test]
fn waypoints_round_trip() {
    for plan in [corridor_plan(), area_plan()] {
        let dir = tempfile::tempdir().unwrap();
        let text = waypoints(&plan.mission);
        assert!(text.starts_with("QGC WPL 110\n0\t1\t0\t16\t"));
        assert!(text.lines().skip(1).all(|l| l.split('\t').count() == 12));
        let path = write(&dir, "m.waypoints", &text);
        let back = read_wpl(&path).unwrap();
        assert_same_mission(&back, &plan.mission);
        assert!((back.home.alt_amsl_m - plan.mission.home.alt_amsl_m).abs() < 1e-3);
        // The items are typed again (waypoints, triggers...), not kept as raw items.
        let kinds =
            |m: &Mission| -> Vec<_> { m.items.iter().map(std::mem::discriminant).collect() };
        assert_eq!(kinds(&back), kinds(&plan.mission));
    }
}

/// The `.plan` is laid out as QGroundControl writes it, and the stored survey items agree
/// with the mission and with the drawn transect path.
#[test]
fn dot_plan_layout_and_complex_item_consistency() {
    for plan in [corridor_plan(), area_plan()] {
        let v: Value = serde_json::from_str(&plan_json(&plan).unwrap()).unwrap();
        assert_eq!(v["fileType"], "Plan");
        assert_eq!(v["version"], 1);
        assert_eq!(v["groundStation"], "QGroundControl");
        let m = &v["mission"];
        assert_eq!(m["version"], 2);
        assert_eq!(m["firmwareType"], 3);
        assert_eq!(m["vehicleType"], 2);
        assert_eq!(m["globalPlanAltitudeMode"], 1);
        assert_eq!(m["cruiseSpeed"], 8.0);
        assert_eq!(m["plannedHomePosition"][2], 1102.5);
        assert_eq!(v["geoFence"]["version"], 2);
        assert_eq!(v["rallyPoints"]["version"], 2);
        assert_eq!(
            v["geoFence"]["polygons"].as_array().unwrap().len(),
            plan.mission.fence.len()
        );
        let items = m["items"].as_array().unwrap();
        let n_simple = plan.mission.items.len() - plan.survey_items.len();
        assert_eq!(items.len(), n_simple + 1);
        let complex: Vec<&Value> = items
            .iter()
            .filter(|i| i["type"] == "ComplexItem")
            .collect();
        assert_eq!(complex.len(), 1);
        let c = complex[0];
        match plan.region {
            PlaneRegion::Corridor { width_m, .. } => {
                assert_eq!(c["complexItemType"], "CorridorScan");
                assert_eq!(c["version"], 2);
                assert_eq!(c["CorridorWidth"], width_m);
                assert_eq!(c["EntryPoint"], 0);
                assert_eq!(c["polyline"].as_array().unwrap().len(), 3);
            }
            PlaneRegion::Area { .. } => {
                assert_eq!(c["complexItemType"], "survey");
                assert_eq!(c["version"], 5);
                assert_eq!(c["angle"], 0.0);
                assert_eq!(c["entryLocation"], 0);
                assert_eq!(c["flyAlternateTransects"], false);
                assert_eq!(c["splitConcavePolygons"], false);
                assert_eq!(c["polygon"].as_array().unwrap().len(), 4);
            }
        }
        let t = &c["TransectStyleComplexItem"];
        assert_eq!(t["version"], 2);
        assert_eq!(t["TurnAroundDistance"], 20.0);
        for k in [
            "CameraTriggerInTurnAround",
            "HoverAndCapture",
            "Refly90Degrees",
        ] {
            assert_eq!(t[k], false, "{k}");
        }
        assert_eq!(t["CameraShots"], plan.photos.len());
        let cc = &t["CameraCalc"];
        assert_eq!(cc["version"], 2);
        assert_eq!(cc["DistanceToSurface"], 60.0);
        assert_eq!(cc["AdjustedFootprintSide"], 27.0);
        assert_eq!(cc["AdjustedFootprintFrontal"], 21.06);
        assert_eq!(cc["SideOverlap"], 70.0);
        assert_eq!(cc["FrontalOverlap"], 75.0);
        assert_eq!(cc["ImageWidth"], 5472);
        // Stored items: one per survey mission item, consecutive doJumpIds after the items
        // before it, and the trigger distance written as the short decimal.
        let stored = t["Items"].as_array().unwrap();
        assert_eq!(stored.len(), plan.survey_items.len());
        let mut jump_ids: Vec<u64> = Vec::new();
        for it in items {
            if it["type"] == "ComplexItem" {
                jump_ids.extend(
                    it["TransectStyleComplexItem"]["Items"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|s| s["doJumpId"].as_u64().unwrap()),
                );
            } else {
                jump_ids.push(it["doJumpId"].as_u64().unwrap());
            }
        }
        assert_eq!(
            jump_ids,
            (1..=plan.mission.items.len() as u64).collect::<Vec<_>>()
        );
        assert!(stored
            .iter()
            .any(|s| s["command"] == cmd::DO_SET_CAM_TRIGG_DIST && s["params"][0] == 21.06));
        // NaN (waypoint yaw) is written as null.
        assert!(stored
            .iter()
            .any(|s| s["command"] == cmd::NAV_WAYPOINT && s["params"][3].is_null()));
        // VisualTransectPoints = the flown path = the stored waypoints, in order.
        let visual: Vec<(f64, f64)> = t["VisualTransectPoints"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
            .collect();
        let path: Vec<(f64, f64)> = flight_path(&plan.transects)
            .into_iter()
            .map(|c| {
                let g = plan.to_geo(c);
                (g.lat_deg, g.lon_deg)
            })
            .collect();
        let wps: Vec<(f64, f64)> = stored
            .iter()
            .filter(|s| s["command"] == cmd::NAV_WAYPOINT)
            .map(|s| {
                (
                    s["params"][4].as_f64().unwrap(),
                    s["params"][5].as_f64().unwrap(),
                )
            })
            .collect();
        assert_eq!(visual.len(), path.len());
        assert_eq!(wps.len(), path.len());
        for ((v, p), w) in visual.iter().zip(&path).zip(&wps) {
            assert!((v.0 - p.0).abs() < 1e-8 && (v.1 - p.1).abs() < 1e-8);
            assert!((w.0 - p.0).abs() < 1e-8 && (w.1 - p.1).abs() < 1e-8);
        }
    }
}

#[test]
fn geojson_and_kml_read_back_as_survey_input() {
    for plan in [corridor_plan(), area_plan()] {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in [("o.geojson", geojson(&plan)), ("o.kml", kml(&plan))] {
            let path = write(&dir, name, &text);
            let input = read_survey_input(&path, None).unwrap_or_else(|e| panic!("{name}: {e}"));
            match (&plan.region, &input.geometry) {
                (
                    PlaneRegion::Corridor {
                        centreline,
                        width_m,
                    },
                    InputGeometry::Centreline(l),
                ) => {
                    assert_points_close(l, &geo_line(&plan, centreline));
                    assert_eq!(input.width_m, Some(*width_m), "{name}");
                }
                (
                    PlaneRegion::Area {
                        polygon,
                        exclusions,
                    },
                    InputGeometry::Area { boundary, holes },
                ) => {
                    let mut ring = geo_line(&plan, polygon.exterior());
                    ring.pop();
                    assert_points_close(boundary, &ring);
                    assert_eq!(holes.len(), 1, "{name}");
                    assert_eq!(input.exclusions.len(), exclusions.len(), "{name}");
                }
                other => panic!("{name}: geometry kind changed: {other:?}"),
            }
        }
    }
}

#[test]
fn geojson_features_carry_kind_and_indices() {
    let plan = area_plan();
    let v: Value = serde_json::from_str(&geojson(&plan)).unwrap();
    let feats = v["features"].as_array().unwrap();
    let count = |k: &str| {
        feats
            .iter()
            .filter(|f| f["properties"]["kind"] == k)
            .count()
    };
    assert_eq!(count("area"), 1);
    assert_eq!(count("exclusion"), 1);
    assert_eq!(count("lane"), plan.transects.len());
    assert_eq!(count("photo"), plan.photos.len());
    let photo = feats
        .iter()
        .find(|f| f["properties"]["kind"] == "photo")
        .unwrap();
    assert_eq!(photo["properties"]["photo"], 0);
    assert_eq!(photo["properties"]["alt_rel_home_m"], 60.0);
    assert_eq!(photo["properties"]["heading_deg"], 0.0);
    // RFC 7946 order: longitude first.
    let c = &photo["geometry"]["coordinates"];
    assert!((c[0].as_f64().unwrap() - 106.97).abs() < 0.01);
    assert!((c[1].as_f64().unwrap() - 27.06).abs() < 0.01);
}

#[test]
fn write_outputs_writes_every_format_and_each_sortie() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_outputs(&area_plan(), dir.path(), "kaiyang").unwrap();
    let names: Vec<String> = files
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "kaiyang.plan",
            "kaiyang.waypoints",
            "kaiyang.kml",
            "kaiyang.geojson",
            "kaiyang-sortie-1.plan",
            "kaiyang-sortie-1.waypoints",
            "kaiyang-sortie-2.plan",
            "kaiyang-sortie-2.waypoints",
        ]
    );
    let plan = area_plan();
    for (k, sortie) in plan.sorties.iter().enumerate() {
        let p = dir.path().join(format!("kaiyang-sortie-{}.plan", k + 1));
        assert_same_mission(&read_qgc_plan_mission(&p).unwrap(), &sortie.mission);
        let w = dir
            .path()
            .join(format!("kaiyang-sortie-{}.waypoints", k + 1));
        assert_same_mission(&read_wpl(&w).unwrap(), &sortie.mission);
    }
    // One sortie: no sortie files.
    let dir1 = tempfile::tempdir().unwrap();
    assert_eq!(
        write_outputs(&corridor_plan(), dir1.path(), "c")
            .unwrap()
            .len(),
        4
    );
    assert!(write_outputs(&corridor_plan(), dir1.path(), "../x").is_err());
}

#[test]
fn inconsistent_survey_range_is_refused() {
    let mut plan = corridor_plan();
    plan.survey_items = 0..plan.mission.items.len() + 1;
    let e = plan_json(&plan).unwrap_err().to_string();
    assert!(e.contains("survey_items"), "{e}");
}

mod wire_round_trip {
    use super::*;
    use planner::output::mission_plan_json;
    use proptest::prelude::*;
    use qly_core::geodesy::GeoPoint;
    use qly_core::mission::{Home, MissionItem, RawItem};

    fn param() -> impl Strategy<Value = f32> {
        prop_oneof![
            Just(f32::NAN),
            Just(0.0f32),
            -1.0e6f32..1.0e6f32,
            any::<f32>().prop_filter("finite", |v| v.is_finite()),
        ]
    }

    fn raw_item() -> impl Strategy<Value = RawItem> {
        (
            prop::sample::select(vec![0u8, 2, 3, 10]),
            any::<u16>(),
            [param(), param(), param(), param()],
            -90.0f64..=90.0,
            -180.0f64..=180.0,
            -1.0e4f32..1.0e4f32,
            any::<bool>(),
        )
            .prop_map(
                |(frame, command, params, lat_deg, lon_deg, alt_m, autocontinue)| RawItem {
                    frame,
                    command,
                    params,
                    lat_deg,
                    lon_deg,
                    alt_m,
                    autocontinue,
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Any wire items survive WPL and `.plan` (simple items) unchanged on the wire.
        #[test]
        fn any_items_survive_wpl_and_plan(
            items in prop::collection::vec(raw_item(), 1..20),
            home_lat in -89.0f64..89.0,
            home_lon in -179.0f64..179.0,
        ) {
            let mission = Mission::new(
                Home { point: GeoPoint { lat_deg: home_lat, lon_deg: home_lon }, alt_amsl_m: 321.25 },
                items.iter().map(MissionItem::from_raw).collect(),
            );
            let dir = tempfile::tempdir().unwrap();
            let w = write(&dir, "m.waypoints", &waypoints(&mission));
            let back = read_wpl(&w).unwrap();
            assert_same_mission(&back, &mission);
            prop_assert_eq!(back.home.alt_amsl_m, 321.25);
            let mut mission = mission;
            let pt = |r: &RawItem| GeoPoint { lat_deg: r.lat_deg, lon_deg: r.lon_deg };
            mission.fence.push(FenceZone::Polygon {
                inclusion: items[0].autocontinue,
                vertices: vec![pt(&items[0]), GeoPoint { lat_deg: home_lat, lon_deg: home_lon },
                    GeoPoint { lat_deg: home_lat + 0.5, lon_deg: home_lon + 0.25 }],
            });
            mission.fence.push(FenceZone::Circle { inclusion: false, centre: pt(&items[0]), radius_m: 12.5 });
            mission.rally.push(qly_core::mission::RallyPoint { point: pt(&items[0]), alt_rel_home_m: 33.3 });
            let p = write(&dir, "m.plan", &mission_plan_json(&mission, &corridor_plan().params));
            let back = read_qgc_plan_mission(&p).unwrap();
            assert_same_mission(&back, &mission);
            for t in [MissionType::Fence, MissionType::Rally] {
                let (a, b) = (back.wire_items(t), mission.wire_items(t));
                prop_assert_eq!(a.len(), b.len());
                for (x, y) in a.iter().zip(&b) {
                    prop_assert!(x.same_on_wire(y), "{:?} vs {:?}", x, y);
                }
            }
        }
    }
}
