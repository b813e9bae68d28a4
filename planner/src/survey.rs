//! The vocabulary of a survey plan: what to survey, how, and what the planner produced.
//!
//! Planning happens in the plane of a [`LocalFrame`] (east-north-up tangent plane about a
//! reference point near the survey). Plane coordinates are [`PlaneCoord`]: `x` is metres
//! east and `y` metres north of the frame's origin. Everything read from or written to a file
//! is WGS-84 latitude/longitude ([`GeoPoint`]); input in GCJ-02 is converted on reading.

use std::ops::Range;

use geo::{Coord, LineString, Polygon};
use qly_core::camera::{CameraSpec, Footprint, Orientation};
use qly_core::datum::Datum;
use qly_core::geodesy::{GeoPoint, LocalFrame};
use qly_core::mission::{Home, Mission};

use crate::terrain::{FollowStats, TerrainOptions};

/// A point in the plan's local plane: `x` = metres east, `y` = metres north.
pub type PlaneCoord = Coord<f64>;

/// The geometry a survey input file carries, already converted to WGS-84.
#[derive(Debug, Clone, PartialEq)]
pub enum InputGeometry {
    /// A river centreline (upstream or downstream first, as drawn).
    Centreline(Vec<GeoPoint>),
    /// An area: outer ring and holes (rings without the closing repeat of the first point).
    Area {
        boundary: Vec<GeoPoint>,
        holes: Vec<Vec<GeoPoint>>,
    },
}

/// A named point of interest carried by an input file (a phosphate plant, a known outfall).
#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    pub name: String,
    pub point: GeoPoint,
}

/// What a survey input file says, in WGS-84.
#[derive(Debug, Clone, PartialEq)]
pub struct SurveyInput {
    /// The file it came from, for messages.
    pub source: String,
    pub name: Option<String>,
    pub geometry: InputGeometry,
    /// Extra no-fly polygons (a factory yard), outer rings only.
    pub exclusions: Vec<Vec<GeoPoint>>,
    /// Corridor width when the file carries one (GeoJSON property `width_m`, `.plan`
    /// `CorridorWidth`).
    pub width_m: Option<f64>,
    /// The datum the file's coordinates were given in (they are converted already).
    pub datum: Datum,
    pub sites: Vec<Site>,
}

/// How the flight altitude is chosen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AltitudeTarget {
    /// Fly at the height that gives this ground sample distance.
    Gsd { cm_per_px: f64 },
    /// Fly at this height above the take-off point.
    AboveTakeoff { alt_m: f64 },
}

/// Usable battery per sortie, for splitting a long survey into standalone missions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BatteryBudget {
    /// Flight minutes a full battery gives in practice.
    pub usable_min: f64,
    /// Minutes kept in reserve at landing.
    pub reserve_min: f64,
}

/// Where sorties may take off when the pilot moves along the survey (road ends, bridges,
/// villages along a river): each sortie starts and ends at one of `points`, chosen so that
/// every photo it takes lies within `max_range_m` of it.
#[derive(Debug, Clone, PartialEq)]
pub struct LaunchOptions {
    /// Named launch points, WGS-84.
    pub points: Vec<Site>,
    /// Farthest a photo may be from the launch point (horizontal), metres: the radio range
    /// the pilot trusts, and the visual-line-of-sight distance the rules ask for.
    pub max_range_m: f64,
}

impl LaunchOptions {
    /// Default `max_range_m`: 1500 m. DJI's O3/OcuSync and SiK-class telemetry links reach
    /// several kilometres in the open, but along a river valley with trees and banks the link
    /// a pilot can count on is shorter, and at 1.5 km a drone of Mavic size is at the edge of
    /// what an observer can still see (China's CAAC rules for light UAVs within visual line of
    /// sight, and most operators' own limits, sit at 500 m to 2 km).
    pub const DEFAULT_MAX_RANGE_M: f64 = 1500.0;
}

/// Lane layout options of a corridor.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct CorridorOptions {
    /// Extra lanes flown outside each bank (beyond the corridor width).
    pub extra_lanes_per_bank: u32,
}

