//! `planner`: plan river-corridor and area surveys and write them for QGroundControl, Mission
//! Planner, Google Earth and GIS. A thin shell over the `planner` library.

mod cli_fly;
mod cli_upload;
mod fly_streams;

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use qly_core::camera::{CameraDatabase, CameraSpec, Orientation};
use qly_core::datum::Datum;
use qly_core::home::HomeSpec;

use planner::dji_aircraft::DjiAircraftDatabase;
use planner::survey::{AltitudeTarget, BatteryBudget, CorridorOptions, SurveyParams};
use planner::terrain::{TerrainAltFrame, TerrainOptions};
use qly_core::terrain::{read_dem_file, DatumChoice, DemMosaic, VerticalDatum};

#[derive(Parser)]
#[command(
    name = "planner",
    version,
    about = "Plan drone surveys of river corridors and areas"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Plan a survey from a corridor centreline or an area polygon and write the mission files.
    Plan(Box<PlanArgs>),
    /// Upload a mission file to a flight controller over MAVLink and verify it by download.
    Upload(cli_upload::UploadArgs),
    /// Start the mission on the vehicle (GUIDED, arm, AUTO, MISSION_START) and follow it to the
    /// landing.
    Fly(cli_fly::FlyArgs),
    /// List the cameras the planner knows by name.
    Cameras,
}

#[derive(Clone, Copy, ValueEnum)]
enum OrientationArg {
    Landscape,
    Portrait,
}

#[derive(Clone, Copy, ValueEnum)]
enum DemDatumArg {
    Egm96,
    Egm2008,
    Ellipsoid,
}

#[derive(Clone, Copy, ValueEnum)]
enum KmzHeightArg {
    /// Above the take-off point (`relativeToStartPoint`).
    Relative,
    /// WGS-84 ellipsoid heights, from our EGM96 heights through the geoid.
    Wgs84,
}

#[derive(Clone, Copy, ValueEnum)]
enum AltFrameArg {
    Relative,
    Terrain,
}

