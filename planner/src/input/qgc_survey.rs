//! The survey settings of a QGroundControl `.plan` given as input: the lane angle, the lane
//! spacing (or the camera and overlaps it derives from), the altitude, the turnaround
//! distance and the camera of its `survey` or `CorridorScan` item, so that re-planning a QGC
//! survey flies what its author set unless the command line says otherwise.
//!
//! QGroundControl stores them in the item's `TransectStyleComplexItem`:
//! `TurnAroundDistance`, and `CameraCalc` with `DistanceToSurface` (the altitude),
//! `SideOverlap`/`FrontalOverlap`, the camera (`CameraName`, `SensorWidth`, `SensorHeight`,
//! `FocalLength`, `ImageWidth`, `ImageHeight`, `Landscape`) and the spacing it derived
//! (`AdjustedFootprintSide`/`AdjustedFootprintFrontal`). With QGroundControl's manual camera
//! ("Manual (no camera specs)") the spacing is what the author typed; we then keep our camera
//! and derive the overlaps that give that spacing at that altitude. The `angle` of a
//! `survey` item is the lane direction (degrees clockwise from north).

use serde_json::Value;

use qly_core::camera::{CameraSpec, Orientation};

use super::{Ctx, InputError};
use crate::survey::{AltitudeTarget, SurveyParams};

/// QGroundControl's name of its camera without specifications.
pub const QGC_MANUAL_CAMERA: &str = "Manual (no camera specs)";

/// What a `.plan`'s survey item sets; `None` where the file does not say.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct QgcSurveySettings {
    /// The file, for messages.
    pub source: String,
    /// `mission.items[k]`, for messages.
    pub item_path: String,
    /// Lane direction, degrees clockwise from north (`survey` items only).
    pub angle_deg: Option<f64>,
    /// Altitude above take-off, metres (`CameraCalc.DistanceToSurface`).
    pub alt_m: Option<f64>,
    pub turnaround_m: Option<f64>,
    /// The camera, when the file gives its specifications.
    pub camera: Option<CameraSpec>,
    pub orientation: Option<Orientation>,
    pub side_overlap_pct: Option<f64>,
    pub front_overlap_pct: Option<f64>,
    /// Lane spacing and trigger distance as typed, metres: only with the manual camera.
    pub manual_spacing_m: Option<(f64, f64)>,
}

/// Which settings the command line gave (they win over the file's).
#[derive(Debug, Clone, Copy, Default)]
pub struct GivenOnCommandLine {
    pub angle: bool,
    /// `--alt` or `--gsd`.
    pub altitude: bool,
    pub turnaround: bool,
    /// `--camera`, `--aircraft` or the custom `--sensor-*` set.
    pub camera: bool,
    pub side_overlap: bool,
    pub front_overlap: bool,
}

/// Reads the settings of the `.plan`'s survey or corridor scan item.
pub fn read_settings(path: &std::path::Path) -> Result<QgcSurveySettings, InputError> {
    let ctx = Ctx::new(path);
    settings_from_text(&ctx, &ctx.read(path)?)
}

/// [`read_settings`] on text in memory; `source` names it in errors.
pub fn settings_from_str(source: &str, text: &str) -> Result<QgcSurveySettings, InputError> {
    let ctx = Ctx {
        file: source.to_string(),
    };
    settings_from_text(&ctx, text)
}

