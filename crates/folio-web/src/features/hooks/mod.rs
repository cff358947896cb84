//! `POST /hooks/ses`: SES bounce and complaint notifications, delivered by SNS. Every message
//! is verified (signature, certificate host, topic) before anything is read from it; a hard
//! bounce or a complaint suppresses the address, so no job mails it again.

mod ses_events;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use folio_db::queries::email_suppressions;

use crate::error::AppResult;
use crate::sns::{SnsError, SnsKind, SnsMessage};
use crate::state::AppState;
pub use ses_events::{SesEvent, Suppressions};

pub fn router() -> Router<AppState> {
    Router::new().route("/hooks/ses", post(ses_notification))
}

async fn ses_notification(State(state): State<AppState>, body: Bytes) -> AppResult<Response> {
    // Without FOLIO_SES_TOPIC_ARN the hook does not exist.
    let Some(verifier) = state.sns.as_deref() else {
        return Err(crate::error::AppError::NotFound);
    };
    let message = match verifier.verify(&body).await {
        Ok(message) => message,
        Err(err) => return Ok(refusal(&err)),
    };
    match message.kind {
        SnsKind::SubscriptionConfirmation => Ok(confirm(verifier, &message).await),
        SnsKind::UnsubscribeConfirmation => {
            tracing::warn!(topic = %message.topic_arn, "SES hook: the SNS subscription was ended");
            Ok(answer(StatusCode::OK, "noted"))
        }
        SnsKind::Notification => notification(&state, &message).await,
    }
}

/// Forged, foreign or stale messages get 403 and change nothing; a certificate that could not
/// be fetched is 503, so SNS tries again.
fn refusal(err: &SnsError) -> Response {
    let status = match err {
        SnsError::Malformed(_) => StatusCode::BAD_REQUEST,
        SnsError::CertFetch(_) => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::FORBIDDEN,
    };
    tracing::warn!(error = %err, status = status.as_u16(), "SES hook: message refused");
    answer(status, "refused")
}

async fn confirm(verifier: &crate::sns::SnsVerifier, message: &SnsMessage) -> Response {
    match verifier.confirm_subscription(message).await {
        Ok(()) => {
            tracing::info!(topic = %message.topic_arn, "SES hook: SNS subscription confirmed");
            answer(StatusCode::OK, "subscribed")
        }
        Err(err) => {
            tracing::warn!(error = %err, "SES hook: could not confirm the SNS subscription");
            answer(StatusCode::BAD_GATEWAY, "confirmation failed")
        }
    }
}

async fn notification(state: &AppState, message: &SnsMessage) -> AppResult<Response> {
    let event = match ses_events::parse(&message.message) {
        Ok(event) => event,
        Err(why) => {
            // Verified, so it came from our topic: retrying won't make it readable.
            tracing::warn!(message_id = %message.message_id, why, "SES hook: notification ignored");
            return Ok(answer(StatusCode::OK, "ignored"));
        }
    };
    match event {
        SesEvent::Suppress(suppressions) => suppress(state, &suppressions).await?,
        SesEvent::SoftBounce { addresses } => {
            tracing::info!(
                addresses,
                "SES hook: transient bounce; the address keeps receiving mail"
            );
        }
        SesEvent::Other(kind) => tracing::info!(kind, "SES hook: notification ignored"),
    }
    Ok(answer(StatusCode::OK, "ok"))
}

async fn suppress(state: &AppState, suppressions: &Suppressions) -> AppResult<()> {
    let mut added = 0;
    for address in &suppressions.addresses {
        if email_suppressions::suppress(&state.db, address, suppressions.reason, &suppressions.detail).await?
        {
            added += 1;
        }
    }
    tracing::info!(
        reason = suppressions.reason.as_str(),
        detail = %suppressions.detail,
        addresses = suppressions.addresses.len(),
        added,
        "SES hook: addresses suppressed; no more mail goes to them"
    );
    Ok(())
}

fn answer(status: StatusCode, text: &'static str) -> Response {
    (status, text).into_response()
}
