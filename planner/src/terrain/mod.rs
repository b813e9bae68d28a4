//! Terrain following from offline elevation models: the altitudes of a survey flown at a
//! constant height above *ground* rather than above the take-off point.
//!
//! In a karst gorge the ground under one lane can rise 100 m within a kilometre, so a mission
//! flown "75 m above take-off" is 175 m above the valley floor in one place (breaking the
//! 120 m rule and halving the resolution) and in the ridge in another. Here every flight leg
//! (the transit from home, the lanes, the connections, the return home) is sampled densely
//! against a [`Terrain`] (any `&dyn Terrain`: a [`qly_core::terrain::DemMosaic`] of GeoTIFFs,
//! a flat plane, a test surface), given a gradient-limited altitude profile and simplified to
//! the waypoints the vehicle needs ([`profile`]); the mission's waypoints get those altitudes
//! relative to home (any autopilot flies them) or in the terrain frame, and the extra
//! waypoints are inserted between them ([`follow`]). The coverage proof then measures each
//! photo's footprint on the terrain ([`footprint`]).
//!
//! Heights are AMSL (EGM96, the datum of [`Terrain`]) internally; relative altitudes use the
//! terrain height at the home point, which is where the autopilot zeroes its altitude.

pub mod follow;
pub mod footprint;
pub mod profile;

use qly_core::geodesy::GeoPoint;
use qly_core::terrain::TerrainError;
use thiserror::Error;

pub use follow::{follow_mission, FollowStats, FollowedMission};
pub use footprint::photo_footprint_scales;

/// ArduCopter's default maximum climb rate while flying a mission (`WPNAV_SPEED_UP`,
/// 250 cm/s), m/s.
pub const ARDUCOPTER_CLIMB_M_S: f64 = 2.5;
/// ArduCopter's default maximum descent rate while flying a mission (`WPNAV_SPEED_DN`,
/// 150 cm/s), m/s.
pub const ARDUCOPTER_SINK_M_S: f64 = 1.5;

/// Which altitude frame the terrain-following waypoints are sent in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TerrainAltFrame {
    /// `MAV_FRAME_GLOBAL_RELATIVE_ALT`: metres above home, computed here from the elevation
    /// model; every autopilot flies it, with no terrain data on board.
    #[default]
    RelativeHome,
    /// `MAV_FRAME_GLOBAL_TERRAIN_ALT`: metres above ground at each waypoint; the autopilot
    /// follows its own terrain data (ArduPilot: `TERRAIN_ENABLE` with SRTM from the ground
    /// station, or a rangefinder) between waypoints.
    Terrain,
}

/// How terrain following is done (the target height and the ceiling come from the survey
/// parameters).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TerrainOptions {
    /// Largest allowed difference between the height above ground along the flown path and
    /// the target, metres (where the climb limits allow; steeper ground raises the path).
    pub agl_tolerance_m: f64,
    /// Lowest height above ground allowed anywhere along the path, metres.
    pub min_clearance_m: f64,
    /// Climb and descent rates the vehicle holds at cruise speed, m/s: the steepest
    /// gradients flown are these over the cruise speed.
    pub climb_rate_m_s: f64,
    pub sink_rate_m_s: f64,
    /// Distance between ground samples along the path, metres.
    pub sample_step_m: f64,
    pub alt_frame: TerrainAltFrame,
    /// Refuse a plan whose climb and descent limits would take it above the ceiling,
    /// instead of holding it under the ceiling and flying that stretch more steeply (and,
    /// on a multicopter, more slowly). Fixed-wing aircraft need this.
    pub strict_gradients: bool,
}

impl Default for TerrainOptions {
    /// 5 m tolerance, 30 m minimum clearance (above the karst forest canopy, some 25 m, with
    /// margin; masts and power lines are not in an elevation model), ArduCopter's default
    /// climb and descent rates, a ground sample every metre, altitudes relative to home,
    /// gradients yielding to the ceiling.
    fn default() -> Self {
        TerrainOptions {
            agl_tolerance_m: 5.0,
            min_clearance_m: 30.0,
            climb_rate_m_s: ARDUCOPTER_CLIMB_M_S,
            sink_rate_m_s: ARDUCOPTER_SINK_M_S,
            sample_step_m: 1.0,
            alt_frame: TerrainAltFrame::RelativeHome,
            strict_gradients: false,
        }
    }
}

/// Everything the follower needs, in one place.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FollowParams {
    /// Wanted height above ground, metres.
    pub target_agl_m: f64,
    /// Height ceiling above ground, metres.
    pub max_agl_m: f64,
    pub options: TerrainOptions,
    /// Ground speed, m/s (turns the climb and sink rates into gradients).
    pub cruise_speed_m_s: f64,
}

