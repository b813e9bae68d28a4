//! `review ingest FLIGHT_DIR... --store URL` puts flights into the store and `review sites
//! --store URL` asks it about the outfall sites across patrols; the store itself is the
//! `qly-store` crate (`store/`).

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use qly_flight::export::iso8601_utc_ms;
use qly_store::{IngestOptions, IngestOutcome, SiteQuery, SiteSummary, Store};

/// The store: `postgres://USER@HOST/DB` (PostgreSQL with PostGIS), `sqlite:PATH` or a path
/// to an SQLite file (created if missing).
#[derive(clap::Args)]
pub struct StoreArg {
    #[arg(long, default_value = qly_store::DEFAULT_STORE_FILE)]
    pub store: String,
}

#[derive(clap::Args)]
pub struct IngestArgs {
    /// Flight folders.
    #[arg(required = true)]
    pub flight_dirs: Vec<PathBuf>,
    #[command(flatten)]
    pub store: StoreArg,
    /// The river (or route) these flights patrolled: `review sites --river` compares a
    /// river's patrols.
    #[arg(long, default_value = "")]
    pub river: String,
}

#[derive(clap::Args)]
pub struct SitesArgs {
    #[command(flatten)]
    pub store: StoreArg,
    /// Only this river's flights.
    #[arg(long)]
    pub river: Option<String>,
    /// Sites the last patrol saw and no earlier one did.
    #[arg(long, group = "which")]
    pub new: bool,
    /// Sites seen before that the last patrol photographed and did not see.
    #[arg(long, group = "which")]
    pub not_seen: bool,
    /// Known outfalls with a plume at them in the last patrol.
    #[arg(long, group = "which")]
    pub plume_again: bool,
    /// Compare as of this flight instead of the river's last patrol.
    #[arg(long, value_name = "FLIGHT_ID")]
    pub as_of: Option<String>,
    /// One site's timeline: each flight that passed it, seen or not, plume, best photo.
    #[arg(long, value_name = "SITE_ID", group = "which")]
    pub timeline: Option<i64>,
    /// With --timeline: write each flight's best crop of the site into this folder
    /// (`site-<id>-<flight id>.jpg`, the detection with context, as the evidence package's).
    #[arg(long, value_name = "DIR", requires = "timeline")]
    pub crops: Option<PathBuf>,
    /// Write the sites listed as GeoJSON.
    #[arg(long, value_name = "FILE")]
    pub geojson: Option<PathBuf>,
    /// Write them as CSV.
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    /// Write them as a GeoPackage (layer `sites`).
    #[arg(long, value_name = "FILE")]
    pub gpkg: Option<PathBuf>,
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

pub fn ingest(a: &IngestArgs) -> Result<()> {
    runtime()?.block_on(async {
        let store = Store::open(&a.store.store).await?;
        let options = IngestOptions {
            river: a.river.clone(),
        };
        for dir in &a.flight_dirs {
            let outcome = store
                .ingest(dir, &options, |_| {})
                .await
                .with_context(|| format!("ingesting {}", dir.display()))?;
            match outcome {
                IngestOutcome::Stored(s) => println!(
                    "{}: flight {} stored in {}: {} photos ({} without ground), {} candidates \
                     ({} confirmed): {} new sites, {} known sites seen again, {} plumes at \
                     outfalls, {} passes, {} decisions",
                    dir.display(),
                    s.flight_id,
                    store.name(),
                    s.frames,
                    s.frames_without_ground,
                    s.candidates,
                    s.confirmed,
                    s.sites_new,
                    s.sites_matched,
                    s.plumes_at_outfalls,
                    s.passes,
                    s.decisions
                ),
                IngestOutcome::AlreadyStored {
                    flight_id,
                    decisions_changed,
                } => println!(
                    "{}: flight {flight_id} already in {}: unchanged ({decisions_changed} \
                     decisions updated)",
                    dir.display(),
                    store.name()
                ),
            }
        }
        store.close().await;
        Ok(())
    })
}

pub fn sites(a: &SitesArgs) -> Result<()> {
    // Asking an SQLite store that is not there would create an empty one and answer "no
    // sites": say so instead.
    if let qly_store::Location::Sqlite(path) = qly_store::Location::parse(&a.store.store)? {
        if !path.exists() {
            bail!(
                "--store {}: no store there; `review ingest FLIGHT_DIR --store {}` creates it",
                path.display(),
                path.display()
            );
        }
    }
    runtime()?.block_on(async {
        let store = Store::open(&a.store.store).await?;
        let h = store.history().await?;
        store.close().await;
        let river = a.river.as_deref();
        let as_of = match &a.as_of {
            Some(id) => Some(
                h.flight_index(id)
                    .with_context(|| format!("--as-of {id}: no such flight in {}", store.name()))?,
            ),
            None => None,
        };
        if let Some(id) = a.timeline {
            let Some(t) = h.timeline(id) else {
                bail!("--timeline {id}: no site {id} in {}", store.name());
            };
            println!("site {id}: {} flight(s)", t.len());
            println!(
                "{:<24} {:<26} {:<10} {:<5} {:<5} {:>7} best photo",
                "time (UTC)", "flight", "river", "seen", "plume", "ce90_m"
            );
            for e in &t {
                let c = e.candidate.as_ref();
                println!(
                    "{:<24} {:<26} {:<10} {:<5} {:<5} {:>7} {}",
                    iso8601_utc_ms(e.time_utc_us),
                    e.flight_id,
                    e.river,
                    if e.seen {
                        "yes"
                    } else if e.passed {
                        "no"
                    } else {
                        "-"
                    },
                    if e.plume { "yes" } else { "no" },
                    c.map_or(String::new(), |c| format!("{:.2}", c.ce90_m)),
                    match (&e.best_photo, c) {
                        (Some(p), Some(c)) => format!(
                            "{} box {:?}{}",
                            p.display(),
                            c.best_bbox_px,
                            c.decision
                                .as_ref()
                                .map_or(String::new(), |d| format!(" ({})", d.0))
                        ),
                        _ => String::new(),
                    }
                );
            }
            if let Some(dir) = &a.crops {
                write_crops(dir, id, &t)?;
            }
            return Ok(());
        }
        let query = if a.new {
            SiteQuery::New
        } else if a.not_seen {
            SiteQuery::NotSeen
        } else if a.plume_again {
            SiteQuery::PlumeAgain
        } else {
            SiteQuery::All
        };
        let sites = h.select(query, river, as_of);
        let last = as_of.or_else(|| h.last_patrol(river));
        if query != SiteQuery::All {
            match last {
                Some(f) => println!(
                    "compared with flight {} ({}), the last patrol{}",
                    h.flights[f].flight_id,
                    iso8601_utc_ms(h.flights[f].time_utc_us),
                    river.map_or(String::new(), |r| format!(" of {r}"))
                ),
                None => println!(
                    "no flights{}",
                    river.map_or(String::new(), |r| format!(" of {r}"))
                ),
            }
        }
        print_table(&sites);
        if let Some(p) = &a.geojson {
            qly_store::export::write_sites_geojson(p, &sites)?;
            println!("wrote {}", p.display());
        }
        if let Some(p) = &a.gpkg {
            qly_store::export::write_sites_geopackage(p, &sites)?;
            println!("wrote {}", p.display());
        }
        if let Some(p) = &a.csv {
            std::fs::write(p, qly_store::export::sites_csv(&sites))
                .with_context(|| format!("writing {}", p.display()))?;
            println!("wrote {}", p.display());
        }
        Ok(())
    })
}

/// The best crop of each flight that saw the site; a photo that is gone is named, not fatal
/// (flight folders move and get archived after ingest).
fn write_crops(dir: &std::path::Path, site: i64, t: &[qly_store::TimelineEntry]) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for e in t {
        let (Some(photo), Some(c)) = (&e.best_photo, &e.candidate) else {
            continue;
        };
        let img = match image::open(photo) {
            Ok(img) => img,
            Err(err) => {
                println!(
                    "no crop for flight {}: {}: {err}",
                    e.flight_id,
                    photo.display()
                );
                continue;
            }
        };
        let Some(crop) = review::report::thumbs::crop(&img, c.best_bbox_px) else {
            println!(
                "no crop for flight {}: box {:?} outside {}",
                e.flight_id,
                c.best_bbox_px,
                photo.display()
            );
            continue;
        };
        let out = dir.join(format!("site-{site}-{}.jpg", e.flight_id));
        let bytes = review::report::thumbs::jpeg_bytes(&crop)
            .with_context(|| format!("encoding {}", out.display()))?;
        std::fs::write(&out, bytes).with_context(|| format!("writing {}", out.display()))?;
        println!("wrote {}", out.display());
    }
    Ok(())
}

fn print_table(sites: &[SiteSummary]) {
    println!(
        "{:>5} {:<8} {:>11} {:>11} {:>6} {:<24} {:<24} {:>6} {:>4} {:>5} decision",
        "site",
        "class",
        "lat_deg",
        "lon_deg",
        "ce90_m",
        "first seen (UTC)",
        "last seen (UTC)",
        "passed",
        "seen",
        "plume"
    );
    for s in sites {
        println!(
            "{:>5} {:<8} {:>11.7} {:>11.7} {:>6.2} {:<24} {:<24} {:>6} {:>4} {:>5} {}",
            s.id,
            s.class_name,
            s.lat_deg,
            s.lon_deg,
            s.ce90_m,
            s.first_seen_utc_us.map_or(String::new(), iso8601_utc_ms),
            s.last_seen_utc_us.map_or(String::new(), iso8601_utc_ms),
            s.flights_passed,
            s.flights_seen,
            s.flights_with_plume,
            s.decision.as_deref().unwrap_or("")
        );
    }
    println!("{} site(s)", sites.len());
}
