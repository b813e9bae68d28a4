//! The predicted horizontal error of a geotag: a 2x2 covariance in metres (east, north), its
//! 1-sigma ellipse, and the radii of the circles containing 50 % and 90 % of an elliptical
//! Gaussian.
//!
//! Radii are exact for the ellipse, not the circular rules of thumb. In elliptical polar
//! coordinates `(x, y) = (s1 rho cos phi, s2 rho sin phi)` the density is `exp(-rho^2/2) rho
//! / 2 pi` and the circle of radius `r` reaches `rho^2 = r^2 / b(phi)`, with
//! `b = s1^2 cos^2 phi + s2^2 sin^2 phi`, so
//! `P(r) = 1/(2 pi) * integral over phi of 1 - exp(-r^2 / (2 b(phi)))`. The integrand is
//! smooth and periodic even for a degenerate ellipse (`s2 = 0`), so the midpoint rule
//! converges fast, and Newton's method solves `P(r) = p`.

use std::f64::consts::{FRAC_PI_2, PI};

/// Predicted horizontal error, metres, in the camera's local east/north plane. The one type
/// for a predicted error: the flight records journal it as is (serde, these field names).
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct HorizontalError {
    /// Covariance `[[ee, en], [ne, nn]]`, square metres.
    pub cov_en_m2: [[f64; 2]; 2],
    /// 1-sigma semi-major axis, metres.
    pub sigma_major_m: f64,
    /// 1-sigma semi-minor axis, metres.
    pub sigma_minor_m: f64,
    /// Direction of the major axis, degrees clockwise from north in [0, 180).
    pub major_axis_bearing_deg: f64,
    /// Radius containing 50 % of the probability (the median horizontal error), metres.
    pub cep50_m: f64,
    /// Radius containing 90 % of the probability, metres.
    pub ce90_m: f64,
}

impl HorizontalError {
    /// From Jacobian columns already multiplied by their inputs' sigmas (east, north metres).
    pub fn from_columns(columns: &[[f64; 2]]) -> HorizontalError {
        let mut c = [[0.0; 2]; 2];
        for col in columns {
            c[0][0] += col[0] * col[0];
            c[0][1] += col[0] * col[1];
            c[1][1] += col[1] * col[1];
        }
        c[1][0] = c[0][1];
        HorizontalError::from_covariance(c)
    }

    /// From a covariance `[[ee, en], [ne, nn]]` (square metres).
    pub fn from_covariance(cov_en_m2: [[f64; 2]; 2]) -> HorizontalError {
        let (l1, l2, bearing) = eigen(cov_en_m2);
        let (s1, s2) = (l1.max(0.0).sqrt(), l2.max(0.0).sqrt());
        HorizontalError {
            cov_en_m2,
            sigma_major_m: s1,
            sigma_minor_m: s2,
            major_axis_bearing_deg: bearing,
            cep50_m: radius_for_sigmas(s1, s2, 0.5),
            ce90_m: radius_for_sigmas(s1, s2, 0.9),
        }
    }

    /// Radius of the circle about the estimate that contains probability `p` (0 < p < 1).
    pub fn radius_containing(&self, p: f64) -> f64 {
        radius_for_sigmas(self.sigma_major_m, self.sigma_minor_m, p)
    }
}

/// Radius of the circle about the mean of a zero-mean 2-D Gaussian with covariance `cov`
/// containing probability `p` (0 < p < 1). NaN for `p` outside (0, 1).
pub fn radius_containing(cov: [[f64; 2]; 2], p: f64) -> f64 {
    let (l1, l2, _) = eigen(cov);
    radius_for_sigmas(l1.max(0.0).sqrt(), l2.max(0.0).sqrt(), p)
}

/// Eigenvalues (larger first) and the larger one's axis bearing (degrees from north,
/// [0, 180)) of a symmetric 2x2 matrix in (east, north).
fn eigen(c: [[f64; 2]; 2]) -> (f64, f64, f64) {
    let (a, b, d) = (c[0][0], 0.5 * (c[0][1] + c[1][0]), c[1][1]);
    let mean = 0.5 * (a + d);
    let r = (0.25 * (a - d) * (a - d) + b * b).sqrt();
    let (l1, l2) = (mean + r, mean - r);
    // Eigenvector of l1: (b, l1 - a) or (l1 - d, b); pick the better conditioned.
    let (e, n) = if (l1 - a).abs() + b.abs() > (l1 - d).abs() + b.abs() {
        (b, l1 - a)
    } else {
        (l1 - d, b)
    };
    let bearing = if e == 0.0 && n == 0.0 {
        0.0
    } else {
        e.atan2(n).to_degrees().rem_euclid(180.0)
    };
    (l1, l2, bearing)
}

