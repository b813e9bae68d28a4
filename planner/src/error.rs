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
    #[error(transparent)]
    Camera(#[from] CameraError),
    /// Terrain following refused the plan (no ground height, ceiling, clearance).
    #[error(transparent)]
    Terrain(#[from] TerrainFollowError),
}
