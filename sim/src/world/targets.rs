//! The targets: outfalls (pipe mouths and culverts at the bank) and plumes (discharge
//! spreading downstream from a source at the bank), placed along the river with seeded
//! randomness, and their shapes in a target's local coordinates.
//!
//! Local coordinates of a target at station `s0` on bank `side`: `x` metres downstream of
//! the source along the centreline, `y` metres inward from the smooth waterline (positive
//! over the water, negative up the bank). The truth point is mapped to the plane through
//! the same river coordinates the renderer uses, so a rendered target sits exactly on its
//! reported point.

use super::noise::{hash2, unit};
use super::river::River;

/// What a target is; the names are the detector's class names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TargetClass {
    Outfall,
    Plume,
}

impl TargetClass {
    /// `"outfall"` or `"plume"`.
    pub fn name(self) -> &'static str {
        match self {
            TargetClass::Outfall => "outfall",
            TargetClass::Plume => "plume",
        }
    }

    /// YOLO class number: 0 outfall, 1 plume.
    pub fn yolo_id(self) -> u32 {
        match self {
            TargetClass::Outfall => 0,
            TargetClass::Plume => 1,
        }
    }
}

/// Cross-section of a pipe mouth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MouthShape {
    /// A round pipe.
    Round,
    /// A rectangular box culvert.
    Box,
}

/// What a plume looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlumeKind {
    /// Milky white phosphogypsum / phosphate slurry.
    Phosphogypsum,
    /// Brown sewage or sediment-laden water.
    BrownSewage,
    /// Black, anoxic sewage.
    BlackSewage,
    /// Surfactant foam: white patches on the surface.
    Foam,
}

impl PlumeKind {
    pub fn name(self) -> &'static str {
        match self {
            PlumeKind::Phosphogypsum => "phosphogypsum",
            PlumeKind::BrownSewage => "brown_sewage",
            PlumeKind::BlackSewage => "black_sewage",
            PlumeKind::Foam => "foam",
        }
    }

    /// Surface colour, linear-ish sRGB in [0, 1].
    pub fn colour(self) -> [f32; 3] {
        match self {
            PlumeKind::Phosphogypsum => [0.86, 0.87, 0.83],
            PlumeKind::BrownSewage => [0.36, 0.23, 0.11],
            PlumeKind::BlackSewage => [0.09, 0.09, 0.08],
            PlumeKind::Foam => [0.93, 0.93, 0.91],
        }
    }
}

/// A pipe or culvert mouth at the bank.
#[derive(Debug, Clone, PartialEq)]
pub struct Outfall {
    pub id: String,
    /// Station of the mouth along the centreline, metres.
    pub s_m: f64,
    /// Bank: +1 left, -1 right (looking downstream).
    pub side: f64,
    /// Mouth diameter (round) or width (box), metres.
    pub diameter_m: f64,
    pub shape: MouthShape,
    /// Whether a dark stain runs from the mouth into the water.
    pub stained: bool,
    /// Mouth centre in the world plane, metres east/north.
    pub position: (f64, f64),
}

impl Outfall {
    /// Inward offset of the mouth centre from the waterline (it sits in the bank).
    pub fn mouth_y_m(&self) -> f64 {
        -0.35 * self.diameter_m
    }

    /// Half the along-bank width and the depth up the bank of the concrete headwall/apron.
    pub fn apron_m(&self) -> (f64, f64) {
        (0.9 * self.diameter_m + 0.2, 0.9 * self.diameter_m + 0.4)
    }
}

/// A discharge plume.
#[derive(Debug, Clone, PartialEq)]
pub struct Plume {
    pub id: String,
    /// Station of the source (where it enters the river), metres.
    pub s_m: f64,
    pub side: f64,
    pub kind: PlumeKind,
    /// Length downstream, metres.
    pub length_m: f64,
    /// Width from the bank at the downstream end, metres.
    pub max_width_m: f64,
    /// Peak opacity at the source, 0..1.
    pub opacity: f32,
    /// The pipe that feeds it, if one is visible.
    pub outfall_id: Option<String>,
    /// Source point (waterline where it enters the river) in the world plane.
    pub position: (f64, f64),
    /// Seed of its edge texture.
    pub seed: u64,
}

impl Plume {
    /// Width of the plume from the bank at `x` metres downstream (smooth part).
    pub fn width_at_m(&self, x_m: f64) -> f64 {
        let t = (x_m / self.length_m).clamp(0.0, 1.0);
        2.0 + (self.max_width_m - 2.0) * t.sqrt()
    }

    /// Concentration along the plume (0..1), before edge and texture modulation.
    pub fn along(&self, x_m: f64) -> f64 {
        if x_m < 0.0 || x_m > self.length_m {
            return 0.0;
        }
        let fade_end = 1.0 - smoothstep(0.75 * self.length_m, self.length_m, x_m);
        (-x_m / self.length_m).exp() * fade_end
    }

