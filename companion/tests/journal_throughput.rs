//! Measurements, not checks (ignored by default): append cost and throughput, group-commit
//! sizes, and append-to-synced latency at a service-like pace. Run on the target's card:
//!
//! ```text
//! QLY_JOURNAL_BENCH_DIR=/media/sd/flight cargo test -p companion --release \
//!     --test journal_throughput -- --ignored --nocapture
//! ```
//!
//! Without `QLY_JOURNAL_BENCH_DIR` it writes under Cargo's target temporary folder.

mod journal_support;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use companion::journal::{Journal, JournalOptions};
use companion::record::Record;
use journal_support::frame_records;

fn bench_dir() -> tempfile::TempDir {
    let base = std::env::var_os("QLY_JOURNAL_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")));
    std::fs::create_dir_all(&base).unwrap();
    tempfile::tempdir_in(base).unwrap()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[test]
#[ignore = "measurement: run with --ignored --nocapture"]
fn measure_append_throughput_and_sync_latency() {
    let dir = bench_dir();
    println!("journal in {}", dir.path().display());

    // Raw fdatasync cost of a small append on this filesystem.
    {
        use std::io::Write;
        let mut f = std::fs::File::create(dir.path().join("raw")).unwrap();
        let mut ms = Vec::new();
        for _ in 0..200 {
            let t = Instant::now();
            f.write_all(&[b'x'; 700]).unwrap();
            f.sync_data().unwrap();
            ms.push(t.elapsed().as_secs_f64() * 1e3);
        }
        ms.sort_by(f64::total_cmp);
        println!(
            "raw 700-byte write + fdatasync: p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms (200)",
            percentile(&ms, 0.5),
            percentile(&ms, 0.99),
            ms[ms.len() - 1]
        );
    }

    // Throughput: records appended as fast as the caller can.
    let records: Vec<Record> = (0..40_000).flat_map(frame_records).collect();
    let bytes: usize = records
        .iter()
        .map(|r| serde_json::to_vec(r).unwrap().len() + 23)
        .sum();
    {
        let (journal, _) =
            Journal::open(&dir.path().join("burst.qlj"), JournalOptions::default()).unwrap();
        let t = Instant::now();
        let mut last = 0;
        for r in &records {
            last = journal.append(r).unwrap();
        }
        let append_s = t.elapsed().as_secs_f64();
        journal.flush().unwrap();
        let synced_s = t.elapsed().as_secs_f64();
        assert!(journal.wait_synced(last, Duration::ZERO));
        let stats = journal.stats();
        println!(
            "burst: {} records ({:.1} MB): append {:.2} us/record on the caller; all synced after \
             {:.3} s = {:.0} records/s, {:.1} MB/s, in {} group commits",
            records.len(),
            bytes as f64 / 1e6,
            append_s / records.len() as f64 * 1e6,
            synced_s,
            records.len() as f64 / synced_s,
            bytes as f64 / 1e6 / synced_s,
            stats.syncs
        );
    }

    // Latency at a service-like pace: one frame's records (frame, sighting, candidate) every
    // 20 ms, each waited for.
    {
        let (journal, _) =
            Journal::open(&dir.path().join("paced.qlj"), JournalOptions::default()).unwrap();
        let mut ms = Vec::new();
        for i in 0..300 {
            let t = Instant::now();
            let mut last = 0;
            for r in frame_records(i) {
                last = journal.append(&r).unwrap();
            }
            assert!(journal.wait_synced(last, Duration::from_secs(5)));
            ms.push(t.elapsed().as_secs_f64() * 1e3);
            std::thread::sleep(Duration::from_millis(20));
        }
        ms.sort_by(f64::total_cmp);
        let stats = journal.stats();
        println!(
            "paced (3 records per 20 ms): append-to-synced p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; \
             {} records in {} group commits",
            percentile(&ms, 0.5),
            percentile(&ms, 0.99),
            ms[ms.len() - 1],
            stats.synced,
            stats.syncs
        );
    }
}
