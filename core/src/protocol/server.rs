//! Vehicle side of the mission protocol: stores the mission, fence and rally lists and serves
//! uploads, downloads, clear-all and set-current (what an autopilot does; used by the sim).

use super::{type_index, Autopilot, Ids, MissionMsg, MissionResult, ProtocolMsg, Timeouts};
use crate::mission::{MissionType, RawItem};
use std::time::Duration;

/// Limits and timeouts of a [`MissionServer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerConfig {
    /// Most items each list may hold, indexed mission, fence, rally; a larger
    /// `MISSION_COUNT` is refused with `MAV_MISSION_NO_SPACE`.
    pub capacity: [usize; 3],
    pub timeouts: Timeouts,
    /// Whose storage rules the received items go through ([`Autopilot::stored_form`]): a
    /// download returns them as that autopilot would.
    pub autopilot: Autopilot,
}

impl Default for ServerConfig {
    /// Capacities in the range of an ArduPilot board with a microSD card (mission 5000,
    /// fence 256, rally 100), the spec's timeouts, items kept as received.
    fn default() -> Self {
        ServerConfig {
            capacity: [5000, 256, 100],
            timeouts: Timeouts::default(),
            autopilot: Autopilot::Verbatim,
        }
    }
}

impl ServerConfig {
    pub fn capacity(&self, mission_type: MissionType) -> usize {
        self.capacity[type_index(mission_type)]
    }
}

/// What happened on the vehicle side, for the sim to act on and tests to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerEvent {
    /// A complete upload replaced a list.
    ListReplaced {
        mission_type: MissionType,
        count: usize,
        opaque_id: u32,
    },
    /// A list was emptied (`MISSION_CLEAR_ALL`, or an upload of zero items).
    ListCleared { mission_type: MissionType },
    /// An upload stopped before completion (peer silent, cancelled or superseded); the old
    /// list is kept.
    UploadAbandoned {
        mission_type: MissionType,
        received: usize,
        count: usize,
    },
    /// An upload was refused at `MISSION_COUNT`.
    UploadRejected {
        mission_type: MissionType,
        count: usize,
        result: MissionResult,
    },
    /// The current mission item changed.
    CurrentChanged { seq: u16 },
    /// `MISSION_SET_CURRENT` named an item that does not exist.
    SetCurrentRejected { seq: u16, mission_len: usize },
}

#[derive(Debug, Clone)]
struct Receiving {
    source: Ids,
    mission_type: MissionType,
    count: u16,
    items: Vec<RawItem>,
    retries: u32,
    deadline: Duration,
    last_request_at: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Completed {
    source: Ids,
    mission_type: MissionType,
    count: u16,
}

/// The vehicle's mission store and protocol server.
///
/// Uploads are received strictly in order: the server requests item `n`, stores it when it
/// arrives, then requests `n + 1`; items other than the one requested are dropped (a late
/// duplicate of an earlier item or an out-of-sequence item prompts a re-request, at most
/// twice per item timeout). The list being replaced stays in place until the last item
/// arrives, so the vehicle holds the old list or the complete new one, never a mix.
/// Downloads are served statelessly: any request for an existing item is answered.
#[derive(Debug, Clone)]
pub struct MissionServer {
    own: Ids,
    config: ServerConfig,
    lists: [Vec<RawItem>; 3],
    opaque_ids: [u32; 3],
    current_seq: u16,
    receiving: Option<Receiving>,
    completed: Option<Completed>,
    events: Vec<ServerEvent>,
}

impl MissionServer {
    /// An empty vehicle with address `own` (usually system 1, component 1).
    pub fn new(own: Ids, config: ServerConfig) -> Self {
        MissionServer {
            own,
            config,
            lists: [Vec::new(), Vec::new(), Vec::new()],
            opaque_ids: [0; 3],
            current_seq: 0,
            receiving: None,
            completed: None,
            events: Vec::new(),
        }
    }

    pub fn ids(&self) -> Ids {
        self.own
    }

    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// The stored list (mission item 0 is home).
    pub fn list(&self, mission_type: MissionType) -> &[RawItem] {
        &self.lists[type_index(mission_type)]
    }

    /// Replaces a list directly (a vehicle that booted with a stored mission).
    pub fn set_list(&mut self, mission_type: MissionType, items: Vec<RawItem>) {
        let i = type_index(mission_type);
        self.opaque_ids[i] = opaque_id(&items);
        self.lists[i] = items;
        if mission_type == MissionType::Mission {
            self.current_seq = 0;
        }
    }

