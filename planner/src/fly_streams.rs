//! What `planner fly` asks the vehicle to stream, and when it asks again.
//!
//! ArduPilot sends a ground station nothing but HEARTBEAT (and event messages: STATUSTEXT,
//! COMMAND_ACK, MISSION_ITEM_REACHED, CAMERA_FEEDBACK) until it asks, and forgets what was
//! asked when it reboots. So `fly` asks with MAV_CMD_SET_MESSAGE_INTERVAL, falls back to
//! REQUEST_DATA_STREAM for an autopilot that does not know the command, and asks again when
//! `time_boot_ms` goes back (a reboot) or when the streams fall silent while heartbeats go on.

use std::time::Duration;

use qly_core::protocol::Ids;
// REQUEST_DATA_STREAM is deprecated in MAVLink but still what ArduPilot answers.
#[allow(deprecated)]
use qly_link::dialect::{MavCmd, MavDataStream, MavMessage, MavResult, REQUEST_DATA_STREAM_DATA};
use qly_link::{command_long, CommandError, CommandOptions, Connection, Received};

/// (message id, interval µs, name): progress (MISSION_CURRENT), the track and attitude for
/// the telemetry log, battery and GPS state. CAMERA_FEEDBACK is an event message on
/// ArduPilot; asking for it costs nothing where it is a stream.
pub const WANTED: [(u32, i32, &str); 7] = [
    (42, 1_000_000, "MISSION_CURRENT"),
    (33, 250_000, "GLOBAL_POSITION_INT"),
    (30, 250_000, "ATTITUDE"),
    (1, 1_000_000, "SYS_STATUS"),
    (24, 1_000_000, "GPS_RAW_INT"),
    (147, 1_000_000, "BATTERY_STATUS"),
    (180, 1_000_000, "CAMERA_FEEDBACK"),
];

/// ArduPilot's stream groups holding the same messages, and their rates (Hz), for
/// REQUEST_DATA_STREAM.
#[allow(deprecated)]
const FALLBACK: [(MavDataStream, u16); 4] = [
    (MavDataStream::MAV_DATA_STREAM_EXTENDED_STATUS, 1),
    (MavDataStream::MAV_DATA_STREAM_POSITION, 4),
    (MavDataStream::MAV_DATA_STREAM_EXTRA1, 4),
    (MavDataStream::MAV_DATA_STREAM_EXTRA3, 1),
];

/// What a round of requests achieved.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Requested {
    pub accepted: Vec<&'static str>,
    pub refused: Vec<&'static str>,
    /// SET_MESSAGE_INTERVAL went unanswered or unsupported: stream groups were requested.
    pub used_fallback: bool,
}

impl std::fmt::Display for Requested {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.used_fallback {
            return write!(
                f,
                "SET_MESSAGE_INTERVAL not supported: requested stream groups with REQUEST_DATA_STREAM"
            );
        }
        write!(f, "{}", self.accepted.join(", "))?;
        if !self.refused.is_empty() {
            write!(f, " (not streamed: {})", self.refused.join(", "))?;
        }
        Ok(())
    }
}

/// Asks `vehicle` for [`WANTED`]; messages received meanwhile go to `on_other`.
pub async fn request(
    conn: &mut Connection,
    vehicle: Ids,
    mut on_other: impl FnMut(&Received),
) -> Result<Requested, CommandError> {
    // Quick: an autopilot that ignores the command should not hold up the flight.
    let opts = CommandOptions {
        timeout: Duration::from_millis(700),
        retries: 1,
    };
    let mut done = Requested::default();
    for (id, interval_us, name) in WANTED {
        let r = command_long(
            conn,
            vehicle,
            MavCmd::MAV_CMD_SET_MESSAGE_INTERVAL,
            [id as f32, interval_us as f32, 0.0, 0.0, 0.0, 0.0, 0.0],
            opts,
            &mut on_other,
        )
        .await;
        match r {
            Ok(_) => done.accepted.push(name),
            Err(CommandError::Refused {
                result: MavResult::MAV_RESULT_UNSUPPORTED,
                ..
            })
            | Err(CommandError::NoAck { .. }) => {
                fallback(conn, vehicle)?;
                done.used_fallback = true;
                return Ok(done);
            }
            Err(CommandError::Refused { .. }) => done.refused.push(name),
            Err(e @ CommandError::Link(_)) => return Err(e),
        }
    }
    Ok(done)
}

