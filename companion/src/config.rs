//! The service's TOML configuration (`companion run --config FILE`).
//!
//! One table per concern, each key with a default where one is sensible, unknown keys refused
//! (a misspelt key that silently falls back to a default is how a survey gets flown with the
//! wrong camera). `companion.example.toml` lists and explains every key; a test loads it and
//! checks that every field here appears in it.
//!
//! Relative paths (model, ONNX Runtime library, frames folder, journal) are taken relative to
//! the folder of the config file, so a flight folder can carry its own config.
//!
//! Errors name the file, the key and what was expected; parse errors carry toml's line,
//! column and source excerpt.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use qly_core::camera::CameraDatabase;
use qly_core::geodesy::GeoPoint;
use qly_core::geotag::{CameraMount, Uncertainty};
use qly_core::intrinsics::{BrownConrady, CameraIntrinsics};
use qly_core::rotation::Quat;
use qly_core::terrain::{read_dem_file, DatumChoice, DemMosaic, Terrain, VerticalDatum};
use serde::{Deserialize, Serialize};

use crate::detect::{DetectorConfig, RuntimeConfig, TilingConfig};
use crate::fc::FcConfig;
use crate::fusion::{FusionSettings, RiverCentreline};

/// Why a configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config {path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config {path}: {source}")]
    Parse {
        path: PathBuf,
        source: Box<toml::de::Error>,
    },
    #[error("config {path}: {source}")]
    FlightController {
        path: PathBuf,
        source: crate::fc::FcError,
    },
    #[error("config {path}: `{key}` = {value}: expected {expected}")]
    Invalid {
        path: PathBuf,
        key: String,
        value: String,
        expected: String,
    },
}

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `[flight_controller]`: the MAVLink link (see [`FcConfig`]).
    #[serde(default)]
    pub flight_controller: FcConfig,
    /// `[camera]`: which camera took the frames and how it is mounted.
    pub camera: CameraConfig,
    /// `[detector]`: the ONNX model and its thresholds.
    pub detector: DetectorSection,
    /// `[geotag]`: error model inputs and the ground the rays are intersected with.
    #[serde(default)]
    pub geotag: GeotagSection,
    /// `[fusion]`: how sightings merge into candidates.
    #[serde(default)]
    pub fusion: FusionSection,
    /// `[frames]`: where photos appear and how long to wait for their capture events.
    #[serde(default)]
    pub frames: FramesSection,
    /// `[journal]`: where records and exports go.
    #[serde(default)]
    pub journal: JournalSection,
    /// `[debug]`: test aids; leave out in flight.
    #[serde(default, skip_serializing_if = "DebugSection::is_off")]
    pub debug: DebugSection,
    /// The folder relative paths are taken from (the config file's folder); not a key.
    #[serde(skip)]
    pub base_dir: PathBuf,
    /// The file this was read from (for messages); not a key.
    #[serde(skip)]
    pub path: PathBuf,
}

/// `[camera]`: give `name` (a camera of core's database: an ideal pinhole from the spec
/// sheet) or `[camera.intrinsics]` (a calibration), not both.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CameraConfig {
    /// A camera of `qly_core::camera::CameraDatabase::builtin()`, e.g. "DJI Mavic 3
    /// Enterprise wide".
    #[serde(default)]
    pub name: Option<String>,
    /// A calibration in OpenCV's convention.
    #[serde(default)]
    pub intrinsics: Option<IntrinsicsConfig>,
    /// The fixed mount used when the flight controller reports no gimbal attitude.
    #[serde(default)]
    pub mount: MountConfig,
}

/// `[camera.intrinsics]`: pinhole plus Brown-Conrady distortion (OpenCV's k1 k2 p1 p2 k3).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IntrinsicsConfig {
    pub width_px: u32,
    pub height_px: u32,
    pub fx_px: f64,
    pub fy_px: f64,
    pub cx_px: f64,
    pub cy_px: f64,
    #[serde(default)]
    pub k1: f64,
    #[serde(default)]
    pub k2: f64,
    #[serde(default)]
    pub k3: f64,
    #[serde(default)]
    pub p1: f64,
    #[serde(default)]
    pub p2: f64,
}

