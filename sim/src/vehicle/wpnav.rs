//! The position target of a waypoint leg, moved as ArduCopter's `AC_WPNav` moves it: an
//! S-curve per leg ([`qly_core::wpnav::Leg`]), the next leg blended in early at a fast
//! waypoint, the previous one finishing its braking after the switch
//! (`SCurve::advance_target_along_track` in libraries/AP_Math/SCurve.cpp, repository
//! ArduPilot/ardupilot). The vehicle's position controller ([`super::kinematics::step_track`])
//! follows the target.

use qly_core::geodesy::Enu;
use qly_core::wpnav::{Leg, WpNavParams};

/// A leg and the time spent on it.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Running {
    leg: Leg,
    t_s: f64,
}

impl Running {
    fn remaining_s(&self) -> f64 {
        (self.leg.duration_s() - self.t_s).max(0.0)
    }
}

/// Where the position controller is asked to be, how fast and accelerating how.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Target {
    pub pos: Enu,
    pub vel: Enu,
    pub acc: Enu,
}

/// One waypoint leg being flown, with the leg after it when the waypoint is a fast one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WpNav {
    prev: Option<Running>,
    this: Running,
    next: Option<Running>,
    /// How long before this leg ends the next one starts (see [`Leg::overlap_s`]).
    overlap_s: f64,
}

fn arr(e: Enu) -> [f64; 3] {
    [e.e_m, e.n_m, e.u_m]
}

fn enu(a: [f64; 3]) -> Enu {
    Enu::new(a[0], a[1], a[2])
}

impl WpNav {
    /// A leg from rest at `from` to `to` at `speed_m_s`.
    pub fn new(from: Enu, to: Enu, speed_m_s: f64, p: &WpNavParams) -> Self {
        WpNav {
            prev: None,
            this: Running {
                leg: Leg::new(arr(from), arr(to), speed_m_s, p),
                t_s: 0.0,
            },
            next: None,
            overlap_s: 0.0,
        }
    }

    /// Where this leg ends.
    pub fn destination(&self) -> Enu {
        enu(self.this.leg.dest)
    }

    /// Makes this leg's destination a fast waypoint towards `to` (ArduPilot's
    /// `set_wp_destination_next`).
    pub fn set_next(&mut self, to: Enu, speed_m_s: f64, p: &WpNavParams) {
        let leg = Leg::new(self.this.leg.dest, arr(to), speed_m_s, p);
        self.overlap_s = self.this.leg.overlap_s(&leg, p);
        self.next = Some(Running { leg, t_s: 0.0 });
    }

    /// The next leg, if this one was given one, ending at `to` (within a centimetre):
    /// continue on it, this leg finishing its braking meanwhile.
    pub fn continue_to(&self, to: Enu) -> Option<WpNav> {
        let next = self.next?;
        let d = next.leg.dest;
        let close = (d[0] - to.e_m).hypot(d[1] - to.n_m).hypot(d[2] - to.u_m) < 0.01;
        close.then_some(WpNav {
            prev: Some(self.this),
            this: next,
            next: None,
            overlap_s: 0.0,
        })
    }

    /// Whether this leg is done: its S-curve has ended, or the blend into the next leg has
    /// passed its middle.
    pub fn leg_done(&self) -> bool {
        self.this.remaining_s() <= 0.0
            || self
                .next
                .is_some_and(|n| n.t_s > 0.0 && n.t_s >= self.this.remaining_s())
    }

    /// Advances the target by `dt_s`.
    pub fn advance(&mut self, dt_s: f64) -> Target {
        self.this.t_s = (self.this.t_s + dt_s).min(self.this.leg.duration_s());
        if let Some(n) = &mut self.next {
            if n.t_s > 0.0 || (self.overlap_s > 0.0 && self.this.remaining_s() <= self.overlap_s) {
                n.t_s = (n.t_s + dt_s).min(n.leg.duration_s());
            }
        }
        if let Some(p) = &mut self.prev {
            p.t_s += dt_s;
            if p.t_s >= p.leg.duration_s() {
                self.prev = None;
            }
        }
        let (mut pos, mut vel, mut acc) = self.this.leg.at(self.this.t_s);
        let mut blend = |r: &Running, from: [f64; 3]| {
            let (p, v, a) = r.leg.at(r.t_s);
            for k in 0..3 {
                pos[k] += p[k] - from[k];
                vel[k] += v[k];
                acc[k] += a[k];
            }
        };
        if let Some(p) = &self.prev {
            blend(p, p.leg.dest);
        }
        if let Some(n) = self.next.filter(|n| n.t_s > 0.0) {
            blend(&n, n.leg.origin);
        }
        Target {
            pos: enu(pos),
            vel: enu(vel),
            acc: enu(acc),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fast_waypoint_blends_into_the_next_leg_within_the_radius() {
        let p = WpNavParams::default();
        let mut nav = WpNav::new(
            Enu::new(0.0, 0.0, 50.0),
            Enu::new(0.0, 300.0, 50.0),
            10.0,
            &p,
        );
        nav.set_next(Enu::new(300.0, 300.0, 50.0), 10.0, &p);
        let mut closest = f64::INFINITY;
        let mut t = 0.0;
        while !nav.leg_done() {
            let tg = nav.advance(0.01);
            closest = closest.min((tg.pos.e_m).hypot(tg.pos.n_m - 300.0));
            t += 0.01;
            assert!(t < 100.0);
        }
        // Switched half way through the turn, near the corner (the radius, to the 10 ms
        // step), still moving.
        assert!(closest < p.radius_m + 0.05, "{closest}");
        let nav2 = nav
            .continue_to(Enu::new(300.0, 300.0, 50.0))
            .expect("next leg");
        let mut nav2 = nav2;
        let tg = nav2.advance(0.01);
        assert!(tg.vel.e_m.hypot(tg.vel.n_m) > 1.0, "{tg:?}");
        assert!(nav.continue_to(Enu::new(0.0, 0.0, 50.0)).is_none());
    }
}
