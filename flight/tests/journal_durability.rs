//! The journal against real processes and files: kill -9 mid-append, torn and damaged tails,
//! a file-size limit (the disk refusing writes), and the 200 ms sync bound seen from another
//! file handle.
//!
//! The child processes are this test binary re-invoked with `QLY_JOURNAL_CHILD` set, running
//! only the (otherwise ignored) `child_process_entry`.

mod journal_support;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use journal_support::{flight, frame_records};
use qly_flight::journal::{read_journal, DamageReason, Journal, JournalOptions, JOURNAL_FILE_NAME};
use qly_flight::record::Record;
use rand::SeedableRng;
use rand_distr::Distribution;

const CHILD_ENV: &str = "QLY_JOURNAL_CHILD";

/// Record `k` of the deterministic flight (three records per frame).
fn record(k: u64) -> Record {
    frame_records(k / 3).swap_remove((k % 3) as usize)
}

/// Equal record lists, naming the first difference rather than printing both lists.
fn assert_records(got: &[Record], expected: &[Record], context: &str) {
    if let Some(i) = (0..got.len().min(expected.len())).find(|&i| got[i] != expected[i]) {
        panic!(
            "{context}: record {i} differs:\n got {:?}\n expected {:?}",
            got[i], expected[i]
        );
    }
    assert_eq!(got.len(), expected.len(), "{context}: record count");
}

// ---------------------------------------------------------------------------------------
// Child processes.

/// Not a test on its own: the entry point of the child processes, which the tests run with
/// `--ignored --exact child_process_entry`.
#[test]
#[ignore = "the child processes' entry point, run by the other tests"]
fn child_process_entry() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        eprintln!("child_process_entry: {CHILD_ENV} is not set; nothing to do");
        return;
    };
    let (mode, dir) = spec.split_once(':').expect("mode:dir");
    match mode {
        "writer" => writer_child(Path::new(dir)),
        "full_disk" => full_disk_child(Path::new(dir)),
        other => panic!("unknown child mode {other}"),
    }
}

/// Appends the flight's records from where the journal ends, forever, printing
/// `synced <records on disk>` whenever the journal says more are synced.
fn writer_child(dir: &Path) {
    let (journal, recovered) = Journal::open_in(dir).unwrap();
    let done = recovered.records.len() as u64;
    // Own line: libtest has printed `test child_process_entry ... ` without a newline.
    println!("\nresumed {done}");
    let mut k = done;
    let mut reported = 0;
    loop {
        journal.append(&record(k)).unwrap();
        k += 1;
        let synced = journal.stats().synced;
        if synced > reported {
            reported = synced;
            println!("synced {}", done + synced);
        }
        if k.is_multiple_of(3) {
            std::thread::sleep(Duration::from_micros(200));
        }
    }
}

