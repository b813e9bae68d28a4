//! Planning time of whole surveys, and how close their flight paths come to the bound.
//!
//! `cargo bench -p planner --bench plan`. Before timing, each case prints its path length
//! over the lower bound (region area / lane spacing; goal <= 1.10 on corridors) and its
//! coverage; the 100 km corridor should plan in under 200 ms.

use std::hint::black_box;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};
use planner::plan::plan_survey;
use planner::survey::{AltitudeTarget, InputGeometry, PlaneCoord, SurveyInput, SurveyParams};
use qly_core::camera::CameraDatabase;
use qly_core::datum::Datum;
use qly_core::geodesy::{GeoPoint, LocalFrame};

fn frame() -> LocalFrame {
    LocalFrame::at(GeoPoint {
        lat_deg: 27.05,
        lon_deg: 106.95,
    })
}

fn to_geo(points: &[PlaneCoord]) -> Vec<GeoPoint> {
    let f = frame();
    points.iter().map(|p| f.unproject(p.x, p.y)).collect()
}

/// A river `length_m` long along its course: the heading swings +-50 degrees about east
/// with a 1.2 km period (tightest bend radius about 220 m), a vertex every 10 m.
fn meander(length_m: f64) -> Vec<PlaneCoord> {
    let step_m = 10.0;
    let (swing_rad, period_m) = (50f64.to_radians(), 1200.0);
    let mut p = PlaneCoord { x: 0.0, y: 0.0 };
    let mut pts = vec![p];
    let n = (length_m / step_m).round() as usize;
    for k in 0..n {
        let s = (k as f64 + 0.5) * step_m;
        let theta = swing_rad * (std::f64::consts::TAU * s / period_m).sin();
        p = PlaneCoord {
            x: p.x + step_m * theta.cos(),
            y: p.y + step_m * theta.sin(),
        };
        pts.push(p);
    }
    pts
}

fn corridor(length_m: f64) -> SurveyInput {
    SurveyInput {
        source: format!("bench meander {} km", length_m / 1000.0),
        name: None,
        geometry: InputGeometry::Centreline(to_geo(&meander(length_m))),
        exclusions: vec![],
        width_m: Some(60.0),
        datum: Datum::Wgs84,
        sites: vec![],
    }
}

/// A U: 2.5 x 2.5 km with a 1.25 x 1 km notch from the north, 5.0 km2.
fn concave_area() -> SurveyInput {
    let c = |x: f64, y: f64| PlaneCoord { x, y };
    let boundary = [
        c(0.0, 0.0),
        c(2500.0, 0.0),
        c(2500.0, 2500.0),
        c(1875.0, 2500.0),
        c(1875.0, 1500.0),
        c(625.0, 1500.0),
        c(625.0, 2500.0),
        c(0.0, 2500.0),
    ];
    SurveyInput {
        source: "bench concave area 5 km2".into(),
        name: None,
        geometry: InputGeometry::Area {
            boundary: to_geo(&boundary),
            holes: vec![],
        },
        exclusions: vec![],
        width_m: None,
        datum: Datum::Wgs84,
        sites: vec![],
    }
}

/// Mavic 3 Enterprise wide camera at 2 cm/px (75 m), 70 % side and 80 % front overlap.
fn params() -> SurveyParams {
    let camera = CameraDatabase::builtin()
        .find("DJI Mavic 3 Enterprise wide")
        .expect("built-in camera")
        .clone();
    SurveyParams {
        turnaround_m: 20.0,
        cruise_speed_m_s: 10.0,
        ..SurveyParams::new(camera, AltitudeTarget::Gsd { cm_per_px: 2.0 })
    }
}

fn report(name: &str, input: &SurveyInput, params: &SurveyParams) {
    let t0 = Instant::now();
    let plan = plan_survey(input, params).expect("bench input plans");
    let elapsed = t0.elapsed();
    let e = plan.estimate;
    eprintln!(
        "{name}: path {:.0} m / lower bound {:.0} m = {:.3}; covered {:.2} %, seen {:.2} %, \
         min {} photos/cell at {} m cells; {} lanes, {} photos; one plan {:.1} ms",
        e.path_length_m,
        e.lower_bound_m,
        e.path_length_m / e.lower_bound_m,
        plan.coverage.covered_pct,
        plan.coverage.seen_pct,
        plan.coverage.min_photos_per_cell,
        plan.coverage.cell_m,
        plan.transects.len(),
        e.photo_count,
        elapsed.as_secs_f64() * 1e3,
    );
}

fn bench(c: &mut Criterion) {
    let params = params();
    let cases = [
        ("corridor_10km", corridor(10_000.0)),
        ("corridor_100km", corridor(100_000.0)),
        ("area_5km2_concave", concave_area()),
    ];
    for (name, input) in &cases {
        report(name, input, &params);
    }
    let mut group = c.benchmark_group("plan_survey");
    group.sample_size(10);
    for (name, input) in &cases {
        group.bench_function(*name, |b| {
            b.iter(|| plan_survey(black_box(input), black_box(&params)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
