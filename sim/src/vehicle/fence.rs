//! The uploaded geofence (`MAV_MISSION_TYPE_FENCE`), enforced as ArduCopter does with
//! FENCE_ENABLE = 1 and the polygon/circle fence types: crossing into an exclusion zone or out
//! of an inclusion zone is a breach, and the fence action (FENCE_ACTION 1, the default: RTL)
//! follows, with a STATUSTEXT (libraries/AC_Fence, ArduCopter/fence.cpp). ArduPilot's own
//! FENCE_MARGIN warning band, the altitude fences and the home-centred FENCE_RADIUS circle are
//! not modelled: only the zones a mission uploads.

use qly_core::geodesy::{GeoPosition, LocalFrame};
use qly_core::mission::{cmd, RawItem};

/// One zone, horizontally, in metres east/north of home.
#[derive(Debug, Clone, PartialEq)]
enum Zone {
    Polygon {
        inclusion: bool,
        vertices: Vec<(f64, f64)>,
    },
    Circle {
        inclusion: bool,
        centre: (f64, f64),
        radius_m: f64,
    },
}

/// The zones of an uploaded fence list.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Fence {
    zones: Vec<Zone>,
}

/// Even-odd point in polygon.
fn inside(vertices: &[(f64, f64)], p: (f64, f64)) -> bool {
    let n = vertices.len();
    let mut inside = false;
    for i in 0..n {
        let (a, b) = (vertices[i], vertices[(i + 1) % n]);
        if (a.1 > p.1) != (b.1 > p.1) {
            let x = a.0 + (p.1 - a.1) / (b.1 - a.1) * (b.0 - a.0);
            if x > p.0 {
                inside = !inside;
            }
        }
    }
    inside
}

impl Fence {
    /// The zones of `items` (the fence list as uploaded), positions through `frame`. Polygon
    /// vertices come in runs of param1 items of the same command; a run cut short is ignored
    /// (ArduPilot refuses such a list at upload).
    pub fn from_items(items: &[RawItem], frame: &LocalFrame) -> Fence {
        let h = frame.origin().h_ellipsoid_m;
        let enu = |r: &RawItem| {
            let p = frame.to_enu(GeoPosition::new(r.lat_deg, r.lon_deg, h));
            (p.e_m, p.n_m)
        };
        let mut zones = Vec::new();
        let mut i = 0;
        while i < items.len() {
            let r = &items[i];
            match r.command {
                cmd::NAV_FENCE_POLYGON_VERTEX_INCLUSION
                | cmd::NAV_FENCE_POLYGON_VERTEX_EXCLUSION => {
                    let n = (r.params[0].max(0.0) as usize).max(1);
                    let run = &items[i..(i + n).min(items.len())];
                    if n >= 3 && run.len() == n && run.iter().all(|v| v.command == r.command) {
                        zones.push(Zone::Polygon {
                            inclusion: r.command == cmd::NAV_FENCE_POLYGON_VERTEX_INCLUSION,
                            vertices: run.iter().map(enu).collect(),
                        });
                    }
                    i += n;
                }
                cmd::NAV_FENCE_CIRCLE_INCLUSION | cmd::NAV_FENCE_CIRCLE_EXCLUSION => {
                    zones.push(Zone::Circle {
                        inclusion: r.command == cmd::NAV_FENCE_CIRCLE_INCLUSION,
                        centre: enu(r),
                        radius_m: f64::from(r.params[0]),
                    });
                    i += 1;
                }
                _ => i += 1,
            }
        }
        Fence { zones }
    }

    pub fn is_empty(&self) -> bool {
        self.zones.is_empty()
    }

    /// The breached zone's kind at `(east, north)` metres about home, if any.
    pub fn breach(&self, at: (f64, f64)) -> Option<&'static str> {
        self.zones.iter().find_map(|z| match z {
            Zone::Polygon {
                inclusion,
                vertices,
            } => match (inclusion, inside(vertices, at)) {
                (false, true) => Some("exclusion polygon"),
                (true, false) => Some("inclusion polygon"),
                _ => None,
            },
            Zone::Circle {
                inclusion,
                centre,
                radius_m,
            } => {
                let within = (at.0 - centre.0).hypot(at.1 - centre.1) <= *radius_m;
                match (inclusion, within) {
                    (false, true) => Some("exclusion circle"),
                    (true, false) => Some("inclusion circle"),
                    _ => None,
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use qly_core::geodesy::GeoPoint;
    use qly_core::mission::{FenceZone, Home, Mission, MissionType};

    #[test]
    fn polygons_and_circles_from_the_wire() {
        let home = GeoPoint {
            lat_deg: 27.0,
            lon_deg: 106.9,
        };
        let f = LocalFrame::at(home);
        let frame = LocalFrame::new(GeoPosition::new(27.0, 106.9, 0.0));
        let mut m = Mission::new(
            Home {
                point: home,
                alt_amsl_m: 0.0,
            },
            vec![],
        );
        let sq = |x0: f64, y0: f64, s: f64| -> Vec<GeoPoint> {
            [(x0, y0), (x0 + s, y0), (x0 + s, y0 + s), (x0, y0 + s)]
                .iter()
                .map(|&(x, y)| f.unproject(x, y))
                .collect()
        };
        m.fence.push(FenceZone::Polygon {
            inclusion: false,
            vertices: sq(100.0, 100.0, 50.0),
        });
        m.fence.push(FenceZone::Polygon {
            inclusion: true,
            vertices: sq(-500.0, -500.0, 1000.0),
        });
        m.fence.push(FenceZone::Circle {
            inclusion: false,
            centre: f.unproject(-200.0, 0.0),
            radius_m: 20.0,
        });
        let fence = Fence::from_items(&m.wire_items(MissionType::Fence), &frame);
        assert_eq!(fence.zones.len(), 3);
        assert_eq!(fence.breach((0.0, 0.0)), None);
        assert_eq!(fence.breach((125.0, 125.0)), Some("exclusion polygon"));
        assert_eq!(fence.breach((99.0, 125.0)), None);
        assert_eq!(fence.breach((600.0, 0.0)), Some("inclusion polygon"));
        assert_eq!(fence.breach((-190.0, 5.0)), Some("exclusion circle"));
    }
}
