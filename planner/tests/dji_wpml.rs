//! DJI route files (WPML KMZ): every element we write is checked against the tables of DJI's
//! WPML specification (dji-sdk/Cloud-API-Doc, docs/en/60.api-reference/00.dji-wpml/: 20 =
//! 20.template-kml.md, 30 = 30.waylines-wpml.md, 40 = 40.common-element.md); the route reads
//! back with the waypoints, heights and actions planned; GDAL reads both files as KML; and the
//! same validator passes on two real DJI FlightHub 2 exports (../shared/fixtures/dji-wpml).

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

const WPML_NS: &str = "http://www.dji.com/wpmz/1.0.6";

/// Allowed enum values, with the specification section they come from.
const ENUMS: &[(&str, &str, &[&str])] = &[
    (
        "20 missionConfig",
        "flyToWaylineMode",
        &["safely", "pointToPoint"],
    ),
    (
        "20 missionConfig",
        "finishAction",
        &["goHome", "noAction", "autoLand", "gotoFirstWaypoint"],
    ),
    (
        "20 missionConfig",
        "exitOnRCLost",
        &["goContinue", "executeLostAction"],
    ),
    (
        "20 missionConfig",
        "executeRCLostAction",
        &["goBack", "landing", "hover"],
    ),
    (
        "20 Folder",
        "templateType",
        &["waypoint", "mapping2d", "mapping3d", "mappingStrip"],
    ),
    ("20 waylineCoordinateSysParam", "coordinateMode", &["WGS84"]),
    (
        "20 waylineCoordinateSysParam",
        "heightMode",
        &[
            "EGM96",
            "relativeToStartPoint",
            "aboveGroundLevel",
            "realTimeFollowSurface",
        ],
    ),
    (
        "30 Folder",
        "executeHeightMode",
        &["WGS84", "relativeToStartPoint", "realTimeFollowSurface"],
    ),
    (
        "40 droneInfo",
        "droneEnumValue",
        &["89", "60", "67", "77", "91"],
    ),
    (
        "40 waypointHeadingParam",
        "waypointHeadingMode",
        &[
            "followWayline",
            "manually",
            "fixed",
            "smoothTransition",
            "towardPOI",
        ],
    ),
    (
        "40 waypointHeadingParam",
        "waypointHeadingPathMode",
        &["clockwise", "counterClockwise", "followBadArc"],
    ),
    (
        "40 waypointTurnParam",
        "waypointTurnMode",
        &[
            "coordinateTurn",
            "toPointAndStopWithDiscontinuityCurvature",
            "toPointAndStopWithContinuityCurvature",
            "toPointAndPassWithContinuityCurvature",
        ],
    ),
    (
        "20 Folder",
        "globalWaypointTurnMode",
        &[
            "coordinateTurn",
            "toPointAndStopWithDiscontinuityCurvature",
            "toPointAndStopWithContinuityCurvature",
            "toPointAndPassWithContinuityCurvature",
        ],
    ),
    ("40 actionGroup", "actionGroupMode", &["sequence"]),
    (
        "40 actionTrigger",
        "actionTriggerType",
        &[
            "reachPoint",
            "betweenAdjacentPoints",
            "multipleTiming",
            "multipleDistance",
        ],
    ),
    (
        "40 action",
        "actionActuatorFunc",
        &[
            "takePhoto",
            "startRecord",
            "stopRecord",
            "focus",
            "zoom",
            "customDirName",
            "gimbalRotate",
            "rotateYaw",
            "hover",
            "gimbalEvenlyRotate",
            "accurateShoot",
            "orientedShoot",
            "panoShot",
            "recordPointCloud",
            "gimbalAngleLock",
            "gimbalAngleUnlock",
            "startSmartOblique",
            "startTimeLapse",
            "stopTimeLapse",
            "setFocusType",
        ],
    ),
    (
        "40 gimbalRotate",
        "gimbalRotateMode",
        &["relativeAngle", "absoluteAngle"],
    ),
    (
        "20 Folder",
        "gimbalPitchMode",
        &["manual", "usePointSetting"],
    ),
];

