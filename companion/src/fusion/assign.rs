//! Optimal assignment (Hungarian / Kuhn-Munkres, O(n^2 m)) of a frame's sightings to
//! candidates.
//!
//! Greedy nearest-pair assignment goes wrong for two close sources seen in one photo: when
//! one sighting's noise carries it nearer the other source, the greedy pass gives it that
//! source and leaves its partner with nothing. Minimising the summed squared Mahalanobis
//! distance over the frame (each sighting may instead start a candidate at the price of the
//! gate) keeps both pairings right whenever the total says so.

/// Cost standing for "not allowed"; far above any gated distance.
pub const FORBIDDEN: f64 = 1e9;

/// `cost[row][col]` for `rows <= cols` (every row gets a distinct column); returns the column
/// of each row minimising the total.
pub fn minimum_cost_assignment(cost: &[Vec<f64>]) -> Vec<usize> {
    let n = cost.len();
    let m = cost.first().map_or(0, Vec::len);
    // 1-indexed potentials and matching (column 0 is the virtual start).
    let mut u = vec![0.0; n + 1];
    let mut v = vec![0.0; m + 1];
    let mut row_of_col = vec![0usize; m + 1];
    let mut way = vec![0usize; m + 1];
    for i in 1..=n {
        row_of_col[0] = i;
        let mut j0 = 0usize;
        let mut minv = vec![f64::INFINITY; m + 1];
        let mut used = vec![false; m + 1];
        loop {
            used[j0] = true;
            let i0 = row_of_col[j0];
            let mut delta = f64::INFINITY;
            let mut j1 = 0usize;
            for j in 1..=m {
                if !used[j] {
                    let cur = cost[i0 - 1][j - 1] - u[i0] - v[j];
                    if cur < minv[j] {
                        minv[j] = cur;
                        way[j] = j0;
                    }
                    if minv[j] < delta {
                        delta = minv[j];
                        j1 = j;
                    }
                }
            }
            for j in 0..=m {
                if used[j] {
                    u[row_of_col[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
            if row_of_col[j0] == 0 {
                break;
            }
        }
        loop {
            let j1 = way[j0];
            row_of_col[j0] = row_of_col[j1];
            j0 = j1;
            if j0 == 0 {
                break;
            }
        }
    }
    let mut col_of_row = vec![0usize; n];
    for j in 1..=m {
        if row_of_col[j] != 0 {
            col_of_row[row_of_col[j] - 1] = j - 1;
        }
    }
    col_of_row
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beats_greedy_on_a_crossed_pair() {
        // Greedy takes (0, 0) at 1.0 and then (1, 1) at 10: total 11. Optimal: 2 + 3 = 5.
        let cost = vec![vec![1.0, 2.0], vec![3.0, 10.0]];
        assert_eq!(minimum_cost_assignment(&cost), vec![1, 0]);
        // Rectangular, with a forbidden pair.
        let cost = vec![vec![FORBIDDEN, 4.0, 1.0], vec![2.0, FORBIDDEN, 1.5]];
        assert_eq!(minimum_cost_assignment(&cost), vec![2, 0]);
        assert!(minimum_cost_assignment(&[]).is_empty());
    }
}
