//! `review export` and `review verify` through the binary: a package verifies; a changed
//! byte, a deleted file, an added file and an edited manifest are each named.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{json, Value};

fn review(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_review"))
        // English whatever the machine's locale: these tests read the English messages.
        .env("LC_ALL", "C.UTF-8")
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

/// A flight, decisions confirming 1 and 3 and rejecting 2, and the exported package.
fn package(tmp: &Path) -> (PathBuf, PathBuf) {
    let flight = tmp.join("flight");
    review::fixture::write_flight(&flight, &Default::default()).unwrap();
    let decisions = tmp.join("decisions.json");
    std::fs::write(
        &decisions,
        json!({"format": "qly-decisions-1", "decisions": [
            {"candidate_id": 1, "revision": 2, "decision": "confirmed", "decided_utc": "2027-01-15T10:00:00.000Z"},
            {"candidate_id": 2, "decision": "rejected"},
            {"candidate_id": 3, "decision": "confirmed"}]})
        .to_string(),
    )
    .unwrap();
    let out = tmp.join("evidence");
    let o = review(&[
        "export".as_ref(),
        flight.as_os_str(),
        "--decisions".as_ref(),
        decisions.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--inspector".as_ref(),
        "Li Wei (0427)".as_ref(),
        "--aircraft".as_ref(),
        "M300 RTK SN 1ZNBJ7".as_ref(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    (flight, out)
}

fn verify(dir: &Path) -> (bool, String) {
    let o = review(&["verify".as_ref(), dir.as_os_str()]);
    (o.status.success(), text(&o))
}

#[test]
fn an_exported_package_holds_the_confirmed_candidates_and_verifies() {
    let tmp = tempfile::tempdir().unwrap();
    let (flight, out) = package(tmp.path());
    let (ok, report) = verify(&out);
    assert!(ok, "{report}");
    assert!(report.contains("OK"), "{report}");

    // Frames are byte copies of the originals.
    for f in ["frames/1.jpg", "frames/2.jpg", "frames/5.jpg"] {
        assert_eq!(
            std::fs::read(out.join(f)).unwrap(),
            std::fs::read(flight.join(f)).unwrap(),
            "{f}"
        );
    }
    assert!(
        !out.join("frames/4.jpg").exists(),
        "rejected candidate 2's frame was copied"
    );
    for f in [
        "crops/candidate-1.jpg",
        "crops/candidate-3.jpg",
        "candidates.geojson",
        "sightings.geojson",
        "candidates.gpkg",
        "candidates.kml",
        "candidates.csv",
    ] {
        assert!(out.join(f).is_file(), "{f}");
    }
    let crop = image::open(out.join("crops/candidate-1.jpg")).unwrap();
    assert!(crop.width() > 40 && crop.height() > 40);

    let geo: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("candidates.geojson")).unwrap())
            .unwrap();
    let ids: Vec<i64> = geo["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![1, 3]);
    let csv = std::fs::read_to_string(out.join("candidates.csv")).unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(
        csv.lines()
            .nth(1)
            .unwrap()
            .starts_with("1,outfall,2027-01-15T08:00:04.000Z,2027-01-15T16:00:04.000+08:00,"),
        "{csv}"
    );
    let kml = std::fs::read_to_string(out.join("candidates.kml")).unwrap();
    assert_eq!(kml.matches("<Placemark").count(), 2);

    // The field inspection record.
    let m: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    let entries = m["entries"].as_array().unwrap();
    assert_eq!(entries[0]["kind"], "package");
    assert_eq!(
        entries[0]["prev_sha256"],
        review::evidence::manifest::GENESIS_SHA256
    );
    let c1 = entries
        .iter()
        .find(|e| e["kind"] == "candidate" && e["candidate_id"] == 1)
        .unwrap();
    assert_eq!(c1["time_utc"], "2027-01-15T08:00:04.000Z");
    assert_eq!(c1["time_local"], "2027-01-15T16:00:04.000+08:00");
    assert_eq!(c1["photo_file"], "frames/2.jpg");
    assert_eq!(c1["confirmed_by"], "Li Wei (0427)");
    assert_eq!(c1["aircraft"], "M300 RTK SN 1ZNBJ7");
    assert_eq!(c1["height_above_ground_m"], 80.0);
    assert_eq!(c1["sightings"], 2);
    assert_eq!(c1["class"], "outfall");
    assert_eq!(c1["decided_utc"], "2027-01-15T10:00:00.000Z");
    assert!(c1["predicted_error"]["ce90_m"].as_f64().unwrap() > 0.0);
    // GCJ-02 in China is a few hundred metres off WGS-84.
    let dlat = c1["lat_gcj02_deg"].as_f64().unwrap() - c1["lat_wgs84_deg"].as_f64().unwrap();
    let dlon = c1["lon_gcj02_deg"].as_f64().unwrap() - c1["lon_wgs84_deg"].as_f64().unwrap();
    assert!(dlat.abs() + dlon.abs() > 1e-3, "{dlat} {dlon}");
    assert_eq!(
        c1["photo_sha256"],
        review::evidence::manifest::sha256_hex(
            &std::fs::read(flight.join("frames/2.jpg")).unwrap()
        )
    );
    // Every file is listed once.
    let files: Vec<&str> = entries
        .iter()
        .filter(|e| e["kind"] == "file")
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(files.len(), 10, "{files:?}");
}

#[test]
fn a_changed_byte_in_a_frame_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, out) = package(tmp.path());
    let f = out.join("frames/2.jpg");
    let mut b = std::fs::read(&f).unwrap();
    let mid = b.len() / 2;
    b[mid] ^= 0x01;
    std::fs::write(&f, b).unwrap();
    let (ok, report) = verify(&out);
    assert!(!ok, "{report}");
    assert!(report.contains("MODIFIED frames/2.jpg"), "{report}");
    assert_eq!(report.matches("MODIFIED").count(), 1, "{report}");
}

#[test]
fn a_deleted_file_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, out) = package(tmp.path());
    std::fs::remove_file(out.join("crops/candidate-3.jpg")).unwrap();
    let (ok, report) = verify(&out);
    assert!(!ok);
    assert!(report.contains("MISSING crops/candidate-3.jpg"), "{report}");
}

