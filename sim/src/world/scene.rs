//! The scene: the colour of the ground at a plane point, seen through a filter of a given
//! width (the pixel's ground footprint).
//!
//! Layers, bottom to top: land (fields, villages, factories, the bank road), the riparian
//! strip, the bank slope (concrete revetment, natural earth or rocks), the water (colour
//! drifting between jade and turbid brown, darker in the deep middle, ripples along the
//! flow), plumes, outfalls, rocks, bank debris, boats, tree crowns and the shadows of trees,
//! buildings, boats and bridges, bridges, and ground markers.
//!
//! # Anti-aliasing
//!
//! Every edge is drawn as the box-filtered coverage of a filter `filter_m` wide, and noise
//! octaves finer than the filter fade to their mean ([`noise::fbm`]), so one sample per
//! pixel already averages what the pixel sees; thin features (railings, joints, crop rows)
//! dim instead of flickering between frames. The renderer may still supersample.

use super::noise::{self, fbm, hash2, unit, value};
use super::targets::{smoothstep, MouthShape};
use super::World;

/// What the camera sees at a ground point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Surface {
    /// Colour, sRGB-encoded components in [0, 1].
    pub rgb: [f32; 3],
    /// Fraction of open water (where sun glint can appear), 0..1.
    pub water: f32,
}

type Rgb = [f32; 3];

#[inline]
fn mix(a: Rgb, b: Rgb, t: f32) -> Rgb {
    [
        a[0] + (b[0] - a[0]) * t,
        a[1] + (b[1] - a[1]) * t,
        a[2] + (b[2] - a[2]) * t,
    ]
}

#[inline]
fn scale(a: Rgb, k: f32) -> Rgb {
    [a[0] * k, a[1] * k, a[2] * k]
}

/// Coverage of the inside of a region whose signed distance (negative inside) is `sd`,
/// under a box filter `fw` wide.
#[inline]
fn cov(sd: f64, fw: f64) -> f32 {
    (0.5 - sd / fw).clamp(0.0, 1.0) as f32
}

/// Coverage of a band `|x| < half` by a box filter `fw` wide centred at `x`.
#[inline]
fn band(x: f64, half: f64, fw: f64) -> f32 {
    let lo = (x - fw / 2.0).max(-half);
    let hi = (x + fw / 2.0).min(half);
    ((hi - lo).max(0.0) / fw).min(1.0) as f32
}

/// A periodic stripe pattern in [0, 1], attenuated to its mean 0.5 as the filter
/// approaches the period.
#[inline]
fn stripe(x: f64, period: f64, fw: f64) -> f32 {
    let att = (1.0 - 1.5 * fw / period).clamp(0.0, 1.0);
    if att == 0.0 {
        return 0.5;
    }
    // cos(2 pi t) as a smoothed triangle wave (within 2 % of the cosine, no libm call).
    let t = x / period;
    let f = t - noise::floor_i64(t) as f64;
    let tri = 1.0 - 4.0 * f.min(1.0 - f);
    let c = tri * (1.5 - 0.5 * tri * tri);
    (0.5 + 0.5 * c * att) as f32
}

/// Bank construction along a stretch.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Bank {
    Concrete,
    Natural,
    Rocky,
}

struct Stretch {
    bank: Bank,
    bank_width_m: f64,
    veg_width_m: f64,
}

const SALT_BANK: u64 = 0xba11;
const SALT_TREE: u64 = 0x7ee5;
const SALT_ROCK: u64 = 0x50c4;
const SALT_DEBRIS: u64 = 0xdeb1;
const SALT_BOAT: u64 = 0xb0a7;
const SALT_FIELD: u64 = 0xf1e1;
const SALT_BUILD: u64 = 0xb1d6;

/// Boat slot length along the river, metres.
const BOAT_SLOT_M: f64 = 70.0;
/// Tree cell size, metres.
const TREE_CELL_M: f64 = 5.0;
/// Tallest tree, metres.
const MAX_TREE_M: f64 = 13.0;

impl World {
    fn stretch(&self, s_m: f64, side: f64) -> Stretch {
        // Stretches of about 70 m; both banks differ.
        let h = hash2(
            self.seed ^ SALT_BANK,
            noise::floor_i64(s_m / 70.0),
            side as i64,
        );
        let u = unit(h, 0);
        let bank = if u < 0.35 {
            Bank::Concrete
        } else if u < 0.8 {
            Bank::Natural
        } else {
            Bank::Rocky
        };
        // Widths vary smoothly along the bank (no steps at stretch ends).
        let sd = if side > 0.0 { 0.25 } else { 0.75 };
        Stretch {
            bank,
            bank_width_m: 2.5 + 4.0 * value(self.seed ^ 0xba12, s_m / 60.0, sd) as f64,
            veg_width_m: 6.0 + 18.0 * value(self.seed ^ 0xba13, s_m / 80.0, sd) as f64,
        }
    }

    /// The sun's horizontal direction (towards the sun) in river coordinates `(ds, dd)`
    /// for a segment with unit tangent `t`, scaled by the shadow length per metre of height.
    fn sun_sd(&self, t: (f64, f64)) -> (f64, f64) {
        let (se, sn) = self.sun.toward_en;
        let k = self.sun.shadow_per_m;
        ((se * t.0 + sn * t.1) * k, (-se * t.1 + sn * t.0) * k)
    }

