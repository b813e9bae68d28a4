//! The rules a contest is scored by: every radius, weight and limit, with our defaults and
//! the SUAS interop server's values as a preset.

use qly_core::geodesy::GeoPoint;

/// Metres in one international foot (SUAS works in feet).
pub const M_PER_FT: f64 = 0.3048;

/// How the distance between a report and a target is measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DistanceModel {
    /// Geodesic distance on the WGS-84 ellipsoid (Karney), as the rest of Qianliyan uses.
    Wgs84Geodesic,
    /// Great-circle distance on a sphere of this radius (SUAS: haversine, 6371 km).
    Haversine { radius_m: f64 },
}

impl DistanceModel {
    pub fn distance_m(self, a: GeoPoint, b: GeoPoint) -> f64 {
        match self {
            DistanceModel::Wgs84Geodesic => a.distance_m(b),
            DistanceModel::Haversine { radius_m } => {
                let (lat1, lat2) = (a.lat_deg.to_radians(), b.lat_deg.to_radians());
                let d_lat = lat2 - lat1;
                let d_lon = (b.lon_deg - a.lon_deg).to_radians();
                let h = (d_lat / 2.0).sin().powi(2)
                    + lat1.cos() * lat2.cos() * (d_lon / 2.0).sin().powi(2);
                2.0 * radius_m * h.sqrt().min(1.0).asin()
            }
        }
    }
}

/// How fast a find has to be to earn speed credit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SpeedCredit {
    /// `max(0, 1 - time / time_limit)`: earlier is better all the way (ours).
    Linear { time_limit_s: f64 },
    /// 1 when reported within the limit, else 0 (SUAS "actionable intelligence": submitted
    /// during the first flight and not changed after landing).
    WithinLimit { time_limit_s: f64 },
}

impl SpeedCredit {
    /// Credit in 0..=1 for a report at `time_s` after the start; no time, no credit.
    pub fn credit(self, time_s: Option<f64>) -> f64 {
        let Some(t) = time_s.filter(|t| t.is_finite()) else {
            return 0.0;
        };
        match self {
            SpeedCredit::Linear { time_limit_s } => {
                if time_limit_s <= 0.0 {
                    0.0
                } else {
                    (1.0 - t.max(0.0) / time_limit_s).clamp(0.0, 1.0)
                }
            }
            SpeedCredit::WithinLimit { time_limit_s } => {
                if (0.0..=time_limit_s).contains(&t) {
                    1.0
                } else {
                    0.0
                }
            }
        }
    }

    pub fn time_limit_s(self) -> f64 {
        match self {
            SpeedCredit::Linear { time_limit_s } | SpeedCredit::WithinLimit { time_limit_s } => {
                time_limit_s
            }
        }
    }
}

/// What one false report costs, and against what.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PenaltyScale {
    /// Subtracted from the summed credit before dividing by the number of targets: a false
    /// report costs `penalty` of one perfect find (ours).
    PerTarget,
    /// Subtracted from the task's score ratio after dividing: a false report costs `penalty`
    /// of the whole task, however many targets there are (SUAS).
    PerTask,
}

/// Weights of the parts of a matched report's credit. A perfect find is worth their sum.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CreditWeights {
    /// For finding the target at all (eligible pair).
    pub discovery: f64,
    /// Times the location credit (see [`ScoreSettings::location_full_within_m`]).
    pub location: f64,
    /// Times the fraction of the target's attributes the report repeats.
    pub classification: f64,
    /// Times the speed credit.
    pub speed: f64,
    /// For an autonomous report.
    pub autonomy: f64,
}

/// Every rule of the scoring. [`ScoreSettings::default`] is ours; [`ScoreSettings::suas`]
/// is the SUAS interop server's (2020 rules, `server/auvsi_suas/models/odlc.py`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreSettings {
    /// A report farther than this from a target cannot find it; `None`: no distance gate
    /// (SUAS pairs on any positive match value, however far).
    pub eligible_within_m: Option<f64>,
    /// When a target has a class, only a report of that class can find it.
    pub require_same_class: bool,
    /// Location credit is 1 within this distance...
    pub location_full_within_m: f64,
    /// ...falls linearly to 0 at this distance, and stays 0 beyond.
    pub location_zero_at_m: f64,
    pub weights: CreditWeights,
    pub speed: SpeedCredit,
    /// Cost of each report that finds nothing (duplicates included).
    pub false_report_penalty: f64,
    pub penalty_scale: PenaltyScale,
    /// Clamp the final score at 0 (SUAS only clamps the whole mission's total).
    pub floor_at_zero: bool,
    /// At most `ceil(this x targets)` reports count, in time order; later ones are ignored.
    /// `None`: no cap.
    pub max_reports_per_target: Option<f64>,
    /// Match on credit + the penalty a pairing saves, so the matching maximises the team's
    /// final score (ours); `false`: match on credit alone (SUAS).
    pub match_weight_includes_penalty: bool,
    /// A report left over by the matching is not penalised when it would match a target
    /// whose matched report has the opposite autonomy (SUAS lets a team submit both a manual
    /// and an autonomous version of one object).
    pub forgive_autonomy_twins: bool,
    pub distance: DistanceModel,
}

