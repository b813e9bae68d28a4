//! The evidence manifest: a hash chain over the package.
//!
//! `manifest.json` holds `entries`, in order: one `package` entry (flight, inspector,
//! aircraft, time), one `candidate` entry per confirmed candidate (the field inspection
//! record) and one `file` entry per file (path, size, SHA-256). Each entry carries
//! `prev_sha256`, the previous entry's `entry_sha256` ([`GENESIS_SHA256`] for the first), and
//! its own `entry_sha256 = SHA-256(prev_sha256 + "\n" + body)`, where `body` is the entry
//! without those two fields as compact JSON with keys sorted. `head_sha256` is the last
//! entry's hash: whoever receives the package can write it into the case file; then no entry
//! (and so no file) can be changed without it showing, even by someone who rewrites the
//! whole chain.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::signature::{self, PublicKey, SignatureCheck};

pub const MANIFEST_FILE_NAME: &str = "manifest.json";
pub const MANIFEST_FORMAT: &str = "qly-evidence-1";
/// The fixed value the first entry is chained to.
pub const GENESIS_SHA256: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in digest.iter() {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// The hash of an entry body chained to `prev`.
pub fn entry_hash(prev: &str, body: &Map<String, Value>) -> String {
    let mut body = body.clone();
    body.remove("prev_sha256");
    body.remove("entry_sha256");
    // serde_json's map (no preserve_order) iterates keys sorted: a canonical form.
    let text = Value::Object(body).to_string();
    sha256_hex(format!("{prev}\n{text}").as_bytes())
}

/// Chains `bodies` from the genesis value: adds `prev_sha256` and `entry_sha256` to each;
/// returns the head hash.
pub fn chain(bodies: &mut [Map<String, Value>]) -> String {
    let mut prev = GENESIS_SHA256.to_string();
    for b in bodies.iter_mut() {
        let h = entry_hash(&prev, b);
        b.insert("prev_sha256".into(), Value::String(prev.clone()));
        b.insert("entry_sha256".into(), Value::String(h.clone()));
        prev = h;
    }
    prev
}

/// A difference between the package and its manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The manifest is missing or not readable as a manifest.
    Manifest(String),
    /// A listed file's content changed.
    Modified {
        path: String,
        expected_sha256: String,
        found_sha256: String,
    },
    /// A listed file is gone.
    Missing { path: String },
    /// A file not in the manifest.
    Added { path: String },
    /// The signature does not cover the package, is not by a trusted key, or is missing
    /// where a trusted key was required.
    Signature(String),
    /// An entry's `prev_sha256` is not the previous entry's hash, or its own hash does not
    /// match its content (the manifest was edited).
    ChainBroken {
        entry: usize,
        what: String,
        reason: String,
    },
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Manifest(m) => write!(f, "manifest: {m}"),
            Problem::Modified {
                path,
                expected_sha256,
                found_sha256,
            } => write!(
                f,
                "MODIFIED {path}: SHA-256 is {found_sha256}, the manifest says {expected_sha256}"
            ),
            Problem::Missing { path } => write!(
                f,
                "MISSING {path}: listed in the manifest, not in the package"
            ),
            Problem::Added { path } => {
                write!(f, "ADDED {path}: in the package, not in the manifest")
            }
            Problem::Signature(why) => write!(f, "SIGNATURE INVALID: {why}"),
            Problem::ChainBroken {
                entry,
                what,
                reason,
            } => {
                write!(
                    f,
                    "CHAIN BROKEN at manifest entry {entry} ({what}): {reason}"
                )
            }
        }
    }
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub files_checked: usize,
    pub entries_checked: usize,
    pub head_sha256: Option<String>,
    /// What the office's signature says (see [`super::signature`]).
    pub signature: SignatureCheck,
    pub problems: Vec<Problem>,
}

impl Verification {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

fn safe_relative(path: &str) -> bool {
    let p = Path::new(path);
    !path.is_empty() && p.components().all(|c| matches!(c, Component::Normal(_)))
}

fn walk(dir: &Path, base: &Path, out: &mut Vec<String>) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let p = e.path();
        let t = e.file_type()?;
        if t.is_dir() {
            walk(&p, base, out)?;
        } else if let Ok(rel) = p.strip_prefix(base) {
            let parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            out.push(parts.join("/"));
        }
    }
    Ok(())
}

/// Recomputes every hash of the package in `dir` against its manifest; an unsigned package
/// or one signed by an unchecked key passes (its [`Verification::signature`] says which).
pub fn verify(dir: &Path) -> Verification {
    verify_with_keys(dir, &[])
}

