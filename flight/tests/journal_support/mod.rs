//! Deterministic records for the journal and export tests: frame `i` with one sighting of
//! candidate `i % 3 + 1` and that candidate's new revision. Included by the tests with
//! `mod journal_support;`; as a test target of its own it has no tests.
#![allow(dead_code)]

use qly_flight::record::{
    BestView, CameraRecord, CandidateRecord, FrameRecord, HorizontalError, Record, SightingRecord,
};

pub const T0_UTC_US: i64 = 1_800_000_000_000_000;

pub fn camera(i: u64) -> CameraRecord {
    CameraRecord {
        lat_deg: 27.05 + i as f64 * 1e-5,
        lon_deg: 106.95,
        alt_amsl_m: 1125.0,
        height_above_ground_m: Some(75.0),
        roll_deg: 1.0,
        pitch_deg: -2.0,
        yaw_deg: 90.0,
        camera_pitch_deg: -90.0,
        camera_yaw_deg: 90.0,
    }
}

pub fn error() -> HorizontalError {
    HorizontalError {
        cov_en_m2: [[4.0, 0.5], [0.5, 2.25]],
        sigma_major_m: 2.1,
        sigma_minor_m: 1.4,
        major_axis_bearing_deg: 75.0,
        cep50_m: 2.05,
        ce90_m: 3.9,
    }
}

pub fn frame(i: u64) -> FrameRecord {
    FrameRecord {
        boot: 0,
        image_index: i,
        file: format!("DJI_{i:04}.JPG"),
        t_utc_us: T0_UTC_US + i as i64 * 2_000_000,
        t_boot_ms: Some(600_000.0 + i as f64 * 2000.0),
        width_px: 4000,
        height_px: 3000,
        camera: camera(i),
        detections: 1,
        sightings: 1,
    }
}

pub fn candidate_id(i: u64) -> u64 {
    i % 3 + 1
}

pub fn sighting(i: u64) -> SightingRecord {
    let id = candidate_id(i);
    SightingRecord {
        boot: 0,
        candidate_id: id,
        image_index: i,
        file: format!("DJI_{i:04}.JPG"),
        t_utc_us: T0_UTC_US + i as i64 * 2_000_000,
        class_name: if id == 3 { "plume" } else { "outfall" }.into(),
        confidence: 0.5 + (i % 5) as f32 * 0.1,
        bbox_px: [1000.0, 800.0, 1100.0 + i as f32, 900.0],
        lat_deg: 27.051 + id as f64 * 1e-3 + (i % 7) as f64 * 1e-6,
        lon_deg: 106.951 + id as f64 * 1e-3,
        ground_amsl_m: 1050.0,
        slant_range_m: 76.5,
        error: error(),
        footprint: if id == 3 {
            vec![[27.0545, 106.9540], [27.0546, 106.9541]]
        } else {
            Vec::new()
        },
        camera: camera(i),
    }
}

/// Candidate `candidate_id(i)` after the sighting of frame `i`: revision `i / 3 + 1`.
pub fn candidate(i: u64) -> CandidateRecord {
    let id = candidate_id(i);
    let first = id - 1;
    CandidateRecord {
        id,
        revision: (i / 3 + 1) as u32,
        class_name: if id == 3 { "plume" } else { "outfall" }.into(),
        lat_deg: 27.051 + id as f64 * 1e-3,
        lon_deg: 106.951 + id as f64 * 1e-3,
        attribution: if id == 3 {
            "upstream_end"
        } else {
            "fused_centre"
        }
        .into(),
        along_river_m: if id == 3 { Some(420.5) } else { None },
        fused_lat_deg: 27.051 + id as f64 * 1e-3 + 1e-6,
        fused_lon_deg: 106.951 + id as f64 * 1e-3 + 1e-6,
        error: error(),
        sightings: (i / 3 + 1) as u32,
        first_t_utc_us: T0_UTC_US + first as i64 * 2_000_000,
        last_t_utc_us: T0_UTC_US + i as i64 * 2_000_000,
        confidence_max: 0.9,
        confidence_mean: 0.7,
        best: BestView {
            boot: 0,
            image_index: first,
            file: format!("DJI_{first:04}.JPG"),
            bbox_px: [1000.0, 800.0, 1100.0 + first as f32, 900.0],
            confidence: 0.9,
            slant_range_m: 76.5,
        },
    }
}

/// Frame `i`'s records in journal order.
pub fn frame_records(i: u64) -> Vec<Record> {
    vec![
        Record::Frame(frame(i)),
        Record::Sighting(sighting(i)),
        Record::Candidate(candidate(i)),
    ]
}

/// The records of frames `0..n`.
pub fn flight(n: u64) -> Vec<Record> {
    (0..n).flat_map(frame_records).collect()
}
