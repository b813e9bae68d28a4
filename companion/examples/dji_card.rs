//! Writes a DJI-style SD-card folder for measuring `companion batch`: a nadir survey along a
//! straight river bank with a white 3 m marker every 200 m, each shutter press giving a wide
//! (`_W`), zoom (`_Z`) and thermal (`_T`) photo named and tagged as an M3T writes them (EXIF,
//! `drone-dji` XMP with signed decimals). Every photo is a real JPEG of the scene.
//!
//! ```text
//! cargo run --release -p companion --example dji_card -- OUT_DIR [PHOTOS] [WIDTH] [HEIGHT]
//! ```
//! Defaults: 200 photos of 2048 x 1536 px. Prints the folder and the counts by lens.

#[path = "../tests/photo_support/mod.rs"]
mod photo_support;

use std::path::PathBuf;

use image::{Rgb, RgbImage};
use photo_support::{encode, DjiTags};
use qly_core::geodesy::{GeoPoint, LocalFrame};

const ORIGIN: (f64, f64) = (30.551_234_5, 114.312_345_6);
const GROUND_AMSL_M: f64 = 23.5;
const REL_M: f64 = 80.0;
/// Metres flown between shutter presses (east).
const STEP_M: f64 = 12.0;
/// Wider than the wide camera's footprint (144 m at 80 m): one marker in view at a time.
const MARKER_SPACING_M: f64 = 200.0;

/// What a nadir camera `(e, n)` metres from the origin sees: textured ground, white markers.
fn render(e_cam: f64, n_cam: f64, f_px: f64, w: u32, h: u32) -> RgbImage {
    let m_per_px = REL_M / f_px;
    RgbImage::from_fn(w, h, |u, v| {
        let e = e_cam + (u as f64 + 0.5 - w as f64 / 2.0) * m_per_px;
        let n = n_cam - (v as f64 + 0.5 - h as f64 / 2.0) * m_per_px;
        let nearest = (e / MARKER_SPACING_M).round() * MARKER_SPACING_M;
        if (e - nearest).abs() <= 1.5 && n.abs() <= 1.5 {
            return Rgb([255, 255, 255]);
        }
        // Grass and water: a coarse pattern, so the JPEGs are of a photo's order of size.
        let t = ((e * 1.7).sin() * (n * 2.3).cos() * 40.0) as i32;
        if n < -8.0 {
            Rgb([30, (70 + t / 2) as u8, (90 + t / 3) as u8])
        } else {
            Rgb([(60 + t) as u8, (100 + t) as u8, 40])
        }
    })
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(out) = args.first().map(PathBuf::from) else {
        eprintln!("usage: dji_card OUT_DIR [PHOTOS] [WIDTH] [HEIGHT]");
        std::process::exit(2);
    };
    let number = |i: usize, default: u32| -> u32 {
        args.get(i).map_or(default, |s| {
            s.parse().unwrap_or_else(|_| {
                eprintln!("argument {i}: {s:?} is not a whole number");
                std::process::exit(2)
            })
        })
    };
    let (photos, w, h) = (number(1, 200), number(2, 2048), number(3, 1536));
    std::fs::create_dir_all(&out).unwrap_or_else(|e| {
        eprintln!("{}: {e}", out.display());
        std::process::exit(1)
    });
    let plane = LocalFrame::at(GeoPoint::new(ORIGIN.0, ORIGIN.1).expect("valid origin"));
    // The wide camera spans about 84 degrees across, the zoom a quarter of that.
    let f_wide = f64::from(w) / 1.8;
    let mut counts = [0u32; 3];
    for i in 0..photos {
        let capture = i / 3;
        let lens = ["W", "Z", "T"][(i % 3) as usize];
        counts[(i % 3) as usize] += 1;
        let (e, n) = (f64::from(capture) * STEP_M, 1.0);
        let second = 10 + 2 * capture;
        let f_px = if lens == "Z" { 4.0 * f_wide } else { f_wide };
        let image = if lens == "T" {
            RgbImage::from_fn(w, h, |u, v| Rgb([((u + v) % 256) as u8, 40, 90]))
        } else {
            render(e, n, f_px, w, h)
        };
        let p = plane.unproject(e, n);
        let tags = DjiTags {
            model: "M3T",
            drone_model: Some("M3T"),
            drone_serial: Some("1581F5BKD223Q00A0042"),
            image_source: Some(match lens {
                "Z" => "ZoomCamera",
                "T" => "InfraredCamera",
                _ => "WideCamera",
            }),
            lat_deg: p.lat_deg,
            lon_deg: p.lon_deg,
            date_time_original: format!("2026:11:29 10:{:02}:{:02}", second / 60 % 60, second % 60),
            sub_sec: Some("000".into()),
            exif_size_px: (w, h),
            absolute_altitude_m: GROUND_AMSL_M + REL_M,
            gps_alt_m: GROUND_AMSL_M + REL_M,
            relative_altitude_m: REL_M,
            gimbal_ypr_deg: [0.0, -90.0, 0.0],
            flight_ypr_deg: Some([90.0, -3.2, 0.4]),
            calibrated: Some((f_px, f64::from(w) / 2.0, f64::from(h) / 2.0)),
            dewarp: None,
            ..DjiTags::m3e()
        };
        let name = format!(
            "DJI_2026112910{:02}{:02}_{:04}_{lens}.JPG",
            second / 60 % 60,
            second % 60,
            capture + 1
        );
        std::fs::write(out.join(&name), tags.tag(&encode(&image), true)).unwrap_or_else(|e| {
            eprintln!("{}: {e}", out.join(&name).display());
            std::process::exit(1)
        });
    }
    println!(
        "{}: {photos} photos ({w} x {h} px): {} wide, {} zoom, {} thermal",
        out.display(),
        counts[0],
        counts[1],
        counts[2]
    );
}
