//! A synthetic whole-river flight folder, for measuring the review page at the scale of a
//! patrol (hundreds of photos, up to thousands of candidates): photos at even spacing along
//! a centreline (the corridor's, e.g. `missions/sample-corridor.geojson`), the camera at
//! nadir turned with the direction of flight, JPEG frames with a drawn river, candidates
//! spread along the banks, each seen in the photos that cover it. Written through the real
//! journal, with a flight header (so the photos can be placed) and a telemetry log.
//! Nothing here is measured data.

use std::path::Path;

use image::{ImageBuffer, Rgb};
use qly_core::geodesy::GeoPoint;
use qly_flight::folder::{FlightFolder, FrameKey};
use qly_flight::header::CameraInfo;
use qly_flight::journal::Journal;
use qly_flight::record::{
    BestView, CameraRecord, CandidateRecord, FrameRecord, HorizontalError, Record, SightingRecord,
};

use crate::fixture::{FixtureError, T0_UTC_US};
use crate::report::map::LocalPlane;
use crate::tlog::{global_position_record, TrackPoint};

/// What to write.
#[derive(Debug, Clone)]
pub struct RiverOptions {
    /// The river's centreline (a corridor file's: `qly_core::corridor::Corridor`), at least
    /// 2 points.
    pub centreline: Vec<GeoPoint>,
    pub photos: usize,
    pub candidates: usize,
    /// Seed of the candidates' places, classes and confidences.
    pub seed: u64,
}

pub const FRAME_W: u32 = 640;
pub const FRAME_H: u32 = 480;
/// Focal length, pixels: 0.2 m per pixel at [`HAG_M`].
const F_PX: f64 = 500.0;
const HAG_M: f64 = 100.0;
const GROUND_AMSL_M: f64 = 1000.0;
const SPEED_M_S: f64 = 8.0;
/// Half the river's width, metres.
const HALF_WIDTH_M: f64 = 25.0;

/// A small deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A point along the centreline: position and direction of travel.
struct Station {
    p: GeoPoint,
    heading_deg: f64,
}

fn stations(pts: &[GeoPoint], n: usize) -> Vec<Station> {
    let seg: Vec<f64> = pts.windows(2).map(|w| w[0].distance_m(w[1])).collect();
    let total: f64 = seg.iter().sum();
    (0..n)
        .map(|i| {
            let mut d = total * i as f64 / (n.max(2) - 1) as f64;
            let mut k = 0;
            while k + 1 < seg.len() && d > seg[k] {
                d -= seg[k];
                k += 1;
            }
            let heading_deg = pts[k].bearing_deg(pts[k + 1]);
            Station {
                p: pts[k].destination(heading_deg, d.min(seg[k])),
                heading_deg,
            }
        })
        .collect()
}

fn error(sigma_m: f64) -> HorizontalError {
    let v = sigma_m * sigma_m;
    HorizontalError {
        cov_en_m2: [[v, 0.0], [0.0, v]],
        sigma_major_m: sigma_m,
        sigma_minor_m: sigma_m,
        major_axis_bearing_deg: 0.0,
        cep50_m: 1.1774 * sigma_m,
        ce90_m: 2.1460 * sigma_m,
    }
}

/// The header's camera.
pub fn camera_info() -> CameraInfo {
    CameraInfo {
        name: "river-fixture".into(),
        width_px: FRAME_W,
        height_px: FRAME_H,
        fx_px: F_PX,
        fy_px: F_PX,
        cx_px: f64::from(FRAME_W) / 2.0,
        cy_px: f64::from(FRAME_H) / 2.0,
        distortion: [0.0; 5],
    }
}

/// Photo pixel of a ground point, for a nadir camera at `s` (image up = heading).
fn pixel_of(s: &Station, p: GeoPoint) -> (f64, f64) {
    let (e, n) = LocalPlane::new(s.p.lat_deg, s.p.lon_deg).to_xy(p.lat_deg, p.lon_deg);
    let h = s.heading_deg.to_radians();
    let forward = e * h.sin() + n * h.cos();
    let right = e * h.cos() - n * h.sin();
    let gsd = HAG_M / F_PX;
    (
        f64::from(FRAME_W) / 2.0 + right / gsd,
        f64::from(FRAME_H) / 2.0 - forward / gsd,
    )
}

struct Cand {
    id: u64,
    p: GeoPoint,
    class: &'static str,
    confidence: f32,
    /// Photos that see it, nearest first.
    seen_in: Vec<usize>,
}

