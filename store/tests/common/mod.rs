//! What the store's tests share: the two backends (an SQLite file in a temporary folder, and
//! an ephemeral PostgreSQL cluster with PostGIS started from Debian's packages in a temporary
//! folder and stopped afterwards), and synthetic flight folders written through the real
//! journal.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use qly_core::geodesy::{GeoPoint, LocalFrame};
use qly_flight::decisions::{write_decisions, Decision, Decisions, Verdict};
use qly_flight::folder::{FlightFolder, FrameKey};
use qly_flight::header::{
    CameraInfo, FlightHeader, FlightId, FlightSource, ModelInfo, VehicleInfo,
};
use qly_flight::journal::Journal;
use qly_flight::record::{
    BestView, CameraRecord, CandidateRecord, FrameRecord, HorizontalError, Record,
};

/// A PostgreSQL cluster of its own, on a unix socket in its temporary folder (no TCP port);
/// stopped and deleted on drop.
pub struct PgCluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    /// `runuser -u nobody --` when the tests run as root (PostgreSQL refuses to run as root).
    as_user: Vec<String>,
}

fn pg_bin_dir() -> PathBuf {
    if let Ok(d) = std::env::var("QLY_PG_BIN") {
        return PathBuf::from(d);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, b)| b).unwrap_or_else(|| {
        panic!(
            "no PostgreSQL server in /usr/lib/postgresql/*/bin (or $QLY_PG_BIN): \
             scripts/setup-env.sh installs Debian's postgresql and postgresql-NN-postgis-3"
        )
    })
}

fn run(cmd: &mut Command, what: &str) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot start {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl PgCluster {
    pub fn start() -> PgCluster {
        let bin = pg_bin_dir();
        let dir = tempfile::Builder::new()
            .prefix("qly-pg-")
            .tempdir()
            .expect("temporary folder");
        let as_user: Vec<String> = if running_as_root() {
            // The folder must belong to the server's user.
            run(
                Command::new("chown").arg("nobody").arg(dir.path()),
                "chown nobody",
            );
            vec!["runuser".into(), "-u".into(), "nobody".into(), "--".into()]
        } else {
            Vec::new()
        };
        let c = PgCluster { dir, bin, as_user };
        let data = c.dir.path().join("data");
        // A copy of a cluster made once: initdb takes seconds (ten on a busy machine), a copy
        // a fraction of one.
        run(
            Command::new("cp").arg("-a").arg(c.template()).arg(&data),
            "copying the template cluster",
        );
        run(
            c.command("pg_ctl")
                .arg("-D")
                .arg(&data)
                .arg("-l")
                .arg(c.dir.path().join("server.log"))
                .arg("-o")
                .arg(format!(
                    "-k {} -c listen_addresses= -c fsync=off -c max_connections=100",
                    c.dir.path().display()
                ))
                .args(["-w", "start"]),
            "pg_ctl start",
        );
        c
    }

    /// An initialised, never started data folder in the build's temporary folder, made once
    /// per server version (under a lock: test binaries run at once).
    fn template(&self) -> PathBuf {
        let version = self
            .bin
            .parent()
            .and_then(|p| p.file_name())
            .map_or("pg".into(), |v| v.to_string_lossy().into_owned());
        let root =
            Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("qly-pg-template-{version}"));
        let data = root.join("data");
        let ready = root.join("ready");
        std::fs::create_dir_all(&root).expect("template folder");
        let lock = std::fs::File::create(root.join("lock")).expect("template lock");
        lock.lock().expect("template lock");
        if !ready.exists() {
            let _ = std::fs::remove_dir_all(&data);
            if !self.as_user.is_empty() {
                run(
                    Command::new("chown").arg("nobody").arg(&root),
                    "chown nobody",
                );
            }
            run(
                self.command("initdb").arg("-D").arg(&data).args([
                    "-A",
                    "trust",
                    "-U",
                    "postgres",
                    "-E",
                    "UTF8",
                    "--no-sync",
                ]),
                "initdb",
            );
            std::fs::write(&ready, b"").expect("template ready");
        }
        data
    }

    fn command(&self, program: &str) -> Command {
        let exe = self.bin.join(program);
        match self.as_user.split_first() {
            Some((first, rest)) => {
                let mut c = Command::new(first);
                c.args(rest).arg(exe);
                c
            }
            None => Command::new(exe),
        }
    }

    /// The cluster's `postgres` database as a store URL.
    pub fn url(&self) -> String {
        format!(
            "postgres://postgres@localhost/postgres?host={}",
            self.dir.path().display()
        )
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-m", "immediate", "-w", "stop"])
            .output();
    }
}

