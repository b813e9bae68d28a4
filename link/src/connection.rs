//! A MAVLink connection on tokio: one reader task (framing, CRC, signing checks) and one
//! writer task (optional impairment), over UDP, TCP, serial or an in-memory pipe.

use crate::address::Address;
use crate::dialect::MavMessage;
use crate::frame::{
    signing_time_now, Decoder, Encoder, Incoming, Received, RxCounts, SigningConfig,
};
use crate::impair::Impairment;
use crate::signing_streams::SigningStreams;
use crate::wire::Wire;
use qly_core::protocol::Ids;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use thiserror::Error;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// How a connection identifies itself and what it accepts.
#[derive(Debug, Clone)]
pub struct ConnectionConfig {
    /// Our MAVLink address (a GCS is usually 255/190, an autopilot 1/1).
    pub own: Ids,
    /// MAVLink 2 signing; `None` sends unsigned and does not check signatures.
    pub signing: Option<SigningConfig>,
    /// Accept MAVLink 1 frames (old radios and autopilots); we always send MAVLink 2.
    pub accept_mavlink1: bool,
    /// Damage our outgoing frames (tests).
    pub impairment: Option<Impairment>,
    /// The signing clock and replay table; `None`: one of its own, in memory. Give the same
    /// one to every link of a system (a replay on another link is then refused), persisted
    /// to refuse replays after a restart.
    pub signing_streams: Option<SigningStreams>,
    /// Whom a `udpin` link answers.
    pub udp_peer: UdpPeer,
}

impl ConnectionConfig {
    pub fn new(own: Ids) -> Self {
        ConnectionConfig {
            own,
            signing: None,
            accept_mavlink1: true,
            impairment: None,
            signing_streams: None,
            udp_peer: UdpPeer::default(),
        }
    }
}

/// Whom a `udpin` link talks to. Only a datagram holding a frame that passed every check
/// (CRC, and the signature when signing is required) makes its sender the peer; junk or
/// unsigned frames from a stranger never redirect the link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UdpPeer {
    /// Lock to the first valid peer and ignore every other sender, as MAVLink routers do;
    /// another sender may take over only after the locked peer has sent no valid frame for
    /// `release_after` (a ground station restarted on a new port; a GCS heartbeats at 1 Hz).
    FirstValid { release_after: Duration },
    /// Follow whichever sender sent the latest valid frame.
    LatestValid,
}

impl Default for UdpPeer {
    fn default() -> Self {
        UdpPeer::FirstValid {
            release_after: Duration::from_secs(3),
        }
    }
}

/// Counters of a connection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkStats {
    /// Received frames by outcome (accepted, and each rejection reason).
    pub rx: RxCounts,
    pub frames_sent: u64,
    pub bytes_sent: u64,
    /// Frames dropped because no peer was known yet (`udpin` before the first datagram,
    /// `tcpin` before a client connected) or the write failed.
    pub unsendable: u64,
    /// Frames dropped because the receiver did not keep up (queue of 4096 frames full).
    pub rx_queue_overflow: u64,
    pub impair_dropped: u64,
    pub impair_duplicated: u64,
    /// Datagrams ignored on a `udpin` link because they came from another sender than the
    /// locked peer.
    pub other_peer_ignored: u64,
    /// The sender of the last datagram with a frame refused for signing (bad signature,
    /// unsigned, replayed), on socket links.
    pub signing_rejected_from: Option<SocketAddr>,
}

impl LinkStats {
    /// What went wrong with signing on this link, if anything: every client adds it to its
    /// error, so a wrong or missing key is named as such. `have_key`: we sign.
    pub fn signing_trouble(&self, have_key: bool) -> Option<SigningTrouble> {
        let rx = &self.rx;
        let kind = if rx.bad_signature > 0 {
            SigningTroubleKind::BadSignature(rx.bad_signature)
        } else if rx.unsigned_rejected > 0 {
            SigningTroubleKind::Unsigned(rx.unsigned_rejected)
        } else if rx.replayed > 0 {
            SigningTroubleKind::Replayed(rx.replayed)
        } else if !have_key && rx.signed_unchecked > 0 {
            SigningTroubleKind::PeerSignsWeDoNot(rx.signed_unchecked)
        } else {
            return None;
        };
        Some(SigningTrouble {
            kind,
            from: self.signing_rejected_from,
        })
    }
}

