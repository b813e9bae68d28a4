//! `[flight_controller]`: how the companion reaches the flight controller and what it asks
//! of it. Every field has a default, so an empty table is a working configuration for an
//! ArduPilot vehicle with system id 1 on `udpin:0.0.0.0:14550`.

use super::FcError;
use qly_link::{Address, LinkOptions, Onboard, SigningConfig, SigningKey, SigningOptions};
use serde::{Deserialize, Serialize};

/// Which attitude message to stream into the pose timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum AttitudeMessage {
    /// ATTITUDE (#30): roll/pitch/yaw in radians; what ArduPilot streams by default.
    #[default]
    Attitude,
    /// ATTITUDE_QUATERNION (#31): no gimbal-lock ambiguity near +-90 deg pitch.
    AttitudeQuaternion,
}

impl AttitudeMessage {
    /// The MAVLink message id.
    pub fn message_id(self) -> u32 {
        match self {
            AttitudeMessage::Attitude => super::ids::ATTITUDE,
            AttitudeMessage::AttitudeQuaternion => super::ids::ATTITUDE_QUATERNION,
        }
    }
}

/// MAVLink 2 signing of the flight-controller link.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FcSigning {
    /// The 32-byte secret key as 64 hex digits, the same key the autopilot was given
    /// (MAVProxy `signing setup`, QGC, or SETUP_SIGNING). Keep the config file private. Read
    /// as text and parsed by `qly_link::SigningKey` in [`FcConfig::validate`], so that no
    /// error message (a TOML parse error quotes its line) ever shows the key.
    pub key_hex: String,
    /// Our link id, written into every frame we sign. Default 0.
    #[serde(default)]
    pub link_id: u8,
    /// Drop frames that are unsigned or badly signed (MAVLink 1 frames included, since they
    /// cannot be signed). Default `false`: check signed frames, accept unsigned ones.
    #[serde(default)]
    pub require_signed: bool,
}

/// Rate limits of the STATUSTEXT reports sent to the ground.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReportConfig {
    /// Most STATUSTEXT reports sent per second (a telemetry radio at 57600 baud carries a few
    /// kB/s shared with all telemetry; each report is ~63 bytes). Default 1.0.
    pub max_per_s: f64,
    /// Reports waiting to be sent; when full, the oldest waiting report is dropped (and
    /// counted) so a burst never blocks the detector. Default 8.
    pub queue_len: usize,
    /// First word of every report, so ground stations can filter ours. Default "QLY".
    pub prefix: String,
}

impl Default for ReportConfig {
    fn default() -> Self {
        ReportConfig {
            max_per_s: 1.0,
            queue_len: 8,
            prefix: "QLY".to_string(),
        }
    }
}

