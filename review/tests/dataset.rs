//! `review dataset`: decisions on flights and imported YOLO/COCO datasets become one
//! YOLO-format dataset split by flight, with provenance; bad imports are refused naming the
//! file, the place and the expectation.
//!
//! The flights are `review::fixture`'s: six 320x240 photos 20 m apart northwards from 80 m
//! above flat ground (fx 300 px, nadir); candidate 1 (outfall) is detected in photos 1 and 2,
//! candidate 2 (plume) in photo 4, candidate 3 (outfall) in photo 5.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use review::dataset::import_coco::import_coco;
use review::dataset::import_yolo::import_yolo;
use review::dataset::ClassMap;

fn review(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_review"))
        .args(args)
        .output()
        .unwrap()
}

fn ok(o: &Output) -> String {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.status.success(), "{text}");
    text
}

/// A fixture flight at `dir` with a header (confirmation by one photo), candidate 1
/// confirmed and 2 rejected by an inspector, 3 undecided.
fn decided_flight(dir: &Path) {
    let options = review::fixture::FixtureOptions {
        min_sightings: Some(1),
        ..Default::default()
    };
    review::fixture::write_flight(dir, &options).unwrap();
    ok(&review(&[
        "decide".as_ref(),
        dir.as_os_str(),
        "--confirm".as_ref(),
        "1".as_ref(),
        "--reject".as_ref(),
        "2".as_ref(),
        "--inspector".as_ref(),
        "Li Wei, 0427".as_ref(),
    ]));
}

fn label_lines(path: &Path) -> Vec<Vec<f64>> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|l| l.split(' ').map(|f| f.parse().unwrap()).collect())
        .collect()
}

fn jpeg(path: &Path, w: u32, h: u32) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    image::RgbImage::from_pixel(w, h, image::Rgb([30, 90, 60]))
        .save_with_format(path, image::ImageFormat::Jpeg)
        .unwrap();
}

