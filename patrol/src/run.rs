//! The patrol, step by step: plan, start the sim and the companion, upload and fly each
//! sortie, wait until every photo is rendered and processed, stop the companion (it writes
//! its exports) and the sim, then review.

use std::ffi::OsString;
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use qly_flight::folder::FlightFolder;
use qly_flight::view::FrameTally;
use review::patrol::PatrolFigures;

use crate::children::{run_to_end, Output, Program, Programs};
use crate::companion_config::CompanionSettings;
use crate::plan::{plan_patrol, PlanRequest};
use crate::progress::{FolderProgress, StallWatch};
use crate::settings::{PatrolArgs, HOME_AMSL_M, SIM_CAMERA};
use crate::sim_args::{SimGround, SimOptions};
use crate::telemetry::{start_monitor, FlightTelemetry, SharedTelemetry};

/// How often a progress line is printed.
const PROGRESS_EVERY: Duration = Duration::from_secs(10);
/// How often the programs are looked at while a sortie flies.
const POLL: Duration = Duration::from_millis(500);
/// How often the journal and the frames are looked at while waiting after landing.
const WAIT_POLL: Duration = Duration::from_secs(2);
/// How long the companion may take to write its exports after SIGTERM.
const COMPANION_STOP_GRACE: Duration = Duration::from_secs(120);

/// The outcome of a patrol.
#[derive(Debug, Clone)]
pub struct PatrolOutcome {
    pub folder: FlightFolder,
    pub planned_photos: usize,
    pub tally: FrameTally,
    pub rendered: usize,
    pub confirmed: usize,
    pub figures: PatrolFigures,
}

/// Prints a step header with the time since the start.
struct Steps {
    t0: Instant,
}

impl Steps {
    fn say(&self, what: impl std::fmt::Display) {
        println!("\n== [{:4}s] {what}", self.t0.elapsed().as_secs());
    }
}