/// What the fixed mount's angles are relative to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum MountFrame {
    /// Bolted to the airframe: vehicle roll and pitch tilt the camera.
    #[default]
    Body,
    /// A stabilised gimbal holding pitch and roll to the horizon, yaw following the vehicle.
    Heading,
    /// A gimbal holding an earth-fixed attitude (yaw from true north).
    Earth,
}

/// `[camera.mount]`: fixed gimbal angles, degrees (yaw, then pitch, then roll, of the gimbal
/// frame: x forward, y right, z down). Default: body-fixed, looking straight down.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct MountConfig {
    pub frame: MountFrame,
    pub roll_deg: f64,
    /// -90 looks straight down.
    pub pitch_deg: f64,
    pub yaw_deg: f64,
}

impl Default for MountConfig {
    fn default() -> Self {
        MountConfig {
            frame: MountFrame::Body,
            roll_deg: 0.0,
            pitch_deg: -90.0,
            yaw_deg: 0.0,
        }
    }
}

impl MountConfig {
    pub fn mount(&self) -> CameraMount {
        let q = Quat::from_ypr_deg(self.yaw_deg, self.pitch_deg, self.roll_deg);
        match self.frame {
            MountFrame::Body => CameraMount::BodyFixed(q),
            MountFrame::Heading => CameraMount::HeadingFrame(q),
            MountFrame::Earth => CameraMount::EarthFrame(q),
        }
    }
}

/// `[detector]`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DetectorSection {
    /// The ONNX model file (see the README's model contract). Required.
    pub model: PathBuf,
    /// ONNX Runtime's shared library; absent: `$ORT_DYLIB_PATH`, then `libonnxruntime.so`
    /// next to the executable.
    #[serde(default)]
    pub onnxruntime_library: Option<PathBuf>,
    /// Threads inside one operator; 0 lets ONNX Runtime choose.
    #[serde(default)]
    pub intra_op_threads: usize,
    #[serde(default = "default_confidence")]
    pub confidence_threshold: f32,
    /// Per-class thresholds by class name, e.g. `{ plume = 0.4 }`.
    #[serde(default)]
    pub class_confidence_thresholds: BTreeMap<String, f32>,
    #[serde(default = "default_iou")]
    pub iou_threshold: f32,
    #[serde(default = "default_max_detections")]
    pub max_detections: usize,
    /// `[detector.tiling]`: slice photos much larger than the model input. Absent: never.
    #[serde(default)]
    pub tiling: Option<TilingSection>,
}

fn default_confidence() -> f32 {
    0.25
}
fn default_iou() -> f32 {
    0.7
}
fn default_max_detections() -> usize {
    300
}

/// `[detector.tiling]`.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TilingSection {
    pub slice_width_px: u32,
    pub slice_height_px: u32,
    pub overlap_ratio: f32,
    pub full_frame_pass: bool,
    /// Tile only photos at least this many times larger than the model input (per side).
    pub min_downscale: f32,
}

impl Default for TilingSection {
    fn default() -> Self {
        TilingSection {
            slice_width_px: 640,
            slice_height_px: 640,
            overlap_ratio: 0.2,
            full_frame_pass: true,
            min_downscale: 2.0,
        }
    }
}

/// `[geotag]`: the 1-sigma inputs of the error model and the ground.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct GeotagSection {
    /// Camera position error per horizontal axis, metres. Replaced by the GPS's reported
    /// horizontal accuracy (GPS_RAW_INT `h_acc`, a radial figure, divided by sqrt 2) when
    /// `use_gps_accuracy` and the receiver reports one.
    pub horizontal_position_sigma_m: f64,
    pub altitude_sigma_m: f64,
    pub roll_pitch_sigma_deg: f64,
    pub heading_sigma_deg: f64,
    pub pixel_sigma_px: f64,
    pub use_gps_accuracy: bool,
    /// The ground, metres above mean sea level. Absent: the take-off elevation (the vehicle's
    /// altitude minus its height above home, from the first position the flight controller
    /// sends).
    pub ground_amsl_m: Option<f64>,
    /// Elevation models (GeoTIFF, EPSG:4326, heights EGM96 above mean sea level; paths
    /// relative to the config file): when given, the rays meet this relief (a
    /// [`DemMosaic`]) instead of flat ground, and `ground_amsl_m` must be absent. Loaded
    /// and checked at start ([`Config::dem_terrain`]).
    pub dem: Vec<PathBuf>,
}

