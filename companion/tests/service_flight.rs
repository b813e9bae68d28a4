//! `companion run` against the `sim` autopilot, end to end.
//!
//! The test plays the ground station: it commands photos from the sim (COMMAND_LONG
//! DO_DIGICAM_CONTROL), drops the photos into the frames folder as a camera would
//! (temporary name, then rename), listens for the companion's STATUSTEXT, and stops the
//! companion with SIGTERM. Between the sim and its two clients (companion, ground station) sits
//! a small UDP router, the part mavlink-router plays on a real drone: the sim answers one peer
//! per link, and a router is what lets the companion's reports reach the ground.
//!
//! The detector is the small real ONNX model `tests/models/make_models.py` builds: it boxes a
//! white marker in its input as a "plume" (confidence 0.9) and always emits one fixed
//! "outfall" box at 0.6, which the config's per-class threshold removes. Needs `$QLY_PYTHON`
//! (scripts/setup-env.sh); without it the test prints that it skipped (under `CI` it fails).

use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use companion::record::{Record, SkipReason};
use image::{Rgb, RgbImage};
use qly_core::protocol::Ids;
use qly_link::dialect::{MavCmd, MavMessage, COMMAND_LONG_DATA};
use qly_link::{Connection, ConnectionConfig};
use qly_test_support::onnx::{make_test_models, TestModels};
use qly_test_support::process::{lines_of, wait_line, ChildGuard};
use qly_test_support::python::python_or_skip;
use qly_test_support::sim::sim_bin;

const HOME: (f64, f64, f64) = (-35.363262, 149.165237, 584.0);

/// The test models, built once per test binary; `None` (with a note) without `$QLY_PYTHON`.
fn models(test: &str) -> Option<&'static TestModels> {
    static MODELS: OnceLock<TestModels> = OnceLock::new();
    let python = python_or_skip(test)?;
    Some(MODELS.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("companion-service-models");
        make_test_models(&python, &dir)
    }))
}

/// Starts `sim` (built beside the companion) at `HOME` with seed 3; returns it and its port.
fn start_sim(extra: &[&str]) -> (ChildGuard, u16) {
    let home = format!("--home={},{},{}", HOME.0, HOME.1, HOME.2);
    let args: Vec<&str> = [home.as_str(), "--seed", "3"]
        .into_iter()
        .chain(extra.iter().copied())
        .collect();
    let (sim, port, _stdout) = qly_test_support::sim::start_sim(
        sim_bin(Path::new(env!("CARGO_BIN_EXE_companion"))),
        &args,
        Stdio::inherit(),
        Duration::from_secs(30),
    );
    (sim, port)
}

/// A UDP router: datagrams from a client go to the vehicle and to the other clients; the
/// vehicle's go to every client. Stops when dropped.
struct Router {
    port: u16,
    stop: Arc<AtomicBool>,
}

impl Router {
    fn start(vehicle: SocketAddr) -> Router {
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        sock.set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        let port = sock.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let halt = stop.clone();
        thread::spawn(move || {
            let mut clients: Vec<SocketAddr> = Vec::new();
            let mut buf = [0u8; 2048];
            while !halt.load(Ordering::Relaxed) {
                let Ok((n, from)) = sock.recv_from(&mut buf) else {
                    continue;
                };
                if from == vehicle {
                    for c in &clients {
                        let _ = sock.send_to(&buf[..n], c);
                    }
                } else {
                    if !clients.contains(&from) {
                        clients.push(from);
                    }
                    let _ = sock.send_to(&buf[..n], vehicle);
                    for c in clients.iter().filter(|c| **c != from) {
                        let _ = sock.send_to(&buf[..n], c);
                    }
                }
            }
        });
        Router { port, stop }
    }
}

