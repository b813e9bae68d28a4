//! Survey planning for river patrols: turns a river corridor or an area and a camera into
//! flight lanes, photo points, a coverage proof, a time estimate, battery sorties and
//! MAVLink mission items, and reads and writes the files pilots use.
//!
//! The planning core is pure (values in, values out); files live in [`input`] and
//! [`output`], and the command line in the `planner` binary.

pub mod coverage;
pub mod error;
pub mod estimate;
pub mod mission_build;
pub mod photos;
// `plan` calls `crate::corridor` and `crate::area`, written on other branches: enable it
// once they are merged.
// pub mod plan;
pub mod sorties;
pub mod survey;

pub use error::PlanError;
