//! Reading the public fixtures in `shared/fixtures` (QGroundControl's and MAVSDK's test
//! files). Each test skips itself, with a note, when its fixture is absent.

mod formats_support;

use formats_support::fixture;
use planner::input::{read_qgc_plan_mission, read_survey_input, read_wpl, InputError};
use planner::survey::InputGeometry;
use qly_core::mission::{cmd, MissionItem, MissionType};

fn field(e: &InputError) -> String {
    e.field().unwrap_or("").to_string()
}

#[test]
fn qgc_good_kml_polygons_load() {
    let Some(p) = fixture("qgc/PolygonGood.kml") else {
        return;
    };
    let input = read_survey_input(&p, None).unwrap();
    let InputGeometry::Area { boundary, holes } = &input.geometry else {
        panic!("expected an area, got {:?}", input.geometry)
    };
    // Five tuples, the last repeating the first.
    assert_eq!(boundary.len(), 4);
    assert!(holes.is_empty());
    assert_eq!(boundary[0].lat_deg, 47.65965281788451);
    assert_eq!(boundary[0].lon_deg, -122.1059149362712);
    assert_eq!(input.name.as_deref(), Some("Untitled Polygon"));

    // QGroundControl's 1 x 1 degree test polygon (111 km a side) is past the survey-size
    // bound: refused at once with the figures, instead of planned for hours.
    let Some(p) = fixture("qgc/polygon.kml") else {
        return;
    };
    let e = read_survey_input(&p, None).unwrap_err().to_string();
    assert!(
        e.contains("polygon.kml") && e.contains("111.") && e.contains("expected at most 100 km"),
        "{e}"
    );
}

#[test]
fn qgc_polyline_kml_loads_as_centreline() {
    let Some(p) = fixture("qgc/polyline.kml") else {
        return;
    };
    let input = read_survey_input(&p, None).unwrap();
    let InputGeometry::Centreline(line) = &input.geometry else {
        panic!("expected a centreline")
    };
    // A closed circle of 9 tuples: a line keeps its repeated end point.
    assert_eq!(line.len(), 9);
    assert_eq!((line[1].lat_deg, line[1].lon_deg), (46.47493, 11.32704));
    assert_eq!(input.width_m, None);
}

#[test]
fn qgc_bad_kml_files_give_clear_errors() {
    let Some(p) = fixture("qgc/PolygonBadXml.kml") else {
        return;
    };
    let e = read_survey_input(&p, None).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("PolygonBadXml.kml"), "{msg}");
    assert!(
        msg.contains("malformed XML") && field(&e) == "line 1",
        "{msg}"
    );

    let Some(p) = fixture("qgc/PolygonMissingNode.kml") else {
        return;
    };
    let e = read_survey_input(&p, None).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("PolygonMissingNode.kml"), "{msg}");
    assert_eq!(field(&e), "kml/Document/Placemark[0]");
    assert!(msg.contains("no geometry"), "{msg}");

    // The fixture starts with a line of prose (so it is refused as XML first) and has
    // <coordinates> directly in <outerBoundaryIs>, without <LinearRing>.
    let Some(p) = fixture("qgc/PolygonBadCoordinatesNode.kml") else {
        return;
    };
    let e = read_survey_input(&p, None).unwrap_err();
    assert!(e.to_string().contains("PolygonBadCoordinatesNode.kml"));
    assert!(e.to_string().contains("malformed XML"));
    let text = std::fs::read_to_string(&p).unwrap();
    let xml = text.split_once('\n').unwrap().1;
    let dir = tempfile::tempdir().unwrap();
    let q = dir.path().join("PolygonBadCoordinatesNode-xml-only.kml");
    std::fs::write(&q, xml).unwrap();
    let e = read_survey_input(&q, None).unwrap_err();
    let msg = e.to_string();
    assert_eq!(
        field(&e),
        "kml/Document/Placemark[0]/Polygon/outerBoundaryIs",
        "{msg}"
    );
    assert!(msg.contains("expected a LinearRing"), "{msg}");
}

