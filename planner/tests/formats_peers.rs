//! Our files read by real peers: pymavlink's `mavwp.MAVWPLoader` (the WPL loader of MAVProxy
//! and ArduPilot's tools) must see exactly our wire items; MAVSDK's
//! `MissionRaw.import_qgroundcontrol_mission` must import our survey `.plan` as exactly our
//! mission and fence (and refuses the CorridorScan item, as documented); GDAL's `ogrinfo` must
//! find the layers and features we wrote in the GeoJSON and KML.
//!
//! Peers come from `scripts/setup-env.sh` (`$QLY_PYTHON`, `ogrinfo` on PATH). Without them a
//! test prints that it skipped, and fails when `CI` is set.

mod formats_support;

use std::path::Path;
use std::process::Command;

use formats_support::{area_plan, corridor_plan};
use planner::input::read_survey_input;
use planner::output::write_outputs;
use planner::plan::plan_survey;
use planner::survey::{AltitudeTarget, BatteryBudget, CorridorOptions, SurveyParams, SurveyPlan};
use qly_core::camera::{CameraDatabase, Orientation};
use qly_core::geodesy::GeoPoint;
use qly_core::mission::{deg_to_e7, Home, Mission, MissionType};
use serde_json::Value;

fn skip_or_fail(what: &str) {
    if std::env::var_os("CI").is_some() {
        panic!("{what} is missing under CI: run scripts/setup-env.sh");
    }
    eprintln!("skipping: {what} is missing (source scripts/setup-env.sh)");
}

/// Prints every item pymavlink loads from each file as JSON (NaN as null).
const PYMAVLINK_DUMP: &str = r#"
import json, math, sys
from pymavlink import mavwp
def num(v):
    return None if isinstance(v, float) and math.isnan(v) else v
out = []
for path in sys.argv[1:]:
    loader = mavwp.MAVWPLoader()
    loader.load(path)
    items = []
    for i in range(loader.count()):
        w = loader.wp(i)
        items.append({
            "seq": w.seq, "current": w.current, "frame": w.frame, "command": w.command,
            "params": [num(w.param1), num(w.param2), num(w.param3), num(w.param4)],
            "x": num(w.x), "y": num(w.y), "z": num(w.z), "autocontinue": w.autocontinue,
        })
    out.append(items)
print(json.dumps(out))
"#;

fn same_f32(ours: f32, theirs: &Value) -> bool {
    match theirs.as_f64() {
        None => theirs.is_null() && ours.is_nan(),
        Some(v) => v as f32 == ours,
    }
}

/// `skip_home`: compare from item 1 only (a foreign file's home line may be any command; we
/// keep it as the home position).
fn check_against_pymavlink(python: &str, files: &[(std::path::PathBuf, Mission)], skip_home: bool) {
    let out = Command::new(python)
        .arg("-c")
        .arg(PYMAVLINK_DUMP)
        .args(files.iter().map(|(p, _)| p))
        .output()
        .expect("run the Python peer");
    assert!(
        out.status.success(),
        "pymavlink failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let loaded: Vec<Vec<Value>> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(loaded.len(), files.len());
    let mut checked = 0;
    for ((path, mission), theirs) in files.iter().zip(&loaded) {
        let ours = mission.wire_items(MissionType::Mission);
        assert_eq!(theirs.len(), ours.len(), "{}", path.display());
        for (seq, (o, t)) in ours.iter().zip(theirs).enumerate() {
            if skip_home && seq == 0 {
                continue;
            }
            let ctx = format!("{} item {seq}: ours {o:?}, pymavlink {t}", path.display());
            assert_eq!(t["seq"], seq, "{ctx}");
            assert_eq!(t["current"], u8::from(seq == 0), "{ctx}");
            assert_eq!(t["frame"], o.frame, "{ctx}");
            assert_eq!(t["command"], o.command, "{ctx}");
            for k in 0..4 {
                assert!(
                    same_f32(o.params[k], &t["params"][k]),
                    "param{} {ctx}",
                    k + 1
                );
            }
            assert_eq!(deg_to_e7(t["x"].as_f64().unwrap()), o.lat_e7(), "x {ctx}");
            assert_eq!(deg_to_e7(t["y"].as_f64().unwrap()), o.lon_e7(), "y {ctx}");
            assert!(same_f32(o.alt_m, &t["z"]), "z {ctx}");
            assert_eq!(t["autocontinue"], u8::from(o.autocontinue), "{ctx}");
            checked += 1;
        }
    }
    eprintln!(
        "pymavlink agreed on {checked} items in {} files",
        files.len()
    );
}

fn written_waypoints(
    plan: &SurveyPlan,
    dir: &Path,
    name: &str,
) -> Vec<(std::path::PathBuf, Mission)> {
    let files = write_outputs(plan, dir, name).unwrap();
    let mut missions = vec![plan.mission.clone()];
    if plan.sorties.len() > 1 {
        missions.extend(plan.sorties.iter().map(|s| s.mission.clone()));
    }
    let wpl: Vec<_> = files
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "waypoints"))
        .collect();
    assert_eq!(wpl.len(), missions.len());
    wpl.into_iter().zip(missions).collect()
}