    /// Replaces mission item 0 (home), as ArduPilot does when it sets home; no-op while the
    /// mission is empty.
    pub fn set_home(&mut self, home: RawItem) {
        if let Some(first) = self.lists[0].first_mut() {
            *first = home;
        }
    }

    /// The opaque id of a stored list (a hash of its items; 0 when empty).
    pub fn opaque_id(&self, mission_type: MissionType) -> u32 {
        self.opaque_ids[type_index(mission_type)]
    }

    /// The current mission item (the one being flown to).
    pub fn current_seq(&self) -> u16 {
        self.current_seq
    }

    /// Makes `seq` current (the sim calls this as it advances); `false` if no such item.
    pub fn set_current(&mut self, seq: u16) -> bool {
        if (seq as usize) < self.lists[0].len() {
            if self.current_seq != seq {
                self.current_seq = seq;
                self.events.push(ServerEvent::CurrentChanged { seq });
            }
            true
        } else {
            false
        }
    }

    /// A `MISSION_CURRENT` broadcast describing the current item.
    pub fn current_msg(&self) -> ProtocolMsg {
        ProtocolMsg {
            source: self.own,
            target: Ids::BROADCAST,
            msg: MissionMsg::Current {
                seq: self.current_seq,
                total: self.lists[0].len().min(u16::MAX as usize) as u16,
                mission_id: self.opaque_ids[0],
            },
        }
    }

    /// Whether an upload is being received.
    pub fn is_receiving(&self) -> bool {
        self.receiving.is_some()
    }

    /// Events since the last call.
    pub fn take_events(&mut self) -> Vec<ServerEvent> {
        std::mem::take(&mut self.events)
    }

    /// When [`MissionServer::poll`] next has something to do.
    pub fn next_deadline(&self) -> Option<Duration> {
        self.receiving.as_ref().map(|r| r.deadline)
    }

    /// Re-requests a missing item after a timeout, or abandons the upload after
    /// [`Timeouts::max_retries`] re-requests.
    pub fn poll(&mut self, now: Duration) -> Vec<ProtocolMsg> {
        let Some(r) = self.receiving.as_mut() else {
            return Vec::new();
        };
        if now < r.deadline {
            return Vec::new();
        }
        if r.retries >= self.config.timeouts.max_retries {
            self.abandon();
            return Vec::new();
        }
        r.retries += 1;
        let (source, mission_type, seq) = (r.source, r.mission_type, r.items.len() as u16);
        r.deadline = now + self.config.timeouts.item;
        r.last_request_at = now;
        vec![self.request(source, mission_type, seq)]
    }

    /// Feeds one received message; returns the replies.
    pub fn handle(&mut self, msg: &ProtocolMsg, now: Duration) -> Vec<ProtocolMsg> {
        if !self.own.accepts(msg.target) {
            return Vec::new();
        }
        let src = msg.source;
        match msg.msg {
            MissionMsg::Count {
                mission_type,
                count,
                ..
            } => self.on_count(src, mission_type, count, now),
            MissionMsg::ItemInt {
                mission_type,
                seq,
                item,
                ..
            } => self.on_item(src, mission_type, seq, item, now),
            MissionMsg::RequestList { mission_type } => {
                self.cancel_from(src);
                let i = type_index(mission_type);
                vec![self.reply(
                    src,
                    MissionMsg::Count {
                        mission_type,
                        count: self.lists[i].len().min(u16::MAX as usize) as u16,
                        opaque_id: self.opaque_ids[i],
                    },
                )]
            }
            MissionMsg::RequestInt { mission_type, seq }
            | MissionMsg::Request { mission_type, seq } => {
                let i = type_index(mission_type);
                match self.lists[i].get(seq as usize) {
                    Some(item) => vec![self.reply(
                        src,
                        MissionMsg::ItemInt {
                            mission_type,
                            seq,
                            current: mission_type == MissionType::Mission
                                && seq == self.current_seq,
                            item: *item,
                        },
                    )],
                    None => vec![self.ack(src, mission_type, MissionResult::InvalidSequence)],
                }
            }
            MissionMsg::Ack {
                mission_type,
                result,
                ..
            } => {
                // The end of a download needs nothing; a non-accepting ack from the uploader
                // cancels its upload.
                let cancels = self
                    .receiving
                    .as_ref()
                    .is_some_and(|r| r.source == src && r.mission_type == mission_type);
                if result != MissionResult::Accepted && cancels {
                    self.abandon();
                }
                Vec::new()
            }
            MissionMsg::ClearAll { mission_type } => {
                self.cancel_from(src);
                let types = match mission_type {
                    Some(t) => vec![t],
                    None => vec![MissionType::Mission, MissionType::Fence, MissionType::Rally],
                };
                for t in &types {
                    self.clear(*t);
                }
                let ack_type = mission_type.unwrap_or(MissionType::Mission);
                vec![self.ack(src, ack_type, MissionResult::Accepted)]
            }
            MissionMsg::SetCurrent { seq } => {
                if !self.set_current(seq) {
                    self.events.push(ServerEvent::SetCurrentRejected {
                        seq,
                        mission_len: self.lists[0].len(),
                    });
                }
                vec![self.current_msg()]
            }
            MissionMsg::Current { .. } => Vec::new(),
        }
    }