impl Drop for Router {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// The ground station: a MAVLink connection through the router, recording STATUSTEXTs and
/// capture events.
struct Gcs {
    rt: tokio::runtime::Runtime,
    conn: Arc<tokio::sync::Mutex<Connection>>,
    texts: Arc<Mutex<Vec<String>>>,
    captures: Arc<Mutex<Vec<u16>>>,
    alt_rel_home_mm: Arc<Mutex<i32>>,
}

impl Gcs {
    fn connect(router_port: u16) -> Gcs {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let address = format!("udpout:127.0.0.1:{router_port}").parse().unwrap();
        let conn = rt
            .block_on(Connection::open(
                &address,
                ConnectionConfig::new(Ids::new(255, 190)),
            ))
            .unwrap();
        let heartbeat = {
            let _guard = rt.enter();
            qly_link::spawn_heartbeat(
                conn.sender(),
                qly_link::heartbeat::gcs_heartbeat(),
                Duration::from_millis(500),
            )
        };
        drop(heartbeat); // detached: it runs until the runtime stops
        let conn = Arc::new(tokio::sync::Mutex::new(conn));
        let texts = Arc::new(Mutex::new(Vec::new()));
        let captures = Arc::new(Mutex::new(Vec::new()));
        let alt_rel_home_mm = Arc::new(Mutex::new(0));
        let (c, t, k, a) = (
            conn.clone(),
            texts.clone(),
            captures.clone(),
            alt_rel_home_mm.clone(),
        );
        rt.spawn(async move {
            loop {
                let rx = {
                    let mut conn = c.lock().await;
                    conn.recv_timeout(Duration::from_millis(100)).await
                };
                match rx.map(|r| r.message) {
                    Some(MavMessage::STATUSTEXT(s)) => {
                        let bytes: Vec<u8> =
                            s.text.iter().copied().take_while(|b| *b != 0).collect();
                        t.lock()
                            .unwrap()
                            .push(String::from_utf8_lossy(&bytes).into_owned());
                    }
                    Some(MavMessage::CAMERA_FEEDBACK(f)) => k.lock().unwrap().push(f.img_idx),
                    Some(MavMessage::GLOBAL_POSITION_INT(p)) => *a.lock().unwrap() = p.relative_alt,
                    _ => {}
                }
            }
        });
        Gcs {
            rt,
            conn,
            texts,
            captures,
            alt_rel_home_mm,
        }
    }

    fn send(&self, message: &MavMessage) {
        let sender = self.rt.block_on(async { self.conn.lock().await.sender() });
        sender.send(message).unwrap();
    }

    /// GUIDED, arm, take off to `alt_m` above home; returns once there.
    fn take_off(&self, alt_m: f32) {
        let command = |command, p1: f32, p7: f32| {
            MavMessage::COMMAND_LONG(COMMAND_LONG_DATA {
                target_system: 1,
                target_component: 1,
                command,
                param1: p1,
                param7: p7,
                ..COMMAND_LONG_DATA::default()
            })
        };
        #[allow(deprecated)]
        self.send(&MavMessage::SET_MODE(qly_link::dialect::SET_MODE_DATA {
            custom_mode: 4,
            target_system: 1,
            base_mode: qly_link::dialect::MavModeFlag::MAV_MODE_FLAG_CUSTOM_MODE_ENABLED,
        }));
        thread::sleep(Duration::from_millis(300));
        self.send(&command(MavCmd::MAV_CMD_COMPONENT_ARM_DISARM, 1.0, 0.0));
        thread::sleep(Duration::from_millis(300));
        self.send(&command(MavCmd::MAV_CMD_NAV_TAKEOFF, 0.0, alt_m));
        let want_mm = (alt_m * 1000.0) as i32 - 300;
        wait_until(Duration::from_secs(60), "the take-off altitude", || {
            *self.alt_rel_home_mm.lock().unwrap() >= want_mm
        });
    }

    /// Commands one photo, as a GCS would; returns when the capture event came back.
    fn take_photo(&self, expected_index: u16) {
        let photo = MavMessage::COMMAND_LONG(COMMAND_LONG_DATA {
            target_system: 1,
            target_component: 1,
            command: MavCmd::MAV_CMD_DO_DIGICAM_CONTROL,
            param5: 1.0,
            ..COMMAND_LONG_DATA::default()
        });
        let sender = self.rt.block_on(async { self.conn.lock().await.sender() });
        sender.send(&photo).unwrap();
        wait_until(Duration::from_secs(10), "the capture event", || {
            self.captures.lock().unwrap().contains(&expected_index)
        });
    }

