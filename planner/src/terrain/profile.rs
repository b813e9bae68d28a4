//! The altitude profile of a terrain-following path, in one dimension: distance along the
//! path against height.
//!
//! Two steps, both on dense samples of the ground under the path:
//!
//! 1. [`gradient_limited_profile`]: the lowest profile that is never below `ground + target`
//!    and never climbs or descends more steeply than the vehicle does at cruise speed. Where
//!    the ground rises faster than the vehicle may climb, the climb starts *earlier* (the
//!    profile is raised before the slope) rather than cutting into the slope; where it falls
//!    away faster than the vehicle may descend, the profile stays high for longer. The height
//!    above ground then exceeds the target there, never falls below it.
//! 2. [`simplify`]: few waypoints (a sleeve greedy that takes the longest chord from each
//!    kept waypoint) such that the straight line between consecutive waypoints stays within
//!    the band around the profile at every sample. The waypoints' heights float within their
//!    band (they need not lie on the profile), so a chord's slope is no longer the mean of
//!    the profile's slopes under it: the climb and descent limits are enforced on the chords
//!    explicitly.
//!
//! Both are O(n) in the number of samples (the simplification walks each sample a bounded
//! number of times in practice: it restarts from the last kept waypoint).

/// The lowest heights `>= floor[i]` whose slope between consecutive samples stays within
/// `climb_gradient` (rise per metre flown forward) and `descent_gradient` (drop per metre).
///
/// `along_m` must be non-decreasing; equal distances (a repeated vertex) force equal heights.
///
/// ```
/// use planner::terrain::profile::gradient_limited_profile;
/// // A 30 m cliff at 100 m along: with a 0.25 climb gradient the climb starts 120 m before
/// // it, so the path is already 5 m up at the start.
/// let along: Vec<f64> = (0..=20).map(|k| k as f64 * 10.0).collect();
/// let floor: Vec<f64> = along.iter().map(|&s| if s < 100.0 { 100.0 } else { 130.0 }).collect();
/// let h = gradient_limited_profile(&along, &floor, 0.25, 0.15);
/// assert_eq!(h[10], 130.0);
/// assert_eq!(h[9], 127.5);
/// assert_eq!(h[0], 105.0);
/// ```
pub fn gradient_limited_profile(
    along_m: &[f64],
    floor: &[f64],
    climb_gradient: f64,
    descent_gradient: f64,
) -> Vec<f64> {
    let mut h = floor.to_vec();
    // Forward: the vehicle may not drop faster than it can descend.
    for i in 1..h.len() {
        let ds = (along_m[i] - along_m[i - 1]).max(0.0);
        h[i] = h[i].max(h[i - 1] - descent_gradient * ds);
    }
    // Backward: it must have climbed early enough to reach what comes next. Raising a point
    // here never breaks the forward condition (see the module doc).
    for i in (0..h.len().saturating_sub(1)).rev() {
        let ds = (along_m[i + 1] - along_m[i]).max(0.0);
        h[i] = h[i].max(h[i + 1] - climb_gradient * ds);
    }
    h
}

/// The waypoints of a simplified profile: sample indices and the height flown at each.
#[derive(Debug, Clone, PartialEq)]
pub struct Simplified {
    /// Indices of the kept samples, increasing; the first and last samples always.
    pub keep: Vec<usize>,
    /// The height at each kept sample, within that sample's band (not necessarily `y`).
    pub height: Vec<f64>,
}

