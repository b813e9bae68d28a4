//! Ingest on both backends (an SQLite file; a real PostgreSQL with PostGIS started for the
//! test): idempotent, atomic under SIGKILL, and 20 at once losing and duplicating nothing.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::{flight, outfall, runtime, Kind, TestStore, BOTH};
use qly_flight::decisions::{write_decisions, Decision, Decisions, Verdict};
use qly_flight::folder::FlightFolder;
use qly_store::{IngestOptions, IngestOutcome, Store, StoreError};

fn river(name: &str) -> IngestOptions {
    IngestOptions {
        river: name.to_string(),
    }
}

#[test]
fn the_same_flight_twice_changes_nothing_but_decisions() {
    let rt = runtime();
    for kind in BOTH {
        let ts = TestStore::new(kind);
        let dir = tempfile::tempdir().unwrap();
        let targets = [outfall(10.0, 50.0), outfall(-12.0, 130.0)];
        let id = flight(dir.path(), 0, 6, &targets, 1);
        rt.block_on(async {
            let store = Store::open(&ts.url).await.unwrap();
            let first = store
                .ingest(dir.path(), &river("test"), |_| {})
                .await
                .unwrap();
            let IngestOutcome::Stored(s) = first else {
                panic!("{kind:?}: first ingest: {first:?}");
            };
            assert_eq!((s.frames, s.confirmed, s.sites_new), (6, 2, 2), "{kind:?}");
            let before = store.counts().await.unwrap();
            assert_eq!(before.flights, 1);
            assert_eq!(before.frames, 6);
            assert_eq!(before.candidates, 2);
            assert_eq!(before.sites, 2);
            assert_eq!(before.site_passes, 2);
            let again = store
                .ingest(dir.path(), &river("test"), |_| {})
                .await
                .unwrap();
            assert_eq!(
                again,
                IngestOutcome::AlreadyStored {
                    flight_id: id.clone(),
                    decisions_changed: 0
                },
                "{kind:?}"
            );
            assert_eq!(store.counts().await.unwrap(), before, "{kind:?}");

            // Decisions made after the first ingest come in; the same file again changes
            // nothing.
            let mut d = Decisions::new(None, Some(id.parse().unwrap()), None);
            d.decide(Decision::new(1, Verdict::Confirmed, "Li Wei 0417"));
            write_decisions(&FlightFolder::new(dir.path()).decisions(), &d).unwrap();
            for expected in [1, 0] {
                let r = store
                    .ingest(dir.path(), &river("test"), |_| {})
                    .await
                    .unwrap();
                assert_eq!(
                    r,
                    IngestOutcome::AlreadyStored {
                        flight_id: id.clone(),
                        decisions_changed: expected
                    },
                    "{kind:?}"
                );
            }
            let h = store.history().await.unwrap();
            let decided: Vec<_> = h
                .summaries(None)
                .into_iter()
                .filter_map(|s| s.decision)
                .collect();
            assert_eq!(decided.len(), 1, "{kind:?}");
            assert!(
                decided[0].starts_with("confirmed (Li Wei 0417"),
                "{decided:?}"
            );

            // Another journal under the same flight id is refused, naming both hashes.
            let other = tempfile::tempdir().unwrap();
            common::write_flight(
                other.path(),
                &common::FlightSpec {
                    flight_id: id.clone(),
                    t0_utc_us: 1_800_000_000_000_000,
                    frames: 3,
                    seen: vec![outfall(0.0, 20.0)],
                    noise_seed: 2,
                    decisions: Vec::new(),
                },
            );
            let e = store
                .ingest(other.path(), &river("test"), |_| {})
                .await
                .unwrap_err();
            assert!(matches!(e, StoreError::JournalChanged { .. }), "{e}");
            assert!(e.to_string().contains(&id), "{e}");
            store.close().await;
        });
    }
}

#[test]
fn twenty_ingests_at_once_lose_and_duplicate_nothing() {
    let rt = runtime();
    for kind in BOTH {
        let ts = TestStore::new(kind);
        let dirs: Vec<tempfile::TempDir> = (0..15).map(|_| tempfile::tempdir().unwrap()).collect();
        let targets = [
            outfall(10.0, 40.0),
            outfall(-12.0, 120.0),
            outfall(11.0, 200.0),
            outfall(-9.0, 260.0),
        ];
        for (k, d) in dirs.iter().enumerate() {
            flight(d.path(), k as i64, 8, &targets, 100 + k as u64);
        }
        rt.block_on(async {
            // Created once first: the schema migration is not what this test races.
            Store::open(&ts.url).await.unwrap().close().await;
            // 20 ingests, each with its own connection pool as separate processes would have:
            // the 15 flights, and 5 of them a second time.
            let mut tasks = Vec::new();
            for k in 0..20 {
                let url = ts.url.clone();
                let dir = dirs[k % 15].path().to_path_buf();
                tasks.push(tokio::spawn(async move {
                    let store = Store::open(&url).await?;
                    let r = store.ingest(&dir, &river("test"), |_| {}).await;
                    store.close().await;
                    r
                }));
            }
            let mut stored = 0;
            let mut already = 0;
            for t in tasks {
                match t.await.unwrap() {
                    Ok(IngestOutcome::Stored(_)) => stored += 1,
                    Ok(IngestOutcome::AlreadyStored { .. }) => already += 1,
                    Err(e) => panic!("{kind:?}: {e}"),
                }
            }
            assert_eq!((stored, already), (15, 5), "{kind:?}");
            let store = Store::open(&ts.url).await.unwrap();
            let c = store.counts().await.unwrap();
            assert_eq!(c.flights, 15, "{kind:?}");
            assert_eq!(c.frames, 15 * 8, "{kind:?}");
            assert_eq!(c.candidates, 15 * 4, "{kind:?}");
            // Every flight saw the same four outfalls: four sites, each passed and seen 15
            // times.
            assert_eq!(c.sites, 4, "{kind:?}");
            assert_eq!(c.site_passes, 15 * 4, "{kind:?}");
            let h = store.history().await.unwrap();
            for s in h.summaries(None) {
                assert_eq!(
                    (s.flights_passed, s.flights_seen),
                    (15, 15),
                    "{kind:?} {s:?}"
                );
            }
            store.close().await;
        });
    }
}

