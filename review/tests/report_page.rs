//! The review page's content without a browser: nothing fetched, the map's layers and the
//! cards' data from what the flight folder holds, the photos placed on the map where their
//! poses put them, and an MBTiles basemap cut around the flight.

use std::path::Path;
use std::process::Command;

use qly_i18n::Lang;

use review::fixture::{write_flight, FixtureOptions, FRAME_COUNT, ORIGIN};
use review::flight::{read_flight, TrackSource};
use review::report::mercator::{self, flip_row, LatLonBox};
use review::report::{page_data, render_report, ReportOptions};
use serde_json::json;

#[test]
fn the_page_fetches_nothing_and_carries_plan_track_photos_and_candidates() {
    let tmp = tempfile::tempdir().unwrap();
    write_flight(tmp.path(), &FixtureOptions::default()).unwrap();
    let flight = read_flight(tmp.path()).unwrap();
    assert_eq!(flight.track_source, TrackSource::Telemetry);
    assert_eq!(flight.candidates().len(), 3);
    // Candidate 1 was journaled twice; the page shows revision 2.
    assert_eq!(flight.candidates()[0].revision, 2);
    let page = render_report(&flight, &ReportOptions::default());
    assert!(page.warnings.is_empty(), "{:?}", page.warnings);
    // Leaflet is inline, unchanged; its code names its website in a string (an attribution
    // link the page does not show), so the rest of the page is checked without it.
    let leaflet = include_str!("../assets/vendor/leaflet/leaflet.js");
    assert!(page.html.contains(leaflet));
    let html = &page.html.replace(leaflet, "");

    // Nothing is fetched from the network: no external script, style, image or font.
    for bad in [
        "src=\"http",
        "href=\"http",
        "<link",
        "@import",
        "url(http",
        "<script src",
    ] {
        assert!(!html.contains(bad), "{bad}");
    }

    let data = page_data(html).unwrap();
    let map = &data["map"];
    let lanes: Vec<_> = map["plan"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["kind"] == "lane")
        .collect();
    assert_eq!(lanes.len(), 2);
    // 15 tlog positions 10 m apart: none thinned away.
    assert_eq!(map["track"]["pts"].as_array().unwrap().len(), 15);
    assert_eq!(map["track"]["from_photos"], json!(false));
    assert_eq!(
        map["photos"].as_array().unwrap().len(),
        FRAME_COUNT as usize
    );
    // No flight header, so no calibration: no photo background.
    assert!(map["photo_tiles"].is_null());
    assert!(map["basemap"].is_null());

    let cands = data["candidates"].as_array().unwrap();
    assert_eq!(cands.len(), 3);
    assert_eq!(cands[0]["rev"], json!(2));
    assert!(cands.iter().all(|c| c["e"][0].as_f64().unwrap() > 0.0));
    assert_eq!(cands[0]["tc"], json!("2027-01-15T16:00:04.000+08:00"));
    assert!(cands[0]["glat"].as_f64().unwrap() != cands[0]["lat"].as_f64().unwrap());
    // Crop and frame thumbnails for each candidate, as files beside the page.
    let thumbs: Vec<&str> = page.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(thumbs.len(), 6, "{thumbs:?}");
    for c in cands {
        let crop = c["crop"].as_str().unwrap();
        let f = page.files.iter().find(|f| f.path == crop).unwrap();
        image::load_from_memory(&f.bytes).unwrap();
    }
    // The words the script puts on the cards come with the page.
    assert_eq!(data["labels"]["confirm"], json!("Confirm"));
    assert!(html.contains("GCJ-02"));
}

