//! Sorties from launch points: the pilot drives along the survey and launches each battery
//! from a new place (a road end, a bridge, a village), instead of flying every sortie out of
//! one take-off point and back.
//!
//! Sorties are cut greedily in flight order, as [`super::split_sorties_within`] cuts them
//! from one home, but each sortie tries the launch points within `max_range_m` of its first
//! photo (the [`MAX_CANDIDATES`] nearest) and keeps the one that lets it take the most
//! photos: all its photos within range of that point (horizontal distance to where each
//! photo is taken) and its whole flight, the transit from the launch point and back
//! included, within the battery and the item limit.
//! The survey itself does not move: the sorties take the very photos of the single mission.

use qly_core::geodesy::{GeoPoint, LocalFrame};
use qly_core::mission::Home;
use rstar::primitives::GeomWithData;
use rstar::RTree;

use super::{
    budget_s, check_max_items, check_params, too_small, Candidate, Ctx, Launch, OnVehicleFn,
    SortieParams, TransitRoute,
};
use crate::error::PlanError;
use crate::photos::{dist, LaneTriggers};
use crate::survey::{LaunchOptions, PlaneCoord, Site, Sortie, Transect};

/// Launch points tried for each sortie, at most: the nearest to its first photo. Along a
/// river a sortie has one or two in range; the cap keeps a file with thousands of points
/// from making every sortie try them all.
const MAX_CANDIDATES: usize = 32;
/// Runs of out-of-range photos named in the error, at most.
const RUNS_NAMED: usize = 5;

/// The survey of `transects` with the camera commands `triggers`, as sorties that each take
/// off from and land at one of `launch.points` (WGS-84; heights above take-off are relative to
/// the launch point flown from) within `launch.max_range_m` of all its photos, and fit
/// `params.battery` and `params.max_items` (`params.home` is not used). Each sortie's
/// `launch` is the index of its launch point in `launch.points`. Refused, with the photos
/// that no launch point reaches, when some photo is farther than `max_range_m` from all.
pub fn split_sorties_from_launches(
    transects: &[Transect],
    triggers: &[LaneTriggers],
    frame: &LocalFrame,
    params: &SortieParams,
    launch: &LaunchOptions,
    transit: TransitRoute,
    on_vehicle: OnVehicleFn,
) -> Result<Vec<Sortie>, PlanError> {
    check_params(params)?;
    let (launches, max_range_m) = (&launch.points, launch.max_range_m);
    if !(max_range_m.is_finite() && max_range_m > 0.0) {
        return Err(PlanError::BadParam {
            field: "max_range_m",
            value: max_range_m,
            expected: "a finite distance > 0 m (the radio range from the launch point)",
        });
    }
    if launches.is_empty() {
        return Err(PlanError::BadGeometry {
            what: "no launch points: expected at least one named Point".into(),
        });
    }
    check_max_items(params)?;
    let limit_s = match params.battery {
        Some(budget) => budget_s(&budget)?,
        None => f64::INFINITY,
    };
    let ctx = Ctx::new(transects, triggers, frame, params, transit);
    let n = ctx.traced.len();
    if n == 0 {
        return Err(PlanError::BadGeometry {
            what: "the survey takes no photo: nothing to fly from the launch points".into(),
        });
    }
    let sites: Vec<Launch> = launches
        .iter()
        .enumerate()
        .map(|(j, s)| {
            let (x, y) = frame.project(s.point);
            Launch {
                home: Home {
                    point: s.point,
                    alt_amsl_m: 0.0,
                },
                at: PlaneCoord { x, y },
                index: Some(j),
            }
        })
        .collect();
    // A launch file may hold thousands of points: look them up by place, not one by one.
    let tree: RTree<GeomWithData<[f64; 2], usize>> = RTree::bulk_load(
        sites
            .iter()
            .enumerate()
            .map(|(j, s)| GeomWithData::new([s.at.x, s.at.y], j))
            .collect(),
    );
    let in_range = |j: usize, k: usize| dist(sites[j].at, ctx.traced[k].photo.at) <= max_range_m;
    check_all_in_range(&ctx, &tree, launches, max_range_m, frame)?;

    let overlap = params.resume_overlap_photos as usize;
    let mut sorties = Vec::new();
    let mut a = 0usize;
    loop {
        let min_b = if a == 0 { 1 } else { (a + overlap + 1).min(n) };
        let mut best: Option<(usize, Candidate, usize)> = None;
        let mut why_not: Option<PlanError> = None;
        let at = ctx.traced[a].photo.at;
        let mut near: Vec<usize> = tree
            .nearest_neighbor_iter(&[at.x, at.y])
            .map(|g| g.data)
            .take_while(|&j| in_range(j, a))
            .take(MAX_CANDIDATES)
            .collect();
        near.sort_unstable();
        for j in near {
            // Photos a..reach are all within range of launch point j.
            let reach = (a..n).find(|&k| !in_range(j, k)).unwrap_or(n);
            if reach < min_b {
                continue;
            }
            match ctx.longest(a, min_b, reach, &sites[j], limit_s, on_vehicle)? {
                Ok((b, c)) => {
                    let better = best
                        .as_ref()
                        .is_none_or(|(bb, bc, _)| b > *bb || (b == *bb && c.1 < bc.1));
                    if better {
                        best = Some((b, c, j));
                    }
                }
                Err(e) => {
                    why_not.get_or_insert(e);
                }
            }
        }
        let Some((b, c, j)) = best else {
            return Err(why_not.unwrap_or_else(|| {
                if params.battery.is_some() {
                    too_small(params)
                } else {
                    PlanError::BadGeometry {
                        what: format!(
                            "no launch point is within {max_range_m:.0} m (--max-range-m) of \
                             all of photos {}..{} (the {} photo(s) a sortie re-takes and one \
                             more): add a launch point near {} or raise --max-range-m",
                            a + 1,
                            min_b,
                            overlap,
                            fmt_point(frame, ctx.traced[a].photo.at)
                        ),
                    }
                }
            }));
        };
        sorties.push(ctx.sortie(a..b, c, &sites[j]));
        if b == n {
            return Ok(sorties);
        }
        a = b.saturating_sub(overlap);
    }
}

