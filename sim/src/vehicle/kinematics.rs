//! Kinematic multicopter: position and velocity follow a setpoint under speed, acceleration,
//! climb/descent and yaw-rate limits; attitude is derived from the horizontal force the
//! vehicle must produce (its own acceleration plus holding against the wind's drag).
//!
//! A kinematic model rather than a rigid-body one because the patrol needs realistic
//! *trajectories and photo poses*, not motor dynamics: ArduCopter's position controller makes
//! a real copter follow exactly these limits (WPNAV_SPEED, WPNAV_ACCEL, WPNAV_SPEED_UP/DN,
//! ANGLE_MAX), and the tilt a camera sees comes from the force balance computed here.
//!
//! Frame: ENU about home, `u` = height above home (the ground is flat at home height).
//! `yaw_rad` is the heading, clockwise from north, as MAVLink's ATTITUDE.yaw.

use qly_core::geodesy::Enu;

/// Standard gravity, m/s^2.
pub const G_M_S2: f64 = 9.806_65;

/// Performance limits (ArduCopter parameter defaults in brackets).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FlightLimits {
    /// Largest horizontal speed the vehicle can fly, whatever it is asked (15 m/s).
    pub max_speed_h_m_s: f64,
    /// Horizontal acceleration limit (WPNAV_ACCEL 2.5 m/s^2).
    pub accel_h_m_s2: f64,
    /// Climb rate (WPNAV_SPEED_UP 2.5 m/s).
    pub climb_rate_m_s: f64,
    /// Descent rate in flight (WPNAV_SPEED_DN 1.5 m/s).
    pub descent_rate_m_s: f64,
    /// Vertical acceleration limit (WPNAV_ACCEL_Z 1 m/s^2).
    pub accel_z_m_s2: f64,
    /// Jerk of waypoint legs (WPNAV_JERK 1 m/s^3).
    pub jerk_h_m_s3: f64,
    /// Cornering acceleration at fast waypoints (WPNAV_ACCEL_C: 0 = twice WPNAV_ACCEL).
    pub accel_corner_m_s2: f64,
    /// Yaw rate limit (ATC_RATE_Y_MAX-like, 90 deg/s).
    pub yaw_rate_deg_s: f64,
    /// Linear aerodynamic drag: horizontal drag acceleration per m/s of airspeed, 1/s.
    pub drag_per_s: f64,
    /// Lean angle limit (ANGLE_MAX 30 deg).
    pub max_tilt_deg: f64,
}

impl Default for FlightLimits {
    fn default() -> Self {
        FlightLimits {
            max_speed_h_m_s: 15.0,
            accel_h_m_s2: 2.5,
            climb_rate_m_s: 2.5,
            descent_rate_m_s: 1.5,
            accel_z_m_s2: 1.0,
            jerk_h_m_s3: 1.0,
            accel_corner_m_s2: 5.0,
            yaw_rate_deg_s: 90.0,
            drag_per_s: 0.25,
            max_tilt_deg: 30.0,
        }
    }
}

impl FlightLimits {
    /// ArduCopter's waypoint navigation parameters for these limits, at cruise speed
    /// `speed_m_s` and waypoint radius `radius_m`.
    pub fn wpnav(&self, speed_m_s: f64, radius_m: f64) -> qly_core::wpnav::WpNavParams {
        qly_core::wpnav::WpNavParams {
            speed_m_s,
            accel_m_s2: self.accel_h_m_s2,
            accel_corner_m_s2: self.accel_corner_m_s2,
            jerk_m_s3: self.jerk_h_m_s3,
            speed_up_m_s: self.climb_rate_m_s,
            speed_down_m_s: self.descent_rate_m_s,
            accel_z_m_s2: self.accel_z_m_s2,
            radius_m,
        }
    }
}

/// The true kinematic state.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct KinState {
    /// Position about home, metres (u = height above home).
    pub pos: Enu,
    /// Velocity, m/s.
    pub vel: Enu,
    /// Heading, radians clockwise from north, in [0, 2 pi).
    pub yaw_rad: f64,
    /// Roll (right wing down positive), radians.
    pub roll_rad: f64,
    /// Pitch (nose up positive), radians.
    pub pitch_rad: f64,
    /// Body rates over the last step (roll, pitch, yaw), rad/s.
    pub rates_rad_s: [f64; 3],
}

