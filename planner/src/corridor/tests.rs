use super::offset::{offset_lane, JOIN_TOLERANCE_M, SIMPLIFY_TOLERANCE_M};
use super::*;
use approx::assert_abs_diff_eq;
use geo::line_intersection::{line_intersection, LineIntersection};
use geo::{coord, Distance, Euclidean, Line, LineLocatePoint, Point};
use proptest::prelude::*;

/// Most a lane point may lie beyond its offset: dropping nearly colinear vertices.
const LANE_TOL_M: f64 = SIMPLIFY_TOLERANCE_M + 1e-6;

fn ls(pts: &[(f64, f64)]) -> LineString<f64> {
    LineString::from(pts.to_vec())
}

fn dist(cl: &LineString<f64>, p: Coord<f64>) -> f64 {
    Euclidean.distance(&Point::from(p), cl)
}

/// Largest distance of a path vertex from the centreline.
fn max_dist(cl: &LineString<f64>, path: &[Coord<f64>]) -> f64 {
    path.iter().map(|&p| dist(cl, p)).fold(0.0, f64::max)
}

/// Whether a polyline has no self-intersections (neighbouring segments may only share their
/// common vertex).
fn is_simple(path: &[Coord<f64>]) -> bool {
    let segs: Vec<Line<f64>> = path.windows(2).map(|w| Line::new(w[0], w[1])).collect();
    for i in 0..segs.len() {
        for j in (i + 1)..segs.len() {
            match line_intersection(segs[i], segs[j]) {
                None => {}
                Some(LineIntersection::SinglePoint { intersection, .. }) if j == i + 1 => {
                    let shared = path[i + 1];
                    if (intersection.x - shared.x).hypot(intersection.y - shared.y) > 1e-9 {
                        return false;
                    }
                }
                Some(_) => return false,
            }
        }
    }
    true
}

fn length(path: &[Coord<f64>]) -> f64 {
    path.windows(2)
        .map(|w| (w[1].x - w[0].x).hypot(w[1].y - w[0].y))
        .sum()
}

/// Checks every lane of `cl` at `offsets` (distance bound, simplicity, direction) and the
/// transects (count, bounds on run-in/out, serpentine). Returns the largest distance of any
/// lane vertex from the centreline.
fn check_corridor(
    cl: &LineString<f64>,
    width_m: f64,
    spacing_m: f64,
    extra: u32,
    turnaround_m: f64,
) -> f64 {
    let offsets = lane_offsets_m(width_m, spacing_m, extra);
    let pts: Vec<Coord<f64>> = cl.0.clone();
    let mut worst = 0.0f64;
    let mut kept = Vec::new();
    for &d in &offsets {
        let lane = offset_lane(&pts, d);
        if lane.len() < 2 {
            continue;
        }
        kept.push(lane.clone());
        let m = max_dist(cl, &lane);
        assert!(
            m <= d.abs() + LANE_TOL_M,
            "lane at {d} m has a vertex {m} m from the centreline"
        );
        assert!(is_simple(&lane), "lane at {d} m crosses itself: {lane:?}");
        // Drawn in the centreline's direction.
        let along = |p: Coord<f64>| cl.line_locate_point(&Point::from(p)).unwrap_or(f64::NAN);
        let (a0, a1) = (along(lane[0]), along(lane[lane.len() - 1]));
        // (Equal for a lane that is only the arc round one vertex.)
        assert!(
            a0 <= a1 + 1e-12,
            "lane at {d} m runs backwards ({a0} -> {a1})"
        );
        worst = worst.max(m);
    }
    let transects = corridor_transects(
        cl,
        width_m,
        spacing_m,
        turnaround_m,
        &CorridorOptions {
            extra_lanes_per_bank: extra,
        },
    )
    .expect("valid corridor");
    assert!(!transects.is_empty());
    assert_eq!(transects.len(), kept.len());
    let half = offsets[0].abs();
    for (k, (t, lane)) in transects.iter().zip(kept).enumerate() {
        // Serpentine from the left-most lane: even lanes downstream, odd ones back.
        let mut expected = lane;
        if k % 2 == 1 {
            expected.reverse();
        }
        assert_eq!(t.path, expected, "lane {k}");
        assert!(t.approach.is_empty());
        assert!(t.path.len() >= 2);
        for &p in &t.path {
            assert!(dist(cl, p) <= half + LANE_TOL_M);
        }
        for p in [t.turn_in, t.turn_out] {
            assert!(dist(cl, p) <= half + LANE_TOL_M + turnaround_m + 1e-9);
        }
        let first = t.path[0];
        let last = t.path[t.path.len() - 1];
        assert_abs_diff_eq!(
            (first.x - t.turn_in.x).hypot(first.y - t.turn_in.y),
            turnaround_m,
            epsilon = 1e-6
        );
        assert_abs_diff_eq!(
            (last.x - t.turn_out.x).hypot(last.y - t.turn_out.y),
            turnaround_m,
            epsilon = 1e-6
        );
    }
    worst
}

