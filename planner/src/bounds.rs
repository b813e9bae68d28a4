//! What a plan will cost, estimated from the input geometry before any lane is laid out, and
//! the bounds past which the planner refuses rather than surprises: photos, flight time and
//! memory.
//!
//! The estimate is linear in the input's vertices and allocates nothing per lane or photo, so
//! a survey of a whole province is refused in milliseconds. Photos: the ground to cover
//! divided by the ground each photo is responsible for (lane spacing x trigger distance);
//! for a corridor, its length times the lanes across it. Flight time: the lanes' length at
//! the cruise speed, a lower bound (turns, transits and landings add to it). Memory: the
//! planner's peak resident memory measured against the photo count and the coverage raster
//! (see [`BYTES_PER_PHOTO`]).

use qly_core::geodesy::LocalFrame;

use crate::coverage::MAX_REGION_CELLS;
use crate::error::PlanError;
use crate::plan::{altitude_m, first_vertex, positive, project, validate, COVERAGE_CELL_M};
use crate::survey::{BatteryBudget, InputGeometry, SurveyInput, SurveyParams, SurveyPlan};

/// Peak resident memory per planned photo, bytes: photo points, traced photos, mission items
/// (several per photo where lanes bend), the sortie splitter's candidate missions and the
/// outputs' text. Measured (`/usr/bin/time -v planner plan`, debug build, default camera):
/// squares of 4, 25 and 49 km2 peaked at 61, 314 and 574 MB for 8 192, 50 086 and 98 124
/// photos, 3.5 to 4.4 kB a photo besides the raster and the base; rounded up.
pub const BYTES_PER_PHOTO: f64 = 4_500.0;
/// Peak resident memory of a plan with few photos, bytes (the 1 344-photo sample corridor
/// peaked at 24 MB).
pub const BASE_BYTES: f64 = 20.0e6;
/// Coverage raster memory per region cell, bytes (a flag and a 16-bit count, see
/// [`crate::coverage`]).
pub const BYTES_PER_CELL: f64 = 3.0;

/// What a plan will cost, from the geometry alone.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanSize {
    /// Estimated photo count.
    pub photos: f64,
    /// Ground to cover, m2.
    pub area_m2: f64,
    /// Time along the survey lanes at the cruise speed, seconds: a lower bound of the flight.
    pub survey_time_s: f64,
    /// Estimated peak memory of planning, bytes.
    pub memory_bytes: f64,
    /// The geometry in words ("3 lanes along 8.0 km", "an area of 25.0 km2").
    pub what: String,
}

/// The bounds a plan is refused past unless the pilot asks for it (`--allow-large`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlanLimits {
    pub max_photos: f64,
    pub max_survey_h: f64,
}

impl Default for PlanLimits {
    /// 100 000 photos (about 50 km2 at 2 cm/px with the Mavic 3 Enterprise: days of flying
    /// and of photogrammetry, and about half the [`crate::plan::MAX_PHOTOS`] memory bound), 40 hours of
    /// survey lanes (about a hundred 25-minute batteries: a campaign to split into reaches,
    /// not one plan). A 25 km2 area at the default camera (about 50 000 photos, 27 hours)
    /// passes.
    fn default() -> Self {
        PlanLimits {
            max_photos: 100_000.0,
            max_survey_h: 40.0,
        }
    }
}

/// The battery a pilot flies when none is given, for the warning about sorties longer than
/// it: 30 minutes usable with 3 in reserve (a DJI Mavic 3 Enterprise's TB30-class pack is
/// rated 42 to 45 minutes of hover; 30 is what survey flying with wind and cold gets from it).
pub const ASSUMED_BATTERY: BatteryBudget = BatteryBudget {
    usable_min: 30.0,
    reserve_min: 3.0,
};