/// Numeric ranges `[lo, hi]`, with their section.
const RANGES: &[(&str, &str, f64, f64)] = &[
    ("20 missionConfig", "takeOffSecurityHeight", 2.0, 1500.0),
    ("20 missionConfig", "globalTransitionalSpeed", 0.0, 15.0),
    ("20 Folder", "autoFlightSpeed", 0.0, 15.0),
    ("20 Folder", "templateId", 0.0, 65535.0),
    ("30 Folder", "waylineId", 0.0, 65535.0),
    ("40 actionGroup", "actionGroupId", 0.0, 65535.0),
    ("40 actionGroup", "actionGroupStartIndex", 0.0, 65535.0),
    ("40 actionGroup", "actionGroupEndIndex", 0.0, 65535.0),
    ("40 action", "actionId", 0.0, 65535.0),
    ("40 actionTrigger", "actionTriggerParam", 0.0, f64::INFINITY),
    ("40 focus", "focusX", 0.0, 1.0),
    ("40 focus", "focusY", 0.0, 1.0),
];

/// Elements a file must hold (section, parent, child).
const REQUIRED_MISSION_CONFIG: &[&str] = &[
    "flyToWaylineMode",
    "finishAction",
    "exitOnRCLost",
    "takeOffSecurityHeight",
    "globalTransitionalSpeed",
    "droneInfo",
    "payloadInfo",
];
const REQUIRED_ACTION_GROUP: &[&str] = &[
    "actionGroupId",
    "actionGroupStartIndex",
    "actionGroupEndIndex",
    "actionGroupMode",
    "actionTrigger",
    "action",
];

fn wpml<'a>(n: roxmltree::Node<'a, 'a>, name: &str) -> Option<roxmltree::Node<'a, 'a>> {
    n.children()
        .find(|c| c.tag_name().name() == name && c.tag_name().namespace() == Some(WPML_NS))
}

fn text<'a>(n: roxmltree::Node<'a, 'a>, name: &str) -> Option<&'a str> {
    wpml(n, name).and_then(|c| c.text()).map(str::trim)
}