fn radius_for_sigmas(s1: f64, s2: f64, p: f64) -> f64 {
    if !(p > 0.0 && p < 1.0) {
        return f64::NAN;
    }
    if s1.is_nan() || s1 <= 0.0 {
        return 0.0;
    }
    let (v1, v2) = (s1 * s1, s2 * s2);
    let h = FRAC_PI_2 / QUADRATURE_POINTS as f64;
    // 1 / b(phi) at the midpoints of a quarter turn.
    let mut inv_b = [0.0f64; QUADRATURE_POINTS];
    for (k, slot) in inv_b.iter_mut().enumerate() {
        let (sn, cs) = ((k as f64 + 0.5) * h).sin_cos();
        *slot = 1.0 / (v1 * cs * cs + v2 * sn * sn);
    }
    let w = 2.0 / PI * h;
    // P(r) and dP/dr by the midpoint rule.
    let prob = |r: f64| -> (f64, f64) {
        let (mut pr, mut dp) = (0.0, 0.0);
        for &ib in &inv_b {
            let ex = (-0.5 * r * r * ib).exp();
            pr += 1.0 - ex;
            dp += r * ib * ex;
        }
        (pr * w, dp * w)
    };
    // Start from the circular Gaussian with the RMS sigma, then Newton.
    let mut r = ((v1 + v2) / 2.0).sqrt() * (-2.0 * (1.0 - p).ln()).sqrt();
    for _ in 0..50 {
        let (pr, dp) = prob(r);
        if dp.is_nan() || dp <= 0.0 {
            break;
        }
        let step = (pr - p) / dp;
        // Keep r positive; halve towards zero if Newton overshoots.
        r = if r - step > 0.0 { r - step } else { 0.5 * r };
        if step.abs() < 1e-10 * s1 {
            break;
        }
    }
    r
}

/// Midpoints over a quarter turn. The integrand is smooth and periodic, so 32 points give
/// radii to about 1e-7 of sigma, even for a degenerate (one-dimensional) ellipse.
const QUADRATURE_POINTS: usize = 32;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn circular_radii_match_the_rayleigh_distribution() {
        // For a circular Gaussian, r_p = sigma * sqrt(-2 ln(1 - p)).
        let e = HorizontalError::from_covariance([[4.0, 0.0], [0.0, 4.0]]);
        assert!(
            (e.cep50_m - 2.0 * 1.177_410_022_5).abs() < 1e-6,
            "{}",
            e.cep50_m
        );
        assert!(
            (e.ce90_m - 2.0 * 2.145_966_026_3).abs() < 1e-6,
            "{}",
            e.ce90_m
        );
    }

    #[test]
    fn one_dimensional_radii_match_the_normal_quantiles() {
        let e = HorizontalError::from_covariance([[0.0, 0.0], [0.0, 9.0]]);
        assert!(
            (e.ce90_m - 3.0 * 1.644_853_627).abs() < 1e-7,
            "{}",
            e.ce90_m
        );
        assert!(
            (e.cep50_m - 3.0 * 0.674_489_750).abs() < 1e-7,
            "{}",
            e.cep50_m
        );
        assert_eq!(e.major_axis_bearing_deg, 0.0);
        // Nearly degenerate ellipses approach the 1-D quantile smoothly.
        let a = radius_containing([[1.0, 0.0], [0.0, 1e-6]], 0.9);
        assert!(a > 1.644_853_627 && a < 1.644_853_627 + 1e-5, "{a}");
    }

    #[test]
    fn ellipse_axes_and_bearing() {
        // Major axis along bearing 45 (north-east), sigmas 3 and 1.
        let (s, c) = 45f64.to_radians().sin_cos();
        let (l1, l2) = (9.0, 1.0);
        let cov = [
            [l1 * s * s + l2 * c * c, (l1 - l2) * s * c],
            [(l1 - l2) * s * c, l1 * c * c + l2 * s * s],
        ];
        let e = HorizontalError::from_covariance(cov);
        assert!((e.sigma_major_m - 3.0).abs() < 1e-12 && (e.sigma_minor_m - 1.0).abs() < 1e-12);
        assert!((e.major_axis_bearing_deg - 45.0).abs() < 1e-9);
        // Radii lie between the 1-D quantile of the major axis and the circular one.
        assert!(
            e.ce90_m > 3.0 * 1.6448 && e.ce90_m < 3.0 * 2.1460,
            "{}",
            e.ce90_m
        );
    }

    #[test]
    fn ellipse_radius_matches_a_direct_count() {
        // Deterministic grid integration of the density over the disc, as a check on the
        // polar formula: sigmas 2 and 0.5.
        let (s1, s2) = (2.0, 0.5);
        let r = radius_for_sigmas(s1, s2, 0.9);
        let n = 1200;
        let (lim, mut inside) = (4.0 * s1, 0.0);
        let d = 2.0 * lim / n as f64;
        for i in 0..n {
            for j in 0..n {
                let x = -lim + (i as f64 + 0.5) * d;
                let y = -lim + (j as f64 + 0.5) * d;
                if x * x + y * y <= r * r {
                    inside += (-0.5 * (x * x / (s1 * s1) + y * y / (s2 * s2))).exp();
                }
            }
        }
        let p = inside * d * d / (2.0 * PI * s1 * s2);
        assert!((p - 0.9).abs() < 2e-3, "{p}");
    }
}
