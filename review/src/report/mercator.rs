//! Web Mercator (EPSG:3857) tile arithmetic, the scheme Leaflet, XYZ tile folders and
//! MBTiles (with its rows counted from the south, TMS) share: at zoom `z` the world is
//! `256 * 2^z` pixels square, x east from 180 degrees W, y south from 85.0511 degrees N.

/// Tile side, pixels.
pub const TILE_PX: u32 = 256;

/// Latitude limit of the projection, degrees.
const MAX_LAT_DEG: f64 = 85.051_128_779_806_6;

fn world_px(z: u8) -> f64 {
    f64::from(TILE_PX) * 2f64.powi(i32::from(z))
}

/// World pixel `(x, y)` of a WGS-84 point at zoom `z`.
pub fn to_world_px(lat_deg: f64, lon_deg: f64, z: u8) -> (f64, f64) {
    let lat = lat_deg.clamp(-MAX_LAT_DEG, MAX_LAT_DEG).to_radians();
    let n = world_px(z);
    let x = (lon_deg + 180.0) / 360.0 * n;
    let y = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * n;
    (x, y)
}

/// WGS-84 `(lat_deg, lon_deg)` of world pixel `(x, y)` at zoom `z`.
pub fn from_world_px(x: f64, y: f64, z: u8) -> (f64, f64) {
    let n = world_px(z);
    let lon = x / n * 360.0 - 180.0;
    let lat = (std::f64::consts::PI * (1.0 - 2.0 * y / n))
        .sinh()
        .atan()
        .to_degrees();
    (lat, lon)
}

/// Metres per pixel on the ground at latitude `lat_deg`, zoom `z`.
pub fn metres_per_px(lat_deg: f64, z: u8) -> f64 {
    2.0 * std::f64::consts::PI * 6_378_137.0 * lat_deg.to_radians().cos() / world_px(z)
}

/// A box in WGS-84 degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatLonBox {
    pub south_deg: f64,
    pub west_deg: f64,
    pub north_deg: f64,
    pub east_deg: f64,
}

impl LatLonBox {
    /// The smallest box holding `points` (`(lat, lon)`); `None` when there are none.
    pub fn around(points: impl IntoIterator<Item = (f64, f64)>) -> Option<LatLonBox> {
        let mut b: Option<LatLonBox> = None;
        for (lat, lon) in points {
            if !(lat.is_finite() && lon.is_finite()) {
                continue;
            }
            let v = b.get_or_insert(LatLonBox {
                south_deg: lat,
                west_deg: lon,
                north_deg: lat,
                east_deg: lon,
            });
            v.south_deg = v.south_deg.min(lat);
            v.north_deg = v.north_deg.max(lat);
            v.west_deg = v.west_deg.min(lon);
            v.east_deg = v.east_deg.max(lon);
        }
        b
    }

    /// The box grown by `m` metres on every side.
    pub fn grown_m(&self, m: f64) -> LatLonBox {
        let dlat = m / 111_320.0;
        let mid = 0.5 * (self.south_deg + self.north_deg);
        let dlon = m / (111_320.0 * mid.to_radians().cos().max(0.01));
        LatLonBox {
            south_deg: self.south_deg - dlat,
            west_deg: self.west_deg - dlon,
            north_deg: self.north_deg + dlat,
            east_deg: self.east_deg + dlon,
        }
    }

    pub fn intersects(&self, o: &LatLonBox) -> bool {
        self.south_deg <= o.north_deg
            && o.south_deg <= self.north_deg
            && self.west_deg <= o.east_deg
            && o.west_deg <= self.east_deg
    }

    /// Inclusive XYZ tile ranges `(x_min, x_max, y_min, y_max)` covering the box at zoom `z`.
    pub fn tiles(&self, z: u8) -> (u32, u32, u32, u32) {
        let last = (1u64 << z) as f64 - 1.0;
        let t = f64::from(TILE_PX);
        let (x0, y0) = to_world_px(self.north_deg, self.west_deg, z);
        let (x1, y1) = to_world_px(self.south_deg, self.east_deg, z);
        let c = |v: f64| (v / t).floor().clamp(0.0, last) as u32;
        (c(x0), c(x1), c(y0), c(y1))
    }

    /// The box of XYZ tile `(x, y)` at zoom `z`.
    pub fn of_tile(z: u8, x: u32, y: u32) -> LatLonBox {
        let t = f64::from(TILE_PX);
        let (north, west) = from_world_px(f64::from(x) * t, f64::from(y) * t, z);
        let (south, east) = from_world_px(f64::from(x + 1) * t, f64::from(y + 1) * t, z);
        LatLonBox {
            south_deg: south,
            west_deg: west,
            north_deg: north,
            east_deg: east,
        }
    }
}

/// The MBTiles (TMS) row of XYZ row `y` at zoom `z`, and back (the same formula).
pub fn flip_row(z: u8, y: u32) -> u32 {
    ((1u64 << z) - 1 - u64::from(y)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_tile_and_round_trip() {
        // Zoom 1: the point (27.05 N, 106.95 E) is in the north-east tile (1, 0).
        let b = LatLonBox::around([(27.05, 106.95)]).unwrap();
        assert_eq!(b.tiles(1), (1, 1, 0, 0));
        let (x, y) = to_world_px(27.05, 106.95, 18);
        let (lat, lon) = from_world_px(x, y, 18);
        assert!((lat - 27.05).abs() < 1e-9 && (lon - 106.95).abs() < 1e-9);
        // 0.597 m per pixel at the equator at zoom 18 (the usual table).
        assert!((metres_per_px(0.0, 18) - 0.597_164).abs() < 1e-5);
        assert_eq!(flip_row(3, 0), 7);
        let t = LatLonBox::of_tile(18, 100, 200);
        assert!(t.north_deg > t.south_deg && t.east_deg > t.west_deg);
    }
}
