//! Planning the patrol with the planner library, into the flight folder's `plan/`.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use planner::input::read_survey_input;
use planner::survey::{AltitudeTarget, BatteryBudget, InputGeometry, SurveyParams, SurveyPlan};
use planner::terrain::TerrainOptions;
use qly_core::camera::CameraDatabase;
use qly_core::geodesy::GeoPoint;
use qly_core::mission::Home;
use qly_core::terrain::{read_dem_file, DatumChoice, DemMosaic};

/// What the patrol asks of the planner.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanRequest {
    pub corridor: PathBuf,
    pub camera: String,
    pub alt_m: f64,
    pub front_overlap_pct: f64,
    pub side_overlap_pct: f64,
    pub speed_m_s: f64,
    /// Take-off height above mean sea level (the home point is the corridor's first point).
    pub home_amsl_m: f64,
    pub dem: Option<PathBuf>,
    pub battery_min: Option<f64>,
}

/// One sortie, ready to upload.
#[derive(Debug, Clone, PartialEq)]
pub struct SortieFile {
    /// The `.plan` file `planner upload` sends.
    pub plan_file: PathBuf,
    pub items: usize,
    /// Photos the planner predicts for this sortie.
    pub photos: usize,
    pub flight_time_s: f64,
}

/// The plan, written.
#[derive(Debug, Clone)]
pub struct PlannedPatrol {
    pub plan: SurveyPlan,
    pub home: Home,
    pub sorties: Vec<SortieFile>,
    /// The planner's summary, for people.
    pub summary: String,
}

impl PlannedPatrol {
    /// Photos the planner predicts for the whole survey.
    pub fn predicted_photos(&self) -> usize {
        self.plan.photos.len()
    }
}

/// Take-off beside the river's first vertex (its upstream end), at `alt_amsl_m`; rounded to
/// 1e-7 degrees (about 1 cm), as the take-off point is written on command lines.
pub fn home_at_start(geometry: &InputGeometry, alt_amsl_m: f64) -> Result<Home> {
    let first = match geometry {
        InputGeometry::Centreline(points) => points.first().copied(),
        InputGeometry::Area { boundary, .. } => boundary.first().copied(),
    };
    let Some(p) = first else {
        bail!("the corridor has no points");
    };
    let round = |x: f64| (x * 1e7).round() / 1e7;
    Ok(Home {
        point: GeoPoint::new(round(p.lat_deg), round(p.lon_deg))?,
        alt_amsl_m,
    })
}

/// Plans `req` and writes the planner's files into `plan_dir` under `name`.
pub fn plan_patrol(req: &PlanRequest, plan_dir: &Path, name: &str) -> Result<PlannedPatrol> {
    let source = req.corridor.display().to_string();
    let input = read_survey_input(&req.corridor, None)
        .with_context(|| format!("reading the corridor {source}"))?;
    if !matches!(input.geometry, InputGeometry::Centreline(_)) {
        bail!("{source}: expected a river corridor (a LineString), not an area");
    }
    let home = home_at_start(&input.geometry, req.home_amsl_m)
        .with_context(|| format!("reading the corridor {source}"))?;
    let camera = CameraDatabase::builtin().find(&req.camera)?.clone();
    let params = SurveyParams {
        front_overlap_pct: req.front_overlap_pct,
        side_overlap_pct: req.side_overlap_pct,
        cruise_speed_m_s: req.speed_m_s,
        battery: req.battery_min.map(|usable_min| BatteryBudget {
            usable_min,
            reserve_min: 3.0,
        }),
        home: Some(home),
        // The sim holds as many items as a common ArduPilot board (`sim --mission-capacity`):
        // each sortie must fit, as on a real vehicle.
        max_items: Some(planner::sorties::DEFAULT_MAX_ITEMS),
        ..SurveyParams::new(camera, AltitudeTarget::AboveTakeoff { alt_m: req.alt_m })
    };
    let plan = match &req.dem {
        None => planner::plan::plan_survey(&input, &params)
            .with_context(|| format!("planning {source}"))?,
        Some(dem) => {
            let tile = read_dem_file(dem, DatumChoice::FromFile)
                .with_context(|| format!("reading the elevation model {}", dem.display()))?;
            let ground = DemMosaic::new(vec![tile])
                .with_context(|| format!("reading the elevation model {}", dem.display()))?;
            planner::plan::plan_survey_over_terrain(
                &input,
                &params,
                &ground,
                &TerrainOptions::default(),
            )
            .with_context(|| format!("planning {source} over the terrain of {}", dem.display()))?
        }
    };
    planner::output::write_outputs(&plan, plan_dir, name)
        .with_context(|| format!("writing the plan into {}", plan_dir.display()))?;
    let sortie_files = planner::output::sortie_plan_file_names(name, plan.sorties.len())
        .into_iter()
        .map(|f| plan_dir.join(f));
    let sorties = plan
        .sorties
        .iter()
        .zip(sortie_files)
        .map(|(s, plan_file)| SortieFile {
            plan_file,
            items: s.mission.items.len(),
            photos: s.photos.len(),
            flight_time_s: s.flight_time_s,
        })
        .collect();
    // The patrol speaks the user's locale (it has no --lang of its own yet).
    let summary = planner::summary::render(&plan, &source, qly_i18n::Lang::from_locale());
    Ok(PlannedPatrol {
        plan,
        home,
        sorties,
        summary,
    })
}
