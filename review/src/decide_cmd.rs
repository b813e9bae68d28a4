//! `review decide FLIGHT_DIR`: record an inspector's decisions on candidates by id into the
//! flight's decisions file, the same file the review page's button downloads (decisions
//! already there are kept; a new decision on a candidate replaces the old one).
//! `--confirm-all` confirms every confirmed candidate at once, for demos; it says loudly that
//! nobody looked.

use std::collections::BTreeSet;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use qly_flight::folder::FlightFolder;
use qly_flight::view::FlightRecords;
use review::evidence::decisions::{read_decisions, Decision, Decisions, Verdict, DECISIONS_FORMAT};

#[derive(clap::Args)]
pub struct DecideArgs {
    /// The flight folder.
    pub flight_dir: PathBuf,
    /// Candidate ids to confirm, e.g. `--confirm 3,5`.
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    pub confirm: Vec<u64>,
    /// Candidate ids to reject.
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    pub reject: Vec<u64>,
    /// Confirm every candidate the flight confirmed (its min_sightings rule) WITHOUT LOOKING:
    /// for demos and tests only.
    #[arg(long, conflicts_with_all = ["confirm", "reject"])]
    pub confirm_all: bool,
    /// Who decides (name and badge number).
    #[arg(long)]
    pub inspector: String,
}

pub fn decide(a: &DecideArgs) -> Result<()> {
    if a.inspector.trim().is_empty() {
        bail!("--inspector: expected a name");
    }
    if !a.confirm_all && a.confirm.is_empty() && a.reject.is_empty() {
        bail!("nothing to decide: give --confirm IDS, --reject IDS or --confirm-all");
    }
    let folder = FlightFolder::open(&a.flight_dir)?;
    let flight = review::flight::read_flight(folder.root())?;
    let records = FlightRecords::from_records(&flight.records);
    let revisions: std::collections::BTreeMap<u64, u32> = flight
        .candidates
        .iter()
        .map(|c| (c.id, c.revision))
        .collect();
    let known: BTreeSet<u64> = revisions.keys().copied().collect();
    let path = folder.decisions();
    let mut decisions = if path.exists() {
        read_decisions(&path, &known)?
    } else {
        Decisions {
            format: DECISIONS_FORMAT.to_string(),
            flight: folder
                .root()
                .file_name()
                .map(|n| n.to_string_lossy().into_owned()),
            journal_sha256: review::report::journal_sha256(&flight),
            decisions: Vec::new(),
        }
    };
    let mut wanted: Vec<(u64, Verdict)> = Vec::new();
    if a.confirm_all {
        wanted.extend(records.confirmed().map(|c| (c.id, Verdict::Confirmed)));
    }
    wanted.extend(a.confirm.iter().map(|&id| (id, Verdict::Confirmed)));
    wanted.extend(a.reject.iter().map(|&id| (id, Verdict::Rejected)));
    let unknown: Vec<String> = wanted
        .iter()
        .filter(|(id, _)| !known.contains(id))
        .map(|(id, _)| id.to_string())
        .collect();
    if !unknown.is_empty() {
        bail!(
            "{}: no candidate with id {} (the flight has {})",
            folder.root().display(),
            unknown.join(", "),
            if known.is_empty() {
                "none".to_string()
            } else {
                known
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        );
    }
    if let Some(id) = a.confirm.iter().find(|id| a.reject.contains(id)) {
        bail!("candidate {id} is both in --confirm and --reject");
    }
    let now = qly_flight::export::iso8601_utc_ms(now_utc_us());
    for &(id, verdict) in &wanted {
        decisions.decisions.retain(|d| d.candidate_id != id);
        decisions.decisions.push(Decision {
            candidate_id: id,
            revision: revisions.get(&id).copied(),
            decision: verdict,
            decided_utc: Some(now.clone()),
            inspector: Some(a.inspector.clone()),
        });
    }
    decisions.decisions.sort_by_key(|d| d.candidate_id);
    let json = serde_json::to_string_pretty(&decisions).context("decisions to JSON")?;
    std::fs::write(&path, json + "\n")
        .with_context(|| format!("{}: cannot write", path.display()))?;
    let confirmed = wanted.iter().filter(|w| w.1 == Verdict::Confirmed).count();
    if a.confirm_all {
        eprintln!(
            "WARNING: --confirm-all: {confirmed} candidates CONFIRMED WITHOUT ANYONE LOOKING AT THEM (a demo, not an inspection); recorded as decided by '{}'",
            a.inspector
        );
    }
    println!(
        "{}: {} confirmed, {} rejected now; {} decisions in the file",
        path.display(),
        confirmed,
        wanted.len() - confirmed,
        decisions.decisions.len()
    );
    Ok(())
}

fn now_utc_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}
