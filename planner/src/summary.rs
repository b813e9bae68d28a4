//! The one-screen summary a pilot reads before flying a plan.

use std::fmt::Write;

use qly_i18n::width::pad_right;
use qly_i18n::Lang;

use crate::survey::{PlaneRegion, SurveyPlan};
use crate::terrain::TerrainAltFrame;

/// Renders the summary as plain text in `lang`, one figure per line: a label padded to a
/// column by display width (Chinese labels take two columns a character), then the figure.
pub fn render(plan: &SurveyPlan, source: &str, lang: Lang) -> String {
    let mut s = String::new();
    let mut line = |label: &str, value: String| {
        let _ = writeln!(s, "{} {value}", pad_right(&lang.t(label), 11));
    };
    let f1 = |v: f64| format!("{v:.1}");
    let f0 = |v: f64| format!("{v:.0}");
    let p = &plan.params;
    let kind = match &plan.region {
        PlaneRegion::Corridor { width_m, .. } => {
            lang.t_args("plan-kind-corridor", &[("width", f0(*width_m).into())])
        }
        PlaneRegion::Area {
            polygon,
            exclusions,
        } => lang.t_args(
            "plan-kind-area",
            &[
                ("holes", polygon.interiors().len().into()),
                ("exclusions", exclusions.len().into()),
            ],
        ),
    };
    let e = &plan.estimate;
    let c = &plan.coverage;
    line("plan-survey", format!("{source} ({kind})"));
    line(
        "plan-camera",
        lang.t_args(
            "plan-camera-value",
            &[
                ("name", p.camera.name.as_str().into()),
                ("orientation", format!("{:?}", p.orientation).into()),
                ("side", f0(p.side_overlap_pct).into()),
                ("front", f0(p.front_overlap_pct).into()),
            ],
        ),
    );
    match &plan.terrain {
        None => line(
            "plan-altitude",
            lang.t_args(
                "plan-altitude-flat",
                &[
                    ("alt", f1(plan.alt_rel_home_m).into()),
                    ("ceiling", f0(p.ceiling_m).into()),
                ],
            ),
        ),
        Some(t) => {
            let st = &t.stats;
            let frame = match t.options.alt_frame {
                TerrainAltFrame::RelativeHome => lang.t("plan-frame-home"),
                TerrainAltFrame::Terrain => lang.t("plan-frame-terrain"),
            };
            line(
                "plan-altitude",
                lang.t_args(
                    "plan-altitude-terrain",
                    &[
                        ("agl", f1(t.target_agl_m).into()),
                        ("tolerance", f1(t.options.agl_tolerance_m).into()),
                        ("frame", frame.into()),
                        ("home", f1(st.home_ground_amsl_m).into()),
                        ("ceiling", f0(p.ceiling_m).into()),
                        ("clearance", f0(t.options.min_clearance_m).into()),
                    ],
                ),
            );
            line(
                "plan-lanes-agl",
                lang.t_args(
                    "plan-lanes-agl-value",
                    &[
                        ("min", f1(t.lanes_min_agl_m).into()),
                        ("max", f1(t.lanes_max_agl_m).into()),
                        (
                            "deviation",
                            format!("{:.2}", t.lanes_max_deviation_m).into(),
                        ),
                    ],
                ),
            );
            line(
                "plan-path-agl",
                lang.t_args(
                    "plan-path-agl-value",
                    &[
                        ("min", f1(st.min_agl_m).into()),
                        ("max", f1(st.max_agl_m).into()),
                        ("deviation", format!("{:.2}", st.max_deviation_m).into()),
                        ("lat", format!("{:.6}", st.max_deviation_at.lat_deg).into()),
                        ("lon", format!("{:.6}", st.max_deviation_at.lon_deg).into()),
                    ],
                ),
            );
            line(
                "plan-climb",
                lang.t_args(
                    "plan-climb-value",
                    &[
                        ("up", format!("{:.3}", st.max_climb_gradient).into()),
                        ("down", format!("{:.3}", st.max_descent_gradient).into()),
                        ("steeper", f0(st.steeper_than_limits_m).into()),
                        ("before", st.waypoints_before.into()),
                        ("samples", st.samples.into()),
                        ("after", st.waypoints_after.into()),
                    ],
                ),
            );
            let lowest = t.photo_agl_m.iter().copied().fold(f64::INFINITY, f64::min);
            let highest = t
                .photo_agl_m
                .iter()
                .copied()
                .fold(f64::NEG_INFINITY, f64::max);
            let smallest = t
                .photo_footprint_scale
                .iter()
                .copied()
                .fold(f64::INFINITY, f64::min);
            line(
                "plan-photos-agl",
                lang.t_args(
                    "plan-photos-agl-value",
                    &[
                        ("lowest", f1(lowest).into()),
                        ("highest", f1(highest).into()),
                        ("design", f1(t.design_agl_m).into()),
                        ("smallest", format!("{smallest:.3}").into()),
                    ],
                ),
            );
        }
    }
    line(
        "plan-gsd",
        lang.t_args(
            "plan-gsd-value",
            &[
                ("gsd", format!("{:.2}", plan.gsd_cm_per_px).into()),
                ("side", f1(plan.footprint.side_m).into()),
                ("front", f1(plan.footprint.front_m).into()),
            ],
        ),
    );
    line(
        "plan-lanes",
        lang.t_args(
            "plan-lanes-value",
            &[
                ("count", plan.transects.len().into()),
                ("spacing", f1(plan.lane_spacing_m).into()),
                ("trigger", f1(plan.trigger_distance_m).into()),
            ],
        ),
    );
    line(
        "plan-length",
        lang.t_args(
            "plan-length-value",
            &[
                ("km", format!("{:.2}", e.path_length_m / 1000.0).into()),
                (
                    "ratio",
                    format!("{:.3}", e.path_length_m / e.lower_bound_m).into(),
                ),
                ("bound", format!("{:.2}", e.lower_bound_m / 1000.0).into()),
            ],
        ),
    );
    line(
        "plan-time",
        lang.t_args(
            "plan-time-value",
            &[
                ("time", hms(e.flight_time_s).into()),
                ("speed", f1(p.cruise_speed_m_s).into()),
            ],
        ),
    );
    let interval_s = p.camera.min_trigger_interval_s;
    line(
        "plan-photos",
        lang.t_args(
            "plan-photos-value",
            &[
                ("count", e.photo_count.into()),
                ("metres", f1(interval_s * p.cruise_speed_m_s).into()),
                ("seconds", f1(interval_s).into()),
                ("speed", f1(p.cruise_speed_m_s).into()),
            ],
        ),
    );
    let sortie_times: Vec<String> = plan.sorties.iter().map(|x| hms(x.flight_time_s)).collect();
    line(
        "plan-sorties",
        format!("{} ({})", plan.sorties.len(), sortie_times.join(", ")),
    );
    line(
        "plan-coverage",
        lang.t_args(
            "plan-coverage-value",
            &[
                ("covered", format!("{:.2}", c.covered_pct).into()),
                ("seen", format!("{:.2}", c.seen_pct).into()),
                ("cell", f1(c.cell_m).into()),
                ("photos", c.min_photos_per_cell.into()),
            ],
        ),
    );
    if let crate::survey::PlaneRegion::Area {
        polygon,
        exclusions,
    } = &plan.region
    {
        let zones = polygon.interiors().len() + exclusions.len();
        if zones > 0 {
            line(
                "plan-margin",
                lang.t_args(
                    "plan-margin-value",
                    &[
                        ("metres", f1(p.exclusion_margin_m()).into()),
                        ("zones", zones.into()),
                    ],
                ),
            );
        }
    }
    s
}

/// Seconds as `1h02m03s` / `2m03s`.
pub fn hms(total_s: f64) -> String {
    let t = total_s.max(0.0).round() as u64;
    let (h, m, s) = (t / 3600, (t / 60) % 60, t % 60);
    if h > 0 {
        format!("{h}h{m:02}m{s:02}s")
    } else {
        format!("{m}m{s:02}s")
    }
}

#[cfg(test)]
mod tests {
    use super::hms;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(hms(59.6), "1m00s");
        assert_eq!(hms(3723.0), "1h02m03s");
        assert_eq!(hms(-5.0), "0m00s");
    }
}