/// Every problem found in one WPML file (`template.kml` or `waylines.wpml`).
fn validate(xml: &str, waylines: bool) -> Vec<String> {
    let mut problems = Vec::new();
    let doc = match roxmltree::Document::parse(xml) {
        Ok(d) => d,
        Err(e) => return vec![format!("not XML: {e}")],
    };
    let root = doc.root_element();
    if root.tag_name().name() != "kml" || root.lookup_namespace_uri(Some("wpml")) != Some(WPML_NS) {
        problems.push(format!("10: root is not <kml> with xmlns:wpml={WPML_NS}"));
    }
    let Some(document) = root.children().find(|c| c.tag_name().name() == "Document") else {
        return vec!["10: no <Document>".into()];
    };
    match wpml(document, "missionConfig") {
        None => problems.push("20: no wpml:missionConfig".into()),
        Some(mc) => {
            for r in REQUIRED_MISSION_CONFIG {
                if wpml(mc, r).is_none() {
                    problems.push(format!("20 missionConfig: {r} missing"));
                }
            }
            if text(mc, "exitOnRCLost") == Some("executeLostAction")
                && wpml(mc, "executeRCLostAction").is_none()
            {
                problems.push("20 missionConfig: executeRCLostAction missing".into());
            }
            if let Some(di) = wpml(mc, "droneInfo") {
                if text(di, "droneEnumValue") == Some("67")
                    && wpml(di, "droneSubEnumValue").is_none()
                {
                    problems.push("40 droneInfo: droneSubEnumValue required for 67".into());
                }
            }
        }
    }
    // Enums and ranges wherever the element appears.
    for n in doc
        .descendants()
        .filter(|n| n.tag_name().namespace() == Some(WPML_NS))
    {
        let name = n.tag_name().name();
        let value = n.text().unwrap_or("").trim();
        for (section, el, allowed) in ENUMS {
            if *el == name && !allowed.contains(&value) {
                problems.push(format!("{section}: {name} = '{value}' not in {allowed:?}"));
            }
        }
        for (section, el, lo, hi) in RANGES {
            if *el == name {
                match value.parse::<f64>() {
                    Ok(v) if v >= *lo && v <= *hi => {}
                    _ => {
                        problems.push(format!("{section}: {name} = '{value}' not in [{lo}, {hi}]"))
                    }
                }
            }
        }
    }
    let folders: Vec<_> = document
        .children()
        .filter(|c| c.tag_name().name() == "Folder")
        .collect();
    if folders.is_empty() {
        problems.push("20/30: no <Folder>".into());
    }
    let mut group_ids = HashSet::new();
    for folder in folders {
        let template_type = text(folder, "templateType");
        if !waylines && template_type.is_none() {
            problems.push("20 Folder: templateType missing".into());
        }
        if wpml(folder, "templateId").is_none() || wpml(folder, "autoFlightSpeed").is_none() {
            problems.push("20/30 Folder: templateId or autoFlightSpeed missing".into());
        }
        if waylines
            && (wpml(folder, "waylineId").is_none() || wpml(folder, "executeHeightMode").is_none())
        {
            problems.push("30 Folder: waylineId or executeHeightMode missing".into());
        }
        let placemarks: Vec<_> = folder
            .children()
            .filter(|c| c.tag_name().name() == "Placemark")
            .collect();
        // 20, mapping aerial and waypoint segment (strip) templates: one Placemark with these.
        let mapping_required: &[&str] = match template_type {
            Some("mapping2d") => &[
                "elevationOptimizeEnable",
                "shootType",
                "direction",
                "margin",
                "ellipsoidHeight",
                "height",
            ],
            Some("mappingStrip") => &[
                "shootType",
                "direction",
                "margin",
                "singleLineEnable",
                "cuttingDistance",
                "boundaryOptimEnable",
                "leftExtend",
                "rightExtend",
                "includeCenterEnable",
                "ellipsoidHeight",
                "height",
            ],
            _ => &[],
        };
        if !mapping_required.is_empty() {
            let geometry = if template_type == Some("mapping2d") {
                "Polygon"
            } else {
                "LineString"
            };
            let pm = placemarks.first();
            for r in mapping_required {
                if pm.and_then(|pm| wpml(*pm, r)).is_none() {
                    problems.push(format!("20 {template_type:?} Placemark: {r} missing"));
                }
            }
            if !pm.is_some_and(|pm| pm.children().any(|c| c.tag_name().name() == geometry)) {
                problems.push(format!(
                    "20 {template_type:?} Placemark: {geometry} missing"
                ));
            }
            if let Some(d) = pm
                .and_then(|pm| text(*pm, "direction"))
                .and_then(|d| d.parse::<f64>().ok())
            {
                if !(0.0..=360.0).contains(&d) {
                    problems.push(format!("20 direction {d} not in [0, 360]"));
                }
            }
            let csp = wpml(folder, "waylineCoordinateSysParam");
            for r in ["globalShootHeight", "surfaceFollowModeEnable"] {
                if csp.and_then(|c| wpml(c, r)).is_none() {
                    problems.push(format!("20 waylineCoordinateSysParam: {r} missing"));
                }
            }
        }
        if template_type.is_some_and(|t| t != "waypoint") {
            continue; // area and strip templates hold a polygon or a line, not waypoints
        }
        for (i, pm) in placemarks.iter().enumerate() {
            match text(*pm, "index").map(str::parse::<usize>) {
                Some(Ok(k)) if k == i => {}
                other => problems.push(format!(
                    "20/30 Placemark {i}: index {other:?}, expected {i}"
                )),
            }
            let coords = pm
                .descendants()
                .find(|c| {
                    c.tag_name().name() == "coordinates"
                        && c.parent().is_some_and(|p| p.tag_name().name() == "Point")
                })
                .and_then(|c| c.text());
            let ok = coords.is_some_and(|c| {
                let v: Vec<f64> = c
                    .trim()
                    .split(',')
                    .filter_map(|x| x.trim().parse().ok())
                    .collect();
                v.len() == 2 && (-180.0..=180.0).contains(&v[0]) && (-90.0..=90.0).contains(&v[1])
            });
            if !ok {
                problems.push(format!(
                    "20/30 Placemark {i}: Point coordinates not lon,lat: {coords:?}"
                ));
            }
            let height = if waylines { "executeHeight" } else { "height" };
            if text(*pm, height)
                .and_then(|h| h.parse::<f64>().ok())
                .is_none()
            {
                problems.push(format!("20/30 Placemark {i}: {height} missing"));
            }
            if let Some(tp) = wpml(*pm, "waypointTurnParam") {
                let mode = text(tp, "waypointTurnMode");
                let damping =
                    text(tp, "waypointTurnDampingDist").and_then(|d| d.parse::<f64>().ok());
                let passing = matches!(
                    mode,
                    Some("coordinateTurn" | "toPointAndPassWithContinuityCurvature")
                );
                // 40 waypointTurnParam: (0, leg length], required when passing the point.
                if passing && !damping.is_some_and(|d| d > 0.0) {
                    problems.push(format!("40 waypointTurnParam at {i}: waypointTurnDampingDist {damping:?} not > 0 for {mode:?}"));
                }
            }
            for ag in pm
                .children()
                .filter(|c| c.tag_name().name() == "actionGroup")
            {
                for r in REQUIRED_ACTION_GROUP {
                    if wpml(ag, r).is_none() {
                        problems.push(format!("40 actionGroup at {i}: {r} missing"));
                    }
                }
                let num = |k| text(ag, k).and_then(|v| v.parse::<usize>().ok());
                if let Some(id) = num("actionGroupId") {
                    if !group_ids.insert(id) {
                        problems.push(format!("40 actionGroup: id {id} used twice"));
                    }
                }
                match (num("actionGroupStartIndex"), num("actionGroupEndIndex")) {
                    (Some(s), Some(e)) if s <= e && e < placemarks.len() => {}
                    (s, e) => problems.push(format!(
                        "40 actionGroup at {i}: start {s:?} end {e:?} of {}",
                        placemarks.len()
                    )),
                }
                if let Some(tr) = wpml(ag, "actionTrigger") {
                    let t = text(tr, "actionTriggerType");
                    if matches!(t, Some("multipleDistance" | "multipleTiming"))
                        && wpml(tr, "actionTriggerParam").is_none()
                    {
                        problems.push(format!(
                            "40 actionTrigger at {i}: {t:?} without actionTriggerParam"
                        ));
                    }
                }
            }
        }
    }
    problems
}