impl Default for GeotagSection {
    fn default() -> Self {
        GeotagSection {
            horizontal_position_sigma_m: 1.5,
            altitude_sigma_m: 2.0,
            roll_pitch_sigma_deg: 1.0,
            heading_sigma_deg: 2.0,
            pixel_sigma_px: 3.0,
            use_gps_accuracy: true,
            ground_amsl_m: None,
            dem: Vec::new(),
        }
    }
}

impl GeotagSection {
    pub fn uncertainty(&self) -> Uncertainty {
        Uncertainty {
            horizontal_position_sigma_m: self.horizontal_position_sigma_m,
            altitude_sigma_m: self.altitude_sigma_m,
            roll_pitch_sigma_deg: self.roll_pitch_sigma_deg,
            heading_sigma_deg: self.heading_sigma_deg,
            pixel_sigma_px: self.pixel_sigma_px,
        }
    }
}

/// `[fusion]`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct FusionSection {
    /// Chi-square gate, 2 dof: 9.21 = 99 %.
    pub gate_chi2: f64,
    pub model_noise_sigma_m: f64,
    pub merge_across_classes: bool,
    pub plume_classes: Vec<String>,
    /// River centreline in flow order (upstream first), `[[lat_deg, lon_deg], ...]` WGS-84;
    /// empty: plumes are reported at their fused centre.
    pub river_centreline_deg: Vec<[f64; 2]>,
    /// A candidate is confirmed (reported to the ground, written to candidates.geojson) once
    /// it is fused from this many photos; the journal and sightings.geojson keep every
    /// sighting either way. 1: every candidate at once.
    pub min_sightings: u32,
}

impl Default for FusionSection {
    fn default() -> Self {
        let d = FusionSettings::default();
        FusionSection {
            gate_chi2: d.gate_chi2,
            model_noise_sigma_m: d.model_noise_sigma_m,
            merge_across_classes: d.merge_across_classes,
            plume_classes: d.plume_classes,
            river_centreline_deg: Vec::new(),
            min_sightings: 1,
        }
    }
}

impl FusionSection {
    pub fn settings(&self) -> FusionSettings {
        FusionSettings {
            gate_chi2: self.gate_chi2,
            model_noise_sigma_m: self.model_noise_sigma_m,
            merge_across_classes: self.merge_across_classes,
            plume_classes: self.plume_classes.clone(),
        }
    }
}

/// `[frames]`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct FramesSection {
    /// Folder the camera (or the sim) writes `<image index>.jpg` into, atomically.
    pub dir: PathBuf,
    /// How often the folder is listed, milliseconds.
    pub poll_interval_ms: u64,
    /// How long a photo without a capture event waits once the next photo's capture event
    /// has arrived, seconds (capture events come in order, before their photos: one that far
    /// behind was lost on the link). The photo is then skipped (journaled). A photo waits for
    /// its pose as long as it takes: the pose is journaled with the capture event.
    pub capture_wait_s: f64,
}

impl Default for FramesSection {
    fn default() -> Self {
        FramesSection {
            dir: PathBuf::from(qly_flight::folder::Entry::Frames.name()),
            poll_interval_ms: 200,
            capture_wait_s: 30.0,
        }
    }
}

impl FramesSection {
    pub fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.poll_interval_ms)
    }
    pub fn capture_wait(&self) -> Duration {
        Duration::from_secs_f64(self.capture_wait_s)
    }
}

/// `[journal]`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct JournalSection {
    /// The flight folder: the journal and the exports are written here.
    pub dir: PathBuf,
    /// The journal file in `dir`.
    pub file: String,
    /// Export the candidates and sightings (GeoJSON, GeoPackage) this often while running,
    /// seconds; 0: only at shutdown.
    pub export_every_s: f64,
}

/// `[debug]`: aids for tests, off by default. Not for flight.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct DebugSection {
    /// Test aid: the worker waits this long before each photo, milliseconds, so a test can
    /// slow the companion deterministically (as a busy or slow computer would). Default 0.
    pub frame_delay_ms: u64,
    /// Test aid: the journal replay at start waits this long before each frame it replays,
    /// milliseconds, so a test can stop the service during a long replay. Default 0.
    pub replay_delay_ms: u64,
}

