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
    /// Bytes skipped while looking for the next frame (damage, or messages this dialect does
    /// not know).
    pub skipped_bytes: u64,
    /// Frames with a valid layout that did not parse (unknown message id, bad CRC).
    pub unparsed_frames: u64,
}

/// Reads every record of a tlog held in memory. MAVLink 1 and 2 frames are accepted; bytes
/// that do not form a frame are skipped and counted, so a torn last record or an unknown
/// message costs only itself.
pub fn read_tlog(bytes: &[u8]) -> (Vec<TlogRecord>, TlogDamage) {
    let mut records = Vec::new();
    let mut damage = TlogDamage::default();
    let mut at = 0usize;
    while at + 8 < bytes.len() {
        let mut ts = [0u8; 8];
        ts.copy_from_slice(&bytes[at..at + 8]);
        let t_utc_us = u64::from_be_bytes(ts);
        let frame_at = at + 8;
        let len = match bytes[frame_at] {
            mavlink::MAV_STX_V2 => frame_len_v2(&bytes[frame_at..]),
            mavlink::MAV_STX => frame_len_v1(&bytes[frame_at..]),
            _ => None,
        };
        let parsed = len.map(|len| {
            // The link's own frame decoder checks the CRC and parses; one frame at a time.
            let mut decoder = Decoder::new(true, None);
            decoder.push(&bytes[frame_at..(frame_at + len).min(bytes.len())]);
            (len, decoder.next_frame().ok_or(()))
        });
        match parsed {
            Some((len, Ok(rx))) if frame_at + len <= bytes.len() => {
                records.push(TlogRecord {
                    t_utc_us,
                    header: rx.header,
                    message: rx.message,
                });
                at = frame_at + len;
            }
            Some((len, Err(_))) if frame_at + len <= bytes.len() => {
                damage.unparsed_frames += 1;
                at = frame_at + len;
            }
            _ => {
                damage.skipped_bytes += 1;
                at += 1;
            }
        }
    }
    damage.skipped_bytes += (bytes.len() - at.min(bytes.len())) as u64;
    (records, damage)
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
        let (records, damage) = read_tlog(&bytes);
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].message, pos);
        assert_eq!(records[0].t_utc_us, 1_800_000_000_000_000);
        assert_eq!(records[1].header.sequence, 1);
        assert_eq!(damage.skipped_bytes, (bytes.len() - intact) as u64);
    }
}