/// Fills the journal up to a file-size limit (RLIMIT_FSIZE: writes past it fail with
/// EFBIG, as a full card fails with ENOSPC), checks the service side, then lifts the limit.
fn full_disk_child(dir: &Path) {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
    // A write past the limit raises SIGXFSZ, which kills by default; a service that wants
    // the error (and to keep running) ignores it.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
    let options = JournalOptions {
        retry_interval: Duration::from_millis(50),
        ..JournalOptions::default()
    };
    let path = dir.join(JOURNAL_FILE_NAME);
    let (journal, _) = Journal::open(&path, options).unwrap();
    for k in 0..30 {
        journal.append(&record(k)).unwrap();
    }
    journal.flush().unwrap();
    let before = std::fs::read(&path).unwrap();

    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    assert_eq!(
        unsafe { libc::getrlimit(libc::RLIMIT_FSIZE, &mut limit) },
        0
    );
    let hard = limit.rlim_max;
    let small = libc::rlimit {
        rlim_cur: before.len() as libc::rlim_t + 3000,
        rlim_max: hard,
    };
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_FSIZE, &small) }, 0);

    // The service keeps appending; nothing blocks, nothing panics.
    let started = Instant::now();
    for k in 30..300 {
        journal.append(&record(k)).unwrap();
        std::thread::sleep(Duration::from_micros(500));
    }
    let append_s = started.elapsed().as_secs_f64();
    let err = journal.flush().unwrap_err();
    println!("flush while full: {err}");
    let stats = journal.stats();
    println!("stats while full: {stats:?}");
    assert!(stats.write_errors >= 1 && stats.failing, "{stats:?}");
    assert!(stats.pending > 0 && stats.synced < 270, "{stats:?}");
    assert_eq!(stats.appended, 300);
    // What is on disk is intact: the synced records, whole, then nothing.
    let during = read_journal(&path).unwrap();
    assert!(during.damage.is_empty(), "{:?}", during.damage);
    assert_eq!(during.records.len() as u64, stats.synced);
    assert!(during.file_len as usize >= before.len());

    let lifted = libc::rlimit {
        rlim_cur: hard,
        rlim_max: hard,
    };
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_FSIZE, &lifted) }, 0);
    journal.flush().unwrap();
    let stats = journal.stats();
    println!("stats after: {stats:?}");
    assert_eq!(
        (stats.synced, stats.pending, stats.failing),
        (300, 0, false)
    );
    drop(journal);
    let after = read_journal(&path).unwrap();
    assert!(after.damage.is_empty(), "{:?}", after.damage);
    assert_records(
        &after.records,
        &(0..300).map(record).collect::<Vec<_>>(),
        "after the limit",
    );
    println!("full disk child ok: 270 appends in {append_s:.3} s while failing");
}

fn spawn_child(mode: &str, dir: &Path) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "child_process_entry",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, format!("{mode}:{}", dir.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

// ---------------------------------------------------------------------------------------
// Tests.

#[test]
fn records_reported_synced_survive_kill_9_and_the_writer_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(JOURNAL_FILE_NAME);
    let seed = 20_261_129;
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(seed);
    let delay_ms = rand_distr::Uniform::new(0u64, 300).unwrap();
    let mut on_disk = 0u64;
    for round in 0..6 {
        let mut child = spawn_child("writer", dir.path());
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut resumed = None;
        let mut max_synced = 0u64;
        let deadline = Instant::now() + Duration::from_secs(30);
        // Wait until the writer has resumed and synced something, then kill it at a random
        // moment.
        while max_synced == 0 {
            let line = rx
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .expect("the writer child reports progress");
            parse_child_line(&line, &mut resumed, &mut max_synced);
        }
        let delay = delay_ms.sample(&mut rng);
        std::thread::sleep(Duration::from_millis(delay));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        reader.join().unwrap();
        for line in rx.try_iter() {
            parse_child_line(&line, &mut resumed, &mut max_synced);
        }
        assert_eq!(
            resumed,
            Some(on_disk),
            "round {round}: resumed from the intact records"
        );

        let back = read_journal(&path).unwrap();
        let n = back.records.len() as u64;
        println!(
            "round {round}: killed {delay} ms after the first sync report; {max_synced} reported \
             synced, {n} intact, torn tail {} bytes",
            back.torn_tail_bytes()
        );
        assert!(
            n >= max_synced,
            "round {round}: {n} records < {max_synced} reported synced"
        );
        assert_records(
            &back.records,
            &(0..n).map(record).collect::<Vec<_>>(),
            &format!("round {round}"),
        );
        // Damage, if any, is only a tail cut by the kill.
        for d in &back.damage {
            assert!(
                d.offset >= back.intact_len,
                "round {round}: damage mid-file {d:?}"
            );
        }
        // Every frame but possibly the one cut by the kill is complete.
        let frames = back.completed_frames();
        let whole_frames = n / 3 + u64::from(n % 3 >= 2);
        assert_eq!(
            frames,
            (0..whole_frames)
                .map(qly_flight::folder::FrameKey::first_boot)
                .collect(),
            "round {round}"
        );
        on_disk = n;
    }
    assert!(on_disk > 0);
}

fn parse_child_line(line: &str, resumed: &mut Option<u64>, max_synced: &mut u64) {
    if let Some(n) = line.strip_prefix("resumed ") {
        *resumed = n.trim().parse().ok();
    } else if let Some(n) = line.strip_prefix("synced ") {
        let n: u64 = n.trim().parse().unwrap();
        *max_synced = (*max_synced).max(n);
    }
}

