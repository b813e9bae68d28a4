//! Writes `missions/sample-corridor-dem.tif`: a SYNTHETIC elevation model (an invented karst
//! valley, [`qly_core::terrain::SyntheticValley`] with its default spec) under the sample
//! corridor `missions/sample-corridor.geojson`. Not a survey of real ground.
//!
//! Run from the repository root: `cargo run -p planner --example make_sample_dem`
//! (or `missions/make_sample_dem.sh`). Arguments: `[CORRIDOR.geojson] [OUT.tif]`.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use planner::survey::InputGeometry;
use qly_core::terrain::{write_dem_file, SyntheticValley, ValleySpec};

/// Margin of ground around the corridor's centreline, metres: covers the lanes, their
/// footprints, the transit and return legs, and a take-off point nearby.
const MARGIN_M: f64 = 1500.0;
/// Half an arc-second (about 15 m), twice as fine as SRTM, so the terraces show.
const CELL_DEG: f64 = 0.5 / 3600.0;

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let corridor = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "missions/sample-corridor.geojson".into()),
    );
    let out = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "missions/sample-corridor-dem.tif".into()),
    );
    let input = planner::input::read_survey_input(&corridor, None)
        .with_context(|| format!("reading {}", corridor.display()))?;
    let InputGeometry::Centreline(line) = &input.geometry else {
        bail!("{}: expected a corridor centreline", corridor.display());
    };
    let valley = SyntheticValley::new(line, ValleySpec::default())?;
    let dem = valley.to_dem("sample-corridor-dem.tif (synthetic)", MARGIN_M, CELL_DEG)?;
    write_dem_file(&out, dem.grid(), dem.georef(), dem.vertical_datum())?;
    let heights = dem.grid().heights_m.iter().copied();
    let (lo, hi) = heights.fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), h| {
        (a.min(h), b.max(h))
    });
    println!(
        "{}: {} x {} cells of {:.2} arc-seconds, {:.1} to {:.1} m AMSL (EGM96), SYNTHETIC ({})",
        out.display(),
        dem.grid().cols,
        dem.grid().rows,
        CELL_DEG * 3600.0,
        lo,
        hi,
        dem.coverage()
    );
    Ok(())
}
