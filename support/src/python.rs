//! The Python peers (pymavlink, MAVProxy, onnxruntime) come from the venv that
//! `scripts/setup-env.sh` makes and exports as `$QLY_PYTHON`. A test that needs it skips
//! with a printed note when it is unset, so `cargo test` works on a bare machine, but fails
//! when `CI` is set, so CI cannot pass by skipping.

use std::path::{Path, PathBuf};
use std::process::Command;

/// `$QLY_PYTHON`, or `None` after printing that `test` skipped; panics instead when `CI` is
/// set.
pub fn python_or_skip(test: &str) -> Option<String> {
    match std::env::var("QLY_PYTHON") {
        Ok(p) if !p.is_empty() => Some(p),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "{test}: QLY_PYTHON is not set under CI; source scripts/setup-env.sh"
            );
            eprintln!("{test}: skipped: QLY_PYTHON not set (source scripts/setup-env.sh)");
            None
        }
    }
}

/// The ONNX Runtime shared library the venv's `onnxruntime` wheel ships: the one the
/// companion's detector is built and tested against (it loads the library at run time).
pub fn onnxruntime_library(python: &str) -> PathBuf {
    let out = Command::new(python)
        .args([
            "-c",
            "import glob, os, onnxruntime; d = os.path.join(os.path.dirname(onnxruntime.__file__), 'capi'); print(sorted(glob.glob(os.path.join(d, 'libonnxruntime.so.*')))[-1])",
        ])
        .output()
        .expect("run QLY_PYTHON");
    assert!(
        out.status.success(),
        "{python} could not locate onnxruntime's library: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

/// MAVProxy's entry script in the venv (beside `python`); panics when it is not installed.
pub fn mavproxy(python: &str) -> PathBuf {
    let mavproxy = Path::new(python)
        .parent()
        .expect("python in a bin directory")
        .join("mavproxy.py");
    assert!(
        mavproxy.exists(),
        "{} missing: is MAVProxy in scripts/requirements-test.txt installed?",
        mavproxy.display()
    );
    mavproxy
}