    fn reports(&self) -> Vec<String> {
        self.texts
            .lock()
            .unwrap()
            .iter()
            .filter(|t| t.starts_with("QLY"))
            .cloned()
            .collect()
    }
}

fn wait_until(timeout: Duration, what: &str, mut ok: impl FnMut() -> bool) {
    let end = Instant::now() + timeout;
    while !ok() {
        assert!(Instant::now() < end, "timed out waiting for {what}");
        thread::sleep(Duration::from_millis(50));
    }
}

/// A 640 x 480 photo, dark, with a white marker.
fn marker_jpeg() -> Vec<u8> {
    let img = RgbImage::from_fn(640, 480, |x, y| {
        if (340..380).contains(&x) && (200..230).contains(&y) {
            Rgb([255, 255, 255])
        } else {
            Rgb([20, 40, 60])
        }
    });
    let mut out = Vec::new();
    img.write_to(
        &mut std::io::Cursor::new(&mut out),
        image::ImageFormat::Jpeg,
    )
    .unwrap();
    out
}

/// Writes a frame as a camera does: a temporary name, then a rename.
fn drop_frame(frames: &Path, index: u64, bytes: &[u8]) {
    let tmp = frames.join(format!(".{index}.jpg.tmp"));
    std::fs::write(&tmp, bytes).unwrap();
    std::fs::rename(&tmp, frames.join(format!("{index}.jpg"))).unwrap();
}

struct Companion {
    child: ChildGuard,
    stderr: Receiver<String>,
    seen: Vec<String>,
}

impl Companion {
    fn start(config: &Path) -> Companion {
        let mut c = Companion::spawn(config);
        c.wait_log(Duration::from_secs(30), |l| {
            l.contains("watching for frames")
        });
        c
    }

    /// Starts it without waiting for anything.
    fn spawn(config: &Path) -> Companion {
        let mut child = Command::new(env!("CARGO_BIN_EXE_companion"))
            .args(["run", "--config", config.to_str().unwrap()])
            .env("COMPANION_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = lines_of(child.stderr.take().unwrap());
        Companion {
            child: ChildGuard(child),
            stderr,
            seen: Vec::new(),
        }
    }

    fn wait_log(&mut self, timeout: Duration, want: impl Fn(&str) -> bool) -> String {
        match wait_line(&self.stderr, timeout, &mut self.seen, want) {
            Some(l) => l,
            None => panic!(
                "companion log line not seen; log:\n{}",
                self.seen.join("\n")
            ),
        }
    }

    fn running(&mut self) -> bool {
        self.child.0.try_wait().unwrap().is_none()
    }

    /// SIGTERM, then the exit status and the rest of the log.
    fn terminate(mut self) -> (std::process::ExitStatus, Vec<String>) {
        let pid = self.child.0.id().to_string();
        let ok = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(ok.success());
        let end = Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Some(s) = self.child.0.try_wait().unwrap() {
                break s;
            }
            assert!(Instant::now() < end, "companion did not stop on SIGTERM");
            thread::sleep(Duration::from_millis(50));
        };
        while let Ok(l) = self.stderr.recv_timeout(Duration::from_millis(500)) {
            self.seen.push(l);
        }
        (status, std::mem::take(&mut self.seen))
    }
}

/// The journal's records after its flight header (which must come first).
fn journal(path: &Path) -> Vec<Record> {
    let mut records = companion::journal::read_journal(path).unwrap().records;
    if records.is_empty() {
        return records;
    }
    let Record::Header(h) = records.remove(0) else {
        panic!("the journal does not open with a flight header: {records:?}");
    };
    assert_eq!(h.min_sightings, 1);
    assert_eq!(h.model.sha256.len(), 64);
    records
}

fn kinds(records: &[Record]) -> Vec<(&'static str, u64)> {
    records
        .iter()
        .map(|r| match r {
            Record::Frame(f) => ("frame", f.image_index),
            Record::Sighting(s) => ("sighting", s.image_index),
            Record::Candidate(c) => ("candidate", c.id),
            Record::Header(_) => ("header", 0),
            Record::Capture(c) => ("capture", c.image_index),
            Record::FrameSkipped(s) => ("frame_skipped", s.image_index),
        })
        .collect()
}

/// The companion's config for a flight folder: the test camera (640 x 480, f = 500 px,
/// nadir), the marker model with its fixed "outfall" box thresholded away, `geotag` lines.
fn write_config(flight: &Path, router_port: u16, m: &TestModels, geotag: &str) -> PathBuf {
    let config = flight.join("companion.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[flight_controller]
address = "udpout:127.0.0.1:{router_port}"

[camera.intrinsics]
width_px = 640
height_px = 480
fx_px = 500.0
fy_px = 500.0
cx_px = 320.0
cy_px = 240.0

[detector]
model = "{model}"
onnxruntime_library = "{lib}"
intra_op_threads = 1
class_confidence_thresholds = {{ outfall = 0.95 }}

[geotag]
{geotag}

[frames]
poll_interval_ms = 50
capture_wait_s = 6.0

[journal]
export_every_s = 0
"#,
            model = m.dir.join("yolov8.onnx").display(),
            lib = m.library.display(),
        ),
    )
    .unwrap();
    config
}

