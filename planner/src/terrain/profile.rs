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
//! 2. [`simplify`]: few waypoints (a greedy walk that takes the longest chord from each kept
//!    sample) such that the straight line between consecutive
//!    waypoints stays within `tolerance` of the profile at every sample. Chords of a
//!    gradient-limited profile are themselves within the gradient limits (a chord's slope is
//!    the mean of the slopes under it), so simplifying cannot break the climb limits.
//!
//! Both are O(n) in the number of samples (the simplification walks each sample a bounded
//! number of times in practice: it restarts from the last kept sample).

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

/// Indices of the samples kept as waypoints (at heights `y`): every `required` one (path
/// vertices, which cannot move), and between them few others such that the straight line
/// between consecutive kept samples stays within `lower[i]..=upper[i]` at every sample in
/// between (each `y[i]` must lie in its own band). The first and last samples are always
/// kept.
///
/// ```
/// use planner::terrain::profile::simplify;
/// let along = [0.0, 10.0, 20.0, 30.0, 40.0];
/// let y = [0.0, 1.0, 2.0, 8.0, 8.0]; // a ramp, then a step
/// let lower: Vec<f64> = y.iter().map(|v| v - 0.5).collect();
/// let upper: Vec<f64> = y.iter().map(|v| v + 0.5).collect();
/// let keep = simplify(&along, &y, &lower, &upper, &[true, false, false, false, true]);
/// assert_eq!(keep, vec![0, 2, 3, 4]);
/// ```
pub fn simplify(
    along_m: &[f64],
    y: &[f64],
    lower: &[f64],
    upper: &[f64],
    required: &[bool],
) -> Vec<usize> {
    let n = y.len();
    if n == 0 {
        return Vec::new();
    }
    let mut keep = vec![0];
    let mut anchor = 0;
    while anchor < n - 1 {
        let next = farthest_chord_end(along_m, y, (lower, upper), required, anchor);
        keep.push(next);
        anchor = next;
    }
    keep
}

/// The farthest sample `j > anchor` such that the chord anchor..j fits the band, stopping at
/// the next required sample.
fn farthest_chord_end(
    along_m: &[f64],
    y: &[f64],
    (lower, upper): (&[f64], &[f64]),
    required: &[bool],
    anchor: usize,
) -> usize {
    let (s0, y0) = (along_m[anchor], y[anchor]);
    // Slopes from the anchor that keep every sample passed so far within the band.
    let (mut lo, mut hi) = (f64::NEG_INFINITY, f64::INFINITY);
    // The next sample is always reachable: progress is guaranteed.
    let mut best = anchor + 1;
    for j in anchor + 1..y.len() {
        let ds = along_m[j] - s0;
        let fits = if ds > 0.0 {
            let slope = (y[j] - y0) / ds;
            slope >= lo && slope <= hi
        } else {
            (lower[j]..=upper[j]).contains(&y0)
        };
        if fits {
            best = j;
        }
        if required.get(j).copied().unwrap_or(false) {
            return best;
        }
        if ds > 0.0 {
            lo = lo.max((lower[j] - y0) / ds);
            hi = hi.min((upper[j] - y0) / ds);
        } else if !fits {
            return best;
        }
        if lo > hi {
            return best;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The largest distance between the chords of `keep` and `y`.
    fn worst(along: &[f64], y: &[f64], keep: &[usize]) -> f64 {
        let mut w: f64 = 0.0;
        for k in keep.windows(2) {
            let (a, b) = (k[0], k[1]);
            for i in a..=b {
                let t = if along[b] > along[a] {
                    (along[i] - along[a]) / (along[b] - along[a])
                } else {
                    0.0
                };
                let chord = y[a] + t * (y[b] - y[a]);
                w = w.max((chord - y[i]).abs());
            }
        }
        w
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
        for tol in [0.5, 2.0, 5.0] {
            let lower: Vec<f64> = y.iter().map(|v| v - tol).collect();
            let upper: Vec<f64> = y.iter().map(|v| v + tol).collect();
            let keep = simplify(&along, &y, &lower, &upper, &required);
            assert!(worst(&along, &y, &keep) <= tol + 1e-9, "{tol}");
            assert!(keep.contains(&700) && keep[0] == 0 && *keep.last().unwrap() == 1999);
            assert!(keep.len() < 400, "{tol}: {}", keep.len());
        }
        // A straight line needs only its ends.
        let line: Vec<f64> = along.iter().map(|s| 0.1 * s).collect();
        let lower: Vec<f64> = line.iter().map(|v| v - 0.1).collect();
        let upper: Vec<f64> = line.iter().map(|v| v + 0.1).collect();
        let keep = simplify(&along, &line, &lower, &upper, &vec![false; 2000]);
        assert_eq!(keep, vec![0, 1999]);
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
