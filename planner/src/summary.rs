//! The one-screen summary a pilot reads before flying a plan.

use std::fmt::Write;

use qly_core::datum::Datum;
use qly_i18n::width::pad_right;
use qly_i18n::Lang;

use crate::survey::{PlaneRegion, SurveyPlan};
use crate::terrain::TerrainAltFrame;

/// Renders the summary as plain text in `lang`, one figure per line: a label padded to a
/// column by display width (Chinese labels take two columns a character), then the figure.
pub fn render(plan: &SurveyPlan, source: &str, lang: Lang) -> String {
    let mut s = String::new();
    let line = |s: &mut String, label: &str, value: String| {
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
    line(&mut s, "plan-survey", format!("{source} ({kind})"));
    line(
        &mut s,
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
            &mut s,
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
                &mut s,
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
                &mut s,
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
                &mut s,
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
                &mut s,
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
                &mut s,
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
        &mut s,
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
    let spacing = match actual_lane_spacing_m(plan) {
        Some(a) if a.max_m - a.min_m < 0.01 => lang.t_args(
            "plan-spacing-even",
            &[("median", format!("{:.2}", a.median_m).into())],
        ),
        Some(a) => lang.t_args(
            "plan-spacing-range",
            &[
                ("median", format!("{:.2}", a.median_m).into()),
                ("min", format!("{:.2}", a.min_m).into()),
                ("max", format!("{:.2}", a.max_m).into()),
            ],
        ),
        None => lang.t("plan-spacing-one"),
    };
    line(
        &mut s,
        "plan-lanes",
        lang.t_args(
            "plan-lanes-value",
            &[
                ("count", plan.transects.len().into()),
                ("spacing", spacing.into()),
                ("overlap", f0(p.side_overlap_pct).into()),
                ("max", format!("{:.2}", plan.lane_spacing_m).into()),
                ("trigger", f1(plan.trigger_distance_m).into()),
            ],
        ),
    );
    line(
        &mut s,
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
        &mut s,
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
        &mut s,
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
        &mut s,
        "plan-sorties",
        format!("{} ({})", plan.sorties.len(), sortie_times.join(", ")),
    );
    if plan.sorties.len() > 1 || p.launch.is_some() {
        render_sorties(&mut s, plan, lang);
    }
    line(
        &mut s,
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
                &mut s,
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

/// Distances between neighbouring lanes as flown, metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LaneSpacing {
    pub median_m: f64,
    pub min_m: f64,
    pub max_m: f64,
}

/// The spacing the lanes are actually flown at: a corridor's width shared equally, an
/// area's cells tiled equally, each at most the spacing the side overlap allows. `None` with
/// one lane.
pub fn actual_lane_spacing_m(plan: &SurveyPlan) -> Option<LaneSpacing> {
    if plan.transects.len() < 2 {
        return None;
    }
    if let PlaneRegion::Corridor { width_m, .. } = &plan.region {
        let s = crate::plan::corridor_lane_spacing_m(*width_m, plan.lane_spacing_m);
        return Some(LaneSpacing {
            median_m: s,
            min_m: s,
            max_m: s,
        });
    }
    // Area lanes are straight: the distance across between neighbouring parallel lanes of
    // one cell (lanes farther apart than the spacing belong to different cells).
    let dir = |t: &crate::survey::Transect| {
        let (a, b) = (t.path.first()?, t.path.last()?);
        let (dx, dy) = (b.x - a.x, b.y - a.y);
        let n = dx.hypot(dy);
        (n > 1e-9).then(|| (dx / n, dy / n, *a))
    };
    let mut all = Vec::new();
    for w in plan.transects.windows(2) {
        let (Some((ux, uy, a)), Some((vx, vy, b))) = (dir(&w[0]), dir(&w[1])) else {
            continue;
        };
        if (ux * vy - uy * vx).abs() > 1e-6 {
            continue;
        }
        let d = ((b.x - a.x) * uy - (b.y - a.y) * ux).abs();
        if d > 1e-6 && d <= plan.lane_spacing_m * (1.0 + 1e-6) {
            all.push(d);
        }
    }
    if all.is_empty() {
        all.push(plan.lane_spacing_m);
    }
    all.sort_by(f64::total_cmp);
    Some(LaneSpacing {
        median_m: all[all.len() / 2],
        min_m: all[0],
        max_m: all[all.len() - 1],
    })
}

/// The lines about the input in `lang`: the datum its coordinates were converted from, and
/// which settings came from a QGroundControl survey given as input.
pub fn input_lines(datum: Datum, from_file: &[String], lang: Lang) -> String {
    let mut s = String::new();
    let how = match datum {
        Datum::Wgs84 => lang.t("plan-datum-wgs84"),
        Datum::Cgcs2000 => lang.t("plan-datum-cgcs2000"),
        d => lang.t_args("plan-datum-converted", &[("datum", d.to_string().into())]),
    };
    let _ = writeln!(s, "{} {how}", pad_right(&lang.t("plan-datum"), 11));
    if !from_file.is_empty() {
        let _ = writeln!(
            s,
            "{} {}",
            pad_right(&lang.t("plan-from-file"), 11),
            from_file.join(", ")
        );
    }
    s
}

/// One line per sortie: where it takes off, its transit, survey and reserve time, and the
/// totals.
fn render_sorties(s: &mut String, plan: &SurveyPlan, lang: Lang) {
    let p = &plan.params;
    let f5 = |v: f64| format!("{v:.5}");
    let (mut flight, mut survey) = (0.0, 0.0);
    for (k, sortie) in plan.sorties.iter().enumerate() {
        let launch = match (sortie.launch, &p.launch) {
            (Some(j), Some(l)) => l.points.get(j).map(|site| {
                lang.t_args(
                    "plan-sortie-from-launch",
                    &[
                        ("name", site.name.as_str().into()),
                        ("lat", f5(site.point.lat_deg).into()),
                        ("lon", f5(site.point.lon_deg).into()),
                    ],
                )
            }),
            _ => None,
        }
        .unwrap_or_else(|| {
            let h = sortie.mission.home.point;
            lang.t_args(
                "plan-sortie-from-home",
                &[("lat", f5(h.lat_deg).into()), ("lon", f5(h.lon_deg).into())],
            )
        });
        let reserve = match p.battery {
            Some(b) => lang.t_args(
                "plan-sortie-reserve",
                &[(
                    "time",
                    hms(b.usable_min * 60.0 - sortie.flight_time_s).into(),
                )],
            ),
            None => String::new(),
        };
        let _ = writeln!(
            s,
            "  {}",
            lang.t_args(
                "plan-sortie-line",
                &[
                    ("number", format!("{:<3}", k + 1).into()),
                    ("launch", launch.into()),
                    ("time", hms(sortie.flight_time_s).into()),
                    (
                        "transit",
                        hms(sortie.flight_time_s - sortie.survey_time_s).into()
                    ),
                    ("survey", hms(sortie.survey_time_s).into()),
                    ("reserve", reserve.into()),
                    ("first", (sortie.photos.start + 1).into()),
                    ("last", sortie.photos.end.into()),
                ],
            )
        );
        flight += sortie.flight_time_s;
        survey += sortie.survey_time_s;
    }
    let _ = writeln!(
        s,
        "  {}",
        lang.t_args(
            if p.battery.is_some() {
                "plan-sortie-total-battery"
            } else {
                "plan-sortie-total"
            },
            &[
                ("flying", hms(flight).into()),
                ("surveying", hms(survey).into()),
                (
                    "pct",
                    format!("{:.0}", 100.0 * survey / flight.max(1e-9)).into()
                ),
            ],
        )
    );
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
