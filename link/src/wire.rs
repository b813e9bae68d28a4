//! The emulated wire of an impaired link: which frame goes onto a capped (serial-rate) link
//! next, and when each frame arrives. Pure: time comes in as the duration since the link
//! started, so the same logic runs on tokio's (possibly paused) clock in tests and on a
//! precise clock for real sockets.
//!
//! A frame starts on the wire only once the wire is free, so frames waiting for it can
//! still be reordered by priority: an urgent frame (a protocol reply) waits at most for the
//! frame being sent, never behind a queue of telemetry. That is how an autopilot's serial
//! port behaves: ArduPilot answers a mission request at once but writes a telemetry stream
//! only when the port has room for it (`GCS_MAVLINK::update_send`, `HAVE_PAYLOAD_SPACE`), so
//! its streams never pile up ahead of a reply.

use crate::impair::{Impairer, Impairment};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::time::Duration;

/// The frames of one impaired link, from the sender's queue to their arrival.
#[derive(Debug)]
pub struct Wire {
    impairer: Impairer,
    /// Frames waiting for the wire, with the time each was offered: urgent ones first.
    urgent: VecDeque<(Duration, Vec<u8>)>,
    normal: VecDeque<(Duration, Vec<u8>)>,
    /// Frames on their way: arrival time, order of sending (keeps equal times in order).
    in_flight: BinaryHeap<Reverse<(Duration, u64, Vec<u8>)>>,
    sent: u64,
}

impl Wire {
    pub fn new(impairment: Impairment) -> Self {
        Wire {
            impairer: Impairer::new(impairment),
            urgent: VecDeque::new(),
            normal: VecDeque::new(),
            in_flight: BinaryHeap::new(),
            sent: 0,
        }
    }

    /// Frames lost and duplicated so far.
    pub fn dropped(&self) -> u64 {
        self.impairer.dropped
    }

    pub fn duplicated(&self) -> u64 {
        self.impairer.duplicated
    }

    /// Hands a frame to the link at `now`; `urgent` frames go ahead of frames still waiting
    /// for the wire (never ahead of one already on it).
    pub fn offer(&mut self, now: Duration, bytes: Vec<u8>, urgent: bool) {
        let queue = if urgent {
            &mut self.urgent
        } else {
            &mut self.normal
        };
        queue.push_back((now, bytes));
        self.start_waiting(now);
    }

    /// Puts waiting frames onto the wire while it is free at `now`. A frame starts when the
    /// previous one ends (or when it was offered, if later), not when this is called, so a
    /// late wake-up delays no frame.
    fn start_waiting(&mut self, now: Duration) {
        while self.impairer.busy_until() <= now {
            let Some((offered, bytes)) =
                self.urgent.pop_front().or_else(|| self.normal.pop_front())
            else {
                return;
            };
            for at in self.impairer.schedule(offered, bytes.len()) {
                self.sent += 1;
                self.in_flight.push(Reverse((at, self.sent, bytes.clone())));
            }
        }
    }

    /// The frames that have arrived by `now`, in arrival order.
    pub fn arrived(&mut self, now: Duration) -> Vec<Vec<u8>> {
        self.start_waiting(now);
        let mut out = Vec::new();
        while self
            .in_flight
            .peek()
            .is_some_and(|Reverse((t, _, _))| *t <= now)
        {
            if let Some(Reverse((_, _, bytes))) = self.in_flight.pop() {
                out.push(bytes);
            }
            // Arrivals may free the wire for the next waiting frame within the same call.
            self.start_waiting(now);
        }
        out
    }

    /// When something next happens (a frame arrives, or the wire frees for a waiting
    /// frame); `None` when nothing is waiting or in flight.
    pub fn next_event(&self) -> Option<Duration> {
        let arrival = self.in_flight.peek().map(|Reverse((t, _, _))| *t);
        let waiting = !(self.urgent.is_empty() && self.normal.is_empty());
        let free = waiting.then(|| self.impairer.busy_until());
        match (arrival, free) {
            (Some(a), Some(f)) => Some(a.min(f)),
            (a, f) => a.or(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn capped() -> Wire {
        // 1000 B/s: a 10-byte frame takes 10 ms.
        Wire::new(Impairment {
            bandwidth_bytes_per_s: Some(1000),
            ..Impairment::none(1)
        })
    }

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    #[test]
    fn frames_arrive_when_their_last_byte_does() {
        let mut w = capped();
        w.offer(ms(0), vec![1; 10], false);
        w.offer(ms(0), vec![2; 10], false);
        assert_eq!(w.next_event(), Some(ms(10)));
        assert!(w.arrived(ms(9)).is_empty());
        assert_eq!(w.arrived(ms(10)), vec![vec![1; 10]]);
        assert_eq!(w.arrived(ms(20)), vec![vec![2; 10]]);
        assert_eq!(w.next_event(), None);
    }

    #[test]
    fn an_urgent_frame_waits_only_for_the_frame_on_the_wire() {
        let mut w = capped();
        for i in 0..5 {
            w.offer(ms(0), vec![i; 10], false);
        }
        // Offered while frame 0 is on the wire, ahead of frames 1-4.
        w.offer(ms(3), vec![9; 10], true);
        let order: Vec<u8> = (1..=6)
            .flat_map(|k| w.arrived(ms(10 * k)))
            .map(|f| f[0])
            .collect();
        assert_eq!(order, vec![0, 9, 1, 2, 3, 4]);
    }

    #[test]
    fn a_late_wake_up_delays_no_later_frame() {
        let mut w = capped();
        w.offer(ms(0), vec![1; 10], false);
        w.offer(ms(0), vec![2; 10], false);
        // Nobody looked between 10 ms and 25 ms: the second frame still went on at 10 ms
        // and arrived at 20 ms.
        let got = w.arrived(ms(25));
        assert_eq!(got.len(), 2);
        w.offer(ms(25), vec![3; 10], false);
        assert_eq!(w.next_event(), Some(ms(35)));
    }
}
