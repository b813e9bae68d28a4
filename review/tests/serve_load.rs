//! Load measurement of the store and `review serve` (issue 19, deliverable 6): 200 synthetic
//! flights ingested by 20 concurrent ingests (each its own store connection, as 20 `review
//! ingest` processes would be), then all 200 again (idempotent); then the real server with
//! 100 concurrent readers of the site map (`/api/sites.geojson`) and the leaderboard
//! (`/contest/leaderboard.json`) while 20 teams upload at once. Prints p50/p99 latency and
//! throughput, SQLite and PostgreSQL side by side, and checks that no record is lost or
//! duplicated. Ignored by default; BENCHMARKS.md gives the command and the figures.

mod serve_common;
#[path = "../../store/tests/common/mod.rs"]
mod store_common;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use qly_store::{IngestOptions, IngestOutcome, Store};
use review::serve::auth::{hash_token, hex};
use serde_json::Value;
use serve_common::{client, geojson, Server, T1, T2};
use store_common::{flight, outfall, plume_at, Kind, Target, TestStore};

const FLIGHTS: usize = 200;
const INGESTERS: usize = 20;
const FRAMES: u64 = 12;
const READERS: usize = 100;
const TEAMS: usize = 20;
const UPLOADS_PER_TEAM: usize = 5;
const READ_FOR: Duration = Duration::from_secs(15);

/// Milliseconds at a quantile (nearest rank).
fn quantile_ms(sorted: &[Duration], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1e3
}

struct Figures {
    what: String,
    count: usize,
    wall: Duration,
    lat: Vec<Duration>,
}

impl Figures {
    fn line(&mut self, backend: &str) -> String {
        self.lat.sort();
        format!(
            "| {backend} | {} | {} | {:.1} | {:.1} | {:.1} |",
            self.what,
            self.count,
            quantile_ms(&self.lat, 0.5),
            quantile_ms(&self.lat, 0.99),
            self.count as f64 / self.wall.as_secs_f64()
        )
    }
}

/// The river every flight patrols: six outfalls, plumes at two of them.
fn world() -> Vec<Target> {
    let o: Vec<Target> = [
        (12.0, 40.0),
        (-13.0, 110.0),
        (14.0, 190.0),
        (-12.0, 260.0),
        (13.0, 330.0),
        (-14.0, 400.0),
    ]
    .iter()
    .map(|&(e, n)| outfall(e, n))
    .collect();
    let mut all = o.clone();
    all.push(plume_at(o[1]));
    all.push(plume_at(o[4]));
    all
}

async fn ingest_all(url: &str, dirs: &[PathBuf], expect_new: bool) -> Figures {
    let dirs = Arc::new(dirs.to_vec());
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..INGESTERS {
        let dirs = dirs.clone();
        let url = url.to_string();
        tasks.push(tokio::spawn(async move {
            let store = Store::open(&url).await.unwrap();
            let options = IngestOptions {
                river: "qingshui".into(),
            };
            let mut lat = Vec::new();
            for d in dirs.iter().skip(w).step_by(INGESTERS) {
                let t = Instant::now();
                let outcome = store.ingest(d, &options, |_| {}).await.unwrap();
                lat.push(t.elapsed());
                assert_eq!(
                    matches!(outcome, IngestOutcome::Stored(_)),
                    expect_new,
                    "{}",
                    d.display()
                );
            }
            store.close().await;
            lat
        }));
    }
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await.unwrap());
    }
    Figures {
        what: if expect_new {
            format!("ingest, {INGESTERS} at once")
        } else {
            format!("ingest again (unchanged), {INGESTERS} at once")
        },
        count: lat.len(),
        wall: started.elapsed(),
        lat,
    }
}

fn contest_file(dir: &std::path::Path) -> PathBuf {
    std::fs::write(
        dir.join("targets.geojson"),
        geojson(&[("T1", "outfall", T1, 0.0), ("T2", "plume", T2, 0.0)]),
    )
    .unwrap();
    let mut toml = format!(
        "name = \"load\"\ntargets = \"targets.geojson\"\n[judges]\ntoken_sha256 = \"{}\"\n",
        hex(&hash_token("judges"))
    );
    for t in 0..TEAMS {
        toml.push_str(&format!(
            "[[teams]]\nname = \"team{t:02}\"\ntoken_sha256 = \"{}\"\n",
            hex(&hash_token(&format!("token-{t}")))
        ));
    }
    let path = dir.join("contest.toml");
    std::fs::write(&path, toml).unwrap();
    path
}

