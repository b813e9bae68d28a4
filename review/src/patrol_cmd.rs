//! `review patrol`: the figures of a simulated patrol flight against the world's truth.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use qly_core::corridor::Corridor;
use qly_core::datum::Datum;
use review::checks::locate_reports;
use review::input::{parse_features, targets_from};
use review::model::TeamReports;
use review::patrol::{patrol_figures, render_figures, PredictedError};
use review::settings::ScoreSettings;
use serde_json::Value;

#[derive(clap::Args)]
pub struct PatrolArgs {
    /// The flight folder (its candidates.geojson, written by `companion run` at exit).
    pub flight_dir: PathBuf,
    /// The world's ground truth (`sim --truth FILE`).
    #[arg(long, value_name = "FILE")]
    pub truth: PathBuf,
    /// The river corridor patrolled (GeoJSON LineString): its length gives false reports
    /// per km.
    #[arg(long, value_name = "FILE")]
    pub corridor: PathBuf,
    /// Candidates file; default FLIGHT_DIR/candidates.geojson.
    #[arg(long, value_name = "FILE")]
    pub candidates: Option<PathBuf>,
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

/// Each candidate's cep50_m / ce90_m by id, as the flight crate's export writes them.
fn predicted(file: &str, text: &str) -> Result<BTreeMap<String, PredictedError>> {
    let v: Value = serde_json::from_str(text).with_context(|| format!("{file}: not JSON"))?;
    let mut out = BTreeMap::new();
    for (i, f) in v
        .get("features")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let p = f.get("properties");
        let id = match p.and_then(|p| p.get("id")).or_else(|| f.get("id")) {
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::String(s)) => s.clone(),
            _ => format!("#{}", i + 1),
        };
        let num = |k: &str| p.and_then(|p| p.get(k)).and_then(Value::as_f64);
        if let (Some(cep50_m), Some(ce90_m)) = (num("cep50_m"), num("ce90_m")) {
            out.insert(id, PredictedError { cep50_m, ce90_m });
        }
    }
    Ok(out)
}

pub fn patrol(a: &PatrolArgs) -> Result<()> {
    if !(a.found_within_m.is_finite() && a.found_within_m > 0.0) {
        bail!("--found-within-m {}: expected metres > 0", a.found_within_m);
    }
    let truth_file = a.truth.display().to_string();
    let raw_targets = parse_features(&truth_file, &read(&a.truth)?, None)?;
    let targets = targets_from(&truth_file, &raw_targets)?;
    let cand_path = a
        .candidates
        .clone()
        .unwrap_or_else(|| a.flight_dir.join("candidates.geojson"));
    let cand_file = cand_path.display().to_string();
    let text = read(&cand_path)?;
    // A flight that saw nothing exports an empty collection: zero candidates, not an error.
    let empty = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| {
            v.get("features")
                .and_then(Value::as_array)
                .map(Vec::is_empty)
        })
        .unwrap_or(false);
    let reports = if empty {
        Vec::new()
    } else {
        let raw = parse_features(&cand_file, &text, None)?;
        locate_reports(&cand_file, &raw, &targets, Datum::Wgs84)?
    };
    let team = TeamReports {
        team: "patrol".into(),
        reports,
    };
    let f = patrol_figures(
        &targets,
        &team,
        &predicted(&cand_file, &text)?,
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
