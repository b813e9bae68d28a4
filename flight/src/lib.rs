//! The record of a patrol: what the companion found, kept so that nothing is lost and read
//! back by whoever reviews it.
//!
//! - [`record`]: the records (frames, sightings, candidates) with explicit units and frames.
//! - [`journal`]: the durable, crash-safe append-only journal of records, and its reader.
//! - [`export`]: candidates and sightings as GeoJSON and GeoPackage.
//!
//! The companion writes it during the flight; the review tools read it afterwards. Neither
//! depends on the other: this crate is what they share.

pub mod export;
pub mod journal;
pub mod record;
