//! The `tcpin` server with several clients: a silent client does not stop another from being
//! served, and a client that never reads is dropped once its queue passes
//! `TCP_CLIENT_QUEUE_BYTES`, instead of costing memory without bound.

use std::time::Duration;

use qly_core::protocol::Ids;
use qly_link::connection::TCP_CLIENT_QUEUE_BYTES;
use qly_link::dialect::{MavMessage, STATUSTEXT_DATA};
use qly_link::heartbeat::copter_heartbeat;
use qly_link::{Address, Connection, ConnectionConfig};
use tokio::io::AsyncReadExt;

const GCS: Ids = Ids::new(255, 190);
const VEHICLE: Ids = Ids::new(1, 1);

async fn server() -> (Connection, u16) {
    let c = Connection::open(
        &"tcpin:127.0.0.1:0".parse().unwrap(),
        ConnectionConfig::new(VEHICLE),
    )
    .await
    .unwrap();
    let port = c.local_addr().unwrap().port();
    (c, port)
}

async fn client(port: u16, own: Ids) -> Connection {
    let addr: Address = format!("tcp:127.0.0.1:{port}").parse().unwrap();
    Connection::open(&addr, ConnectionConfig::new(own))
        .await
        .unwrap()
}

fn text(s: &str) -> MavMessage {
    MavMessage::STATUSTEXT(STATUSTEXT_DATA {
        text: s.into(),
        ..Default::default()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_client_does_not_stop_a_second_one_being_served() {
    let (mut vehicle, port) = server().await;
    // The first client connects and then says and reads nothing.
    let _silent = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut gcs = client(port, GCS).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    // The server reads the second client...
    gcs.send(&MavMessage::HEARTBEAT(copter_heartbeat()))
        .unwrap();
    let rx = vehicle
        .recv_timeout(Duration::from_secs(5))
        .await
        .expect("the second client's frame reaches the server");
    assert_eq!(rx.header.system_id, 255);
    // ... and writes to it.
    vehicle.send(&text("to every client")).unwrap();
    let rx = gcs
        .recv_timeout(Duration::from_secs(5))
        .await
        .expect("the server's frame reaches the second client");
    assert!(matches!(rx.message, MavMessage::STATUSTEXT(_)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_is_dropped_and_the_others_get_everything() {
    let (vehicle, port) = server().await;
    // A small receive window, so the kernel's buffers take little of what is sent.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut deaf = socket.connect(([127, 0, 0, 1], port).into()).await.unwrap();
    let mut gcs = client(port, GCS).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    // STATUSTEXT frames of about 60 bytes, 16 MiB in all: more than the queue bound plus
    // what the kernel buffers for a socket (the server's send buffer grows to 4 MiB).
    let frames = 16 * TCP_CLIENT_QUEUE_BYTES / 60;
    let frames = frames - frames % 500;
    // Sent in batches the reading client takes before the next: it is never far behind
    // (as a client reading a telemetry stream), while the deaf client falls behind by all.
    let batch = 500;
    let mut received = 0;
    for b in 0..frames / batch {
        for i in 0..batch {
            vehicle
                .send(&text(&format!("frame {}", b * batch + i)))
                .unwrap();
        }
        for _ in 0..batch {
            if gcs.recv_timeout(Duration::from_secs(10)).await.is_some() {
                received += 1;
            }
        }
        assert_eq!(
            received,
            (b + 1) * batch,
            "the reading client gets every frame"
        );
    }
    let bytes_sent = vehicle.stats().bytes_sent;
    // The deaf client now reads: what the server had queued for it, then the end of the
    // stream, because it was dropped.
    let mut got = 0usize;
    let mut buf = vec![0u8; 64 * 1024];
    let end = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match deaf.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got += n,
            }
        }
    })
    .await;
    assert!(
        end.is_ok(),
        "the deaf client's connection was closed (it read {got} of {bytes_sent} bytes)"
    );
    assert!(
        (got as u64) < bytes_sent / 2,
        "the deaf client got {got} of {bytes_sent} bytes: it was dropped early"
    );
}
