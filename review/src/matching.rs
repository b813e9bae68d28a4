//! Maximum-weight bipartite matching of reports to targets.
//!
//! A judge must pair each target with at most one report and each report with at most one
//! target so that the team gets the most credit the rules allow; a greedy "nearest first" pass
//! can strand a report whose only eligible target was taken by a neighbour that had another
//! choice. SUAS's interop server solves this with `networkx.max_weight_matching`; we use the
//! Hungarian algorithm (Kuhn-Munkres, O(n^3)) from the maintained `pathfinding` crate.
//!
//! `pathfinding` wants totally ordered weights, so credits are carried as integer
//! nano-credits: the matching is optimal for the rounded weights, which differ from the true
//! ones by at most 0.5e-9 each (far below anything a score shows).

use pathfinding::kuhn_munkres::kuhn_munkres;
use pathfinding::matrix::Matrix;

/// Integer units per credit in the weights handed to Kuhn-Munkres.
const UNITS_PER_CREDIT: f64 = 1e9;

/// One pair of a matching: row `row` (a report) with column `col` (a target).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pair {
    pub row: usize,
    pub col: usize,
}

/// The pairs of a maximum-weight matching of the bipartite graph whose edges are the entries
/// of `weights[row][col]` that are `Some(w)` with `w > 0` (absent or non-positive entries are
/// no edge). Rows may outnumber columns or the other way round. Pairs are sorted by row.
///
/// Weights must be finite; a non-finite weight is treated as no edge.
///
/// ```
/// use review::matching::{max_weight_matching, Pair};
/// // Greedy would give row 0 its best column (0) and leave row 1 with nothing.
/// let w = vec![vec![Some(0.9), Some(0.8)], vec![Some(0.7), None]];
/// assert_eq!(
///     max_weight_matching(&w),
///     vec![Pair { row: 0, col: 1 }, Pair { row: 1, col: 0 }]
/// );
/// ```
pub fn max_weight_matching(weights: &[Vec<Option<f64>>]) -> Vec<Pair> {
    let rows = weights.len();
    let cols = weights.iter().map(Vec::len).max().unwrap_or(0);
    if rows == 0 || cols == 0 {
        return Vec::new();
    }
    let units = |r: usize, c: usize| -> i64 {
        match weights[r].get(c).copied().flatten() {
            Some(w) if w.is_finite() && w > 0.0 => (w * UNITS_PER_CREDIT).round() as i64,
            _ => 0,
        }
    };
    // Kuhn-Munkres assigns every row of a matrix with no more rows than columns; a missing
    // edge is weight 0, and a zero-weight assignment is dropped afterwards (all real edges
    // are positive, so dropping them never lowers the total).
    let transpose = rows > cols;
    let (n, m) = if transpose {
        (cols, rows)
    } else {
        (rows, cols)
    };
    let mut data = Vec::with_capacity(n * m);
    for i in 0..n {
        for j in 0..m {
            data.push(if transpose { units(j, i) } else { units(i, j) });
        }
    }
    let Ok(matrix) = Matrix::from_vec(n, m, data) else {
        // from_vec only fails when the length is not n * m, which the loops above rule out.
        return Vec::new();
    };
    let (_, assignment) = kuhn_munkres(&matrix);
    let mut pairs: Vec<Pair> = assignment
        .into_iter()
        .enumerate()
        .map(|(i, j)| {
            if transpose {
                Pair { row: j, col: i }
            } else {
                Pair { row: i, col: j }
            }
        })
        .filter(|p| units(p.row, p.col) > 0)
        .collect();
    pairs.sort();
    pairs
}

/// Total weight of a set of pairs under `weights` (absent edges count 0).
pub fn total_weight(weights: &[Vec<Option<f64>>], pairs: &[Pair]) -> f64 {
    pairs
        .iter()
        .filter_map(|p| weights.get(p.row)?.get(p.col).copied().flatten())
        .filter(|w| w.is_finite() && *w > 0.0)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Best total by trying every injective assignment of rows to columns-or-nothing.
    fn brute_force_best(weights: &[Vec<Option<f64>>], cols: usize) -> f64 {
        fn go(w: &[Vec<Option<f64>>], row: usize, used: &mut Vec<bool>) -> f64 {
            if row == w.len() {
                return 0.0;
            }
            let mut best = go(w, row + 1, used);
            for c in 0..used.len() {
                if used[c] {
                    continue;
                }
                if let Some(x) = w[row].get(c).copied().flatten() {
                    if x > 0.0 {
                        used[c] = true;
                        best = best.max(x + go(w, row + 1, used));
                        used[c] = false;
                    }
                }
            }
            best
        }
        go(weights, 0, &mut vec![false; cols])
    }

    fn is_matching(pairs: &[Pair]) -> bool {
        let mut rows: Vec<usize> = pairs.iter().map(|p| p.row).collect();
        let mut cols: Vec<usize> = pairs.iter().map(|p| p.col).collect();
        rows.sort();
        cols.sort();
        rows.windows(2).all(|w| w[0] != w[1]) && cols.windows(2).all(|w| w[0] != w[1])
    }

    #[test]
    fn empty_inputs_match_nothing() {
        assert!(max_weight_matching(&[]).is_empty());
        assert!(max_weight_matching(&[vec![], vec![]]).is_empty());
        assert!(max_weight_matching(&[vec![None, None]]).is_empty());
    }

    #[test]
    fn more_rows_than_columns_is_transposed_back() {
        let w = vec![vec![Some(0.2)], vec![Some(0.9)], vec![Some(0.5)]];
        assert_eq!(max_weight_matching(&w), vec![Pair { row: 1, col: 0 }]);
    }

    #[test]
    fn missing_edges_are_never_paired() {
        // A complete assignment would have to pair row 1 with column 0, which is no edge.
        let w = vec![vec![None, Some(1.0)], vec![None, Some(0.5)]];
        assert_eq!(max_weight_matching(&w), vec![Pair { row: 0, col: 1 }]);
    }

    fn weights_strategy() -> impl Strategy<Value = (Vec<Vec<Option<f64>>>, usize)> {
        (0usize..=5, 0usize..=5).prop_flat_map(|(rows, cols)| {
            (
                proptest::collection::vec(
                    proptest::collection::vec(proptest::option::weighted(0.7, 0.01f64..1.0), cols),
                    rows,
                ),
                Just(cols),
            )
        })
    }

    proptest! {
        #[test]
        fn total_equals_brute_force((w, cols) in weights_strategy()) {
            let pairs = max_weight_matching(&w);
            prop_assert!(is_matching(&pairs));
            for p in &pairs {
                prop_assert!(w[p.row][p.col].is_some());
            }
            let got = total_weight(&w, &pairs);
            let best = brute_force_best(&w, cols);
            prop_assert!((got - best).abs() < 1e-6, "got {got}, brute force {best}");
        }
    }
}
