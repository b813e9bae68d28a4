//! `companion`: the on-drone service, and the same pipeline after the flight.
//!
//! ```text
//! companion run --config /flights/today/companion.toml
//! companion batch /flights/today/DCIM --config companion.toml --out /flights/today
//! companion export /flights/today/journal.qlj --out /flights/today
//! ```

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use companion::batch::{run_batch, BatchOptions, BatchProgressBar, BatchTerrain};
use companion::config::Config;
use companion::detect::{Detector, DetectorConfig};
use companion::fusion::{Fusion, FusionSettings};
use companion::journal::{read_journal, Journal, JournalOptions, JOURNAL_FILE_NAME};
use companion::pipeline::Pipeline;
use companion::record::{Record, RecordSink, SinkError};
use companion::service::Service;
use companion::Findings;
use qly_core::terrain::FlatGround;

/// Qianliyan companion: turns a flight's photos and telemetry into geotagged findings.
#[derive(Debug, Parser)]
#[command(name = "companion", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the on-drone service until SIGINT or SIGTERM: frames and telemetry in, journal,
    /// STATUSTEXT reports and exports out.
    Run {
        /// The TOML configuration (see companion.example.toml).
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
    },
    /// Process a folder of DJI photos after the flight (poses from their EXIF/XMP tags):
    /// journal and exports into --out.
    Batch {
        /// The photo folder.
        dir: PathBuf,
        /// The service's configuration: its [detector], [geotag] and [fusion] are used
        /// ([camera] is not: each photo names its camera).
        #[arg(long, value_name = "FILE", required_unless_present = "model")]
        config: Option<PathBuf>,
        /// Without --config: the ONNX model, with default thresholds.
        #[arg(long, value_name = "FILE", conflicts_with = "config")]
        model: Option<PathBuf>,
        /// Where the journal and exports go (default: the photo folder). Must not hold a
        /// journal with records already.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Write the exports (candidates and sightings as GeoJSON and GeoPackage) of a journal.
    Export {
        /// The journal file (journal.qlj).
        journal: PathBuf,
        /// The folder to write into (default: the journal's folder).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Export only candidates fused from at least this many photos (the service's
        /// `[fusion] min_sightings`); sightings.geojson keeps every sighting.
        #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
        min_sightings: u32,
    },
}

fn main() -> std::process::ExitCode {
    qly_cli::init_tracing("COMPANION_LOG", "info");
    qly_cli::exit(run(Cli::parse()))
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Run { config } => run_service(&config),
        Command::Batch {
            dir,
            config,
            model,
            out,
        } => batch(&dir, config.as_deref(), model.as_deref(), out.as_deref()),
        Command::Export {
            journal,
            out,
            min_sightings,
        } => export(&journal, out.as_deref(), min_sightings),
    }
}

fn run_service(path: &Path) -> Result<()> {
    let config = Config::load(path)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the tokio runtime")?;
    // SIGTERM is caught from here on: one arriving while the journal is read and replayed
    // stops the service with its exports, not the process.
    let shutdown = {
        let _runtime = rt.enter();
        qly_cli::shutdown_signal()
    };
    let service = Service::prepare(config).context("the service cannot start")?;
    let summary = rt
        .block_on(service.run(shutdown))
        .context("the service cannot start")?;
    eprintln!(
        "companion: stopped; {} captures journaled, {} frames processed, {} failed, {} skipped, {} new candidates, {} confirmed; {} frames resumed from the journal",
        summary.frames.captures,
        summary.worker.frames_processed,
        summary.worker.frames_failed,
        summary.frames.skipped_total(),
        summary.worker.new_candidates,
        summary.worker.confirmed_candidates,
        summary.resumed_frames
    );
    Ok(())
}

/// Records into the journal and kept in memory for the exports.
struct JournalAndMemory {
    journal: Journal,
    records: Vec<Record>,
}

impl RecordSink for JournalAndMemory {
    fn append(&mut self, record: &Record) -> Result<(), SinkError> {
        self.journal.append(record)?;
        self.records.push(record.clone());
        Ok(())
    }
}