fn settings_from_text(ctx: &Ctx, text: &str) -> Result<QgcSurveySettings, InputError> {
    let root: Value = serde_json::from_str(text).map_err(|e| {
        ctx.err(
            format!("line {}, column {}", e.line(), e.column()),
            format!("not valid JSON ({e}): expected a QGroundControl .plan"),
        )
    })?;
    let items = root
        .pointer("/mission/items")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            ctx.err(
                "mission.items",
                "missing or not an array: expected a JSON array",
            )
        })?;
    let Some((k, item)) = items.iter().enumerate().find(|(_, i)| {
        i.get("type").and_then(Value::as_str) == Some("ComplexItem")
            && matches!(
                i.get("complexItemType").and_then(Value::as_str),
                Some("survey" | "CorridorScan")
            )
    }) else {
        return Err(ctx.err(
            "mission.items",
            "no survey or CorridorScan item: expected a QGroundControl survey",
        ));
    };
    let path = format!("mission.items[{k}]");
    // A number that must be finite and inside `range`; absent or null is `None`.
    let num = |v: Option<&Value>, field: &str, range: std::ops::Range<f64>, what: &str| match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(x) if x.is_finite() && range.contains(&x) => Ok(Some(x)),
            _ => Err(ctx.err(field, format!("{n}: expected {what}"))),
        },
        Some(other) => Err(ctx.err(field, format!("{other}: expected {what}"))),
    };
    let mut s = QgcSurveySettings {
        source: ctx.file.clone(),
        item_path: path.clone(),
        ..Default::default()
    };
    if item.get("complexItemType").and_then(Value::as_str) == Some("survey") {
        s.angle_deg = num(
            item.get("angle"),
            &format!("{path}.angle"),
            -360.0..360.0001,
            "the lane angle in degrees (-360 to 360)",
        )?;
    }
    let Some(ts) = item.get("TransectStyleComplexItem") else {
        // QGroundControl's pre-2018 survey items keep their settings elsewhere; the angle
        // is all we read of them.
        return Ok(s);
    };
    let tpath = format!("{path}.TransectStyleComplexItem");
    s.turnaround_m = num(
        ts.get("TurnAroundDistance"),
        &format!("{tpath}.TurnAroundDistance"),
        0.0..1000.0001,
        "a turnaround distance in metres (0 to 1000)",
    )?;
    let Some(cc) = ts.get("CameraCalc") else {
        return Ok(s);
    };
    let cpath = format!("{tpath}.CameraCalc");
    let field = |name: &str| format!("{cpath}.{name}");
    s.alt_m = num(
        cc.get("DistanceToSurface"),
        &field("DistanceToSurface"),
        0.1..10_000.0,
        "an altitude in metres > 0",
    )?;
    let overlap = "a percentage 0 <= x < 100";
    s.side_overlap_pct = num(
        cc.get("SideOverlap"),
        &field("SideOverlap"),
        0.0..100.0,
        overlap,
    )?;
    s.front_overlap_pct = num(
        cc.get("FrontalOverlap"),
        &field("FrontalOverlap"),
        0.0..100.0,
        overlap,
    )?;
    s.orientation = cc.get("Landscape").and_then(Value::as_bool).map(|l| {
        if l {
            Orientation::Landscape
        } else {
            Orientation::Portrait
        }
    });
    let name = cc
        .get("CameraName")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if name == QGC_MANUAL_CAMERA {
        let spacing = "a spacing in metres > 0";
        let side = num(
            cc.get("AdjustedFootprintSide"),
            &field("AdjustedFootprintSide"),
            0.01..10_000.0,
            spacing,
        )?;
        let front = num(
            cc.get("AdjustedFootprintFrontal"),
            &field("AdjustedFootprintFrontal"),
            0.01..10_000.0,
            spacing,
        )?;
        s.manual_spacing_m = side.zip(front);
        return Ok(s);
    }
    let positive = "a number > 0";
    let sensor_width_mm = num(
        cc.get("SensorWidth"),
        &field("SensorWidth"),
        0.01..1000.0,
        positive,
    )?;
    let sensor_height_mm = num(
        cc.get("SensorHeight"),
        &field("SensorHeight"),
        0.01..1000.0,
        positive,
    )?;
    let focal_length_mm = num(
        cc.get("FocalLength"),
        &field("FocalLength"),
        0.01..10_000.0,
        positive,
    )?;
    let image_width_px = num(
        cc.get("ImageWidth"),
        &field("ImageWidth"),
        1.0..1e6,
        "a pixel count > 0",
    )?;
    let image_height_px = num(
        cc.get("ImageHeight"),
        &field("ImageHeight"),
        1.0..1e6,
        "a pixel count > 0",
    )?;
    let min_trigger_interval_s = num(
        cc.get("MinTriggerInterval"),
        &field("MinTriggerInterval"),
        0.0..1000.0,
        "seconds >= 0",
    )?;
    if let (Some(sw), Some(sh), Some(f), Some(iw), Some(ih)) = (
        sensor_width_mm,
        sensor_height_mm,
        focal_length_mm,
        image_width_px,
        image_height_px,
    ) {
        s.camera = Some(CameraSpec {
            name: if name.is_empty() {
                "QGroundControl camera".into()
            } else {
                name
            },
            sensor_width_mm: sw,
            sensor_height_mm: sh,
            focal_length_mm: f,
            image_width_px: iw.round() as u32,
            image_height_px: ih.round() as u32,
            min_trigger_interval_s: min_trigger_interval_s.unwrap_or(0.0),
        });
    }
    Ok(s)
}