#[test]
fn offsets_are_centred_and_cover_the_width() {
    assert_eq!(lane_offsets_m(50.0, 26.0, 0), vec![13.0, -13.0]);
    assert_eq!(lane_offsets_m(60.0, 20.0, 0), vec![20.0, 0.0, -20.0]);
    assert_eq!(lane_offsets_m(10.0, 20.0, 0), vec![0.0]);
    assert_eq!(
        lane_offsets_m(60.0, 20.0, 2),
        vec![60.0, 40.0, 20.0, 0.0, -20.0, -40.0, -60.0]
    );
    // 0.3 / 0.1 is 2.9999999999999996: three lanes, not four.
    assert_eq!(lane_offsets_m(0.3, 0.1, 0).len(), 3);
    for (w, s) in [
        (50.0, 26.0),
        (100.0, 7.0),
        (1.0, 0.3),
        (75.0, 25.0),
        (80.0, 30.0),
    ] {
        let o = lane_offsets_m(w, s, 0);
        let n = o.len() as f64;
        assert!(n * s >= w * (1.0 - 1e-9), "{w}/{s}: {n} lanes do not cover");
        assert!((n - 1.0) * s < w, "{w}/{s}: one lane too many");
        // Strips [o - s/2, o + s/2] tile a band centred on the centreline.
        assert_abs_diff_eq!(o[0] + s / 2.0, w.max(s) / 2.0 + (n * s - w.max(s)) / 2.0);
        assert_abs_diff_eq!(o[0], -o[o.len() - 1]);
        assert!(o[0] + s / 2.0 >= w / 2.0 - 1e-9 && o[o.len() - 1] - s / 2.0 <= -w / 2.0 + 1e-9);
    }
    assert!(lane_offsets_m(0.0, 10.0, 0).is_empty());
    assert!(lane_offsets_m(f64::NAN, 10.0, 0).is_empty());
    assert!(lane_offsets_m(50.0, -1.0, 0).is_empty());
    assert!(lane_offsets_m(1e9, 1.0, 0).is_empty());
}

#[test]
fn straight_corridor() {
    let cl = ls(&[(0.0, 0.0), (50.0, 0.0), (100.0, 0.0)]);
    let t = corridor_transects(&cl, 60.0, 20.0, 10.0, &CorridorOptions::default()).unwrap();
    assert_eq!(t.len(), 3);
    assert_eq!(
        t[0].path,
        vec![coord! {x: 0.0, y: 20.0}, coord! {x: 100.0, y: 20.0}]
    );
    assert_eq!(
        t[1].path,
        vec![coord! {x: 100.0, y: 0.0}, coord! {x: 0.0, y: 0.0}]
    );
    assert_eq!(
        t[2].path,
        vec![coord! {x: 0.0, y: -20.0}, coord! {x: 100.0, y: -20.0}]
    );
    assert_eq!(t[0].turn_in, coord! {x: -10.0, y: 20.0});
    assert_eq!(t[0].turn_out, coord! {x: 110.0, y: 20.0});
    assert_eq!(t[1].turn_in, coord! {x: 110.0, y: 0.0});
    assert_eq!(t[1].turn_out, coord! {x: -10.0, y: 0.0});
    check_corridor(&cl, 60.0, 20.0, 1, 10.0);
}

