//! Commands: COMMAND_LONG / COMMAND_INT / SET_MODE / REQUEST_DATA_STREAM, answered as
//! ArduCopter answers them (COMMAND_ACK with a MAV_RESULT).

use qly_link::dialect::*;

use crate::vehicle::{CommandError, FlightMode};

/// ArduPilot's magic param2 of COMPONENT_ARM_DISARM that forces a disarm in flight.
pub const FORCE_DISARM_MAGIC: f32 = 21196.0;

/// A command from COMMAND_LONG or COMMAND_INT, in one shape. For COMMAND_INT, params 5 and 6
/// are the degE7 `x`/`y` converted to degrees and param 7 is `z`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Command {
    pub command: MavCmd,
    pub params: [f32; 7],
    pub target_system: u8,
    pub target_component: u8,
}

impl Command {
    pub fn from_message(msg: &MavMessage) -> Option<Command> {
        match msg {
            MavMessage::COMMAND_LONG(c) => Some(Command {
                command: c.command,
                params: [
                    c.param1, c.param2, c.param3, c.param4, c.param5, c.param6, c.param7,
                ],
                target_system: c.target_system,
                target_component: c.target_component,
            }),
            MavMessage::COMMAND_INT(c) => Some(Command {
                command: c.command,
                params: [
                    c.param1,
                    c.param2,
                    c.param3,
                    c.param4,
                    (c.x as f64 / 1e7) as f32,
                    (c.y as f64 / 1e7) as f32,
                    c.z,
                ],
                target_system: c.target_system,
                target_component: c.target_component,
            }),
            _ => None,
        }
    }

    /// The numeric MAV_CMD.
    pub fn id(&self) -> u32 {
        self.command as u32
    }
}

/// The MAV_RESULT for a refused command.
pub fn result_for(err: &CommandError) -> MavResult {
    match err {
        CommandError::NoPosition { .. } => MavResult::MAV_RESULT_TEMPORARILY_REJECTED,
        CommandError::BadParam { .. } => MavResult::MAV_RESULT_DENIED,
        CommandError::NoSuchItem { .. } => MavResult::MAV_RESULT_DENIED,
        CommandError::ModeDisallowsArming(_)
        | CommandError::Flying
        | CommandError::NotArmed { .. }
        | CommandError::WrongMode { .. }
        | CommandError::AlreadyFlying
        | CommandError::MissionEmpty
        | CommandError::MissingTakeoff => MavResult::MAV_RESULT_FAILED,
    }
}

/// The flight mode a DO_SET_MODE / SET_MODE asks for: base mode must carry
/// CUSTOM_MODE_ENABLED and the custom mode must be one we fly.
pub fn requested_mode(base_mode: u32, custom_mode: u32) -> Result<FlightMode, CommandError> {
    if base_mode & MavModeFlag::MAV_MODE_FLAG_CUSTOM_MODE_ENABLED.bits() as u32 == 0 {
        return Err(CommandError::BadParam {
            field: "base_mode",
            value: base_mode as f64,
            expected: "MAV_MODE_FLAG_CUSTOM_MODE_ENABLED (1) set",
        });
    }
    FlightMode::from_custom_mode(custom_mode).ok_or(CommandError::BadParam {
        field: "custom_mode",
        value: custom_mode as f64,
        expected: "0 STABILIZE, 3 AUTO, 4 GUIDED, 5 LOITER, 6 RTL or 9 LAND",
    })
}

/// COMMAND_ACK for `command`.
pub fn ack(
    command: MavCmd,
    result: MavResult,
    target_system: u8,
    target_component: u8,
) -> MavMessage {
    MavMessage::COMMAND_ACK(COMMAND_ACK_DATA {
        command,
        result,
        progress: 0,
        result_param2: 0,
        target_system,
        target_component,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode_requests_need_custom_mode_enabled_and_a_known_mode() {
        assert_eq!(requested_mode(1, 4), Ok(FlightMode::Guided));
        assert_eq!(requested_mode(1 | 128, 3), Ok(FlightMode::Auto));
        assert!(matches!(
            requested_mode(0, 4),
            Err(CommandError::BadParam {
                field: "base_mode",
                ..
            })
        ));
        assert!(matches!(
            requested_mode(1, 2),
            Err(CommandError::BadParam {
                field: "custom_mode",
                ..
            })
        ));
    }

    #[test]
    fn command_int_carries_degrees_in_params_5_and_6() {
        let msg = MavMessage::COMMAND_INT(COMMAND_INT_DATA {
            command: MavCmd::MAV_CMD_NAV_TAKEOFF,
            x: 270_500_000,
            y: 1_069_500_000,
            z: 25.0,
            target_system: 1,
            target_component: 1,
            ..COMMAND_INT_DATA::default()
        });
        let c = Command::from_message(&msg).unwrap();
        assert_eq!(c.id(), 22);
        assert!((c.params[4] - 27.05).abs() < 1e-5);
        assert_eq!(c.params[6], 25.0);
    }
}
