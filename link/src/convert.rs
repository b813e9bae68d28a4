//! Between `qly_core`'s protocol values and the `mavlink` crate's messages
//! (`MISSION_ITEM_INT` <-> [`RawItem`], [`ProtocolMsg`] <-> [`MavMessage`]).

// MISSION_REQUEST and MISSION_SET_CURRENT are deprecated in MAVLink but peers still send
// them, and the spec requires answering them.
#![allow(deprecated)]

use crate::dialect::{
    MavCmd, MavFrame, MavMessage, MavMissionResult, MavMissionType, MISSION_ACK_DATA,
    MISSION_CLEAR_ALL_DATA, MISSION_COUNT_DATA, MISSION_CURRENT_DATA, MISSION_ITEM_INT_DATA,
    MISSION_REQUEST_DATA, MISSION_REQUEST_INT_DATA, MISSION_REQUEST_LIST_DATA,
    MISSION_SET_CURRENT_DATA,
};
use crate::frame::RawFrame;
use mavlink::MavHeader;
use num_traits::{FromPrimitive, ToPrimitive};
use qly_core::mission::{e7_to_deg, MissionType, RawItem};
use qly_core::protocol::{Ids, MissionMsg, MissionResult, ProtocolMsg};
use thiserror::Error;

/// A value our side holds that the MAVLink dialect cannot carry.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConvertError {
    #[error("item {seq}: command {command} is not a MAV_CMD of the ardupilotmega dialect")]
    UnknownCommand { seq: u16, command: u16 },
    #[error("item {seq}: frame {frame} is not a MAV_FRAME value")]
    UnknownFrame { seq: u16, frame: u8 },
}

pub fn mav_mission_type(t: MissionType) -> MavMissionType {
    match t {
        MissionType::Mission => MavMissionType::MAV_MISSION_TYPE_MISSION,
        MissionType::Fence => MavMissionType::MAV_MISSION_TYPE_FENCE,
        MissionType::Rally => MavMissionType::MAV_MISSION_TYPE_RALLY,
    }
}

/// `None` for `MAV_MISSION_TYPE_ALL`.
pub fn mission_type_of(t: MavMissionType) -> Option<MissionType> {
    match t {
        MavMissionType::MAV_MISSION_TYPE_MISSION => Some(MissionType::Mission),
        MavMissionType::MAV_MISSION_TYPE_FENCE => Some(MissionType::Fence),
        MavMissionType::MAV_MISSION_TYPE_RALLY => Some(MissionType::Rally),
        _ => None,
    }
}

/// `MISSION_ITEM_INT` fields -> [`RawItem`] (coordinates from degE7).
pub fn raw_item_from_mavlink(d: &MISSION_ITEM_INT_DATA) -> RawItem {
    RawItem {
        frame: d.frame.to_u8().unwrap_or(u8::MAX),
        command: d.command.to_u16().unwrap_or(u16::MAX),
        params: [d.param1, d.param2, d.param3, d.param4],
        lat_deg: e7_to_deg(d.x),
        lon_deg: e7_to_deg(d.y),
        alt_m: d.z,
        autocontinue: d.autocontinue != 0,
    }
}

/// [`RawItem`] -> `MISSION_ITEM_INT` for `target`.
pub fn raw_item_to_mavlink(
    item: &RawItem,
    seq: u16,
    mission_type: MissionType,
    current: bool,
    target: Ids,
) -> Result<MISSION_ITEM_INT_DATA, ConvertError> {
    let command = MavCmd::from_u16(item.command).ok_or(ConvertError::UnknownCommand {
        seq,
        command: item.command,
    })?;
    let frame = MavFrame::from_u8(item.frame).ok_or(ConvertError::UnknownFrame {
        seq,
        frame: item.frame,
    })?;
    Ok(MISSION_ITEM_INT_DATA {
        param1: item.params[0],
        param2: item.params[1],
        param3: item.params[2],
        param4: item.params[3],
        x: item.lat_e7(),
        y: item.lon_e7(),
        z: item.alt_m,
        seq,
        command,
        target_system: target.system,
        target_component: target.component,
        frame,
        current: current as u8,
        autocontinue: item.autocontinue as u8,
        mission_type: mav_mission_type(mission_type),
    })
}

fn result_to_mav(r: MissionResult) -> MavMissionResult {
    MavMissionResult::from_u8(r.code()).unwrap_or(MavMissionResult::MAV_MISSION_ERROR)
}

fn result_of(r: MavMissionResult) -> MissionResult {
    r.to_u8()
        .and_then(MissionResult::from_code)
        .unwrap_or(MissionResult::Error)
}

