//! Fusion: sightings of one source across frames merge into one candidate.
//!
//! Values in, values out: [`Fusion`] takes geotagged [`Sighting`]s (from the detector and
//! [`qly_core::geotag`]) and keeps [`Candidate`]s, with no I/O.
//!
//! # Frame
//!
//! Positions live in one local east/north plane ([`LocalFrame`]) fixed at the first
//! sighting's ground point (or at an origin the caller gives, [`Fusion::with_origin`]). A
//! sighting's covariance is in its camera's east/north axes; those axes turn against the
//! fusion frame's by about 1e-4 rad per kilometre between them (meridian convergence), which
//! is neglected.
//!
//! # Gating
//!
//! Each sighting's covariance is its predicted geotag covariance plus an isotropic
//! model-noise floor ([`FusionSettings::model_noise_sigma_m`]): the error model does not know
//! how far the box centre is from the true source, nor terrain-model error, and a prediction
//! of a few centimetres must not forbid a merge. A sighting at `x` with covariance `R` is
//! compatible with a candidate at `c` with covariance `P` when the squared Mahalanobis
//! distance `(x - c)^T (R + P)^-1 (x - c)` is within [`FusionSettings::gate_chi2`] (the
//! chi-square quantile with 2 degrees of freedom: 9.21 at 99 %, so a true sighting is
//! refused 1 % of the time and starts a duplicate). Among compatible candidates the nearest
//! by that distance wins; the sightings of one frame ([`Fusion::add_frame`]) are assigned
//! together, minimising their summed distance. Only candidates of the same class are
//! considered unless [`FusionSettings::merge_across_classes`] is set, and a candidate never
//! takes two sightings of one frame: the detector already decided they are different objects.
//!
//! # Resolution
//!
//! Two sources closer than about `sqrt(gate_chi2) * sqrt(R + P)` cannot be told apart by a
//! single sighting: at the 99 % gate with 1 m sigmas (plus the 0.5 m floor) that is 3.4 m. In
//! one frame they are kept apart (one sighting per frame per candidate); across frames a
//! sighting goes to the nearer of the two.
//!
//! # Fusion
//!
//! Information-weighted mean: `Y = sum R_i^-1`, `y = sum R_i^-1 x_i`, fused covariance
//! `P = Y^-1`, mean `P y`. This is the maximum-likelihood position of a fixed source seen
//! with independent Gaussian errors, and as a sum it is independent of the sightings' order.
//! Errors that are common to sightings (a heading bias held over a whole pass) do not average
//! out, so `P` is optimistic by that much; the floor bounds the damage.
//!
//! # Plumes
//!
//! A plume's box spans the plume, and its centre drifts with the water. Where a river
//! centreline is known (in flow order, upstream first), a candidate whose class is one of
//! [`FusionSettings::plume_classes`] is reported at its upstream end: of all its sightings'
//! footprint points ([`Sighting::footprint`], e.g. the geotagged box corners; the ground point
//! when a sighting has none), the one whose projection onto the centreline is furthest
//! upstream (smallest along-river distance). Without a river, or for other classes, the
//! reported position is the fused centre.
//!
//! ```
//! use companion::fusion::{Fusion, FusionEvent, FusionSettings, Sighting};
//! use qly_core::geodesy::{GeoPoint, LocalFrame};
//! use qly_core::geotag::{GroundPoint, HorizontalError};
//! let plane = LocalFrame::at(GeoPoint::new(30.0, 120.0).unwrap());
//! let seen = |frame_index: u64, e_m: f64| Sighting {
//!     frame_index,
//!     t_utc_us: frame_index as i64 * 1_000_000,
//!     class_name: "outfall".into(),
//!     confidence: 0.8,
//!     ground: GroundPoint {
//!         point: plane.unproject(e_m, 0.0),
//!         height_amsl_m: 5.0,
//!         slant_range_m: 120.0,
//!         east_m: e_m,
//!         north_m: 0.0,
//!         error: HorizontalError::from_covariance([[4.0, 0.0], [0.0, 4.0]]),
//!     },
//!     bbox_px: (100.0, 100.0, 140.0, 130.0),
//!     footprint: vec![],
//! };
//! let mut fusion = Fusion::new(FusionSettings::default(), None).unwrap();
//! assert_eq!(fusion.add(seen(0, 0.0)).unwrap(), FusionEvent::NewCandidate(0));
//! assert_eq!(fusion.add(seen(1, 1.0)).unwrap(), FusionEvent::Updated(0));
//! assert_eq!(fusion.add(seen(2, 40.0)).unwrap(), FusionEvent::NewCandidate(1));
//! let c = &fusion.candidates()[0];
//! // Equal weights: the midpoint, with variance (4 + 0.5^2) / 2 per axis.
//! assert!((plane.project(c.fused_position).0 - 0.5).abs() < 1e-6);
//! assert!((c.error.sigma_major_m - (4.25f64 / 2.0).sqrt()).abs() < 1e-9);
//! ```

