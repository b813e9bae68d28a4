//! The simulated camera: what the drone's camera sees of the [`World`].
//!
//! [`render`] makes a frame by perspective projection: for each pixel, the ray through it
//! (the calibrated [`CameraIntrinsics`], distortion included) is turned into NED by the
//! capture pose's `r_ned_camera` (the same rotation the geotagger uses), intersected with the
//! flat ground, and the world sampled there with a filter as wide as the pixel's ground
//! footprint, over `n x n` sub-pixel samples. Then the sensor: sun glint on water, exposure,
//! vignetting, optional Gaussian blur and seeded sensor noise.
//!
//! Geometry: the ray meets the ground in the camera's own [`LocalFrame`] (as
//! `qly_core::geotag` does), and ground points map into the world's plane through an affine
//! map fitted exactly at three ground points through the WGS-84 conversions; over a
//! footprint of a few hundred metres the map's non-linearity is below a millimetre.
//!
//! - [`labels`]: YOLO boxes of the targets in a frame.
//! - [`delivery`]: frames rendered off the simulation loop and written atomically.
//! - [`dataset`]: frames and labels for detector training.

pub mod dataset;
pub mod delivery;
pub mod labels;

use qly_core::geodesy::{Enu, GeoPosition, LocalFrame};
use qly_core::geotag::CameraPose;
use qly_core::intrinsics::{BrownConrady, CameraIntrinsics};
use qly_core::rotation::{Mat3, Vec3};
use rayon::prelude::*;
use thiserror::Error;

use crate::world::noise::{fbm, hash2};
use crate::world::{ReliefGrid, World};
use std::sync::Arc;

/// Why a frame could not be made or written.
#[derive(Debug, Error)]
pub enum RenderError {
    #[error("render: {field} = {value} is invalid: expected {expected}")]
    BadField {
        field: &'static str,
        value: f64,
        expected: &'static str,
    },
    #[error("render: the camera is {clearance_m:.2} m above the ground: expected it above the world's ground ({ground_amsl_m} m AMSL)")]
    CameraBelowGround {
        clearance_m: f64,
        ground_amsl_m: f64,
    },
    #[error("render: intrinsics: {0}")]
    Intrinsics(#[from] qly_core::intrinsics::IntrinsicsError),
    #[error("render: pose: {0}")]
    Pose(String),
    #[error("JPEG encoding: {0}")]
    Encode(String),
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Sensor and sampling settings of a frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RenderOptions {
    /// Sub-pixel samples per axis (1 to 4): `n x n` per pixel.
    pub samples_per_axis: u32,
    /// Exposure change, stops (EV): the image is multiplied by 2^ev.
    pub exposure_ev: f64,
    /// Darkening at the image corners (0: none, 0.3: corners at 70 %).
    pub vignetting: f64,
    /// Gaussian blur sigma, pixels (0: none): defocus, motion, a soft lens.
    pub blur_sigma_px: f64,
    /// Sensor noise sigma, in 8-bit levels (0: none).
    pub noise_sigma: f64,
    /// Sun glint on water.
    pub glint: bool,
    /// Seed of the sensor noise.
    pub seed: u64,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            samples_per_axis: 1,
            exposure_ev: 0.0,
            vignetting: 0.12,
            blur_sigma_px: 0.0,
            noise_sigma: 1.5,
            glint: true,
            seed: 0,
        }
    }
}

impl RenderOptions {
    fn validate(&self) -> Result<(), RenderError> {
        if !(1..=4).contains(&self.samples_per_axis) {
            return Err(RenderError::BadField {
                field: "samples_per_axis",
                value: self.samples_per_axis as f64,
                expected: "1 to 4",
            });
        }
        for (field, v, lo, hi, expected) in [
            ("exposure_ev", self.exposure_ev, -4.0, 4.0, "-4..=4 stops"),
            ("vignetting", self.vignetting, 0.0, 0.9, "0..=0.9"),
            ("blur_sigma_px", self.blur_sigma_px, 0.0, 20.0, "0..=20 px"),
            ("noise_sigma", self.noise_sigma, 0.0, 64.0, "0..=64 levels"),
        ] {
            if !(v.is_finite() && (lo..=hi).contains(&v)) {
                return Err(RenderError::BadField {
                    field,
                    value: v,
                    expected,
                });
            }
        }
        Ok(())
    }
}

