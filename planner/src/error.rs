//! Why a plan was refused. Every message names the parameter or the place and what was
//! expected, so a pilot can fix the input without reading code.

use qly_core::camera::CameraError;

use crate::terrain::TerrainFollowError;
use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq)]
pub enum PlanError {
    /// A number out of its allowed range.
    #[error("{field} = {value} is invalid: expected {expected}")]
    BadParam {
        field: &'static str,
        value: f64,
        expected: &'static str,
    },
    /// Geometry that cannot be planned over (empty, degenerate, self-intersecting...).
    #[error("{what}")]
    BadGeometry { what: String },
    /// The flight height would break the height ceiling.
    #[error(
        "flight height {alt_m:.1} m above ground is above the {ceiling_m:.0} m ceiling \
         (China's light-UAV rule: 120 m true height); ask for a coarser GSD or a lower \
         altitude, or raise the ceiling explicitly with --ceiling if you hold the approval"
    )]
    AboveCeiling { alt_m: f64, ceiling_m: f64 },
    /// A sortie cannot reach its first photos and come back on one battery.
    #[error(
        "one battery cannot fly the sortie that starts at photo {first_photo} of {photos}: that \
         photo lies {distance_from_home_m:.0} m from home, and taking off, flying there, taking \
         {photos_taken} photo(s) and flying back takes {needed_min:.2} min, while \
         battery.usable_min - battery.reserve_min allows {allowed_min:.2} min; take off nearer \
         (--home, or from launch points along the survey with --launch), split the survey \
         into shorter pieces, or fly a larger battery"
    )]
    OutOfReach {
        /// 1-based, in flight order.
        first_photo: usize,
        photos: usize,
        distance_from_home_m: f64,
        photos_taken: usize,
        needed_min: f64,
        allowed_min: f64,
    },
    /// A sortie would hold more mission items than the vehicle can store.
    #[error(
        "{items} mission items (home included) for photos {first_photo}..{} of {photos}, but \
         the vehicle holds at most {max_items} (--max-items): raise --max-items if the \
         vehicle stores more, or fly a simpler path (fewer lane bends or terrain waypoints)",
        first_photo + photos_taken.saturating_sub(1)
    )]
    TooManyItems {
        /// 1-based, in flight order; 0 when the survey takes no photo.
        first_photo: usize,
        photos: usize,
        photos_taken: usize,
        items: usize,
        max_items: usize,
    },
    /// The survey is past the planner's sane bounds (see [`crate::bounds::PlanLimits`]).
    #[error(
        "the survey is too large to plan as one: {estimate}; that is {past}. Split it into \
         reaches or smaller areas, fly higher or with less overlap, or plan it anyway with \
         --allow-large"
    )]
    TooLarge { estimate: String, past: String },
    /// Photos farther than the radio range from every launch point.
    #[error(
        "{photos_out} of {photos} photos lie farther than {max_range_m:.0} m (--max-range-m) \
         from every launch point: {places}; add launch points near them (--launch) or raise \
         --max-range-m if the radio and the rules allow it"
    )]
    BeyondRange {
        photos_out: usize,
        photos: usize,
        max_range_m: f64,
        /// Where: runs of consecutive photos, their farthest point and nearest launch point.
        places: String,
    },
    #[error(transparent)]
    Camera(#[from] CameraError),
    /// Terrain following refused the plan (no ground height, ceiling, clearance).
    #[error(transparent)]
    Terrain(#[from] TerrainFollowError),
}
