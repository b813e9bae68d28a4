//! The simulated world and its renderer: determinism, agreement with core's geotagger,
//! labels on the targets, and the `sim dataset` command.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use qly_core::geodesy::GeoPoint;
use qly_core::geotag::{geotag, CameraPose, Uncertainty};
use qly_core::intrinsics::{BrownConrady, CameraIntrinsics};
use qly_core::pose::AmslPosition;
use qly_core::rotation::Quat;
use sim::render::dataset::gimbal_mount;
use sim::render::labels::{labels, LabelRules, PlumeBox};
use sim::render::{render, Image, RenderOptions};
use sim::world::{Corridor, Marker, TargetClass, World, WorldConfig};

/// A 1.5 km river meandering north-east near Kaiyang, 60 m wide.
fn corridor() -> Corridor {
    let origin = GeoPoint::new(27.035, 106.935).unwrap();
    let line = (0..=30)
        .map(|i| {
            let s = i as f64 * 50.0;
            let lateral = 40.0 * (s / 250.0).sin();
            let (e, n) = (s * 0.6 + lateral * 0.8, s * 0.8 - lateral * 0.6);
            let bearing = e.atan2(n).to_degrees();
            origin.destination(bearing, e.hypot(n))
        })
        .collect();
    Corridor::new(line, 60.0).unwrap()
}

fn world(seed: u64) -> World {
    let mut cfg = WorldConfig::new(seed);
    cfg.ground_amsl_m = 1000.0;
    cfg.targets.mean_spacing_m = 60.0;
    World::new(&corridor(), cfg).unwrap()
}

/// The simulator camera's optics on a small sensor patch (same pixel pitch, fewer pixels),
/// so debug-build tests render quickly.
fn small_camera(width: u32, height: u32, distortion: BrownConrady) -> CameraIntrinsics {
    let f = 4.5 * 2048.0 / 6.17;
    CameraIntrinsics::new(
        width,
        height,
        f,
        f,
        width as f64 / 2.0,
        height as f64 / 2.0,
        distortion,
    )
    .unwrap()
}

fn pose_over(
    w: &World,
    east_m: f64,
    north_m: f64,
    height_m: f64,
    yaw_deg: f64,
    tilt_deg: f64,
) -> CameraPose {
    let g = w.to_geo(east_m, north_m);
    CameraPose {
        position: AmslPosition::new(g.lat_deg, g.lon_deg, w.ground_amsl_m() + height_m).unwrap(),
        q_ned_body: Quat::from_ypr_deg(yaw_deg, 1.5, -2.0),
        mount: gimbal_mount(tilt_deg),
    }
}

fn clean() -> RenderOptions {
    RenderOptions {
        samples_per_axis: 1,
        vignetting: 0.0,
        noise_sigma: 0.0,
        glint: false,
        ..RenderOptions::default()
    }
}

fn hash(img: &Image) -> u64 {
    let mut h = DefaultHasher::new();
    img.rgb.hash(&mut h);
    h.finish()
}

#[test]
fn same_seed_same_world_and_pixels_different_seed_different() {
    let (a, b, c) = (world(7), world(7), world(8));
    assert_eq!(a.truth_geojson(), b.truth_geojson());
    assert_ne!(a.truth_geojson(), c.truth_geojson());
    assert!(!a.outfalls().is_empty() && !a.plumes().is_empty());
    let o = a.outfalls()[0].position;
    let cam = small_camera(160, 120, BrownConrady::NONE);
    let opts = RenderOptions {
        samples_per_axis: 2,
        seed: 3,
        ..RenderOptions::default()
    };
    let pose = pose_over(&a, o.0, o.1, 60.0, 30.0, 0.0);
    let (ia, ib) = (
        render(&a, &cam, &pose, &opts).unwrap(),
        render(&b, &cam, &pose, &opts).unwrap(),
    );
    assert_eq!(hash(&ia), hash(&ib));
    assert_eq!(ia, ib);
    let ic = render(&c, &cam, &pose, &opts).unwrap();
    assert_ne!(hash(&ia), hash(&ic));
    let differing = ia.rgb.iter().zip(&ic.rgb).filter(|(x, y)| x != y).count();
    assert!(
        differing > ia.rgb.len() / 4,
        "only {differing} bytes differ"
    );
    // The sensor noise seed changes pixels but not the scene.
    let id = render(&a, &cam, &pose, &RenderOptions { seed: 4, ..opts }).unwrap();
    assert_ne!(ia, id);
    // colour_at is a pure function of the seed and the point.
    for k in 0..200 {
        let (e, n) = (o.0 + k as f64 * 0.37 - 30.0, o.1 + k as f64 * 0.21 - 20.0);
        assert_eq!(a.colour_at(e, n), b.colour_at(e, n));
    }
}