mod assign;
mod gauss2;
mod river;

use std::collections::BTreeSet;

use qly_core::geodesy::{CoordError, GeoPoint, LocalFrame};
use qly_core::geotag::{GroundPoint, HorizontalError};
use thiserror::Error;

pub use river::RiverCentreline;

use gauss2::Mat2;

/// A detection box in photo pixels, `(x_min, y_min, x_max, y_max)`.
pub type BoxPx = (f32, f32, f32, f32);

/// One geotagged detection in one frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Sighting {
    /// The frame (photo) it was detected in; one candidate takes at most one sighting a frame.
    pub frame_index: u64,
    /// Capture time, microseconds since the Unix epoch, UTC.
    pub t_utc_us: i64,
    pub class_name: String,
    /// Detector confidence in [0, 1].
    pub confidence: f32,
    /// The geotagged box centre (or whatever pixel the caller chose) with its predicted
    /// horizontal error.
    pub ground: GroundPoint,
    /// The detection box in the photo, for the evidence crop.
    pub bbox_px: BoxPx,
    /// Ground points spanning the detection (geotagged box corners, or just the upstream-most
    /// point the caller found); used for plume attribution. Empty: only `ground` is known.
    pub footprint: Vec<GeoPoint>,
}

/// Tuning of [`Fusion`]; see the module doc for what each does.
#[derive(Debug, Clone, PartialEq)]
pub struct FusionSettings {
    /// Gate on the squared Mahalanobis distance (chi-square, 2 dof): 9.21 = 99 %, 5.99 = 95 %,
    /// 13.82 = 99.9 %.
    pub gate_chi2: f64,
    /// 1-sigma model noise per axis added to every sighting's covariance, metres.
    pub model_noise_sigma_m: f64,
    /// Let sightings of different classes merge (the class is then a confidence-weighted
    /// vote).
    pub merge_across_classes: bool,
    /// Classes reported at their upstream end when a river is known.
    pub plume_classes: Vec<String>,
}

impl Default for FusionSettings {
    fn default() -> Self {
        FusionSettings {
            gate_chi2: 9.21,
            model_noise_sigma_m: 0.5,
            merge_across_classes: false,
            plume_classes: vec!["plume".to_string()],
        }
    }
}

/// Why a sighting, setting or river was refused.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum FusionError {
    #[error("fusion setting {field} = {value} is invalid: expected {expected}")]
    BadSetting {
        field: &'static str,
        value: f64,
        expected: &'static str,
    },
    #[error("sighting (frame {frame_index}) {field} = {value} is invalid: expected {expected}")]
    BadSighting {
        frame_index: u64,
        field: &'static str,
        value: f64,
        expected: &'static str,
    },
    #[error("sighting (frame {frame_index}) has an empty class name")]
    EmptyClass { frame_index: u64 },
    #[error("sighting (frame {frame_index}) {field}: {source}")]
    BadPoint {
        frame_index: u64,
        field: &'static str,
        source: CoordError,
    },
    #[error("sighting (frame {frame_index}): covariance {cov_en_m2:?} plus the model-noise floor is not positive definite (a zero or negative sigma, or a perfectly correlated ellipse); raise model_noise_sigma_m or fix the error model")]
    SingularCovariance {
        frame_index: u64,
        cov_en_m2: [[f64; 2]; 2],
    },
    #[error("river centreline has {points} point(s): expected at least 2, upstream first")]
    RiverTooShort { points: usize },
    #[error("river centreline point {index}: {source}")]
    RiverPoint { index: usize, source: CoordError },
    #[error("river centreline segment {index} has zero length (repeated point): expected distinct consecutive points")]
    RiverDegenerateSegment { index: usize },
}