/// Everything besides the geometry that decides a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct SurveyParams {
    pub camera: CameraSpec,
    pub orientation: Orientation,
    pub side_overlap_pct: f64,
    pub front_overlap_pct: f64,
    pub altitude: AltitudeTarget,
    /// Highest height above ground allowed (the 120 m true-height rule unless raised).
    pub ceiling_m: f64,
    /// Straight run-in/run-out beyond each lane end, metres.
    pub turnaround_m: f64,
    pub cruise_speed_m_s: f64,
    /// Sweep direction of area lanes, degrees clockwise from north; `None`: fastest.
    pub sweep_angle_deg: Option<f64>,
    pub corridor: CorridorOptions,
    pub battery: Option<BatteryBudget>,
    /// Photos re-taken at the start of each sortie before the point the previous one stopped.
    pub resume_overlap_photos: u32,
    /// Most mission items (home included) the vehicle stores: longer surveys are split into
    /// sorties that fit. `None`: no limit.
    pub max_items: Option<usize>,
    /// Take-off point; `None`: the start of the first lane.
    pub home: Option<Home>,
    /// Places the pilot can launch from; `None`: every sortie takes off at `home`.
    pub launch: Option<LaunchOptions>,
    /// Distance lanes and transits keep from every hole and exclusion zone, metres; `None`:
    /// [`SurveyParams::default_exclusion_margin_m`] at the cruise speed.
    pub exclusion_margin_m: Option<f64>,
}

impl SurveyParams {
    /// Side overlap between neighbouring lanes, percent: what photogrammetry of water and
    /// vegetation needs to tie lanes together (less than that leaves holes in the mosaic).
    pub const DEFAULT_SIDE_OVERLAP_PCT: f64 = 70.0;
    /// Front overlap between consecutive photos, percent.
    pub const DEFAULT_FRONT_OVERLAP_PCT: f64 = 80.0;
    /// China's light-UAV rule: 120 m true height unless an airspace approval raises it.
    pub const DEFAULT_CEILING_M: f64 = 120.0;
    pub const DEFAULT_TURNAROUND_M: f64 = 10.0;
    pub const DEFAULT_CRUISE_SPEED_M_S: f64 = 8.0;
    pub const DEFAULT_RESUME_OVERLAP_PHOTOS: u32 = 2;

    /// The planner's defaults (the same as the `planner plan` command line's) for this camera
    /// and altitude: landscape mounting, 70 % side and 80 % front overlap, 120 m ceiling, 10 m
    /// turnarounds at 8 m/s, the fastest sweep angle, no extra corridor lanes, one sortie, two
    /// photos re-taken when a sortie resumes, take-off at the first lane. One difference:
    /// no item limit here, while the command line's `--max-items` defaults to
    /// [`crate::sorties::DEFAULT_MAX_ITEMS`] (the vehicle's store is the pilot's concern). Change a field with
    /// struct update syntax.
    ///
    /// ```
    /// use planner::survey::{AltitudeTarget, SurveyParams};
    /// use qly_core::camera::CameraDatabase;
    ///
    /// let camera = CameraDatabase::builtin().find("DJI Mavic 3 Enterprise wide").unwrap().clone();
    /// let params = SurveyParams {
    ///     cruise_speed_m_s: 10.0,
    ///     ..SurveyParams::new(camera, AltitudeTarget::Gsd { cm_per_px: 2.0 })
    /// };
    /// assert_eq!(params.side_overlap_pct, 70.0);
    /// assert_eq!(params.cruise_speed_m_s, 10.0);
    /// ```
    pub fn new(camera: CameraSpec, altitude: AltitudeTarget) -> SurveyParams {
        SurveyParams {
            camera,
            orientation: Orientation::Landscape,
            side_overlap_pct: Self::DEFAULT_SIDE_OVERLAP_PCT,
            front_overlap_pct: Self::DEFAULT_FRONT_OVERLAP_PCT,
            altitude,
            ceiling_m: Self::DEFAULT_CEILING_M,
            turnaround_m: Self::DEFAULT_TURNAROUND_M,
            cruise_speed_m_s: Self::DEFAULT_CRUISE_SPEED_M_S,
            sweep_angle_deg: None,
            corridor: CorridorOptions::default(),
            battery: None,
            resume_overlap_photos: Self::DEFAULT_RESUME_OVERLAP_PHOTOS,
            max_items: None,
            home: None,
            launch: None,
            exclusion_margin_m: None,
        }
    }