/// The geometry of QGroundControl's `CorridorScanComplexItemTest`: two 200 m legs (north,
/// then azimuth 20°), width 50 m, spacing 26 m (footprint side `50 * 0.5 + 1`, no overlap),
/// turnaround 50 m. QGC expects 2 transects of entry + one polyline turn + exit (+ the two
/// turnaround points); its lanes sit at +12 / −14 m, ours at +13 / −13 m.
#[test]
fn qgc_unit_test_case() {
    let a20 = 20f64.to_radians();
    let p0 = coord! {x: 0.0, y: 0.0};
    let p1 = coord! {x: 0.0, y: 200.0};
    let p2 = coord! {x: 200.0 * a20.sin(), y: 200.0 + 200.0 * a20.cos()};
    let cl = LineString::new(vec![p0, p1, p2]);
    let t = corridor_transects(&cl, 50.0, 26.0, 50.0, &CorridorOptions::default()).unwrap();
    assert_eq!(t.len(), 2);
    // QGC's mitre corner: the crossing of the two offset legs as infinite lines.
    let u1 = coord! {x: a20.sin(), y: a20.cos()};
    let n0 = coord! {x: -1.0, y: 0.0};
    let n1 = coord! {x: -u1.y, y: u1.x};
    let mitre = |d: f64| {
        let k = d / (1.0 + n0.x * n1.x + n0.y * n1.y);
        p1 + (n0 + n1) * k
    };
    // +13 m, left, outer side of the right-hand bend, flown north. Where QGC has its mitre
    // point (13.2 m out), we have a chord of the 13 m arc: one interior point more.
    let lane0 = &t[0].path;
    let expected0 = [
        coord! {x: -13.0, y: 0.0},
        p1 + n0 * 13.0,
        p1 + n1 * 13.0,
        p2 + n1 * 13.0,
    ];
    assert_eq!(lane0.len(), expected0.len());
    for (got, want) in lane0.iter().zip(expected0) {
        assert_abs_diff_eq!(got.x, want.x, epsilon = 1e-9);
        assert_abs_diff_eq!(got.y, want.y, epsilon = 1e-9);
    }
    assert_abs_diff_eq!(
        (mitre(13.0).x - p1.x).hypot(mitre(13.0).y - p1.y),
        13.0 / 10f64.to_radians().cos(),
        epsilon = 1e-9
    );
    assert_abs_diff_eq!(t[0].turn_in.y, -50.0, epsilon = 1e-9);
    let lane1 = &t[1].path; // −13 m, inner side, flown back south
    assert_eq!(lane1.len(), 3);
    assert_abs_diff_eq!(lane1[1].x, mitre(-13.0).x, epsilon = 1e-9);
    assert_abs_diff_eq!(lane1[1].y, mitre(-13.0).y, epsilon = 1e-9);
    assert_abs_diff_eq!(lane1[2].x, 13.0, epsilon = 1e-9);
    assert_abs_diff_eq!(lane1[2].y, 0.0, epsilon = 1e-9);
    assert_abs_diff_eq!(t[1].turn_out.y, -50.0, epsilon = 1e-9);
    // The chord cuts the arc by at most the join tolerance.
    let mid = (lane0[1] + lane0[2]) * 0.5;
    assert!(dist(&cl, mid) >= 13.0 - JOIN_TOLERANCE_M);
    check_corridor(&cl, 50.0, 26.0, 0, 50.0);
}

/// A 160° bend: QGC's unlimited mitre puts a 25 m lane's corner 25 / cos 80° = 144 m from
/// the river.
#[test]
fn hairpin_160_degrees() {
    let a = 160f64.to_radians();
    let cl = ls(&[
        (0.0, 0.0),
        (200.0, 0.0),
        (200.0 + 200.0 * a.cos(), 200.0 * a.sin()),
    ]);
    let qgc_mitre_m = 25.0 / 80f64.to_radians().cos();
    assert!((qgc_mitre_m - 143.97).abs() < 0.01);
    let pts = cl.0.clone();
    for d in [25.0, -25.0] {
        let lane = offset_lane(&pts, d);
        let m = max_dist(&cl, &lane);
        println!(
            "hairpin 160°, offset {d:+} m: {} vertices, max distance from centreline {m:.3} m \
             (QGC mitre: {qgc_mitre_m:.2} m)",
            lane.len()
        );
        assert!(m <= 25.0 + LANE_TOL_M);
        assert!(m >= 25.0 - 1e-6);
        assert!(is_simple(&lane));
        assert!(lane.len() <= 20, "{} vertices", lane.len());
    }
    // The inner (left) lane cuts the corner at 25 m: 3 points, corner on the bisector.
    let inner = offset_lane(&pts, 25.0);
    assert_eq!(inner.len(), 3);
    assert_abs_diff_eq!(dist(&cl, inner[1]), 25.0, epsilon = 1e-9);
    check_corridor(&cl, 50.0, 25.0, 0, 20.0);
    check_corridor(&cl, 50.0, 25.0, 1, 20.0);
}