/// What [`Fusion::add`] did with a sighting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FusionEvent {
    NewCandidate(u64),
    Updated(u64),
}

impl FusionEvent {
    /// The candidate the sighting went to.
    pub fn id(self) -> u64 {
        match self {
            FusionEvent::NewCandidate(id) | FusionEvent::Updated(id) => id,
        }
    }
}

/// Where a candidate's reported [`Candidate::position`] comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Attribution {
    /// The information-weighted mean of its sightings.
    FusedCentre,
    /// The furthest-upstream footprint point of a plume, `along_river_m` downstream of the
    /// centreline's first point.
    UpstreamEnd { along_river_m: f64 },
}

/// One source: the fusion of its sightings.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// Stable id, in order of creation from 0.
    pub id: u64,
    /// The class (the confidence-weighted majority when classes were merged).
    pub class_name: String,
    /// Reported position: the fused centre, or a plume's upstream end (see `attribution`).
    pub position: GeoPoint,
    pub attribution: Attribution,
    /// The information-weighted mean of the sightings.
    pub fused_position: GeoPoint,
    /// Predicted error of `fused_position` (covariance, 1-sigma ellipse, CEP50, CE90), in the
    /// fusion frame's east/north.
    pub error: HorizontalError,
    /// Number of sightings fused.
    pub sightings: u32,
    pub first_t_utc_us: i64,
    pub last_t_utc_us: i64,
    /// The sighting for the evidence crop: highest confidence; ties go to the smallest slant
    /// range (nearest nadir, sharpest), then the earliest.
    pub best_sighting: Sighting,
    pub confidence_max: f32,
    pub confidence_mean: f32,
    /// Sum of confidences per class, in order of first appearance.
    pub class_votes: Vec<(String, f64)>,
    info_m2: Mat2,
    info_vec: [f64; 2],
    confidence_sum: f64,
    frames: BTreeSet<u64>,
    upstream: Option<(f64, GeoPoint)>,
}

/// The tracker: candidates in a local plane, fed one sighting ([`Fusion::add`]) or one frame
/// ([`Fusion::add_frame`]) at a time.
#[derive(Debug, Clone)]
pub struct Fusion {
    settings: FusionSettings,
    river: Option<RiverCentreline>,
    frame: Option<LocalFrame>,
    /// In order of creation, so in increasing id.
    candidates: Vec<Candidate>,
    /// The id the next new candidate gets.
    next_id: u64,
}

/// A validated sighting in the fusion plane.
struct Prepared {
    sighting: Sighting,
    x_en_m: [f64; 2],
    cov_m2: Mat2,
    info_m2: Mat2,
}

impl Fusion {
    /// A tracker whose plane is fixed at the first sighting; `river` is the centreline in flow
    /// order for plume attribution.
    pub fn new(
        settings: FusionSettings,
        river: Option<RiverCentreline>,
    ) -> Result<Fusion, FusionError> {
        let positive = |field, value: f64, expected| {
            if value.is_finite() && value >= 0.0 {
                Ok(())
            } else {
                Err(FusionError::BadSetting {
                    field,
                    value,
                    expected,
                })
            }
        };
        positive("gate_chi2", settings.gate_chi2, "a finite value >= 0")?;
        positive(
            "model_noise_sigma_m",
            settings.model_noise_sigma_m,
            "a finite sigma >= 0",
        )?;
        Ok(Fusion {
            settings,
            river,
            frame: None,
            candidates: Vec::new(),
            next_id: 0,
        })
    }

    /// A tracker whose plane is fixed at `origin` (e.g. home): the fused positions then do
    /// not depend on which sighting came first.
    pub fn with_origin(
        settings: FusionSettings,
        river: Option<RiverCentreline>,
        origin: GeoPoint,
    ) -> Result<Fusion, FusionError> {
        let mut f = Fusion::new(settings, river)?;
        f.frame = Some(LocalFrame::at(origin));
        Ok(f)
    }

    pub fn settings(&self) -> &FusionSettings {
        &self.settings
    }