#[test]
fn an_added_file_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, out) = package(tmp.path());
    std::fs::write(out.join("frames/extra.jpg"), b"not evidence").unwrap();
    let (ok, report) = verify(&out);
    assert!(!ok);
    assert!(report.contains("ADDED frames/extra.jpg"), "{report}");
}

#[test]
fn an_edited_manifest_breaks_the_chain_at_the_edited_entry() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, out) = package(tmp.path());
    let mp = out.join("manifest.json");
    let mut m: Value = serde_json::from_str(&std::fs::read_to_string(&mp).unwrap()).unwrap();
    // Move candidate 1 by about 10 m: the files still match, the record does not.
    let entries = m["entries"].as_array_mut().unwrap();
    let i = entries
        .iter()
        .position(|e| e["kind"] == "candidate" && e["candidate_id"] == 1)
        .unwrap();
    let lat = entries[i]["lat_wgs84_deg"].as_f64().unwrap();
    entries[i]["lat_wgs84_deg"] = json!(lat + 1e-4);
    std::fs::write(&mp, serde_json::to_string_pretty(&m).unwrap()).unwrap();
    let (ok, report) = verify(&out);
    assert!(!ok);
    assert!(
        report.contains(&format!("CHAIN BROKEN at manifest entry {i} (candidate 1)")),
        "{report}"
    );
    assert!(report.contains("edited"), "{report}");

    // Removing a file's entry (to hide a file) breaks the link of the entry after it.
    let (_, out2) = {
        let t2 = tmp.path().join("second");
        std::fs::create_dir_all(&t2).unwrap();
        package(&t2)
    };
    let mp = out2.join("manifest.json");
    let mut m: Value = serde_json::from_str(&std::fs::read_to_string(&mp).unwrap()).unwrap();
    let entries = m["entries"].as_array_mut().unwrap();
    let j = entries.iter().position(|e| e["kind"] == "file").unwrap();
    entries.remove(j);
    std::fs::write(&mp, serde_json::to_string_pretty(&m).unwrap()).unwrap();
    let (ok, report) = verify(&out2);
    assert!(!ok);
    assert!(
        report.contains(&format!("CHAIN BROKEN at manifest entry {j}")),
        "{report}"
    );
    assert!(report.contains("ADDED"), "{report}");
}

