//! Review after the flight, with the `review` program an inspector runs by hand: score against
//! the ground truth, the review page, the decisions (all confirmed AUTOMATICALLY: a demo, no
//! inspector looked), the evidence package and its check, and the figures. The figures come
//! back typed, from `figures.json`, as review's own [`PatrolFigures`].

use std::ffi::OsString;
use std::path::Path;

use anyhow::{Context, Result};
use qly_flight::folder::FlightFolder;
use review::patrol::PatrolFigures;

use crate::children::{run_to_end, Output, Programs};

/// Who the demo's decisions and evidence name: not an inspector.
pub const DEMO_INSPECTOR: &str = "patrol (automatic demo confirmation, not an inspector)";

pub async fn review(
    say: &dyn Fn(&str),
    programs: &Programs,
    folder: &FlightFolder,
    corridor: &Path,
    confirmed: usize,
    world_seed: u64,
) -> Result<()> {
    let f = |p: std::path::PathBuf| -> OsString { p.into() };
    let dir: OsString = folder.root().into();
    let review = |args: Vec<OsString>, what: &'static str| async move {
        run_to_end(programs, "review", args, &Output::Inherit, what).await
    };

    say("review score: candidates against the world's ground truth");
    let mut team = OsString::from("patrol=");
    team.push(folder.candidates_geojson());
    review(
        vec![
            "score".into(),
            "--targets".into(),
            f(folder.truth()),
            "--team".into(),
            team,
            "--csv".into(),
            f(folder.score_csv()),
            "--html".into(),
            f(folder.score_html()),
        ],
        "review score",
    )
    .await?;

    say(&format!("review report: {}", folder.report().display()));
    review(vec!["report".into(), dir.clone()], "review report").await?;

    if confirmed > 0 {
        say(&format!(
            "review decide: ALL {confirmed} confirmed candidates CONFIRMED AUTOMATICALLY for this demo (no inspector looked at them)"
        ));
        review(
            vec![
                "decide".into(),
                dir.clone(),
                "--confirm-all".into(),
                "--inspector".into(),
                DEMO_INSPECTOR.into(),
            ],
            "review decide",
        )
        .await?;
        say("review export: the evidence package");
        review(
            vec![
                "export".into(),
                dir.clone(),
                "--decisions".into(),
                f(folder.decisions()),
                "--out".into(),
                f(folder.evidence_dir()),
                "--inspector".into(),
                DEMO_INSPECTOR.into(),
                "--aircraft".into(),
                format!("sim (simulated ArduCopter), world seed {world_seed}").into(),
            ],
            "review export",
        )
        .await?;
        say("review verify");
        review(
            vec!["verify".into(), f(folder.evidence_dir())],
            "review verify",
        )
        .await?;
    } else {
        say("no confirmed candidates: no evidence package to export");
    }

    say("figures");
    review(
        vec![
            "patrol".into(),
            dir,
            "--truth".into(),
            f(folder.truth()),
            "--corridor".into(),
            corridor.into(),
            "--json".into(),
            f(folder.figures()),
        ],
        "review patrol",
    )
    .await?;
    Ok(())
}

/// The figures `review patrol --json` wrote.
pub fn read_figures(folder: &FlightFolder) -> Result<PatrolFigures> {
    let path = folder.figures();
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{}: not the figures", path.display()))
}
