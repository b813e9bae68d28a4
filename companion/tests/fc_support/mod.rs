//! Test helpers for the flight-controller link: the `sim` autopilot service run in process
//! on a real socket (with a side door for ground-station commands), and waiting on the
//! companion's state. The ground station's ids and header come from `qly-test-support`.

#![allow(dead_code)]

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use companion::fc::{FcConfig, FcHandle};
use mavlink::MavHeader;
use qly_core::geodesy::{GeoPoint, LocalFrame};
use qly_core::mission::{Home, RawItem};
use qly_link::dialect::*;
use qly_link::{Address, Connection, ConnectionConfig, SigningConfig};
use qly_test_support::gcs::{gcs_header, GCS, VEHICLE};
use sim::noise::NoiseConfig;
use sim::service::clock::VehicleClock;
use sim::service::Autopilot;
use sim::vehicle::{Vehicle, VehicleConfig};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

pub const HOME: Home = Home {
    point: GeoPoint {
        lat_deg: 27.05,
        lon_deg: 106.95,
    },
    alt_amsl_m: 1100.0,
};
/// UTC of the simulated boot: 2026-01-01T00:00:00Z.
pub const BOOT_UNIX_S: u64 = 1_767_225_600;

pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_max_level(tracing::Level::INFO)
        .try_init();
}

/// A sim autopilot without sensor noise (so its CAMERA_FEEDBACK pose is the true pose).
///
/// It streams every message unasked (`StreamDefaults::Always`), as the sim did before it
/// learnt ArduPilot's "only when asked": the companion's reboot detection still relies on
/// telemetry arriving before it asks again (issue 15 A5, the companion's part).
pub fn quiet_autopilot(speedup: f64) -> Autopilot {
    let mut c = VehicleConfig::new(HOME);
    c.noise = NoiseConfig::none();
    let mut ap = Autopilot::new(
        Vehicle::new(c),
        VEHICLE,
        VehicleClock::new(speedup, BOOT_UNIX_S),
        100,
    );
    ap.set_stream_defaults(sim::service::StreamDefaults::Always);
    ap
}

pub fn offset(north_m: f64, east_m: f64) -> GeoPoint {
    LocalFrame::at(HOME.point).unproject(east_m, north_m)
}

/// Uploads `items` to the autopilot directly (no link), as the sim's own tests do.
pub fn upload(ap: &mut Autopilot, items: Vec<RawItem>) {
    let client = qly_test_support::gcs::upload(items, |header, message| {
        ap.handle(header, message, Duration::ZERO)
    });
    assert_eq!(client.outcome(), Some(Ok(())), "mission upload");
}

/// What the sim peer saw and sent.
#[derive(Default)]
pub struct PeerLog {
    /// Frames received from the companion.
    pub received: Vec<(MavHeader, MavMessage)>,
    /// Messages sent to the companion.
    pub sent: Vec<MavMessage>,
    /// Replies to injected ground-station commands (not sent on the link).
    pub gcs_replies: Vec<MavMessage>,
    /// When the last HEARTBEAT went out.
    pub last_heartbeat_sent: Option<Instant>,
}

impl PeerLog {
    /// SET_MESSAGE_INTERVAL requests received: (message id, interval µs, from component).
    pub fn interval_requests(&self) -> Vec<(u32, i32, u8)> {
        self.received
            .iter()
            .filter_map(|(h, m)| match m {
                MavMessage::COMMAND_LONG(c)
                    if c.command == MavCmd::MAV_CMD_SET_MESSAGE_INTERVAL =>
                {
                    Some((c.param1 as u32, c.param2 as i32, h.component_id))
                }
                _ => None,
            })
            .collect()
    }
}

/// The sim's autopilot service on a real link, in this process.
pub struct SimPeer {
    pub log: Arc<Mutex<PeerLog>>,
    pub inject: mpsc::UnboundedSender<MavMessage>,
    pub local_addr: Option<std::net::SocketAddr>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<JoinHandle<Autopilot>>,
}