    fn on_count(
        &mut self,
        src: Ids,
        mission_type: MissionType,
        count: u16,
        now: Duration,
    ) -> Vec<ProtocolMsg> {
        // A new MISSION_COUNT from the uploader restarts its upload from item 0, so a list is
        // never assembled from two different uploads.
        self.cancel_from(src);
        if count as usize > self.config.capacity(mission_type) {
            self.events.push(ServerEvent::UploadRejected {
                mission_type,
                count: count as usize,
                result: MissionResult::NoSpace,
            });
            return vec![self.ack(src, mission_type, MissionResult::NoSpace)];
        }
        if count == 0 {
            self.clear(mission_type);
            self.completed = Some(Completed {
                source: src,
                mission_type,
                count,
            });
            return vec![self.ack(src, mission_type, MissionResult::Accepted)];
        }
        if let Some(other) = &self.receiving {
            // Another GCS is uploading: one upload at a time.
            if other.source != src {
                return vec![self.ack(src, mission_type, MissionResult::Denied)];
            }
        }
        self.receiving = Some(Receiving {
            source: src,
            mission_type,
            count,
            items: Vec::with_capacity(count as usize),
            retries: 0,
            deadline: now + self.config.timeouts.item,
            last_request_at: now,
        });
        vec![self.request(src, mission_type, 0)]
    }

    fn on_item(
        &mut self,
        src: Ids,
        mission_type: MissionType,
        seq: u16,
        item: RawItem,
        now: Duration,
    ) -> Vec<ProtocolMsg> {
        let item_timeout = self.config.timeouts.item;
        let matching = self
            .receiving
            .as_ref()
            .is_some_and(|r| r.source == src && r.mission_type == mission_type);
        let fresh = self.receiving.as_ref().is_none_or(|r| r.items.is_empty());
        // The last item of the upload we completed, again: our ack was lost. Re-ack it.
        if let Some(done) = self.completed {
            if fresh
                && done.source == src
                && done.mission_type == mission_type
                && done.count > 0
                && seq == done.count - 1
            {
                return vec![self.ack(src, mission_type, MissionResult::Accepted)];
            }
        }
        if !matching {
            return Vec::new();
        }
        let Some(r) = self.receiving.as_mut() else {
            return Vec::new();
        };
        let expected = r.items.len() as u16;
        // Any item shows the uploader is still there: only silence abandons an upload.
        r.retries = 0;
        if seq != expected {
            // A late duplicate or an item we did not ask for: ask again for the one we need,
            // unless we just did (which keeps duplicates from multiplying traffic).
            if now >= r.last_request_at + item_timeout / 2 {
                r.last_request_at = now;
                r.deadline = now + item_timeout;
                return vec![self.request(src, mission_type, expected)];
            }
            return Vec::new();
        }
        r.items
            .push(self.config.autopilot.stored_form(mission_type, &item));
        r.retries = 0;
        if r.items.len() < r.count as usize {
            r.deadline = now + item_timeout;
            r.last_request_at = now;
            return vec![self.request(src, mission_type, expected + 1)];
        }
        // Complete: only now does the new list replace the old one.
        let Some(done) = self.receiving.take() else {
            return Vec::new();
        };
        let i = type_index(mission_type);
        let count = done.items.len();
        self.opaque_ids[i] = opaque_id(&done.items);
        self.lists[i] = done.items;
        if mission_type == MissionType::Mission {
            self.current_seq = 0;
        }
        self.completed = Some(Completed {
            source: src,
            mission_type,
            count: done.count,
        });
        self.events.push(ServerEvent::ListReplaced {
            mission_type,
            count,
            opaque_id: self.opaque_ids[i],
        });
        vec![self.ack(src, mission_type, MissionResult::Accepted)]
    }

