//! MAV_CMD_SET_MESSAGE_INTERVAL requests, one at a time, each confirmed by COMMAND_ACK.
//!
//! COMMAND_ACK names the command but not its parameters, so with several requests in
//! flight an ACK could not be matched to its message id. Sending one at a time (as MAVSDK
//! does) makes every ACK unambiguous; with four messages and a healthy link the whole round
//! takes four round trips. Without I/O: the caller sends what [`IntervalRequester::poll`]
//! returns and feeds ACKs in.

use qly_core::protocol::Ids;
use qly_link::dialect::{MavCmd, MavMessage, MavResult, COMMAND_ACK_DATA, COMMAND_LONG_DATA};
use std::time::Duration;

/// Where one request stands.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum IntervalOutcome {
    /// Not answered yet (or not sent yet).
    Pending,
    Accepted,
    /// Refused with this result (DENIED: the autopilot cannot send that message).
    Refused(MavResult),
    /// No COMMAND_ACK after every attempt.
    NoAnswer,
}

/// One message's request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IntervalStatus {
    pub message_id: u32,
    pub interval_us: i32,
    pub outcome: IntervalOutcome,
    /// Sends so far in this round.
    pub attempts: u32,
}

/// A request that just finished, for the log.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Finished {
    pub message_id: u32,
    pub outcome: IntervalOutcome,
}

/// Sends the interval requests of one round, sequentially, with retries.
#[derive(Debug, Clone)]
pub struct IntervalRequester {
    items: Vec<IntervalStatus>,
    current: Option<usize>,
    deadline: Duration,
    timeout: Duration,
    max_attempts: u32,
    target: Option<Ids>,
}

impl IntervalRequester {
    /// `requests`: (message id, interval µs).
    pub fn new(requests: &[(u32, i32)], timeout: Duration, max_attempts: u32) -> Self {
        IntervalRequester {
            items: requests
                .iter()
                .map(|&(message_id, interval_us)| IntervalStatus {
                    message_id,
                    interval_us,
                    outcome: IntervalOutcome::Pending,
                    attempts: 0,
                })
                .collect(),
            current: None,
            deadline: Duration::ZERO,
            timeout,
            max_attempts: max_attempts.max(1),
            target: None,
        }
    }

    /// Starts a new round towards `target` (first contact, link regained, reboot).
    pub fn start(&mut self, target: Ids) {
        for s in &mut self.items {
            s.outcome = IntervalOutcome::Pending;
            s.attempts = 0;
        }
        self.current = None;
        self.target = Some(target);
    }

    /// Abandons the round (link lost); statuses keep what was learnt.
    pub fn stop(&mut self) {
        self.current = None;
        self.target = None;
    }

    pub fn statuses(&self) -> &[IntervalStatus] {
        &self.items
    }

    /// Every request of the round has an outcome.
    pub fn done(&self) -> bool {
        self.items
            .iter()
            .all(|s| s.outcome != IntervalOutcome::Pending)
    }

    /// What to send at `now` (a monotonic time), plus a request that just gave up.
    pub fn poll(&mut self, now: Duration) -> (Option<MavMessage>, Option<Finished>) {
        let Some(target) = self.target else {
            return (None, None);
        };
        let mut finished = None;
        if let Some(i) = self.current {
            if now < self.deadline {
                return (None, None);
            }
            if self.items[i].attempts < self.max_attempts {
                return (Some(self.send(i, target, now)), None);
            }
            if self.items[i].outcome == IntervalOutcome::Pending {
                self.items[i].outcome = IntervalOutcome::NoAnswer;
            }
            finished = Some(Finished {
                message_id: self.items[i].message_id,
                outcome: self.items[i].outcome,
            });
            self.current = None;
        }
        match self
            .items
            .iter()
            .position(|s| s.outcome == IntervalOutcome::Pending)
        {
            Some(i) => {
                self.current = Some(i);
                (Some(self.send(i, target, now)), finished)
            }
            None => (None, finished),
        }
    }

