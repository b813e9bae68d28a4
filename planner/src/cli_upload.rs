//! `planner upload`: send a mission file to a flight controller over MAVLink and verify it by
//! downloading it back. The protocol lives in `qly_core::protocol`, the link in `qly_link`;
//! this is only the command line around them.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use qly_core::mission::{Mission, MissionType};
use qly_core::protocol::{list_name, Autopilot, MissionResult, Timeouts, TransferError};
use qly_link::heartbeat::{gcs_heartbeat, spawn_heartbeat};
use qly_link::{
    upload_mission, wait_for_vehicle, Connection, GroundStation, Impairment, LinkOptions, Phase,
    UploadError, UploadOptions,
};

#[derive(Args)]
pub struct UploadArgs {
    /// Mission file: QGroundControl `.plan` or QGC WPL 110 `.waypoints`/`.txt`.
    pub mission: PathBuf,
    /// The link to the vehicle: --connect, ids, signing.
    #[command(flatten)]
    pub link: LinkOptions<GroundStation>,
    /// Seconds to wait for the vehicle's first heartbeat.
    #[arg(long, default_value_t = 10.0)]
    pub wait_s: f64,
    /// Timeout for the first answer and the final ACK, ms (spec default 1500).
    #[arg(long, default_value_t = 1500)]
    pub timeout_ms: u64,
    /// Timeout per item, ms (spec default 250).
    #[arg(long, default_value_t = 250)]
    pub item_timeout_ms: u64,
    /// Re-sends after a timeout before giving up (spec default 5; 25 survives 30 % loss).
    #[arg(long, default_value_t = 5)]
    pub retries: u32,
    /// Give up after this many seconds in total (default: the protocol's worst case).
    #[arg(long)]
    pub overall_timeout_s: Option<f64>,
    /// Skip the download-and-compare after the upload.
    #[arg(long)]
    pub no_verify: bool,
    /// Link emulation for tests and benchmarks: damage what we send, as `sim` does for what
    /// the vehicle sends. Never needed with a real radio.
    #[command(flatten)]
    pub emulate: EmulateArgs,
}

/// Damage applied to our outgoing frames (`qly_link::Impairment`), to try a bad radio link on
/// a loopback one.
#[derive(Args)]
#[command(next_help_heading = "Link emulation (tests and benchmarks)")]
pub struct EmulateArgs {
    /// Outgoing frames lost, percent.
    #[arg(long, default_value_t = 0.0)]
    pub emulate_loss_pct: f64,
    /// Outgoing frames duplicated, percent.
    #[arg(long, default_value_t = 0.0)]
    pub emulate_dup_pct: f64,
    /// Outgoing frames held back (reordered), percent.
    #[arg(long, default_value_t = 0.0)]
    pub emulate_reorder_pct: f64,
    /// Outgoing one-way latency, milliseconds.
    #[arg(long, default_value_t = 0)]
    pub emulate_latency_ms: u64,
    /// Extra random outgoing latency 0..=J milliseconds.
    #[arg(long, default_value_t = 0)]
    pub emulate_jitter_ms: u64,
    /// Cap what we send at this serial baud rate (10 bits per byte), like a telemetry radio.
    #[arg(long)]
    pub emulate_baud: Option<u32>,
    /// Seed of the damage.
    #[arg(long, default_value_t = 1)]
    pub emulate_seed: u64,
}

impl EmulateArgs {
    fn impairment(&self) -> Result<Option<Impairment>> {
        fn pct(v: f64, flag: &str) -> Result<f64> {
            if !(0.0..=100.0).contains(&v) {
                bail!("{flag} {v}: expected a percentage 0..=100");
            }
            Ok(v / 100.0)
        }
        if self.emulate_baud == Some(0) {
            bail!("--emulate-baud 0: expected a positive baud rate");
        }
        let imp = Impairment {
            seed: self.emulate_seed,
            loss: pct(self.emulate_loss_pct, "--emulate-loss-pct")?,
            duplicate: pct(self.emulate_dup_pct, "--emulate-dup-pct")?,
            reorder: pct(self.emulate_reorder_pct, "--emulate-reorder-pct")?,
            latency: Duration::from_millis(self.emulate_latency_ms),
            jitter: Duration::from_millis(self.emulate_jitter_ms),
            bandwidth_bytes_per_s: self.emulate_baud.map(|b| (b / 10).max(1)),
        };
        Ok((imp != Impairment::none(self.emulate_seed)).then_some(imp))
    }
}

