//! Writes preview crops of targets for a person to look at (ignored by default):
//! `QLY_PREVIEW_DIR=/tmp/preview cargo test --release -p sim --test world_preview -- --ignored`

use std::path::PathBuf;

use qly_core::camera::CameraDatabase;
use qly_core::geotag::CameraPose;
use qly_core::intrinsics::CameraIntrinsics;
use qly_core::pose::AmslPosition;
use qly_core::rotation::Quat;
use sim::render::dataset::gimbal_mount;
use sim::render::{render, RenderOptions};
use sim::world::{Corridor, World, WorldConfig};

#[test]
#[ignore]
fn preview_targets() {
    let dir = PathBuf::from(std::env::var("QLY_PREVIEW_DIR").unwrap_or("/tmp/preview".into()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = include_str!("../../missions/sample-corridor.geojson");
    let corridor = Corridor::from_geojson(text, "sample").unwrap();
    let world = World::new(&corridor, WorldConfig::new(1)).unwrap();
    let spec = CameraDatabase::builtin()
        .find("Qianliyan sim 2048x1536")
        .unwrap()
        .clone();
    let full = CameraIntrinsics::from_spec(&spec).unwrap();
    // A 640 x 480 crop of the full camera around its centre.
    let cam = CameraIntrinsics::new(
        640,
        480,
        full.fx_px,
        full.fy_px,
        320.0,
        240.0,
        full.distortion,
    )
    .unwrap();
    let alt: f64 = std::env::var("QLY_PREVIEW_ALT")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(80.0);
    let mut k = 0;
    for (what, pos) in world
        .outfalls()
        .iter()
        .map(|o| (o.id.clone(), o.position))
        .take(4)
        .chain(
            world
                .plumes()
                .iter()
                .map(|p| (p.id.clone(), p.position))
                .take(6),
        )
    {
        let g = world.to_geo(pos.0, pos.1);
        let pose = CameraPose {
            position: AmslPosition::new(g.lat_deg, g.lon_deg, alt).unwrap(),
            q_ned_body: Quat::IDENTITY,
            mount: gimbal_mount(0.0),
        };
        let img = render(&world, &cam, &pose, &RenderOptions::default()).unwrap();
        std::fs::write(dir.join(format!("{what}.png")), img.to_png()).unwrap();
        k += 1;
    }
    assert!(k > 0);
}

#[test]
#[ignore]
fn debug_plume_one() {
    let text = include_str!("../../missions/sample-corridor.geojson");
    let corridor = Corridor::from_geojson(text, "sample").unwrap();
    let world = World::new(&corridor, WorldConfig::new(1)).unwrap();
    let bare = world.without_targets();
    let p = &world.plumes()[0];
    eprintln!("{p:?}");
    for x in [0.5, 2.0, 5.0, 10.0, 20.0, 40.0] {
        for y in [0.5, 1.5, 3.0] {
            let (e, n) = world.river_point(p.s_m + x, 0.0);
            let _ = (e, n);
            let t = world.river_tangent(p.s_m + x);
            // bank point: from the source position moved downstream along the tangent and inward
            let (e, n) = (
                p.position.0 + t.0 * x + p.side * t.1 * y,
                p.position.1 + t.1 * x - p.side * t.0 * y,
            );
            eprintln!(
                "x {x} y {y}: {:?} vs {:?}",
                world.sample(e, n, 0.05).rgb,
                bare.sample(e, n, 0.05).rgb
            );
        }
    }
}
