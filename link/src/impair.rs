//! Test impairment of a link's outgoing frames: seeded loss, latency, jitter, duplication,
//! reordering and a bandwidth cap, so robustness is tested on real sockets reproducibly.

use std::time::Duration;

/// How to damage outgoing frames. Set it on either end (or both) of a link.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Impairment {
    /// Seed of the generator: the same seed and traffic give the same damage.
    pub seed: u64,
    /// Probability a frame is lost, 0..=1.
    pub loss: f64,
    /// Probability a frame is delivered twice.
    pub duplicate: f64,
    /// Probability a frame is held back by an extra `latency + jitter`, letting later
    /// frames overtake it.
    pub reorder: f64,
    /// Fixed one-way delay.
    pub latency: Duration,
    /// Extra delay drawn uniformly from `0..=jitter` per frame.
    pub jitter: Duration,
    /// Bytes per second the link can carry (57600 baud serial = 5760 B/s); frames queue
    /// behind each other. `None`: unlimited.
    pub bandwidth_bytes_per_s: Option<u32>,
}

impl Impairment {
    /// No damage at all (a starting point for struct update syntax).
    pub fn none(seed: u64) -> Self {
        Impairment {
            seed,
            loss: 0.0,
            duplicate: 0.0,
            reorder: 0.0,
            latency: Duration::ZERO,
            jitter: Duration::ZERO,
            bandwidth_bytes_per_s: None,
        }
    }
}

/// SplitMix64, the seeded generator behind [`Impairer`].
#[derive(Debug, Clone)]
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Decides, frame by frame, when (and how often) each frame arrives. Pure: `now` is the time
/// since the link started.
#[derive(Debug, Clone)]
pub struct Impairer {
    cfg: Impairment,
    rng: SplitMix64,
    /// When the (bandwidth-limited) link finishes sending what is queued.
    busy_until: Duration,
    pub dropped: u64,
    pub duplicated: u64,
}

impl Impairer {
    pub fn new(cfg: Impairment) -> Self {
        Impairer {
            cfg,
            rng: SplitMix64(cfg.seed),
            busy_until: Duration::ZERO,
            dropped: 0,
            duplicated: 0,
        }
    }

    /// When the (bandwidth-limited) link finishes sending what it was given.
    pub fn busy_until(&self) -> Duration {
        self.busy_until
    }

    /// Delivery times of a `len`-byte frame sent at `now`: empty if lost, two if duplicated.
    pub fn schedule(&mut self, now: Duration, len: usize) -> Vec<Duration> {
        // The bytes occupy the link whether or not they arrive.
        let start = now.max(self.busy_until);
        let on_wire = match self.cfg.bandwidth_bytes_per_s {
            Some(bps) if bps > 0 => Duration::from_secs_f64(len as f64 / bps as f64),
            _ => Duration::ZERO,
        };
        self.busy_until = start + on_wire;
        if self.rng.unit() < self.cfg.loss {
            self.dropped += 1;
            return Vec::new();
        }
        let copies = if self.rng.unit() < self.cfg.duplicate {
            self.duplicated += 1;
            2
        } else {
            1
        };
        (0..copies)
            .map(|_| {
                let jitter = self.cfg.jitter.mul_f64(self.rng.unit());
                let hold = if self.rng.unit() < self.cfg.reorder {
                    self.cfg.latency + self.cfg.jitter
                } else {
                    Duration::ZERO
                };
                self.busy_until + self.cfg.latency + jitter + hold
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loss_rate_and_determinism() {
        let cfg = Impairment {
            loss: 0.3,
            duplicate: 0.1,
            ..Impairment::none(9)
        };
        let mut a = Impairer::new(cfg);
        let mut b = Impairer::new(cfg);
        let mut delivered = 0;
        for i in 0..10_000u64 {
            let t = Duration::from_millis(i);
            let da = a.schedule(t, 40);
            assert_eq!(da, b.schedule(t, 40));
            delivered += da.len();
        }
        let lost = a.dropped as f64 / 10_000.0;
        assert!((lost - 0.3).abs() < 0.02, "loss {lost}");
        assert!(delivered > 7_000 && a.duplicated > 500);
    }

    #[test]
    fn bandwidth_queues_frames() {
        let mut imp = Impairer::new(Impairment {
            bandwidth_bytes_per_s: Some(5760),
            ..Impairment::none(1)
        });
        // Ten 576-byte bursts at t=0 take 1 s at 5760 B/s.
        let mut last = Duration::ZERO;
        for _ in 0..10 {
            last = imp.schedule(Duration::ZERO, 576)[0];
        }
        assert!((last.as_secs_f64() - 1.0).abs() < 1e-9);
    }
}
