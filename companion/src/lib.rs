//! Qianliyan's on-drone service: from telemetry and camera frames to geotagged, fused outfall
//! and plume candidates.
//!
//! - [`service`]: the running service (`companion run`): link, frames, worker, journal.
//! - [`config`]: the service's TOML configuration.
//! - [`fc`]: the link to the flight controller: pose timeline, clock, capture events, reports.
//! - [`detect`]: the object detector (ONNX Runtime through `ort`).
//! - [`pipeline`]: a photo through decode, detection and findings, timed per stage.
//! - [`findings`]: one frame's detections geotagged and fused into candidates (pure).
//! - [`fusion`]: sightings of one source merged into a candidate (pure).
//! - [`photo_meta`]: the pose of a DJI photo from its EXIF and XMP tags.
//! - [`batch`]: a folder of photos after the flight, through the pipeline.
//! - [`record`], [`journal`], [`export`]: what is journaled and exported (crate `qly-flight`,
//!   shared with the review tools).

pub mod batch;
pub mod config;
pub mod detect;
pub mod fc;
pub mod findings;
pub mod fusion;
pub mod photo_meta;
pub mod pipeline;
pub mod service;

pub use findings::Findings;
/// The records, journal and exports live in `qly-flight`, shared with the review tools.
pub use qly_flight::{export, journal, record};
