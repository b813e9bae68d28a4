//! A small synthetic flight folder for tests and demos: frames, sightings and candidate
//! records written through the real journal, small JPEG frames made with `image`, a
//! telemetry log of GLOBAL_POSITION_INT frames and a planner-style plan GeoJSON, in the
//! places `qly_flight::folder::FlightFolder` names.
//! Nothing here is measured data: positions and errors are invented but consistent.

use std::io::Write;
use std::path::{Path, PathBuf};

use image::{ImageBuffer, Rgb};
use qly_flight::folder::{FlightFolder, FrameKey};
use qly_flight::header::{CameraInfo, FlightHeader, FlightSource, ModelInfo, VehicleInfo};
use qly_flight::journal::Journal;
use qly_flight::record::{
    BestView, CameraRecord, CandidateRecord, FrameRecord, HorizontalError, Record, SightingRecord,
};

use crate::tlog::{global_position_record, TrackPoint};

/// What to leave out or break.
#[derive(Debug, Clone, Default)]
pub struct FixtureOptions {
    /// Do not write the telemetry log.
    pub no_tlog: bool,
    /// Do not write these frames' JPEG files (the journal still names them).
    pub missing_frames: Vec<u64>,
    /// Do not write the plan folder.
    pub no_plan: bool,
    /// Open the journal with a flight header whose confirmation rule is this many photos
    /// (candidate 1 has two sightings, 2 and 3 one each); `None`: no header, as journals
    /// written before headers existed (every candidate confirmed).
    pub min_sightings: Option<u32>,
}

/// The flight id the fixture's header gives (a fixed ULID, so pages and tests can name it).
pub const FLIGHT_ID: &str = "01KBVQ3Z8K2M4N6P8R0T2V4W6X";

/// The fixture's flight header with confirmation rule `min_sightings`.
pub fn header(min_sightings: u32) -> FlightHeader {
    FlightHeader {
        journal_format: qly_flight::header::JOURNAL_FORMAT,
        flight_id: FLIGHT_ID.parse().expect("a valid ULID"),
        created_utc_us: T0_UTC_US - 60_000_000,
        source: FlightSource::Live,
        vehicle: VehicleInfo {
            id: "mavlink:1".into(),
            description: "synthetic fixture".into(),
        },
        camera: CameraInfo {
            name: "fixture".into(),
            width_px: FRAME_W,
            height_px: FRAME_H,
            fx_px: 300.0,
            fy_px: 300.0,
            cx_px: f64::from(FRAME_W) / 2.0,
            cy_px: f64::from(FRAME_H) / 2.0,
            distortion: [0.0; 5],
        },
        model: ModelInfo {
            file: "fixture.onnx".into(),
            sha256: "0".repeat(64),
            classes: vec!["outfall".into(), "plume".into()],
        },
        min_sightings,
        datum: "WGS-84".into(),
        software: format!("review-fixture {}", env!("CARGO_PKG_VERSION")),
    }
}

/// Start of the synthetic flight, 2027-01-15T08:00:00Z.
pub const T0_UTC_US: i64 = 1_800_000_000_000_000;
/// Take-off point (a river bank in Guizhou: inside China, so GCJ-02 applies).
pub const ORIGIN: [f64; 2] = [27.05, 106.95];
pub const FRAME_COUNT: u64 = 6;
pub const FRAME_W: u32 = 320;
pub const FRAME_H: u32 = 240;

