//! The MAVLink mission transfer protocol (mavlink.io "Mission Protocol") as sans-IO state
//! machines: upload and download on the ground side ([`UploadClient`], [`DownloadClient`])
//! and the vehicle side ([`MissionServer`]).
//!
//! Nothing here touches a socket or a clock. A driver feeds every received message to
//! `handle(msg, now)`, calls `poll(now)` when `next_deadline()` has passed, and sends
//! whatever either returns. `now` is a [`std::time::Duration`] since any fixed
//! epoch the driver chooses (a tokio `Instant` at start, or virtual time in tests), so the
//! machines are deterministic and are tested under loss, duplication and reordering in
//! virtual time. The tokio drivers live in `qly-link`.
//!
//! Robustness rules (from the spec, and what loss taught the tests):
//! - every message that expects an answer is re-sent on timeout (1500 ms for the first
//!   request and the final ack, 250 ms per item, 5 retries, see [`Timeouts`]); any message
//!   from the peer that belongs to the transfer resets the retry count, so only silence
//!   fails a transfer;
//! - the upload client answers a request for any sequence number, in any order, repeatedly;
//! - the vehicle keeps its old list until the new one is complete (the list it holds is
//!   always either the old one or the complete new one) and re-acknowledges a repeated last
//!   item, because a lost final `MISSION_ACK` otherwise fails a finished upload.
//!
//! ```
//! use std::time::Duration;
//! use qly_core::mission::{MissionType, RawItem};
//! use qly_core::protocol::{Ids, MissionServer, ServerConfig, TransferState, UploadClient, Timeouts};
//!
//! let gcs = Ids::new(255, 190);
//! let vehicle = Ids::new(1, 1);
//! let item = RawItem { frame: 3, command: 16, params: [0.0; 4], lat_deg: 27.0,
//!                      lon_deg: 106.9, alt_m: 80.0, autocontinue: true };
//! let mut server = MissionServer::new(vehicle, ServerConfig::default());
//! let t = Duration::ZERO;
//! let (mut client, mut to_vehicle) =
//!     UploadClient::start(gcs, vehicle, vec![item; 3], MissionType::Mission, Timeouts::default(), t);
//! // A perfect link: pass messages back and forth until nothing is left to send.
//! while !to_vehicle.is_empty() {
//!     let to_gcs: Vec<_> = to_vehicle.iter().flat_map(|m| server.handle(m, t)).collect();
//!     to_vehicle = to_gcs.iter().flat_map(|m| client.handle(m, t)).collect();
//! }
//! assert_eq!(client.state(), &TransferState::Done);
//! assert_eq!(server.list(MissionType::Mission).len(), 3);
//! ```

mod download;
mod message;
mod server;
mod stored;
mod transfer;
mod upload;

#[cfg(test)]
mod lossy_tests;

pub use download::DownloadClient;
pub use message::{list_name, Ids, MissionMsg, MissionResult, ProtocolMsg};
pub use server::{MissionServer, ServerConfig, ServerEvent};
pub use stored::{check_stored, Autopilot, ItemDifference, ItemField};
pub use upload::UploadClient;

use crate::mission::MissionType;
use std::fmt;
use std::time::Duration;
use thiserror::Error;

/// Timeouts and retries of one side of a transfer (mavlink.io "Timeouts and Retries").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Waiting for the first answer to a command (`MISSION_COUNT` -> first request,
    /// `MISSION_REQUEST_LIST` -> `MISSION_COUNT`) and for the final `MISSION_ACK`.
    pub default: Duration,
    /// Waiting for the next item or item request.
    pub item: Duration,
    /// Re-sends after a timeout before the transfer fails.
    pub max_retries: u32,
}

impl Default for Timeouts {
    /// The spec's defaults: 1500 ms, 250 ms per item, 5 retries.
    fn default() -> Self {
        Timeouts {
            default: Duration::from_millis(1500),
            item: Duration::from_millis(250),
            max_retries: 5,
        }
    }
}

impl Timeouts {
    /// A retry budget for bad links (30 % loss each way): the spec's timeouts with 25
    /// retries instead of 5.
    ///
    /// Why: a transfer fails when one side hears nothing for `max_retries + 1` timeouts.
    /// With 30 % loss a download stalls on about half its items (request or item lost) and
    /// each re-request succeeds with probability 0.49, so 5 retries fail a stall with
    /// probability 0.51^6 = 1.8 %: an 800-item list almost never gets through. Measured in
    /// virtual time (`protocol::lossy_tests` channel, 5-80 ms latency, 10 % duplication),
    /// spec defaults on both sides failed 47 of 100 800-item uploads and 100 of 100
    /// downloads at 30 % loss; with 25 retries on both sides all 100 of each
    /// succeed. The cost is slower failure on a dead link (26 waits instead of 6).
    pub fn lossy_link() -> Self {
        Timeouts {
            max_retries: 25,
            ..Timeouts::default()
        }
    }

    /// The longest a transfer of `count` items can take when every answer arrives just
    /// before its timeout, plus the final failure: a bound for drivers' overall deadlines.
    pub fn worst_case(&self, count: usize) -> Duration {
        let per_wait = |t: Duration| t * (self.max_retries + 1);
        per_wait(self.default) * 2 + per_wait(self.item) * (count as u32).saturating_add(1)
    }
}

/// Where a transfer was when it stopped, for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Upload: `MISSION_COUNT` sent, no item request yet.
    AwaitingFirstRequest,
    /// Upload: items up to `next_seq - 1` sent, waiting for the request of `next_seq`.
    AwaitingRequest { next_seq: u16 },
    /// Upload: every item sent, waiting for `MISSION_ACK`.
    AwaitingAck,
    /// Download: `MISSION_REQUEST_LIST` sent, no `MISSION_COUNT` yet.
    AwaitingCount,
    /// Download: item `seq` requested.
    AwaitingItem { seq: u16 },
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stage::AwaitingFirstRequest => f.write_str("no item request came after MISSION_COUNT"),
            Stage::AwaitingRequest { next_seq } => {
                write!(f, "no request for item {next_seq} came")
            }
            Stage::AwaitingAck => f.write_str("no MISSION_ACK came after the last item"),
            Stage::AwaitingCount => f.write_str("no MISSION_COUNT came after MISSION_REQUEST_LIST"),
            Stage::AwaitingItem { seq } => write!(f, "item {seq} never came"),
        }
    }
}

/// Why a transfer failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TransferError {
    /// The peer went silent: `retries` re-sends were not answered.
    #[error("{list} transfer timed out: {stage} ({retries} retries)")]
    Timeout {
        list: &'static str,
        stage: Stage,
        retries: u32,
    },
    /// The vehicle answered with an error `MISSION_ACK`.
    #[error("{list} transfer rejected with {result}: {message}")]
    Rejected {
        list: &'static str,
        result: MissionResult,
        message: String,
    },
    /// We cancelled the transfer (and told the vehicle so).
    #[error("{list} transfer cancelled")]
    Cancelled { list: &'static str },
    /// The peer broke the protocol in a way retrying cannot fix.
    #[error("{list} transfer failed: {message}")]
    Protocol { list: &'static str, message: String },
}

/// Where a client is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferState {
    Running(Stage),
    Done,
    Failed(TransferError),
}

impl TransferState {
    pub fn is_finished(&self) -> bool {
        !matches!(self, TransferState::Running(_))
    }
}

/// The index of a mission type in per-list arrays.
pub(crate) fn type_index(mission_type: MissionType) -> usize {
    match mission_type {
        MissionType::Mission => 0,
        MissionType::Fence => 1,
        MissionType::Rally => 2,
    }
}
