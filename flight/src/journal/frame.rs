//! The journal's line framing: one record per line,
//!
//! ```text
//! qj1 <payload length, 8 hex digits> <CRC-32 of the payload, 8 hex digits> <JSON payload>\n
//! ```
//!
//! The payload is the record's serde JSON, which never holds a raw newline (JSON escapes
//! them), so a reader always resynchronises at the next `\n` after damage: one bad line
//! costs one record, never the rest of the file. The length catches a payload that was cut
//! short or ran into the next write; the CRC catches bytes changed in place (a torn sector,
//! zeros after a power cut). A damaged line is reported with its byte offset and the reason.
//!
//! A record's payload is at most [`MAX_PAYLOAD_BYTES`]: [`encode`] refuses a larger one, and
//! [`scan_reader`] reports a longer line as damage at its offset while skipping it, never
//! holding more than one line of that size. So reading a journal needs memory for the records
//! it holds plus one [`MAX_LINE_BYTES`] line, whatever the file contains.

use std::io::{self, BufRead, Read};

use crate::record::Record;

/// Every line starts with this tag; the `1` is the format version.
pub const TAG: &[u8; 4] = b"qj1 ";
/// `qj1 ` + 8 hex + space + 8 hex + space.
pub const HEADER_LEN: usize = 4 + 8 + 1 + 8 + 1;
/// Largest payload a record may have, bytes. Records are a few hundred bytes (a candidate with
/// its sighting list a few KiB); a longer line is damage (a run of bytes with no newline, or
/// a corrupted file), never a record to allocate whole.
pub const MAX_PAYLOAD_BYTES: usize = 1 << 20;
/// Longest line read as a record: header, payload, newline.
pub const MAX_LINE_BYTES: usize = HEADER_LEN + MAX_PAYLOAD_BYTES + 1;

/// The framed line of `record`. Fails for a record that JSON cannot carry faithfully (a
/// NaN or infinite number would be written as `null` and could not be read back), and for
/// one over [`MAX_PAYLOAD_BYTES`], which a reader would refuse.
pub fn encode(record: &Record) -> Result<Vec<u8>, serde_json::Error> {
    let payload = serde_json::to_vec(record)?;
    if payload.len() > MAX_PAYLOAD_BYTES {
        return Err(<serde_json::Error as serde::ser::Error>::custom(format!(
            "the record is {} bytes of JSON, more than a journal record may hold ({} bytes)",
            payload.len(),
            MAX_PAYLOAD_BYTES
        )));
    }
    // Reading back is the only complete check that the line will be readable later; it costs
    // a few microseconds per record.
    serde_json::from_slice::<Record>(&payload)?;
    let crc = crc32fast::hash(&payload);
    let mut line = Vec::with_capacity(HEADER_LEN + payload.len() + 1);
    line.extend_from_slice(TAG);
    line.extend_from_slice(format!("{:08x} {:08x} ", payload.len(), crc).as_bytes());
    line.extend_from_slice(&payload);
    line.push(b'\n');
    Ok(line)
}

/// Why a span of the file was not read as a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DamageReason {
    /// The file ends inside a line: a write that did not finish.
    Unterminated,
    /// The line does not start with a `qj1` header.
    BadHeader,
    /// The header's length disagrees with the line.
    LengthMismatch { declared: u64, found: u64 },
    /// The payload's CRC-32 is not the header's.
    ChecksumMismatch { declared: u32, computed: u32 },
    /// The framing is intact but the payload is not a record this version knows.
    NotARecord(String),
    /// The line is longer than any record may be ([`MAX_LINE_BYTES`]); it was skipped
    /// without being read whole.
    TooLong { len: u64, limit: u64 },
}

