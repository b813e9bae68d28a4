//! The map's background: the flight's own photos as a north-up Web Mercator tile pyramid.
//!
//! Each photo is downscaled and placed by its ground footprint ([`super::footprint`]); on
//! flat ground a pinhole photo maps to the ground by a homography, fitted here to the four
//! corners (lens distortion is ignored: a few pixels at the downscaled size). Each pixel of
//! the deepest zoom's tiles takes the photo whose footprint centre is nearest (the most
//! nadir view of that spot); shallower zooms average 2 x 2 tiles of the one below.
//!
//! Pre-rendered tiles rather than one rotated overlay per photo: Leaflet loads only the
//! tiles in view, so the whole river at low zoom costs a handful of small tiles instead of
//! every photo, and the same tile layer serves an MBTiles basemap. Tiles fully covered by
//! photos are JPEG; tiles at the edge of the photographed strip are PNG with transparency.

use std::collections::{BTreeMap, HashMap};

use image::{imageops, DynamicImage, Rgba, RgbaImage};

use super::footprint::Footprint;
use super::map::LocalPlane;
use super::mercator::{self, LatLonBox, TILE_PX};

/// Longest side of a photo as the mosaic keeps it, pixels.
pub const PHOTO_PX: u32 = 384;
/// Most tiles the pyramid may hold; the deepest zoom is lowered until it fits.
pub const MAX_TILES: usize = 4000;
/// Deepest zoom rendered (about 0.15 m per pixel at the equator).
const MAX_ZOOM: u8 = 20;
/// Zooms rendered below the deepest.
const LEVELS: u8 = 6;

/// A photo ready to be sampled by ground position.
pub struct PlacedPhoto {
    img: RgbaImage,
    plane: LocalPlane,
    /// Ground (east, north) metres about the camera -> downscaled photo pixel.
    h: [f64; 9],
    centre_en_m: (f64, f64),
    bbox: LatLonBox,
    /// Ground metres per downscaled pixel, across the footprint.
    gsd_m: f64,
}

/// The homography taking `src[i]` to `dst[i]` (4 points, no 3 collinear), row-major with
/// `h[8] = 1`; `None` when degenerate.
pub fn homography(src: [(f64, f64); 4], dst: [(f64, f64); 4]) -> Option<[f64; 9]> {
    let mut a = [[0.0f64; 9]; 8];
    for i in 0..4 {
        let ((x, y), (u, v)) = (src[i], dst[i]);
        a[2 * i] = [x, y, 1.0, 0.0, 0.0, 0.0, -u * x, -u * y, u];
        a[2 * i + 1] = [0.0, 0.0, 0.0, x, y, 1.0, -v * x, -v * y, v];
    }
    // Gaussian elimination with partial pivoting on the 8 x 8 system.
    for col in 0..8 {
        let piv = (col..8).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[piv][col].abs() < 1e-12 {
            return None;
        }
        a.swap(col, piv);
        let pivot = a[col];
        for (r, row) in a.iter_mut().enumerate() {
            if r != col {
                let f = row[col] / pivot[col];
                for (x, p) in row.iter_mut().zip(pivot.iter()).skip(col) {
                    *x -= f * p;
                }
            }
        }
    }
    let mut h = [0.0; 9];
    for (i, row) in a.iter().enumerate() {
        h[i] = row[8] / row[i];
    }
    h[8] = 1.0;
    Some(h)
}

fn apply(h: &[f64; 9], x: f64, y: f64) -> Option<(f64, f64)> {
    let w = h[6] * x + h[7] * y + h[8];
    if w.abs() < 1e-12 {
        return None;
    }
    Some((
        (h[0] * x + h[1] * y + h[2]) / w,
        (h[3] * x + h[4] * y + h[5]) / w,
    ))
}

