//! Ground side of a mission upload: `MISSION_COUNT`, answer item requests, wait for the ack.

use super::transfer::Transfer;
use super::{Ids, MissionMsg, MissionResult, ProtocolMsg, Stage, Timeouts};
use super::{TransferError, TransferState};
use crate::mission::{MissionType, RawItem};
use std::time::Duration;

/// Uploads one list (mission, fence or rally) to one vehicle.
///
/// The vehicle drives the transfer by requesting items; the client answers a request for any
/// sequence number, in any order and as often as asked, so duplicated or reordered requests
/// are harmless. On a timeout it re-sends what the vehicle last needed from it (the
/// `MISSION_COUNT`, or the highest item requested), and fails after
/// [`Timeouts::max_retries`] re-sends with no message from the vehicle in between.
#[derive(Debug, Clone)]
pub struct UploadClient {
    transfer: Transfer,
    items: Vec<RawItem>,
    /// Highest sequence number the vehicle has requested (all below it were received).
    highest_requested: Option<u16>,
    items_sent: u64,
}

impl UploadClient {
    /// Starts uploading `items` (sequence number = index) as `mission_type` from `own` to
    /// `vehicle`; returns the client and the `MISSION_COUNT` to send.
    ///
    /// An empty list is a valid upload: it clears that list on the vehicle.
    /// More than `u16::MAX` items cannot be numbered: the client starts failed.
    pub fn start(
        own: Ids,
        vehicle: Ids,
        items: Vec<RawItem>,
        mission_type: MissionType,
        timeouts: Timeouts,
        now: Duration,
    ) -> (UploadClient, Vec<ProtocolMsg>) {
        let mut client = UploadClient {
            transfer: Transfer::new(
                own,
                vehicle,
                mission_type,
                timeouts,
                Stage::AwaitingFirstRequest,
            ),
            items,
            highest_requested: None,
            items_sent: 0,
        };
        if client.items.len() > u16::MAX as usize {
            client.transfer.fail_protocol(format!(
                "{} items cannot be uploaded: MAVLink numbers at most {} items",
                client.items.len(),
                u16::MAX
            ));
            return (client, Vec::new());
        }
        client.transfer.deadline = Some(now + timeouts.default);
        let count = client.count_msg();
        (client, vec![count])
    }

    /// The list being uploaded.
    pub fn mission_type(&self) -> MissionType {
        self.transfer.mission_type
    }

    /// Number of items in the upload.
    pub fn count(&self) -> usize {
        self.items.len()
    }

    pub fn state(&self) -> &TransferState {
        &self.transfer.state
    }

    /// `Some(Ok(()))` when accepted, `Some(Err(..))` when failed, `None` while running.
    pub fn outcome(&self) -> Option<Result<(), TransferError>> {
        self.transfer.outcome(())
    }

    /// Items the vehicle has confirmed receiving: those below its highest request, or all
    /// once it accepted the list.
    pub fn progress(&self) -> usize {
        match self.transfer.state {
            TransferState::Done => self.items.len(),
            _ => self.highest_requested.map_or(0, |s| s as usize),
        }
    }

    /// `MISSION_ITEM_INT` messages sent so far, including re-sends.
    pub fn items_sent(&self) -> u64 {
        self.items_sent
    }

    /// When [`UploadClient::poll`] next has something to do; `None` once finished.
    pub fn next_deadline(&self) -> Option<Duration> {
        self.transfer.next_deadline()
    }

