//! The public site: categories and items, the feed, the contact form and subscriptions.

pub mod contact;
pub mod pages;
pub mod subscribe;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/site/", get(pages::home))
        .route("/site/items/", get(pages::categories))
        .route("/site/items/{category}/", get(pages::category))
        .route("/site/items/{category}/{item}/", get(pages::item))
        .route("/site/feed.xml", get(pages::feed))
        .route("/site/sitemap.xml", get(pages::sitemap))
        .route("/site/contact/", get(contact::show).post(contact::submit))
        .route("/site/subscribe/", get(subscribe::show).post(subscribe::submit))
        .route("/site/subscribe/me/", post(subscribe::own_subscription))
        .route(
            "/site/subscribe/confirm/{token}/",
            get(subscribe::show_confirm).post(subscribe::confirm),
        )
        .route(
            "/site/unsubscribe/{token}/",
            get(subscribe::unsubscribe_link).post(subscribe::unsubscribe_post),
        )
}
