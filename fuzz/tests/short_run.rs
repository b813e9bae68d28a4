//! The short seeded fuzz run of CI: every target on a fixed number of mutated inputs (the
//! same ones every run: the seed is fixed), the committed regression inputs, and a check
//! that the seeds are valid inputs (a seed the parser refuses would fuzz only its first
//! check). Longer runs: `fuzz/run.sh TARGET SECONDS` (see fuzz/README.md).
//!
//! `QLY_FUZZ_INPUTS` changes the inputs per target (default 300), `QLY_FUZZ_SEED` the seed.

use std::path::{Path, PathBuf};
use std::time::Duration;

use qly_fuzz::{driver, Campaign, Inputs};

fn fuzz_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn campaign(target: &str, inputs: Inputs) -> Campaign {
    Campaign {
        target: target.into(),
        inputs,
        corpus_dir: fuzz_dir().join("corpus").join(target),
        // Generous for a loaded 2-core machine and a debug build; a real hang runs forever.
        timeout: Duration::from_secs(60),
        memory_limit: 2 << 30,
        budget: None,
        findings_dir: std::env::var_os("QLY_FUZZ_FINDINGS").map(PathBuf::from),
        exe: PathBuf::from(env!("CARGO_BIN_EXE_qly-fuzz")),
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    v.retain(|p| p.is_file());
    v.sort();
    v
}

/// Runs `target` on the seeded inputs, then on its corpus and regression files as they are.
fn short_run(target: &str) {
    let count = env_u64("QLY_FUZZ_INPUTS", 300);
    let seed = env_u64("QLY_FUZZ_SEED", 20_261_207);
    let report = driver::run(&campaign(target, Inputs::Mutated { seed, count })).unwrap();
    eprintln!(
        "{target}: {} mutated inputs in {:.1} s, {} finding(s)",
        report.inputs_run,
        report.elapsed.as_secs_f64(),
        report.findings.len()
    );
    assert_eq!(report.inputs_run, count);
    assert!(
        report.findings.is_empty(),
        "{target}: findings (reproduce with `qly-fuzz run {target} --seed {seed} --inputs N`): {:#?}",
        report
            .findings
            .iter()
            .map(|f| (f.index, &f.kind, f.input.len()))
            .collect::<Vec<_>>()
    );
    let mut files = files_in(&fuzz_dir().join("corpus").join(target));
    assert!(
        !files.is_empty(),
        "{target}: no seeds in fuzz/corpus/{target}"
    );
    files.extend(files_in(&fuzz_dir().join("regressions").join(target)));
    let n = files.len() as u64;
    let report = driver::run(&campaign(target, Inputs::Files(files))).unwrap();
    assert_eq!(report.inputs_run, n);
    assert!(
        report.findings.is_empty(),
        "{target}: a seed or regression input fails: {:#?}",
        report.findings
    );
}

macro_rules! short_runs {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                short_run(stringify!($name));
            }
        )*

        #[test]
        fn every_target_has_a_short_run() {
            let tested = [$(stringify!($name)),*];
            for t in qly_fuzz::targets() {
                assert!(tested.contains(&t.name), "target {} has no short run", t.name);
            }
        }
    };
}

short_runs!(
    geojson,
    kml,
    qgc_plan,
    wpl,
    geotiff,
    jpeg_meta,
    journal,
    tlog,
    manifest,
    mavlink_sim,
    mavlink_companion,
);

fn seed(target: &str, name: &str) -> Vec<u8> {
    std::fs::read(fuzz_dir().join("corpus").join(target).join(name)).unwrap()
}

fn text(target: &str, name: &str) -> String {
    String::from_utf8(seed(target, name)).unwrap()
}

/// The seeds are inputs the parsers accept, so mutations start from deep inside them.
#[test]
fn seeds_are_valid_inputs() {
    use planner::input::from_text;
    for name in ["corridor.geojson", "area.geojson"] {
        from_text::geojson(name, &text("geojson", name), None).unwrap();
    }
    for name in ["corridor.kml", "area.kml", "area-folders.kml"] {
        from_text::kml(name, &text("kml", name), None).unwrap();
    }
    for name in ["corridor.plan", "area.plan"] {
        from_text::plan_survey(name, &text("qgc_plan", name), None).unwrap();
        from_text::plan_mission(name, &text("qgc_plan", name)).unwrap();
    }
    for name in ["corridor.waypoints", "area.waypoints"] {
        from_text::wpl(name, &text("wpl", name)).unwrap();
    }
    qly_core::terrain::parse_geotiff(
        &seed("geotiff", "valley.tif"),
        "valley.tif",
        qly_core::terrain::DatumChoice::FromFile,
    )
    .unwrap();
    companion::photo_meta::photo_pose(
        &seed("jpeg_meta", "m3e.jpg"),
        "m3e.jpg",
        &Default::default(),
    )
    .unwrap();
    let scan = qly_flight::journal::frame::scan(&seed("journal", "three-records.qlj"));
    assert_eq!((scan.records.len(), scan.damage.len()), (3, 0));
    let (records, _) = qly_link::tlog::read_tlog(&seed("tlog", "flight.tlog")).unwrap();
    assert_eq!(records.len(), 6);
    for (target, name, frames) in [
        ("mavlink_sim", "gcs-session.bin", 12),
        ("mavlink_companion", "autopilot.bin", 11),
    ] {
        let mut dec = qly_link::frame::Decoder::new(true, None);
        dec.push(&seed(target, name));
        let mut n = 0;
        while dec.next_frame().is_some() {
            n += 1;
        }
        assert_eq!(n, frames, "{target}/{name}");
    }
}
