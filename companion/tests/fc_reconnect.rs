//! Losing the flight controller and getting it back: a TCP server that goes away and
//! returns (reopened with backoff), and a UDP autopilot that falls silent and comes back
//! rebooted. Each time the companion asks for its streams again.

mod fc_support;

use std::time::Duration;

use companion::fc::{CancellationToken, FcLink};
use fc_support::*;
use qly_test_support::net::free_tcp_port;

fn interval_ids(peer: &SimPeer) -> Vec<u32> {
    let mut ids: Vec<u32> = peer
        .log
        .lock()
        .unwrap()
        .interval_requests()
        .iter()
        .map(|r| r.0)
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_server_restart_reconnects_and_rerequests_intervals() {
    init_tracing();
    let port = free_tcp_port();
    let address = format!("tcpin:127.0.0.1:{port}");
    let peer = SimPeer::start(&address, quiet_autopilot(1.0), None).await;
    let shutdown = CancellationToken::new();
    let link = FcLink::spawn(
        test_config(format!("tcp:127.0.0.1:{port}")),
        shutdown.clone(),
    )
    .expect("spawn");
    let fc = link.handle();
    wait_for("first round accepted", Duration::from_secs(10), || {
        intervals_accepted(&fc)
    })
    .await;
    assert_eq!(interval_ids(&peer), vec![2, 24, 30, 33]);
    wait_for("positions", Duration::from_secs(5), || {
        fc.status().positions > 5
    })
    .await;
    let before = fc.status();
    assert_eq!((before.connections_opened, before.interval_rounds), (1, 1));
    // Run past 1 s of boot time so the restarted autopilot's clock is visibly earlier.
    tokio::time::sleep(Duration::from_millis(1500)).await;

    // The server goes away: the companion notices the closed stream and keeps trying.
    peer.stop().await;
    wait_for("link down", Duration::from_secs(3), || !fc.status().link_up).await;
    wait_for("failed reopen attempts", Duration::from_secs(5), || {
        fc.status().open_failures >= 2
    })
    .await;
    assert!(!link.is_finished());

    // It comes back (a rebooted autopilot on the same port).
    let peer = SimPeer::start(&address, quiet_autopilot(1.0), None).await;
    wait_for("reconnected", Duration::from_secs(5), || {
        let s = fc.status();
        s.connections_opened >= 2 && s.link_up
    })
    .await;
    let p2 = peer.log.clone();
    wait_for("intervals requested again", Duration::from_secs(5), || {
        let mut ids: Vec<u32> = p2
            .lock()
            .unwrap()
            .interval_requests()
            .iter()
            .map(|r| r.0)
            .collect();
        ids.sort();
        ids.dedup();
        ids == vec![2, 24, 30, 33]
    })
    .await;
    wait_for("second round accepted", Duration::from_secs(5), || {
        intervals_accepted(&fc)
    })
    .await;
    let s = fc.status();
    assert!(s.interval_rounds >= 2, "{s:?}");
    eprintln!(
        "reconnected: {} connections, {} failed opens, {} interval rounds, {} reboots",
        s.connections_opened, s.open_failures, s.interval_rounds, s.reboots
    );

    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(3), link.join())
        .await
        .expect("ends on shutdown")
        .expect("clean end");
    peer.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn udp_link_loss_is_detected_and_a_rebooted_autopilot_is_followed() {
    init_tracing();
    let peer = SimPeer::start("udpin:127.0.0.1:0", quiet_autopilot(1.0), None).await;
    let port = peer.local_addr.expect("bound").port();
    let shutdown = CancellationToken::new();
    let link = FcLink::spawn(
        test_config(format!("udpout:127.0.0.1:{port}")),
        shutdown.clone(),
    )
    .expect("spawn");
    let fc = link.handle();
    wait_for("first round accepted", Duration::from_secs(10), || {
        intervals_accepted(&fc)
    })
    .await;
    wait_for("4 s of boot time", Duration::from_secs(8), || {
        fc.with_state(|s| s.timeline.covered_until_ms().is_some_and(|t| t > 4000.0))
    })
    .await;
    let t_old = fc.with_state(|s| s.timeline.covered_until_ms()).unwrap();
    assert!(fc.pose_at_boot_ms(t_old).is_ok());

    // Silence: detected link_lost_after_s (1.5 s) after the last heartbeat.
    let log = peer.log.clone();
    peer.stop().await;
    let last_hb = log
        .lock()
        .unwrap()
        .last_heartbeat_sent
        .expect("sim heartbeats");
    wait_for("link loss", Duration::from_secs(4), || {
        fc.status().link_losses == 1
    })
    .await;
    let detected_s = last_hb.elapsed().as_secs_f64();
    eprintln!("link loss detected {detected_s:.2} s after the last autopilot heartbeat");
    assert!((1.5..2.5).contains(&detected_s), "{detected_s}");
    assert!(!fc.status().link_up);

    // The autopilot comes back on the same port, rebooted (its clock restarts at 0).
    let peer = SimPeer::start(
        &format!("udpin:127.0.0.1:{port}"),
        quiet_autopilot(1.0),
        None,
    )
    .await;
    wait_for("link regained", Duration::from_secs(5), || {
        fc.status().link_up
    })
    .await;
    let p2 = peer.log.clone();
    wait_for("intervals requested again", Duration::from_secs(5), || {
        p2.lock().unwrap().interval_requests().len() >= 4
    })
    .await;
    wait_for("reboot noticed", Duration::from_secs(5), || {
        fc.status().reboots == 1
    })
    .await;
    wait_for("new round accepted", Duration::from_secs(5), || {
        intervals_accepted(&fc)
    })
    .await;
    // The old timeline is gone; the new one fills from the new boot.
    assert!(fc.pose_at_boot_ms(t_old).is_err());
    wait_for("new positions", Duration::from_secs(5), || {
        fc.with_state(|s| s.timeline.covered_until_ms().is_some())
    })
    .await;
    let s = fc.status();
    assert_eq!(s.connections_opened, 1, "UDP is not reopened");
    assert!(s.interval_rounds >= 2, "{s:?}");

    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(3), link.join())
        .await
        .expect("ends on shutdown")
        .expect("clean end");
    peer.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reboot_without_link_loss_clears_the_timeline_and_rerequests() {
    init_tracing();
    let peer = SimPeer::start("udpin:127.0.0.1:0", quiet_autopilot(1.0), None).await;
    let port = peer.local_addr.expect("bound").port();
    let shutdown = CancellationToken::new();
    let mut cfg = test_config(format!("udpout:127.0.0.1:{port}"));
    cfg.link_lost_after_s = 5.0;
    let link = FcLink::spawn(cfg, shutdown.clone()).expect("spawn");
    let fc = link.handle();
    wait_for("first round accepted", Duration::from_secs(10), || {
        intervals_accepted(&fc)
    })
    .await;
    wait_for("4 s of boot time", Duration::from_secs(8), || {
        fc.with_state(|s| s.timeline.covered_until_ms().is_some_and(|t| t > 4000.0))
    })
    .await;
    let t_old = fc.with_state(|s| s.timeline.covered_until_ms()).unwrap();

    // A quick power cycle: the autopilot is back before the link counts as lost.
    peer.stop().await;
    let peer = SimPeer::start(
        &format!("udpin:127.0.0.1:{port}"),
        quiet_autopilot(1.0),
        None,
    )
    .await;
    wait_for("reboot noticed", Duration::from_secs(5), || {
        fc.status().reboots == 1
    })
    .await;
    let p2 = peer.log.clone();
    wait_for(
        "intervals requested of the rebooted autopilot",
        Duration::from_secs(5),
        || p2.lock().unwrap().interval_requests().len() >= 4,
    )
    .await;
    wait_for("round accepted", Duration::from_secs(5), || {
        intervals_accepted(&fc)
    })
    .await;
    let s = fc.status();
    assert_eq!(s.link_losses, 0, "{s:?}");
    assert_eq!(s.interval_rounds, 2, "{s:?}");
    assert!(fc.pose_at_boot_ms(t_old).is_err(), "old timeline cleared");

    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(3), link.join())
        .await
        .expect("ends on shutdown")
        .expect("clean end");
    peer.stop().await;
}
