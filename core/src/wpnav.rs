//! How ArduCopter flies from waypoint to waypoint: the one model that the planner's flight
//! time estimate and the simulator's guidance share.
//!
//! Since Copter 4.1, `AC_WPNav` (libraries/AC_WPNav/AC_WPNav.cpp, repository
//! ArduPilot/ardupilot) moves its position target along each straight leg with an S-curve
//! (libraries/AP_Math/SCurve.cpp): from rest at the leg's origin to rest at its destination,
//! the speed limited by WPNAV_SPEED (and WPNAV_SPEED_UP / WPNAV_SPEED_DN for the vertical
//! part of the leg), the acceleration by WPNAV_ACCEL (WPNAV_ACCEL_Z) and the jerk by
//! WPNAV_JERK. A waypoint with no delay whose next navigation command is another waypoint is
//! a "fast waypoint": the next leg's S-curve starts while this one is still braking, so the
//! two overlap in time and the target rounds the corner. `SCurve::advance_target_along_track`
//! starts the next leg at the first moment (after this leg has begun to brake, and no earlier
//! than the next leg's acceleration time before this one ends) at which the blended target,
//! half way through the remaining time, is within WPNAV_RADIUS of the waypoint, slower than
//! either leg's top speed and accelerating less than WPNAV_ACCEL_C (default twice
//! WPNAV_ACCEL). A straight-on waypoint is therefore passed at nearly full speed, a right angle
//! at a few metres per second, and a reversal almost at a stop; a waypoint before a
//! return-to-launch, or with a delay, is a full stop.
//!
//! Where we simplify: ArduPilot shapes each change of jerk as a raised cosine lasting
//! `WPNAV_JERK * pi / (2 snap)` (about 0.3 s with ATC_INPUT_TC 0.15 s); here jerk switches
//! instantly (a trapezoidal acceleration profile), which shortens every speed change by
//! about that much. The corner blend is solved the same way as ArduPilot's, by testing the
//! mid-turn point, but by bisection on the overlap rather than at every 400 Hz tick.
//!
//! Frames: points are local ENU metres `[east, north, up]` about any origin.

/// ArduCopter's waypoint navigation parameters, with the defaults of its source.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WpNavParams {
    /// Horizontal cruise speed (WPNAV_SPEED: `WPNAV_WP_SPEED` 1000 cm/s in
    /// libraries/AC_WPNav/AC_WPNav.cpp), m/s. A mission's DO_CHANGE_SPEED replaces it.
    pub speed_m_s: f64,
    /// Horizontal acceleration (WPNAV_ACCEL: `WPNAV_ACCELERATION` 250 cm/s/s in
    /// libraries/AC_WPNav/AC_WPNav.h), m/s^2.
    pub accel_m_s2: f64,
    /// Cornering acceleration (WPNAV_ACCEL_C: default 0, meaning twice WPNAV_ACCEL,
    /// AC_WPNav.cpp), m/s^2.
    pub accel_corner_m_s2: f64,
    /// Jerk (WPNAV_JERK: default 1 m/s/s/s, AC_WPNav.cpp), m/s^3.
    pub jerk_m_s3: f64,
    /// Climb speed (WPNAV_SPEED_UP: `WPNAV_WP_SPEED_UP` 250 cm/s, AC_WPNav.cpp), m/s.
    pub speed_up_m_s: f64,
    /// Descent speed (WPNAV_SPEED_DN: `WPNAV_WP_SPEED_DOWN` 150 cm/s, AC_WPNav.cpp), m/s.
    pub speed_down_m_s: f64,
    /// Vertical acceleration (WPNAV_ACCEL_Z: `WPNAV_WP_ACCEL_Z_DEFAULT` 100 cm/s/s,
    /// AC_WPNav.cpp), m/s^2.
    pub accel_z_m_s2: f64,
    /// Waypoint radius (WPNAV_RADIUS: `WPNAV_WP_RADIUS` 200 cm, AC_WPNav.cpp), metres: how far
    /// from a fast waypoint the corner blend may pass, and how close a stopping waypoint must
    /// be reached.
    pub radius_m: f64,
}

impl Default for WpNavParams {
    fn default() -> Self {
        WpNavParams {
            speed_m_s: 10.0,
            accel_m_s2: 2.5,
            accel_corner_m_s2: 5.0,
            jerk_m_s3: 1.0,
            speed_up_m_s: 2.5,
            speed_down_m_s: 1.5,
            accel_z_m_s2: 1.0,
            radius_m: 2.0,
        }
    }
}

