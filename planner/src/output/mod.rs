//! Writing a plan in the formats pilots and tools open: QGroundControl `.plan`, WPL 110
//! `.waypoints` (Mission Planner, MAVProxy, QGroundControl), KML (Google Earth, Ovital) and
//! GeoJSON (QGIS, GDAL).
//!
//! Each format has a pure function returning the text ([`plan_json`], [`waypoints`],
//! [`kml`], [`geojson`]); [`write_outputs`] puts them in a folder. The mission in the `.plan`
//! and the `.waypoints` is made from the same [`RawItem`](qly_core::mission::RawItem)s the
//! MAVLink upload sends, so every tool flies exactly what was planned.

mod geojson;
mod guard;
mod kml;
mod plan;
mod wpl;
pub mod wpml;

use std::path::{Path, PathBuf};

use thiserror::Error;

use qly_core::geodesy::GeoPoint;

use crate::survey::SurveyPlan;

pub use self::geojson::geojson;
pub use self::guard::{output_paths, refuse_overwriting_inputs};
pub use self::kml::kml;
pub use self::plan::{mission_plan_json, plan_json};
pub use self::wpl::waypoints;

/// Why a plan could not be written.
#[derive(Debug, Error)]
pub enum OutputError {
    #[error("{path}: cannot write: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The plan contradicts itself (a bug upstream, reported instead of writing a wrong file).
    #[error("cannot write {format}: {what}")]
    Inconsistent { format: &'static str, what: String },
    /// The format cannot carry this plan as asked.
    #[error("cannot write {format}: {what}")]
    Unsupported { format: &'static str, what: String },
    /// A height as written is above the height ceiling.
    #[error(
        "height {alt_m:.1} m above take-off is above the {ceiling_m:.0} m ceiling; lower the \
         altitude, or raise the ceiling with --ceiling if you hold the approval"
    )]
    AboveCeiling { alt_m: f64, ceiling_m: f64 },
    /// An output file is one of the input files.
    #[error(
        "{output} is the input file {input}: refusing to overwrite it; choose another --out \
         folder or --name"
    )]
    WouldOverwriteInput { output: String, input: String },
    /// The output name would leave the folder or is not a plain file name.
    #[error("output name '{name}': expected a plain file name without '/' or '\\\\'")]
    BadName { name: String },
}

/// Writes `<name>.plan`, `<name>.waypoints`, `<name>.kml` and `<name>.geojson` into `dir`
/// (created if missing), and, when the plan has more than one sortie,
/// `<name>-sortie-<k>.plan` and `<name>-sortie-<k>.waypoints` for k = 1, 2, ...
/// Returns the paths written, in that order.
pub fn write_outputs(
    plan: &SurveyPlan,
    dir: &Path,
    name: &str,
) -> Result<Vec<PathBuf>, OutputError> {
    if name.is_empty() || name.contains(['/', '\\']) || name == "." || name == ".." {
        return Err(OutputError::BadName {
            name: name.to_string(),
        });
    }
    // Build every text first, so a bad plan leaves no half-written folder.
    let mut files: Vec<(String, String)> = vec![
        (format!("{name}.plan"), plan_json(plan)?),
        (format!("{name}.waypoints"), waypoints(&plan.mission)),
        (format!("{name}.kml"), kml(plan)),
        (format!("{name}.geojson"), geojson(plan)),
    ];
    if plan.sorties.len() > 1 {
        let names = sortie_plan_file_names(name, plan.sorties.len());
        for (k, (sortie, plan_file)) in plan.sorties.iter().zip(names).enumerate() {
            files.push((plan_file, mission_plan_json(&sortie.mission, &plan.params)));
            files.push((
                format!("{name}-sortie-{}.waypoints", k + 1),
                waypoints(&sortie.mission),
            ));
        }
    }
    std::fs::create_dir_all(dir).map_err(|source| OutputError::Io {
        path: dir.display().to_string(),
        source,
    })?;
    let mut written = Vec::with_capacity(files.len());
    for (file, text) in files {
        let path = dir.join(file);
        std::fs::write(&path, text).map_err(|source| OutputError::Io {
            path: path.display().to_string(),
            source,
        })?;
        written.push(path);
    }
    Ok(written)
}

