//! The server's connections: idle and half-sent ones are closed, keep-alive works within the
//! idle timeout, and one over the cap is answered 503 while the server keeps serving. Before
//! these limits, every one of these connections stayed open for as long as the client liked.

use std::time::Duration;

use folio_testkit::{Backend, TestApp};
use folio_web::connections::ConnectionLimits;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Generous next to the timeouts below, so a busy machine can't make a test fail.
const CLOSED_WITHIN: Duration = Duration::from_secs(15);

async fn app_with(limits: ConnectionLimits) -> TestApp {
    TestApp::spawn_with(Backend::Sqlite, |config| config.connections = limits)
        .await
        .unwrap()
}

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.base_url().trim_start_matches("http://"))
        .await
        .unwrap()
}

/// Reads until the server closes the connection; what it sent, or `None` if it stayed open.
async fn read_until_closed(stream: &mut TcpStream, within: Duration) -> Option<String> {
    let mut received = Vec::new();
    let read = tokio::time::timeout(within, stream.read_to_end(&mut received)).await;
    match read {
        Ok(_) => Some(String::from_utf8_lossy(&received).into_owned()),
        Err(_) => None,
    }
}

const HEALTH: &str = "GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_and_half_sent_connections_are_closed() {
    let app = app_with(ConnectionLimits {
        idle_timeout: Duration::from_secs(1),
        header_read_timeout: Duration::from_secs(1),
        ..ConnectionLimits::default()
    })
    .await;
    // Connected, nothing sent.
    let mut silent = connect(&app).await;
    // Half a request head.
    let mut half = connect(&app).await;
    half.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n")
        .await
        .unwrap();
    // A whole request, then the connection kept alive and left idle.
    let mut kept = connect(&app).await;
    kept.write_all(HEALTH.as_bytes()).await.unwrap();

    assert_eq!(
        read_until_closed(&mut silent, CLOSED_WITHIN).await.as_deref(),
        Some("")
    );
    assert_eq!(
        read_until_closed(&mut half, CLOSED_WITHIN).await.as_deref(),
        Some("")
    );
    let answer = read_until_closed(&mut kept, CLOSED_WITHIN)
        .await
        .expect("closed when idle");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    app.finish().await;
}

/// A head sent a byte at a time keeps the connection busy, never idle: the header-read timeout
/// ends it all the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_head_that_trickles_in_is_cut_off() {
    let app = app_with(ConnectionLimits {
        idle_timeout: Duration::from_secs(600),
        header_read_timeout: Duration::from_secs(1),
        ..ConnectionLimits::default()
    })
    .await;
    let mut slow = connect(&app).await;
    let trickle = async {
        for byte in b"GET /healthz HTTP/1.1\r\nx-slow: "
            .iter()
            .chain(b"a".repeat(10_000).iter())
        {
            if slow.write_all(&[*byte]).await.is_err() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    };
    let cut_off = tokio::time::timeout(CLOSED_WITHIN, trickle).await;
    assert_eq!(cut_off, Ok(true), "the server kept reading the head");
    app.finish().await;
}

/// Requests one after another on one connection, each within the idle timeout, keep it open
/// for longer than the timeout itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_alive_lasts_while_requests_come() {
    let app = app_with(ConnectionLimits {
        idle_timeout: Duration::from_secs(2),
        header_read_timeout: Duration::from_secs(2),
        ..ConnectionLimits::default()
    })
    .await;
    let mut stream = connect(&app).await;
    for _ in 0..6 {
        stream.write_all(HEALTH.as_bytes()).await.unwrap();
        let mut buffer = [0_u8; 1024];
        let read = tokio::time::timeout(CLOSED_WITHIN, stream.read(&mut buffer)).await;
        let answer = String::from_utf8_lossy(&buffer[..read.unwrap().unwrap()]).into_owned();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        tokio::time::sleep(Duration::from_millis(700)).await;
    }
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_the_cap_is_a_503_and_the_server_keeps_serving() {
    let app = app_with(ConnectionLimits {
        max_connections: 3,
        ..ConnectionLimits::default()
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(connect(&app).await);
    }
    // The three are accepted (and hold their places) before the next one arrives.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut over = connect(&app).await;
    let answer = read_until_closed(&mut over, CLOSED_WITHIN)
        .await
        .expect("answered and closed");
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );

    // One held connection is still served.
    held[0].write_all(HEALTH.as_bytes()).await.unwrap();
    let mut buffer = [0_u8; 1024];
    let read = held[0].read(&mut buffer).await.unwrap();
    assert!(buffer[..read].starts_with(b"HTTP/1.1 200"));
    // When they go, new connections are served again.
    drop(held);
    let mut served = false;
    for _ in 0..50 {
        let mut stream = connect(&app).await;
        let request = "GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n";
        stream.write_all(request.as_bytes()).await.unwrap();
        let answer = read_until_closed(&mut stream, CLOSED_WITHIN)
            .await
            .unwrap_or_default();
        if answer.starts_with("HTTP/1.1 200") {
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(served, "/healthz answered again once the held connections closed");
    app.finish().await;
}