/// What the vertical controller holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Vertical {
    /// Fly to and hold this height above home, metres.
    Height(f64),
    /// Climb (positive) or descend (negative) at this rate, m/s.
    Rate(f64),
}

/// What the position controller is asked to do this step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Setpoint {
    /// Horizontal target (east, north) metres about home; `None` brakes to a stop.
    pub target_h: Option<(f64, f64)>,
    /// Cruise speed towards the target (capped by the limits), m/s.
    pub speed_h_m_s: f64,
    pub vertical: Vertical,
}

impl Setpoint {
    /// Hold position and height.
    pub fn hold(at: Enu) -> Self {
        Setpoint {
            target_h: Some((at.e_m, at.n_m)),
            speed_h_m_s: 0.0,
            vertical: Vertical::Height(at.u_m),
        }
    }
}

/// Gain that turns a small remaining distance into a speed (1/s), so the vehicle settles on a
/// target instead of chattering around it.
const POS_GAIN_PER_S: f64 = 1.0;
/// Closer than this the heading is left alone (it would spin on tiny corrections).
const YAW_HOLD_RADIUS_M: f64 = 2.0;

/// Speed towards a target `dist` away that still allows stopping on it at `accel`.
fn approach_speed(dist: f64, cruise: f64, accel: f64) -> f64 {
    cruise
        .min((2.0 * accel * dist).sqrt())
        .min(POS_GAIN_PER_S * dist)
}

fn wrap_2pi(a: f64) -> f64 {
    a.rem_euclid(std::f64::consts::TAU)
}

/// Shortest signed angle from `from` to `to`, in (-pi, pi].
fn angle_diff(to: f64, from: f64) -> f64 {
    let d = (to - from).rem_euclid(std::f64::consts::TAU);
    if d > std::f64::consts::PI {
        d - std::f64::consts::TAU
    } else {
        d
    }
}

/// Advances `s` by `dt_s` towards `sp` with the wind `(east, north)` m/s blowing.
pub fn step(
    s: &KinState,
    sp: &Setpoint,
    wind_m_s: (f64, f64),
    limits: &FlightLimits,
    dt_s: f64,
) -> KinState {
    let mut out = *s;
    if dt_s <= 0.0 {
        return out;
    }

    // Horizontal: desired velocity towards the target, then the acceleration limit.
    let (ve_des, vn_des) = match sp.target_h {
        Some((te, tn)) => {
            let (de, dn) = (te - s.pos.e_m, tn - s.pos.n_m);
            let dist = de.hypot(dn);
            if dist < 1e-9 {
                (0.0, 0.0)
            } else {
                let cruise = sp.speed_h_m_s.clamp(0.0, limits.max_speed_h_m_s);
                let cruise = if cruise > 0.0 {
                    cruise
                } else {
                    limits.max_speed_h_m_s
                };
                let v = approach_speed(dist, cruise, limits.accel_h_m_s2);
                (de / dist * v, dn / dist * v)
            }
        }
        None => (0.0, 0.0),
    };
    let (mut dve, mut dvn) = (ve_des - s.vel.e_m, vn_des - s.vel.n_m);
    let dv = dve.hypot(dvn);
    let dv_max = limits.accel_h_m_s2 * dt_s;
    if dv > dv_max {
        dve *= dv_max / dv;
        dvn *= dv_max / dv;
    }
    let (ae, an) = (dve / dt_s, dvn / dt_s);

    // Vertical.
    let vz_des = match sp.vertical {
        Vertical::Height(h) => {
            let dz = h - s.pos.u_m;
            let v = approach_speed(dz.abs(), f64::INFINITY, limits.accel_z_m_s2);
            (v * dz.signum()).clamp(-limits.descent_rate_m_s, limits.climb_rate_m_s)
        }
        Vertical::Rate(r) => r,
    };
    let dvz_max = limits.accel_z_m_s2 * dt_s;
    let dvz = (vz_des - s.vel.u_m).clamp(-dvz_max, dvz_max);
    let az = dvz / dt_s;

    out.vel = Enu::new(s.vel.e_m + dve, s.vel.n_m + dvn, s.vel.u_m + dvz);
    out.pos = Enu::new(
        s.pos.e_m + 0.5 * (s.vel.e_m + out.vel.e_m) * dt_s,
        s.pos.n_m + 0.5 * (s.vel.n_m + out.vel.n_m) * dt_s,
        s.pos.u_m + 0.5 * (s.vel.u_m + out.vel.u_m) * dt_s,
    );
    let grounded = out.pos.u_m <= 0.0;
    if grounded {
        // The ground stops the vehicle; it does not slide.
        out.pos.u_m = 0.0;
        out.vel = Enu::new(0.0, 0.0, out.vel.u_m.max(0.0));
    }

    // Heading: face the direction of travel to the target, rate-limited.
    if let Some((te, tn)) = sp.target_h {
        let (de, dn) = (te - out.pos.e_m, tn - out.pos.n_m);
        if de.hypot(dn) > YAW_HOLD_RADIUS_M {
            turn_towards(&mut out, s, de.atan2(dn), limits, dt_s);
        }
    }
    attitude(&mut out, s, (ae, an, az), grounded, wind_m_s, limits, dt_s);
    out
}