    /// The candidates, in order of creation (so of increasing id; index = id unless
    /// [`Fusion::restore_frame`] skipped ids).
    pub fn candidates(&self) -> &[Candidate] {
        &self.candidates
    }

    /// The candidate with id `id`.
    pub fn candidate(&self, id: u64) -> Option<&Candidate> {
        self.index_of(id).map(|i| &self.candidates[i])
    }

    fn index_of(&self, id: u64) -> Option<usize> {
        self.candidates.binary_search_by_key(&id, |c| c.id).ok()
    }

    /// New candidates get ids from `id` on (at least): after a journal replay, ids the
    /// journal names are never given again, even those of candidates whose records were
    /// lost.
    pub fn reserve_ids_below(&mut self, id: u64) {
        self.next_id = self.next_id.max(id);
    }

    /// Puts one journaled frame's sightings back into the candidates the journal gave them
    /// (`(candidate id, sighting)`), creating those not known yet: the fusion's decisions
    /// are taken from the journal, not made again, so a journal that lost records still
    /// gives every surviving sighting its journaled candidate. Nothing is changed if any
    /// sighting is invalid. Ids must come in the order the fusion gave them (a new id above
    /// every known one).
    pub fn restore_frame(&mut self, sightings: Vec<(u64, Sighting)>) -> Result<(), FusionError> {
        for (_, s) in &sightings {
            self.validate(s)?;
        }
        let frame = match (self.frame, sightings.first()) {
            (Some(f), _) => f,
            (None, Some((_, s))) => LocalFrame::at(s.ground.point),
            (None, None) => return Ok(()),
        };
        let mut prepared = Vec::with_capacity(sightings.len());
        for (id, s) in sightings {
            prepared.push((id, self.prepare(s, &frame)?));
        }
        self.frame = Some(frame);
        for (id, p) in prepared {
            match self.index_of(id) {
                Some(ci) => self.update(ci, p, &frame),
                None => {
                    let last = self.candidates.last().map(|c| c.id);
                    if last.is_some_and(|l| id < l) {
                        // Out of creation order (not what the fusion writes): keep the
                        // list sorted by id.
                        self.create(id, p, &frame);
                        self.candidates.sort_by_key(|c| c.id);
                    } else {
                        self.create(id, p, &frame);
                    }
                    self.next_id = self.next_id.max(id + 1);
                }
            }
        }
        Ok(())
    }

    /// A sighting in the fusion plane, with the model-noise floor added to its covariance.
    fn prepare(&self, s: Sighting, frame: &LocalFrame) -> Result<Prepared, FusionError> {
        let floor = self.settings.model_noise_sigma_m.powi(2);
        let (e, n) = frame.project(s.ground.point);
        let c = s.ground.error.cov_en_m2;
        let sym = 0.5 * (c[0][1] + c[1][0]);
        let cov_m2 = [[c[0][0] + floor, sym], [sym, c[1][1] + floor]];
        let info_m2 = gauss2::inverse_spd(cov_m2).ok_or(FusionError::SingularCovariance {
            frame_index: s.frame_index,
            cov_en_m2: c,
        })?;
        Ok(Prepared {
            sighting: s,
            x_en_m: [e, n],
            cov_m2,
            info_m2,
        })
    }

    /// Fuses one sighting: into the nearest compatible candidate, or a new one.
    pub fn add(&mut self, sighting: Sighting) -> Result<FusionEvent, FusionError> {
        let events = self.add_frame(vec![sighting])?;
        Ok(events[0])
    }

