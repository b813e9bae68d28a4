//! End-to-end tests of the whole patrol: `scripts/patrol.sh` with the real binaries (planner,
//! sim, companion, review) on a short corridor, and the figures it writes.
//!
//! The helpers here find the repository and read `figures.json` (what `review patrol --json`
//! writes).

use std::path::{Path, PathBuf};

/// The repository root (the workspace this crate lives in).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

/// A number from the figures JSON (`None` when absent or null).
pub fn figure(figures: &serde_json::Value, key: &str) -> Option<f64> {
    figures.get(key).and_then(serde_json::Value::as_f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_root_holds_the_patrol_script() {
        assert!(repo_root().join("scripts/patrol.sh").is_file());
    }

    #[test]
    fn figure_reads_numbers_and_not_nulls() {
        let v: serde_json::Value =
            serde_json::from_str(r#"{"a": 1.5, "b": null, "c": "x"}"#).unwrap();
        assert_eq!(figure(&v, "a"), Some(1.5));
        assert_eq!(figure(&v, "b"), None);
        assert_eq!(figure(&v, "c"), None);
        assert_eq!(figure(&v, "d"), None);
    }
}
