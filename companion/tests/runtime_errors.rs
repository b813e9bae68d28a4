//! Loading ONNX Runtime from a bad path fails with a typed error naming the path; it never
//! panics (ort alone panics on first use when the library is missing). This file is its own test
//! process, so no other test has loaded the real library before it.

use std::path::PathBuf;

use companion::detect::{
    DetectError, Detector, DetectorConfig, OnnxRuntime, RuntimeConfig, RuntimeError,
};

#[test]
fn a_file_that_is_not_a_library_is_a_load_error() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("companion-runtime-errors");
    std::fs::create_dir_all(&dir).unwrap();
    let fake = dir.join("libonnxruntime.so.1.31.1");
    std::fs::write(&fake, b"not an ELF file").unwrap();
    let err = OnnxRuntime::load(&RuntimeConfig {
        library_path: Some(fake.clone()),
        intra_op_threads: 1,
    })
    .unwrap_err();
    assert!(matches!(err, RuntimeError::LibraryLoad { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains(&fake.display().to_string()), "{msg}");
    assert!(msg.contains("pip install onnxruntime==1.31.1"), "{msg}");
}

#[test]
fn a_missing_library_stops_the_detector_with_the_path() {
    let missing = PathBuf::from("/nonexistent/ortlib/libonnxruntime.so.1.31.1");
    let config = DetectorConfig {
        runtime: RuntimeConfig {
            library_path: Some(missing.clone()),
            intra_op_threads: 1,
        },
        ..DetectorConfig::new("model.onnx")
    };
    let err = Detector::new(&config).unwrap_err();
    match &err {
        DetectError::Runtime(RuntimeError::LibraryNotFound { path, .. }) => {
            assert_eq!(path, &missing)
        }
        other => panic!("expected LibraryNotFound, got {other:?}"),
    }
    assert!(err
        .to_string()
        .contains("/nonexistent/ortlib/libonnxruntime.so.1.31.1"));
}