/// Writes the flight into `dir`; returns the number of records written.
pub fn write_river_flight(dir: &Path, o: &RiverOptions) -> Result<usize, FixtureError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| FixtureError::Io { path, source }
    };
    let folder = FlightFolder::new(dir);
    let frames_dir = folder.frames_dir();
    std::fs::create_dir_all(&frames_dir).map_err(io(&frames_dir))?;
    let st = stations(&o.centreline, o.photos);
    let along = stations(&o.centreline, 4001);
    let mut rng = Rng(o.seed);
    let mut cands: Vec<Cand> = (0..o.candidates)
        .map(|i| {
            let s = &along[(rng.next() * 4000.0) as usize];
            let side = if rng.next() < 0.5 { -1.0 } else { 1.0 };
            let off = side * (HALF_WIDTH_M + 4.0 * (rng.next() - 0.5));
            let p = s.p.destination(s.heading_deg + 90.0, off);
            Cand {
                id: i as u64 + 1,
                p,
                class: if rng.next() < 0.5 { "outfall" } else { "plume" },
                confidence: (0.3 + 0.65 * rng.next()) as f32,
                seen_in: Vec::new(),
            }
        })
        .collect();
    for c in &mut cands {
        let mut seen: Vec<(f64, usize)> = st
            .iter()
            .enumerate()
            .filter_map(|(k, s)| {
                let (u, v) = pixel_of(s, c.p);
                let inside = u > 20.0
                    && v > 20.0
                    && u < f64::from(FRAME_W) - 20.0
                    && v < f64::from(FRAME_H) - 20.0;
                inside.then(|| (c.p.distance_m(s.p), k))
            })
            .collect();
        seen.sort_by(|a, b| a.0.total_cmp(&b.0));
        // One in ten is seen once only: an unconfirmed sighting.
        let keep = if c.id % 10 == 0 { 1 } else { 3 };
        c.seen_in = seen.into_iter().take(keep).map(|(_, k)| k).collect();
    }
    cands.retain(|c| !c.seen_in.is_empty());

    let mut header = crate::fixture::header(2);
    header.camera = camera_info();
    let mut records = vec![Record::Header(header)];
    let file = |k: usize| {
        let f = FlightFolder::new("");
        f.record_name(&f.frame(FrameKey::first_boot(k as u64)))
    };
    let spacing_m = st
        .windows(2)
        .next()
        .map_or(1.0, |w| w[0].p.distance_m(w[1].p));
    let t_of = |k: usize| T0_UTC_US + (k as f64 * spacing_m / SPEED_M_S * 1e6) as i64;
    let camera = |s: &Station| CameraRecord {
        lat_deg: s.p.lat_deg,
        lon_deg: s.p.lon_deg,
        alt_amsl_m: GROUND_AMSL_M + HAG_M,
        height_above_ground_m: Some(HAG_M),
        roll_deg: 0.0,
        pitch_deg: 0.0,
        yaw_deg: s.heading_deg.rem_euclid(360.0),
        camera_pitch_deg: -90.0,
        camera_yaw_deg: 0.0,
    };
    for (k, s) in st.iter().enumerate() {
        let here: Vec<&Cand> = cands.iter().filter(|c| c.seen_in.contains(&k)).collect();
        records.push(Record::Frame(FrameRecord {
            boot: 0,
            image_index: k as u64,
            file: file(k),
            t_utc_us: t_of(k),
            t_boot_ms: Some(60_000.0 + (t_of(k) - T0_UTC_US) as f64 / 1000.0),
            width_px: FRAME_W,
            height_px: FRAME_H,
            camera: camera(s),
            detections: here.len() as u32,
            sightings: here.len() as u32,
        }));
        let mut boxes = Vec::new();
        for c in here {
            let (u, v) = pixel_of(s, c.p);
            let bbox_px = [
                (u - 14.0) as f32,
                (v - 14.0) as f32,
                (u + 14.0) as f32,
                (v + 14.0) as f32,
            ];
            boxes.push(bbox_px);
            records.push(Record::Sighting(SightingRecord {
                boot: 0,
                candidate_id: c.id,
                image_index: k as u64,
                file: file(k),
                t_utc_us: t_of(k),
                class_name: c.class.into(),
                confidence: c.confidence,
                bbox_px,
                lat_deg: c.p.lat_deg,
                lon_deg: c.p.lon_deg,
                ground_amsl_m: GROUND_AMSL_M,
                slant_range_m: HAG_M,
                error: error(1.0),
                footprint: Vec::new(),
                camera: camera(s),
            }));
        }
        let path = dir.join(file(k));
        draw(s, &boxes)
            .save_with_format(&path, image::ImageFormat::Jpeg)
            .map_err(|source| FixtureError::Image { path, source })?;
    }
    for c in &cands {
        let best = c.seen_in[0];
        let (u, v) = pixel_of(&st[best], c.p);
        let n = c.seen_in.len() as u32;
        let times: Vec<i64> = c.seen_in.iter().map(|&k| t_of(k)).collect();
        records.push(Record::Candidate(CandidateRecord {
            id: c.id,
            revision: n,
            class_name: c.class.into(),
            lat_deg: c.p.lat_deg,
            lon_deg: c.p.lon_deg,
            attribution: "fused_centre".into(),
            along_river_m: None,
            fused_lat_deg: c.p.lat_deg,
            fused_lon_deg: c.p.lon_deg,
            error: error(1.0 / f64::from(n).sqrt()),
            sightings: n,
            first_t_utc_us: *times.iter().min().unwrap_or(&T0_UTC_US),
            last_t_utc_us: *times.iter().max().unwrap_or(&T0_UTC_US),
            confidence_max: c.confidence,
            confidence_mean: c.confidence * 0.95,
            best: BestView {
                boot: 0,
                image_index: best as u64,
                file: file(best),
                bbox_px: [
                    (u - 14.0) as f32,
                    (v - 14.0) as f32,
                    (u + 14.0) as f32,
                    (v + 14.0) as f32,
                ],
                confidence: c.confidence,
                slant_range_m: HAG_M,
            },
        }));
    }
    {
        let (journal, _) = Journal::open_in(dir)?;
        for r in &records {
            journal.append(r)?;
        }
        journal.flush()?;
    }
    // Telemetry at 1 Hz along the photos' line.
    let path = folder.telemetry();
    let mut bytes = Vec::new();
    let secs = ((t_of(st.len().saturating_sub(1)) - T0_UTC_US) / 1_000_000) as usize;
    let track = stations(&o.centreline, secs.max(2));
    for (i, s) in track.iter().enumerate() {
        let t = T0_UTC_US + i as i64 * 1_000_000;
        let p = TrackPoint {
            t_utc_us: t,
            lat_deg: s.p.lat_deg,
            lon_deg: s.p.lon_deg,
            alt_rel_home_m: HAG_M,
        };
        bytes.extend(global_position_record(t, &p, i as u8));
    }
    std::fs::write(&path, bytes).map_err(io(&path))?;
    let plan_dir = folder.plan_dir();
    std::fs::create_dir_all(&plan_dir).map_err(io(&plan_dir))?;
    let path = plan_dir.join("plan.geojson");
    let fc = serde_json::json!({
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": {"kind": "lane", "lane": 0},
            "geometry": {"type": "LineString", "coordinates":
                o.centreline.iter().map(|p| [p.lon_deg, p.lat_deg]).collect::<Vec<_>>()}}]
    });
    std::fs::write(&path, fc.to_string()).map_err(io(&path))?;
    Ok(records.len())
}