#[test]
fn a_flight_through_sim_journals_reports_survives_faults_and_resumes() {
    let test = "a_flight_through_sim_journals_reports_survives_faults_and_resumes";
    let Some(m) = models(test) else { return };
    let flight = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("companion-service-flight");
    let _ = std::fs::remove_dir_all(&flight);
    std::fs::create_dir_all(flight.join("frames")).unwrap();

    let (_sim, sim_port) = start_sim(&[]);
    let router = Router::start(SocketAddr::from(([127, 0, 0, 1], sim_port)));
    let gcs = Gcs::connect(router.port);

    // The sim's vehicle stands at home (584 m); the river is 50 m below.
    let config = write_config(&flight, router.port, m, "ground_amsl_m = 534.0");

    // --- first run ---
    let mut companion = Companion::start(&config);
    // Let the link see telemetry (SYSTEM_TIME maps the capture's UTC to boot time).
    thread::sleep(Duration::from_millis(1500));
    gcs.take_photo(1);
    drop_frame(&flight.join("frames"), 1, &marker_jpeg());
    wait_until(
        Duration::from_secs(20),
        "the candidate's STATUSTEXT",
        || !gcs.reports().is_empty(),
    );
    let report = gcs.reports()[0].clone();
    // "QLY plume 0.90 -35.363262,149.165237": class, confidence, 6-decimal position.
    let words: Vec<&str> = report.split(' ').collect();
    assert_eq!(words[..3], ["QLY", "plume", "0.90"], "{report}");
    let (lat, lon) = words[3].split_once(',').unwrap();
    for v in [lat, lon] {
        assert_eq!(v.split_once('.').unwrap().1.len(), 6, "{report}");
    }
    let (lat, lon): (f64, f64) = (lat.parse().unwrap(), lon.parse().unwrap());
    assert!(
        (lat - HOME.0).abs() < 3e-4 && (lon - HOME.1).abs() < 3e-4,
        "{report}"
    );

    let journal_path = flight.join(companion::journal::JOURNAL_FILE_NAME);
    let records = journal(&journal_path);
    assert_eq!(
        kinds(&records),
        [
            ("capture", 1),
            ("frame", 1),
            ("sighting", 1),
            ("candidate", 0)
        ],
        "the capture and its pose are journaled first"
    );
    let Record::Capture(c) = &records[0] else {
        unreachable!()
    };
    assert!((c.lat_deg - HOME.0).abs() < 1e-4 && (c.alt_amsl_m - HOME.2).abs() < 2.0);
    let Record::Sighting(s) = &records[2] else {
        unreachable!()
    };
    assert_eq!(s.class_name, "plume");
    assert_eq!(s.file, "frames/1.jpg");
    // The marker's box, in photo pixels.
    assert!((s.bbox_px[0] - 340.0).abs() < 3.0 && (s.bbox_px[3] - 230.0).abs() < 3.0);
    // About 50 m under the camera (the marker is 40 px right of and 25 px above centre).
    assert!((s.slant_range_m - 50.0).abs() < 3.0, "{}", s.slant_range_m);

    // A corrupt photo with a capture event: logged and journaled as skipped. A photo without
    // one waits (no later capture event says its own was lost) until the service stops.
    gcs.take_photo(2);
    drop_frame(&flight.join("frames"), 2, b"\xff\xd8 not a jpeg at all");
    companion.wait_log(Duration::from_secs(10), |l| {
        l.contains("frame skipped") && l.contains("2.jpg")
    });
    drop_frame(&flight.join("frames"), 3, &marker_jpeg());
    thread::sleep(Duration::from_secs(1));
    assert!(companion.running(), "the service stopped after a bad frame");
    wait_until(Duration::from_secs(5), "photo 2's skip journaled", || {
        journal(&journal_path).len() >= 6
    });
    assert_eq!(
        kinds(&journal(&journal_path))[4..],
        [("capture", 2), ("frame_skipped", 2)],
        "2 is skipped as corrupt; 3 waits"
    );

    let (status, log) = companion.terminate();
    assert!(
        status.success(),
        "exit {status:?}; log:\n{}",
        log.join("\n")
    );
    let skipped = log
        .iter()
        .find(|l| l.contains("frame skipped") && l.contains("3.jpg"))
        .unwrap_or_else(|| panic!("no skip of 3.jpg at stop:\n{}", log.join("\n")));
    assert!(skipped.contains("no capture event"), "{skipped}");
    let records = journal(&journal_path);
    let skips: Vec<(u64, SkipReason)> = records
        .iter()
        .filter_map(|r| match r {
            Record::FrameSkipped(s) => Some((s.image_index, s.reason)),
            _ => None,
        })
        .collect();
    assert_eq!(
        skips,
        [
            (2, SkipReason::CorruptFile),
            (3, SkipReason::NoCaptureEvent)
        ]
    );
    assert!(
        log.iter().any(|l| l.contains("exported")),
        "{}",
        log.join("\n")
    );
    let geojson: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(flight.join("candidates.geojson")).unwrap())
            .unwrap();
    let features = geojson["features"].as_array().unwrap();
    assert_eq!(features.len(), 1);
    assert_eq!(features[0]["properties"]["class"], "plume");
    for f in ["sightings.geojson", "candidates.gpkg"] {
        assert!(flight.join(f).is_file(), "{f} not exported");
    }
    let coords = &features[0]["geometry"]["coordinates"];
    assert!((coords[0].as_f64().unwrap() - lon).abs() < 1e-6);

    // --- restart: resume ---
    let mut companion = Companion::start(&config);
    assert!(
        companion
            .seen
            .iter()
            .any(|l| l.contains("resumed from the journal")),
        "{}",
        companion.seen.join("\n")
    );
    thread::sleep(Duration::from_millis(1500));
    // Frame 3 is still in the folder, not journaled; now its capture event comes.
    gcs.take_photo(3);
    companion.wait_log(Duration::from_secs(20), |l| {
        l.contains("frame processed") && l.contains("frames/3.jpg")
    });
    // The journal syncs within ~200 ms of an append.
    wait_until(Duration::from_secs(5), "frame 3 in the journal", || {
        journal(&journal_path).len() >= 11
    });
    let records = journal(&journal_path);
    assert_eq!(
        kinds(&records)[7..],
        [
            ("capture", 3),
            ("frame", 3),
            ("sighting", 3),
            ("candidate", 0),
        ],
        "frame 1 is not processed again; frame 3's plume updates candidate 0"
    );
    let Record::Candidate(c) = &records[10] else {
        unreachable!()
    };
    assert_eq!((c.revision, c.sightings), (2, 2));
    // Photo 3, skipped at the first stop, counts as processed.
    let tally = qly_flight::view::FlightRecords::from_records(&records).tally();
    assert_eq!(
        (tally.captured, tally.processed, tally.skipped_total()),
        (3, 2, 1)
    );
    let (status, log) = companion.terminate();
    assert!(
        status.success(),
        "exit {status:?}; log:\n{}",
        log.join("\n")
    );
    assert_eq!(gcs.reports().len(), 1, "an update is not a new candidate");
    drop(router);
}

