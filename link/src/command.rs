//! COMMAND_LONG with its COMMAND_ACK: the MAVLink command protocol a ground station uses to
//! arm, change mode and start a mission.
//!
//! The protocol: send COMMAND_LONG; the target answers COMMAND_ACK with the same command id.
//! No answer within the timeout: send again with `confirmation` increased (so the target can
//! tell a re-send from a new command), up to a number of retries. `MAV_RESULT_IN_PROGRESS`
//! means keep waiting for the final answer.

use std::time::Duration;

use crate::connection::{Connection, LinkError};
use crate::dialect::{MavCmd, MavMessage, MavModeFlag, MavResult, COMMAND_LONG_DATA};
use crate::frame::Received;
use qly_core::protocol::Ids;
use thiserror::Error;

/// ArduCopter's custom modes (`custom_mode` of HEARTBEAT and DO_SET_MODE's param2).
pub mod copter_mode {
    pub const STABILIZE: u32 = 0;
    pub const AUTO: u32 = 3;
    pub const GUIDED: u32 = 4;
    pub const LOITER: u32 = 5;
    pub const RTL: u32 = 6;
    pub const LAND: u32 = 9;
}

/// How long to wait for an ACK and how often to re-send.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CommandOptions {
    pub timeout: Duration,
    pub retries: u32,
}

impl Default for CommandOptions {
    /// 1.5 s and 3 re-sends, as QGroundControl does.
    fn default() -> Self {
        CommandOptions {
            timeout: Duration::from_millis(1500),
            retries: 3,
        }
    }
}

#[derive(Debug, Error)]
pub enum CommandError {
    #[error("{command:?} to system {system} component {component}: no COMMAND_ACK after {attempts} attempts")]
    NoAck {
        command: MavCmd,
        system: u8,
        component: u8,
        attempts: u32,
    },
    #[error("{command:?} refused by the vehicle: {result:?}")]
    Refused { command: MavCmd, result: MavResult },
    #[error(transparent)]
    Link(#[from] LinkError),
}

/// Sends `command` with `params` to `target` and waits for its ACK. Other messages received
/// meanwhile are passed to `on_other` (a ground station keeps showing and logging telemetry). Returns the
/// accepting ACK's result; any other final result is [`CommandError::Refused`].
pub async fn command_long(
    conn: &mut Connection,
    target: Ids,
    command: MavCmd,
    params: [f32; 7],
    options: CommandOptions,
    mut on_other: impl FnMut(&Received),
) -> Result<MavResult, CommandError> {
    let attempts = options.retries + 1;
    for confirmation in 0..attempts {
        conn.send(&MavMessage::COMMAND_LONG(COMMAND_LONG_DATA {
            target_system: target.system,
            target_component: target.component,
            command,
            confirmation: confirmation.min(255) as u8,
            param1: params[0],
            param2: params[1],
            param3: params[2],
            param4: params[3],
            param5: params[4],
            param6: params[5],
            param7: params[6],
        }))?;
        let mut deadline = tokio::time::Instant::now() + options.timeout;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let Some(rx) = conn.recv_timeout(left).await else {
                break;
            };
            match &rx.message {
                MavMessage::COMMAND_ACK(ack)
                    if ack.command == command
                        && rx.header.system_id == u32::from(target.system) =>
                {
                    match ack.result {
                        MavResult::MAV_RESULT_ACCEPTED => return Ok(ack.result),
                        MavResult::MAV_RESULT_IN_PROGRESS => {
                            deadline = tokio::time::Instant::now() + options.timeout;
                        }
                        result => return Err(CommandError::Refused { command, result }),
                    }
                }
                _ => on_other(&rx),
            }
        }
    }
    Err(CommandError::NoAck {
        command,
        system: target.system,
        component: target.component,
        attempts,
    })
}

/// DO_SET_MODE with an ArduPilot custom mode.
pub async fn set_mode(
    conn: &mut Connection,
    target: Ids,
    custom_mode: u32,
    options: CommandOptions,
    on_other: impl FnMut(&Received),
) -> Result<MavResult, CommandError> {
    let base = MavModeFlag::MAV_MODE_FLAG_CUSTOM_MODE_ENABLED.bits() as f32;
    command_long(
        conn,
        target,
        MavCmd::MAV_CMD_DO_SET_MODE,
        [base, custom_mode as f32, 0.0, 0.0, 0.0, 0.0, 0.0],
        options,
        on_other,
    )
    .await
}

/// COMPONENT_ARM_DISARM: arm (`true`) or disarm.
pub async fn arm(
    conn: &mut Connection,
    target: Ids,
    armed: bool,
    options: CommandOptions,
    on_other: impl FnMut(&Received),
) -> Result<MavResult, CommandError> {
    command_long(
        conn,
        target,
        MavCmd::MAV_CMD_COMPONENT_ARM_DISARM,
        [f32::from(u8::from(armed)), 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        options,
        on_other,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::ConnectionConfig;
    use crate::dialect::COMMAND_ACK_DATA;

    fn ack(command: MavCmd, result: MavResult) -> MavMessage {
        MavMessage::COMMAND_ACK(COMMAND_ACK_DATA {
            command,
            result,
            ..Default::default()
        })
    }

    #[tokio::test]
    async fn a_lost_command_is_sent_again_with_a_higher_confirmation() {
        let (mut gcs, mut vehicle) = Connection::pair(
            ConnectionConfig::new(Ids::new(255, 190)),
            ConnectionConfig::new(Ids::new(1, 1)),
        );
        let responder = tokio::spawn(async move {
            let mut confirmations = Vec::new();
            while let Some(rx) = vehicle.recv().await {
                if let MavMessage::COMMAND_LONG(c) = rx.message {
                    confirmations.push(c.confirmation);
                    // Ignore the first; answer the second.
                    if confirmations.len() == 2 {
                        vehicle
                            .send(&ack(c.command, MavResult::MAV_RESULT_ACCEPTED))
                            .unwrap();
                        // Keep the link open until the ACK has gone out.
                        tokio::time::sleep(Duration::from_millis(200)).await;
                        return confirmations;
                    }
                }
            }
            confirmations
        });
        let options = CommandOptions {
            timeout: Duration::from_millis(100),
            retries: 3,
        };
        let result = arm(&mut gcs, Ids::new(1, 1), true, options, |_| {})
            .await
            .unwrap();
        assert_eq!(result, MavResult::MAV_RESULT_ACCEPTED);
        assert_eq!(responder.await.unwrap(), vec![0, 1]);
    }

    #[tokio::test]
    async fn a_refusal_is_an_error_naming_the_result() {
        let (mut gcs, mut vehicle) = Connection::pair(
            ConnectionConfig::new(Ids::new(255, 190)),
            ConnectionConfig::new(Ids::new(1, 1)),
        );
        tokio::spawn(async move {
            while let Some(rx) = vehicle.recv().await {
                if let MavMessage::COMMAND_LONG(c) = rx.message {
                    vehicle
                        .send(&ack(c.command, MavResult::MAV_RESULT_TEMPORARILY_REJECTED))
                        .unwrap();
                }
            }
        });
        let err = set_mode(
            &mut gcs,
            Ids::new(1, 1),
            copter_mode::AUTO,
            CommandOptions::default(),
            |_| {},
        )
        .await
        .unwrap_err();
        assert!(err.to_string().contains("TEMPORARILY_REJECTED"), "{err}");
    }
}
