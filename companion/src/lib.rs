//! Qianliyan's on-drone service. For now: the object detector ([`detect`]) and the fusion of
//! geotagged sightings into candidates ([`fusion`]); the pose timeline, frame source, journal
//! and ground reports follow.

pub mod detect;
pub mod fc;
pub mod fusion;