/// The centroid of the magenta marker's pixels, weighted by how magenta they are (so the
/// anti-aliased edge counts in proportion to its coverage).
fn marker_centroid(img: &Image) -> (f64, f64, f64) {
    let (mut sw, mut su, mut sv) = (0.0, 0.0, 0.0);
    for y in 0..img.height {
        for x in 0..img.width {
            let [r, g, b] = img.pixel(x, y);
            let m = (r.min(b) as f64 - g as f64).max(0.0);
            if m > 20.0 {
                sw += m;
                su += m * (x as f64 + 0.5);
                sv += m * (y as f64 + 0.5);
            }
        }
    }
    assert!(sw > 0.0, "no marker pixels");
    (su / sw, sv / sw, sw / 255.0)
}

fn geotag_marker(tilt_deg: f64, distortion: BrownConrady, offset_px: (f64, f64)) -> f64 {
    // A marker on a field beside the river.
    let base = world(3);
    let (e0, n0) = base.river_point(700.0, 70.0);
    let mut cfg = base.config().clone();
    cfg.markers = vec![Marker {
        east_m: e0,
        north_m: n0,
        radius_m: 0.4,
    }];
    let w = World::new(base.corridor(), cfg).unwrap();
    let cam = small_camera(320, 240, distortion);
    let height = 80.0;
    // Put the camera so that the marker images near `offset_px` from the centre: aim the
    // optical axis at a ground point displaced from the marker.
    let yaw: f64 = 35.0;
    let back = height * tilt_deg.to_radians().tan();
    let gsd = height / cam.fx_px;
    let (fe, fn_) = (yaw.to_radians().sin(), yaw.to_radians().cos());
    let (re, rn) = (fn_, -fe);
    let aim = (
        e0 - re * offset_px.0 * gsd + fe * offset_px.1 * gsd,
        n0 - rn * offset_px.0 * gsd + fn_ * offset_px.1 * gsd,
    );
    let pose = pose_over(
        &w,
        aim.0 - fe * back,
        aim.1 - fn_ * back,
        height,
        yaw,
        tilt_deg,
    );
    let img = render(&w, &cam, &pose, &clean()).unwrap();
    let (u, v, area_px) = marker_centroid(&img);
    assert!(area_px > 20.0, "marker too small: {area_px} px");
    let g = geotag((u, v), &cam, &pose, &w, &Uncertainty::default()).unwrap();
    let truth = w.to_geo(e0, n0);
    g.point.distance_m(truth)
}

#[test]
fn renderer_agrees_with_the_geotagger_at_nadir() {
    let barrel = BrownConrady {
        k1: -0.11,
        k2: 0.02,
        k3: 0.0,
        p1: 3e-4,
        p2: -2e-4,
    };
    for (distortion, offset) in [
        (BrownConrady::NONE, (0.0, 0.0)),
        (barrel, (110.0, 80.0)),
        (barrel, (-120.0, 60.0)),
    ] {
        let err = geotag_marker(0.0, distortion, offset);
        println!(
            "nadir, offset {offset:?} px: geotag error {:.1} mm",
            err * 1e3
        );
        assert!(err < 0.02, "nadir, offset {offset:?}: {err} m");
    }
}

#[test]
fn renderer_agrees_with_the_geotagger_at_20_degrees_tilt() {
    for offset in [(0.0, 0.0), (100.0, -70.0)] {
        let err = geotag_marker(20.0, BrownConrady::NONE, offset);
        println!(
            "20 degrees, offset {offset:?} px: geotag error {:.1} mm",
            err * 1e3
        );
        assert!(err < 0.05, "20 degrees, offset {offset:?}: {err} m");
    }
}

