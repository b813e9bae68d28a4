//! Tokio drivers for the mission-transfer state machines of `qly_core::protocol`.
//!
//! Every wait is bounded: each state machine has its own timeouts and retries, and each
//! call also has an overall deadline, so nothing here can hang on a dead link.

use crate::connection::Connection;
use crate::convert::{from_mavlink, raw_item_to_mavlink, to_mavlink, ConvertError};
use crate::dialect::MavMessage;
use crate::frame::Received;
use qly_core::mission::{Mission, MissionType, RawItem};
use qly_core::protocol::{
    check_stored, list_name, Autopilot, DownloadClient, Ids, ItemDifference, MissionServer,
    ProtocolMsg, Timeouts, TransferError, TransferState, UploadClient,
};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use thiserror::Error;
use tokio::time::Instant;

/// How [`upload_mission`] behaves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UploadOptions {
    /// Timeouts and retries of each transfer (spec defaults; [`Timeouts::lossy_link`] for
    /// bad radios).
    pub timeouts: Timeouts,
    /// Give up after this long in total; `None`: the sum of each transfer's worst case.
    pub overall_timeout: Option<Duration>,
    /// Download each list after uploading it and compare item by item.
    pub verify: bool,
    /// Whose storage rules the comparison allows for ([`check_stored`]): an autopilot
    /// returns items in its own form (ArduPilot: NaN yaw as 0, altitudes in whole
    /// centimetres, ...). Take it from the vehicle's `HEARTBEAT.autopilot`
    /// ([`Autopilot::from_mav_autopilot`]); [`Autopilot::Verbatim`] expects items as sent.
    pub autopilot: Autopilot,
    /// Also compare mission item 0 (home). ArduPilot replaces it with its own home on
    /// download, so it is skipped by default.
    pub verify_home: bool,
}

impl Default for UploadOptions {
    fn default() -> Self {
        UploadOptions {
            timeouts: Timeouts::default(),
            overall_timeout: None,
            verify: true,
            autopilot: Autopilot::Verbatim,
            verify_home: false,
        }
    }
}

/// Which half of the job a [`Progress`] report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Upload,
    Verify,
}

/// Reported whenever a transfer advances.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub mission_type: MissionType,
    pub phase: Phase,
    /// Items confirmed (upload) or received (verify) so far.
    pub done: usize,
    pub total: usize,
}

/// One list's transfer.
#[derive(Debug, Clone, PartialEq)]
pub struct ListReport {
    pub mission_type: MissionType,
    pub items: usize,
    /// `MISSION_ITEM_INT` messages sent, re-sends included.
    pub items_sent: u64,
    pub upload_time: Duration,
    pub verify_time: Option<Duration>,
}

/// What a successful [`upload_mission`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct UploadReport {
    pub lists: Vec<ListReport>,
    pub elapsed: Duration,
}

