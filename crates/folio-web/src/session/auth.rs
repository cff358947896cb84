//! Who is asking: the request context every handler starts from, and the signed-in guard.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tower_cookies::Cookies;
use tower_sessions::Session;

use super::flash::{self, Flash};
use super::store::{DEVICE_KEY, USER_KEY};
use crate::error::AppError;
use crate::security::csrf;
use crate::state::AppState;

/// The signed-in user as the session remembers it: enough to render any page without a query.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUser {
    pub id: i64,
    pub email: String,
    pub is_staff: bool,
}

/// The session key of the signed-in user's CSRF token.
const CSRF_KEY: &str = "csrf";

/// Per-request context: the session, the cookies and the signed-in user, if any. Built once per
/// request and cached in the request's extensions, so a form extractor and the handler share it.
#[derive(Clone)]
pub struct RequestContext {
    pub session: Session,
    pub cookies: Cookies,
    pub user: Option<SessionUser>,
    pub state: AppState,
    /// The browser's `User-Agent`, cut to [`USER_AGENT_CHARS`]: kept with a new sign-in so the
    /// sessions list can say which browser each session is.
    pub user_agent: Option<String>,
}

/// What a session keeps about the sign-in that made it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedInDevice {
    /// Unix milliseconds: sign-ins a moment apart must still sort, to end the oldest.
    pub signed_in_at: i64,
    pub user_agent: Option<String>,
}

/// Enough of a `User-Agent` to tell browsers apart, and no more.
const USER_AGENT_CHARS: usize = 200;

fn user_agent(parts: &Parts) -> Option<String> {
    let agent = parts.headers.get(axum::http::header::USER_AGENT)?.to_str().ok()?;
    let agent: String = agent.trim().chars().take(USER_AGENT_CHARS).collect();
    (!agent.is_empty()).then_some(agent)
}

impl RequestContext {
    /// Reads the signed-in user from the session (memory, usually) and assembles the context.
    async fn load(
        session: Session,
        cookies: Cookies,
        state: AppState,
        user_agent: Option<String>,
    ) -> Result<Self, AppError> {
        let user = session
            .get::<SessionUser>(USER_KEY)
            .await
            .map_err(session_error)?;
        Ok(RequestContext {
            session,
            cookies,
            user,
            state,
            user_agent,
        })
    }

    /// The CSRF token a form on this page must carry: the session's for a signed-in user, the
    /// signed cookie's (created on demand) for an anonymous one.
    pub async fn csrf_token(&self) -> Result<String, AppError> {
        if self.user.is_some() {
            let token: Option<String> = self.session.get(CSRF_KEY).await.map_err(session_error)?;
            if let Some(token) = token {
                return Ok(token);
            }
        }
        Ok(csrf::anonymous_token(
            &self.cookies,
            &self.state.cookie_key,
            self.state.settings.secure_cookies,
        ))
    }

    /// Checks a submitted token against the one this visitor was given.
    pub async fn verify_csrf(&self, submitted: &str) -> Result<(), AppError> {
        let expected = if self.user.is_some() {
            self.session
                .get::<String>(CSRF_KEY)
                .await
                .map_err(session_error)?
        } else {
            csrf::existing_anonymous_token(&self.cookies, &self.state.cookie_key)
        };
        match expected {
            Some(expected) if crate::security::tokens::constant_time_eq(&expected, submitted) => Ok(()),
            _ => Err(AppError::Csrf),
        }
    }

    /// Queues a flash message for the next page.
    pub fn flash(&self, message: impl Into<String>) {
        flash::push(
            &self.cookies,
            &self.state.cookie_key,
            self.state.settings.secure_cookies,
            Flash::success(message),
        );
    }

    /// Takes the flash messages queued by the previous request.
    pub fn take_flashes(&self) -> Vec<Flash> {
        flash::take(&self.cookies, &self.state.cookie_key)
    }

    /// Signs `user` in: a new session id (against fixation), the user, when and from what
    /// browser, and a fresh CSRF token. An account keeps at most `FOLIO_QUOTA_SESSIONS`
    /// sessions: this one ends the oldest beyond that.
    pub async fn sign_in(&self, user: SessionUser) -> Result<(), AppError> {
        let most = usize::try_from(self.state.settings.quotas.sessions).unwrap_or(usize::MAX);
        let ended = self
            .state
            .sessions
            .keep_newest(user.id, most.saturating_sub(1))
            .await?;
        if ended > 0 {
            tracing::info!(
                user_id = user.id,
                ended,
                "sign-in ended the account's oldest sessions"
            );
        }
        self.session.cycle_id().await.map_err(session_error)?;
        let device = SignedInDevice {
            signed_in_at: chrono::Utc::now().timestamp_millis(),
            user_agent: self.user_agent.clone(),
        };
        self.session.insert(USER_KEY, user).await.map_err(session_error)?;
        self.session
            .insert(DEVICE_KEY, device)
            .await
            .map_err(session_error)?;
        self.session
            .insert(CSRF_KEY, crate::security::tokens::random_token())
            .await
            .map_err(session_error)?;
        // Stored by the session layer after the handler; a store that can't be reached then
        // gives the 503 page (`app::explain_session_store_failure`), not a silent sign-in.
        Ok(())
    }

    /// Ends this session, in the store and in the browser.
    pub async fn sign_out(&self) -> Result<(), AppError> {
        self.session.flush().await.map_err(session_error)
    }

    /// After a password change: every other session of the user ends, and this one gets a new id.
    pub async fn end_other_sessions(&self, user_id: i64) -> Result<(), AppError> {
        self.session.cycle_id().await.map_err(session_error)?;
        self.state
            .sessions
            .end_sessions_of(user_id, self.session.id())
            .await?;
        Ok(())
    }
}

/// The store failing means Redis (or the database) can't be reached: a 503 with
/// `Retry-After`, not a 500.
fn session_error(err: tower_sessions::session::Error) -> AppError {
    AppError::Unavailable(format!("session store: {err}"))
}

impl<S> FromRequestParts<S> for RequestContext
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(ctx) = parts.extensions.get::<RequestContext>() {
            return Ok(ctx.clone());
        }
        let missing = |what| AppError::Internal(anyhow::anyhow!("{what} layer missing"));
        let session = parts
            .extensions
            .get::<Session>()
            .cloned()
            .ok_or_else(|| missing("session"))?;
        let cookies = parts
            .extensions
            .get::<Cookies>()
            .cloned()
            .ok_or_else(|| missing("cookie"))?;
        let ctx =
            RequestContext::load(session, cookies, AppState::from_ref(state), user_agent(parts)).await?;
        parts.extensions.insert(ctx.clone());
        Ok(ctx)
    }
}

/// A handler argument that only a signed-in user gets past; anyone else is sent to
/// `/signin/?next=<where they were going>`.
pub struct SignedIn {
    pub ctx: RequestContext,
    pub user: SessionUser,
}

/// Where an anonymous request is sent instead.
pub struct SignInRedirect(String);

impl IntoResponse for SignInRedirect {
    fn into_response(self) -> Response {
        // Notejam answers 302 here; `Redirect::to` would be 303.
        (StatusCode::FOUND, [(LOCATION, self.0)]).into_response()
    }
}

impl<S> FromRequestParts<S> for SignedIn
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ctx = RequestContext::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        match ctx.user.clone() {
            Some(user) => Ok(SignedIn { ctx, user }),
            None => {
                let next = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
                let target = format!("/signin/?next={}", crate::forms::query_escape(next));
                Err(SignInRedirect(target).into_response())
            }
        }
    }
}
