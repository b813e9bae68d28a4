//! Writes the synthetic contest samples `missions/targets-sample*.geojson` (run once from the
//! repository root with `cargo run -p review --example make_target_samples`; the outputs are
//! committed). Targets sit along the SYNTHETIC corridor of `missions/sample-corridor.geojson`;
//! three teams report them: alpha (good, times in seconds), bravo (a duplicate, a report
//! beyond 15 m, an unknown class, ISO 8601 times), charlie (read off a GCJ-02 map).

use anyhow::{bail, Context, Result};
use qly_core::datum::gcj02_from_wgs84;
use qly_core::geodesy::GeoPoint;
use serde_json::{json, Value};

const CORRIDOR: &str = "missions/sample-corridor.geojson";
const START: &str = "2026-05-01T09:00:00+08:00";
/// The start as seconds of the local day, to write bravo's ISO times.
const START_H: u64 = 9;

fn centreline() -> Result<Vec<GeoPoint>> {
    let text = std::fs::read_to_string(CORRIDOR)
        .with_context(|| format!("{CORRIDOR}: cannot read (run from the repository root)"))?;
    let v: Value = serde_json::from_str(&text)?;
    let Some(coords) = v
        .pointer("/features/0/geometry/coordinates")
        .and_then(Value::as_array)
    else {
        bail!("{CORRIDOR}: no LineString coordinates in the first feature");
    };
    coords
        .iter()
        .map(|c| {
            let lon = c.get(0).and_then(Value::as_f64);
            let lat = c.get(1).and_then(Value::as_f64);
            match (lon, lat) {
                (Some(lon), Some(lat)) => Ok(GeoPoint::new(lat, lon)?),
                _ => bail!("{CORRIDOR}: bad coordinate {c}"),
            }
        })
        .collect()
}

fn round7(x: f64) -> f64 {
    (x * 1e7).round() / 1e7
}

fn point(p: GeoPoint, props: Value) -> Value {
    json!({
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [round7(p.lon_deg), round7(p.lat_deg)]},
        "properties": props,
    })
}

fn write(path: &str, name: &str, note: &str, features: Vec<Value>) -> Result<()> {
    let fc = json!({"type": "FeatureCollection", "name": name, "note": note, "features": features});
    std::fs::write(path, serde_json::to_string_pretty(&fc)? + "\n")
        .with_context(|| format!("{path}: cannot write"))?;
    println!("wrote {path}");
    Ok(())
}

fn iso(seconds_after_start: u64) -> String {
    let s = START_H * 3600 + seconds_after_start;
    format!(
        "2026-05-01T{:02}:{:02}:{:02}+08:00",
        s / 3600,
        (s / 60) % 60,
        s % 60
    )
}

fn main() -> Result<()> {
    let line = centreline()?;
    // (vertex, metres left of the flow (+) or right (-), class)
    let spec = [
        (12, 28.0, "outfall"),
        (36, -27.0, "outfall"),
        (60, 0.0, "plume"),
        (84, 29.0, "outfall"),
        (108, 5.0, "plume"),
        (132, -28.0, "outfall"),
        (156, 27.0, "outfall"),
        (180, -3.0, "plume"),
    ];
    let mut targets = Vec::new();
    for (i, (vertex, left_m, class)) in spec.iter().enumerate() {
        let (Some(a), Some(b)) = (line.get(*vertex), line.get(vertex + 1)) else {
            bail!("{CORRIDOR}: fewer than {} vertices", vertex + 2);
        };
        let p = a.destination(a.bearing_deg(*b) - 90.0, *left_m);
        targets.push((format!("T{}", i + 1), p, *class));
    }
    let note =
        "SYNTHETIC contest sample made by review/examples/make_target_samples.rs; not a real site";
    write(
        "missions/targets-sample.geojson",
        "targets-sample",
        note,
        targets
            .iter()
            .map(|(id, p, class)| point(*p, json!({"id": id, "class": class})))
            .collect(),
    )?;
    let near = |t: usize, d_m: f64, bearing: f64| targets[t].1.destination(bearing, d_m);
    let class = |t: usize| targets[t].2;

    // alpha: seven finds, one report 60 m off T8; times in seconds.
    let mut alpha = Vec::new();
    for (k, (t, d, b, time)) in [
        (0, 2.1, 40.0, 190),
        (1, 3.4, 200.0, 320),
        (2, 1.2, 90.0, 450),
        (3, 6.5, 310.0, 610),
        (4, 4.0, 10.0, 780),
        (5, 8.8, 130.0, 950),
        (6, 2.9, 250.0, 1130),
        (7, 60.0, 0.0, 1290),
    ]
    .into_iter()
    .enumerate()
    {
        alpha.push(point(
            near(t, d, b),
            json!({"id": format!("a{}", k + 1), "class": class(t), "time": time}),
        ));
    }
    write(
        "missions/targets-sample-alpha.geojson",
        "alpha",
        note,
        alpha,
    )?;

    // bravo: five finds, a duplicate of its T4 report, a report 18 m from T2, an "oil" class;
    // ISO 8601 times (need --start).
    let mut bravo = Vec::new();
    for (id, t, d, b, cls, time) in [
        ("b1", 0, 4.5, 100.0, class(0), 300),
        ("b2", 1, 18.0, 20.0, class(1), 420),
        ("b3", 2, 11.0, 280.0, class(2), 560),
        ("b4", 3, 3.0, 170.0, class(3), 700),
        ("b5", 4, 2.0, 60.0, "oil", 820),
        ("b6", 5, 7.5, 330.0, class(5), 990),
        ("b7", 7, 5.5, 210.0, class(7), 1500),
    ] {
        bravo.push(point(
            near(t, d, b),
            json!({"id": id, "class": cls, "time": iso(time)}),
        ));
    }
    let dup = near(3, 3.0, 170.0).destination(80.0, 0.4);
    bravo.push(point(
        dup,
        json!({"id": "b4-again", "class": class(3), "time": iso(760)}),
    ));
    write(
        "missions/targets-sample-bravo.geojson",
        "bravo",
        note,
        bravo,
    )?;

    // charlie: six finds, coordinates in GCJ-02 (score with --datum charlie=gcj02).
    let mut charlie = Vec::new();
    for (k, (t, d, b, time)) in [
        (0, 2.0, 300.0, 400),
        (1, 5.0, 45.0, 640),
        (2, 3.5, 180.0, 860),
        (3, 6.0, 90.0, 1100),
        (4, 2.5, 270.0, 1350),
        (5, 4.0, 0.0, 1700),
    ]
    .into_iter()
    .enumerate()
    {
        let gcj = gcj02_from_wgs84(near(t, d, b));
        charlie.push(point(
            gcj,
            json!({"id": format!("c{}", k + 1), "class": class(t), "time": time}),
        ));
    }
    write(
        "missions/targets-sample-charlie.geojson",
        "charlie",
        &format!("{note}; coordinates are GCJ-02"),
        charlie,
    )?;
    println!("contest start for bravo's ISO times: {START}");
    Ok(())
}