/// Whether this process runs as root (uid 0), from /proc (no libc dependency).
fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(1).map(|u| u == "0"))
        })
        .unwrap_or(false)
}

/// A store to test against: its URL and what keeps it alive.
pub struct TestStore {
    pub url: String,
    _pg: Option<PgCluster>,
    _dir: Option<tempfile::TempDir>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

pub const BOTH: [Kind; 2] = [Kind::Sqlite, Kind::Postgres];

impl TestStore {
    pub fn new(kind: Kind) -> TestStore {
        match kind {
            Kind::Sqlite => {
                let dir = tempfile::tempdir().expect("temporary folder");
                TestStore {
                    url: dir.path().join("store.sqlite").display().to_string(),
                    _pg: None,
                    _dir: Some(dir),
                }
            }
            Kind::Postgres => {
                let pg = PgCluster::start();
                TestStore {
                    url: pg.url(),
                    _pg: Some(pg),
                    _dir: None,
                }
            }
        }
    }
}

/// Where the synthetic river runs: north from here.
pub const ORIGIN: GeoPoint = GeoPoint {
    lat_deg: 27.05,
    lon_deg: 106.95,
};

/// A thing on the river bank: metres east and north of [`ORIGIN`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Target {
    pub class: &'static str,
    pub east_m: f64,
    pub north_m: f64,
}

pub fn outfall(east_m: f64, north_m: f64) -> Target {
    Target {
        class: "outfall",
        east_m,
        north_m,
    }
}

/// A plume's source lies 1.5 m downstream of its pipe's mouth, in the water.
pub fn plume_at(o: Target) -> Target {
    Target {
        class: "plume",
        east_m: o.east_m - 1.0 * o.east_m.signum(),
        north_m: o.north_m + 1.5,
    }
}

/// One synthetic flight up the river.
pub struct FlightSpec {
    pub flight_id: String,
    /// First photo, UTC microseconds.
    pub t0_utc_us: i64,
    /// Photos every 40 m from north 0; 80 m above ground, nadir (footprint 85 x 64 m).
    pub frames: u64,
    pub seen: Vec<Target>,
    /// Seed of the position noise (0.7 m per axis, predicted as 1 m).
    pub noise_seed: u64,
    /// Decisions to write: (candidate index in `seen`, verdict, inspector).
    pub decisions: Vec<(usize, Verdict, String)>,
}

pub const PHOTO_SPACING_M: f64 = 40.0;

/// Deterministic noise in [-1, 1] (splitmix64).
fn noise(seed: u64, k: u64) -> f64 {
    let mut z = seed
        .wrapping_add(k.wrapping_mul(0x9e37_79b9_7f4a_7c15))
        .wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
}

fn error(sigma_m: f64) -> HorizontalError {
    HorizontalError::from_covariance([[sigma_m * sigma_m, 0.0], [0.0, sigma_m * sigma_m]])
}

fn camera_at(north_m: f64) -> CameraRecord {
    let p = LocalFrame::at(ORIGIN).unproject(0.0, north_m);
    CameraRecord {
        lat_deg: p.lat_deg,
        lon_deg: p.lon_deg,
        alt_amsl_m: 1125.0,
        height_above_ground_m: Some(80.0),
        roll_deg: 0.0,
        pitch_deg: 0.0,
        yaw_deg: 0.0,
        camera_pitch_deg: -90.0,
        camera_yaw_deg: 0.0,
    }
}

pub fn new_flight_id() -> String {
    FlightId::generate().to_string()
}