    fn clear(&mut self, mission_type: MissionType) {
        let i = type_index(mission_type);
        self.lists[i].clear();
        self.opaque_ids[i] = 0;
        if mission_type == MissionType::Mission {
            self.current_seq = 0;
        }
        self.events.push(ServerEvent::ListCleared { mission_type });
    }

    fn cancel_from(&mut self, src: Ids) {
        if self.receiving.as_ref().is_some_and(|r| r.source == src) {
            self.abandon();
        }
    }

    fn abandon(&mut self) {
        if let Some(r) = self.receiving.take() {
            self.events.push(ServerEvent::UploadAbandoned {
                mission_type: r.mission_type,
                received: r.items.len(),
                count: r.count as usize,
            });
        }
    }

    fn request(&self, to: Ids, mission_type: MissionType, seq: u16) -> ProtocolMsg {
        self.reply(to, MissionMsg::RequestInt { mission_type, seq })
    }

    fn ack(&self, to: Ids, mission_type: MissionType, result: MissionResult) -> ProtocolMsg {
        let opaque_id = if result == MissionResult::Accepted {
            self.opaque_ids[type_index(mission_type)]
        } else {
            0
        };
        self.reply(
            to,
            MissionMsg::Ack {
                mission_type,
                result,
                opaque_id,
            },
        )
    }

