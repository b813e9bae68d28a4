//! When two findings are the same place: the difference of two independent position
//! estimates has the sum of their covariances, so they are one site when the difference lies
//! inside that combined error ellipse at [`SAME_SITE_CHI2`] (the squared Mahalanobis distance
//! of the difference under the summed covariance, chi-square with 2 degrees of freedom).
//!
//! A plume belongs to an outfall when its reported source (the plume's upstream end) lies
//! within the same combined ellipse widened by [`PLUME_SOURCE_SIGMA_M`] in every direction:
//! the discharge enters the water beside the pipe mouth, not on it.

/// Chi-square, 2 degrees of freedom, 99 %: the ellipse holding 99 % of the differences of two
/// estimates of one point whose errors are as predicted. 90 % (4.61) would split one outfall
/// into two sites once in ten comparisons even with perfectly predicted errors.
pub const SAME_SITE_CHI2: f64 = 9.21;

/// One sigma of how far a plume's source lies from its pipe's mouth, metres.
pub const PLUME_SOURCE_SIGMA_M: f64 = 2.0;

/// A position estimate in a local east/north plane: metres and square metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    pub e_m: f64,
    pub n_m: f64,
    /// `[[ee, en], [ne, nn]]`.
    pub cov_m2: [[f64; 2]; 2],
}

impl Estimate {
    /// The estimate of a WGS-84 position with covariance `cov_m2` (east/north, square
    /// metres) in the plane of `frame`.
    pub fn projected(
        frame: &qly_core::geodesy::LocalFrame,
        lat_deg: f64,
        lon_deg: f64,
        cov_m2: [[f64; 2]; 2],
    ) -> Estimate {
        let (e_m, n_m) = frame.project(qly_core::geodesy::GeoPoint { lat_deg, lon_deg });
        Estimate { e_m, n_m, cov_m2 }
    }
}

/// Squared Mahalanobis distance of `a - b` under `cov(a) + cov(b) + extra_sigma_m^2 I`;
/// infinite when that covariance is not positive definite.
pub fn distance2(a: &Estimate, b: &Estimate, extra_sigma_m: f64) -> f64 {
    let x = extra_sigma_m * extra_sigma_m;
    let s_ee = a.cov_m2[0][0] + b.cov_m2[0][0] + x;
    let s_en = a.cov_m2[0][1] + b.cov_m2[0][1];
    let s_nn = a.cov_m2[1][1] + b.cov_m2[1][1] + x;
    let det = s_ee * s_nn - s_en * s_en;
    if !(det.is_finite() && det > 0.0 && s_ee > 0.0) {
        return f64::INFINITY;
    }
    let (de, dn) = (a.e_m - b.e_m, a.n_m - b.n_m);
    (s_nn * de * de - 2.0 * s_en * de * dn + s_ee * dn * dn) / det
}

/// Whether two estimates are one site.
pub fn same_site(a: &Estimate, b: &Estimate) -> bool {
    distance2(a, b, 0.0) <= SAME_SITE_CHI2
}

/// Whether a plume's source estimate lies at an outfall's.
pub fn plume_at_outfall(plume: &Estimate, outfall: &Estimate) -> bool {
    distance2(plume, outfall, PLUME_SOURCE_SIGMA_M) <= SAME_SITE_CHI2
}

/// The largest one-sigma extent of a covariance (square root of its largest eigenvalue), m.
pub fn sigma_max_m(cov_m2: &[[f64; 2]; 2]) -> f64 {
    let (a, b, d) = (cov_m2[0][0], cov_m2[0][1], cov_m2[1][1]);
    let mean = 0.5 * (a + d);
    let r = (0.25 * (a - d) * (a - d) + b * b).sqrt();
    (mean + r).max(0.0).sqrt()
}

/// Sites fuse their findings by information (inverse covariance) sums, so that a site's
/// position and error do not depend on the order flights arrive in.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct InfoSum {
    /// Sum of inverse covariances, `[ee, en, nn]`, 1/m^2.
    pub info: [f64; 3],
    /// Sum of inverse covariance times position, `[e, n]`, 1/m.
    pub info_pos: [f64; 2],
}