impl PlacedPhoto {
    /// `photo` placed by `fp`; `None` when the footprint is degenerate.
    pub fn new(
        photo: &DynamicImage,
        camera_lat_deg: f64,
        camera_lon_deg: f64,
        fp: &Footprint,
    ) -> Option<PlacedPhoto> {
        let img = if photo.width().max(photo.height()) > PHOTO_PX {
            photo.thumbnail(PHOTO_PX, PHOTO_PX).to_rgba8()
        } else {
            photo.to_rgba8()
        };
        let sx = f64::from(img.width()) / fp.corners_px[1].0.max(1.0);
        let sy = f64::from(img.height()) / fp.corners_px[2].1.max(1.0);
        let dst = fp.corners_px.map(|(u, v)| (u * sx, v * sy));
        let h = homography(fp.corners_en_m, dst)?;
        let (e, n): (Vec<f64>, Vec<f64>) = fp.corners_en_m.iter().copied().unzip();
        let centre_en_m = (e.iter().sum::<f64>() / 4.0, n.iter().sum::<f64>() / 4.0);
        let top = fp.corners_en_m[0];
        let right = fp.corners_en_m[1];
        let gsd_m = (right.0 - top.0).hypot(right.1 - top.1) / f64::from(img.width());
        Some(PlacedPhoto {
            img,
            plane: LocalPlane::new(camera_lat_deg, camera_lon_deg),
            h,
            centre_en_m,
            bbox: LatLonBox::around(fp.corners_deg)?,
            gsd_m,
        })
    }

    /// The photo's colour at a ground point and the squared distance from its footprint
    /// centre, or `None` outside the photo.
    fn sample(&self, lat_deg: f64, lon_deg: f64) -> Option<(Rgba<u8>, f64)> {
        let (e, n) = self.plane.to_xy(lat_deg, lon_deg);
        let (u, v) = apply(&self.h, e, n)?;
        let (w, h) = (self.img.width() as f64, self.img.height() as f64);
        if !(u >= 0.0 && v >= 0.0 && u < w && v < h) {
            return None;
        }
        let d2 = (e - self.centre_en_m.0).powi(2) + (n - self.centre_en_m.1).powi(2);
        Some((*self.img.get_pixel(u as u32, v as u32), d2))
    }
}

/// One encoded tile.
#[derive(Debug, Clone)]
pub struct Tile {
    pub z: u8,
    pub x: u32,
    pub y: u32,
    /// `"jpg"` (opaque) or `"png"` (with transparency).
    pub ext: &'static str,
    pub bytes: Vec<u8>,
}

/// The pyramid and its zoom range.
#[derive(Debug, Clone, Default)]
pub struct Pyramid {
    pub min_zoom: u8,
    pub max_zoom: u8,
    pub tiles: Vec<Tile>,
}

fn tiles_touched(photos: &[PlacedPhoto], z: u8) -> BTreeMap<(u32, u32), Vec<usize>> {
    let mut m: BTreeMap<(u32, u32), Vec<usize>> = BTreeMap::new();
    for (i, p) in photos.iter().enumerate() {
        let (x0, x1, y0, y1) = p.bbox.tiles(z);
        for x in x0..=x1 {
            for y in y0..=y1 {
                m.entry((x, y)).or_default().push(i);
            }
        }
    }
    m
}

fn render_tile(photos: &[PlacedPhoto], which: &[usize], z: u8, x: u32, y: u32) -> RgbaImage {
    let t = f64::from(TILE_PX);
    let mut img = RgbaImage::new(TILE_PX, TILE_PX);
    let tile_box = LatLonBox::of_tile(z, x, y);
    let near: Vec<&PlacedPhoto> = which
        .iter()
        .map(|&i| &photos[i])
        .filter(|p| p.bbox.intersects(&tile_box))
        .collect();
    // Latitude depends on the row only, longitude on the column only.
    let lats: Vec<f64> = (0..TILE_PX)
        .map(|py| mercator::from_world_px(0.0, f64::from(y) * t + f64::from(py) + 0.5, z).0)
        .collect();
    let lons: Vec<f64> = (0..TILE_PX)
        .map(|px| mercator::from_world_px(f64::from(x) * t + f64::from(px) + 0.5, 0.0, z).1)
        .collect();
    for (py, &lat) in (0..TILE_PX).zip(&lats) {
        for (px, &lon) in (0..TILE_PX).zip(&lons) {
            let best = near
                .iter()
                .filter_map(|p| p.sample(lat, lon))
                .min_by(|a, b| a.1.total_cmp(&b.1));
            if let Some((c, _)) = best {
                img.put_pixel(px, py, c);
            }
        }
    }
    img
}

