//! Mission upload figures through the whole link stack (framing, impairment, drivers) over an
//! in-memory pipe, in tokio's paused (virtual) time so 100 uploads take seconds, not hours.
//!
//! `cargo bench -p qly-link --bench upload` prints:
//! 1. 100 seeded 800-item uploads (+ verification download) at 30 % loss each way, 10 %
//!    duplication, 10 % reordering, 20-50 ms latency: successes, median and max time;
//! 2. one 800-item upload over a 57 600-baud link (5760 B/s each way, no loss) against the
//!    lower bound set by the bytes the protocol must move.

use qly_core::geodesy::GeoPoint;
use qly_core::mission::{Altitude, Home, Mission, MissionItem, MissionType};
use qly_core::protocol::{Ids, MissionMsg, MissionResult, MissionServer, ProtocolMsg};
use qly_core::protocol::{ServerConfig, Timeouts};
use qly_link::convert::to_mavlink;
use qly_link::frame::Encoder;
use qly_link::UploadOptions;
use qly_link::{serve_missions, upload_mission, Connection, ConnectionConfig, Impairment};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

const GCS: Ids = Ids::new(255, 190);
const VEHICLE: Ids = Ids::new(1, 1);

/// 800 wire items: home + takeoff + 797 waypoints + RTL.
fn mission() -> Mission {
    let mut items = vec![MissionItem::Takeoff {
        alt: Altitude::relative_home(80.0),
    }];
    for i in 0..797 {
        items.push(MissionItem::Waypoint {
            point: GeoPoint {
                lat_deg: 27.05 + (i / 40) as f64 * 2e-4,
                lon_deg: 106.95 + (i % 40) as f64 * 3e-4,
            },
            alt: Altitude::relative_home(80.0),
            hold_s: 0.0,
        });
    }
    items.push(MissionItem::ReturnToLaunch);
    Mission::new(
        Home {
            point: GeoPoint {
                lat_deg: 27.05,
                lon_deg: 106.95,
            },
            alt_amsl_m: 1100.0,
        },
        items,
    )
}

struct Run {
    ok: bool,
    total: Duration,
    upload: Duration,
    uplink_bytes: u64,
}

async fn one(
    m: &Mission,
    gcs_imp: Impairment,
    veh_imp: Impairment,
    timeouts: Timeouts,
    verify: bool,
) -> Run {
    let (mut gcs, veh) = Connection::pair(
        ConnectionConfig {
            impairment: Some(gcs_imp),
            ..ConnectionConfig::new(GCS)
        },
        ConnectionConfig {
            impairment: Some(veh_imp),
            ..ConnectionConfig::new(VEHICLE)
        },
    );
    let server = Arc::new(Mutex::new(MissionServer::new(
        VEHICLE,
        ServerConfig {
            timeouts,
            ..ServerConfig::default()
        },
    )));
    let task = tokio::spawn(serve_missions(veh, server.clone()));
    let opts = UploadOptions {
        timeouts,
        verify,
        verify_home: true,
        ..UploadOptions::default()
    };
    let t0 = Instant::now();
    let r = upload_mission(&mut gcs, 1, 1, m, opts, |_| {}).await;
    let total = t0.elapsed();
    task.abort();
    let held_ok = server.lock().is_ok_and(|s| {
        let plan = m.wire_items(MissionType::Mission);
        let held = s.list(MissionType::Mission);
        plan.len() == held.len() && plan.iter().zip(held).all(|(a, b)| a.same_on_wire(b))
    });
    let upload = r
        .as_ref()
        .map(|rep| rep.lists[0].upload_time)
        .unwrap_or(total);
    if let Err(e) = &r {
        eprintln!("failed: {e}");
    }
    Run {
        ok: r.is_ok() && held_ok,
        total,
        upload,
        uplink_bytes: gcs.stats().bytes_sent,
    }
}

