//! Never overwrite an input: the paths a plan will write, and the refusal when one of them is
//! an input file (the same file after resolving `.`/`..` and symbolic links, or a hard link
//! to it), made before anything is written.

use std::path::{Path, PathBuf};

use super::{sortie_plan_file_names, OutputError};

/// The files [`super::write_outputs`] (and, with `dji`, [`super::write_dji_kmz`]) write for
/// a plan of `sorties` sorties named `name` into `dir`, in the order they return them.
pub fn output_paths(dir: &Path, name: &str, sorties: usize, dji: bool) -> Vec<PathBuf> {
    let mut files = vec![
        format!("{name}.plan"),
        format!("{name}.waypoints"),
        format!("{name}.kml"),
        format!("{name}.geojson"),
    ];
    if sorties > 1 {
        for (k, plan_file) in sortie_plan_file_names(name, sorties)
            .into_iter()
            .enumerate()
        {
            files.push(plan_file);
            files.push(format!("{name}-sortie-{}.waypoints", k + 1));
        }
    }
    if dji {
        if sorties <= 1 {
            files.push(format!("{name}.kmz"));
        } else {
            files.extend((1..=sorties).map(|k| format!("{name}-sortie-{k}.kmz")));
        }
        files.push(format!("{name}-dji-mapping.kmz"));
    }
    files.into_iter().map(|f| dir.join(f)).collect()
}

/// Refuses when any of `outputs` is one of `inputs` (inputs that do not exist are skipped).
pub fn refuse_overwriting_inputs(
    outputs: &[PathBuf],
    inputs: &[PathBuf],
) -> Result<(), OutputError> {
    let inputs: Vec<(&PathBuf, PathBuf)> = inputs
        .iter()
        .filter_map(|p| Some((p, std::fs::canonicalize(p).ok()?)))
        .collect();
    for out in outputs {
        let Some(resolved) = resolve(out) else {
            continue;
        };
        for (given, input) in &inputs {
            if resolved == *input || same_inode(&resolved, input) {
                return Err(OutputError::WouldOverwriteInput {
                    output: out.display().to_string(),
                    input: given.display().to_string(),
                });
            }
        }
    }
    Ok(())
}

/// `path` with its folder resolved (the file itself may not exist yet); `None` when the
/// folder does not exist (then nothing in it is an input).
fn resolve(path: &Path) -> Option<PathBuf> {
    if let Ok(p) = std::fs::canonicalize(path) {
        return Some(p);
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    Some(std::fs::canonicalize(parent).ok()?.join(path.file_name()?))
}

/// Two names of one file (hard links).
#[cfg(unix)]
fn same_inode(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_inode(_: &Path, _: &Path) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_sortie_count() {
        let one = output_paths(Path::new("o"), "r", 1, true);
        let names: Vec<String> = one.iter().map(|p| p.display().to_string()).collect();
        assert_eq!(
            names,
            [
                "o/r.plan",
                "o/r.waypoints",
                "o/r.kml",
                "o/r.geojson",
                "o/r.kmz",
                "o/r-dji-mapping.kmz"
            ]
        );
        let two = output_paths(Path::new("o"), "r", 2, false);
        assert_eq!(two.len(), 8);
        assert_eq!(two[4], Path::new("o/r-sortie-1.plan"));
        assert_eq!(two[7], Path::new("o/r-sortie-2.waypoints"));
    }

    #[test]
    fn an_input_reached_by_another_spelling_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("river.plan");
        std::fs::write(&input, "{}").unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        // `sub/..` is the input's folder.
        let outs = output_paths(&dir.path().join("sub/.."), "river", 1, false);
        let e = refuse_overwriting_inputs(&outs, std::slice::from_ref(&input)).unwrap_err();
        assert!(
            e.to_string().contains("is the input file") && e.to_string().contains("river.plan"),
            "{e}"
        );
        // Another name, or a folder that does not exist yet: nothing to refuse.
        let outs = output_paths(dir.path(), "plan-out", 1, false);
        refuse_overwriting_inputs(&outs, std::slice::from_ref(&input)).unwrap();
        let outs = output_paths(&dir.path().join("new"), "river", 1, false);
        refuse_overwriting_inputs(&outs, std::slice::from_ref(&input)).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_or_hard_link_to_the_input_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("river.geojson");
        std::fs::write(&input, "{}").unwrap();
        let out = dir.path().join("out");
        std::fs::create_dir(&out).unwrap();
        std::os::unix::fs::symlink(&input, out.join("a.geojson")).unwrap();
        std::fs::hard_link(&input, out.join("b.geojson")).unwrap();
        for name in ["a", "b"] {
            let outs = output_paths(&out, name, 1, false);
            assert!(
                refuse_overwriting_inputs(&outs, std::slice::from_ref(&input)).is_err(),
                "{name}"
            );
        }
    }
}