impl QgcSurveySettings {
    /// Puts the file's settings into `params` where the command line gave none, and says
    /// which ones it used (one phrase each, for the summary).
    pub fn apply(
        &self,
        params: &mut SurveyParams,
        given: GivenOnCommandLine,
    ) -> Result<Vec<String>, InputError> {
        let mut used = Vec::new();
        if let (Some(a), false) = (self.angle_deg, given.angle) {
            params.sweep_angle_deg = Some(a);
            used.push(format!("lane angle {a:.1} deg"));
        }
        if let (Some(t), false) = (self.turnaround_m, given.turnaround) {
            params.turnaround_m = t;
            used.push(format!("turnaround {t:.1} m"));
        }
        if let (Some(c), false) = (&self.camera, given.camera) {
            params.camera = c.clone();
            used.push(format!(
                "camera {} ({} x {} mm, f {} mm, {} x {} px)",
                c.name,
                c.sensor_width_mm,
                c.sensor_height_mm,
                c.focal_length_mm,
                c.image_width_px,
                c.image_height_px
            ));
            if let Some(o) = self.orientation {
                params.orientation = o;
                used.push(format!("orientation {o:?}"));
            }
        }
        if let (Some(alt_m), false) = (self.alt_m, given.altitude) {
            params.altitude = AltitudeTarget::AboveTakeoff { alt_m };
            used.push(format!("altitude {alt_m:.1} m"));
        }
        match self.manual_spacing_m {
            // The spacing as typed: the overlaps that give it with our camera at our
            // altitude.
            Some((side_m, front_m)) => {
                let distance_m = match params.altitude {
                    AltitudeTarget::AboveTakeoff { alt_m } => alt_m,
                    AltitudeTarget::Gsd { cm_per_px } => {
                        params.camera.distance_for_gsd_m(cm_per_px)
                    }
                };
                let fp = params.camera.footprint_m(distance_m, params.orientation);
                for (given_cli, spacing_m, footprint_m, what, target) in [
                    (
                        given.side_overlap,
                        side_m,
                        fp.side_m,
                        "AdjustedFootprintSide",
                        &mut params.side_overlap_pct,
                    ),
                    (
                        given.front_overlap,
                        front_m,
                        fp.front_m,
                        "AdjustedFootprintFrontal",
                        &mut params.front_overlap_pct,
                    ),
                ] {
                    if given_cli {
                        continue;
                    }
                    let overlap = 100.0 * (1.0 - spacing_m / footprint_m);
                    if !(0.0..100.0).contains(&overlap) {
                        return Err(InputError::Invalid {
                            file: self.source.clone(),
                            field: format!("{}.TransectStyleComplexItem.CameraCalc.{what}", self.item_path),
                            message: format!(
                                "{spacing_m:.2} m with the manual camera: {} is {footprint_m:.2} m wide \
                                 there at {distance_m:.1} m, so photos would not overlap; expected at \
                                 most the footprint (give --side-overlap/--front-overlap or a camera)",
                                params.camera.name
                            ),
                        });
                    }
                    *target = overlap;
                }
                if !given.side_overlap {
                    used.push(format!(
                        "lane spacing {side_m:.2} m (side overlap {:.1} % with {})",
                        params.side_overlap_pct, params.camera.name
                    ));
                }
                if !given.front_overlap {
                    used.push(format!(
                        "photo spacing {front_m:.2} m (front overlap {:.1} %)",
                        params.front_overlap_pct
                    ));
                }
            }
            None => {
                if let (Some(o), false) = (self.side_overlap_pct, given.side_overlap) {
                    params.side_overlap_pct = o;
                    used.push(format!("side overlap {o:.0} %"));
                }
                if let (Some(o), false) = (self.front_overlap_pct, given.front_overlap) {
                    params.front_overlap_pct = o;
                    used.push(format!("front overlap {o:.0} %"));
                }
            }
        }
        Ok(used)
    }
}