fn frame_len(enc: &mut Encoder, p: ProtocolMsg) -> u64 {
    let mav = to_mavlink(&p).expect("encodable");
    enc.encode(p.source.system, p.source.component, &mav, 0)
        .len() as u64
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("tokio runtime");
    let wall = std::time::Instant::now();
    rt.block_on(async {
        let m = mission();
        assert_eq!(m.wire_items(MissionType::Mission).len(), 800);

        // 1. Lossy link, 100 seeds.
        let lossy = |seed: u64| Impairment {
            loss: 0.3,
            duplicate: 0.1,
            reorder: 0.1,
            latency: Duration::from_millis(20),
            jitter: Duration::from_millis(30),
            ..Impairment::none(seed)
        };
        let mut runs = Vec::new();
        for seed in 0..100u64 {
            runs.push(
                one(
                    &m,
                    lossy(2 * seed + 1),
                    lossy(2 * seed + 2),
                    Timeouts::lossy_link(),
                    true,
                )
                .await,
            );
        }
        let ok = runs.iter().filter(|r| r.ok).count();
        let mut up: Vec<f64> = runs.iter().map(|r| r.upload.as_secs_f64()).collect();
        let mut tot: Vec<f64> = runs.iter().map(|r| r.total.as_secs_f64()).collect();
        up.sort_by(f64::total_cmp);
        tot.sort_by(f64::total_cmp);
        println!("lossy link: 30% loss each way, 10% dup, 10% reorder, 20-50 ms latency, Timeouts::lossy_link()");
        println!("  successes (upload + verify, vehicle holds plan): {ok}/100");
        println!(
            "  800-item upload: median {:.1} s, max {:.1} s (virtual)",
            up[up.len() / 2],
            up[up.len() - 1]
        );
        println!(
            "  upload + verification download: median {:.1} s, max {:.1} s (virtual)",
            tot[tot.len() / 2],
            tot[tot.len() - 1]
        );

        // 2. 57 600 baud, no loss: time against the byte-count lower bound.
        let serial = |seed| Impairment {
            bandwidth_bytes_per_s: Some(5760),
            ..Impairment::none(seed)
        };
        let r = one(&m, serial(1), serial(2), Timeouts::default(), false).await;
        let mut enc = Encoder::new(None);
        let n = 800u16;
        let down: u64 = (0..n)
            .map(|seq| {
                frame_len(
                    &mut enc,
                    ProtocolMsg {
                        source: VEHICLE,
                        target: GCS,
                        msg: MissionMsg::RequestInt {
                            mission_type: MissionType::Mission,
                            seq,
                        },
                    },
                )
            })
            .sum::<u64>()
            + frame_len(
                &mut enc,
                ProtocolMsg {
                    source: VEHICLE,
                    target: GCS,
                    msg: MissionMsg::Ack {
                        mission_type: MissionType::Mission,
                        result: MissionResult::Accepted,
                        opaque_id: 1,
                    },
                },
            );
        let rate = 5760.0;
        let up_bound = r.uplink_bytes as f64 / rate;
        let stop_and_wait_bound = (r.uplink_bytes + down) as f64 / rate;
        println!("57600 baud (5760 B/s each way), no loss, spec timeouts, upload only:");
        println!(
            "  ok {}, time {:.2} s; uplink {} B, downlink (minimum) {} B",
            r.ok,
            r.total.as_secs_f64(),
            r.uplink_bytes,
            down
        );
        println!(
            "  lower bound uplink bytes / rate {:.2} s -> ratio {:.3}",
            up_bound,
            r.total.as_secs_f64() / up_bound
        );
        println!(
            "  lower bound (uplink + downlink) / rate, stop-and-wait {:.2} s -> ratio {:.3}",
            stop_and_wait_bound,
            r.total.as_secs_f64() / stop_and_wait_bound
        );
    });
    println!("wall time {:.1} s", wall.elapsed().as_secs_f64());
}