/// A protocol message as a MAVLink message (the source goes in the frame header, which the
/// connection writes).
pub fn to_mavlink(p: &ProtocolMsg) -> Result<MavMessage, ConvertError> {
    let (ts, tc) = (p.target.system, p.target.component);
    Ok(match p.msg {
        MissionMsg::Count {
            mission_type,
            count,
            opaque_id,
        } => MavMessage::MISSION_COUNT(MISSION_COUNT_DATA {
            count,
            target_system: ts,
            target_component: tc,
            mission_type: mav_mission_type(mission_type),
            opaque_id,
        }),
        MissionMsg::RequestInt { mission_type, seq } => {
            MavMessage::MISSION_REQUEST_INT(MISSION_REQUEST_INT_DATA {
                seq,
                target_system: ts,
                target_component: tc,
                mission_type: mav_mission_type(mission_type),
            })
        }
        MissionMsg::Request { mission_type, seq } => {
            MavMessage::MISSION_REQUEST(MISSION_REQUEST_DATA {
                seq,
                target_system: ts,
                target_component: tc,
                mission_type: mav_mission_type(mission_type),
            })
        }
        MissionMsg::ItemInt {
            mission_type,
            seq,
            current,
            item,
        } => MavMessage::MISSION_ITEM_INT(raw_item_to_mavlink(
            &item,
            seq,
            mission_type,
            current,
            p.target,
        )?),
        MissionMsg::Ack {
            mission_type,
            result,
            opaque_id,
        } => MavMessage::MISSION_ACK(MISSION_ACK_DATA {
            target_system: ts,
            target_component: tc,
            mavtype: result_to_mav(result),
            mission_type: mav_mission_type(mission_type),
            opaque_id,
        }),
        MissionMsg::RequestList { mission_type } => {
            MavMessage::MISSION_REQUEST_LIST(MISSION_REQUEST_LIST_DATA {
                target_system: ts,
                target_component: tc,
                mission_type: mav_mission_type(mission_type),
            })
        }
        MissionMsg::ClearAll { mission_type } => {
            MavMessage::MISSION_CLEAR_ALL(MISSION_CLEAR_ALL_DATA {
                target_system: ts,
                target_component: tc,
                mission_type: mission_type
                    .map(mav_mission_type)
                    .unwrap_or(MavMissionType::MAV_MISSION_TYPE_ALL),
            })
        }
        MissionMsg::SetCurrent { seq } => {
            MavMessage::MISSION_SET_CURRENT(MISSION_SET_CURRENT_DATA {
                seq,
                target_system: ts,
                target_component: tc,
            })
        }
        MissionMsg::Current {
            seq,
            total,
            mission_id,
        } => MavMessage::MISSION_CURRENT(MISSION_CURRENT_DATA {
            seq,
            total,
            mission_id,
            ..MISSION_CURRENT_DATA::default()
        }),
    })
}

/// A received MAVLink message as a protocol message; `None` for messages outside the
/// mission protocol (and for mission types other than mission/fence/rally).
pub fn from_mavlink(header: &MavHeader, msg: &MavMessage) -> Option<ProtocolMsg> {
    let source = Ids::new(u8::try_from(header.system_id).ok()?, header.component_id);
    let target = |s: u8, c: u8| Ids::new(s, c);
    let (target, msg) = match msg {
        MavMessage::MISSION_COUNT(d) => (
            target(d.target_system, d.target_component),
            MissionMsg::Count {
                mission_type: mission_type_of(d.mission_type)?,
                count: d.count,
                opaque_id: d.opaque_id,
            },
        ),
        MavMessage::MISSION_REQUEST_INT(d) => (
            target(d.target_system, d.target_component),
            MissionMsg::RequestInt {
                mission_type: mission_type_of(d.mission_type)?,
                seq: d.seq,
            },
        ),
        MavMessage::MISSION_REQUEST(d) => (
            target(d.target_system, d.target_component),
            MissionMsg::Request {
                mission_type: mission_type_of(d.mission_type)?,
                seq: d.seq,
            },
        ),
        MavMessage::MISSION_ITEM_INT(d) => (
            target(d.target_system, d.target_component),
            MissionMsg::ItemInt {
                mission_type: mission_type_of(d.mission_type)?,
                seq: d.seq,
                current: d.current != 0,
                item: raw_item_from_mavlink(d),
            },
        ),
        MavMessage::MISSION_ACK(d) => (
            target(d.target_system, d.target_component),
            MissionMsg::Ack {
                mission_type: mission_type_of(d.mission_type)?,
                result: result_of(d.mavtype),
                opaque_id: d.opaque_id,
            },
        ),
        MavMessage::MISSION_REQUEST_LIST(d) => (
            target(d.target_system, d.target_component),
            MissionMsg::RequestList {
                mission_type: mission_type_of(d.mission_type)?,
            },
        ),
        MavMessage::MISSION_CLEAR_ALL(d) => (
            target(d.target_system, d.target_component),
            MissionMsg::ClearAll {
                mission_type: mission_type_of(d.mission_type),
            },
        ),
        MavMessage::MISSION_SET_CURRENT(d) => (
            target(d.target_system, d.target_component),
            MissionMsg::SetCurrent { seq: d.seq },
        ),
        MavMessage::MISSION_CURRENT(d) => (
            Ids::BROADCAST,
            MissionMsg::Current {
                seq: d.seq,
                total: d.total,
                mission_id: d.mission_id,
            },
        ),
        _ => return None,
    };
    Some(ProtocolMsg {
        source,
        target,
        msg,
    })
}

