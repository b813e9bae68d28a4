//! End-to-end tests of the whole patrol: `scripts/patrol.sh` (set-up, release build, then the
//! `patrol` program) with the real binaries (planner, sim, companion, review) on a short
//! corridor.
//!
//! The helpers here find the repository, run a patrol into a flight folder, and read back
//! what it recorded, typed: the figures (`figures.json`, review's [`PatrolFigures`]) and what
//! became of each photo (the journal's [`FrameTally`]).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use qly_flight::folder::FlightFolder;
use qly_flight::journal::read_journal;
use qly_flight::view::{FlightRecords, FrameTally};
use review::patrol::PatrolFigures;

/// The repository root (the workspace this crate lives in).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

/// What a patrol left in its flight folder, read back typed.
#[derive(Debug, Clone)]
pub struct PatrolRun {
    pub folder: FlightFolder,
    pub figures: PatrolFigures,
    pub tally: FrameTally,
    /// Photos in `frames/`.
    pub rendered: usize,
    pub seconds: f64,
}

/// Runs `scripts/patrol.sh CORRIDOR ARGS... --out OUT` from the repository root and reads
/// back the flight folder.
pub fn run_patrol(corridor: &str, out: &Path, args: &[&str]) -> Result<PatrolRun> {
    let root = repo_root();
    let _ = std::fs::remove_dir_all(out);
    let t0 = Instant::now();
    let status = Command::new("bash")
        .arg(root.join("scripts/patrol.sh"))
        .arg(corridor)
        .args(args)
        .arg("--out")
        .arg(out)
        .current_dir(&root)
        .env("QUIET_BUILD", "1")
        .status()
        .context("running scripts/patrol.sh")?;
    if !status.success() {
        bail!("scripts/patrol.sh {corridor} {args:?} failed: {status}");
    }
    let seconds = t0.elapsed().as_secs_f64();
    read_patrol(out, seconds)
}

/// Reads a flight folder a patrol wrote.
pub fn read_patrol(out: &Path, seconds: f64) -> Result<PatrolRun> {
    let folder = FlightFolder::open(out)?;
    let text = std::fs::read_to_string(folder.figures())
        .with_context(|| format!("reading {}", folder.figures().display()))?;
    let figures: PatrolFigures = serde_json::from_str(&text)
        .with_context(|| format!("{}: not the figures", folder.figures().display()))?;
    let journal = read_journal(&folder.journal())?;
    let tally = FlightRecords::from_records(&journal.records).tally();
    let rendered = folder.list_frames()?.len();
    Ok(PatrolRun {
        folder,
        figures,
        tally,
        rendered,
        seconds,
    })
}

/// Targets found within the act radius, per class, as `(class, found, targets)`.
pub fn found_per_class(f: &PatrolFigures) -> Vec<(String, usize, usize)> {
    f.per_class
        .iter()
        .map(|c| (c.class.clone(), c.found_within_act_m, c.targets))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_root_holds_the_patrol_script() {
        assert!(repo_root().join("scripts/patrol.sh").is_file());
    }
}