    /// The default distance kept from holes and exclusions at `cruise_speed_m_s`: ArduCopter's
    /// waypoint radius (WPNAV_RADIUS 2 m: a fast waypoint's corner blend cuts up to that far
    /// from the waypoint, towards a zone the legs bend around) plus an overshoot allowance,
    /// the distance to stop at the waypoint acceleration (WPNAV_ACCEL 2.5 m/s^2) from the speed
    /// ArduCopter carries into a right-angle turn such as a lane end's (`v_c`, from its S-curve
    /// corner blend at the cruise speed, [`qly_core::wpnav::corner_speed_m_s`]; at most the
    /// cruise speed): `margin = WPNAV_RADIUS + v_c^2 / (2 WPNAV_ACCEL)`, 3.7 m at 8 m/s. A
    /// real ArduCopter overshot a lane end by 0.8 m, into its own exclusion fence.
    ///
    /// ```
    /// use planner::survey::SurveyParams;
    /// let m = SurveyParams::default_exclusion_margin_m(8.0);
    /// assert!(m > 3.0 && m < 4.0, "{m}");
    /// ```
    pub fn default_exclusion_margin_m(cruise_speed_m_s: f64) -> f64 {
        let p = qly_core::wpnav::WpNavParams {
            speed_m_s: cruise_speed_m_s,
            ..Default::default()
        };
        let v_c =
            qly_core::wpnav::corner_speed_m_s(90.0, cruise_speed_m_s, &p).min(cruise_speed_m_s);
        p.radius_m + v_c * v_c / (2.0 * p.accel_m_s2)
    }

    /// The exclusion margin in force: the one given, else the default at the cruise speed.
    pub fn exclusion_margin_m(&self) -> f64 {
        self.exclusion_margin_m
            .unwrap_or_else(|| Self::default_exclusion_margin_m(self.cruise_speed_m_s))
    }
}

/// The survey region in the plan's plane.
#[derive(Debug, Clone, PartialEq)]
pub enum PlaneRegion {
    Corridor {
        centreline: LineString<f64>,
        width_m: f64,
    },
    Area {
        /// Outer ring with holes.
        polygon: Polygon<f64>,
        /// No-fly polygons besides the holes.
        exclusions: Vec<Polygon<f64>>,
    },
}

/// One flight line, in flight order. Photos are taken along `path` only.
#[derive(Debug, Clone, PartialEq)]
pub struct Transect {
    /// Via points flown from the previous transect's run-out (or from home, for the first)
    /// to this run-in, so that the connecting leg avoids holes and exclusions; empty for a
    /// direct leg.
    pub approach: Vec<PlaneCoord>,
    /// Run-in point before the entry, on the extension of the first segment.
    pub turn_in: PlaneCoord,
    /// Survey path from entry to exit (at least two points).
    pub path: Vec<PlaneCoord>,
    /// Run-out point after the exit, on the extension of the last segment.
    pub turn_out: PlaneCoord,
}

/// Where a photo is taken.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PhotoPoint {
    pub at: PlaneCoord,
    /// Index of the transect it belongs to.
    pub transect: usize,
    /// Direction of flight when it is taken, degrees clockwise from north.
    pub heading_deg: f64,
}

/// How much of the region the planned photos cover.
#[derive(Debug, Clone, PartialEq)]
pub struct CoverageReport {
    /// Side of a raster cell, metres.
    pub cell_m: f64,
    /// Cells of the region (centres inside it).
    pub region_cells: usize,
    /// Share of region cells covered at the requested overlaps, percent.
    pub covered_pct: f64,
    /// Share of region cells inside at least one full photo footprint, percent.
    pub seen_pct: f64,
    /// Fewest photos that see a region cell.
    pub min_photos_per_cell: u32,
}