#[test]
fn mavsdk_qgroundcontrol_sample_plan_loads() {
    let Some(p) = fixture("mavsdk/qgroundcontrol_sample.plan") else {
        return;
    };
    let m = read_qgc_plan_mission(&p).unwrap();
    assert_eq!(m.home.point.lat_deg, 47.3977507);
    assert_eq!(m.home.point.lon_deg, 8.5456075);
    assert!((m.home.alt_amsl_m - 488.93101752001763).abs() < 1e-9);
    let wire = m.wire_items(MissionType::Mission);
    let commands: Vec<u16> = wire.iter().skip(1).map(|r| r.command).collect();
    assert_eq!(commands, [22, 16, 2000, 16, 16, 20]);
    // Take-off: params [15, 0, 0, null, 47.3977507, 8.5456075, 50] in frame 3.
    let t = wire[1];
    assert_eq!(t.frame, 3);
    assert_eq!(t.params[0], 15.0);
    assert!(t.params[3].is_nan());
    assert_eq!(
        (t.lat_deg, t.lon_deg, t.alt_m),
        (47.3977507, 8.5456075, 50.0)
    );
    assert_eq!(wire[3].params, [0.0, 0.0, 1.0, 0.0]);
    assert!(m.fence.is_empty() && m.rally.is_empty());
    // The plain waypoint is typed; the take-off with a position is kept verbatim.
    assert!(matches!(m.items[1], MissionItem::Waypoint { .. }));
    assert!(matches!(m.items[0], MissionItem::Other(_)));
    // It has no survey item to plan from.
    let e = read_survey_input(&p, None).unwrap_err();
    assert!(e.to_string().contains("no survey geometry"), "{e}");
}

#[test]
fn qgc_section_test_plan_in_the_old_item_format_loads() {
    let Some(p) = fixture("qgc/SectionTest.plan") else {
        return;
    };
    let m = read_qgc_plan_mission(&p).unwrap();
    let wire = m.wire_items(MissionType::Mission);
    let commands: Vec<u16> = wire.iter().skip(1).map(|r| r.command).collect();
    assert_eq!(commands, [22, 16, 16, 205, 16]);
    // Items carry a "coordinate" and four params.
    assert_eq!(
        (wire[2].lat_deg, wire[2].lon_deg, wire[2].alt_m),
        (47.63369112, -122.08925023, 20.0)
    );
    assert_eq!(wire[4].frame, 2);
    assert_eq!(wire[4].alt_m, 2.0);
    assert!(wire[1].params[3].is_nan());
    assert_eq!(m.home.point.lat_deg, 47.633389756176875);
    assert_eq!(m.home.alt_amsl_m, 20.0);
    // Version 1 geofence with an empty polygon, no rally points.
    assert!(m.fence.is_empty() && m.rally.is_empty());
}

#[test]
fn wpl_fixtures_load() {
    // (fixture, items after home, home lat, home lon, home alt)
    let cases = [
        (
            "qgc/100Waypoints.waypoints.txt",
            99,
            34.577822,
            -112.469101,
            584.380005,
        ),
        (
            "qgc/800Waypoints.waypoints.txt",
            828,
            34.577822,
            -112.469101,
            584.380005,
        ),
        (
            "qgc/MissionPlanner.waypoints",
            5,
            47.660459,
            -122.103167,
            5.21,
        ),
        (
            "mavsdk/mission_planner_sample.txt",
            3,
            47.3978101,
            8.5455380,
            15.0,
        ),
    ];
    for (rel, n, lat, lon, alt) in cases {
        let Some(p) = fixture(rel) else { continue };
        let m = read_wpl(&p).unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert_eq!(m.items.len(), n, "{rel}");
        assert_eq!(
            (m.home.point.lat_deg, m.home.point.lon_deg),
            (lat, lon),
            "{rel}"
        );
        assert!((m.home.alt_amsl_m - alt).abs() < 1e-4, "{rel}");
    }
    let Some(p) = fixture("qgc/100Waypoints.waypoints.txt") else {
        return;
    };
    let m = read_wpl(&p).unwrap();
    let wire = m.wire_items(MissionType::Mission);
    assert_eq!(wire[1].command, cmd::NAV_TAKEOFF);
    assert_eq!((wire[1].params[0], wire[1].alt_m), (20.0, 30.0));
    assert_eq!(wire[3].command, cmd::DO_SET_CAM_TRIGG_DIST);
    // The file says 21.059999; as f32 that is the same number as 21.06.
    assert_eq!(wire[3].params[0], 21.06_f32);
    // Mission Planner writes it in frame 3, not the command frame 2 we plan with, so it is
    // kept verbatim rather than typed (typing would change the frame on the wire).
    assert!(matches!(m.items[2], MissionItem::Other(_)));
    assert_eq!(
        (wire[99].lat_deg, wire[99].lon_deg, wire[99].alt_m),
        (34.629549, -112.506889, 90.0)
    );
    let Some(p) = fixture("mavsdk/mission_planner_sample.txt") else {
        return;
    };
    let m = read_wpl(&p).unwrap();
    let wire = m.wire_items(MissionType::Mission);
    // Frame 5 (GLOBAL_INT) items are kept as they are.
    assert_eq!(wire[1].frame, 5);
    assert_eq!(wire[3].command, cmd::NAV_RETURN_TO_LAUNCH);
}

