//! The simulated world on relief: agreement with the planner's sample DEM, the river on the
//! valley floor, truth heights, the renderer's ray/terrain intersection, the DEM export, and
//! the slope geotagging figure (flat ground vs the valley as terrain).

use std::path::PathBuf;

use qly_core::geodesy::GeoPoint;
use qly_core::geotag::{geotag, CameraPose, Uncertainty};
use qly_core::intrinsics::{BrownConrady, CameraIntrinsics};
use qly_core::pose::AmslPosition;
use qly_core::rotation::Quat;
use qly_core::terrain::{
    read_dem_file, write_dem_file, DatumChoice, FlatGround, SyntheticValley, Terrain, ValleySpec,
};
use sim::render::dataset::gimbal_mount;
use sim::render::{render, FrameGeometry, RenderOptions};
use sim::world::{Corridor, World, WorldConfig};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn sample_corridor() -> Corridor {
    let path = repo().join("missions/sample-corridor.geojson");
    let text = std::fs::read_to_string(&path).unwrap();
    Corridor::from_geojson(&text, &path.display().to_string()).unwrap()
}

/// The world of the sample corridor's vertices 50 to 130 (about 3.3 km from 2 km along the
/// river, through the cascade; short for debug-build speed)
/// standing on the default synthetic valley of the whole corridor (the relief of
/// `sim --corridor missions/sample-corridor.geojson --terrain valley` and of
/// missions/sample-corridor-dem.tif), with a smaller margin.
fn valley_world() -> (World, SyntheticValley) {
    let corridor = sample_corridor();
    let valley = SyntheticValley::new(&corridor.centreline, ValleySpec::default()).unwrap();
    let part = Corridor::new(corridor.centreline[50..130].to_vec(), corridor.width_m).unwrap();
    let mut cfg = WorldConfig::new(1);
    cfg.targets.mean_spacing_m = 100.0;
    let world = World::new(&part, cfg)
        .unwrap()
        .with_relief(&valley, "valley", 250.0, 2.0)
        .unwrap();
    (world, valley)
}

