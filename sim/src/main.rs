//! `sim`: a simulated ArduPilot copter on a MAVLink link.
//!
//! ```text
//! sim --listen udpin:127.0.0.1:14550 --speedup 20 --home -35.363262,149.165237,584
//! ```

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use clap::Parser;
use qly_core::geodesy::GeoPoint;
use qly_core::mission::Home;
use qly_core::protocol::Ids;
use qly_link::{Address, ConnectionConfig, Impairment, SigningConfig};
use sim::noise::NoiseConfig;
use sim::service::clock::VehicleClock;
use sim::service::connection::{run, shutdown_signal};
use sim::service::Autopilot;
use sim::vehicle::{Vehicle, VehicleConfig};

/// A simulated multicopter that speaks MAVLink 2 like an ArduPilot copter.
///
/// All MAVLink timestamps are simulated time; telemetry rates are per simulated second.
#[derive(Debug, Parser)]
#[command(name = "sim", version)]
struct Args {
    /// Wait for a ground station: udpin:HOST:PORT or tcpin:HOST:PORT (port 0 picks a free
    /// port; the bound address is printed).
    #[arg(long, value_name = "ADDR", conflicts_with = "connect")]
    listen: Option<String>,
    /// Connect to a ground station: udpout:HOST:PORT, tcp:HOST:PORT or serial:PATH:BAUD.
    #[arg(long, value_name = "ADDR")]
    connect: Option<String>,
    /// Simulated seconds per wall-clock second.
    #[arg(long, default_value_t = 1.0)]
    speedup: f64,
    /// Home (take-off point): LAT,LON,AMSL in WGS-84 degrees and metres above mean sea level.
    /// Default: ArduPilot SITL's CMAC field.
    #[arg(
        long,
        value_name = "LAT,LON,AMSL",
        default_value = "-35.363262,149.165237,584"
    )]
    home: String,
    /// Geoid separation at home (ellipsoidal minus AMSL height), metres.
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    geoid_separation_m: f64,
    /// Seed of every random process (sensor noise, gusts, link impairment).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// UTC of the simulated boot, Unix seconds (default: now).
    #[arg(long)]
    boot_unix_s: Option<u64>,
    /// MAVLink system id of the vehicle (component is 1, the autopilot).
    #[arg(long, default_value_t = 1)]
    sysid: u8,
    /// GPS horizontal error, one sigma per axis, metres.
    #[arg(long, default_value_t = NoiseConfig::default().gps_pos_sigma_m)]
    gps_sigma_m: f64,
    /// Altitude error, one sigma, metres.
    #[arg(long, default_value_t = NoiseConfig::default().alt_sigma_m)]
    alt_sigma_m: f64,
    /// Roll/pitch error, one sigma, degrees.
    #[arg(long, default_value_t = NoiseConfig::default().attitude_sigma_deg)]
    attitude_sigma_deg: f64,
    /// Heading error, one sigma, degrees.
    #[arg(long, default_value_t = NoiseConfig::default().heading_sigma_deg)]
    heading_sigma_deg: f64,
    /// Mean wind towards the east / north, m/s.
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    wind_east_m_s: f64,
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    wind_north_m_s: f64,
    /// Gust strength (one sigma per axis), m/s.
    #[arg(long, default_value_t = 0.0)]
    gust_sigma_m_s: f64,
    /// Armed on the ground without taking off: disarm after this many simulated seconds
    /// (ArduCopter DISARM_DELAY; 0 = never).
    #[arg(long, default_value_t = 10.0)]
    disarm_delay_s: f64,
    /// Simulated seconds after boot until the GPS has a 3D fix (no arming before).
    #[arg(long, default_value_t = 1.0)]
    gps_lock_s: f64,
    /// Mission store size, items including home; larger uploads get MAV_MISSION_NO_SPACE.
    #[arg(long, default_value_t = 5000)]
    mission_capacity: usize,
    /// Outgoing frames lost, percent.
    #[arg(long, default_value_t = 0.0)]
    loss_pct: f64,
    /// Outgoing one-way latency, milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Extra random latency 0..=J milliseconds.
    #[arg(long, default_value_t = 0)]
    jitter_ms: u64,
    /// Outgoing frames duplicated, percent.
    #[arg(long, default_value_t = 0.0)]
    dup_pct: f64,
    /// Outgoing frames held back (reordered), percent.
    #[arg(long, default_value_t = 0.0)]
    reorder_pct: f64,
    /// Cap the outgoing link at this serial baud rate (10 bits per byte).
    #[arg(long)]
    baud: Option<u32>,
    /// MAVLink 2 signing key, 64 hex digits: sign every frame and check signed frames.
    #[arg(long, value_name = "HEX")]
    signing_key: Option<String>,
    /// With --signing-key: drop unsigned and badly signed frames.
    #[arg(long, requires = "signing_key")]
    require_signing: bool,
}

fn parse_home(s: &str) -> Result<Home> {
    let parts: Vec<&str> = s.split(',').map(str::trim).collect();
    let [lat, lon, alt] = parts.as_slice() else {
        bail!("--home {s:?}: expected LAT,LON,AMSL (three comma-separated numbers)");
    };
    let num = |v: &str, what: &str| -> Result<f64> {
        v.parse::<f64>()
            .with_context(|| format!("--home {s:?}: {what} {v:?} is not a number"))
    };
    let point = GeoPoint::new(num(lat, "latitude")?, num(lon, "longitude")?)
        .with_context(|| format!("--home {s:?}"))?;
    let alt_amsl_m = num(alt, "altitude")?;
    if !alt_amsl_m.is_finite() {
        bail!("--home {s:?}: altitude must be finite");
    }
    Ok(Home { point, alt_amsl_m })
}