/// A MISSION_ITEM_INT or MISSION_ITEM read from its raw payload: what an autopilot needs to
/// answer an item the dialect cannot decode (an undeclared frame, command or mission type).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RawMissionItem {
    pub source: Ids,
    pub target: Ids,
    pub seq: u16,
    /// The MAV_MISSION_TYPE value as sent (it may be one the dialect does not declare).
    pub mission_type: u8,
    pub current: bool,
    /// Frame and command as sent; coordinates in degrees.
    pub item: RawItem,
}

impl RawMissionItem {
    /// The mission type, when it names one of the three lists.
    pub fn list(&self) -> Option<MissionType> {
        mission_type_of(MavMissionType::from_u8(self.mission_type)?)
    }

    /// The item as the protocol's MISSION_ITEM_INT, when its mission type names a list.
    pub fn to_protocol(&self) -> Option<ProtocolMsg> {
        Some(ProtocolMsg {
            source: self.source,
            target: self.target,
            msg: MissionMsg::ItemInt {
                mission_type: self.list()?,
                seq: self.seq,
                current: self.current,
                item: self.item,
            },
        })
    }
}

/// MISSION_ITEM (39) and MISSION_ITEM_INT (73) share one wire layout: params 1-4 (f32) at
/// 0..16, x and y at 16 and 20 (f32 degrees in MISSION_ITEM, i32 degE7 in MISSION_ITEM_INT),
/// z (f32) at 24, seq (u16) at 28, command (u16) at 30, then target system, target
/// component, frame, current, autocontinue and (MAVLink 2 extension) mission type, one byte
/// each at 32..38.
const MISSION_ITEM_PAYLOAD_LEN: usize = 38;
const MSG_ID_MISSION_ITEM: u32 = 39;
const MSG_ID_MISSION_ITEM_INT: u32 = 73;

/// Reads a MISSION_ITEM_INT or MISSION_ITEM from a raw frame (one the dialect could not
/// decode), field by field, without checking any enum value; `None` for other messages or a
/// sender id that is not a MAVLink system id.
pub fn mission_item_from_raw(raw: &RawFrame) -> Option<RawMissionItem> {
    if raw.msgid != MSG_ID_MISSION_ITEM && raw.msgid != MSG_ID_MISSION_ITEM_INT {
        return None;
    }
    // MAVLink 2 drops trailing zero bytes; a MAVLink 1 frame has no mission type (0).
    let p = raw.payload_padded(MISSION_ITEM_PAYLOAD_LEN);
    let f32_at = |i: usize| f32::from_le_bytes([p[i], p[i + 1], p[i + 2], p[i + 3]]);
    let i32_at = |i: usize| i32::from_le_bytes([p[i], p[i + 1], p[i + 2], p[i + 3]]);
    let u16_at = |i: usize| u16::from_le_bytes([p[i], p[i + 1]]);
    let (lat_deg, lon_deg) = if raw.msgid == MSG_ID_MISSION_ITEM_INT {
        (e7_to_deg(i32_at(16)), e7_to_deg(i32_at(20)))
    } else {
        (f32_at(16) as f64, f32_at(20) as f64)
    };
    Some(RawMissionItem {
        source: Ids::new(
            u8::try_from(raw.header.system_id).ok()?,
            raw.header.component_id,
        ),
        target: Ids::new(p[32], p[33]),
        seq: u16_at(28),
        mission_type: p[37],
        current: p[35] != 0,
        item: RawItem {
            frame: p[34],
            command: u16_at(30),
            params: [f32_at(0), f32_at(4), f32_at(8), f32_at(12)],
            lat_deg,
            lon_deg,
            alt_m: f32_at(24),
            autocontinue: p[36] != 0,
        },
    })
}

