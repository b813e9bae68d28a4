//! A flight's records arranged for reading: the header, each photo's capture, frame or skip by
//! [`FrameKey`], the sightings, and the current revision of each candidate with the flight's
//! confirmation rule. What review, the exports, the patrol's figures and the store read.

use std::collections::BTreeMap;

use crate::confirm::Confirmation;
use crate::export::latest_candidates;
use crate::header::FlightHeader;
use crate::record::{
    CandidateRecord, CaptureRecord, FrameKey, FrameRecord, FrameSkipRecord, Record, SightingRecord,
    SkipReason,
};

/// What became of a flight's photos.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FrameTally {
    /// Capture events journaled (live flights; batch flights have none).
    pub captured: u64,
    /// Photos processed (a frame record each).
    pub processed: u64,
    /// Photos not processed, by reason.
    pub skipped: BTreeMap<SkipReason, u64>,
}

impl FrameTally {
    pub fn skipped_total(&self) -> u64 {
        self.skipped.values().sum()
    }
}

/// A flight's records, arranged.
#[derive(Debug, Clone, Default)]
pub struct FlightRecords {
    /// The flight header; `None` for journals written before headers existed.
    pub header: Option<FlightHeader>,
    pub captures: BTreeMap<FrameKey, CaptureRecord>,
    pub frames: BTreeMap<FrameKey, FrameRecord>,
    /// The last skip record of each photo that has no frame record (a photo skipped once and
    /// processed after a restart counts as processed).
    pub skipped: BTreeMap<FrameKey, FrameSkipRecord>,
    /// Every sighting, in journal order.
    pub sightings: Vec<SightingRecord>,
    /// The current revision of each candidate, by id.
    pub candidates: Vec<CandidateRecord>,
}

impl FlightRecords {
    pub fn from_records(records: &[Record]) -> FlightRecords {
        let mut v = FlightRecords::default();
        for r in records {
            match r {
                Record::Header(h) => {
                    // The first header names the flight; a later one (a journal appended by
                    // a mistaken second flight) does not rename it.
                    if v.header.is_none() {
                        v.header = Some(h.clone());
                    }
                }
                Record::Capture(c) => {
                    v.captures.insert(c.key(), c.clone());
                }
                Record::Frame(f) => {
                    let key = FrameKey {
                        boot: f.boot,
                        image_index: f.image_index,
                    };
                    v.skipped.remove(&key);
                    v.frames.insert(key, f.clone());
                }
                Record::FrameSkipped(s) => {
                    if !v.frames.contains_key(&s.key()) {
                        v.skipped.insert(s.key(), s.clone());
                    }
                }
                Record::Sighting(s) => v.sightings.push(s.clone()),
                Record::Candidate(_) => {}
            }
        }
        v.candidates = latest_candidates(records).into_iter().cloned().collect();
        v
    }

    /// The flight's confirmation rule: the header's `min_sightings`, or every candidate for a
    /// journal without a header.
    pub fn confirmation(&self) -> Confirmation {
        self.header
            .as_ref()
            .map_or(Confirmation::EVERY_CANDIDATE, |h| {
                Confirmation::new(h.min_sightings)
            })
    }

    /// The confirmed candidates (current revisions), by id.
    pub fn confirmed(&self) -> impl Iterator<Item = &CandidateRecord> {
        let rule = self.confirmation();
        self.candidates.iter().filter(move |c| rule.confirms(c))
    }

    /// The candidates not (yet) confirmed.
    pub fn unconfirmed(&self) -> impl Iterator<Item = &CandidateRecord> {
        let rule = self.confirmation();
        self.candidates.iter().filter(move |c| !rule.confirms(c))
    }

    /// The sightings of candidate `id`, in journal order.
    pub fn sightings_of(&self, id: u64) -> impl Iterator<Item = &SightingRecord> {
        self.sightings.iter().filter(move |s| s.candidate_id == id)
    }

    pub fn tally(&self) -> FrameTally {
        let mut t = FrameTally {
            captured: self.captures.len() as u64,
            processed: self.frames.len() as u64,
            skipped: BTreeMap::new(),
        };
        for s in self.skipped.values() {
            *t.skipped.entry(s.reason).or_default() += 1;
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skip(image_index: u64, reason: SkipReason) -> Record {
        Record::FrameSkipped(FrameSkipRecord {
            boot: 0,
            image_index,
            file: None,
            reason,
            detail: String::new(),
        })
    }

    #[test]
    fn a_skip_followed_by_a_frame_counts_as_processed() {
        let frame = |image_index| {
            Record::Frame(FrameRecord {
                boot: 0,
                image_index,
                file: format!("frames/{image_index}.jpg"),
                t_utc_us: 0,
                t_boot_ms: None,
                width_px: 10,
                height_px: 10,
                camera: crate::record::CameraRecord {
                    lat_deg: 27.0,
                    lon_deg: 107.0,
                    alt_amsl_m: 100.0,
                    height_above_ground_m: None,
                    roll_deg: 0.0,
                    pitch_deg: 0.0,
                    yaw_deg: 0.0,
                    camera_pitch_deg: -90.0,
                    camera_yaw_deg: 0.0,
                },
                detections: 0,
                sightings: 0,
            })
        };
        let records = vec![
            skip(1, SkipReason::NoPose),
            frame(1),
            skip(2, SkipReason::CorruptFile),
            frame(3),
            skip(3, SkipReason::NoCaptureEvent),
        ];
        let v = FlightRecords::from_records(&records);
        let t = v.tally();
        assert_eq!(t.processed, 2);
        assert_eq!(t.skipped_total(), 1);
        assert_eq!(t.skipped.get(&SkipReason::CorruptFile), Some(&1));
        assert_eq!(v.confirmation(), Confirmation::EVERY_CANDIDATE);
    }
}
