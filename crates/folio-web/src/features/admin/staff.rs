//! The `Staff` guard. The session caches `is_staff`, but staff status and deactivation must
//! take effect at once, so the guard reads the user's row on every admin request (one
//! primary-key look-up; the admin panel is not a hot path).

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use folio_db::queries::audit_entries::Actor;
use folio_db::queries::users;

use crate::session::{RequestContext, SessionUser, SignedIn};
use crate::state::AppState;

/// A handler argument only an active staff member gets past: anonymous visitors are sent to
/// sign in, anyone else sees the 404 page (the panel's existence is not advertised).
pub struct Staff {
    pub ctx: RequestContext,
    pub user: SessionUser,
}

impl Staff {
    /// Who the audit log names for this request's writes.
    pub fn actor(&self) -> Actor {
        Actor {
            id: Some(self.user.id),
            email: self.user.email.clone(),
        }
    }
}

impl<S> FromRequestParts<S> for Staff
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let SignedIn { ctx, user } = SignedIn::from_request_parts(parts, state).await?;
        let row = users::find_by_id(&ctx.state.db, user.id)
            .await
            .map_err(|err| crate::error::AppError::from(err).into_response())?;
        match row {
            Some(row) if row.is_staff && row.is_active => Ok(Staff { ctx, user }),
            _ => Err(ctx.not_found().await.into_response()),
        }
    }
}