impl SimPeer {
    /// Opens `address` (retrying for a few seconds, e.g. while the port of a just-stopped
    /// peer is released) and runs `autopilot` on it.
    pub async fn start(
        address: &str,
        autopilot: Autopilot,
        signing: Option<SigningConfig>,
    ) -> SimPeer {
        let address: Address = address.parse().expect("address");
        let mut cfg = ConnectionConfig::new(VEHICLE);
        cfg.signing = signing;
        let until = Instant::now() + Duration::from_secs(5);
        let conn = loop {
            match Connection::open(&address, cfg.clone()).await {
                Ok(c) => break c,
                Err(e) if Instant::now() < until => {
                    eprintln!("sim peer: {e}; retrying");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("sim peer cannot open {address}: {e}"),
            }
        };
        let local_addr = conn.local_addr();
        let log = Arc::new(Mutex::new(PeerLog::default()));
        let (inject, inject_rx) = mpsc::unbounded_channel();
        let (stop, stop_rx) = tokio::sync::oneshot::channel();
        let task = tokio::spawn(run_peer(autopilot, conn, log.clone(), inject_rx, async {
            let _ = stop_rx.await;
        }));
        SimPeer {
            log,
            inject,
            local_addr,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Stops the loop and closes the link; returns the autopilot.
    pub async fn stop(mut self) -> Autopilot {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        self.task
            .take()
            .expect("task")
            .await
            .expect("sim peer task")
    }
}

impl Drop for SimPeer {
    fn drop(&mut self) {
        if let Some(t) = &self.task {
            t.abort();
        }
    }
}

async fn run_peer(
    mut ap: Autopilot,
    mut conn: Connection,
    log: Arc<Mutex<PeerLog>>,
    mut inject: mpsc::UnboundedReceiver<MavMessage>,
    stop: impl Future<Output = ()>,
) -> Autopilot {
    let start = Instant::now();
    let speedup = ap.clock().speedup;
    let t0 = ap.vehicle().time_s();
    let mut tick = tokio::time::interval(sim::service::connection::TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    tokio::pin!(stop);
    loop {
        let out = tokio::select! {
            _ = &mut stop => break,
            rx = conn.recv() => match rx {
                Some(rx) => {
                    let out = ap.handle(&rx.header, &rx.message, start.elapsed());
                    log.lock().unwrap().received.push((rx.header, rx.message));
                    out
                }
                None => break,
            },
            Some(m) = inject.recv() => {
                let out = ap.handle(&gcs_header(), &m, start.elapsed());
                let (to_gcs, rest): (Vec<_>, Vec<_>) = out.into_iter().partition(|m| matches!(m, MavMessage::COMMAND_ACK(a) if a.target_system == GCS.system));
                log.lock().unwrap().gcs_replies.extend(to_gcs);
                rest
            }
            _ = tick.tick() => {
                let wall = start.elapsed();
                ap.advance_to(t0 + wall.as_secs_f64() * speedup, wall)
            }
        };
        for m in &out {
            let _ = conn.send(m);
        }
        let mut log = log.lock().unwrap();
        if out.iter().any(|m| matches!(m, MavMessage::HEARTBEAT(_))) {
            log.last_heartbeat_sent = Some(Instant::now());
        }
        log.sent.extend(out);
    }
    ap
}

/// Polls `cond` every 20 ms for up to `timeout`.
pub async fn wait_for(what: &str, timeout: Duration, mut cond: impl FnMut() -> bool) {
    let until = Instant::now() + timeout;
    while !cond() {
        assert!(
            Instant::now() < until,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Every interval request of the latest round accepted.
pub fn intervals_accepted(fc: &FcHandle) -> bool {
    let s = fc.status();
    !s.intervals.is_empty()
        && s.intervals
            .iter()
            .all(|i| i.outcome == companion::fc::IntervalOutcome::Accepted)
}

/// A config for tests: quick loss detection and reconnection.
pub fn test_config(address: String) -> FcConfig {
    FcConfig {
        address: address.parse().expect("a test address"),
        link_lost_after_s: 1.5,
        reconnect_initial_s: 0.2,
        reconnect_max_s: 1.0,
        command_timeout_s: 0.5,
        log_every_s: 1.0,
        ..FcConfig::default()
    }
}
