//! The bookkeeping the two ground-side clients share: who talks to whom about which list,
//! where the transfer is, and when it next times out.
//!
//! Why one type: upload and download differ in what they send and when they advance, but
//! they must agree exactly on the rules around that (silence fails after
//! [`Timeouts::max_retries`] re-sends, cancel always tells the vehicle, an error ack ends the
//! transfer), and those rules are easiest to keep in step when written once.

use super::{list_name, Ids, MissionMsg, MissionResult, ProtocolMsg, Stage, Timeouts};
use super::{TransferError, TransferState};
use crate::mission::MissionType;
use std::time::Duration;

/// One transfer of one list between us (`own`) and one vehicle.
#[derive(Debug, Clone)]
pub(super) struct Transfer {
    pub(super) own: Ids,
    pub(super) vehicle: Ids,
    pub(super) mission_type: MissionType,
    pub(super) timeouts: Timeouts,
    pub(super) state: TransferState,
    /// Re-sends since the vehicle was last heard from on this transfer.
    pub(super) retries: u32,
    /// When the current wait times out; `None` once finished.
    pub(super) deadline: Option<Duration>,
}

impl Transfer {
    /// A running transfer at `stage` with no deadline yet.
    pub(super) fn new(
        own: Ids,
        vehicle: Ids,
        mission_type: MissionType,
        timeouts: Timeouts,
        stage: Stage,
    ) -> Transfer {
        Transfer {
            own,
            vehicle,
            mission_type,
            timeouts,
            state: TransferState::Running(stage),
            retries: 0,
            deadline: None,
        }
    }

    /// When the client's `poll` next has something to do; `None` once finished.
    pub(super) fn next_deadline(&self) -> Option<Duration> {
        match self.state {
            TransferState::Running(_) => self.deadline,
            _ => None,
        }
    }

    /// `Some(Ok(done))` when done, `Some(Err(..))` when failed, `None` while running.
    pub(super) fn outcome<T>(&self, done: T) -> Option<Result<T, TransferError>> {
        match &self.state {
            TransferState::Running(_) => None,
            TransferState::Done => Some(Ok(done)),
            TransferState::Failed(e) => Some(Err(e.clone())),
        }
    }

    /// Whether `msg` is for this transfer while it runs: from our vehicle, addressed to us.
    /// (Which list it is about is the client's check: the messages differ.)
    pub(super) fn hears(&self, msg: &ProtocolMsg) -> bool {
        !self.state.is_finished() && msg.source == self.vehicle && self.own.accepts(msg.target)
    }

    /// `msg` from us to the vehicle.
    pub(super) fn to_vehicle(&self, msg: MissionMsg) -> ProtocolMsg {
        ProtocolMsg {
            source: self.own,
            target: self.vehicle,
            msg,
        }
    }

    /// Moves on to waiting at `stage` until `deadline`.
    pub(super) fn wait(&mut self, stage: Stage, deadline: Duration) {
        self.state = TransferState::Running(stage);
        self.deadline = Some(deadline);
    }

    /// Ends the transfer successfully.
    pub(super) fn finish(&mut self) {
        self.state = TransferState::Done;
        self.deadline = None;
    }

    /// Ends the transfer with `error`.
    pub(super) fn fail(&mut self, error: TransferError) {
        self.state = TransferState::Failed(error);
        self.deadline = None;
    }

    /// Ends the transfer because the vehicle broke the protocol (`message` says how).
    pub(super) fn fail_protocol(&mut self, message: String) {
        self.fail(TransferError::Protocol {
            list: list_name(self.mission_type),
            message,
        });
    }

    /// Ends the transfer because the vehicle answered with the error ack `result`; `count` is
    /// the number of items of the list, for the explanation.
    pub(super) fn reject(&mut self, result: MissionResult, count: usize) {
        self.fail(TransferError::Rejected {
            list: list_name(self.mission_type),
            result,
            message: result.explain(count, self.mission_type),
        });
    }

    /// Cancels the transfer: returns the `MISSION_ACK(OPERATION_CANCELLED)` that tells the
    /// vehicle to stop, and marks the transfer cancelled if it was still running.
    pub(super) fn cancel(&mut self) -> Vec<ProtocolMsg> {
        if !self.state.is_finished() {
            self.fail(TransferError::Cancelled {
                list: list_name(self.mission_type),
            });
        }
        vec![self.to_vehicle(MissionMsg::Ack {
            mission_type: self.mission_type,
            result: MissionResult::OperationCancelled,
            opaque_id: 0,
        })]
    }

    /// The timeout half of `poll`: when the transfer runs and its deadline has passed, either
    /// fails it with [`TransferError::Timeout`] (retry budget spent) or counts one more retry
    /// and returns the stage whose message the client must re-send (and set a new deadline
    /// for). `None` when there is nothing to re-send.
    pub(super) fn expire(&mut self, now: Duration) -> Option<Stage> {
        let TransferState::Running(stage) = self.state else {
            return None;
        };
        match self.deadline {
            Some(deadline) if now >= deadline => {}
            _ => return None,
        }
        if self.retries >= self.timeouts.max_retries {
            self.fail(TransferError::Timeout {
                list: list_name(self.mission_type),
                stage,
                retries: self.retries,
            });
            return None;
        }
        self.retries += 1;
        Some(stage)
    }
}