#[test]
fn meander_sinusoid() {
    // y = 100 sin(2πx/400): tightest radius 40.5 m, so lanes beyond 40 m fold on the inside.
    let cl: LineString<f64> = (0..=240)
        .map(|i| {
            let x = i as f64 * 5.0;
            (x, 100.0 * (std::f64::consts::TAU * x / 400.0).sin())
        })
        .collect::<Vec<_>>()
        .into();
    let worst = check_corridor(&cl, 80.0, 20.0, 1, 30.0);
    assert!(worst <= 50.0 + LANE_TOL_M);
    for d in lane_offsets_m(80.0, 20.0, 1) {
        let lane = offset_lane(&cl.0, d);
        assert!(
            lane.len() < 2 * cl.0.len(),
            "{} vertices at {d}",
            lane.len()
        );
        // Lanes keep their offset along most of the river: not collapsed to a chord.
        let ratio = length(&lane) / length(&cl.0);
        assert!(ratio > 0.5 && ratio < 2.0, "length ratio {ratio} at {d}");
    }
}

#[test]
fn full_u_turn() {
    // Arms 60 m apart joined by a semicircle of radius 30 m; lanes out to 40 m, so the
    // inner lanes fold at the tip and run between the arms.
    let mut pts = vec![(0.0, 0.0)];
    for k in 0..=18 {
        let a = std::f64::consts::PI * (1.0 - k as f64 / 18.0);
        pts.push((30.0 + 30.0 * a.cos(), 200.0 + 30.0 * a.sin()));
    }
    pts.push((60.0, 0.0));
    let cl = ls(&pts);
    let worst = check_corridor(&cl, 60.0, 20.0, 1, 25.0);
    assert!(worst > 39.0 && worst <= 40.0 + LANE_TOL_M);
}

#[test]
fn zigzag() {
    // Legs of 60.8 m at ±80.5° from east: bends of about 161°.
    let cl: LineString<f64> = (0..9)
        .map(|i| (i as f64 * 10.0, if i % 2 == 0 { 0.0 } else { 60.0 }))
        .collect::<Vec<_>>()
        .into();
    check_corridor(&cl, 50.0, 25.0, 0, 10.0);
    check_corridor(&cl, 50.0, 25.0, 1, 10.0);
}

/// A bulb-shaped meander whose neck (30 m) is narrower than twice the lane offset: the lane
/// inside the bulb is flown round it (crossing itself at the neck) instead of skipping the
/// whole meander.
#[test]
fn narrow_meander_neck_keeps_the_loop() {
    let cl = ls(&[
        (-15.0, -100.0),
        (-15.0, 0.0),
        (-40.0, 40.0),
        (-45.0, 80.0),
        (-30.0, 115.0),
        (0.0, 130.0),
        (30.0, 115.0),
        (45.0, 80.0),
        (40.0, 40.0),
        (15.0, 0.0),
        (15.0, -100.0),
    ]);
    let lane = offset_lane(&cl.0, -25.0);
    // Under the top vertex (0, 130), on the bisector of its 53° inner bend.
    let top = coord! {x: 0.0, y: 130.0 - 25.0 / 26.565f64.to_radians().cos()};
    assert!(
        lane.iter().any(|p| (p.x - top.x).hypot(p.y - top.y) < 0.01),
        "the lane skips the meander: {lane:?}"
    );
    assert!(max_dist(&cl, &lane) <= 25.0 + LANE_TOL_M);
    // The arms in the neck are closer than 25 m to the other arm: trimmed, so the lane is
    // the ring round the inside of the bulb, closed at the neck.
    let (first, last) = (lane[0], lane[lane.len() - 1]);
    assert!((first.x - last.x).hypot(first.y - last.y) < 1e-6);
    assert!(is_simple(&lane[..lane.len() - 1]));
    // The outside lane does not cross itself.
    assert!(is_simple(&offset_lane(&cl.0, 25.0)));
}