/// The flight-controller link. Embedded in the service's TOML as `[flight_controller]`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct FcConfig {
    /// Where the flight controller is: `udpin:HOST:PORT` (listen; the autopilot or a router
    /// such as mavlink-router sends to us), `udpout:HOST:PORT`, `tcp:HOST:PORT` (reconnected
    /// with backoff when the server goes away), `tcpin:HOST:PORT`, or
    /// `serial:/dev/ttyAMA0:921600`. Default `udpin:0.0.0.0:14550`. Checked as the file is
    /// read.
    pub address: Address,
    /// MAVLink system id of the vehicle; the companion uses the same system id, as an
    /// onboard component of that vehicle. Default 1.
    pub system_id: u8,
    /// Our component id. Default 191 (MAV_COMP_ID_ONBOARD_COMPUTER).
    pub component_id: u8,
    /// Optional MAVLink 2 signing (`[flight_controller.signing]`). Default: none.
    pub signing: Option<FcSigning>,
    /// Accept MAVLink 1 frames (old autopilots and radios); we always send MAVLink 2.
    /// Default `true`.
    pub accept_mavlink1: bool,
    /// Our HEARTBEAT period, seconds. Default 1.0 (MAVLink's 1 Hz).
    pub heartbeat_period_s: f64,
    /// No autopilot HEARTBEAT for this long means the link is lost (logged; a `tcp:` link
    /// is then reopened). Default 3.0 s (three missed beats).
    pub link_lost_after_s: f64,
    /// First wait before reopening a closed or lost link, seconds; doubled after each
    /// failed attempt. Default 0.5.
    pub reconnect_initial_s: f64,
    /// Longest wait between reopening attempts, seconds. Default 10.0.
    pub reconnect_max_s: f64,
    /// GLOBAL_POSITION_INT rate requested with MAV_CMD_SET_MESSAGE_INTERVAL, Hz; 0 leaves
    /// the autopilot's own rate. Default 10.
    pub position_hz: f64,
    /// Which attitude message to request and use. Default `"attitude"`; or
    /// `"attitude_quaternion"`.
    pub attitude_message: AttitudeMessage,
    /// Attitude message rate, Hz; 0 leaves the autopilot's own rate. Default 20.
    pub attitude_hz: f64,
    /// GPS_RAW_INT rate (fix type and accuracy), Hz; 0 leaves the autopilot's rate. Default 2.
    pub gps_raw_hz: f64,
    /// SYSTEM_TIME rate (boot time to UTC), Hz; 0 leaves the autopilot's rate. Default 1.
    pub system_time_hz: f64,
    /// How long to wait for the COMMAND_ACK of one SET_MESSAGE_INTERVAL, seconds.
    /// Default 1.0.
    pub command_timeout_s: f64,
    /// Sends of one SET_MESSAGE_INTERVAL before giving up on that message (logged).
    /// Default 4.
    pub command_attempts: u32,
    /// Exchange TIMESYNC with the autopilot to map the companion's clock to its boot time.
    /// When it does not answer, frames are timed through UTC (SYSTEM_TIME). Default `true`.
    pub timesync: bool,
    /// TIMESYNC request period, seconds. Default 1.0.
    pub timesync_period_s: f64,
    /// TIMESYNC round trips longer than this are discarded, milliseconds. Default 50.
    pub timesync_max_rtt_ms: f64,
    /// SYSTEM_TIME / TIMESYNC samples kept by the clock estimators (1..=64). Default 16.
    pub clock_window: usize,
    /// Pose queries further than this from the nearest position or attitude sample fail
    /// rather than guess, milliseconds of boot time. Default 500.
    pub max_gap_ms: f64,
    /// Samples kept per series (position, attitude); at 20 Hz the default 6000 is 5 minutes.
    pub timeline_capacity: usize,
    /// Capture events kept (the oldest image indices are forgotten first). Default 4096.
    pub capture_capacity: usize,
    /// A gimbal attitude older than this is not used (the service falls back to its fixed
    /// mount), seconds. Default 2.0.
    pub gimbal_stale_after_s: f64,
    /// Least time between two log lines about the same kind of unknown or undecodable
    /// input, seconds. Default 10.
    pub log_every_s: f64,
    /// STATUSTEXT reports (`[flight_controller.reports]`).
    pub reports: ReportConfig,
}

impl Default for FcConfig {
    fn default() -> Self {
        // The link defaults are an onboard computer's, as every program defines them.
        let onboard = LinkOptions::<Onboard>::default();
        FcConfig {
            address: onboard.address,
            system_id: onboard.system_id,
            component_id: onboard.component_id,
            accept_mavlink1: true,
            signing: None,
            heartbeat_period_s: 1.0,
            link_lost_after_s: 3.0,
            reconnect_initial_s: 0.5,
            reconnect_max_s: 10.0,
            position_hz: 10.0,
            attitude_message: AttitudeMessage::Attitude,
            attitude_hz: 20.0,
            gps_raw_hz: 2.0,
            system_time_hz: 1.0,
            command_timeout_s: 1.0,
            command_attempts: 4,
            timesync: true,
            timesync_period_s: 1.0,
            timesync_max_rtt_ms: 50.0,
            clock_window: 16,
            max_gap_ms: 500.0,
            timeline_capacity: 6000,
            capture_capacity: 4096,
            gimbal_stale_after_s: 2.0,
            log_every_s: 10.0,
            reports: ReportConfig::default(),
        }
    }
}