/// How ArduCopter lands at the end of a return to launch (ArduCopter/Parameters.cpp and
/// ArduCopter/config.h defaults).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LandParams {
    /// Final descent speed (LAND_SPEED 50 cm/s), m/s.
    pub land_speed_m_s: f64,
    /// Height below which the final speed applies (LAND_ALT_LOW 1000 cm), metres; above it the
    /// vehicle descends at WPNAV_SPEED_DN (LAND_SPEED_HIGH 0 means that).
    pub land_alt_low_m: f64,
    /// Hover over home before descending (RTL_LOIT_TIME 5000 ms), seconds.
    pub rtl_loiter_s: f64,
    /// Time still on the ground before the landing is detected (`LAND_DETECTOR_TRIGGER_SEC`
    /// 1 s, ArduCopter/land_detector.cpp), seconds.
    pub land_detect_s: f64,
}

impl Default for LandParams {
    fn default() -> Self {
        LandParams {
            land_speed_m_s: 0.5,
            land_alt_low_m: 10.0,
            rtl_loiter_s: 5.0,
            land_detect_s: 1.0,
        }
    }
}

/// A rest-to-rest speed profile along a straight line with limited speed, acceleration and
/// jerk: jerk up, constant acceleration, jerk down, cruise, and the mirror image to stop.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Profile {
    jerk: f64,
    /// Duration of each jerk phase, seconds.
    t_jerk: f64,
    /// Duration of each constant-acceleration phase, seconds.
    t_accel: f64,
    /// Duration of the cruise, seconds.
    t_cruise: f64,
    /// Top speed reached, m/s.
    v_top: f64,
}

/// Jerk and constant-acceleration durations of a speed change from 0 to `v`.
fn ramp(v: f64, accel: f64, jerk: f64) -> (f64, f64) {
    if v * jerk >= accel * accel {
        (accel / jerk, v / accel - accel / jerk)
    } else {
        ((v / jerk).sqrt(), 0.0)
    }
}

/// Distance covered speeding up from 0 to `v` (the profile is symmetric: the mean speed is
/// half the final one).
fn ramp_dist(v: f64, accel: f64, jerk: f64) -> f64 {
    let (tj, ta) = ramp(v, accel, jerk);
    v * (2.0 * tj + ta) / 2.0
}