/// An 8-bit RGB image, rows top to bottom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub width: u32,
    pub height: u32,
    /// `width * height * 3` bytes, RGB.
    pub rgb: Vec<u8>,
}

impl Image {
    /// The pixel at column `x`, row `y`.
    pub fn pixel(&self, x: u32, y: u32) -> [u8; 3] {
        let i = 3 * (y as usize * self.width as usize + x as usize);
        [self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]]
    }

    /// PNG, uncompressed (stored deflate blocks): lossless frames for inspection or training
    /// without a PNG encoder dependency; about 3 bytes per pixel.
    pub fn to_png(&self) -> Vec<u8> {
        fn crc32(bytes: &[u8]) -> u32 {
            let mut c = 0xffff_ffffu32;
            for &b in bytes {
                c ^= b as u32;
                for _ in 0..8 {
                    c = if c & 1 != 0 {
                        0xedb8_8320 ^ (c >> 1)
                    } else {
                        c >> 1
                    };
                }
            }
            !c
        }
        fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
            out.extend_from_slice(&(data.len() as u32).to_be_bytes());
            let start = out.len();
            out.extend_from_slice(kind);
            out.extend_from_slice(data);
            let crc = crc32(&out[start..]);
            out.extend_from_slice(&crc.to_be_bytes());
        }
        let row = self.width as usize * 3;
        let mut raw = Vec::with_capacity((row + 1) * self.height as usize);
        for y in 0..self.height as usize {
            raw.push(0); // filter: none
            raw.extend_from_slice(&self.rgb[y * row..(y + 1) * row]);
        }
        let mut z = vec![0x78, 0x01];
        let blocks: Vec<&[u8]> = raw.chunks(65_535).collect();
        for (i, b) in blocks.iter().enumerate() {
            z.push(u8::from(i + 1 == blocks.len()));
            z.extend_from_slice(&(b.len() as u16).to_le_bytes());
            z.extend_from_slice(&(!(b.len() as u16)).to_le_bytes());
            z.extend_from_slice(b);
        }
        let (mut a, mut bsum) = (1u32, 0u32);
        for &byte in &raw {
            a = (a + byte as u32) % 65_521;
            bsum = (bsum + a) % 65_521;
        }
        z.extend_from_slice(&((bsum << 16) | a).to_be_bytes());
        let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut ihdr = Vec::new();
        ihdr.extend_from_slice(&self.width.to_be_bytes());
        ihdr.extend_from_slice(&self.height.to_be_bytes());
        ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
        chunk(&mut out, b"IHDR", &ihdr);
        chunk(&mut out, b"IDAT", &z);
        chunk(&mut out, b"IEND", &[]);
        out
    }

    /// Half the size in each direction (2x2 box average): previews.
    pub fn half(&self) -> Image {
        let (w, h) = (self.width / 2, self.height / 2);
        let mut rgb = Vec::with_capacity(w as usize * h as usize * 3);
        for y in 0..h {
            for x in 0..w {
                for c in 0..3 {
                    let s: u32 = [(0, 0), (1, 0), (0, 1), (1, 1)]
                        .iter()
                        .map(|&(dx, dy)| self.pixel(2 * x + dx, 2 * y + dy)[c] as u32)
                        .sum();
                    rgb.push(((s + 2) / 4) as u8);
                }
            }
        }
        Image {
            width: w,
            height: h,
            rgb,
        }
    }

    /// Baseline JPEG at `quality` (1-100).
    pub fn to_jpeg(&self, quality: u8) -> Result<Vec<u8>, RenderError> {
        let mut out = Vec::new();
        let mut enc =
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality.clamp(1, 100));
        enc.encode(
            &self.rgb,
            self.width,
            self.height,
            image::ExtendedColorType::Rgb8,
        )
        .map_err(|e| RenderError::Encode(e.to_string()))?;
        Ok(out)
    }
}

/// Undistorted normalised image coordinates on a coarse pixel grid, interpolated
/// bilinearly: Newton undistortion per node instead of per sample. With no distortion the
/// map is exact.
struct RayGrid {
    step_px: f64,
    nx: usize,
    ny: usize,
    xy: Vec<(f64, f64)>,
    pinhole: bool,
    cam: CameraIntrinsics,
}