/// `(template.kml, waylines.wpml)` of a KMZ.
fn unzip(kmz: &Path) -> (String, String) {
    let mut z = zip::ZipArchive::new(std::fs::File::open(kmz).unwrap()).unwrap();
    let mut read = |name: &str| {
        let mut s = String::new();
        z.by_name(name).unwrap().read_to_string(&mut s).unwrap();
        s
    };
    (read("wpmz/template.kml"), read("wpmz/waylines.wpml"))
}

fn plan(input: &str, extra: &[&str], out: &Path) -> (bool, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let o = Command::new(env!("CARGO_BIN_EXE_planner"))
        .arg("plan")
        .arg(root.join(input))
        .args(extra)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr),
    )
}

fn kmzs(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "kmz"))
        .collect();
    v.sort();
    v
}

/// Waypoints of a waylines file: (lon, lat, height, speed) and the photo groups
/// (start, end, trigger distance).
type Readback = (Vec<(f64, f64, f64, f64)>, Vec<(usize, usize, f64)>);
fn read_waylines(xml: &str) -> Readback {
    let doc = roxmltree::Document::parse(xml).unwrap();
    let mut wps = Vec::new();
    let mut photos = Vec::new();
    for pm in doc
        .descendants()
        .filter(|n| n.tag_name().name() == "Placemark")
    {
        let c: Vec<f64> = pm
            .descendants()
            .find(|n| n.tag_name().name() == "coordinates")
            .unwrap()
            .text()
            .unwrap()
            .trim()
            .split(',')
            .map(|x| x.parse().unwrap())
            .collect();
        let h: f64 = text(pm, "executeHeight").unwrap().parse().unwrap();
        let s: f64 = text(pm, "waypointSpeed").unwrap().parse().unwrap();
        wps.push((c[0], c[1], h, s));
        for ag in pm
            .children()
            .filter(|c| c.tag_name().name() == "actionGroup")
        {
            let tr = wpml(ag, "actionTrigger").unwrap();
            if text(tr, "actionTriggerType") == Some("multipleDistance") {
                let action = wpml(ag, "action").unwrap();
                assert_eq!(text(action, "actionActuatorFunc"), Some("takePhoto"));
                photos.push((
                    text(ag, "actionGroupStartIndex").unwrap().parse().unwrap(),
                    text(ag, "actionGroupEndIndex").unwrap().parse().unwrap(),
                    text(tr, "actionTriggerParam").unwrap().parse().unwrap(),
                ));
            }
        }
    }
    (wps, photos)
}

