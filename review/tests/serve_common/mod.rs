//! What the `review serve` tests share: the real binary started on 127.0.0.1:0 (its address
//! read from the line it prints), a contest folder with targets and token hashes, and report
//! files near the targets.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use qly_core::geodesy::GeoPoint;
use review::serve::auth::{hash_token, hex};

pub const JUDGES_TOKEN: &str = "judges-token-0123456789";
pub const BLUE_TOKEN: &str = "blue-token-abcdefghij";
pub const RED_TOKEN: &str = "red-token-klmnopqrst";
pub const MAX_UPLOAD_BYTES: usize = 4096;

/// The targets: an outfall and a plume source on a river.
pub const T1: GeoPoint = GeoPoint {
    lat_deg: 27.05,
    lon_deg: 106.95,
};
pub const T2: GeoPoint = GeoPoint {
    lat_deg: 27.052,
    lon_deg: 106.951,
};

/// A running `review serve`; killed on drop.
pub struct Server {
    pub child: Child,
    pub base: String,
    pub lines: Receiver<String>,
}

impl Server {
    /// Starts `review --lang en serve --listen 127.0.0.1:0 ARGS...` and waits for its address.
    pub fn start(args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_review"))
            .args(["--lang", "en", "serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .env("REVIEW_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("starting review serve");
        let (tx, lines) = channel();
        let out = child.stdout.take().expect("stdout");
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = match lines.recv_timeout(left) {
                Ok(l) => l,
                Err(_) => {
                    let status = child.try_wait();
                    let _ = child.kill();
                    panic!("review serve printed no address within 60 s (exit: {status:?})");
                }
            };
            if let Some(rest) = line.split("listening on http://").nth(1) {
                let addr = rest.split_whitespace().next().expect("address");
                return Server {
                    child,
                    base: format!("http://{addr}"),
                    lines,
                };
            }
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// SIGKILL: no chance to flush or close anything.
    pub fn kill_9(&mut self) {
        self.child.kill().expect("kill -9");
        self.child.wait().expect("reaping");
    }

    /// SIGTERM, and the exit status once it has stopped.
    pub fn terminate(&mut self) -> ExitStatus {
        let ok = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill -TERM");
        assert!(ok.success());
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(s) = self.child.try_wait().expect("waiting") {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "review serve ignored SIGTERM for 30 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits up to 10 s for a printed line (after the address) that `want` accepts.
    pub fn wait_printed(&self, want: impl Fn(&str) -> bool) -> Option<String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        while let Ok(line) = self
            .lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            if want(&line) {
                return Some(line);
            }
        }
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn point(id: &str, class: &str, p: GeoPoint, time_s: f64) -> serde_json::Value {
    serde_json::json!({
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [p.lon_deg, p.lat_deg]},
        "properties": {"id": id, "class": class, "time": time_s},
    })
}

/// A GeoJSON text of points `(id, class, position, time)`.
pub fn geojson(points: &[(&str, &str, GeoPoint, f64)]) -> String {
    let features: Vec<_> = points
        .iter()
        .map(|(id, class, p, t)| point(id, class, *p, *t))
        .collect();
    serde_json::json!({"type": "FeatureCollection", "features": features}).to_string()
}

/// Writes `dir/targets.geojson` and `dir/contest.toml` (judges, teams blue and red).
pub fn contest_dir(dir: &Path) -> PathBuf {
    std::fs::write(
        dir.join("targets.geojson"),
        geojson(&[("T1", "outfall", T1, 0.0), ("T2", "plume", T2, 0.0)]),
    )
    .unwrap();
    let path = dir.join("contest.toml");
    std::fs::write(
        &path,
        format!(
            "name = \"river-cup-2027\"\ntitle = \"River cup 2027\"\ntargets = \"targets.geojson\"\n\
             time_limit_s = 1800\nmax_upload_bytes = {MAX_UPLOAD_BYTES}\nrefresh_s = 2\n\n\
             [judges]\ntoken_sha256 = \"{}\"\n\n\
             [[teams]]\nname = \"blue\"\ntoken_sha256 = \"{}\"\n\n\
             [[teams]]\nname = \"red\"\ntoken_sha256 = \"{}\"\n",
            hex(&hash_token(JUDGES_TOKEN)),
            hex(&hash_token(BLUE_TOKEN)),
            hex(&hash_token(RED_TOKEN)),
        ),
    )
    .unwrap();
    path
}

/// Blue's reports: T1 found 2 m off at 300 s; one false report 400 m away.
pub fn blue_reports() -> String {
    geojson(&[
        ("b1", "outfall", T1.destination(90.0, 2.0), 300.0),
        ("b2", "outfall", T1.destination(0.0, 400.0), 310.0),
    ])
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http client")
}
