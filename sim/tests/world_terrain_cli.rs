//! `sim write-dem`: the valley world's relief as a GeoTIFF that reads back as the valley;
//! a flat world refuses.

use std::path::PathBuf;
use std::process::Command;

use qly_core::geodesy::GeoPoint;
use qly_core::terrain::{read_dem_file, DatumChoice, SyntheticValley, Terrain, ValleySpec};
use sim::world::Corridor;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn write_dem_exports_the_valley_and_refuses_a_flat_world() {
    let corridor = repo().join("missions/sample-corridor.geojson");
    let dir = std::env::temp_dir().join(format!("qly-write-dem-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("valley.tif");
    let run = |extra: &[&str]| {
        let mut args = vec![
            "write-dem",
            "--corridor",
            corridor.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--relief-margin-m",
            "100",
            "--relief-cell-m",
            "4",
        ];
        args.extend_from_slice(extra);
        Command::new(env!("CARGO_BIN_EXE_sim"))
            .args(&args)
            .output()
            .unwrap()
    };
    let flat = run(&[]);
    assert!(!flat.status.success());
    let err = String::from_utf8_lossy(&flat.stderr);
    assert!(
        err.contains("flat") && err.contains("--terrain valley"),
        "{err}"
    );

    let ok = run(&["--terrain", "valley"]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    println!("{}", String::from_utf8_lossy(&ok.stdout));
    let dem = read_dem_file(&out, DatumChoice::FromFile).unwrap();
    let text = std::fs::read_to_string(&corridor).unwrap();
    let c = Corridor::from_geojson(&text, "sample").unwrap();
    let valley = SyntheticValley::new(&c.centreline, ValleySpec::default()).unwrap();
    // Along the river (inside the exported box, away from meander medial lines): the
    // exported heights are the valley's.
    let g = *dem.georef();
    let mut close = 0;
    let total = 40;
    for k in 0..total {
        let p = c.centreline[k * (c.centreline.len() - 1) / total];
        let col = ((p.lon_deg - g.west_lon_deg) / g.lon_step_deg) as usize;
        let row = ((g.north_lat_deg - p.lat_deg) / g.lat_step_deg) as usize;
        let centre = GeoPoint::new(
            g.north_lat_deg - (row as f64 + 0.5) * g.lat_step_deg,
            g.west_lon_deg + (col as f64 + 0.5) * g.lon_step_deg,
        )
        .unwrap();
        let h = f64::from(dem.grid().get(col, row).unwrap());
        close += usize::from((h - valley.height_amsl_m(centre).unwrap()).abs() < 0.1);
    }
    assert!(close >= total - 1, "{close} of {total} within 0.1 m");
    std::fs::remove_dir_all(&dir).ok();
}