#[derive(Args)]
struct PlanArgs {
    /// Survey input: GeoJSON (.geojson/.json), KML (.kml) or QGroundControl plan (.plan) with a
    /// river centreline (LineString) or an area (Polygon, holes = no-fly yards).
    input: PathBuf,
    /// Datum of the input coordinates: WGS84 (default), CGCS2000 or GCJ02 (Amap/Tencent
    /// traces). Overrides a `datum` property in the file.
    #[arg(long)]
    datum: Option<Datum>,
    /// Corridor width in metres (bank to bank plus margin); overrides the file's `width_m`.
    #[arg(long)]
    width: Option<f64>,
    /// Camera by name or alias (see `planner cameras`); default: the --aircraft's camera, else
    /// DJI Mavic 3 Enterprise wide. Or give all five --sensor-*/--focal/--image-*.
    #[arg(long)]
    camera: Option<String>,
    /// Custom camera: sensor width, mm.
    #[arg(long, requires_all = ["sensor_height_mm", "focal_length_mm", "image_width_px", "image_height_px"])]
    sensor_width_mm: Option<f64>,
    /// Custom camera: sensor height, mm.
    #[arg(long)]
    sensor_height_mm: Option<f64>,
    /// Custom camera: focal length, mm (real, not 35 mm-equivalent).
    #[arg(long)]
    focal_length_mm: Option<f64>,
    /// Custom camera: image width, px.
    #[arg(long)]
    image_width_px: Option<u32>,
    /// Custom camera: image height, px.
    #[arg(long)]
    image_height_px: Option<u32>,
    /// Camera mounting: landscape puts the image's long side across the flight direction.
    #[arg(long, value_enum, default_value = "landscape")]
    orientation: OrientationArg,
    /// Wanted ground sample distance, cm/px (sets the altitude). Default 2.0 unless --alt.
    #[arg(long, conflicts_with = "alt")]
    gsd: Option<f64>,
    /// Flight altitude above take-off, metres (instead of --gsd).
    #[arg(long)]
    alt: Option<f64>,
    /// Side overlap between neighbouring lanes, percent (0 <= x < 100).
    #[arg(long, default_value_t = SurveyParams::DEFAULT_SIDE_OVERLAP_PCT)]
    side_overlap: f64,
    /// Front overlap between consecutive photos, percent (0 <= x < 100).
    #[arg(long, default_value_t = SurveyParams::DEFAULT_FRONT_OVERLAP_PCT)]
    front_overlap: f64,
    /// Height ceiling above ground, metres. China's light-UAV rule is 120 m true height;
    /// raise it only with an airspace approval. With --dem it holds along the whole path.
    #[arg(long, visible_alias = "max-agl-m", default_value_t = SurveyParams::DEFAULT_CEILING_M)]
    ceiling: f64,
    /// Elevation model(s), GeoTIFF in EPSG:4326 (SRTM-like; repeat for tiles): fly at the
    /// target height above the ground they give instead of above take-off.
    #[arg(long = "dem")]
    dem: Vec<PathBuf>,
    /// Vertical datum of DEMs that do not declare one: egm96 (SRTM), egm2008 (Copernicus
    /// GLO-30: refused, no EGM2008 geoid ships) or ellipsoid.
    #[arg(long, value_enum)]
    dem_datum: Option<DemDatumArg>,
    /// With --dem: largest allowed difference from the target height above ground along the
    /// path, metres.
    #[arg(long, default_value_t = 5.0)]
    agl_tolerance_m: f64,
    /// With --dem: lowest height above ground allowed anywhere along the path, metres.
    #[arg(long, default_value_t = 30.0)]
    min_clearance_m: f64,
    /// With --dem: the vehicle's mission climb rate, m/s (ArduCopter WPNAV_SPEED_UP default).
    #[arg(long, default_value_t = planner::terrain::ARDUCOPTER_CLIMB_M_S)]
    climb_rate: f64,
    /// With --dem: the vehicle's mission descent rate, m/s (ArduCopter WPNAV_SPEED_DN default).
    #[arg(long, default_value_t = planner::terrain::ARDUCOPTER_SINK_M_S)]
    sink_rate: f64,
    /// With --dem: altitude frame of the waypoints: relative (to home, computed from the DEM;
    /// any autopilot) or terrain (MAV_FRAME_GLOBAL_TERRAIN_ALT; needs terrain data on board).
    #[arg(long, value_enum, default_value = "relative")]
    alt_frame: AltFrameArg,
    /// With --dem: refuse a plan whose climb/descent limits would break the ceiling, rather
    /// than flying that stretch more steeply and slowly (for fixed-wing aircraft).
    #[arg(long)]
    strict_gradients: bool,
    /// Straight run-in/run-out beyond each lane end, metres.
    #[arg(long, default_value_t = SurveyParams::DEFAULT_TURNAROUND_M)]
    turnaround: f64,
    /// Cruise (ground) speed, m/s.
    #[arg(long, default_value_t = SurveyParams::DEFAULT_CRUISE_SPEED_M_S)]
    speed: f64,
    /// Distance every lane, turn, connecting leg and transit to or from home keeps from an
    /// area's holes and exclusion zones (which the mission also carries as exclusion
    /// fences), metres. Default:
    /// WPNAV_RADIUS + v_c^2 / (2 x WPNAV_ACCEL) with ArduCopter's defaults (2 m, 2.5 m/s^2):
    /// the waypoint radius plus the distance to stop from v_c, the speed ArduCopter's S-curve
    /// carries into a right-angle turn at the cruise speed; 3.7 m at 8 m/s. Ground within the
    /// margin that only a lane through it would photograph is left out, and the coverage line
    /// shows it.
    #[arg(long)]
    exclusion_margin_m: Option<f64>,
    /// Sweep direction of area lanes, degrees clockwise from north; default: the fastest.
    #[arg(long)]
    angle: Option<f64>,
    /// Extra corridor lanes flown outside each bank.
    #[arg(long, default_value_t = 0)]
    extra_lanes: u32,
    /// Usable flight minutes per battery; splits the survey into sorties.
    #[arg(long)]
    battery_min: Option<f64>,
    /// Minutes kept in reserve at landing (with --battery-min).
    #[arg(long, default_value_t = 3.0)]
    reserve_min: f64,
    /// Photos each sortie re-takes before where the previous one stopped.
    #[arg(long, default_value_t = SurveyParams::DEFAULT_RESUME_OVERLAP_PHOTOS)]
    resume_photos: u32,
    /// Most mission items (home included) the vehicle stores; longer surveys are split into
    /// sorties that fit. 650 is what a common ArduPilot board (and its SITL build) holds;
    /// raise it for a vehicle that keeps missions on an SD card, 0 for no limit.
    #[arg(long, default_value_t = planner::sorties::DEFAULT_MAX_ITEMS)]
    max_items: usize,
    /// Take-off point `LAT,LON[,AMSL_M]` (WGS-84 degrees, metres above mean sea level; 0 m
    /// when omitted), e.g. `-35.363262,149.165237,584`; default: the start of the first lane.
    #[arg(long, value_name = "LAT,LON[,AMSL_M]", allow_hyphen_values = true)]
    home: Option<HomeSpec>,
    /// DJI aircraft (M3E, M3T, M30, M30T, M300-H20, M300-H20T, M350-H20, M350-H20T, M3TD):
    /// also write a DJI Pilot 2 / FlightHub 2 route (WPML KMZ) per sortie, with its camera.
    #[arg(long)]
    aircraft: Option<String>,
    /// Heights of the DJI route: relative (to the take-off point) or wgs84 (ellipsoid; needs
    /// --home LAT,LON,AMSL_M or --dem).
    #[arg(long, value_enum, default_value = "relative", requires = "aircraft")]
    kmz_height: KmzHeightArg,
    /// DJI route: climb after take-off before flying to the first waypoint, metres [2, 1500].
    #[arg(long, default_value_t = 20.0, requires = "aircraft")]
    kmz_takeoff_height: f64,
    /// Output folder.
    #[arg(long, default_value = "out")]
    out: PathBuf,
    /// Base name of the output files; default: the input file's stem.
    #[arg(long)]
    name: Option<String>,
}

