//! The fuzz targets: each takes one input's bytes and runs them through a parser or a network
//! entry point as the program does. A target returns normally for any input (an error is a
//! fine result); a panic, an abort, a hang or runaway memory is a finding.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use planner::survey::{AltitudeTarget, SurveyInput, SurveyParams};
use qly_core::camera::CameraDatabase;
use qly_core::geodesy::GeoPoint;

/// A fuzz target.
pub struct Target {
    /// Its name on the command line and its corpus folder (`fuzz/corpus/<name>`).
    pub name: &'static str,
    /// What it feeds, for `qly-fuzz list`.
    pub what: &'static str,
    /// Longest input generated, bytes.
    pub max_len: usize,
    /// Tokens of the format the mutator inserts.
    pub dict: &'static [&'static [u8]],
    pub run: fn(&[u8]),
}

const JSON_DICT: &[&[u8]] = &[
    b"{",
    b"}",
    b"[",
    b"]",
    b"[[",
    b"]]",
    b",",
    b":",
    b"\"",
    b"null",
    b"true",
    b"-1e400",
    b"\"type\": \"Polygon\"",
    b"\"type\": \"LineString\"",
    b"\"type\": \"MultiPolygon\"",
    b"\"role\": \"exclusion\"",
    b"\"width_m\": ",
    b"\"datum\": \"GCJ02\"",
    b"[106.9, 27.0]",
    b"[-73.5, 40.7]",
];
const XML_DICT: &[&[u8]] = &[
    b"<Folder>",
    b"</Folder>",
    b"<Document>",
    b"<Placemark>",
    b"</Placemark>",
    b"<Polygon>",
    b"<outerBoundaryIs><LinearRing><coordinates>",
    b"</coordinates></LinearRing></outerBoundaryIs>",
    b"<innerBoundaryIs>",
    b"<LineString><coordinates>",
    b"</coordinates></LineString>",
    b"<MultiGeometry>",
    b"<![CDATA[",
    b"]]>",
    b"&amp;",
    b"&#x10FFFF;",
    b"&lt;",
    b"<?xml version=\"1.0\"?>",
    b"<Data name=\"role\"><value>exclusion</value></Data>",
    b" 12.3,45.6 ",
    b" -180,90 ",
];
const WPL_DICT: &[&[u8]] = &[
    b"\t",
    b"\n",
    b"QGC WPL 110\n",
    b"QGC WPL 120\n",
    b"0\t1\t0\t16\t0\t0\t0\t0\t27.0\t106.9\t80\t1\n",
    b"\t-1\t",
    b"\t65535\t",
    b"1e309",
];
const BIN_DICT: &[&[u8]] = &[
    b"\x00\x00\x00\x00",
    b"\xff\xff\xff\xff",
    b"\xfd",
    b"\xfe",
    b"\xff\xd8",
    b"\xff\xe1",
    b"Exif\x00\x00",
    b"II*\x00",
    b"MM\x00*",
    b"http://ns.adobe.com/xap/1.0/\x00",
    b"drone-dji:GimbalYawDegree=\"",
    b"drone-dji:RelativeAltitude=\"",
    b"qj1 ",
    b"\n",
];

/// Every target, in the order the short run takes them.
pub fn targets() -> Vec<Target> {
    vec![
        Target {
            name: "geojson",
            what: "planner: GeoJSON survey input, read and planned (planner plan FILE.geojson)",
            max_len: 256 << 10,
            dict: JSON_DICT,
            run: geojson,
        },
        Target {
            name: "kml",
            what: "planner: KML survey input, read and planned (planner plan FILE.kml)",
            max_len: 512 << 10,
            dict: XML_DICT,
            run: kml,
        },
        Target {
            name: "qgc_plan",
            what: "planner: QGroundControl .plan, as survey input (planned) and as a mission",
            max_len: 256 << 10,
            dict: JSON_DICT,
            run: qgc_plan,
        },
        Target {
            name: "wpl",
            what: "planner: WPL 110/120 .waypoints mission",
            max_len: 256 << 10,
            dict: WPL_DICT,
            run: wpl,
        },
        Target {
            name: "geotiff",
            what: "core: GeoTIFF elevation model (planner --dem, companion [geotag] dem)",
            max_len: 256 << 10,
            dict: BIN_DICT,
            run: geotiff,
        },
        Target {
            name: "jpeg_meta",
            what: "companion: DJI photo EXIF and XMP (companion batch)",
            max_len: 256 << 10,
            dict: BIN_DICT,
            run: jpeg_meta,
        },
        Target {
            name: "journal",
            what: "flight: the journal read back and exported (companion export)",
            max_len: 512 << 10,
            dict: BIN_DICT,
            run: journal,
        },
        Target {
            name: "tlog",
            what: "link and review: telemetry log (review report's track)",
            max_len: 256 << 10,
            dict: BIN_DICT,
            run: tlog,
        },
        Target {
            name: "manifest",
            what: "review: evidence manifest (review verify)",
            max_len: 256 << 10,
            dict: JSON_DICT,
            run: manifest,
        },
        Target {
            name: "mavlink_sim",
            what: "sim: MAVLink bytes into the simulated autopilot's message handling",
            max_len: 16 << 10,
            dict: BIN_DICT,
            run: mavlink_sim,
        },
        Target {
            name: "mavlink_companion",
            what: "companion: MAVLink bytes over TCP into the flight-controller link task",
            max_len: 16 << 10,
            dict: BIN_DICT,
            run: mavlink_companion,
        },
    ]
}