/// Frames refused (or left unchecked) for signing reasons: see [`LinkStats::signing_trouble`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SigningTrouble {
    pub kind: SigningTroubleKind,
    /// Who sent them, when known.
    pub from: Option<SocketAddr>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigningTroubleKind {
    /// Frames signed with another key.
    BadSignature(u64),
    /// Unsigned frames refused because we require signing.
    Unsigned(u64),
    /// Signed frames refused as replays.
    Replayed(u64),
    /// The peer signs its frames and we have no key: it probably refuses ours.
    PeerSignsWeDoNot(u64),
}

impl SigningTrouble {
    /// The message, naming `key_setting` as where the key is given (a command-line option,
    /// a configuration field). [`Display`](std::fmt::Display) names `--signing-key`.
    pub fn describe(&self, key_setting: &str) -> String {
        let from = self.from.map(|a| format!(" from {a}")).unwrap_or_default();
        match self.kind {
            SigningTroubleKind::BadSignature(n) => {
                format!("{n} frames{from} had a bad signature: wrong {key_setting}?")
            }
            SigningTroubleKind::Unsigned(n) => format!(
                "{n} unsigned frames{from} were refused because signing is required: the peer has no signing key?"
            ),
            SigningTroubleKind::Replayed(n) => format!(
                "{n} signed frames{from} were refused as replays (timestamp not newer than its stream's last, or over a minute behind ours)"
            ),
            SigningTroubleKind::PeerSignsWeDoNot(n) => format!(
                "the vehicle signs its frames ({n} signed frames received) but we have no key, so it probably refuses ours: give {key_setting}"
            ),
        }
    }
}

impl std::fmt::Display for SigningTrouble {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe("--signing-key"))
    }
}

/// Why a connection could not be opened or used.
#[derive(Debug, Error)]
pub enum LinkError {
    #[error("{address}: {source}")]
    Io {
        address: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{address}: host name did not resolve to any address")]
    Resolve { address: String },
    #[error("{address}: cannot open serial port: {message}")]
    Serial { address: String, message: String },
    #[error("the link is closed")]
    Closed,
}

/// A frame handed to the writer.
struct Outgoing {
    bytes: Vec<u8>,
    /// Goes ahead of frames still waiting for an emulated capped wire.
    urgent: bool,
}

/// Sends on a connection; cheap to clone (heartbeat tasks, the sim's loops).
#[derive(Clone)]
pub struct LinkSender {
    own: Ids,
    encoder: Arc<Mutex<Encoder>>,
    out: mpsc::UnboundedSender<Outgoing>,
}

impl LinkSender {
    /// Our address (the header source of every frame sent).
    pub fn own(&self) -> Ids {
        self.own
    }

    /// Queues `message` for sending (signed when signing is configured). Never blocks.
    pub fn send(&self, message: &MavMessage) -> Result<(), LinkError> {
        self.queue(self.own, message, false)
    }

    /// Queues a reply (mission protocol, command acknowledgement) ahead of frames that still
    /// wait for a bandwidth-capped emulated link ([`Impairment::bandwidth_bytes_per_s`]), as
    /// an autopilot answers at once while its telemetry waits for room on the port. On
    /// other links the same as [`LinkSender::send`].
    pub fn send_urgent(&self, message: &MavMessage) -> Result<(), LinkError> {
        self.queue(self.own, message, true)
    }

