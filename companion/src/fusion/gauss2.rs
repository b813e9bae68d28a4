//! 2x2 symmetric matrices in (east, north) metres: the little linear algebra fusion needs.
//!
//! Information form (`Y = P^-1`, `y = P^-1 x`) is used for the fused estimate because sums
//! commute: the fused mean of a set of sightings does not depend on the order they came in.

/// `[[ee, en], [ne, nn]]`.
pub type Mat2 = [[f64; 2]; 2];

pub fn add(a: Mat2, b: Mat2) -> Mat2 {
    [
        [a[0][0] + b[0][0], a[0][1] + b[0][1]],
        [a[1][0] + b[1][0], a[1][1] + b[1][1]],
    ]
}

pub fn det(a: Mat2) -> f64 {
    a[0][0] * a[1][1] - a[0][1] * a[1][0]
}

/// Inverse of a symmetric positive-definite matrix; `None` when it is not (or is too close
/// to singular to invert meaningfully).
pub fn inverse_spd(a: Mat2) -> Option<Mat2> {
    let d = det(a);
    let scale = a[0][0].abs().max(a[1][1].abs());
    if !(a[0][0] > 0.0 && a[1][1] > 0.0 && d > 1e-12 * scale * scale && d.is_finite()) {
        return None;
    }
    Some([[a[1][1] / d, -a[0][1] / d], [-a[1][0] / d, a[0][0] / d]])
}

pub fn mul_vec(a: Mat2, v: [f64; 2]) -> [f64; 2] {
    [
        a[0][0] * v[0] + a[0][1] * v[1],
        a[1][0] * v[0] + a[1][1] * v[1],
    ]
}

/// Squared Mahalanobis length of `v` under covariance `s`, or `None` if `s` is singular.
pub fn mahalanobis2(v: [f64; 2], s: Mat2) -> Option<f64> {
    let w = mul_vec(inverse_spd(s)?, v);
    Some(v[0] * w[0] + v[1] * w[1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverse_of_a_correlated_matrix() {
        let a = [[4.0, 1.0], [1.0, 2.0]];
        let i = inverse_spd(a).unwrap();
        let p = [
            [
                a[0][0] * i[0][0] + a[0][1] * i[1][0],
                a[0][0] * i[0][1] + a[0][1] * i[1][1],
            ],
            [
                a[1][0] * i[0][0] + a[1][1] * i[1][0],
                a[1][0] * i[0][1] + a[1][1] * i[1][1],
            ],
        ];
        for (r, row) in p.iter().enumerate() {
            for (c, x) in row.iter().enumerate() {
                assert!((x - if r == c { 1.0 } else { 0.0 }).abs() < 1e-12);
            }
        }
        assert!(inverse_spd([[1.0, 1.0], [1.0, 1.0]]).is_none());
        assert!(inverse_spd([[0.0, 0.0], [0.0, 0.0]]).is_none());
        assert!((mahalanobis2([2.0, 0.0], [[4.0, 0.0], [0.0, 1.0]]).unwrap() - 1.0).abs() < 1e-12);
    }
}
