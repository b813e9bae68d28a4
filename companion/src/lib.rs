//! Qianliyan's on-drone service. For now: the object detector ([`detect`]), the fusion of
//! geotagged sightings into candidates ([`fusion`]), and the link to the flight controller
//! with the pose timeline and ground reports ([`fc`]); the frame source and journal follow.

pub mod detect;
pub mod fc;
pub mod fusion;
