//! Loopback ports for peers that must be told a port before they start. Bound and released:
//! another process could take the port in between, which is rare enough for tests.

use std::net::{TcpListener, UdpSocket};

/// A loopback UDP port that was free a moment ago.
pub fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("local addr")
        .port()
}

/// A loopback TCP port that was free a moment ago.
pub fn free_tcp_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("local addr")
        .port()
}
