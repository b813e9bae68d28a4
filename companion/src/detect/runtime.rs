//! Loading ONNX Runtime and opening model sessions.
//!
//! The library is loaded at run time (`ort`'s `load-dynamic`) from a file we name: the
//! `libonnxruntime.so.1.31.1` that the PyPI wheel `onnxruntime==1.31.1` ships in
//! `onnxruntime/capi/`. Nothing is downloaded. Where the path comes from, in order: the
//! detector config, the `ORT_DYLIB_PATH` environment variable, `libonnxruntime.so` next to the
//! executable (a deployment folder). `ort` itself panics when the library is missing; here a
//! missing or unloadable file is a [`RuntimeError`] naming the path and how to get the library.
//!
//! ONNX Runtime allows one library and one environment per process, so the first successful
//! [`OnnxRuntime::load`] fixes both; later loads with the same path share them.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ort::environment::Environment;
use ort::session::builder::GraphOptimizationLevel;
use ort::session::Session;

/// The environment variable naming the ONNX Runtime library (also read by `ort` itself).
pub const LIBRARY_ENV_VAR: &str = "ORT_DYLIB_PATH";

/// The ONNX Runtime version this build is made for (`ort` 2.0.0-rc.15, API level 31).
pub const ORT_VERSION: &str = "1.31.1";

const HOW_TO_GET: &str = "get it with `pip install onnxruntime==1.31.1` and point ORT_DYLIB_PATH (or the detector config's library path) at <site-packages>/onnxruntime/capi/libonnxruntime.so.1.31.1; scripts/setup-env.sh does both";

/// Where the library path came from, for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LibrarySource {
    Config,
    EnvVar,
    NextToExecutable,
}

impl std::fmt::Display for LibrarySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LibrarySource::Config => "the detector config",
            LibrarySource::EnvVar => "ORT_DYLIB_PATH",
            LibrarySource::NextToExecutable => "the default next to the executable",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("ONNX Runtime library not found at {path} (from {source_of_path}); {HOW_TO_GET}")]
    LibraryNotFound {
        path: PathBuf,
        source_of_path: LibrarySource,
    },
    #[error("ONNX Runtime library at {path} (from {source_of_path}) could not be loaded: {reason}; {HOW_TO_GET}")]
    LibraryLoad {
        path: PathBuf,
        source_of_path: LibrarySource,
        reason: String,
    },
    #[error("ONNX Runtime is already loaded from {loaded} in this process; cannot also load {requested}")]
    AlreadyLoaded { loaded: PathBuf, requested: PathBuf },
    #[error("ONNX Runtime environment could not be created: {0}")]
    Environment(String),
    #[error("model file {0} does not exist")]
    ModelNotFound(PathBuf),
    #[error("ONNX Runtime could not open the model {path}: {reason}")]
    Session { path: PathBuf, reason: String },
}

/// How to find and configure ONNX Runtime.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuntimeConfig {
    /// The library file; `None` means `ORT_DYLIB_PATH`, then `libonnxruntime.so` next to the
    /// executable. A relative path is taken relative to the current directory.
    pub library_path: Option<PathBuf>,
    /// Threads ONNX Runtime uses inside one operator; 0 lets it choose (one per core).
    pub intra_op_threads: usize,
}

/// The library path to load and where it came from; does not touch the file.
pub fn library_path(config: &RuntimeConfig) -> (PathBuf, LibrarySource) {
    if let Some(p) = &config.library_path {
        return (p.clone(), LibrarySource::Config);
    }
    match std::env::var_os(LIBRARY_ENV_VAR) {
        Some(p) if !p.is_empty() => (PathBuf::from(p), LibrarySource::EnvVar),
        _ => {
            let dir = std::env::current_exe()
                .ok()
                .and_then(|exe| exe.parent().map(Path::to_path_buf))
                .unwrap_or_default();
            (
                dir.join(format!(
                    "{}onnxruntime{}",
                    std::env::consts::DLL_PREFIX,
                    std::env::consts::DLL_SUFFIX
                )),
                LibrarySource::NextToExecutable,
            )
        }
    }
}

/// The process's ONNX Runtime: the loaded library and its environment.
static LOADED: Mutex<Option<(PathBuf, Environment)>> = Mutex::new(None);

