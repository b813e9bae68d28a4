//! Training data for the detector: frames of a world from seeded random poses, with YOLO
//! labels.
//!
//! Layout written by [`write_dataset`]: `images/NNNNNN.jpg` (or `.png`), `labels/NNNNNN.txt` (one
//! `class cx cy w h` line per visible target, normalised; classes 0 outfall, 1 plume; an
//! empty file for a frame with none), `truth.geojson` (the world's ground truth),
//! `poses.csv` (each frame's camera pose) and `data.yaml` (class names for YOLO trainers).
//!
//! Poses: altitude uniform in `[alt_min_m, alt_max_m]` above the ground, gimbal tilt from
//! nadir uniform in `[0, tilt_max_deg]` (stabilised: level except for that tilt), heading
//! along the river either way within 30 degrees. A fraction `target_bias` of the frames aim
//! near a random target so that positives are common; the rest aim at a random point of the
//! corridor.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use qly_core::geotag::{CameraMount, CameraPose};
use qly_core::intrinsics::CameraIntrinsics;
use qly_core::pose::AmslPosition;
use qly_core::rotation::Quat;

use super::labels::{labels, LabelRules};
use super::{render, RenderError, RenderOptions};
use crate::world::noise::{hash2, unit};
use crate::world::World;

/// What to make.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DatasetSpec {
    pub count: u32,
    pub alt_min_m: f64,
    pub alt_max_m: f64,
    pub tilt_max_deg: f64,
    /// Fraction of frames aimed near a target.
    pub target_bias: f64,
    /// Seed of the poses and the sensor noise (the world has its own).
    pub seed: u64,
    pub rules: LabelRules,
    pub options: RenderOptions,
    pub jpeg_quality: u8,
    /// Write lossless PNG images instead of JPEG.
    pub png: bool,
}

impl Default for DatasetSpec {
    fn default() -> Self {
        DatasetSpec {
            count: 100,
            alt_min_m: 60.0,
            alt_max_m: 120.0,
            tilt_max_deg: 20.0,
            target_bias: 0.6,
            seed: 1,
            rules: LabelRules::default(),
            options: RenderOptions::default(),
            jpeg_quality: 90,
            png: false,
        }
    }
}

impl DatasetSpec {
    fn validate(&self) -> Result<(), RenderError> {
        let bad = |field, value, expected| {
            Err(RenderError::BadField {
                field,
                value,
                expected,
            })
        };
        if !(self.alt_min_m.is_finite() && self.alt_min_m >= 5.0) {
            return bad("alt_min_m", self.alt_min_m, "a height >= 5 m");
        }
        if !(self.alt_max_m.is_finite() && self.alt_max_m >= self.alt_min_m) {
            return bad("alt_max_m", self.alt_max_m, "a height >= alt_min_m");
        }
        if !(0.0..=60.0).contains(&self.tilt_max_deg) {
            return bad("tilt_max_deg", self.tilt_max_deg, "0..=60 degrees");
        }
        if !(0.0..=1.0).contains(&self.target_bias) {
            return bad("target_bias", self.target_bias, "a fraction 0..=1");
        }
        Ok(())
    }
}

/// The gimbal mount of a stabilised camera tilted `tilt_deg` forward of nadir, yaw
/// following the vehicle (GIMBAL_DEVICE_ATTITUDE_STATUS with YAW_IN_VEHICLE_FRAME).
pub fn gimbal_mount(tilt_deg: f64) -> CameraMount {
    CameraMount::HeadingFrame(Quat::from_ypr_deg(0.0, -90.0 + tilt_deg, 0.0))
}

/// Frame `k`'s pose (seeded), and its tilt in degrees.
pub fn random_pose(
    world: &World,
    spec: &DatasetSpec,
    k: u32,
) -> Result<(CameraPose, f64), RenderError> {
    let h = hash2(spec.seed ^ 0xda7a, k as i64, 0);
    let alt = spec.alt_min_m + (spec.alt_max_m - spec.alt_min_m) * unit(h, 0);
    let tilt = spec.tilt_max_deg * unit(h, 1);
    let len = world.river_length_m();
    let width = world.corridor().width_m;
    let targets: Vec<((f64, f64), f64)> = world
        .outfalls()
        .iter()
        .map(|o| (o.position, o.s_m))
        .chain(world.plumes().iter().map(|p| (p.position, p.s_m)))
        .collect();
    let s = unit(h, 3) * len;
    let (aim, tangent) = if unit(h, 2) < spec.target_bias && !targets.is_empty() {
        let (t, ts) =
            targets[((unit(h, 4) * targets.len() as f64) as usize).min(targets.len() - 1)];
        // Anywhere within about a third of the footprint of the target.
        let r = 0.35 * alt * (unit(h, 5) - 0.5) * 2.0;
        let q = 0.25 * alt * (unit(h, 6) - 0.5) * 2.0;
        ((t.0 + r, t.1 + q), world.river_tangent(ts))
    } else {
        let d = width * (unit(h, 5) - 0.5);
        (world.river_point(s, d), world.river_tangent(s))
    };
    let along = tangent.0.atan2(tangent.1).to_degrees();
    let reverse = if unit(h, 7) < 0.5 { 180.0 } else { 0.0 };
    let yaw_deg = along + reverse + 60.0 * (unit(h, 8) - 0.5);
    // Put the camera behind the aim point so the image centre looks at it.
    let back = alt * tilt.to_radians().tan();
    let (ye, yn) = (yaw_deg.to_radians().sin(), yaw_deg.to_radians().cos());
    let cam_plane = (aim.0 - ye * back, aim.1 - yn * back);
    let g = world.to_geo(cam_plane.0, cam_plane.1);
    let roll = 4.0 * (unit(h, 9) - 0.5);
    let pitch = 4.0 * (unit(h, 10) - 0.5);
    let pose = CameraPose {
        position: AmslPosition::new(
            g.lat_deg,
            g.lon_deg,
            world.height_amsl_at(aim.0, aim.1) + alt,
        )
        .map_err(|e| RenderError::Pose(e.to_string()))?,
        q_ned_body: Quat::from_ypr_deg(yaw_deg, pitch, roll),
        mount: gimbal_mount(tilt),
    };
    Ok((pose, tilt))
}