fn parse_key(hex: &str) -> Result<[u8; 32]> {
    let hex = hex.trim();
    if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        bail!(
            "--signing-key: expected 64 hex digits (a 32-byte key), got {} characters",
            hex.len()
        );
    }
    let mut key = [0u8; 32];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16)
            .with_context(|| format!("--signing-key: bad hex at byte {i}"))?;
    }
    Ok(key)
}

fn pct(v: f64, flag: &str) -> Result<f64> {
    if !(0.0..=100.0).contains(&v) {
        bail!("{flag} {v}: expected a percentage 0..=100");
    }
    Ok(v / 100.0)
}

fn main() -> Result<()> {
    let args = Args::parse();
    let address: Address = match (&args.listen, &args.connect) {
        (Some(l), None) => {
            let a: Address = l.parse().with_context(|| format!("--listen {l:?}"))?;
            if !matches!(a, Address::UdpIn(_) | Address::TcpIn(_)) {
                bail!("--listen {l:?}: expected udpin:HOST:PORT or tcpin:HOST:PORT");
            }
            a
        }
        (None, Some(c)) => {
            let a: Address = c.parse().with_context(|| format!("--connect {c:?}"))?;
            if matches!(a, Address::UdpIn(_) | Address::TcpIn(_)) {
                bail!("--connect {c:?}: that is a listening address; use --listen");
            }
            a
        }
        _ => bail!("give one of --listen ADDR or --connect ADDR"),
    };
    if !(args.speedup.is_finite() && args.speedup > 0.0) {
        bail!("--speedup {}: expected a number > 0", args.speedup);
    }
    if args.mission_capacity == 0 {
        bail!("--mission-capacity 0: expected at least 1 (home)");
    }
    let home = parse_home(&args.home)?;

    let mut vc = VehicleConfig::new(home);
    vc.seed = args.seed;
    vc.geoid_separation_m = args.geoid_separation_m;
    vc.noise = NoiseConfig {
        gps_pos_sigma_m: args.gps_sigma_m,
        alt_sigma_m: args.alt_sigma_m,
        attitude_sigma_deg: args.attitude_sigma_deg,
        heading_sigma_deg: args.heading_sigma_deg,
    };
    vc.wind.mean_east_m_s = args.wind_east_m_s;
    vc.wind.mean_north_m_s = args.wind_north_m_s;
    vc.wind.gust_sigma_m_s = args.gust_sigma_m_s;
    if !(args.disarm_delay_s >= 0.0 && args.gps_lock_s >= 0.0) {
        bail!("--disarm-delay-s and --gps-lock-s must be >= 0");
    }
    vc.disarm_delay_s = args.disarm_delay_s;
    vc.gps_lock_after_s = args.gps_lock_s;
    for (flag, v) in [
        ("--gps-sigma-m", args.gps_sigma_m),
        ("--alt-sigma-m", args.alt_sigma_m),
        ("--attitude-sigma-deg", args.attitude_sigma_deg),
        ("--heading-sigma-deg", args.heading_sigma_deg),
        ("--gust-sigma-m-s", args.gust_sigma_m_s),
    ] {
        if !(v.is_finite() && v >= 0.0) {
            bail!("{flag} {v}: expected a finite number >= 0");
        }
    }

    let boot_unix_s = match args.boot_unix_s {
        Some(s) => s,
        None => SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .context("system clock is before 1970")?
            .as_secs(),
    };
    let own = Ids::new(args.sysid, 1);
    let clock = VehicleClock::new(args.speedup, boot_unix_s);
    let autopilot = Autopilot::new(Vehicle::new(vc), own, clock, args.mission_capacity);

    let mut cfg = ConnectionConfig::new(own);
    if let Some(hex) = &args.signing_key {
        cfg.signing = Some(SigningConfig {
            key: parse_key(hex)?,
            link_id: 0,
            require_signed: args.require_signing,
        });
    }
    let impairment = Impairment {
        seed: args.seed,
        loss: pct(args.loss_pct, "--loss-pct")?,
        duplicate: pct(args.dup_pct, "--dup-pct")?,
        reorder: pct(args.reorder_pct, "--reorder-pct")?,
        latency: Duration::from_millis(args.latency_ms),
        jitter: Duration::from_millis(args.jitter_ms),
        bandwidth_bytes_per_s: args.baud.map(|b| (b / 10).max(1)),
    };
    if impairment != Impairment::none(args.seed) {
        cfg.impairment = Some(impairment);
    }

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the tokio runtime")?;
    let stats = rt
        .block_on(run(autopilot, &address, cfg, shutdown_signal()))
        .with_context(|| format!("link {address}"))?;
    let rx = stats.rx;
    println!(
        "sim: stopped; frames sent {}, received {} (rejected: {} bad CRC, {} unsigned, {} bad signature, {} replayed)",
        stats.frames_sent, rx.accepted, rx.bad_crc, rx.unsigned_rejected, rx.bad_signature, rx.replayed
    );
    Ok(())
}