#[test]
fn decisions_become_labels_hard_negatives_and_provenance_split_by_flight() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("flight-a"), tmp.path().join("flight-b"));
    decided_flight(&a);
    decided_flight(&b);
    let out = tmp.path().join("ds");
    let text = ok(&review(&[
        "dataset".as_ref(),
        a.as_os_str(),
        b.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--val".as_ref(),
        "flight-b".as_ref(),
    ]));
    assert!(
        text.contains("3 photos with findings, 1 hard negatives, 1 left out"),
        "{text}"
    );
    assert!(
        text.contains("detection of candidate 3 that nobody decided on"),
        "{text}"
    );

    let yaml = std::fs::read_to_string(out.join("data.yaml")).unwrap();
    assert!(
        yaml.contains(
            "train: images/train\nval: images/val\nnc: 2\nnames:\n  0: outfall\n  1: plume\n"
        ),
        "{yaml}"
    );

    // The detected box of photo 1: [140, 150, 190, 200] in 320x240.
    let l1 = label_lines(&out.join("labels/train/flight-a/1.txt"));
    assert_eq!(l1.len(), 1);
    let want = [
        0.0,
        165.0 / 320.0,
        175.0 / 240.0,
        50.0 / 320.0,
        50.0 / 240.0,
    ];
    assert!(
        l1[0].iter().zip(want).all(|(g, w)| (g - w).abs() < 1e-5),
        "{l1:?}"
    );
    // Photo 0 missed candidate 1 (fused 6.25 m east, 18.5 m north of the origin, the camera
    // there, 80 m up): projected at u = 160 + 6.25 * 300 / 80, v = 120 - 18.5 * 300 / 80, its
    // size the mean of its detections' in metres (50 px at 80.5 m) at this range.
    let l0 = label_lines(&out.join("labels/train/flight-a/0.txt"));
    assert_eq!(l0.len(), 1, "{l0:?}");
    let (u, v) = (160.0 + 6.25 * 3.75, 120.0 - 18.5 * 3.75);
    let range_m = (6.25f64.powi(2) + 18.5f64.powi(2) + 80.0f64.powi(2)).sqrt();
    let size_px = 50.0 * 80.5 / range_m;
    let want = [0.0, u / 320.0, v / 240.0, size_px / 320.0, size_px / 240.0];
    assert!(
        l0[0].iter().zip(want).all(|(g, w)| (g - w).abs() < 0.01),
        "{l0:?} vs {want:?}"
    );
    // The rejected plume's photo is a hard negative; the undecided one and the photo nobody
    // judged are not written.
    assert_eq!(
        std::fs::read_to_string(out.join("labels/train/flight-a/4.txt")).unwrap(),
        ""
    );
    assert!(out.join("images/train/flight-a/4.jpg").is_file());
    for absent in ["3", "5"] {
        assert!(!out
            .join(format!("images/train/flight-a/{absent}.jpg"))
            .exists());
    }
    // flight-b went whole to validation, nothing of it to training.
    assert!(out.join("images/val/flight-b/1.jpg").is_file());
    assert!(!out.join("images/train/flight-b").exists());
    assert!(!out.join("images/val/flight-a").exists());

    let csv = std::fs::read_to_string(out.join("provenance.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(
        rows[0],
        "split,image,label,flight,flight_id,photo,decision,candidates,inspector,boxes_from"
    );
    assert_eq!(rows.len(), 1 + 2 * 4, "{csv}");
    let fid = review::fixture::FLIGHT_ID;
    assert!(
        rows.contains(&format!("train,images/train/flight-a/0.jpg,labels/train/flight-a/0.txt,flight-a,{fid},frames/0.jpg,confirmed,1:confirmed,\"Li Wei, 0427\",projected").as_str()),
        "{csv}"
    );
    assert!(
        rows.contains(&format!("val,images/val/flight-b/4.jpg,labels/val/flight-b/4.txt,flight-b,{fid},frames/4.jpg,rejected,2:rejected,\"Li Wei, 0427\",").as_str()),
        "{csv}"
    );

    // The folder must be new or empty; a flight without decisions is refused.
    let o = review(&[
        "dataset".as_ref(),
        a.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("not empty"));
    let c = tmp.path().join("flight-c");
    review::fixture::write_flight(&c, &Default::default()).unwrap();
    let o = review(&[
        "dataset".as_ref(),
        c.as_os_str(),
        "--out".as_ref(),
        tmp.path().join("ds2").as_os_str(),
    ]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("decisions.json") && err.contains("no decisions"),
        "{err}"
    );
}

/// A small YOLO dataset with its own classes, `classes.txt` = pipe, slick, boat.
fn yolo_set(root: &Path) {
    std::fs::create_dir_all(root).unwrap();
    std::fs::write(root.join("classes.txt"), "pipe\nslick\nboat\n").unwrap();
    jpeg(&root.join("images/a.jpg"), 64, 48);
    jpeg(&root.join("images/sub/b.jpg"), 64, 48);
    std::fs::create_dir_all(root.join("labels/sub")).unwrap();
    std::fs::write(
        root.join("labels/a.txt"),
        "0 0.5 0.5 0.25 0.25\n2 0.1 0.1 0.1 0.1\n\n1 0.75 0.25 0.5 0.5\n",
    )
    .unwrap();
    // b has no label file: an image without objects.
}

fn coco_set(root: &Path) -> PathBuf {
    jpeg(&root.join("img/p1.jpg"), 100, 80);
    jpeg(&root.join("img/p2.jpg"), 100, 80);
    let json = root.join("bureau.json");
    std::fs::write(
        &json,
        r#"{"images": [{"id": 7, "file_name": "img/p1.jpg", "width": 100, "height": 80},
                       {"id": 8, "file_name": "img/p2.jpg", "width": 100, "height": 80}],
            "annotations": [{"id": 1, "image_id": 7, "category_id": 3, "bbox": [10, 20, 30, 40], "iscrowd": 0},
                            {"id": 2, "image_id": 7, "category_id": 4, "bbox": [0, 0, 5, 5]},
                            {"id": 3, "image_id": 8, "category_id": 5, "bbox": [50, 40, 50, 40]}],
            "categories": [{"id": 3, "name": "outfall"}, {"id": 4, "name": "car"},
                           {"id": 5, "name": "oil slick"}]}"#,
    )
    .unwrap();
    json
}

