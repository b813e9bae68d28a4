//! `qly-fuzz`: runs the fuzz targets (see the library's doc and `fuzz/README.md`).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use qly_fuzz::{driver, Campaign, FindingKind, Inputs};

#[derive(Parser)]
#[command(
    name = "qly-fuzz",
    about = "Fuzz Qianliyan's parsers and network entry points"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// List the targets.
    List,
    /// Mutate the target's corpus and run the inputs; findings are saved and listed.
    Run {
        target: String,
        /// Stop after this many seconds (default: when --inputs are done).
        #[arg(long)]
        seconds: Option<u64>,
        /// Inputs to run (default: unbounded with --seconds, else 1000).
        #[arg(long)]
        inputs: Option<u64>,
        /// Seed of the mutations (a run is reproducible from it).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[command(flatten)]
        common: Common,
    },
    /// Run files as they are (regression inputs, a saved finding).
    Replay {
        target: String,
        files: Vec<PathBuf>,
        #[command(flatten)]
        common: Common,
    },
    /// (internal) The child process the driver starts.
    #[command(hide = true)]
    Child {
        target: String,
        #[arg(long)]
        corpus: PathBuf,
        #[arg(long)]
        from: u64,
        #[arg(long)]
        to: u64,
        #[arg(long)]
        memory_limit: u64,
        #[arg(long)]
        seed: Option<u64>,
        #[arg(long, num_args = 1..)]
        files: Vec<PathBuf>,
    },
}

#[derive(clap::Args)]
struct Common {
    /// Folder of seeds (default: fuzz/corpus/TARGET beside this crate).
    #[arg(long)]
    corpus: Option<PathBuf>,
    /// Per-input time limit, seconds.
    #[arg(long, default_value_t = 10.0)]
    timeout_s: f64,
    /// Address-space limit of the process running the inputs, MiB.
    #[arg(long, default_value_t = 2048)]
    memory_mib: u64,
    /// Where inputs of findings are saved.
    #[arg(long, default_value = "fuzz/findings")]
    findings: PathBuf,
}

fn corpus_dir(target: &str, given: Option<PathBuf>) -> PathBuf {
    given.unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("corpus")
            .join(target)
    })
}

fn campaign(
    target: String,
    inputs: Inputs,
    budget: Option<Duration>,
    c: Common,
) -> Result<Campaign> {
    Ok(Campaign {
        corpus_dir: corpus_dir(&target, c.corpus),
        target,
        inputs,
        timeout: Duration::from_secs_f64(c.timeout_s),
        memory_limit: c.memory_mib << 20,
        budget,
        findings_dir: Some(c.findings),
        exe: std::env::current_exe().context("locating the qly-fuzz binary")?,
    })
}

fn print_report(c: &Campaign, r: &qly_fuzz::Report) {
    println!(
        "{}: {} inputs in {:.1} s, {} finding(s)",
        c.target,
        r.inputs_run,
        r.elapsed.as_secs_f64(),
        r.findings.len()
    );
    for f in &r.findings {
        let what = match &f.kind {
            FindingKind::Panic(m) => format!("panic: {m}"),
            FindingKind::Crash(m) => format!("crash: {m}"),
            FindingKind::Hang => format!("hang: no result within {:.0} s", c.timeout.as_secs_f64()),
        };
        let saved = f
            .saved
            .as_ref()
            .map(|p| format!(" (saved as {})", p.display()))
            .unwrap_or_default();
        println!(
            "  input {} ({} bytes): {what}{saved}",
            f.index,
            f.input.len()
        );
    }
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Cmd::List => {
            for t in qly_fuzz::targets() {
                println!("{:<18} {}", t.name, t.what);
            }
            Ok(())
        }
        Cmd::Run {
            target,
            seconds,
            inputs,
            seed,
            common,
        } => {
            let count = inputs.unwrap_or(if seconds.is_some() { u64::MAX } else { 1000 });
            let budget = seconds.map(Duration::from_secs);
            let c = campaign(target, Inputs::Mutated { seed, count }, budget, common)?;
            let r = driver::run(&c)?;
            print_report(&c, &r);
            if !r.findings.is_empty() {
                bail!("{} finding(s)", r.findings.len());
            }
            Ok(())
        }
        Cmd::Replay {
            target,
            files,
            common,
        } => {
            let c = campaign(target, Inputs::Files(files), None, common)?;
            let r = driver::run(&c)?;
            print_report(&c, &r);
            if !r.findings.is_empty() {
                bail!("{} finding(s)", r.findings.len());
            }
            Ok(())
        }
        Cmd::Child {
            target,
            corpus,
            from,
            to,
            memory_limit,
            seed,
            files,
        } => {
            let t = qly_fuzz::target(&target).context("no such target")?;
            let inputs = match seed {
                Some(seed) => Inputs::Mutated { seed, count: to },
                None => Inputs::Files(files),
            };
            driver::child_main(&t, &corpus, &inputs, from, to, memory_limit)
        }
    }
}
