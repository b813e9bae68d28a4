//! What the integration tests of `planner`, `sim` and `companion` share, in one place, so a
//! fix to how a test starts `sim` or finds `$QLY_PYTHON` is made once.
//!
//! Used only as a `[dev-dependencies]` entry. Helpers here panic with a message rather than
//! return errors: they run inside tests, where a panic is the failure report.
//!
//! - [`repo`]: the repository root and the shared fixtures folder.
//! - [`python`]: `$QLY_PYTHON` with the skip-or-fail-under-CI rule, and tools in its venv.
//! - [`mavproxy`]: MAVProxy from that venv as a headless ground station.
//! - [`onnx`]: the small ONNX models and ONNX Runtime library the companion's tests use.
//! - [`process`]: a child killed on drop, its output as lines, waiting for a line.
//! - [`net`]: loopback ports that were free a moment ago.
//! - [`sim`]: finding and starting the `sim` binary and learning the port it bound.
//! - [`gcs`]: the ground station's side of a MAVLink exchange run in process.

pub mod gcs;
pub mod mavproxy;
pub mod net;
pub mod onnx;
pub mod process;
pub mod python;
pub mod repo;
pub mod sim;