fn bad(field: &'static str, value: impl ToString, expected: &'static str) -> FcError {
    FcError::Config {
        field,
        value: value.to_string(),
        expected,
    }
}

fn positive(field: &'static str, v: f64) -> Result<(), FcError> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(bad(field, v, "a finite number > 0"))
    }
}

fn rate(field: &'static str, v: f64) -> Result<(), FcError> {
    if v.is_finite() && (0.0..=1000.0).contains(&v) {
        Ok(())
    } else {
        Err(bad(
            field,
            v,
            "a rate from 0 (autopilot default) to 1000 Hz",
        ))
    }
}

impl FcConfig {
    /// Checks every field; the error names the field and what was expected.
    pub fn validate(&self) -> Result<(), FcError> {
        self.signing_config()?;
        if self.system_id == 0 {
            return Err(bad("system_id", 0, "a vehicle system id 1..=255"));
        }
        if self.component_id == 0 {
            return Err(bad(
                "component_id",
                0,
                "a component id 1..=255 (191 = onboard computer)",
            ));
        }
        positive("heartbeat_period_s", self.heartbeat_period_s)?;
        positive("link_lost_after_s", self.link_lost_after_s)?;
        positive("reconnect_initial_s", self.reconnect_initial_s)?;
        positive("reconnect_max_s", self.reconnect_max_s)?;
        if self.reconnect_max_s < self.reconnect_initial_s {
            return Err(bad(
                "reconnect_max_s",
                self.reconnect_max_s,
                "at least reconnect_initial_s",
            ));
        }
        rate("position_hz", self.position_hz)?;
        rate("attitude_hz", self.attitude_hz)?;
        rate("gps_raw_hz", self.gps_raw_hz)?;
        rate("system_time_hz", self.system_time_hz)?;
        positive("command_timeout_s", self.command_timeout_s)?;
        if self.command_attempts == 0 {
            return Err(bad("command_attempts", 0, "at least 1 send"));
        }
        positive("timesync_period_s", self.timesync_period_s)?;
        positive("timesync_max_rtt_ms", self.timesync_max_rtt_ms)?;
        if !(1..=qly_core::pose::MAX_CLOCK_WINDOW).contains(&self.clock_window) {
            return Err(bad("clock_window", self.clock_window, "1 to 64 samples"));
        }
        positive("max_gap_ms", self.max_gap_ms)?;
        if self.timeline_capacity < 2 {
            return Err(bad(
                "timeline_capacity",
                self.timeline_capacity,
                "at least 2 samples",
            ));
        }
        if self.capture_capacity == 0 {
            return Err(bad("capture_capacity", 0, "at least 1 capture event"));
        }
        positive("gimbal_stale_after_s", self.gimbal_stale_after_s)?;
        positive("log_every_s", self.log_every_s)?;
        positive("reports.max_per_s", self.reports.max_per_s)?;
        if self.reports.queue_len == 0 {
            return Err(bad("reports.queue_len", 0, "at least 1 waiting report"));
        }
        if self.reports.prefix.len() > 10 || self.reports.prefix.contains(char::is_whitespace) {
            return Err(bad(
                "reports.prefix",
                &self.reports.prefix,
                "one word of at most 10 bytes",
            ));
        }
        Ok(())
    }

