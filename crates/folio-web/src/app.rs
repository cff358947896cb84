//! Building and running the application on what the binary prepared: router, middleware,
//! listener, shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, StatusCode};
use folio_db::DatabaseConnection;
use folio_jobs::{Mailer, Worker};
use folio_storage::Storage;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::csrf::CsrfLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::config::AppConfig;
use crate::features;
use crate::metrics::MetricsServer;
use crate::state::AppState;
use crate::uploads::MAX_UPLOAD_BODY_BYTES;

/// The largest request body accepted (a note of 256 Ki characters, url-encoded, fits).
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// How long a session lives without being used.
const SESSION_IDLE: time::Duration = time::Duration::days(14);

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Where pages' images come from when that is not this site (a CDN, or S3 itself with
/// presigned URLs): the content security policy must allow it.
async fn media_origin(storage: &Storage) -> Option<String> {
    let probe = folio_storage::store::Key::parse("images/probe.jpg").ok()?;
    let url = match storage.public_url(&probe).await {
        Ok(url) => url,
        Err(err) => {
            tracing::warn!(error = %err, "could not work out where images are served from");
            return None;
        }
    };
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split(['/', '?']).next()?;
    Some(format!("{scheme}://{host}"))
}

/// The verifier of `POST /hooks/ses`, when SES topics are configured.
fn ses_hook_verifier(config: &AppConfig) -> Option<Arc<crate::sns::SnsVerifier>> {
    let first = config.ses_topic_arns.first()?;
    let cert_host = config
        .sns_cert_host
        .clone()
        .or_else(|| crate::sns::SnsVerifier::default_cert_host(first))?;
    Some(Arc::new(crate::sns::SnsVerifier::new(
        cert_host,
        config.ses_topic_arns.clone(),
    )))
}

/// The router with every feature and all middleware.
pub fn router(state: AppState, config: &AppConfig) -> anyhow::Result<Router> {
    let sessions = SessionManagerLayer::new(state.sessions.clone())
        .with_name("folio_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(config.is_https())
        .with_expiry(Expiry::OnInactivity(SESSION_IDLE));
    let origin = base_origin(&config.base_url);
    let cross_origin = CsrfLayer::new()
        .add_trusted_origin(&origin)
        .map_err(|err| anyhow::anyhow!("FOLIO_BASE_URL: not a usable origin ({err:?})"))?;

    let media_origin = state.media_origin.clone();
    let draining = state.draining.clone();
    // Every route refuses a body over MAX_BODY_BYTES from its declared length, before reading
    // it; the forms with an image get room for one (their extractor then enforces the image's
    // own limit while streaming).
    let forms = Router::new()
        .merge(features::accounts::router())
        .merge(features::admin::router())
        .merge(features::notes::router())
        .merge(features::pads::router())
        .merge(features::site::router())
        .merge(features::ops::router())
        .merge(features::app::router())
        .merge(features::media::router())
        .merge(features::hooks::router())
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES));
    let api = features::api::router()
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            features::api::identify,
        ))
        // The API sets its own body limits (4 MiB, and room for an image on image uploads).
        .layer(axum::middleware::map_response(features::api::explain_bare_errors));
    let uploads = features::admin::upload_router()
        .layer(DefaultBodyLimit::max(MAX_UPLOAD_BODY_BYTES))
        .layer(RequestBodyLimitLayer::new(MAX_UPLOAD_BODY_BYTES));
    let mut app = Router::new()
        .merge(forms)
        .merge(api)
        .merge(uploads)
        .fallback(features::ops::fallback)
        .with_state(state)
        .layer(sessions)
        .layer(axum::middleware::map_response(explain_session_store_failure))
        .layer(cross_origin)
        .layer(axum::middleware::from_fn(crate::security::nul::refuse_in_address))
        // No response compression here: pages carry CSRF tokens next to reflected input, and
        // compressing both together is what BREACH exploits. The CDN compresses static files.
        .layer(axum::middleware::map_response(explain_too_large));
    for layer in crate::security::headers::layers(config.is_https(), media_origin.as_deref()) {
        app = app.layer(layer);
    }
    Ok(app
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            config.request_timeout,
        ))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
                let request_id = request
                    .headers()
                    .get(REQUEST_ID)
                    .and_then(|id| id.to_str().ok())
                    .unwrap_or("");
                let path = crate::security::tokens::loggable_path(request.uri().path());
                tracing::info_span!("request", method = %request.method(), path = %path, request_id)
            }),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(CatchPanicLayer::new())
        .layer(axum::middleware::map_response_with_state(
            draining,
            crate::drain::close_connections_while_draining,
        ))
        // Outermost, so the figures include every layer's time and answer (a timeout's 408, a
        // panic's 500); `Router::layer` still runs it after routing, with the route template.
        .layer(axum::middleware::from_fn(crate::metrics::track_requests)))
}

