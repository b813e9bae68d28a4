//! From one photo's detections to journal records: geotag each detection, fuse the frame's
//! sightings into candidates, and say what changed.
//!
//! Pure: values in, values out. The detector (ONNX Runtime), the photo files and the clock
//! stay outside; [`crate::pipeline`] puts them together.
//!
//! A detection becomes a [`Sighting`] at the ground point of its box centre, with the
//! predicted error of [`qly_core::geotag`]. For plume classes the box corners and edge
//! midpoints are geotagged too (without error propagation, which only the centre needs): they
//! are the footprint the fusion uses to find a plume's upstream end. A detection whose centre
//! ray misses the ground (above the horizon, beyond range, off the terrain model) is counted
//! as dropped with the reason, not fatal: the rest of the frame still counts.

use std::collections::BTreeMap;

use qly_core::geodesy::GeoPoint;
use qly_core::geotag::{
    geotag, CameraPose, GeotagError, GroundPoint, HorizontalError, Uncertainty,
};
use qly_core::intrinsics::CameraIntrinsics;
use qly_core::rotation::Mat3;
use qly_core::terrain::Terrain;

use crate::detect::Detection;
use crate::fusion::{Attribution, Candidate, Fusion, FusionError, FusionEvent, Sighting};
use crate::record::{
    BestView, CameraRecord, CandidateRecord, FrameKey, FrameRecord, Record, SightingRecord,
};

/// The fusion's frame number of a photo: its image index, with the autopilot boot in the
/// high 32 bits (image indices are 32-bit in MAVLink; batch photos are boot 0), so photos of
/// different boots are different frames to the fusion.
pub fn fusion_frame(key: FrameKey) -> u64 {
    (u64::from(key.boot) << 32) | (key.image_index & 0xffff_ffff)
}

/// The photo a fusion frame number stands for ([`fusion_frame`]'s inverse for indices below
/// 2^32).
pub fn frame_key(fusion_frame: u64) -> FrameKey {
    FrameKey {
        boot: (fusion_frame >> 32) as u32,
        image_index: fusion_frame & 0xffff_ffff,
    }
}

/// A photo as its source describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameMeta {
    /// The autopilot boot of the capture (0 for batch photos; see [`FrameKey`]).
    pub boot: u32,
    pub image_index: u64,
    /// The photo file (for the journal and the evidence crop).
    pub file: String,
    pub t_utc_us: i64,
    pub t_boot_ms: Option<f64>,
    pub width_px: u32,
    pub height_px: u32,
}

/// A detection that could not be put on the ground.
#[derive(Debug, Clone, PartialEq)]
pub struct Dropped {
    pub detection: Detection,
    pub reason: GeotagError,
}

/// What one frame did.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameOutcome {
    pub frame: FrameRecord,
    pub sightings: Vec<SightingRecord>,
    /// Candidates created or updated by this frame, in the order of their sightings.
    pub candidates: Vec<CandidateRecord>,
    /// Ids of the candidates this frame created.
    pub new_candidates: Vec<u64>,
    pub dropped: Vec<Dropped>,
}

impl FrameOutcome {
    /// The candidates this frame confirmed: those whose sighting count reached
    /// `min_sightings` with this frame's sighting. Fusion gives a candidate at most one
    /// sighting per frame, so this is the one frame where each candidate is confirmed; with
    /// `min_sightings` 1 it is every candidate the frame created.
    pub fn confirmed(&self, min_sightings: u32) -> impl Iterator<Item = &CandidateRecord> {
        let rule = qly_flight::confirm::Confirmation::new(min_sightings);
        self.candidates
            .iter()
            .filter(move |c| rule.becomes_confirmed(c.sightings.saturating_sub(1), c.sightings))
    }

    /// The records to journal, in order: the frame, its sightings, then the candidates they
    /// created or updated.
    pub fn records(&self) -> impl Iterator<Item = Record> + '_ {
        std::iter::once(Record::Frame(self.frame.clone()))
            .chain(self.sightings.iter().cloned().map(Record::Sighting))
            .chain(self.candidates.iter().cloned().map(Record::Candidate))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FindingsError {
    #[error("frame {file} is {width_px}x{height_px} px but the camera calibration is for {cal_width_px}x{cal_height_px} px")]
    SizeMismatch {
        file: String,
        width_px: u32,
        height_px: u32,
        cal_width_px: u32,
        cal_height_px: u32,
    },
    #[error("frame {file}: {source}")]
    Fusion { file: String, source: FusionError },
}

/// Why a journal could not be replayed into the fusion.
#[derive(Debug, thiserror::Error)]
pub enum ResumeError {
    #[error("journal sighting of image {image_index} ({class_name}): {problem}")]
    BadSighting {
        image_index: u64,
        class_name: String,
        problem: String,
    },
}

/// What [`Findings::resume`] rebuilt, and what it could not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resumed {
    /// Complete frames replayed (a frame record and all the sightings it counts).
    pub frames: usize,
    pub sightings: usize,
    /// Frames whose record survives but not all its sightings (a crash cut it short, or
    /// damage): left out; the service processes them again when their photo is there.
    pub incomplete_frames: usize,
    /// Sightings without their frame record before them (it was lost): left out.
    pub orphan_sightings: usize,
    /// Sightings refused by the fusion (values no fusion writes): left out, each logged.
    pub refused_sightings: usize,
    /// The highest candidate id the journal names; new candidates are numbered above it.
    pub highest_id: Option<u64>,
    /// The replay was stopped before the end (shutdown).
    pub interrupted: bool,
}