impl FollowParams {
    /// Steepest climb flown, metres up per metre forward.
    pub fn climb_gradient(&self) -> f64 {
        self.options.climb_rate_m_s / self.cruise_speed_m_s
    }
    /// Steepest descent flown, metres down per metre forward.
    pub fn descent_gradient(&self) -> f64 {
        self.options.sink_rate_m_s / self.cruise_speed_m_s
    }
}

/// Why a terrain-following plan was refused. Every variant names the place.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum TerrainFollowError {
    #[error("{field} = {value} is invalid: expected {expected}")]
    BadParam {
        field: &'static str,
        value: f64,
        expected: &'static str,
    },
    /// The elevation model has no height under the path (outside it, or a void).
    #[error("terrain under {what}: {source}")]
    Terrain {
        what: String,
        #[source]
        source: TerrainError,
    },
    #[error(
        "the path would fly {agl_m:.1} m above ground at {lat_deg:.7}, {lon_deg:.7} ({what}; \
         ground {ground_amsl_m:.1} m AMSL), above the {max_agl_m:.0} m ceiling: the ground \
         changes faster than the vehicle may climb ({climb_gradient:.3} m per m) or descend \
         ({descent_gradient:.3} m per m) at cruise speed; lower the target height, fly slower \
         or raise the ceiling if you hold the approval"
    )]
    AboveCeiling {
        lat_deg: f64,
        lon_deg: f64,
        what: String,
        agl_m: f64,
        ground_amsl_m: f64,
        max_agl_m: f64,
        climb_gradient: f64,
        descent_gradient: f64,
    },
    #[error(
        "the path would fly only {agl_m:.1} m above ground at {lat_deg:.7}, {lon_deg:.7} \
         ({what}; ground {ground_amsl_m:.1} m AMSL), below the {min_clearance_m:.0} m minimum \
         clearance: raise the target height or lower --min-clearance-m if the ground there \
         is known clear"
    )]
    BelowClearance {
        lat_deg: f64,
        lon_deg: f64,
        what: String,
        agl_m: f64,
        ground_amsl_m: f64,
        min_clearance_m: f64,
    },
}

impl TerrainFollowError {
    /// Where the problem is, when the error has a place.
    pub fn place(&self) -> Option<GeoPoint> {
        match self {
            TerrainFollowError::AboveCeiling {
                lat_deg, lon_deg, ..
            }
            | TerrainFollowError::BelowClearance {
                lat_deg, lon_deg, ..
            } => Some(GeoPoint {
                lat_deg: *lat_deg,
                lon_deg: *lon_deg,
            }),
            TerrainFollowError::Terrain { source, .. } => match source {
                TerrainError::OutsideCoverage {
                    lat_deg, lon_deg, ..
                }
                | TerrainError::NoData {
                    lat_deg, lon_deg, ..
                } => Some(GeoPoint {
                    lat_deg: *lat_deg,
                    lon_deg: *lon_deg,
                }),
            },
            TerrainFollowError::BadParam { .. } => None,
        }
    }
}

pub(crate) fn check_params(p: &FollowParams) -> Result<(), TerrainFollowError> {
    let o = &p.options;
    let positive: [(&'static str, f64, &'static str); 7] = [
        (
            "agl_tolerance_m",
            o.agl_tolerance_m,
            "a finite tolerance > 0 m",
        ),
        (
            "climb_rate_m_s",
            o.climb_rate_m_s,
            "a finite climb rate > 0 m/s",
        ),
        (
            "sink_rate_m_s",
            o.sink_rate_m_s,
            "a finite descent rate > 0 m/s",
        ),
        (
            "sample_step_m",
            o.sample_step_m,
            "a finite sample step > 0 m",
        ),
        (
            "target_agl_m",
            p.target_agl_m,
            "a finite height above ground > 0 m",
        ),
        ("max_agl_m", p.max_agl_m, "a finite ceiling > 0 m"),
        (
            "cruise_speed_m_s",
            p.cruise_speed_m_s,
            "a finite speed > 0 m/s",
        ),
    ];
    for (field, value, expected) in positive {
        if !(value.is_finite() && value > 0.0) {
            return Err(TerrainFollowError::BadParam {
                field,
                value,
                expected,
            });
        }
    }
    if !(o.min_clearance_m.is_finite() && o.min_clearance_m >= 0.0) {
        return Err(TerrainFollowError::BadParam {
            field: "min_clearance_m",
            value: o.min_clearance_m,
            expected: "a finite clearance >= 0 m",
        });
    }
    if o.agl_tolerance_m >= p.target_agl_m {
        return Err(TerrainFollowError::BadParam {
            field: "agl_tolerance_m",
            value: o.agl_tolerance_m,
            expected: "a tolerance below the target height above ground",
        });
    }
    Ok(())
}
