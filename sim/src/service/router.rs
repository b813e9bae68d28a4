//! MAVLink routing between several links, the way ArduPilot's `MAVLink_routing` does it.
//!
//! An autopilot with a ground station on one serial port and a companion computer on another
//! must let the two talk through it. Each link learns which system/component ids have been
//! heard on it; a message with a target goes only to the link(s) where that target was
//! heard; a message without one (or with target system 0) goes to every other link. The
//! vehicle's own messages go to every link, except targeted replies whose target is known,
//! which go where the target lives. Pure: no sockets, so every rule is unit-tested.

use std::collections::HashSet;

use mavlink::Message;
use qly_core::protocol::Ids;
use qly_link::dialect::MavMessage;

/// Index of a link in the order the links were opened.
pub type LinkIndex = usize;

/// Where a received message goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// Hand it to the vehicle (it is addressed to us, or broadcast).
    pub local: bool,
    /// Forward it onto these links (never the one it came from).
    pub forward: Vec<LinkIndex>,
}

/// The routing table: which ids were heard on which link.
#[derive(Debug, Clone)]
pub struct Router {
    own: Ids,
    seen: Vec<HashSet<Ids>>,
}

impl Router {
    /// A router for `links` links in front of the vehicle at `own`.
    pub fn new(own: Ids, links: usize) -> Self {
        Router {
            own,
            seen: vec![HashSet::new(); links],
        }
    }

    /// Number of links.
    pub fn links(&self) -> usize {
        self.seen.len()
    }

    /// Records that `source` speaks on `link`. Our own id is never learnt (a looped-back
    /// frame must not make the vehicle look remote), nor system 0 (not an address).
    pub fn learn(&mut self, link: LinkIndex, source: Ids) {
        if source == self.own || source.system == 0 {
            return;
        }
        if let Some(s) = self.seen.get_mut(link) {
            s.insert(source);
        }
    }

    /// The links where `target` was heard (component 0 = any component of that system).
    fn links_of(&self, target: Ids) -> Vec<LinkIndex> {
        (0..self.seen.len())
            .filter(|&i| {
                self.seen[i].iter().any(|s| {
                    s.system == target.system
                        && (target.component == 0 || s.component == target.component)
                })
            })
            .collect()
    }

    /// Learns the sender, then decides where a message received on `from` goes.
    pub fn route(&mut self, from: LinkIndex, source: Ids, msg: &MavMessage) -> Route {
        self.learn(from, source);
        let others = || (0..self.seen.len()).filter(|&i| i != from).collect();
        let Some(sys) = msg.target_system_id() else {
            return Route {
                local: true,
                forward: others(),
            };
        };
        let comp = msg.target_component_id().unwrap_or(0);
        if sys == 0 {
            return Route {
                local: true,
                forward: others(),
            };
        }
        let target = Ids::new(sys, comp);
        let local = self.own.accepts(target);
        // Addressed exactly to us: nobody else needs it.
        if sys == self.own.system && comp == self.own.component {
            return Route {
                local,
                forward: Vec::new(),
            };
        }
        let forward = self
            .links_of(target)
            .into_iter()
            .filter(|&i| i != from)
            .collect();
        Route { local, forward }
    }

    /// Where one of the vehicle's own messages goes: a reply (COMMAND_ACK, the mission
    /// protocol) to the link(s) where its target was heard, when known; everything else to
    /// every link. Telemetry that merely names a system (CAMERA_FEEDBACK's target_system is
    /// the vehicle's own) is telemetry: every link gets it.
    pub fn outgoing(&self, msg: &MavMessage) -> Vec<LinkIndex> {
        let all = || (0..self.seen.len()).collect();
        if !is_reply(msg) {
            return all();
        }
        match msg.target_system_id() {
            Some(sys) if sys != 0 => {
                let comp = msg.target_component_id().unwrap_or(0);
                let found = self.links_of(Ids::new(sys, comp));
                if found.is_empty() {
                    all()
                } else {
                    found
                }
            }
            _ => all(),
        }
    }
}