    /// The surface at plane point `(e, n)` seen through a filter `filter_m` wide.
    pub fn sample(&self, e: f64, n: f64, filter_m: f64) -> Surface {
        let fw = filter_m.max(1e-3);
        let mut out = match self.river.coord(e, n) {
            None => Surface {
                rgb: self.land(e, n, fw),
                water: 0.0,
            },
            Some(rc) => self.near_river(e, n, rc, fw),
        };
        for m in &self.markers {
            let d = noise::len2(e - m.east_m, n - m.north_m);
            let c = cov(d - m.radius_m, fw);
            if c > 0.0 {
                out.rgb = mix(out.rgb, [1.0, 0.0, 1.0], c);
                out.water *= 1.0 - c;
            }
        }
        out
    }

    fn near_river(&self, e: f64, n: f64, rc: super::river::RiverCoord, fw: f64) -> Surface {
        let (s, d) = (rc.s_m, rc.d_m);
        let river = &self.river;
        let c = river.channel_offset_m(s);
        let hw = river.half_width_m(s);
        let side = if d >= c { 1.0 } else { -1.0 };
        let y = river.inward_with_m(s, d, side, c, hw);
        // Smooth inward distance: target and feature coordinates.
        let ys = hw - side * (d - c);
        let st = self.stretch(s, side);
        let seed = self.seed;

        // --- ground: land, riparian strip, bank slope
        let edge_noise = (value(seed ^ 0xed6e, s / 9.0, side) as f64 - 0.5) * 3.0;
        let veg_out = -(st.bank_width_m + st.veg_width_m + edge_noise);
        let soft = fw.max(0.6);
        let mut ground = if y < veg_out - soft {
            self.land(e, n, fw)
        } else if y < veg_out + soft {
            let land = self.land(e, n, fw);
            let grass = self.grass(e, n, fw);
            mix(land, grass, cov(veg_out - y, soft))
        } else {
            self.grass(e, n, fw)
        };
        // The bank road on the left bank.
        if side > 0.0 {
            let d_road = c
                + river.corridor_width_m * 0.38
                + 20.0
                + 16.0 * (value(seed ^ 0x60ad, s / 600.0, 0.5) as f64 - 0.5);
            let x = d - d_road;
            if x.abs() < 4.5 {
                let wear = fbm(seed ^ 0x60ae, e, n, 4.0, 4, fw);
                let mut road = scale([0.56, 0.55, 0.52], 0.88 + 0.24 * wear);
                let tracks = band(x.abs() - 1.0, 0.35, fw) * 0.12;
                road = scale(road, 1.0 - tracks);
                let shoulder = [0.50, 0.44, 0.33];
                let r = mix(shoulder, road, band(x, 2.6, fw));
                ground = mix(ground, r, band(x, 3.3, fw));
            }
        }
        let bank_top = -st.bank_width_m + 0.4 * (value(seed ^ 0xb7, s / 4.0, side) as f64 - 0.5);
        if y > bank_top - fw {
            let bank = self.bank(e, n, s, y, &st, fw);
            ground = mix(ground, bank, cov(bank_top - y, fw));
        }
        // --- water
        let water = cov(-y, fw);
        let mut rgb = ground;
        if water > 0.0 {
            rgb = mix(rgb, self.water(e, n, s, d, y, hw, fw), water);
        }
        let mut surf = Surface { rgb, water };

        // --- targets
        if self.show_targets {
            self.draw_plumes(&mut surf, s, ys, side, fw, e, n);
            self.draw_outfalls(&mut surf, s, ys, side, fw, e, n);
        }
        // --- distractors
        if (-7.0..7.0).contains(&ys) {
            self.rocks(&mut surf, s, ys, side, &st, fw, e, n);
            self.debris(&mut surf, s, ys, side, &st, fw, e, n);
        }
        if y > -2.0 {
            self.boats(&mut surf, s, ys, side, hw, rc.tangent, fw);
        }
        self.draw_trees(&mut surf, s, d, rc.tangent, fw, e, n);
        self.draw_bridges(&mut surf, s, d, c, hw, rc.tangent, fw, e, n);
        surf
    }

    fn grass(&self, e: f64, n: f64, fw: f64) -> Rgb {
        let a = fbm(self.seed ^ 0x6a55, e, n, 3.0, 4, fw);
        let b = fbm(self.seed ^ 0x6a56, e, n, 25.0, 2, fw);
        let p = &self.palette;
        let base = mix(p.grass[0], p.grass[1], b);
        let bare = smoothstep(0.62, 0.75, a as f64) as f32 * 0.6;
        scale(mix(base, p.bare_soil, bare), 0.8 + 0.4 * a)
    }

