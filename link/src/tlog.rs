//! Telemetry logs (`.tlog`), the format MAVProxy, QGroundControl and Mission Planner write and
//! pymavlink's `mavlogdump.py` reads: each record is the receive time as 8 bytes big-endian
//! microseconds since the Unix epoch (UTC), followed by one raw MAVLink frame.
//!
//! We log frames re-encoded from the parsed message (MAVLink 2, unsigned, with the sender's
//! system, component and sequence), which is what a reader needs to replay the telemetry;
//! the original signature, if any, is not kept.

use std::io::{self, Write};

use mavlink::{MAVLinkV2MessageRaw, MavHeader};

use crate::dialect::MavMessage;
use crate::frame::Decoder;

/// Appends records to a tlog.
#[derive(Debug)]
pub struct TlogWriter<W: Write> {
    out: W,
    records: u64,
}

impl<W: Write> TlogWriter<W> {
    pub fn new(out: W) -> Self {
        TlogWriter { out, records: 0 }
    }

    /// Logs `message` from `header`, received at `t_utc_us`.
    pub fn write(
        &mut self,
        t_utc_us: u64,
        header: MavHeader,
        message: &MavMessage,
    ) -> io::Result<()> {
        let mut raw = MAVLinkV2MessageRaw::new();
        raw.serialize_message(header, message);
        self.out.write_all(&t_utc_us.to_be_bytes())?;
        self.out.write_all(raw.raw_bytes())?;
        self.records += 1;
        Ok(())
    }

    pub fn records(&self) -> u64 {
        self.records
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    pub fn into_inner(self) -> W {
        self.out
    }
}

/// One record read back.
#[derive(Debug, Clone, PartialEq)]
pub struct TlogRecord {
    pub t_utc_us: u64,
    pub header: MavHeader,
    pub message: MavMessage,
}

/// What [`read_tlog`] found besides the records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TlogDamage {
    /// Bytes skipped while looking for the next record (damage between records).
    pub skipped_bytes: u64,
    /// Whole frames that did not parse (bad CRC, a message id this dialect does not know).
    pub unparsed_frames: u64,
    /// A last record cut short (a log whose writer stopped mid-record): its byte offset and
    /// length.
    pub truncated_tail: Option<(u64, u64)>,
}

/// The bytes do not start like a tlog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("byte {offset}: expected a MAVLink frame start (0xFE or 0xFD) after the 8-byte timestamp, found 0x{found:02X}: not a .tlog file")]
pub struct NotATlog {
    pub offset: u64,
    pub found: u8,
}

/// Reads every record of a tlog held in memory. MAVLink 1 and 2 frames are accepted. A frame
/// that does not parse costs only itself; bytes that do not start a record are skipped (and
/// counted) until one does, so damage in the middle does not lose the rest. A file whose
/// first record is not a MAVLink frame is not a tlog.
pub fn read_tlog(bytes: &[u8]) -> Result<(Vec<TlogRecord>, TlogDamage), NotATlog> {
    let mut records = Vec::new();
    let mut damage = TlogDamage::default();
    if let Some(&found) = bytes.get(8) {
        if found != mavlink::MAV_STX_V2 && found != mavlink::MAV_STX {
            return Err(NotATlog { offset: 8, found });
        }
    }
    let mut at = 0usize;
    while at < bytes.len() {
        let frame_at = at + 8;
        let marker = bytes.get(frame_at).copied();
        let len = match marker {
            Some(mavlink::MAV_STX_V2) => frame_len_v2(&bytes[frame_at..]),
            Some(mavlink::MAV_STX) => frame_len_v1(&bytes[frame_at..]),
            _ => None,
        };
        let len = match (marker, len) {
            (_, Some(len)) => len,
            // The timestamp, or a frame header, cut short: the writer stopped here.
            (None, _) | (Some(mavlink::MAV_STX_V2 | mavlink::MAV_STX), None) => {
                damage.truncated_tail = Some((at as u64, (bytes.len() - at) as u64));
                break;
            }
            (Some(_), None) => {
                damage.skipped_bytes += 1;
                at += 1;
                continue;
            }
        };
        if frame_at + len > bytes.len() {
            damage.truncated_tail = Some((at as u64, (bytes.len() - at) as u64));
            break;
        }
        let mut ts = [0u8; 8];
        ts.copy_from_slice(&bytes[at..frame_at]);
        // The link's own frame decoder checks the CRC and parses; one frame at a time.
        let mut decoder = Decoder::new(true, None);
        decoder.push(&bytes[frame_at..frame_at + len]);
        match decoder.next_frame() {
            Some(rx) => records.push(TlogRecord {
                t_utc_us: u64::from_be_bytes(ts),
                header: rx.header,
                message: rx.message,
            }),
            None => damage.unparsed_frames += 1,
        }
        at = frame_at + len;
    }
    Ok((records, damage))
}

