//! `sim`: a simulated ArduPilot copter on a MAVLink link.
//!
//! ```text
//! sim --listen udpin:127.0.0.1:14550 --speedup 20 --home -35.363262,149.165237,584
//! sim --listen udpin:127.0.0.1:14550 --corridor missions/sample-corridor.geojson \
//!     --frames-dir /tmp/frames --truth /tmp/truth.geojson
//! sim dataset --corridor missions/sample-corridor.geojson --count 200 --out /tmp/ds
//! sim write-dem --corridor missions/sample-corridor.geojson --terrain valley --out /tmp/v.tif
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use qly_core::camera::CameraDatabase;
use qly_core::geodesy::GeoPoint;
use qly_core::home::HomeSpec;
use qly_core::intrinsics::CameraIntrinsics;
use qly_core::mission::Home;
use qly_core::protocol::Ids;
use qly_core::terrain::{
    read_dem_file, write_dem_file, DatumChoice, DemMosaic, SyntheticValley, Terrain, ValleySpec,
};
use qly_link::{Address, ConnectionConfig, Impairment, SigningOptions, SigningStreams};
use sim::noise::NoiseConfig;
use sim::render::dataset::{gimbal_mount, write_dataset, DatasetSpec};
use sim::render::delivery::{camera_pose, FrameJob, FrameSettings, FrameWriter};
use sim::render::labels::{LabelRules, PlumeBox};
use sim::render::RenderOptions;
use sim::service::clock::VehicleClock;
use sim::service::links::run_links;
use sim::service::{Autopilot, StreamDefaults};
use sim::vehicle::{Vehicle, VehicleConfig};
use sim::world::style::Style;
use sim::world::{Corridor, TargetPlacement, World, WorldConfig};

/// ArduPilot SITL's default home, the CMAC field near Canberra.
const SITL_HOME: Home = Home {
    point: GeoPoint {
        lat_deg: -35.363262,
        lon_deg: 149.165237,
    },
    alt_amsl_m: 584.0,
};

/// The renderer's default camera (core/data/cameras.toml).
const DEFAULT_CAMERA: &str = "Qianliyan sim 2048x1536";