pub fn run(args: UploadArgs) -> Result<()> {
    let mission = read_mission(&args.mission)?;
    let impairment = args.emulate.impairment()?;
    // Duration::from_secs_f64 panics on negative, NaN or huge values: check them here.
    let seconds = |v: f64, flag: &str| -> Result<Duration> {
        Duration::try_from_secs_f64(v)
            .ok()
            .filter(|d| v.is_finite() && *d <= Duration::from_secs(30 * 24 * 3600))
            .with_context(|| format!("{flag} {v}: expected a number of seconds >= 0"))
    };
    seconds(args.wait_s, "--wait-s")?;
    if let Some(s) = args.overall_timeout_s {
        seconds(s, "--overall-timeout-s")?;
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(upload(args, impairment, mission))
}

async fn upload(args: UploadArgs, impairment: Option<Impairment>, mission: Mission) -> Result<()> {
    let address = &args.link.address;
    let mut cfg = args.link.connection_config();
    let have_key = cfg.signing.is_some();
    cfg.impairment = impairment;
    let mut conn = Connection::open(address, cfg)
        .await
        .with_context(|| format!("opening {address}"))?;
    // A ground station announces itself once a second; on `udpout`/`tcp` links this is also
    // how a vehicle listening with `udpin` learns where we are.
    let heartbeat = spawn_heartbeat(conn.sender(), gcs_heartbeat(), Duration::from_secs(1));
    let wait = Duration::from_secs_f64(args.wait_s.max(0.0));
    let Some((vehicle, heartbeat_data)) = wait_for_vehicle(&mut conn, wait).await else {
        if let Some(trouble) = conn.stats().signing_trouble(have_key) {
            bail!(
                "no autopilot heartbeat on {} within {:.0} s: {trouble}",
                address,
                args.wait_s
            );
        }
        bail!(
            "no autopilot heartbeat on {} within {:.0} s: is the vehicle on and the connection \
             string right?",
            address,
            args.wait_s
        );
    };
    // The download is compared with what this autopilot keeps of each item (ArduPilot
    // returns a NaN yaw as 0, altitudes in whole centimetres, ...).
    let autopilot = Autopilot::from_mav_autopilot(heartbeat_data.autopilot as u8);
    eprintln!(
        "vehicle: system {} component {} on {} ({})",
        vehicle.system, vehicle.component, address, autopilot
    );
    let options = UploadOptions {
        timeouts: Timeouts {
            default: Duration::from_millis(args.timeout_ms),
            item: Duration::from_millis(args.item_timeout_ms),
            max_retries: args.retries,
        },
        overall_timeout: args.overall_timeout_s.map(Duration::from_secs_f64),
        verify: !args.no_verify,
        autopilot,
        verify_home: false,
    };
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{msg:>16} [{bar:40}] {pos}/{len} items")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let report = upload_mission(
        &mut conn,
        vehicle.system,
        vehicle.component,
        &mission,
        options,
        |p| {
            let list = match p.mission_type {
                MissionType::Mission => "mission",
                MissionType::Fence => "fence",
                MissionType::Rally => "rally",
            };
            let phase = match p.phase {
                Phase::Upload => "upload",
                Phase::Verify => "verify",
            };
            bar.set_message(format!("{list} {phase}"));
            bar.set_length(p.total as u64);
            bar.set_position(p.done as u64);
        },
    )
    .await;
    bar.finish_and_clear();
    heartbeat.abort();
    // A vehicle that refuses the count tells us its store is smaller: say how to fit it.
    // A signing problem is the cause to name, whatever step it broke.
    let trouble = conn.stats().signing_trouble(have_key);
    let report = match report {
        Err(UploadError::Transfer(TransferError::Rejected {
            list,
            result: MissionResult::NoSpace,
            message,
        })) => {
            let count = mission.wire_items(MissionType::Mission).len();
            let hint = if list == list_name(MissionType::Mission) {
                format!(
                    "; the vehicle holds fewer than {count} mission items (home included): \
                     plan sorties that fit with `planner plan --max-items N` (N below {count}; \
                     650 fits common ArduPilot boards) and upload each sortie file"
                )
            } else {
                String::new()
            };
            Err(anyhow::anyhow!(
                "{list} transfer rejected with {}: {message}{hint}",
                MissionResult::NoSpace.name()
            ))
        }
        Err(e) => match trouble {
            Some(t) => Err(anyhow::Error::new(e).context(t.to_string())),
            None => Err(anyhow::Error::from(e)),
        },
        Ok(r) => Ok(r),
    };
    let report = report.with_context(|| {
        format!(
            "uploading {} to system {} on {}",
            args.mission.display(),
            vehicle.system,
            address
        )
    })?;
    for list in &report.lists {
        println!(
            "{:?}: {} items uploaded in {:.2} s ({} item messages sent){}",
            list.mission_type,
            list.items,
            list.upload_time.as_secs_f64(),
            list.items_sent,
            match list.verify_time {
                Some(t) => format!(", verified by download in {:.2} s", t.as_secs_f64()),
                None => String::new(),
            }
        );
    }
    println!("done in {:.2} s", report.elapsed.as_secs_f64());
    let stats = conn.stats();
    println!(
        "link: {} frames ({} bytes) sent, {} frames accepted",
        stats.frames_sent, stats.bytes_sent, stats.rx.accepted
    );
    Ok(())
}

fn read_mission(path: &Path) -> Result<Mission> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let mission = if ext == "plan" {
        planner::input::read_qgc_plan_mission(path)?
    } else {
        planner::input::read_wpl(path)?
    };
    Ok(mission)
}
