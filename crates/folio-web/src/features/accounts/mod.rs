//! Accounts: sign up, sign in, sign out, password change and password reset by emailed link.

pub(crate) mod reset;
mod sessions;
mod settings;
mod signin;
mod signup;
mod tokens;

use axum::Router;
use axum::response::Redirect;
use axum::routing::get;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/signup/", get(signup::show).post(signup::submit))
        .route("/signin/", get(signin::show).post(signin::submit))
        .route("/signout/", get(signin::confirm_sign_out).post(signin::sign_out))
        .route("/settings/", get(settings::show).post(settings::submit))
        .route("/settings/tokens/", get(tokens::show).post(tokens::create))
        .route("/settings/sessions/", get(sessions::show))
        .route("/settings/sessions/end/", axum::routing::post(sessions::end))
        .route(
            "/settings/sessions/end-others/",
            axum::routing::post(sessions::end_others),
        )
        .route(
            "/settings/tokens/{id}/revoke/",
            axum::routing::post(tokens::revoke),
        )
        .route("/account/", get(|| async { Redirect::permanent("/settings/") }))
        .route(
            "/forgot-password/",
            get(reset::show_request).post(reset::submit_request),
        )
        .route(
            "/forgot-password/{token}/",
            get(reset::show_reset).post(reset::submit_reset),
        )
}