#[test]
fn labels_fall_on_the_targets() {
    let w = world(5);
    let bare = w.without_targets();
    let cam = small_camera(400, 300, BrownConrady::NONE);
    // The whole plume is boxed here so that every pixel a target changes can be checked.
    let rules = LabelRules {
        min_box_px: 1.0,
        min_visible: 0.0,
        plume_box: PlumeBox::Extent,
    };
    let mut checked = [0usize; 2];
    for p in w.plumes().iter().take(4) {
        let pose = pose_over(&w, p.position.0, p.position.1, 70.0, 20.0, 0.0);
        let with = render(&w, &cam, &pose, &clean()).unwrap();
        let without = render(&bare, &cam, &pose, &clean()).unwrap();
        let ls = labels(&w, &cam, &pose, &rules).unwrap();
        let mine = ls
            .iter()
            .find(|l| l.id == p.id)
            .expect("the plume below is labelled");
        let (tu, tv) = mine.truth_px;
        assert!(
            (tu - 200.0).abs() < 2.0 && (tv - 150.0).abs() < 2.0,
            "{tu},{tv}"
        );
        // Pixels the targets change, and how many fall inside a label box (2 px margin).
        let (mut changed, mut inside) = (0, 0);
        for y in 0..with.height {
            for x in 0..with.width {
                let (a, b) = (with.pixel(x, y), without.pixel(x, y));
                let diff: i32 = (0..3).map(|c| (a[c] as i32 - b[c] as i32).abs()).sum();
                if diff > 30 {
                    changed += 1;
                    let (u, v) = (x as f64 + 0.5, y as f64 + 0.5);
                    if ls.iter().any(|l| {
                        u > l.x_min - 2.0
                            && u < l.x_max + 2.0
                            && v > l.y_min - 2.0
                            && v < l.y_max + 2.0
                    }) {
                        inside += 1;
                    }
                }
            }
        }
        assert!(
            changed > 30,
            "{}: targets change only {changed} pixels",
            p.id
        );
        assert!(
            inside as f64 >= 0.95 * changed as f64,
            "{}: {inside} of {changed} changed pixels inside label boxes",
            p.id
        );
        // Every box holds pixels its target changed.
        for l in &ls {
            let mut n = 0;
            for y in l.y_min as u32..(l.y_max.ceil() as u32).min(with.height) {
                for x in l.x_min as u32..(l.x_max.ceil() as u32).min(with.width) {
                    if with.pixel(x, y) != without.pixel(x, y) {
                        n += 1;
                    }
                }
            }
            assert!(n > 0, "{}: box {l:?} holds no target pixels", l.id);
            checked[l.class.yolo_id() as usize] += 1;
            // The YOLO line is normalised and inside the image.
            let parts: Vec<f64> = l
                .yolo_line(cam.width_px, cam.height_px)
                .split(' ')
                .skip(1)
                .map(|s| s.parse().unwrap())
                .collect();
            assert!(parts.iter().all(|v| (0.0..=1.0).contains(v)), "{parts:?}");
        }
    }
    assert!(
        checked[0] > 0 && checked[1] > 0,
        "checked {checked:?} (outfalls, plumes)"
    );
    assert_eq!(TargetClass::Outfall.yolo_id(), 0);
    assert_eq!(TargetClass::Plume.yolo_id(), 1);
}

#[test]
fn a_plume_source_box_is_centred_on_the_source_and_holds_the_plume_head() {
    let w = world(5);
    let bare = w.without_targets();
    let cam = small_camera(600, 500, BrownConrady::NONE);
    let rules = LabelRules::default();
    let PlumeBox::Source { side_m } = rules.plume_box else {
        panic!("the default plume box is the source square");
    };
    for p in w.plumes().iter().take(4) {
        // Nadir from 70 m, the source off the image centre so the projection is not trivial.
        let pose = pose_over(&w, p.position.0 + 3.0, p.position.1 - 2.0, 70.0, 0.0, 0.0);
        let with = render(&w, &cam, &pose, &clean()).unwrap();
        let without = render(&bare, &cam, &pose, &clean()).unwrap();
        let ls = labels(&w, &cam, &pose, &rules).unwrap();
        let l = ls
            .iter()
            .find(|l| l.id == p.id)
            .expect("the plume's source is in view");
        let (tu, tv) = l.truth_px;
        let (cu, cv) = ((l.x_min + l.x_max) / 2.0, (l.y_min + l.y_max) / 2.0);
        let (bw, bh) = (l.x_max - l.x_min, l.y_max - l.y_min);
        // A square of ground bent with the bank: its box is centred on the source within a
        // tenth of its size, and about side_m across (the bend and rotation widen it).
        assert!(
            (cu - tu).abs() < 0.1 * bw && (cv - tv).abs() < 0.1 * bh,
            "{}: box centre ({cu:.1}, {cv:.1}) vs source ({tu:.1}, {tv:.1}), box {bw:.1}x{bh:.1}",
            p.id
        );
        let side_px = side_m * cam.fx_px / 70.0;
        assert!(
            bw.max(bh) > 0.95 * side_px && bw.max(bh) < 1.6 * side_px,
            "{}: box {bw:.1}x{bh:.1} px for an {side_m} m square ({side_px:.1} px)",
            p.id
        );
        // The plume changes pixels inside the box: the head is in it.
        let mut n = 0;
        for y in l.y_min as u32..(l.y_max.ceil() as u32).min(with.height) {
            for x in l.x_min as u32..(l.x_max.ceil() as u32).min(with.width) {
                let (a, b) = (with.pixel(x, y), without.pixel(x, y));
                let diff: i32 = (0..3).map(|c| (a[c] as i32 - b[c] as i32).abs()).sum();
                if diff > 30 {
                    n += 1;
                }
            }
        }
        assert!(
            n > 20,
            "{}: only {n} changed pixels in its source box",
            p.id
        );
    }
}