    fn send(&mut self, i: usize, target: Ids, now: Duration) -> MavMessage {
        let s = &mut self.items[i];
        let confirmation = s.attempts.min(255) as u8;
        s.attempts += 1;
        self.deadline = now + self.timeout;
        MavMessage::COMMAND_LONG(COMMAND_LONG_DATA {
            param1: s.message_id as f32,
            param2: s.interval_us as f32,
            command: MavCmd::MAV_CMD_SET_MESSAGE_INTERVAL,
            target_system: target.system,
            target_component: target.component,
            confirmation,
            ..COMMAND_LONG_DATA::default()
        })
    }

    /// A COMMAND_ACK from the target (the caller checks who sent it and to whom).
    pub fn on_ack(&mut self, ack: &COMMAND_ACK_DATA, now: Duration) -> Option<Finished> {
        if ack.command != MavCmd::MAV_CMD_SET_MESSAGE_INTERVAL {
            return None;
        }
        let i = self.current?;
        let outcome = match ack.result {
            MavResult::MAV_RESULT_ACCEPTED => IntervalOutcome::Accepted,
            MavResult::MAV_RESULT_IN_PROGRESS => {
                self.deadline = now + self.timeout;
                return None;
            }
            // Try again at the deadline (poll resends while attempts remain).
            MavResult::MAV_RESULT_TEMPORARILY_REJECTED => {
                if self.items[i].attempts < self.max_attempts {
                    return None;
                }
                IntervalOutcome::Refused(ack.result)
            }
            other => IntervalOutcome::Refused(other),
        };
        self.items[i].outcome = outcome;
        self.current = None;
        Some(Finished {
            message_id: self.items[i].message_id,
            outcome,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ack(result: MavResult) -> COMMAND_ACK_DATA {
        COMMAND_ACK_DATA {
            command: MavCmd::MAV_CMD_SET_MESSAGE_INTERVAL,
            result,
            ..COMMAND_ACK_DATA::default()
        }
    }

    fn param1(m: &MavMessage) -> f32 {
        match m {
            MavMessage::COMMAND_LONG(c) => c.param1,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn one_at_a_time_with_retries_and_refusals() {
        let ms = Duration::from_millis;
        let mut r =
            IntervalRequester::new(&[(33, 100_000), (30, 50_000), (24, 500_000)], ms(100), 2);
        assert_eq!(r.poll(ms(0)), (None, None), "no target yet");
        r.start(Ids::new(1, 1));
        let (m, _) = r.poll(ms(0));
        assert_eq!(param1(&m.unwrap()), 33.0);
        assert_eq!(r.poll(ms(50)), (None, None), "waits for the ack");
        // Timeout: the same request again, confirmation 1.
        let (m, _) = r.poll(ms(100));
        match m.unwrap() {
            MavMessage::COMMAND_LONG(c) => assert_eq!((c.param1, c.confirmation), (33.0, 1)),
            other => panic!("{other:?}"),
        }
        let f = r
            .on_ack(&ack(MavResult::MAV_RESULT_ACCEPTED), ms(120))
            .unwrap();
        assert_eq!(f.outcome, IntervalOutcome::Accepted);
        let (m, _) = r.poll(ms(120));
        assert_eq!(param1(&m.unwrap()), 30.0);
        let f = r
            .on_ack(&ack(MavResult::MAV_RESULT_DENIED), ms(130))
            .unwrap();
        assert_eq!(
            f.outcome,
            IntervalOutcome::Refused(MavResult::MAV_RESULT_DENIED)
        );
        let (m, _) = r.poll(ms(130));
        assert_eq!(param1(&m.unwrap()), 24.0);
        assert!(r.poll(ms(230)).0.is_some());
        // Second timeout: gives up.
        let (m, f) = r.poll(ms(330));
        assert!(m.is_none());
        assert_eq!(f.unwrap().outcome, IntervalOutcome::NoAnswer);
        assert!(r.done());
        // A new round starts over.
        r.start(Ids::new(1, 1));
        assert!(!r.done());
        assert_eq!(param1(&r.poll(ms(400)).0.unwrap()), 33.0);
    }
}