    fn reply(&self, to: Ids, msg: MissionMsg) -> ProtocolMsg {
        ProtocolMsg {
            source: self.own,
            target: to,
            msg,
        }
    }
}

/// A plan identity for `MISSION_ACK`/`MISSION_CURRENT` opaque ids: FNV-1a over the items'
/// wire values, never 0 for a non-empty list (0 means "no plan").
fn opaque_id(items: &[RawItem]) -> u32 {
    if items.is_empty() {
        return 0;
    }
    let mut h: u32 = 0x811c_9dc5;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            h ^= *b as u32;
            h = h.wrapping_mul(0x0100_0193);
        }
    };
    for it in items {
        eat(&[it.frame, it.autocontinue as u8]);
        eat(&it.command.to_le_bytes());
        for p in it.params {
            eat(&p.to_bits().to_le_bytes());
        }
        eat(&it.lat_e7().to_le_bytes());
        eat(&it.lon_e7().to_le_bytes());
        eat(&it.alt_m.to_bits().to_le_bytes());
    }
    h.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GCS: Ids = Ids::new(255, 190);
    const VEHICLE: Ids = Ids::new(1, 1);

    fn item(i: u16) -> RawItem {
        RawItem {
            frame: 3,
            command: 16,
            params: [0.0; 4],
            lat_deg: i as f64 * 1e-3,
            lon_deg: 1.0,
            alt_m: 50.0,
            autocontinue: true,
        }
    }

    fn to_vehicle(msg: MissionMsg) -> ProtocolMsg {
        ProtocolMsg {
            source: GCS,
            target: VEHICLE,
            msg,
        }
    }

    fn count(n: u16) -> ProtocolMsg {
        to_vehicle(MissionMsg::Count {
            mission_type: MissionType::Mission,
            count: n,
            opaque_id: 0,
        })
    }

    fn it(seq: u16) -> ProtocolMsg {
        to_vehicle(MissionMsg::ItemInt {
            mission_type: MissionType::Mission,
            seq,
            current: false,
            item: item(seq),
        })
    }

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    fn requested(out: &[ProtocolMsg]) -> Option<u16> {
        match out {
            [ProtocolMsg {
                msg: MissionMsg::RequestInt { seq, .. },
                ..
            }] => Some(*seq),
            _ => None,
        }
    }

    #[test]
    fn keeps_old_list_until_the_new_one_is_complete() {
        let mut s = MissionServer::new(VEHICLE, ServerConfig::default());
        let old = vec![item(100), item(101)];
        s.set_list(MissionType::Mission, old.clone());
        assert_eq!(requested(&s.handle(&count(3), ms(0))), Some(0));
        assert_eq!(requested(&s.handle(&it(0), ms(1))), Some(1));
        assert_eq!(s.list(MissionType::Mission), old.as_slice());
        assert_eq!(requested(&s.handle(&it(1), ms(2))), Some(2));
        let out = s.handle(&it(2), ms(3));
        assert!(matches!(
            out[0].msg,
            MissionMsg::Ack {
                result: MissionResult::Accepted,
                ..
            }
        ));
        assert_eq!(s.list(MissionType::Mission).len(), 3);
        // Our ack was lost and the client repeats its last item: re-ack.
        let again = s.handle(&it(2), ms(500));
        assert!(matches!(
            again[0].msg,
            MissionMsg::Ack {
                result: MissionResult::Accepted,
                ..
            }
        ));
    }

    #[test]
    fn out_of_sequence_items_are_dropped_and_rerequested() {
        let mut s = MissionServer::new(VEHICLE, ServerConfig::default());
        s.handle(&count(3), ms(0));
        // Too soon after the request: dropped silently.
        assert!(s.handle(&it(2), ms(10)).is_empty());
        // Later: the wanted item is requested again.
        assert_eq!(requested(&s.handle(&it(2), ms(200))), Some(0));
        assert!(s.list(MissionType::Mission).is_empty());
    }

    #[test]
    fn abandons_silent_upload_after_retries_and_keeps_old() {
        let mut s = MissionServer::new(VEHICLE, ServerConfig::default());
        s.set_list(MissionType::Mission, vec![item(7)]);
        s.handle(&count(3), ms(0));
        s.handle(&it(0), ms(1));
        let mut rerequests = 0;
        while let Some(d) = s.next_deadline() {
            rerequests += s.poll(d).len();
        }
        assert_eq!(rerequests, 5);
        assert!(!s.is_receiving());
        assert_eq!(s.list(MissionType::Mission), &[item(7)]);
        assert!(s.take_events().contains(&ServerEvent::UploadAbandoned {
            mission_type: MissionType::Mission,
            received: 1,
            count: 3
        }));
    }

    #[test]
    fn no_space_above_capacity() {
        let mut config = ServerConfig::default();
        config.capacity[0] = 10;
        let mut s = MissionServer::new(VEHICLE, config);
        let out = s.handle(&count(11), ms(0));
        assert!(matches!(
            out[0].msg,
            MissionMsg::Ack {
                result: MissionResult::NoSpace,
                ..
            }
        ));
        assert!(!s.is_receiving());
    }

    #[test]
    fn download_clear_and_set_current() {
        let mut s = MissionServer::new(VEHICLE, ServerConfig::default());
        s.set_list(MissionType::Mission, vec![item(0), item(1), item(2)]);
        let out = s.handle(
            &to_vehicle(MissionMsg::RequestList {
                mission_type: MissionType::Mission,
            }),
            ms(0),
        );
        assert!(matches!(out[0].msg, MissionMsg::Count { count: 3, .. }));
        let out = s.handle(
            &to_vehicle(MissionMsg::Request {
                mission_type: MissionType::Mission,
                seq: 2,
            }),
            ms(0),
        );
        assert!(matches!(out[0].msg, MissionMsg::ItemInt { seq: 2, .. }));
        let out = s.handle(&to_vehicle(MissionMsg::SetCurrent { seq: 2 }), ms(0));
        assert!(matches!(
            out[0].msg,
            MissionMsg::Current {
                seq: 2,
                total: 3,
                ..
            }
        ));
        let out = s.handle(&to_vehicle(MissionMsg::SetCurrent { seq: 9 }), ms(0));
        assert!(matches!(out[0].msg, MissionMsg::Current { seq: 2, .. }));
        let out = s.handle(
            &to_vehicle(MissionMsg::ClearAll { mission_type: None }),
            ms(0),
        );
        assert!(matches!(
            out[0].msg,
            MissionMsg::Ack {
                result: MissionResult::Accepted,
                ..
            }
        ));
        assert!(s.list(MissionType::Mission).is_empty());
        let out = s.handle(
            &to_vehicle(MissionMsg::RequestInt {
                mission_type: MissionType::Mission,
                seq: 0,
            }),
            ms(0),
        );
        assert!(matches!(
            out[0].msg,
            MissionMsg::Ack {
                result: MissionResult::InvalidSequence,
                ..
            }
        ));
    }

    #[test]
    fn ignores_messages_for_other_vehicles() {
        let mut s = MissionServer::new(VEHICLE, ServerConfig::default());
        let mut c = count(2);
        c.target = Ids::new(2, 1);
        assert!(s.handle(&c, ms(0)).is_empty());
    }
}
