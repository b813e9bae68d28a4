//! `planner fly`: start the mission already on the vehicle (GUIDED, arm, AUTO,
//! MISSION_START, as a ground station does for a copter on the ground) and follow it to the
//! landing, showing progress. The command protocol lives in `qly_link::command`.

use std::collections::VecDeque;
use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use qly_core::protocol::Ids;
use qly_link::command::copter_mode;
use qly_link::dialect::{MavAutopilot, MavCmd, MavMessage, MavModeFlag};
use qly_link::heartbeat::{gcs_heartbeat, spawn_heartbeat};
use qly_link::tlog::TlogWriter;
use qly_link::{
    arm, command_long, set_mode, wait_for_vehicle, CommandError, CommandOptions, Connection,
    GroundStation, LinkOptions, Received,
};

use crate::fly_streams::{self, AskAgain, StreamWatch};

/// Vehicle messages kept to explain a refused command (ArduPilot says why in a STATUSTEXT,
/// "PreArm: ...", just before its COMMAND_ACK).
const RECENT_TEXTS: usize = 8;
/// Streams silent this long while heartbeats go on: ask for them again.
const STREAM_SILENCE: Duration = Duration::from_secs(3);

#[derive(Args)]
pub struct FlyArgs {
    /// The link to the vehicle, as for `planner upload`: --connect, ids, signing.
    #[command(flatten)]
    pub link: LinkOptions<GroundStation>,
    /// Seconds to wait for the vehicle's first heartbeat.
    #[arg(long, default_value_t = 10.0)]
    pub wait_s: f64,
    /// Start the mission and return at once instead of following it to the landing.
    #[arg(long)]
    pub no_follow: bool,
    /// Log everything the vehicle sends to this telemetry log (`.tlog`, as MAVProxy and QGC
    /// write it).
    #[arg(long)]
    pub tlog: Option<PathBuf>,
    /// Add to the end of the --tlog file instead of replacing it (one log for the sorties of
    /// one flight).
    #[arg(long, requires = "tlog")]
    pub append_tlog: bool,
    /// Give up following after this many seconds (wall clock).
    #[arg(long, default_value_t = 3600.0)]
    pub timeout_s: f64,
}

pub fn run(args: FlyArgs) -> Result<()> {
    for (v, flag) in [(args.wait_s, "--wait-s"), (args.timeout_s, "--timeout-s")] {
        if !(v.is_finite() && v > 0.0 && v < 1e7) {
            bail!("{flag} {v}: expected a number of seconds > 0");
        }
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(fly(args))
}

/// What the vehicle told us while flying.
#[derive(Debug, Default)]
struct Flight {
    armed: bool,
    photos: u32,
    seq: u16,
    total: u16,
    tlog: Option<TlogWriter<BufWriter<File>>>,
    tlog_error: Option<std::io::Error>,
    /// The vehicle's latest STATUSTEXTs, newest last.
    recent_texts: VecDeque<String>,
}

/// Prints a line above the progress bar, or plainly when there is no bar to draw (output
/// not a terminal): vehicle messages must reach logs too.
fn say(bar: &ProgressBar, line: String) {
    if bar.is_hidden() {
        println!("{line}");
    } else {
        bar.println(line);
    }
}

impl Flight {
    fn observe(&mut self, rx: &Received, bar: &ProgressBar) {
        if let (Some(tlog), None) = (self.tlog.as_mut(), self.tlog_error.as_ref()) {
            let now_us = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_micros() as u64)
                .unwrap_or(0);
            if let Err(e) = tlog.write(now_us, rx.header, &rx.message) {
                say(bar, format!("warning: telemetry log stopped: {e}"));
                self.tlog_error = Some(e);
            }
        }
        match &rx.message {
            // A companion or camera of the same system says nothing about arming.
            MavMessage::HEARTBEAT(hb) if hb.autopilot != MavAutopilot::MAV_AUTOPILOT_INVALID => {
                self.armed = hb
                    .base_mode
                    .contains(MavModeFlag::MAV_MODE_FLAG_SAFETY_ARMED);
            }
            MavMessage::MISSION_CURRENT(mc) => {
                self.seq = mc.seq;
                self.total = mc.total;
                if mc.total > 0 && mc.total != u16::MAX {
                    bar.set_length(u64::from(mc.total));
                }
                bar.set_position(u64::from(mc.seq));
            }
            MavMessage::CAMERA_FEEDBACK(_) => {
                self.photos += 1;
                bar.set_message(format!("{} photos", self.photos));
            }
            MavMessage::STATUSTEXT(st) => {
                let text: String = st
                    .text
                    .iter()
                    .take_while(|&&b| b != 0)
                    .map(|&b| b as char)
                    .collect();
                say(bar, format!("vehicle: {text}"));
                if self.recent_texts.len() == RECENT_TEXTS {
                    self.recent_texts.pop_front();
                }
                self.recent_texts.push_back(text);
            }
            _ => {}
        }
    }
}

impl Flight {
    /// A refused command's error with the vehicle's own explanation, when it gave one: the
    /// latest "PreArm:"/"Arm:" message for arming, else its latest message.
    fn explain(&self, e: CommandError, arming: bool) -> anyhow::Error {
        let refused = matches!(e, CommandError::Refused { .. });
        let reason = self
            .recent_texts
            .iter()
            .rev()
            .find(|t| !arming || t.starts_with("PreArm") || t.starts_with("Arm"))
            .or_else(|| self.recent_texts.back())
            .filter(|_| refused);
        match reason {
            Some(r) => anyhow::Error::new(e).context(format!("the vehicle says: {r}")),
            None => anyhow::Error::new(e),
        }
    }
}

