//! The flight's progress from MAVLink telemetry, on a link of the patrol's own: the mission
//! item being flown (MISSION_CURRENT), the photos taken (CAMERA_FEEDBACK), whether the vehicle
//! is armed, and the vehicle's and companion's STATUSTEXT messages.
//!
//! Like a second ground station on an autopilot's spare serial port: it asks for the
//! MISSION_CURRENT stream with MAV_CMD_SET_MESSAGE_INTERVAL (an autopilot sends streams only
//! when asked), and otherwise only listens; `planner fly` commands the vehicle on its own link.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use qly_core::protocol::Ids;
use qly_link::dialect::{MavAutopilot, MavCmd, MavMessage, MavModeFlag};
use qly_link::heartbeat::{gcs_heartbeat, spawn_heartbeat};
use qly_link::{
    command_long, wait_for_vehicle, Address, CommandOptions, Connection, ConnectionConfig,
};

/// The patrol's ids on its monitor link: a second ground station (system 254, component 190
/// MAV_COMP_ID_MISSIONPLANNER), apart from `planner`'s 255/190.
pub const MONITOR_IDS: Ids = Ids {
    system: 254,
    component: 190,
};

/// MISSION_CURRENT (#42).
const MISSION_CURRENT_ID: f32 = 42.0;

/// What the telemetry said so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlightTelemetry {
    pub vehicle: Option<Ids>,
    pub armed: bool,
    /// The mission item flown and the mission's length (MISSION_CURRENT).
    pub mission_seq: u16,
    pub mission_total: u16,
    /// Image indices of the photos taken (CAMERA_FEEDBACK `img_idx`), each once however
    /// often it is repeated.
    pub photos: BTreeSet<u16>,
}

impl FlightTelemetry {
    /// Takes in one message of the vehicle (system `vehicle_system`); returns the text of a
    /// STATUSTEXT to show.
    pub fn observe(&mut self, system: u32, message: &MavMessage) -> Option<String> {
        if self.vehicle.map(|v| u32::from(v.system)) != Some(system) {
            return None;
        }
        match message {
            // A companion or camera of the same system says nothing about arming.
            MavMessage::HEARTBEAT(hb) if hb.autopilot != MavAutopilot::MAV_AUTOPILOT_INVALID => {
                self.armed = hb
                    .base_mode
                    .contains(MavModeFlag::MAV_MODE_FLAG_SAFETY_ARMED);
            }
            MavMessage::MISSION_CURRENT(mc) => {
                self.mission_seq = mc.seq;
                if mc.total != u16::MAX {
                    self.mission_total = mc.total;
                }
            }
            MavMessage::CAMERA_FEEDBACK(cf) => {
                self.photos.insert(cf.img_idx);
            }
            MavMessage::STATUSTEXT(st) => {
                let text: String = st
                    .text
                    .iter()
                    .take_while(|&&b| b != 0)
                    .map(|&b| b as char)
                    .collect();
                return Some(text);
            }
            _ => {}
        }
        None
    }
}

/// The telemetry, shared between the monitor task and the patrol.
pub type SharedTelemetry = Arc<Mutex<FlightTelemetry>>;

/// Opens the monitor link to `address`, waits up to `wait` for the vehicle, asks for
/// MISSION_CURRENT at 1 Hz, then follows the telemetry in a task until the patrol ends.
/// STATUSTEXT messages are printed as they come (`vehicle: ...`).
pub async fn start_monitor(
    address: &str,
    wait: Duration,
) -> Result<(SharedTelemetry, tokio::task::JoinHandle<()>)> {
    let addr: Address = address
        .parse()
        .with_context(|| format!("the monitor link '{address}'"))?;
    let mut conn = Connection::open(&addr, ConnectionConfig::new(MONITOR_IDS))
        .await
        .with_context(|| format!("opening the monitor link {address}"))?;
    let heartbeat = spawn_heartbeat(conn.sender(), gcs_heartbeat(), Duration::from_secs(1));
    let Some((vehicle, _)) = wait_for_vehicle(&mut conn, wait).await else {
        heartbeat.abort();
        anyhow::bail!(
            "no autopilot heartbeat from sim on {address} within {:.0} s (see the sim's log)",
            wait.as_secs_f64()
        );
    };
    let shared: SharedTelemetry = Arc::new(Mutex::new(FlightTelemetry {
        vehicle: Some(vehicle),
        ..FlightTelemetry::default()
    }));
    let show = |shared: &SharedTelemetry, rx: &qly_link::Received| {
        let text = shared
            .lock()
            .ok()
            .and_then(|mut t| t.observe(rx.header.system_id, &rx.message));
        if let Some(text) = text {
            println!("   vehicle: {text}");
        }
    };
    let requested = command_long(
        &mut conn,
        vehicle,
        MavCmd::MAV_CMD_SET_MESSAGE_INTERVAL,
        [MISSION_CURRENT_ID, 1e6, 0.0, 0.0, 0.0, 0.0, 0.0],
        CommandOptions::default(),
        |rx| show(&shared, rx),
    )
    .await;
    if let Err(e) = requested {
        eprintln!("warning: the mission progress will not show: MISSION_CURRENT not granted: {e}");
    }
    let task_shared = shared.clone();
    let task = tokio::spawn(async move {
        let _heartbeat = AbortOnDrop(heartbeat);
        while let Some(rx) = conn.recv().await {
            show(&task_shared, &rx);
        }
    });
    Ok((shared, task))
}

/// Stops the heartbeat task with the monitor.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use qly_link::dialect::{CAMERA_FEEDBACK_DATA, MISSION_CURRENT_DATA};

    #[test]
    fn photos_count_once_each_and_other_systems_are_ignored() {
        let mut t = FlightTelemetry {
            vehicle: Some(Ids::new(1, 1)),
            ..FlightTelemetry::default()
        };
        let fb = |img_idx| {
            MavMessage::CAMERA_FEEDBACK(CAMERA_FEEDBACK_DATA {
                img_idx,
                ..Default::default()
            })
        };
        t.observe(1, &fb(1));
        t.observe(1, &fb(2));
        t.observe(1, &fb(2));
        t.observe(7, &fb(3));
        assert_eq!(t.photos.len(), 2);
        t.observe(
            1,
            &MavMessage::MISSION_CURRENT(MISSION_CURRENT_DATA {
                seq: 5,
                total: 40,
                ..Default::default()
            }),
        );
        assert_eq!((t.mission_seq, t.mission_total), (5, 40));
    }
}
