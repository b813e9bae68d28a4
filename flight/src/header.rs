//! The flight header: the first record of every journal, saying which flight this is and
//! what made its findings (aircraft, camera, detector model, the confirmation rule).
//!
//! Flight ids are ULIDs: 128 bits, unique without coordination between aircraft, and sorted by
//! creation time as text. A candidate's id is unique within its flight; with the flight id it
//! is unique everywhere ([`CandidateUid`]), so flights merged into one store never collide.

use serde::{Deserialize, Serialize};

/// The journal format this crate writes: 2 adds the header, captures and skip records.
pub const JOURNAL_FORMAT: u32 = 2;

/// A flight's globally unique id (a ULID, 26 Crockford base-32 characters).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FlightId(String);

impl FlightId {
    /// A new id, from the clock and randomness.
    pub fn generate() -> FlightId {
        FlightId(ulid::Ulid::new().to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for FlightId {
    type Err = String;

    /// Any ULID, as text.
    fn from_str(s: &str) -> Result<FlightId, String> {
        ulid::Ulid::from_string(s)
            .map(|u| FlightId(u.to_string()))
            .map_err(|e| format!("flight id {s:?}: expected a ULID (26 characters): {e}"))
    }
}

impl std::fmt::Display for FlightId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A candidate named across flights: its flight and its id within that flight.
///
/// ```
/// use qly_flight::header::{CandidateUid, FlightId};
/// let flight: FlightId = "01JEQ9X3Z8K2M4N6P8R0T2V4W6".parse().unwrap();
/// let uid = CandidateUid { flight: flight.clone(), id: 12 };
/// assert_eq!(uid.to_string(), "01JEQ9X3Z8K2M4N6P8R0T2V4W6/12");
/// assert_eq!(uid.to_string().parse::<CandidateUid>().unwrap(), uid);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CandidateUid {
    pub flight: FlightId,
    pub id: u64,
}

impl std::fmt::Display for CandidateUid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.flight, self.id)
    }
}

impl std::str::FromStr for CandidateUid {
    type Err = String;

    fn from_str(s: &str) -> Result<CandidateUid, String> {
        let (flight, id) = s
            .split_once('/')
            .ok_or_else(|| format!("candidate {s:?}: expected FLIGHT_ID/ID"))?;
        Ok(CandidateUid {
            flight: flight.parse()?,
            id: id
                .parse()
                .map_err(|_| format!("candidate {s:?}: id {id:?} is not a whole number"))?,
        })
    }
}

/// Where the photos came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlightSource {
    /// Processed on board as the flight went (MAVLink capture events).
    Live,
    /// Processed after the flight from the photos' own metadata (a DJI SD card).
    Batch,
}

/// The aircraft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VehicleInfo {
    /// How the aircraft is known: `mavlink:<system id>` for a MAVLink vehicle, the serial
    /// number or model a DJI photo names, or what the operator configured.
    pub id: String,
    /// Free text for people (model, airframe), empty when unknown.
    #[serde(default)]
    pub description: String,
}

/// The camera's calibration (OpenCV convention, pixels; Brown-Conrady distortion).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CameraInfo {
    pub name: String,
    pub width_px: u32,
    pub height_px: u32,
    pub fx_px: f64,
    pub fy_px: f64,
    pub cx_px: f64,
    pub cy_px: f64,
    /// `[k1, k2, p1, p2, k3]`, OpenCV's order.
    pub distortion: [f64; 5],
}

impl CameraInfo {
    pub fn from_intrinsics(name: &str, k: &qly_core::intrinsics::CameraIntrinsics) -> CameraInfo {
        let d = k.distortion;
        CameraInfo {
            name: name.to_string(),
            width_px: k.width_px,
            height_px: k.height_px,
            fx_px: k.fx_px,
            fy_px: k.fy_px,
            cx_px: k.cx_px,
            cy_px: k.cy_px,
            distortion: [d.k1, d.k2, d.p1, d.p2, d.k3],
        }
    }
}

/// The detector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelInfo {
    /// The model file's name (not its path: the path is the machine's business).
    pub file: String,
    /// SHA-256 of the model file, lowercase hex.
    pub sha256: String,
    /// The class names the model reports, in its own order.
    #[serde(default)]
    pub classes: Vec<String>,
}

/// What flight this is; the first record of every journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlightHeader {
    /// [`JOURNAL_FORMAT`] of the writer.
    pub journal_format: u32,
    pub flight_id: FlightId,
    /// When the journal was started, microseconds since the Unix epoch (UTC).
    pub created_utc_us: i64,
    pub source: FlightSource,
    pub vehicle: VehicleInfo,
    pub camera: CameraInfo,
    pub model: ModelInfo,
    /// A candidate is confirmed once fused from this many photos ([`crate::confirm`]).
    pub min_sightings: u32,
    /// The datum of every position in the journal: always `WGS-84` (inputs in GCJ-02 or
    /// CGCS2000 are converted before anything is journaled).
    pub datum: String,
    /// The program and version that wrote the journal, e.g. `qianliyan-companion 0.1.0`.
    pub software: String,
}

impl FlightHeader {
    /// The header of a new flight, live or batch: a new id, created now, this crate's journal
    /// format, every position in WGS-84.
    pub fn new(
        source: FlightSource,
        vehicle: VehicleInfo,
        camera: CameraInfo,
        model: ModelInfo,
        min_sightings: u32,
        software: String,
    ) -> FlightHeader {
        let created_utc_us = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_micros() as i64);
        FlightHeader {
            journal_format: JOURNAL_FORMAT,
            flight_id: FlightId::generate(),
            created_utc_us,
            source,
            vehicle,
            camera,
            model,
            min_sightings,
            datum: "WGS-84".into(),
            software,
        }
    }

    /// The id of candidate `id` of this flight, unique across flights.
    pub fn candidate_uid(&self, id: u64) -> CandidateUid {
        CandidateUid {
            flight: self.flight_id.clone(),
            id,
        }
    }
}

/// SHA-256 of a file, lowercase hex (for [`ModelInfo::sha256`]); reads it in blocks.
pub fn sha256_file(path: &std::path::Path) -> std::io::Result<String> {
    use sha2::Digest;
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_unique_and_parse_back() {
        let a = FlightId::generate();
        let b = FlightId::generate();
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 26);
        assert_eq!(a.as_str().parse::<FlightId>().unwrap(), a);
    }

    #[test]
    fn bad_ids_are_refused_with_the_expectation() {
        let e = "flight-7".parse::<FlightId>().unwrap_err();
        assert!(e.contains("expected a ULID"), "{e}");
        let e = "01JEQ9X3Z8K2M4N6P8R0T2V4W6/x"
            .parse::<CandidateUid>()
            .unwrap_err();
        assert!(e.contains("not a whole number"), "{e}");
    }

    #[test]
    fn sha256_of_a_known_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.onnx");
        std::fs::write(&p, b"abc").unwrap();
        assert_eq!(
            sha256_file(&p).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