impl RayGrid {
    fn new(cam: &CameraIntrinsics) -> Result<RayGrid, RenderError> {
        let pinhole = cam.distortion == BrownConrady::NONE;
        let step_px = 8.0;
        let nx = (cam.width_px as f64 / step_px).ceil() as usize + 1;
        let ny = (cam.height_px as f64 / step_px).ceil() as usize + 1;
        let mut xy = Vec::new();
        if !pinhole {
            xy.reserve(nx * ny);
            for j in 0..ny {
                for i in 0..nx {
                    let r = cam.pixel_to_ray(i as f64 * step_px, j as f64 * step_px)?;
                    xy.push((r[0] / r[2], r[1] / r[2]));
                }
            }
        }
        Ok(RayGrid {
            step_px,
            nx,
            ny,
            xy,
            pinhole,
            cam: *cam,
        })
    }

    /// Camera-frame ray `(x, y, 1)` through pixel position `(u, v)`.
    #[inline]
    fn ray(&self, u: f64, v: f64) -> Vec3 {
        if self.pinhole {
            return [
                (u - self.cam.cx_px) / self.cam.fx_px,
                (v - self.cam.cy_px) / self.cam.fy_px,
                1.0,
            ];
        }
        let fx = (u / self.step_px).clamp(0.0, (self.nx - 1) as f64 - 1e-9);
        let fy = (v / self.step_px).clamp(0.0, (self.ny - 1) as f64 - 1e-9);
        let (i, j) = (fx as usize, fy as usize);
        let (tx, ty) = (fx - i as f64, fy - j as f64);
        let at = |i: usize, j: usize| self.xy[j * self.nx + i];
        let (a, b, c, d) = (at(i, j), at(i + 1, j), at(i, j + 1), at(i + 1, j + 1));
        let x = (a.0 * (1.0 - tx) + b.0 * tx) * (1.0 - ty) + (c.0 * (1.0 - tx) + d.0 * tx) * ty;
        let y = (a.1 * (1.0 - tx) + b.1 * tx) * (1.0 - ty) + (c.1 * (1.0 - tx) + d.1 * tx) * ty;
        [x, y, 1.0]
    }
}

/// The geometry of one exposure: camera height, rotation, the map from the camera's
/// local ground plane to the world plane, and the world's relief if it has one.
pub struct FrameGeometry {
    /// Camera height above the ground under it, metres.
    pub height_m: f64,
    pub r_ned_camera: Mat3,
    cam_frame: LocalFrame,
    ground_amsl_m: f64,
    alt_amsl_m: f64,
    relief: Option<Arc<ReliefGrid>>,
    /// world = a * local + b
    a: [[f64; 2]; 2],
    b: [f64; 2],
    /// Inverse of `a`.
    a_inv: [[f64; 2]; 2],
}

impl FrameGeometry {
    pub fn new(world: &World, pose: &CameraPose) -> Result<FrameGeometry, RenderError> {
        let p = pose.position;
        qly_core::geodesy::GeoPoint::new(p.lat_deg, p.lon_deg)
            .map_err(|e| RenderError::Pose(e.to_string()))?;
        let relief = world.relief().cloned();
        let ground = match &relief {
            Some(_) => {
                let (e, n) = world.to_plane(qly_core::geodesy::GeoPoint {
                    lat_deg: p.lat_deg,
                    lon_deg: p.lon_deg,
                });
                world.height_amsl_at(e, n)
            }
            None => world.ground_amsl_m(),
        };
        let height_m = p.alt_amsl_m - ground;
        if !(height_m.is_finite() && height_m > 0.5) {
            return Err(RenderError::CameraBelowGround {
                clearance_m: height_m,
                ground_amsl_m: ground,
            });
        }
        // As the geotagger: AMSL altitude in the ellipsoidal slot.
        let cam_frame = LocalFrame::new(GeoPosition::new(p.lat_deg, p.lon_deg, p.alt_amsl_m));
        let to_world = |e: f64, n: f64| -> (f64, f64) {
            let g = cam_frame.to_geodetic(Enu::new(e, n, -height_m));
            world.to_plane(g.point())
        };
        let span = 100.0;
        let w0 = to_world(0.0, 0.0);
        let we = to_world(span, 0.0);
        let wn = to_world(0.0, span);
        let a = [
            [(we.0 - w0.0) / span, (wn.0 - w0.0) / span],
            [(we.1 - w0.1) / span, (wn.1 - w0.1) / span],
        ];
        let det = a[0][0] * a[1][1] - a[0][1] * a[1][0];
        let a_inv = [
            [a[1][1] / det, -a[0][1] / det],
            [-a[1][0] / det, a[0][0] / det],
        ];
        Ok(FrameGeometry {
            height_m,
            r_ned_camera: pose.r_ned_camera(),
            cam_frame,
            ground_amsl_m: ground,
            alt_amsl_m: p.alt_amsl_m,
            relief,
            a,
            b: [w0.0, w0.1],
            a_inv,
        })
    }

