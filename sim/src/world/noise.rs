//! Deterministic hash noise for the procedural world: integer hashing, value noise and fBm.
//!
//! Everything is a pure function of a seed and coordinates, so a world is reproduced exactly
//! from its seed with no stored textures, and any point can be evaluated in any order (which
//! is what lets the renderer run rows in parallel). Octaves finer than the caller's filter
//! width fade out ([`fbm`]), the procedural equivalent of a mip-map, so fine texture does not
//! alias into shimmer at coarse ground sampling.

/// Euclidean length of `(x, y)` without `hypot`'s overflow care (libm's `hypot` was a
/// fifth of the render time; scene distances are far from overflow).
#[inline]
pub fn len2(x: f64, y: f64) -> f64 {
    (x * x + y * y).sqrt()
}

/// `x.floor() as i64` without a libm call (baseline x86-64 has no rounding instruction).
#[inline]
pub fn floor_i64(x: f64) -> i64 {
    let i = x as i64;
    if (i as f64) > x {
        i - 1
    } else {
        i
    }
}

/// A 64-bit mix (SplitMix64's finaliser): good avalanche, cheap.
#[inline]
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Hash of a seed and two lattice coordinates.
#[inline]
pub fn hash2(seed: u64, ix: i64, iy: i64) -> u64 {
    mix64(
        seed ^ (ix as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
            ^ (iy as u64).wrapping_mul(0xc2b2_ae3d_27d4_eb4f),
    )
}

/// Uniform in [0, 1) from a hash and a channel number (independent values per channel).
#[inline]
pub fn unit(h: u64, channel: u64) -> f64 {
    (mix64(h ^ channel.wrapping_mul(0xd6e8_feb8_6659_fd93)) >> 11) as f64 / (1u64 << 53) as f64
}

#[inline]
fn smooth(t: f32) -> f32 {
    t * t * (3.0 - 2.0 * t)
}

/// A lattice value in [0, 1): a cheap 32-bit integer hash (value noise needs four per
/// evaluation; the full 64-bit mix there was a tenth of the render time).
#[inline]
fn lattice(seed: u64, ix: i64, iy: i64) -> f32 {
    let mut h = (seed as u32) ^ (seed >> 32) as u32;
    h ^= (ix as u32).wrapping_mul(0x27d4_eb2d);
    h = h.rotate_left(13) ^ (iy as u32).wrapping_mul(0x1656_67b1);
    h = (h ^ (h >> 15)).wrapping_mul(0x2c1b_3c6d);
    h = (h ^ (h >> 12)).wrapping_mul(0x297a_2d39);
    h ^= h >> 15;
    (h >> 8) as f32 / (1u32 << 24) as f32
}

/// Value noise in [0, 1] with unit lattice spacing, smooth (C1) between lattice points.
#[inline]
pub fn value(seed: u64, x: f64, y: f64) -> f32 {
    let (ix, iy) = (floor_i64(x), floor_i64(y));
    let (fx, fy) = (ix as f64, iy as f64);
    let (tx, ty) = (smooth((x - fx) as f32), smooth((y - fy) as f32));
    let a = lattice(seed, ix, iy);
    let b = lattice(seed, ix + 1, iy);
    let c = lattice(seed, ix, iy + 1);
    let d = lattice(seed, ix + 1, iy + 1);
    let top = a + (b - a) * tx;
    let bottom = c + (d - c) * tx;
    top + (bottom - top) * ty
}

/// Fractal value noise in [0, 1]: `octaves` octaves from wavelength `wavelength_m` down,
/// halving each time. Octaves whose wavelength is below two filter widths `filter_m` fade
/// towards their mean (0.5), so a coarse pixel sees the average, not a random sample.
pub fn fbm(seed: u64, x_m: f64, y_m: f64, wavelength_m: f64, octaves: u32, filter_m: f64) -> f32 {
    let mut sum = 0.0f32;
    let mut amp = 0.5f32;
    let mut norm = 0.0f32;
    let mut wl = wavelength_m;
    for o in 0..octaves {
        // Fully present above 4 filter widths, gone below 2.
        let keep = ((wl / filter_m.max(1e-6) - 2.0) / 2.0).clamp(0.0, 1.0) as f32;
        let v = if keep > 0.0 {
            value(seed.wrapping_add(o as u64 * 7919), x_m / wl, y_m / wl)
        } else {
            0.5
        };
        sum += amp * (0.5 + (v - 0.5) * keep);
        norm += amp;
        amp *= 0.5;
        wl *= 0.5;
    }
    sum / norm
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_noise_is_deterministic_bounded_and_seed_dependent() {
        let mut differ = 0;
        for i in 0..1000 {
            let (x, y) = (i as f64 * 0.37, i as f64 * -0.11);
            let a = value(1, x, y);
            assert_eq!(a, value(1, x, y));
            assert!((0.0..=1.0).contains(&a));
            if (a - value(2, x, y)).abs() > 1e-3 {
                differ += 1;
            }
        }
        assert!(differ > 900, "{differ}");
    }

    #[test]
    fn fbm_fades_to_the_mean_when_filtered() {
        let v = fbm(3, 12.3, 4.5, 1.0, 4, 10.0);
        assert!((v - 0.5).abs() < 1e-6, "{v}");
        let u = fbm(3, 12.3, 4.5, 100.0, 4, 0.01);
        assert!((0.0..=1.0).contains(&u));
    }
}
