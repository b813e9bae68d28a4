//! Our files read by real peers: pymavlink's `mavwp.MAVWPLoader` (the WPL loader of MAVProxy
//! and ArduPilot's tools) must see exactly our wire items, and GDAL's `ogrinfo` must find the
//! layers and features we wrote in the GeoJSON and KML.
//!
//! Peers come from `scripts/setup-env.sh` (`$QLY_PYTHON`, `ogrinfo` on PATH). Without them a
//! test prints that it skipped, and fails when `CI` is set.

mod formats_support;

use std::path::Path;
use std::process::Command;

use formats_support::{area_plan, corridor_plan};
use planner::output::write_outputs;
use planner::survey::SurveyPlan;
use qly_core::mission::{deg_to_e7, Mission, MissionType};
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

fn check_against_pymavlink(python: &str, files: &[(std::path::PathBuf, Mission)]) {
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
    check_against_pymavlink(&python, &files);
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
    for (plan, name, outline) in [(area_plan(), "area", 2), (corridor_plan(), "corridor", 2)] {
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
            ]
        );
    }
}