/// The body-limit layer answers 413 in plain text before any handler runs; people get the same
/// page as every other refusal, saying what the limits are.
async fn explain_too_large(response: axum::response::Response) -> axum::response::Response {
    let is_page = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value.starts_with("text/html") || value.starts_with(features::api::problem::PROBLEM_JSON)
        });
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE && !is_page {
        return axum::response::IntoResponse::into_response(crate::error::AppError::PayloadTooLarge);
    }
    response
}

/// When the session layer can't store a changed session after the handler ran, it answers a
/// bare 500 with no body. That only happens when the store (Redis) is unreachable: people get
/// the same 503 page, with `Retry-After`, as a handler that met the outage itself.
async fn explain_session_store_failure(response: axum::response::Response) -> axum::response::Response {
    let bare = response.headers().get(axum::http::header::CONTENT_TYPE).is_none();
    if response.status() == StatusCode::INTERNAL_SERVER_ERROR && bare {
        let why = "the session store could not save the session".to_owned();
        return axum::response::IntoResponse::into_response(crate::error::AppError::Unavailable(why));
    }
    response
}

/// `scheme://host[:port]` of the base URL: the origin browsers send on our own forms.
fn base_origin(base_url: &str) -> String {
    let trimmed = base_url.trim_end_matches('/');
    match trimmed.split_once("://") {
        Some((scheme, rest)) => format!("{scheme}://{}", rest.split('/').next().unwrap_or(rest)),
        None => trimmed.to_owned(),
    }
}

/// A built application, bound to its port and ready to serve.
pub struct App {
    listener: TcpListener,
    router: Router,
    shutdown_grace: Duration,
    drain: Duration,
    connections: crate::connections::ConnectionLimits,
    /// Runs inside `run_until` when `FOLIO_WORKER=embedded`.
    embedded_worker: Option<Worker>,
    /// The state the handlers share, so callers (tests) can reach the same database, caches
    /// and view counters.
    pub state: AppState,
    /// The database pool, so callers (tests) can reach the same database.
    pub db: DatabaseConnection,
    /// The metrics listener (`FOLIO_METRICS_LISTEN`), stopped when the app is dropped.
    metrics: Option<MetricsServer>,
}

/// What the binary prepared for the app (see `crates/folio/src/wiring.rs`): the database,
/// connected and with a current schema, the mailer, the storage, and the job worker that runs
/// inside `run_until` when `FOLIO_WORKER=embedded`.
pub struct Services {
    pub db: DatabaseConnection,
    pub mailer: Mailer,
    pub storage: Storage,
    pub embedded_worker: Option<Worker>,
    /// The link to the other instances (`FOLIO_CACHE_URL`).
    pub cluster: crate::cluster::Cluster,
}

