//! `review ingest` and `review sites` through the binary, on the embedded store (the store's
//! own tests cover PostgreSQL): a flight goes in once, a second ingest changes nothing, the
//! sites list and export, a bad store URL and a missing site are refused by name.

use std::path::Path;
use std::process::{Command, Output};

fn review(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_review"))
        .args(args)
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn os(s: &str) -> &std::ffi::OsStr {
    s.as_ref()
}

fn p(p: &Path) -> &std::ffi::OsStr {
    p.as_os_str()
}

#[test]
fn ingest_twice_then_list_and_export_the_sites() {
    let tmp = tempfile::tempdir().unwrap();
    let flight = tmp.path().join("flight");
    review::fixture::write_flight(
        &flight,
        &review::fixture::FixtureOptions {
            min_sightings: Some(1),
            ..Default::default()
        },
    )
    .unwrap();
    let store = tmp.path().join("store.sqlite");
    let store_url = format!("sqlite:{}", store.display());
    let ingest = || {
        review(&[
            os("ingest"),
            p(&flight),
            os("--store"),
            os(&store_url),
            os("--river"),
            os("Yangshui"),
        ])
    };
    let o = ingest();
    assert!(o.status.success(), "{}", text(&o));
    let t = text(&o);
    assert!(
        t.contains(&format!("flight {} stored", review::fixture::FLIGHT_ID)),
        "{t}"
    );
    // The fixture's three candidates: two outfalls and a plume 35 m away from both.
    assert!(t.contains("3 candidates (3 confirmed): 3 new sites"), "{t}");
    let o = ingest();
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("already in"), "{}", text(&o));

    let gj = tmp.path().join("sites.geojson");
    let csv = tmp.path().join("sites.csv");
    let o = review(&[
        os("sites"),
        os("--store"),
        os(&store_url),
        os("--river"),
        os("Yangshui"),
        os("--new"),
        os("--geojson"),
        p(&gj),
        os("--csv"),
        p(&csv),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("3 site(s)"), "{t}");
    assert!(t.contains(review::fixture::FLIGHT_ID), "{t}");
    let fc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&gj).unwrap()).unwrap();
    assert_eq!(fc["features"].as_array().unwrap().len(), 3);
    assert_eq!(std::fs::read_to_string(&csv).unwrap().lines().count(), 4);

    let o = review(&[
        os("sites"),
        os("--store"),
        os(&store_url),
        os("--timeline"),
        os("1"),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("site 1: 1 flight(s)"), "{}", text(&o));
    assert!(text(&o).contains(".jpg"), "{}", text(&o));

    let o = review(&[
        os("sites"),
        os("--store"),
        os(&store_url),
        os("--timeline"),
        os("99"),
    ]);
    assert!(!o.status.success());
    assert!(text(&o).contains("no site 99"), "{}", text(&o));
    let o = review(&[
        os("sites"),
        os("--store"),
        p(&tmp.path().join("typo.sqlite")),
    ]);
    assert!(!o.status.success());
    assert!(text(&o).contains("no store there"), "{}", text(&o));
    assert!(!tmp.path().join("typo.sqlite").exists());
    let o = review(&[os("sites"), os("--store"), os("mysql://x/y")]);
    assert!(!o.status.success());
    assert!(text(&o).contains("unknown scheme"), "{}", text(&o));
}
