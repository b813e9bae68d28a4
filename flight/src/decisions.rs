//! The inspectors' decisions on a flight's candidates: the flight folder's `decisions.json`
//! ([`crate::folder::Entry::Decisions`]), written by the review page's download button or by
//! `review decide`, read by `review export` to build the evidence package.
//!
//! ```json
//! {"format": "qly-decisions-2", "flight": "20261207-0930-qingshui",
//!  "flight_id": "01JEQ9X3Z8K2M4N6P8R0T2V4W6", "journal_sha256": "…",
//!  "decisions": [{"candidate_id": 1, "revision": 2, "decision": "confirmed",
//!                 "decided_utc": "2027-01-15T10:02:11.000Z", "inspector": "Li Wei (0427)"}]}
//! ```
//!
//! Format 2 adds the flight id and, per decision, who made it. Format 1 (`qly-decisions-1`,
//! the same fields without those) is still read: its decisions name no inspector.
//!
//! ```
//! use qly_flight::decisions::{Decision, Decisions, Verdict};
//! let mut d = Decisions::new(None, None, None);
//! d.decide(Decision::new(3, Verdict::Confirmed, "Li Wei"));
//! d.decide(Decision::new(3, Verdict::Rejected, "Li Wei")); // a later decision replaces it
//! assert_eq!(d.decisions.len(), 1);
//! assert_eq!(d.verdict(3), Some(Verdict::Rejected));
//! ```

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::header::FlightId;

/// The format this crate writes.
pub const DECISIONS_FORMAT: &str = "qly-decisions-2";
/// The formats this crate reads.
pub const DECISIONS_FORMATS_READ: [&str; 2] = ["qly-decisions-1", DECISIONS_FORMAT];

/// What the inspector decided about a candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Confirmed,
    Rejected,
}

/// One decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// The candidate's id within its flight.
    pub candidate_id: u64,
    /// The candidate revision the inspector looked at.
    #[serde(default)]
    pub revision: Option<u32>,
    pub decision: Verdict,
    /// When, ISO 8601 UTC (`2027-01-15T10:02:11.000Z`).
    #[serde(default)]
    pub decided_utc: Option<String>,
    /// Who (name and badge number); `None` in format 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inspector: Option<String>,
}

impl Decision {
    /// A decision made now by `inspector`, on no particular revision.
    pub fn new(candidate_id: u64, decision: Verdict, inspector: &str) -> Decision {
        let now_us = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX));
        Decision {
            candidate_id,
            revision: None,
            decision,
            decided_utc: Some(crate::export::iso8601_utc_ms(now_us)),
            inspector: Some(inspector.to_string()),
        }
    }
}

/// A flight's decisions file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decisions {
    pub format: String,
    /// The flight folder's name (for people).
    #[serde(default)]
    pub flight: Option<String>,
    /// The flight header's id, when the journal has a header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flight_id: Option<FlightId>,
    /// SHA-256 of the journal the decisions were made on.
    #[serde(default)]
    pub journal_sha256: Option<String>,
    pub decisions: Vec<Decision>,
}

impl Decisions {
    /// No decisions yet, in the current format.
    pub fn new(
        flight: Option<String>,
        flight_id: Option<FlightId>,
        journal_sha256: Option<String>,
    ) -> Decisions {
        Decisions {
            format: DECISIONS_FORMAT.to_string(),
            flight,
            flight_id,
            journal_sha256,
            decisions: Vec::new(),
        }
    }

    /// Records `d`, replacing an earlier decision on the same candidate.
    pub fn decide(&mut self, d: Decision) {
        self.decisions.retain(|x| x.candidate_id != d.candidate_id);
        self.decisions.push(d);
        self.decisions.sort_by_key(|x| x.candidate_id);
    }

    /// The verdict on candidate `id`, if any.
    pub fn verdict(&self, id: u64) -> Option<Verdict> {
        self.decisions
            .iter()
            .find(|d| d.candidate_id == id)
            .map(|d| d.decision)
    }

    /// The confirmed decisions.
    pub fn confirmed(&self) -> impl Iterator<Item = &Decision> {
        self.decisions
            .iter()
            .filter(|d| d.decision == Verdict::Confirmed)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DecisionsError {
    #[error("{path}: cannot read decisions: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: cannot write decisions: {source}")]
    Write {
        path: PathBuf,
        source: crate::export::ExportError,
    },
    #[error("{path}: not a decisions file (expected the review page's decisions.json): {source}")]
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("{path}: format is '{found}', expected one of {}", DECISIONS_FORMATS_READ.join(", "))]
    Format { path: PathBuf, found: String },
    #[error("{path}: decisions for candidate ids the flight's journal does not have: {}", fmt_ids(.ids))]
    UnknownCandidates { path: PathBuf, ids: Vec<u64> },
    #[error("{path}: candidate {id} is both confirmed and rejected")]
    Conflicting { path: PathBuf, id: u64 },
    #[error(
        "{path}: the decisions were made on flight {decided}, but this flight is {actual}: \
         wrong flight folder"
    )]
    OtherFlight {
        path: PathBuf,
        decided: FlightId,
        actual: FlightId,
    },
    #[error(
        "{path}: the decisions were made on a journal with SHA-256 {decided}, but this flight's \
         journal is {actual}: wrong flight folder, or the journal changed after the review"
    )]
    JournalChanged {
        path: PathBuf,
        decided: String,
        actual: String,
    },
}

