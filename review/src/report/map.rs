//! The review map as inline SVG, without tiles: a local east/north metric projection about
//! the map centre (equirectangular on a 6 371 008.8 m sphere: under 0.1 % scale error across
//! a few kilometres, far below a candidate's error circle), with a scale bar and a north
//! arrow. Up is true north.

use std::fmt::Write;

use qly_flight::folder::FrameKey;

use crate::flight::{Flight, TrackSource};

const R_EARTH_M: f64 = 6_371_008.8;
const W: f64 = 900.0;
const H: f64 = 620.0;
const MARGIN: f64 = 40.0;

/// A local plane about `(lat0, lon0)`: `x` metres east, `y` metres north.
#[derive(Debug, Clone, Copy)]
pub struct LocalPlane {
    lat0_deg: f64,
    lon0_deg: f64,
}

impl LocalPlane {
    pub fn new(lat0_deg: f64, lon0_deg: f64) -> LocalPlane {
        LocalPlane { lat0_deg, lon0_deg }
    }

    /// `(x east, y north)` in metres.
    pub fn to_xy(&self, lat_deg: f64, lon_deg: f64) -> (f64, f64) {
        let x =
            R_EARTH_M * self.lat0_deg.to_radians().cos() * (lon_deg - self.lon0_deg).to_radians();
        let y = R_EARTH_M * (lat_deg - self.lat0_deg).to_radians();
        (x, y)
    }
}

/// The largest 1, 2 or 5 x 10^k metres not above `max_m`.
fn nice_length_m(max_m: f64) -> f64 {
    let p = 10f64.powf(max_m.log10().floor());
    [5.0, 2.0, 1.0]
        .into_iter()
        .map(|k| k * p)
        .find(|v| *v <= max_m)
        .unwrap_or(p)
}

fn esc(s: &str) -> String {
    super::escape_html(s)
}