fn main() -> std::process::ExitCode {
    qly_cli::exit(run(Cli::parse()))
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Plan(args) => plan(*args),
        Command::Upload(args) => cli_upload::run(args),
        Command::Fly(args) => cli_fly::run(args),
        Command::Cameras => {
            let db = CameraDatabase::builtin();
            for c in db.cameras() {
                let aliases = db.aliases_of(c).join(", ");
                println!(
                    "{:<32} sensor {:.2} x {:.2} mm, f {:.2} mm, {} x {} px{}",
                    c.name,
                    c.sensor_width_mm,
                    c.sensor_height_mm,
                    c.focal_length_mm,
                    c.image_width_px,
                    c.image_height_px,
                    if aliases.is_empty() {
                        String::new()
                    } else {
                        format!(" (also: {aliases})")
                    }
                );
            }
            Ok(())
        }
    }
}

fn plan(args: PlanArgs) -> Result<()> {
    let source = args.input.display().to_string();
    let mut input = planner::input::read_survey_input(&args.input, args.datum)
        .with_context(|| format!("reading survey input {source}"))?;
    if let Some(w) = args.width {
        input.width_m = Some(w);
    }
    let params = survey_params(&args)?;
    let plan = if args.dem.is_empty() {
        planner::plan::plan_survey(&input, &params).with_context(|| format!("planning {source}"))?
    } else {
        let datum = match args.dem_datum {
            None => DatumChoice::FromFile,
            Some(DemDatumArg::Egm96) => DatumChoice::Known(VerticalDatum::Egm96),
            Some(DemDatumArg::Egm2008) => DatumChoice::Known(VerticalDatum::Egm2008),
            Some(DemDatumArg::Ellipsoid) => DatumChoice::Known(VerticalDatum::EllipsoidWgs84),
        };
        let tiles = args
            .dem
            .iter()
            .map(|p| read_dem_file(p, datum))
            .collect::<Result<Vec<_>, _>>()
            .context("reading the elevation model (--dem)")?;
        let ground = DemMosaic::new(tiles).context("reading the elevation model (--dem)")?;
        let options = TerrainOptions {
            agl_tolerance_m: args.agl_tolerance_m,
            min_clearance_m: args.min_clearance_m,
            climb_rate_m_s: args.climb_rate,
            strict_gradients: args.strict_gradients,
            sink_rate_m_s: args.sink_rate,
            alt_frame: match args.alt_frame {
                AltFrameArg::Relative => TerrainAltFrame::RelativeHome,
                AltFrameArg::Terrain => TerrainAltFrame::Terrain,
            },
            ..TerrainOptions::default()
        };
        let names: Vec<String> = args.dem.iter().map(|p| p.display().to_string()).collect();
        planner::plan::plan_survey_over_terrain(&input, &params, &ground, &options).with_context(
            || format!("planning {source} over the terrain of {}", names.join(", ")),
        )?
    };
    let name = match &args.name {
        Some(n) => n.clone(),
        None => args
            .input
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "survey".into()),
    };
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating output folder {}", args.out.display()))?;
    let mut written = planner::output::write_outputs(&plan, &args.out, &name)
        .with_context(|| format!("writing outputs to {}", args.out.display()))?;
    let mut notes = Vec::new();
    if let Some(options) = dji_options(&args, &plan)? {
        let (paths, dji_notes) = planner::output::write_dji_kmz(&plan, &args.out, &name, &options)
            .with_context(|| format!("writing DJI routes to {}", args.out.display()))?;
        written.extend(paths);
        notes = dji_notes;
    }
    print!("{}", planner::summary::render(&plan, &source));
    println!("written     {}", written.len());
    for p in written {
        println!("  {}", p.display());
    }
    for n in notes {
        println!("note: {n}");
    }
    Ok(())
}