/// A simulated multicopter that speaks MAVLink 2 like an ArduPilot copter.
///
/// All MAVLink timestamps are simulated time; telemetry rates are per simulated second.
#[derive(Debug, Parser)]
#[command(name = "sim", version, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Cmd>,
    #[command(flatten)]
    fly: Args,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Render a detector training set of a world: images/*.jpg, labels/*.txt (YOLO),
    /// truth.geojson, poses.csv, data.yaml.
    Dataset(DatasetArgs),
    /// Export the world's relief (--terrain valley or --dem) as a float32 EPSG:4326 GeoTIFF
    /// (EGM96 heights), which `planner plan --dem` reads.
    WriteDem(WriteDemArgs),
}

#[derive(Debug, clap::Args)]
struct WriteDemArgs {
    #[command(flatten)]
    world: WorldArgs,
    /// Output GeoTIFF.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Cell size, arc-seconds (0.5: about 15 m, as missions/sample-corridor-dem.tif).
    #[arg(long, default_value_t = 0.5)]
    cell_arcsec: f64,
}

/// The ground the world stands on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum TerrainArg {
    /// Flat at the ground height (home's, or --ground-amsl-m for a dataset).
    Flat,
    /// SYNTHETIC karst valley along the corridor's centreline (qly_core SyntheticValley,
    /// default spec: the relief of missions/sample-corridor-dem.tif).
    Valley,
}

/// The world and the camera that photographs it.
#[derive(Debug, clap::Args)]
struct WorldArgs {
    /// River corridor: GeoJSON with a LineString centreline and a width_m property (as the
    /// planner reads). The river flows from its first vertex to its last.
    #[arg(long, value_name = "FILE")]
    corridor: Option<PathBuf>,
    /// Seed of the world (scene, targets, sun).
    #[arg(long, default_value_t = 1)]
    world_seed: u64,
    /// The same world some time later: the seed of what changed (outfalls removed and
    /// added, plumes switched on and off; `TargetPlacement::changes`). Unset: as built.
    #[arg(long, value_name = "SEED")]
    world_changes: Option<u64>,
    /// Mean distance between target sites along the river, metres.
    #[arg(long, default_value_t = TargetPlacement::default().mean_spacing_m)]
    target_spacing_m: f64,
    /// At most this many target sites (default: as many as the spacing gives).
    #[arg(long)]
    max_target_sites: Option<usize>,
    /// Camera name in core/data/cameras.toml.
    #[arg(long, default_value = DEFAULT_CAMERA)]
    camera: String,
    /// Scale the camera's image size (same field of view): 0.5 renders 4x fewer pixels.
    #[arg(long, default_value_t = 1.0)]
    frame_scale: f64,
    /// Sub-pixel samples per axis (1-4). 1 is already anti-aliased (every edge and texture
    /// is filtered over the pixel's ground footprint); 2 is smoother and 4x slower.
    #[arg(long, default_value_t = 1)]
    render_samples: u32,
    /// Sensor noise, one sigma, 8-bit levels.
    #[arg(long, default_value_t = 1.5)]
    sensor_noise: f64,
    /// Gaussian blur sigma, pixels.
    #[arg(long, default_value_t = 0.0)]
    blur_px: f64,
    /// JPEG quality 1-100.
    #[arg(long, default_value_t = 90)]
    jpeg_quality: u8,
    /// How the world is drawn: river-a (what the shipped detector was trained on) or river-b
    /// (late autumn on a silted river: dry grass, red clay banks, muddy water, low sun, warm
    /// haze; a domain shift). The world and its targets are the same in both.
    #[arg(long, default_value = "river-a", value_parser = parse_style)]
    style: Style,
    /// The ground: flat (default) or a synthetic valley along the corridor.
    #[arg(long, value_enum, default_value_t = TerrainArg::Flat, conflicts_with = "dem")]
    terrain: TerrainArg,
    /// Stand the world on these GeoTIFF elevation models (EGM96/ellipsoidal heights as
    /// tagged, as `planner plan --dem`); they must cover the river plus --relief-margin-m.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    dem: Vec<PathBuf>,
    /// Relief grid cell, metres (the world resamples its relief once; see sim::world::terrain).
    #[arg(long, default_value_t = 2.0)]
    relief_cell_m: f64,
    /// Relief grid margin around the river's bounding box, metres.
    #[arg(long, default_value_t = 600.0)]
    relief_margin_m: f64,
}

#[derive(Debug, clap::Args)]
struct DatasetArgs {
    #[command(flatten)]
    world: WorldArgs,
    /// Output folder.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Number of frames.
    #[arg(long, default_value_t = 100)]
    count: u32,
    /// Seed of the poses and sensor noise.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Altitude range above the ground, metres.
    #[arg(long, default_value_t = 60.0)]
    alt_min_m: f64,
    #[arg(long, default_value_t = 120.0)]
    alt_max_m: f64,
    /// Largest gimbal tilt from nadir, degrees.
    #[arg(long, default_value_t = 20.0)]
    tilt_max_deg: f64,
    /// Fraction of frames aimed near a target.
    #[arg(long, default_value_t = 0.6)]
    target_bias: f64,
    /// Ground height above mean sea level, metres.
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    ground_amsl_m: f64,
    /// Leave out boxes smaller than this on either side, pixels.
    #[arg(long, default_value_t = LabelRules::default().min_box_px)]
    min_box_px: f64,
    /// What a plume's box encloses: the square of ground about its source (where the
    /// discharge enters; what a contest scores) or the plume's whole visible extent.
    #[arg(long, value_enum, default_value_t = PlumeBoxArg::Source)]
    plume_box: PlumeBoxArg,
    /// Side of the plume source box, metres of ground.
    #[arg(long, default_value_t = sim::render::labels::PLUME_SOURCE_BOX_M)]
    plume_source_box_m: f64,
    /// Write lossless PNG images instead of JPEG.
    #[arg(long)]
    png: bool,
}

/// `--streams`: see [`StreamDefaults`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum StreamsArg {
    OnRequest,
    Always,
}

/// `--plume-box`: see [`PlumeBox`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum PlumeBoxArg {
    /// The square of ground about the plume's source.
    Source,
    /// The plume's whole visible extent.
    Extent,
}

#[derive(Debug, clap::Args)]
struct Args {
    /// Wait for a ground station or companion: udpin:HOST:PORT or tcpin:HOST:PORT (port 0
    /// picks a free port; the bound address is printed). Repeatable: each is one link (like
    /// ArduPilot's SERIAL0..n), and MAVLink is routed between them.
    #[arg(long, value_name = "ADDR")]
    listen: Vec<String>,
    /// Connect to a ground station or companion: udpout:HOST:PORT, tcp:HOST:PORT or
    /// serial:PATH:BAUD. Repeatable, as --listen.
    #[arg(long, value_name = "ADDR")]
    connect: Vec<String>,
    #[command(flatten)]
    world: WorldArgs,
    /// Render each photo from its true pose and write DIR/<image_index>.jpg (atomically,
    /// off the simulation loop). Needs --corridor.
    #[arg(long, value_name = "DIR", requires = "corridor")]
    frames_dir: Option<PathBuf>,
    /// Write the world's ground truth (GeoJSON) here at start. Needs --corridor.
    #[arg(long, value_name = "FILE", requires = "corridor")]
    truth: Option<PathBuf>,
    /// Camera gimbal tilt forward from nadir, degrees (0 = straight down). The gimbal is
    /// stabilised, yaw follows the vehicle; streamed as GIMBAL_DEVICE_ATTITUDE_STATUS.
    #[arg(long, default_value_t = 0.0)]
    gimbal_tilt_deg: f64,
    /// Simulated seconds per wall-clock second.
    #[arg(long, default_value_t = 1.0)]
    speedup: f64,
    /// Home (take-off point): LAT,LON[,AMSL_M] in WGS-84 degrees and metres above mean sea
    /// level. Default: the corridor's first vertex with --corridor, else ArduPilot SITL's
    /// CMAC field (-35.363262,149.165237,584). Without a height: on --terrain valley or --dem
    /// the ground's height there, else 0 m. A flat world's ground is at home's height.
    #[arg(long, value_name = "LAT,LON[,AMSL_M]", allow_hyphen_values = true)]
    home: Option<HomeSpec>,
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
    /// Enforce the uploaded geofence (ArduCopter FENCE_ENABLE = 1, polygon and circle zones):
    /// entering an exclusion zone or leaving an inclusion zone switches to RTL with a
    /// STATUSTEXT (FENCE_ACTION 1).
    #[arg(long)]
    fence_enable: bool,
    /// At SIGTERM, render the photos still queued for at most this long, seconds (every photo
    /// taken is rendered however late, within this bound; the rest are counted as not
    /// rendered).
    #[arg(long, default_value_t = 300.0)]
    render_drain_s: f64,
    /// Telemetry a link gets before it asks: on-request (ArduPilot: HEARTBEAT only until a
    /// SET_MESSAGE_INTERVAL or REQUEST_DATA_STREAM from that link; forgotten on reboot) or
    /// always (every stream at MAVProxy's usual rates, unasked).
    #[arg(long, value_enum, default_value_t = StreamsArg::OnRequest)]
    streams: StreamsArg,
    /// Mission store size, items including home; larger uploads get MAV_MISSION_NO_SPACE.
    /// The default is what a real ArduCopter SITL build held (MAV_MISSION_NO_SPACE at 651).
    #[arg(long, default_value_t = 650)]
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
    /// MAVLink 2 signing of every link (each signs with its own link id).
    #[command(flatten)]
    signing: SigningOptions,
    /// With --signing-key: keep the signing timestamp and the last timestamp of every
    /// incoming signing stream in FILE across restarts, so frames recorded before a restart
    /// are refused after it (a real autopilot keeps them in its storage). Default: in memory.
    #[arg(long, value_name = "FILE", requires = "signing_key")]
    signing_state: Option<PathBuf>,
}

fn pct(v: f64, flag: &str) -> Result<f64> {
    if !(0.0..=100.0).contains(&v) {
        bail!("{flag} {v}: expected a percentage 0..=100");
    }
    Ok(v / 100.0)
}

fn camera(w: &WorldArgs) -> Result<CameraIntrinsics> {
    let db = CameraDatabase::builtin();
    let spec = db
        .find(&w.camera)
        .with_context(|| format!("--camera {:?}", w.camera))?;
    let mut cam =
        CameraIntrinsics::from_spec(spec).with_context(|| format!("--camera {:?}", w.camera))?;
    if !(w.frame_scale > 0.0 && w.frame_scale <= 1.0) {
        bail!("--frame-scale {}: expected 0 < scale <= 1", w.frame_scale);
    }
    if w.frame_scale != 1.0 {
        let s = w.frame_scale;
        cam = CameraIntrinsics::new(
            ((cam.width_px as f64 * s).round() as u32).max(8),
            ((cam.height_px as f64 * s).round() as u32).max(8),
            cam.fx_px * s,
            cam.fy_px * s,
            cam.cx_px * s,
            cam.cy_px * s,
            cam.distortion,
        )?;
    }
    Ok(cam)
}

fn render_options(w: &WorldArgs, seed: u64) -> RenderOptions {
    RenderOptions {
        samples_per_axis: w.render_samples,
        noise_sigma: w.sensor_noise,
        blur_sigma_px: w.blur_px,
        seed,
        ..RenderOptions::default()
    }
}

fn read_corridor(path: &Path) -> Result<Corridor> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("--corridor {}", path.display()))?;
    Corridor::from_geojson(&text, &path.display().to_string())
        .context("reading the corridor (--corridor)")
}

/// The relief `w` asks for (`None`: flat ground).
fn relief(w: &WorldArgs, corridor: &Corridor) -> Result<Option<(Box<dyn Terrain + Sync>, String)>> {
    if !w.dem.is_empty() {
        let tiles = w
            .dem
            .iter()
            .map(|p| read_dem_file(p, DatumChoice::FromFile))
            .collect::<Result<Vec<_>, _>>()
            .context("reading the elevation model (--dem)")?;
        let names: Vec<String> = w.dem.iter().map(|p| p.display().to_string()).collect();
        let mosaic = DemMosaic::new(tiles).context("reading the elevation model (--dem)")?;
        return Ok(Some((Box::new(mosaic), names.join(", "))));
    }
    Ok(match w.terrain {
        TerrainArg::Flat => None,
        TerrainArg::Valley => Some((
            Box::new(
                SyntheticValley::new(&corridor.centreline, ValleySpec::default())
                    .context("--terrain valley")?,
            ),
            "synthetic valley (qly_core SyntheticValley, default spec)".to_string(),
        )),
    })
}

fn parse_style(s: &str) -> Result<Style, String> {
    s.parse()
}

fn build_world(w: &WorldArgs, corridor: &Corridor, ground_amsl_m: f64) -> Result<World> {
    let mut cfg = WorldConfig::new(w.world_seed);
    cfg.ground_amsl_m = ground_amsl_m;
    cfg.targets.mean_spacing_m = w.target_spacing_m;
    cfg.targets.max_sites = w.max_target_sites;
    cfg.style = w.style;
    cfg.targets.changes = w.world_changes;
    let world = World::new(corridor, cfg)?;
    Ok(match relief(w, corridor)? {
        None => world,
        Some((terrain, name)) => {
            world.with_relief(terrain.as_ref(), &name, w.relief_margin_m, w.relief_cell_m)?
        }
    })
}

fn write_dem(a: &WriteDemArgs) -> Result<()> {
    let Some(path) = &a.world.corridor else {
        bail!("sim write-dem: --corridor FILE is required");
    };
    let corridor = read_corridor(path)?;
    let world = build_world(&a.world, &corridor, 0.0)?;
    let Some(grid) = world.relief() else {
        bail!("sim write-dem: the world is flat: give --terrain valley or --dem FILE...");
    };
    if !(a.cell_arcsec.is_finite() && a.cell_arcsec > 0.0) {
        bail!("--cell-arcsec {}: expected > 0", a.cell_arcsec);
    }
    let name = a.out.display().to_string();
    let dem = grid.to_dem(&name, world.frame(), a.cell_arcsec / 3600.0)?;
    write_dem_file(&a.out, dem.grid(), dem.georef(), dem.vertical_datum())?;
    println!(
        "sim write-dem: {} x {} cells of {} arc-seconds, EGM96, from {} ({}) to {}",
        dem.grid().cols,
        dem.grid().rows,
        a.cell_arcsec,
        grid.source,
        dem.coverage(),
        a.out.display()
    );
    Ok(())
}

fn dataset(a: &DatasetArgs) -> Result<()> {
    let Some(path) = &a.world.corridor else {
        bail!("sim dataset: --corridor FILE is required");
    };
    let corridor = read_corridor(path)?;
    let world = build_world(&a.world, &corridor, a.ground_amsl_m)?;
    let cam = camera(&a.world)?;
    let spec = DatasetSpec {
        count: a.count,
        alt_min_m: a.alt_min_m,
        alt_max_m: a.alt_max_m,
        tilt_max_deg: a.tilt_max_deg,
        target_bias: a.target_bias,
        seed: a.seed,
        rules: LabelRules {
            min_box_px: a.min_box_px,
            plume_box: match a.plume_box {
                PlumeBoxArg::Source => {
                    if !(a.plume_source_box_m > 0.0 && a.plume_source_box_m.is_finite()) {
                        bail!(
                            "--plume-source-box-m {}: expected a positive number of metres",
                            a.plume_source_box_m
                        );
                    }
                    PlumeBox::Source {
                        side_m: a.plume_source_box_m,
                    }
                }
                PlumeBoxArg::Extent => PlumeBox::Extent,
            },
            ..LabelRules::default()
        },
        options: render_options(&a.world, a.seed),
        jpeg_quality: a.world.jpeg_quality,
        png: a.png,
    };
    println!(
        "sim dataset: {} frames of {}x{} px, world seed {}, {} outfalls and {} plumes along {:.0} m of river",
        a.count,
        cam.width_px,
        cam.height_px,
        a.world.world_seed,
        world.outfalls().len(),
        world.plumes().len(),
        world.river_length_m()
    );
    let summary = write_dataset(&world, &cam, &spec, &a.out, |k| {
        if k % 10 == 0 {
            println!("sim dataset: {k}/{}", a.count);
        }
    })?;
    println!(
        "sim dataset: wrote {} frames to {} ({} outfall and {} plume labels, {} frames without targets, {:.0} ms per frame to render)",
        summary.frames,
        a.out.display(),
        summary.outfall_labels,
        summary.plume_labels,
        summary.empty_frames,
        summary.mean_render_ms
    );
    Ok(())
}

fn main() -> std::process::ExitCode {
    // The link library logs through `tracing` (a `tcpin` client dropped for not reading).
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
    let cli = Cli::parse();
    let result = match &cli.command {
        Some(Cmd::Dataset(a)) => dataset(a),
        Some(Cmd::WriteDem(a)) => write_dem(a),
        None => fly(cli.fly),
    };
    qly_cli::exit(result)
}

fn fly(args: Args) -> Result<()> {
    let mut addresses: Vec<Address> = Vec::new();
    for l in &args.listen {
        let a: Address = l.parse().with_context(|| format!("--listen {l:?}"))?;
        if !matches!(a, Address::UdpIn(_) | Address::TcpIn(_)) {
            bail!("--listen {l:?}: expected udpin:HOST:PORT or tcpin:HOST:PORT");
        }
        addresses.push(a);
    }
    for c in &args.connect {
        let a: Address = c.parse().with_context(|| format!("--connect {c:?}"))?;
        if matches!(a, Address::UdpIn(_) | Address::TcpIn(_)) {
            bail!("--connect {c:?}: that is a listening address; use --listen");
        }
        addresses.push(a);
    }
    if addresses.is_empty() {
        bail!("give at least one --listen ADDR or --connect ADDR");
    }
    if !(args.speedup.is_finite() && args.speedup > 0.0) {
        bail!("--speedup {}: expected a number > 0", args.speedup);
    }
    if args.mission_capacity == 0 {
        bail!("--mission-capacity 0: expected at least 1 (home)");
    }
    let corridor = match &args.world.corridor {
        Some(p) => Some(read_corridor(p)?),
        None => None,
    };
    let home = match (args.home, &corridor) {
        (Some(h), _) => h.home_or(0.0),
        (None, Some(c)) => Home {
            point: c.centreline[0],
            alt_amsl_m: 0.0,
        },
        (None, None) => SITL_HOME,
    };
    if !(args.gimbal_tilt_deg.is_finite() && (0.0..=60.0).contains(&args.gimbal_tilt_deg)) {
        bail!(
            "--gimbal-tilt-deg {}: expected 0..=60 degrees",
            args.gimbal_tilt_deg
        );
    }
    let world = match &corridor {
        Some(c) => Some(Arc::new(build_world(&args.world, c, home.alt_amsl_m)?)),
        None => None,
    };
    // On relief, a home without a stated height stands on the ground (without --home: under
    // the corridor's first vertex).
    let home = match (args.home.and_then(|h| h.alt_amsl_m), &world) {
        (None, Some(w)) if w.relief().is_some() => {
            let (e, n) = w.to_plane(home.point);
            Home {
                alt_amsl_m: w.height_amsl_at(e, n),
                ..home
            }
        }
        _ => home,
    };
    if let (Some(w), Some(path)) = (&world, &args.truth) {
        std::fs::write(path, w.truth_geojson())
            .with_context(|| format!("--truth {}", path.display()))?;
        println!(
            "sim: world seed {}: {} outfalls, {} plumes; truth written to {}",
            args.world.world_seed,
            w.outfalls().len(),
            w.plumes().len(),
            path.display()
        );
    }

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
    if !(args.render_drain_s.is_finite() && args.render_drain_s >= 0.0) {
        bail!(
            "--render-drain-s {}: expected a finite number of seconds >= 0",
            args.render_drain_s
        );
    }
    vc.disarm_delay_s = args.disarm_delay_s;
    vc.gps_lock_after_s = args.gps_lock_s;
    vc.fence_enabled = args.fence_enable;
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
    let mut autopilot = Autopilot::new(Vehicle::new(vc), own, clock, args.mission_capacity);
    autopilot.set_stream_defaults(match args.streams {
        StreamsArg::OnRequest => StreamDefaults::OnRequest,
        StreamsArg::Always => StreamDefaults::Always,
    });
    let mount = gimbal_mount(args.gimbal_tilt_deg);
    if let qly_core::geotag::CameraMount::HeadingFrame(q) = mount {
        autopilot.set_gimbal(q);
    }
    let writer = match (&world, &args.frames_dir) {
        (Some(w), Some(dir)) => {
            let settings = FrameSettings {
                dir: dir.clone(),
                camera: camera(&args.world)?,
                options: render_options(&args.world, args.seed),
                jpeg_quality: args.world.jpeg_quality,
            };
            let writer = FrameWriter::spawn(w.clone(), settings)
                .with_context(|| format!("--frames-dir {}", dir.display()))?;
            if let Some(tx) = writer.sender() {
                autopilot.set_photo_sink(Box::new(move |boot, c| {
                    match camera_pose(&c.truth, mount) {
                        Ok(pose) => {
                            let _ = tx.send(FrameJob {
                                key: qly_flight::folder::FrameKey {
                                    boot,
                                    image_index: u64::from(c.image_index),
                                },
                                pose,
                            });
                        }
                        Err(e) => eprintln!("sim: photo {}: {e}", c.image_index),
                    }
                }));
            }
            println!("sim: frames to {}", dir.display());
            Some(writer)
        }
        _ => None,
    };

    let mut cfg = ConnectionConfig::new(own);
    cfg.signing = args.signing.config()?;
    if cfg.signing.is_some() {
        // One signing clock and stream table for every link, as ArduPilot keeps one for all
        // its channels: a frame recorded on one link is a replay on another.
        cfg.signing_streams = Some(match &args.signing_state {
            Some(path) => SigningStreams::persistent(path).context("--signing-state")?,
            None => SigningStreams::in_memory(),
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
    let names: Vec<String> = addresses.iter().map(|a| a.to_string()).collect();
    let cfg_streams = cfg.signing_streams.clone();
    let all_stats = rt
        .block_on(async {
            // Hook SIGTERM before the links bind and announce their ports.
            let shutdown = qly_cli::shutdown_signal();
            run_links(autopilot, &addresses, cfg, shutdown).await
        })
        .with_context(|| format!("links {}", names.join(", ")))?;
    if let Some(streams) = &cfg_streams {
        if let Some(path) = streams.path() {
            streams
                .flush()
                .with_context(|| format!("--signing-state {}", path.display()))?;
            println!(
                "sim: signing state ({} streams) kept in {}",
                streams.stream_count(),
                path.display()
            );
        }
    }
    if let Some(w) = writer {
        let queued = w.queued();
        if queued > 0 {
            println!(
                "sim: rendering the {queued} photos still queued before stopping (at most {:.0} s)",
                args.render_drain_s
            );
        }
        let f = w.finish_within(Duration::from_secs_f64(args.render_drain_s.max(0.0)));
        println!(
            "sim: frames written {}, failed {}, not rendered at stop {}",
            f.written, f.failed, f.dropped
        );
    }
    for (name, stats) in names.iter().zip(&all_stats) {
        let rx = stats.rx;
        println!(
            "sim: stopped; frames sent {}, received {} (rejected: {} bad CRC, {} unsigned, {} bad signature, {} replayed) on {name}",
            stats.frames_sent, rx.accepted, rx.bad_crc, rx.unsigned_rejected, rx.bad_signature, rx.replayed
        );
    }
    Ok(())
}
