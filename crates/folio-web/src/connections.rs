//! The HTTP server's connections: how many may be open, and how long one may sit without sending
//! a request. `axum::serve` has neither, so a client could hold connections open for ever (no
//! bytes, half a request head, an idle keep-alive) until the process ran out of file
//! descriptors and stopped answering everyone, its health checks too.
//!
//! - **Idle timeout**: a connection waiting for a request (new, or kept alive after a response)
//!   is closed when no request head starts within `idle_timeout`. Behind a load balancer it must
//!   be longer than the balancer's own idle timeout (60 s on an ALB), so the balancer is always
//!   the side that closes an idle connection and never sends a request into one being closed.
//! - **Header-read timeout**: once a request head has started, all of it must arrive within
//!   `header_read_timeout` (a slow-headers client). The body and the handler are bounded by the
//!   request timeout (`FOLIO_REQUEST_TIMEOUT_SECS`) instead.
//! - **Connection cap**: at most `max_connections` at once; one more is answered `503` with
//!   `Connection: close` at once, so it costs a file descriptor for a moment only.
//!
//! Running out of file descriptors anyway (other files, a low limit) no longer stops the accept
//! loop: it waits a moment and goes on, so the instance serves again as soon as some close.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use axum::response::Response;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::Instant;
use tower::ServiceExt;

/// The limits on connections (`FOLIO_IDLE_TIMEOUT_SECS`, `FOLIO_HEADER_READ_TIMEOUT_SECS`,
/// `FOLIO_MAX_CONNECTIONS`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionLimits {
    pub idle_timeout: Duration,
    pub header_read_timeout: Duration,
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            idle_timeout: Duration::from_secs(75),
            header_read_timeout: Duration::from_secs(10),
            max_connections: 10_000,
        }
    }
}

/// What a connection over the cap is told before it is closed.
const OVER_CAPACITY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\n\
retry-after: 1\r\nconnection: close\r\ncontent-length: 49\r\n\r\nThis server is at its connection limit; retry.\r\n";

/// Serves `router` on `listener` until `shutdown` resolves. Then stops accepting, asks each
/// connection to close after the request it is serving (idle ones close at once), and returns
/// when every connection has closed.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) {
    let limits = ConnectionLimits {
        max_connections: cap_within_open_file_limit(limits.max_connections),
        ..limits
    };
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let (stop, stopping) = watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    let mut accept_errors = QuietLog::new(Duration::from_secs(5));
    let mut refusals = QuietLog::new(Duration::from_secs(10));
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(err) => {
                accept_failed(&err, &mut accept_errors).await;
                continue;
            }
        };
        match Arc::clone(&permits).try_acquire_owned() {
            Ok(permit) => {
                let connection = Connection {
                    router: router.clone(),
                    peer,
                    limits,
                    stopping: stopping.clone(),
                    _permit: permit,
                };
                tokio::spawn(connection.run(stream));
            }
            Err(_) => {
                crate::metrics::connection_refused();
                if refusals.due() {
                    tracing::warn!(
                        max_connections = limits.max_connections,
                        "connection limit reached: new connections are answered 503"
                    );
                }
                tokio::spawn(refuse(stream));
            }
        }
    }
    drop(listener);
    let _ = stop.send(true);
    // Each open connection holds a permit: all of them back means all closed.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let _closed = permits.acquire_many(all).await;
}

/// File descriptors kept for everything but client connections: the database pool, Redis, S3
/// and SMTP connections, files being read or written.
const DESCRIPTORS_KEPT: u64 = 512;

/// The connection cap, within what the process may open: raises the soft open-file limit to
/// the hard one (as Go and nginx do), and lowers the cap, with a warning, if even that leaves too
/// few descriptors for it.
fn cap_within_open_file_limit(configured: usize) -> usize {
    let limit = match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => limit,
        Err(err) => {
            tracing::warn!(error = %err, "could not read or raise the open-file limit");
            return configured;
        }
    };
    let room = usize::try_from(limit.saturating_sub(DESCRIPTORS_KEPT).max(1)).unwrap_or(usize::MAX);
    if configured > room {
        tracing::warn!(
            configured,
            open_file_limit = limit,
            max_connections = room,
            "FOLIO_MAX_CONNECTIONS is above what the open-file limit allows; using the lower figure"
        );
        return room;
    }
    configured
}

/// A failed accept. Most are about one connection (reset before it was accepted) and are
/// skipped; out of file descriptors, the loop waits a moment for some to close, and goes on.
async fn accept_failed(err: &io::Error, log: &mut QuietLog) {
    use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset, Interrupted};
    if matches!(
        err.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset | Interrupted
    ) {
        return;
    }
    if log.due() {
        tracing::error!(error = %err, "accept failed (out of file descriptors?); still accepting");
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
}

/// Answers a connection over the cap, then closes it; never waits long on the client.
async fn refuse(mut stream: TcpStream) {
    let answer = async {
        // The request's first bytes first: a client answered before it has sent anything
        // reports a broken connection rather than the 503.
        let mut head = [0_u8; 1024];
        let _ = tokio::time::timeout(Duration::from_millis(500), stream.read(&mut head)).await;
        stream.write_all(OVER_CAPACITY).await?;
        stream.shutdown().await
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), answer).await;
}

