//! The companion's configuration for one patrol, built from the companion's own typed
//! `Config` (never a text template) and written into the flight folder.

use std::path::{Path, PathBuf};

use companion::config::{CameraConfig, Config, DetectorSection, MountFrame};
use qly_link::Address;

/// What the patrol decides about the companion; everything else keeps the companion's
/// defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct CompanionSettings {
    /// The sim's companion link, e.g. `udpout:127.0.0.1:20001`.
    pub address: Address,
    pub camera: String,
    pub model: PathBuf,
    pub onnxruntime_library: Option<PathBuf>,
    pub outfall_confidence: f32,
    pub plume_confidence: f32,
    pub min_sightings: u32,
    /// The sim's noise, the error model's inputs.
    pub gps_sigma_m: f64,
    pub alt_sigma_m: f64,
    pub attitude_sigma_deg: f64,
    pub heading_sigma_deg: f64,
    /// The ground: an elevation model, or flat at this height.
    pub dem: Option<PathBuf>,
    pub ground_amsl_m: f64,
    pub frames_dir: PathBuf,
    /// The flight folder (journal and exports).
    pub flight_dir: PathBuf,
    /// `[debug] frame_delay_ms`: slow the companion down (tests of a slow companion).
    pub frame_delay_ms: Option<u64>,
}

impl CompanionSettings {
    pub fn config(&self) -> Config {
        let mut detector = DetectorSection::new(&self.model);
        detector.onnxruntime_library = self.onnxruntime_library.clone();
        // Single low-confidence sightings (0.25-0.31) were the false reports of the first
        // runs: the per-class thresholds decide.
        detector.confidence_threshold = 0.25;
        detector
            .class_confidence_thresholds
            .insert("outfall".into(), self.outfall_confidence);
        detector
            .class_confidence_thresholds
            .insert("plume".into(), self.plume_confidence);
        let mut camera = CameraConfig::named(&self.camera);
        // The sim's gimbal is stabilised and nadir; its GIMBAL_DEVICE_ATTITUDE_STATUS wins
        // when fresh.
        camera.mount.frame = MountFrame::Heading;
        camera.mount.roll_deg = 0.0;
        camera.mount.pitch_deg = -90.0;
        camera.mount.yaw_deg = 0.0;
        let mut c = Config::new(camera, detector);
        let fc = &mut c.flight_controller;
        fc.address = self.address.clone();
        fc.system_id = 1;
        fc.component_id = 191;
        // Frames arrive up to a render queue late: keep ten minutes of 20 Hz telemetry.
        fc.timeline_capacity = 60_000;
        fc.capture_capacity = 8192;
        // With 50 % front overlap a point on the ground is in two photos of each lane that
        // covers it; a candidate seen once is most often a false detection.
        c.fusion.min_sightings = self.min_sightings;
        let g = &mut c.geotag;
        g.horizontal_position_sigma_m = self.gps_sigma_m;
        g.altitude_sigma_m = self.alt_sigma_m;
        g.roll_pitch_sigma_deg = self.attitude_sigma_deg;
        g.heading_sigma_deg = self.heading_sigma_deg;
        g.use_gps_accuracy = false;
        match &self.dem {
            Some(dem) => g.dem = vec![dem.clone()],
            None => g.ground_amsl_m = Some(self.ground_amsl_m),
        }
        c.frames.dir = self.frames_dir.clone();
        // Frames land a render time after their capture; wait for telemetry that long.
        c.frames.capture_wait_s = 30.0;
        c.journal.dir = self.flight_dir.clone();
        c.debug.frame_delay_ms = self.frame_delay_ms.unwrap_or(0);
        c
    }
}

/// Writes `config` to `path` and reads it back with the companion's own parser, so a
/// configuration the companion would refuse stops the patrol before anything starts.
pub fn write_config(config: &Config, path: &Path) -> anyhow::Result<()> {
    use anyhow::Context;
    let text = config
        .to_toml()
        .context("the companion configuration as TOML")?;
    let text = format!("# Written by the patrol for this flight.\n{text}");
    std::fs::write(path, &text).with_context(|| format!("writing {}", path.display()))?;
    Config::parse(&text, path).with_context(|| format!("checking {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> CompanionSettings {
        CompanionSettings {
            address: Address::UdpOut("127.0.0.1:20001".into()),
            camera: crate::settings::SIM_CAMERA.into(),
            model: "/m/model.onnx".into(),
            onnxruntime_library: Some("/lib/libonnxruntime.so".into()),
            outfall_confidence: 0.35,
            plume_confidence: 0.4,
            min_sightings: 2,
            gps_sigma_m: 1.5,
            alt_sigma_m: 0.8,
            attitude_sigma_deg: 0.5,
            heading_sigma_deg: 1.0,
            dem: Some("/d/dem.tif".into()),
            ground_amsl_m: 1050.0,
            frames_dir: "/f/frames".into(),
            flight_dir: "/f".into(),
            frame_delay_ms: None,
        }
    }

    #[test]
    fn the_written_file_is_what_the_companion_reads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("companion.toml");
        write_config(&settings().config(), &path).unwrap();
        let back = Config::load(&path).unwrap();
        assert_eq!(
            back.flight_controller.address,
            Address::UdpOut("127.0.0.1:20001".into())
        );
        assert_eq!(back.fusion.min_sightings, 2);
        assert_eq!(back.detector.class_confidence_thresholds["plume"], 0.4);
        assert_eq!(back.geotag.dem, vec![PathBuf::from("/d/dem.tif")]);
        assert_eq!(back.geotag.ground_amsl_m, None);
        assert_eq!(back.camera.mount.frame, MountFrame::Heading);
        assert_eq!(back.frames.capture_wait_s, 30.0);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("[debug]"), "{text}");
    }

    #[test]
    fn flat_ground_and_a_frame_delay() {
        let mut s = settings();
        s.dem = None;
        s.frame_delay_ms = Some(3000);
        let text = s.config().to_toml().unwrap();
        assert!(text.contains("ground_amsl_m = 1050.0"), "{text}");
        assert!(text.contains("[debug]\nframe_delay_ms = 3000"), "{text}");
    }
}