#[test]
fn the_page_follows_the_flights_confirmation_rule_and_names_candidates_across_flights() {
    let tmp = tempfile::tempdir().unwrap();
    let options = FixtureOptions {
        min_sightings: Some(2),
        ..Default::default()
    };
    write_flight(tmp.path(), &options).unwrap();
    let flight = read_flight(tmp.path()).unwrap();
    // Candidate 1 is seen in two photos, 2 and 3 in one each.
    let confirmed: Vec<u64> = flight.confirmed().map(|c| c.id).collect();
    assert_eq!(confirmed, vec![1]);
    let html = render_report(&flight, &ReportOptions::default()).html;
    assert!(
        html.contains("1 confirmed candidates (2 unconfirmed)"),
        "summary"
    );
    assert!(html.contains("show 2 unconfirmed sightings"));
    let data = page_data(&html).unwrap();
    let ok: Vec<(u64, bool)> = data["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].as_u64().unwrap(), c["ok"].as_bool().unwrap()))
        .collect();
    assert_eq!(ok, vec![(1, true), (2, false), (3, false)]);
    assert_eq!(data["min_sightings"], json!(2));
    assert_eq!(
        data["candidates"][0]["uid"],
        json!(format!("{}/1", review::fixture::FLIGHT_ID))
    );

    // Without a header (journals written before it) every candidate is confirmed.
    let old = tmp.path().join("old");
    write_flight(&old, &FixtureOptions::default()).unwrap();
    let html = render_report(&read_flight(&old).unwrap(), &ReportOptions::default()).html;
    assert!(html.contains("3 confirmed candidates (0 unconfirmed)"));
    assert!(!html.contains("unconfirmed-switch"));
}

#[test]
fn the_chinese_page_is_in_chinese_with_cjk_fonts() {
    let tmp = tempfile::tempdir().unwrap();
    write_flight(tmp.path(), &FixtureOptions::default()).unwrap();
    let flight = read_flight(tmp.path()).unwrap();
    let zh = render_report(
        &flight,
        &ReportOptions {
            lang: Lang::ZhCn,
            ..Default::default()
        },
    )
    .html;
    let en = render_report(&flight, &ReportOptions::default()).html;
    assert!(zh.contains("<html lang=\"zh-CN\">"));
    assert!(en.contains("<html lang=\"en\">"));
    for text in [
        "航次审核",
        "候选 {id}",
        "排污口",
        "确认",
        "否决",
        "北京时间",
        "预测误差",
    ] {
        assert!(zh.contains(text), "{text}");
        assert!(!en.contains(text), "{text} in the English page");
    }
    // Both name a CJK font first, for the page and for the map's controls (Leaflet's own
    // stylesheet names Latin fonts only).
    for page in [&zh, &en] {
        for rule in [
            "body { font: 14px/1.4 ",
            ".leaflet-container { font: 12px/1.5 ",
        ] {
            let at = page.find(rule).unwrap_or_else(|| panic!("no rule {rule}"));
            assert!(
                page[at + rule.len()..].starts_with("\"Noto Sans CJK SC\""),
                "{rule}"
            );
        }
    }
    // The page's script gets its words (and the classes' names) in the page's language.
    assert!(
        zh.contains("\"undecided\":\"未决定\""),
        "script text not in Chinese"
    );
    // No message id leaked through untranslated.
    for id in ["card-", "page-", "legend-", "decision-"] {
        assert!(!zh.contains(&format!(">{id}")), "{id}");
    }
}

/// The pixel of the deepest photo tile at `(lat, lon)`, from the page's files; `None` when no
/// tile holds the point.
fn photo_pixel(page: &review::report::Report, lat: f64, lon: f64) -> Option<[u8; 4]> {
    let data = page_data(&page.html).unwrap();
    let z = data["map"]["photo_tiles"]["maxz"].as_u64().unwrap() as u8;
    let (x, y) = mercator::to_world_px(lat, lon, z);
    let (tx, ty) = ((x / 256.0) as u32, (y / 256.0) as u32);
    let prefix = format!("report-files/photos/{z}/{tx}/{ty}.");
    let f = page.files.iter().find(|f| f.path.starts_with(&prefix))?;
    let img = image::load_from_memory(&f.bytes).unwrap().to_rgba8();
    Some(
        img.get_pixel(
            (x - f64::from(tx) * 256.0) as u32,
            (y - f64::from(ty) * 256.0) as u32,
        )
        .0,
    )
}

#[test]
fn the_photos_lie_on_the_map_where_their_poses_put_them() {
    let tmp = tempfile::tempdir().unwrap();
    write_flight(
        tmp.path(),
        &FixtureOptions {
            min_sightings: Some(1),
            ..Default::default()
        },
    )
    .unwrap();
    let flight = read_flight(tmp.path()).unwrap();

    // The footprint of a nadir photo, 320 x 240 px at fx = fy = 300 px from 80 m: 42.7 m
    // either side of the camera east-west, 32 m north-south, top edge to the north.
    let frame = flight.view.frames.values().next().unwrap();
    let k = review::report::footprint::intrinsics(&flight.view.header.as_ref().unwrap().camera)
        .unwrap();
    let fp = review::report::footprint::footprint(frame, &k).unwrap();
    let (e, n) = fp.corners_en_m[0];
    assert!(
        (e + 42.667).abs() < 0.01 && (n - 32.0).abs() < 0.01,
        "{e} {n}"
    );

    let page = render_report(&flight, &ReportOptions::default());
    let data = page_data(&page.html).unwrap();
    let tiles = &data["map"]["photo_tiles"];
    assert!(tiles["maxz"].as_u64().unwrap() >= 17, "{tiles}");
    assert!(!tiles["index"].as_object().unwrap().is_empty());
    // Under photo 3's camera, the middle of that photo: the river's colour (40, 90, 170).
    let f3 = flight
        .view
        .frames
        .values()
        .find(|f| f.image_index == 3)
        .unwrap();
    let p = photo_pixel(&page, f3.camera.lat_deg, f3.camera.lon_deg).unwrap();
    let river = [40i32, 90, 170];
    assert!(
        (0..3).all(|i| (i32::from(p[i]) - river[i]).abs() < 20) && p[3] == 255,
        "{p:?}"
    );
    // 30 m east of it, the bank (green above red and blue).
    let bank = qly_core::geodesy::GeoPoint::new(f3.camera.lat_deg, f3.camera.lon_deg)
        .unwrap()
        .destination(90.0, 30.0);
    let p = photo_pixel(&page, bank.lat_deg, bank.lon_deg).unwrap();
    assert!(p[1] > p[0] && p[1] > p[2], "{p:?}");
    // 60 m west of the cameras (the photos reach 42.7 m): no photo there.
    let off = qly_core::geodesy::GeoPoint::new(f3.camera.lat_deg, f3.camera.lon_deg)
        .unwrap()
        .destination(270.0, 60.0);
    assert!(photo_pixel(&page, off.lat_deg, off.lon_deg).is_none_or(|p| p[3] == 0));
}

/// A raster MBTiles file of one-colour PNG tiles over the fixture's origin, zooms 10-13,
/// and one tile far away that must not be copied.
fn write_mbtiles(path: &Path, format: &str) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(
        "CREATE TABLE metadata (name TEXT, value TEXT);
         CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);",
    )
    .unwrap();
    for (k, v) in [
        ("name", "test basemap"),
        ("format", format),
        ("attribution", "test tiles"),
    ] {
        conn.execute("INSERT INTO metadata VALUES (?1, ?2)", [k, v])
            .unwrap();
    }
    let area = LatLonBox::around([(ORIGIN[0], ORIGIN[1])])
        .unwrap()
        .grown_m(200.0);
    let mut png = Vec::new();
    image::RgbImage::from_pixel(256, 256, image::Rgb([200, 190, 170]))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    for z in 10u8..=13 {
        let (x0, x1, y0, y1) = area.tiles(z);
        for x in x0..=x1 {
            for y in y0..=y1 {
                conn.execute(
                    "INSERT INTO tiles VALUES (?1, ?2, ?3, ?4)",
                    rusqlite::params![z, x, flip_row(z, y), png],
                )
                .unwrap();
            }
        }
    }
    // Beijing, zoom 12: far from the flight.
    let far = LatLonBox::around([(39.9, 116.4)]).unwrap();
    let (x, _, y, _) = far.tiles(12);
    conn.execute(
        "INSERT INTO tiles VALUES (12, ?1, ?2, ?3)",
        rusqlite::params![x, flip_row(12, y), png],
    )
    .unwrap();
}