/// Estimates `input` planned with `params` (at the target height; over terrain the lanes may
/// come closer, see [`crate::plan::plan_survey_over_terrain`]).
pub fn estimate_size(input: &SurveyInput, params: &SurveyParams) -> Result<PlanSize, PlanError> {
    validate(params)?;
    let alt_m = altitude_m(params)?;
    let camera = &params.camera;
    let spacing_m = camera.lane_spacing_m(alt_m, params.orientation, params.side_overlap_pct);
    let front_m = camera.trigger_distance_m(alt_m, params.orientation, params.front_overlap_pct);
    let frame = LocalFrame::at(first_vertex(input)?);
    size_of(input, params, &frame, spacing_m, front_m)
}

/// [`estimate_size`] with the lanes `lane_spacing_m` apart and a photo every
/// `front_share_m`, in `frame`.
pub(crate) fn size_of(
    input: &SurveyInput,
    params: &SurveyParams,
    frame: &LocalFrame,
    lane_spacing_m: f64,
    front_share_m: f64,
) -> Result<PlanSize, PlanError> {
    positive("lane_spacing_m", lane_spacing_m, "a lane spacing > 0 m")?;
    positive(
        "trigger_distance_m",
        front_share_m,
        "a distance between photos > 0 m",
    )?;
    let (photos, area_m2, what) = match &input.geometry {
        InputGeometry::Centreline(points) => {
            let length_m: f64 = points.windows(2).map(|w| w[0].distance_m(w[1])).sum();
            let width_m = input.width_m.filter(|w| w.is_finite()).unwrap_or(0.0);
            // A width given on the command line has not been through the reader's check.
            if width_m > crate::input::MAX_CORRIDOR_WIDTH_M {
                return Err(PlanError::BadParam {
                    field: "width_m",
                    value: width_m,
                    expected: "at most 2000 m (input::MAX_CORRIDOR_WIDTH_M); a wider strip is \
                               an area: give a Polygon",
                });
            }
            let lanes = (width_m / lane_spacing_m).ceil().max(1.0)
                + 2.0 * f64::from(params.corridor.extra_lanes_per_bank);
            (
                length_m * lanes / front_share_m,
                length_m * width_m.max(lane_spacing_m),
                format!("{lanes:.0} lane(s) along {:.1} km", length_m / 1000.0),
            )
        }
        InputGeometry::Area { boundary, .. } => {
            let ring = project(frame, boundary);
            let twice: f64 = ring
                .iter()
                .zip(ring.iter().cycle().skip(1))
                .map(|(a, b)| a.x * b.y - b.x * a.y)
                .sum();
            let area_m2 = twice.abs() / 2.0;
            (
                area_m2 / (lane_spacing_m * front_share_m),
                area_m2,
                format!("an area of {:.1} km2", area_m2 / 1e6),
            )
        }
    };
    let cells = (area_m2 / (COVERAGE_CELL_M * COVERAGE_CELL_M)).min(MAX_REGION_CELLS);
    Ok(PlanSize {
        photos,
        area_m2,
        survey_time_s: photos * front_share_m / params.cruise_speed_m_s,
        memory_bytes: BASE_BYTES + BYTES_PER_PHOTO * photos + BYTES_PER_CELL * cells,
        what,
    })
}

/// Refuses a plan past `limits`, with the estimate and the flag that overrides it.
pub fn check_limits(size: &PlanSize, limits: &PlanLimits) -> Result<(), PlanError> {
    let hours = size.survey_time_s / 3600.0;
    let past = if size.photos.is_nan() || size.photos > limits.max_photos {
        format!("more than {:.0} photos", limits.max_photos)
    } else if hours.is_nan() || hours > limits.max_survey_h {
        format!("more than {:.0} hours of survey lanes", limits.max_survey_h)
    } else {
        return Ok(());
    };
    Err(PlanError::TooLarge {
        estimate: describe(size),
        past,
    })
}

