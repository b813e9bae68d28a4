//! The patrol's settings: command-line flags, each with the environment variable that
//! `scripts/patrol.sh` read before (so `SPEEDUP=10 ./scripts/patrol.sh` keeps working) and the
//! same default.

use std::path::PathBuf;

use clap::Parser;

/// The simulated camera (core's camera database): what the sim renders and the companion
/// geotags with.
pub const SIM_CAMERA: &str = "Qianliyan sim 2048x1536";

/// Take-off height above mean sea level when no elevation model is flown: the synthetic
/// world's ground.
pub const HOME_AMSL_M: f64 = 1050.0;

/// Fly the whole simulated patrol: plan the corridor, start `sim` (world, noise) and
/// `companion`, upload and fly every sortie, wait until every photo is rendered and processed,
/// then score, report, confirm (automatically: a demo), export and verify with `review`.
#[derive(Debug, Clone, Parser)]
#[command(name = "patrol", version)]
pub struct PatrolArgs {
    /// The river corridor (GeoJSON LineString with `width_m`).
    #[arg(
        env = "CORRIDOR",
        default_value = "missions/sample-corridor.geojson",
        value_name = "CORRIDOR.geojson"
    )]
    pub corridor: PathBuf,
    /// The flight folder; default out/patrol-<UTC time>.
    #[arg(long, env = "OUT", value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Simulated seconds per wall-clock second.
    #[arg(long, env = "SPEEDUP", default_value_t = 5.0)]
    pub speedup: f64,
    /// Flight height above take-off (above ground with --dem), metres.
    #[arg(long, env = "ALT_M", default_value_t = 100.0)]
    pub alt_m: f64,
    /// Survey speed, m/s.
    #[arg(long, env = "SPEED_M_S", default_value_t = 10.0)]
    pub speed_m_s: f64,
    /// Forward overlap of photos, percent.
    #[arg(long, env = "FRONT_OVERLAP", default_value_t = 50.0)]
    pub front_overlap_pct: f64,
    /// Side overlap of lanes, percent.
    #[arg(long, env = "SIDE_OVERLAP", default_value_t = 30.0)]
    pub side_overlap_pct: f64,
    /// The world's seed (where the targets are). 7001: a world the detector never saw
    /// (models/train.sh trains on seeds 1..60 at most and holds out 9001..).
    #[arg(long, env = "WORLD_SEED", default_value_t = 7001)]
    pub world_seed: u64,
    /// Fly the same world some time later, changed by this seed: some outfalls removed, some
    /// added, some plumes switched on or off (sim's `--world-changes`). Unset: as built.
    #[arg(long, env = "WORLD_CHANGES", value_name = "SEED")]
    pub world_changes: Option<u64>,
    /// How the sim draws the world (sim's `--style`): river-a, what the shipped detector was
    /// trained on, or river-b, a domain shift it never saw (late autumn, muddy water).
    #[arg(long, env = "STYLE", default_value = "river-a", value_parser = ["river-a", "river-b"])]
    pub style: String,
    /// The sensor-noise seed.
    #[arg(long, env = "SEED", default_value_t = 1)]
    pub seed: u64,
    /// Sim GPS noise, metres (1 sigma); also the companion's error model input.
    #[arg(long, env = "GPS_SIGMA_M", default_value_t = 1.5)]
    pub gps_sigma_m: f64,
    /// Sim altitude noise, metres (1 sigma).
    #[arg(long, env = "ALT_SIGMA_M", default_value_t = 0.8)]
    pub alt_sigma_m: f64,
    /// Sim roll/pitch noise, degrees (1 sigma).
    #[arg(long, env = "ATTITUDE_SIGMA_DEG", default_value_t = 0.5)]
    pub attitude_sigma_deg: f64,
    /// Sim heading noise, degrees (1 sigma).
    #[arg(long, env = "HEADING_SIGMA_DEG", default_value_t = 1.0)]
    pub heading_sigma_deg: f64,
    /// Detector threshold for outfalls.
    #[arg(long, env = "OUTFALL_CONFIDENCE", default_value_t = 0.35)]
    pub outfall_confidence: f32,
    /// Detector threshold for plumes.
    #[arg(long, env = "PLUME_CONFIDENCE", default_value_t = 0.35)]
    pub plume_confidence: f32,
    /// Photos a candidate needs before it is reported (`[fusion] min_sightings`).
    #[arg(long, env = "MIN_SIGHTINGS", default_value_t = 2,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub min_sightings: u32,
    /// A GeoTIFF terrain model: the plan follows it, the sim's world stands on it, the
    /// companion geotags onto it. An empty value (`--dem ''`, `DEM=`) flies over flat ground.
    #[arg(
        long,
        env = "DEM",
        default_value = "missions/sample-corridor-dem.tif",
        value_name = "FILE"
    )]
    pub dem: String,
    /// The detector (ONNX); default: the first models/*.onnx.
    #[arg(long, env = "MODEL", value_name = "FILE")]
    pub model: Option<PathBuf>,
    /// ONNX Runtime's shared library (scripts/setup-env.sh exports it).
    #[arg(long, env = "ORT_DYLIB_PATH", value_name = "FILE")]
    pub onnxruntime_library: Option<PathBuf>,
    /// Usable flight minutes per battery: splits the survey into sorties, flown one after
    /// the other in the same flight folder. Default: one sortie.
    #[arg(long, env = "BATTERY_MIN")]
    pub battery_min: Option<f64>,
    /// Slow the companion down by this many milliseconds per photo (its `[debug]
    /// frame_delay_ms`): to show that a slow companion loses no photo.
    #[arg(long, env = "COMPANION_FRAME_DELAY_MS", value_name = "MS")]
    pub companion_frame_delay_ms: Option<u64>,
    /// Give up waiting for photos to be rendered and processed after this many seconds
    /// without any progress (a photo rendered, processed or skipped).
    #[arg(long, default_value_t = 300.0)]
    pub stall_timeout_s: f64,
    /// Give up a sortie still flying after this many seconds (wall clock).
    #[arg(long, default_value_t = 3000.0)]
    pub sortie_timeout_s: f64,
    /// The folder holding the sim, companion, planner and review programs; default: this
    /// program's own folder (target/release after `cargo build --release`).
    #[arg(long, value_name = "DIR")]
    pub bin_dir: Option<PathBuf>,
}