pub async fn run_patrol(args: PatrolArgs) -> Result<PatrolOutcome> {
    let steps = Steps { t0: Instant::now() };
    check_args(&args)?;
    let programs = Programs::find(args.bin_dir.as_deref())?;
    let model = match &args.model {
        Some(m) => m.clone(),
        None => first_model(Path::new("models"))?,
    };
    let model = absolute(&model).with_context(|| format!("the model {}", model.display()))?;
    let Some(ort) = args.onnxruntime_library.clone() else {
        bail!(
            "ONNX Runtime not found: set ORT_DYLIB_PATH or --onnxruntime-library (scripts/setup-env.sh does)"
        );
    };
    let corridor = absolute(&args.corridor)
        .with_context(|| format!("the corridor {}", args.corridor.display()))?;
    let dem = match args.dem() {
        Some(d) => {
            Some(absolute(&d).with_context(|| format!("the elevation model {}", d.display()))?)
        }
        None => None,
    };
    let out = match &args.out {
        Some(o) => o.clone(),
        None => PathBuf::from("out").join(format!("patrol-{}", utc_stamp())),
    };
    let folder = FlightFolder::create(&out)?;
    let folder = FlightFolder::new(absolute(folder.root())?);
    let logs = folder.logs_dir();
    let name = corridor
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "corridor".into());

    let t_patrol = Instant::now();
    let alt_m = args.alt_m;
    steps.say(format!(
        "planning {}: camera '{SIM_CAMERA}', {alt_m} m, {} % forward overlap{}",
        args.corridor.display(),
        args.front_overlap_pct,
        if dem.is_some() {
            ", following the terrain"
        } else {
            ""
        }
    ));
    let planned = plan_patrol(
        &PlanRequest {
            corridor: corridor.clone(),
            camera: SIM_CAMERA.into(),
            alt_m,
            front_overlap_pct: args.front_overlap_pct,
            side_overlap_pct: args.side_overlap_pct,
            speed_m_s: args.speed_m_s,
            home_amsl_m: HOME_AMSL_M,
            dem: dem.clone(),
            battery_min: args.battery_min,
        },
        &folder.plan_dir(),
        &name,
    )?;
    print!("{}", planned.summary);
    std::fs::write(logs.join("plan.txt"), &planned.summary)
        .with_context(|| format!("writing {}", logs.join("plan.txt").display()))?;
    println!(
        "sorties     {} ({} photos predicted)",
        planned.sorties.len(),
        planned.predicted_photos()
    );

    // Three MAVLink links on the sim, like an autopilot's serial ports: ground station
    // (`planner upload` / `planner fly`), companion, and this program's monitor.
    let [port_gcs, port_companion, port_monitor] = free_udp_ports()?;
    steps.say(format!(
        "starting sim: world seed {} (style {}), noise GPS {} m / attitude {} deg / heading {} deg, speed-up x{}",
        args.world_seed,
        args.style,
        args.gps_sigma_m,
        args.attitude_sigma_deg,
        args.heading_sigma_deg,
        args.speedup
    ));
    let sim_options = SimOptions {
        listen: [port_gcs, port_companion, port_monitor]
            .iter()
            .map(|p| format!("udpin:127.0.0.1:{p}"))
            .collect(),
        corridor: corridor.clone(),
        world_seed: args.world_seed,
        world_changes: args.world_changes,
        style: args.style.clone(),
        seed: args.seed,
        frames_dir: folder.frames_dir(),
        truth: folder.truth(),
        speedup: args.speedup,
        gps_sigma_m: args.gps_sigma_m,
        alt_sigma_m: args.alt_sigma_m,
        attitude_sigma_deg: args.attitude_sigma_deg,
        heading_sigma_deg: args.heading_sigma_deg,
        ground: match &dem {
            // Terrain following over the DEM; the sim's world stands on the same relief,
            // with home on the ground under the corridor's first point.
            Some(dem) => SimGround::Dem { dem: dem.clone() },
            None => SimGround::Flat { home: planned.home },
        },
    };
    let sim_log = Output::Log(logs.join("sim.log"));
    let mut sim = Program::start(&programs, "sim", sim_options.args(), &sim_log)?;
    let (telemetry, _monitor) = start_monitor(
        &format!("udpout:127.0.0.1:{port_monitor}"),
        Duration::from_secs(20),
    )
    .await
    .with_context(|| {
        format!(
            "the sim did not start; see {}",
            logs.join("sim.log").display()
        )
    })?;

    let companion_settings = CompanionSettings {
        address: qly_link::Address::UdpOut(format!("127.0.0.1:{port_companion}")),
        camera: SIM_CAMERA.into(),
        model: model.clone(),
        onnxruntime_library: Some(ort),
        outfall_confidence: args.outfall_confidence,
        plume_confidence: args.plume_confidence,
        min_sightings: args.min_sightings,
        gps_sigma_m: args.gps_sigma_m,
        alt_sigma_m: args.alt_sigma_m,
        attitude_sigma_deg: args.attitude_sigma_deg,
        heading_sigma_deg: args.heading_sigma_deg,
        dem: dem.clone(),
        ground_amsl_m: HOME_AMSL_M,
        frames_dir: folder.frames_dir(),
        flight_dir: folder.root().to_path_buf(),
        frame_delay_ms: args.companion_frame_delay_ms,
    };
    crate::companion_config::write_config(
        &companion_settings.config(),
        &folder.companion_config(),
    )?;
    steps.say(format!(
        "starting companion (detector {}{})",
        model.file_name().unwrap_or_default().to_string_lossy(),
        match args.companion_frame_delay_ms {
            Some(ms) => format!(", slowed by {ms} ms per photo"),
            None => String::new(),
        }
    ));
    let companion_log = Output::Log(logs.join("companion.log"));
    let companion_args: Vec<OsString> = vec![
        "run".into(),
        "--config".into(),
        folder.companion_config().into(),
    ];
    let mut companion = Program::start(&programs, "companion", companion_args, &companion_log)?;

    let gcs = format!("udpout:127.0.0.1:{port_gcs}");
    let mut watch = Watch {
        folder: &folder,
        telemetry: &telemetry,
        t0: steps.t0,
        last_print: Instant::now(),
    };
    let n_sorties = planned.sorties.len();
    for (k, sortie) in planned.sorties.iter().enumerate() {
        let label = format!("sortie {}/{n_sorties}", k + 1);
        steps.say(format!(
            "{label}: uploading {} ({} items, {} photos) with planner upload",
            sortie
                .plan_file
                .file_name()
                .unwrap_or_default()
                .to_string_lossy(),
            sortie.items,
            sortie.photos
        ));
        let upload: Vec<OsString> = vec![
            "upload".into(),
            sortie.plan_file.clone().into(),
            "--connect".into(),
            gcs.clone().into(),
            "--wait-s".into(),
            "20".into(),
        ];
        run_to_end(
            &programs,
            "planner",
            upload,
            &Output::Inherit,
            "planner upload",
        )
        .await?;
        steps.say(format!(
            "{label}: flying with planner fly (GUIDED, arm, AUTO, MISSION_START), telemetry to {}",
            folder.telemetry().display()
        ));
        let mut fly_args: Vec<OsString> = vec![
            "fly".into(),
            "--connect".into(),
            gcs.clone().into(),
            "--tlog".into(),
            folder.telemetry().into(),
            "--timeout-s".into(),
            args.sortie_timeout_s.to_string().into(),
        ];
        if k > 0 {
            // One telemetry log for the whole flight, sortie after sortie.
            fly_args.push("--append-tlog".into());
        }
        let fly_log = logs.join("fly.log");
        let mut fly = Program::start(
            &programs,
            "planner",
            fly_args,
            &Output::Log(fly_log.clone()),
        )?;
        loop {
            if let Some(status) = fly.try_status()? {
                if !status.success() {
                    bail!("planner fly failed ({status}); see {}", fly_log.display());
                }
                break;
            }
            alive(&mut sim, &logs)?;
            alive(&mut companion, &logs)?;
            watch.tick(&label, false)?;
            tokio::time::sleep(POLL).await;
        }
        let t = snapshot(&telemetry);
        println!(
            "   {label}: landed and disarmed; {} photos taken so far",
            t.photos.len()
        );
    }

    steps.say("landed; waiting until every photo taken is rendered and processed");
    let mut stall = StallWatch::new();
    let stall_limit = Duration::from_secs_f64(args.stall_timeout_s);
    loop {
        alive(&mut sim, &logs)?;
        alive(&mut companion, &logs)?;
        let p = FolderProgress::read(&folder)?;
        if watch.last_print.elapsed() >= PROGRESS_EVERY {
            watch.print("after landing", &p);
        }
        let taken = snapshot(&telemetry).photos.len();
        let o = p.outstanding(taken);
        if o.is_done() {
            break;
        }
        let stalled = stall.observe(&p);
        if stalled >= stall_limit {
            eprintln!(
                "warning: no progress for {:.0} s: {} photos taken but not rendered, {} rendered but neither processed nor skipped; stopping anyway (they count as lost)",
                stalled.as_secs_f64(),
                o.not_rendered,
                o.not_processed
            );
            break;
        }
        tokio::time::sleep(WAIT_POLL).await;
    }
    watch.tick("after landing", true)?;

    steps.say("stopping companion (SIGTERM: it writes its exports) and sim");
    let status = companion.stop(COMPANION_STOP_GRACE).await?;
    if !status.success() {
        bail!(
            "companion exited with an error ({status}); see {}",
            logs.join("companion.log").display()
        );
    }
    let status = sim.stop(Duration::from_secs(30)).await?;
    if !status.success() {
        eprintln!(
            "warning: sim exited with {status}; see {}",
            logs.join("sim.log").display()
        );
    }
    let t_flown = Instant::now();
    let end = FolderProgress::read(&folder)?;

    crate::review_steps::review(
        &steps_say(&steps),
        &programs,
        &folder,
        &corridor,
        end.confirmed,
        args.world_seed,
    )
    .await?;
    let figures = crate::review_steps::read_figures(&folder)?;
    let outcome = PatrolOutcome {
        folder: folder.clone(),
        planned_photos: planned.predicted_photos(),
        tally: end.tally.clone(),
        rendered: end.rendered.len(),
        confirmed: end.confirmed,
        figures,
    };
    print!("{}", render_frames(&outcome));
    println!(
        "\npatrol took {} s after the build (flight and companion {} s, review {} s)",
        t_patrol.elapsed().as_secs(),
        t_flown.duration_since(t_patrol).as_secs(),
        t_flown.elapsed().as_secs()
    );
    println!(
        "flight folder: {} (report.html, evidence/, figures.json)",
        folder.root().display()
    );
    Ok(outcome)
}

