//! The mission-protocol messages, mirrored as plain values so the state machines need no
//! MAVLink library: `qly-link` converts them to and from the wire (`mavlink` crate).

use crate::mission::{MissionType, RawItem};
use std::fmt;

/// A MAVLink system/component address. System 0 (or component 0) in a *target* means
/// broadcast.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Ids {
    pub system: u8,
    pub component: u8,
}

impl Ids {
    pub const fn new(system: u8, component: u8) -> Self {
        Ids { system, component }
    }

    /// The broadcast address (0, 0), used as the target of untargeted messages
    /// (`MISSION_CURRENT`).
    pub const BROADCAST: Ids = Ids::new(0, 0);

    /// Whether a message addressed to `target` is meant for `self` (exact, or broadcast).
    pub fn accepts(&self, target: Ids) -> bool {
        (target.system == 0 || target.system == self.system)
            && (target.component == 0 || target.component == self.component)
    }
}

impl fmt::Display for Ids {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.system, self.component)
    }
}

/// `MAV_MISSION_RESULT`: the result carried by `MISSION_ACK`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MissionResult {
    Accepted = 0,
    Error = 1,
    UnsupportedFrame = 2,
    Unsupported = 3,
    NoSpace = 4,
    Invalid = 5,
    InvalidParam1 = 6,
    InvalidParam2 = 7,
    InvalidParam3 = 8,
    InvalidParam4 = 9,
    InvalidParam5X = 10,
    InvalidParam6Y = 11,
    InvalidParam7 = 12,
    InvalidSequence = 13,
    Denied = 14,
    OperationCancelled = 15,
}

impl MissionResult {
    const ALL: [MissionResult; 16] = [
        MissionResult::Accepted,
        MissionResult::Error,
        MissionResult::UnsupportedFrame,
        MissionResult::Unsupported,
        MissionResult::NoSpace,
        MissionResult::Invalid,
        MissionResult::InvalidParam1,
        MissionResult::InvalidParam2,
        MissionResult::InvalidParam3,
        MissionResult::InvalidParam4,
        MissionResult::InvalidParam5X,
        MissionResult::InvalidParam6Y,
        MissionResult::InvalidParam7,
        MissionResult::InvalidSequence,
        MissionResult::Denied,
        MissionResult::OperationCancelled,
    ];

    /// The numeric `MAV_MISSION_RESULT` value.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The result for a numeric value; `None` for values this enum does not know.
    pub fn from_code(code: u8) -> Option<MissionResult> {
        MissionResult::ALL.get(code as usize).copied()
    }

    /// The MAVLink enum entry name, e.g. `MAV_MISSION_NO_SPACE`.
    pub fn name(self) -> &'static str {
        match self {
            MissionResult::Accepted => "MAV_MISSION_ACCEPTED",
            MissionResult::Error => "MAV_MISSION_ERROR",
            MissionResult::UnsupportedFrame => "MAV_MISSION_UNSUPPORTED_FRAME",
            MissionResult::Unsupported => "MAV_MISSION_UNSUPPORTED",
            MissionResult::NoSpace => "MAV_MISSION_NO_SPACE",
            MissionResult::Invalid => "MAV_MISSION_INVALID",
            MissionResult::InvalidParam1 => "MAV_MISSION_INVALID_PARAM1",
            MissionResult::InvalidParam2 => "MAV_MISSION_INVALID_PARAM2",
            MissionResult::InvalidParam3 => "MAV_MISSION_INVALID_PARAM3",
            MissionResult::InvalidParam4 => "MAV_MISSION_INVALID_PARAM4",
            MissionResult::InvalidParam5X => "MAV_MISSION_INVALID_PARAM5_X",
            MissionResult::InvalidParam6Y => "MAV_MISSION_INVALID_PARAM6_Y",
            MissionResult::InvalidParam7 => "MAV_MISSION_INVALID_PARAM7",
            MissionResult::InvalidSequence => "MAV_MISSION_INVALID_SEQUENCE",
            MissionResult::Denied => "MAV_MISSION_DENIED",
            MissionResult::OperationCancelled => "MAV_MISSION_OPERATION_CANCELLED",
        }
    }

    /// What the vehicle is telling the operator, for a transfer of `count` items of
    /// `mission_type`.
    pub fn explain(self, count: usize, mission_type: MissionType) -> String {
        let what = list_name(mission_type);
        match self {
            MissionResult::Accepted => format!("vehicle accepted {count} {what} items"),
            MissionResult::Error => format!("vehicle reported a generic error for the {what}"),
            MissionResult::UnsupportedFrame => {
                format!("vehicle does not support the coordinate frame of a {what} item")
            }
            MissionResult::Unsupported => {
                format!("vehicle does not support this command or the {what} list")
            }
            MissionResult::NoSpace => format!("vehicle has no space for {count} {what} items"),
            MissionResult::Invalid => format!("vehicle found a {what} item invalid"),
            MissionResult::InvalidParam1
            | MissionResult::InvalidParam2
            | MissionResult::InvalidParam3
            | MissionResult::InvalidParam4
            | MissionResult::InvalidParam5X
            | MissionResult::InvalidParam6Y
            | MissionResult::InvalidParam7 => format!(
                "vehicle rejected param {} of a {what} item",
                self.code() - MissionResult::InvalidParam1.code() + 1
            ),
            MissionResult::InvalidSequence => {
                format!("vehicle received {what} items out of sequence")
            }
            MissionResult::Denied => format!("vehicle refused to accept a {what} now"),
            MissionResult::OperationCancelled => {
                format!("vehicle cancelled the {what} transfer")
            }
        }
    }
}

