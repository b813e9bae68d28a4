//! What "confirmed" means: the one rule that live reporting, the exports, the review page,
//! scoring and the evidence package all apply.
//!
//! A candidate is *confirmed* once the fusion has put sightings from at least
//! `min_sightings` photos into it (the flight header's [`crate::header::FlightHeader::min_sightings`],
//! `[fusion] min_sightings` in the companion's configuration). A single sighting is most often
//! a false detection; the journal keeps every candidate, confirmed or not, and an inspector
//! may still look at the unconfirmed ones.
//!
//! ```
//! use qly_flight::confirm::Confirmation;
//! let rule = Confirmation::new(2);
//! assert!(!rule.is_confirmed(1));
//! assert!(rule.is_confirmed(2));
//! // Reported once: in the update that reaches the minimum.
//! assert!(rule.becomes_confirmed(1, 2));
//! assert!(!rule.becomes_confirmed(2, 3));
//! ```

use crate::record::CandidateRecord;

/// The confirmation rule of a flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Confirmation {
    min_sightings: u32,
}

impl Confirmation {
    /// The rule for `min_sightings` photos; 0 is taken as 1 (a candidate has at least one).
    pub fn new(min_sightings: u32) -> Confirmation {
        Confirmation {
            min_sightings: min_sightings.max(1),
        }
    }

    /// Every candidate confirmed (journals written before the rule was recorded).
    pub const EVERY_CANDIDATE: Confirmation = Confirmation { min_sightings: 1 };

    pub fn min_sightings(&self) -> u32 {
        self.min_sightings
    }

    /// Whether a candidate fused from `sightings` photos is confirmed.
    pub fn is_confirmed(&self, sightings: u32) -> bool {
        sightings >= self.min_sightings
    }

    /// Whether an update from `before` to `after` sightings is the one that confirms it (so a
    /// candidate is reported to the ground exactly once).
    pub fn becomes_confirmed(&self, before: u32, after: u32) -> bool {
        !self.is_confirmed(before) && self.is_confirmed(after)
    }

    /// Whether this revision of a candidate is confirmed.
    pub fn confirms(&self, candidate: &CandidateRecord) -> bool {
        self.is_confirmed(candidate.sightings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_is_one_and_a_single_sighting_is_confirmed_only_then() {
        let every = Confirmation::new(0);
        assert_eq!(every, Confirmation::EVERY_CANDIDATE);
        assert!(every.is_confirmed(1));
        assert!(every.becomes_confirmed(0, 1));
        assert!(!Confirmation::new(3).is_confirmed(2));
    }
}
