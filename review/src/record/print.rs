//! HTML to PDF with headless Chromium (`--print-to-pdf`): the page's print stylesheet sets
//! the paper (A4) and margins, Chromium lays out the Chinese text with the system's CJK
//! fonts. Chromium rather than a Rust PDF crate: the record is the same HTML a browser
//! shows, and CJK line breaking and font fallback come for free.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long one page may take to print before we give up on Chromium.
const PRINT_TIMEOUT: Duration = Duration::from_secs(90);

#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    #[error(
        "no Chromium found to print the PDF: install Debian's `chromium` \
         (scripts/setup-env.sh does), set QLY_CHROMIUM, or pass --chromium PATH"
    )]
    NoChromium,
    #[error("{chromium}: cannot start: {source}")]
    Start {
        chromium: PathBuf,
        source: std::io::Error,
    },
    #[error("{chromium}: printing {html} took over {seconds} s; stopped")]
    Timeout {
        chromium: PathBuf,
        html: PathBuf,
        seconds: u64,
    },
    #[error("{chromium}: printing {html} to {pdf} failed ({status}); no PDF written")]
    Failed {
        chromium: PathBuf,
        html: PathBuf,
        pdf: PathBuf,
        status: String,
    },
}

/// The Chromium to print with: `explicit`, else `QLY_CHROMIUM`, else the first of
/// `chromium`, `chromium-browser`, `google-chrome` on `PATH`.
pub fn find_chromium(explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return Some(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os("QLY_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| {
            ["chromium", "chromium-browser", "google-chrome"].map(|name| dir.join(name))
        })
        .find(|p| p.is_file())
}

/// Prints `html` (a local file) to `pdf`. `profile` is a scratch folder for Chromium's
/// profile, so that runs never share or touch the user's browser profile.
pub fn print_pdf(
    chromium: &Path,
    html: &Path,
    pdf: &Path,
    profile: &Path,
) -> Result<(), PrintError> {
    let url = format!(
        "file://{}",
        html.canonicalize()
            .unwrap_or_else(|_| html.to_path_buf())
            .display()
    );
    let _ = std::fs::remove_file(pdf);
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            // Our own page, nothing fetched: the sandbox needs user namespaces that containers
            // and root sessions lack.
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            // No date, title and file URL in the margins (two spellings across versions).
            "--no-pdf-header-footer",
            "--print-to-pdf-no-header",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|source| PrintError::Start {
            chromium: chromium.to_path_buf(),
            source,
        })?;
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status.to_string(),
            Ok(None) if start.elapsed() > PRINT_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(PrintError::Timeout {
                    chromium: chromium.to_path_buf(),
                    html: html.to_path_buf(),
                    seconds: PRINT_TIMEOUT.as_secs(),
                });
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => break e.to_string(),
        }
    };
    // Chromium exits 0 even when it could not write; the file is what counts.
    let written = std::fs::read(pdf)
        .map(|b| b.starts_with(b"%PDF-"))
        .unwrap_or(false);
    if written {
        Ok(())
    } else {
        Err(PrintError::Failed {
            chromium: chromium.to_path_buf(),
            html: html.to_path_buf(),
            pdf: pdf.to_path_buf(),
            status,
        })
    }
}
