//! HEARTBEAT: every MAVLink component announces itself once a second; peers treat four or
//! five missing heartbeats as a lost link.

use crate::connection::LinkSender;
use crate::dialect::{MavAutopilot, MavMessage, MavModeFlag, MavState, MavType, HEARTBEAT_DATA};
use std::time::Duration;
use tokio::task::JoinHandle;

/// The heartbeat of a ground control station.
pub fn gcs_heartbeat() -> HEARTBEAT_DATA {
    HEARTBEAT_DATA {
        custom_mode: 0,
        mavtype: MavType::MAV_TYPE_GCS,
        autopilot: MavAutopilot::MAV_AUTOPILOT_INVALID,
        base_mode: MavModeFlag::empty(),
        system_status: MavState::MAV_STATE_ACTIVE,
        mavlink_version: 3,
    }
}

/// Sends `heartbeat` every `period` until the link closes or the task is aborted.
pub fn spawn_heartbeat(
    sender: LinkSender,
    heartbeat: HEARTBEAT_DATA,
    period: Duration,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        loop {
            tick.tick().await;
            if sender
                .send(&MavMessage::HEARTBEAT(heartbeat.clone()))
                .is_err()
            {
                return;
            }
        }
    })
}