impl Profile {
    /// The profile over `length_m` (>= 0) with the given limits (all > 0).
    pub fn new(length_m: f64, v_max: f64, accel: f64, jerk: f64) -> Profile {
        let zero = Profile {
            jerk,
            t_jerk: 0.0,
            t_accel: 0.0,
            t_cruise: 0.0,
            v_top: 0.0,
        };
        let ok = |x: f64| x.is_finite() && x > 0.0;
        if !(ok(length_m) && ok(v_max) && ok(accel) && ok(jerk)) {
            return zero;
        }
        let full = ramp_dist(v_max, accel, jerk);
        let (v_top, t_cruise) = if 2.0 * full <= length_m {
            (v_max, (length_m - 2.0 * full) / v_max)
        } else {
            // Too short to reach the top speed: the fastest that still stops in time.
            let (mut lo, mut hi) = (0.0, v_max);
            for _ in 0..48 {
                let mid = 0.5 * (lo + hi);
                if 2.0 * ramp_dist(mid, accel, jerk) <= length_m {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            (lo, 0.0)
        };
        let (t_jerk, t_accel) = ramp(v_top, accel, jerk);
        Profile {
            jerk,
            t_jerk,
            t_accel,
            t_cruise,
            v_top,
        }
    }

    /// Seconds from start to stop.
    pub fn duration_s(&self) -> f64 {
        2.0 * self.accel_end_s() + self.t_cruise
    }

    /// When the speed-up ends.
    pub fn accel_end_s(&self) -> f64 {
        2.0 * self.t_jerk + self.t_accel
    }

    /// When the braking starts.
    pub fn decel_start_s(&self) -> f64 {
        self.accel_end_s() + self.t_cruise
    }

    /// Top speed, m/s.
    pub fn top_speed_m_s(&self) -> f64 {
        self.v_top
    }

    /// Distance, speed and acceleration at `t_s` (clamped to the profile).
    pub fn at(&self, t_s: f64) -> (f64, f64, f64) {
        let j = self.jerk;
        let phases = [
            (self.t_jerk, j),
            (self.t_accel, 0.0),
            (self.t_jerk, -j),
            (self.t_cruise, 0.0),
            (self.t_jerk, -j),
            (self.t_accel, 0.0),
            (self.t_jerk, j),
        ];
        let mut left = t_s.max(0.0);
        let (mut p, mut v, mut a) = (0.0, 0.0, 0.0);
        for (dur, jk) in phases {
            let t = left.min(dur);
            p += v * t + a * t * t / 2.0 + jk * t * t * t / 6.0;
            v += a * t + jk * t * t / 2.0;
            a += jk * t;
            left -= t;
            if left <= 0.0 {
                break;
            }
        }
        if t_s >= self.duration_s() {
            // Exactly at rest at the end, whatever the rounding.
            v = 0.0;
            a = 0.0;
        }
        (p, v.max(0.0), a)
    }
}

/// ENU vector helpers on `[east, north, up]`.
fn sub(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}
fn add(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}
fn scale(a: [f64; 3], k: f64) -> [f64; 3] {
    [a[0] * k, a[1] * k, a[2] * k]
}
fn norm(a: [f64; 3]) -> f64 {
    (a[0] * a[0] + a[1] * a[1] + a[2] * a[2]).sqrt()
}

/// One straight leg of a mission as ArduCopter flies it: an S-curve from rest at `origin`
/// to rest at `dest`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Leg {
    pub origin: [f64; 3],
    pub dest: [f64; 3],
    /// Unit direction (zero for a leg of no length).
    dir: [f64; 3],
    length_m: f64,
    profile: Profile,
    /// The speed limit along the leg (`vel_max` of ArduPilot's SCurve), which a short leg
    /// never reaches.
    speed_limit: f64,
    accel_z_max: f64,
}

/// The largest magnitude along `dir` (unit) whose horizontal part stays within `xy` and whose
/// vertical part within `up` (climbing) or `down` (descending), as SCurve's
/// `kinematic_limit` bounds a 3D leg.
fn along_limit(dir: [f64; 3], xy: f64, up: f64, down: f64) -> f64 {
    let h = dir[0].hypot(dir[1]);
    let z = dir[2];
    let mut lim = f64::INFINITY;
    if h > 1e-9 {
        lim = lim.min(xy / h);
    }
    if z > 1e-9 {
        lim = lim.min(up / z);
    } else if z < -1e-9 {
        lim = lim.min(down / -z);
    }
    if lim.is_finite() {
        lim
    } else {
        xy
    }
}

impl Leg {
    /// The leg from `origin` to `dest` at cruise speed `speed_m_s` (WPNAV_SPEED or a mission's
    /// DO_CHANGE_SPEED) under `p`'s limits.
    pub fn new(origin: [f64; 3], dest: [f64; 3], speed_m_s: f64, p: &WpNavParams) -> Leg {
        let d = sub(dest, origin);
        let length_m = norm(d);
        let dir = if length_m > 1e-9 {
            scale(d, 1.0 / length_m)
        } else {
            [0.0; 3]
        };
        let v = along_limit(dir, speed_m_s, p.speed_up_m_s, p.speed_down_m_s);
        let a = along_limit(dir, p.accel_m_s2, p.accel_z_m_s2, p.accel_z_m_s2);
        Leg {
            origin,
            dest,
            dir,
            length_m,
            profile: Profile::new(length_m, v, a, p.jerk_m_s3),
            speed_limit: v,
            accel_z_max: p.accel_z_m_s2,
        }
    }

    pub fn length_m(&self) -> f64 {
        self.length_m
    }

    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    pub fn duration_s(&self) -> f64 {
        self.profile.duration_s()
    }

    /// Target position (absolute), velocity and acceleration `t_s` into the leg.
    pub fn at(&self, t_s: f64) -> ([f64; 3], [f64; 3], [f64; 3]) {
        let (p, v, a) = self.profile.at(t_s);
        (
            add(self.origin, scale(self.dir, p)),
            scale(self.dir, v),
            scale(self.dir, a),
        )
    }

    /// Whether the next leg may start when this one has `remaining_s` left, by ArduPilot's
    /// mid-turn test (`SCurve::advance_target_along_track`).
    fn blend_ok(&self, next: &Leg, remaining_s: f64, p: &WpNavParams) -> bool {
        let half = remaining_s / 2.0;
        let (pa, va, aa) = self.at(self.duration_s() - half);
        let (pb, vb, ab) = next.at(half);
        // Both relative to the waypoint: this leg's target short of it, the next's past it.
        let turn_pos = add(sub(pa, self.dest), sub(pb, next.origin));
        let turn_vel = add(va, vb);
        let turn_acc = add(aa, ab);
        // `get_speed_along_track()` is the legs' speed limit, not the speed they reach.
        let speed_min = self.speed_limit.min(next.speed_limit);
        norm(turn_pos) < p.radius_m
            && norm(turn_vel) < speed_min
            && turn_acc[0].hypot(turn_acc[1]) < p.accel_corner_m_s2
            && turn_acc[2].abs() < self.accel_z_max.min(next.accel_z_max)
    }

