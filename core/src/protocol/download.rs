//! Ground side of a mission download: `MISSION_REQUEST_LIST`, then each item in order.

use super::transfer::Transfer;
use super::{Ids, MissionMsg, MissionResult, ProtocolMsg, Stage, Timeouts};
use super::{TransferError, TransferState};
use crate::mission::{MissionType, RawItem};
use std::time::Duration;

/// Downloads one list from one vehicle. Items are requested one at a time, in order, with
/// `MISSION_REQUEST_INT`; duplicates and items other than the one requested are ignored, and
/// a request is re-sent on timeout. When every item is in, the client sends
/// `MISSION_ACK(ACCEPTED)` and is done.
#[derive(Debug, Clone)]
pub struct DownloadClient {
    transfer: Transfer,
    count: Option<u16>,
    opaque_id: u32,
    items: Vec<RawItem>,
}

impl DownloadClient {
    /// Starts downloading `mission_type` from `vehicle`; returns the client and the
    /// `MISSION_REQUEST_LIST` to send.
    pub fn start(
        own: Ids,
        vehicle: Ids,
        mission_type: MissionType,
        timeouts: Timeouts,
        now: Duration,
    ) -> (DownloadClient, Vec<ProtocolMsg>) {
        let mut transfer =
            Transfer::new(own, vehicle, mission_type, timeouts, Stage::AwaitingCount);
        transfer.deadline = Some(now + timeouts.default);
        let client = DownloadClient {
            transfer,
            count: None,
            opaque_id: 0,
            items: Vec::new(),
        };
        let first = client.request_list();
        (client, vec![first])
    }

    pub fn mission_type(&self) -> MissionType {
        self.transfer.mission_type
    }

    pub fn state(&self) -> &TransferState {
        &self.transfer.state
    }

    /// The item count the vehicle announced, once known.
    pub fn count(&self) -> Option<usize> {
        self.count.map(usize::from)
    }

    /// The vehicle's opaque id of the list (`MISSION_COUNT.opaque_id`; 0 = not supported).
    pub fn opaque_id(&self) -> u32 {
        self.opaque_id
    }

    /// Items received so far (in order).
    pub fn progress(&self) -> usize {
        self.items.len()
    }

    /// The downloaded items once done, the error once failed, `None` while running.
    pub fn outcome(&self) -> Option<Result<&[RawItem], TransferError>> {
        self.transfer.outcome(self.items.as_slice())
    }

    /// Takes the downloaded items (empty unless done).
    pub fn into_items(self) -> Vec<RawItem> {
        match self.transfer.state {
            TransferState::Done => self.items,
            _ => Vec::new(),
        }
    }

    pub fn next_deadline(&self) -> Option<Duration> {
        self.transfer.next_deadline()
    }

