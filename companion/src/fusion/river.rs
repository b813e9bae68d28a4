//! A river centreline in flow order and the along-river distance of a point: how far
//! downstream of the first vertex its nearest point on the centreline lies.
//!
//! Projecting onto the nearest segment (not onto the chord from source to mouth) is what
//! makes "upstream" right on a bent river: two points on either bank of a bend compare by
//! where they meet the water, not by their straight-line position.

use qly_core::geodesy::{GeoPoint, LocalFrame};

use super::FusionError;

/// A centreline in flow order (upstream first), held as a polyline in a local plane at its
/// first vertex with the cumulative length at each vertex.
#[derive(Debug, Clone, PartialEq)]
pub struct RiverCentreline {
    frame: LocalFrame,
    vertices_en_m: Vec<[f64; 2]>,
    cumulative_m: Vec<f64>,
}

impl RiverCentreline {
    /// From at least two points, upstream first. Consecutive duplicates are refused (a zero
    /// length segment has no direction).
    pub fn new(points_upstream_first: &[GeoPoint]) -> Result<RiverCentreline, FusionError> {
        if points_upstream_first.len() < 2 {
            return Err(FusionError::RiverTooShort {
                points: points_upstream_first.len(),
            });
        }
        for (index, p) in points_upstream_first.iter().enumerate() {
            GeoPoint::new(p.lat_deg, p.lon_deg)
                .map_err(|source| FusionError::RiverPoint { index, source })?;
        }
        let frame = LocalFrame::at(points_upstream_first[0]);
        let vertices_en_m: Vec<[f64; 2]> = points_upstream_first
            .iter()
            .map(|p| {
                let (e, n) = frame.project(*p);
                [e, n]
            })
            .collect();
        let mut cumulative_m = vec![0.0];
        for (i, w) in vertices_en_m.windows(2).enumerate() {
            let len = (w[1][0] - w[0][0]).hypot(w[1][1] - w[0][1]);
            if len.is_nan() || len <= 1e-3 {
                return Err(FusionError::RiverDegenerateSegment { index: i });
            }
            cumulative_m.push(cumulative_m[i] + len);
        }
        Ok(RiverCentreline {
            frame,
            vertices_en_m,
            cumulative_m,
        })
    }

    /// Length of the centreline, metres.
    pub fn length_m(&self) -> f64 {
        self.cumulative_m.last().copied().unwrap_or(0.0)
    }

    /// Distance downstream of the first vertex, metres, of the point of the centreline
    /// nearest to `p` (0 at the upstream end, [`Self::length_m`] at the downstream end; a
    /// point beyond either end projects onto it). Ties between segments go to the upstream
    /// one.
    pub fn along_river_m(&self, p: GeoPoint) -> f64 {
        let (e, n) = self.frame.project(p);
        let mut best = (f64::INFINITY, 0.0);
        for (i, w) in self.vertices_en_m.windows(2).enumerate() {
            let (de, dn) = (w[1][0] - w[0][0], w[1][1] - w[0][1]);
            let len2 = de * de + dn * dn;
            let t = (((e - w[0][0]) * de + (n - w[0][1]) * dn) / len2).clamp(0.0, 1.0);
            let (qe, qn) = (w[0][0] + t * de, w[0][1] + t * dn);
            let d2 = (e - qe).powi(2) + (n - qn).powi(2);
            if d2 < best.0 {
                best = (d2, self.cumulative_m[i] + t * len2.sqrt());
            }
        }
        best.1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn along_river_on_an_l_shaped_river() {
        let a = GeoPoint::new(30.0, 120.0).unwrap();
        let f = LocalFrame::at(a);
        // East 100 m, then north 100 m.
        let r =
            RiverCentreline::new(&[a, f.unproject(100.0, 0.0), f.unproject(100.0, 100.0)]).unwrap();
        assert!((r.length_m() - 200.0).abs() < 1e-3);
        assert!((r.along_river_m(f.unproject(40.0, 5.0)) - 40.0).abs() < 1e-3);
        assert!((r.along_river_m(f.unproject(95.0, 60.0)) - 160.0).abs() < 1e-3);
        assert!(r.along_river_m(f.unproject(-30.0, 0.0)).abs() < 1e-9);
        assert!(matches!(
            RiverCentreline::new(&[a]),
            Err(FusionError::RiverTooShort { points: 1 })
        ));
        assert!(matches!(
            RiverCentreline::new(&[a, a]),
            Err(FusionError::RiverDegenerateSegment { index: 0 })
        ));
    }
}
