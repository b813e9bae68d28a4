//! `planner plan` with the inputs pilots bring (issue 17, deliverables 3, 5 and 6): an output
//! that would overwrite an input is refused before anything is written; a QGroundControl
//! survey's settings are used unless the command line gives them, and the summary says which
//! came from the file, the lane spacing actually flown and the datum applied; the KML we
//! write styles each sortie, its photos and its launch point apart.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn planner(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_planner"))
        .env("RUST_BACKTRACE", "0")
        .args(args)
        .output()
        .expect("planner runs")
}

fn missions(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../missions")
        .join(name)
}

fn ok(out: &Output) -> String {
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "planner failed:\n{stdout}\n{stderr}");
    stdout.into_owned()
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files.extend(snapshot(&p));
        } else {
            files.insert(p.clone(), std::fs::read(&p).unwrap());
        }
    }
    files
}

fn line<'a>(summary: &'a str, key: &str) -> &'a str {
    summary
        .lines()
        .find(|l| l.starts_with(key))
        .unwrap_or_else(|| panic!("no '{key}' line in:\n{summary}"))
}

#[test]
fn an_output_landing_on_an_input_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let river = dir.path().join("river.geojson");
    std::fs::copy(missions("sample-corridor-short.geojson"), &river).unwrap();
    let before = snapshot(dir.path());
    // The default name (the input's stem) in the input's own folder, spelt three ways.
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    for out_dir in [
        dir.path().to_path_buf(),
        sub.join(".."),
        dir.path().join("."),
    ] {
        let out = planner(&[
            "plan",
            river.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
        ]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert!(
            stderr.contains("river.geojson is the input file")
                && stderr.contains("refusing to overwrite it"),
            "{stderr}"
        );
        let mut after = snapshot(dir.path());
        assert_eq!(
            after.len(),
            before.len(),
            "something was written: {:?}",
            after.keys()
        );
        assert_eq!(after.remove(&river), before.get(&river).cloned());
    }
    // A written .plan given back as input, with the same folder: refused, nothing touched.
    let out_dir = dir.path().join("out");
    ok(&planner(&[
        "plan",
        river.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ]));
    let written = snapshot(&out_dir);
    let plan = out_dir.join("river.plan");
    let out = planner(&[
        "plan",
        plan.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("river.plan is the input file"));
    assert_eq!(snapshot(&out_dir), written);
    // Another --name is fine.
    ok(&planner(&[
        "plan",
        plan.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
        "--name",
        "again",
    ]));
}

/// The survey item's settings of a `.plan` QGroundControl would open.
fn survey_settings(plan: &Path) -> HashMap<&'static str, f64> {
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(plan).unwrap()).unwrap();
    let item = v["mission"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["type"] == "ComplexItem")
        .unwrap()
        .clone();
    let ts = &item["TransectStyleComplexItem"];
    let cc = &ts["CameraCalc"];
    HashMap::from([
        ("angle", item["angle"].as_f64().unwrap_or(f64::NAN)),
        ("turnaround", ts["TurnAroundDistance"].as_f64().unwrap()),
        ("alt", cc["DistanceToSurface"].as_f64().unwrap()),
        ("side", cc["SideOverlap"].as_f64().unwrap()),
        ("front", cc["FrontalOverlap"].as_f64().unwrap()),
        ("spacing", cc["AdjustedFootprintSide"].as_f64().unwrap()),
    ])
}

