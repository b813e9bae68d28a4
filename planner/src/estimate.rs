//! Flight length and time of a set of transects.
//!
//! A multicopter flying a waypoint path slows down for every change of direction. We charge
//! each vertex the time lost braking and re-accelerating, in proportion to how sharply the
//! path turns there: a full reversal costs `v / a` extra seconds (brake from `v` to 0 and
//! accelerate back, covering `v^2 / a` metres in `2v / a` seconds instead of `v / a`).

use crate::survey::{PlaneCoord, Transect};

/// Horizontal acceleration assumed for turns, m/s^2 (ArduCopter's default WPNAV_ACCEL is
/// 2.5 m/s^2).
pub const TURN_ACCEL_M_S2: f64 = 2.5;

/// The points the vehicle flies through, in order: every transect's approach via points,
/// run-in, path and run-out, one after the other (the first transect's approach is left out:
/// it starts from home, which the survey pattern does not include).
pub fn flight_path(transects: &[Transect]) -> Vec<PlaneCoord> {
    let mut pts = Vec::new();
    for (i, t) in transects.iter().enumerate() {
        if i > 0 {
            pts.extend_from_slice(&t.approach);
        }
        pts.push(t.turn_in);
        pts.extend_from_slice(&t.path);
        pts.push(t.turn_out);
    }
    pts
}

/// Length of a polyline, metres.
pub fn polyline_length_m(points: &[PlaneCoord]) -> f64 {
    points
        .windows(2)
        .map(|w| (w[1].x - w[0].x).hypot(w[1].y - w[0].y))
        .sum()
}

/// Extra seconds a turn of `turn_deg` (0 = straight on, 180 = reversal) costs at
/// `speed_m_s`.
pub fn turn_penalty_s(turn_deg: f64, speed_m_s: f64) -> f64 {
    (turn_deg.abs().min(180.0) / 180.0) * speed_m_s / TURN_ACCEL_M_S2
}

/// Flight time along `points` at `speed_m_s`, with the turn penalty at every inner vertex.
pub fn polyline_time_s(points: &[PlaneCoord], speed_m_s: f64) -> f64 {
    let mut t = polyline_length_m(points) / speed_m_s;
    for w in points.windows(3) {
        let (a, b) = (w[1] - w[0], w[2] - w[1]);
        let (la, lb) = (a.x.hypot(a.y), b.x.hypot(b.y));
        if la < 1e-9 || lb < 1e-9 {
            continue;
        }
        let cos = ((a.x * b.x + a.y * b.y) / (la * lb)).clamp(-1.0, 1.0);
        t += turn_penalty_s(cos.acos().to_degrees(), speed_m_s);
    }
    t
}

/// Flight time of a whole set of transects (first run-in to last run-out).
pub fn transects_flight_time_s(transects: &[Transect], speed_m_s: f64) -> f64 {
    polyline_time_s(&flight_path(transects), speed_m_s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::coord;

    #[test]
    fn straight_line_has_no_turn_cost() {
        let pts = [coord! {x: 0.0, y: 0.0}, coord! {x: 50.0, y: 0.0}, coord! {x: 100.0, y: 0.0}];
        assert!((polyline_length_m(&pts) - 100.0).abs() < 1e-12);
        assert!((polyline_time_s(&pts, 10.0) - 10.0).abs() < 1e-12);
    }

    #[test]
    fn reversal_costs_v_over_a() {
        let pts = [coord! {x: 0.0, y: 0.0}, coord! {x: 100.0, y: 0.0}, coord! {x: 0.0, y: 0.0}];
        let t = polyline_time_s(&pts, 10.0);
        assert!((t - (20.0 + 10.0 / TURN_ACCEL_M_S2)).abs() < 1e-9);
        // A right angle costs half of that.
        let l = [coord! {x: 0.0, y: 0.0}, coord! {x: 100.0, y: 0.0}, coord! {x: 100.0, y: 100.0}];
        assert!((polyline_time_s(&l, 10.0) - (20.0 + 5.0 / TURN_ACCEL_M_S2)).abs() < 1e-9);
    }
}