/// The waypoints (lon, lat, alt above home) and camera-on legs of a `.waypoints` (WPL 110)
/// file the planner wrote for the same sortie: the MAVLink mission the route must fly.
/// (lon, lat, alt) per waypoint and (leg, trigger distance) per camera-on leg.
type MavRoute = (Vec<(f64, f64, f64)>, Vec<(usize, f64)>);
fn read_wpl(path: &Path) -> MavRoute {
    let text = std::fs::read_to_string(path).unwrap();
    let mut wps = Vec::new();
    let mut legs = Vec::new();
    let mut trigger = 0.0;
    for line in text.lines().skip(2) {
        let f: Vec<&str> = line.split('\t').collect();
        let cmd: u32 = f[3].parse().unwrap();
        let p = |i: usize| f[i].parse::<f64>().unwrap();
        match cmd {
            16 => {
                if !wps.is_empty() && trigger > 0.0 {
                    legs.push((wps.len() - 1, trigger));
                }
                wps.push((p(9), p(8), p(10)));
            }
            206 => trigger = p(4),
            _ => {}
        }
    }
    (wps, legs)
}

#[test]
fn our_kmz_passes_the_specification_tables_and_flies_the_mission() {
    let dir = tempfile::tempdir().unwrap();
    for (input, name, extra) in [
        (
            "missions/sample-corridor.geojson",
            "corridor",
            vec!["--aircraft", "M3E"],
        ),
        (
            "missions/sample-area.geojson",
            "area",
            vec!["--aircraft", "M3E", "--battery-min", "20"],
        ),
        (
            "missions/sample-area.geojson",
            "area-h20",
            vec!["--aircraft", "m350-h20t", "--speed", "5", "--gsd", "3"],
        ),
        (
            "missions/sample-corridor.geojson",
            "corridor-m30t",
            vec!["--aircraft", "M30T", "--speed", "5", "--gsd", "3"],
        ),
    ] {
        let out = dir.path().join(name);
        let (ok, log) = plan(input, &extra, &out);
        assert!(ok, "{input}: {log}");
        let files = kmzs(&out);
        assert!(!files.is_empty(), "{log}");
        for kmz in &files {
            let mapping = kmz.to_string_lossy().ends_with("-dji-mapping.kmz");
            let (template, waylines) = unzip(kmz);
            let p = validate(&template, false);
            assert!(p.is_empty(), "{}: template.kml: {p:#?}", kmz.display());
            let p = validate(&waylines, true);
            assert!(p.is_empty(), "{}: waylines.wpml: {p:#?}", kmz.display());
            // Round trip against the MAVLink mission of the same sortie.
            // The mapping template's route is the whole survey: the plan's `.waypoints`.
            let wpl = if mapping {
                let stem = Path::new(input).file_stem().unwrap().to_string_lossy();
                out.join(format!("{stem}.waypoints"))
            } else {
                kmz.with_extension("waypoints")
            };
            if mapping {
                let kind = if name.starts_with("area") {
                    "mapping2d"
                } else {
                    "mappingStrip"
                };
                assert!(
                    template.contains(&format!("<wpml:templateType>{kind}<")),
                    "{template}"
                );
                assert!(
                    template.contains("<wpml:orthoCameraOverlapH>"),
                    "{template}"
                );
                if kind == "mapping2d" {
                    // The sample area has a yard hole: the template cannot hold it.
                    assert!(
                        log.contains("hole(s)") && log.contains("Pilot 2 regenerates"),
                        "{log}"
                    );
                } else {
                    assert!(template.contains("<wpml:leftExtend>30<"), "{template}");
                }
            }
            let (mav, legs) = read_wpl(&wpl);
            let (wps, photos) = read_waylines(&waylines);
            assert_eq!(wps.len(), mav.len(), "{}", kmz.display());
            for (a, b) in wps.iter().zip(&mav) {
                assert!(
                    (a.0 - b.0).abs() < 1e-7 && (a.1 - b.1).abs() < 1e-7,
                    "{a:?} {b:?}"
                );
                assert!((a.2 - b.2).abs() < 1e-3, "height {a:?} {b:?}");
            }
            let photo_legs: Vec<(usize, f64)> = photos
                .iter()
                .flat_map(|&(s, e, d)| (s..e).map(move |l| (l, d)))
                .collect();
            assert_eq!(photo_legs.len(), legs.len());
            for (a, b) in photo_legs.iter().zip(&legs) {
                assert_eq!(a.0, b.0);
                assert!((a.1 - b.1).abs() < 1e-3);
            }
            assert!(!photos.is_empty());
            // No photos on the transit out from home or back.
            assert!(photos[0].0 > 0 || legs[0].0 == 0);
            if !mapping {
                assert!(template.matches("<Placemark>").count() == wps.len());
            }
        }
    }
}