/// Turns the heading towards `want_rad` at no more than the yaw rate limit.
fn turn_towards(out: &mut KinState, s: &KinState, want_rad: f64, limits: &FlightLimits, dt_s: f64) {
    let max_turn = limits.yaw_rate_deg_s.to_radians() * dt_s;
    let turn = angle_diff(want_rad, s.yaw_rad).clamp(-max_turn, max_turn);
    out.yaw_rad = wrap_2pi(s.yaw_rad + turn);
}

/// Attitude: the rotor thrust must supply the vehicle's acceleration `acc` (east, north, up)
/// and cancel the drag of the air moving past it, so the vehicle leans into its acceleration
/// and into the wind. Also the body rates over the step.
fn attitude(
    out: &mut KinState,
    s: &KinState,
    acc: (f64, f64, f64),
    grounded: bool,
    wind_m_s: (f64, f64),
    limits: &FlightLimits,
    dt_s: f64,
) {
    let (ae, an, az) = acc;
    if grounded && out.vel.u_m <= 0.0 {
        out.roll_rad = 0.0;
        out.pitch_rad = 0.0;
    } else {
        let fe = ae + limits.drag_per_s * (out.vel.e_m - wind_m_s.0);
        let fn_ = an + limits.drag_per_s * (out.vel.n_m - wind_m_s.1);
        let (sy, cy) = out.yaw_rad.sin_cos();
        let forward = fe * sy + fn_ * cy;
        let right = fe * cy - fn_ * sy;
        let g = (G_M_S2 + az).max(0.1 * G_M_S2);
        let max_tilt = limits.max_tilt_deg.to_radians();
        out.pitch_rad = (-(forward / g).atan()).clamp(-max_tilt, max_tilt);
        out.roll_rad = (right / g).atan().clamp(-max_tilt, max_tilt);
    }
    out.rates_rad_s = [
        (out.roll_rad - s.roll_rad) / dt_s,
        (out.pitch_rad - s.pitch_rad) / dt_s,
        angle_diff(out.yaw_rad, s.yaw_rad) / dt_s,
    ];
}

/// Position controller gains of ArduCopter's defaults (AC_PosControl.cpp): PSC_POSXY_P 1,
/// PSC_VELXY_P 2, PSC_POSZ_P 1, PSC_VELZ_P 5, per second.
const TRACK_POS_XY_P: f64 = 1.0;
const TRACK_VEL_XY_P: f64 = 2.0;
const TRACK_POS_Z_P: f64 = 1.0;
const TRACK_VEL_Z_P: f64 = 5.0;

