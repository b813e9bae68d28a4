//! `review decide FLIGHT_DIR`: record an inspector's decisions on candidates by id into the
//! flight's decisions file, the same file the review page's button downloads (decisions
//! already there are kept; a new decision on a candidate replaces the old one).
//! `--confirm-all` confirms every confirmed candidate at once, for demos; it says loudly that
//! nobody looked. `--by-truth TRUTH` decides every candidate by a simulated world's ground
//! truth (what an inspector who sees the ground would decide), for measuring training on
//! decisions; it names itself as the inspector unless `--inspector` says otherwise.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use qly_flight::decisions::{read_decisions, write_decisions, Decision, Decisions, Verdict};
use qly_i18n::Lang;
use review::input::{parse_features, targets_from};
use review::patrol::decide_by_truth;

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
    /// Decide EVERY candidate by a simulated world's ground truth (`sim --truth FILE`, the
    /// flight folder's truth.geojson): confirmed when a target of its class lies within
    /// --truth-within-m of it, rejected otherwise. For simulated flights only.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["confirm", "reject", "confirm_all"])]
    pub by_truth: Option<PathBuf>,
    /// With --by-truth: the radius within which a target confirms a candidate, metres.
    #[arg(long, default_value_t = 10.0, requires = "by_truth")]
    pub truth_within_m: f64,
    /// Who decides (name and badge number).
    #[arg(long, required_unless_present = "by_truth", default_value = "")]
    pub inspector: String,
}

/// Who `--by-truth` decisions name when `--inspector` is not given.
pub const TRUTH_INSPECTOR: &str = "ground truth (simulation; no inspector looked)";

pub fn decide(a: &DecideArgs, lang: Lang) -> Result<()> {
    let inspector = match (&a.by_truth, a.inspector.trim().is_empty()) {
        (Some(_), true) => TRUTH_INSPECTOR,
        (None, true) => bail!("--inspector: expected a name"),
        (_, false) => a.inspector.as_str(),
    };
    if !(a.truth_within_m.is_finite() && a.truth_within_m > 0.0) {
        bail!("--truth-within-m {}: expected metres > 0", a.truth_within_m);
    }
    if !a.confirm_all && a.by_truth.is_none() && a.confirm.is_empty() && a.reject.is_empty() {
        bail!(
            "nothing to decide: give --confirm IDS, --reject IDS, --confirm-all or --by-truth FILE"
        );
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
    if let Some(truth) = &a.by_truth {
        let name = truth.display().to_string();
        let text = std::fs::read_to_string(truth)
            .with_context(|| format!("{name}: cannot read the truth (--by-truth)"))?;
        let targets = targets_from(&name, &parse_features(&name, &text, None)?)?;
        let by_truth = decide_by_truth(
            flight
                .candidates()
                .iter()
                .map(|c| (c.id, c.class_name.as_str(), c.lat_deg, c.lon_deg)),
            &targets,
            a.truth_within_m,
        );
        eprintln!(
            "{}",
            lang.t_args(
                "cli-decide-by-truth",
                &[
                    ("count", by_truth.len().into()),
                    ("truth", name.as_str().into()),
                    ("within", a.truth_within_m.to_string().into()),
                ],
            )
        );
        wanted.extend(by_truth.iter().map(|d| {
            let verdict = if d.confirmed {
                Verdict::Confirmed
            } else {
                Verdict::Rejected
            };
            (d.id, verdict)
        }));
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
        let mut d = Decision::new(id, verdict, inspector);
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
                &[("count", confirmed.into()), ("inspector", inspector.into()),],
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
