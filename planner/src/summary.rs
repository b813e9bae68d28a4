//! The one-screen summary a pilot reads before flying a plan.

use std::fmt::Write;

use qly_core::datum::Datum;

use crate::survey::{PlaneRegion, SurveyPlan};
use crate::terrain::TerrainAltFrame;

/// Renders the summary as plain text, one figure per line.
pub fn render(plan: &SurveyPlan, source: &str) -> String {
    let mut s = String::new();
    let p = &plan.params;
    let kind = match &plan.region {
        PlaneRegion::Corridor { width_m, .. } => format!("corridor, {width_m:.0} m wide"),
        PlaneRegion::Area {
            polygon,
            exclusions,
        } => format!(
            "area, {} hole(s), {} exclusion(s)",
            polygon.interiors().len(),
            exclusions.len()
        ),
    };
    let e = &plan.estimate;
    let c = &plan.coverage;
    let _ = writeln!(s, "survey      {source} ({kind})");
    let _ = writeln!(
        s,
        "camera      {} ({:?}), overlap side {:.0} % / front {:.0} %",
        p.camera.name, p.orientation, p.side_overlap_pct, p.front_overlap_pct
    );
    match &plan.terrain {
        None => {
            let _ = writeln!(
                s,
                "altitude    {:.1} m above take-off (ceiling {:.0} m)",
                plan.alt_rel_home_m, p.ceiling_m
            );
        }
        Some(t) => {
            let st = &t.stats;
            let frame = match t.options.alt_frame {
                TerrainAltFrame::RelativeHome => "relative to home",
                TerrainAltFrame::Terrain => "terrain frame",
            };
            let _ = writeln!(
                s,
                "altitude    {:.1} m above ground +/- {:.1} m, following the terrain ({frame}; home ground {:.1} m AMSL; ceiling {:.0} m, clearance {:.0} m)",
                t.target_agl_m, t.options.agl_tolerance_m, st.home_ground_amsl_m, p.ceiling_m, t.options.min_clearance_m
            );
            let _ = writeln!(
                s,
                "lanes AGL   {:.1} to {:.1} m above ground along the survey lanes; largest deviation from target {:.2} m",
                t.lanes_min_agl_m, t.lanes_max_agl_m, t.lanes_max_deviation_m
            );
            let _ = writeln!(
                s,
                "path AGL    {:.1} to {:.1} m above ground along the whole path (transit included); largest deviation from target {:.2} m at {:.6}, {:.6}",
                st.min_agl_m, st.max_agl_m, st.max_deviation_m, st.max_deviation_at.lat_deg, st.max_deviation_at.lon_deg
            );
            let _ = writeln!(
                s,
                "climb       steepest {:.3} up / {:.3} down (m per m), {:.0} m steeper than the limits under the ceiling; waypoints {} before, {} ground samples, {} after simplification",
                st.max_climb_gradient, st.max_descent_gradient, st.steeper_than_limits_m, st.waypoints_before, st.samples, st.waypoints_after
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
            let _ = writeln!(
                s,
                "photos AGL {:.1} to {:.1} m under the camera; spacing laid out at {:.1} m above ground; smallest footprint on the terrain {:.3} x the layout's",
                lowest, highest, t.design_agl_m, smallest
            );
        }
    }
    let _ = writeln!(
        s,
        "GSD         {:.2} cm/px, footprint {:.1} x {:.1} m (side x front)",
        plan.gsd_cm_per_px, plan.footprint.side_m, plan.footprint.front_m
    );
    let spacing = match actual_lane_spacing_m(plan) {
        Some(a) if a.max_m - a.min_m < 0.01 => format!("{:.2} m apart", a.median_m),
        Some(a) => format!(
            "{:.2} m apart (median; {:.2} to {:.2})",
            a.median_m, a.min_m, a.max_m
        ),
        None => "one lane".to_string(),
    };
    let _ = writeln!(
        s,
        "lanes       {}, {spacing} (side overlap {:.0} % needs at most {:.2} m), photo every {:.1} m",
        plan.transects.len(),
        p.side_overlap_pct,
        plan.lane_spacing_m,
        plan.trigger_distance_m
    );
    let _ = writeln!(
        s,
        "length      {:.2} km survey path ({:.3} x the lower bound {:.2} km)",
        e.path_length_m / 1000.0,
        e.path_length_m / e.lower_bound_m,
        e.lower_bound_m / 1000.0
    );
    let _ = writeln!(
        s,
        "time        {} at {:.1} m/s (survey pattern as ArduCopter flies it: S-curve \
         acceleration, corners, stops)",
        hms(e.flight_time_s),
        p.cruise_speed_m_s
    );
    let interval_s = p.camera.min_trigger_interval_s;
    let _ = writeln!(
        s,
        "photos      {} (none closer than {:.1} m = {:.1} s at {:.1} m/s, the camera's minimum \
         interval; a speed too fast for the trigger distance is refused)",
        e.photo_count,
        interval_s * p.cruise_speed_m_s,
        interval_s,
        p.cruise_speed_m_s
    );
    let sortie_times: Vec<String> = plan.sorties.iter().map(|x| hms(x.flight_time_s)).collect();
    let _ = writeln!(
        s,
        "sorties     {} ({})",
        plan.sorties.len(),
        sortie_times.join(", ")
    );
    if plan.sorties.len() > 1 || p.launch.is_some() {
        render_sorties(&mut s, plan);
    }
    let _ = writeln!(
        s,
        "coverage    {:.2} % at the requested overlap, {:.2} % seen ({:.1} m cells, >= {} photos per cell)",
        c.covered_pct, c.seen_pct, c.cell_m, c.min_photos_per_cell
    );
    if let crate::survey::PlaneRegion::Area {
        polygon,
        exclusions,
    } = &plan.region
    {
        let zones = polygon.interiors().len() + exclusions.len();
        if zones > 0 {
            let _ = writeln!(
                s,
                "margin      {:.1} m kept from {} hole(s)/exclusion(s) (--exclusion-margin-m); \
                 ground within it that only a lane there would photograph counts as not covered \
                 above",
                p.exclusion_margin_m(),
                zones
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

/// The lines about the input: the datum its coordinates were converted from, and which
/// settings came from a QGroundControl survey given as input.
pub fn input_lines(datum: Datum, from_file: &[String]) -> String {
    let mut s = String::new();
    let how = match datum {
        Datum::Wgs84 => "WGS-84 as given".to_string(),
        Datum::Cgcs2000 => {
            "CGCS2000, taken as WGS-84 (the two agree to a few centimetres)".to_string()
        }
        d => format!("{d} converted to WGS-84"),
    };
    let _ = writeln!(s, "datum       {how}");
    if !from_file.is_empty() {
        let _ = writeln!(s, "from file   {}", from_file.join(", "));
    }
    s
}

/// One line per sortie: where it takes off, its transit, survey and reserve time, and the
/// totals.
fn render_sorties(s: &mut String, plan: &SurveyPlan) {
    let p = &plan.params;
    let (mut flight, mut survey) = (0.0, 0.0);
    for (k, sortie) in plan.sorties.iter().enumerate() {
        let launch = match (sortie.launch, &p.launch) {
            (Some(j), Some(l)) => l.points.get(j).map(|site| {
                format!(
                    "from '{}' ({:.5}, {:.5})",
                    site.name, site.point.lat_deg, site.point.lon_deg
                )
            }),
            _ => None,
        }
        .unwrap_or_else(|| {
            let h = sortie.mission.home.point;
            format!("from home ({:.5}, {:.5})", h.lat_deg, h.lon_deg)
        });
        let reserve = match p.battery {
            Some(b) => format!(
                ", reserve {}",
                hms(b.usable_min * 60.0 - sortie.flight_time_s)
            ),
            None => String::new(),
        };
        let _ = writeln!(
            s,
            "  sortie {:<3} {launch}: {} = transit {} + survey {}{reserve}, photos {}..{}",
            k + 1,
            hms(sortie.flight_time_s),
            hms(sortie.flight_time_s - sortie.survey_time_s),
            hms(sortie.survey_time_s),
            sortie.photos.start + 1,
            sortie.photos.end
        );
        flight += sortie.flight_time_s;
        survey += sortie.survey_time_s;
    }
    let _ = writeln!(
        s,
        "  total       {} flying, {} of it surveying ({:.0} %); transit is the climb, the \
         flights to and from the take-off point and the landing{}",
        hms(flight),
        hms(survey),
        100.0 * survey / flight.max(1e-9),
        if p.battery.is_some() {
            "; reserve is the battery left at landing (at least --reserve-min)"
        } else {
            ""
        }
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
