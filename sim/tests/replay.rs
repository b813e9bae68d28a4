//! Replayed signed frames against the `sim` binary (issue 21.3): a recorded ARM replayed on
//! the second link after a DISARM does not re-arm, and frames replayed into a restarted sim
//! (same --signing-state) are refused, while fresh signed frames still work.

mod common;

use std::net::UdpSocket;
use std::process::Command;
use std::time::{Duration, Instant};

use common::start_sim;
use qly_link::dialect::*;
use qly_link::frame::{signing_time_now, Decoder, Encoder};
use qly_link::SigningConfig;
use qly_test_support::process::wait_line;

const KEY_HEX: &str = "51697265706c61792d746573742d6b65792d6f662d33322d62797465732d2d21";

fn key() -> [u8; 32] {
    let mut k = [0u8; 32];
    for (i, b) in k.iter_mut().enumerate() {
        *b = u8::from_str_radix(&KEY_HEX[2 * i..2 * i + 2], 16).unwrap();
    }
    k
}

fn signing() -> Option<SigningConfig> {
    Some(SigningConfig {
        key: key(),
        link_id: 0,
        require_signed: true,
    })
}

fn arm_command(arm: bool) -> MavMessage {
    MavMessage::COMMAND_LONG(COMMAND_LONG_DATA {
        target_system: 1,
        target_component: 1,
        command: MavCmd::MAV_CMD_COMPONENT_ARM_DISARM,
        param1: if arm { 1.0 } else { 0.0 },
        ..Default::default()
    })
}

/// A ground station on a plain UDP socket: signs what it sends, checks what it gets.
struct Gcs {
    /// Our component id: each (system, component, link id) is a signing stream of its own.
    component: u8,
    sock: UdpSocket,
    enc: Encoder,
    dec: Decoder,
}

impl Gcs {
    fn new(component: u8) -> Gcs {
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        sock.set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        Gcs {
            component,
            sock,
            enc: Encoder::new(signing()),
            dec: Decoder::new(false, signing()),
        }
    }

    /// Signs and sends; returns the bytes (a recorder's copy).
    fn send(&mut self, port: u16, m: &MavMessage) -> Vec<u8> {
        let bytes = self.enc.encode(255, self.component, m, signing_time_now());
        self.sock.send_to(&bytes, ("127.0.0.1", port)).unwrap();
        bytes
    }

    /// Everything received for `d`.
    fn recv_for(&mut self, d: Duration) -> Vec<MavMessage> {
        let end = Instant::now() + d;
        let mut out = Vec::new();
        let mut buf = [0u8; 2048];
        while Instant::now() < end {
            if let Ok((n, _)) = self.sock.recv_from(&mut buf) {
                self.dec.push(&buf[..n]);
                while let Some(f) = self.dec.next_frame() {
                    out.push(f.message);
                }
                self.dec.end_of_datagram();
            }
        }
        out
    }

    /// Sends `m` until a COMMAND_ACK for `cmd` comes; its result.
    fn command(&mut self, port: u16, m: &MavMessage, cmd: MavCmd) -> (MavResult, Vec<u8>) {
        for _ in 0..20 {
            let bytes = self.send(port, m);
            for got in self.recv_for(Duration::from_millis(250)) {
                if let MavMessage::COMMAND_ACK(a) = got {
                    if a.command == cmd {
                        return (a.result, bytes);
                    }
                }
            }
        }
        panic!("no COMMAND_ACK for {cmd:?}");
    }
}