/// The SVG map of the flight.
pub fn svg(flight: &Flight) -> String {
    let mut pts: Vec<(f64, f64)> = Vec::new();
    pts.extend(flight.track.iter().map(|p| (p.lat_deg, p.lon_deg)));
    pts.extend(
        flight
            .plan
            .iter()
            .flat_map(|s| s.points.iter().map(|p| (p[0], p[1]))),
    );
    pts.extend(
        flight
            .view
            .frames
            .values()
            .map(|f| (f.camera.lat_deg, f.camera.lon_deg)),
    );
    pts.extend(flight.candidates().iter().map(|c| (c.lat_deg, c.lon_deg)));
    pts.retain(|(a, b)| a.is_finite() && b.is_finite());
    let mut out = String::new();
    if pts.is_empty() {
        let _ = write!(
            out,
            r#"<svg id="map" xmlns="http://www.w3.org/2000/svg" width="{W}" height="120" viewBox="0 0 {W} 120"><text x="20" y="60">Nothing to draw: no positions in this flight.</text></svg>"#
        );
        return out;
    }
    let (mut lat_min, mut lat_max, mut lon_min, mut lon_max) =
        (90.0f64, -90.0f64, 180.0f64, -180.0f64);
    for (lat, lon) in &pts {
        lat_min = lat_min.min(*lat);
        lat_max = lat_max.max(*lat);
        lon_min = lon_min.min(*lon);
        lon_max = lon_max.max(*lon);
    }
    let plane = LocalPlane::new(0.5 * (lat_min + lat_max), 0.5 * (lon_min + lon_max));
    let (x0, y0) = plane.to_xy(lat_min, lon_min);
    let (x1, y1) = plane.to_xy(lat_max, lon_max);
    // Leave room for error circles at the edges.
    let pad_m = flight
        .candidates()
        .iter()
        .map(|c| c.error.ce90_m)
        .filter(|v| v.is_finite())
        .fold(10.0f64, f64::max);
    let (x0, y0, x1, y1) = (x0 - pad_m, y0 - pad_m, x1 + pad_m, y1 + pad_m);
    let px_per_m = ((W - 2.0 * MARGIN) / (x1 - x0)).min((H - 2.0 * MARGIN) / (y1 - y0));
    let cx = 0.5 * (x0 + x1);
    let cy = 0.5 * (y0 + y1);
    let to_px = |lat: f64, lon: f64| -> (f64, f64) {
        let (x, y) = plane.to_xy(lat, lon);
        (W / 2.0 + (x - cx) * px_per_m, H / 2.0 - (y - cy) * px_per_m)
    };
    let _ = write!(
        out,
        r##"<svg id="map" xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" role="img" aria-label="Flight map"><rect width="{W}" height="{H}" fill="#f4f1ea"/>"##
    );
    for s in &flight.plan {
        let d: Vec<String> = s
            .points
            .iter()
            .map(|p| {
                let (x, y) = to_px(p[0], p[1]);
                format!("{x:.1},{y:.1}")
            })
            .collect();
        let (stroke, dash) = match s.kind.as_str() {
            "lane" => ("#6a8fd0", "6 4"),
            "exclusion" => ("#c03030", "2 2"),
            _ => ("#8a8a8a", "1 3"),
        };
        let _ = write!(
            out,
            r#"<polyline class="plan plan-{}" points="{}" fill="none" stroke="{stroke}" stroke-width="2" stroke-dasharray="{dash}"><title>planned {}</title></polyline>"#,
            esc(&s.kind),
            d.join(" "),
            esc(&s.kind)
        );
    }
    let track: Vec<String> = flight
        .track
        .iter()
        .filter(|p| p.lat_deg.is_finite() && p.lon_deg.is_finite())
        .map(|p| {
            let (x, y) = to_px(p.lat_deg, p.lon_deg);
            format!("{x:.1},{y:.1}")
        })
        .collect();
    let track_title = match flight.track_source {
        TrackSource::Telemetry => "flown track (telemetry log)",
        TrackSource::FrameRecords => "flown track (from photo camera positions: no telemetry)",
    };
    let _ = write!(
        out,
        r##"<polyline id="track" points="{}" fill="none" stroke="#202020" stroke-width="2"><title>{track_title}</title></polyline>"##,
        track.join(" ")
    );
    for f in flight.view.frames.values() {
        let (x, y) = to_px(f.camera.lat_deg, f.camera.lon_deg);
        let _ = write!(
            out,
            r##"<circle class="photo" cx="{x:.1}" cy="{y:.1}" r="3.5" fill="#ffffff" stroke="#202020"><title>photo: {} ({})</title></circle>"##,
            FrameKey {
                boot: f.boot,
                image_index: f.image_index
            },
            esc(&f.file)
        );
    }
    for c in flight.candidates() {
        let (x, y) = to_px(c.lat_deg, c.lon_deg);
        let e = &c.error;
        // Unconfirmed candidates are drawn in a group the page hides until its switch.
        let confirmed = flight.is_confirmed(c);
        if !confirmed {
            out.push_str(r#"<g class="unconfirmed">"#);
        }
        if e.ce90_m.is_finite() {
            let _ = write!(
                out,
                r##"<circle class="ce90" cx="{x:.1}" cy="{y:.1}" r="{:.1}" fill="#e0403022" stroke="#e04030" stroke-width="1"><title>candidate {} CE90 {:.1} m</title></circle>"##,
                e.ce90_m * px_per_m,
                c.id,
                e.ce90_m
            );
        }
        if e.sigma_major_m.is_finite() && e.sigma_minor_m.is_finite() {
            let _ = write!(
                out,
                r##"<ellipse class="sigma" cx="{x:.1}" cy="{y:.1}" rx="{:.1}" ry="{:.1}" transform="rotate({:.1} {x:.1} {y:.1})" fill="none" stroke="#a02020" stroke-dasharray="3 2"><title>candidate {} 1-sigma ellipse {:.1} x {:.1} m</title></ellipse>"##,
                e.sigma_major_m * px_per_m,
                e.sigma_minor_m * px_per_m,
                e.major_axis_bearing_deg - 90.0,
                c.id,
                e.sigma_major_m,
                e.sigma_minor_m
            );
        }
        let _ = write!(
            out,
            r##"<g class="cand-mark" data-id="{id}"><circle cx="{x:.1}" cy="{y:.1}" r="6" fill="#e04030" stroke="#fff" stroke-width="1.5"/><text x="{tx:.1}" y="{ty:.1}" font-size="13" font-weight="bold" fill="#7a1010">{id}</text><title>candidate {id}: {}</title></g>"##,
            esc(&c.class_name),
            id = c.id,
            tx = x + 8.0,
            ty = y - 8.0
        );
        if !confirmed {
            out.push_str("</g>");
        }
    }
    // Scale bar (bottom left) and north arrow (top right).
    let bar_m = nice_length_m((W - 2.0 * MARGIN) / 4.0 / px_per_m);
    let bar_px = bar_m * px_per_m;
    let (bx, by) = (MARGIN, H - 18.0);
    let _ = write!(
        out,
        r##"<g id="scale-bar"><rect x="{bx}" y="{:.1}" width="{bar_px:.1}" height="6" fill="#202020"/><text x="{bx}" y="{:.1}" font-size="12">0</text><text x="{:.1}" y="{:.1}" font-size="12" text-anchor="end">{} m</text></g>"##,
        by - 6.0,
        by - 10.0,
        bx + bar_px,
        by - 10.0,
        bar_m
    );
    let (nx, ny) = (W - 30.0, 20.0);
    let _ = write!(
        out,
        r##"<g id="north-arrow"><path d="M{nx} {ny} l-8 24 l8 -6 l8 6 z" fill="#202020"/><text x="{nx}" y="{:.1}" font-size="14" text-anchor="middle" font-weight="bold">N</text></g>"##,
        ny + 40.0
    );
    out.push_str("</svg>");
    out
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
    fn scale_bar_lengths_are_round() {
        assert_eq!(nice_length_m(37.0), 20.0);
        assert_eq!(nice_length_m(120.0), 100.0);
        assert_eq!(nice_length_m(5.0), 5.0);
    }
}
