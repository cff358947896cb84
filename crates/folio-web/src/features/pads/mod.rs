//! Pads: groups of notes. Creating, viewing (the pad's notes), renaming and deleting with its notes.

mod handlers;

use axum::Router;
use axum::routing::get;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/pads/create/", get(handlers::show_create).post(handlers::create))
        .route("/pads/{id}/", get(handlers::view))
        .route("/pads/{id}/edit/", get(handlers::show_edit).post(handlers::edit))
        .route(
            "/pads/{id}/delete/",
            get(handlers::show_delete).post(handlers::delete),
        )
}
