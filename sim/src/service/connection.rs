//! The connection: the tokio loop that moves MAVLink frames and time into the [`Autopilot`].
//!
//! One task owns the autopilot. It wakes on every received frame and on a wall-clock tick
//! (every 5 ms), advances the vehicle to `elapsed wall time x speedup`, and sends whatever
//! came out. It stops when `shutdown` resolves or the link closes.

use std::future::Future;
use std::time::Duration;

use qly_link::{Address, Connection, ConnectionConfig, LinkError, LinkStats};
use tokio::time::Instant;

use super::Autopilot;

/// Wall-clock period of the simulation loop.
pub const TICK: Duration = Duration::from_millis(5);

/// Opens the link (printing the bound address for socket links, so a caller that asked for
/// port 0 learns the port), then runs the autopilot until `shutdown`. Returns the link's
/// counters.
pub async fn run(
    mut autopilot: Autopilot,
    address: &Address,
    cfg: ConnectionConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<LinkStats, LinkError> {
    let signing_clock = cfg.signing_streams.clone();
    let mut conn = Connection::open(address, cfg).await?;
    match conn.local_addr() {
        Some(a) => println!("sim: {address} bound to {a}"),
        None => println!("sim: {address} open"),
    }
    let start = Instant::now();
    let speedup = autopilot.clock().speedup;
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    tokio::pin!(shutdown);
    loop {
        let out = tokio::select! {
            _ = &mut shutdown => break,
            rx = conn.recv() => match rx {
                Some(rx) => autopilot.handle(&rx.header, &rx.message, start.elapsed()),
                None => break,
            },
            _ = tick.tick() => {
                let wall = start.elapsed();
                let out = autopilot.advance_to(wall.as_secs_f64() * speedup, wall);
                if let Some(s) = &signing_clock {
                    // The vehicle signs on its own (sped-up) clock.
                    s.advance_timestamp(autopilot.signing_time());
                }
                out
            }
        };
        for m in &out {
            conn.send(m)?;
        }
    }
    Ok(conn.stats())
}