    /// Feeds one received message; returns what to send. Messages from other systems, for
    /// other lists, or after the transfer ended are ignored.
    pub fn handle(&mut self, msg: &ProtocolMsg, now: Duration) -> Vec<ProtocolMsg> {
        if !self.transfer.hears(msg) {
            return Vec::new();
        }
        let own_list = self.transfer.mission_type;
        match msg.msg {
            MissionMsg::RequestInt { mission_type, seq }
            | MissionMsg::Request { mission_type, seq }
                if mission_type == own_list =>
            {
                self.on_request(seq, now)
            }
            MissionMsg::Ack {
                mission_type,
                result,
                ..
            } if mission_type == own_list => {
                self.on_ack(result);
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    /// Cancels the transfer: returns the `MISSION_ACK(OPERATION_CANCELLED)` that tells the
    /// vehicle to stop (worth sending after a timeout too, so a vehicle still waiting gives
    /// up at once), and marks the transfer cancelled if it was still running.
    pub fn cancel(&mut self) -> Vec<ProtocolMsg> {
        self.transfer.cancel()
    }

    /// Handles timeouts; call when `now >= next_deadline()` (earlier calls do nothing).
    pub fn poll(&mut self, now: Duration) -> Vec<ProtocolMsg> {
        let Some(stage) = self.transfer.expire(now) else {
            return Vec::new();
        };
        // Re-send what the vehicle last asked for: the count, or the highest item requested
        // (its answer is what it waits for; earlier items it already has).
        match (stage, self.highest_requested) {
            (Stage::AwaitingFirstRequest, _) | (_, None) => {
                self.transfer.deadline = Some(now + self.transfer.timeouts.default);
                vec![self.count_msg()]
            }
            (_, Some(seq)) => self.send_item(seq, now),
        }
    }

    fn on_request(&mut self, seq: u16, now: Duration) -> Vec<ProtocolMsg> {
        let count = self.items.len();
        if seq as usize >= count {
            self.transfer.fail_protocol(format!(
                "vehicle requested item {seq} but the list has {count} items"
            ));
            return Vec::new();
        }
        // Any request shows the vehicle is working on this transfer.
        self.transfer.retries = 0;
        if self.highest_requested.is_none_or(|h| seq > h) {
            self.highest_requested = Some(seq);
        }
        self.send_item(seq, now)
    }

    fn send_item(&mut self, seq: u16, now: Duration) -> Vec<ProtocolMsg> {
        let Some(item) = self.items.get(seq as usize).copied() else {
            return Vec::new();
        };
        let highest = self.highest_requested.unwrap_or(0);
        // Waiting for the ack once the last item has been requested, else for the next
        // request (a stale request for an earlier item changes neither).
        let timeouts = self.transfer.timeouts;
        let (stage, timeout) = if highest as usize + 1 == self.items.len() {
            (Stage::AwaitingAck, timeouts.default)
        } else {
            let next_seq = highest.saturating_add(1);
            (Stage::AwaitingRequest { next_seq }, timeouts.item)
        };
        self.transfer.wait(stage, now + timeout);
        self.items_sent += 1;
        vec![self.transfer.to_vehicle(MissionMsg::ItemInt {
            mission_type: self.transfer.mission_type,
            seq,
            current: false,
            item,
        })]
    }

    fn on_ack(&mut self, result: MissionResult) {
        if result == MissionResult::Accepted {
            let all_sent = self.items.is_empty()
                || self.highest_requested.map(|h| h as usize + 1) == Some(self.items.len());
            // An ACCEPTED before every item was requested can only be a stale ack of an
            // earlier transfer (duplicated or delayed on the link): ignore it.
            if all_sent {
                self.transfer.finish();
            }
            return;
        }
        self.transfer.reject(result, self.items.len());
    }

    fn count_msg(&self) -> ProtocolMsg {
        self.transfer.to_vehicle(MissionMsg::Count {
            mission_type: self.transfer.mission_type,
            count: self.items.len() as u16,
            opaque_id: 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GCS: Ids = Ids::new(255, 190);
    const VEHICLE: Ids = Ids::new(1, 1);

    fn item(i: usize) -> RawItem {
        RawItem {
            frame: 3,
            command: 16,
            params: [0.0, 0.0, 0.0, f32::NAN],
            lat_deg: 27.0 + i as f64 * 1e-4,
            lon_deg: 106.9,
            alt_m: 80.0,
            autocontinue: true,
        }
    }

    fn from_vehicle(msg: MissionMsg) -> ProtocolMsg {
        ProtocolMsg {
            source: VEHICLE,
            target: GCS,
            msg,
        }
    }

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    fn req(seq: u16) -> ProtocolMsg {
        from_vehicle(MissionMsg::RequestInt {
            mission_type: MissionType::Mission,
            seq,
        })
    }

    fn start(n: usize) -> (UploadClient, Vec<ProtocolMsg>) {
        let items = (0..n).map(item).collect();
        UploadClient::start(
            GCS,
            VEHICLE,
            items,
            MissionType::Mission,
            Timeouts::default(),
            ms(0),
        )
    }

    #[test]
    fn count_is_resent_five_times_then_times_out() {
        let (mut c, out) = start(3);
        assert!(matches!(out[0].msg, MissionMsg::Count { count: 3, .. }));
        let mut resent = 0;
        let mut t = ms(0);
        while let Some(d) = c.next_deadline() {
            t = d;
            let out = c.poll(t);
            resent += out.len();
        }
        assert_eq!(resent, 5);
        assert_eq!(t, ms(1500 * 6));
        match c.state() {
            TransferState::Failed(TransferError::Timeout { stage, retries, .. }) => {
                assert_eq!(*stage, Stage::AwaitingFirstRequest);
                assert_eq!(*retries, 5);
            }
            s => panic!("unexpected {s:?}"),
        }
    }

    #[test]
    fn answers_requests_in_any_order_and_repeats() {
        let (mut c, _) = start(3);
        for seq in [2u16, 0, 0, 1, 2] {
            let out = c.handle(&req(seq), ms(10));
            match out.as_slice() {
                [ProtocolMsg {
                    msg:
                        MissionMsg::ItemInt {
                            seq: s, item: it, ..
                        },
                    ..
                }] => {
                    assert_eq!(*s, seq);
                    assert!(it.same_on_wire(&item(seq as usize)));
                }
                o => panic!("unexpected {o:?}"),
            }
        }
        // Legacy MISSION_REQUEST is answered with MISSION_ITEM_INT too.
        let out = c.handle(
            &from_vehicle(MissionMsg::Request {
                mission_type: MissionType::Mission,
                seq: 1,
            }),
            ms(20),
        );
        assert!(matches!(out[0].msg, MissionMsg::ItemInt { seq: 1, .. }));
        assert_eq!(c.progress(), 2);
    }

    #[test]
    fn stale_accept_is_ignored_and_real_one_finishes() {
        let (mut c, _) = start(2);
        let ack = from_vehicle(MissionMsg::Ack {
            mission_type: MissionType::Mission,
            result: MissionResult::Accepted,
            opaque_id: 0,
        });
        c.handle(&req(0), ms(1));
        c.handle(&ack, ms(2));
        assert!(!c.state().is_finished());
        c.handle(&req(1), ms(3));
        c.handle(&ack, ms(4));
        assert_eq!(c.state(), &TransferState::Done);
        assert_eq!(c.progress(), 2);
    }

    #[test]
    fn no_space_is_a_clear_error() {
        let (mut c, _) = start(5);
        c.handle(
            &from_vehicle(MissionMsg::Ack {
                mission_type: MissionType::Mission,
                result: MissionResult::NoSpace,
                opaque_id: 0,
            }),
            ms(5),
        );
        let err = c.outcome().unwrap().unwrap_err();
        assert_eq!(
            err.to_string(),
            "mission transfer rejected with MAV_MISSION_NO_SPACE: vehicle has no space for 5 mission items"
        );
    }

    #[test]
    fn ignores_other_systems_and_lists() {
        let (mut c, _) = start(2);
        let mut other = req(0);
        other.source = Ids::new(2, 1);
        assert!(c.handle(&other, ms(1)).is_empty());
        let fence = from_vehicle(MissionMsg::RequestInt {
            mission_type: MissionType::Fence,
            seq: 0,
        });
        assert!(c.handle(&fence, ms(1)).is_empty());
    }

    #[test]
    fn request_beyond_the_list_is_a_protocol_error() {
        let (mut c, _) = start(2);
        c.handle(&req(7), ms(1));
        assert!(matches!(
            c.state(),
            TransferState::Failed(TransferError::Protocol { .. })
        ));
    }

    #[test]
    fn item_timeout_resends_last_item_and_a_request_resets_retries() {
        let (mut c, _) = start(3);
        c.handle(&req(0), ms(0));
        assert_eq!(c.next_deadline(), Some(ms(250)));
        let out = c.poll(ms(250));
        assert!(matches!(out[0].msg, MissionMsg::ItemInt { seq: 0, .. }));
        c.handle(&req(1), ms(300));
        c.handle(&req(2), ms(310));
        // Last item sent: waiting for the ack with the longer timeout.
        assert_eq!(c.state(), &TransferState::Running(Stage::AwaitingAck));
        assert_eq!(c.next_deadline(), Some(ms(1810)));
    }
}
