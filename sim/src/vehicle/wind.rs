//! Wind: a constant mean vector plus seeded gusts.
//!
//! Gusts are a first-order Gauss-Markov (Ornstein-Uhlenbeck) process per horizontal axis: they
//! wander with standard deviation `gust_sigma_m_s` and forget themselves over `gust_tau_s`,
//! which is the simplest model that gives gusts a duration instead of white jitter.

use crate::noise::NoiseSource;

/// Wind settings. Velocities are where the air moves *to* (east/north components), m/s.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WindConfig {
    pub mean_east_m_s: f64,
    pub mean_north_m_s: f64,
    /// Steady-state standard deviation of each gust component, m/s.
    pub gust_sigma_m_s: f64,
    /// Correlation time of the gusts, seconds.
    pub gust_tau_s: f64,
}

impl Default for WindConfig {
    fn default() -> Self {
        WindConfig {
            mean_east_m_s: 0.0,
            mean_north_m_s: 0.0,
            gust_sigma_m_s: 0.0,
            gust_tau_s: 3.0,
        }
    }
}

/// The wind as it evolves in simulated time.
#[derive(Debug, Clone)]
pub struct Wind {
    config: WindConfig,
    gust_east_m_s: f64,
    gust_north_m_s: f64,
    source: NoiseSource,
}

impl Wind {
    pub fn new(config: WindConfig, source: NoiseSource) -> Self {
        Wind {
            config,
            gust_east_m_s: 0.0,
            gust_north_m_s: 0.0,
            source,
        }
    }

    /// Advances the gusts by `dt_s` (exact discretisation of the OU process).
    pub fn step(&mut self, dt_s: f64) {
        let c = &self.config;
        if c.gust_sigma_m_s <= 0.0 || c.gust_tau_s <= 0.0 || dt_s <= 0.0 {
            return;
        }
        let decay = (-dt_s / c.gust_tau_s).exp();
        let kick = c.gust_sigma_m_s * (1.0 - decay * decay).sqrt();
        self.gust_east_m_s = self.gust_east_m_s * decay + self.source.normal(kick);
        self.gust_north_m_s = self.gust_north_m_s * decay + self.source.normal(kick);
    }

    /// Current wind velocity (east, north), m/s.
    pub fn velocity_m_s(&self) -> (f64, f64) {
        (
            self.config.mean_east_m_s + self.gust_east_m_s,
            self.config.mean_north_m_s + self.gust_north_m_s,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calm_without_gusts_is_the_mean() {
        let mut w = Wind::new(
            WindConfig {
                mean_east_m_s: 3.0,
                mean_north_m_s: -1.0,
                ..WindConfig::default()
            },
            NoiseSource::new(1, 2),
        );
        for _ in 0..100 {
            w.step(0.1);
        }
        assert_eq!(w.velocity_m_s(), (3.0, -1.0));
    }

    #[test]
    fn gusts_have_the_configured_spread_and_are_seeded() {
        let cfg = WindConfig {
            gust_sigma_m_s: 2.0,
            gust_tau_s: 1.0,
            ..WindConfig::default()
        };
        let mut a = Wind::new(cfg, NoiseSource::new(5, 2));
        let mut b = Wind::new(cfg, NoiseSource::new(5, 2));
        let mut sum_sq = 0.0;
        let n = 50_000;
        for _ in 0..n {
            a.step(0.1);
            b.step(0.1);
            assert_eq!(a.velocity_m_s(), b.velocity_m_s());
            sum_sq += a.velocity_m_s().0.powi(2);
        }
        let sd = (sum_sq / n as f64).sqrt();
        assert!((sd - 2.0).abs() < 0.25, "gust sd {sd}");
    }
}