/// The sample missions in `missions/`, planned for real (the corridor split into sorties).
fn sample_plans() -> Vec<(SurveyPlan, &'static str)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../missions");
    let mut params = SurveyParams {
        camera: CameraDatabase::builtin()
            .find("DJI Mavic 3 Enterprise wide")
            .unwrap()
            .clone(),
        orientation: Orientation::Landscape,
        side_overlap_pct: 70.0,
        front_overlap_pct: 80.0,
        altitude: AltitudeTarget::Gsd { cm_per_px: 2.0 },
        ceiling_m: 120.0,
        turnaround_m: 10.0,
        cruise_speed_m_s: 8.0,
        sweep_angle_deg: None,
        corridor: CorridorOptions::default(),
        battery: None,
        resume_overlap_photos: 2,
        max_items: None,
        home: None,
        launch: None,
        exclusion_margin_m: None,
    };
    let area = read_survey_input(&root.join("sample-area.geojson"), None).unwrap();
    let area_plan = plan_survey(&area, &params).unwrap();
    let corridor = read_survey_input(&root.join("sample-corridor.geojson"), None).unwrap();
    params.battery = Some(BatteryBudget {
        usable_min: 25.0,
        reserve_min: 4.0,
    });
    params.home = Some(Home {
        point: GeoPoint::new(27.0547, 106.9527).unwrap(),
        alt_amsl_m: 1050.0,
    });
    let corridor_plan = plan_survey(&corridor, &params).unwrap();
    assert!(corridor_plan.sorties.len() > 1);
    vec![
        (area_plan, "sample-area"),
        (corridor_plan, "sample-corridor"),
    ]
}