/// The child side of the SIGKILL test: ingests the flight named in the environment and
/// prints its progress; does nothing when run as an ordinary test.
#[test]
#[ignore = "run by a_killed_ingest_leaves_no_half_flight in a child process"]
fn child_ingest() {
    let (Ok(url), Ok(dir)) = (
        std::env::var("QLY_STORE_CHILD_URL"),
        std::env::var("QLY_STORE_CHILD_FLIGHT"),
    ) else {
        return;
    };
    runtime().block_on(async {
        let store = Store::open(&url).await.unwrap();
        store
            .ingest(std::path::Path::new(&dir), &river("test"), |p| {
                if let qly_store::IngestProgress::Frames { done, .. } = p {
                    println!("QLY-PROGRESS frames {done}");
                }
            })
            .await
            .unwrap();
        println!("QLY-PROGRESS done");
    });
}

#[test]
fn a_killed_ingest_leaves_no_half_flight() {
    const FRAMES: u64 = 4000;
    let rt = runtime();
    for kind in BOTH {
        let ts = TestStore::new(kind);
        let dir = tempfile::tempdir().unwrap();
        flight(dir.path(), 0, FRAMES, &[outfall(10.0, 40.0)], 7);
        rt.block_on(async { Store::open(&ts.url).await.unwrap().close().await });
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["child_ingest", "--exact", "--ignored", "--nocapture"])
            .env("QLY_STORE_CHILD_URL", &ts.url)
            .env("QLY_STORE_CHILD_FLIGHT", dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut killed_at = None;
        for line in BufReader::new(child.stdout.take().unwrap()).lines() {
            let line = line.unwrap();
            if let Some(n) = line.strip_prefix("QLY-PROGRESS frames ") {
                let n: u64 = n.trim().parse().unwrap();
                if n >= 1000 {
                    child.kill().unwrap(); // SIGKILL
                    killed_at = Some(n);
                    break;
                }
            }
            assert_ne!(
                line, "QLY-PROGRESS done",
                "{kind:?}: finished before the kill"
            );
        }
        let status = child.wait().unwrap();
        let killed_at = killed_at.unwrap_or_else(|| panic!("{kind:?}: no progress ({status})"));
        assert!(killed_at < FRAMES, "{kind:?}");
        rt.block_on(async {
            let store = Store::open(&ts.url).await.unwrap();
            let c = store.counts().await.unwrap();
            assert_eq!(
                (c.flights, c.frames, c.candidates, c.sites),
                (0, 0, 0, 0),
                "{kind:?}: killed after {killed_at} frames"
            );
            // And the flight goes in whole afterwards.
            let r = store
                .ingest(dir.path(), &river("test"), |_| {})
                .await
                .unwrap();
            assert!(
                matches!(r, IngestOutcome::Stored(ref s) if s.frames == FRAMES),
                "{r:?}"
            );
            assert_eq!(store.counts().await.unwrap().frames, FRAMES as i64);
            store.close().await;
        });
    }
}

#[test]
fn bad_folders_are_refused_with_the_reason() {
    let rt = runtime();
    let ts = TestStore::new(Kind::Sqlite);
    rt.block_on(async {
        let store = Store::open(&ts.url).await.unwrap();
        let nowhere = tempfile::tempdir().unwrap();
        let e = store
            .ingest(&nowhere.path().join("nope"), &river("x"), |_| {})
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a flight folder"), "{e}");
        // A journal without a header has no flight id.
        let dir = tempfile::tempdir().unwrap();
        let (j, _) = qly_flight::journal::Journal::open_in(dir.path()).unwrap();
        j.flush().unwrap();
        drop(j);
        let e = store
            .ingest(dir.path(), &river("x"), |_| {})
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("no flight header"), "{e}");
        assert_eq!(store.counts().await.unwrap().flights, 0);
        store.close().await;
    });
    let e = rt
        .block_on(Store::open("mysql://localhost/x"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown scheme"), "{e}");
}
