//! How a binary reports the error it stops on.
//!
//! One style for all four binaries, the one three of them (`planner`, `sim`, `companion`)
//! already printed: the outermost context on an `error:` line, then each cause on its own
//! `  caused by:` line. Pilots and operators read it; a long chain of file, field and OS
//! error stays readable one cause a line, where `review`'s former single `a: b: c` line wrapped.
//! Many of our messages already quote their cause (`{file}: cannot read the file: {io}`), so a
//! cause whose text was already shown is not repeated (the companion's rule). No backtrace:
//! it says nothing to a user and `RUST_BACKTRACE` does not apply to these messages.

use std::process::ExitCode;

/// The lines [`print_error`] writes for `error`, without line ends.
pub fn error_lines(error: &anyhow::Error) -> Vec<String> {
    let mut shown = error.to_string();
    let mut lines = vec![format!("error: {shown}")];
    for cause in error.chain().skip(1) {
        let text = cause.to_string();
        if !shown.contains(&text) {
            lines.push(format!("  caused by: {text}"));
            shown.push_str(&text);
        }
    }
    lines
}

/// Writes `error` to stderr as [`error_lines`] gives it.
pub fn print_error(error: &anyhow::Error) {
    for line in error_lines(error) {
        eprintln!("{line}");
    }
}

/// The end of a binary's `main`: exit status 0 for `Ok`, else the error printed
/// ([`print_error`]) and exit status 1.
///
/// ```no_run
/// fn main() -> std::process::ExitCode {
///     qly_cli::exit(run())
/// }
/// fn run() -> anyhow::Result<()> {
///     Ok(())
/// }
/// ```
pub fn exit(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            print_error(&e);
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn each_cause_on_its_own_line_and_none_twice() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let e = Err::<(), _>(io)
            .context("reading x.geojson")
            .context("planning x.geojson")
            .unwrap_err();
        assert_eq!(
            error_lines(&e),
            [
                "error: planning x.geojson",
                "  caused by: reading x.geojson",
                "  caused by: no such file"
            ]
        );
        // A message that already quotes its cause does not get it again.
        let inner = anyhow::anyhow!("permission denied");
        let e = inner.context("x.toml: cannot read the file: permission denied");
        assert_eq!(
            error_lines(&e),
            ["error: x.toml: cannot read the file: permission denied"]
        );
    }
}
