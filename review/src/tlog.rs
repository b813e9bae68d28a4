//! The flown track from `telemetry.tlog`: the format MAVProxy and QGroundControl write, each
//! record an 8-byte big-endian timestamp (microseconds since the Unix epoch, UTC) followed by
//! one raw MAVLink 1 or 2 frame. We keep GLOBAL_POSITION_INT (the autopilot's fused position).
//!
//! Reading is `qly_link::tlog`'s: a record that does not decode costs only itself.

use std::path::{Path, PathBuf};

use qly_link::dialect::{MavMessage, GLOBAL_POSITION_INT_DATA};
use qly_link::tlog::TlogWriter;

/// One position of the flown track.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrackPoint {
    /// The tlog's timestamp: when the ground station logged the frame.
    pub t_utc_us: i64,
    pub lat_deg: f64,
    pub lon_deg: f64,
    pub alt_rel_home_m: f64,
}

/// The track and what could not be read.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Track {
    pub points: Vec<TrackPoint>,
    /// Frames read (any message).
    pub frames: usize,
    /// Records whose frame failed its CRC or could not be decoded (skipped).
    pub bad_frames: usize,
    /// Bytes at the end that do not form a whole record (a log cut short), and their offset.
    pub truncated_tail: Option<(u64, u64)>,
}

#[derive(Debug, thiserror::Error)]
pub enum TlogError {
    #[error("{path}: cannot read the telemetry log: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path}: byte {offset}: expected a MAVLink frame start (0xFE or 0xFD) after the 8-byte \
         timestamp, found 0x{found:02X}: not a .tlog file"
    )]
    NotATlog {
        path: PathBuf,
        offset: u64,
        found: u8,
    },
}

/// Parses the bytes of a tlog (framing and CRC checks by `qly_link::tlog`, the same reader
/// the ground tools use); damage costs only the records it hits.
pub fn parse_tlog(path: &Path, bytes: &[u8]) -> Result<Track, TlogError> {
    let (records, damage) = qly_link::tlog::read_tlog(bytes).map_err(|e| TlogError::NotATlog {
        path: path.to_path_buf(),
        offset: e.offset,
        found: e.found,
    })?;
    let mut track = Track {
        frames: records.len(),
        bad_frames: damage.unparsed_frames as usize + usize::from(damage.skipped_bytes > 0),
        truncated_tail: damage.truncated_tail,
        ..Track::default()
    };
    for r in &records {
        if let MavMessage::GLOBAL_POSITION_INT(p) = &r.message {
            // (0, 0) is what an autopilot without a fix sends.
            if p.lat != 0 || p.lon != 0 {
                track.points.push(TrackPoint {
                    t_utc_us: i64::try_from(r.t_utc_us).unwrap_or(i64::MAX),
                    lat_deg: f64::from(p.lat) * 1e-7,
                    lon_deg: f64::from(p.lon) * 1e-7,
                    alt_rel_home_m: f64::from(p.relative_alt) * 1e-3,
                });
            }
        }
    }
    Ok(track)
}

/// Reads and parses a tlog file.
pub fn read_tlog(path: &Path) -> Result<Track, TlogError> {
    let bytes = std::fs::read(path).map_err(|source| TlogError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_tlog(path, &bytes)
}

/// One tlog record holding GLOBAL_POSITION_INT (MAVLink 2): for fixtures and tests.
pub fn global_position_record(t_utc_us: i64, p: &TrackPoint, sequence: u8) -> Vec<u8> {
    let msg = MavMessage::GLOBAL_POSITION_INT(GLOBAL_POSITION_INT_DATA {
        time_boot_ms: 0,
        lat: (p.lat_deg * 1e7).round() as i32,
        lon: (p.lon_deg * 1e7).round() as i32,
        alt: (p.alt_rel_home_m * 1e3).round() as i32,
        relative_alt: (p.alt_rel_home_m * 1e3).round() as i32,
        vx: 0,
        vy: 0,
        vz: 0,
        hdg: u16::MAX,
    });
    let header = mavlink::MavHeader {
        system_id: 1,
        component_id: 1,
        sequence,
    };
    let mut w = TlogWriter::new(Vec::new());
    // Writing into a Vec cannot fail.
    let _ = w.write(t_utc_us as u64, header, &msg);
    w.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(i: i64) -> TrackPoint {
        TrackPoint {
            t_utc_us: 1_800_000_000_000_000 + i * 1_000_000,
            lat_deg: 27.05 + i as f64 * 1e-4,
            lon_deg: 106.95,
            alt_rel_home_m: 80.0,
        }
    }

    #[test]
    fn positions_round_trip_and_a_bad_crc_is_skipped() {
        let mut bytes = Vec::new();
        for i in 0..3 {
            let p = point(i);
            bytes.extend(global_position_record(p.t_utc_us, &p, i as u8));
        }
        let one = global_position_record(0, &point(0), 0).len();
        // Corrupt the second frame's payload.
        bytes[one + 20] ^= 0xFF;
        let t = parse_tlog(Path::new("t.tlog"), &bytes).unwrap();
        assert_eq!(t.points.len(), 2);
        assert_eq!(t.bad_frames, 1);
        assert!((t.points[1].lat_deg - point(2).lat_deg).abs() < 1e-7);
        assert_eq!(t.points[1].t_utc_us, point(2).t_utc_us);
        // Cut the last record short.
        let t = parse_tlog(Path::new("t.tlog"), &bytes[..bytes.len() - 3]).unwrap();
        assert_eq!(t.points.len(), 1);
        assert_eq!(t.truncated_tail, Some((2 * one as u64, one as u64 - 3)));
    }

    #[test]
    fn a_file_that_is_not_a_tlog_is_refused() {
        let e = parse_tlog(Path::new("x.tlog"), b"hello world, not mavlink").unwrap_err();
        assert!(e.to_string().contains("x.tlog: byte 8"), "{e}");
    }
}