impl PatrolArgs {
    /// The elevation model, `None` for flat ground.
    pub fn dem(&self) -> Option<PathBuf> {
        (!self.dem.trim().is_empty()).then(|| PathBuf::from(&self.dem))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_those_of_the_shell_script() {
        let a = PatrolArgs::try_parse_from(["patrol"]).unwrap();
        assert_eq!(
            a.corridor,
            PathBuf::from("missions/sample-corridor.geojson")
        );
        assert_eq!(a.speedup, 5.0);
        assert_eq!(a.alt_m, 100.0);
        assert_eq!(a.front_overlap_pct, 50.0);
        assert_eq!(a.world_seed, 7001);
        assert_eq!(a.style, "river-a");
        let b = PatrolArgs::try_parse_from(["patrol", "--style", "river-b"]).unwrap();
        assert_eq!(b.style, "river-b");
        assert!(PatrolArgs::try_parse_from(["patrol", "--style", "river-c"]).is_err());
        assert_eq!(a.min_sightings, 2);
        assert_eq!(
            a.dem(),
            Some(PathBuf::from("missions/sample-corridor-dem.tif"))
        );
    }

    #[test]
    fn an_empty_dem_means_flat_ground_and_zero_sightings_is_refused() {
        let a = PatrolArgs::try_parse_from(["patrol", "c.geojson", "--dem", ""]).unwrap();
        assert_eq!(a.dem(), None);
        assert_eq!(a.corridor, PathBuf::from("c.geojson"));
        assert!(PatrolArgs::try_parse_from(["patrol", "--min-sightings", "0"]).is_err());
    }
}