impl Default for ScoreSettings {
    /// Our contest rules (see review/README.md for the why of each).
    fn default() -> Self {
        ScoreSettings {
            eligible_within_m: Some(15.0),
            require_same_class: true,
            location_full_within_m: 5.0,
            location_zero_at_m: 15.0,
            weights: CreditWeights {
                discovery: 0.5,
                location: 0.4,
                classification: 0.0,
                speed: 0.1,
                autonomy: 0.0,
            },
            speed: SpeedCredit::Linear {
                time_limit_s: 1800.0,
            },
            false_report_penalty: 0.05,
            penalty_scale: PenaltyScale::PerTarget,
            floor_at_zero: true,
            max_reports_per_target: Some(2.0),
            match_weight_includes_penalty: true,
            forgive_autonomy_twins: false,
            distance: DistanceModel::Wgs84Geodesic,
        }
    }
}

impl ScoreSettings {
    /// The SUAS interop server's object scoring (`odlc.py`, 2020 rules), with the flight
    /// window given as `time_limit_s` after the start (takeoff):
    /// characteristics 0.4, geolocation 0.4 (linear from 1 at 0 ft to 0 at 150 ft),
    /// actionable 0.1, autonomy 0.1, extra object penalty 0.05 of the task ratio.
    pub fn suas(time_limit_s: f64) -> Self {
        ScoreSettings {
            eligible_within_m: None,
            require_same_class: true,
            location_full_within_m: 0.0,
            location_zero_at_m: 150.0 * M_PER_FT,
            weights: CreditWeights {
                discovery: 0.0,
                location: 0.4,
                classification: 0.4,
                speed: 0.1,
                autonomy: 0.1,
            },
            speed: SpeedCredit::WithinLimit { time_limit_s },
            false_report_penalty: 0.05,
            penalty_scale: PenaltyScale::PerTask,
            floor_at_zero: false,
            max_reports_per_target: None,
            match_weight_includes_penalty: false,
            forgive_autonomy_twins: true,
            distance: DistanceModel::Haversine {
                radius_m: 6_371_000.0,
            },
        }
    }

    /// Location credit in 0..=1 at `distance_m` from the target.
    pub fn location_credit(&self, distance_m: f64) -> f64 {
        if !distance_m.is_finite() {
            return 0.0;
        }
        if distance_m <= self.location_full_within_m {
            return 1.0;
        }
        let span = self.location_zero_at_m - self.location_full_within_m;
        if span <= 0.0 {
            return 0.0;
        }
        (1.0 - (distance_m - self.location_full_within_m) / span).clamp(0.0, 1.0)
    }

    /// The sum of the weights: what one perfect find is worth.
    pub fn perfect_find_credit(&self) -> f64 {
        let w = self.weights;
        w.discovery + w.location + w.classification + w.speed + w.autonomy
    }

    /// Why these settings cannot score anything, if they cannot.
    pub fn validate(&self) -> Result<(), String> {
        let w = self.weights;
        let named = [
            ("discovery weight", w.discovery),
            ("location weight", w.location),
            ("classification weight", w.classification),
            ("speed weight", w.speed),
            ("autonomy weight", w.autonomy),
            ("false-report penalty", self.false_report_penalty),
            ("location full-credit radius", self.location_full_within_m),
            ("location zero-credit radius", self.location_zero_at_m),
            ("time limit", self.speed.time_limit_s()),
        ];
        for (name, v) in named {
            if !v.is_finite() || v < 0.0 {
                return Err(format!("{name} must be a finite number >= 0, got {v}"));
            }
        }
        if self.location_zero_at_m < self.location_full_within_m {
            return Err(format!(
                "location zero-credit radius ({} m) is smaller than the full-credit radius ({} m)",
                self.location_zero_at_m, self.location_full_within_m
            ));
        }
        if let Some(r) = self.eligible_within_m {
            if !r.is_finite() || r <= 0.0 {
                return Err(format!("eligibility radius must be > 0 m, got {r}"));
            }
        }
        if let Some(k) = self.max_reports_per_target {
            if !k.is_finite() || k <= 0.0 {
                return Err(format!("reports per target must be > 0, got {k}"));
            }
        }
        if self.perfect_find_credit() <= 0.0 {
            return Err("all credit weights are 0: nothing can be scored".to_string());
        }
        Ok(())
    }
}