#[test]
fn wgs84_heights_go_through_the_geoid_and_need_home_amsl() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, log) = plan(
        "missions/sample-corridor.geojson",
        &["--aircraft", "M3E", "--kmz-height", "wgs84"],
        &dir.path().join("a"),
    );
    assert!(!ok && log.contains("--home"), "{log}");
    let out = dir.path().join("b");
    let (ok, log) = plan(
        "missions/sample-corridor.geojson",
        &[
            "--aircraft",
            "M3E",
            "--kmz-height",
            "wgs84",
            "--home",
            "27.035,106.935,1000",
        ],
        &out,
    );
    assert!(ok, "{log}");
    // One sortie or several (the mission capacity may split the corridor): the first.
    let kmz = &kmzs(&out)
        .into_iter()
        .find(|k| !k.to_string_lossy().ends_with("-dji-mapping.kmz"))
        .unwrap();
    let (template, waylines) = unzip(kmz);
    assert!(validate(&waylines, true).is_empty());
    let p = validate(&template, false);
    assert!(p.is_empty(), "{p:#?}");
    assert!(template.contains("<wpml:heightMode>EGM96</wpml:heightMode>"));
    assert!(waylines.contains("<wpml:executeHeightMode>WGS84</wpml:executeHeightMode>"));
    // The template's first waypoint: EGM96 height and ellipsoid height beside it.
    let doc = roxmltree::Document::parse(&template).unwrap();
    let pm = doc
        .descendants()
        .find(|n| n.tag_name().name() == "Placemark")
        .unwrap();
    let h: f64 = text(pm, "height").unwrap().parse().unwrap();
    let e: f64 = text(pm, "ellipsoidHeight").unwrap().parse().unwrap();
    let (mav0, _) = read_wpl(&kmz.with_extension("waypoints"));
    assert!((h - (1000.0 + mav0[0].2)).abs() < 2e-3, "{h}");
    assert!(e < h - 20.0, "{e} {h}");
    assert!(template.contains("<wpml:takeOffRefPoint>27.035,106.935,"));
    let (wps, _) = read_waylines(&waylines);
    let (mav, _) = read_wpl(&kmz.with_extension("waypoints"));
    for (a, b) in wps.iter().zip(&mav) {
        let n = qly_core::terrain::geoid::egm96_undulation_m(
            qly_core::geodesy::GeoPoint::new(b.1, b.0).unwrap(),
        );
        assert!((a.2 - (1000.0 + b.2 + n)).abs() < 2e-3, "{a:?} {b:?} N {n}");
        // Guizhou: the geoid lies some 30 m below the ellipsoid.
        assert!(n < -20.0, "{n}");
    }
}

#[test]
fn unknown_aircraft_and_wrong_camera_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, log) = plan(
        "missions/sample-corridor.geojson",
        &["--aircraft", "M4E"],
        dir.path(),
    );
    assert!(!ok && log.contains("M3E") && log.contains("M4E"), "{log}");
    let (ok, log) = plan(
        "missions/sample-corridor.geojson",
        &["--aircraft", "M3E", "--camera", "H20"],
        dir.path(),
    );
    assert!(!ok && log.contains("not the camera"), "{log}");
    let (ok, log) = plan(
        "missions/sample-corridor.geojson",
        &["--aircraft", "M3E", "--kmz-takeoff-height", "1"],
        dir.path(),
    );
    assert!(!ok && log.contains("takeOffSecurityHeight"), "{log}");
}

