//! Survey planning for river patrols: turns a river corridor or an area and a camera into
//! flight lanes, photo points, a coverage proof, a time estimate, battery sorties and
//! MAVLink mission items, and reads and writes the files pilots use.
//!
//! The planning core is pure (values in, values out); files live in [`input`] and
//! [`output`], and the command line in the `planner` binary.

pub mod area;
pub mod bounds;
pub mod corridor;
pub mod coverage;
pub mod dji_aircraft;
pub mod error;
pub mod estimate;
pub mod input;
pub mod mission_build;
pub mod output;
pub mod photos;
pub mod plan;
pub mod sorties;
pub mod summary;
pub mod survey;
pub mod terrain;

pub use error::PlanError;