/// What [`write_dataset`] made.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DatasetSummary {
    pub frames: u32,
    pub outfall_labels: u32,
    pub plume_labels: u32,
    /// Frames with no target in view.
    pub empty_frames: u32,
    /// Mean render time per frame, milliseconds.
    pub mean_render_ms: f64,
}

/// Renders `spec.count` frames of `world` with camera `cam` into `out_dir` (layout in the
/// module doc). `progress` is called after each frame with its number.
pub fn write_dataset(
    world: &World,
    cam: &CameraIntrinsics,
    spec: &DatasetSpec,
    out_dir: &Path,
    mut progress: impl FnMut(u32),
) -> Result<DatasetSummary, RenderError> {
    spec.validate()?;
    let io = |p: &Path| {
        let p = p.display().to_string();
        move |source| RenderError::Io { path: p, source }
    };
    let images = out_dir.join("images");
    let label_dir = out_dir.join("labels");
    fs::create_dir_all(&images).map_err(io(&images))?;
    fs::create_dir_all(&label_dir).map_err(io(&label_dir))?;
    let truth = out_dir.join("truth.geojson");
    fs::write(&truth, world.truth_geojson()).map_err(io(&truth))?;
    let yaml = out_dir.join("data.yaml");
    fs::write(
        &yaml,
        "# Written by `sim dataset`: YOLO dataset description.\npath: .\ntrain: images\nval: images\nnames:\n  0: outfall\n  1: plume\n",
    )
    .map_err(io(&yaml))?;
    let mut poses = String::from(
        "index,lat_deg,lon_deg,alt_amsl_m,yaw_deg,pitch_deg,roll_deg,tilt_deg,labels\n",
    );
    let mut summary = DatasetSummary::default();
    let mut total_ms = 0.0;
    for k in 1..=spec.count {
        let (pose, tilt) = random_pose(world, spec, k)?;
        let opts = RenderOptions {
            seed: spec.seed ^ crate::world::noise::mix64(k as u64),
            exposure_ev: spec.options.exposure_ev
                + 0.6 * (unit(hash2(spec.seed, k as i64, 77), 0) - 0.5),
            ..spec.options
        };
        let t0 = std::time::Instant::now();
        let img = render(world, cam, &pose, &opts)?;
        total_ms += t0.elapsed().as_secs_f64() * 1e3;
        let ls = labels(world, cam, &pose, &spec.rules)?;
        let name = format!("{k:06}");
        let (file, bytes) = if spec.png {
            (images.join(format!("{name}.png")), img.to_png())
        } else {
            (
                images.join(format!("{name}.jpg")),
                img.to_jpeg(spec.jpeg_quality)?,
            )
        };
        fs::write(&file, bytes).map_err(io(&file))?;
        let mut text = String::new();
        for l in &ls {
            let _ = writeln!(text, "{}", l.yolo_line(cam.width_px, cam.height_px));
            match l.class {
                crate::world::TargetClass::Outfall => summary.outfall_labels += 1,
                crate::world::TargetClass::Plume => summary.plume_labels += 1,
            }
        }
        if ls.is_empty() {
            summary.empty_frames += 1;
        }
        let txt = label_dir.join(format!("{name}.txt"));
        fs::write(&txt, text).map_err(io(&txt))?;
        let (r, p, y) = pose.q_ned_body.to_euler_rad();
        let _ = writeln!(
            poses,
            "{k},{:.8},{:.8},{:.3},{:.3},{:.3},{:.3},{:.3},{}",
            pose.position.lat_deg,
            pose.position.lon_deg,
            pose.position.alt_amsl_m,
            y.to_degrees(),
            p.to_degrees(),
            r.to_degrees(),
            tilt,
            ls.len()
        );
        summary.frames += 1;
        progress(k);
    }
    let csv = out_dir.join("poses.csv");
    fs::write(&csv, poses).map_err(io(&csv))?;
    summary.mean_render_ms = if summary.frames > 0 {
        total_ms / summary.frames as f64
    } else {
        0.0
    };
    Ok(summary)
}