#[test]
fn gdal_reads_both_files_as_kml() {
    if Command::new("ogrinfo").arg("--version").output().is_err() {
        if std::env::var_os("CI").is_some() {
            panic!("ogrinfo is missing under CI");
        }
        eprintln!("skipping: ogrinfo (gdal-bin) is missing");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (ok, log) = plan(
        "missions/sample-area.geojson",
        &["--aircraft", "M3E"],
        dir.path(),
    );
    assert!(ok, "{log}");
    let (template, waylines) = unzip(&dir.path().join("sample-area.kmz"));
    let n = read_waylines(&waylines).0.len();
    for (file, text) in [("template.kml", template), ("waylines.kml", waylines)] {
        // GDAL picks its KML driver by extension: the .wpml is KML under another name.
        let path = dir.path().join(file);
        std::fs::write(&path, text).unwrap();
        let o = Command::new("ogrinfo")
            .args(["-ro", "-al", "-so"])
            .arg(&path)
            .output()
            .unwrap();
        let s = String::from_utf8_lossy(&o.stdout);
        assert!(
            o.status.success(),
            "{file}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(s.contains(&format!("Feature Count: {n}")), "{file}: {s}");
        assert!(s.contains("Extent: (106.9"), "{file}: {s}");
    }
}

#[test]
fn the_validator_passes_real_flighthub_exports_and_catches_faults() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/dji-wpml");
    if !root.exists() {
        eprintln!(
            "skipping the FlightHub 2 fixtures: {} is absent",
            root.display()
        );
    } else {
        for case in [
            "01_fh2_waypoint_m3t_inspection",
            "02_fh2_mapping2d_m3td_terrain_dsm",
        ] {
            for (file, waylines) in [("template.kml", false), ("waylines.wpml", true)] {
                let xml = std::fs::read_to_string(root.join(case).join("wpmz").join(file)).unwrap();
                let p = validate(&xml, waylines);
                assert!(p.is_empty(), "{case}/{file}: {p:#?}");
            }
        }
    }
    // The validator can fail: faults planted in a file of ours.
    let dir = tempfile::tempdir().unwrap();
    let (ok, log) = plan(
        "missions/sample-area.geojson",
        &["--aircraft", "M3E"],
        dir.path(),
    );
    assert!(ok, "{log}");
    let (mapping, _) = unzip(&dir.path().join("sample-area-dji-mapping.kmz"));
    assert!(validate(&mapping, false).is_empty());
    let no_direction = mapping.replace("<wpml:direction>", "<wpml:directionX>");
    let no_direction = no_direction.replace("</wpml:direction>", "</wpml:directionX>");
    let p = validate(&no_direction, false);
    assert!(p.iter().any(|m| m.contains("direction missing")), "{p:#?}");
    let (_, waylines) = unzip(&dir.path().join("sample-area.kmz"));
    for (from, to, expect) in [
        (
            "<wpml:index>1</wpml:index>",
            "<wpml:index>2</wpml:index>",
            "index",
        ),
        (
            "<wpml:takeOffSecurityHeight>20<",
            "<wpml:takeOffSecurityHeight>1<",
            "takeOffSecurityHeight",
        ),
        (
            "<wpml:finishAction>goHome<",
            "<wpml:finishAction>goHomeNow<",
            "finishAction",
        ),
        (
            "<wpml:actionGroupId>1</wpml:actionGroupId>",
            "<wpml:actionGroupId>0</wpml:actionGroupId>",
            "used twice",
        ),
        (
            "<wpml:globalTransitionalSpeed>8<",
            "<wpml:globalTransitionalSpeed>16<",
            "globalTransitionalSpeed",
        ),
    ] {
        let bad = waylines.replacen(from, to, 1);
        assert_ne!(bad, waylines, "{from}");
        let p = validate(&bad, true);
        assert!(p.iter().any(|m| m.contains(expect)), "{expect}: {p:#?}");
    }
}