    fn bank(&self, e: f64, n: f64, s: f64, y: f64, st: &Stretch, fw: f64) -> Rgb {
        let seed = self.seed;
        let tex = fbm(seed ^ 0xba4c, e, n, 3.0, 4, fw);
        let wet = smoothstep(-1.2, 0.1, y) as f32;
        match st.bank {
            Bank::Concrete => {
                let mut c = scale(self.palette.concrete, 0.86 + 0.25 * tex);
                let joint_s = band(((s / 2.5).fract() - 0.5).abs() * 2.5 - 1.25, 0.05, fw);
                let joint_y = band(((y / 1.6).fract().abs() - 0.5).abs() * 1.6 - 0.8, 0.05, fw);
                c = scale(c, 1.0 - 0.3 * joint_s.max(joint_y));
                mix(c, [0.24, 0.26, 0.17], wet * 0.75)
            }
            Bank::Natural => {
                let g = fbm(seed ^ 0xba4d, e, n, 2.0, 4, fw);
                let mud = self.palette.bank_mud;
                let grass = self.palette.bank_grass;
                let t = (smoothstep(-0.5, -2.5, y) as f32 * 0.8 + (g - 0.5) * 0.8).clamp(0.0, 1.0);
                scale(
                    mix(mix(mud, grass, t), [0.28, 0.25, 0.18], wet * 0.6),
                    0.85 + 0.3 * tex,
                )
            }
            Bank::Rocky => {
                // Riprap: stones of varied size in a jittered grid, dark gaps between.
                let cell = 0.7;
                let (ci, cj) = (noise::floor_i64(e / cell), noise::floor_i64(n / cell));
                let mut best = (f64::MAX, 0u64);
                for i in ci - 1..=ci + 1 {
                    for j in cj - 1..=cj + 1 {
                        let h = hash2(seed ^ 0x50c5, i, j);
                        let cx = (i as f64 + 0.2 + 0.6 * unit(h, 1)) * cell;
                        let cy = (j as f64 + 0.2 + 0.6 * unit(h, 2)) * cell;
                        let r = (0.3 + 0.25 * unit(h, 3)) * cell;
                        let dd = noise::len2(e - cx, n - cy) / r;
                        if dd < best.0 {
                            best = (dd, h);
                        }
                    }
                }
                let grey = 0.38 + 0.24 * unit(best.1, 0) as f32;
                let stone = [grey, grey * 0.96, grey * 0.9];
                let gap = 1.0 - cov(best.0 - 1.0, fw / (0.4 * cell));
                let c = mix(stone, [0.24, 0.22, 0.17], gap * 0.75);
                mix(scale(c, 0.85 + 0.3 * tex), [0.22, 0.23, 0.17], wet * 0.5)
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn water(&self, e: f64, n: f64, s: f64, d: f64, y: f64, hw: f64, fw: f64) -> Rgb {
        let seed = self.seed;
        let turb = value(seed ^ 0x7b7b, s / 900.0, 0.5);
        let p = &self.palette;
        let base = mix(
            p.water_clear,
            p.water_turbid,
            (turb * 0.8 + self.turbidity_bias + p.turbidity_offset).clamp(0.0, 0.85),
        );
        let depth = smoothstep(0.0, 0.45 * hw, y) as f32;
        let shallow = mix(scale(base, 1.2), p.shallows, 0.3);
        let mut c = mix(shallow, scale(base, 0.85), depth);
        // Ripples and current lines stretched along the flow, broad patches, and the sky's
        // reflection where the surface is smooth.
        let rip = fbm(seed ^ 0x4199, s * 0.3, d, 1.2, 3, fw * 0.3);
        let lines = fbm(seed ^ 0x419a, s * 0.05, d, 2.5, 2, fw * 0.05);
        let patch = fbm(seed ^ 0x4198, e, n, 35.0, 2, fw);
        c = scale(
            c,
            0.88 + 0.18 * rip + 0.1 * (lines - 0.5) + 0.12 * (patch - 0.5),
        );
        let sky = smoothstep(0.55, 0.75, patch as f64) as f32 * p.sky_reflection;
        mix(c, p.sky, sky)
    }

    #[allow(clippy::too_many_arguments)]
    fn draw_plumes(&self, surf: &mut Surface, s: f64, ys: f64, side: f64, fw: f64, e: f64, n: f64) {
        if ys < -0.6 {
            return;
        }
        let lo = self
            .plumes
            .partition_point(|p| p.s_m < s - self.max_plume_m);
        for p in &self.plumes[lo..] {
            if p.s_m > s + 2.0 {
                break;
            }
            if p.side != side {
                continue;
            }
            let x = s - p.s_m;
            let bulge = 1.0 - smoothstep(1.0, 2.6, noise::len2(x, ys.max(0.0)));
            let mut a = 0.0f64;
            if x >= 0.0 && x <= p.length_m {
                let wobble = fbm(p.seed, x / 6.0, ys / 3.0, 1.0, 3, 0.0) as f64;
                let w = p.width_at_m(x) * (0.75 + 0.5 * wobble);
                let across = 1.0 - smoothstep(0.45 * w, w, ys);
                let tex = fbm(p.seed ^ 1, e, n, 2.5, 4, fw) as f64;
                a = p.along(x) * across * (0.7 + 0.6 * tex);
            }
            a = a.max(bulge).clamp(0.0, 1.0) * p.opacity as f64;
            if p.kind == super::targets::PlumeKind::Foam {
                let f = fbm(p.seed ^ 2, e, n, 0.9, 3, fw) as f64;
                a *= smoothstep(0.42, 0.58, f) * 1.3;
            }
            // On the water (and a little wet margin).
            let on = surf.water.max(cov(-(ys + 0.3), fw)) as f64;
            let a = (a * on).clamp(0.0, 1.0) as f32;
            if a > 0.0 {
                surf.rgb = mix(surf.rgb, p.kind.colour(), a);
                if p.kind == super::targets::PlumeKind::Foam {
                    surf.water *= 1.0 - a;
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn draw_outfalls(
        &self,
        surf: &mut Surface,
        s: f64,
        ys: f64,
        side: f64,
        fw: f64,
        e: f64,
        n: f64,
    ) {
        if !(-3.0..6.0).contains(&ys) {
            return;
        }
        let lo = self.outfalls.partition_point(|o| o.s_m < s - 4.0);
        for o in &self.outfalls[lo..] {
            if o.s_m > s + 4.0 {
                break;
            }
            if o.side != side {
                continue;
            }
            let x = s - o.s_m;
            let dia = o.diameter_m;
            let my = o.mouth_y_m();
            // Stain from the mouth into the water.
            if o.stained && ys > my {
                let reach = 2.5 * dia + 1.0;
                let wob = fbm(self.seed ^ 0x57a1, e, n, 0.8, 3, fw) as f64;
                let half = (0.5 * dia + 0.3 * (ys - my).max(0.0)) * (0.6 + 0.8 * wob);
                let k =
                    band(x, half, fw.max(0.15)) * (1.0 - smoothstep(0.0, reach, ys - my) as f32);
                surf.rgb = mix(surf.rgb, [0.17, 0.14, 0.09], 0.5 * k);
            }
            // Concrete headwall / apron.
            let (aw, ad) = o.apron_m();
            let apron = band(x, aw, fw) * band(ys - (0.25 - ad) / 2.0, (0.25 + ad) / 2.0, fw);
            if apron > 0.0 {
                let tex = fbm(self.seed ^ 0xa9, e, n, 1.0, 3, fw);
                let grime = fbm(self.seed ^ 0xaa, e, n, 0.6, 2, fw);
                let mut conc = scale([0.55, 0.54, 0.50], 0.8 + 0.3 * tex);
                conc = mix(
                    conc,
                    [0.30, 0.32, 0.22],
                    0.5 * smoothstep(0.5, 0.7, grime as f64) as f32,
                );
                if o.stained {
                    let streak = band(x, 0.45 * dia, fw) * smoothstep(my, 0.25, ys) as f32;
                    conc = mix(conc, [0.2, 0.17, 0.12], 0.6 * streak);
                }
                surf.rgb = mix(surf.rgb, conc, apron);
                surf.water *= 1.0 - apron;
            }
            // The mouth: a dark opening in a lighter rim.
            let rim = 0.05 + 0.08 * dia;
            let sd = match o.shape {
                MouthShape::Round => noise::len2(x, ys - my) - 0.5 * dia,
                MouthShape::Box => {
                    let qx = x.abs() - 0.5 * dia;
                    let qy = (ys - my).abs() - 0.35 * dia;
                    qx.max(qy)
                }
            };
            let rim_c = cov(sd - rim, fw);
            if rim_c > 0.0 {
                surf.rgb = mix(surf.rgb, [0.52, 0.52, 0.50], rim_c);
                let hole = cov(sd, fw);
                // Slightly lit at the far side of the opening.
                let inner = [0.035, 0.035, 0.03];
                surf.rgb = mix(surf.rgb, inner, hole);
            }
        }
    }

    /// Whether a target site lies within `r_m` of station `s` on bank `side`.
    fn near_target(&self, s: f64, side: f64, r_m: f64) -> bool {
        let lo = self.sites.partition_point(|&(ss, _)| ss < s - r_m);
        self.sites[lo..]
            .iter()
            .take_while(|&&(ss, _)| ss <= s + r_m)
            .any(|&(_, sd)| sd == side)
    }

    #[allow(clippy::too_many_arguments)]
    fn rocks(
        &self,
        surf: &mut Surface,
        s: f64,
        ys: f64,
        side: f64,
        st: &Stretch,
        fw: f64,
        e: f64,
        n: f64,
    ) {
        let cell = 3.0;
        let (ci, cj) = (noise::floor_i64(s / cell), noise::floor_i64(ys / cell));
        let h = hash2(self.seed ^ SALT_ROCK, ci, cj * 2 + (side > 0.0) as i64);
        let p = match st.bank {
            Bank::Rocky => 0.35,
            Bank::Natural => 0.12,
            Bank::Concrete => 0.03,
        };
        if unit(h, 0) >= p {
            return;
        }
        let r = 0.2 + 0.7 * unit(h, 1);
        let cs = (ci as f64) * cell + r + (cell - 2.0 * r) * unit(h, 2);
        let cy = (cj as f64) * cell + r + (cell - 2.0 * r) * unit(h, 3);
        if cy > 5.0 || self.near_target(cs, side, 4.0) {
            return;
        }
        let (dx, dy) = (s - cs, ys - cy);
        let dist = noise::len2(dx, dy);
        if dist > 1.5 * r + fw {
            return;
        }
        let lump = (value(h, e / 0.3, n / 0.3) as f64 - 0.5) * 0.5 * r;
        let c = cov(dist - r - lump, fw);
        if c > 0.0 {
            let grey = 0.40 + 0.18 * unit(h, 4) as f32;
            let (ss, sdd) = self.sun_sd((1.0, 0.0));
            let norm = (ss * ss + sdd * sdd).sqrt().max(1e-9);
            let lit = ((dx * ss - side * dy * sdd) / norm / r).clamp(-1.0, 1.0) as f32;
            let rgb = scale([grey, grey * 0.98, grey * 0.93], 0.8 + 0.3 * lit);
            surf.rgb = mix(surf.rgb, rgb, c);
            surf.water *= 1.0 - c;
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn debris(
        &self,
        surf: &mut Surface,
        s: f64,
        ys: f64,
        side: f64,
        st: &Stretch,
        fw: f64,
        e: f64,
        n: f64,
    ) {
        if !(-6.0..0.6).contains(&ys) || st.bank == Bank::Concrete {
            return;
        }
        let cell = 2.5;
        let (ci, cj) = (noise::floor_i64(s / cell), noise::floor_i64(ys / cell));
        let h = hash2(self.seed ^ SALT_DEBRIS, ci, cj * 2 + (side > 0.0) as i64);
        if unit(h, 0) >= 0.07 {
            return;
        }
        let r = 0.35 + 0.8 * unit(h, 1);
        let cs = (ci as f64) * cell + r + (cell - 2.0 * r).max(0.0) * unit(h, 2);
        let cy = (cj as f64) * cell + r + (cell - 2.0 * r).max(0.0) * unit(h, 3);
        if self.near_target(cs, side, 3.0) {
            return;
        }
        let dist = noise::len2(s - cs, ys - cy);
        if dist > r + fw {
            return;
        }
        let speck = fbm(h, e, n, 0.25, 2, fw);
        let k = smoothstep(0.5, 0.62, speck as f64) as f32 * cov(dist - r, fw);
        let colours = [
            [0.90, 0.90, 0.88],
            [0.20, 0.35, 0.70],
            [0.72, 0.22, 0.16],
            [0.10, 0.10, 0.10],
            [0.85, 0.80, 0.35],
        ];
        let col = colours[(value(h ^ 5, e / 0.4, n / 0.4) * 4.99) as usize];
        surf.rgb = mix(surf.rgb, col, k);
        surf.water *= 1.0 - k;
    }

    #[allow(clippy::too_many_arguments)]
    fn boats(
        &self,
        surf: &mut Surface,
        s: f64,
        ys: f64,
        side: f64,
        hw: f64,
        t: (f64, f64),
        fw: f64,
    ) {
        let slot = noise::floor_i64(s / BOAT_SLOT_M);
        let (ss, sdd) = self.sun_sd(t);
        for k in [slot - 1, slot, slot + 1] {
            let h = hash2(self.seed ^ SALT_BOAT, k, 0);
            if unit(h, 0) >= 0.2 {
                continue;
            }
            let bs = (k as f64 + 0.15 + 0.7 * unit(h, 1)) * BOAT_SLOT_M;
            let bside = if unit(h, 2) < 0.5 { 1.0 } else { -1.0 };
            if bside != side || self.near_target(bs, 1.0, 25.0) || self.near_target(bs, -1.0, 25.0)
            {
                continue;
            }
            let len = 5.0 + 4.0 * unit(h, 3);
            let beam = 1.4 + 0.8 * unit(h, 4);
            let by = 0.5 * beam + 0.4 + (0.8 * hw - beam).max(0.0) * unit(h, 5).powi(2);
            let ang = (unit(h, 6) - 0.5) * 0.4;
            let (sa, ca) = ang.sin_cos();
            let hull = |ps: f64, py: f64| -> (f64, f64) {
                let (dx, dy) = (ps - bs, py - by);
                let a = dx * ca + dy * sa;
                let b = -dx * sa + dy * ca;
                let half = 0.5 * beam * (1.0 - (2.0 * a / len).powi(4)).max(0.0).sqrt();
                ((b.abs() - half).max(a.abs() - 0.5 * len), a)
            };
            // Shadow on the water: the boat seen from the point towards the sun (0.7 m high).
            let (sh, _) = hull(s + ss * 0.7, ys - side * sdd * 0.7);
            let shadow = cov(sh, fw) * surf.water;
            if shadow > 0.0 {
                surf.rgb = scale(surf.rgb, 1.0 - 0.45 * shadow);
            }
            let (sd, a) = hull(s, ys);
            let c = cov(sd, fw);
            if c > 0.0 {
                let colours = [
                    [0.46, 0.34, 0.21],
                    [0.86, 0.86, 0.84],
                    [0.20, 0.36, 0.56],
                    [0.36, 0.29, 0.22],
                ];
                let hull_c = colours[(unit(h, 7) * 3.99) as usize];
                let floor = scale(hull_c, 0.55);
                let inside = cov(sd + 0.14, fw);
                let thwart = band(((a / 1.3).fract().abs() - 0.5).abs() * 1.3 - 0.65, 0.08, fw);
                let inner = mix(floor, hull_c, thwart);
                let rgb = mix(hull_c, inner, inside);
                surf.rgb = mix(surf.rgb, rgb, c);
                surf.water *= 1.0 - c;
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn draw_trees(
        &self,
        surf: &mut Surface,
        s: f64,
        d: f64,
        t: (f64, f64),
        fw: f64,
        e: f64,
        n: f64,
    ) {
        let (ss, sdd) = self.sun_sd(t);
        let cell = TREE_CELL_M;
        // Crowns covering the point.
        let mut crown: Option<(f32, Rgb)> = None;
        let (ci, cj) = (noise::floor_i64(s / cell), noise::floor_i64(d / cell));
        for i in ci - 1..=ci + 1 {
            for j in cj - 1..=cj + 1 {
                let Some(tree) = self.tree_at(i, j) else {
                    continue;
                };
                let (dx, dy) = (s - tree.s, d - tree.d);
                let dist = noise::len2(dx, dy);
                if dist > tree.r * 1.2 + fw {
                    continue;
                }
                let edge = 0.8 + 0.35 * fbm(tree.h, e, n, 1.3, 2, fw) as f64;
                let k = cov(dist - tree.r * edge, fw);
                if k > crown.map_or(0.0, |c| c.0) {
                    let leaf = fbm(tree.h ^ 9, e, n, 0.7, 3, fw);
                    let norm = (ss * ss + sdd * sdd).sqrt().max(1e-9);
                    let lit = ((dx * ss + dy * sdd) / norm / tree.r).clamp(-1.0, 1.0) as f32;
                    let rgb = scale(tree.colour, (0.82 + 0.3 * lit) * (0.75 + 0.5 * leaf));
                    crown = Some((k, rgb));
                }
            }
        }
        // Shadows: the crown (heights 35 % to 100 % of the tree's) swept away from the sun,
        // so a shadow starts under its tree. The trees that can shade the point stand
        // towards the sun from it, within the tallest tree's shadow length.
        let mut shadow = 0.0f32;
        let reach = (ss * MAX_TREE_M, sdd * MAX_TREE_M);
        let (s0, s1) = (s.min(s + reach.0) - 4.0, s.max(s + reach.0) + 4.0);
        let (d0, d1) = (d.min(d + reach.1) - 4.0, d.max(d + reach.1) + 4.0);
        for i in noise::floor_i64(s0 / cell)..=noise::floor_i64(s1 / cell) {
            for j in noise::floor_i64(d0 / cell)..=noise::floor_i64(d1 / cell) {
                let Some(tree) = self.tree_at(i, j) else {
                    continue;
                };
                // Segment from tree - sun * 0.35 h to tree - sun * h; distance of the point.
                let (ax, ay) = (
                    tree.s - ss * 0.35 * tree.height,
                    tree.d - sdd * 0.35 * tree.height,
                );
                let (bx, by) = (tree.s - ss * tree.height, tree.d - sdd * tree.height);
                let (vx, vy) = (bx - ax, by - ay);
                let l2 = vx * vx + vy * vy;
                let u = if l2 > 0.0 {
                    (((s - ax) * vx + (d - ay) * vy) / l2).clamp(0.0, 1.0)
                } else {
                    0.0
                };
                let dist = noise::len2(s - ax - u * vx, d - ay - u * vy);
                let k = cov(dist - tree.r * 0.9, fw.max(0.3));
                shadow = shadow.max(k);
            }
        }
        if shadow > 0.0 {
            surf.rgb = scale(surf.rgb, 1.0 - 0.5 * shadow);
            surf.water *= 1.0 - 0.8 * shadow;
        }
        if let Some((k, rgb)) = crown {
            surf.rgb = mix(surf.rgb, rgb, k);
            surf.water *= 1.0 - k;
        }
    }

    /// The tree of river-grid cell `(i, j)` (5 m cells in station and offset), if any.
    #[inline]
    fn tree_at(&self, i: i64, j: i64) -> Option<&Tree> {
        self.trees.get(i, j)
    }

    #[allow(clippy::too_many_arguments)]
    fn draw_bridges(
        &self,
        surf: &mut Surface,
        s: f64,
        d: f64,
        c: f64,
        hw: f64,
        t: (f64, f64),
        fw: f64,
        e: f64,
        n: f64,
    ) {
        let (ss, _) = self.sun_sd(t);
        for b in &self.bridges {
            let x = s - b.s_m;
            if x.abs() > 30.0 {
                continue;
            }
            let span = hw + 14.0;
            let across = band(d - c, span, fw);
            if across <= 0.0 {
                continue;
            }
            // Shadow of the deck 6 m above the water.
            let xs = x + ss * 6.0;
            let sh = band(xs, b.half_width_m, fw) * across * (1.0 - band(x, b.half_width_m, fw));
            if sh > 0.0 {
                surf.rgb = scale(surf.rgb, 1.0 - 0.5 * sh);
                surf.water *= 1.0 - sh;
            }
            let k = band(x, b.half_width_m, fw) * across;
            if k > 0.0 {
                let tex = fbm(self.seed ^ 0xb71d, e, n, 2.0, 3, fw);
                let mut deck = scale([0.66, 0.65, 0.62], 0.9 + 0.18 * tex);
                let rail = band(x.abs() - (b.half_width_m - 0.25), 0.1, fw);
                deck = mix(deck, [0.85, 0.85, 0.83], rail);
                let line = band(x, 0.06, fw) * 0.8;
                deck = mix(deck, [0.8, 0.75, 0.4], line);
                surf.rgb = mix(surf.rgb, deck, k);
                surf.water *= 1.0 - k;
            }
        }
    }

    /// Land away from the river: fields, villages and factories.
    fn land(&self, e: f64, n: f64, fw: f64) -> Rgb {
        let (ca, sa) = (self.valley_cos, self.valley_sin);
        let u = e * ca + n * sa;
        let v = -e * sa + n * ca;
        if let Some(rgb) = self.buildings(u, v, fw, e, n) {
            return rgb;
        }
        self.fields(u, v, fw, e, n)
    }

    fn fields(&self, u: f64, v: f64, fw: f64, e: f64, n: f64) -> Rgb {
        let seed = self.seed;
        let col_w = 32.0;
        let ci = noise::floor_i64(u / col_w);
        let hc = hash2(seed ^ SALT_FIELD, ci, 0);
        let row_h = 9.0 + 14.0 * unit(hc, 0);
        let off = row_h * unit(hc, 1);
        let ri = noise::floor_i64((v - off) / row_h);
        let pu = u - ci as f64 * col_w;
        let pv = v - off - ri as f64 * row_h;
        let hp = hash2(seed ^ SALT_FIELD, ci, ri + 1_000_003);
        let kind = unit(hp, 0);
        let var = unit(hp, 1) as f32;
        let tex = fbm(seed ^ 0xf1e2, e, n, 4.0, 3, fw);
        let plot: Rgb = if kind < 0.42 {
            // Rice: rows along u.
            let g = mix([0.27, 0.42, 0.13], [0.52, 0.53, 0.22], var);
            scale(g, 0.9 + 0.12 * stripe(pv, 0.3, fw) + 0.12 * (tex - 0.5))
        } else if kind < 0.62 {
            let rows = stripe(pv, 1.1, fw);
            scale(
                mix(
                    [0.43, 0.35, 0.25],
                    [0.16, 0.31, 0.10],
                    rows * (0.6 + 0.4 * var),
                ),
                0.9 + 0.2 * tex,
            )
        } else if kind < 0.72 {
            scale([0.50, 0.40, 0.29], 0.85 + 0.3 * tex)
        } else if kind < 0.84 {
            scale(
                mix([0.40, 0.43, 0.24], [0.50, 0.46, 0.30], tex),
                0.85 + 0.25 * var,
            )
        } else if kind < 0.90 {
            // Plastic greenhouse: white arches with margins.
            let inside = band(pu - col_w / 2.0, col_w / 2.0 - 1.0, fw)
                * band(pv - row_h / 2.0, row_h / 2.0 - 1.0, fw);
            let arch = [0.86, 0.87, 0.87];
            let ribs = scale(arch, 0.88 + 0.12 * stripe(pu, 1.2, fw));
            mix([0.47, 0.40, 0.30], ribs, inside)
        } else {
            // Orchard: small trees in a grid on grass.
            let gu = (pu / 4.0).fract() * 4.0 - 2.0;
            let gv = (pv / 4.0).fract() * 4.0 - 2.0;
            let k = cov(noise::len2(gu, gv) - 1.3, fw);
            mix(
                scale([0.38, 0.43, 0.22], 0.85 + 0.3 * tex),
                [0.14, 0.28, 0.10],
                k,
            )
        };
        // Earth ridges between plots, tracks every third column.
        let ridge_half = if ci.rem_euclid(3) == 0 { 1.2 } else { 0.3 };
        let edge_u = pu.min(col_w - pu);
        let edge_v = pv.min(row_h - pv);
        let ridge = cov(edge_u - 0.3, fw).max(cov(edge_v - 0.3, fw));
        let track = if ridge_half > 1.0 {
            cov(edge_u - ridge_half, fw)
        } else {
            0.0
        };
        let ground = mix(
            mix(plot, [0.42, 0.42, 0.27], ridge),
            [0.56, 0.50, 0.40],
            track,
        );
        let big = fbm(seed ^ 0xf1e3, e, n, 60.0, 2, fw);
        scale(ground, 0.92 + 0.16 * big)
    }

    fn buildings(&self, u: f64, v: f64, fw: f64, e: f64, n: f64) -> Option<Rgb> {
        let m = BLOCK_M;
        let (mi, mj) = (noise::floor_i64(u / m), noise::floor_i64(v / m));
        let h = hash2(self.seed ^ SALT_BUILD, mi, mj);
        let kind = unit(h, 0);
        if kind >= 0.3 || self.building_mask.blocked(mi, mj) {
            return None;
        }
        let factory = kind < 0.1;
        let (lu, lv) = (u - mi as f64 * m, v - mj as f64 * m);
        let yard = band(lu - m / 2.0, m / 2.0 - 6.0, fw) * band(lv - m / 2.0, m / 2.0 - 6.0, fw);
        if yard <= 0.0 {
            return None;
        }
        let tex = fbm(self.seed ^ 0xb1d7, e, n, 6.0, 3, fw);
        let ground: Rgb = if factory {
            scale([0.60, 0.59, 0.56], 0.85 + 0.25 * tex)
        } else {
            scale(mix([0.52, 0.47, 0.38], [0.40, 0.44, 0.26], tex), 0.9)
        };
        let (su, sv) = {
            let (se, sn) = self.sun.toward_en;
            let k = self.sun.shadow_per_m;
            (
                (se * self.valley_cos + sn * self.valley_sin) * k,
                (-se * self.valley_sin + sn * self.valley_cos) * k,
            )
        };
        let count = if factory {
            1 + (unit(h, 1) * 2.99) as usize
        } else {
            3 + (unit(h, 1) * 4.99) as usize
        };
        let mut rgb = ground;
        let mut shadow = 0.0f32;
        let mut roof: Option<(f32, Rgb)> = None;
        for b in 0..count {
            let hb = hash2(h, b as i64, 7);
            let (w, d, ht) = if factory {
                (
                    20.0 + 25.0 * unit(hb, 0),
                    12.0 + 13.0 * unit(hb, 1),
                    8.0 + 5.0 * unit(hb, 2),
                )
            } else {
                (
                    7.0 + 6.0 * unit(hb, 0),
                    6.0 + 5.0 * unit(hb, 1),
                    5.0 + 6.0 * unit(hb, 2),
                )
            };
            let cx = 8.0 + w / 2.0 + (m - 16.0 - w).max(0.0) * unit(hb, 3);
            let cy = 8.0 + d / 2.0 + (m - 16.0 - d).max(0.0) * unit(hb, 4);
            let inside = |pu: f64, pv: f64| -> f64 {
                ((pu - cx).abs() - w / 2.0).max((pv - cy).abs() - d / 2.0)
            };
            let sd = inside(lu, lv);
            let sh = cov(inside(lu + su * ht, lv + sv * ht), fw);
            shadow = shadow.max(sh);
            let k = cov(sd, fw);
            if k > 0.0 {
                let palette: [Rgb; 4] = if factory {
                    [
                        [0.22, 0.40, 0.63],
                        [0.75, 0.76, 0.76],
                        [0.22, 0.40, 0.63],
                        [0.55, 0.56, 0.58],
                    ]
                } else {
                    [
                        [0.42, 0.42, 0.42],
                        [0.55, 0.30, 0.22],
                        [0.78, 0.77, 0.74],
                        [0.25, 0.42, 0.62],
                    ]
                };
                let base = palette[(unit(hb, 5) * 3.99) as usize];
                let along_long = if w >= d { lv - cy } else { lu - cx };
                let corrugation = if w >= d { lu } else { lv };
                let shade = if factory {
                    0.92 + 0.08 * stripe(corrugation, 0.7, fw)
                } else {
                    // Gable roof: the half facing the sun is brighter.
                    let facing = if w >= d { sv } else { su };
                    if along_long * facing > 0.0 {
                        1.08
                    } else {
                        0.86
                    }
                };
                let ridge = band(along_long, 0.12, fw) * 0.15;
                roof = Some((k, scale(base, shade * (1.0 - ridge) * (0.95 + 0.1 * tex))));
            }
        }
        rgb = scale(rgb, 1.0 - 0.5 * shadow);
        if let Some((k, r)) = roof {
            rgb = mix(rgb, r, k);
        }
        let fields = if yard < 1.0 {
            self.fields(u, v, fw, e, n)
        } else {
            rgb
        };
        Some(mix(fields, rgb, yard))
    }
}

/// Compound cell size (villages, factories), metres.
pub(crate) const BLOCK_M: f64 = 90.0;

/// Which compound cells lie too near the river for buildings (decided once per world, so a
/// compound is either whole or absent).
#[derive(Debug, Clone)]
pub(crate) struct BuildingMask {
    i0: i64,
    j0: i64,
    ni: i64,
    nj: i64,
    blocked: Vec<bool>,
}

impl BuildingMask {
    pub(crate) fn new(river: &super::river::River, cos: f64, sin: f64) -> BuildingMask {
        let ((e0, n0), (e1, n1)) = river.bbox();
        let r = super::river::REACH_M + 2.0 * BLOCK_M;
        let corners = [
            (e0 - r, n0 - r),
            (e1 + r, n0 - r),
            (e0 - r, n1 + r),
            (e1 + r, n1 + r),
        ];
        let uv: Vec<(f64, f64)> = corners
            .iter()
            .map(|&(e, n)| (e * cos + n * sin, -e * sin + n * cos))
            .collect();
        let umin = uv.iter().map(|p| p.0).fold(f64::MAX, f64::min);
        let umax = uv.iter().map(|p| p.0).fold(f64::MIN, f64::max);
        let vmin = uv.iter().map(|p| p.1).fold(f64::MAX, f64::min);
        let vmax = uv.iter().map(|p| p.1).fold(f64::MIN, f64::max);
        let (i0, j0) = (
            noise::floor_i64(umin / BLOCK_M),
            noise::floor_i64(vmin / BLOCK_M),
        );
        let ni = noise::floor_i64(umax / BLOCK_M) - i0 + 1;
        let nj = noise::floor_i64(vmax / BLOCK_M) - j0 + 1;
        let mut blocked = vec![false; (ni * nj) as usize];
        for j in 0..nj {
            for i in 0..ni {
                let (cu, cv) = (
                    ((i0 + i) as f64 + 0.5) * BLOCK_M,
                    ((j0 + j) as f64 + 0.5) * BLOCK_M,
                );
                let (ce, cn) = (cu * cos - cv * sin, cu * sin + cv * cos);
                if let Some(rc) = river.coord(ce, cn) {
                    let off = (rc.d_m - river.channel_offset_m(rc.s_m)).abs();
                    blocked[(j * ni + i) as usize] = off < river.corridor_width_m * 0.45 + 55.0;
                }
            }
        }
        BuildingMask {
            i0,
            j0,
            ni,
            nj,
            blocked,
        }
    }

    fn blocked(&self, i: i64, j: i64) -> bool {
        let (a, b) = (i - self.i0, j - self.j0);
        a >= 0 && b >= 0 && a < self.ni && b < self.nj && self.blocked[(b * self.ni + a) as usize]
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Tree {
    s: f64,
    d: f64,
    r: f64,
    height: f64,
    colour: Rgb,
    h: u64,
}

/// The trees near the river, decided once per world on a grid of 5 m cells in river
/// coordinates (station, offset): at most one tree per cell.
#[derive(Debug, Clone)]
pub(crate) struct TreeGrid {
    ni: i64,
    j0: i64,
    nj: i64,
    cells: Vec<Option<Tree>>,
}

impl TreeGrid {
    pub(crate) fn new(world: &World) -> TreeGrid {
        let ni = noise::floor_i64(world.river.length_m() / TREE_CELL_M) + 2;
        let j0 = -noise::floor_i64(super::river::REACH_M / TREE_CELL_M) - 2;
        let nj = -2 * j0 + 1;
        let mut cells = Vec::with_capacity((ni * nj) as usize);
        for i in 0..ni {
            for j in j0..j0 + nj {
                cells.push(world.make_tree(i, j));
            }
        }
        TreeGrid { ni, j0, nj, cells }
    }

    pub(crate) fn empty() -> TreeGrid {
        TreeGrid {
            ni: 0,
            j0: 0,
            nj: 0,
            cells: Vec::new(),
        }
    }

    #[inline]
    fn get(&self, i: i64, j: i64) -> Option<&Tree> {
        let jj = j - self.j0;
        if i < 0 || i >= self.ni || jj < 0 || jj >= self.nj {
            return None;
        }
        self.cells[(i * self.nj + jj) as usize].as_ref()
    }
}

impl World {
    fn make_tree(&self, i: i64, j: i64) -> Option<Tree> {
        let h = hash2(self.seed ^ SALT_TREE, i, j);
        // No zone is denser than 0.5: most cells end here.
        if unit(h, 2) >= 0.5 {
            return None;
        }
        let ts = (i as f64 + 0.15 + 0.7 * unit(h, 0)) * TREE_CELL_M;
        let td = (j as f64 + 0.15 + 0.7 * unit(h, 1)) * TREE_CELL_M;
        let c = self.river.channel_offset_m(ts);
        let side = if td >= c { 1.0 } else { -1.0 };
        let yc = self.river.half_width_m(ts) - side * (td - c);
        if yc > 1.5 {
            return None;
        }
        let st = self.stretch(ts, side);
        let density = if yc > -st.bank_width_m {
            match st.bank {
                Bank::Concrete => 0.0,
                _ => 0.12,
            }
        } else if yc > -(st.bank_width_m + st.veg_width_m) {
            0.5
        } else {
            0.04
        };
        if unit(h, 2) >= density || self.near_target(ts, side, 7.0) {
            return None;
        }
        let bamboo = unit(h, 3) < 0.25;
        let colour = if bamboo {
            [0.36, 0.46, 0.18]
        } else {
            let g = unit(h, 4) as f32;
            [0.13 + 0.1 * g, 0.25 + 0.1 * g, 0.09 + 0.05 * g]
        };
        Some(Tree {
            s: ts,
            d: td,
            r: 1.5 + 2.5 * unit(h, 5),
            height: 5.0 + 8.0 * unit(h, 6),
            colour,
            h,
        })
    }
}
