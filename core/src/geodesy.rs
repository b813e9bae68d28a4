//! WGS-84 geodesy: geodetic <-> ECEF <-> local ENU about a reference point, and geodesic
//! distances and bearings (Karney's algorithms, through the `geo` crate).
//!
//! Planning and geotagging happen in a local east-north-up tangent plane ([`LocalFrame`]);
//! everything that leaves the process is WGS-84 latitude/longitude. Keeping the two apart in
//! types (`GeoPoint` vs `Enu`) is what stops a metre offset being added to a degree.
//!
//! ```
//! use qly_core::geodesy::{GeoPoint, GeoPosition, LocalFrame};
//! let origin = GeoPosition::new(27.05, 106.95, 1000.0);
//! let frame = LocalFrame::new(origin);
//! let p = GeoPosition::new(27.06, 106.96, 1100.0);
//! let back = frame.to_geodetic(frame.to_enu(p));
//! assert!((back.lat_deg - p.lat_deg).abs() < 1e-10);
//! assert!((back.h_ellipsoid_m - p.h_ellipsoid_m).abs() < 1e-4);
//! ```

use geo::{Bearing, Destination, Distance, Geodesic, Point};
use thiserror::Error;

/// WGS-84 semi-major axis, metres.
pub const WGS84_A_M: f64 = 6_378_137.0;
/// WGS-84 flattening.
pub const WGS84_F: f64 = 1.0 / 298.257_223_563;
/// WGS-84 first eccentricity squared.
pub const WGS84_E2: f64 = WGS84_F * (2.0 - WGS84_F);

/// Why a coordinate was refused.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum CoordError {
    #[error("latitude {0} is not a finite number")]
    LatNotFinite(f64),
    #[error("longitude {0} is not a finite number")]
    LonNotFinite(f64),
    #[error("latitude {0} is outside -90..=90 degrees")]
    LatOutOfRange(f64),
    #[error("longitude {0} is outside -180..=180 degrees")]
    LonOutOfRange(f64),
}

/// A horizontal WGS-84 position in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeoPoint {
    pub lat_deg: f64,
    pub lon_deg: f64,
}

impl GeoPoint {
    /// A checked point: finite and within range.
    pub fn new(lat_deg: f64, lon_deg: f64) -> Result<GeoPoint, CoordError> {
        if !lat_deg.is_finite() {
            return Err(CoordError::LatNotFinite(lat_deg));
        }
        if !lon_deg.is_finite() {
            return Err(CoordError::LonNotFinite(lon_deg));
        }
        if !(-90.0..=90.0).contains(&lat_deg) {
            return Err(CoordError::LatOutOfRange(lat_deg));
        }
        if !(-180.0..=180.0).contains(&lon_deg) {
            return Err(CoordError::LonOutOfRange(lon_deg));
        }
        Ok(GeoPoint { lat_deg, lon_deg })
    }

    /// The `geo` crate's point (x = longitude, y = latitude).
    pub fn to_geo(self) -> Point<f64> {
        Point::new(self.lon_deg, self.lat_deg)
    }

    pub fn from_geo(p: Point<f64>) -> GeoPoint {
        GeoPoint {
            lat_deg: p.y(),
            lon_deg: p.x(),
        }
    }

    /// Geodesic (ellipsoidal) distance in metres.
    pub fn distance_m(self, other: GeoPoint) -> f64 {
        Geodesic.distance(self.to_geo(), other.to_geo())
    }

    /// Initial geodesic bearing to `other`, degrees clockwise from true north in [0, 360).
    pub fn bearing_deg(self, other: GeoPoint) -> f64 {
        Geodesic
            .bearing(self.to_geo(), other.to_geo())
            .rem_euclid(360.0)
    }

    /// The point reached by following the geodesic from here for `distance_m` metres on
    /// initial bearing `bearing_deg`.
    pub fn destination(self, bearing_deg: f64, distance_m: f64) -> GeoPoint {
        GeoPoint::from_geo(Geodesic.destination(self.to_geo(), bearing_deg, distance_m))
    }
}

/// A WGS-84 position with ellipsoidal height.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeoPosition {
    pub lat_deg: f64,
    pub lon_deg: f64,
    /// Height above the WGS-84 ellipsoid (not above mean sea level), metres.
    pub h_ellipsoid_m: f64,
}

impl GeoPosition {
    pub fn new(lat_deg: f64, lon_deg: f64, h_ellipsoid_m: f64) -> Self {
        GeoPosition {
            lat_deg,
            lon_deg,
            h_ellipsoid_m,
        }
    }

    pub fn point(self) -> GeoPoint {
        GeoPoint {
            lat_deg: self.lat_deg,
            lon_deg: self.lon_deg,
        }
    }

    /// Earth-centred, earth-fixed coordinates.
    pub fn to_ecef(self) -> Ecef {
        let (lat, lon) = (self.lat_deg.to_radians(), self.lon_deg.to_radians());
        let (sin_lat, cos_lat) = lat.sin_cos();
        let (sin_lon, cos_lon) = lon.sin_cos();
        let n = WGS84_A_M / (1.0 - WGS84_E2 * sin_lat * sin_lat).sqrt();
        let h = self.h_ellipsoid_m;
        Ecef {
            x_m: (n + h) * cos_lat * cos_lon,
            y_m: (n + h) * cos_lat * sin_lon,
            z_m: (n * (1.0 - WGS84_E2) + h) * sin_lat,
        }
    }
}