/// A nadir photo: water along the direction of flight (image up), banks either side with
/// field texture, the candidates as dark boxes.
fn draw(s: &Station, boxes: &[[f32; 4]]) -> ImageBuffer<Rgb<u8>, Vec<u8>> {
    let gsd = HAG_M / F_PX;
    let shade = ((s.p.lat_deg * 1e5) as i64).rem_euclid(40) as u8;
    let mut img = ImageBuffer::from_fn(FRAME_W, FRAME_H, |x, y| {
        let right_m = (f64::from(x) - f64::from(FRAME_W) / 2.0) * gsd;
        let fwd_m = (f64::from(FRAME_H) / 2.0 - f64::from(y)) * gsd;
        if right_m.abs() < HALF_WIDTH_M - 3.0 {
            Rgb([40, 90 + (fwd_m.abs() as u8 % 10), 150 + shade])
        } else {
            let field = ((fwd_m / 12.0).floor() as i64 + (right_m / 15.0).floor() as i64) & 1;
            let g = if field == 0 { 120 } else { 150 };
            Rgb([60 + shade, g, 60 + ((x * 7 + y * 3) % 13) as u8])
        }
    });
    for b in boxes {
        let [x0, y0, x1, y1] = b.map(|v| v.max(0.0) as u32);
        for y in y0..y1.min(FRAME_H) {
            for x in x0..x1.min(FRAME_W) {
                img.put_pixel(x, y, Rgb([110, 80, 50]));
            }
        }
    }
    img
}