#[test]
fn a_qgc_survey_keeps_its_settings_unless_the_command_line_gives_them() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first");
    let area = missions("sample-area.geojson");
    ok(&planner(&[
        "plan",
        area.to_str().unwrap(),
        "--out",
        first.to_str().unwrap(),
        "--alt",
        "60",
        "--angle",
        "30",
        "--turnaround",
        "15",
        "--side-overlap",
        "65",
        "--front-overlap",
        "75",
        "--speed",
        "6",
    ]));
    let survey = first.join("sample-area.plan");
    let set = survey_settings(&survey);
    assert_eq!(
        (
            set["angle"],
            set["turnaround"],
            set["alt"],
            set["side"],
            set["front"]
        ),
        (30.0, 15.0, 60.0, 65.0, 75.0)
    );

    // Re-planned as it is: every setting from the file, and the summary says so.
    let again = dir.path().join("again");
    let summary = ok(&planner(&[
        "plan",
        survey.to_str().unwrap(),
        "--out",
        again.to_str().unwrap(),
        "--speed",
        "6",
    ]));
    let from = line(&summary, "from file");
    for phrase in [
        "lane angle 30.0 deg",
        "turnaround 15.0 m",
        "altitude 60.0 m",
        "side overlap 65 %",
        "front overlap 75 %",
        "camera Custom Camera (17.3 x 13 mm",
    ] {
        assert!(from.contains(phrase), "'{phrase}' missing: {from}");
    }
    let set2 = survey_settings(&again.join("sample-area.plan"));
    assert_eq!(set2, set, "the re-planned survey differs");

    // The command line wins where it speaks, and the summary no longer credits the file.
    let over = dir.path().join("over");
    let summary = ok(&planner(&[
        "plan",
        survey.to_str().unwrap(),
        "--out",
        over.to_str().unwrap(),
        "--speed",
        "6",
        "--alt",
        "50",
        "--angle",
        "45",
    ]));
    let from = line(&summary, "from file");
    assert!(
        !from.contains("altitude") && !from.contains("angle"),
        "{from}"
    );
    assert!(from.contains("turnaround 15.0 m"), "{from}");
    let set3 = survey_settings(&over.join("sample-area.plan"));
    assert_eq!(
        (set3["alt"], set3["angle"], set3["side"]),
        (50.0, 45.0, 65.0)
    );
}

#[test]
fn a_manual_camera_spacing_is_flown_as_typed_and_reported_as_flown() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first");
    let corridor = missions("sample-corridor-short.geojson");
    let summary = ok(&planner(&[
        "plan",
        corridor.to_str().unwrap(),
        "--out",
        first.to_str().unwrap(),
    ]));
    // 60 m wide, at most 31.68 m between lanes for 70 % side overlap: two lanes 30 m apart.
    assert_eq!(
        line(&summary, "lanes"),
        "lanes       2, 30.00 m apart (side overlap 70 % needs at most 31.68 m), photo every 15.8 m"
    );
    assert_eq!(line(&summary, "datum"), "datum       WGS-84 as given");
    // QGroundControl's manual camera: the spacing the author typed, at the altitude given.
    let plan = first.join("sample-corridor-short.plan");
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&plan).unwrap()).unwrap();
    for item in v["mission"]["items"].as_array_mut().unwrap() {
        if item["type"] == "ComplexItem" {
            let cc = &mut item["TransectStyleComplexItem"]["CameraCalc"];
            cc["CameraName"] = "Manual (no camera specs)".into();
            cc["AdjustedFootprintSide"] = 12.0.into();
            cc["AdjustedFootprintFrontal"] = 10.0.into();
            cc["DistanceToSurface"] = 70.0.into();
        }
    }
    let manual = dir.path().join("manual.plan");
    std::fs::write(&manual, serde_json::to_vec(&v).unwrap()).unwrap();
    let out_dir = dir.path().join("manual");
    let summary = ok(&planner(&[
        "plan",
        manual.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ]));
    assert!(
        line(&summary, "lanes").starts_with("lanes       5, 12.00 m apart"),
        "{summary}"
    );
    assert!(line(&summary, "from file").contains("lane spacing 12.00 m (side overlap"));
    assert!(line(&summary, "altitude").contains("70.0 m above take-off"));
    // A spacing wider than the photos: refused, naming the field.
    for item in v["mission"]["items"].as_array_mut().unwrap() {
        if item["type"] == "ComplexItem" {
            item["TransectStyleComplexItem"]["CameraCalc"]["AdjustedFootprintSide"] = 500.0.into();
        }
    }
    std::fs::write(&manual, serde_json::to_vec(&v).unwrap()).unwrap();
    let out = planner(&[
        "plan",
        manual.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("manual.plan: mission.items[")
            && stderr
                .contains(".TransectStyleComplexItem.CameraCalc.AdjustedFootprintSide: 500.00 m"),
        "{stderr}"
    );
}

#[test]
fn the_summary_names_the_datum_applied() {
    let dir = tempfile::tempdir().unwrap();
    let corridor = missions("sample-corridor-short.geojson");
    for (datum, want) in [
        ("gcj02", "datum       GCJ-02 converted to WGS-84"),
        ("bd09", "datum       BD-09 converted to WGS-84"),
        (
            "cgcs2000",
            "datum       CGCS2000, taken as WGS-84 (the two agree to a few centimetres)",
        ),
    ] {
        let out_dir = dir.path().join(datum);
        let summary = ok(&planner(&[
            "plan",
            corridor.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
            "--datum",
            datum,
        ]));
        assert_eq!(line(&summary, "datum"), want);
    }
}

