//! Qianliyan's on-drone service. For now: the object detector ([`detect`]); the pose timeline,
//! frame source, fusion, journal and ground reports follow.

pub mod detect;
