//! MAVLink links for Qianliyan: connections over UDP, TCP and serial on tokio, MAVLink 2
//! signing with per-reason rejection counts, seeded link impairment for tests, and the tokio
//! drivers that run `qly_core::protocol`'s mission-transfer state machines.
//!
//! - [`Address`]: connection strings (`udpin:`, `udpout:`, `tcp:`, `tcpin:`, `serial:`).
//! - [`Connection`] / [`LinkSender`]: send and receive [`dialect::MavMessage`]s with headers.
//! - [`frame`]: framing, CRC and signing without I/O ([`SigningConfig`], [`frame::RxCounts`]).
//! - [`signing_streams`]: the signing clock and replay table shared by a system's links,
//!   optionally kept in a file across restarts ([`SigningStreams`]).
//! - [`Impairment`]: loss, duplication, reordering, latency, jitter, bandwidth cap.
//! - [`convert`]: `RawItem` <-> `MISSION_ITEM_INT`, `ProtocolMsg` <-> `MavMessage`.
//! - [`mission`]: [`upload_mission`] (upload + verify by download), [`download_list`],
//!   [`serve_missions`] (a `MissionServer` on a connection of its own), and
//!   [`serve_message`] / [`serve_poll`] for a vehicle that runs its own receive loop.
//! - [`heartbeat`]: a periodic HEARTBEAT task, [`wait_for_vehicle`].
//! - [`tlog`]: telemetry logs as MAVProxy and QGC write them: [`tlog::TlogWriter`], [`tlog::read_tlog`].
//! - [`command`]: COMMAND_LONG with ACK and re-sends: [`arm`], [`set_mode`], [`command_long`].
//!
//! Uploading a plan to a vehicle (what `planner upload` does):
//!
//! ```no_run
//! # async fn demo(mission: qly_core::mission::Mission) -> Result<(), Box<dyn std::error::Error>> {
//! use qly_core::protocol::Ids;
//! use qly_link::{upload_mission, wait_for_vehicle, Address, Connection, ConnectionConfig};
//! use std::time::Duration;
//!
//! let address: Address = "udpin:0.0.0.0:14550".parse()?;
//! let mut conn = Connection::open(&address, ConnectionConfig::new(Ids::new(255, 190))).await?;
//! // On udpin the vehicle must speak first; its heartbeat also gives its address.
//! let (vehicle, _) = wait_for_vehicle(&mut conn, Duration::from_secs(10))
//!     .await
//!     .ok_or("no autopilot heartbeat within 10 s")?;
//! let report = upload_mission(
//!     &mut conn,
//!     vehicle.system,
//!     vehicle.component,
//!     &mission,
//!     Default::default(),
//!     |p| eprintln!("{:?} {:?}: {}/{}", p.mission_type, p.phase, p.done, p.total),
//! )
//! .await?;
//! println!("uploaded and verified in {:?}", report.elapsed);
//! # Ok(())
//! # }
//! ```

pub mod address;
pub mod command;
pub mod connection;
pub mod convert;
pub mod frame;
pub mod heartbeat;
pub mod impair;
pub mod mission;
pub mod options;
pub mod signing_streams;
pub mod tlog;

/// The MAVLink dialect every link speaks: ArduPilot's, which includes `common`.
pub use mavlink::dialects::ardupilotmega as dialect;

pub use address::{Address, AddressError};
pub use command::{arm, command_long, set_mode, CommandError, CommandOptions};
pub use connection::{
    Connection, ConnectionConfig, LinkError, LinkSender, LinkStats, SigningTrouble, UdpPeer,
};
pub use frame::{Received, SigningConfig};
pub use heartbeat::{spawn_heartbeat, wait_for_vehicle};
pub use impair::Impairment;
pub use mission::{
    download_list, serve_message, serve_missions, serve_poll, upload_mission, ListReport, Phase,
    Progress, UploadError, UploadOptions, UploadReport,
};
pub use options::{
    GroundStation, LinkOptions, LinkRole, Onboard, SigningKey, SigningKeyError, SigningOptions,
};
pub use signing_streams::{SigningStateError, SigningStreams};
