//! A flight's decisions as labelled photos.
//!
//! Every processed photo of the flight is looked at once:
//!
//! - the boxes of a photo are the journal's detections of **confirmed** candidates in it
//!   (`detected`), plus each confirmed candidate whose ground position projects into the
//!   photo although the detector did not see it there (`projected`: the candidate's fused
//!   position and ground height through `qly_core::geotag::ground_to_pixel` with the photo's
//!   camera record and the header's calibration, its size in metres the mean of its
//!   detections'). Those misses are what a fine-tuned model most needs to learn;
//! - a photo whose detections were all **rejected** is a hard negative: an empty label file;
//! - a photo holding a detection nobody decided on is left out (it might be an object or
//!   not), as is one whose photo file is missing; a photo without detections or projected
//!   findings was not judged by anyone and is not written.
//!
//! Projection needs the flight header's calibration and the camera's attitude: the camera
//! record keeps the optical axis (pitch and yaw) but not its roll, taken as zero (a
//! stabilised gimbal); a journal without a header gets detected boxes only.

use std::collections::{BTreeMap, BTreeSet};

use qly_core::geotag::{ground_to_pixel, CameraMount, CameraPose};
use qly_core::intrinsics::{BrownConrady, CameraIntrinsics};
use qly_core::pose::AmslPosition;
use qly_core::rotation::Quat;
use qly_flight::class::project_class_id;
use qly_flight::decisions::{read_decisions, Decision, Decisions, Verdict};
use qly_flight::record::{CameraRecord, CandidateRecord, FrameRecord, SightingRecord};

use super::{DatasetError, Provenance, Sample, YoloBox};
use crate::flight::Flight;

/// The photos of one flight, and those left out with the reason.
#[derive(Debug, Clone, Default)]
pub struct FlightSamples {
    pub samples: Vec<Sample>,
    /// `(photo, reason)`.
    pub left_out: Vec<(String, String)>,
}

/// The flight's decisions file; its absence is an error (nothing was decided).
pub fn read_flight_decisions(flight: &Flight) -> Result<Decisions, DatasetError> {
    let path = flight.folder.decisions();
    if !path.exists() {
        return Err(DatasetError::bad(
            path,
            "file",
            "no decisions: expected the inspectors' decisions (`review decide` or the review page's download)",
        ));
    }
    let known: BTreeSet<u64> = flight.candidates().iter().map(|c| c.id).collect();
    let flight_id = flight.view.header.as_ref().map(|h| h.flight_id.clone());
    Ok(read_decisions(&path, &known, flight_id.as_ref())?)
}

/// A confirmed finding drawn into photos that missed it.
struct Projectable {
    id: u64,
    class_id: usize,
    point: AmslPosition,
    width_m: f64,
    height_m: f64,
}

fn projectable(
    c: &CandidateRecord,
    class_id: usize,
    sightings: &[&SightingRecord],
    k: &CameraIntrinsics,
) -> Option<Projectable> {
    if sightings.is_empty() {
        return None;
    }
    let n = sightings.len() as f64;
    let ground = sightings.iter().map(|s| s.ground_amsl_m).sum::<f64>() / n;
    let width_m = sightings
        .iter()
        .map(|s| f64::from(s.bbox_px[2] - s.bbox_px[0]) * s.slant_range_m / k.fx_px)
        .sum::<f64>()
        / n;
    let height_m = sightings
        .iter()
        .map(|s| f64::from(s.bbox_px[3] - s.bbox_px[1]) * s.slant_range_m / k.fy_px)
        .sum::<f64>()
        / n;
    Some(Projectable {
        id: c.id,
        class_id,
        point: AmslPosition::new(c.fused_lat_deg, c.fused_lon_deg, ground).ok()?,
        width_m,
        height_m,
    })
}

fn pose(camera: &CameraRecord) -> Option<CameraPose> {
    Some(CameraPose {
        position: AmslPosition::new(camera.lat_deg, camera.lon_deg, camera.alt_amsl_m).ok()?,
        q_ned_body: Quat::IDENTITY,
        mount: CameraMount::EarthFrame(Quat::from_ypr_deg(
            camera.camera_yaw_deg,
            camera.camera_pitch_deg,
            0.0,
        )),
    })
}

/// The box `p` makes in `frame`, when its centre images inside the photo.
fn project_into(p: &Projectable, frame: &FrameRecord, k: &CameraIntrinsics) -> Option<YoloBox> {
    let pose = pose(&frame.camera)?;
    let (u, v) = ground_to_pixel(p.point, k, &pose)?;
    let (w, h) = (f64::from(frame.width_px), f64::from(frame.height_px));
    if !(0.0..w).contains(&u) || !(0.0..h).contains(&v) {
        return None;
    }
    let cam = pose.position;
    let range_m =
        {
            let frame_at_cam = qly_core::geodesy::LocalFrame::new(
                qly_core::geodesy::GeoPosition::new(cam.lat_deg, cam.lon_deg, cam.alt_amsl_m),
            );
            let e = frame_at_cam.to_enu(qly_core::geodesy::GeoPosition::new(
                p.point.lat_deg,
                p.point.lon_deg,
                p.point.alt_amsl_m,
            ));
            (e.e_m * e.e_m + e.n_m * e.n_m + e.u_m * e.u_m).sqrt()
        };
    let half_w = p.width_m * k.fx_px / range_m / 2.0;
    let half_h = p.height_m * k.fy_px / range_m / 2.0;
    YoloBox::from_corners_px(
        p.class_id,
        [u - half_w, v - half_h, u + half_w, v + half_h],
        frame.width_px,
        frame.height_px,
    )
}

