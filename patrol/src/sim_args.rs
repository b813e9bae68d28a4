//! How the patrol starts `sim`: its command line from a typed value, so every flag is named
//! once, with its unit, and a missing one is a compile error rather than a shell typo.

use std::ffi::OsString;
use std::path::PathBuf;

use qly_core::mission::Home;

/// The ground the simulated world stands on.
#[derive(Debug, Clone, PartialEq)]
pub enum SimGround {
    /// Flat, at the take-off point's height.
    Flat { home: Home },
    /// An elevation model; home is on the ground under the corridor's first point.
    Dem { dem: PathBuf },
}

/// The sim's settings for one patrol.
#[derive(Debug, Clone, PartialEq)]
pub struct SimOptions {
    /// MAVLink links the sim listens on (`udpin:HOST:PORT`), like an autopilot's serial
    /// ports: ground station, companion, the patrol's monitor.
    pub listen: Vec<String>,
    pub corridor: PathBuf,
    pub world_seed: u64,
    /// The same world later, changed by this seed (sim's `--world-changes`); `None`: as built.
    pub world_changes: Option<u64>,
    /// How the world is drawn (sim's `--style`, e.g. `river-b`).
    pub style: String,
    /// Sensor-noise seed.
    pub seed: u64,
    pub frames_dir: PathBuf,
    pub truth: PathBuf,
    /// Simulated seconds per wall-clock second.
    pub speedup: f64,
    pub gps_sigma_m: f64,
    pub alt_sigma_m: f64,
    pub attitude_sigma_deg: f64,
    pub heading_sigma_deg: f64,
    pub ground: SimGround,
}

impl SimOptions {
    /// The command line (without the program).
    pub fn args(&self) -> Vec<OsString> {
        let mut a: Vec<OsString> = Vec::new();
        let mut flag = |name: &str, value: OsString| {
            a.push(format!("--{name}").into());
            a.push(value);
        };
        for l in &self.listen {
            flag("listen", l.into());
        }
        flag("corridor", self.corridor.clone().into());
        flag("world-seed", self.world_seed.to_string().into());
        if let Some(c) = self.world_changes {
            flag("world-changes", c.to_string().into());
        }
        flag("style", self.style.clone().into());
        flag("seed", self.seed.to_string().into());
        flag("frames-dir", self.frames_dir.clone().into());
        flag("truth", self.truth.clone().into());
        flag("speedup", self.speedup.to_string().into());
        flag("gps-sigma-m", self.gps_sigma_m.to_string().into());
        flag(
            "attitude-sigma-deg",
            self.attitude_sigma_deg.to_string().into(),
        );
        flag(
            "heading-sigma-deg",
            self.heading_sigma_deg.to_string().into(),
        );
        flag("alt-sigma-m", self.alt_sigma_m.to_string().into());
        match &self.ground {
            SimGround::Flat { home } => flag("home", home_arg(home).into()),
            SimGround::Dem { dem } => flag("dem", dem.clone().into()),
        }
        a
    }
}

/// `LAT,LON,AMSL_M` as `sim --home` and `planner plan --home` read it.
pub fn home_arg(home: &Home) -> String {
    format!(
        "{:.7},{:.7},{}",
        home.point.lat_deg, home.point.lon_deg, home.alt_amsl_m
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use qly_core::geodesy::GeoPoint;

    #[test]
    fn every_setting_becomes_its_flag() {
        let o = SimOptions {
            listen: vec!["udpin:127.0.0.1:1".into(), "udpin:127.0.0.1:2".into()],
            corridor: "c.geojson".into(),
            world_seed: 7001,
            world_changes: Some(31),
            style: "river-b".into(),
            seed: 1,
            frames_dir: "f/frames".into(),
            truth: "f/truth.geojson".into(),
            speedup: 5.0,
            gps_sigma_m: 1.5,
            alt_sigma_m: 0.8,
            attitude_sigma_deg: 0.5,
            heading_sigma_deg: 1.0,
            ground: SimGround::Flat {
                home: Home {
                    point: GeoPoint::new(27.1, 107.2).unwrap(),
                    alt_amsl_m: 1050.0,
                },
            },
        };
        let args: Vec<String> = o
            .args()
            .into_iter()
            .map(|s| s.into_string().unwrap())
            .collect();
        let line = args.join(" ");
        assert!(line.starts_with("--listen udpin:127.0.0.1:1 --listen udpin:127.0.0.1:2 "));
        assert!(
            line.contains("--world-seed 7001 --world-changes 31 --style river-b --seed 1 "),
            "{line}"
        );
        assert!(line.contains("--speedup 5 "), "{line}");
        assert!(line.contains("--alt-sigma-m 0.8"), "{line}");
        assert!(
            line.ends_with("--home 27.1000000,107.2000000,1050"),
            "{line}"
        );
        assert_eq!(args.len() % 2, 0);
    }
}