/// Whether `command` is a MAV_CMD of the dialect.
pub fn known_command(command: u16) -> bool {
    MavCmd::from_u16(command).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{Decoder, Encoder, Incoming};

    /// A MISSION_ITEM_INT with frame 255 (no MAV_FRAME) cannot be decoded by the dialect but
    /// is read field by field from the raw frame, MAVLink 2's trailing-zero truncation
    /// included.
    #[test]
    fn undeclared_frame_is_read_from_the_raw_payload() {
        let item = RawItem {
            frame: 3,
            command: 16,
            params: [0.0; 4],
            lat_deg: 27.123_456_7,
            lon_deg: 106.9,
            alt_m: 80.0,
            autocontinue: true,
        };
        let d = raw_item_to_mavlink(&item, 7, MissionType::Mission, false, Ids::new(1, 1)).unwrap();
        let mut bytes = Encoder::new(None).encode(255, 190, &MavMessage::MISSION_ITEM_INT(d), 0);
        // Frame byte: header 10 + offset 34. Rewrite it to 255 and fix the CRC.
        assert_eq!(bytes[10 + 34], 3);
        bytes[10 + 34] = 255;
        let len = bytes[1] as usize;
        // mission_type 0 and current 0 are trailing zeros: the payload is cut short.
        assert!(len < MISSION_ITEM_PAYLOAD_LEN, "payload {len}");
        let crc = mavlink::calculate_crc(
            &bytes[1..10 + len],
            <MavMessage as mavlink::Message>::extra_crc(73),
        );
        bytes[10 + len..10 + len + 2].copy_from_slice(&crc.to_le_bytes());
        let mut dec = Decoder::new(false, None);
        dec.push(&bytes);
        let Some(Incoming::Undecodable(raw)) = dec.next_incoming() else {
            panic!("expected an undecodable frame");
        };
        assert_eq!(dec.counts.undecodable, 1);
        let r = mission_item_from_raw(&raw).expect("a mission item");
        assert_eq!(r.source, Ids::new(255, 190));
        assert_eq!(r.target, Ids::new(1, 1));
        assert_eq!(r.seq, 7);
        assert_eq!(r.mission_type, 0);
        assert_eq!(r.list(), Some(MissionType::Mission));
        assert_eq!(r.item.frame, 255);
        assert_eq!(r.item.command, 16);
        assert!((r.item.lat_deg - 27.123_456_7).abs() < 1e-7);
        assert_eq!(r.item.alt_m, 80.0);
        assert!(r.item.autocontinue && !r.current);
    }

    #[test]
    fn item_round_trips_through_mission_item_int() {
        let item = RawItem {
            frame: 3,
            command: 206,
            params: [21.5, 0.0, 1.0, f32::NAN],
            lat_deg: 27.123_456_8,
            lon_deg: -106.987_654_3,
            alt_m: 80.5,
            autocontinue: true,
        };
        let to = Ids::new(1, 1);
        let d = raw_item_to_mavlink(&item, 4, MissionType::Mission, false, to).unwrap();
        assert_eq!(d.x, 271_234_568);
        let back = raw_item_from_mavlink(&d);
        assert!(back.same_on_wire(&item));
        let p = ProtocolMsg {
            source: Ids::new(255, 190),
            target: to,
            msg: MissionMsg::ItemInt {
                mission_type: MissionType::Fence,
                seq: 4,
                current: false,
                item,
            },
        };
        let m = to_mavlink(&p).unwrap();
        let h = MavHeader {
            system_id: 255,
            component_id: 190,
            sequence: 0,
        };
        assert_eq!(
            format!("{:?}", from_mavlink(&h, &m).unwrap()),
            format!("{p:?}")
        );
    }

    #[test]
    fn unknown_command_is_a_typed_error() {
        let item = RawItem {
            frame: 3,
            command: 12_345,
            params: [0.0; 4],
            lat_deg: 0.0,
            lon_deg: 0.0,
            alt_m: 0.0,
            autocontinue: true,
        };
        let e = raw_item_to_mavlink(&item, 9, MissionType::Mission, false, Ids::new(1, 1));
        assert_eq!(
            e.unwrap_err().to_string(),
            "item 9: command 12345 is not a MAV_CMD of the ardupilotmega dialect"
        );
    }
}
