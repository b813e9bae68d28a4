//! Qianliyan's on-drone service: from telemetry and camera frames to geotagged, fused outfall
//! and plume candidates.
//!
//! - [`detect`]: the object detector (ONNX Runtime through `ort`).
//! - [`findings`]: one frame's detections geotagged and fused into candidates (pure).
//! - [`fusion`]: sightings of one source merged into a candidate (pure).
//! - [`photo_meta`]: the pose of a DJI photo from its EXIF and XMP tags.
//! - [`batch`]: a folder of photos after the flight, through the pipeline.
//! - [`pipeline`]: a photo through decode, detection and findings, timed per stage.
//! - [`record`]: what is journaled and exported.

pub mod batch;
pub mod detect;
pub mod findings;
pub mod fusion;
pub mod photo_meta;
pub mod pipeline;
pub mod record;

pub use findings::Findings;