#[test]
fn kml_styles_tell_sorties_photos_and_launch_points_apart() {
    let dir = tempfile::tempdir().unwrap();
    let corridor = missions("sample-corridor-short.geojson");
    // Sorties by mission capacity: 30 items each.
    let summary = ok(&planner(&[
        "plan",
        corridor.to_str().unwrap(),
        "--out",
        dir.path().to_str().unwrap(),
        "--max-items",
        "30",
    ]));
    let sorties: usize = line(&summary, "sorties")
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    assert!(sorties >= 3, "{summary}");
    let path = dir.path().join("sample-corridor-short.kml");
    let text = std::fs::read_to_string(&path).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    let styles: HashMap<String, roxmltree::Node> = doc
        .descendants()
        .filter(|n| n.has_tag_name("Style"))
        .map(|n| (n.attribute("id").unwrap().to_string(), n))
        .collect();
    let child_text = |n: roxmltree::Node, tag: &str| -> Option<String> {
        n.descendants()
            .find(|c| c.has_tag_name(tag))
            .and_then(|c| c.text())
            .map(str::to_string)
    };
    // Every placemark points at a style that exists; group the styles by role and sortie.
    let mut by_role: HashMap<(String, String), std::collections::HashSet<String>> = HashMap::new();
    for pm in doc.descendants().filter(|n| n.has_tag_name("Placemark")) {
        let url = child_text(pm, "styleUrl").expect("every placemark is styled");
        let id = url.strip_prefix('#').unwrap();
        assert!(styles.contains_key(id), "undefined style {url}");
        let data = |key: &str| {
            pm.descendants()
                .find(|d| d.has_tag_name("Data") && d.attribute("name") == Some(key))
                .and_then(|d| child_text(d, "value"))
                .unwrap_or_default()
        };
        by_role
            .entry((data("role"), data("sortie")))
            .or_default()
            .insert(id.to_string());
    }
    let colour = |id: &str, style: &str| -> String {
        let s = styles[id];
        let part = s.descendants().find(|n| n.has_tag_name(style)).unwrap();
        child_text(part, "color").unwrap()
    };
    let mut colours = std::collections::HashSet::new();
    let mut with_lanes = 0;
    for k in 1..=sorties {
        let photos = &by_role[&("photo".to_string(), k.to_string())];
        let paths = &by_role[&("sortie".to_string(), k.to_string())];
        assert_eq!((photos.len(), paths.len()), (1, 1), "sortie {k}");
        let photo = photos.iter().next().unwrap();
        // Each sortie has its own colour, its flight path and photos drawn in it, and the
        // lanes it starts too.
        let c = colour(photo, "IconStyle");
        assert!(colours.insert(c.clone()), "sortie {k} repeats a colour");
        let path_colour = colour(paths.iter().next().unwrap(), "LineStyle");
        assert_eq!(
            path_colour[2..],
            c[2..],
            "sortie {k}: path and photos differ"
        );
        if let Some(lanes) = by_role.get(&("lane".to_string(), k.to_string())) {
            assert_eq!(lanes.len(), 1);
            assert_eq!(colour(lanes.iter().next().unwrap(), "LineStyle"), c);
            with_lanes += 1;
        }
        // Photo names are hidden (thousands of labels would hide the map).
        let label = styles[photo.as_str()]
            .descendants()
            .find(|n| n.has_tag_name("LabelStyle"))
            .unwrap();
        assert_eq!(child_text(label, "scale").as_deref(), Some("0"));
    }
    assert_eq!(
        with_lanes, 2,
        "the corridor's two lanes start in two sorties"
    );
    let launch = &by_role[&("launch".to_string(), String::new())];
    assert_eq!(launch.iter().collect::<Vec<_>>(), [&"launch".to_string()]);
    assert!(child_text(styles["launch"], "href")
        .unwrap()
        .ends_with("heliport.png"));
    // Still survey input: lanes, photos, sorties and launch points are skipped on reading.
    let input = planner::input::read_survey_input(&path, None).unwrap();
    assert_eq!(input.width_m, Some(60.0));
    assert!(input.sites.is_empty());
}