    /// Where a camera-frame ray meets the ground: world plane point, slant range, and the
    /// cosine of the incidence angle (from the vertical). `None` at or above the horizon, or
    /// on relief when the ray finds no ground within [`MAX_RANGE_M`].
    #[inline]
    pub fn ground_hit(&self, ray_cam: Vec3) -> Option<((f64, f64), f64, f64)> {
        let ned = self.r_ned_camera.mul_vec(ray_cam);
        let down = ned[2];
        if down <= 1e-9 {
            return None;
        }
        // Depth below the camera where the ray meets the ground.
        let depth = match &self.relief {
            None => self.height_m,
            Some(g) => self.relief_depth(g, ned)?,
        };
        let t = depth / down;
        let (e, n) = (t * ned[1], t * ned[0]);
        let len = (ned[0] * ned[0] + ned[1] * ned[1] + down * down).sqrt();
        Some((self.to_world(e, n), t * len, down / len))
    }

    #[inline]
    fn to_world(&self, e: f64, n: f64) -> (f64, f64) {
        (
            self.a[0][0] * e + self.a[0][1] * n + self.b[0],
            self.a[1][0] * e + self.a[1][1] * n + self.b[1],
        )
    }

    /// Depth below the camera at which the ray `ned` (down component > 0) meets the relief:
    /// a first guess from flat ground at the height under the camera, a bracket grown from
    /// it (steps doubling), then false position (Illinois) on
    /// `f(z) = camera height - z - ground height`, to 1 cm.
    ///
    /// Like the geotagger, it finds *a* crossing near the first guess, not necessarily the
    /// first along the ray: a ridge hiding the ground behind it is not modelled (at the
    /// survey's near-nadir views over a valley, rare).
    #[inline]
    fn relief_depth(&self, g: &ReliefGrid, ned: Vec3) -> Option<f64> {
        let (ke, kn) = (ned[1] / ned[2], ned[0] / ned[2]);
        let max_depth = MAX_RANGE_M / (1.0 + ke * ke + kn * kn).sqrt();
        let f = |z: f64| -> f64 {
            let (e, n) = self.to_world(z * ke, z * kn);
            self.alt_amsl_m - z - g.height_m(e, n)
        };
        let z0 = self.height_m.min(max_depth);
        let f0 = f(z0);
        let (mut lo, mut hi, mut flo, mut fhi);
        if f0 > 0.0 {
            // Still above the ground: go deeper.
            (lo, flo) = (z0, f0);
            let mut step = (0.25 * z0).max(5.0);
            loop {
                let z = (lo + step).min(max_depth);
                let fz = f(z);
                if fz <= 0.0 {
                    (hi, fhi) = (z, fz);
                    break;
                }
                if z >= max_depth {
                    return None;
                }
                (lo, flo) = (z, fz);
                step *= 2.0;
            }
        } else {
            // Below the ground: come back towards the camera (f(0) > 0 there).
            (hi, fhi) = (z0, f0);
            let mut step = (0.25 * z0).max(5.0);
            loop {
                let z = (hi - step).max(0.0);
                let fz = f(z);
                if fz > 0.0 || z <= 0.0 {
                    (lo, flo) = (z, fz);
                    break;
                }
                (hi, fhi) = (z, fz);
                step *= 2.0;
            }
        }
        let mut side = 0i8;
        for _ in 0..40 {
            if hi - lo < 0.01 {
                break;
            }
            let z = if flo > fhi {
                let zf = hi - fhi * (hi - lo) / (fhi - flo);
                if zf > lo && zf < hi {
                    zf
                } else {
                    0.5 * (lo + hi)
                }
            } else {
                0.5 * (lo + hi)
            };
            let fz = f(z);
            if fz > 0.0 {
                (lo, flo) = (z, fz);
                if side == 1 {
                    fhi *= 0.5;
                }
                side = 1;
            } else {
                (hi, fhi) = (z, fz);
                if side == -1 {
                    flo *= 0.5;
                }
                side = -1;
            }
        }
        Some(0.5 * (lo + hi))
    }