    /// Fuses the sightings of one frame together: each goes to a distinct compatible
    /// candidate or starts a new one, choosing the pairing with the least summed squared
    /// Mahalanobis distance (a new candidate costs the gate), so two detections in one photo
    /// never merge; new candidates are numbered in the order given. Nothing is changed if any
    /// sighting is invalid. Events are in the order of `sightings`.
    pub fn add_frame(&mut self, sightings: Vec<Sighting>) -> Result<Vec<FusionEvent>, FusionError> {
        for s in &sightings {
            self.validate(s)?;
        }
        let frame = match (self.frame, sightings.first()) {
            (Some(f), _) => f,
            (None, Some(s)) => LocalFrame::at(s.ground.point),
            (None, None) => return Ok(Vec::new()),
        };
        let mut prepared = Vec::with_capacity(sightings.len());
        for s in sightings {
            prepared.push(self.prepare(s, &frame)?);
        }
        self.frame = Some(frame);

        // Columns: the candidates, then one "new candidate" slot per sighting.
        let n_cand = self.candidates.len();
        let cost: Vec<Vec<f64>> = prepared
            .iter()
            .enumerate()
            .map(|(si, p)| {
                let mut row: Vec<f64> = self
                    .candidates
                    .iter()
                    .map(|c| self.gate(p, c).unwrap_or(assign::FORBIDDEN))
                    .collect();
                row.extend((0..prepared.len()).map(|k| {
                    if k == si {
                        self.settings.gate_chi2
                    } else {
                        assign::FORBIDDEN
                    }
                }));
                row
            })
            .collect();
        let to_candidate: Vec<Option<usize>> = assign::minimum_cost_assignment(&cost)
            .into_iter()
            .map(|col| (col < n_cand).then_some(col))
            .collect();
        let mut events = Vec::with_capacity(prepared.len());
        for (p, target) in prepared.into_iter().zip(to_candidate) {
            let event = match target {
                Some(ci) => {
                    let id = self.candidates[ci].id;
                    self.update(ci, p, &frame);
                    FusionEvent::Updated(id)
                }
                None => {
                    let id = self.next_id;
                    self.next_id += 1;
                    self.create(id, p, &frame);
                    FusionEvent::NewCandidate(id)
                }
            };
            events.push(event);
        }
        Ok(events)
    }

