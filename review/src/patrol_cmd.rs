//! `review patrol`: the figures of a simulated patrol flight against the world's truth.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use qly_core::corridor::Corridor;
use qly_flight::folder::FlightFolder;
use review::input::{parse_features, targets_from};
use review::patrol::{flight_reports, patrol_figures, render_figures};
use review::settings::ScoreSettings;

#[derive(clap::Args)]
pub struct PatrolArgs {
    /// The flight folder: its journal holds the candidates (the confirmed ones are scored).
    pub flight_dir: PathBuf,
    /// The world's ground truth (`sim --truth FILE`).
    #[arg(long, value_name = "FILE")]
    pub truth: PathBuf,
    /// The river corridor patrolled (GeoJSON LineString): its length gives false reports
    /// per km.
    #[arg(long, value_name = "FILE")]
    pub corridor: PathBuf,
    /// A fix within this distance counts as found, metres.
    #[arg(long, default_value_t = 5.0)]
    pub found_within_m: f64,
    /// Also write the figures as JSON here.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("{}: cannot read", path.display()))
}

/// Length of the corridor's centreline, km (the corridor file as `qly_core::corridor` reads
/// it, `datum` honoured).
fn river_km(path: &Path) -> Result<f64> {
    let corridor = Corridor::from_geojson(&read(path)?, &path.display().to_string())
        .context("reading the corridor (--corridor)")?;
    Ok(corridor.length_m() / 1000.0)
}

pub fn patrol(a: &PatrolArgs) -> Result<()> {
    if !(a.found_within_m.is_finite() && a.found_within_m > 0.0) {
        bail!("--found-within-m {}: expected metres > 0", a.found_within_m);
    }
    let truth_file = a.truth.display().to_string();
    let raw_targets = parse_features(&truth_file, &read(&a.truth)?, None)?;
    let targets = targets_from(&truth_file, &raw_targets)?;
    let flight = FlightFolder::new(&a.flight_dir).read_records()?;
    for d in &flight.damage {
        eprintln!(
            "warning: {}: byte offset {}: {} damaged bytes skipped: {}",
            flight.folder.journal().display(),
            d.offset,
            d.len,
            d.reason
        );
    }
    let (team, predicted) = flight_reports("patrol", &flight.view);
    let f = patrol_figures(
        &targets,
        &team,
        &predicted,
        river_km(&a.corridor)?,
        a.found_within_m,
        &ScoreSettings::default(),
    )?;
    print!("{}", render_figures(&f));
    if let Some(path) = &a.json {
        let json = serde_json::to_string_pretty(&f).context("figures to JSON")?;
        std::fs::write(path, json + "\n")
            .with_context(|| format!("{}: cannot write", path.display()))?;
    }
    Ok(())
}
