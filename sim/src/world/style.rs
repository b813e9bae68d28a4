//! Render styles: the same world (river, targets, relief, layout of fields and trees) drawn
//! with another look, to measure the detector on a domain shift it never trained on.
//!
//! - [`Style::RiverA`] (the default): what the shipped model was trained on: summer, jade to
//!   slightly turbid water, green grass, brown mud banks, a high sun (40-75 degrees).
//! - [`Style::RiverB`]: late autumn on a silted river: dry yellow-brown grass, red karst clay
//!   on natural banks, stained concrete, muddy yellow-brown water more turbid throughout with
//!   less sky reflection, a low sun (18-32 degrees: long shadows, strong glint), and a warm,
//!   hazy grade over the whole frame.
//!
//! A style changes colours and light only; a seed gives the same world, targets and ground
//! truth in every style, and each style is deterministic per seed.

/// Linear RGB, 0..1.
pub type Rgb = [f32; 3];

/// How a world is drawn (`--style`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Style {
    #[default]
    RiverA,
    RiverB,
}

/// The colours and light of a style.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Palette {
    /// Grass: two base colours mixed by a broad noise, and bare soil.
    pub grass: [Rgb; 2],
    pub bare_soil: Rgb,
    /// Natural banks: mud and the grass growing on them.
    pub bank_mud: Rgb,
    pub bank_grass: Rgb,
    /// Concrete banks.
    pub concrete: Rgb,
    /// Water from clear to turbid, and how much turbidity is added everywhere.
    pub water_clear: Rgb,
    pub water_turbid: Rgb,
    pub turbidity_offset: f32,
    /// Shallow water near the bank mixes towards this (bottom showing through).
    pub shallows: Rgb,
    /// Sky reflected on smooth water, and its strength.
    pub sky: Rgb,
    pub sky_reflection: f32,
    /// Sun elevation range, degrees.
    pub sun_elevation_deg: (f64, f64),
    /// Per-channel gain on the whole frame, and haze: a mix towards `haze` by `haze_amount`.
    pub grade_gain: Rgb,
    pub haze: Rgb,
    pub haze_amount: f32,
}

impl Style {
    /// The names `--style` takes.
    pub const NAMES: [&'static str; 2] = ["river-a", "river-b"];

    pub fn name(self) -> &'static str {
        match self {
            Style::RiverA => Style::NAMES[0],
            Style::RiverB => Style::NAMES[1],
        }
    }

    pub fn palette(self) -> Palette {
        match self {
            Style::RiverA => Palette {
                grass: [[0.24, 0.34, 0.13], [0.40, 0.44, 0.22]],
                bare_soil: [0.47, 0.41, 0.30],
                bank_mud: [0.44, 0.37, 0.27],
                bank_grass: [0.30, 0.38, 0.17],
                concrete: [0.60, 0.59, 0.55],
                water_clear: [0.19, 0.37, 0.33],
                water_turbid: [0.36, 0.37, 0.27],
                turbidity_offset: 0.0,
                shallows: [0.46, 0.43, 0.33],
                sky: [0.58, 0.63, 0.66],
                sky_reflection: 0.25,
                sun_elevation_deg: (40.0, 75.0),
                grade_gain: [1.0, 1.0, 1.0],
                haze: [0.0, 0.0, 0.0],
                haze_amount: 0.0,
            },
            Style::RiverB => Palette {
                grass: [[0.46, 0.40, 0.20], [0.58, 0.50, 0.30]],
                bare_soil: [0.55, 0.36, 0.24],
                bank_mud: [0.56, 0.32, 0.21],
                bank_grass: [0.48, 0.43, 0.24],
                concrete: [0.50, 0.47, 0.42],
                water_clear: [0.33, 0.32, 0.20],
                water_turbid: [0.52, 0.42, 0.27],
                turbidity_offset: 0.3,
                shallows: [0.58, 0.46, 0.32],
                sky: [0.72, 0.68, 0.60],
                sky_reflection: 0.12,
                sun_elevation_deg: (18.0, 32.0),
                grade_gain: [1.06, 0.98, 0.86],
                haze: [0.74, 0.70, 0.62],
                haze_amount: 0.14,
            },
        }
    }

    /// The colour grade of the whole frame (sensor side: after the scene, before exposure).
    pub fn grade(&self, c: Rgb) -> Rgb {
        let p = self.palette();
        let mut out = c;
        for ch in 0..3 {
            let g = c[ch] * p.grade_gain[ch];
            out[ch] = g + (p.haze[ch] - g) * p.haze_amount;
        }
        out
    }
}

impl std::str::FromStr for Style {
    type Err = String;
    fn from_str(s: &str) -> Result<Style, String> {
        match s {
            "river-a" => Ok(Style::RiverA),
            "river-b" => Ok(Style::RiverB),
            _ => Err(format!(
                "style {s:?}: expected one of {}",
                Style::NAMES.join(", ")
            )),
        }
    }
}

impl std::fmt::Display for Style {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_the_default_grade_is_the_identity() {
        for n in Style::NAMES {
            assert_eq!(n.parse::<Style>().unwrap().name(), n);
        }
        assert!("river-c"
            .parse::<Style>()
            .unwrap_err()
            .contains("river-a, river-b"));
        assert_eq!(Style::RiverA.grade([0.2, 0.5, 0.9]), [0.2, 0.5, 0.9]);
        assert_ne!(Style::RiverB.grade([0.2, 0.5, 0.9]), [0.2, 0.5, 0.9]);
    }
}