    /// The link options these keys give (the type `planner` and `sim` take on their
    /// command lines); the key is parsed by `qly_link::SigningKey`.
    pub fn link_options(&self) -> Result<LinkOptions<Onboard>, FcError> {
        let signing = match &self.signing {
            None => SigningOptions::default(),
            Some(s) => SigningOptions {
                key: Some(s.key_hex.parse::<SigningKey>().map_err(|_| {
                    bad(
                        "signing.key_hex",
                        format!("<{} characters>", s.key_hex.trim().chars().count()),
                        "64 hex digits (a 32-byte key)",
                    )
                })?),
                link_id: s.link_id,
                require_signed: s.require_signed,
            },
        };
        Ok(LinkOptions::new(
            self.address.clone(),
            self.system_id,
            self.component_id,
            signing,
        ))
    }

    /// `signing` as the link wants it.
    pub fn signing_config(&self) -> Result<Option<SigningConfig>, FcError> {
        Ok(self.link_options()?.connection_config().signing)
    }

    /// The messages to request and their intervals in microseconds (0 rates skipped).
    pub fn interval_requests(&self) -> Vec<(u32, i32)> {
        [
            (super::ids::GLOBAL_POSITION_INT, self.position_hz),
            (self.attitude_message.message_id(), self.attitude_hz),
            (super::ids::GPS_RAW_INT, self.gps_raw_hz),
            (super::ids::SYSTEM_TIME, self.system_time_hz),
        ]
        .into_iter()
        .filter(|(_, hz)| *hz > 0.0)
        .map(|(id, hz)| (id, (1e6 / hz).round() as i32))
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate_and_request_four_messages() {
        let c = FcConfig::default();
        c.validate().unwrap();
        assert_eq!(
            c.interval_requests(),
            vec![(33, 100_000), (30, 50_000), (24, 500_000), (2, 1_000_000)]
        );
    }

    /// The service embeds the table; missing fields take their defaults, unknown ones are
    /// refused by name.
    #[test]
    fn parses_as_a_toml_table_of_the_service_config() {
        #[derive(Deserialize)]
        struct Service {
            flight_controller: FcConfig,
        }
        let s: Service = toml::from_str(
            r#"
            [flight_controller]
            address = "serial:/dev/ttyAMA0:921600"
            system_id = 3
            attitude_message = "attitude_quaternion"
            attitude_hz = 50
            [flight_controller.signing]
            key_hex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
            require_signed = true
            [flight_controller.reports]
            max_per_s = 0.5
            "#,
        )
        .unwrap();
        let c = s.flight_controller;
        c.validate().unwrap();
        assert_eq!(c.system_id, 3);
        assert_eq!(c.component_id, 191);
        assert_eq!(c.attitude_message, AttitudeMessage::AttitudeQuaternion);
        assert_eq!(c.interval_requests()[1], (31, 20_000));
        assert_eq!(c.reports.queue_len, 8);
        let sc = c.signing_config().unwrap().unwrap();
        assert_eq!((sc.key[1], sc.key[31], sc.require_signed), (1, 31, true));
        assert_eq!(
            c.address,
            Address::Serial {
                path: "/dev/ttyAMA0".into(),
                baud: 921_600
            }
        );
        let e = toml::from_str::<Service>("[flight_controller]\nposition_rate = 5\n")
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("position_rate"), "{e}");
        let empty: Service = toml::from_str("[flight_controller]\n").unwrap();
        assert_eq!(empty.flight_controller, FcConfig::default());
    }

    #[test]
    fn bad_fields_are_named() {
        let c = FcConfig {
            position_hz: -1.0,
            ..FcConfig::default()
        };
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("position_hz"), "{e}");
        // The address and the key are checked as the table is read, naming the key.
        #[derive(Debug, Deserialize)]
        struct Service {
            #[allow(dead_code)]
            flight_controller: FcConfig,
        }
        let e = toml::from_str::<Service>("[flight_controller]\naddress = \"udp127.0.0.1\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("no scheme") && e.contains("udp127.0.0.1"), "{e}");
        let c = FcConfig {
            signing: Some(FcSigning {
                key_hex: "zz".repeat(32),
                link_id: 0,
                require_signed: false,
            }),
            ..FcConfig::default()
        };
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("signing.key_hex") && !e.contains("zz"), "{e}");
    }
}