#[test]
fn outfall_mouth_is_dark_at_its_truth_point() {
    let w = world(11);
    let cam = small_camera(200, 150, BrownConrady::NONE);
    for o in w.outfalls().iter().take(5) {
        let pose = pose_over(&w, o.position.0, o.position.1, 40.0, 0.0, 0.0);
        let img = render(&w, &cam, &pose, &clean()).unwrap();
        // The image centre is the mouth: the darkest pixels of the frame are there.
        let [r, g, b] = img.pixel(100, 75);
        assert!(
            (r as u32 + g as u32 + b as u32) < 90,
            "{}: centre {r},{g},{b}",
            o.id
        );
    }
}

#[test]
fn truth_is_geojson_points_with_the_class_names() {
    let w = world(2);
    let doc: serde_json::Value = serde_json::from_str(&w.truth_geojson()).unwrap();
    assert_eq!(doc["type"], "FeatureCollection");
    let features = doc["features"].as_array().unwrap();
    assert_eq!(features.len(), w.outfalls().len() + w.plumes().len());
    for f in features {
        assert_eq!(f["geometry"]["type"], "Point");
        let class = f["properties"]["class"].as_str().unwrap();
        assert!(class == "outfall" || class == "plume", "{class}");
        assert!(f["properties"]["id"].as_str().is_some());
        if class == "plume" {
            assert_eq!(f["properties"]["source"], f["geometry"]["coordinates"]);
            assert!(f["properties"]["extent"]["length_m"].as_f64().unwrap() > 1.0);
        }
    }
    // Every truth point is on the river's waterline (within a pipe radius).
    for p in w.plumes() {
        let g = w.to_geo(p.position.0, p.position.1);
        let back = w.to_plane(g);
        assert!((back.0 - p.position.0).abs() < 1e-3 && (back.1 - p.position.1).abs() < 1e-3);
    }
}

/// `--style river-b` draws the same world (same targets and ground truth) with other colours
/// and light: the frame changes a lot, warmer and yellower, and is as deterministic per seed
/// as the default style.
#[test]
fn the_river_b_style_changes_the_frames_not_the_world() {
    let a = world(7);
    let style_b = |seed| {
        let mut cfg = WorldConfig::new(seed);
        cfg.ground_amsl_m = 1000.0;
        cfg.targets.mean_spacing_m = 60.0;
        cfg.style = sim::world::style::Style::RiverB;
        World::new(&corridor(), cfg).unwrap()
    };
    let (b, b2) = (style_b(7), style_b(7));
    // The same targets; the truth's properties say the style and the sun.
    let features = |w: &World| {
        let v: serde_json::Value = serde_json::from_str(&w.truth_geojson()).unwrap();
        (v["features"].clone(), v["properties"]["style"].clone())
    };
    let (fa, sa) = features(&a);
    let (fb, sb) = features(&b);
    assert_eq!(fa, fb);
    assert_eq!(
        (sa.as_str(), sb.as_str()),
        (Some("river-a"), Some("river-b"))
    );
    assert!((18.0..=32.0).contains(&b.sun().elevation_deg));
    assert!((40.0..=75.0).contains(&a.sun().elevation_deg));
    let o = a.outfalls()[0].position;
    let cam = small_camera(160, 120, BrownConrady::NONE);
    let pose = pose_over(&a, o.0, o.1, 60.0, 30.0, 0.0);
    let opts = RenderOptions {
        seed: 3,
        ..RenderOptions::default()
    };
    let ia = render(&a, &cam, &pose, &opts).unwrap();
    let ib = render(&b, &cam, &pose, &opts).unwrap();
    assert_eq!(ib, render(&b2, &cam, &pose, &opts).unwrap());
    let differing = ia
        .rgb
        .iter()
        .zip(&ib.rgb)
        .filter(|(x, y)| x.abs_diff(**y) > 8)
        .count();
    assert!(
        differing > ia.rgb.len() / 2,
        "only {differing} of {} bytes differ by more than 8 levels",
        ia.rgb.len()
    );
    let mean = |img: &Image, ch: usize| {
        img.rgb
            .iter()
            .skip(ch)
            .step_by(3)
            .map(|&v| f64::from(v))
            .sum::<f64>()
            / (img.rgb.len() / 3) as f64
    };
    // Warmer: red over blue grows by more than 20 levels.
    let warmth = |img: &Image| mean(img, 0) - mean(img, 2);
    assert!(
        warmth(&ib) > warmth(&ia) + 20.0,
        "red - blue: river-a {:.1}, river-b {:.1}",
        warmth(&ia),
        warmth(&ib)
    );
}