/// No ground in the config: the take-off elevation comes from the capture event (its altitude
/// minus its height above home), after a real take-off in the sim.
#[test]
fn after_take_off_frames_are_geotagged_on_the_take_off_ground() {
    let test = "after_take_off_frames_are_geotagged_on_the_take_off_ground";
    let Some(m) = models(test) else { return };
    let flight = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("companion-service-takeoff");
    let _ = std::fs::remove_dir_all(&flight);
    std::fs::create_dir_all(flight.join("frames")).unwrap();
    let (_sim, sim_port) = start_sim(&["--speedup", "4", "--gps-lock-s", "0.5"]);
    let router = Router::start(SocketAddr::from(([127, 0, 0, 1], sim_port)));
    let gcs = Gcs::connect(router.port);
    let config = write_config(&flight, router.port, m, "");
    let mut companion = Companion::start(&config);
    thread::sleep(Duration::from_millis(1500));
    gcs.take_off(30.0);
    gcs.take_photo(1);
    drop_frame(&flight.join("frames"), 1, &marker_jpeg());
    let ground = companion.wait_log(Duration::from_secs(20), |l| {
        l.contains("ground: the take-off elevation")
    });
    assert!(ground.contains("ground_amsl_m=58"), "{ground}");
    companion.wait_log(Duration::from_secs(20), |l| l.contains("frame processed"));
    let journal_path = flight.join(companion::journal::JOURNAL_FILE_NAME);
    wait_until(
        Duration::from_secs(5),
        "the sighting in the journal",
        || journal(&journal_path).len() >= 3,
    );
    let records = journal(&journal_path);
    let Record::Sighting(s) = &records[2] else {
        panic!("{:?}", kinds(&records))
    };
    // Home is 584 m AMSL; the camera 30 m above it, looking down.
    assert!((s.ground_amsl_m - 584.0).abs() < 2.0, "{}", s.ground_amsl_m);
    assert!((s.slant_range_m - 30.0).abs() < 3.0, "{}", s.slant_range_m);
    let (status, log) = companion.terminate();
    assert!(status.success(), "{}", log.join("\n"));
    drop(router);
}