/// Few waypoints such that the straight line between consecutive ones stays within
/// `lower[i]..=upper[i]` at every sample (each `y[i]` must lie in its own band), and no chord
/// climbs more steeply than `max_climb` or descends more steeply than `max_descent` (metres
/// per metre along; `f64::INFINITY` for none) where the band allows that.
///
/// The classic sleeve ("funnel") greedy: from each waypoint the cone of slopes that keeps
/// every sample passed inside its band (and within the gradients) narrows sample by sample;
/// the farthest sample the cone still reaches becomes the next waypoint, at the height inside
/// the cone closest to `y` there. Each waypoint's height thus floats within its own band
/// (only the first stays at `y[0]`, where the vehicle takes off), so one chord spans what
/// would take several with waypoints pinned on the profile. `required` samples (path
/// vertices) are always kept, at their horizontal position; their height floats too.
///
/// Where even the next sample cannot be reached within the gradients (a stretch held under
/// the ceiling that must be flown more steeply, see [`super::follow`]), that chord may be as
/// steep as the steepest stretch of `y` under it (as a chord of `y` itself would be), and
/// where even that does not reach, as steep as the band needs: the band is a rule, the
/// gradients a preference. Where `y` itself keeps to the gradients (as
/// [`gradient_limited_profile`] does) and its band is as wide above as below, that never
/// happens.
///
/// ```
/// use planner::terrain::profile::simplify;
/// let along = [0.0, 10.0, 20.0, 30.0, 40.0];
/// let y = [0.0, 1.0, 2.0, 8.0, 8.0]; // a ramp, then a step
/// let lower: Vec<f64> = y.iter().map(|v| v - 0.5).collect();
/// let upper: Vec<f64> = y.iter().map(|v| v + 0.5).collect();
/// let req = [true, false, false, false, true];
/// let s = simplify(&along, &y, &lower, &upper, &req, f64::INFINITY, f64::INFINITY);
/// assert_eq!(s.keep, vec![0, 2, 3, 4]);
/// // Within 0.6 per metre, the step needs a ramp from 20 m to 30 m.
/// let s = simplify(&along, &y, &lower, &upper, &req, 0.6, 0.6);
/// assert!(s.keep.windows(2).zip(s.height.windows(2)).all(|(k, h)| {
///     (h[1] - h[0]).abs() <= 0.6 * (along[k[1]] - along[k[0]]) + 1e-12
/// }));
/// ```
pub fn simplify(
    along_m: &[f64],
    y: &[f64],
    lower: &[f64],
    upper: &[f64],
    required: &[bool],
    max_climb: f64,
    max_descent: f64,
) -> Simplified {
    let n = y.len();
    if n == 0 {
        return Simplified {
            keep: Vec::new(),
            height: Vec::new(),
        };
    }
    let mut keep = vec![0];
    let mut height = vec![y[0]];
    let mut anchor = 0;
    while anchor < n - 1 {
        let h0 = height[height.len() - 1];
        let band = (lower, upper);
        let inf = f64::INFINITY;
        let (next, h) = [
            (max_descent, max_climb, false),
            (max_descent, max_climb, true),
            (inf, inf, false),
        ]
        .into_iter()
        .find_map(|(descent, climb, widen)| {
            farthest_chord_end(
                along_m,
                y,
                band,
                required,
                Chord {
                    anchor,
                    h0,
                    max_descent: descent,
                    max_climb: climb,
                    widen_to_y: widen,
                },
            )
        })
        // Unreachable: with no gradient limit the next sample always fits its band.
        .unwrap_or((anchor + 1, y[anchor + 1]));
        keep.push(next);
        height.push(h);
        anchor = next;
    }
    Simplified { keep, height }
}

/// Where a chord starts and how steep it may be.
struct Chord {
    anchor: usize,
    h0: f64,
    max_descent: f64,
    max_climb: f64,
    /// Widen the limits to the steepest slope of `y` between the anchor and the chord's end.
    widen_to_y: bool,
}