#[test]
fn an_mbtiles_basemap_is_cut_around_the_flight_and_written_beside_the_page() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("flight");
    write_flight(&dir, &FixtureOptions::default()).unwrap();
    let mb = tmp.path().join("base.mbtiles");
    write_mbtiles(&mb, "png");
    let out = Command::new(env!("CARGO_BIN_EXE_review"))
        .env("LC_ALL", "C.UTF-8")
        .arg("report")
        .arg(&dir)
        .arg("--mbtiles")
        .arg(&mb)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    let data = page_data(&html).unwrap();
    let b = &data["map"]["basemap"];
    assert_eq!(b["name"], json!("test basemap"));
    assert_eq!(
        (b["minz"].as_u64(), b["maxz"].as_u64()),
        (Some(10), Some(13))
    );
    assert_eq!(b["ext"], json!("png"));
    // Each zoom's tile over the origin is there, at its XYZ (not TMS) row.
    for z in 10u8..=13 {
        let (x, y) = mercator::to_world_px(ORIGIN[0], ORIGIN[1], z);
        let p = dir.join(format!(
            "report-files/basemap/{z}/{}/{}.png",
            (x / 256.0) as u32,
            (y / 256.0) as u32
        ));
        assert_eq!(
            image::open(&p).unwrap().to_rgb8().get_pixel(5, 5).0,
            [200, 190, 170]
        );
    }
    let far = LatLonBox::around([(39.9, 116.4)]).unwrap();
    let (x, _, y, _) = far.tiles(12);
    assert!(!dir
        .join(format!("report-files/basemap/12/{x}/{y}.png"))
        .exists());

    // A vector MBTiles and a file that is not one: errors naming the file and what is wrong.
    let pbf = tmp.path().join("vector.mbtiles");
    write_mbtiles(&pbf, "pbf");
    let notdb = tmp.path().join("notes.mbtiles");
    std::fs::write(
        &notdb,
        "not a database, just text that is long enough to be read",
    )
    .unwrap();
    for (file, expected) in [
        (&pbf, "metadata 'format' is 'pbf': expected a raster format"),
        (&notdb, "cannot open as an MBTiles (SQLite) file"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_review"))
            .env("LC_ALL", "C.UTF-8")
            .arg("report")
            .arg(&dir)
            .arg("--mbtiles")
            .arg(file)
            .output()
            .unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(&file.display().to_string()), "{err}");
        assert!(err.contains(expected), "{err}");
    }
}
