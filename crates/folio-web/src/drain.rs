//! Leaving the load balancer before stopping. Between the shutdown signal and the moment the
//! listener closes (`FOLIO_DRAIN_SECS`), the instance keeps answering every request, but
//! `/readyz` fails, so the balancer's health check takes it out of rotation, and every response
//! says `Connection: close`, so no client or proxy keeps a connection to it that would later be
//! cut under a request in flight. When the listener closes, nothing is sent here any more.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::Response;

/// Whether this instance is on its way out. Shared by the state (for `/readyz`), the
/// response layer and `App::run_until`, which turns it on.
#[derive(Debug, Clone, Default)]
pub struct Draining(Arc<AtomicBool>);

impl Draining {
    pub fn begin(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_draining(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// While draining, ends each connection after its response. Hyper honours the header for
/// HTTP/1.1; the proxy then opens its next connection to an instance that stays.
pub async fn close_connections_while_draining(
    State(draining): State<Draining>,
    mut response: Response,
) -> Response {
    if draining.is_draining() {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}