#[test]
fn yolo_and_coco_imports_map_their_classes_and_join_the_split() {
    let tmp = tempfile::tempdir().unwrap();
    let yolo = tmp.path().join("bureau-yolo");
    yolo_set(&yolo);
    let json = coco_set(&tmp.path().join("coco"));
    let map = ClassMap::parse(&[
        "pipe=outfall".into(),
        "slick=plume".into(),
        "boat=ignore".into(),
        "car=ignore".into(),
        "oil slick=plume".into(),
    ])
    .unwrap();

    let y = import_yolo(&yolo, &map).unwrap();
    assert_eq!(y.len(), 2);
    assert_eq!(y[0].group, "bureau-yolo");
    let classes: Vec<usize> = y[0].boxes.iter().map(|b| b.class_id).collect();
    assert_eq!(classes, [0, 1], "the boat is ignored");
    assert!(y[1].boxes.is_empty());

    let c = import_coco(&json, &tmp.path().join("coco"), &map).unwrap();
    assert_eq!(c.len(), 2);
    let b = c[0].boxes[0];
    assert_eq!((b.class_id, b.cx, b.cy, b.w, b.h), (0, 0.25, 0.5, 0.3, 0.5));
    assert_eq!(c[0].boxes.len(), 1, "the car is ignored");
    assert_eq!(c[1].boxes[0].class_id, 1);

    let out = tmp.path().join("ds");
    let text = ok(&review(&[
        "dataset".as_ref(),
        "--yolo".as_ref(),
        yolo.as_os_str(),
        "--coco".as_ref(),
        json.as_os_str(),
        "--map".as_ref(),
        "pipe=outfall".as_ref(),
        "--map".as_ref(),
        "slick=plume".as_ref(),
        "--map".as_ref(),
        "boat=ignore".as_ref(),
        "--map".as_ref(),
        "car=ignore".as_ref(),
        "--map".as_ref(),
        "oil slick=plume".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
    ]));
    assert!(text.contains("2 photos imported (YOLO)"), "{text}");
    // Two groups: one whole group on each side.
    let train = out.join("images/train");
    let val = out.join("images/val");
    let groups = |d: &Path| std::fs::read_dir(d).map(|r| r.count()).unwrap_or(0);
    assert_eq!((groups(&train), groups(&val)), (1, 1), "{text}");
    let csv = std::fs::read_to_string(out.join("provenance.csv")).unwrap();
    assert!(
        csv.contains(",bureau-yolo,,images/sub/b.jpg,imported,,,imported"),
        "{csv}"
    );
}

#[test]
fn bad_imports_name_the_file_the_place_and_the_expectation() {
    let tmp = tempfile::tempdir().unwrap();
    let map = ClassMap::parse(&[
        "pipe=outfall".into(),
        "slick=plume".into(),
        "boat=ignore".into(),
    ])
    .unwrap();
    let yolo = tmp.path().join("y");
    yolo_set(&yolo);
    std::fs::write(
        yolo.join("labels/a.txt"),
        "0 0.5 0.5 0.25 0.25\n1 1.5 0.5 0.1 0.1\n",
    )
    .unwrap();
    let e = import_yolo(&yolo, &map).unwrap_err().to_string();
    assert!(
        e.contains("labels/a.txt: line 2 `cx`: 1.5: expected 0..1"),
        "{e}"
    );
    std::fs::write(yolo.join("labels/a.txt"), "5 0.5 0.5 0.25 0.25\n").unwrap();
    let e = import_yolo(&yolo, &map).unwrap_err().to_string();
    assert!(
        e.contains("line 1 `class`: 5: expected a class id 0..2"),
        "{e}"
    );
    std::fs::write(yolo.join("labels/a.txt"), "0 12 30 40 40\n").unwrap();
    let e = import_yolo(&yolo, &map).unwrap_err().to_string();
    assert!(e.contains("pixel values are not YOLO format"), "{e}");
    let e = import_yolo(&yolo, &ClassMap::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("class \"pipe\"") && e.contains("--map pipe=outfall"),
        "{e}"
    );

    let coco = tmp.path().join("c");
    let json = coco_set(&coco);
    let map = ClassMap::parse(&["car=ignore".into(), "oil slick=plume".into()]).unwrap();
    let good = std::fs::read_to_string(&json).unwrap();
    let write = |text: String| std::fs::write(&json, text).unwrap();
    write(good.replace("[50, 40, 50, 40]", "[60, 40, 50, 40]"));
    let e = import_coco(&json, &coco, &map).unwrap_err().to_string();
    assert!(e.contains("bureau.json: annotations[2].bbox: [60.0, 40.0, 50.0, 40.0]: expected a box inside image img/p2.jpg (100x80 px)"), "{e}");
    write(good.replace("\"image_id\": 8", "\"image_id\": 9"));
    let e = import_coco(&json, &coco, &map).unwrap_err().to_string();
    assert!(
        e.contains("annotations[2].image_id: 9: expected the id of one of the images"),
        "{e}"
    );
    write(good.replace(
        "\"width\": 100, \"height\": 80}]",
        "\"width\": 200, \"height\": 80}]",
    ));
    let e = import_coco(&json, &coco, &map).unwrap_err().to_string();
    assert!(
        e.contains("images[1].width/height: 200x80: the file"),
        "{e}"
    );
    write(good.replace("\"bbox\": [10, 20, 30, 40], ", ""));
    let e = import_coco(&json, &coco, &map).unwrap_err().to_string();
    assert!(e.contains("missing field `bbox`"), "{e}");
    write(good.replace("oil slick", "foam"));
    let e = import_coco(&json, &coco, &map).unwrap_err().to_string();
    assert!(e.contains("categories[2].name: class \"foam\""), "{e}");
}
