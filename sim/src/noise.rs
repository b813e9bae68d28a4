//! Seeded sensor noise: what separates the vehicle's true pose from the pose it reports.
//!
//! Every random draw in the simulator comes from a [`NoiseSource`] seeded from the run's seed,
//! so one seed always gives the same flight, the same reported positions and the same photo
//! poses. The noise is white and Gaussian, drawn at the sensor's own update rate by the
//! vehicle, never by whoever reads the telemetry: reading more often does not change the run.

use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use rand_pcg::Pcg64Mcg;

/// How noisy the reported pose is. All values are one standard deviation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NoiseConfig {
    /// GPS horizontal position error, per axis (east and north independently), metres.
    /// Reported as GPS_RAW_INT `h_acc`.
    pub gps_pos_sigma_m: f64,
    /// Altitude error, metres. Reported as GPS_RAW_INT `v_acc`.
    pub alt_sigma_m: f64,
    /// Roll and pitch error, degrees.
    pub attitude_sigma_deg: f64,
    /// Heading (yaw) error, degrees.
    pub heading_sigma_deg: f64,
}

impl NoiseConfig {
    /// A perfect sensor suite: the reported pose is the true pose.
    pub fn none() -> Self {
        NoiseConfig {
            gps_pos_sigma_m: 0.0,
            alt_sigma_m: 0.0,
            attitude_sigma_deg: 0.0,
            heading_sigma_deg: 0.0,
        }
    }
}

impl Default for NoiseConfig {
    /// Roughly a consumer GNSS receiver with an EKF behind it: 0.5 m horizontal, 0.8 m
    /// vertical, 0.3 degrees attitude and 1 degree heading.
    fn default() -> Self {
        NoiseConfig {
            gps_pos_sigma_m: 0.5,
            alt_sigma_m: 0.8,
            attitude_sigma_deg: 0.3,
            heading_sigma_deg: 1.0,
        }
    }
}

/// The error of one sensor sample, to be added to the truth.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PoseError {
    pub east_m: f64,
    pub north_m: f64,
    pub up_m: f64,
    pub roll_rad: f64,
    pub pitch_rad: f64,
    pub yaw_rad: f64,
}

/// A deterministic stream of random numbers.
#[derive(Debug, Clone)]
pub struct NoiseSource {
    rng: Pcg64Mcg,
}

impl NoiseSource {
    /// A stream for `seed`; `stream` separates independent uses of one seed (sensor noise,
    /// wind gusts) so adding draws to one does not shift the other.
    pub fn new(seed: u64, stream: u64) -> Self {
        // Mix the stream id in with a large odd constant so nearby seeds/streams differ.
        let mixed = seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        NoiseSource {
            rng: Pcg64Mcg::seed_from_u64(mixed),
        }
    }

    /// One draw from a normal distribution with mean 0 and standard deviation `sigma`
    /// (0 when `sigma` is not positive).
    pub fn normal(&mut self, sigma: f64) -> f64 {
        if sigma > 0.0 && sigma.is_finite() {
            let z: f64 = StandardNormal.sample(&mut self.rng);
            z * sigma
        } else {
            0.0
        }
    }

    /// One pose error drawn from `config`.
    pub fn pose_error(&mut self, config: &NoiseConfig) -> PoseError {
        PoseError {
            east_m: self.normal(config.gps_pos_sigma_m),
            north_m: self.normal(config.gps_pos_sigma_m),
            up_m: self.normal(config.alt_sigma_m),
            roll_rad: self.normal(config.attitude_sigma_deg).to_radians(),
            pitch_rad: self.normal(config.attitude_sigma_deg).to_radians(),
            yaw_rad: self.normal(config.heading_sigma_deg).to_radians(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_draws_other_seed_other_draws() {
        let cfg = NoiseConfig::default();
        let mut a = NoiseSource::new(7, 0);
        let mut b = NoiseSource::new(7, 0);
        let mut c = NoiseSource::new(8, 0);
        let mut d = NoiseSource::new(7, 1);
        let xa: Vec<_> = (0..10).map(|_| a.pose_error(&cfg)).collect();
        let xb: Vec<_> = (0..10).map(|_| b.pose_error(&cfg)).collect();
        let xc: Vec<_> = (0..10).map(|_| c.pose_error(&cfg)).collect();
        let xd: Vec<_> = (0..10).map(|_| d.pose_error(&cfg)).collect();
        assert_eq!(xa, xb);
        assert_ne!(xa, xc);
        assert_ne!(xa, xd);
    }

    #[test]
    fn sample_standard_deviation_matches_sigma() {
        let mut s = NoiseSource::new(42, 0);
        let n = 20_000;
        let xs: Vec<f64> = (0..n).map(|_| s.normal(2.0)).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        assert!(mean.abs() < 0.05, "mean {mean}");
        assert!((var.sqrt() - 2.0).abs() < 0.05, "sd {}", var.sqrt());
    }

    #[test]
    fn zero_sigma_is_exact() {
        let mut s = NoiseSource::new(1, 0);
        assert_eq!(s.pose_error(&NoiseConfig::none()), PoseError::default());
    }
}
