//! HEARTBEAT: every MAVLink component announces itself once a second; peers treat four or
//! five missing heartbeats as a lost link.

use crate::connection::{Connection, LinkSender};
use crate::dialect::{MavAutopilot, MavMessage, MavModeFlag, MavState, MavType, HEARTBEAT_DATA};
use qly_core::protocol::Ids;
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

/// Waits up to `timeout` for the HEARTBEAT of an autopilot (any autopilot type except
/// `MAV_AUTOPILOT_INVALID`, which GCSes and companions use) and returns its address and
/// heartbeat. Other frames received meanwhile are discarded. `None` on timeout or when the
/// link closes.
///
/// On `udpin` links this is also how the peer address is learnt before sending.
pub async fn wait_for_vehicle(
    conn: &mut Connection,
    timeout: Duration,
) -> Option<(Ids, HEARTBEAT_DATA)> {
    let until = tokio::time::Instant::now() + timeout;
    loop {
        let left = until.saturating_duration_since(tokio::time::Instant::now());
        let rx = conn.recv_timeout(left).await?;
        if let MavMessage::HEARTBEAT(hb) = rx.message {
            let system = u8::try_from(rx.header.system_id).ok();
            if let (Some(system), false) =
                (system, hb.autopilot == MavAutopilot::MAV_AUTOPILOT_INVALID)
            {
                return Some((Ids::new(system, rx.header.component_id), hb));
            }
        }
    }
}

/// The heartbeat of an ArduPilot copter in standby (what the sim announces).
pub fn copter_heartbeat() -> HEARTBEAT_DATA {
    HEARTBEAT_DATA {
        custom_mode: 0,
        mavtype: MavType::MAV_TYPE_QUADROTOR,
        autopilot: MavAutopilot::MAV_AUTOPILOT_ARDUPILOTMEGA,
        base_mode: MavModeFlag::MAV_MODE_FLAG_CUSTOM_MODE_ENABLED,
        system_status: MavState::MAV_STATE_STANDBY,
        mavlink_version: 3,
    }
}