impl InfoSum {
    /// Adds an estimate; `None` when its covariance is not positive definite.
    pub fn add(&mut self, x: &Estimate) -> Option<()> {
        let [[a, b], [_, d]] = x.cov_m2;
        let det = a * d - b * b;
        if !(det.is_finite() && det > 0.0 && a > 0.0) {
            return None;
        }
        let (ia, ib, id) = (d / det, -b / det, a / det);
        self.info[0] += ia;
        self.info[1] += ib;
        self.info[2] += id;
        self.info_pos[0] += ia * x.e_m + ib * x.n_m;
        self.info_pos[1] += ib * x.e_m + id * x.n_m;
        Some(())
    }

    /// The fused estimate; `None` with no information.
    pub fn estimate(&self) -> Option<Estimate> {
        let [a, b, d] = self.info;
        let det = a * d - b * b;
        if !(det.is_finite() && det > 0.0) {
            return None;
        }
        let cov = [[d / det, -b / det], [-b / det, a / det]];
        Some(Estimate {
            e_m: cov[0][0] * self.info_pos[0] + cov[0][1] * self.info_pos[1],
            n_m: cov[1][0] * self.info_pos[0] + cov[1][1] * self.info_pos[1],
            cov_m2: cov,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn circ(e_m: f64, n_m: f64, sigma_m: f64) -> Estimate {
        Estimate {
            e_m,
            n_m,
            cov_m2: [[sigma_m * sigma_m, 0.0], [0.0, sigma_m * sigma_m]],
        }
    }

    #[test]
    fn the_gate_is_the_combined_ellipse() {
        // sigma 1 m each: combined variance 2, gate radius sqrt(2 * 9.21) = 4.29 m.
        assert!(same_site(&circ(0.0, 0.0, 1.0), &circ(4.2, 0.0, 1.0)));
        assert!(!same_site(&circ(0.0, 0.0, 1.0), &circ(4.4, 0.0, 1.0)));
        // An ellipse long east-west accepts further east than north.
        let long = Estimate {
            e_m: 0.0,
            n_m: 0.0,
            cov_m2: [[16.0, 0.0], [0.0, 1.0]],
        };
        assert!(same_site(&long, &circ(10.0, 0.0, 0.1)));
        assert!(!same_site(&long, &circ(0.0, 10.0, 0.1)));
        // A degenerate covariance matches nothing.
        assert!(!same_site(&circ(0.0, 0.0, 0.0), &circ(0.0, 0.0, 0.0)));
    }

    #[test]
    fn a_plume_source_may_lie_a_little_further() {
        let o = circ(0.0, 0.0, 0.5);
        assert!(!same_site(&circ(4.0, 0.0, 0.5), &o));
        assert!(plume_at_outfall(&circ(4.0, 0.0, 0.5), &o));
        assert!(!plume_at_outfall(&circ(12.0, 0.0, 0.5), &o));
    }

    #[test]
    fn fusion_is_the_information_weighted_mean_in_any_order() {
        let (a, b) = (circ(0.0, 0.0, 1.0), circ(3.0, 0.0, 2.0));
        let mut ab = InfoSum::default();
        ab.add(&a).unwrap();
        ab.add(&b).unwrap();
        let mut ba = InfoSum::default();
        ba.add(&b).unwrap();
        ba.add(&a).unwrap();
        let (x, y) = (ab.estimate().unwrap(), ba.estimate().unwrap());
        // Weights 1 and 1/4: mean 3 * 0.25 / 1.25 = 0.6 m east; variance 1 / 1.25.
        assert!((x.e_m - 0.6).abs() < 1e-12 && x.n_m.abs() < 1e-12);
        assert!((x.cov_m2[0][0] - 0.8).abs() < 1e-12);
        assert!((x.e_m - y.e_m).abs() < 1e-12);
        assert!((sigma_max_m(&x.cov_m2) - 0.8f64.sqrt()).abs() < 1e-12);
    }
}