async fn load(kind: Kind) -> Vec<String> {
    let backend = match kind {
        Kind::Sqlite => "SQLite",
        Kind::Postgres => "PostgreSQL",
    };
    let ts = TestStore::new(kind);
    let dir = tempfile::tempdir().unwrap();
    let world = world();
    let dirs: Vec<PathBuf> = (0..FLIGHTS)
        .map(|i| {
            let d = dir.path().join(format!("f{i:03}"));
            flight(&d, i as i64, FRAMES, &world, 1000 + i as u64);
            d
        })
        .collect();
    let mut lines = Vec::new();
    let mut first = ingest_all(&ts.url, &dirs, true).await;
    lines.push(first.line(backend));
    let mut again = ingest_all(&ts.url, &dirs, false).await;
    lines.push(again.line(backend));

    // Nothing lost, nothing twice: every flight, photo and candidate once; one site per
    // outfall (the plumes belong to theirs), every flight passing each.
    let store = Store::open(&ts.url).await.unwrap();
    let n = store.counts().await.unwrap();
    assert_eq!(n.flights, FLIGHTS as i64);
    assert_eq!(n.frames, FLIGHTS as i64 * FRAMES as i64);
    assert_eq!(n.candidates, (FLIGHTS * world.len()) as i64);
    assert_eq!(n.sites, 6, "{n:?}");
    assert_eq!(n.site_passes, (FLIGHTS * 6) as i64, "{n:?}");
    store.close().await;

    // The server: readers and uploaders at once.
    let contest = contest_file(dir.path());
    let server = Server::start(&["--store", &ts.url, "--contest", contest.to_str().unwrap()]);
    let base = Arc::new(server.base.clone());
    let c = client();
    let stop_at = Instant::now() + READ_FOR;
    let started = Instant::now();
    let mut readers = Vec::new();
    for r in 0..READERS {
        let c = c.clone();
        let base = base.clone();
        readers.push(tokio::spawn(async move {
            let (mut board, mut sites) = (Vec::new(), Vec::new());
            let mut k = r;
            while Instant::now() < stop_at {
                let (path, into) = if k % 2 == 0 {
                    ("/contest/leaderboard.json", &mut board)
                } else {
                    ("/api/sites.geojson?river=qingshui", &mut sites)
                };
                let t = Instant::now();
                let resp = c.get(format!("{base}{path}")).send().await.unwrap();
                assert_eq!(resp.status(), 200, "{path}");
                let body = resp.bytes().await.unwrap();
                into.push(t.elapsed());
                assert!(!body.is_empty());
                k += 1;
            }
            (board, sites)
        }));
    }
    let mut uploaders = Vec::new();
    for t in 0..TEAMS {
        let c = c.clone();
        let base = base.clone();
        uploaders.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            for u in 1..=UPLOADS_PER_TEAM {
                // Upload u holds u reports: the counted entry tells which upload won.
                let reports: Vec<(String, &str, qly_core::geodesy::GeoPoint, f64)> = (0..u)
                    .map(|i| {
                        (
                            format!("r{i}"),
                            "outfall",
                            T1.destination(90.0, 1.0 + i as f64),
                            60.0 * u as f64,
                        )
                    })
                    .collect();
                let refs: Vec<(&str, &str, qly_core::geodesy::GeoPoint, f64)> = reports
                    .iter()
                    .map(|(a, b, p, s)| (a.as_str(), *b, *p, *s))
                    .collect();
                let time = Instant::now();
                let r = c
                    .post(format!("{base}/contest/teams/team{t:02}/reports"))
                    .bearer_auth(format!("token-{t}"))
                    .header("content-type", "application/geo+json")
                    .body(geojson(&refs))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 201);
                lat.push(time.elapsed());
            }
            lat
        }));
    }
    let mut uploads = Vec::new();
    for u in uploaders {
        uploads.extend(u.await.unwrap());
    }
    let uploads_wall = started.elapsed();
    let (mut board, mut sites) = (Vec::new(), Vec::new());
    for r in readers {
        let (b, s) = r.await.unwrap();
        board.extend(b);
        sites.extend(s);
    }
    let read_wall = started.elapsed();
    let n_reads = board.len() + sites.len();
    lines.push(
        Figures {
            what: format!("leaderboard.json, {READERS} readers (half of them)"),
            count: board.len(),
            wall: read_wall,
            lat: board,
        }
        .line(backend),
    );
    lines.push(
        Figures {
            what: format!("sites.geojson (200 flights, 6 sites), {READERS} readers (half)"),
            count: sites.len(),
            wall: read_wall,
            lat: sites,
        }
        .line(backend),
    );
    lines.push(
        Figures {
            what: format!("upload, {TEAMS} teams at once, beside the readers"),
            count: uploads.len(),
            wall: uploads_wall,
            lat: uploads,
        }
        .line(backend),
    );
    println!(
        "{backend}: {n_reads} reads in {:.1} s",
        read_wall.as_secs_f64()
    );

    // Every upload counted once, the last one each team's entry.
    let b: Value = c
        .get(format!("{base}/contest/leaderboard.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for t in b["teams"].as_array().unwrap() {
        assert_eq!(t["uploads"], UPLOADS_PER_TEAM as u64, "{t}");
        assert_eq!(t["reports"], UPLOADS_PER_TEAM as u64, "{t}");
    }
    drop(server);
    let store = Store::open(&ts.url).await.unwrap();
    let stored = store.contest_uploads("load").await.unwrap();
    let total: i64 = stored.counts.iter().map(|(_, n)| n).sum();
    assert_eq!(total, (TEAMS * UPLOADS_PER_TEAM) as i64);
    store.close().await;
    lines
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "load measurement: cargo test --release -p review --test serve_load -- --ignored --nocapture"]
async fn load_sqlite_and_postgresql() {
    let mut lines = vec![
        "| store | what | requests | p50 ms | p99 ms | per second |".to_string(),
        "| --- | --- | ---: | ---: | ---: | ---: |".to_string(),
    ];
    lines.extend(load(Kind::Sqlite).await);
    lines.extend(load(Kind::Postgres).await);
    println!("{}", lines.join("\n"));
}