/// Asks for the telemetry `fly` needs and says what came of it.
async fn request_streams(
    conn: &mut Connection,
    vehicle: Ids,
    flight: &mut Flight,
    bar: &ProgressBar,
) -> Result<()> {
    let requested = fly_streams::request(conn, vehicle, |m| flight.observe(m, bar))
        .await
        .context("asking the vehicle for telemetry")?;
    say(bar, format!("telemetry requested: {requested}"));
    Ok(())
}

async fn fly(args: FlyArgs) -> Result<()> {
    let address = &args.link.address;
    let mut conn = Connection::open(address, args.link.connection_config())
        .await
        .with_context(|| format!("opening {address}"))?;
    let heartbeat = spawn_heartbeat(conn.sender(), gcs_heartbeat(), Duration::from_secs(1));
    let Some((vehicle, _)) =
        wait_for_vehicle(&mut conn, Duration::from_secs_f64(args.wait_s)).await
    else {
        bail!(
            "no autopilot heartbeat on {} within {:.0} s",
            address,
            args.wait_s
        );
    };
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{elapsed:>6} [{bar:40}] item {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let mut flight = Flight::default();
    if let Some(path) = &args.tlog {
        let file = File::options()
            .create(true)
            .write(true)
            .append(args.append_tlog)
            .truncate(!args.append_tlog)
            .open(path)
            .with_context(|| format!("creating the telemetry log {}", path.display()))?;
        flight.tlog = Some(TlogWriter::new(BufWriter::new(file)));
    }
    // ArduPilot streams nothing to a ground station until asked.
    request_streams(&mut conn, vehicle, &mut flight, &bar).await?;
    let opts = CommandOptions::default();
    // ArduCopter arms in GUIDED (not in AUTO), then AUTO + MISSION_START takes off.
    let r = set_mode(&mut conn, vehicle, copter_mode::GUIDED, opts, |m| {
        flight.observe(m, &bar)
    })
    .await;
    r.map_err(|e| flight.explain(e, false))
        .context("setting GUIDED")?;
    let r = arm(&mut conn, vehicle, true, opts, |m| flight.observe(m, &bar)).await;
    r.map_err(|e| flight.explain(e, true)).context("arming")?;
    let r = set_mode(&mut conn, vehicle, copter_mode::AUTO, opts, |m| {
        flight.observe(m, &bar)
    })
    .await;
    r.map_err(|e| flight.explain(e, false))
        .context("setting AUTO")?;
    let r = command_long(
        &mut conn,
        vehicle,
        MavCmd::MAV_CMD_MISSION_START,
        [0.0; 7],
        opts,
        |m| flight.observe(m, &bar),
    )
    .await;
    r.map_err(|e| flight.explain(e, false))
        .context("starting the mission")?;
    say(
        &bar,
        format!(
            "mission started on system {} component {}",
            vehicle.system, vehicle.component
        ),
    );
    if args.no_follow {
        if let Some(tlog) = flight.tlog.as_mut() {
            tlog.flush().context("writing the telemetry log")?;
        }
        bar.finish_and_clear();
        heartbeat.abort();
        return Ok(());
    }
    flight.armed = true;
    let started = tokio::time::Instant::now();
    let mut watch = StreamWatch::new(Duration::ZERO, STREAM_SILENCE);
    let deadline = started + Duration::from_secs_f64(args.timeout_s);
    while flight.armed {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        if left.is_zero() {
            bar.finish_and_clear();
            bail!(
                "the vehicle was still flying after {:.0} s (item {}/{})",
                args.timeout_s,
                flight.seq,
                flight.total
            );
        }
        match tokio::time::timeout(left, conn.recv()).await {
            Ok(Some(rx)) => {
                if u32::from(vehicle.system) == rx.header.system_id {
                    flight.observe(&rx, &bar);
                    let now = started.elapsed();
                    let from_autopilot = rx.header.component_id == vehicle.component;
                    if let Some(why) = watch.observe(&rx.message, now).filter(|_| from_autopilot) {
                        say(
                            &bar,
                            match why {
                                AskAgain::Rebooted { from_ms, to_ms } => format!(
                                    "the vehicle rebooted (time since boot {from_ms} ms -> {to_ms} ms): asking for telemetry again"
                                ),
                                AskAgain::Silent(d) => format!(
                                    "no telemetry for {:.0} s while the vehicle is there: asking again",
                                    d.as_secs_f64()
                                ),
                            },
                        );
                        request_streams(&mut conn, vehicle, &mut flight, &bar).await?;
                        watch.requested(started.elapsed());
                    }
                }
            }
            Ok(None) => bail!("the link to {address} closed"),
            Err(_) => {}
        }
    }
    bar.finish_and_clear();
    heartbeat.abort();
    if let (Some(tlog), Some(path)) = (flight.tlog.as_mut(), &args.tlog) {
        tlog.flush()
            .with_context(|| format!("writing the telemetry log {}", path.display()))?;
        println!(
            "telemetry log: {} ({} messages)",
            path.display(),
            tlog.records()
        );
    }
    println!(
        "landed and disarmed after {:.1} s (wall clock): {} photos, last item {}/{}",
        started.elapsed().as_secs_f64(),
        flight.photos,
        flight.seq,
        flight.total
    );
    Ok(())
}