#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    #[error("fixture {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("fixture journal: {0}")]
    Journal(#[from] qly_flight::journal::JournalError),
    #[error("fixture frame {path}: {source}")]
    Image {
        path: PathBuf,
        source: image::ImageError,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> FixtureError + '_ {
    move |source| FixtureError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Metres north of the origin as latitude degrees (small offsets).
fn north(m: f64) -> f64 {
    m / 111_320.0
}
fn east(m: f64) -> f64 {
    m / (111_320.0 * ORIGIN[0].to_radians().cos())
}

fn camera(i: u64) -> CameraRecord {
    CameraRecord {
        lat_deg: ORIGIN[0] + north(20.0 * i as f64),
        lon_deg: ORIGIN[1],
        alt_amsl_m: 1125.0,
        height_above_ground_m: Some(80.0),
        roll_deg: 0.5,
        pitch_deg: -1.0,
        yaw_deg: 0.0,
        camera_pitch_deg: -90.0,
        camera_yaw_deg: 0.0,
    }
}

fn error(sigma_major_m: f64, sigma_minor_m: f64, bearing_deg: f64) -> HorizontalError {
    let b = bearing_deg.to_radians();
    let (s, c) = (b.sin(), b.cos());
    let (a2, b2) = (sigma_major_m.powi(2), sigma_minor_m.powi(2));
    // Major axis along bearing (east = sin, north = cos).
    let ee = a2 * s * s + b2 * c * c;
    let nn = a2 * c * c + b2 * s * s;
    let en = (a2 - b2) * s * c;
    HorizontalError {
        cov_en_m2: [[ee, en], [en, nn]],
        sigma_major_m,
        sigma_minor_m,
        major_axis_bearing_deg: bearing_deg,
        cep50_m: 1.1774 * (0.5 * (a2 + b2)).sqrt(),
        ce90_m: 2.1460 * (0.5 * (a2 + b2)).sqrt(),
    }
}

/// The frame's file name as the journal records it (relative to the flight folder).
pub fn frame_file(i: u64) -> String {
    let f = FlightFolder::new("");
    f.record_name(&f.frame(FrameKey::first_boot(i)))
}

struct Seen {
    candidate: u64,
    frame: u64,
    class: &'static str,
    confidence: f32,
    bbox_px: [f32; 4],
    east_m: f64,
    north_m: f64,
}

const SEEN: [Seen; 4] = [
    Seen {
        candidate: 1,
        frame: 1,
        class: "outfall",
        confidence: 0.71,
        bbox_px: [140.0, 150.0, 190.0, 200.0],
        east_m: 6.0,
        north_m: 18.0,
    },
    Seen {
        candidate: 1,
        frame: 2,
        class: "outfall",
        confidence: 0.88,
        bbox_px: [140.0, 60.0, 190.0, 110.0],
        east_m: 6.5,
        north_m: 19.0,
    },
    Seen {
        candidate: 2,
        frame: 4,
        class: "plume",
        confidence: 0.64,
        bbox_px: [60.0, 90.0, 140.0, 150.0],
        east_m: -12.0,
        north_m: 82.0,
    },
    Seen {
        candidate: 3,
        frame: 5,
        class: "outfall",
        confidence: 0.52,
        bbox_px: [220.0, 100.0, 260.0, 140.0],
        east_m: 15.0,
        north_m: 101.0,
    },
];

fn draw_frame(i: u64) -> ImageBuffer<Rgb<u8>, Vec<u8>> {
    let mut img = ImageBuffer::from_fn(FRAME_W, FRAME_H, |x, y| {
        // A river band down the middle over green banks, shaded so frames differ.
        let river = (x as i64 - 160).abs() < 40 + (y as i64 / 30);
        if river {
            Rgb([40, 90, (140 + i * 10) as u8])
        } else {
            Rgb([
                70 + (x % 17) as u8,
                (120 + i * 8) as u8,
                60 + (y % 13) as u8,
            ])
        }
    });
    for s in SEEN.iter().filter(|s| s.frame == i) {
        let [x0, y0, x1, y1] = s.bbox_px.map(|v| v as u32);
        for y in y0..y1.min(FRAME_H) {
            for x in x0..x1.min(FRAME_W) {
                img.put_pixel(x, y, Rgb([110, 80, 50]));
            }
        }
    }
    img
}

/// Writes the synthetic flight into `dir` (created if needed) and returns the records
/// written, in order.
pub fn write_flight(dir: &Path, options: &FixtureOptions) -> Result<Vec<Record>, FixtureError> {
    let folder = FlightFolder::new(dir);
    let frames_dir = folder.frames_dir();
    std::fs::create_dir_all(&frames_dir).map_err(io(&frames_dir))?;
    let mut records = Vec::new();
    if let Some(n) = options.min_sightings {
        records.push(Record::Header(header(n)));
    }
    let mut candidates: Vec<CandidateRecord> = Vec::new();
    for i in 0..FRAME_COUNT {
        let t = T0_UTC_US + i as i64 * 2_000_000;
        let seen: Vec<&Seen> = SEEN.iter().filter(|s| s.frame == i).collect();
        records.push(Record::Frame(FrameRecord {
            boot: 0,
            image_index: i,
            file: frame_file(i),
            t_utc_us: t,
            t_boot_ms: Some(60_000.0 + i as f64 * 2000.0),
            width_px: FRAME_W,
            height_px: FRAME_H,
            camera: camera(i),
            detections: seen.len() as u32,
            sightings: seen.len() as u32,
        }));
        for s in seen {
            let lat = ORIGIN[0] + north(s.north_m);
            let lon = ORIGIN[1] + east(s.east_m);
            records.push(Record::Sighting(SightingRecord {
                boot: 0,
                candidate_id: s.candidate,
                image_index: i,
                file: frame_file(i),
                t_utc_us: t,
                class_name: s.class.into(),
                confidence: s.confidence,
                bbox_px: s.bbox_px,
                lat_deg: lat,
                lon_deg: lon,
                ground_amsl_m: 1045.0,
                slant_range_m: 80.5,
                error: error(3.0, 2.0, 30.0),
                footprint: Vec::new(),
                camera: camera(i),
            }));
            let best = BestView {
                boot: 0,
                image_index: i,
                file: frame_file(i),
                bbox_px: s.bbox_px,
                confidence: s.confidence,
                slant_range_m: 80.5,
            };
            let c = match candidates.iter_mut().find(|c| c.id == s.candidate) {
                Some(c) => {
                    let n = f64::from(c.sightings);
                    c.revision += 1;
                    c.fused_lat_deg = (c.fused_lat_deg * n + lat) / (n + 1.0);
                    c.fused_lon_deg = (c.fused_lon_deg * n + lon) / (n + 1.0);
                    c.lat_deg = c.fused_lat_deg;
                    c.lon_deg = c.fused_lon_deg;
                    c.confidence_mean =
                        (c.confidence_mean * n as f32 + s.confidence) / (n as f32 + 1.0);
                    c.sightings += 1;
                    c.last_t_utc_us = t;
                    c.error = error(3.0 / (n + 1.0).sqrt(), 2.0 / (n + 1.0).sqrt(), 30.0);
                    if s.confidence > c.confidence_max {
                        c.confidence_max = s.confidence;
                        c.best = best;
                    }
                    c.clone()
                }
                None => {
                    let c = CandidateRecord {
                        id: s.candidate,
                        revision: 1,
                        class_name: s.class.into(),
                        lat_deg: lat,
                        lon_deg: lon,
                        attribution: "fused_centre".into(),
                        along_river_m: None,
                        fused_lat_deg: lat,
                        fused_lon_deg: lon,
                        error: error(3.0, 2.0, 30.0),
                        sightings: 1,
                        first_t_utc_us: t,
                        last_t_utc_us: t,
                        confidence_max: s.confidence,
                        confidence_mean: s.confidence,
                        best,
                    };
                    candidates.push(c.clone());
                    c
                }
            };
            records.push(Record::Candidate(c));
        }
        if !options.missing_frames.contains(&i) {
            let path = dir.join(frame_file(i));
            draw_frame(i)
                .save_with_format(&path, image::ImageFormat::Jpeg)
                .map_err(|source| FixtureError::Image { path, source })?;
        }
    }
    {
        let (journal, _) = Journal::open_in(dir)?;
        for r in &records {
            journal.append(r)?;
        }
        journal.flush()?;
    }
    if !options.no_tlog {
        let path = folder.telemetry();
        let mut bytes = Vec::new();
        // 1 Hz along the lane, from 2 s before the first photo to 2 s after the last.
        for k in 0..(FRAME_COUNT as i64 * 2 + 3) {
            let t = T0_UTC_US + (k - 2) * 1_000_000;
            let p = TrackPoint {
                t_utc_us: t,
                lat_deg: ORIGIN[0] + north(10.0 * (k - 2) as f64),
                lon_deg: ORIGIN[1] + east(0.8 * ((k as f64) * 0.9).sin()),
                alt_rel_home_m: 80.0,
            };
            bytes.extend(global_position_record(t, &p, k as u8));
        }
        std::fs::write(&path, bytes).map_err(io(&path))?;
    }
    if !options.no_plan {
        let plan_dir = folder.plan_dir();
        std::fs::create_dir_all(&plan_dir).map_err(io(&plan_dir))?;
        let path = plan_dir.join("plan.geojson");
        let lane = |e: f64| {
            serde_json::json!([
                [ORIGIN[1] + east(e), ORIGIN[0] + north(-20.0)],
                [ORIGIN[1] + east(e), ORIGIN[0] + north(120.0)]
            ])
        };
        let fc = serde_json::json!({
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "properties": {"kind": "lane", "lane": 0},
                 "geometry": {"type": "LineString", "coordinates": lane(0.0)}},
                {"type": "Feature", "properties": {"kind": "lane", "lane": 1},
                 "geometry": {"type": "LineString", "coordinates": lane(40.0)}}
            ]
        });
        let mut f = std::fs::File::create(&path).map_err(io(&path))?;
        f.write_all(fc.to_string().as_bytes()).map_err(io(&path))?;
    }
    Ok(records)
}