impl std::fmt::Display for DamageReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DamageReason::Unterminated => write!(f, "the file ends inside a record (torn write)"),
            DamageReason::BadHeader => write!(f, "no `qj1` record header"),
            DamageReason::LengthMismatch { declared, found } => write!(
                f,
                "the header says {declared} payload bytes but the line has {found}"
            ),
            DamageReason::ChecksumMismatch { declared, computed } => write!(
                f,
                "CRC-32 mismatch: header {declared:08x}, payload {computed:08x}"
            ),
            DamageReason::NotARecord(e) => write!(f, "intact line but not a known record: {e}"),
            DamageReason::TooLong { len, limit } => write!(
                f,
                "a line of {len} bytes, longer than a record may be ({limit} bytes): skipped"
            ),
        }
    }
}

/// A span of the file that was not read as a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    /// Byte offset of the span's first byte.
    pub offset: u64,
    pub len: u64,
    /// Why its first line was refused (a span may merge several adjacent bad lines).
    pub reason: DamageReason,
}

/// What a scan of the journal's bytes found.
#[derive(Debug, Clone, Default)]
pub struct Scan {
    pub records: Vec<Record>,
    /// Bad spans, in file order.
    pub damage: Vec<Damage>,
    /// End of the last intact line: everything past it is a torn tail.
    pub intact_len: u64,
}

/// Reads every line of `bytes`.
pub fn scan(bytes: &[u8]) -> Scan {
    // Reading from a slice cannot fail.
    scan_reader(bytes).unwrap_or_default()
}

/// Reads every line from `reader`, holding at most one line of [`MAX_LINE_BYTES`] besides the
/// records: a longer line is reported as [`DamageReason::TooLong`] and skipped unread.
pub fn scan_reader(reader: impl Read) -> io::Result<Scan> {
    let mut reader = io::BufReader::with_capacity(64 * 1024, reader);
    let mut out = Scan::default();
    let mut line: Vec<u8> = Vec::new();
    let mut pos = 0u64;
    loop {
        // One line: `line` holds it while it fits, `len` counts all of it.
        line.clear();
        let mut len = 0u64;
        let mut terminated = false;
        loop {
            let buf = reader.fill_buf()?;
            if buf.is_empty() {
                break;
            }
            let (chunk, done) = match buf.iter().position(|&b| b == b'\n') {
                Some(i) => (&buf[..i], true),
                None => (buf, false),
            };
            if len + chunk.len() as u64 <= MAX_LINE_BYTES as u64 {
                line.extend_from_slice(chunk);
            } else if !line.is_empty() {
                // Too long: give the memory back at once.
                line = Vec::new();
            }
            len += chunk.len() as u64;
            let used = chunk.len() + usize::from(done);
            reader.consume(used);
            if done {
                terminated = true;
                break;
            }
        }
        if len == 0 && !terminated {
            break;
        }
        let next = pos + len + u64::from(terminated);
        let parsed = if len + 1 > MAX_LINE_BYTES as u64 {
            Err(DamageReason::TooLong {
                len: next - pos,
                limit: MAX_LINE_BYTES as u64,
            })
        } else if terminated {
            parse_line(&line)
        } else {
            Err(DamageReason::Unterminated)
        };
        match parsed {
            Ok(record) => {
                out.records.push(record);
                out.intact_len = next;
            }
            Err(DamageReason::NotARecord(e)) => {
                // Intact framing: a record of a later version, kept in the file.
                out.intact_len = next;
                push_damage(&mut out.damage, pos, next, DamageReason::NotARecord(e));
            }
            Err(reason) => push_damage(&mut out.damage, pos, next, reason),
        }
        pos = next;
    }
    Ok(out)
}

fn push_damage(damage: &mut Vec<Damage>, start: u64, end: u64, reason: DamageReason) {
    // A line that is not a record of this version, or too long to read, is reported on its
    // own; runs of other damage (garbage, a torn sector) are merged.
    let alone = |r: &DamageReason| {
        matches!(
            r,
            DamageReason::NotARecord(_) | DamageReason::TooLong { .. }
        )
    };
    if let Some(last) = damage.last_mut() {
        if !alone(&reason) && !alone(&last.reason) && last.offset + last.len == start {
            last.len = end - last.offset;
            return;
        }
    }
    damage.push(Damage {
        offset: start,
        len: end - start,
        reason,
    });
}