/// The farthest sample `j > anchor` that a chord from `(along_m[anchor], h0)` within the
/// slope limits of `c` reaches keeping every sample in between in its band, stopping at the
/// next required sample, and the height there closest to `y[j]`; `None` when not even the
/// next sample can be reached.
fn farthest_chord_end(
    along_m: &[f64],
    y: &[f64],
    (lower, upper): (&[f64], &[f64]),
    required: &[bool],
    c: Chord,
) -> Option<(usize, f64)> {
    let (s0, h0) = (along_m[c.anchor], c.h0);
    // Slopes from the anchor that keep every sample passed so far within its band.
    let (mut lo, mut hi) = (f64::NEG_INFINITY, f64::INFINITY);
    let (mut descent, mut climb) = (c.max_descent, c.max_climb);
    let mut best = None;
    for j in c.anchor + 1..y.len() {
        let ds = along_m[j] - s0;
        let step = along_m[j] - along_m[j - 1];
        if c.widen_to_y && step > 0.0 {
            let g = (y[j] - y[j - 1]) / step;
            climb = climb.max(g);
            descent = descent.max(-g);
        }
        if ds > 0.0 {
            lo = lo.max((lower[j] - h0) / ds);
            hi = hi.min((upper[j] - h0) / ds);
            let (l, h) = (lo.max(-descent), hi.min(climb));
            if l > h {
                return best;
            }
            best = Some((j, y[j].clamp(h0 + l * ds, h0 + h * ds)));
        } else if (lower[j]..=upper[j]).contains(&h0) {
            // A repeated point: the same height.
            best = Some((j, h0));
        } else {
            return best;
        }
        if required.get(j).copied().unwrap_or(false) {
            return best;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The chords of `s` at every sample: checks the band and returns the steepest climb
    /// and descent.
    fn check(along: &[f64], lower: &[f64], upper: &[f64], s: &Simplified) -> (f64, f64) {
        assert_eq!(s.keep.len(), s.height.len());
        assert_eq!(s.keep[0], 0);
        assert_eq!(*s.keep.last().unwrap(), along.len() - 1);
        let (mut climb, mut descent) = (0.0f64, 0.0f64);
        for (k, h) in s.keep.windows(2).zip(s.height.windows(2)) {
            let (a, b) = (k[0], k[1]);
            assert!(b > a);
            let span = along[b] - along[a];
            let g = if span > 0.0 {
                (h[1] - h[0]) / span
            } else {
                0.0
            };
            climb = climb.max(g);
            descent = descent.max(-g);
            for i in a..=b {
                let chord = h[0] + g * (along[i] - along[a]);
                assert!(
                    chord >= lower[i] - 1e-9 && chord <= upper[i] + 1e-9,
                    "sample {i}: {chord} outside {}..={}",
                    lower[i],
                    upper[i]
                );
            }
        }
        (climb, descent)
    }

    fn band(y: &[f64], tol: f64) -> (Vec<f64>, Vec<f64>) {
        (
            y.iter().map(|v| v - tol).collect(),
            y.iter().map(|v| v + tol).collect(),
        )
    }

    #[test]
    fn simplified_chords_stay_in_the_band_and_keep_required_points() {
        let along: Vec<f64> = (0..2000).map(|k| k as f64).collect();
        let y: Vec<f64> = along
            .iter()
            .map(|s| 30.0 * (s / 150.0).sin() + 10.0 * (s / 37.0).cos())
            .collect();
        let mut required = vec![false; y.len()];
        required[700] = true;
        required[1999] = true;
        let inf = f64::INFINITY;
        for tol in [0.5, 2.0, 5.0] {
            let (lower, upper) = band(&y, tol);
            let s = simplify(&along, &y, &lower, &upper, &required, inf, inf);
            check(&along, &lower, &upper, &s);
            assert!(s.keep.contains(&700));
            assert!(s.keep.len() < 400, "{tol}: {}", s.keep.len());
        }
        // A straight line needs only its ends.
        let line: Vec<f64> = along.iter().map(|s| 0.1 * s).collect();
        let (lower, upper) = band(&line, 0.1);
        let s = simplify(&along, &line, &lower, &upper, &vec![false; 2000], inf, inf);
        assert_eq!(s.keep, vec![0, 1999]);
    }

    #[test]
    fn a_floating_waypoint_lets_one_chord_span_what_took_two() {
        // Flat, then a 3 % ramp, with a +/- 1 m band. Pinned on the profile, the chord from
        // 0 m to 3 m at 200 m is 1.5 m above the kink at 100 m: two chords. Floating, the end
        // may sit 1 m lower and one chord does.
        let along: Vec<f64> = (0..=200).map(|k| k as f64).collect();
        let y: Vec<f64> = along
            .iter()
            .map(|&s| if s <= 100.0 { 0.0 } else { 0.03 * (s - 100.0) })
            .collect();
        let (lower, upper) = band(&y, 1.0);
        let req = vec![false; y.len()];
        let s = simplify(
            &along,
            &y,
            &lower,
            &upper,
            &req,
            f64::INFINITY,
            f64::INFINITY,
        );
        check(&along, &lower, &upper, &s);
        assert_eq!(s.keep, vec![0, 200]);
        assert!((s.height[1] - 2.0).abs() < 1e-9, "{:?}", s.height);
    }

    #[test]
    fn chords_keep_to_the_gradients_where_the_band_allows() {
        // A 20 m step with a +/- 3 m band: unlimited, one steep chord does; within 0.25 up
        // and 0.15 down, the chords ramp.
        let along: Vec<f64> = (0..=400).map(|k| k as f64).collect();
        let y: Vec<f64> = along
            .iter()
            .map(|&s| {
                if (150.0..250.0).contains(&s) {
                    20.0
                } else {
                    0.0
                }
            })
            .collect();
        let profile = gradient_limited_profile(&along, &y, 0.25, 0.15);
        let (lower, upper) = band(&profile, 3.0);
        let req = vec![false; y.len()];
        let s = simplify(&along, &profile, &lower, &upper, &req, 0.25, 0.15);
        let (climb, descent) = check(&along, &lower, &upper, &s);
        assert!(
            climb <= 0.25 + 1e-12 && descent <= 0.15 + 1e-12,
            "{climb} {descent}"
        );
        assert!(s.keep.len() <= 6, "{:?}", s.keep);
        // A band that demands a steeper step (a profile held under a ceiling) is followed
        // anyway: the band wins.
        let (lower, upper) = band(&y, 3.0);
        let s = simplify(&along, &y, &lower, &upper, &req, 0.25, 0.15);
        let (climb, _) = check(&along, &lower, &upper, &s);
        assert!(climb > 0.25);
    }

    proptest::proptest! {
        #[test]
        fn band_and_gradients_hold_on_random_ground(
            ground in proptest::collection::vec(-40.0f64..40.0, 2..60),
            tol in 0.2f64..6.0,
            step in 0.5f64..3.0,
        ) {
            // Piecewise-linear ground at 25 m knots, sampled every `step` metres.
            let len = 25.0 * (ground.len() - 1) as f64;
            let n = (len / step).ceil() as usize + 1;
            let along: Vec<f64> = (0..n).map(|k| (k as f64 * step).min(len)).collect();
            let floor: Vec<f64> = along.iter().map(|&s| {
                let k = ((s / 25.0) as usize).min(ground.len() - 2);
                let t = s / 25.0 - k as f64;
                ground[k] + t * (ground[k + 1] - ground[k])
            }).collect();
            let profile = gradient_limited_profile(&along, &floor, 0.25, 0.15);
            let (lower, upper) = band(&profile, tol);
            let mut req = vec![false; n];
            req[n / 2] = true;
            let s = simplify(&along, &profile, &lower, &upper, &req, 0.25, 0.15);
            let (climb, descent) = check(&along, &lower, &upper, &s);
            proptest::prop_assert!(climb <= 0.25 + 1e-9 && descent <= 0.15 + 1e-9);
            proptest::prop_assert!(s.keep.contains(&(n / 2)));
        }
    }

    #[test]
    fn profile_respects_gradients_and_never_goes_below_the_floor() {
        let along: Vec<f64> = (0..1000).map(|k| k as f64 * 2.0).collect();
        // A ridge with 60 % flanks.
        let floor: Vec<f64> = along
            .iter()
            .map(|&s| 100.0 + (100.0 - 0.6 * (s - 1000.0).abs()).max(0.0))
            .collect();
        let h = gradient_limited_profile(&along, &floor, 0.25, 0.15);
        for i in 0..h.len() {
            assert!(h[i] >= floor[i] - 1e-9);
            if i > 0 {
                let g = (h[i] - h[i - 1]) / 2.0;
                assert!((-0.15 - 1e-9..=0.25 + 1e-9).contains(&g), "{i}: {g}");
            }
        }
        // Where the ground is flat and far from the ridge, the profile is the floor.
        assert_eq!(h[0], 100.0);
        assert_eq!(h[999], 100.0);
    }
}
