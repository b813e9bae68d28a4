//! The driver: a parent that starts a child process per stretch of inputs and watches it, and
//! the child that runs them.
//!
//! The child prints `run <i>` before input `i` and `ok <i>` or `panic <i> <message>` after
//! it. The parent reads those lines with a deadline: no line within the per-input timeout is
//! a hang (the child is killed); a child that dies is a crash (an abort, a stack overflow, an
//! allocation failure at the address-space limit). Either way the input is saved and a new
//! child goes on with the next input.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::mutate::mutate;
use crate::rng::Rng;
use crate::targets::Target;

/// Where a run's inputs come from.
#[derive(Debug, Clone)]
pub enum Inputs {
    /// `count` inputs mutated from the corpus with `seed` (input `i` is a function of both).
    Mutated { seed: u64, count: u64 },
    /// These files as they are (the corpus, regression inputs, a finding to reproduce).
    Files(Vec<PathBuf>),
}

/// One fuzz run of one target.
#[derive(Debug, Clone)]
pub struct Campaign {
    pub target: String,
    pub inputs: Inputs,
    /// The seeds mutations start from.
    pub corpus_dir: PathBuf,
    /// Per-input wall-clock limit.
    pub timeout: Duration,
    /// Address-space limit of the child process, bytes.
    pub memory_limit: u64,
    /// Stop starting inputs after this long (the long run); `None`: run every input.
    pub budget: Option<Duration>,
    /// Where to save the inputs of findings; `None`: keep them in the report only.
    pub findings_dir: Option<PathBuf>,
    /// The `qly-fuzz` binary (the child).
    pub exe: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FindingKind {
    Panic(String),
    /// The child died (signal or exit status) and what it printed last.
    Crash(String),
    Hang,
}

#[derive(Debug, Clone)]
pub struct Finding {
    pub index: u64,
    pub kind: FindingKind,
    pub input: Vec<u8>,
    pub saved: Option<PathBuf>,
}

#[derive(Debug, Clone, Default)]
pub struct Report {
    pub inputs_run: u64,
    pub findings: Vec<Finding>,
    pub elapsed: Duration,
}

/// The corpus of `dir`, sorted by name (empty inputs are skipped).
pub fn load_corpus(dir: &Path) -> std::io::Result<Vec<Vec<u8>>> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    names.sort();
    Ok(names
        .iter()
        .filter_map(|p| std::fs::read(p).ok())
        .filter(|b| !b.is_empty())
        .collect())
}

/// Input `index` of `inputs` for `target`.
pub fn input_at(target: &Target, corpus: &[Vec<u8>], inputs: &Inputs, index: u64) -> Vec<u8> {
    match inputs {
        Inputs::Files(files) => std::fs::read(&files[index as usize]).unwrap_or_default(),
        Inputs::Mutated { seed, .. } => {
            let mut rng = Rng::for_input(*seed, index);
            if corpus.is_empty() {
                return mutate(&mut rng, b"", b"", target.dict, target.max_len);
            }
            let base = &corpus[rng.below(corpus.len())];
            let other = &corpus[rng.below(corpus.len())];
            mutate(&mut rng, base, other, target.dict, target.max_len)
        }
    }
}

fn count(inputs: &Inputs) -> u64 {
    match inputs {
        Inputs::Mutated { count, .. } => *count,
        Inputs::Files(f) => f.len() as u64,
    }
}

/// Runs a campaign: children, deadlines, findings.
pub fn run(c: &Campaign) -> anyhow::Result<Report> {
    let target = crate::target(&c.target)
        .ok_or_else(|| anyhow::anyhow!("no fuzz target '{}' (see qly-fuzz list)", c.target))?;
    let corpus = load_corpus(&c.corpus_dir).unwrap_or_default();
    let total = count(&c.inputs);
    let started = Instant::now();
    let mut report = Report::default();
    let mut next = 0u64;
    while next < total {
        if c.budget.is_some_and(|b| started.elapsed() >= b) {
            break;
        }
        let mut child = spawn_child(c, next, total)?;
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr = child.stderr.take().expect("piped stderr");
        let (tx, rx) = mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                match line {
                    Ok(l) => {
                        if tx.send(l).is_err() {
                            return;
                        }
                    }
                    Err(_) => return,
                }
            }
        });
        let err_tail = std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = BufReader::new(stderr).take(1 << 20).read_to_end(&mut buf);
            let text = String::from_utf8_lossy(&buf).into_owned();
            let tail: Vec<&str> = text.lines().rev().take(3).collect();
            tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
        });
        let mut current: Option<u64> = None;
        let outcome = loop {
            let left = c.budget.map(|b| b.saturating_sub(started.elapsed()));
            let wait = match (current, left) {
                // Between inputs the child is ours; stop it at the budget.
                (None, Some(l)) if l.is_zero() => break Outcome::Budget,
                _ => c.timeout,
            };
            match rx.recv_timeout(wait) {
                Ok(line) => {
                    let mut parts = line.splitn(3, ' ');
                    let (word, i) = (parts.next(), parts.next().and_then(|s| s.parse().ok()));
                    match (word, i) {
                        (Some("run"), Some(i)) => current = Some(i),
                        (Some("ok"), Some(i)) => {
                            report.inputs_run += 1;
                            next = i + 1;
                            current = None;
                            if c.budget.is_some_and(|b| started.elapsed() >= b) {
                                break Outcome::Budget;
                            }
                        }
                        (Some("panic"), Some(i)) => {
                            report.inputs_run += 1;
                            next = i + 1;
                            current = None;
                            let msg = parts.next().unwrap_or("").to_string();
                            report.findings.push(finding(
                                c,
                                &target,
                                &corpus,
                                i,
                                FindingKind::Panic(msg),
                            ));
                        }
                        (Some("done"), _) => break Outcome::Done,
                        _ => {}
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => break Outcome::Hang,
                Err(mpsc::RecvTimeoutError::Disconnected) => break Outcome::Died,
            }
        };
        match outcome {
            Outcome::Done => {
                let _ = child.wait();
                next = total;
            }
            Outcome::Budget => {
                kill(&mut child);
                break;
            }
            Outcome::Hang => {
                kill(&mut child);
                if let Some(i) = current {
                    report.inputs_run += 1;
                    report
                        .findings
                        .push(finding(c, &target, &corpus, i, FindingKind::Hang));
                    next = i + 1;
                }
            }
            Outcome::Died => {
                let status = child.wait().map(|s| describe(&s)).unwrap_or_default();
                let tail = err_tail.join().unwrap_or_default();
                match current {
                    Some(i) => {
                        report.inputs_run += 1;
                        report.findings.push(finding(
                            c,
                            &target,
                            &corpus,
                            i,
                            FindingKind::Crash(format!("{status}: {tail}")),
                        ));
                        next = i + 1;
                    }
                    None => anyhow::bail!("the fuzz child died between inputs ({status}): {tail}"),
                }
            }
        }
    }
    report.elapsed = started.elapsed();
    Ok(report)
}

