//! Small real ONNX models for the companion's detector tests, built by
//! `companion/tests/models/make_models.py` with `$QLY_PYTHON` (which has `onnx` and
//! `onnxruntime`): one per output layout, each boxing a white marker in its input. Built at
//! test time rather than committed, so they always match the script.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use crate::repo;

/// Where `make_models.py` wrote the models, and the ONNX Runtime library it reported.
#[derive(Debug, Clone)]
pub struct TestModels {
    /// The folder holding `<layout>.onnx` (`yolov8.onnx`, `unknown.onnx`, ...).
    pub dir: PathBuf,
    /// The `onnxruntime` wheel's `libonnxruntime.so`, which the detector loads.
    pub library: PathBuf,
}

impl TestModels {
    /// The model called `name` (`"yolov8"` is `<dir>/yolov8.onnx`).
    pub fn model(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.onnx"))
    }
}

/// Runs `make_models.py` with `python` into `dir` (created if needed; give each test binary
/// its own, as the script rewrites it), once per folder and process: the tests of one binary
/// run in parallel threads, and a second run rewriting the folder would hand a test a
/// half-written model.
pub fn make_test_models(python: &str, dir: &Path) -> TestModels {
    static MADE: Mutex<BTreeMap<PathBuf, TestModels>> = Mutex::new(BTreeMap::new());
    // A test that panicked while holding the lock left the map as it was: still usable.
    let mut made = MADE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(m) = made.get(dir) {
        return m.clone();
    }
    let m = run_make_models(python, dir);
    made.insert(dir.to_path_buf(), m.clone());
    m
}

fn run_make_models(python: &str, dir: &Path) -> TestModels {
    let script = repo::root().join("companion/tests/models/make_models.py");
    let out = Command::new(python)
        .arg(&script)
        .arg(dir)
        .output()
        .expect("run make_models.py");
    assert!(
        out.status.success(),
        "make_models.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("make_models.py prints JSON");
    let library = PathBuf::from(
        report["ort_library"]
            .as_str()
            .expect("the onnxruntime wheel ships libonnxruntime.so"),
    );
    TestModels {
        dir: dir.to_path_buf(),
        library,
    }
}