/// Arms (after the GPS lock: TEMPORARILY_REJECTED until then); the ARM frame accepted.
fn arm_when_ready(gcs: &mut Gcs, port: u16) -> Vec<u8> {
    let end = Instant::now() + Duration::from_secs(10);
    loop {
        let (r, bytes) = gcs.command(
            port,
            &arm_command(true),
            MavCmd::MAV_CMD_COMPONENT_ARM_DISARM,
        );
        if r == MavResult::MAV_RESULT_ACCEPTED {
            return bytes;
        }
        assert!(Instant::now() < end, "arming: {r:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn armed(messages: &[MavMessage]) -> Option<bool> {
    messages.iter().rev().find_map(|m| match m {
        MavMessage::HEARTBEAT(h) if h.autopilot == MavAutopilot::MAV_AUTOPILOT_ARDUPILOTMEGA => {
            Some(
                h.base_mode
                    .contains(MavModeFlag::MAV_MODE_FLAG_SAFETY_ARMED),
            )
        }
        _ => None,
    })
}

fn second_port(out: &std::sync::mpsc::Receiver<String>) -> u16 {
    let mut seen = Vec::new();
    let line = wait_line(out, Duration::from_secs(10), &mut seen, |l| {
        l.contains("bound to")
    })
    .unwrap_or_else(|| panic!("second link not reported: {seen:?}"));
    line.rsplit(':').next().unwrap().trim().parse().unwrap()
}

/// SIGTERM: the sim stops cleanly and writes its signing state.
fn stop(sim: &mut qly_test_support::process::ChildGuard) {
    let _ = Command::new("kill")
        .args(["-TERM", &sim.0.id().to_string()])
        .status();
    let end = Instant::now() + Duration::from_secs(10);
    while Instant::now() < end {
        if let Ok(Some(_)) = sim.0.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("sim did not stop on SIGTERM");
}

#[test]
fn replayed_signed_frames_are_refused_on_another_link_and_after_a_restart() {
    let dir = std::env::temp_dir().join(format!("qly-sim-replay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let state = dir.join("signing.state");
    let _ = std::fs::remove_file(&state);
    let state_arg = state.to_string_lossy().to_string();
    let args = [
        "--listen",
        "udpin:127.0.0.1:0",
        "--signing-key",
        KEY_HEX,
        "--require-signing",
        "--signing-state",
        &state_arg,
        "--gps-lock-s",
        "0.2",
        "--disarm-delay-s",
        "0",
    ];
    let (mut sim, port0, out) = start_sim(&args);
    let port1 = second_port(&out);
    let mut gcs = Gcs::new(190);
    let arm = MavCmd::MAV_CMD_COMPONENT_ARM_DISARM;
    let recorded_arm = arm_when_ready(&mut gcs, port0);
    assert_eq!(
        armed(&gcs.recv_for(Duration::from_millis(1200))),
        Some(true)
    );
    let (r, _) = gcs.command(port0, &arm_command(false), arm);
    assert_eq!(r, MavResult::MAV_RESULT_ACCEPTED);

    // The recorded ARM, replayed by a stranger on the second link and on the first.
    let stranger = UdpSocket::bind("127.0.0.1:0").unwrap();
    stranger
        .send_to(&recorded_arm, ("127.0.0.1", port1))
        .unwrap();
    stranger
        .send_to(&recorded_arm, ("127.0.0.1", port0))
        .unwrap();
    let seen = gcs.recv_for(Duration::from_millis(1500));
    assert_eq!(armed(&seen), Some(false), "the replayed ARM re-armed");

    // Restart with the same state file: the recording is refused again.
    stop(&mut sim);
    let text = std::fs::read_to_string(&state).expect("signing state written");
    assert!(text.contains("stream 255 190 0 "), "{text}");
    let (_sim, port0, _out) = start_sim(&args);
    // Another stream (component 191), so only the restored table can refuse the recording.
    let mut watcher = Gcs::new(191);
    // A fresh frame makes the watcher the peer (it hears heartbeats); then the replay.
    watcher.send(port0, &MavMessage::HEARTBEAT(HEARTBEAT_DATA::default()));
    std::thread::sleep(Duration::from_millis(400));
    stranger
        .send_to(&recorded_arm, ("127.0.0.1", port0))
        .unwrap();
    let seen = watcher.recv_for(Duration::from_millis(1500));
    assert_eq!(armed(&seen), Some(false), "replayed into the restarted sim");
    // A fresh signed ARM works: the refusal was the replay, not the link.
    arm_when_ready(&mut watcher, port0);
    let _ = std::fs::remove_dir_all(&dir);
}