fn encode(z: u8, x: u32, y: u32, img: &RgbaImage) -> Option<Tile> {
    if img.pixels().all(|p| p.0[3] == 0) {
        return None;
    }
    let opaque = img.pixels().all(|p| p.0[3] == 255);
    let mut bytes = Vec::new();
    let ext = if opaque {
        let rgb = DynamicImage::ImageRgba8(img.clone()).to_rgb8();
        let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 80);
        rgb.write_with_encoder(enc).ok()?;
        "jpg"
    } else {
        let enc = image::codecs::png::PngEncoder::new_with_quality(
            &mut bytes,
            image::codecs::png::CompressionType::Best,
            image::codecs::png::FilterType::Adaptive,
        );
        img.write_with_encoder(enc).ok()?;
        "png"
    };
    Some(Tile {
        z,
        x,
        y,
        ext,
        bytes,
    })
}

/// The deepest zoom whose pixels are no finer than the photos' (median) ground pixels.
fn deepest_zoom(photos: &[PlacedPhoto]) -> u8 {
    let mut g: Vec<f64> = photos
        .iter()
        .map(|p| p.gsd_m)
        .filter(|g| *g > 0.0)
        .collect();
    g.sort_by(f64::total_cmp);
    let gsd = g.get(g.len() / 2).copied().unwrap_or(1.0);
    let lat = photos.first().map_or(0.0, |p| p.bbox.south_deg);
    (1..=MAX_ZOOM)
        .rev()
        .find(|&z| mercator::metres_per_px(lat, z) >= gsd)
        .unwrap_or(1)
}

/// The tile pyramid of `photos`.
pub fn pyramid(photos: &[PlacedPhoto]) -> Pyramid {
    if photos.is_empty() {
        return Pyramid::default();
    }
    let mut z_max = deepest_zoom(photos);
    while z_max > 1 && tiles_touched(photos, z_max).len() > MAX_TILES / 2 {
        z_max -= 1;
    }
    let z_min = z_max.saturating_sub(LEVELS).max(1);
    let mut out = Vec::new();
    let mut level: HashMap<(u32, u32), RgbaImage> = tiles_touched(photos, z_max)
        .into_iter()
        .map(|((x, y), which)| ((x, y), render_tile(photos, &which, z_max, x, y)))
        .collect();
    let mut z = z_max;
    loop {
        out.extend(
            level
                .iter()
                .filter_map(|(&(x, y), img)| encode(z, x, y, img)),
        );
        if z == z_min {
            break;
        }
        // Each parent is its four children at half size.
        let mut parents: HashMap<(u32, u32), RgbaImage> = HashMap::new();
        for (&(x, y), img) in &level {
            let big = parents
                .entry((x / 2, y / 2))
                .or_insert_with(|| RgbaImage::new(2 * TILE_PX, 2 * TILE_PX));
            imageops::replace(
                big,
                img,
                i64::from((x % 2) * TILE_PX),
                i64::from((y % 2) * TILE_PX),
            );
        }
        level = parents
            .into_iter()
            .map(|(k, big)| {
                (
                    k,
                    imageops::resize(&big, TILE_PX, TILE_PX, imageops::FilterType::Triangle),
                )
            })
            .collect();
        z -= 1;
    }
    out.sort_by_key(|t| (t.z, t.x, t.y));
    Pyramid {
        min_zoom: z_min,
        max_zoom: z_max,
        tiles: out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn homography_maps_the_corners_and_a_rotated_square() {
        let src = [(-1.0, 1.0), (1.0, 1.0), (1.0, -1.0), (-1.0, -1.0)];
        let dst = [(0.0, 0.0), (100.0, 0.0), (100.0, 100.0), (0.0, 100.0)];
        let h = homography(src, dst).unwrap();
        for (s, d) in src.iter().zip(dst) {
            let (u, v) = apply(&h, s.0, s.1).unwrap();
            assert!((u - d.0).abs() < 1e-9 && (v - d.1).abs() < 1e-9);
        }
        let (u, v) = apply(&h, 0.0, 0.0).unwrap();
        assert!((u - 50.0).abs() < 1e-9 && (v - 50.0).abs() < 1e-9);
        assert!(homography([(0.0, 0.0); 4], dst).is_none());
    }
}