/// SIGTERM during a long journal replay (slowed by `[debug] replay_delay_ms`: 400 frames at
/// 50 ms each would take 20 s) stops the service within seconds, with its exports written
/// from the journal and exit 0.
#[test]
fn sigterm_during_the_journal_replay_stops_with_exports() {
    let test = "sigterm_during_the_journal_replay_stops_with_exports";
    let Some(m) = models(test) else { return };
    let flight = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("companion-service-replay");
    let _ = std::fs::remove_dir_all(&flight);
    std::fs::create_dir_all(flight.join("frames")).unwrap();
    let port = qly_test_support::net::free_udp_port();
    let config = write_config(&flight, port, m, "ground_amsl_m = 534.0");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("\n[debug]\nreplay_delay_ms = 50\n");
    std::fs::write(&config, text).unwrap();
    {
        let path = flight.join(companion::journal::JOURNAL_FILE_NAME);
        let (journal, _) = companion::journal::Journal::open(&path, Default::default()).unwrap();
        for i in 1..=400u64 {
            let frame = companion::record::FrameRecord {
                boot: 0,
                image_index: i,
                file: format!("frames/{i}.jpg"),
                t_utc_us: 1_800_000_000_000_000 + i as i64 * 1_000_000,
                t_boot_ms: Some(i as f64 * 1000.0),
                width_px: 640,
                height_px: 480,
                camera: companion::record::CameraRecord {
                    lat_deg: HOME.0,
                    lon_deg: HOME.1,
                    alt_amsl_m: HOME.2,
                    height_above_ground_m: Some(50.0),
                    roll_deg: 0.0,
                    pitch_deg: 0.0,
                    yaw_deg: 0.0,
                    camera_pitch_deg: -90.0,
                    camera_yaw_deg: 0.0,
                },
                detections: 0,
                sightings: 0,
            };
            journal.append(&Record::Frame(frame)).unwrap();
        }
        journal.flush().unwrap();
    }
    let mut companion = Companion::spawn(&config);
    companion.wait_log(Duration::from_secs(30), |l| {
        l.contains("replaying the journal")
    });
    thread::sleep(Duration::from_millis(500));
    let t = Instant::now();
    let (status, log) = companion.terminate();
    assert!(status.success(), "{}", log.join("\n"));
    assert!(
        t.elapsed() < Duration::from_secs(8),
        "took {:?}: the replay was not stopped",
        t.elapsed()
    );
    assert!(
        log.iter()
            .any(|l| l.contains("stopped during the journal replay")),
        "{}",
        log.join("\n")
    );
    assert!(flight.join("candidates.geojson").is_file());
    assert!(flight.join("sightings.geojson").is_file());
}