/// Writes the flight folder at `dir`: header, one frame record per photo, two sightings'
/// worth of candidate per target seen (confirmed at 2), and the decisions file.
pub fn write_flight(dir: &Path, spec: &FlightSpec) {
    let folder = FlightFolder::create(dir).expect("flight folder");
    let header = FlightHeader {
        journal_format: qly_flight::header::JOURNAL_FORMAT,
        flight_id: spec.flight_id.parse().expect("a ULID"),
        created_utc_us: spec.t0_utc_us - 60_000_000,
        source: FlightSource::Live,
        vehicle: VehicleInfo {
            id: "mavlink:1".into(),
            description: "store test".into(),
        },
        camera: CameraInfo {
            name: "test".into(),
            width_px: 320,
            height_px: 240,
            fx_px: 300.0,
            fy_px: 300.0,
            cx_px: 160.0,
            cy_px: 120.0,
            distortion: [0.0; 5],
        },
        model: ModelInfo {
            file: "test.onnx".into(),
            sha256: "0".repeat(64),
            classes: vec!["outfall".into(), "plume".into()],
        },
        min_sightings: 2,
        datum: "WGS-84".into(),
        software: "qly-store tests".into(),
    };
    let (journal, _) = Journal::open_in(folder.root()).expect("journal");
    journal.append(&Record::Header(header)).expect("append");
    for i in 0..spec.frames {
        let file = folder.record_name(&folder.frame(FrameKey::first_boot(i)));
        journal
            .append(&Record::Frame(FrameRecord {
                boot: 0,
                image_index: i,
                file,
                t_utc_us: spec.t0_utc_us + i as i64 * 5_000_000,
                t_boot_ms: Some(i as f64 * 5000.0),
                width_px: 320,
                height_px: 240,
                camera: camera_at(i as f64 * PHOTO_SPACING_M),
                detections: 0,
                sightings: 0,
            }))
            .expect("append");
    }
    for (k, t) in spec.seen.iter().enumerate() {
        let e = t.east_m + 0.7 * noise(spec.noise_seed, 2 * k as u64);
        let n = t.north_m + 0.7 * noise(spec.noise_seed, 2 * k as u64 + 1);
        let p = LocalFrame::at(ORIGIN).unproject(e, n);
        let frame = (t.north_m / PHOTO_SPACING_M).round().max(0.0) as u64;
        let t_us = spec.t0_utc_us + frame as i64 * 5_000_000;
        journal
            .append(&Record::Candidate(CandidateRecord {
                id: k as u64 + 1,
                revision: 2,
                class_name: t.class.into(),
                lat_deg: p.lat_deg,
                lon_deg: p.lon_deg,
                attribution: "fused_centre".into(),
                along_river_m: None,
                fused_lat_deg: p.lat_deg,
                fused_lon_deg: p.lon_deg,
                error: error(1.0),
                sightings: 2,
                first_t_utc_us: t_us,
                last_t_utc_us: t_us + 5_000_000,
                confidence_max: 0.8,
                confidence_mean: 0.7,
                best: BestView {
                    boot: 0,
                    image_index: frame,
                    file: folder.record_name(&folder.frame(FrameKey::first_boot(frame))),
                    bbox_px: [100.0, 100.0, 140.0, 140.0],
                    confidence: 0.8,
                    slant_range_m: 80.0,
                },
            }))
            .expect("append");
    }
    journal.flush().expect("flush");
    drop(journal);
    if !spec.decisions.is_empty() {
        let mut d = Decisions::new(None, Some(spec.flight_id.parse().unwrap()), None);
        for (k, verdict, who) in &spec.decisions {
            d.decide(Decision::new(*k as u64 + 1, *verdict, who));
        }
        write_decisions(&folder.decisions(), &d).expect("decisions");
    }
}

/// A flight over `frames` photos seeing `seen`, at day `day` (one day = 86400 s after
/// 2027-01-15).
pub fn flight(dir: &Path, day: i64, frames: u64, seen: &[Target], seed: u64) -> String {
    let id = new_flight_id();
    write_flight(
        dir,
        &FlightSpec {
            flight_id: id.clone(),
            t0_utc_us: 1_800_000_000_000_000 + day * 86_400_000_000,
            frames,
            seen: seen.to_vec(),
            noise_seed: seed,
            decisions: Vec::new(),
        },
    );
    id
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}
