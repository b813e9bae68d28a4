//! Qianliyan simulator: a multicopter that flies like an ArduPilot copter, in simulated time.
//!
//! - [`vehicle`]: the pure vehicle (kinematics, modes, mission execution, camera, battery),
//!   stepped with [`vehicle::Vehicle::step`], no I/O.
//! - [`noise`]: seeded sensor noise; one seed, one run.

pub mod noise;
pub mod service;
pub mod vehicle;
