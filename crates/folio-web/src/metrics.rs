//! Prometheus metrics on a listener of their own (`FOLIO_METRICS_LISTEN`), never on the public
//! port: the figures describe the deployment (traffic, queue, pool) and are for the platform's
//! scraper, not for visitors.
//!
//! The `metrics` macros record into one process-wide recorder, installed the first time a
//! listener starts ([`handle`]); until then (and in processes without a listener) they cost
//! next to nothing. Counters and histograms are recorded where things happen (the request
//! layer here, the worker and mailer in `folio-jobs`, the page cache); gauges of state kept
//! elsewhere (the pool, the jobs table) are sampled by tasks this module starts with the
//! listener. The metric names are a contract with the CloudWatch alarms and autoscaling in
//! `deploy/terraform`: docs/ARCHITECTURE.md lists them; do not rename one without them.

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use folio_db::DatabaseConnection;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// Requests answered, by `method`, `route` (the route template) and `status`.
pub const HTTP_REQUESTS: &str = "folio_http_requests_total";
/// Time from the request reaching the router to its response head, by `method` and `route`.
pub const HTTP_DURATION: &str = "folio_http_request_duration_seconds";
/// The `route` label of a request no route matched (the 404 fallback): the raw path would let
/// anyone create label values without bound.
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// Connections refused because the server was at `FOLIO_MAX_CONNECTIONS` (answered 503).
pub const CONNECTIONS_REFUSED: &str = "folio_connections_refused_total";

/// A page or a form post takes milliseconds; the request timeout is 30 s by default.
const HTTP_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// A sent email takes tens of milliseconds, a batch of notifications or an image's renditions
/// seconds to minutes.
const JOB_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
];

/// How often the pool's gauges are read (they are also read at every scrape).
const POOL_SAMPLE_EVERY: Duration = Duration::from_secs(5);
/// How often the jobs table is counted: one grouped count and one `MIN`, per process.
const JOBS_SAMPLE_EVERY: Duration = Duration::from_secs(10);

/// The process's recorder, installed on first use. Tests start many apps in one process, and
/// a second install would fail, so every listener shares this one.
static HANDLE: OnceLock<Result<PrometheusHandle, String>> = OnceLock::new();

/// The process-wide Prometheus recorder, installing it the first time.
pub fn handle() -> anyhow::Result<PrometheusHandle> {
    HANDLE
        .get_or_init(|| install().map_err(|err| err.to_string()))
        .clone()
        .map_err(|err| anyhow::anyhow!("FOLIO_METRICS_LISTEN: could not install the metrics recorder: {err}"))
}

fn install() -> Result<PrometheusHandle, metrics_exporter_prometheus::BuildError> {
    // Explicit buckets make these render as Prometheus histograms (the default is a summary,
    // which can't be aggregated across instances).
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full(HTTP_DURATION.to_owned()), HTTP_BUCKETS)?
        .set_buckets_for_metric(
            Matcher::Full(folio_jobs::metrics::JOB_DURATION.to_owned()),
            JOB_BUCKETS,
        )?
        .install_recorder()?;
    // A counter appears at its first increment; these start at 0 so that an alarm or a rate
    // on them has data from the first scrape rather than "missing".
    for outcome in ["sent", "failed", "suppressed"] {
        metrics::counter!(folio_jobs::metrics::EMAILS, "outcome" => outcome).increment(0);
    }
    for result in ["hit", "miss"] {
        metrics::counter!("folio_page_cache_total", "result" => result).increment(0);
    }
    metrics::counter!(CONNECTIONS_REFUSED).increment(0);
    Ok(handle)
}

/// Counts a connection refused at the connection cap.
pub fn connection_refused() {
    metrics::counter!(CONNECTIONS_REFUSED).increment(1);
}

/// Axum middleware recording every response in [`HTTP_REQUESTS`] and [`HTTP_DURATION`]. Added
/// with `Router::layer`, which wraps each route and the fallback after routing, so the
/// request already carries its [`MatchedPath`].
pub async fn track_requests(request: Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    let method = method_label(request.method());
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| UNMATCHED_ROUTE.to_owned(), |path| path.as_str().to_owned());
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::histogram!(HTTP_DURATION, "method" => method, "route" => route.clone())
        .record(started.elapsed().as_secs_f64());
    metrics::counter!(HTTP_REQUESTS, "method" => method, "route" => route, "status" => status).increment(1);
    response
}

/// The method as a label; anything outside the standard set is `other`, so a client can't
/// invent label values.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// The metrics listener and its samplers; dropping it stops them all.
#[derive(Debug)]
pub struct MetricsServer {
    local_addr: SocketAddr,
    tasks: Vec<JoinHandle<()>>,
}

impl MetricsServer {
    /// Binds `addr` (failing with the variable's name) and serves `GET /metrics` there, with
    /// the pool and jobs gauges of `db` sampled in the background.
    pub async fn start(addr: SocketAddr, db: DatabaseConnection) -> anyhow::Result<Self> {
        let handle = handle()?;
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("FOLIO_METRICS_LISTEN: could not listen on {addr}"))?;
        let local_addr = listener.local_addr()?;
        let router = Router::new().route("/metrics", get(render)).with_state(Scrape {
            handle: handle.clone(),
            db: db.clone(),
        });
        let server = tokio::spawn(async move {
            if let Err(err) = axum::serve(listener, router).await {
                tracing::error!(error = %err, "the metrics listener stopped");
            }
        });
        let tasks = vec![
            server,
            tokio::spawn(sample_pool(db.clone(), handle)),
            tokio::spawn(sample_jobs(db)),
        ];
        tracing::info!(address = %local_addr, "metrics on http://{local_addr}/metrics");
        Ok(Self { local_addr, tasks })
    }

    /// The bound address (the real port when port 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

#[derive(Clone)]
struct Scrape {
    handle: PrometheusHandle,
    db: DatabaseConnection,
}

/// The Prometheus text format; the pool is read now, so its gauges are never stale.
async fn render(State(scrape): State<Scrape>) -> impl IntoResponse {
    record_pool(&scrape.db);
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        scrape.handle.render(),
    )
}

fn record_pool(db: &DatabaseConnection) {
    let Some(stats) = folio_db::pool_stats(db) else {
        return;
    };
    metrics::gauge!("folio_db_pool_connections", "state" => "in_use").set(stats.in_use);
    metrics::gauge!("folio_db_pool_connections", "state" => "idle").set(stats.idle);
    metrics::gauge!("folio_db_pool_max_connections").set(stats.max);
}

/// Samples the pool, and runs the recorder's upkeep (it drains histogram samples kept per
/// thread; without it they would pile up between scrapes).
async fn sample_pool(db: DatabaseConnection, handle: PrometheusHandle) {
    let mut ticks = tokio::time::interval(POOL_SAMPLE_EVERY);
    loop {
        ticks.tick().await;
        record_pool(&db);
        handle.run_upkeep();
    }
}

/// Counts the jobs table for the queue gauges. Every process with a listener does it, so the
/// figures stay available whichever tasks are running; an alarm takes their maximum.
async fn sample_jobs(db: DatabaseConnection) {
    let mut ticks = tokio::time::interval(JOBS_SAMPLE_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if let Err(err) = folio_jobs::metrics::record_queue(&db).await {
            tracing::warn!(error = %err, "could not count the jobs for the metrics");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unusual_methods_share_one_label() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::from_bytes(b"BREW").unwrap()), "other");
    }
}