fn small_camera(width: u32, height: u32) -> CameraIntrinsics {
    let f = 4.5 * 2048.0 / 6.17;
    CameraIntrinsics::new(
        width,
        height,
        f,
        f,
        width as f64 / 2.0,
        height as f64 / 2.0,
        BrownConrady::NONE,
    )
    .unwrap()
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

#[test]
fn valley_world_agrees_with_the_sample_dem_and_keeps_the_river_on_the_floor() {
    let (world, valley) = valley_world();
    let dem = read_dem_file(
        &repo().join("missions/sample-corridor-dem.tif"),
        DatumChoice::FromFile,
    )
    .unwrap();
    let grid = world.relief().unwrap();
    let ((e0, n0), (e1, n1)) = grid.bounds();
    // The DEM's cell centres are exact samples of the valley: the world must agree there.
    let g = *dem.georef();
    let mut diffs = Vec::new();
    for r in (0..dem.grid().rows).step_by(3) {
        for c in (0..dem.grid().cols).step_by(3) {
            let p = GeoPoint {
                lat_deg: g.north_lat_deg - (r as f64 + 0.5) * g.lat_step_deg,
                lon_deg: g.west_lon_deg + (c as f64 + 0.5) * g.lon_step_deg,
            };
            let (e, n) = world.to_plane(p);
            if e < e0 || e > e1 || n < n0 || n > n1 {
                continue;
            }
            let want = f64::from(dem.grid().get(c, r).unwrap());
            diffs.push((world.height_amsl_at(e, n) - want).abs());
        }
    }
    // The valley's floor height follows the distance along the nearest centreline point,
    // which jumps across the medial line between two arms of a meander: a small cliff
    // there, which no grid interpolates. Away from those lines, grid and DEM agree.
    let count = diffs.len();
    let over = diffs.iter().filter(|&&d| d > 0.1).count();
    let p99 = {
        diffs.sort_by(f64::total_cmp);
        diffs[count * 99 / 100]
    };
    println!(
        "world vs sample DEM at {count} cell centres: 99th percentile {p99:.4} m, {over} over 0.1 m, worst {:.3} m",
        diffs[count - 1]
    );
    assert!(count > 1000, "{count}");
    assert!(
        p99 < 0.1,
        "world and DEM differ by {p99} m at the 99th percentile"
    );
    assert!(over * 100 < count, "{over} of {count} over 0.1 m");

    // The river runs on the valley floor: both water edges within 0.5 m of the centre,
    // and the water falls downstream.
    let mut prev = f64::INFINITY;
    let mut worst_edge = 0.0f64;
    let mut s = 0.0;
    while s < world.river_length_m() {
        let c = world.river_point(s, 0.0);
        let hc = world.height_amsl_at(c.0, c.1);
        for d in [-22.0, 22.0] {
            let p = world.river_point(s, d);
            worst_edge = worst_edge.max((world.height_amsl_at(p.0, p.1) - hc).abs());
        }
        assert!(
            hc <= prev + 0.05,
            "river climbs at {s} m: {hc} after {prev}"
        );
        prev = hc;
        s += 50.0;
    }
    println!("water edge vs centre: worst {worst_edge:.3} m");
    assert!(worst_edge < 0.5, "{worst_edge}");
    // The valley itself (not the grid) agrees with the grid to a centimetre or two.
    // (Within 200 m of the river, away from the medial lines of the meanders.)
    let mut close = 0;
    for k in 0..40 {
        let s = world.river_length_m() * k as f64 / 40.0;
        let (e, n) = world.river_point(s, -200.0 + 10.0 * k as f64);
        let h = valley.height_amsl_m(world.to_geo(e, n)).unwrap();
        close += usize::from((world.height_amsl_at(e, n) - h).abs() < 0.05);
    }
    assert!(close >= 38, "{close} of 40 within 5 cm");

    // Truth carries each target's ground height.
    let truth: serde_json::Value = serde_json::from_str(&world.truth_geojson()).unwrap();
    let features = truth["features"].as_array().unwrap();
    assert!(!features.is_empty());
    for f in features {
        let c = &f["geometry"]["coordinates"];
        let p = GeoPoint::new(c[1].as_f64().unwrap(), c[0].as_f64().unwrap()).unwrap();
        let h = f["properties"]["height_amsl_m"].as_f64().unwrap();
        let want = world.height_amsl_m(p).unwrap();
        assert!((h - want).abs() < 0.01, "{h} vs {want}");
        assert!((790.0..910.0).contains(&h), "{h}");
    }
    assert_eq!(world.constant_height_amsl_m(), None);
}

/// A camera `height_m` above the ground, on the river side opposite `target`, looking
/// `tilt_deg` from nadir across the river at `target` and the slope behind it.
fn pose_looking_at(
    world: &World,
    target: (f64, f64),
    side: f64,
    s_m: f64,
    tilt_deg: f64,
) -> CameraPose {
    let t = world.river_tangent(s_m);
    // Towards the target's bank.
    let (ue, un) = (-t.1 * side, t.0 * side);
    let height_m = 100.0;
    // Aim the optical axis 3 m beyond the target, at the foot of the slope behind it.
    let aim = (target.0 + 3.0 * ue, target.1 + 3.0 * un);
    let back = height_m * tilt_deg.to_radians().tan();
    let cam = (aim.0 - back * ue, aim.1 - back * un);
    let g = world.to_geo(cam.0, cam.1);
    CameraPose {
        position: AmslPosition::new(
            g.lat_deg,
            g.lon_deg,
            world.height_amsl_at(aim.0, aim.1) + height_m,
        )
        .unwrap(),
        q_ned_body: Quat::from_ypr_deg(ue.atan2(un).to_degrees(), 1.0, -1.5),
        mount: gimbal_mount(tilt_deg),
    }
}

#[test]
fn renderer_rays_meet_the_relief_where_ray_to_points() {
    let (world, _) = valley_world();
    let o = world.outfalls()[world.outfalls().len() / 2].clone();
    let pose = pose_looking_at(&world, o.position, o.side, o.s_m, 18.0);
    let geo = FrameGeometry::new(&world, &pose).unwrap();
    let t = world.river_tangent(o.s_m);
    for k in 0..40 {
        // Points from the target up the slope behind it and along the river.
        let up = 2.0 * k as f64;
        let along = (k % 9) as f64 * 6.0 - 24.0;
        let (ue, un) = (-t.1 * o.side, t.0 * o.side);
        let p = (
            o.position.0 + up * ue + along * t.0,
            o.position.1 + up * un + along * t.1,
        );
        let ((e, n), range, _) = geo.ground_hit(geo.ray_to(p.0, p.1)).unwrap();
        let miss = (e - p.0).hypot(n - p.1);
        assert!(miss < 0.05, "point {k}: {miss} m off at {range} m range");
    }
}

#[test]
fn write_dem_export_reads_back_as_the_world() {
    let (world, _) = valley_world();
    let grid = world.relief().unwrap();
    let dem = grid
        .to_dem("exported.tif", world.frame(), 0.5 / 3600.0)
        .unwrap();
    let dir = std::env::temp_dir().join(format!("qly-valley-dem-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("exported.tif");
    write_dem_file(&path, dem.grid(), dem.georef(), dem.vertical_datum()).unwrap();
    let back = read_dem_file(&path, DatumChoice::FromFile).unwrap();
    let g = *back.georef();
    for (r, c) in [
        (10, 10),
        (100, 37),
        (back.grid().rows - 5, back.grid().cols / 2),
    ] {
        let p = GeoPoint {
            lat_deg: g.north_lat_deg - (r as f64 + 0.5) * g.lat_step_deg,
            lon_deg: g.west_lon_deg + (c as f64 + 0.5) * g.lon_step_deg,
        };
        let h = f64::from(back.grid().get(c, r).unwrap());
        assert!((h - world.height_amsl_m(p).unwrap()).abs() < 0.01);
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// The figure: geotagging error on slopes, flat ground at the take-off height vs the valley.
/// `cargo test -p sim --test world_terrain slope -- --nocapture` prints the table.
#[test]
fn slope_geotag_error_flat_vs_valley() {
    let (world, valley) = valley_world();
    let home = world.corridor().centreline[0];
    let takeoff_amsl_m = world.height_amsl_m(home).unwrap();
    let flat = FlatGround {
        height_amsl_m: takeoff_amsl_m,
    };
    let cam = small_camera(320, 240);
    let opts = RenderOptions {
        samples_per_axis: 1,
        vignetting: 0.0,
        noise_sigma: 0.0,
        glint: false,
        ..RenderOptions::default()
    };
    let (mut flat_err, mut valley_err) = (Vec::new(), Vec::new());
    let mut rendered = 0;
    for (k, o) in world.outfalls().iter().enumerate() {
        let tilt = 15.0 + 5.0 * (k % 2) as f64;
        let pose = pose_looking_at(&world, o.position, o.side, o.s_m, tilt);
        let geo = FrameGeometry::new(&world, &pose).unwrap();
        let Ok((u, v)) = cam.ray_to_pixel(geo.ray_to(o.position.0, o.position.1)) else {
            continue;
        };
        if !(0.0..cam.width_px as f64).contains(&u) || !(0.0..cam.height_px as f64).contains(&v) {
            continue;
        }
        // Render every fourth frame: the outfall must show at its true pixel.
        if k % 4 == 0 {
            let with = render(&world, &cam, &pose, &opts).unwrap();
            let without = render(&world.without_targets(), &cam, &pose, &opts).unwrap();
            let (x, y) = (u as u32, v as u32);
            let mut changed = 0;
            for yy in y.saturating_sub(3)..(y + 4).min(cam.height_px) {
                for xx in x.saturating_sub(3)..(x + 4).min(cam.width_px) {
                    changed += usize::from(with.pixel(xx, yy) != without.pixel(xx, yy));
                }
            }
            assert!(
                changed > 0,
                "outfall {} not drawn at its pixel ({u:.1}, {v:.1})",
                o.id
            );
            rendered += 1;
        }
        let truth = world.to_geo(o.position.0, o.position.1);
        let none = Uncertainty::default();
        let gf = geotag((u, v), &cam, &pose, &flat, &none).unwrap();
        let gv = geotag((u, v), &cam, &pose, &valley, &none).unwrap();
        flat_err.push(gf.point.distance_m(truth));
        valley_err.push(gv.point.distance_m(truth));
    }
    let n = flat_err.len();
    assert!(n >= 10, "only {n} outfalls in view");
    assert!(rendered >= 3);
    let max = |v: &[f64]| v.iter().copied().fold(0.0, f64::max);
    let (fmax, vmax) = (max(&flat_err), max(&valley_err));
    let (fmed, vmed) = (median(&mut flat_err), median(&mut valley_err));
    println!(
        "slope geotag, {n} outfalls, camera 100 m above the aim point, tilt 15-20 deg, take-off at {takeoff_amsl_m:.1} m AMSL:"
    );
    println!("  flat ground at take-off height: median {fmed:.2} m, max {fmax:.2} m");
    println!(
        "  valley as terrain:              median {:.3} m, max {:.3} m",
        vmed, vmax
    );
    assert!(
        fmed > 1.0 && fmax > 5.0,
        "flat ground should be metres off: {fmed}, {fmax}"
    );
    assert!(
        vmax < 0.15,
        "terrain geotag should be centimetres off: {vmax}"
    );
}

#[test]
fn sample_dem_is_the_default_valley_of_the_sample_corridor() {
    let corridor = sample_corridor();
    let valley = SyntheticValley::new(&corridor.centreline, ValleySpec::default()).unwrap();
    let dem = read_dem_file(
        &repo().join("missions/sample-corridor-dem.tif"),
        DatumChoice::FromFile,
    )
    .unwrap();
    let g = *dem.georef();
    let mut worst = (0.0f64, 0, 0);
    for r in (0..dem.grid().rows).step_by(13) {
        for c in (0..dem.grid().cols).step_by(13) {
            let p = GeoPoint {
                lat_deg: g.north_lat_deg - (r as f64 + 0.5) * g.lat_step_deg,
                lon_deg: g.west_lon_deg + (c as f64 + 0.5) * g.lon_step_deg,
            };
            let d =
                (valley.height_amsl_m(p).unwrap() - f64::from(dem.grid().get(c, r).unwrap())).abs();
            if d > worst.0 {
                worst = (d, r, c);
            }
        }
    }
    println!(
        "valley vs sample DEM: worst {worst:?} of {}x{}",
        dem.grid().rows,
        dem.grid().cols
    );
    assert!(worst.0 < 0.01, "{worst:?}");
}