    /// Queues `message` with `source` as the header's sender: a router forwarding another
    /// system's frame onto this link (re-encoded with this link's sequence and signing).
    pub fn send_as(&self, source: Ids, message: &MavMessage) -> Result<(), LinkError> {
        self.queue(source, message, false)
    }

    fn queue(&self, source: Ids, message: &MavMessage, urgent: bool) -> Result<(), LinkError> {
        let bytes = {
            let mut enc = self.encoder.lock().map_err(|_| LinkError::Closed)?;
            enc.encode(source.system, source.component, message, signing_time_now())
        };
        self.out
            .send(Outgoing { bytes, urgent })
            .map_err(|_| LinkError::Closed)
    }
}

/// An open MAVLink link.
pub struct Connection {
    sender: LinkSender,
    rx: mpsc::Receiver<Incoming>,
    stats: Arc<Mutex<LinkStats>>,
    local_addr: Option<SocketAddr>,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Connection {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

type BoxRead = Box<dyn AsyncRead + Send + Unpin>;
type BoxWrite = Box<dyn AsyncWrite + Send + Unpin>;

enum Sink {
    Udp {
        sock: Arc<UdpSocket>,
        peer: Arc<Mutex<Option<SocketAddr>>>,
    },
    Stream {
        writer: Option<BoxWrite>,
        replace: mpsc::UnboundedReceiver<BoxWrite>,
    },
    /// The clients of a `tcpin` server.
    Clients(Arc<Mutex<Vec<TcpClient>>>),
}

impl Sink {
    async fn write(&mut self, bytes: &[u8]) -> bool {
        match self {
            Sink::Udp { sock, peer } => {
                let to = peer.lock().ok().and_then(|p| *p);
                match to {
                    Some(to) => sock.send_to(bytes, to).await.is_ok(),
                    None => false,
                }
            }
            Sink::Stream { writer, replace } => {
                while let Ok(w) = replace.try_recv() {
                    *writer = Some(w);
                }
                match writer {
                    Some(w) => {
                        if w.write_all(bytes).await.is_ok() {
                            true
                        } else {
                            *writer = None;
                            false
                        }
                    }
                    None => false,
                }
            }
            Sink::Clients(clients) => {
                let Ok(mut list) = clients.lock() else {
                    return false;
                };
                let mut sent = false;
                list.retain(|c| {
                    let ok = c.offer(bytes);
                    sent |= ok;
                    ok
                });
                sent
            }
        }
    }
}

const RX_QUEUE: usize = 4096;

/// The channels and counters every connection kind is built from.
struct Parts {
    sender: LinkSender,
    out_rx: mpsc::UnboundedReceiver<Outgoing>,
    in_tx: mpsc::Sender<Incoming>,
    in_rx: mpsc::Receiver<Incoming>,
    stats: Arc<Mutex<LinkStats>>,
    /// Sharing the encoder's signing streams.
    decoder: Decoder,
}

impl Connection {
    /// Opens `address` (see [`Address`]). `tcpin` returns at once and accepts clients in the
    /// background; `udpin` replies to the peer chosen by [`ConnectionConfig::udp_peer`].
    pub async fn open(address: &Address, cfg: ConnectionConfig) -> Result<Connection, LinkError> {
        let name = address.to_string();
        let io = |source| LinkError::Io {
            address: name.clone(),
            source,
        };
        match address {
            Address::UdpIn(bind) => {
                let sock = UdpSocket::bind(bind.as_str()).await.map_err(io)?;
                Ok(Self::udp(sock, None, cfg))
            }
            Address::UdpOut(target) => {
                let to = tokio::net::lookup_host(target.as_str())
                    .await
                    .map_err(io)?
                    .next()
                    .ok_or_else(|| LinkError::Resolve {
                        address: name.clone(),
                    })?;
                let any = if to.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" };
                let sock = UdpSocket::bind(any).await.map_err(io)?;
                Ok(Self::udp(sock, Some(to), cfg))
            }
            Address::Tcp(target) => {
                let stream = TcpStream::connect(target.as_str()).await.map_err(io)?;
                let local = stream.local_addr().ok();
                let _ = stream.set_nodelay(true);
                let (r, w) = stream.into_split();
                let mut c = Self::stream(Box::new(r), Box::new(w), cfg, WireClock::Precise);
                c.local_addr = local;
                Ok(c)
            }
            Address::TcpIn(bind) => {
                let listener = TcpListener::bind(bind.as_str()).await.map_err(io)?;
                Ok(Self::tcp_server(listener, cfg))
            }
            Address::Serial { path, baud } => {
                use tokio_serial::SerialPortBuilderExt;
                let port = tokio_serial::new(path.as_str(), *baud)
                    .open_native_async()
                    .map_err(|e| LinkError::Serial {
                        address: name.clone(),
                        message: e.to_string(),
                    })?;
                let (r, w) = tokio::io::split(port);
                Ok(Self::stream(
                    Box::new(r),
                    Box::new(w),
                    cfg,
                    WireClock::Precise,
                ))
            }
        }
    }

    /// Two connected ends in memory (a byte pipe, as a serial cable): for tests and
    /// benchmarks, including under `tokio::time::pause`.
    pub fn pair(a: ConnectionConfig, b: ConnectionConfig) -> (Connection, Connection) {
        let (x, y) = tokio::io::duplex(64 * 1024);
        let (xr, xw) = tokio::io::split(x);
        let (yr, yw) = tokio::io::split(y);
        (
            Self::stream(Box::new(xr), Box::new(xw), a, WireClock::Tokio),
            Self::stream(Box::new(yr), Box::new(yw), b, WireClock::Tokio),
        )
    }

    /// Our MAVLink address.
    pub fn own(&self) -> Ids {
        self.sender.own
    }

    /// The bound local address of socket links (useful with port 0).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.local_addr
    }

    /// A cloneable sender for other tasks.
    pub fn sender(&self) -> LinkSender {
        self.sender.clone()
    }

    /// Queues `message` for sending.
    pub fn send(&self, message: &MavMessage) -> Result<(), LinkError> {
        self.sender.send(message)
    }

    /// The next accepted frame; `None` once the link is closed. Cancel-safe. Authentic
    /// frames the dialect cannot decode are skipped (they are counted as undecodable).
    pub async fn recv(&mut self) -> Option<Received> {
        loop {
            if let Incoming::Message(m) = self.rx.recv().await? {
                return Some(m);
            }
        }
    }

    /// The next accepted frame, or authentic frame the dialect cannot decode (a vehicle
    /// answers those too); `None` once the link is closed. Cancel-safe.
    pub async fn recv_incoming(&mut self) -> Option<Incoming> {
        self.rx.recv().await
    }

    /// Like [`Connection::recv`] but gives up after `timeout` (`None` on timeout too).
    pub async fn recv_timeout(&mut self, timeout: Duration) -> Option<Received> {
        tokio::time::timeout(timeout, self.recv())
            .await
            .ok()
            .flatten()
    }

    /// Counters so far.
    pub fn stats(&self) -> LinkStats {
        self.stats.lock().map(|s| *s).unwrap_or_default()
    }

    fn parts(cfg: &ConnectionConfig) -> Parts {
        let (out_tx, out_rx) = mpsc::unbounded_channel();
        let (in_tx, in_rx) = mpsc::channel(RX_QUEUE);
        let streams = cfg.signing_streams.clone().unwrap_or_default();
        let sender = LinkSender {
            own: cfg.own,
            encoder: Arc::new(Mutex::new(Encoder::with_streams(
                cfg.signing.clone(),
                streams.clone(),
            ))),
            out: out_tx,
        };
        Parts {
            sender,
            out_rx,
            in_tx,
            in_rx,
            stats: Arc::new(Mutex::new(LinkStats::default())),
            decoder: Decoder::with_streams(cfg.accept_mavlink1, cfg.signing.clone(), streams),
        }
    }

    fn udp(sock: UdpSocket, fixed_peer: Option<SocketAddr>, cfg: ConnectionConfig) -> Connection {
        let Parts {
            sender,
            out_rx,
            in_tx,
            in_rx,
            stats,
            decoder: mut dec,
        } = Self::parts(&cfg);
        let local_addr = sock.local_addr().ok();
        let sock = Arc::new(sock);
        let peer = Arc::new(Mutex::new(fixed_peer));
        let learn_peer = fixed_peer.is_none();
        let policy = cfg.udp_peer;
        let reader = {
            let (sock, peer, stats) = (sock.clone(), peer.clone(), stats.clone());
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65_536];
                // The locked peer (the last sender of a valid frame) and when it sent it.
                let mut lock: Option<(SocketAddr, Instant)> = None;
                let lock_held = |lock: Option<(SocketAddr, Instant)>| match policy {
                    UdpPeer::FirstValid { release_after } => {
                        lock.is_some_and(|(_, heard)| heard.elapsed() < release_after)
                    }
                    UdpPeer::LatestValid => lock.is_some(),
                };
                loop {
                    let Ok((n, from)) = sock.recv_from(&mut buf).await else {
                        // ICMP "port unreachable" surfaces as an error on some systems:
                        // keep listening.
                        tokio::task::yield_now().await;
                        continue;
                    };
                    if let (Some((p, heard)), UdpPeer::FirstValid { release_after }) =
                        (lock, policy)
                    {
                        if learn_peer && p != from && heard.elapsed() < release_after {
                            // Not our peer: never decoded, so it cannot disturb anything.
                            if let Ok(mut s) = stats.lock() {
                                s.other_peer_ignored += 1;
                            }
                            continue;
                        }
                    }
                    let signing_refused =
                        |c: &RxCounts| c.bad_signature + c.unsigned_rejected + c.replayed;
                    let (accepted_before, refused_before) =
                        (dec.counts.accepted, signing_refused(&dec.counts));
                    if !feed(&mut dec, &buf[..n], &in_tx, &stats, Some(from)) {
                        return;
                    }
                    // A datagram holds whole frames: drop any partial remainder.
                    dec.end_of_datagram();
                    if !learn_peer {
                        continue;
                    }
                    if dec.counts.accepted > accepted_before {
                        // Only a sender of a valid frame becomes (or stays) the peer; with
                        // FirstValid another sender gets here only once the lock expired.
                        if let Ok(mut p) = peer.lock() {
                            *p = Some(from);
                        }
                        lock = Some((from, Instant::now()));
                    } else if signing_refused(&dec.counts) > refused_before && !lock_held(lock) {
                        // Well-formed frames refused only for signing (unsigned, another key,
                        // or older than our clock): while no valid peer holds the link, the
                        // sender hears us, so it can adopt our timestamp (ours may run ahead)
                        // or tell that its key is wrong or missing. It never gets the lock:
                        // its frames stay refused. Signing authenticates; it never hid
                        // telemetry, which any radio listener hears. Junk gets nothing.
                        if let Ok(mut p) = peer.lock() {
                            *p = Some(from);
                        }
                    }
                }
            })
        };
        let writer = tokio::spawn(write_loop(
            out_rx,
            Sink::Udp { sock, peer },
            cfg.impairment,
            stats.clone(),
            WireClock::Precise,
        ));
        Connection {
            sender,
            rx: in_rx,
            stats,
            local_addr,
            tasks: vec![reader, writer],
        }
    }

    fn stream(r: BoxRead, w: BoxWrite, cfg: ConnectionConfig, clock: WireClock) -> Connection {
        let Parts {
            sender,
            out_rx,
            in_tx,
            in_rx,
            stats,
            decoder: mut dec,
        } = Self::parts(&cfg);
        let (_replace_tx, replace_rx) = mpsc::unbounded_channel();
        let reader = {
            let stats = stats.clone();
            tokio::spawn(async move {
                read_stream(r, &mut dec, &in_tx, &stats).await;
            })
        };
        let writer = tokio::spawn(write_loop(
            out_rx,
            Sink::Stream {
                writer: Some(w),
                replace: replace_rx,
            },
            cfg.impairment,
            stats.clone(),
            clock,
        ));
        Connection {
            sender,
            rx: in_rx,
            stats,
            local_addr: None,
            tasks: vec![reader, writer],
        }
    }

    /// A `tcpin` server: every client is served at once (each read by its own task, each
    /// written through its own queue), so a silent or slow client never holds up another.
    /// Outgoing frames go to every client; a client with more than
    /// [`TCP_CLIENT_QUEUE_BYTES`] queued (it does not read) is dropped with a warning.
    fn tcp_server(listener: TcpListener, cfg: ConnectionConfig) -> Connection {
        let Parts {
            sender,
            out_rx,
            in_tx,
            in_rx,
            stats,
            decoder: dec,
        } = Self::parts(&cfg);
        let local_addr = listener.local_addr().ok();
        let clients: Arc<Mutex<Vec<TcpClient>>> = Arc::default();
        let acceptor = {
            let (stats, clients) = (stats.clone(), clients.clone());
            // One decoder for all clients (each keeps its own partial frame): counters and
            // signing replay state are the link's, so a replayed frame on another TCP
            // connection is still a replay.
            let dec = Arc::new(Mutex::new(dec));
            tokio::spawn(async move {
                while let Ok((stream, peer)) = listener.accept().await {
                    let _ = stream.set_nodelay(true);
                    let (r, w) = stream.into_split();
                    let (queue, queue_rx) = mpsc::unbounded_channel::<Vec<u8>>();
                    let queued = Arc::new(AtomicUsize::new(0));
                    let gone = Arc::new(AtomicBool::new(false));
                    let writer = tokio::spawn(client_writer(w, queue_rx, queued.clone()));
                    let reader = tokio::spawn(client_reader(
                        r,
                        peer,
                        dec.clone(),
                        in_tx.clone(),
                        stats.clone(),
                        gone.clone(),
                    ));
                    if let Ok(mut list) = clients.lock() {
                        list.push(TcpClient {
                            peer,
                            queue,
                            queued,
                            gone,
                            tasks: [reader.abort_handle(), writer.abort_handle()],
                        });
                    }
                }
            })
        };
        let writer = tokio::spawn(write_loop(
            out_rx,
            Sink::Clients(clients),
            cfg.impairment,
            stats.clone(),
            WireClock::Precise,
        ));
        Connection {
            sender,
            rx: in_rx,
            stats,
            local_addr,
            tasks: vec![acceptor, writer],
        }
    }
}

