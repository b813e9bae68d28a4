//! Writes the synthetic flight folder of `review::fixture` (for trying `review report`):
//! `cargo run -p review --example make_flight -- /tmp/flight [--no-tlog] [--missing-frame N]
//! [--min-sightings N]` (`--min-sightings`: a journal with a flight header and that rule).

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(
        args.next()
            .ok_or("usage: make_flight DIR [--no-tlog] [--missing-frame N] [--min-sightings N]")?,
    );
    let mut options = review::fixture::FixtureOptions::default();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--no-tlog" => options.no_tlog = true,
            "--missing-frame" => options
                .missing_frames
                .push(args.next().ok_or("--missing-frame N")?.parse()?),
            "--min-sightings" => {
                options.min_sightings = Some(args.next().ok_or("--min-sightings N")?.parse()?)
            }
            other => return Err(format!("unknown option {other}").into()),
        }
    }
    let records = review::fixture::write_flight(&dir, &options)?;
    println!("{}: {} records", dir.display(), records.len());
    Ok(())
}