impl fmt::Display for MissionResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// "mission", "fence" or "rally", for messages.
pub fn list_name(mission_type: MissionType) -> &'static str {
    match mission_type {
        MissionType::Mission => "mission",
        MissionType::Fence => "fence",
        MissionType::Rally => "rally",
    }
}

/// The mission-protocol messages (MAVLink message names in the variant docs). The `target`
/// and `source` addresses live in [`ProtocolMsg`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MissionMsg {
    /// `MISSION_COUNT`: starts an upload (GCS -> vehicle) or answers `MISSION_REQUEST_LIST`.
    /// `opaque_id` identifies the vehicle's stored plan on download (0 = unknown).
    Count {
        mission_type: MissionType,
        count: u16,
        opaque_id: u32,
    },
    /// `MISSION_REQUEST_INT`: "send me item `seq`".
    RequestInt { mission_type: MissionType, seq: u16 },
    /// `MISSION_REQUEST` (deprecated float-coordinate request); answered like
    /// [`MissionMsg::RequestInt`].
    Request { mission_type: MissionType, seq: u16 },
    /// `MISSION_ITEM_INT`: item `seq` (coordinates are degE7 on the wire).
    ItemInt {
        mission_type: MissionType,
        seq: u16,
        current: bool,
        item: RawItem,
    },
    /// `MISSION_ACK`: end of a transfer (`Accepted`) or an unrecoverable error.
    Ack {
        mission_type: MissionType,
        result: MissionResult,
        opaque_id: u32,
    },
    /// `MISSION_REQUEST_LIST`: starts a download.
    RequestList { mission_type: MissionType },
    /// `MISSION_CLEAR_ALL`; `None` is `MAV_MISSION_TYPE_ALL` (all three lists).
    ClearAll { mission_type: Option<MissionType> },
    /// `MISSION_SET_CURRENT`: make mission item `seq` the next one flown.
    SetCurrent { seq: u16 },
    /// `MISSION_CURRENT` (broadcast by the vehicle): item `seq` of `total` is current;
    /// `mission_id` is the opaque id of the stored mission (0 = none/unknown).
    Current {
        seq: u16,
        total: u16,
        mission_id: u32,
    },
}

impl MissionMsg {
    /// The MAVLink message name.
    pub fn name(&self) -> &'static str {
        match self {
            MissionMsg::Count { .. } => "MISSION_COUNT",
            MissionMsg::RequestInt { .. } => "MISSION_REQUEST_INT",
            MissionMsg::Request { .. } => "MISSION_REQUEST",
            MissionMsg::ItemInt { .. } => "MISSION_ITEM_INT",
            MissionMsg::Ack { .. } => "MISSION_ACK",
            MissionMsg::RequestList { .. } => "MISSION_REQUEST_LIST",
            MissionMsg::ClearAll { .. } => "MISSION_CLEAR_ALL",
            MissionMsg::SetCurrent { .. } => "MISSION_SET_CURRENT",
            MissionMsg::Current { .. } => "MISSION_CURRENT",
        }
    }
}

/// One message with its addresses: `source` is the sender (the MAVLink header), `target`
/// the addressee (the message's `target_system`/`target_component` fields;
/// [`Ids::BROADCAST`] for `MISSION_CURRENT`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProtocolMsg {
    pub source: Ids,
    pub target: Ids,
    pub msg: MissionMsg,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_codes_round_trip_and_name() {
        for code in 0..16u8 {
            let r = MissionResult::from_code(code).unwrap();
            assert_eq!(r.code(), code);
            assert!(r.name().starts_with("MAV_MISSION_"));
        }
        assert_eq!(MissionResult::from_code(16), None);
        assert_eq!(MissionResult::NoSpace.name(), "MAV_MISSION_NO_SPACE");
        assert_eq!(
            MissionResult::NoSpace.explain(801, MissionType::Mission),
            "vehicle has no space for 801 mission items"
        );
        assert_eq!(
            MissionResult::InvalidParam7.explain(3, MissionType::Fence),
            "vehicle rejected param 7 of a fence item"
        );
    }

    #[test]
    fn broadcast_targets_are_accepted() {
        let me = Ids::new(255, 190);
        assert!(me.accepts(Ids::new(255, 190)));
        assert!(me.accepts(Ids::new(0, 0)));
        assert!(me.accepts(Ids::new(255, 0)));
        assert!(!me.accepts(Ids::new(1, 190)));
        assert!(!me.accepts(Ids::new(255, 1)));
    }
}
