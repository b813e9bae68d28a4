//! Where the repository and the shared fixtures are.

use std::path::{Path, PathBuf};

/// The repository (workspace) root: this crate lives in `<root>/support`.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("support/ has a parent")
        .to_path_buf()
}

/// The shared folder (fixtures too large or too foreign to commit): `$QLY_SHARED`, else
/// `<repo root>/../shared` (CI puts it beside the checkout), else `/work/shared`; `None` when
/// none of these is a folder, so a test that needs it can skip.
pub fn shared_dir() -> Option<PathBuf> {
    if let Ok(s) = std::env::var("QLY_SHARED") {
        return Some(PathBuf::from(s));
    }
    let beside = root().join("../shared");
    if beside.is_dir() {
        return Some(beside);
    }
    let fallback = PathBuf::from("/work/shared");
    fallback.is_dir().then_some(fallback)
}

#[cfg(test)]
mod tests {
    #[test]
    fn root_is_the_workspace_with_this_crate_in_it() {
        let root = super::root();
        assert!(
            root.join("support/Cargo.toml").is_file(),
            "{}",
            root.display()
        );
        assert!(
            root.join("scripts/setup-env.sh").is_file(),
            "{}",
            root.display()
        );
    }
}
