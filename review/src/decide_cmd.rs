//! `review decide FLIGHT_DIR`: record an inspector's decisions on candidates by id into the
//! flight's decisions file, the same file the review page's button downloads (decisions
//! already there are kept; a new decision on a candidate replaces the old one).
//! `--confirm-all` confirms every confirmed candidate at once, for demos; it says loudly that
//! nobody looked.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use anyhow::{bail, Result};
use qly_flight::decisions::{read_decisions, write_decisions, Decision, Decisions, Verdict};
use qly_i18n::Lang;

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

pub fn decide(a: &DecideArgs, lang: Lang) -> Result<()> {
    if a.inspector.trim().is_empty() {
        bail!("--inspector: expected a name");
    }
    if !a.confirm_all && a.confirm.is_empty() && a.reject.is_empty() {
        bail!("nothing to decide: give --confirm IDS, --reject IDS or --confirm-all");
    }
    let flight = review::flight::read_flight(&a.flight_dir)?;
    let folder = &flight.folder;
    let revisions: BTreeMap<u64, u32> = flight
        .candidates()
        .iter()
        .map(|c| (c.id, c.revision))
        .collect();
    let known: BTreeSet<u64> = revisions.keys().copied().collect();
    let flight_id = flight.view.header.as_ref().map(|h| h.flight_id.clone());
    let path = folder.decisions();
    let mut decisions = if path.exists() {
        read_decisions(&path, &known, flight_id.as_ref())?
    } else {
        Decisions::new(
            folder
                .root()
                .file_name()
                .map(|n| n.to_string_lossy().into_owned()),
            flight_id,
            review::report::journal_sha256(&flight),
        )
    };
    let mut wanted: Vec<(u64, Verdict)> = Vec::new();
    if a.confirm_all {
        wanted.extend(flight.confirmed().map(|c| (c.id, Verdict::Confirmed)));
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
    for &(id, verdict) in &wanted {
        let mut d = Decision::new(id, verdict, &a.inspector);
        d.revision = revisions.get(&id).copied();
        decisions.decide(d);
    }
    write_decisions(&path, &decisions)?;
    let confirmed = wanted.iter().filter(|w| w.1 == Verdict::Confirmed).count();
    if a.confirm_all {
        eprintln!(
            "{}",
            lang.t_args(
                "cli-decide-confirm-all",
                &[
                    ("count", confirmed.into()),
                    ("inspector", a.inspector.as_str().into()),
                ],
            )
        );
    }
    println!(
        "{}",
        lang.t_args(
            "cli-decide-written",
            &[
                ("file", path.display().to_string().into()),
                ("confirmed", confirmed.into()),
                ("rejected", (wanted.len() - confirmed).into()),
                ("total", decisions.decisions.len().into()),
            ],
        )
    );
    Ok(())
}
