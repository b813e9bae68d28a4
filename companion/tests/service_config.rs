//! The example config stays loadable and complete, and config faults stop `companion run`
//! with a message that names the culprit.

use std::path::{Path, PathBuf};
use std::process::Command;

use companion::config::Config;
use qly_test_support::onnx::make_test_models;
use qly_test_support::python::python_or_skip;

fn example_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("companion.example.toml")
}

#[test]
fn the_example_config_loads() {
    let c = Config::load(&example_path()).unwrap();
    assert_eq!(c.flight_controller.component_id, 191);
    assert_eq!(c.detector.class_confidence_thresholds["plume"], 0.35);
    assert!(c.detector.tiling.is_some());
    assert_eq!(c.intrinsics().unwrap().width_px, 5280);
}

/// The field names serde expects in the table at `path`, as its unknown-field error lists
/// them (so the list comes from the structs, not from this test).
fn expected_fields(example: &toml::Table, path: &[&str]) -> Vec<String> {
    let mut doc = example.clone();
    let mut table = &mut doc;
    for key in path {
        table = table
            .entry(key.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()))
            .as_table_mut()
            .unwrap();
    }
    table.insert("zz_probe".into(), toml::Value::Integer(0));
    let text = toml::to_string(&doc).unwrap();
    let err = Config::parse(&text, Path::new("probe.toml"))
        .unwrap_err()
        .to_string();
    let list = err
        .split("unknown field `zz_probe`, expected ")
        .nth(1)
        .unwrap_or_else(|| panic!("no field list for {path:?}: {err}"));
    list.lines()
        .next()
        .unwrap()
        .split('`')
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, f)| f.to_string())
        .collect()
}