impl App {
    /// Builds the state and the router on what the binary prepared, and binds the listener.
    pub async fn build(config: &AppConfig, services: Services) -> anyhow::Result<Self> {
        let Services {
            db,
            mailer,
            storage,
            embedded_worker,
            cluster,
        } = services;
        let mut state = AppState::new(config, db.clone(), mailer, storage.clone(), cluster);
        state.media_origin = media_origin(&storage).await;
        state.sns = ses_hook_verifier(config);
        spawn_sweeper(db.clone(), state.sessions.in_database());
        let router = router(state.clone(), config)?;
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("FOLIO_LISTEN: could not listen on {}", config.listen))?;
        let metrics = match config.metrics_listen {
            Some(addr) => Some(MetricsServer::start(addr, db.clone()).await?),
            None => None,
        };
        Ok(Self {
            listener,
            router,
            shutdown_grace: config.shutdown_grace,
            drain: config.drain,
            connections: config.connections,
            embedded_worker,
            state,
            db,
            metrics,
        })
    }

    /// The bound address (with the real port when the configuration asked for port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The metrics listener's address, when `FOLIO_METRICS_LISTEN` is set.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().map(MetricsServer::local_addr)
    }

    /// Serves until `shutdown` resolves, then drains (keeps serving, unready, closing each
    /// connection after its response) for the drain period, then stops accepting, gives
    /// in-flight requests up to the grace period to finish, and returns.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let (signalled_tx, signalled_rx) = tokio::sync::oneshot::channel::<()>();
        let (stop_worker, worker_stopping) = tokio::sync::watch::channel(false);
        let worker = self
            .embedded_worker
            .map(|worker| tokio::spawn(worker.run(worker_stopping)));
        let flusher = tokio::spawn(self.state.views.clone().flush_periodically(self.db.clone()));
        let (draining, drain) = (self.state.draining.clone(), self.drain);
        let server = crate::connections::serve(self.listener, self.router, self.connections, async move {
            shutdown.await;
            let _ = stop_worker.send(true);
            if !drain.is_zero() {
                draining.begin();
                tracing::info!(
                    drain_secs = drain.as_secs(),
                    "draining: unready, closing connections"
                );
                tokio::time::sleep(drain).await;
            }
            let _ = signalled_tx.send(());
        });
        let grace = self.shutdown_grace;
        let mut server = std::pin::pin!(server);
        tokio::select! {
            () = &mut server => {}
            _ = async {
                if signalled_rx.await.is_ok() {
                    tokio::time::sleep(grace).await;
                } else {
                    std::future::pending::<()>().await;
                }
            } => tracing::warn!(grace_secs = grace.as_secs(), "in-flight requests did not finish in time"),
        }
        if let Some(worker) = worker {
            // The worker finishes or releases its jobs within the same grace period.
            worker.await.ok();
        }
        flusher.abort();
        if let Err(err) = self.state.views.flush(&self.db).await {
            tracing::warn!(error = %err, "could not write the last view counts");
        }
        self.db.close_by_ref().await.ok();
        // Scraped until the end, so the last figures of a stopping task are still collected.
        drop(self.metrics);
        tracing::info!("stopped");
        Ok(())
    }
}

/// Every hour, deletes what can no longer be used, so no table grows without bound: expired
/// sessions (when the database holds them), and reset links used or expired over a day ago.
fn spawn_sweeper(db: DatabaseConnection, sessions_in_database: bool) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            if sessions_in_database {
                swept(
                    "expired sessions",
                    folio_db::queries::sessions::delete_expired(&db).await,
                );
            }
            let a_day_ago = chrono::Utc::now() - chrono::Duration::days(1);
            let resets = folio_db::queries::password_resets::delete_stale(&db, a_day_ago).await;
            swept("stale reset links", resets);
            // Rows written without a look-alike key (the release before, during a deploy).
            match folio_db::queries::users::fill_lookalike_keys(&db).await {
                Ok(0) => {}
                Ok(filled) => tracing::info!(filled, "filled in look-alike keys of user emails"),
                Err(err) => tracing::warn!(error = %err, "could not fill in look-alike keys"),
            }
        }
    });
}

fn swept(what: &'static str, result: Result<u64, folio_db::DbErr>) {
    match result {
        Ok(0) => {}
        Ok(swept) => tracing::info!(swept, what, "removed"),
        Err(err) => tracing::warn!(error = %err, what, "could not remove"),
    }
}

#[cfg(test)]
mod tests {
    use super::base_origin;

    #[test]
    fn origin_of_base_url() {
        assert_eq!(base_origin("https://example.org/"), "https://example.org");
        assert_eq!(base_origin("http://127.0.0.1:8000"), "http://127.0.0.1:8000");
        assert_eq!(base_origin("https://example.org/folio/"), "https://example.org");
    }
}