impl DebugSection {
    /// Every aid off (the default): not written out.
    pub fn is_off(&self) -> bool {
        *self == DebugSection::default()
    }
    pub fn frame_delay(&self) -> Duration {
        Duration::from_millis(self.frame_delay_ms)
    }
    pub fn replay_delay(&self) -> Duration {
        Duration::from_millis(self.replay_delay_ms)
    }
}

impl Default for JournalSection {
    fn default() -> Self {
        JournalSection {
            dir: PathBuf::from("."),
            file: crate::journal::JOURNAL_FILE_NAME.to_string(),
            export_every_s: 60.0,
        }
    }
}

impl DetectorSection {
    /// `model` with every other key at its default.
    pub fn new(model: impl Into<PathBuf>) -> DetectorSection {
        DetectorSection {
            model: model.into(),
            onnxruntime_library: None,
            intra_op_threads: 0,
            confidence_threshold: default_confidence(),
            class_confidence_thresholds: BTreeMap::new(),
            iou_threshold: default_iou(),
            max_detections: default_max_detections(),
            tiling: None,
        }
    }
}

impl CameraConfig {
    /// A camera of core's database by name, on the default mount.
    pub fn named(name: impl Into<String>) -> CameraConfig {
        CameraConfig {
            name: Some(name.into()),
            intrinsics: None,
            mount: MountConfig::default(),
        }
    }
}

impl Config {
    /// A configuration for `camera` and `detector` with every other table at its defaults:
    /// what a program that starts the companion (the patrol) builds on, field by field,
    /// instead of writing TOML text.
    pub fn new(camera: CameraConfig, detector: DetectorSection) -> Config {
        Config {
            flight_controller: FcConfig::default(),
            camera,
            detector,
            geotag: GeotagSection::default(),
            fusion: FusionSection::default(),
            frames: FramesSection::default(),
            journal: JournalSection::default(),
            debug: DebugSection::default(),
            base_dir: PathBuf::new(),
            path: PathBuf::new(),
        }
    }

    /// The configuration as the TOML file `companion run --config` reads ([`Config::parse`]
    /// gives it back, every key written out).
    pub fn to_toml(&self) -> Result<String, toml::ser::Error> {
        toml::to_string(self)
    }