    /// Feeds one received message; returns what to send.
    pub fn handle(&mut self, msg: &ProtocolMsg, now: Duration) -> Vec<ProtocolMsg> {
        if !self.transfer.hears(msg) {
            return Vec::new();
        }
        let own_list = self.transfer.mission_type;
        match msg.msg {
            MissionMsg::Count {
                mission_type,
                count,
                opaque_id,
            } if mission_type == own_list && self.count.is_none() => {
                self.count = Some(count);
                self.opaque_id = opaque_id;
                self.items = Vec::with_capacity(count as usize);
                self.transfer.retries = 0;
                self.next(now)
            }
            MissionMsg::ItemInt {
                mission_type,
                seq,
                item,
                ..
            } if mission_type == own_list
                && self.count.is_some()
                && seq as usize == self.items.len() =>
            {
                self.items.push(item);
                self.transfer.retries = 0;
                self.next(now)
            }
            MissionMsg::Ack {
                mission_type,
                result,
                ..
            } if mission_type == own_list && result != MissionResult::Accepted => {
                self.transfer
                    .reject(result, self.count.map_or(0, usize::from));
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

    /// Handles timeouts; call when `now >= next_deadline()`.
    pub fn poll(&mut self, now: Duration) -> Vec<ProtocolMsg> {
        let Some(stage) = self.transfer.expire(now) else {
            return Vec::new();
        };
        let timeouts = self.transfer.timeouts;
        match stage {
            Stage::AwaitingItem { seq } => {
                self.transfer.deadline = Some(now + timeouts.item);
                vec![self.request_item(seq)]
            }
            _ => {
                self.transfer.deadline = Some(now + timeouts.default);
                vec![self.request_list()]
            }
        }
    }

    /// Requests the next item, or acknowledges the complete list.
    fn next(&mut self, now: Duration) -> Vec<ProtocolMsg> {
        let count = self.count.map_or(0, usize::from);
        if self.items.len() >= count {
            self.transfer.finish();
            return vec![self.transfer.to_vehicle(MissionMsg::Ack {
                mission_type: self.transfer.mission_type,
                result: MissionResult::Accepted,
                opaque_id: self.opaque_id,
            })];
        }
        let seq = self.items.len() as u16;
        self.transfer.wait(
            Stage::AwaitingItem { seq },
            now + self.transfer.timeouts.item,
        );
        vec![self.request_item(seq)]
    }

    fn request_item(&self, seq: u16) -> ProtocolMsg {
        self.transfer.to_vehicle(MissionMsg::RequestInt {
            mission_type: self.transfer.mission_type,
            seq,
        })
    }

    fn request_list(&self) -> ProtocolMsg {
        self.transfer.to_vehicle(MissionMsg::RequestList {
            mission_type: self.transfer.mission_type,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GCS: Ids = Ids::new(255, 190);
    const VEHICLE: Ids = Ids::new(1, 1);

    fn from_vehicle(msg: MissionMsg) -> ProtocolMsg {
        ProtocolMsg {
            source: VEHICLE,
            target: GCS,
            msg,
        }
    }

    fn item(i: u16) -> RawItem {
        RawItem {
            frame: 3,
            command: 16,
            params: [0.0; 4],
            lat_deg: i as f64,
            lon_deg: 0.0,
            alt_m: 10.0,
            autocontinue: true,
        }
    }

    #[test]
    fn downloads_in_order_ignoring_duplicates_and_strays() {
        let t = Duration::ZERO;
        let (mut c, out) =
            DownloadClient::start(GCS, VEHICLE, MissionType::Rally, Timeouts::default(), t);
        assert!(matches!(out[0].msg, MissionMsg::RequestList { .. }));
        let out = c.handle(
            &from_vehicle(MissionMsg::Count {
                mission_type: MissionType::Rally,
                count: 2,
                opaque_id: 7,
            }),
            t,
        );
        assert!(matches!(out[0].msg, MissionMsg::RequestInt { seq: 0, .. }));
        let it = |seq| {
            from_vehicle(MissionMsg::ItemInt {
                mission_type: MissionType::Rally,
                seq,
                current: false,
                item: item(seq),
            })
        };
        assert!(c.handle(&it(1), t).is_empty(), "out of order is ignored");
        assert_eq!(c.handle(&it(0), t).len(), 1);
        assert!(c.handle(&it(0), t).is_empty(), "duplicate is ignored");
        let out = c.handle(&it(1), t);
        assert!(matches!(
            out[0].msg,
            MissionMsg::Ack {
                result: MissionResult::Accepted,
                opaque_id: 7,
                ..
            }
        ));
        assert_eq!(c.opaque_id(), 7);
        let items = c.outcome().unwrap().unwrap().to_vec();
        assert_eq!(items.len(), 2);
        assert!(items[1].same_on_wire(&item(1)));
    }

    #[test]
    fn silent_vehicle_times_out_after_retries() {
        let (mut c, _) = DownloadClient::start(
            GCS,
            VEHICLE,
            MissionType::Mission,
            Timeouts::default(),
            Duration::ZERO,
        );
        let mut sent = 0;
        while let Some(d) = c.next_deadline() {
            sent += c.poll(d).len();
        }
        assert_eq!(sent, 5);
        assert!(matches!(
            c.state(),
            TransferState::Failed(TransferError::Timeout {
                stage: Stage::AwaitingCount,
                ..
            })
        ));
    }

    #[test]
    fn empty_list_acks_at_once() {
        let t = Duration::ZERO;
        let (mut c, _) =
            DownloadClient::start(GCS, VEHICLE, MissionType::Fence, Timeouts::default(), t);
        let out = c.handle(
            &from_vehicle(MissionMsg::Count {
                mission_type: MissionType::Fence,
                count: 0,
                opaque_id: 0,
            }),
            t,
        );
        assert!(matches!(out[0].msg, MissionMsg::Ack { .. }));
        assert_eq!(c.state(), &TransferState::Done);
    }
}
