//! Frames delivered to the companion: the service in process, a photo, its CAMERA_FEEDBACK
//! index, and the JPEG that appears as `<index>.jpg`; the gimbal status it streams; and the
//! `sim dataset` command end to end.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use mavlink::MavHeader;
use qly_core::geodesy::GeoPoint;
use qly_core::geotag::CameraMount;
use qly_core::intrinsics::{BrownConrady, CameraIntrinsics};
use qly_core::mission::Home;
use qly_core::protocol::Ids;
use qly_link::dialect::*;
use sim::noise::NoiseConfig;
use sim::render::dataset::gimbal_mount;
use sim::render::delivery::{camera_pose, FrameJob, FrameSettings, FrameWriter};
use sim::render::RenderOptions;
use sim::service::clock::VehicleClock;
use sim::service::Autopilot;
use sim::vehicle::{Vehicle, VehicleConfig};
use sim::world::{Corridor, World, WorldConfig};

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("qly-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn gcs() -> MavHeader {
    MavHeader {
        system_id: 255,
        component_id: 190,
        sequence: 0,
    }
}

#[test]
fn each_photo_becomes_index_jpg_and_the_gimbal_is_published() {
    let home_pt = GeoPoint::new(27.035, 106.935).unwrap();
    let corridor = Corridor::new(vec![home_pt, home_pt.destination(35.0, 1500.0)], 60.0).unwrap();
    let mut wc = WorldConfig::new(4);
    wc.ground_amsl_m = 1000.0;
    let world = Arc::new(World::new(&corridor, wc).unwrap());
    let dir = temp_dir("frames");
    let f = 4.5 * 2048.0 / 6.17;
    let cam =
        CameraIntrinsics::new(96, 72, f / 16.0, f / 16.0, 48.0, 36.0, BrownConrady::NONE).unwrap();
    let writer = FrameWriter::spawn(
        world.clone(),
        FrameSettings {
            dir: dir.clone(),
            camera: cam,
            options: RenderOptions {
                samples_per_axis: 1,
                ..RenderOptions::default()
            },
            jpeg_quality: 85,
        },
    )
    .unwrap();

    let mut vc = VehicleConfig::new(Home {
        point: home_pt,
        alt_amsl_m: 1000.0,
    });
    vc.noise = NoiseConfig::none();
    let mut ap = Autopilot::new(
        Vehicle::new(vc),
        Ids::new(1, 1),
        VehicleClock::new(1.0, 1_767_225_600),
        100,
    );
    let tilt = 12.0;
    let mount = gimbal_mount(tilt);
    let CameraMount::HeadingFrame(q) = mount else {
        panic!("a stabilised gimbal is in the heading frame")
    };
    ap.set_gimbal(q);
    let tx = writer.sender().unwrap();
    ap.set_photo_sink(Box::new(move |_boot, c| {
        let pose = camera_pose(&c.truth, mount).unwrap();
        tx.send(FrameJob {
            key: qly_flight::folder::FrameKey::first_boot(u64::from(c.image_index)),
            pose,
        })
        .unwrap();
    }));

    let cmd = |command, p1: f32, p2: f32, p5: f32, p7: f32| {
        MavMessage::COMMAND_LONG(COMMAND_LONG_DATA {
            param1: p1,
            param2: p2,
            param5: p5,
            param7: p7,
            command,
            target_system: 1,
            target_component: 1,
            ..COMMAND_LONG_DATA::default()
        })
    };
    ap.advance_to(2.0, Duration::from_secs(2));
    // GUIDED, arm, take off to 40 m, photograph three times from the hover.
    let wall = Duration::from_secs(2);
    ap.handle(
        &gcs(),
        &cmd(MavCmd::MAV_CMD_DO_SET_MODE, 1.0, 4.0, 0.0, 0.0),
        wall,
    );
    ap.handle(
        &gcs(),
        &cmd(MavCmd::MAV_CMD_COMPONENT_ARM_DISARM, 1.0, 0.0, 0.0, 0.0),
        wall,
    );
    ap.handle(
        &gcs(),
        &cmd(MavCmd::MAV_CMD_NAV_TAKEOFF, 0.0, 0.0, 0.0, 40.0),
        wall,
    );
    ap.advance_to(30.0, Duration::from_secs(30));
    assert!(ap.vehicle().true_pose().alt_rel_home_m > 35.0, "took off");
    let mut out = Vec::new();
    for _ in 0..3 {
        let photo = cmd(MavCmd::MAV_CMD_DO_DIGICAM_CONTROL, 0.0, 0.0, 1.0, 0.0);
        out.extend(ap.handle(&gcs(), &photo, Duration::from_secs(30)));
    }
    out.extend(ap.advance_to(33.0, Duration::from_secs(33)));
    drop(ap);

    let indices: Vec<u16> = out
        .iter()
        .filter_map(|m| match m {
            MavMessage::CAMERA_FEEDBACK(f) => Some(f.img_idx),
            _ => None,
        })
        .collect();
    assert_eq!(indices, vec![1, 2, 3]);
    let gimbal: Vec<&GIMBAL_DEVICE_ATTITUDE_STATUS_DATA> = out
        .iter()
        .filter_map(|m| match m {
            MavMessage::GIMBAL_DEVICE_ATTITUDE_STATUS(g) => Some(g),
            _ => None,
        })
        .collect();
    // 10 Hz over the last 3 simulated seconds.
    assert!(
        (25..=35).contains(&gimbal.len()),
        "{} gimbal messages",
        gimbal.len()
    );
    let g = gimbal[0];
    assert!(g
        .flags
        .contains(GimbalDeviceFlags::GIMBAL_DEVICE_FLAGS_YAW_IN_VEHICLE_FRAME));
    let back = CameraMount::from_gimbal_device_status(g.flags.bits(), g.q).unwrap();
    let CameraMount::HeadingFrame(qb) = back else {
        panic!("{back:?}")
    };
    assert!(qb.angle_to(q) < 1e-6, "{qb:?} vs {q:?}");

    let stats = writer.finish(true);
    assert_eq!((stats.written, stats.failed, stats.dropped), (3, 0, 0));
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        vec!["1.jpg", "2.jpg", "3.jpg"],
        "no temporary files left"
    );
    for i in indices {
        let bytes = std::fs::read(dir.join(format!("{i}.jpg"))).unwrap();
        let img = image::load_from_memory(&bytes).unwrap();
        assert_eq!((img.width(), img.height()), (96, 72));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn dataset_command_writes_images_labels_and_truth() {
    let out = temp_dir("dataset");
    let corridor =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../missions/sample-corridor.geojson");
    let status = Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(["dataset", "--corridor"])
        .arg(&corridor)
        .args([
            "--count",
            "3",
            "--frame-scale",
            "0.05",
            "--render-samples",
            "1",
            "--min-box-px",
            "1",
            "--target-bias",
            "1",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    for k in 1..=3 {
        let img = image::open(out.join(format!("images/{k:06}.jpg"))).unwrap();
        assert_eq!((img.width(), img.height()), (102, 77));
        let labels = std::fs::read_to_string(out.join(format!("labels/{k:06}.txt"))).unwrap();
        for line in labels.lines() {
            let f: Vec<&str> = line.split(' ').collect();
            assert_eq!(f.len(), 5, "{line}");
            assert!(f[0] == "0" || f[0] == "1", "{line}");
        }
    }
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("truth.geojson")).unwrap()).unwrap();
    assert!(truth["features"].as_array().unwrap().len() > 10);
    assert!(std::fs::read_to_string(out.join("data.yaml"))
        .unwrap()
        .contains("1: plume"));
    let _ = std::fs::remove_dir_all(&out);

    // Frames need a world.
    let no_world = Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(["--listen", "udpin:127.0.0.1:0", "--frames-dir"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(!no_world.status.success());
    assert!(String::from_utf8_lossy(&no_world.stderr).contains("--corridor"));
    // Bad input is refused with the place named.
    let bad = Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(["dataset", "--corridor", "/nonexistent.geojson", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("/nonexistent.geojson"));
}

/// At stop the writer renders every photo still queued (the queue holds poses, so it is
/// small), within a bound; past the bound the rest are counted, never lost silently.
#[test]
fn queued_photos_are_rendered_at_stop_within_a_bound() {
    let home_pt = GeoPoint::new(27.035, 106.935).unwrap();
    let corridor = Corridor::new(vec![home_pt, home_pt.destination(35.0, 1500.0)], 60.0).unwrap();
    let mut wc = WorldConfig::new(4);
    wc.ground_amsl_m = 1000.0;
    let world = Arc::new(World::new(&corridor, wc).unwrap());
    let f = 4.5 * 2048.0 / 6.17;
    let cam =
        CameraIntrinsics::new(96, 72, f / 16.0, f / 16.0, 48.0, 36.0, BrownConrady::NONE).unwrap();
    let pose = sim::vehicle::Pose {
        lat_deg: home_pt.lat_deg,
        lon_deg: home_pt.lon_deg,
        alt_amsl_m: 1050.0,
        alt_rel_home_m: 50.0,
        alt_ellipsoid_m: 1050.0,
        roll_rad: 0.0,
        pitch_rad: 0.0,
        yaw_rad: 0.0,
    };
    let pose = camera_pose(&pose, gimbal_mount(0.0)).unwrap();
    for (limit, name) in [(Duration::from_secs(120), "drain"), (Duration::ZERO, "cut")] {
        let dir = temp_dir(name);
        let writer = FrameWriter::spawn(
            world.clone(),
            FrameSettings {
                dir: dir.clone(),
                camera: cam,
                options: RenderOptions {
                    samples_per_axis: 1,
                    ..RenderOptions::default()
                },
                jpeg_quality: 85,
            },
        )
        .unwrap();
        let tx = writer.sender().unwrap();
        for image_index in 1..=30 {
            let key = qly_flight::folder::FrameKey::first_boot(image_index);
            tx.send(FrameJob { key, pose }).unwrap();
        }
        let stats = writer.finish_within(limit);
        assert_eq!(stats.failed, 0);
        assert_eq!(stats.written + stats.dropped, 30, "{name}: {stats:?}");
        if limit > Duration::ZERO {
            assert_eq!(stats.written, 30, "every queued photo rendered");
        }
        let files = std::fs::read_dir(&dir).unwrap().count() as u32;
        assert_eq!(files, stats.written, "{name}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