/// Nothing recorded is lost under load: the photos land late (a slow renderer: each after
/// every capture and 5 s more) into a companion slowed by `[debug] frame_delay_ms` (1.5 s a
/// photo) with a short pose timeline (`timeline_capacity = 40`). Each capture's pose is
/// journaled when its event arrives and each photo is queued for the slow worker: every
/// capture ends as a frame record, none skipped.
#[test]
fn a_slowed_companion_with_late_photos_loses_none() {
    let test = "a_slowed_companion_with_late_photos_loses_none";
    let Some(m) = models(test) else { return };
    let flight = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("companion-service-slowed");
    let _ = std::fs::remove_dir_all(&flight);
    std::fs::create_dir_all(flight.join("frames")).unwrap();
    let (_sim, sim_port) = start_sim(&[]);
    let router = Router::start(SocketAddr::from(([127, 0, 0, 1], sim_port)));
    let gcs = Gcs::connect(router.port);
    let config = write_config(&flight, router.port, m, "ground_amsl_m = 534.0");
    let text = std::fs::read_to_string(&config).unwrap().replace(
        "[flight_controller]\n",
        "[flight_controller]\ntimeline_capacity = 40\n",
    );
    std::fs::write(&config, format!("{text}\n[debug]\nframe_delay_ms = 1500\n")).unwrap();
    let companion = Companion::start(&config);
    thread::sleep(Duration::from_millis(1500));
    const N: u64 = 8;
    for i in 1..=N {
        gcs.take_photo(i as u16);
        thread::sleep(Duration::from_millis(400));
    }
    // The renderer is slow: the photos land 5 s after the last capture.
    thread::sleep(Duration::from_secs(5));
    for i in 1..=N {
        drop_frame(&flight.join("frames"), i, &marker_jpeg());
    }
    let journal_path = flight.join(companion::journal::JOURNAL_FILE_NAME);
    let frames = |records: &[Record]| {
        records
            .iter()
            .filter(|r| matches!(r, Record::Frame(_) | Record::FrameSkipped(_)))
            .count() as u64
    };
    wait_until(Duration::from_secs(60), "every photo processed", || {
        frames(&journal(&journal_path)) >= N
    });
    let (status, log) = companion.terminate();
    assert!(status.success(), "{}", log.join("\n"));
    let records = journal(&journal_path);
    let tally = qly_flight::view::FlightRecords::from_records(&records).tally();
    assert_eq!(
        (tally.captured, tally.processed, tally.skipped_total()),
        (N, N, 0),
        "{:?}\n{}",
        kinds(&records),
        log.join("\n")
    );
    drop(router);
}