    /// Seconds before this leg ends that ArduCopter starts `next` when the waypoint between
    /// them is a fast waypoint (0 when the legs do not join, or either has no length).
    pub fn overlap_s(&self, next: &Leg, p: &WpNavParams) -> f64 {
        if self.length_m <= 1e-9 || next.length_m <= 1e-9 {
            return 0.0;
        }
        let braking = self.duration_s() - self.profile.decel_start_s();
        let most = braking.min(next.profile.accel_end_s());
        if most <= 0.0 {
            return 0.0;
        }
        if self.blend_ok(next, most, p) {
            return most;
        }
        // The blend only grows with the overlap: find where it stops passing the test.
        let (mut lo, mut hi) = (0.0, most);
        for _ in 0..24 {
            let mid = 0.5 * (lo + hi);
            if self.blend_ok(next, mid, p) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        lo
    }
}

/// Seconds ArduCopter takes to fly through `points` from rest at the first to rest at the
/// last, passing every inner point as a fast waypoint, at cruise speed `speed_m_s`. Repeated
/// points are skipped.
pub fn path_time_s(points: &[[f64; 3]], speed_m_s: f64, p: &WpNavParams) -> f64 {
    let mut total = 0.0;
    let mut prev: Option<Leg> = None;
    let mut from: Option<[f64; 3]> = None;
    for &pt in points {
        let Some(o) = from else {
            from = Some(pt);
            continue;
        };
        if norm(sub(pt, o)) <= 1e-6 {
            continue;
        }
        let leg = Leg::new(o, pt, speed_m_s, p);
        total += leg.duration_s();
        if let Some(pl) = prev {
            total -= pl.overlap_s(&leg, p);
        }
        prev = Some(leg);
        from = Some(pt);
    }
    total
}

/// The speed ArduCopter keeps through a fast waypoint between two long level legs at cruise
/// speed `speed_m_s` that turn by `turn_deg` there: the speed of the blended target half way
/// through the turn, m/s.
///
/// ```
/// use qly_core::wpnav::{corner_speed_m_s, WpNavParams};
/// let p = WpNavParams::default();
/// let right_angle = corner_speed_m_s(90.0, 8.0, &p);
/// assert!(right_angle > 1.0 && right_angle < 4.0, "{right_angle}");
/// assert!(corner_speed_m_s(10.0, 8.0, &p) > right_angle);
/// ```
pub fn corner_speed_m_s(turn_deg: f64, speed_m_s: f64, p: &WpNavParams) -> f64 {
    let long = 20.0 * speed_m_s.max(1.0) * speed_m_s.max(1.0) / p.accel_m_s2.max(0.1);
    let r = turn_deg.to_radians();
    let a = Leg::new([0.0, -long, 0.0], [0.0; 3], speed_m_s, p);
    let b = Leg::new(
        [0.0; 3],
        [long * r.sin(), long * r.cos(), 0.0],
        speed_m_s,
        p,
    );
    let o = a.overlap_s(&b, p);
    if o <= 0.0 {
        return 0.0;
    }
    let (_, va, _) = a.at(a.duration_s() - o / 2.0);
    let (_, vb, _) = b.at(o / 2.0);
    norm(add(va, vb))
}

/// Seconds of a vertical move of `dz_m` (positive up) from rest to rest, as a take-off climbs.
pub fn vertical_time_s(dz_m: f64, p: &WpNavParams) -> f64 {
    Leg::new([0.0; 3], [0.0, 0.0, dz_m], p.speed_m_s, p).duration_s()
}

/// Seconds from the start of a landing at `height_m` above the ground to the landing being
/// detected: WPNAV_SPEED_DN down to LAND_ALT_LOW, then LAND_SPEED, changing speed at
/// WPNAV_ACCEL_Z (the vertical jerk of a landing is not limited).
pub fn land_time_s(height_m: f64, p: &WpNavParams, l: &LandParams) -> f64 {
    let h = height_m.max(0.0);
    let (hi_v, lo_v, a) = (p.speed_down_m_s, l.land_speed_m_s, p.accel_z_m_s2);
    let low = l.land_alt_low_m.min(h);
    let high = h - low;
    let mut t = low / lo_v;
    if high > 0.0 {
        // Speeding up to hi_v from rest, then slowing to lo_v: each change costs half its
        // duration against flying at the final speed.
        t += high / hi_v + hi_v / (2.0 * a) + (hi_v - lo_v).powi(2) / (2.0 * a * hi_v);
    } else {
        t += lo_v / (2.0 * a);
    }
    t + l.land_detect_s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, eps: f64) -> bool {
        (a - b).abs() <= eps
    }

