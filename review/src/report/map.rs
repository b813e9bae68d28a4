//! What the review map draws, as compact JSON for the page's script (Leaflet, vendored in
//! `review/assets/vendor/leaflet`): the planned lines, the flown track, the photo points and
//! the box around them. Positions are WGS-84 `[lat, lon]` at 6 decimals (0.1 m); the track is
//! thinned to points at least [`TRACK_STEP_M`] apart, which keeps a whole river's telemetry
//! (thousands of fixes) to a few tens of kilobytes.

use serde_json::{json, Value};

use super::mercator::LatLonBox;
use crate::flight::{Flight, TrackSource};

const R_EARTH_M: f64 = 6_371_008.8;
/// Least distance between kept track points, metres.
pub const TRACK_STEP_M: f64 = 3.0;

/// A local plane about `(lat0, lon0)`: `x` metres east, `y` metres north (equirectangular
/// on a 6 371 008.8 m sphere: under 0.1 % scale error across a few kilometres).
#[derive(Debug, Clone, Copy)]
pub struct LocalPlane {
    lat0_deg: f64,
    lon0_deg: f64,
    /// Metres per radian of longitude (the mosaic converts millions of points).
    m_per_rad_lon: f64,
}

impl LocalPlane {
    pub fn new(lat0_deg: f64, lon0_deg: f64) -> LocalPlane {
        LocalPlane {
            lat0_deg,
            lon0_deg,
            m_per_rad_lon: R_EARTH_M * lat0_deg.to_radians().cos(),
        }
    }

    /// `(x east, y north)` in metres.
    pub fn to_xy(&self, lat_deg: f64, lon_deg: f64) -> (f64, f64) {
        let x = self.m_per_rad_lon * (lon_deg - self.lon0_deg).to_radians();
        let y = R_EARTH_M * (lat_deg - self.lat0_deg).to_radians();
        (x, y)
    }
}

/// `v` rounded to 6 decimals, as JSON.
pub fn deg6(v: f64) -> Value {
    json!((v * 1e6).round() / 1e6)
}

fn point(lat: f64, lon: f64) -> Value {
    json!([deg6(lat), deg6(lon)])
}

/// Points at least `step_m` apart (the first and last always kept).
pub fn thin(points: &[(f64, f64)], step_m: f64) -> Vec<(f64, f64)> {
    let mut out: Vec<(f64, f64)> = Vec::new();
    for (i, &(lat, lon)) in points.iter().enumerate() {
        let keep = match out.last() {
            None => true,
            Some(&(a, b)) => {
                let (x, y) = LocalPlane::new(a, b).to_xy(lat, lon);
                x.hypot(y) >= step_m || i + 1 == points.len()
            }
        };
        if keep {
            out.push((lat, lon));
        }
    }
    out
}

/// Every position the map shows, for its extent.
pub fn extent(flight: &Flight) -> Option<LatLonBox> {
    let track = flight.track.iter().map(|p| (p.lat_deg, p.lon_deg));
    let plan = flight
        .plan
        .iter()
        .flat_map(|s| s.points.iter().map(|p| (p[0], p[1])));
    let photos = flight
        .view
        .frames
        .values()
        .map(|f| (f.camera.lat_deg, f.camera.lon_deg));
    let cands = flight.candidates().iter().map(|c| (c.lat_deg, c.lon_deg));
    LatLonBox::around(track.chain(plan).chain(photos).chain(cands))
}

/// The map's layers as JSON: `plan` (`[{kind, pts}]`), `track` (`{pts, from_photos}`),
/// `photos` (`[[lat, lon, file]]`) and `bounds` (`[[s, w], [n, e]]`, or null).
pub fn layers(flight: &Flight) -> Value {
    let plan: Vec<Value> = flight
        .plan
        .iter()
        .map(|s| {
            json!({
                "kind": s.kind,
                "pts": s.points.iter().filter(|p| p[0].is_finite() && p[1].is_finite())
                    .map(|p| point(p[0], p[1])).collect::<Vec<_>>(),
            })
        })
        .collect();
    let track: Vec<(f64, f64)> = flight
        .track
        .iter()
        .filter(|p| p.lat_deg.is_finite() && p.lon_deg.is_finite())
        .map(|p| (p.lat_deg, p.lon_deg))
        .collect();
    let photos: Vec<Value> = flight
        .view
        .frames
        .values()
        .filter(|f| f.camera.lat_deg.is_finite() && f.camera.lon_deg.is_finite())
        .map(|f| json!([deg6(f.camera.lat_deg), deg6(f.camera.lon_deg), f.file]))
        .collect();
    let bounds = extent(flight).map(|b| {
        json!([
            [deg6(b.south_deg), deg6(b.west_deg)],
            [deg6(b.north_deg), deg6(b.east_deg)]
        ])
    });
    json!({
        "plan": plan,
        "track": {
            "pts": thin(&track, TRACK_STEP_M).into_iter().map(|(a, b)| point(a, b)).collect::<Vec<_>>(),
            "from_photos": flight.track_source == TrackSource::FrameRecords,
        },
        "photos": photos,
        "bounds": bounds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_plane_metres_match_the_geodesic() {
        let p = LocalPlane::new(27.05, 106.95);
        let a = qly_core::geodesy::GeoPoint::new(27.05, 106.95).unwrap();
        let b = a.destination(60.0, 1000.0);
        let (x, y) = p.to_xy(b.lat_deg, b.lon_deg);
        assert!(((x * x + y * y).sqrt() - 1000.0).abs() < 5.0, "{x} {y}");
    }

    #[test]
    fn thinning_keeps_the_ends_and_drops_close_points() {
        let a = qly_core::geodesy::GeoPoint::new(27.05, 106.95).unwrap();
        let pts: Vec<(f64, f64)> = (0..101)
            .map(|i| {
                let p = a.destination(0.0, f64::from(i));
                (p.lat_deg, p.lon_deg)
            })
            .collect();
        let t = thin(&pts, 3.0);
        // 0, 3, ..., 99 and the last (100).
        assert_eq!(t.len(), 35);
        assert_eq!(t.first(), pts.first());
        assert_eq!(t.last(), pts.last());
    }
}