/// The estimate in words, for messages.
pub fn describe(size: &PlanSize) -> String {
    format!(
        "about {:.0} photos, {:.1} h of survey lanes at the cruise speed (turns and transits \
         come on top), {:.0} MB of memory to plan; {}",
        size.photos,
        size.survey_time_s / 3600.0,
        size.memory_bytes / 1e6,
        size.what
    )
}

/// A warning for each sortie of `plan` longer than the battery (`params.battery`, else
/// [`ASSUMED_BATTERY`], which the warning then names as an assumption).
pub fn long_sorties(plan: &SurveyPlan) -> Vec<String> {
    let (battery, given) = match plan.params.battery {
        Some(b) => (b, true),
        None => (ASSUMED_BATTERY, false),
    };
    let allowed_s = (battery.usable_min - battery.reserve_min) * 60.0;
    let n = plan.sorties.len();
    plan.sorties
        .iter()
        .enumerate()
        .filter(|(_, s)| s.flight_time_s > allowed_s)
        .map(|(k, s)| {
            let assumption = if given {
                format!(
                    "the {:.0}-minute battery given (--battery-min), {:.0} min kept in reserve",
                    battery.usable_min, battery.reserve_min
                )
            } else {
                format!(
                    "a {:.0}-minute battery with {:.0} min in reserve, assumed as no \
                     --battery-min was given; give --battery-min to split the survey into \
                     sorties that fit",
                    battery.usable_min, battery.reserve_min
                )
            };
            format!(
                "sortie {} of {n} flies {}, longer than {assumption}",
                k + 1,
                crate::summary::hms(s.flight_time_s)
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::survey::AltitudeTarget;
    use qly_core::camera::CameraDatabase;
    use qly_core::datum::Datum;
    use qly_core::geodesy::GeoPoint;

    fn params() -> SurveyParams {
        let camera = CameraDatabase::builtin()
            .find("DJI Mavic 3 Enterprise wide")
            .unwrap()
            .clone();
        SurveyParams::new(camera, AltitudeTarget::Gsd { cm_per_px: 2.0 })
    }

    fn square(side_deg: f64) -> SurveyInput {
        let p = |lat: f64, lon: f64| GeoPoint::new(lat, lon).unwrap();
        SurveyInput {
            source: "square".into(),
            name: None,
            geometry: InputGeometry::Area {
                boundary: vec![
                    p(27.0, 106.9),
                    p(27.0, 106.9 + side_deg),
                    p(27.0 + side_deg, 106.9 + side_deg),
                    p(27.0 + side_deg, 106.9),
                ],
                holes: vec![],
            },
            exclusions: vec![],
            width_m: None,
            datum: Datum::default(),
            sites: vec![],
        }
    }

    #[test]
    fn a_25_km2_area_passes_and_a_degree_square_is_refused_with_its_estimate() {
        let p = params();
        // 0.05 degree at 27 N: about 5.55 x 4.95 km.
        let small = estimate_size(&square(0.05), &p).unwrap();
        assert!((small.area_m2 / 1e6 - 27.4).abs() < 0.5, "{small:?}");
        assert!(
            small.photos > 40_000.0 && small.photos < 70_000.0,
            "{small:?}"
        );
        check_limits(&small, &PlanLimits::default()).unwrap();
        let big = estimate_size(&square(1.0), &p).unwrap();
        let e = check_limits(&big, &PlanLimits::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("more than 100000 photos"), "{e}");
        assert!(e.contains("--allow-large"), "{e}");
        assert!(e.contains("an area of"), "{e}");
    }

    #[test]
    fn hours_are_a_bound_of_their_own() {
        let size = PlanSize {
            photos: 10.0,
            area_m2: 1.0,
            survey_time_s: 41.0 * 3600.0,
            memory_bytes: 0.0,
            what: "x".into(),
        };
        let e = check_limits(&size, &PlanLimits::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("more than 40 hours"), "{e}");
        let ok = PlanSize {
            survey_time_s: 39.0 * 3600.0,
            ..size
        };
        check_limits(&ok, &PlanLimits::default()).unwrap();
    }
}
