//! Client and server against each other through a seeded lossy channel in virtual time.

use super::*;
use crate::mission::RawItem;
use proptest::prelude::*;
use std::time::Duration;

const GCS: Ids = Ids::new(255, 190);
const VEHICLE: Ids = Ids::new(1, 1);

/// SplitMix64: a tiny seeded generator, enough for a deterministic test channel.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn range_ms(&mut self, lo: u64, hi: u64) -> Duration {
        Duration::from_millis(lo + self.next_u64() % (hi - lo + 1))
    }
}

#[derive(Clone, Copy)]
struct Impairment {
    loss: f64,
    dup: f64,
    latency_ms: (u64, u64),
    /// Everything sent at or after this time is lost (the link dies).
    dies_at: Option<Duration>,
}

impl Impairment {
    fn lossy() -> Self {
        Impairment {
            loss: 0.3,
            dup: 0.1,
            latency_ms: (5, 80),
            dies_at: None,
        }
    }
}

/// A two-way channel; random latency per copy reorders messages.
struct Channel {
    rng: Rng,
    imp: Impairment,
    pending: Vec<(Duration, u64, bool, ProtocolMsg)>,
    order: u64,
    sent: u64,
}

impl Channel {
    fn new(seed: u64, imp: Impairment) -> Self {
        Channel {
            rng: Rng(seed),
            imp,
            pending: Vec::new(),
            order: 0,
            sent: 0,
        }
    }

    fn send(&mut self, now: Duration, to_server: bool, msgs: Vec<ProtocolMsg>) {
        for m in msgs {
            self.sent += 1;
            if self.imp.dies_at.is_some_and(|d| now >= d) || self.rng.unit() < self.imp.loss {
                continue;
            }
            let copies = if self.rng.unit() < self.imp.dup { 2 } else { 1 };
            for _ in 0..copies {
                let at = now
                    + self
                        .rng
                        .range_ms(self.imp.latency_ms.0, self.imp.latency_ms.1);
                self.order += 1;
                self.pending.push((at, self.order, to_server, m));
            }
        }
    }

    fn next_time(&self) -> Option<Duration> {
        self.pending.iter().map(|p| p.0).min()
    }

    fn due(&mut self, now: Duration) -> Vec<(bool, ProtocolMsg)> {
        let mut due: Vec<_> = self
            .pending
            .iter()
            .filter(|p| p.0 <= now)
            .copied()
            .collect();
        self.pending.retain(|p| p.0 > now);
        due.sort_by_key(|p| (p.0, p.1));
        due.into_iter().map(|p| (p.2, p.3)).collect()
    }
}

trait Machine {
    fn handle(&mut self, msg: &ProtocolMsg, now: Duration) -> Vec<ProtocolMsg>;
    fn poll(&mut self, now: Duration) -> Vec<ProtocolMsg>;
    fn next_deadline(&self) -> Option<Duration>;
    fn finished(&self) -> bool;
}

impl Machine for UploadClient {
    fn handle(&mut self, msg: &ProtocolMsg, now: Duration) -> Vec<ProtocolMsg> {
        UploadClient::handle(self, msg, now)
    }
    fn poll(&mut self, now: Duration) -> Vec<ProtocolMsg> {
        UploadClient::poll(self, now)
    }
    fn next_deadline(&self) -> Option<Duration> {
        UploadClient::next_deadline(self)
    }
    fn finished(&self) -> bool {
        self.state().is_finished()
    }
}

impl Machine for DownloadClient {
    fn handle(&mut self, msg: &ProtocolMsg, now: Duration) -> Vec<ProtocolMsg> {
        DownloadClient::handle(self, msg, now)
    }
    fn poll(&mut self, now: Duration) -> Vec<ProtocolMsg> {
        DownloadClient::poll(self, now)
    }
    fn next_deadline(&self) -> Option<Duration> {
        DownloadClient::next_deadline(self)
    }
    fn finished(&self) -> bool {
        self.state().is_finished()
    }
}

/// Runs until the client finishes (then lets the server run out its own timers); returns
/// the virtual time at which the client finished. `server: None` is a silent vehicle.
fn run(
    client: &mut dyn Machine,
    first: Vec<ProtocolMsg>,
    mut server: Option<&mut MissionServer>,
    ch: &mut Channel,
    start: Duration,
) -> Duration {
    let mut now = start;
    ch.send(now, true, first);
    let mut finished_at = None;
    for _ in 0..10_000_000 {
        if finished_at.is_none() && client.finished() {
            finished_at = Some(now);
        }
        let server_deadline = server.as_ref().and_then(|s| s.next_deadline());
        let client_deadline = client.next_deadline();
        let next = [ch.next_time(), server_deadline, client_deadline]
            .into_iter()
            .flatten()
            .min();
        let Some(next) = next else { break };
        now = now.max(next);
        for (to_server, msg) in ch.due(now) {
            if to_server {
                if let Some(s) = server.as_deref_mut() {
                    let out = s.handle(&msg, now);
                    ch.send(now, false, out);
                }
            } else {
                let out = client.handle(&msg, now);
                ch.send(now, true, out);
            }
        }
        if let Some(s) = server.as_deref_mut() {
            let out = s.poll(now);
            ch.send(now, false, out);
        }
        let out = client.poll(now);
        ch.send(now, true, out);
    }
    finished_at.unwrap_or(now)
}