/// Bytes that may wait to be sent to one `tcpin` client; past this the client is dropped as
/// not reading. About 30 s of the sim's full telemetry (some 30 KiB/s), far more than a
/// client that reads ever has waiting; so a client that never reads costs at most this.
pub const TCP_CLIENT_QUEUE_BYTES: usize = 1 << 20;

/// One client of a `tcpin` server.
struct TcpClient {
    peer: SocketAddr,
    queue: mpsc::UnboundedSender<Vec<u8>>,
    /// Bytes in `queue` not yet written to the socket.
    queued: Arc<AtomicUsize>,
    /// Set when the client closed its side or its socket failed.
    gone: Arc<AtomicBool>,
    tasks: [tokio::task::AbortHandle; 2],
}

impl Drop for TcpClient {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl TcpClient {
    /// Queues `bytes`; `false` when the client is gone or has been dropped for not reading.
    fn offer(&self, bytes: &[u8]) -> bool {
        if self.gone.load(Ordering::Relaxed) || self.queue.is_closed() {
            return false;
        }
        let queued = self.queued.load(Ordering::Relaxed);
        if queued + bytes.len() > TCP_CLIENT_QUEUE_BYTES {
            tracing::warn!(
                peer = %self.peer,
                queued_bytes = queued,
                limit_bytes = TCP_CLIENT_QUEUE_BYTES,
                "tcpin: dropping a client that does not read what is sent to it"
            );
            return false;
        }
        self.queued.fetch_add(bytes.len(), Ordering::Relaxed);
        self.queue.send(bytes.to_vec()).is_ok()
    }
}

/// Reads one `tcpin` client through the server's shared decoder until it closes.
async fn client_reader(
    mut r: tokio::net::tcp::OwnedReadHalf,
    peer: SocketAddr,
    dec: Arc<Mutex<Decoder>>,
    to: mpsc::Sender<Incoming>,
    stats: Arc<Mutex<LinkStats>>,
    gone: Arc<AtomicBool>,
) {
    let mut partial = Vec::new();
    let mut buf = vec![0u8; 4096];
    loop {
        let n = match r.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let open = match dec.lock() {
            Ok(mut dec) => {
                dec.swap_buffer(&mut partial);
                let open = feed(&mut dec, &buf[..n], &to, &stats, Some(peer));
                dec.swap_buffer(&mut partial);
                open
            }
            Err(_) => false,
        };
        if !open {
            break;
        }
    }
    gone.store(true, Ordering::Relaxed);
}

/// Writes one `tcpin` client's queue until the socket fails or the client is dropped.
async fn client_writer(
    mut w: tokio::net::tcp::OwnedWriteHalf,
    mut queue: mpsc::UnboundedReceiver<Vec<u8>>,
    queued: Arc<AtomicUsize>,
) {
    while let Some(bytes) = queue.recv().await {
        let ok = w.write_all(&bytes).await.is_ok();
        queued.fetch_sub(bytes.len(), Ordering::Relaxed);
        if !ok {
            return;
        }
    }
}

/// Decodes bytes and forwards frames; `false` once the receiving side is gone.
fn feed(
    dec: &mut Decoder,
    bytes: &[u8],
    to: &mpsc::Sender<Incoming>,
    stats: &Arc<Mutex<LinkStats>>,
    from: Option<SocketAddr>,
) -> bool {
    dec.observe_time(signing_time_now());
    let signing_rejects = |c: &RxCounts| c.bad_signature + c.unsigned_rejected + c.replayed;
    let rejected_before = signing_rejects(&dec.counts);
    dec.push(bytes);
    let mut overflow = 0;
    let mut open = true;
    while let Some(frame) = dec.next_incoming() {
        match to.try_send(frame) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => overflow += 1,
            Err(mpsc::error::TrySendError::Closed(_)) => open = false,
        }
    }
    if let Ok(mut s) = stats.lock() {
        s.rx = dec.counts;
        s.rx_queue_overflow += overflow;
        if signing_rejects(&dec.counts) > rejected_before && from.is_some() {
            s.signing_rejected_from = from;
        }
    }
    open
}

