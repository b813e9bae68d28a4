//! What the service needs from the flight controller, as a trait: when each photo was taken,
//! where the vehicle was then, where the ground is, and a way to tell the ground station.
//!
//! The frames task and the worker talk to this trait rather than to the MAVLink link, so their
//! logic is tested with a scripted flight controller and the link can change underneath.

use qly_core::geotag::CameraMount;
use qly_core::pose::PoseSample;

/// When photo `image_index` was taken.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Capture {
    pub image_index: u64,
    /// Flight-controller boot time of the exposure, milliseconds.
    pub t_boot_ms: f64,
    /// UTC of the exposure, microseconds since the Unix epoch.
    pub t_utc_us: i64,
}

/// The answer to a question that time may settle.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup<T> {
    Ready(T),
    /// Not known yet (the event or the telemetry after the capture may still arrive); why.
    Wait(String),
    /// Will not be known; why.
    Fail(String),
}

/// The flight controller as the service sees it. Implementations read shared state and never
/// block on the link.
pub trait FlightController: Send + Sync + 'static {
    /// The capture event (CAMERA_FEEDBACK / CAMERA_IMAGE_CAPTURED) of `image_index`, timed on
    /// the flight controller's boot clock.
    fn capture(&self, image_index: u64) -> Lookup<Capture>;

    /// The vehicle pose at `t_boot_ms`, and the gimbal's mount then if a gimbal reports one
    /// (`None`: use the configured fixed mount). `Wait` until telemetry after the time has
    /// arrived, so the pose is interpolated rather than held.
    fn pose(&self, t_boot_ms: f64) -> Lookup<(PoseSample, Option<CameraMount>)>;

    /// The take-off elevation, metres above mean sea level, once known.
    fn takeoff_amsl_m(&self) -> Option<f64>;

    /// The GPS's reported horizontal accuracy (1 sigma), metres, if it reports one.
    fn gps_h_acc_m(&self) -> Option<f64>;

    /// Queues a STATUSTEXT for the ground station (rate-limited by the link).
    fn report(&self, text: String);
}