fn plan(n: usize, salt: u64) -> Vec<RawItem> {
    let mut rng = Rng(salt);
    (0..n)
        .map(|i| RawItem {
            frame: if i == 0 { 0 } else { 3 },
            command: [16u16, 16, 206, 178][i % 4],
            params: [rng.unit() as f32 * 10.0, 0.0, 0.0, f32::NAN],
            lat_deg: 27.0 + rng.unit() * 0.1,
            lon_deg: 106.9 + rng.unit() * 0.1,
            alt_m: 80.0 + i as f32,
            autocontinue: true,
        })
        .collect()
}

fn same(a: &[RawItem], b: &[RawItem]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same_on_wire(y))
}

fn upload(
    server: Option<&mut MissionServer>,
    ch: &mut Channel,
    items: Vec<RawItem>,
    timeouts: Timeouts,
    start: Duration,
) -> (UploadClient, Duration) {
    let (mut c, first) =
        UploadClient::start(GCS, VEHICLE, items, MissionType::Mission, timeouts, start);
    let end = run(&mut c, first, server, ch, start);
    (c, end)
}

#[test]
fn hundred_seeds_of_800_items_at_30_percent_loss_all_succeed() {
    let items = plan(800, 42);
    let old = plan(5, 7);
    let mut worst = Duration::ZERO;
    let config = ServerConfig {
        timeouts: Timeouts::lossy_link(),
        ..ServerConfig::default()
    };
    for seed in 0..100 {
        let mut server = MissionServer::new(VEHICLE, config);
        server.set_list(MissionType::Mission, old.clone());
        let mut ch = Channel::new(seed, Impairment::lossy());
        let (c, end) = upload(
            Some(&mut server),
            &mut ch,
            items.clone(),
            Timeouts::lossy_link(),
            Duration::ZERO,
        );
        assert_eq!(c.state(), &TransferState::Done, "seed {seed}");
        assert_eq!(c.progress(), 800);
        assert!(
            same(server.list(MissionType::Mission), &items),
            "seed {seed}"
        );
        worst = worst.max(end);

        let (mut d, first) = DownloadClient::start(
            GCS,
            VEHICLE,
            MissionType::Mission,
            Timeouts::lossy_link(),
            end,
        );
        run(&mut d, first, Some(&mut server), &mut ch, end);
        let back = d.outcome().expect("finished").expect("download succeeds");
        assert!(same(back, &items), "seed {seed}: download differs");
        assert_eq!(d.opaque_id(), server.opaque_id(MissionType::Mission));
    }
    // 800 items at 5..80 ms one-way latency: about 70 s of virtual time is typical; a loose
    // bound still catches a machine that stalls on every loss.
    eprintln!("slowest 800-item upload: {worst:?} virtual");
    assert!(worst < Duration::from_secs(400), "slowest upload {worst:?}");
}

#[test]
fn silent_vehicle_times_out_in_bounded_time() {
    let mut ch = Channel::new(1, Impairment::lossy());
    let (c, end) = upload(
        None,
        &mut ch,
        plan(10, 1),
        Timeouts::default(),
        Duration::ZERO,
    );
    match c.state() {
        TransferState::Failed(TransferError::Timeout { stage, .. }) => {
            assert_eq!(*stage, Stage::AwaitingFirstRequest)
        }
        s => panic!("expected timeout, got {s:?}"),
    }
    assert_eq!(end, Duration::from_millis(1500 * 6));
}

#[test]
fn no_space_is_reported_with_its_name_and_count() {
    let mut config = ServerConfig::default();
    config.capacity[0] = 500;
    let mut server = MissionServer::new(VEHICLE, config);
    let old = plan(3, 3);
    server.set_list(MissionType::Mission, old.clone());
    let mut ch = Channel::new(5, Impairment::lossy());
    let (c, _) = upload(
        Some(&mut server),
        &mut ch,
        plan(800, 2),
        Timeouts::default(),
        Duration::ZERO,
    );
    let err = c.outcome().unwrap().unwrap_err();
    match &err {
        TransferError::Rejected { result, .. } => assert_eq!(*result, MissionResult::NoSpace),
        e => panic!("expected NO_SPACE, got {e:?}"),
    }
    assert!(err
        .to_string()
        .contains("vehicle has no space for 800 mission items"));
    assert!(same(server.list(MissionType::Mission), &old));
}