/// Earth-centred, earth-fixed Cartesian coordinates, metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ecef {
    pub x_m: f64,
    pub y_m: f64,
    pub z_m: f64,
}

impl Ecef {
    /// Geodetic coordinates by Bowring's method refined by fixed-point iteration; converges
    /// to well below a millimetre for any height a drone flies at.
    pub fn to_geodetic(self) -> GeoPosition {
        let (x, y, z) = (self.x_m, self.y_m, self.z_m);
        let lon = y.atan2(x);
        let p = x.hypot(y);
        let b = WGS84_A_M * (1.0 - WGS84_F);
        let ep2 = (WGS84_A_M * WGS84_A_M - b * b) / (b * b);
        // Bowring's initial guess, then iterate latitude and height.
        let theta = (z * WGS84_A_M).atan2(p * b);
        let (st, ct) = theta.sin_cos();
        let mut lat = (z + ep2 * b * st * st * st).atan2(p - WGS84_E2 * WGS84_A_M * ct * ct * ct);
        let mut h = 0.0;
        // Bowring's start is within micrometres for heights near the surface; two refinements
        // make it exact to double precision for anything a drone reaches.
        for _ in 0..2 {
            let sin_lat = lat.sin();
            let n = WGS84_A_M / (1.0 - WGS84_E2 * sin_lat * sin_lat).sqrt();
            h = if lat.cos().abs() > 1e-9 {
                p / lat.cos() - n
            } else {
                z.abs() - b
            };
            lat = z.atan2(p * (1.0 - WGS84_E2 * n / (n + h)));
        }
        GeoPosition {
            lat_deg: lat.to_degrees(),
            lon_deg: lon.to_degrees(),
            h_ellipsoid_m: h,
        }
    }
}

/// A vector in a local east-north-up frame, metres.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Enu {
    pub e_m: f64,
    pub n_m: f64,
    pub u_m: f64,
}

impl Enu {
    pub fn new(e_m: f64, n_m: f64, u_m: f64) -> Self {
        Enu { e_m, n_m, u_m }
    }
}

/// A local tangent plane (east-north-up) about a reference point on the WGS-84 ellipsoid.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LocalFrame {
    origin: GeoPosition,
    origin_ecef: Ecef,
    /// Rows: east, north, up unit vectors in ECEF.
    rot: [[f64; 3]; 3],
}

impl LocalFrame {
    pub fn new(origin: GeoPosition) -> Self {
        let (lat, lon) = (origin.lat_deg.to_radians(), origin.lon_deg.to_radians());
        let (sl, cl) = lat.sin_cos();
        let (so, co) = lon.sin_cos();
        LocalFrame {
            origin,
            origin_ecef: origin.to_ecef(),
            rot: [
                [-so, co, 0.0],
                [-sl * co, -sl * so, cl],
                [cl * co, cl * so, sl],
            ],
        }
    }

    /// A frame on the ellipsoid surface under a horizontal point.
    pub fn at(point: GeoPoint) -> Self {
        LocalFrame::new(GeoPosition::new(point.lat_deg, point.lon_deg, 0.0))
    }

    pub fn origin(&self) -> GeoPosition {
        self.origin
    }

    pub fn to_enu(&self, p: GeoPosition) -> Enu {
        let e = p.to_ecef();
        let d = [
            e.x_m - self.origin_ecef.x_m,
            e.y_m - self.origin_ecef.y_m,
            e.z_m - self.origin_ecef.z_m,
        ];
        let r = &self.rot;
        Enu {
            e_m: r[0][0] * d[0] + r[0][1] * d[1] + r[0][2] * d[2],
            n_m: r[1][0] * d[0] + r[1][1] * d[1] + r[1][2] * d[2],
            u_m: r[2][0] * d[0] + r[2][1] * d[1] + r[2][2] * d[2],
        }
    }

    pub fn to_geodetic(&self, v: Enu) -> GeoPosition {
        let r = &self.rot;
        // The rotation is orthonormal, so its inverse is its transpose.
        let d = [
            r[0][0] * v.e_m + r[1][0] * v.n_m + r[2][0] * v.u_m,
            r[0][1] * v.e_m + r[1][1] * v.n_m + r[2][1] * v.u_m,
            r[0][2] * v.e_m + r[1][2] * v.n_m + r[2][2] * v.u_m,
        ];
        Ecef {
            x_m: self.origin_ecef.x_m + d[0],
            y_m: self.origin_ecef.y_m + d[1],
            z_m: self.origin_ecef.z_m + d[2],
        }
        .to_geodetic()
    }

    /// Horizontal position of a point, in the plane: its east and north at the height of the
    /// origin. For planning, where points lie on (or near) the ground.
    pub fn project(&self, p: GeoPoint) -> (f64, f64) {
        let enu = self.to_enu(GeoPosition::new(
            p.lat_deg,
            p.lon_deg,
            self.origin.h_ellipsoid_m,
        ));
        (enu.e_m, enu.n_m)
    }