/// Why an upload failed.
#[derive(Debug, Error)]
pub enum UploadError {
    #[error("{list} cannot be sent: {source}")]
    Convert {
        list: &'static str,
        #[source]
        source: ConvertError,
    },
    #[error(transparent)]
    Transfer(#[from] TransferError),
    #[error("{list} verification: the vehicle holds {got} items, we sent {sent}")]
    CountMismatch {
        list: &'static str,
        sent: usize,
        got: usize,
    },
    /// A downloaded item does not hold what was sent, beyond the autopilot's normalisation.
    #[error("verification by download: {0}")]
    Mismatch(Box<ItemDifference>),
    #[error("gave up after {elapsed:?} (overall deadline) during {list} {phase:?}")]
    Deadline {
        list: &'static str,
        phase: Phase,
        elapsed: Duration,
    },
    #[error("the link closed during the {list} transfer")]
    LinkClosed { list: &'static str },
}

trait Machine {
    fn handle(&mut self, msg: &ProtocolMsg, now: Duration) -> Vec<ProtocolMsg>;
    fn poll(&mut self, now: Duration) -> Vec<ProtocolMsg>;
    fn next_deadline(&self) -> Option<Duration>;
    fn state(&self) -> &TransferState;
    fn progress(&self) -> usize;
    fn cancel(&mut self) -> Vec<ProtocolMsg>;
}

impl Machine for UploadClient {
    fn handle(&mut self, msg: &ProtocolMsg, now: Duration) -> Vec<ProtocolMsg> {
        UploadClient::handle(self, msg, now)
    }
    fn poll(&mut self, now: Duration) -> Vec<ProtocolMsg> {
        UploadClient::poll(self, now)
    }
    fn next_deadline(&self) -> Option<Duration> {
        UploadClient::next_deadline(self)
    }
    fn state(&self) -> &TransferState {
        UploadClient::state(self)
    }
    fn progress(&self) -> usize {
        UploadClient::progress(self)
    }
    fn cancel(&mut self) -> Vec<ProtocolMsg> {
        UploadClient::cancel(self)
    }
}

impl Machine for DownloadClient {
    fn handle(&mut self, msg: &ProtocolMsg, now: Duration) -> Vec<ProtocolMsg> {
        DownloadClient::handle(self, msg, now)
    }
    fn poll(&mut self, now: Duration) -> Vec<ProtocolMsg> {
        DownloadClient::poll(self, now)
    }
    fn next_deadline(&self) -> Option<Duration> {
        DownloadClient::next_deadline(self)
    }
    fn state(&self) -> &TransferState {
        DownloadClient::state(self)
    }
    fn progress(&self) -> usize {
        DownloadClient::progress(self)
    }
    fn cancel(&mut self) -> Vec<ProtocolMsg> {
        DownloadClient::cancel(self)
    }
}

struct Ctx {
    epoch: Instant,
    deadline: Instant,
    list: &'static str,
    phase: Phase,
}

fn send_all(
    conn: &Connection,
    msgs: Vec<ProtocolMsg>,
    list: &'static str,
) -> Result<(), UploadError> {
    for m in msgs {
        let mav = to_mavlink(&m).map_err(|source| UploadError::Convert { list, source })?;
        conn.send(&mav)
            .map_err(|_| UploadError::LinkClosed { list })?;
    }
    Ok(())
}

/// Runs one state machine to its end over `conn`.
async fn drive<M: Machine>(
    conn: &mut Connection,
    m: &mut M,
    first: Vec<ProtocolMsg>,
    ctx: &Ctx,
    mut on_progress: impl FnMut(usize),
) -> Result<(), UploadError> {
    let now = |epoch: Instant| Instant::now().saturating_duration_since(epoch);
    send_all(conn, first, ctx.list)?;
    let mut last_progress = usize::MAX;
    loop {
        if m.progress() != last_progress {
            last_progress = m.progress();
            on_progress(last_progress);
        }
        match m.state() {
            TransferState::Done => return Ok(()),
            TransferState::Failed(e) => {
                let e = e.clone();
                if matches!(e, TransferError::Timeout { .. }) {
                    // Best effort: a vehicle still waiting stops at once.
                    let _ = send_all(conn, m.cancel(), ctx.list);
                }
                return Err(e.into());
            }
            TransferState::Running(_) => {}
        }
        let wake = m
            .next_deadline()
            .map(|d| (ctx.epoch + d).min(ctx.deadline))
            .unwrap_or(ctx.deadline);
        let out = tokio::select! {
            r = conn.recv() => match r {
                None => return Err(UploadError::LinkClosed { list: ctx.list }),
                Some(rx) => match from_mavlink(&rx.header, &rx.message) {
                    Some(p) => m.handle(&p, now(ctx.epoch)),
                    None => Vec::new(),
                },
            },
            _ = tokio::time::sleep_until(wake) => {
                if Instant::now() >= ctx.deadline {
                    let _ = send_all(conn, m.cancel(), ctx.list);
                    return Err(UploadError::Deadline {
                        list: ctx.list,
                        phase: ctx.phase,
                        elapsed: now(ctx.epoch),
                    });
                }
                m.poll(now(ctx.epoch))
            }
        };
        send_all(conn, out, ctx.list)?;
    }
}

/// Uploads `mission` (and its fence and rally lists when non-empty) to
/// `target_system/target_component`, then, with `opts.verify`, downloads each list back and
/// compares it item by item as `opts.autopilot` stores items ([`check_stored`]) before
/// reporting success.
///
/// Every item is checked for encodability before anything is sent. Progress is reported
/// as transfers advance. The vehicle keeps its old list if this fails part-way (if it
/// follows the spec, as [`MissionServer`] does).
pub async fn upload_mission(
    conn: &mut Connection,
    target_system: u8,
    target_component: u8,
    mission: &Mission,
    opts: UploadOptions,
    mut progress: impl FnMut(Progress),
) -> Result<UploadReport, UploadError> {
    let vehicle = Ids::new(target_system, target_component);
    let own = conn.own();
    let mut lists = vec![(
        MissionType::Mission,
        mission.wire_items(MissionType::Mission),
    )];
    for t in [MissionType::Fence, MissionType::Rally] {
        let items = mission.wire_items(t);
        if !items.is_empty() {
            lists.push((t, items));
        }
    }
    for (t, items) in &lists {
        for (seq, item) in items.iter().enumerate() {
            raw_item_to_mavlink(item, seq as u16, *t, false, vehicle).map_err(|source| {
                UploadError::Convert {
                    list: list_name(*t),
                    source,
                }
            })?;
        }
    }
    let start = Instant::now();
    let budget = opts.overall_timeout.unwrap_or_else(|| {
        lists
            .iter()
            .map(|(_, items)| opts.timeouts.worst_case(items.len()) * 2)
            .sum()
    });
    let deadline = start + budget;
    let mut reports = Vec::new();
    for (mission_type, items) in lists {
        let list = list_name(mission_type);
        let total = items.len();
        let t0 = Instant::now();
        let ctx = Ctx {
            epoch: start,
            deadline,
            list,
            phase: Phase::Upload,
        };
        let (mut client, first) = UploadClient::start(
            own,
            vehicle,
            items.clone(),
            mission_type,
            opts.timeouts,
            t0.saturating_duration_since(start),
        );
        drive(conn, &mut client, first, &ctx, |done| {
            progress(Progress {
                mission_type,
                phase: Phase::Upload,
                done,
                total,
            })
        })
        .await?;
        let upload_time = t0.elapsed();
        let mut verify_time = None;
        if opts.verify {
            let t1 = Instant::now();
            let ctx = Ctx {
                phase: Phase::Verify,
                ..ctx
            };
            let got = download_with(conn, vehicle, mission_type, opts.timeouts, &ctx, |done| {
                progress(Progress {
                    mission_type,
                    phase: Phase::Verify,
                    done,
                    total,
                })
            })
            .await?;
            compare(mission_type, &items, &got, opts.autopilot, opts.verify_home)?;
            verify_time = Some(t1.elapsed());
        }
        reports.push(ListReport {
            mission_type,
            items: total,
            items_sent: client.items_sent(),
            upload_time,
            verify_time,
        });
    }
    Ok(UploadReport {
        lists: reports,
        elapsed: start.elapsed(),
    })
}

fn compare(
    mission_type: MissionType,
    sent: &[RawItem],
    got: &[RawItem],
    autopilot: Autopilot,
    verify_home: bool,
) -> Result<(), UploadError> {
    let list = list_name(mission_type);
    if sent.len() != got.len() {
        return Err(UploadError::CountMismatch {
            list,
            sent: sent.len(),
            got: got.len(),
        });
    }
    let skip = usize::from(mission_type == MissionType::Mission && !verify_home);
    for (seq, (a, b)) in sent.iter().zip(got).enumerate().skip(skip) {
        check_stored(autopilot, mission_type, seq, a, b)
            .map_err(|d| UploadError::Mismatch(Box::new(d)))?;
    }
    Ok(())
}

async fn download_with(
    conn: &mut Connection,
    vehicle: Ids,
    mission_type: MissionType,
    timeouts: Timeouts,
    ctx: &Ctx,
    on_progress: impl FnMut(usize),
) -> Result<Vec<RawItem>, UploadError> {
    let (mut client, first) = DownloadClient::start(
        conn.own(),
        vehicle,
        mission_type,
        timeouts,
        Instant::now().saturating_duration_since(ctx.epoch),
    );
    drive(conn, &mut client, first, ctx, on_progress).await?;
    Ok(client.into_items())
}

/// Downloads one list from `vehicle`, giving up after `overall_timeout`.
pub async fn download_list(
    conn: &mut Connection,
    vehicle: Ids,
    mission_type: MissionType,
    timeouts: Timeouts,
    overall_timeout: Duration,
) -> Result<Vec<RawItem>, UploadError> {
    let epoch = Instant::now();
    let ctx = Ctx {
        epoch,
        deadline: epoch + overall_timeout,
        list: list_name(mission_type),
        phase: Phase::Verify,
    };
    download_with(conn, vehicle, mission_type, timeouts, &ctx, |_| {}).await
}

/// Serves the mission protocol on `conn` with `server` (the vehicle side) until the link
/// closes. The server sits behind a mutex so the caller (a sim) can read the lists and set
/// the current item meanwhile; the lock is never held across an await.
pub async fn serve_missions(mut conn: Connection, server: Arc<Mutex<MissionServer>>) {
    let epoch = Instant::now();
    loop {
        let wake = server
            .lock()
            .ok()
            .and_then(|s| s.next_deadline())
            .map(|d| epoch + d);
        let out = tokio::select! {
            r = conn.recv() => match r {
                None => return,
                Some(rx) => match server.lock() {
                    Ok(mut s) => serve_message(&mut s, &rx, epoch.elapsed()),
                    Err(_) => return,
                },
            },
            _ = async { if let Some(w) = wake { tokio::time::sleep_until(w).await } }, if wake.is_some() => {
                match server.lock() {
                    Ok(mut s) => serve_poll(&mut s, epoch.elapsed()),
                    Err(_) => return,
                }
            }
        };
        for mav in out {
            if conn.send(&mav).is_err() {
                return;
            }
        }
    }
}

/// For a vehicle that runs its own receive loop (the sim): feeds one received frame to
/// `server` and returns the MAVLink replies to send. Frames outside the mission protocol
/// return nothing. `now` is the vehicle's time since any fixed epoch (the same epoch for
/// [`serve_poll`]).
pub fn serve_message(server: &mut MissionServer, rx: &Received, now: Duration) -> Vec<MavMessage> {
    match from_mavlink(&rx.header, &rx.message) {
        Some(p) => encode_replies(server.handle(&p, now)),
        None => Vec::new(),
    }
}

/// Runs `server`'s timeouts (call when `now >= server.next_deadline()`); returns the
/// MAVLink messages to send.
pub fn serve_poll(server: &mut MissionServer, now: Duration) -> Vec<MavMessage> {
    encode_replies(server.poll(now))
}

/// Replies the dialect cannot carry (an item set with [`MissionServer::set_list`] whose
/// command is not a `MAV_CMD`) are left out: the client then times out on that item.
fn encode_replies(out: Vec<ProtocolMsg>) -> Vec<MavMessage> {
    out.iter().filter_map(|p| to_mavlink(p).ok()).collect()
}