/// The `.plan` file [`write_outputs`] writes for each of a plan's `sorties` sorties, in
/// flying order: `<name>.plan` for a plan of one sortie, else `<name>-sortie-<k>.plan`.
///
/// ```
/// use planner::output::sortie_plan_file_names;
/// assert_eq!(sortie_plan_file_names("river", 1), ["river.plan"]);
/// assert_eq!(sortie_plan_file_names("river", 2), ["river-sortie-1.plan", "river-sortie-2.plan"]);
/// ```
pub fn sortie_plan_file_names(name: &str, sorties: usize) -> Vec<String> {
    if sorties <= 1 {
        vec![format!("{name}.plan")]
    } else {
        (1..=sorties)
            .map(|k| format!("{name}-sortie-{k}.plan"))
            .collect()
    }
}

/// Writes one DJI route per sortie into `dir`: `<name>.kmz` for a single sortie, else
/// `<name>-sortie-<k>.kmz`, and `<name>-dji-mapping.kmz`: the survey as DJI's own template
/// (`mappingStrip` or `mapping2d`) with the whole route. Every file is built before any is
/// written. Returns the paths written and notes on what DJI's template cannot hold.
pub fn write_dji_kmz(
    plan: &SurveyPlan,
    dir: &Path,
    name: &str,
    options: &wpml::WpmlOptions,
) -> Result<(Vec<PathBuf>, Vec<String>), OutputError> {
    if name.is_empty() || name.contains(['/', '\\']) || name == "." || name == ".." {
        return Err(OutputError::BadName {
            name: name.to_string(),
        });
    }
    let mut files = Vec::with_capacity(plan.sorties.len());
    for (k, sortie) in plan.sorties.iter().enumerate() {
        let file = if plan.sorties.len() == 1 {
            format!("{name}.kmz")
        } else {
            format!("{name}-sortie-{}.kmz", k + 1)
        };
        files.push((file, wpml::kmz(&sortie.mission, options)?));
    }
    // DJI's own survey template of the whole plan, for a pilot to adjust in Pilot 2.
    let (mapping, notes) = wpml::mapping_kmz(plan, options)?;
    files.push((format!("{name}-dji-mapping.kmz"), mapping));
    std::fs::create_dir_all(dir).map_err(|source| OutputError::Io {
        path: dir.display().to_string(),
        source,
    })?;
    let mut written = Vec::with_capacity(files.len());
    for (file, bytes) in files {
        let path = dir.join(file);
        std::fs::write(&path, bytes).map_err(|source| OutputError::Io {
            path: path.display().to_string(),
            source,
        })?;
        written.push(path);
    }
    Ok((written, notes))
}

/// The flown waypoints of each lane of a terrain-following plan, from its run-in to its
/// run-out, with their altitudes in metres AMSL (the lane vertices and the waypoints added
/// between them); `None` for a plan at one height above take-off.
pub(crate) fn terrain_lanes(plan: &SurveyPlan) -> Option<Vec<Vec<(GeoPoint, f64)>>> {
    let t = plan.terrain.as_ref()?;
    let wps = &t.flown_waypoints;
    let near = |a: GeoPoint, b: crate::survey::PlaneCoord| {
        let (x, y) = plan.frame.project(a);
        (x - b.x).hypot(y - b.y) < 1e-3
    };
    let mut lanes = Vec::with_capacity(plan.transects.len());
    let mut from = 0;
    for tr in &plan.transects {
        let start = (from..wps.len()).find(|&i| near(wps[i].0, tr.turn_in))?;
        let end = (start..wps.len()).find(|&i| near(wps[i].0, tr.turn_out))?;
        lanes.push(wps[start..=end].to_vec());
        from = end;
    }
    Some(lanes)
}

/// Rounds degrees to 1e-8 (about a millimetre), the precision every writer here uses.
pub(crate) fn round_deg(x: f64) -> f64 {
    (x * 1e8).round() / 1e8
}