/// Refuses the plan when some photos are out of range of every launch point, naming how
/// many and where (runs of consecutive photos, with the nearest launch point).
fn check_all_in_range(
    ctx: &Ctx,
    tree: &RTree<GeomWithData<[f64; 2], usize>>,
    launches: &[Site],
    max_range_m: f64,
    frame: &LocalFrame,
) -> Result<(), PlanError> {
    let nearest = |at: PlaneCoord| {
        tree.nearest_neighbor(&[at.x, at.y])
            .map(|g| {
                (
                    g.data,
                    dist(
                        PlaneCoord {
                            x: g.geom()[0],
                            y: g.geom()[1],
                        },
                        at,
                    ),
                )
            })
            .unwrap_or((0, f64::INFINITY))
    };
    // (first, last) photo index of each run beyond range, and the farthest in it.
    let mut runs: Vec<(usize, usize, usize, f64)> = Vec::new();
    let mut out = 0usize;
    for (k, t) in ctx.traced.iter().enumerate() {
        let (_, d) = nearest(t.photo.at);
        if d <= max_range_m {
            continue;
        }
        out += 1;
        match runs.last_mut() {
            Some(r) if r.1 + 1 == k => {
                r.1 = k;
                if d > r.3 {
                    r.2 = k;
                    r.3 = d;
                }
            }
            _ => runs.push((k, k, k, d)),
        }
    }
    if out == 0 {
        return Ok(());
    }
    let named: Vec<String> = runs
        .iter()
        .take(RUNS_NAMED)
        .map(|&(first, last, far, d)| {
            let (j, _) = nearest(ctx.traced[far].photo.at);
            format!(
                "photos {}..{} (farthest at {}, {:.0} m from the nearest launch point '{}')",
                first + 1,
                last + 1,
                fmt_point(frame, ctx.traced[far].photo.at),
                d,
                launches[j].name
            )
        })
        .collect();
    let more = runs.len().saturating_sub(RUNS_NAMED);
    Err(PlanError::BeyondRange {
        photos_out: out,
        photos: ctx.traced.len(),
        max_range_m,
        places: if more > 0 {
            format!("{}; and {more} more stretch(es)", named.join("; "))
        } else {
            named.join("; ")
        },
    })
}

/// A plane point as `lat, lon` (WGS-84 degrees) for messages.
fn fmt_point(frame: &LocalFrame, p: PlaneCoord) -> String {
    let g: GeoPoint = frame.unproject(p.x, p.y);
    format!("{:.5}, {:.5}", g.lat_deg, g.lon_deg)
}