/// The step printer for the review steps.
fn steps_say(steps: &Steps) -> impl Fn(&str) + '_ {
    move |what| steps.say(what)
}

/// The frames' fate, for people: planned, captured, processed, skipped by reason.
pub fn render_frames(o: &PatrolOutcome) -> String {
    let t = &o.tally;
    let mut s = format!(
        "frames: planned {}, captured {}, rendered {}, processed {}, skipped {}\n",
        o.planned_photos,
        t.captured,
        o.rendered,
        t.processed,
        t.skipped_total()
    );
    for (reason, n) in &t.skipped {
        s.push_str(&format!("  skipped: {n} x {}\n", reason.describe()));
    }
    s.push_str(&format!("candidates confirmed {}\n", o.confirmed));
    s
}

/// Prints a progress line every [`PROGRESS_EVERY`].
struct Watch<'a> {
    folder: &'a FlightFolder,
    telemetry: &'a SharedTelemetry,
    t0: Instant,
    last_print: Instant,
}

impl Watch<'_> {
    /// Prints a progress line when one is due (or `force`).
    fn tick(&mut self, label: &str, force: bool) -> Result<()> {
        if force || self.last_print.elapsed() >= PROGRESS_EVERY {
            let p = FolderProgress::read(self.folder)?;
            self.print(label, &p);
        }
        Ok(())
    }

    fn print(&mut self, label: &str, p: &FolderProgress) {
        self.last_print = Instant::now();
        let t = snapshot(self.telemetry);
        println!(
                "   [{:4}s] {label}: item {}/{}, photos taken {}, rendered {}, processed {}, skipped {}, candidates confirmed {}",
                self.t0.elapsed().as_secs(),
                t.mission_seq,
                t.mission_total,
                t.photos.len().max(p.captured.len()),
                p.rendered.len(),
                p.tally.processed,
                p.tally.skipped_total(),
                p.confirmed
            );
    }
}