    /// The camera-frame direction (not normalised) to world plane point `(e, n)` on the
    /// ground (at the relief's height there, if any).
    pub fn ray_to(&self, east_m: f64, north_m: f64) -> Vec3 {
        let (x, y) = (east_m - self.b[0], north_m - self.b[1]);
        let e = self.a_inv[0][0] * x + self.a_inv[0][1] * y;
        let n = self.a_inv[1][0] * x + self.a_inv[1][1] * y;
        let depth = match &self.relief {
            None => self.height_m,
            Some(g) => self.alt_amsl_m - g.height_m(east_m, north_m),
        };
        let ned = [n, e, depth];
        self.r_ned_camera.transpose().mul_vec(ned)
    }

    /// The camera's local frame (centred on the camera, AMSL heights).
    pub fn camera_frame(&self) -> &LocalFrame {
        &self.cam_frame
    }

    /// Ground height under the camera, metres AMSL.
    pub fn ground_amsl_m(&self) -> f64 {
        self.ground_amsl_m
    }
}

/// Farthest slant range at which the renderer looks for relief, metres (beyond: sky).
pub const MAX_RANGE_M: f64 = 5000.0;

/// Renders the frame the camera `cam` takes from `pose` (use the TRUE capture pose).
pub fn render(
    world: &World,
    cam: &CameraIntrinsics,
    pose: &CameraPose,
    opts: &RenderOptions,
) -> Result<Image, RenderError> {
    opts.validate()?;
    let geo = FrameGeometry::new(world, pose)?;
    let rays = RayGrid::new(cam)?;
    let (w, h) = (cam.width_px as usize, cam.height_px as usize);
    let n = opts.samples_per_axis as usize;
    let sun = world.sun();
    let sun_dir = {
        let el = sun.elevation_deg.to_radians();
        [
            sun.toward_en.0 * el.cos(),
            sun.toward_en.1 * el.cos(),
            el.sin(),
        ]
    };
    let gain = 2f64.powf(opts.exposure_ev) as f32;
    let (cx, cy) = (w as f64 / 2.0, h as f64 / 2.0);
    let r2max = cx * cx + cy * cy;
    let seed = world.config().seed;
    let style = world.config().style;
    let mut buf = vec![0f32; w * h * 3];
    buf.par_chunks_mut(w * 3)
        .enumerate()
        .for_each(|(row, line)| {
            for col in 0..w {
                let mut acc = [0f32; 3];
                for sj in 0..n {
                    for si in 0..n {
                        let u = col as f64 + (si as f64 + 0.5) / n as f64;
                        let v = row as f64 + (sj as f64 + 0.5) / n as f64;
                        let ray = rays.ray(u, v);
                        let c = match geo.ground_hit(ray) {
                            None => [0.78, 0.82, 0.88],
                            Some(((e, nn), range, cos_inc)) => {
                                let fw = range / cam.fx_px / cos_inc.max(0.1).sqrt() / n as f64;
                                let s = world.sample(e, nn, fw);
                                let mut c = s.rgb;
                                if opts.glint && s.water > 0.0 {
                                    c = add_glint(c, s.water, ray, &geo, sun_dir, seed, e, nn, fw);
                                }
                                c
                            }
                        };
                        acc[0] += c[0];
                        acc[1] += c[1];
                        acc[2] += c[2];
                    }
                }
                let k = 1.0 / (n * n) as f32;
                let acc = style.grade([acc[0] * k, acc[1] * k, acc[2] * k]);
                let (dx, dy) = (col as f64 + 0.5 - cx, row as f64 + 0.5 - cy);
                let vig = (1.0 - opts.vignetting * (dx * dx + dy * dy) / r2max) as f32;
                for ch in 0..3 {
                    line[col * 3 + ch] = acc[ch] * gain * vig;
                }
            }
        });
    if opts.blur_sigma_px > 0.0 {
        gaussian_blur(&mut buf, w, h, opts.blur_sigma_px);
    }
    let mut rgb = vec![0u8; w * h * 3];
    let noise_sigma = opts.noise_sigma as f32;
    rgb.par_chunks_mut(w * 3)
        .zip(buf.par_chunks(w * 3))
        .enumerate()
        .for_each(|(row, (out, inp))| {
            for (i, (o, &v)) in out.iter_mut().zip(inp).enumerate() {
                let mut x = v * 255.0;
                if noise_sigma > 0.0 {
                    let hh = hash2(opts.seed ^ 0x5e45, row as i64, i as i64);
                    // Nearly Gaussian: the sum of four uniforms from one hash (Irwin-Hall,
                    // variance 4/12), without a logarithm and a cosine per sample.
                    let sum: u32 = (0..4).map(|k| ((hh >> (16 * k)) & 0xffff) as u32).sum();
                    let g = (sum as f32 / 65535.0 - 2.0) * 1.732_050_8;
                    x += noise_sigma * g;
                }
                *o = x.round().clamp(0.0, 255.0) as u8;
            }
        });
    Ok(Image {
        width: cam.width_px,
        height: cam.height_px,
        rgb,
    })
}