#[test]
fn every_config_key_is_documented_in_the_example() {
    let text = std::fs::read_to_string(example_path()).unwrap();
    let example: toml::Table = toml::from_str(&text).unwrap();
    let tables: [&[&str]; 13] = [
        &[],
        &["flight_controller"],
        &["flight_controller", "signing"],
        &["flight_controller", "reports"],
        &["camera"],
        &["camera", "intrinsics"],
        &["camera", "mount"],
        &["detector"],
        &["detector", "tiling"],
        &["geotag"],
        &["fusion"],
        &["frames"],
        &["journal"],
    ];
    let mut missing = Vec::new();
    for path in tables {
        let fields = expected_fields(&example, path);
        assert!(!fields.is_empty(), "{path:?}");
        for f in fields {
            let documented = if path.is_empty() {
                text.contains(&format!("[{f}]"))
            } else {
                text.lines().any(|l| {
                    let l = l.trim_start_matches(['#', ' ']);
                    l.starts_with(&format!("{f} ="))
                        || l.starts_with(&format!("[{}.{f}]", path.join(".")))
                })
            };
            if !documented {
                missing.push(format!("{}.{f}", path.join(".")));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "not in companion.example.toml: {missing:?}"
    );
}

fn companion(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_companion"))
        .args(args)
        .env_remove("ORT_DYLIB_PATH")
        .output()
        .unwrap()
}

fn temp_dir(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn a_missing_model_refuses_to_start_naming_the_file() {
    let dir = temp_dir("service-config-missing-model");
    let cfg = dir.join("c.toml");
    std::fs::write(
        &cfg,
        "[camera]\nname = \"DJI Mavic 3 Enterprise wide\"\n[detector]\nmodel = \"models/nothere.onnx\"\n",
    )
    .unwrap();
    let out = companion(&["run", "--config", cfg.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains(&format!("{}", dir.join("models/nothere.onnx").display())),
        "{stderr}"
    );
    assert!(stderr.contains("does not exist"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_missing_onnx_runtime_library_refuses_to_start_naming_it() {
    let dir = temp_dir("service-config-missing-ort");
    std::fs::write(dir.join("m.onnx"), b"not really a model").unwrap();
    let cfg = dir.join("c.toml");
    std::fs::write(
        &cfg,
        "[camera]\nname = \"DJI Mavic 3 Enterprise wide\"\n[detector]\nmodel = \"m.onnx\"\nonnxruntime_library = \"/nonexistent/libonnxruntime.so.1.31.1\"\n",
    )
    .unwrap();
    let out = companion(&["run", "--config", cfg.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("/nonexistent/libonnxruntime.so.1.31.1"),
        "{stderr}"
    );
    assert!(
        stderr.contains("pip install onnxruntime==1.31.1"),
        "{stderr}"
    );
}

#[test]
fn bad_keys_and_unreadable_configs_refuse_to_start() {
    let dir = temp_dir("service-config-bad-key");
    let cfg = dir.join("c.toml");
    std::fs::write(
        &cfg,
        "[camera]\nname = \"DJI Mavic 3 Enterprise wide\"\n[detector]\nmodel = \"m.onnx\"\n[frames]\npoll_ms = 100\n",
    )
    .unwrap();
    let out = companion(&["run", "--config", cfg.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("c.toml"), "{stderr}");
    assert_eq!(
        stderr.matches("unknown field `poll_ms`").count(),
        1,
        "said once: {stderr}"
    );
    assert!(stderr.contains("poll_interval_ms"), "{stderr}");

    let out = companion(&["run", "--config", dir.join("absent.toml").to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("absent.toml: cannot read"), "{stderr}");
}

/// `tests/models/make_models.py`'s models and the wheel's ONNX Runtime library, built with
/// `$QLY_PYTHON`; `None` (with a note) without it, a failure under `CI`.
fn models(test: &str) -> Option<(PathBuf, PathBuf)> {
    let python = python_or_skip(test)?;
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("companion-service-config-models");
    let m = make_test_models(&python, &dir);
    Some((m.dir, m.library))
}

#[test]
fn a_model_of_unknown_layout_refuses_to_start_naming_it() {
    let Some((models, library)) = models("a_model_of_unknown_layout_refuses_to_start_naming_it")
    else {
        return;
    };
    let dir = temp_dir("service-config-unknown-layout");
    let cfg = dir.join("c.toml");
    let model = models.join("unknown.onnx");
    std::fs::write(
        &cfg,
        format!(
            "[camera]\nname = \"DJI Mavic 3 Enterprise wide\"\n[detector]\nmodel = \"{}\"\nonnxruntime_library = \"{}\"\n",
            model.display(),
            library.display()
        ),
    )
    .unwrap();
    let out = companion(&["run", "--config", cfg.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains(&model.display().to_string()), "{stderr}");
    assert!(stderr.contains("layout"), "{stderr}");
}

/// A class map with a value other than outfall, plume or ignore is refused when the config
/// is read, naming the key; one that leaves a model class out stops `companion run` at start
/// naming the class.
#[test]
fn a_bad_class_map_refuses_to_start_naming_the_field() {
    let text = "[camera]\nname = \"DJI Mavic 3 Enterprise wide\"\n[detector]\nmodel = \"m.onnx\"\n[detector.class_map]\npipe = \"outfal\"\n";
    let msg = Config::parse(text, Path::new("c.toml"))
        .unwrap_err()
        .to_string();
    assert!(msg.starts_with("config c.toml:"), "{msg}");
    assert!(msg.contains("pipe = \"outfal\""), "the line: {msg}");
    assert!(
        msg.contains("`outfall`, `plume`, `ignore`"),
        "the choices: {msg}"
    );

    let Some((models, library)) = models("a_bad_class_map_refuses_to_start_naming_the_field")
    else {
        return;
    };
    let dir = temp_dir("service-config-class-map");
    let cfg = dir.join("c.toml");
    std::fs::write(
        &cfg,
        format!(
            "[camera]\nname = \"DJI Mavic 3 Enterprise wide\"\n[detector]\nmodel = \"{}\"\nonnxruntime_library = \"{}\"\n[detector.class_map]\ndrain_pipe = \"outfall\"\noil_slick = \"plume\"\n",
            models.join("user_yolov8.onnx").display(),
            library.display()
        ),
    )
    .unwrap();
    let out = companion(&["run", "--config", cfg.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("`detector.class_map`"), "{stderr}");
    assert!(stderr.contains("\"car\" (id 0) is not mapped"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