/// Length, time and photo count of a plan.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Whole flight path from the first run-in to the last run-out, metres.
    pub path_length_m: f64,
    /// Region area divided by the lane spacing: no plan can be shorter, metres.
    pub lower_bound_m: f64,
    /// Flight time at cruise speed plus turns, seconds (without transit to and from home).
    pub flight_time_s: f64,
    pub photo_count: usize,
}

/// A standalone mission flown on one battery.
#[derive(Debug, Clone, PartialEq)]
pub struct Sortie {
    pub mission: Mission,
    /// Photos of the whole plan this sortie takes (overlapping the previous sortie).
    pub photos: Range<usize>,
    /// Take-off to landing, seconds.
    pub flight_time_s: f64,
    /// Of `flight_time_s`, the survey pattern from its first waypoint to its last, seconds;
    /// the rest is the climb, the transits to and from the take-off point and the landing.
    pub survey_time_s: f64,
    /// The launch point it takes off from and lands at (index into
    /// `SurveyParams::launch`'s points); `None` without launch points.
    pub launch: Option<usize>,
}

/// The result of planning.
#[derive(Debug, Clone, PartialEq)]
pub struct SurveyPlan {
    pub params: SurveyParams,
    pub frame: LocalFrame,
    pub region: PlaneRegion,
    pub alt_rel_home_m: f64,
    pub gsd_cm_per_px: f64,
    pub footprint: Footprint,
    pub lane_spacing_m: f64,
    pub trigger_distance_m: f64,
    pub transects: Vec<Transect>,
    pub photos: Vec<PhotoPoint>,
    pub coverage: CoverageReport,
    pub estimate: Estimate,
    /// The whole survey as one mission.
    pub mission: Mission,
    /// The items of `mission.items` that make up the survey pattern (what a QGroundControl
    /// complex item holds); the rest are take-off, speed and return.
    pub survey_items: Range<usize>,
    /// The same survey split by battery; one sortie when no budget is given.
    pub sorties: Vec<Sortie>,
    /// How the plan follows the terrain; `None` for a plan at one height above take-off.
    pub terrain: Option<TerrainPlan>,
}

/// How a terrain-following plan sits on the ground (see [`crate::terrain`]).
#[derive(Debug, Clone, PartialEq)]
pub struct TerrainPlan {
    pub options: TerrainOptions,
    /// Wanted height above ground (from the GSD or the altitude asked for), metres.
    pub target_agl_m: f64,
    /// Height above ground the lane spacing, trigger distance and footprint are computed at:
    /// the lowest ground any photo sees, as a height below the camera (never above the
    /// target), so the overlaps never
    /// fall below the request where the vehicle is lower than the target (see
    /// [`crate::plan::plan_survey_over_terrain`]).
    pub design_agl_m: f64,
    /// Figures of the whole mission, measured along the flown path (transit legs included).
    pub stats: FollowStats,
    /// Lowest and highest height above ground along the survey lanes (from the first lane's
    /// run-in to the last lane's run-out, connections included), and the largest deviation
    /// from the target there, metres.
    pub lanes_min_agl_m: f64,
    pub lanes_max_agl_m: f64,
    pub lanes_max_deviation_m: f64,
    /// Each photo's altitude, metres AMSL, and its height above the ground under the camera.
    pub photo_amsl_m: Vec<f64>,
    pub photo_agl_m: Vec<f64>,
    /// Each photo's footprint on the terrain relative to `footprint` (see
    /// [`crate::terrain::footprint`]).
    pub photo_footprint_scale: Vec<f64>,
    /// The mission's waypoints from take-off to the return home with their altitudes, metres
    /// AMSL (EGM96), for maps that draw over terrain.
    pub flown_waypoints: Vec<(GeoPoint, f64)>,
}

impl SurveyPlan {
    /// A plane point as WGS-84.
    pub fn to_geo(&self, c: PlaneCoord) -> GeoPoint {
        self.frame.unproject(c.x, c.y)
    }
}