fn intrinsics(flight: &Flight) -> Option<CameraIntrinsics> {
    let c = &flight.view.header.as_ref()?.camera;
    let [k1, k2, p1, p2, k3] = c.distortion;
    CameraIntrinsics::new(
        c.width_px,
        c.height_px,
        c.fx_px,
        c.fy_px,
        c.cx_px,
        c.cy_px,
        BrownConrady { k1, k2, k3, p1, p2 },
    )
    .ok()
}

/// The flight's labelled photos under `decisions` (see the module docs).
pub fn samples_from_flight(flight: &Flight, decisions: &Decisions) -> FlightSamples {
    let name = flight.folder.root().file_name().map_or_else(
        || "flight".to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let flight_id = flight
        .view
        .header
        .as_ref()
        .map_or_else(String::new, |h| h.flight_id.to_string());
    let k = intrinsics(flight);
    let decided: BTreeMap<u64, &Decision> = decisions
        .decisions
        .iter()
        .map(|d| (d.candidate_id, d))
        .collect();
    let candidates: BTreeMap<u64, &CandidateRecord> =
        flight.candidates().iter().map(|c| (c.id, c)).collect();
    let class_of = |id: u64| {
        candidates
            .get(&id)
            .and_then(|c| project_class_id(&c.class_name))
    };
    let mut projectables = Vec::new();
    if let Some(k) = &k {
        for (id, d) in &decided {
            let (Some(c), Some(class_id)) = (candidates.get(id), class_of(*id)) else {
                continue;
            };
            if d.decision == Verdict::Confirmed {
                let s: Vec<&SightingRecord> = flight.sightings_of(*id).collect();
                projectables.extend(projectable(c, class_id, &s, k));
            }
        }
    }

    let mut out = FlightSamples::default();
    for (key, frame) in &flight.view.frames {
        let photo = frame.file.clone();
        let here: Vec<&SightingRecord> = flight
            .view
            .sightings
            .iter()
            .filter(|s| s.boot == key.boot && s.image_index == key.image_index)
            .collect();
        let mut boxes = Vec::new();
        let mut seen: BTreeMap<u64, Verdict> = BTreeMap::new();
        let mut problem = None;
        for s in &here {
            match decided.get(&s.candidate_id).map(|d| d.decision) {
                None => {
                    problem = Some(format!(
                        "detection of candidate {} that nobody decided on",
                        s.candidate_id
                    ));
                }
                Some(Verdict::Rejected) => {
                    seen.insert(s.candidate_id, Verdict::Rejected);
                }
                Some(Verdict::Confirmed) => {
                    let Some(class_id) = class_of(s.candidate_id) else {
                        problem = Some(format!(
                            "candidate {} is of class {:?}, not outfall or plume",
                            s.candidate_id,
                            candidates
                                .get(&s.candidate_id)
                                .map_or("?", |c| c.class_name.as_str())
                        ));
                        continue;
                    };
                    let [x1, y1, x2, y2] = s.bbox_px.map(f64::from);
                    boxes.extend(YoloBox::from_corners_px(
                        class_id,
                        [x1, y1, x2, y2],
                        frame.width_px,
                        frame.height_px,
                    ));
                    seen.insert(s.candidate_id, Verdict::Confirmed);
                }
            }
        }
        if let Some(p) = problem {
            out.left_out.push((photo, p));
            continue;
        }
        let detected = !boxes.is_empty();
        let mut projected = false;
        if let Some(k) = &k {
            for p in &projectables {
                if seen.contains_key(&p.id) {
                    continue;
                }
                if let Some(b) = project_into(p, frame, k) {
                    boxes.push(b);
                    seen.insert(p.id, Verdict::Confirmed);
                    projected = true;
                }
            }
        }
        if seen.is_empty() {
            continue;
        }
        let source = flight.frame_path(&frame.file);
        if !source.is_file() {
            out.left_out
                .push((photo, format!("photo file {} missing", source.display())));
            continue;
        }
        let mut inspectors: Vec<String> = seen
            .keys()
            .map(|id| {
                decided
                    .get(id)
                    .and_then(|d| d.inspector.clone())
                    .unwrap_or_else(|| "unknown".into())
            })
            .collect();
        inspectors.sort();
        inspectors.dedup();
        let verdict = |v: &Verdict| match v {
            Verdict::Confirmed => "confirmed",
            Verdict::Rejected => "rejected",
        };
        out.samples.push(Sample {
            group: name.clone(),
            source,
            provenance: Provenance {
                flight: name.clone(),
                flight_id: flight_id.clone(),
                photo,
                decision: if boxes.is_empty() {
                    "rejected"
                } else {
                    "confirmed"
                }
                .into(),
                candidates: seen
                    .iter()
                    .map(|(id, v)| format!("{id}:{}", verdict(v)))
                    .collect::<Vec<_>>()
                    .join(";"),
                inspector: inspectors.join(";"),
                boxes_from: match (detected, projected) {
                    (true, true) => "detected+projected",
                    (true, false) => "detected",
                    (false, true) => "projected",
                    (false, false) => "",
                }
                .into(),
            },
            boxes,
        });
    }
    out
}
