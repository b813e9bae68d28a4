//! `decisions.json`, written by the review page's "download decisions" button:
//!
//! ```json
//! {"format": "qly-decisions-1", "flight": "2027-01-15-0800-river", "journal_sha256": "…",
//!  "decisions": [{"candidate_id": 1, "revision": 2, "decision": "confirmed",
//!                 "decided_utc": "2027-01-15T10:02:11.000Z"}]}
//! ```

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub const DECISIONS_FORMAT: &str = "qly-decisions-1";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Confirmed,
    Rejected,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub candidate_id: u64,
    /// The candidate revision the inspector looked at.
    #[serde(default)]
    pub revision: Option<u32>,
    pub decision: Verdict,
    #[serde(default)]
    pub decided_utc: Option<String>,
    /// Who decided (name and badge number); absent in files from the review page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inspector: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decisions {
    pub format: String,
    #[serde(default)]
    pub flight: Option<String>,
    /// SHA-256 of the journal the page was made from.
    #[serde(default)]
    pub journal_sha256: Option<String>,
    pub decisions: Vec<Decision>,
}

#[derive(Debug, thiserror::Error)]
pub enum DecisionsError {
    #[error("{path}: cannot read decisions: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not a decisions file (expected the review page's decisions.json): {source}")]
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("{path}: format is '{found}', expected '{DECISIONS_FORMAT}'")]
    Format { path: PathBuf, found: String },
    #[error("{path}: decisions for candidate ids the flight's journal does not have: {}", fmt_ids(.ids))]
    UnknownCandidates { path: PathBuf, ids: Vec<u64> },
    #[error("{path}: candidate {id} is both confirmed and rejected")]
    Conflicting { path: PathBuf, id: u64 },
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

/// Reads and checks a decisions file against the flight's candidate ids.
pub fn read_decisions(path: &Path, known_ids: &BTreeSet<u64>) -> Result<Decisions, DecisionsError> {
    let text = std::fs::read_to_string(path).map_err(|source| DecisionsError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let d: Decisions = serde_json::from_str(&text).map_err(|source| DecisionsError::Parse {
        path: path.to_path_buf(),
        source,
    })?;
    if d.format != DECISIONS_FORMAT {
        return Err(DecisionsError::Format {
            path: path.to_path_buf(),
            found: d.format,
        });
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