enum Outcome {
    Done,
    Budget,
    Hang,
    Died,
}

fn spawn_child(c: &Campaign, from: u64, to: u64) -> anyhow::Result<Child> {
    let mut cmd = Command::new(&c.exe);
    cmd.arg("child")
        .arg(&c.target)
        .arg("--corpus")
        .arg(&c.corpus_dir)
        .arg("--from")
        .arg(from.to_string())
        .arg("--to")
        .arg(to.to_string())
        .arg("--memory-limit")
        .arg(c.memory_limit.to_string());
    match &c.inputs {
        Inputs::Mutated { seed, .. } => {
            cmd.arg("--seed").arg(seed.to_string());
        }
        Inputs::Files(files) => {
            cmd.arg("--files").args(files);
        }
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    Ok(cmd.spawn()?)
}

fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

fn describe(s: &std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (s.code(), s.signal()) {
        (_, Some(sig)) => format!("killed by signal {sig}"),
        (Some(code), None) => format!("exit status {code}"),
        _ => "ended".into(),
    }
}

fn finding(
    c: &Campaign,
    target: &Target,
    corpus: &[Vec<u8>],
    i: u64,
    kind: FindingKind,
) -> Finding {
    let input = input_at(target, corpus, &c.inputs, i);
    let saved = c.findings_dir.as_ref().and_then(|dir| {
        let tag = match &kind {
            FindingKind::Panic(_) => "panic",
            FindingKind::Crash(_) => "crash",
            FindingKind::Hang => "hang",
        };
        let seed = match &c.inputs {
            Inputs::Mutated { seed, .. } => seed.to_string(),
            Inputs::Files(_) => "file".into(),
        };
        let path = dir.join(format!("{}-{tag}-seed{seed}-input{i}", c.target));
        std::fs::create_dir_all(dir).ok()?;
        std::fs::write(&path, &input).ok()?;
        Some(path)
    });
    Finding {
        index: i,
        kind,
        input,
        saved,
    }
}

/// The child: runs inputs `from..to` of `target`, reporting each on stdout.
pub fn child_main(
    target: &Target,
    corpus_dir: &Path,
    inputs: &Inputs,
    from: u64,
    to: u64,
    memory_limit: u64,
) -> ! {
    limit_memory(memory_limit);
    // Panics are findings reported on stdout; keep stderr for aborts.
    std::panic::set_hook(Box::new(|_| {}));
    let corpus = load_corpus(corpus_dir).unwrap_or_default();
    let stdout = std::io::stdout();
    for i in from..to {
        let input = input_at(target, &corpus, inputs, i);
        let mut out = stdout.lock();
        let _ = writeln!(out, "run {i}");
        let _ = out.flush();
        drop(out);
        let result = std::panic::catch_unwind(|| (target.run)(&input));
        let mut out = stdout.lock();
        match result {
            Ok(()) => {
                let _ = writeln!(out, "ok {i}");
            }
            Err(payload) => {
                let msg = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_default()
                    .replace('\n', " ");
                let _ = writeln!(out, "panic {i} {msg}");
            }
        }
        let _ = out.flush();
    }
    let _ = writeln!(stdout.lock(), "done");
    let _ = stdout.lock().flush();
    std::process::exit(0)
}

/// Caps this process's address space: an allocation beyond it fails (and aborts) instead of
/// taking the machine's memory.
fn limit_memory(bytes: u64) {
    let lim = libc::rlimit {
        rlim_cur: bytes as libc::rlim_t,
        rlim_max: bytes as libc::rlim_t,
    };
    // SAFETY: setrlimit reads a valid rlimit struct; it changes only this process.
    unsafe {
        libc::setrlimit(libc::RLIMIT_AS, &lim);
    }
}