/// Reads a byte stream until EOF or error; `false` if the receiver is gone.
async fn read_stream(
    mut r: BoxRead,
    dec: &mut Decoder,
    to: &mpsc::Sender<Incoming>,
    stats: &Arc<Mutex<LinkStats>>,
) -> bool {
    let mut buf = vec![0u8; 4096];
    loop {
        match r.read(&mut buf).await {
            Ok(0) | Err(_) => return !to.is_closed(),
            Ok(n) => {
                if !feed(dec, &buf[..n], to, stats, None) {
                    return false;
                }
            }
        }
    }
}

/// Which clock times an impaired link's wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WireClock {
    /// tokio's timer: follows `tokio::time::pause` (in-memory pairs in virtual-time tests),
    /// but fires only on whole milliseconds.
    Tokio,
    /// A thread of the link's own sleeping to the microsecond: a tokio timer per frame would
    /// deliver each frame up to 1-2 ms late, and in a stop-and-wait exchange that lateness
    /// adds up once per hop (measured: 2.4 ms per mission item at 57 600 baud, a third of
    /// the byte time). Socket and serial links.
    Precise,
}

async fn write_loop(
    mut out: mpsc::UnboundedReceiver<Outgoing>,
    mut sink: Sink,
    impairment: Option<Impairment>,
    stats: Arc<Mutex<LinkStats>>,
    clock: WireClock,
) {
    let Some(impairment) = impairment else {
        while let Some(o) = out.recv().await {
            write_counted(&mut sink, &o.bytes, &stats).await;
        }
        return;
    };
    let mut wire = Wire::new(impairment);
    if clock == WireClock::Precise {
        let (to_wire, wire_in) = std::sync::mpsc::channel::<Outgoing>();
        let (wire_out, mut arrived) = mpsc::unbounded_channel::<Vec<u8>>();
        let thread_stats = stats.clone();
        let spawned = std::thread::Builder::new()
            .name("qly-link-wire".into())
            .spawn(move || run_wire(wire, wire_in, wire_out, thread_stats));
        if spawned.is_ok() {
            loop {
                tokio::select! {
                    m = out.recv() => {
                        // Dropping `to_wire` (link closed, or this task aborted) ends the
                        // thread.
                        let Some(o) = m else { return };
                        if to_wire.send(o).is_err() {
                            return;
                        }
                    }
                    a = arrived.recv() => {
                        let Some(bytes) = a else { return };
                        write_counted(&mut sink, &bytes, &stats).await;
                    }
                }
            }
        }
        // No thread to be had: fall back to tokio's timer (less precise, still correct).
        tracing::warn!("link emulation: no wire thread, timing frames with tokio's timer");
        wire = Wire::new(impairment);
    }
    let start = Instant::now();
    loop {
        let next = wire.next_event().map(|t| start + t);
        tokio::select! {
            m = out.recv() => {
                let Some(o) = m else { return };
                wire.offer(start.elapsed(), o.bytes, o.urgent);
                if let Ok(mut s) = stats.lock() {
                    s.impair_dropped = wire.dropped();
                    s.impair_duplicated = wire.duplicated();
                }
            }
            _ = async { if let Some(t) = next { tokio::time::sleep_until(t).await } }, if next.is_some() => {}
        }
        for bytes in wire.arrived(start.elapsed()) {
            write_counted(&mut sink, &bytes, &stats).await;
        }
    }
}