#[test]
fn pymavlink_loads_our_waypoints_item_for_item() {
    let Ok(python) = std::env::var("QLY_PYTHON") else {
        skip_or_fail("QLY_PYTHON (pymavlink)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut files = written_waypoints(&corridor_plan(), dir.path(), "corridor");
    files.extend(written_waypoints(&area_plan(), dir.path(), "area"));
    assert_eq!(files.len(), 4);
    for (plan, name) in sample_plans() {
        files.extend(written_waypoints(&plan, dir.path(), name));
    }
    check_against_pymavlink(&python, &files, false);
}

/// Our WPL reader and pymavlink's agree on the public WPL fixtures.
#[test]
fn pymavlink_and_our_reader_agree_on_wpl_fixtures() {
    let Ok(python) = std::env::var("QLY_PYTHON") else {
        skip_or_fail("QLY_PYTHON (pymavlink)");
        return;
    };
    let files: Vec<_> = [
        "qgc/100Waypoints.waypoints.txt",
        "qgc/800Waypoints.waypoints.txt",
        "qgc/MissionPlanner.waypoints",
        "mavsdk/mission_planner_sample.txt",
    ]
    .iter()
    .filter_map(|rel| formats_support::fixture(rel))
    .map(|p| {
        let m = planner::input::read_wpl(&p).unwrap();
        (p, m)
    })
    .collect();
    check_against_pymavlink(&python, &files, true);
}

/// `(layer name, feature count)` pairs from `ogrinfo -ro -al -so`.
fn ogr_layers(path: &Path) -> Option<Vec<(String, usize)>> {
    let out = Command::new("ogrinfo")
        .args(["-ro", "-al", "-so"])
        .arg(path)
        .output()
        .ok()?;
    assert!(
        out.status.success(),
        "ogrinfo refused {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let mut layers = Vec::new();
    let mut name = None;
    for line in text.lines() {
        if let Some(n) = line.strip_prefix("Layer name: ") {
            name = Some(n.trim().to_string());
        } else if let Some(c) = line.strip_prefix("Feature Count: ") {
            layers.push((name.take().unwrap_or_default(), c.trim().parse().unwrap()));
        }
    }
    Some(layers)
}

#[test]
fn gdal_reads_our_geojson_and_kml() {
    if Command::new("ogrinfo").arg("--version").output().is_err() {
        skip_or_fail("ogrinfo (gdal-bin)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut plans = vec![(area_plan(), "area", 2), (corridor_plan(), "corridor", 2)];
    // The real samples: the L-shaped area with its yard hole (one outline feature: the
    // polygon with its hole), and the river corridor (centreline and outline).
    for ((plan, name), outline) in sample_plans().into_iter().zip([1, 2]) {
        plans.push((plan, name, outline));
    }
    for (plan, name, outline) in plans {
        write_outputs(&plan, dir.path(), name).unwrap();
        let (lanes, photos) = (plan.transects.len(), plan.photos.len());
        let gj = ogr_layers(&dir.path().join(format!("{name}.geojson"))).unwrap();
        eprintln!("ogrinfo {name}.geojson: {gj:?}");
        assert_eq!(gj, [(name.to_string(), outline + lanes + photos)]);
        let kml = ogr_layers(&dir.path().join(format!("{name}.kml"))).unwrap();
        eprintln!("ogrinfo {name}.kml: {kml:?}");
        assert_eq!(
            kml,
            [
                ("Survey area".to_string(), outline),
                ("Lanes".to_string(), lanes),
                ("Photos".to_string(), photos),
                ("Sorties".to_string(), plan.sorties.len()),
                ("Launch points".to_string(), 1),
            ]
        );
    }
}

/// Imports each `.plan` with MAVSDK (which needs a connected ArduPilot system: pymavlink
/// plays one by sending heartbeats on a local UDP port) and prints the items as JSON.
const MAVSDK_IMPORT: &str = r#"
import json, math, sys, threading, time
from pymavlink import mavutil
from mavsdk import Mavsdk, Configuration, ComponentType
from mavsdk.plugins.mission_raw.mission_raw import MissionRaw
port = int(sys.argv[1])
stop = threading.Event()
def heartbeats():
    m = mavutil.mavlink_connection("udpout:127.0.0.1:%d" % port, source_system=1, source_component=1)
    while not stop.is_set():
        m.mav.heartbeat_send(mavutil.mavlink.MAV_TYPE_QUADROTOR,
                             mavutil.mavlink.MAV_AUTOPILOT_ARDUPILOTMEGA, 0, 0, 0)
        time.sleep(0.1)
sdk = Mavsdk(Configuration.create_with_component_type(ComponentType.GROUND_STATION))
sdk.add_any_connection("udpin://127.0.0.1:%d" % port)
threading.Thread(target=heartbeats, daemon=True).start()
system = sdk.first_autopilot(10.0)
if system is None:
    sys.exit("no system discovered")
raw = MissionRaw(system)
def num(v):
    return None if isinstance(v, float) and math.isnan(v) else v
def item(i):
    return {"seq": i.seq, "frame": i.frame, "command": i.command, "autocontinue": i.autocontinue,
            "params": [num(i.param1), num(i.param2), num(i.param3), num(i.param4)],
            "x": i.x, "y": i.y, "z": num(i.z)}
out = []
for path in sys.argv[2:]:
    try:
        d = raw.import_qgroundcontrol_mission(path)
        out.append({"ok": True, "mission": [item(i) for i in d.mission_items],
                    "fence": [item(i) for i in d.geofence_items],
                    "rally": [item(i) for i in d.rally_items]})
    except Exception as e:
        out.append({"ok": False, "error": str(e)})
stop.set()
print(json.dumps(out))
sys.stdout.flush()
"#;

/// Runs a command, killing it after `limit_s` seconds.
fn output_within(mut cmd: Command, limit_s: u64) -> std::process::Output {
    use std::process::Stdio;
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the peer");
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed().as_secs() > limit_s {
            child.kill().unwrap();
            panic!("peer took longer than {limit_s} s");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

/// `check_autocontinue` is off for fence items, where the flag means nothing (MAVSDK sends 0,
/// our fence items carry 1).
fn same_item(
    ours: &qly_core::mission::RawItem,
    theirs: &Value,
    check_autocontinue: bool,
) -> Result<(), String> {
    use qly_core::mission::AltFrame;
    let frame = theirs["frame"].as_u64().unwrap() as u8;
    // MAVSDK writes home in the integer variant of our frame; same altitude reference.
    let frame_ok = frame == ours.frame
        || (AltFrame::from_mav_frame(frame).is_some()
            && AltFrame::from_mav_frame(frame) == AltFrame::from_mav_frame(ours.frame));
    let ok = frame_ok
        && theirs["command"] == ours.command
        && (0..4).all(|k| same_f32(ours.params[k], &theirs["params"][k]))
        && theirs["x"] == ours.lat_e7()
        && theirs["y"] == ours.lon_e7()
        && same_f32(ours.alt_m, &theirs["z"])
        && (!check_autocontinue || theirs["autocontinue"] == u8::from(ours.autocontinue));
    if ok {
        Ok(())
    } else {
        Err(format!("ours {ours:?}, MAVSDK {theirs}"))
    }
}

#[test]
fn mavsdk_imports_our_survey_plan_item_for_item() {
    let Ok(python) = std::env::var("QLY_PYTHON") else {
        skip_or_fail("QLY_PYTHON (mavsdk)");
        return;
    };
    let probe = Command::new(&python).args(["-c", "import mavsdk"]).output();
    if !probe.is_ok_and(|o| o.status.success()) {
        skip_or_fail("the mavsdk Python package");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let area = area_plan();
    write_outputs(&area, dir.path(), "area").unwrap();
    write_outputs(&corridor_plan(), dir.path(), "corridor").unwrap();
    let port = std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cmd = Command::new(&python);
    cmd.arg("-c").arg(MAVSDK_IMPORT).arg(port.to_string());
    // (path, the mission MAVSDK must import; None: it must refuse). MAVSDK puts home first
    // because the connected autopilot is ArduPilot, whatever firmware the file names.
    let mut expected: Vec<(std::path::PathBuf, Option<Mission>)> =
        vec![(dir.path().join("area.plan"), Some(area.mission.clone()))];
    for (k, s) in area.sorties.iter().enumerate() {
        expected.push((
            dir.path().join(format!("area-sortie-{}.plan", k + 1)),
            Some(s.mission.clone()),
        ));
    }
    expected.push((dir.path().join("corridor.plan"), None));
    // Our reader on QGroundControl's own (PX4) sample agrees with MAVSDK's.
    if let Some(sample) = formats_support::fixture("mavsdk/qgroundcontrol_sample.plan") {
        let ours = planner::input::read_qgc_plan_mission(&sample).unwrap();
        expected.push((sample, Some(ours)));
    }
    for (f, _) in &expected {
        cmd.arg(f);
    }
    let out = output_within(cmd, 120);
    assert!(
        out.status.success(),
        "MAVSDK import failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(results.len(), expected.len());
    for ((path, mission), r) in expected.iter().zip(&results) {
        let file = path.file_name().unwrap().to_string_lossy();
        let Some(mission) = mission else {
            // MAVSDK accepts only `survey` complex items (see output::plan).
            assert_eq!(r["ok"], false, "{file}: {r}");
            assert!(r["error"]
                .as_str()
                .unwrap()
                .contains("FAILED_TO_PARSE_QGC_PLAN"));
            continue;
        };
        assert_eq!(r["ok"], true, "{file}: {r}");
        for (t, key) in [
            (MissionType::Mission, "mission"),
            (MissionType::Fence, "fence"),
        ] {
            let ours = mission.wire_items(t);
            let theirs = r[key].as_array().unwrap();
            assert_eq!(theirs.len(), ours.len(), "{file} {key}");
            for (seq, (o, th)) in ours.iter().zip(theirs).enumerate() {
                assert_eq!(th["seq"], seq, "{file} {key}");
                if let Err(e) = same_item(o, th, t == MissionType::Mission) {
                    panic!("{file} {key} item {seq}: {e}");
                }
            }
        }
        eprintln!(
            "MAVSDK imported {file}: {} mission items, {} fence items, all equal to ours",
            r["mission"].as_array().unwrap().len(),
            r["fence"].as_array().unwrap().len()
        );
    }
}