/// The rule sets to start from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    /// Our contest rules ([`ScoreSettings::default`]).
    #[default]
    Ours,
    /// The SUAS interop server's object scoring ([`ScoreSettings::suas`]).
    Suas,
}

impl Preset {
    /// The preset's settings with this time limit.
    pub fn settings(self, time_limit_s: f64) -> ScoreSettings {
        match self {
            Preset::Ours => ScoreSettings {
                speed: SpeedCredit::Linear { time_limit_s },
                ..ScoreSettings::default()
            },
            Preset::Suas => ScoreSettings::suas(time_limit_s),
        }
    }
}

/// Changes to a preset's rules, as `review score`'s options and a contest file's `[rules]`
/// table give them (the same names); what is not given stays the preset's.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleOverrides {
    pub eligible_within_m: Option<f64>,
    #[serde(default)]
    pub ignore_classes: bool,
    pub location_full_within_m: Option<f64>,
    pub location_zero_at_m: Option<f64>,
    pub discovery_weight: Option<f64>,
    pub location_weight: Option<f64>,
    pub speed_weight: Option<f64>,
    pub classification_weight: Option<f64>,
    pub autonomy_weight: Option<f64>,
    pub false_report_penalty: Option<f64>,
    pub max_reports_per_target: Option<f64>,
}

impl RuleOverrides {
    /// `s` with these changes.
    pub fn apply(&self, mut s: ScoreSettings) -> ScoreSettings {
        if let Some(r) = self.eligible_within_m {
            s.eligible_within_m = Some(r);
        }
        if self.ignore_classes {
            s.require_same_class = false;
        }
        let set = |target: &mut f64, v: Option<f64>| {
            if let Some(v) = v {
                *target = v;
            }
        };
        set(&mut s.location_full_within_m, self.location_full_within_m);
        set(&mut s.location_zero_at_m, self.location_zero_at_m);
        set(&mut s.weights.discovery, self.discovery_weight);
        set(&mut s.weights.location, self.location_weight);
        set(&mut s.weights.speed, self.speed_weight);
        set(&mut s.weights.classification, self.classification_weight);
        set(&mut s.weights.autonomy, self.autonomy_weight);
        set(&mut s.false_report_penalty, self.false_report_penalty);
        if let Some(v) = self.max_reports_per_target {
            s.max_reports_per_target = Some(v);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_credit_is_flat_then_linear() {
        let s = ScoreSettings::default();
        assert_eq!(s.location_credit(0.0), 1.0);
        assert_eq!(s.location_credit(5.0), 1.0);
        assert!((s.location_credit(10.0) - 0.5).abs() < 1e-12);
        assert_eq!(s.location_credit(15.0), 0.0);
        assert_eq!(s.location_credit(40.0), 0.0);
    }

    #[test]
    fn speed_credits() {
        let lin = SpeedCredit::Linear {
            time_limit_s: 100.0,
        };
        assert_eq!(lin.credit(None), 0.0);
        assert!((lin.credit(Some(25.0)) - 0.75).abs() < 1e-12);
        assert_eq!(lin.credit(Some(150.0)), 0.0);
        let step = SpeedCredit::WithinLimit {
            time_limit_s: 100.0,
        };
        assert_eq!(step.credit(Some(100.0)), 1.0);
        assert_eq!(step.credit(Some(100.5)), 0.0);
    }

    #[test]
    fn haversine_matches_the_suas_feet_figure() {
        // SUAS odlc_test: 0.0003 degrees of latitude at 38 N is 109.444 ft.
        let d = DistanceModel::Haversine {
            radius_m: 6_371_000.0,
        }
        .distance_m(
            GeoPoint::new(38.0, -76.0).unwrap(),
            GeoPoint::new(38.0003, -76.0).unwrap(),
        );
        assert!((d / M_PER_FT - 109.444).abs() < 1e-3, "{}", d / M_PER_FT);
    }

    #[test]
    fn presets_validate_and_bad_settings_do_not() {
        assert!(ScoreSettings::default().validate().is_ok());
        assert!(ScoreSettings::suas(600.0).validate().is_ok());
        let s = ScoreSettings {
            location_zero_at_m: 2.0,
            ..ScoreSettings::default()
        };
        assert!(s.validate().unwrap_err().contains("smaller"));
        let mut s = ScoreSettings::default();
        s.weights.speed = -0.1;
        assert!(s.validate().unwrap_err().contains("speed weight"));
    }
}
