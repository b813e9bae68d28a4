//! Time to render one frame of the sample corridor's world with the simulator camera
//! (2048 x 1536, "Qianliyan sim 2048x1536"), nadir at 80 m over a target, at 1 and 2x2
//! samples per pixel; and the world's construction.
//!
//! `cargo bench -p sim --bench render`

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use qly_core::camera::CameraDatabase;
use qly_core::geotag::CameraPose;
use qly_core::intrinsics::CameraIntrinsics;
use qly_core::pose::AmslPosition;
use qly_core::rotation::Quat;
use sim::render::dataset::gimbal_mount;
use sim::render::{render, RenderOptions};
use sim::world::{Corridor, World, WorldConfig};

fn bench(c: &mut Criterion) {
    let text = include_str!("../../missions/sample-corridor.geojson");
    let corridor =
        Corridor::from_geojson(text, "sample-corridor.geojson").expect("sample corridor");
    let world = World::new(&corridor, WorldConfig::new(1)).expect("world");
    let spec = CameraDatabase::builtin()
        .find("Qianliyan sim 2048x1536")
        .expect("camera")
        .clone();
    let cam = CameraIntrinsics::from_spec(&spec).expect("intrinsics");
    let p = world.plumes()[0].position;
    let g = world.to_geo(p.0, p.1);
    let pose = CameraPose {
        position: AmslPosition::new(g.lat_deg, g.lon_deg, 80.0).expect("position"),
        q_ned_body: Quat::from_ypr_deg(30.0, 0.0, 0.0),
        mount: gimbal_mount(0.0),
    };
    let mut group = c.benchmark_group("render");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    for n in [1, 2] {
        let opts = RenderOptions {
            samples_per_axis: n,
            ..RenderOptions::default()
        };
        group.bench_function(format!("2048x1536_80m_{n}x{n}spp"), |b| {
            b.iter(|| black_box(render(&world, &cam, &pose, &opts).expect("render")))
        });
    }
    let img = render(&world, &cam, &pose, &RenderOptions::default()).expect("render");
    group.bench_function("jpeg_q90_2048x1536", |b| {
        b.iter(|| black_box(img.to_jpeg(90).expect("jpeg")))
    });
    group.bench_function("world_build_8km", |b| {
        b.iter(|| black_box(World::new(&corridor, WorldConfig::new(1)).expect("world")))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