    /// Reads and checks `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::parse(&text, path)
    }

    /// Parses and checks `text`, read from `path` (relative paths in it are taken from
    /// `path`'s folder).
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let mut config: Config = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            source: Box::new(e),
        })?;
        config.path = path.to_path_buf();
        config.base_dir = path
            .parent()
            .map(Path::to_path_buf)
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| PathBuf::from("."));
        config.validate()?;
        Ok(config)
    }

    fn invalid(&self, key: &str, value: impl std::fmt::Display, expected: &str) -> ConfigError {
        ConfigError::Invalid {
            path: self.path.clone(),
            key: key.to_string(),
            value: value.to_string(),
            expected: expected.to_string(),
        }
    }

    /// Checks what serde cannot: ranges, one-of choices, the camera name.
    fn validate(&self) -> Result<(), ConfigError> {
        self.flight_controller
            .validate()
            .map_err(|source| ConfigError::FlightController {
                path: self.path.clone(),
                source,
            })?;
        self.intrinsics()?;
        let unit = |key: &str, v: f32| {
            if (0.0..=1.0).contains(&v) {
                Ok(())
            } else {
                Err(self.invalid(key, v, "a number from 0 to 1"))
            }
        };
        unit(
            "detector.confidence_threshold",
            self.detector.confidence_threshold,
        )?;
        unit("detector.iou_threshold", self.detector.iou_threshold)?;
        for (name, t) in &self.detector.class_confidence_thresholds {
            unit(&format!("detector.class_confidence_thresholds.{name}"), *t)?;
        }
        if let Some(t) = self.detector.tiling {
            self.tiling_config(&t)
                .validate()
                .map_err(|e| self.invalid("detector.tiling", "(table)", &e.to_string()))?;
        }
        let g = &self.geotag;
        for (key, v) in [
            (
                "geotag.horizontal_position_sigma_m",
                g.horizontal_position_sigma_m,
            ),
            ("geotag.altitude_sigma_m", g.altitude_sigma_m),
            ("geotag.roll_pitch_sigma_deg", g.roll_pitch_sigma_deg),
            ("geotag.heading_sigma_deg", g.heading_sigma_deg),
            ("geotag.pixel_sigma_px", g.pixel_sigma_px),
            ("fusion.gate_chi2", self.fusion.gate_chi2),
            (
                "fusion.model_noise_sigma_m",
                self.fusion.model_noise_sigma_m,
            ),
            ("frames.capture_wait_s", self.frames.capture_wait_s),
            ("journal.export_every_s", self.journal.export_every_s),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(self.invalid(key, v, "a finite number >= 0"));
            }
        }
        if self.fusion.min_sightings == 0 {
            return Err(self.invalid(
                "fusion.min_sightings",
                0,
                "at least 1 photo (1: every candidate is confirmed at once)",
            ));
        }
        if let Some(h) = g.ground_amsl_m {
            if !h.is_finite() {
                return Err(self.invalid("geotag.ground_amsl_m", h, "a finite height"));
            }
            if !g.dem.is_empty() {
                return Err(self.invalid(
                    "geotag.ground_amsl_m",
                    h,
                    "no flat ground height together with geotag.dem (the elevation model gives the ground)",
                ));
            }
        }
        self.river()?;
        if self.frames.poll_interval_ms == 0 {
            return Err(self.invalid("frames.poll_interval_ms", 0, "at least 1 ms"));
        }
        let f = &self.journal.file;
        if f.is_empty() || f.contains('/') || f.contains('\\') {
            return Err(self.invalid(
                "journal.file",
                format!("{f:?}"),
                "a file name without folders (the folder is journal.dir)",
            ));
        }
        Ok(())
    }

    /// `path` taken from the config file's folder when relative.
    pub fn resolve(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.base_dir.join(path)
        }
    }

    /// The camera calibration from `[camera]`.
    pub fn intrinsics(&self) -> Result<CameraIntrinsics, ConfigError> {
        match (&self.camera.name, &self.camera.intrinsics) {
            (Some(_), Some(_)) => Err(self.invalid(
                "camera",
                "both `name` and `[camera.intrinsics]`",
                "one of them",
            )),
            (None, None) => Err(self.invalid(
                "camera",
                "neither `name` nor `[camera.intrinsics]`",
                "a camera name from the database or a calibration",
            )),
            (Some(name), None) => {
                let db = CameraDatabase::builtin();
                let spec = db.find(name).map_err(|e| {
                    self.invalid("camera.name", format!("{name:?}"), &e.to_string())
                })?;
                CameraIntrinsics::from_spec(spec)
                    .map_err(|e| self.invalid("camera.name", format!("{name:?}"), &e.to_string()))
            }
            (None, Some(i)) => CameraIntrinsics::new(
                i.width_px,
                i.height_px,
                i.fx_px,
                i.fy_px,
                i.cx_px,
                i.cy_px,
                BrownConrady {
                    k1: i.k1,
                    k2: i.k2,
                    k3: i.k3,
                    p1: i.p1,
                    p2: i.p2,
                },
            )
            .map_err(|e| self.invalid("camera.intrinsics", "(table)", &e.to_string())),
        }
    }

    fn tiling_config(&self, t: &TilingSection) -> TilingConfig {
        TilingConfig {
            slice_width_px: t.slice_width_px,
            slice_height_px: t.slice_height_px,
            overlap_ratio: t.overlap_ratio,
            full_frame_pass: t.full_frame_pass,
            min_downscale: t.min_downscale,
        }
    }

    /// The detector configuration, paths resolved.
    pub fn detector_config(&self) -> DetectorConfig {
        let d = &self.detector;
        DetectorConfig {
            model_path: self.resolve(&d.model),
            runtime: RuntimeConfig {
                library_path: d.onnxruntime_library.as_deref().map(|p| self.resolve(p)),
                intra_op_threads: d.intra_op_threads,
            },
            confidence_threshold: d.confidence_threshold,
            class_confidence_thresholds: d.class_confidence_thresholds.clone(),
            iou_threshold: d.iou_threshold,
            max_detections: d.max_detections,
            tiling: d.tiling.map(|t| self.tiling_config(&t)),
        }
    }

    /// The river centreline of `[fusion]`, if given.
    /// The `[geotag] dem` elevation models as one mosaic (`None` when none are given): each
    /// file read as EGM96 (a file declaring another vertical datum is refused), and the
    /// mosaic must cover every vertex of `fusion.river_centreline_deg` when one is given.
    /// Errors name the file.
    pub fn dem_terrain(&self) -> Result<Option<DemMosaic>, ConfigError> {
        if self.geotag.dem.is_empty() {
            return Ok(None);
        }
        let mut tiles = Vec::with_capacity(self.geotag.dem.len());
        for (i, p) in self.geotag.dem.iter().enumerate() {
            let path = self.resolve(p);
            let tile =
                read_dem_file(&path, DatumChoice::Known(VerticalDatum::Egm96)).map_err(|e| {
                    self.invalid(
                        &format!("geotag.dem[{i}]"),
                        path.display(),
                        &format!("a readable EGM96 GeoTIFF elevation model: {e}"),
                    )
                })?;
            tiles.push(tile);
        }
        let mosaic = DemMosaic::new(tiles).map_err(|e| {
            self.invalid(
                "geotag.dem",
                format!("{:?}", self.geotag.dem),
                &format!("tiles that form one mosaic: {e}"),
            )
        })?;
        for (i, [lat, lon]) in self.fusion.river_centreline_deg.iter().enumerate() {
            let p = GeoPoint::new(*lat, *lon).map_err(|e| {
                self.invalid(
                    &format!("fusion.river_centreline_deg[{i}]"),
                    format!("[{lat}, {lon}]"),
                    &e.to_string(),
                )
            })?;
            mosaic.height_amsl_m(p).map_err(|e| {
                self.invalid(
                    "geotag.dem",
                    format!("{:?}", self.geotag.dem),
                    &format!(
                        "elevation models covering the river (fusion.river_centreline_deg[{i}]): {e}"
                    ),
                )
            })?;
        }
        Ok(Some(mosaic))
    }

    pub fn river(&self) -> Result<Option<RiverCentreline>, ConfigError> {
        let pts = &self.fusion.river_centreline_deg;
        if pts.is_empty() {
            return Ok(None);
        }
        let mut points = Vec::with_capacity(pts.len());
        for (i, [lat, lon]) in pts.iter().enumerate() {
            points.push(GeoPoint::new(*lat, *lon).map_err(|e| {
                self.invalid(
                    &format!("fusion.river_centreline_deg[{i}]"),
                    format!("[{lat}, {lon}]"),
                    &e.to_string(),
                )
            })?);
        }
        RiverCentreline::new(&points)
            .map(Some)
            .map_err(|e| self.invalid("fusion.river_centreline_deg", "(list)", &e.to_string()))
    }

    /// The frames folder, resolved.
    pub fn frames_dir(&self) -> PathBuf {
        self.resolve(&self.frames.dir)
    }

    /// The flight folder (journal and exports), resolved.
    pub fn flight_dir(&self) -> PathBuf {
        self.resolve(&self.journal.dir)
    }

    /// The journal file, resolved.
    pub fn journal_path(&self) -> PathBuf {
        self.flight_dir().join(&self.journal.file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: &str = r#"
[camera]
name = "DJI Mavic 3 Enterprise wide"
[detector]
model = "models/outfall.onnx"
"#;

    #[test]
    fn a_minimal_config_takes_defaults_and_resolves_paths_from_its_folder() {
        let c = Config::parse(MIN, Path::new("/flights/a/companion.toml")).unwrap();
        assert_eq!(
            c.detector_config().model_path,
            PathBuf::from("/flights/a/models/outfall.onnx")
        );
        assert_eq!(c.frames_dir(), PathBuf::from("/flights/a/frames"));
        assert_eq!(c.journal_path(), PathBuf::from("/flights/a/./journal.qlj"));
        assert_eq!(c.intrinsics().unwrap().width_px, 5280);
        assert_eq!(c.detector.confidence_threshold, 0.25);
        assert_eq!(c.geotag.ground_amsl_m, None);
        assert_eq!(c.fusion.min_sightings, 1);
    }

    /// A configuration built in code and written with `to_toml` reads back as the same
    /// configuration: every table and key the patrol sets survives, including the optional
    /// tables (signing, tiling) and maps.
    #[test]
    fn a_config_built_in_code_round_trips_through_toml() {
        let mut detector = DetectorSection::new("/m/model.onnx");
        detector.onnxruntime_library = Some(PathBuf::from("/lib/libonnxruntime.so"));
        detector
            .class_confidence_thresholds
            .insert("plume".into(), 0.4);
        detector.tiling = Some(TilingSection::default());
        let mut camera = CameraConfig::named("Qianliyan sim 2048x1536");
        camera.mount.frame = MountFrame::Heading;
        let mut c = Config::new(camera, detector);
        c.flight_controller.address = qly_link::Address::UdpOut("127.0.0.1:14551".into());
        c.flight_controller.signing = Some(crate::fc::FcSigning {
            key_hex: "00".repeat(32),
            link_id: 2,
            require_signed: true,
        });
        c.fusion.min_sightings = 2;
        c.fusion.river_centreline_deg = vec![[27.0, 107.0], [27.01, 107.01]];
        c.geotag.dem = vec![PathBuf::from("/d/dem.tif")];
        c.frames.dir = PathBuf::from("/f/frames");
        c.journal.dir = PathBuf::from("/f");
        let text = c.to_toml().unwrap();
        let path = Path::new("/f/companion.toml");
        let back = Config::parse(&text, path).unwrap();
        c.path = path.to_path_buf();
        c.base_dir = PathBuf::from("/f");
        assert_eq!(back, c, "{text}");
    }

    #[test]
    fn an_unknown_key_is_named_with_its_line() {
        let text = format!("{MIN}confidence = 0.3\n");
        let e = Config::parse(&text, Path::new("c.toml")).unwrap_err();
        let msg = e.to_string();
        assert!(msg.starts_with("config c.toml:"), "{msg}");
        assert!(msg.contains("unknown field `confidence`"), "{msg}");
        assert!(msg.contains("line 6"), "{msg}");
    }

    #[test]
    fn a_wrong_type_names_the_key() {
        let text = MIN.replace(
            "model = \"models/outfall.onnx\"",
            "model = \"m.onnx\"\niou_threshold = \"high\"",
        );
        let msg = Config::parse(&text, Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(msg.contains("iou_threshold"), "{msg}");
        assert!(msg.contains("expected f32"), "{msg}");
    }

    #[test]
    fn out_of_range_values_and_camera_choices_are_refused() {
        let text = MIN.replace(
            "model = \"models/outfall.onnx\"",
            "model = \"m.onnx\"\nconfidence_threshold = 1.5",
        );
        let msg = Config::parse(&text, Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert_eq!(
            msg,
            "config c.toml: `detector.confidence_threshold` = 1.5: expected a number from 0 to 1"
        );
        let text = MIN.replace("DJI Mavic 3 Enterprise wide", "Hasselblad X");
        let msg = Config::parse(&text, Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(msg.contains("`camera.name` = \"Hasselblad X\""), "{msg}");
        let text = format!(
            "{MIN}[camera.intrinsics]\nwidth_px = 640\nheight_px = 480\nfx_px = 500\nfy_px = 500\ncx_px = 320\ncy_px = 240\n"
        );
        let msg = Config::parse(&text, Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(msg.contains("one of them"), "{msg}");
        let msg = Config::parse("[camera]\nname = \"x\"\n", Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(msg.contains("missing field `detector`"), "{msg}");
        let text = format!("{MIN}[fusion]\nmin_sightings = 0\n");
        let msg = Config::parse(&text, Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(msg.contains("`fusion.min_sightings` = 0"), "{msg}");
        assert!(msg.contains("at least 1 photo"), "{msg}");
    }

    #[test]
    fn explicit_intrinsics_and_mount() {
        let text = r#"
[camera.intrinsics]
width_px = 640
height_px = 480
fx_px = 500
fy_px = 510
cx_px = 321
cy_px = 239
k1 = -0.1
p2 = 0.001
[camera.mount]
frame = "earth"
pitch_deg = -45
[detector]
model = "/m.onnx"
"#;
        let c = Config::parse(text, Path::new("c.toml")).unwrap();
        let i = c.intrinsics().unwrap();
        assert_eq!((i.fy_px, i.cx_px, i.distortion.k1), (510.0, 321.0, -0.1));
        assert_eq!(i.distortion.p2, 0.001);
        assert!(matches!(c.camera.mount.mount(), CameraMount::EarthFrame(_)));
        assert_eq!(c.detector_config().model_path, PathBuf::from("/m.onnx"));
    }
}
