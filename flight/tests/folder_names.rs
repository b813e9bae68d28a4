//! No source file outside `flight/src/folder.rs` spells a flight-folder entry's name: every
//! program asks `qly_flight::folder::FlightFolder` (or `Entry::name`) for it, so the layout
//! has one owner and renaming an entry is a one-line change.
//!
//! Scanned: every `*.rs` and `*.js` file of the workspace. Not scanned: `target/`, hidden
//! folders, `.venv`, and test code (`tests/` folders and files named `tests.rs`), which may
//! check the names on disk as a user would see them. What counts as spelling a name: a file
//! entry's name in quotes (`"journal.qlj"`), and a folder entry's name as a string that starts
//! a path (`"frames/`) or is joined to one (`join("frames")`). Words in comments do not count.
//! A few files are exempt, each with its reason in `EXEMPT`.

use std::path::{Path, PathBuf};

use qly_flight::folder::Entry;

/// Files that use one of the names for something that is not a flight folder.
const EXEMPT: &[(&str, &str)] = &[
    (
        "flight/src/folder.rs",
        "the one place that spells the names",
    ),
    (
        "sim/src/render/dataset.rs",
        "a training dataset's folder (images/, labels/, truth.geojson), not a flight folder",
    ),
];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("flight/ has a parent")
        .to_path_buf()
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if p.is_dir() {
            if name.starts_with('.') || name == "target" || name == "tests" {
                continue;
            }
            sources(&p, out);
        } else if (name.ends_with(".rs") && name != "tests.rs") || name.ends_with(".js") {
            out.push(p);
        }
    }
}

/// The spellings of the entries' names that a source file must not contain.
fn forbidden() -> Vec<String> {
    let mut v = Vec::new();
    for e in Entry::ALL {
        let n = e.name();
        if e.is_dir() {
            v.push(format!("\"{n}/"));
            v.push(format!("join(\"{n}\")"));
        } else {
            v.push(format!("\"{n}\""));
        }
    }
    v
}

/// The code of a line: without a `//` comment (a `//` inside a string ends it early, which
/// only makes the check laxer, never wrong).
fn code(line: &str) -> &str {
    match line.find("//") {
        Some(i) if !line[..i].ends_with(':') => &line[..i],
        _ => line,
    }
}

#[test]
fn no_source_outside_the_folder_module_spells_a_flight_folder_name() {
    let root = workspace();
    let mut files = Vec::new();
    sources(&root, &mut files);
    assert!(
        files.len() > 50,
        "found only {} source files under {}",
        files.len(),
        root.display()
    );
    let forbidden = forbidden();
    let mut found = Vec::new();
    for f in &files {
        let rel = f
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if EXEMPT.iter().any(|(p, _)| *p == rel) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        // A file's unit tests (after `#[cfg(test)]`) are test code.
        let text = text.split("#[cfg(test)]").next().unwrap_or("");
        for (n, line) in text.lines().enumerate() {
            let c = code(line);
            for w in &forbidden {
                if c.contains(w.as_str()) {
                    found.push(format!("{rel}:{}: {w}: {}", n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "flight-folder names spelled outside flight/src/folder.rs (use \
         qly_flight::folder::FlightFolder or Entry::name):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_check_sees_a_spelled_name() {
    let line = r#"let p = dir.join("journal.qlj"); // the journal"#;
    assert!(forbidden().iter().any(|w| code(line).contains(w.as_str())));
    let line = r#"let d = dir.join("frames");"#;
    assert!(forbidden().iter().any(|w| code(line).contains(w.as_str())));
    // In a comment it is prose, not a path.
    let line = r#"// written to "journal.qlj" at exit"#;
    assert!(!forbidden().iter().any(|w| code(line).contains(w.as_str())));
}
