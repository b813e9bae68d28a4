//! Training and validation split by flight, never by photo: neighbouring photos of one flight
//! see the same objects from a few metres apart, so a photo-level split would measure the
//! model on near-copies of its training photos.
//!
//! Each group (a flight, or an imported dataset) goes whole to one side. Named groups
//! (`--val NAME`) go to validation; otherwise the groups are ordered by the SHA-256 of their
//! names (deterministic, independent of the order they were given in, and not by date, so
//! the validation flights are not all the latest) and the first `round(fraction * n)`,
//! at least one and at most `n - 1`, go to validation. A single group is all training.

use std::collections::BTreeSet;

use sha2::{Digest, Sha256};

/// Which side a group is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Split {
    Train,
    Val,
}

impl Split {
    pub fn name(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Val => "val",
        }
    }
}

/// The validation groups among `groups` (see the module docs). Errors: a named group that is
/// not among them, a fraction outside 0..1.
pub fn validation_groups(
    groups: &BTreeSet<String>,
    named: &[String],
    fraction: f64,
) -> Result<BTreeSet<String>, String> {
    if !named.is_empty() {
        let missing: Vec<&String> = named.iter().filter(|n| !groups.contains(*n)).collect();
        if !missing.is_empty() {
            return Err(format!(
                "--val {missing:?}: not among the flights and datasets given ({groups:?})"
            ));
        }
        return Ok(named.iter().cloned().collect());
    }
    if !(0.0..1.0).contains(&fraction) {
        return Err(format!(
            "--val-fraction {fraction}: expected a fraction from 0 up to (not including) 1"
        ));
    }
    let n = groups.len();
    if n < 2 || fraction == 0.0 {
        return Ok(BTreeSet::new());
    }
    let k = ((fraction * n as f64).round() as usize).clamp(1, n - 1);
    let mut by_hash: Vec<(Vec<u8>, &String)> = groups
        .iter()
        .map(|g| (Sha256::digest(g.as_bytes()).to_vec(), g))
        .collect();
    by_hash.sort();
    Ok(by_hash
        .into_iter()
        .take(k)
        .map(|(_, g)| g.clone())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn groups_go_whole_to_one_side() {
        let g = set(&["a", "b", "c", "d", "e"]);
        let v = validation_groups(&g, &[], 0.2).unwrap();
        assert_eq!(v.len(), 1);
        // Deterministic, whatever the order.
        assert_eq!(validation_groups(&g, &[], 0.2).unwrap(), v);
        assert_eq!(validation_groups(&g, &[], 0.4).unwrap().len(), 2);
        // At least one, never all.
        assert_eq!(
            validation_groups(&set(&["a", "b"]), &[], 0.01)
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            validation_groups(&set(&["a", "b"]), &[], 0.99)
                .unwrap()
                .len(),
            1
        );
        assert!(validation_groups(&set(&["a"]), &[], 0.2)
            .unwrap()
            .is_empty());
        assert_eq!(
            validation_groups(&g, &["c".into()], 0.2).unwrap(),
            set(&["c"])
        );
        assert!(validation_groups(&g, &["x".into()], 0.2).is_err());
        assert!(validation_groups(&g, &[], 1.0).is_err());
    }
}