#[allow(deprecated)]
fn fallback(conn: &Connection, vehicle: Ids) -> Result<(), CommandError> {
    for (stream, hz) in FALLBACK {
        conn.send(&MavMessage::REQUEST_DATA_STREAM(REQUEST_DATA_STREAM_DATA {
            req_message_rate: hz,
            target_system: vehicle.system,
            target_component: vehicle.component,
            req_stream_id: stream,
            start_stop: 1,
        }))?;
    }
    Ok(())
}

/// Decides when to ask again: the vehicle's `time_boot_ms` went back (it rebooted and forgot
/// the intervals), or no streamed message came for `silence` while its
/// heartbeat did (forgotten without our seeing the reboot). At most once per `silence`.
#[derive(Debug, Clone)]
pub struct StreamWatch {
    silence: Duration,
    last_boot_ms: Option<u32>,
    last_stream: Duration,
    last_heartbeat: Duration,
    last_request: Duration,
}

/// Why to ask again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AskAgain {
    /// `time_boot_ms` went from the first figure back to the second.
    Rebooted { from_ms: u32, to_ms: u32 },
    /// Heartbeats but no streamed message for this long.
    Silent(Duration),
}

impl StreamWatch {
    /// Watching from `now` (any monotonic clock), right after a request.
    pub fn new(now: Duration, silence: Duration) -> Self {
        StreamWatch {
            silence,
            last_boot_ms: None,
            last_stream: now,
            last_heartbeat: now,
            last_request: now,
        }
    }

    /// Feeds one message from the vehicle at `now`; `Some` when it is time to ask again (the
    /// caller asks, then calls [`StreamWatch::requested`]).
    pub fn observe(&mut self, message: &MavMessage, now: Duration) -> Option<AskAgain> {
        let boot_ms = match message {
            MavMessage::HEARTBEAT(_) => {
                self.last_heartbeat = now;
                None
            }
            MavMessage::GLOBAL_POSITION_INT(m) => Some(m.time_boot_ms),
            MavMessage::ATTITUDE(m) => Some(m.time_boot_ms),
            MavMessage::SYSTEM_TIME(m) => Some(m.time_boot_ms),
            _ => None,
        };
        if let Some(ms) = boot_ms {
            self.last_stream = now;
            let previous = self.last_boot_ms.replace(ms);
            // A second of slack: messages of different streams may cross on the way.
            if let Some(from) = previous.filter(|&p| ms.saturating_add(1_000) < p) {
                return Some(AskAgain::Rebooted {
                    from_ms: from,
                    to_ms: ms,
                });
            }
        }
        let quiet = now.saturating_sub(self.last_stream);
        let heartbeat_recent = now.saturating_sub(self.last_heartbeat) < self.silence;
        if quiet >= self.silence
            && heartbeat_recent
            && now.saturating_sub(self.last_request) >= self.silence
        {
            return Some(AskAgain::Silent(quiet));
        }
        None
    }

    /// A request was just sent.
    pub fn requested(&mut self, now: Duration) {
        self.last_request = now;
        self.last_stream = now;
        self.last_boot_ms = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use qly_link::dialect::{ATTITUDE_DATA, HEARTBEAT_DATA};

    fn att(ms: u32) -> MavMessage {
        MavMessage::ATTITUDE(ATTITUDE_DATA {
            time_boot_ms: ms,
            ..Default::default()
        })
    }

    fn hb() -> MavMessage {
        MavMessage::HEARTBEAT(HEARTBEAT_DATA::default())
    }

    #[test]
    fn a_reboot_or_silent_streams_ask_again() {
        let s = Duration::from_secs;
        let mut w = StreamWatch::new(s(0), s(3));
        assert_eq!(w.observe(&att(50_000), s(1)), None);
        assert_eq!(w.observe(&att(49_500), s(1)), None, "crossing streams");
        assert_eq!(
            w.observe(&att(200), s(2)),
            Some(AskAgain::Rebooted {
                from_ms: 49_500,
                to_ms: 200
            })
        );
        w.requested(s(2));
        // Heartbeats only, streams gone: ask again after 3 s, then not before 3 s more.
        assert_eq!(w.observe(&hb(), s(4)), None);
        assert!(matches!(w.observe(&hb(), s(5)), Some(AskAgain::Silent(_))));
        w.requested(s(5));
        assert_eq!(w.observe(&hb(), s(7)), None);
        // No heartbeat either (link lost): nothing to ask.
        let mut w = StreamWatch::new(s(0), s(3));
        assert_eq!(w.observe(&att(1), s(10)), None);
    }
}