/// The fusion's sighting back from its journal record.
pub fn sighting_from_record(s: &SightingRecord) -> Result<Sighting, ResumeError> {
    let bad = |problem: String| ResumeError::BadSighting {
        image_index: s.image_index,
        class_name: s.class_name.clone(),
        problem,
    };
    let point = GeoPoint::new(s.lat_deg, s.lon_deg).map_err(|e| bad(e.to_string()))?;
    let camera =
        GeoPoint::new(s.camera.lat_deg, s.camera.lon_deg).map_err(|e| bad(e.to_string()))?;
    let (east_m, north_m) = qly_core::geodesy::LocalFrame::at(camera).project(point);
    let footprint = s
        .footprint
        .iter()
        .map(|[lat, lon]| GeoPoint::new(*lat, *lon).map_err(|e| bad(e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    let [x1, y1, x2, y2] = s.bbox_px;
    Ok(Sighting {
        frame_index: fusion_frame(FrameKey {
            boot: s.boot,
            image_index: s.image_index,
        }),
        t_utc_us: s.t_utc_us,
        class_name: s.class_name.clone(),
        confidence: s.confidence,
        ground: GroundPoint {
            point,
            height_amsl_m: s.ground_amsl_m,
            slant_range_m: s.slant_range_m,
            east_m,
            north_m,
            error: HorizontalError::from_covariance(s.error.cov_en_m2),
        },
        bbox_px: (x1, y1, x2, y2),
        footprint,
    })
}

/// The running state of a flight's findings: the fusion and what was already recorded.
pub struct Findings {
    fusion: Fusion,
    terrain: Box<dyn Terrain + Send + Sync>,
    uncertainty: Uncertainty,
    /// Last journaled revision per candidate id.
    revisions: BTreeMap<u64, u32>,
    /// Photo file per fusion frame ([`fusion_frame`]), for candidates' best views.
    files: BTreeMap<u64, String>,
}

impl std::fmt::Debug for Findings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Findings")
            .field("candidates", &self.fusion.candidates().len())
            .field("uncertainty", &self.uncertainty)
            .finish()
    }
}

impl Findings {
    /// Findings over `terrain`, with `uncertainty` the 1-sigma errors of the pose and of the
    /// detector's box centres.
    pub fn new(
        fusion: Fusion,
        terrain: Box<dyn Terrain + Send + Sync>,
        uncertainty: Uncertainty,
    ) -> Findings {
        Findings {
            fusion,
            terrain,
            uncertainty,
            revisions: BTreeMap::new(),
            files: BTreeMap::new(),
        }
    }

    /// The candidates so far.
    pub fn fusion(&self) -> &Fusion {
        &self.fusion
    }

    pub fn uncertainty(&self) -> &Uncertainty {
        &self.uncertainty
    }

    /// Sets the pose uncertainty (e.g. from the GPS's reported accuracy) for later frames.
    pub fn set_uncertainty(&mut self, uncertainty: Uncertainty) {
        self.uncertainty = uncertainty;
    }

    /// Puts later frames' detections on `terrain` (e.g. once the take-off ground is known).
    /// Candidates already fused keep the positions they were given.
    pub fn set_terrain(&mut self, terrain: Box<dyn Terrain + Send + Sync>) {
        self.terrain = terrain;
    }

    /// The terrain the detections are put on.
    pub fn terrain(&self) -> &(dyn Terrain + Send + Sync) {
        self.terrain.as_ref()
    }

    /// Geotags and fuses one frame's detections, taken from `pose` with a camera of
    /// `intrinsics`.
    pub fn add_frame(
        &mut self,
        meta: &FrameMeta,
        pose: &CameraPose,
        intrinsics: &CameraIntrinsics,
        detections: &[Detection],
    ) -> Result<FrameOutcome, FindingsError> {
        if (meta.width_px, meta.height_px) != (intrinsics.width_px, intrinsics.height_px) {
            return Err(FindingsError::SizeMismatch {
                file: meta.file.clone(),
                width_px: meta.width_px,
                height_px: meta.height_px,
                cal_width_px: intrinsics.width_px,
                cal_height_px: intrinsics.height_px,
            });
        }
        let camera = camera_record(pose, self.terrain.as_ref());
        let mut sightings = Vec::new();
        let mut dropped = Vec::new();
        for d in detections {
            match self.locate(meta, pose, intrinsics, d) {
                Ok(s) => sightings.push(s),
                Err(reason) => dropped.push(Dropped {
                    detection: d.clone(),
                    reason,
                }),
            }
        }
        let events =
            self.fusion
                .add_frame(sightings.clone())
                .map_err(|source| FindingsError::Fusion {
                    file: meta.file.clone(),
                    source,
                })?;
        let key = FrameKey {
            boot: meta.boot,
            image_index: meta.image_index,
        };
        self.files.insert(fusion_frame(key), meta.file.clone());

        let mut sighting_records = Vec::with_capacity(sightings.len());
        let mut candidates = Vec::new();
        let mut new_candidates = Vec::new();
        for (s, event) in sightings.iter().zip(&events) {
            let id = event.id();
            sighting_records.push(sighting_record(s, id, &meta.file, camera));
            if let FusionEvent::NewCandidate(id) = event {
                new_candidates.push(*id);
            }
            let Some(c) = self.fusion.candidate(id) else {
                continue;
            };
            let revision = self.revisions.entry(id).or_insert(0);
            *revision += 1;
            let best_file = self
                .files
                .get(&c.best_sighting.frame_index)
                .map(String::as_str)
                .unwrap_or("");
            candidates.push(candidate_record(c, *revision, best_file));
        }
        Ok(FrameOutcome {
            frame: FrameRecord {
                boot: meta.boot,
                image_index: meta.image_index,
                file: meta.file.clone(),
                t_utc_us: meta.t_utc_us,
                t_boot_ms: meta.t_boot_ms,
                width_px: meta.width_px,
                height_px: meta.height_px,
                camera,
                detections: detections.len() as u32,
                sightings: sighting_records.len() as u32,
            },
            sightings: sighting_records,
            candidates,
            new_candidates,
            dropped,
        })
    }

    /// Rebuilds the fusion from a journal's records after a restart, keeping every intact
    /// record's meaning even when others were lost (a damaged card):
    ///
    /// - each complete frame's sightings (a frame record followed by as many sighting records
    ///   as it counts) are put back, in journal order, into the candidates the journal gave
    ///   them ([`Fusion::restore_frame`]): the fusion's decisions come from the journal and
    ///   are not made again, so a lost record can never shift another candidate's id;
    /// - new candidates are numbered above the highest id the journal names (sightings and
    ///   candidate records), so no id is given twice, not even one whose records were all
    ///   lost;
    /// - revisions continue from the higher of the last journaled revision and the sightings
    ///   restored;
    /// - a frame cut short (by a crash, or damage) is left out and processed again when its
    ///   photo is there; when a frame was journaled twice (cut short, then processed again)
    ///   its last complete copy is used; a sighting without its frame record, or one the
    ///   fusion refuses, is left out and counted.
    ///
    /// Nothing is geotagged again: a sighting record keeps its ground point, error and
    /// footprint. `keep_going` is asked before each frame (and may sleep: a test's delay);
    /// when it says no, the replay stops there ([`Resumed::interrupted`]).
    pub fn resume(&mut self, records: &[Record], mut keep_going: impl FnMut() -> bool) -> Resumed {
        // One journaled frame: its key, the sightings its record counts, and the sightings
        // that follow it with their journaled candidate ids.
        type Group = (FrameKey, u32, Vec<(u64, Sighting)>);
        let mut groups: Vec<Group> = Vec::new();
        let mut revisions = BTreeMap::new();
        let mut out = Resumed::default();
        let note_id = |id: u64, out: &mut Resumed| {
            out.highest_id = Some(out.highest_id.map_or(id, |h| h.max(id)));
        };
        for r in records {
            match r {
                Record::Frame(f) => {
                    let key = FrameKey {
                        boot: f.boot,
                        image_index: f.image_index,
                    };
                    self.files.insert(fusion_frame(key), f.file.clone());
                    groups.push((key, f.sightings, Vec::new()));
                }
                Record::Sighting(s) => {
                    note_id(s.candidate_id, &mut out);
                    let key = FrameKey {
                        boot: s.boot,
                        image_index: s.image_index,
                    };
                    let sighting = match sighting_from_record(s) {
                        Ok(x) => x,
                        Err(e) => {
                            tracing::warn!("journal: sighting left out of the fusion: {e}");
                            out.refused_sightings += 1;
                            continue;
                        }
                    };
                    match groups.last_mut() {
                        Some((k, _, group)) if *k == key => group.push((s.candidate_id, sighting)),
                        // Its frame record is not before it: not a complete frame.
                        _ => out.orphan_sightings += 1,
                    }
                }
                Record::Candidate(c) => {
                    note_id(c.id, &mut out);
                    let e = revisions.entry(c.id).or_insert(0u32);
                    *e = (*e).max(c.revision);
                }
                Record::Header(_) | Record::Capture(_) | Record::FrameSkipped(_) => {}
            }
        }
        let mut last_copy = BTreeMap::new();
        for (i, g) in groups.iter().enumerate() {
            if g.2.len() == g.1 as usize {
                last_copy.insert(g.0, i);
            }
        }
        for (i, (key, expected, group)) in groups.into_iter().enumerate() {
            if group.len() != expected as usize {
                if !last_copy.contains_key(&key) {
                    out.incomplete_frames += 1;
                }
                continue;
            }
            if last_copy.get(&key) != Some(&i) {
                continue;
            }
            if !keep_going() {
                out.interrupted = true;
                break;
            }
            let n = group.len();
            // A frame the fusion refuses as a whole is retried sighting by sighting, so one
            // bad value costs one sighting.
            if let Err(e) = self.fusion.restore_frame(group.clone()) {
                tracing::warn!("journal: frame {key} not restored as a whole ({e}); restoring its sightings one by one");
                for one in group {
                    if let Err(e) = self.fusion.restore_frame(vec![one]) {
                        tracing::warn!("journal: sighting of {key} left out of the fusion: {e}");
                        out.refused_sightings += 1;
                    } else {
                        out.sightings += 1;
                    }
                }
            } else {
                out.sightings += n;
            }
            out.frames += 1;
        }
        if let Some(h) = out.highest_id {
            self.fusion.reserve_ids_below(h + 1);
        }
        for (id, revision) in revisions {
            let r = self.revisions.entry(id).or_insert(0);
            *r = (*r).max(revision);
        }
        // A candidate whose last revisions were lost: continue above its restored sightings
        // (each sighting made one revision).
        for c in self.fusion.candidates() {
            let r = self.revisions.entry(c.id).or_insert(0);
            *r = (*r).max(c.sightings);
        }
        out
    }

    /// One detection on the ground.
    fn locate(
        &self,
        meta: &FrameMeta,
        pose: &CameraPose,
        intrinsics: &CameraIntrinsics,
        d: &Detection,
    ) -> Result<Sighting, GeotagError> {
        let (x1, y1, x2, y2) = d.bbox_px;
        let (x1, y1, x2, y2) = (x1 as f64, y1 as f64, x2 as f64, y2 as f64);
        let centre = ((x1 + x2) / 2.0, (y1 + y2) / 2.0);
        let ground = geotag(
            centre,
            intrinsics,
            pose,
            self.terrain.as_ref(),
            &self.uncertainty,
        )?;
        let footprint = if self.fusion.settings().plume_classes.contains(&d.class_name) {
            let xm = (x1 + x2) / 2.0;
            let ym = (y1 + y2) / 2.0;
            let exact = Uncertainty::default();
            [
                (x1, y1),
                (xm, y1),
                (x2, y1),
                (x2, ym),
                (x2, y2),
                (xm, y2),
                (x1, y2),
                (x1, ym),
            ]
            .iter()
            .filter_map(|&px| geotag(px, intrinsics, pose, self.terrain.as_ref(), &exact).ok())
            .map(|g| g.point)
            .collect::<Vec<GeoPoint>>()
        } else {
            Vec::new()
        };
        Ok(Sighting {
            frame_index: fusion_frame(FrameKey {
                boot: meta.boot,
                image_index: meta.image_index,
            }),
            t_utc_us: meta.t_utc_us,
            class_name: d.class_name.clone(),
            confidence: d.confidence,
            ground,
            bbox_px: d.bbox_px,
            footprint,
        })
    }
}

/// The camera's position and pointing for the journal.
pub fn camera_record(pose: &CameraPose, terrain: &dyn Terrain) -> CameraRecord {
    let (roll, pitch, yaw) = pose.q_ned_body.to_euler_rad();
    let (camera_pitch_deg, camera_yaw_deg) = optical_axis_deg(&pose.r_ned_camera());
    let height_above_ground_m = terrain
        .height_amsl_m(pose.position.point())
        .ok()
        .map(|h| pose.position.alt_amsl_m - h);
    CameraRecord {
        lat_deg: pose.position.lat_deg,
        lon_deg: pose.position.lon_deg,
        alt_amsl_m: pose.position.alt_amsl_m,
        height_above_ground_m,
        roll_deg: roll.to_degrees(),
        pitch_deg: pitch.to_degrees(),
        yaw_deg: yaw.to_degrees().rem_euclid(360.0),
        camera_pitch_deg,
        camera_yaw_deg,
    }
}

/// Pitch (negative below the horizon) and yaw (clockwise from north, in [0, 360)) of the
/// camera's optical axis, degrees. The axis is the camera frame's z, i.e. the third column of
/// `r_ned_camera`.
fn optical_axis_deg(r_ned_camera: &Mat3) -> (f64, f64) {
    let r = &r_ned_camera.rows;
    let (n, e, d) = (r[0][2], r[1][2], r[2][2]);
    let pitch = (-d).atan2(n.hypot(e)).to_degrees();
    let yaw = if n.hypot(e) < 1e-9 {
        0.0
    } else {
        e.atan2(n).to_degrees().rem_euclid(360.0)
    };
    (pitch, yaw)
}

/// The record of `sighting`, fused into candidate `candidate_id`, seen from `camera` in
/// photo `file`.
pub fn sighting_record(
    sighting: &Sighting,
    candidate_id: u64,
    file: &str,
    camera: CameraRecord,
) -> SightingRecord {
    let (x1, y1, x2, y2) = sighting.bbox_px;
    let key = frame_key(sighting.frame_index);
    SightingRecord {
        boot: key.boot,
        candidate_id,
        image_index: key.image_index,
        file: file.to_string(),
        t_utc_us: sighting.t_utc_us,
        class_name: sighting.class_name.clone(),
        confidence: sighting.confidence,
        bbox_px: [x1, y1, x2, y2],
        lat_deg: sighting.ground.point.lat_deg,
        lon_deg: sighting.ground.point.lon_deg,
        ground_amsl_m: sighting.ground.height_amsl_m,
        slant_range_m: sighting.ground.slant_range_m,
        error: sighting.ground.error,
        footprint: sighting
            .footprint
            .iter()
            .map(|p| [p.lat_deg, p.lon_deg])
            .collect(),
        camera,
    }
}
/// The record of `candidate` at `revision`; `best_file` is the photo file of its best
/// sighting (the fusion knows frames only by index).
pub fn candidate_record(candidate: &Candidate, revision: u32, best_file: &str) -> CandidateRecord {
    let (attribution, along_river_m) = match candidate.attribution {
        Attribution::FusedCentre => ("fused_centre", None),
        Attribution::UpstreamEnd { along_river_m } => ("upstream_end", Some(along_river_m)),
    };
    let best = &candidate.best_sighting;
    let (x1, y1, x2, y2) = best.bbox_px;
    CandidateRecord {
        id: candidate.id,
        revision,
        class_name: candidate.class_name.clone(),
        lat_deg: candidate.position.lat_deg,
        lon_deg: candidate.position.lon_deg,
        attribution: attribution.to_string(),
        along_river_m,
        fused_lat_deg: candidate.fused_position.lat_deg,
        fused_lon_deg: candidate.fused_position.lon_deg,
        error: candidate.error,
        sightings: candidate.sightings,
        first_t_utc_us: candidate.first_t_utc_us,
        last_t_utc_us: candidate.last_t_utc_us,
        confidence_max: candidate.confidence_max,
        confidence_mean: candidate.confidence_mean,
        best: BestView {
            boot: frame_key(best.frame_index).boot,
            image_index: frame_key(best.frame_index).image_index,
            file: best_file.to_string(),
            bbox_px: [x1, y1, x2, y2],
            confidence: best.confidence,
            slant_range_m: best.ground.slant_range_m,
        },
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::fusion::FusionSettings;
    use qly_core::geotag::CameraMount;
    use qly_core::intrinsics::BrownConrady;
    use qly_core::pose::AmslPosition;
    use qly_core::rotation::Quat;
    use qly_core::terrain::FlatGround;

    /// The test camera: 4000 x 3000 px, f = 3000 px, 100 m above flat ground at
    /// 30 N 120 E, looking straight down with the image top to the north.
    fn setup() -> (Findings, CameraPose, CameraIntrinsics, FrameMeta) {
        let intrinsics = CameraIntrinsics::new(
            4000,
            3000,
            3000.0,
            3000.0,
            2000.0,
            1500.0,
            BrownConrady::default(),
        )
        .unwrap();
        let pose = CameraPose {
            position: AmslPosition::new(30.0, 120.0, 110.0).unwrap(),
            q_ned_body: Quat::from_ypr_deg(0.0, 0.0, 0.0),
            mount: CameraMount::EarthFrame(Quat::from_ypr_deg(0.0, -90.0, 0.0)),
        };
        let findings = Findings::new(
            Fusion::new(FusionSettings::default(), None).unwrap(),
            Box::new(FlatGround {
                height_amsl_m: 10.0,
            }),
            Uncertainty {
                horizontal_position_sigma_m: 1.0,
                altitude_sigma_m: 1.0,
                roll_pitch_sigma_deg: 0.5,
                heading_sigma_deg: 1.0,
                pixel_sigma_px: 2.0,
            },
        );
        let meta = FrameMeta {
            boot: 0,
            image_index: 1,
            file: "frames/1.jpg".into(),
            t_utc_us: 1_000_000,
            t_boot_ms: Some(1000.0),
            width_px: 4000,
            height_px: 3000,
        };
        (findings, pose, intrinsics, meta)
    }

    fn det(class_name: &str, cx: f32, cy: f32) -> Detection {
        Detection {
            class_id: usize::from(class_name == "plume"),
            class_name: class_name.into(),
            confidence: 0.9,
            bbox_px: (cx - 10.0, cy - 10.0, cx + 10.0, cy + 10.0),
        }
    }

    #[test]
    fn a_detection_east_of_centre_lands_east_and_starts_a_candidate() {
        let (mut findings, pose, intrinsics, meta) = setup();
        let out = findings
            .add_frame(&meta, &pose, &intrinsics, &[det("outfall", 3000.0, 1500.0)])
            .unwrap();
        assert_eq!(out.new_candidates, vec![0]);
        assert_eq!(out.sightings.len(), 1);
        let s = &out.sightings[0];
        let plane = qly_core::geodesy::LocalFrame::at(GeoPoint::new(30.0, 120.0).unwrap());
        let (e, n) = plane.project(GeoPoint::new(s.lat_deg, s.lon_deg).unwrap());
        assert!((e - 100.0 / 3.0).abs() < 0.01 && n.abs() < 0.01, "{e} {n}");
        assert!((out.frame.camera.camera_pitch_deg + 90.0).abs() < 1e-9);
        assert_eq!(out.frame.camera.height_above_ground_m, Some(100.0));
        assert_eq!(out.candidates[0].revision, 1);
        assert_eq!(out.candidates[0].best.file, "frames/1.jpg");
        let kinds: Vec<&str> = out
            .records()
            .map(|r| match r {
                Record::Frame(_) => "frame",
                Record::Sighting(_) => "sighting",
                Record::Candidate(_) => "candidate",
                _ => "other",
            })
            .collect();
        assert_eq!(kinds, ["frame", "sighting", "candidate"]);
    }

    #[test]
    fn a_second_frame_updates_the_candidate_with_a_new_revision() {
        let (mut findings, pose, intrinsics, mut meta) = setup();
        findings
            .add_frame(&meta, &pose, &intrinsics, &[det("outfall", 2000.0, 1500.0)])
            .unwrap();
        meta.image_index = 2;
        meta.file = "frames/2.jpg".into();
        let out = findings
            .add_frame(&meta, &pose, &intrinsics, &[det("outfall", 2003.0, 1500.0)])
            .unwrap();
        assert!(out.new_candidates.is_empty());
        assert_eq!(out.candidates.len(), 1);
        assert_eq!(out.candidates[0].revision, 2);
        assert_eq!(out.candidates[0].sightings, 2);
    }

    /// Four frames: one outfall seen in every frame, a second, far away, only in frame 2.
    /// Returns (frame, candidate id, sightings) of every candidate `confirmed(min)` gave.
    fn confirmations(min_sightings: u32) -> Vec<(u64, u64, u32)> {
        let (mut findings, pose, intrinsics, mut meta) = setup();
        let mut got = Vec::new();
        for i in 1..=4u64 {
            meta.image_index = i;
            meta.file = format!("frames/{i}.jpg");
            let mut dets = vec![det("outfall", 2000.0 + i as f32, 1500.0)];
            if i == 2 {
                dets.push(det("outfall", 3800.0, 200.0));
            }
            let out = findings
                .add_frame(&meta, &pose, &intrinsics, &dets)
                .unwrap();
            got.extend(out.confirmed(min_sightings).map(|c| (i, c.id, c.sightings)));
        }
        got
    }

    #[test]
    fn a_candidate_is_confirmed_once_in_the_frame_its_sightings_reach_the_minimum() {
        // 1 (and 0, read as 1): every candidate in the frame that created it.
        assert_eq!(confirmations(1), vec![(1, 0, 1), (2, 1, 1)]);
        assert_eq!(confirmations(0), confirmations(1));
        // 3: the outfall seen every time at its third photo, once; the single sighting never.
        assert_eq!(confirmations(3), vec![(3, 0, 3)]);
        assert_eq!(confirmations(5), vec![]);
    }

    #[test]
    fn plumes_get_a_footprint_and_rays_above_the_horizon_are_dropped() {
        let (mut findings, mut pose, intrinsics, meta) = setup();
        // Camera pitched 10 degrees below the horizon: the image top looks at the sky.
        pose.mount = CameraMount::EarthFrame(Quat::from_ypr_deg(0.0, -10.0, 0.0));
        let out = findings
            .add_frame(
                &meta,
                &pose,
                &intrinsics,
                &[det("outfall", 2000.0, 100.0), det("plume", 2000.0, 2900.0)],
            )
            .unwrap();
        assert_eq!(out.dropped.len(), 1);
        assert_eq!(out.dropped[0].detection.class_name, "outfall");
        assert_eq!(out.sightings.len(), 1);
        assert_eq!(out.frame.detections, 2);
        assert_eq!(out.frame.sightings, 1);
        let c = &findings.fusion().candidates()[0];
        assert_eq!(c.best_sighting.footprint.len(), 8);
    }

    #[test]
    fn resume_rebuilds_candidates_and_continues_revisions() {
        let (mut findings, pose, intrinsics, mut meta) = setup();
        let mut journal: Vec<Record> = Vec::new();
        for (i, dx) in [(1u64, 0.0f32), (2, 3.0), (3, 900.0)] {
            meta.image_index = i;
            meta.file = format!("frames/{i}.jpg");
            let out = findings
                .add_frame(
                    &meta,
                    &pose,
                    &intrinsics,
                    &[
                        det("outfall", 2000.0 + dx, 1500.0),
                        det("plume", 1000.0, 500.0),
                    ],
                )
                .unwrap();
            journal.extend(out.records());
        }
        let (mut resumed, _, _, _) = setup();
        let r = resumed.resume(&journal, || true);
        assert_eq!((r.frames, r.sightings, r.highest_id), (3, 6, Some(2)));
        let a = findings.fusion().candidates();
        let b = resumed.fusion().candidates();
        assert_eq!(a.len(), b.len());
        for (a, b) in a.iter().zip(b) {
            assert_eq!((a.id, a.sightings), (b.id, b.sightings));
            assert!(a.fused_position.distance_m(b.fused_position) < 1e-6);
            assert_eq!(
                a.best_sighting.footprint.len(),
                b.best_sighting.footprint.len()
            );
        }
        // The next frame continues both the same way.
        meta.image_index = 4;
        meta.file = "frames/4.jpg".into();
        let dets = [det("outfall", 2001.0, 1500.0)];
        let x = findings
            .add_frame(&meta, &pose, &intrinsics, &dets)
            .unwrap();
        let y = resumed.add_frame(&meta, &pose, &intrinsics, &dets).unwrap();
        assert_eq!(x.candidates, y.candidates);
        // A frame cut short (frame record, one of its two sightings) is not replayed.
        // Frame 1 is records 0..5 (frame, two sightings, two candidates); 5 is frame 2's.
        let mut cut: Vec<Record> = journal[..6].to_vec();
        cut.push(journal[6].clone());
        let (mut partial, _, _, _) = setup();
        let r = partial.resume(&cut, || true);
        assert_eq!((r.frames, r.sightings, r.incomplete_frames), (1, 2, 1));
        // Frames 1 and 2 saw this outfall (frame 3 saw another one, 30 m away).
        assert_eq!(y.candidates[0].revision, 3);
    }

    #[test]
    fn resume_after_lost_records_keeps_the_journaled_ids_and_numbers_new_ones_above() {
        let (mut findings, pose, intrinsics, mut meta) = setup();
        let mut journal: Vec<Record> = Vec::new();
        // Frame 1: outfall A (id 0). Frame 2: outfall B far away (id 1). Frame 3: A again.
        for (i, x) in [(1u64, 2000.0f32), (2, 3500.0), (3, 2001.0)] {
            meta.image_index = i;
            meta.file = format!("frames/{i}.jpg");
            let out = findings
                .add_frame(&meta, &pose, &intrinsics, &[det("outfall", x, 1500.0)])
                .unwrap();
            journal.extend(out.records());
        }
        let ids: Vec<u64> = journal
            .iter()
            .filter_map(|r| match r {
                Record::Sighting(s) => Some(s.candidate_id),
                _ => None,
            })
            .collect();
        assert_eq!(ids, [0, 1, 0]);
        // Frame 1's sighting is lost (a flipped bit): replaying by association would make
        // B candidate 0; restoring by the journal's ids keeps B as 1 and A as 0.
        let damaged: Vec<Record> = journal
            .iter()
            .filter(|r| !matches!(r, Record::Sighting(s) if s.image_index == 1))
            .cloned()
            .collect();
        let (mut resumed, _, _, _) = setup();
        let r = resumed.resume(&damaged, || true);
        assert_eq!(
            (r.frames, r.sightings, r.incomplete_frames, r.highest_id),
            (2, 2, 1, Some(1))
        );
        let got: Vec<(u64, u32)> = resumed
            .fusion()
            .candidates()
            .iter()
            .map(|c| (c.id, c.sightings))
            .collect();
        assert_eq!(got, [(0, 1), (1, 1)]);
        // Frame 1 processed again joins A (id 0), and revisions continue past the journal's.
        meta.image_index = 1;
        meta.file = "frames/1.jpg".into();
        let again = resumed
            .add_frame(&meta, &pose, &intrinsics, &[det("outfall", 2000.0, 1500.0)])
            .unwrap();
        assert_eq!(again.candidates[0].id, 0);
        assert_eq!(again.candidates[0].revision, 3);
        // A new source gets an id above every journaled one.
        meta.image_index = 4;
        let new = resumed
            .add_frame(&meta, &pose, &intrinsics, &[det("outfall", 500.0, 500.0)])
            .unwrap();
        assert_eq!(new.new_candidates, [2]);
        // Only candidate records survive for an id: it is never given again.
        let only_candidates: Vec<Record> = journal
            .iter()
            .filter(|r| matches!(r, Record::Candidate(_)))
            .cloned()
            .collect();
        let (mut bare, _, _, _) = setup();
        let r = bare.resume(&only_candidates, || true);
        assert_eq!((r.frames, r.highest_id), (0, Some(1)));
        let first = bare
            .add_frame(&meta, &pose, &intrinsics, &[det("outfall", 500.0, 500.0)])
            .unwrap();
        assert_eq!(first.new_candidates, [2]);
    }

    /// A journal written by the flight's journal writer: 60 frames over a dozen sources (two
    /// sightings in most frames), then one bit flipped at a random offset, 100 seeded trials.
    /// Every trial opens, keeps every record whose line the flip did not touch, and rebuilds
    /// a fusion whose candidates keep their journaled ids; new ids come above them all.
    #[test]
    fn a_journal_with_a_flipped_bit_anywhere_always_resumes_keeping_every_intact_record() {
        use crate::journal::{Journal, JournalOptions};
        use rand::{RngExt, SeedableRng};
        let (mut findings, pose, intrinsics, mut meta) = setup();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.qlj");
        let mut original: Vec<Record> = Vec::new();
        {
            let (journal, _) = Journal::open(&path, JournalOptions::default()).unwrap();
            for i in 1..=60u64 {
                meta.image_index = i;
                meta.file = format!("frames/{i}.jpg");
                // Sources 150 px apart along the flight, each in three consecutive frames.
                let x = 200.0 + 150.0 * ((i / 3) % 12) as f32;
                let dets = [det("outfall", x, 1500.0), det("plume", x, 600.0)];
                let out = findings
                    .add_frame(&meta, &pose, &intrinsics, &dets)
                    .unwrap();
                for r in out.records() {
                    journal.append(&r).unwrap();
                    original.push(r);
                }
            }
            journal.flush().unwrap();
        }
        let bytes = std::fs::read(&path).unwrap();
        let originals: std::collections::BTreeMap<u64, (String, u32)> = findings
            .fusion()
            .candidates()
            .iter()
            .map(|c| (c.id, (c.class_name.clone(), c.sightings)))
            .collect();
        let highest = *originals.keys().last().unwrap();
        // Each record's line, to know which ones a flip touched.
        let mut lines = Vec::new();
        let mut start = 0;
        for (i, b) in bytes.iter().enumerate() {
            if *b == b'\n' {
                lines.push(start..i + 1);
                start = i + 1;
            }
        }
        assert_eq!(lines.len(), original.len());
        let mut rng = rand_pcg::Pcg64::seed_from_u64(21);
        for trial in 0..100 {
            let offset = rng.random_range(0..bytes.len());
            let bit = rng.random_range(0..8);
            let mut damaged = bytes.clone();
            damaged[offset] ^= 1 << bit;
            let trial_path = dir.path().join(format!("t{trial}.qlj"));
            std::fs::write(&trial_path, &damaged).unwrap();
            let (journal, contents) = Journal::open(&trial_path, JournalOptions::default())
                .unwrap_or_else(|e| panic!("trial {trial} (byte {offset}): {e}"));
            // Every record on an untouched line is kept (a flip that makes a newline may
            // also cost the next line).
            let touched = lines.iter().position(|l| l.contains(&offset)).unwrap();
            for (i, r) in original.iter().enumerate() {
                if i != touched && i != touched + 1 {
                    assert!(
                        contents.records.contains(r),
                        "trial {trial}: record {i} lost (flip in record {touched})"
                    );
                }
            }
            let (mut resumed, _, _, _) = setup();
            let r = resumed.resume(&contents.records, || true);
            assert!(r.frames >= 58, "trial {trial}: {r:?}");
            for c in resumed.fusion().candidates() {
                let (class, sightings) = &originals[&c.id];
                assert_eq!(&c.class_name, class, "trial {trial}: candidate {}", c.id);
                assert!(c.sightings <= *sightings, "trial {trial}");
            }
            // Appends continue, and a new source gets an id above every journaled one.
            meta.image_index = 1000;
            let new = resumed
                .add_frame(&meta, &pose, &intrinsics, &[det("outfall", 3900.0, 2900.0)])
                .unwrap();
            assert!(new.new_candidates[0] > highest, "trial {trial}: {new:?}");
            for rec in new.records() {
                journal.append(&rec).unwrap();
            }
            journal.flush().unwrap();
        }
    }

    #[test]
    fn a_frame_of_another_size_than_the_calibration_is_refused() {
        let (mut findings, pose, intrinsics, mut meta) = setup();
        meta.width_px = 2000;
        let err = findings
            .add_frame(&meta, &pose, &intrinsics, &[])
            .unwrap_err();
        assert!(err.to_string().contains("2000x3000"), "{err}");
    }
}