/// The wire thread of a [`WireClock::Precise`] link: takes frames from `input`, hands each
/// to `output` when it arrives; ends when either side is gone.
fn run_wire(
    mut wire: Wire,
    input: std::sync::mpsc::Receiver<Outgoing>,
    output: mpsc::UnboundedSender<Vec<u8>>,
    stats: Arc<Mutex<LinkStats>>,
) {
    use std::sync::mpsc::RecvTimeoutError;
    let start = std::time::Instant::now();
    loop {
        for bytes in wire.arrived(start.elapsed()) {
            if output.send(bytes).is_err() {
                return;
            }
        }
        let got = match wire.next_event() {
            Some(t) => input.recv_timeout(t.saturating_sub(start.elapsed())),
            None => input.recv().map_err(|_| RecvTimeoutError::Disconnected),
        };
        match got {
            Ok(o) => {
                wire.offer(start.elapsed(), o.bytes, o.urgent);
                if let Ok(mut s) = stats.lock() {
                    s.impair_dropped = wire.dropped();
                    s.impair_duplicated = wire.duplicated();
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

async fn write_counted(sink: &mut Sink, bytes: &[u8], stats: &Arc<Mutex<LinkStats>>) {
    let ok = sink.write(bytes).await;
    if let Ok(mut s) = stats.lock() {
        if ok {
            s.frames_sent += 1;
            s.bytes_sent += bytes.len() as u64;
        } else {
            s.unsendable += 1;
        }
    }
}