fn batch(
    dir: &Path,
    config: Option<&Path>,
    model: Option<&Path>,
    out: Option<&Path>,
) -> Result<()> {
    let (detector_config, settings, river, uncertainty, terrain, min_sightings) =
        match (config, model) {
            (Some(path), _) => {
                let c = Config::load(path)?;
                let terrain = match c.geotag.ground_amsl_m {
                    Some(h) => BatchTerrain::FlatAmsl(h),
                    None => BatchTerrain::TakeoffGround,
                };
                (
                    c.detector_config(),
                    c.fusion.settings(),
                    c.river()?,
                    c.geotag.uncertainty(),
                    terrain,
                    c.fusion.min_sightings,
                )
            }
            (None, Some(model)) => (
                DetectorConfig::new(model),
                FusionSettings::default(),
                None,
                companion::config::GeotagSection::default().uncertainty(),
                BatchTerrain::TakeoffGround,
                1,
            ),
            (None, None) => bail!("give --config FILE or --model FILE"),
        };
    if !detector_config.model_path.is_file() {
        bail!(
            "model file {} does not exist",
            detector_config.model_path.display()
        );
    }
    let detector = Detector::new(&detector_config).context("detector")?;
    let fusion = Fusion::new(settings, river).context("fusion")?;
    // The batch replaces the ground with the one its options say.
    let findings = Findings::new(
        fusion,
        Box::new(FlatGround { height_amsl_m: 0.0 }),
        uncertainty,
    );
    let mut pipeline = Pipeline::new(detector, findings);

    let out = out.unwrap_or(dir);
    std::fs::create_dir_all(out).with_context(|| format!("output folder {}", out.display()))?;
    let (journal, contents) =
        Journal::open(&out.join(JOURNAL_FILE_NAME), JournalOptions::default())?;
    if !contents.records.is_empty() {
        bail!(
            "{} already holds {} records; give another --out (a batch starts a journal of its own)",
            contents.path.display(),
            contents.records.len()
        );
    }
    let mut sink = JournalAndMemory {
        journal,
        records: Vec::new(),
    };
    let options = BatchOptions {
        terrain,
        ..BatchOptions::default()
    };
    let mut bar = BatchProgressBar::new();
    let summary = run_batch(dir, &options, &mut pipeline, &mut sink, |p| bar.update(&p));
    bar.finish();
    let summary = summary?;
    sink.journal
        .flush()
        .context("the journal could not be written")?;
    let exported = companion::export::export_flight(&sink.records, out, min_sightings)?;
    println!(
        "{} photos: {} processed, {} skipped; {} detections, {} sightings, {} candidates; ground {}; {:.1} s",
        summary.photos,
        summary.processed,
        summary.skipped.len(),
        summary.detections,
        summary.sightings,
        summary.candidates,
        summary
            .ground_amsl_m
            .map(|h| format!("{h:.1} m AMSL"))
            .unwrap_or_else(|| "from the pipeline".into()),
        summary.wall_time.as_secs_f64()
    );
    println!("journal: {}", sink.journal.path().display());
    for f in exported.files {
        println!("export: {}", f.display());
    }
    Ok(())
}

fn export(journal: &Path, out: Option<&Path>, min_sightings: u32) -> Result<()> {
    let contents = read_journal(journal)?;
    for d in &contents.damage {
        eprintln!(
            "warning: {}: bytes {}..{} skipped: {}",
            journal.display(),
            d.offset,
            d.offset + d.len,
            d.reason
        );
    }
    // Nothing readable: say so and leave any earlier exports as they are, rather than
    // overwrite them with empty files.
    if contents.records.is_empty() {
        bail!(
            "{}: no readable records ({} bytes, {} damaged range(s) skipped): nothing to export; \
             existing exports were left unchanged",
            journal.display(),
            contents.file_len,
            contents.damage.len()
        );
    }
    let out = match out {
        Some(o) => o.to_path_buf(),
        None => journal
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from(".")),
    };
    std::fs::create_dir_all(&out).with_context(|| format!("output folder {}", out.display()))?;
    let summary = companion::export::export_flight(&contents.records, &out, min_sightings)?;
    println!(
        "{} candidates, {} sightings ({} left out: no finite position)",
        summary.candidates, summary.sightings, summary.skipped
    );
    if min_sightings > 1 {
        println!(
            "{} more candidates seen in fewer than {min_sightings} photos: in the journal and sightings, not exported as candidates",
            summary.unconfirmed
        );
    }
    for f in summary.files {
        println!("export: {}", f.display());
    }
    Ok(())
}