/// One accepted connection and what it needs to be served.
struct Connection {
    router: Router,
    peer: SocketAddr,
    limits: ConnectionLimits,
    stopping: watch::Receiver<bool>,
    /// Returned to the cap when the connection ends.
    _permit: OwnedSemaphorePermit,
}

impl Connection {
    async fn run(mut self, stream: TcpStream) {
        let clock = Arc::new(Clock::new());
        let io = TokioIo::new(Watched {
            stream,
            clock: Arc::clone(&clock),
        });
        // The router for this connection: it knows the peer (`ConnectInfo`), and tells the
        // clock when a request starts and when its response has been sent (its body dropped).
        let (started, sent, peer) = (Arc::clone(&clock), Arc::clone(&clock), self.peer);
        let router = self
            .router
            .map_request(move |mut request: Request<Incoming>| {
                started.request_started();
                request.extensions_mut().insert(ConnectInfo(peer));
                request
            })
            .map_response(move |response: Response| {
                let guard = ResponseSent(Arc::clone(&sent));
                response.map(|body| Body::new(GuardedBody { body, _guard: guard }))
            });
        let service = TowerToHyperService::new(router);
        let connection = hyper::server::conn::http1::Builder::new()
            .serve_connection(io, service)
            .with_upgrades();
        let mut connection = std::pin::pin!(connection);
        let mut closing = false;
        loop {
            tokio::select! {
                _ = connection.as_mut() => return,
                reason = clock.expired(self.limits) => {
                    // Both timeouts fire only while no request is being served, so dropping
                    // the connection never cuts a response (and hyper's graceful shutdown
                    // would wait for the rest of a half-sent head).
                    tracing::debug!(peer = %self.peer, reason, "connection closed");
                    return;
                }
                _ = self.stopping.wait_for(|stop| *stop), if !closing => {
                    connection.as_mut().graceful_shutdown();
                    closing = true;
                }
            }
        }
    }
}

/// Where a connection stands, for its timeouts.
#[derive(Clone, Copy, Debug)]
enum Phase {
    /// Waiting for a request since `since`; `head_started` once its first bytes arrived.
    Waiting {
        since: Instant,
        head_started: Option<Instant>,
    },
    /// Serving this many requests (their responses not yet sent).
    Serving(usize),
}

/// A connection's phase, moved on by its reads and its requests; `changed` wakes the watcher.
#[derive(Debug)]
struct Clock {
    phase: Mutex<Phase>,
    changed: Notify,
}

impl Clock {
    fn new() -> Self {
        Self {
            phase: Mutex::new(Phase::Waiting {
                since: Instant::now(),
                head_started: None,
            }),
            changed: Notify::new(),
        }
    }

    fn update(&self, change: impl FnOnce(&mut Phase)) {
        change(&mut self.phase.lock().unwrap_or_else(PoisonError::into_inner));
        self.changed.notify_one();
    }

    fn phase(&self) -> Phase {
        *self.phase.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Bytes arrived: while waiting, the first ones start a request head.
    fn bytes_read(&self) {
        if let Phase::Waiting {
            head_started: None, ..
        } = self.phase()
        {
            self.update(|phase| {
                if let Phase::Waiting { head_started, .. } = phase {
                    head_started.get_or_insert_with(Instant::now);
                }
            });
        }
    }

    fn request_started(&self) {
        self.update(|phase| {
            *phase = match *phase {
                Phase::Waiting { .. } => Phase::Serving(1),
                Phase::Serving(n) => Phase::Serving(n + 1),
            }
        });
    }

    fn response_sent(&self) {
        self.update(|phase| {
            *phase = match *phase {
                Phase::Serving(n) if n > 1 => Phase::Serving(n - 1),
                _ => Phase::Waiting {
                    since: Instant::now(),
                    head_started: None,
                },
            }
        });
    }

    /// Resolves when a timeout has passed, with its name.
    async fn expired(&self, limits: ConnectionLimits) -> &'static str {
        loop {
            let changed = self.changed.notified();
            let deadline = match self.phase() {
                Phase::Waiting {
                    head_started: Some(started),
                    ..
                } => Some((started + limits.header_read_timeout, "header read timeout")),
                Phase::Waiting { since, .. } => Some((since + limits.idle_timeout, "idle timeout")),
                Phase::Serving(_) => None,
            };
            match deadline {
                Some((at, reason)) => tokio::select! {
                    () = tokio::time::sleep_until(at) => return reason,
                    () = changed => {}
                },
                None => changed.await,
            }
        }
    }
}

/// The TCP stream, telling the clock when bytes arrive.
struct Watched {
    stream: TcpStream,
    clock: Arc<Clock>,
}

impl AsyncRead for Watched {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            this.clock.bytes_read();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

/// Tells the clock a response has been sent when the server drops its body.
struct ResponseSent(Arc<Clock>);

impl Drop for ResponseSent {
    fn drop(&mut self) {
        self.0.response_sent();
    }
}

/// A response body carrying its [`ResponseSent`].
struct GuardedBody {
    body: Body,
    _guard: ResponseSent,
}

impl http_body::Body for GuardedBody {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

/// Logs a repeated event at most once per `every`.
struct QuietLog {
    every: Duration,
    last: Option<Instant>,
}

impl QuietLog {
    fn new(every: Duration) -> Self {
        Self { every, last: None }
    }

    fn due(&mut self) -> bool {
        let now = Instant::now();
        let due = self.last.is_none_or(|last| now - last >= self.every);
        if due {
            self.last = Some(now);
        }
        due
    }
}
