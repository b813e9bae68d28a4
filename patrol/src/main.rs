//! `patrol`: the whole simulated patrol in one command (see the library's documentation).
//! Ctrl-C or SIGTERM stops it, and with it every program it started.

use std::process::ExitCode;

use clap::Parser;
use patrol::run::run_patrol;
use patrol::settings::PatrolArgs;

fn main() -> ExitCode {
    let args = PatrolArgs::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: starting the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        // Leaving the select drops the patrol's future, and with it every program it
        // started (each is stopped when dropped).
        tokio::select! {
            r = run_patrol(args) => r.map(|_| ()),
            _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted (Ctrl-C): the programs started were stopped")),
            _ = term.recv() => Err(anyhow::anyhow!("terminated (SIGTERM): the programs started were stopped")),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            for cause in e.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::FAILURE
        }
    }
}