/// The target named `name`.
pub fn target(name: &str) -> Option<Target> {
    targets().into_iter().find(|t| t.name == name)
}

/// `planner plan FILE --alt 80 --width 60` (the width only where the file has none).
fn plan(mut input: SurveyInput) {
    if input.width_m.is_none() {
        input.width_m = Some(60.0);
    }
    let camera = CameraDatabase::builtin().cameras()[0].clone();
    let params = SurveyParams::new(camera, AltitudeTarget::AboveTakeoff { alt_m: 80.0 });
    let _ = planner::plan::plan_survey(&input, &params);
}

fn geojson(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(input) = planner::input::from_text::geojson("fuzz.geojson", text, None) {
        plan(input);
    }
}

fn kml(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(input) = planner::input::from_text::kml("fuzz.kml", text, None) {
        plan(input);
    }
}

fn qgc_plan(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = planner::input::from_text::plan_mission("fuzz.plan", text);
    if let Ok(input) = planner::input::from_text::plan_survey("fuzz.plan", text, None) {
        plan(input);
    }
}

fn wpl(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = planner::input::from_text::wpl("fuzz.waypoints", text);
}

fn geotiff(data: &[u8]) {
    use qly_core::terrain::{parse_geotiff, DatumChoice, VerticalDatum};
    for datum in [
        DatumChoice::FromFile,
        DatumChoice::Known(VerticalDatum::Egm96),
    ] {
        if let Ok(dem) = parse_geotiff(data, "fuzz.tif", datum) {
            let (s, w, n, e) = dem.bounds_deg();
            for (lat, lon) in [(s, w), (n, e), ((s + n) / 2.0, (w + e) / 2.0)] {
                let _ = dem.height_in_datum(GeoPoint {
                    lat_deg: lat,
                    lon_deg: lon,
                });
            }
        }
    }
}

fn jpeg_meta(data: &[u8]) {
    let options = companion::photo_meta::PhotoMetaOptions::default();
    let _ = companion::photo_meta::photo_pose(data, "fuzz.jpg", &options);
}

fn journal(data: &[u8]) {
    use qly_flight::export::{candidates_layer, feature_collection, sightings_layer};
    let scan = qly_flight::journal::frame::scan(data);
    for d in &scan.damage {
        let _ = d.reason.to_string();
    }
    for layer in [
        candidates_layer(&scan.records, 1),
        sightings_layer(&scan.records),
    ] {
        let _ = feature_collection(&layer).to_string();
    }
}

fn tlog(data: &[u8]) {
    let _ = qly_link::tlog::read_tlog(data);
    let _ = review::tlog::parse_tlog(Path::new("fuzz.tlog"), data);
}

/// One folder per process for the evidence package the manifest describes.
fn evidence_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("qly-fuzz-evidence-{}", std::process::id()));
        let frames = dir.join(qly_flight::folder::Entry::Frames.name());
        let _ = std::fs::create_dir_all(&frames);
        let _ = std::fs::write(frames.join("1.jpg"), b"frame one");
        let _ = std::fs::write(dir.join("candidates.csv"), b"id,lat,lon\n1,27.0,106.9\n");
        dir
    })
}

fn manifest(data: &[u8]) {
    let dir = evidence_dir();
    if std::fs::write(
        dir.join(review::evidence::manifest::MANIFEST_FILE_NAME),
        data,
    )
    .is_ok()
    {
        let v = review::evidence::manifest::verify(dir);
        for p in &v.problems {
            let _ = p.to_string();
        }
    }
}