#[test]
fn space_separated_wpl_reads_like_the_tab_separated_one() {
    let Some(p) = fixture("qgc/MissionPlanner.waypoints") else {
        return;
    };
    let tabs = read_wpl(&p).unwrap();
    let text = std::fs::read_to_string(&p).unwrap().replace('\t', "  ");
    let dir = tempfile::tempdir().unwrap();
    let q = dir.path().join("spaces.waypoints");
    std::fs::write(&q, text).unwrap();
    let spaces = read_wpl(&q).unwrap();
    assert_eq!(tabs, spaces);
}

#[test]
fn wpl_120_has_no_home_line_and_shifts_jump_targets() {
    let text = "QGC WPL 120\n\
        0\t1\t3\t22\t0\t0\t0\t0\t0\t0\t30\t1\n\
        1\t0\t3\t16\t0\t0\t0\t0\t27.06\t106.97\t30\t1\n\
        2\t0\t2\t177\t1\t3\t0\t0\t0\t0\t0\t1\n";
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("old.waypoints");
    std::fs::write(&p, text).unwrap();
    let m = read_wpl(&p).unwrap();
    assert_eq!(m.items.len(), 3);
    // Home is taken from the first position.
    assert_eq!(
        (m.home.point.lat_deg, m.home.point.lon_deg),
        (27.06, 106.97)
    );
    let wire = m.wire_items(MissionType::Mission);
    // DO_JUMP to item 1 of a file without home is item 2 once home is item 0.
    assert_eq!(wire[3].command, cmd::DO_JUMP);
    assert_eq!(wire[3].params[0], 2.0);
    assert_eq!(wire[3].params[1], 3.0);
}

#[test]
fn plan_fence_circles_and_rally_points_are_read() {
    let text = r#"{"fileType":"Plan","version":1,"groundStation":"QGroundControl",
      "mission":{"version":2,"firmwareType":3,"vehicleType":2,"plannedHomePosition":[27.06,106.97,1100],
        "items":[{"type":"SimpleItem","command":20,"frame":2,"autoContinue":true,"doJumpId":1,
                  "params":[0,0,0,0,0,0,0]}]},
      "geoFence":{"version":2,
        "polygons":[{"version":1,"inclusion":true,"polygon":[[27.05,106.96],[27.05,106.98],[27.07,106.98],[27.07,106.96]]}],
        "circles":[{"version":1,"inclusion":false,"circle":{"center":[27.061,106.971],"radius":35.5}}]},
      "rallyPoints":{"version":2,"points":[[27.062,106.972,40]]}}"#;
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("fence.plan");
    std::fs::write(&p, text).unwrap();
    let m = read_qgc_plan_mission(&p).unwrap();
    assert_eq!(m.fence.len(), 2);
    let fence = m.wire_items(MissionType::Fence);
    // Four inclusion vertices (5001, param1 = 4) and one exclusion circle (5004, r 35.5 m).
    assert_eq!(fence.len(), 5);
    assert!(fence[..4]
        .iter()
        .all(|f| f.command == 5001 && f.params[0] == 4.0));
    assert_eq!((fence[4].command, fence[4].params[0]), (5004, 35.5));
    assert_eq!(m.rally.len(), 1);
    assert_eq!(m.rally[0].alt_rel_home_m, 40.0);
    assert_eq!(m.items, [MissionItem::ReturnToLaunch]);
}