#[test]
fn a_file_size_limit_is_survived_logged_once_and_nothing_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let out = spawn_child("full_disk", dir.path())
        .wait_with_output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "child failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("full disk child ok"), "{stdout}");
    println!("{stdout}");
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("journal: write failed"))
        .collect();
    assert_eq!(errors.len(), 1, "one error line per episode:\n{stderr}");
    assert!(errors[0].contains("ERROR"), "{}", errors[0]);
    assert!(errors[0].contains(JOURNAL_FILE_NAME), "{}", errors[0]);
    assert!(errors[0].contains("File too large"), "{}", errors[0]);
    assert!(
        stderr.contains("the disk takes writes again"),
        "recovery is logged:\n{stderr}"
    );
    let back = read_journal(&dir.path().join(JOURNAL_FILE_NAME)).unwrap();
    assert_eq!(back.records.len(), 300);
}

/// Log lines captured for one test (the journal logs on the caller's thread and on its
/// writer thread, which inherits the caller's subscriber).
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn with_logs<T>(f: impl FnOnce() -> T) -> (T, String) {
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || sink.clone())
        .with_ansi(false)
        .finish();
    let value = tracing::subscriber::with_default(subscriber, f);
    let text = String::from_utf8_lossy(&captured.0.lock().unwrap()).into_owned();
    (value, text)
}

fn write_flight(path: &Path, frames: u64) -> Vec<u8> {
    let (journal, _) = Journal::open(path, JournalOptions::default()).unwrap();
    for r in flight(frames) {
        journal.append(&r).unwrap();
    }
    journal.flush().unwrap();
    drop(journal);
    std::fs::read(path).unwrap()
}

/// Offset of the start of the last line of `bytes` (which ends with a newline).
fn last_line_start(bytes: &[u8]) -> usize {
    bytes[..bytes.len() - 1]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1)
}

/// Damages a journal's bytes.
type Damager = Box<dyn Fn(&[u8]) -> Vec<u8>>;

#[test]
fn a_torn_last_record_is_dropped_with_a_warning_and_appends_continue() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(JOURNAL_FILE_NAME);
    let good = write_flight(&path, 10);
    let last = last_line_start(&good);
    let cases: Vec<(&str, Damager)> = vec![
        ("cut by one byte", Box::new(|b| b[..b.len() - 1].to_vec())),
        (
            "cut in the header",
            Box::new(move |b| b[..last + 7].to_vec()),
        ),
        (
            "cut mid-payload",
            Box::new(move |b| b[..(last + b.len()) / 2].to_vec()),
        ),
        (
            "payload bytes garbled in place",
            Box::new(|b| {
                let mut v = b.to_vec();
                let n = v.len();
                v[n - 20..n - 1].fill(b'#');
                v
            }),
        ),
        (
            "zeros after a power cut",
            Box::new(|b| {
                let mut v = b.to_vec();
                v.extend([0u8; 512]);
                v
            }),
        ),
    ];
    for (name, damage) in cases {
        let damaged = damage(&good);
        std::fs::write(&path, &damaged).unwrap();
        let expect_len = if name.starts_with("zeros") {
            good.len()
        } else {
            last
        };
        let ((journal, recovered), logs) =
            with_logs(|| Journal::open(&path, JournalOptions::default()).unwrap());
        let kept = if name.starts_with("zeros") { 30 } else { 29 };
        assert_records(&recovered.records, &flight(10)[..kept], name);
        assert_eq!(recovered.intact_len as usize, expect_len, "{name}");
        let warning = logs
            .lines()
            .find(|l| l.contains("torn last record dropped"))
            .unwrap_or_else(|| panic!("{name}: no warning in {logs:?}"));
        assert!(warning.contains("WARN"), "{warning}");
        assert!(warning.contains(&path.display().to_string()), "{warning}");
        assert!(
            warning.contains(&format!("offset={expect_len}")),
            "{warning}"
        );
        let stats = journal.stats();
        assert_eq!(
            stats.dropped_torn_bytes as usize,
            damaged.len() - expect_len,
            "{name}"
        );
        // The tail is gone from the file, and appends go after the last intact record.
        assert_eq!(std::fs::metadata(&path).unwrap().len() as usize, expect_len);
        let extra = frame_records(100);
        for r in &extra {
            journal.append(r).unwrap();
        }
        journal.flush().unwrap();
        drop(journal);
        let back = read_journal(&path).unwrap();
        assert!(back.damage.is_empty(), "{name}: {:?}", back.damage);
        let mut expected = flight(10)[..kept].to_vec();
        expected.extend(extra);
        assert_records(&back.records, &expected, name);
        std::fs::write(&path, &good).unwrap();
    }
}