/// Messages the vehicle sends back to one asker (ArduPilot answers on the asking channel).
#[allow(deprecated)]
fn is_reply(msg: &MavMessage) -> bool {
    matches!(
        msg,
        MavMessage::COMMAND_ACK(_)
            | MavMessage::MISSION_REQUEST(_)
            | MavMessage::MISSION_REQUEST_INT(_)
            | MavMessage::MISSION_ACK(_)
            | MavMessage::MISSION_COUNT(_)
            | MavMessage::MISSION_ITEM(_)
            | MavMessage::MISSION_ITEM_INT(_)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use qly_link::dialect::*;

    const OWN: Ids = Ids::new(1, 1);
    const GCS: Ids = Ids::new(255, 190);
    const COMPANION: Ids = Ids::new(1, 191);

    fn statustext() -> MavMessage {
        MavMessage::STATUSTEXT(STATUSTEXT_DATA::default())
    }

    fn command(target: Ids) -> MavMessage {
        MavMessage::COMMAND_LONG(COMMAND_LONG_DATA {
            target_system: target.system,
            target_component: target.component,
            ..Default::default()
        })
    }

    #[test]
    fn untargeted_messages_go_to_every_other_link_and_to_the_vehicle() {
        let mut r = Router::new(OWN, 3);
        let route = r.route(1, COMPANION, &statustext());
        assert_eq!(
            route,
            Route {
                local: true,
                forward: vec![0, 2]
            }
        );
    }

    #[test]
    fn commands_for_the_vehicle_stay_local() {
        let mut r = Router::new(OWN, 2);
        let route = r.route(0, GCS, &command(OWN));
        assert!(route.local);
        assert!(route.forward.is_empty());
        let route = r.route(1, COMPANION, &command(Ids::new(1, 0)));
        assert!(route.local);
    }

    #[test]
    fn targeted_messages_go_only_where_the_target_was_heard() {
        let mut r = Router::new(OWN, 3);
        r.learn(2, COMPANION);
        let route = r.route(0, GCS, &command(COMPANION));
        assert_eq!(route.forward, vec![2]);
        // Not for the autopilot component.
        assert!(!route.local);
        // An unknown target is not forwarded anywhere.
        let route = r.route(0, GCS, &command(Ids::new(7, 1)));
        assert!(route.forward.is_empty());
        assert!(!route.local);
        // Component 0 reaches every link that has any component of the system.
        r.learn(1, Ids::new(9, 5));
        let route = r.route(0, GCS, &command(Ids::new(9, 0)));
        assert_eq!(route.forward, vec![1]);
    }

    #[test]
    fn the_vehicle_is_never_learnt_and_replies_follow_their_target() {
        let mut r = Router::new(OWN, 2);
        r.learn(0, OWN);
        assert_eq!(r.outgoing(&command(OWN)), vec![0, 1]);
        r.learn(1, GCS);
        assert_eq!(r.outgoing(&statustext()), vec![0, 1]);
        assert_eq!(r.outgoing(&command(Ids::new(42, 1))), vec![0, 1]);
        let ack = MavMessage::COMMAND_ACK(COMMAND_ACK_DATA {
            target_system: GCS.system,
            target_component: GCS.component,
            ..Default::default()
        });
        assert_eq!(r.outgoing(&ack), vec![1]);
    }

    #[test]
    fn telemetry_naming_the_vehicle_goes_to_every_link() {
        let mut r = Router::new(OWN, 2);
        r.learn(0, GCS);
        r.learn(1, COMPANION);
        let feedback = MavMessage::CAMERA_FEEDBACK(CAMERA_FEEDBACK_DATA {
            target_system: OWN.system,
            ..Default::default()
        });
        assert_eq!(r.outgoing(&feedback), vec![0, 1]);
    }
}