fn parse_line(line: &[u8]) -> Result<Record, DamageReason> {
    if line.len() < HEADER_LEN
        || &line[..4] != TAG
        || line[12] != b' '
        || line[HEADER_LEN - 1] != b' '
    {
        return Err(DamageReason::BadHeader);
    }
    let declared_len = hex_u32(&line[4..12]).ok_or(DamageReason::BadHeader)?;
    let declared_crc = hex_u32(&line[13..21]).ok_or(DamageReason::BadHeader)?;
    let payload = &line[HEADER_LEN..];
    if payload.len() as u64 != u64::from(declared_len) {
        return Err(DamageReason::LengthMismatch {
            declared: u64::from(declared_len),
            found: payload.len() as u64,
        });
    }
    let computed = crc32fast::hash(payload);
    if computed != declared_crc {
        return Err(DamageReason::ChecksumMismatch {
            declared: declared_crc,
            computed,
        });
    }
    serde_json::from_slice(payload).map_err(|e| DamageReason::NotARecord(e.to_string()))
}

fn hex_u32(digits: &[u8]) -> Option<u32> {
    let text = std::str::from_utf8(digits).ok()?;
    u32::from_str_radix(text, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{CameraRecord, FrameRecord};

    fn frame(i: u64) -> Record {
        Record::Frame(FrameRecord {
            boot: 0,
            image_index: i,
            file: format!("DJI_{i:04}.JPG"),
            t_utc_us: 1_800_000_000_000_000 + i as i64,
            t_boot_ms: None,
            width_px: 4000,
            height_px: 3000,
            camera: CameraRecord {
                lat_deg: 27.0,
                lon_deg: 107.0,
                alt_amsl_m: 1100.0,
                height_above_ground_m: Some(80.0),
                roll_deg: 0.0,
                pitch_deg: 0.0,
                yaw_deg: 0.0,
                camera_pitch_deg: -90.0,
                camera_yaw_deg: 0.0,
            },
            detections: 0,
            sightings: 0,
        })
    }

    #[test]
    fn lines_round_trip_and_a_flipped_byte_costs_one_record() {
        let mut bytes = Vec::new();
        for i in 0..3 {
            bytes.extend(encode(&frame(i)).unwrap());
        }
        let clean = scan(&bytes);
        assert_eq!(clean.records, vec![frame(0), frame(1), frame(2)]);
        assert!(clean.damage.is_empty());
        assert_eq!(clean.intact_len, bytes.len() as u64);

        let second = bytes.iter().position(|&b| b == b'\n').unwrap() + 1;
        bytes[second + HEADER_LEN + 10] ^= 0x20;
        let damaged = scan(&bytes);
        assert_eq!(damaged.records, vec![frame(0), frame(2)]);
        assert_eq!(damaged.damage.len(), 1);
        assert_eq!(damaged.damage[0].offset, second as u64);
        assert!(matches!(
            damaged.damage[0].reason,
            DamageReason::ChecksumMismatch { .. }
        ));
        assert_eq!(damaged.intact_len, bytes.len() as u64);
    }

    #[test]
    fn a_cut_last_line_and_trailing_zeros_are_one_torn_tail() {
        let mut bytes = encode(&frame(0)).unwrap();
        let good = bytes.len();
        let second = encode(&frame(1)).unwrap();
        bytes.extend(&second[..second.len() / 2]);
        bytes.extend([0u8; 4096]);
        let s = scan(&bytes);
        assert_eq!(s.records, vec![frame(0)]);
        assert_eq!(s.intact_len, good as u64);
        assert_eq!(s.damage.len(), 1);
        assert_eq!(s.damage[0].offset, good as u64);
        assert_eq!(s.damage[0].len, (bytes.len() - good) as u64);
        assert_eq!(s.damage[0].reason, DamageReason::Unterminated);
    }

    #[test]
    fn a_nan_is_refused_at_encoding_not_discovered_at_reading() {
        let mut r = frame(0);
        if let Record::Frame(f) = &mut r {
            f.camera.lat_deg = f64::NAN;
        }
        assert!(encode(&r).is_err());
    }
}
