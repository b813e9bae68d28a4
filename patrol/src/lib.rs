//! The whole simulated patrol as one program (`patrol`): the main job of the project.
//!
//! It plans with the planner library, writes the companion's configuration from the
//! companion's typed `Config`, starts `sim` and `companion` as separate programs (as on a real
//! aircraft), uploads and flies each sortie with `planner upload` and `planner fly`, follows
//! the flight from typed sources only (the journal's records, the frames in the flight
//! folder, MAVLink telemetry on a link of its own), waits until every photo taken is rendered
//! and processed or skipped, stops the companion (it writes its exports) and the sim, then
//! reviews with `review` and prints the figures with the frames planned, captured, processed
//! and skipped by reason.
//!
//! - [`settings`]: the command line (each flag with its environment variable).
//! - [`plan`]: planning into the flight folder's `plan/`, sortie by sortie.
//! - [`sim_args`]: the sim's command line from a typed value.
//! - [`companion_config`]: the companion's configuration.
//! - [`children`]: the programs started, stopped whenever the patrol ends.
//! - [`telemetry`]: the monitor link (MISSION_CURRENT, CAMERA_FEEDBACK, STATUSTEXT).
//! - [`progress`]: what became of the photos, and when the waiting is over.
//! - [`review_steps`]: review after the flight; the figures, typed.
//! - [`run`]: the steps in order.

pub mod children;
pub mod companion_config;
pub mod plan;
pub mod progress;
pub mod review_steps;
pub mod run;
pub mod settings;
pub mod sim_args;
pub mod telemetry;