    #[test]
    fn long_leg_reaches_cruise_with_jerk_limited_ramps() {
        let p = WpNavParams::default();
        let leg = Leg::new([0.0; 3], [1000.0, 0.0, 0.0], 10.0, &p);
        // 0 to 10 m/s at 2.5 m/s^2 and 1 m/s^3: 2.5 s of jerk either side of 1.5 s at full
        // acceleration = 6.5 s over 32.5 m; twice that, plus 935 m at 10 m/s.
        assert!(close(leg.profile().accel_end_s(), 6.5, 1e-9));
        assert!(close(leg.duration_s(), 13.0 + 93.5, 1e-9));
        let (end, v, _) = leg.at(leg.duration_s());
        assert!(close(end[0], 1000.0, 1e-6) && v[0] == 0.0);
        let (mid, v, a) = leg.at(50.0);
        assert!(close(v[0], 10.0, 1e-9) && a[0] == 0.0 && mid[0] > 400.0);
    }

    #[test]
    fn short_leg_does_not_reach_cruise() {
        let p = WpNavParams::default();
        let leg = Leg::new([0.0; 3], [10.0, 0.0, 0.0], 10.0, &p);
        let v = leg.profile().top_speed_m_s();
        assert!(v < 10.0 && v > 1.0, "{v}");
        let (end, _, _) = leg.at(leg.duration_s());
        assert!(close(end[0], 10.0, 1e-6));
    }

    #[test]
    fn climbing_leg_is_held_to_the_climb_speed() {
        let p = WpNavParams::default();
        // 1 m up per 2 m along: the climb limit (2.5 m/s) caps the speed along the leg.
        let leg = Leg::new([0.0; 3], [200.0, 0.0, 100.0], 10.0, &p);
        let v = leg.profile().top_speed_m_s();
        assert!(close(v * 100.0 / leg.length_m(), 2.5, 1e-9), "{v}");
        assert!(close(
            vertical_time_s(100.0, &p),
            100.0 / 2.5 + 2.5 + 1.0,
            1e-9
        ));
    }

    #[test]
    fn corners_cost_more_the_sharper_they_are() {
        let p = WpNavParams::default();
        let time = |deg: f64| {
            let r = deg.to_radians();
            path_time_s(
                &[
                    [0.0, -500.0, 0.0],
                    [0.0, 0.0, 0.0],
                    [500.0 * r.sin(), 500.0 * r.cos(), 0.0],
                ],
                10.0,
                &p,
            )
        };
        let stop_and_go = 2.0 * Leg::new([0.0; 3], [500.0, 0.0, 0.0], 10.0, &p).duration_s();
        let straight = time(0.0);
        // Straight on: almost no loss against 1000 m in one leg.
        let one = Leg::new([0.0; 3], [1000.0, 0.0, 0.0], 10.0, &p).duration_s();
        assert!(straight - one < 0.5, "{straight} vs {one}");
        let (t30, t90, t180) = (time(30.0), time(90.0), time(180.0));
        assert!(
            straight < t30 && t30 < t90 && t90 < t180,
            "{t30} {t90} {t180}"
        );
        assert!(
            t180 < stop_and_go && t180 > stop_and_go - 5.0,
            "{t180} {stop_and_go}"
        );
    }

    #[test]
    fn the_blend_stays_within_the_waypoint_radius() {
        let p = WpNavParams::default();
        let a = Leg::new([0.0, -300.0, 0.0], [0.0; 3], 10.0, &p);
        let b = Leg::new([0.0; 3], [300.0, 0.0, 0.0], 10.0, &p);
        let o = a.overlap_s(&b, &p);
        assert!(o > 1.0, "{o}");
        let (pa, _, _) = a.at(a.duration_s() - o / 2.0);
        let (pb, _, _) = b.at(o / 2.0);
        let mid = add(pa, pb);
        assert!(norm(mid) < p.radius_m + 1e-6, "{mid:?}");
    }

    #[test]
    fn landing_time_counts_both_speeds_and_the_detector() {
        let p = WpNavParams::default();
        let l = LandParams::default();
        let t = land_time_s(100.0, &p, &l);
        assert!(close(t, 20.0 + 60.0 + 0.75 + 1.0 / 3.0 + 1.0, 1e-9), "{t}");
    }
}