#[test]
fn fold_next_to_an_end_is_cut() {
    // A 5 m first leg then a left turn: the left lane starts on the second leg's offset,
    // not with a backward zigzag from the first leg.
    let cl = ls(&[(0.0, 0.0), (5.0, 0.0), (5.0, 100.0)]);
    let lane = offset_lane(&cl.0, 25.0);
    assert_eq!(lane.len(), 2, "{lane:?}");
    assert_abs_diff_eq!(lane[0].x, -20.0, epsilon = 1e-9);
    assert_abs_diff_eq!(lane[1].x, -20.0, epsilon = 1e-9);
    // Where the second leg's offset leaves the 25 m disc round the start point.
    assert_abs_diff_eq!(lane[0].y, 15.0, epsilon = 1e-4);
    assert_abs_diff_eq!(lane[1].y, 100.0, epsilon = 1e-9);
    // Mirrored at the end.
    let cl = ls(&[(5.0, 100.0), (5.0, 0.0), (0.0, 0.0)]);
    let lane = offset_lane(&cl.0, -25.0);
    assert_eq!(lane.len(), 2, "{lane:?}");
    assert_abs_diff_eq!(lane[0].x, -20.0, epsilon = 1e-9);
    assert_abs_diff_eq!(lane[0].y, 100.0, epsilon = 1e-9);
    assert_abs_diff_eq!(lane[1].x, -20.0, epsilon = 1e-9);
    assert_abs_diff_eq!(lane[1].y, 15.0, epsilon = 1e-4);
}

#[test]
fn bad_input_is_refused() {
    let ok = ls(&[(0.0, 0.0), (100.0, 0.0)]);
    let opts = CorridorOptions::default();
    let param = |r: Result<Vec<Transect>, PlanError>| match r {
        Err(PlanError::BadParam { field, .. }) => field,
        other => panic!("expected BadParam, got {other:?}"),
    };
    assert_eq!(
        param(corridor_transects(&ok, 0.0, 10.0, 0.0, &opts)),
        "width_m"
    );
    assert_eq!(
        param(corridor_transects(&ok, -5.0, 10.0, 0.0, &opts)),
        "width_m"
    );
    assert_eq!(
        param(corridor_transects(&ok, f64::NAN, 10.0, 0.0, &opts)),
        "width_m"
    );
    assert_eq!(
        param(corridor_transects(&ok, f64::INFINITY, 10.0, 0.0, &opts)),
        "width_m"
    );
    assert_eq!(
        param(corridor_transects(&ok, 50.0, 0.0, 0.0, &opts)),
        "spacing_m"
    );
    assert_eq!(
        param(corridor_transects(&ok, 50.0, f64::NAN, 0.0, &opts)),
        "spacing_m"
    );
    assert_eq!(
        param(corridor_transects(&ok, 50.0, 1e-6, 0.0, &opts)),
        "spacing_m"
    );
    assert_eq!(
        param(corridor_transects(&ok, 50.0, 10.0, -1.0, &opts)),
        "turnaround_m"
    );
    let many = CorridorOptions {
        extra_lanes_per_bank: u32::MAX,
    };
    assert_eq!(
        param(corridor_transects(&ok, 50.0, 10.0, 0.0, &many)),
        "extra_lanes_per_bank"
    );

    let geometry = |cl: LineString<f64>| match corridor_transects(&cl, 50.0, 10.0, 0.0, &opts) {
        Err(PlanError::BadGeometry { what }) => what,
        other => panic!("expected BadGeometry, got {other:?}"),
    };
    assert!(geometry(ls(&[])).contains("0 distinct point"));
    assert!(geometry(ls(&[(1.0, 1.0)])).contains("1 distinct point"));
    assert!(geometry(ls(&[(1.0, 1.0), (1.0, 1.0), (1.0, 1.0)])).contains("1 distinct point"));
    assert!(geometry(ls(&[(0.0, 0.0), (f64::NAN, 1.0)])).contains("point 1 is not finite"));
    assert!(geometry(ls(&[(0.0, 0.0), (1.0, f64::INFINITY)])).contains("not finite"));
    // Figure of eight.
    let what = geometry(ls(&[
        (0.0, 0.0),
        (100.0, 100.0),
        (100.0, 0.0),
        (0.0, 100.0),
    ]));
    assert!(what.contains("crosses itself") && what.contains("segment 0 meets segment 2"));
    // Closed loop and a retraced leg.
    assert!(
        geometry(ls(&[(0.0, 0.0), (100.0, 0.0), (100.0, 100.0), (0.0, 0.0)]))
            .contains("crosses itself")
    );
    assert!(geometry(ls(&[(0.0, 0.0), (100.0, 0.0), (50.0, 0.0)])).contains("crosses itself"));
    // A repeated point is not a crossing.
    assert!(corridor_transects(
        &ls(&[(0.0, 0.0), (50.0, 0.0), (50.0, 0.0), (100.0, 10.0)]),
        50.0,
        10.0,
        0.0,
        &opts
    )
    .is_ok());
}

