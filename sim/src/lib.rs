//! Qianliyan simulator: a multicopter that flies like an ArduPilot copter, in simulated time,
//! over a simulated river world that its camera photographs.
//!
//! - [`vehicle`]: the pure vehicle (kinematics, modes, mission execution, camera, battery),
//!   stepped with [`vehicle::Vehicle::step`], no I/O.
//! - [`noise`]: seeded sensor noise; one seed, one run.
//! - [`world`]: the procedural river world with known outfalls and plumes (pure).
//! - [`render`]: the camera's view of the world: frames, labels, frame delivery.

pub mod noise;
pub mod render;
pub mod service;
pub mod vehicle;
pub mod world;