/// A handle on the loaded ONNX Runtime; cheap to clone.
#[derive(Clone)]
pub struct OnnxRuntime {
    library_path: PathBuf,
    environment: Environment,
    intra_op_threads: usize,
}

impl std::fmt::Debug for OnnxRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnnxRuntime")
            .field("library_path", &self.library_path)
            .field("intra_op_threads", &self.intra_op_threads)
            .finish()
    }
}

impl OnnxRuntime {
    /// Loads the library (once per process) and creates the environment.
    pub fn load(config: &RuntimeConfig) -> Result<OnnxRuntime, RuntimeError> {
        let (path, source_of_path) = library_path(config);
        // Check the file ourselves: `ort` would fall back to the system search path for a name
        // that is not there and report a bare dlopen failure.
        if !path.is_file() {
            return Err(RuntimeError::LibraryNotFound {
                path,
                source_of_path,
            });
        }
        let path = std::fs::canonicalize(&path).map_err(|e| RuntimeError::LibraryLoad {
            path: path.clone(),
            source_of_path,
            reason: e.to_string(),
        })?;
        // A poisoned lock only means another thread panicked while loading; the state it
        // guards is either set or not.
        let mut loaded = LOADED.lock().unwrap_or_else(|p| p.into_inner());
        let environment = match &*loaded {
            Some((loaded_path, env)) => {
                if *loaded_path != path {
                    return Err(RuntimeError::AlreadyLoaded {
                        loaded: loaded_path.clone(),
                        requested: path,
                    });
                }
                env.clone()
            }
            None => {
                let builder = ort::init_from(&path).map_err(|e| RuntimeError::LibraryLoad {
                    path: path.clone(),
                    source_of_path,
                    reason: e.to_string(),
                })?;
                let env = builder
                    .with_name("qly-companion")
                    .build()
                    .map_err(|e| RuntimeError::Environment(e.to_string()))?;
                *loaded = Some((path.clone(), env.clone()));
                env
            }
        };
        Ok(OnnxRuntime {
            library_path: path,
            environment,
            intra_op_threads: config.intra_op_threads,
        })
    }

    /// The library file in use (canonical path).
    pub fn library_path(&self) -> &Path {
        &self.library_path
    }

    /// ONNX Runtime's build info (git branch and commit, build flags), for logs.
    pub fn build_info(&self) -> &'static str {
        ort::info()
    }

    /// Opens a model with full graph optimisation and the configured intra-op threads.
    pub fn open_session(&self, model_path: &Path) -> Result<Session, RuntimeError> {
        if !model_path.is_file() {
            return Err(RuntimeError::ModelNotFound(model_path.to_path_buf()));
        }
        let fail = |reason: String| RuntimeError::Session {
            path: model_path.to_path_buf(),
            reason,
        };
        let mut builder = Session::builder(&self.environment)
            .map_err(|e| fail(e.to_string()))?
            .with_optimization_level(GraphOptimizationLevel::Level3)
            .map_err(|e| fail(e.to_string()))?;
        if self.intra_op_threads > 0 {
            builder = builder
                .with_intra_threads(self.intra_op_threads)
                .map_err(|e| fail(e.to_string()))?;
        }
        builder
            .commit_from_file(model_path)
            .map_err(|e| fail(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_library_names_the_path_and_the_fix() {
        let path = PathBuf::from("/nonexistent/qly/libonnxruntime.so.1.31.1");
        let err = OnnxRuntime::load(&RuntimeConfig {
            library_path: Some(path.clone()),
            intra_op_threads: 1,
        })
        .unwrap_err();
        match &err {
            RuntimeError::LibraryNotFound {
                path: p,
                source_of_path,
            } => {
                assert_eq!(p, &path);
                assert_eq!(*source_of_path, LibrarySource::Config);
            }
            other => panic!("expected LibraryNotFound, got {other:?}"),
        }
        let msg = err.to_string();
        assert!(
            msg.contains("/nonexistent/qly/libonnxruntime.so.1.31.1"),
            "{msg}"
        );
        assert!(msg.contains("pip install onnxruntime==1.31.1"), "{msg}");
    }

    #[test]
    fn config_path_wins() {
        let cfg = RuntimeConfig {
            library_path: Some("lib/x.so".into()),
            intra_op_threads: 0,
        };
        assert_eq!(
            library_path(&cfg),
            (PathBuf::from("lib/x.so"), LibrarySource::Config)
        );
    }
}