fn snapshot(t: &SharedTelemetry) -> FlightTelemetry {
    t.lock().map(|t| t.clone()).unwrap_or_default()
}

/// Fails when a program that should run has ended.
fn alive(p: &mut Program, logs: &Path) -> Result<()> {
    if let Some(status) = p.try_status()? {
        bail!(
            "{} ended early ({status}); see {}",
            p.name(),
            logs.join(format!("{}.log", p.name())).display()
        );
    }
    Ok(())
}

fn check_args(a: &PatrolArgs) -> Result<()> {
    for (v, flag) in [
        (a.speedup, "--speedup"),
        (a.alt_m, "--alt-m"),
        (a.speed_m_s, "--speed-m-s"),
        (a.stall_timeout_s, "--stall-timeout-s"),
        (a.sortie_timeout_s, "--sortie-timeout-s"),
    ] {
        if !(v.is_finite() && v > 0.0 && v < 1e7) {
            bail!("{flag} {v}: expected a number > 0");
        }
    }
    Ok(())
}

/// The first `*.onnx` in `dir`, by name.
fn first_model(dir: &Path) -> Result<PathBuf> {
    let mut models: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("looking for the detector in {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "onnx"))
        .collect();
    models.sort();
    models.into_iter().next().with_context(|| {
        format!(
            "no detector model in {}/*.onnx (give --model FILE)",
            dir.display()
        )
    })
}

fn absolute(p: &Path) -> Result<PathBuf> {
    std::path::absolute(p).with_context(|| format!("{}: cannot make it absolute", p.display()))
}

/// Three distinct free UDP ports on the loopback (bound together, then released for the
/// sim to bind).
fn free_udp_ports() -> Result<[u16; 3]> {
    let socks = [
        UdpSocket::bind("127.0.0.1:0"),
        UdpSocket::bind("127.0.0.1:0"),
        UdpSocket::bind("127.0.0.1:0"),
    ];
    let mut ports = [0u16; 3];
    for (p, s) in ports.iter_mut().zip(socks) {
        *p = s
            .and_then(|s| s.local_addr())
            .context("finding a free UDP port")?
            .port();
    }
    Ok(ports)
}

/// `YYYYmmdd-HHMMSS` in UTC, for the default flight folder's name.
fn utc_stamp() -> String {
    let now_us = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(0));
    // 2026-12-07T18:30:05.123Z
    let iso = qly_flight::export::iso8601_utc_ms(now_us);
    let digits: String = iso.chars().take(19).filter(char::is_ascii_digit).collect();
    format!("{}-{}", &digits[..8], &digits[8..])
}
