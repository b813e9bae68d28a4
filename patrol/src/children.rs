//! The programs the patrol starts (`sim`, `companion`, `planner upload`, `planner fly`,
//! `review`): separate processes, as they are on a real aircraft and ground station, each
//! with its output in the flight folder's `logs/`, and each stopped whenever the patrol ends,
//! however it ends (an error, Ctrl-C, a panic): a [`Program`] is terminated when dropped.

use std::ffi::OsString;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use tokio::process::{Child, Command};

/// How long a program asked to stop (SIGTERM) may take before it is killed.
const TERM_GRACE: Duration = Duration::from_secs(5);

/// Where the patrol's programs are.
#[derive(Debug, Clone)]
pub struct Programs {
    pub bin_dir: PathBuf,
}

impl Programs {
    /// `bin_dir`, or the folder of the running executable (target/release when built with
    /// the others).
    pub fn find(bin_dir: Option<&Path>) -> Result<Programs> {
        let bin_dir = match bin_dir {
            Some(d) => d.to_path_buf(),
            None => std::env::current_exe()
                .context("finding the patrol's own executable")?
                .parent()
                .map(Path::to_path_buf)
                .context("the patrol's executable has no folder")?,
        };
        for name in ["sim", "companion", "planner", "review"] {
            let p = bin_dir.join(name);
            if !p.is_file() {
                bail!(
                    "{}: missing; build the programs first (cargo build --release -p sim -p companion -p planner -p review) or give --bin-dir",
                    p.display()
                );
            }
        }
        Ok(Programs { bin_dir })
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.bin_dir.join(name)
    }
}

/// Where a program's output goes.
#[derive(Debug, Clone)]
pub enum Output {
    /// Appended to a log file (for people: no program reads another's log).
    Log(PathBuf),
    /// The patrol's own terminal.
    Inherit,
}

/// A running program, terminated (SIGTERM, then SIGKILL after a grace period) when dropped.
#[derive(Debug)]
pub struct Program {
    name: String,
    child: Option<Child>,
}

impl Program {
    pub fn start(
        programs: &Programs,
        name: &str,
        args: impl IntoIterator<Item = impl Into<OsString>>,
        output: &Output,
    ) -> Result<Program> {
        let mut cmd = Command::new(programs.path(name));
        cmd.args(args.into_iter().map(Into::into));
        cmd.stdin(Stdio::null());
        match output {
            Output::Log(path) => {
                let file = File::options()
                    .create(true)
                    .append(true)
                    .open(path)
                    .with_context(|| format!("opening the log {}", path.display()))?;
                let err = file
                    .try_clone()
                    .with_context(|| format!("opening the log {}", path.display()))?;
                cmd.stdout(file).stderr(err);
            }
            Output::Inherit => {
                cmd.stdout(Stdio::inherit()).stderr(Stdio::inherit());
            }
        }
        let child = cmd
            .spawn()
            .with_context(|| format!("starting {}", programs.path(name).display()))?;
        Ok(Program {
            name: name.to_string(),
            child: Some(child),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The exit status if the program has ended.
    pub fn try_status(&mut self) -> Result<Option<ExitStatus>> {
        match self.child.as_mut() {
            Some(c) => c
                .try_wait()
                .with_context(|| format!("watching {}", self.name)),
            None => bail!("{} was already stopped", self.name),
        }
    }

    /// Waits for the program to end by itself.
    pub async fn wait(&mut self) -> Result<ExitStatus> {
        let status = match self.child.as_mut() {
            Some(c) => c
                .wait()
                .await
                .with_context(|| format!("waiting for {}", self.name))?,
            None => bail!("{} was already stopped", self.name),
        };
        self.child = None;
        Ok(status)
    }

    /// Asks the program to stop (SIGTERM: the companion writes its exports) and waits up to
    /// `grace` for it; kills it after that.
    pub async fn stop(&mut self, grace: Duration) -> Result<ExitStatus> {
        let Some(child) = self.child.as_mut() else {
            bail!("{} was already stopped", self.name);
        };
        if let Some(status) = child.try_wait()? {
            self.child = None;
            return Ok(status);
        }
        terminate(child);
        let status = match tokio::time::timeout(grace, child.wait()).await {
            Ok(s) => s.with_context(|| format!("waiting for {}", self.name))?,
            Err(_) => {
                eprintln!(
                    "warning: {} did not stop within {:.0} s of SIGTERM: killed",
                    self.name,
                    grace.as_secs_f64()
                );
                child.kill().await.ok();
                child.wait().await?
            }
        };
        self.child = None;
        Ok(status)
    }
}

impl Drop for Program {
    fn drop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        terminate(&child);
        // Drop cannot await: poll the exit for the grace period, then kill.
        let until = std::time::Instant::now() + TERM_GRACE;
        while std::time::Instant::now() < until {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.start_kill();
    }
}

/// SIGTERM: the graceful stop every program here handles.
fn terminate(child: &Child) {
    if let Some(pid) = child.id().and_then(|p| libc::pid_t::try_from(p).ok()) {
        // SAFETY: kill(2) with a pid of our own child that has not been reaped (try_wait
        // returned None), so the pid cannot have been reused; no memory is involved.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
    }
}

/// Runs a program to its end (its output to `output`) and fails unless it succeeded.
pub async fn run_to_end(
    programs: &Programs,
    name: &str,
    args: impl IntoIterator<Item = impl Into<OsString>>,
    output: &Output,
    what: &str,
) -> Result<()> {
    let mut p = Program::start(programs, name, args, output)?;
    let status = p.wait().await?;
    if !status.success() {
        match output {
            Output::Log(log) => bail!("{what} failed ({status}); see {}", log.display()),
            Output::Inherit => bail!("{what} failed ({status})"),
        }
    }
    Ok(())
}