/// The DJI route options, when `--aircraft` asks for KMZ files.
fn dji_options(
    args: &PlanArgs,
    plan: &planner::survey::SurveyPlan,
) -> Result<Option<planner::output::wpml::WpmlOptions>> {
    let Some(key) = &args.aircraft else {
        return Ok(None);
    };
    let aircraft = DjiAircraftDatabase::builtin().find(key)?.clone();
    if !(2.0..=1500.0).contains(&args.kmz_takeoff_height) {
        bail!(
            "--kmz-takeoff-height {}: expected 2 to 1500 m (DJI WPML takeOffSecurityHeight)",
            args.kmz_takeoff_height
        );
    }
    let home_amsl_known = !args.dem.is_empty() || args.home.is_some_and(|h| h.alt_amsl_m.is_some());
    Ok(Some(planner::output::wpml::WpmlOptions {
        aircraft,
        height_mode: match args.kmz_height {
            KmzHeightArg::Relative => planner::output::wpml::WpmlHeightMode::RelativeToStartPoint,
            KmzHeightArg::Wgs84 => planner::output::wpml::WpmlHeightMode::Wgs84,
        },
        home_amsl_known,
        take_off_security_height_m: args.kmz_takeoff_height,
        ceiling_rel_home_m: plan.terrain.is_none().then_some(args.ceiling),
    }))
}

/// The camera: `--camera`, else the `--aircraft`'s, else the Mavic 3 Enterprise's.
fn camera_name(args: &PlanArgs) -> Result<String> {
    let aircraft = match &args.aircraft {
        Some(key) => Some(DjiAircraftDatabase::builtin().find(key)?.camera.clone()),
        None => None,
    };
    match (&args.camera, aircraft) {
        (Some(c), Some(a)) => {
            let db = CameraDatabase::builtin();
            if db.find(c)?.name != a {
                bail!(
                    "--camera '{c}' is not the camera of --aircraft {}: {a}",
                    args.aircraft.as_deref().unwrap_or_default()
                );
            }
            Ok(a)
        }
        (Some(c), None) => Ok(c.clone()),
        (None, Some(a)) => Ok(a),
        (None, None) => Ok("DJI Mavic 3 Enterprise wide".into()),
    }
}

fn survey_params(args: &PlanArgs) -> Result<SurveyParams> {
    let camera = match args.sensor_width_mm {
        Some(sensor_width_mm) => {
            let c = CameraSpec {
                name: "Custom".into(),
                sensor_width_mm,
                sensor_height_mm: args.sensor_height_mm.unwrap_or(f64::NAN),
                focal_length_mm: args.focal_length_mm.unwrap_or(f64::NAN),
                image_width_px: args.image_width_px.unwrap_or(0),
                image_height_px: args.image_height_px.unwrap_or(0),
                min_trigger_interval_s: 0.0,
            };
            c.validate().context("custom camera")?;
            c
        }
        None => CameraDatabase::builtin().find(&camera_name(args)?)?.clone(),
    };
    let altitude = match (args.gsd, args.alt) {
        (_, Some(alt_m)) => AltitudeTarget::AboveTakeoff { alt_m },
        (Some(cm_per_px), None) => AltitudeTarget::Gsd { cm_per_px },
        (None, None) => AltitudeTarget::Gsd { cm_per_px: 2.0 },
    };
    let battery = args.battery_min.map(|usable_min| BatteryBudget {
        usable_min,
        reserve_min: args.reserve_min,
    });
    let home = args.home.map(|h| h.home_or(0.0));
    Ok(SurveyParams {
        camera,
        orientation: match args.orientation {
            OrientationArg::Landscape => Orientation::Landscape,
            OrientationArg::Portrait => Orientation::Portrait,
        },
        side_overlap_pct: args.side_overlap,
        front_overlap_pct: args.front_overlap,
        altitude,
        ceiling_m: args.ceiling,
        turnaround_m: args.turnaround,
        cruise_speed_m_s: args.speed,
        sweep_angle_deg: args.angle,
        corridor: CorridorOptions {
            extra_lanes_per_bank: args.extra_lanes,
        },
        battery,
        resume_overlap_photos: args.resume_photos,
        max_items: (args.max_items > 0).then_some(args.max_items),
        home,
        exclusion_margin_m: args.exclusion_margin_m,
    })
}