    fn validate(&self, s: &Sighting) -> Result<(), FusionError> {
        let frame_index = s.frame_index;
        let bad = |field, value: f64, expected| FusionError::BadSighting {
            frame_index,
            field,
            value,
            expected,
        };
        if s.class_name.is_empty() {
            return Err(FusionError::EmptyClass { frame_index });
        }
        let conf = f64::from(s.confidence);
        if !(0.0..=1.0).contains(&conf) {
            return Err(bad("confidence", conf, "a number in [0, 1]"));
        }
        let p = s.ground.point;
        GeoPoint::new(p.lat_deg, p.lon_deg).map_err(|source| FusionError::BadPoint {
            frame_index,
            field: "ground.point",
            source,
        })?;
        for q in &s.footprint {
            GeoPoint::new(q.lat_deg, q.lon_deg).map_err(|source| FusionError::BadPoint {
                frame_index,
                field: "footprint",
                source,
            })?;
        }
        let c = s.ground.error.cov_en_m2;
        for (field, v) in [
            ("ground.error.cov_en_m2[0][0]", c[0][0]),
            ("ground.error.cov_en_m2[1][1]", c[1][1]),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(bad(field, v, "a finite variance >= 0"));
            }
        }
        for (field, v) in [
            ("ground.error.cov_en_m2[0][1]", c[0][1]),
            ("ground.error.cov_en_m2[1][0]", c[1][0]),
        ] {
            if !v.is_finite() {
                return Err(bad(field, v, "a finite covariance"));
            }
        }
        let slant = s.ground.slant_range_m;
        if !(slant.is_finite() && slant >= 0.0) {
            return Err(bad("ground.slant_range_m", slant, "a finite distance >= 0"));
        }
        Ok(())
    }

    /// Squared Mahalanobis distance when `c` may take `p`.
    fn gate(&self, p: &Prepared, c: &Candidate) -> Option<f64> {
        if !self.settings.merge_across_classes && c.class_name != p.sighting.class_name {
            return None;
        }
        if c.frames.contains(&p.sighting.frame_index) {
            return None;
        }
        let pc = gauss2::inverse_spd(c.info_m2)?;
        let mean = gauss2::mul_vec(pc, c.info_vec);
        let v = [p.x_en_m[0] - mean[0], p.x_en_m[1] - mean[1]];
        let d2 = gauss2::mahalanobis2(v, gauss2::add(p.cov_m2, pc))?;
        (d2 <= self.settings.gate_chi2).then_some(d2)
    }

    fn upstream_of(&self, s: &Sighting) -> Option<(f64, GeoPoint)> {
        let river = self.river.as_ref()?;
        let mut points: Vec<GeoPoint> = s.footprint.clone();
        if points.is_empty() {
            points.push(s.ground.point);
        }
        points
            .into_iter()
            .map(|q| (river.along_river_m(q), q))
            .min_by(|a, b| a.0.total_cmp(&b.0))
    }

    fn create(&mut self, id: u64, p: Prepared, frame: &LocalFrame) {
        let upstream = self.upstream_of(&p.sighting);
        let s = p.sighting;
        let mut c = Candidate {
            id,
            class_name: s.class_name.clone(),
            position: s.ground.point,
            attribution: Attribution::FusedCentre,
            fused_position: s.ground.point,
            error: HorizontalError::from_covariance(p.cov_m2),
            sightings: 1,
            first_t_utc_us: s.t_utc_us,
            last_t_utc_us: s.t_utc_us,
            confidence_max: s.confidence,
            confidence_mean: s.confidence,
            class_votes: vec![(s.class_name.clone(), f64::from(s.confidence))],
            info_m2: p.info_m2,
            info_vec: gauss2::mul_vec(p.info_m2, p.x_en_m),
            confidence_sum: f64::from(s.confidence),
            frames: BTreeSet::from([s.frame_index]),
            upstream,
            best_sighting: s,
        };
        self.refresh(&mut c, frame);
        self.candidates.push(c);
    }

    fn update(&mut self, ci: usize, p: Prepared, frame: &LocalFrame) {
        let upstream = self.upstream_of(&p.sighting);
        let mut c = self.candidates[ci].clone();
        let s = p.sighting;
        c.info_m2 = gauss2::add(c.info_m2, p.info_m2);
        let iv = gauss2::mul_vec(p.info_m2, p.x_en_m);
        c.info_vec = [c.info_vec[0] + iv[0], c.info_vec[1] + iv[1]];
        c.sightings += 1;
        c.first_t_utc_us = c.first_t_utc_us.min(s.t_utc_us);
        c.last_t_utc_us = c.last_t_utc_us.max(s.t_utc_us);
        c.confidence_max = c.confidence_max.max(s.confidence);
        c.confidence_sum += f64::from(s.confidence);
        c.confidence_mean = (c.confidence_sum / f64::from(c.sightings)) as f32;
        match c.class_votes.iter_mut().find(|(k, _)| *k == s.class_name) {
            Some(v) => v.1 += f64::from(s.confidence),
            None => c
                .class_votes
                .push((s.class_name.clone(), f64::from(s.confidence))),
        }
        c.frames.insert(s.frame_index);
        if let Some(u) = upstream {
            if c.upstream.is_none_or(|old| u.0 < old.0) {
                c.upstream = Some(u);
            }
        }
        let b = &c.best_sighting;
        let better = s.confidence > b.confidence
            || (s.confidence == b.confidence
                && (s.ground.slant_range_m < b.ground.slant_range_m
                    || (s.ground.slant_range_m == b.ground.slant_range_m
                        && s.t_utc_us < b.t_utc_us)));
        if better {
            c.best_sighting = s;
        }
        self.refresh(&mut c, frame);
        self.candidates[ci] = c;
    }

    /// Recomputes the derived fields: fused mean and error, class, reported position.
    fn refresh(&self, c: &mut Candidate, frame: &LocalFrame) {
        if let Some(p) = gauss2::inverse_spd(c.info_m2) {
            let mean = gauss2::mul_vec(p, c.info_vec);
            c.fused_position = frame.unproject(mean[0], mean[1]);
            c.error = HorizontalError::from_covariance(p);
        }
        // Highest vote; ties keep the class seen first.
        let mut winner = &c.class_votes[0];
        for v in &c.class_votes[1..] {
            if v.1 > winner.1 {
                winner = v;
            }
        }
        c.class_name = winner.0.clone();
        let is_plume = self.settings.plume_classes.contains(&c.class_name);
        match c.upstream {
            Some((along_river_m, point)) if is_plume => {
                c.position = point;
                c.attribution = Attribution::UpstreamEnd { along_river_m };
            }
            _ => {
                c.position = c.fused_position;
                c.attribution = Attribution::FusedCentre;
            }
        }
    }
}

#[cfg(test)]
mod tests;