    /// Outline in river-local `(x, y)`: the bank side, then the outer edge back (for labels
    /// and the truth's extent), to where the concentration is about 15 % of the source's.
    pub fn outline_local(&self) -> Vec<(f64, f64)> {
        let x_end = self.visible_length_m();
        let n = 12;
        // The source's bulge reaches 2.6 m; the edge wobbles up to 1.25 times the width.
        let mut out = vec![(-2.6, -0.3)];
        for i in 0..=n {
            out.push((x_end * i as f64 / n as f64, -0.3));
        }
        for i in (0..=n).rev() {
            let x = x_end * i as f64 / n as f64;
            out.push((x, (1.25 * self.width_at_m(x)).max(2.6 - x.min(2.6))));
        }
        out.push((-2.6, 2.6));
        out
    }

    /// A square of side `side_m` centred on the source, in river-local `(x, y)` (x
    /// downstream, y from the waterline into the water): the part of a plume that says where
    /// the discharge enters, which is what an inspector walks to and a contest scores.
    pub fn source_square_local(&self, side_m: f64) -> Vec<(f64, f64)> {
        let h = side_m / 2.0;
        vec![(-h, -h), (h, -h), (h, h), (-h, h)]
    }

    /// Length over which the plume stays above about 15 % of its source concentration.
    pub fn visible_length_m(&self) -> f64 {
        let mut x = 0.0;
        while x < self.length_m && self.along(x) > 0.15 {
            x += 0.5;
        }
        x.max(2.0)
    }
}