fn fmt_ids(ids: &[u64]) -> String {
    ids.iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads a decisions file (format 1 or 2) and checks it against the flight's candidate ids
/// (every decision names one of them; no candidate is both confirmed and rejected) and, when
/// both name one, the flight id.
pub fn read_decisions(
    path: &Path,
    known_ids: &BTreeSet<u64>,
    flight_id: Option<&FlightId>,
) -> Result<Decisions, DecisionsError> {
    let text = std::fs::read_to_string(path).map_err(|source| DecisionsError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let d: Decisions = serde_json::from_str(&text).map_err(|source| DecisionsError::Parse {
        path: path.to_path_buf(),
        source,
    })?;
    if !DECISIONS_FORMATS_READ.contains(&d.format.as_str()) {
        return Err(DecisionsError::Format {
            path: path.to_path_buf(),
            found: d.format,
        });
    }
    if let (Some(decided), Some(actual)) = (&d.flight_id, flight_id) {
        if decided != actual {
            return Err(DecisionsError::OtherFlight {
                path: path.to_path_buf(),
                decided: decided.clone(),
                actual: actual.clone(),
            });
        }
    }
    let unknown: BTreeSet<u64> = d
        .decisions
        .iter()
        .map(|x| x.candidate_id)
        .filter(|id| !known_ids.contains(id))
        .collect();
    if !unknown.is_empty() {
        return Err(DecisionsError::UnknownCandidates {
            path: path.to_path_buf(),
            ids: unknown.into_iter().collect(),
        });
    }
    for x in &d.decisions {
        if d.decisions
            .iter()
            .any(|y| y.candidate_id == x.candidate_id && y.decision != x.decision)
        {
            return Err(DecisionsError::Conflicting {
                path: path.to_path_buf(),
                id: x.candidate_id,
            });
        }
    }
    Ok(d)
}

/// Writes `d` at `path` in the current format (atomically: a temporary file renamed into
/// place, so a crash leaves the previous decisions).
pub fn write_decisions(path: &Path, d: &Decisions) -> Result<(), DecisionsError> {
    let mut d = d.clone();
    d.format = DECISIONS_FORMAT.to_string();
    let text = serde_json::to_string_pretty(&d).map_err(|source| DecisionsError::Parse {
        path: path.to_path_buf(),
        source,
    })? + "\n";
    crate::export::write_atomically(path, |tmp| {
        std::fs::write(tmp, text.as_bytes()).map_err(|source| crate::export::ExportError::Io {
            path: tmp.to_path_buf(),
            action: "writing",
            source,
        })
    })
    .map_err(|source| DecisionsError::Write {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &[u64]) -> BTreeSet<u64> {
        v.iter().copied().collect()
    }

    #[test]
    fn written_decisions_read_back_with_their_inspector() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.json");
        let flight = FlightId::generate();
        let mut d = Decisions::new(Some("f".into()), Some(flight.clone()), Some("ab".into()));
        d.decide(Decision::new(2, Verdict::Confirmed, "Li Wei (0427)"));
        d.decide(Decision::new(1, Verdict::Rejected, "Zhang Min"));
        write_decisions(&path, &d).unwrap();
        let back = read_decisions(&path, &ids(&[1, 2, 3]), Some(&flight)).unwrap();
        assert_eq!(back, d);
        assert_eq!(back.decisions[0].candidate_id, 1);
        assert_eq!(
            back.decisions[1].inspector.as_deref(),
            Some("Li Wei (0427)")
        );
        let other = FlightId::generate();
        let e = read_decisions(&path, &ids(&[1, 2]), Some(&other))
            .unwrap_err()
            .to_string();
        assert!(e.contains("wrong flight folder"), "{e}");
    }

    #[test]
    fn format_1_is_read_and_unknown_formats_and_ids_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.json");
        std::fs::write(
            &path,
            r#"{"format":"qly-decisions-1","flight":"x","journal_sha256":null,
               "decisions":[{"candidate_id":4,"revision":2,"decision":"confirmed",
               "decided_utc":"2027-01-15T10:02:11.000Z"}]}"#,
        )
        .unwrap();
        let d = read_decisions(&path, &ids(&[4]), None).unwrap();
        assert_eq!(d.verdict(4), Some(Verdict::Confirmed));
        assert_eq!(d.decisions[0].inspector, None);
        let e = read_decisions(&path, &ids(&[1]), None)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("ids the flight's journal does not have: 4"),
            "{e}"
        );
        std::fs::write(&path, r#"{"format":"qly-decisions-9","decisions":[]}"#).unwrap();
        let e = read_decisions(&path, &ids(&[]), None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("'qly-decisions-9'"), "{e}");
    }
}