    /// The inverse of [`LocalFrame::project`]: a plane point back to latitude/longitude. The
    /// plane point is lifted onto the tangent plane's curved counterpart (height of the
    /// origin) so that `unproject(project(p)) == p` to well below a millimetre.
    pub fn unproject(&self, e_m: f64, n_m: f64) -> GeoPoint {
        // The tangent plane falls away from the ellipsoid as d^2 / 2R: start from that drop
        // (mean Earth radius), which leaves centimetres at 50 km, and take one correction
        // step on the up component to land on the origin's height surface. This runs for
        // every waypoint of a long plan, so it is kept to two geodetic conversions.
        let mut u = -(e_m * e_m + n_m * n_m) / (2.0 * 6_371_000.0);
        let geo = self.to_geodetic(Enu::new(e_m, n_m, u));
        u -= geo.h_ellipsoid_m - self.origin.h_ellipsoid_m;
        self.to_geodetic(Enu::new(e_m, n_m, u)).point()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ecef_known_value() {
        // On the equator at the prime meridian, ECEF x is the semi-major axis.
        let e = GeoPosition::new(0.0, 0.0, 0.0).to_ecef();
        assert!((e.x_m - WGS84_A_M).abs() < 1e-6);
        assert!(e.y_m.abs() < 1e-6 && e.z_m.abs() < 1e-6);
        // North pole: z is the semi-minor axis.
        let p = GeoPosition::new(90.0, 0.0, 0.0).to_ecef();
        assert!((p.z_m - WGS84_A_M * (1.0 - WGS84_F)).abs() < 1e-6);
    }

    #[test]
    fn enu_axes_point_the_right_way() {
        let f = LocalFrame::new(GeoPosition::new(27.0, 107.0, 1000.0));
        let north = f.to_enu(GeoPosition::new(27.001, 107.0, 1000.0));
        assert!(north.n_m > 110.0 && north.e_m.abs() < 1e-6);
        let east = f.to_enu(GeoPosition::new(27.0, 107.001, 1000.0));
        assert!(east.e_m > 99.0 && east.n_m.abs() < 0.01);
        let up = f.to_enu(GeoPosition::new(27.0, 107.0, 1010.0));
        assert!((up.u_m - 10.0).abs() < 1e-6);
    }

    #[test]
    fn geodesic_distance_and_bearing() {
        let a = GeoPoint::new(27.0, 107.0).unwrap();
        let b = a.destination(45.0, 1000.0);
        assert!((a.distance_m(b) - 1000.0).abs() < 1e-6);
        assert!((a.bearing_deg(b) - 45.0).abs() < 1e-6);
        // One degree of latitude near 27 N is about 110.8 km on the ellipsoid.
        let c = GeoPoint::new(28.0, 107.0).unwrap();
        assert!((a.distance_m(c) - 110_833.0).abs() < 50.0);
    }

    #[test]
    fn checked_points_refuse_bad_numbers() {
        assert!(GeoPoint::new(f64::NAN, 0.0).is_err());
        assert!(GeoPoint::new(0.0, f64::INFINITY).is_err());
        assert_eq!(
            GeoPoint::new(91.0, 0.0),
            Err(CoordError::LatOutOfRange(91.0))
        );
        assert_eq!(
            GeoPoint::new(0.0, 181.0),
            Err(CoordError::LonOutOfRange(181.0))
        );
    }

    proptest! {
        /// Round trip < 1 mm within 50 km of the reference, at any drone height.
        #[test]
        fn enu_round_trip_within_50_km(
            lat0 in -80.0f64..80.0, lon0 in -179.0f64..179.0,
            e in -35_000.0f64..35_000.0, n in -35_000.0f64..35_000.0, u in -500.0f64..3000.0,
        ) {
            let f = LocalFrame::new(GeoPosition::new(lat0, lon0, 500.0));
            let geo = f.to_geodetic(Enu::new(e, n, u));
            let back = f.to_enu(geo);
            let err = ((back.e_m - e).powi(2) + (back.n_m - n).powi(2) + (back.u_m - u).powi(2)).sqrt();
            prop_assert!(err < 1e-3, "error {} m", err);
            // and geodetic -> ECEF -> geodetic
            let again = geo.to_ecef().to_geodetic();
            let d = f.to_enu(again);
            let err2 = ((d.e_m - e).powi(2) + (d.n_m - n).powi(2) + (d.u_m - u).powi(2)).sqrt();
            prop_assert!(err2 < 1e-3, "error {} m", err2);
        }

        #[test]
        fn plane_projection_round_trip(
            lat0 in -70.0f64..70.0, lon0 in -179.0f64..179.0,
            e in -50_000.0f64..50_000.0, n in -50_000.0f64..50_000.0,
        ) {
            let f = LocalFrame::new(GeoPosition::new(lat0, lon0, 800.0));
            let p = f.unproject(e, n);
            let (e2, n2) = f.project(p);
            prop_assert!((e2 - e).hypot(n2 - n) < 1e-3);
        }
    }
}