#[test]
fn link_dying_mid_upload_fails_in_bounded_time_and_keeps_old_mission() {
    for seed in 0..20 {
        let mut server = MissionServer::new(VEHICLE, ServerConfig::default());
        let old = plan(4, 9);
        server.set_list(MissionType::Mission, old.clone());
        let mut imp = Impairment::lossy();
        imp.dies_at = Some(Duration::from_secs(5));
        let mut ch = Channel::new(seed, imp);
        let (c, end) = upload(
            Some(&mut server),
            &mut ch,
            plan(800, 4),
            Timeouts::default(),
            Duration::ZERO,
        );
        assert!(
            matches!(
                c.state(),
                TransferState::Failed(TransferError::Timeout { .. })
            ),
            "seed {seed}: {:?}",
            c.state()
        );
        // Dead at 5 s; at most 6 waits of 1.5 s (awaiting the ack) plus in-flight latency.
        assert!(
            end <= Duration::from_millis(5000 + 6 * 1500 + 80),
            "{end:?}"
        );
        assert!(c.progress() > 0 && c.progress() < 800);
        assert!(!server.is_receiving(), "server gave up too");
        assert!(same(server.list(MissionType::Mission), &old));
    }
}

#[test]
fn fence_and_rally_lists_are_separate() {
    let timeouts = Timeouts::lossy_link();
    let config = ServerConfig {
        timeouts,
        ..ServerConfig::default()
    };
    let mut server = MissionServer::new(VEHICLE, config);
    let mut ch = Channel::new(11, Impairment::lossy());
    let mut t = Duration::ZERO;
    for (mt, n) in [
        (MissionType::Mission, 30),
        (MissionType::Fence, 12),
        (MissionType::Rally, 3),
    ] {
        let (mut c, first) = UploadClient::start(GCS, VEHICLE, plan(n, n as u64), mt, timeouts, t);
        t = run(&mut c, first, Some(&mut server), &mut ch, t);
        assert_eq!(c.state(), &TransferState::Done, "{mt:?}");
    }
    assert_eq!(server.list(MissionType::Mission).len(), 30);
    assert_eq!(server.list(MissionType::Fence).len(), 12);
    assert_eq!(server.list(MissionType::Rally).len(), 3);
    // An empty upload clears one list only.
    let (mut c, first) =
        UploadClient::start(GCS, VEHICLE, Vec::new(), MissionType::Fence, timeouts, t);
    run(&mut c, first, Some(&mut server), &mut ch, t);
    assert_eq!(c.state(), &TransferState::Done);
    assert!(server.list(MissionType::Fence).is_empty());
    assert_eq!(server.list(MissionType::Rally).len(), 3);
}

#[test]
fn cancelled_upload_leaves_old_mission_and_idle_server() {
    let mut server = MissionServer::new(VEHICLE, ServerConfig::default());
    let old = plan(4, 21);
    server.set_list(MissionType::Mission, old.clone());
    let t = Duration::ZERO;
    let (mut c, first) = UploadClient::start(
        GCS,
        VEHICLE,
        plan(10, 22),
        MissionType::Mission,
        Timeouts::default(),
        t,
    );
    let mut to_vehicle = first;
    // Perfect link for the first few exchanges, then the operator cancels.
    for _ in 0..3 {
        let replies: Vec<_> = to_vehicle
            .iter()
            .flat_map(|m| server.handle(m, t))
            .collect();
        to_vehicle = replies.iter().flat_map(|m| c.handle(m, t)).collect();
    }
    assert!(server.is_receiving());
    for m in c.cancel() {
        server.handle(&m, t);
    }
    assert!(matches!(
        c.state(),
        TransferState::Failed(TransferError::Cancelled { .. })
    ));
    assert!(!server.is_receiving());
    assert!(same(server.list(MissionType::Mission), &old));
    assert!(server.take_events().iter().any(|e| matches!(
        e,
        ServerEvent::UploadAbandoned {
            received: 2,
            count: 10,
            ..
        }
    )));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever the link does, the vehicle holds the old list or the complete new one, and a
    /// client that reports success is right.
    #[test]
    fn vehicle_holds_old_or_complete_new_list(
        seed in any::<u64>(),
        n in 1usize..60,
        loss in 0.0f64..0.9,
        dup in 0.0f64..0.5,
        dies_at_ms in proptest::option::of(0u64..20_000),
    ) {
        let old = plan(3, seed ^ 1);
        let new = plan(n, seed ^ 2);
        let mut server = MissionServer::new(VEHICLE, ServerConfig::default());
        server.set_list(MissionType::Mission, old.clone());
        let imp = Impairment {
            loss,
            dup,
            latency_ms: (1, 120),
            dies_at: dies_at_ms.map(Duration::from_millis),
        };
        let mut ch = Channel::new(seed, imp);
        let (c, end) = upload(Some(&mut server), &mut ch, new.clone(), Timeouts::default(), Duration::ZERO);
        let held = server.list(MissionType::Mission);
        prop_assert!(same(held, &old) || same(held, &new));
        if c.state() == &TransferState::Done {
            prop_assert!(same(held, &new));
        }
        prop_assert!(c.state().is_finished());
        prop_assert!(end <= Timeouts::default().worst_case(n));
        prop_assert!(!server.is_receiving());
    }
}