/// Random centrelines that keep heading within ±85° of one direction (so the river does
/// not come back near itself; bends up to 170°), random widths, spacings and extra lanes.
fn centreline_strategy() -> impl Strategy<Value = LineString<f64>> {
    (
        prop::collection::vec((2.0f64..150.0, -85.0f64..85.0), 1..14),
        0.0f64..360.0,
        (-1000.0f64..1000.0, -1000.0f64..1000.0),
    )
        .prop_map(|(legs, rotation_deg, (x0, y0))| {
            let mut p = coord! {x: x0, y: y0};
            let mut pts = vec![p];
            for (len, heading_deg) in legs {
                let a = (heading_deg + rotation_deg).to_radians();
                p = p + coord! {x: len * a.cos(), y: len * a.sin()};
                pts.push(p);
            }
            LineString::new(pts)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn lanes_stay_near_the_river_and_do_not_cross_themselves(
        cl in centreline_strategy(),
        width_m in 1.0f64..120.0,
        spacing_m in 3.0f64..60.0,
        extra in 0u32..3,
        turnaround_m in 0.0f64..50.0,
    ) {
        check_corridor(&cl, width_m, spacing_m, extra, turnaround_m);
    }
}

/// A 20 km river sampled every 5 m (4001 points), meandering with 60 m radius bends.
#[test]
fn long_river_stays_fast() {
    let cl: LineString<f64> = (0..=4000)
        .map(|i| {
            let x = i as f64 * 5.0;
            (x, 150.0 * (std::f64::consts::TAU * x / 600.0).sin())
        })
        .collect::<Vec<_>>()
        .into();
    let started = std::time::Instant::now();
    let t = corridor_transects(
        &cl,
        100.0,
        25.0,
        30.0,
        &CorridorOptions {
            extra_lanes_per_bank: 1,
        },
    )
    .unwrap();
    let elapsed = started.elapsed();
    let vertices: usize = t.iter().map(|t| t.path.len()).sum();
    println!(
        "20 km river, {} lanes, {vertices} lane vertices in {:.2} s",
        t.len(),
        elapsed.as_secs_f64()
    );
    assert_eq!(t.len(), 6);
    for tr in &t {
        assert!(tr.path.len() < 2 * cl.0.len());
    }
}

/// Random walks turning up to 120° at each vertex: rivers that may come back near
/// themselves, where a lane may legitimately cross or close on itself (see
/// `narrow_meander_neck_keeps_the_loop`), so only the distance bounds are checked.
fn winding_strategy() -> impl Strategy<Value = LineString<f64>> {
    prop::collection::vec((2.0f64..150.0, -120.0f64..120.0), 1..14).prop_map(|legs| {
        let mut p = coord! {x: 0.0, y: 0.0};
        let mut heading = 0.0f64;
        let mut pts = vec![p];
        for (len, turn_deg) in legs {
            heading += turn_deg.to_radians();
            p = p + coord! {x: len * heading.cos(), y: len * heading.sin()};
            pts.push(p);
        }
        LineString::new(pts)
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 300,
        max_global_rejects: 100_000,
        ..ProptestConfig::default()
    })]

    #[test]
    fn lanes_of_winding_rivers_stay_near_the_river(
        cl in winding_strategy(),
        width_m in 1.0f64..120.0,
        spacing_m in 3.0f64..60.0,
        extra in 0u32..3,
        turnaround_m in 0.0f64..50.0,
    ) {
        let options = CorridorOptions { extra_lanes_per_bank: extra };
        let result = corridor_transects(&cl, width_m, spacing_m, turnaround_m, &options);
        if let Err(PlanError::BadGeometry { what }) = &result {
            prop_assume!(!what.contains("crosses itself"));
        }
        let transects = result.expect("a river that does not cross itself plans");
        let offsets = lane_offsets_m(width_m, spacing_m, extra);
        prop_assert!(!transects.is_empty() && transects.len() <= offsets.len());
        for &d in &offsets {
            let lane = offset_lane(&cl.0, d);
            prop_assert!(max_dist(&cl, &lane) <= d.abs() + LANE_TOL_M);
        }
        let half = offsets[0].abs();
        for t in &transects {
            prop_assert!(max_dist(&cl, &t.path) <= half + LANE_TOL_M);
            prop_assert!(dist(&cl, t.turn_in) <= half + LANE_TOL_M + turnaround_m + 1e-9);
            prop_assert!(dist(&cl, t.turn_out) <= half + LANE_TOL_M + turnaround_m + 1e-9);
        }
    }
}