/// Length of the MAVLink 2 frame at the start of `b` (header 10, payload, CRC 2, signature 13
/// when flagged), or `None` if the header is not all there.
fn frame_len_v2(b: &[u8]) -> Option<usize> {
    if b.len() < 10 {
        return None;
    }
    let signed = b[2] & 0x01 != 0;
    Some(10 + b[1] as usize + 2 + if signed { 13 } else { 0 })
}

/// Length of the MAVLink 1 frame at the start of `b` (header 6, payload, CRC 2).
fn frame_len_v1(b: &[u8]) -> Option<usize> {
    if b.len() < 6 {
        return None;
    }
    Some(6 + b[1] as usize + 2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::{GLOBAL_POSITION_INT_DATA, HEARTBEAT_DATA};

    fn header(seq: u8) -> MavHeader {
        MavHeader {
            system_id: 1,
            component_id: 1,
            sequence: seq,
        }
    }

    #[test]
    fn records_round_trip_and_damage_costs_only_itself() {
        let mut w = TlogWriter::new(Vec::new());
        let pos = MavMessage::GLOBAL_POSITION_INT(GLOBAL_POSITION_INT_DATA {
            time_boot_ms: 1234,
            lat: 270_547_000,
            lon: 1_069_527_000,
            alt: 1_125_000,
            relative_alt: 75_000,
            ..Default::default()
        });
        w.write(1_800_000_000_000_000, header(0), &pos).unwrap();
        w.write(
            1_800_000_000_100_000,
            header(1),
            &MavMessage::HEARTBEAT(HEARTBEAT_DATA::default()),
        )
        .unwrap();
        let mut bytes = w.into_inner();
        let intact = bytes.len();
        // Garbage between records, then a torn last record.
        bytes.extend_from_slice(&[0xAA; 5]);
        let torn = bytes[..20].to_vec();
        bytes.extend_from_slice(&torn);
        let (records, damage) = read_tlog(&bytes).unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].message, pos);
        assert_eq!(records[0].t_utc_us, 1_800_000_000_000_000);
        assert_eq!(records[1].header.sequence, 1);
        assert_eq!(damage.skipped_bytes, 5);
        assert_eq!(damage.truncated_tail, Some((intact as u64 + 5, 20)));
        // A flipped payload byte costs that frame only.
        let mut bad = w_bytes_twice();
        bad[8 + 12] ^= 0xFF;
        let (records, damage) = read_tlog(&bad).unwrap();
        assert_eq!((records.len(), damage.unparsed_frames), (1, 1));
    }

    fn w_bytes_twice() -> Vec<u8> {
        let mut w = TlogWriter::new(Vec::new());
        for seq in 0..2 {
            w.write(
                1,
                header(seq),
                &MavMessage::HEARTBEAT(HEARTBEAT_DATA::default()),
            )
            .unwrap();
        }
        w.into_inner()
    }

    #[test]
    fn text_is_not_a_tlog() {
        let e = read_tlog(b"hello world, not mavlink").unwrap_err();
        assert_eq!(e.offset, 8);
        assert!(e.to_string().contains("not a .tlog"), "{e}");
    }
}
