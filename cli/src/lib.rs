//! Plumbing every Qianliyan binary (`planner`, `sim`, `companion`, `review`) shares, so that
//! each is written once:
//!
//! - [`exit`]: how a binary ends: `Ok` exits 0; an error is printed to stderr as
//!   `error: <what failed>` followed by one `  caused by: <cause>` line per cause, without a
//!   Rust backtrace, and the exit status is 1.
//! - [`init_tracing`]: the log subscriber of the services (stderr, level from an
//!   environment variable).
//! - [`shutdown_signal`]: the future that resolves on SIGINT (Ctrl-C) or SIGTERM.
//!
//! Why a crate of its own: `qly-core` is pure (no I/O, no signals) and `qly-link` is the
//! MAVLink I/O crate; process-level concerns (stderr, exit codes, signals, logging set-up)
//! belong to neither, and the four binaries live in four crates.

mod report;
mod signal;

pub use report::{error_lines, exit, print_error};
pub use signal::shutdown_signal;

/// Installs the `tracing` subscriber the services log through: human-readable lines on
/// stderr (coloured only on a terminal), filtered by the environment variable `env_var`
/// (`EnvFilter` syntax, e.g. `COMPANION_LOG=debug`), else by `default_filter`.
pub fn init_tracing(env_var: &str, default_filter: &str) {
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env(env_var)
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter)),
        )
        .init();
}
