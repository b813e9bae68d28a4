//! Writes a SYNTHETIC whole-river flight folder (`review::river_fixture`) along a corridor's
//! centreline, for measuring the review page at scale:
//! `cargo run -p review --example make_river_flight -- DIR [--corridor FILE] [--photos N]
//! [--candidates N] [--seed N]` (defaults: `missions/sample-corridor.geojson`, 304 photos,
//! 77 candidates: the 8 km patrol's figures).

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use qly_core::corridor::Corridor;

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().context(
        "usage: make_river_flight DIR [--corridor FILE] [--photos N] [--candidates N] [--seed N]",
    )?);
    let mut corridor = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../missions/sample-corridor.geojson"
    ));
    let (mut photos, mut candidates, mut seed) = (304usize, 77usize, 7001u64);
    while let Some(a) = args.next() {
        let mut value = || {
            args.next()
                .with_context(|| format!("{a}: expected a value"))
        };
        match a.as_str() {
            "--corridor" => corridor = PathBuf::from(value()?),
            "--photos" => photos = value()?.parse()?,
            "--candidates" => candidates = value()?.parse()?,
            "--seed" => seed = value()?.parse()?,
            other => bail!("unknown option {other}"),
        }
    }
    let options = review::river_fixture::RiverOptions {
        centreline: Corridor::from_geojson(
            &std::fs::read_to_string(&corridor)
                .with_context(|| format!("{}: cannot read", corridor.display()))?,
            &corridor.display().to_string(),
        )?
        .centreline,
        photos,
        candidates,
        seed,
    };
    let n = review::river_fixture::write_river_flight(&dir, &options)?;
    println!("{}: {n} records", dir.display());
    Ok(())
}