fn mavlink_sim(data: &[u8]) {
    use qly_core::mission::Home;
    use sim::noise::NoiseConfig;
    use sim::service::clock::VehicleClock;
    use sim::service::Autopilot;
    use sim::vehicle::{Vehicle, VehicleConfig};
    let home = Home {
        point: GeoPoint {
            lat_deg: 27.05,
            lon_deg: 106.95,
        },
        alt_amsl_m: 900.0,
    };
    let mut config = VehicleConfig::new(home);
    config.noise = NoiseConfig::none();
    let own = qly_core::protocol::Ids::new(1, 1);
    let mut ap = Autopilot::new(
        Vehicle::new(config),
        own,
        VehicleClock::new(1.0, 1_767_225_600),
        650,
    );
    let mut dec = qly_link::frame::Decoder::new(true, None);
    dec.push(data);
    let mut t_s = 0.0;
    // Undecodable but authentic frames too: the sim answers mission items read raw.
    while let Some(incoming) = dec.next_incoming() {
        t_s += 0.02;
        let wall = Duration::from_secs_f64(t_s);
        match incoming {
            qly_link::Incoming::Message(rx) => {
                let _ = ap.handle(&rx.header, &rx.message, wall);
            }
            qly_link::Incoming::Undecodable(raw) => {
                let _ = ap.handle_undecodable_on(0, &raw, wall);
            }
        }
        let _ = ap.advance_to(t_s, wall);
    }
    // Let what the frames started run for a while (an armed take-off, a mission upload's
    // timeouts).
    let end = t_s + 3.0;
    let _ = ap.advance_to(end, Duration::from_secs_f64(end));
}

/// The companion's flight-controller link, running for the whole process, and the harness's
/// end of its TCP connection.
struct CompanionHarness {
    runtime: tokio::runtime::Runtime,
    handle: companion::fc::FcHandle,
    stream: std::sync::Mutex<std::net::TcpStream>,
}

fn companion_harness() -> &'static CompanionHarness {
    static H: OnceLock<CompanionHarness> = OnceLock::new();
    H.get_or_init(|| {
        use companion::fc::{CancellationToken, FcConfig, FcLink};
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        // The companion listens (tcpin), the harness connects: a `tcp:` client link would
        // reconnect when no autopilot heartbeat comes, which fuzzed bytes seldom carry.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let config: FcConfig = toml::from_str(&format!(
            "address = \"tcpin:127.0.0.1:{port}\"\ntimesync = false"
        ))
        .expect("the harness's companion config");
        let link = runtime
            .block_on(async { FcLink::spawn(config, CancellationToken::new()) })
            .expect("the companion link starts");
        let handle = link.handle();
        std::mem::forget(link);
        let mut stream = None;
        for _ in 0..200 {
            match std::net::TcpStream::connect(("127.0.0.1", port)) {
                Ok(s) => {
                    stream = Some(s);
                    break;
                }
                Err(_) => std::thread::sleep(Duration::from_millis(10)),
            }
        }
        let stream = stream.expect("the companion's tcpin link accepts the harness");
        // Read (and drop) what the companion sends, so its queue never fills.
        let mut reader = stream.try_clone().expect("a second handle on the socket");
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while matches!(std::io::Read::read(&mut reader, &mut buf), Ok(n) if n > 0) {}
        });
        CompanionHarness {
            runtime,
            handle,
            stream: std::sync::Mutex::new(stream),
        }
    })
}

/// Frames the companion's link decodes from `bytes` (the same decoder, from an empty buffer).
fn frames_in(bytes: &[u8]) -> u64 {
    let mut dec = qly_link::frame::Decoder::new(true, None);
    dec.push(bytes);
    let mut n = 0;
    while dec.next_frame().is_some() {
        n += 1;
    }
    n
}

fn mavlink_companion(data: &[u8]) {
    use qly_link::dialect::{
        MavAutopilot, MavMessage, MavModeFlag, MavState, MavType, HEARTBEAT_DATA,
    };
    let h = companion_harness();
    let _enter = h.runtime.enter();
    // After the input: zeros (never a frame start) longer than any frame, so any frame the
    // input left open ends (and fails its CRC), then a HEARTBEAT from another system: every
    // frame of the input has been handled once the companion has counted that one too.
    let mut bytes = data.to_vec();
    bytes.extend_from_slice(&[0u8; 300]);
    let sentinel = MavMessage::HEARTBEAT(HEARTBEAT_DATA {
        custom_mode: 0,
        mavtype: MavType::MAV_TYPE_GCS,
        autopilot: MavAutopilot::MAV_AUTOPILOT_INVALID,
        base_mode: MavModeFlag::empty(),
        system_status: MavState::MAV_STATE_ACTIVE,
        mavlink_version: 3,
    });
    bytes.extend(qly_link::frame::Encoder::new(None).encode(250, 190, &sentinel, 0));
    let expected = frames_in(&bytes);
    let counted = |s: &companion::fc::LinkStatus| s.mavlink1_frames + s.mavlink2_frames;
    let before = counted(&h.handle.status());
    {
        let mut stream = h.stream.lock().unwrap_or_else(|e| e.into_inner());
        std::io::Write::write_all(&mut *stream, &bytes).expect("the companion's link is open");
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let now = counted(&h.handle.status());
        if now >= before + expected {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the companion handled {} of {expected} frames within 5 s: its link stopped",
            now - before
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}
