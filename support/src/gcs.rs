//! The ground station's side of a MAVLink exchange with a vehicle run in the test's own
//! process (no sockets): its ids and header, a COMMAND_LONG, and a mission upload driven by
//! `qly_core::protocol`'s upload client. The vehicle is any function from a received message
//! to the messages it sends back (the `sim` crate's `Autopilot::handle`), so this crate does
//! not depend on `sim` and `sim`'s own tests can use it.

use std::time::Duration;

use mavlink::MavHeader;
use qly_core::mission::{MissionType, RawItem};
use qly_core::protocol::{Ids, Timeouts, UploadClient};
use qly_link::convert::{from_mavlink, to_mavlink};
use qly_link::dialect::{MavCmd, MavMessage, COMMAND_LONG_DATA};

/// The ground station: system 255, component 190 (MAV_COMP_ID_MISSIONPLANNER).
pub const GCS: Ids = Ids::new(255, 190);
/// The vehicle: system 1, its autopilot component 1.
pub const VEHICLE: Ids = Ids::new(1, 1);

/// The header of a message from [`GCS`].
pub fn gcs_header() -> MavHeader {
    MavHeader {
        system_id: GCS.system as u32,
        component_id: GCS.component,
        sequence: 0,
    }
}

/// COMMAND_LONG `cmd` with `params` (param1..param7) to [`VEHICLE`], first attempt.
pub fn command(cmd: MavCmd, params: [f32; 7]) -> MavMessage {
    MavMessage::COMMAND_LONG(COMMAND_LONG_DATA {
        param1: params[0],
        param2: params[1],
        param3: params[2],
        param4: params[3],
        param5: params[4],
        param6: params[5],
        param7: params[6],
        command: cmd,
        target_system: VEHICLE.system,
        target_component: VEHICLE.component,
        confirmation: 0,
    })
}

/// Uploads `items` as the mission to `vehicle`, which is called with each message from
/// [`GCS`] and returns what the vehicle sends back. Messages go back and forth until the
/// client has nothing more to send (at most 200 rounds; no time passes); returns the client,
/// whose `outcome()` says whether the vehicle accepted the mission.
pub fn upload(
    items: Vec<RawItem>,
    mut vehicle: impl FnMut(&MavHeader, &MavMessage) -> Vec<MavMessage>,
) -> UploadClient {
    let (mut client, mut to_vehicle) = UploadClient::start(
        GCS,
        VEHICLE,
        items,
        MissionType::Mission,
        Timeouts::default(),
        Duration::ZERO,
    );
    let vehicle_header = MavHeader {
        system_id: VEHICLE.system as u32,
        component_id: VEHICLE.component,
        sequence: 0,
    };
    for _ in 0..200 {
        let mut to_gcs = Vec::new();
        for p in to_vehicle.drain(..) {
            let m = to_mavlink(&p).expect("protocol message");
            to_gcs.extend(vehicle(&gcs_header(), &m));
        }
        for m in &to_gcs {
            if let Some(p) = from_mavlink(&vehicle_header, m) {
                to_vehicle.extend(client.handle(&p, Duration::ZERO));
            }
        }
        if to_vehicle.is_empty() {
            break;
        }
    }
    client
}
