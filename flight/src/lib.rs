//! The record of a patrol and the folder that holds it: what the companion found, kept so
//! that nothing is lost and read back by whoever reviews it.
//!
//! - [`folder`]: the flight folder's layout and file names (the one place that spells them).
//! - [`header`]: the flight header that opens every journal: flight id, aircraft, camera,
//!   model, confirmation rule.
//! - [`record`]: the records (header, captures, frames, skips, sightings, candidates) with
//!   explicit units and frames.
//! - [`class`]: the project's object classes (outfall, plume) and what other classes map to.
//! - [`confirm`]: what "confirmed" means, once.
//! - [`view`]: a flight's records arranged for reading.
//! - [`journal`]: the durable, crash-safe append-only journal of records, and its reader.
//! - [`read`]: a flight folder's journal read back, typed.
//! - [`decisions`]: the inspectors' confirm/reject decisions (`decisions.json`).
//! - [`export`]: candidates and sightings as GeoJSON and GeoPackage.
//!
//! The companion writes it during the flight (or from an SD card afterwards); the review
//! tools read it afterwards. Neither depends on the other: this crate is what they share.

pub mod class;
pub mod confirm;
pub mod decisions;
pub mod export;
pub mod folder;
pub mod header;
pub mod journal;
pub mod read;
pub mod record;
pub mod view;