/// Advances `s` by `dt_s` following a moving position `target` (position, velocity and
/// acceleration feed-forward, as ArduCopter's `AC_PosControl` follows `AC_WPNav`): the
/// acceleration asked for is the target's plus corrections of the position and velocity
/// errors, limited horizontally by the lean angle limit (ANGLE_MAX) and vertically to half a
/// g. The heading follows the direction of travel.
pub fn step_track(
    s: &KinState,
    target: &super::wpnav::Target,
    wind_m_s: (f64, f64),
    limits: &FlightLimits,
    dt_s: f64,
) -> KinState {
    let mut out = *s;
    if dt_s <= 0.0 {
        return out;
    }
    let p = s.pos;
    let v = s.vel;
    let ve = target.vel.e_m + TRACK_POS_XY_P * (target.pos.e_m - p.e_m);
    let vn = target.vel.n_m + TRACK_POS_XY_P * (target.pos.n_m - p.n_m);
    let vu = target.vel.u_m + TRACK_POS_Z_P * (target.pos.u_m - p.u_m);
    let mut ae = target.acc.e_m + TRACK_VEL_XY_P * (ve - v.e_m);
    let mut an = target.acc.n_m + TRACK_VEL_XY_P * (vn - v.n_m);
    let a_max = G_M_S2 * limits.max_tilt_deg.to_radians().tan();
    let a = ae.hypot(an);
    if a > a_max {
        ae *= a_max / a;
        an *= a_max / a;
    }
    let az = (target.acc.u_m + TRACK_VEL_Z_P * (vu - v.u_m)).clamp(-0.5 * G_M_S2, 0.5 * G_M_S2);
    let mut nv = Enu::new(v.e_m + ae * dt_s, v.n_m + an * dt_s, v.u_m + az * dt_s);
    let h = nv.e_m.hypot(nv.n_m);
    if h > limits.max_speed_h_m_s {
        nv.e_m *= limits.max_speed_h_m_s / h;
        nv.n_m *= limits.max_speed_h_m_s / h;
    }
    out.vel = nv;
    out.pos = Enu::new(
        p.e_m + 0.5 * (v.e_m + nv.e_m) * dt_s,
        p.n_m + 0.5 * (v.n_m + nv.n_m) * dt_s,
        p.u_m + 0.5 * (v.u_m + nv.u_m) * dt_s,
    );
    let grounded = out.pos.u_m <= 0.0;
    if grounded {
        out.pos.u_m = 0.0;
        out.vel = Enu::new(0.0, 0.0, out.vel.u_m.max(0.0));
    }
    // Face the way the target moves (ArduCopter's default WP_YAW_BEHAVIOR faces along the
    // track); hold the heading when it barely moves.
    if target.vel.e_m.hypot(target.vel.n_m) > 0.5 {
        turn_towards(
            &mut out,
            s,
            target.vel.e_m.atan2(target.vel.n_m),
            limits,
            dt_s,
        );
    }
    attitude(&mut out, s, (ae, an, az), grounded, wind_m_s, limits, dt_s);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    fn fly(mut s: KinState, sp: Setpoint, wind: (f64, f64), secs: f64) -> (KinState, f64) {
        let lim = FlightLimits::default();
        let dt = 0.01;
        let mut max_speed: f64 = 0.0;
        for _ in 0..(secs / dt) as usize {
            s = step(&s, &sp, wind, &lim, dt);
            max_speed = max_speed.max(s.vel.e_m.hypot(s.vel.n_m));
        }
        (s, max_speed)
    }

    fn airborne(h: f64) -> KinState {
        KinState {
            pos: Enu::new(0.0, 0.0, h),
            ..KinState::default()
        }
    }

    #[test]
    fn reaches_a_far_target_at_cruise_speed_and_stops_on_it() {
        let sp = Setpoint {
            target_h: Some((300.0, 400.0)),
            speed_h_m_s: 8.0,
            vertical: Vertical::Height(30.0),
        };
        let (s, vmax) = fly(airborne(30.0), sp, (0.0, 0.0), 120.0);
        assert_abs_diff_eq!(vmax, 8.0, epsilon = 1e-6);
        assert_abs_diff_eq!(s.pos.e_m, 300.0, epsilon = 0.05);
        assert_abs_diff_eq!(s.pos.n_m, 400.0, epsilon = 0.05);
        // Heading towards the north-east target: atan2(300, 400).
        assert_abs_diff_eq!(s.yaw_rad, 300f64.atan2(400.0), epsilon = 1e-6);
    }

    #[test]
    fn speed_request_above_the_limit_is_capped() {
        let sp = Setpoint {
            target_h: Some((2000.0, 0.0)),
            speed_h_m_s: 50.0,
            vertical: Vertical::Height(10.0),
        };
        let (_, vmax) = fly(airborne(10.0), sp, (0.0, 0.0), 60.0);
        assert_abs_diff_eq!(
            vmax,
            FlightLimits::default().max_speed_h_m_s,
            epsilon = 1e-6
        );
    }

    #[test]
    fn acceleration_is_limited() {
        let lim = FlightLimits::default();
        let sp = Setpoint {
            target_h: Some((1000.0, 0.0)),
            speed_h_m_s: 10.0,
            vertical: Vertical::Height(10.0),
        };
        let s = step(&airborne(10.0), &sp, (0.0, 0.0), &lim, 1.0);
        // One second at the acceleration limit, from rest.
        assert_abs_diff_eq!(s.vel.e_m, lim.accel_h_m_s2, epsilon = 1e-9);
    }

    #[test]
    fn climbs_and_descends_at_the_configured_rates() {
        let lim = FlightLimits::default();
        let up = Setpoint {
            target_h: None,
            speed_h_m_s: 0.0,
            vertical: Vertical::Height(100.0),
        };
        let (s, _) = fly(airborne(0.0), up, (0.0, 0.0), 20.0);
        assert_abs_diff_eq!(s.vel.u_m, lim.climb_rate_m_s, epsilon = 1e-9);
        let down = Setpoint {
            vertical: Vertical::Height(0.0),
            ..up
        };
        let (s, _) = fly(airborne(100.0), down, (0.0, 0.0), 20.0);
        assert_abs_diff_eq!(s.vel.u_m, -lim.descent_rate_m_s, epsilon = 1e-9);
        let (s, _) = fly(airborne(100.0), up, (0.0, 0.0), 120.0);
        assert_abs_diff_eq!(s.pos.u_m, 100.0, epsilon = 0.01);
    }

    #[test]
    fn yaw_turns_at_the_rate_limit() {
        let lim = FlightLimits::default();
        let sp = Setpoint {
            target_h: Some((0.0, -500.0)), // due south: a 180 degree turn
            speed_h_m_s: 1.0,
            vertical: Vertical::Height(10.0),
        };
        let s = step(&airborne(10.0), &sp, (0.0, 0.0), &lim, 1.0);
        assert_abs_diff_eq!(s.yaw_rad.to_degrees(), 90.0, epsilon = 1e-6);
        assert_abs_diff_eq!(s.rates_rad_s[2].to_degrees(), 90.0, epsilon = 1e-6);
    }

    #[test]
    fn hover_leans_into_the_wind() {
        // Wind blowing towards the east (from the west): hold position by leaning west.
        // Facing north, leaning west is a left roll (negative).
        let sp = Setpoint::hold(Enu::new(0.0, 0.0, 20.0));
        let (s, _) = fly(airborne(20.0), sp, (5.0, 0.0), 5.0);
        let lim = FlightLimits::default();
        let expect = -(lim.drag_per_s * 5.0 / G_M_S2).atan();
        assert_abs_diff_eq!(s.roll_rad, expect, epsilon = 1e-6);
        assert_abs_diff_eq!(s.pitch_rad, 0.0, epsilon = 1e-9);
        assert_abs_diff_eq!(s.pos.e_m, 0.0, epsilon = 1e-9);
    }

    #[test]
    fn accelerating_forward_pitches_nose_down() {
        let lim = FlightLimits::default();
        let sp = Setpoint {
            target_h: Some((0.0, 1000.0)),
            speed_h_m_s: 10.0,
            vertical: Vertical::Height(10.0),
        };
        let s = step(&airborne(10.0), &sp, (0.0, 0.0), &lim, 0.1);
        assert!(s.pitch_rad < -0.2, "pitch {}", s.pitch_rad);
        assert_abs_diff_eq!(s.roll_rad, 0.0, epsilon = 1e-9);
    }

    #[test]
    fn ground_stops_descent() {
        let sp = Setpoint {
            target_h: None,
            speed_h_m_s: 0.0,
            vertical: Vertical::Rate(-0.5),
        };
        let (s, _) = fly(airborne(1.0), sp, (0.0, 0.0), 10.0);
        assert_eq!(s.pos.u_m, 0.0);
        assert_eq!(s.vel.u_m, 0.0);
        assert_eq!(s.roll_rad, 0.0);
    }
}