/// Specular reflection of the sun from a rippled water surface: strong where the mirrored
/// view ray points near the sun, broken into sparkles by the ripples.
#[allow(clippy::too_many_arguments)]
#[inline]
fn add_glint(
    c: [f32; 3],
    water: f32,
    ray_cam: Vec3,
    geo: &FrameGeometry,
    sun_dir_enu: [f64; 3],
    seed: u64,
    e: f64,
    n: f64,
    fw: f64,
) -> [f32; 3] {
    let ned = geo.r_ned_camera.mul_vec(ray_cam);
    let len = (ned[0] * ned[0] + ned[1] * ned[1] + ned[2] * ned[2]).sqrt();
    // Mirror the view ray about the horizontal water: ENU (east, north, up).
    let refl = [ned[1] / len, ned[0] / len, ned[2] / len];
    let cosang = refl[0] * sun_dir_enu[0] + refl[1] * sun_dir_enu[1] + refl[2] * sun_dir_enu[2];
    let lobe = (-(1.0 - cosang) / 0.012).exp() as f32;
    if lobe < 0.01 {
        return c;
    }
    let sparkle = fbm(seed ^ 0x6117, e, n, 0.5, 3, fw);
    let k = water * lobe * (((sparkle - 0.45) * 4.0).clamp(0.0, 1.0) * 0.9 + 0.15);
    [c[0] + k, c[1] + k, c[2] + k * 0.97]
}

/// Separable Gaussian blur of an RGB float buffer (edges clamped).
fn gaussian_blur(buf: &mut [f32], w: usize, h: usize, sigma: f64) {
    let r = (3.0 * sigma).ceil() as isize;
    let kernel: Vec<f32> = (-r..=r)
        .map(|i| (-(i * i) as f64 / (2.0 * sigma * sigma)).exp() as f32)
        .collect();
    let sum: f32 = kernel.iter().sum();
    let kernel: Vec<f32> = kernel.iter().map(|k| k / sum).collect();
    let mut tmp = vec![0f32; buf.len()];
    tmp.par_chunks_mut(w * 3).enumerate().for_each(|(y, out)| {
        for x in 0..w {
            for ch in 0..3 {
                let mut acc = 0.0;
                for (k, kv) in kernel.iter().enumerate() {
                    let xx = (x as isize + k as isize - r).clamp(0, w as isize - 1) as usize;
                    acc += kv * buf[(y * w + xx) * 3 + ch];
                }
                out[x * 3 + ch] = acc;
            }
        }
    });
    buf.par_chunks_mut(w * 3).enumerate().for_each(|(y, out)| {
        for x in 0..w {
            for ch in 0..3 {
                let mut acc = 0.0;
                for (k, kv) in kernel.iter().enumerate() {
                    let yy = (y as isize + k as isize - r).clamp(0, h as isize - 1) as usize;
                    acc += kv * tmp[(yy * w + x) * 3 + ch];
                }
                out[x * 3 + ch] = acc;
            }
        }
    });
}
