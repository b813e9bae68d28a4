//! `companion`: the on-drone service.
//!
//! ```text
//! companion run --config /flights/today/companion.toml
//! ```

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use companion::config::Config;
use companion::service::{shutdown_signal, Service};

/// Qianliyan companion: turns a flight's photos and telemetry into geotagged findings.
#[derive(Debug, Parser)]
#[command(name = "companion", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the service until SIGINT or SIGTERM.
    Run {
        /// The TOML configuration (see companion.example.toml).
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
    },
}

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("COMPANION_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    match run(Cli::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // The whole chain of causes, without a Rust backtrace: operators read this.
            eprintln!("error: {e}");
            for cause in e.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Run { config } => run_service(&config),
    }
}

fn run_service(path: &std::path::Path) -> Result<()> {
    let config = Config::load(path)?;
    let service = Service::prepare(config).context("the service cannot start")?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the tokio runtime")?;
    let summary = rt
        .block_on(service.run(shutdown_signal()))
        .context("the service cannot start")?;
    eprintln!(
        "companion: stopped; {} frames processed, {} failed, {} skipped, {} new candidates; {} resumed from the journal",
        summary.worker.frames_processed,
        summary.worker.frames_failed,
        summary.frames.skipped,
        summary.worker.new_candidates,
        summary.resumed_frames
    );
    Ok(())
}