pub(crate) fn smoothstep(a: f64, b: f64, x: f64) -> f64 {
    let t = ((x - a) / (b - a)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// How targets are placed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TargetPlacement {
    /// Mean distance between target sites along the river, metres.
    pub mean_spacing_m: f64,
    /// At most this many sites (`None`: as many as fit).
    pub max_sites: Option<usize>,
    /// Fractions of sites with a pipe and a plume, a pipe only; the rest have a plume
    /// with no visible pipe.
    pub pipe_and_plume: f64,
    pub pipe_only: f64,
    /// The same river some time later: the seed of what changed since (`None`: the world as
    /// its seed builds it). Every site stays where it was and looks the same; some are gone
    /// ([`CHANGE_REMOVED`]), some pipes start or stop discharging ([`CHANGE_PLUME_SWITCH`]),
    /// and new outfalls appear ([`CHANGE_ADDED`]). Targets keep their ids; new ones are
    /// `outfall-new-NNN` and `plume-new-NNN`.
    pub changes: Option<u64>,
}

/// With changes: the share of sites removed (pipe and plume).
pub const CHANGE_REMOVED: f64 = 0.15;
/// With changes: the share of the remaining pipes whose plume switches on or off.
pub const CHANGE_PLUME_SWITCH: f64 = 0.25;
/// With changes: the share of sites followed by a new outfall (no plume), a sixth of the mean
/// spacing downstream on a random bank: between the site and the next, which lies at least a
/// third of the spacing away.
pub const CHANGE_ADDED: f64 = 0.15;

impl Default for TargetPlacement {
    fn default() -> Self {
        TargetPlacement {
            mean_spacing_m: 150.0,
            max_sites: None,
            pipe_and_plume: 0.4,
            pipe_only: 0.3,
            changes: None,
        }
    }
}

/// Places targets along `river`. Sites keep 40 m from the river's ends and at least a
/// third of the mean spacing from each other.
pub fn place(river: &River, seed: u64, p: &TargetPlacement) -> (Vec<Outfall>, Vec<Plume>) {
    let mut outfalls = Vec::new();
    let mut plumes = Vec::new();
    let len = river.length_m();
    let mut s = 40.0;
    let mut site = 0i64;
    let spacing = p.mean_spacing_m;
    let (mut base_outfalls, mut base_plumes, mut switched_on) = (0usize, 0usize, 0usize);
    let mut added: Vec<(f64, f64, u64)> = Vec::new();
    loop {
        let h = hash2(seed ^ 0x7a29, site, 0);
        s += spacing * (0.33 + 1.34 * unit(h, 0));
        if s > len - 40.0 || p.max_sites.is_some_and(|m| site as usize >= m) {
            break;
        }
        let side = if unit(h, 1) < 0.5 { 1.0 } else { -1.0 };
        let kind_u = unit(h, 2);
        let (pipe, plume) = if kind_u < p.pipe_and_plume {
            (true, true)
        } else if kind_u < p.pipe_and_plume + p.pipe_only {
            (true, false)
        } else {
            (false, true)
        };
        // Ids count the world as built, so a target keeps its id whatever changed.
        base_outfalls += usize::from(pipe);
        base_plumes += usize::from(plume);
        let outfall_id = format!("outfall-{base_outfalls:03}");
        let plume_id = format!("plume-{base_plumes:03}");
        let (mut present, mut plume_now) = (true, plume);
        if let Some(c) = p.changes {
            let hc = hash2(c ^ 0x6d07_417e, site, 0);
            if unit(hc, 0) < CHANGE_REMOVED {
                present = false;
            } else if pipe && unit(hc, 1) < CHANGE_PLUME_SWITCH {
                plume_now = !plume;
            }
            if unit(hc, 2) < CHANGE_ADDED && s + spacing / 6.0 <= len - 40.0 {
                let side = if unit(hc, 3) < 0.5 { 1.0 } else { -1.0 };
                added.push((s + spacing / 6.0, side, hc));
            }
        }
        if present {
            let mut feeding = None;
            if pipe {
                let o = outfall(river, &outfall_id, s, side, plume, h);
                feeding = Some(o.id.clone());
                outfalls.push(o);
            }
            if plume_now {
                let id = if plume {
                    plume_id
                } else {
                    switched_on += 1;
                    format!("plume-new-{switched_on:03}")
                };
                plumes.push(plume_from(river, id, s, side, feeding, h));
            }
        }
        site += 1;
    }
    for (k, (s, side, hc)) in added.into_iter().enumerate() {
        let o = outfall(
            river,
            &format!("outfall-new-{:03}", k + 1),
            s,
            side,
            false,
            hc,
        );
        outfalls.push(o);
    }
    outfalls.sort_by(|a, b| a.s_m.total_cmp(&b.s_m));
    (outfalls, plumes)
}

/// An outfall at station `s_m` on bank `side`, its look from the hash `h`; `stained`: the
/// bank below it is stained (it discharges, or did).
fn outfall(river: &River, id: &str, s_m: f64, side: f64, plume: bool, h: u64) -> Outfall {
    let o = Outfall {
        id: id.to_string(),
        s_m,
        side,
        diameter_m: 0.3 + 0.7 * unit(h, 3),
        shape: if unit(h, 4) < 0.65 {
            MouthShape::Round
        } else {
            MouthShape::Box
        },
        stained: plume || unit(h, 5) < 0.5,
        position: (0.0, 0.0),
    };
    let position = river.bank_point(s_m, side, o.mouth_y_m());
    Outfall { position, ..o }
}

/// A plume from station `s_m` on bank `side`, its look from the hash `h`.
fn plume_from(
    river: &River,
    id: String,
    s_m: f64,
    side: f64,
    outfall_id: Option<String>,
    h: u64,
) -> Plume {
    let kind = match (unit(h, 6) * 4.0) as u32 {
        0 => PlumeKind::Phosphogypsum,
        1 => PlumeKind::BrownSewage,
        2 => PlumeKind::BlackSewage,
        _ => PlumeKind::Foam,
    };
    let half_w = river.half_width_m(s_m);
    Plume {
        id,
        s_m,
        side,
        kind,
        length_m: 25.0 + 100.0 * unit(h, 7),
        max_width_m: (4.0 + 12.0 * unit(h, 8)).min(1.3 * half_w),
        opacity: (0.6 + 0.35 * unit(h, 9)) as f32,
        outfall_id,
        position: river.bank_point(s_m, side, 0.0),
        seed: h,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_world_keeps_its_targets_and_changes_some() {
        let verts: Vec<(f64, f64)> = (0..=80).map(|i| (0.0, f64::from(i) * 100.0)).collect();
        let river = River::new(&verts, 60.0, 42);
        let base = TargetPlacement::default();
        let changed = TargetPlacement {
            changes: Some(5),
            ..base
        };
        let (o0, p0) = place(&river, 42, &base);
        let (o1, p1) = place(&river, 42, &changed);
        // Whatever is still there is the same target in the same place.
        for o in o1.iter().filter(|o| !o.id.starts_with("outfall-new-")) {
            let b = o0.iter().find(|b| b.id == o.id).unwrap();
            assert_eq!((b.position, b.diameter_m), (o.position, o.diameter_m));
        }
        for p in p1.iter().filter(|p| !p.id.starts_with("plume-new-")) {
            let b = p0.iter().find(|b| b.id == p.id).unwrap();
            assert_eq!(b.position, p.position);
        }
        let removed = o0
            .iter()
            .filter(|b| !o1.iter().any(|o| o.id == b.id))
            .count();
        let added: Vec<&Outfall> = o1
            .iter()
            .filter(|o| o.id.starts_with("outfall-new-"))
            .collect();
        let on = p1.iter().filter(|p| p.id.starts_with("plume-new-")).count();
        let off = p0
            .iter()
            .filter(|b| {
                b.outfall_id
                    .as_ref()
                    .is_some_and(|id| o1.iter().any(|o| &o.id == id))
                    && !p1.iter().any(|p| p.id == b.id)
            })
            .count();
        assert!(
            removed > 0 && !added.is_empty() && on + off > 0,
            "removed {removed}, added {}, plumes on {on}, off {off}",
            added.len()
        );
        // New outfalls keep clear of every other site along the river.
        for a in &added {
            let near = o1
                .iter()
                .filter(|o| o.id != a.id)
                .map(|o| o.s_m)
                .chain(p1.iter().map(|p| p.s_m))
                .map(|s| (s - a.s_m).abs())
                .fold(f64::INFINITY, f64::min);
            assert!(near >= 20.0, "{} is {near} m from another site", a.id);
        }
        // The same change seed, the same world; the world as built has no new targets.
        assert_eq!(place(&river, 42, &changed), (o1, p1));
        assert!(!o0.iter().any(|o| o.id.contains("new")));
    }
}