#[test]
fn a_damaged_record_mid_file_costs_that_record_only_and_stays_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(JOURNAL_FILE_NAME);
    let mut bytes = write_flight(&path, 5);
    // Flip one payload byte of record 4 (the second frame's sighting).
    let starts: Vec<usize> = std::iter::once(0)
        .chain(
            bytes
                .iter()
                .enumerate()
                .filter(|(_, &b)| b == b'\n')
                .map(|(i, _)| i + 1),
        )
        .collect();
    bytes[starts[4] + 40] ^= 0x01;
    std::fs::write(&path, &bytes).unwrap();

    let read = read_journal(&path).unwrap();
    assert_eq!(read.records.len(), 14);
    assert_eq!(read.damage.len(), 1);
    assert_eq!(read.damage[0].offset as usize, starts[4]);
    assert!(matches!(
        read.damage[0].reason,
        DamageReason::ChecksumMismatch { .. }
    ));

    let ((journal, recovered), logs) =
        with_logs(|| Journal::open(&path, JournalOptions::default()).unwrap());
    assert!(logs.contains("damaged record skipped"), "{logs}");
    assert!(logs.contains(&format!("offset={}", starts[4])), "{logs}");
    let mut expected = flight(5);
    expected.remove(4);
    assert_records(&recovered.records, &expected, "mid-file damage");
    assert_eq!(journal.stats().dropped_torn_bytes, 0);
    assert!(journal.stats().skipped_damaged_bytes > 0);
    journal.append(&record(15)).unwrap();
    journal.flush().unwrap();
    drop(journal);
    // Nothing was cut: the file grew by one line.
    let after = std::fs::read(&path).unwrap();
    assert_eq!(&after[..bytes.len()], &bytes[..]);
    assert_eq!(read_journal(&path).unwrap().records.len(), 15);
}

#[test]
fn a_record_is_in_the_file_and_synced_within_200_ms() {
    let dir = tempfile::tempdir().unwrap();
    let path: PathBuf = dir.path().join(JOURNAL_FILE_NAME);
    let ((), _logs) = with_logs(|| {
        let (journal, _) = Journal::open(&path, JournalOptions::default()).unwrap();
        let mut visible_ms = Vec::new();
        let mut synced_ms = Vec::new();
        for k in 0..40u64 {
            let appended = Instant::now();
            let seq = journal.append(&record(k)).unwrap();
            // Another handle on the file sees the record.
            loop {
                let back = read_journal(&path).unwrap();
                if back.records.len() as u64 > k {
                    assert_eq!(back.records[k as usize], record(k));
                    break;
                }
                assert!(
                    appended.elapsed() < Duration::from_millis(200),
                    "record {k} not in the file after 200 ms"
                );
                std::thread::sleep(Duration::from_micros(200));
            }
            visible_ms.push(appended.elapsed().as_secs_f64() * 1e3);
            assert!(
                journal.wait_synced(seq, Duration::from_millis(200)),
                "record {k} not synced within 200 ms"
            );
            synced_ms.push(appended.elapsed().as_secs_f64() * 1e3);
            std::thread::sleep(Duration::from_millis(7 * (k % 4)));
        }
        let max = |v: &[f64]| v.iter().cloned().fold(0.0, f64::max);
        println!(
            "append to visible: max {:.2} ms; append to synced: max {:.2} ms (40 records)",
            max(&visible_ms),
            max(&synced_ms)
        );
        assert!(max(&synced_ms) < 200.0);
    });
}
