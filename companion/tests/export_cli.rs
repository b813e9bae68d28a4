//! `companion export` on a journal with nothing readable in it refuses, names the file, and
//! leaves earlier exports alone; a minimum of zero sightings is refused.

use std::process::Command;

#[test]
fn export_of_a_journal_without_readable_records_refuses_and_keeps_earlier_exports() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.qlj");
    // A torn first frame: a header promising more bytes than follow.
    std::fs::write(&journal, b"qj1 400 00000000 {\"kind\":\"fra").unwrap();
    let earlier = dir.path().join("candidates.geojson");
    std::fs::write(
        &earlier,
        b"{\"type\":\"FeatureCollection\",\"features\":[1]}",
    )
    .unwrap();

    let out = Command::new(env!("CARGO_BIN_EXE_companion"))
        .args(["export", journal.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("journal.qlj") && stderr.contains("no readable records"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read(&earlier).unwrap(),
        b"{\"type\":\"FeatureCollection\",\"features\":[1]}"
    );
    assert!(!dir.path().join("candidates.gpkg").exists());
}

#[test]
fn export_refuses_a_minimum_of_zero_sightings() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.qlj");
    std::fs::write(&journal, b"").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_companion"))
        .args(["export", journal.to_str().unwrap(), "--min-sightings", "0"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("--min-sightings") && stderr.contains("0 is not in 1.."),
        "{stderr}"
    );
}