/// [`verify`], and the package must be signed over its head by one of `trusted` (when any is
/// given): a package edited and re-chained, unsigned, or signed by another key fails.
pub fn verify_with_keys(dir: &Path, trusted: &[PublicKey]) -> Verification {
    let mut v = Verification {
        files_checked: 0,
        entries_checked: 0,
        head_sha256: None,
        signature: SignatureCheck::Unsigned,
        problems: Vec::new(),
    };
    let manifest_path: PathBuf = dir.join(MANIFEST_FILE_NAME);
    let manifest: Value = match std::fs::read(&manifest_path)
        .map_err(|e| e.to_string())
        .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
    {
        Ok(m) => m,
        Err(e) => {
            v.problems.push(Problem::Manifest(format!(
                "{}: cannot read: {e}",
                manifest_path.display()
            )));
            return v;
        }
    };
    if manifest.get("format").and_then(Value::as_str) != Some(MANIFEST_FORMAT) {
        v.problems.push(Problem::Manifest(format!(
            "{}: format is not '{MANIFEST_FORMAT}'",
            manifest_path.display()
        )));
    }
    let Some(entries) = manifest.get("entries").and_then(Value::as_array) else {
        v.problems.push(Problem::Manifest(format!(
            "{}: no `entries` array",
            manifest_path.display()
        )));
        return v;
    };
    let mut listed: BTreeSet<String> = BTreeSet::new();
    let mut prev = GENESIS_SHA256.to_string();
    for (i, e) in entries.iter().enumerate() {
        v.entries_checked += 1;
        let Some(body) = e.as_object() else {
            v.problems.push(Problem::ChainBroken {
                entry: i,
                what: "not an object".into(),
                reason: "an entry must be a JSON object".into(),
            });
            continue;
        };
        let kind = body.get("kind").and_then(Value::as_str).unwrap_or("?");
        let what = match (
            kind,
            body.get("path").and_then(Value::as_str),
            body.get("candidate_id"),
        ) {
            ("file", Some(p), _) => format!("file {p}"),
            ("candidate", _, Some(id)) => format!("candidate {id}"),
            (k, _, _) => k.to_string(),
        };
        let recorded_prev = body
            .get("prev_sha256")
            .and_then(Value::as_str)
            .unwrap_or("");
        let recorded = body
            .get("entry_sha256")
            .and_then(Value::as_str)
            .unwrap_or("");
        if recorded_prev != prev {
            v.problems.push(Problem::ChainBroken {
                entry: i,
                what: what.clone(),
                reason: format!(
                    "prev_sha256 {recorded_prev} is not the previous entry's hash {prev} (an entry was removed, inserted or reordered)"
                ),
            });
        }
        let computed = entry_hash(recorded_prev, body);
        if computed != recorded {
            v.problems.push(Problem::ChainBroken {
                entry: i,
                what: what.clone(),
                reason: format!(
                    "its content hashes to {computed}, but entry_sha256 says {recorded} (the entry was edited)"
                ),
            });
        }
        prev = recorded.to_string();
        if kind == "file" {
            let path = body.get("path").and_then(Value::as_str).unwrap_or("");
            let expected = body.get("sha256").and_then(Value::as_str).unwrap_or("");
            if !safe_relative(path) || path == MANIFEST_FILE_NAME {
                v.problems.push(Problem::ChainBroken {
                    entry: i,
                    what,
                    reason: format!(
                        "path '{path}' is not a plain relative path inside the package"
                    ),
                });
                continue;
            }
            listed.insert(path.to_string());
            v.files_checked += 1;
            match std::fs::read(dir.join(path)) {
                Ok(bytes) => {
                    let found = sha256_hex(&bytes);
                    if found != expected {
                        v.problems.push(Problem::Modified {
                            path: path.to_string(),
                            expected_sha256: expected.to_string(),
                            found_sha256: found,
                        });
                    }
                }
                Err(_) => v.problems.push(Problem::Missing {
                    path: path.to_string(),
                }),
            }
        }
    }
    let head = manifest
        .get("head_sha256")
        .and_then(Value::as_str)
        .unwrap_or("");
    if head != prev {
        v.problems.push(Problem::ChainBroken {
            entry: entries.len(),
            what: "head".into(),
            reason: format!("head_sha256 {head} is not the last entry's hash {prev}"),
        });
    }
    v.signature = signature::check(&manifest, &prev, trusted);
    match &v.signature {
        SignatureCheck::Invalid(why) => v.problems.push(Problem::Signature(why.clone())),
        c if !c.passes(!trusted.is_empty()) => v.problems.push(Problem::Signature(c.to_string())),
        _ => {}
    }
    v.head_sha256 = Some(prev);
    let mut present = Vec::new();
    if let Err(e) = walk(dir, dir, &mut present) {
        v.problems.push(Problem::Manifest(format!(
            "{}: cannot list: {e}",
            dir.display()
        )));
    }
    present.sort();
    for p in present {
        if p != MANIFEST_FILE_NAME && !listed.contains(&p) {
            v.problems.push(Problem::Added { path: p });
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_abc_is_the_fips_180_2_value() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn chaining_links_each_entry_to_the_one_before() {
        let mut bodies = vec![Map::new(), Map::new()];
        bodies[0].insert("kind".into(), Value::from("package"));
        bodies[1].insert("kind".into(), Value::from("file"));
        let head = chain(&mut bodies);
        assert_eq!(bodies[0]["prev_sha256"], Value::from(GENESIS_SHA256));
        assert_eq!(bodies[1]["prev_sha256"], bodies[0]["entry_sha256"]);
        assert_eq!(Value::from(head.clone()), bodies[1]["entry_sha256"]);
        // Changing the first entry changes the head.
        let mut again = vec![Map::new(), Map::new()];
        again[0].insert("kind".into(), Value::from("packagE"));
        again[1].insert("kind".into(), Value::from("file"));
        assert_ne!(chain(&mut again), head);
    }
}
