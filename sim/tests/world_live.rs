//! The `sim` binary flying over the world: photos commanded over MAVLink come back as
//! CAMERA_FEEDBACK and land as `<img_idx>.jpg` in `--frames-dir`; the truth file is written
//! at start; GIMBAL_DEVICE_ATTITUDE_STATUS is streamed.

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::start_sim;
use qly_core::protocol::Ids;
use qly_link::dialect::*;
use qly_link::{Address, Connection, ConnectionConfig};

fn cmd(command: MavCmd, p: [f32; 7]) -> MavMessage {
    MavMessage::COMMAND_LONG(COMMAND_LONG_DATA {
        param1: p[0],
        param2: p[1],
        param3: p[2],
        param4: p[3],
        param5: p[4],
        param6: p[5],
        param7: p[6],
        command,
        target_system: 1,
        target_component: 1,
        confirmation: 0,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn photos_over_mavlink_land_as_index_jpg() {
    let dir = std::env::temp_dir().join(format!("qly-live-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let frames = dir.join("frames");
    let truth = dir.join("truth.geojson");
    let corridor =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../missions/sample-corridor.geojson");
    let args: Vec<String> = vec![
        "--speedup".into(),
        "10".into(),
        "--corridor".into(),
        corridor.display().to_string(),
        "--world-seed".into(),
        "2".into(),
        "--frames-dir".into(),
        frames.display().to_string(),
        "--truth".into(),
        truth.display().to_string(),
        "--frame-scale".into(),
        "0.05".into(),
        "--gimbal-tilt-deg".into(),
        "10".into(),
    ];
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let (_sim, port, _out) = start_sim(&refs);
    let addr: Address = format!("udpout:127.0.0.1:{port}").parse().unwrap();
    let mut conn = Connection::open(&addr, ConnectionConfig::new(Ids::new(255, 190)))
        .await
        .unwrap();
    let t = std::fs::read_to_string(&truth).expect("truth written at start");
    assert!(t.contains("\"class\":\"plume\""), "{t}");

    let start = Instant::now();
    let mut feedback = Vec::new();
    let mut gimbal = 0;
    let mut stage = 0;
    let mut last_send = Instant::now() - Duration::from_secs(1);
    while start.elapsed() < Duration::from_secs(60) && feedback.len() < 2 {
        if last_send.elapsed() > Duration::from_millis(300) {
            last_send = Instant::now();
            let m = match stage {
                0 => cmd(
                    MavCmd::MAV_CMD_DO_SET_MODE,
                    [1.0, 4.0, 0.0, 0.0, 0.0, 0.0, 0.0],
                ),
                1 => cmd(
                    MavCmd::MAV_CMD_COMPONENT_ARM_DISARM,
                    [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
                ),
                2 => cmd(
                    MavCmd::MAV_CMD_NAV_TAKEOFF,
                    [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 50.0],
                ),
                // As ArduPilot, the sim streams the position only once asked.
                3 => cmd(
                    MavCmd::MAV_CMD_SET_MESSAGE_INTERVAL,
                    [33.0, 250_000.0, 0.0, 0.0, 0.0, 0.0, 0.0],
                ),
                _ => cmd(
                    MavCmd::MAV_CMD_DO_DIGICAM_CONTROL,
                    [0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0],
                ),
            };
            conn.send(&m).unwrap();
        }
        let Ok(Some(rx)) = tokio::time::timeout(Duration::from_millis(100), conn.recv()).await
        else {
            continue;
        };
        match &rx.message {
            MavMessage::COMMAND_ACK(a) if a.result == MavResult::MAV_RESULT_ACCEPTED => {
                stage = match (stage, a.command) {
                    (0, MavCmd::MAV_CMD_DO_SET_MODE) => 1,
                    (1, MavCmd::MAV_CMD_COMPONENT_ARM_DISARM) => 2,
                    (2, MavCmd::MAV_CMD_NAV_TAKEOFF) => 3,
                    (s, _) => s,
                };
            }
            MavMessage::GLOBAL_POSITION_INT(p) if stage == 3 && p.relative_alt > 40_000 => {
                stage = 4
            }
            MavMessage::CAMERA_FEEDBACK(f) => feedback.push(f.img_idx),
            MavMessage::GIMBAL_DEVICE_ATTITUDE_STATUS(g) => {
                assert!(g
                    .flags
                    .contains(GimbalDeviceFlags::GIMBAL_DEVICE_FLAGS_YAW_IN_VEHICLE_FRAME));
                gimbal += 1;
            }
            _ => {}
        }
    }
    assert!(feedback.len() >= 2, "photos: {feedback:?} (stage {stage})");
    assert!(gimbal > 10, "{gimbal} gimbal status messages");
    for idx in &feedback[..2] {
        let path = frames.join(format!("{idx}.jpg"));
        let end = Instant::now() + Duration::from_secs(60);
        while !path.exists() && Instant::now() < end {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let img = image::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!((img.width(), img.height()), (102, 77));
    }
    let _ = std::fs::remove_dir_all(&dir);
}
