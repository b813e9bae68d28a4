//! The simulation loop over several links (ArduPilot's SERIAL0..n): a ground station on one,
//! a companion computer on another, each reaching the vehicle and each other through the
//! [`Router`].
//!
//! One reader task per link feeds a shared queue tagged with the link's index; the loop
//! owns the autopilot, wakes on every frame and every [`TICK`], advances the vehicle to
//! `elapsed wall time x speedup`, and sends what came out where the router says.

use std::future::Future;

use qly_core::protocol::Ids;
use qly_link::frame::Incoming;
use qly_link::{Address, Connection, ConnectionConfig, LinkError, LinkSender, LinkStats};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::connection::TICK;
use super::router::{LinkIndex, Router};
use super::{Autopilot, Dest};

/// Opens every link (printing each bound address, so a caller that asked for port 0 learns
/// the port), then runs the autopilot until `shutdown` or until every link has closed.
/// Returns each link's counters, in the order given.
pub async fn run_links(
    mut autopilot: Autopilot,
    addresses: &[Address],
    cfg: ConnectionConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<Vec<LinkStats>, LinkError> {
    let own = cfg.own;
    let signing_clock = cfg.signing_streams.clone();
    let mut senders: Vec<LinkSender> = Vec::with_capacity(addresses.len());
    let (in_tx, mut in_rx) = mpsc::channel::<(LinkIndex, Incoming)>(4096);
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut readers = Vec::with_capacity(addresses.len());
    for (i, address) in addresses.iter().enumerate() {
        let mut link_cfg = cfg.clone();
        if let Some(s) = &mut link_cfg.signing {
            // MAVLink signing: each link of a system signs with its own link id.
            s.link_id = s.link_id.wrapping_add(i as u8);
        }
        if let Some(imp) = &mut link_cfg.impairment {
            imp.seed = imp.seed.wrapping_add(i as u64);
        }
        let mut conn = Connection::open(address, link_cfg).await?;
        match conn.local_addr() {
            Some(a) => println!("sim: {address} bound to {a}"),
            None => println!("sim: {address} open"),
        }
        senders.push(conn.sender());
        let tx = in_tx.clone();
        let mut stop = stop_rx.clone();
        readers.push(tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = stop.changed() => break,
                    rx = conn.recv_incoming() => match rx {
                        Some(rx) => {
                            if tx.send((i, rx)).await.is_err() {
                                break;
                            }
                        }
                        None => break,
                    },
                }
            }
            conn.stats()
        }));
    }
    drop(in_tx);

    let mut router = Router::new(own, addresses.len());
    autopilot.set_links(addresses.len());
    let start = Instant::now();
    let speedup = autopilot.clock().speedup;
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    tokio::pin!(shutdown);
    loop {
        // Replies to what came in go ahead of telemetry still waiting for a capped link.
        let (out, replies) = tokio::select! {
            _ = &mut shutdown => break,
            rx = in_rx.recv() => match rx {
                Some((from, Incoming::Undecodable(raw))) => {
                    // Never forwarded (the router routes messages it can read); answered
                    // when it is an item for us.
                    let out = autopilot
                        .handle_undecodable_on(from, &raw, start.elapsed())
                        .into_iter()
                        .map(|m| (Dest::All, m))
                        .collect();
                    (out, true)
                }
                Some((from, Incoming::Message(rx))) => {
                    let source = Ids::new(rx.header.system_id as u8, rx.header.component_id);
                    let route = router.route(from, source, &rx.message);
                    for &to in &route.forward {
                        senders[to].send_as(source, &rx.message)?;
                    }
                    let out = if route.local {
                        autopilot
                            .handle_on(from, &rx.header, &rx.message, start.elapsed())
                            .into_iter()
                            .map(|m| (Dest::All, m))
                            .collect()
                    } else {
                        Vec::new()
                    };
                    (out, true)
                }
                None => break,
            },
            _ = tick.tick() => {
                let wall = start.elapsed();
                let out = autopilot.advance_links(wall.as_secs_f64() * speedup, wall);
                if let Some(s) = &signing_clock {
                    // The vehicle signs on its own clock (GPS time; sped up with the
                    // simulation), as ArduPilot's update_signing_timestamp does.
                    s.advance_timestamp(autopilot.signing_time());
                }
                (out, false)
            }
        };
        let send = |to: usize, m: &qly_link::dialect::MavMessage| {
            if replies {
                senders[to].send_urgent(m)
            } else {
                senders[to].send(m)
            }
        };
        for (dest, m) in &out {
            match dest {
                Dest::All => {
                    for to in router.outgoing(m) {
                        send(to, m)?;
                    }
                }
                Dest::Link(to) => send(*to, m)?,
            }
        }
    }
    let _ = stop_tx.send(true);
    let mut stats = Vec::with_capacity(readers.len());
    for r in readers {
        stats.push(r.await.unwrap_or_default());
    }
    Ok(stats)
}