#[test]
fn an_existing_non_empty_evidence_folder_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (flight, out) = package(tmp.path());
    let o = review(&[
        "export".as_ref(),
        flight.as_os_str(),
        "--decisions".as_ref(),
        tmp.path().join("decisions.json").as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--inspector".as_ref(),
        "x".as_ref(),
        "--aircraft".as_ref(),
        "y".as_ref(),
    ]);
    assert!(!o.status.success());
    assert!(text(&o).contains("must be new or empty"), "{}", text(&o));
}

/// GDAL reads the KML and the GeoPackage (skipped without `ogrinfo`, failing under `CI`).
#[test]
fn gdal_reads_the_kml_and_the_geopackage() {
    if Command::new("ogrinfo").arg("--version").output().is_err() {
        assert!(std::env::var_os("CI").is_none(), "ogrinfo missing under CI");
        eprintln!("SKIPPED: ogrinfo not found (scripts/setup-env.sh installs gdal-bin)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (_, out) = package(tmp.path());
    for (file, layer) in [
        ("candidates.kml", None),
        ("candidates.gpkg", Some("candidates")),
    ] {
        let mut cmd = Command::new("ogrinfo");
        cmd.args(["-ro", "-al", "-so"]).arg(out.join(file));
        if let Some(l) = layer {
            cmd.arg(l);
        }
        let o = cmd.output().unwrap();
        let t = text(&o);
        assert!(o.status.success(), "{t}");
        assert!(t.contains("Feature Count: 2"), "{file}: {t}");
    }
}

/// `review keygen --out FILE --signer NAME`: the office's key pair.
fn keygen(dir: &Path, name: &str, signer: &str) -> (PathBuf, PathBuf) {
    let key = dir.join(format!("{name}.key"));
    let o = review(&[
        "keygen".as_ref(),
        "--out".as_ref(),
        key.as_os_str(),
        "--signer".as_ref(),
        signer.as_ref(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    (key.clone(), key.with_extension("pub"))
}

/// The package of [`package`], exported again signed with `key` into `name`.
fn signed_package(tmp: &Path, key: &Path, name: &str) -> PathBuf {
    let (flight, _) = package(&tmp.join(format!("{name}-src")));
    let out = tmp.join(name);
    let o = review(&[
        "export".as_ref(),
        flight.as_os_str(),
        "--decisions".as_ref(),
        tmp.join(format!("{name}-src/decisions.json")).as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--inspector".as_ref(),
        "Li Wei (0427)".as_ref(),
        "--aircraft".as_ref(),
        "M300 RTK SN 1ZNBJ7".as_ref(),
        "--signing-key".as_ref(),
        key.as_os_str(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("signed by 'Kaiyang EEB'"), "{}", text(&o));
    out
}

fn verify_with(dir: &Path, public: &Path) -> (bool, String) {
    let o = review(&[
        "verify".as_ref(),
        dir.as_os_str(),
        "--public-key".as_ref(),
        public.as_os_str(),
    ]);
    (o.status.success(), text(&o))
}

#[test]
fn a_signed_package_names_its_signer_and_an_unsigned_one_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let (key, public) = keygen(tmp.path(), "office", "Kaiyang EEB");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the secret key is private");
    }
    std::fs::create_dir_all(tmp.path().join("a-src")).unwrap();
    let out = signed_package(tmp.path(), &key, "a");
    let (ok, report) = verify_with(&out, &public);
    assert!(ok, "{report}");
    assert!(report.contains("SIGNED by 'Kaiyang EEB'"), "{report}");
    // Without a trusted key: the signature is reported, but as unchecked.
    let (ok, report) = verify(&out);
    assert!(ok, "{report}");
    assert!(report.contains("SIGNED BUT UNCHECKED"), "{report}");
    // An unsigned package says so, and fails when a signature is required.
    std::fs::create_dir_all(tmp.path().join("plain")).unwrap();
    let (_, unsigned) = package(&tmp.path().join("plain"));
    let (ok, report) = verify(&unsigned);
    assert!(ok && report.contains("UNSIGNED"), "{report}");
    let (ok, report) = verify_with(&unsigned, &public);
    assert!(!ok && report.contains("unsigned"), "{report}");
}

#[test]
fn a_tampered_and_rechained_package_and_a_wrong_key_are_caught() {
    let tmp = tempfile::tempdir().unwrap();
    let (key, public) = keygen(tmp.path(), "office", "Kaiyang EEB");
    std::fs::create_dir_all(tmp.path().join("a-src")).unwrap();
    let out = signed_package(tmp.path(), &key, "a");
    // The forger moves candidate 1 and rebuilds the whole chain, as anyone can.
    let mp = out.join("manifest.json");
    let mut m: Value = serde_json::from_str(&std::fs::read_to_string(&mp).unwrap()).unwrap();
    let mut bodies: Vec<serde_json::Map<String, Value>> = m["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_object().unwrap().clone())
        .collect();
    let i = bodies
        .iter()
        .position(|e| e["kind"] == "candidate" && e["candidate_id"] == 1)
        .unwrap();
    let lat = bodies[i]["lat_wgs84_deg"].as_f64().unwrap();
    bodies[i].insert("lat_wgs84_deg".into(), json!(lat + 1e-4));
    let head = review::evidence::manifest::chain(&mut bodies);
    m["entries"] = Value::Array(bodies.into_iter().map(Value::Object).collect());
    m["head_sha256"] = json!(head);
    std::fs::write(&mp, serde_json::to_string_pretty(&m).unwrap()).unwrap();
    // The chain alone is now consistent again...
    let (_, report) = verify(&out);
    assert!(!report.contains("CHAIN BROKEN"), "{report}");
    // ...but the signature does not cover the new head, checked or not.
    assert!(report.contains("SIGNATURE INVALID"), "{report}");
    let (ok, report) = verify_with(&out, &public);
    assert!(!ok, "{report}");
    assert!(report.contains("changed after it was signed"), "{report}");

    // A package signed by another key under the office's name fails against the office's
    // public key, and names the key it was signed with.
    let (other_key, other_public) = keygen(tmp.path(), "forger", "Kaiyang EEB");
    std::fs::create_dir_all(tmp.path().join("b-src")).unwrap();
    let forged = signed_package(tmp.path(), &other_key, "b");
    let (ok, report) = verify_with(&forged, &public);
    assert!(!ok, "{report}");
    assert!(report.contains("none of the trusted keys"), "{report}");
    assert!(verify_with(&forged, &other_public).0);
    // Keys are never overwritten, and a bad key file is named.
    let o = review(&[
        "keygen".as_ref(),
        "--out".as_ref(),
        key.as_os_str(),
        "--signer".as_ref(),
        "x".as_ref(),
    ]);
    assert!(
        !o.status.success() && text(&o).contains("already exists"),
        "{}",
        text(&o)
    );
    let (ok, report) = verify_with(&out, &key);
    assert!(!ok && report.contains("--public-key"), "{report}");
}
