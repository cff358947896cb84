//! Notes: the list of all notes at `/`, a note's page, and creating, editing and deleting.
//! Every query filters by the signed-in user, so someone else's note is a 404.

pub(crate) mod form;
pub mod handlers;
pub mod listing;

use axum::Router;
use axum::routing::get;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(handlers::all_notes))
        .route(
            "/notes/create/",
            get(handlers::show_create).post(handlers::create),
        )
        .route("/notes/{id}/", get(handlers::view))
        .route("/notes/{id}/edit/", get(handlers::show_edit).post(handlers::edit))
        .route(
            "/notes/{id}/delete/",
            get(handlers::show_delete).post(handlers::delete),
        )
}
