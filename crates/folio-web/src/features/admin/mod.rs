//! The admin panel at `/admin/`: staff manage categories, items, users, subscribers, contact
//! messages, jobs, and read the audit log. Every page starts with the [`Staff`] extractor
//! (anonymous → sign-in redirect, anyone else → 404). Every write runs in one transaction
//! with its audit entry (and, when publishing, its notification job); content writes clear the
//! public page cache after they commit.
//!
//! What the resources share (lists, confirmation pages, audited writes, image forms) is in
//! [`toolkit`]; each resource module keeps its own fields, validation, columns and wording.

mod audit_log;
pub(crate) mod categories;
mod dashboard;
mod deliveries;
pub(crate) mod items;
mod jobs;
mod messages;
mod staff;
mod subscribers;
pub(crate) mod toolkit;
mod users;

use std::sync::LazyLock;

use axum::Router;
use axum::response::Response;
use axum::routing::get;

pub use staff::Staff;

use crate::layout::{hashed_path, immutable};
use crate::state::AppState;

/// The admin's one script: progressive enhancement only (select all rows, the selection
/// count); every page works without it. A file, not inline, because the CSP forbids inline
/// scripts.
const SCRIPT: &str = include_str!("admin.js");

/// `/static/admin.<hash>.js`, cached forever like the stylesheet.
pub static SCRIPT_URL: LazyLock<String> = LazyLock::new(|| hashed_path("admin", "js", SCRIPT));

/// Public like the stylesheet (it holds nothing private), so anonymous caches may keep it.
async fn script() -> Response {
    immutable("text/javascript; charset=utf-8", SCRIPT)
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/", get(dashboard::show))
        .merge(categories::router())
        .merge(items::router())
        .merge(deliveries::router())
        .merge(users::router())
        .merge(subscribers::router())
        .merge(messages::router())
        .merge(jobs::router())
        .route("/admin/audit-log/", get(audit_log::list))
        .route(&SCRIPT_URL, get(script))
}

/// The admin forms that carry an image: the app gives them the upload body limit.
pub fn upload_router() -> Router<AppState> {
    Router::new()
        .merge(categories::upload_router())
        .merge(items::upload_router())
}

/// One link of the admin navigation.
#[derive(Debug)]
pub struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
}

const NAV: &[NavLink] = &[
    NavLink {
        href: "/admin/",
        label: "Dashboard",
    },
    NavLink {
        href: "/admin/categories/",
        label: "Categories",
    },
    NavLink {
        href: "/admin/items/",
        label: "Items",
    },
    NavLink {
        href: "/admin/users/",
        label: "Users",
    },
    NavLink {
        href: "/admin/subscribers/",
        label: "Subscribers",
    },
    NavLink {
        href: "/admin/contact-messages/",
        label: "Messages",
    },
    NavLink {
        href: "/admin/jobs/",
        label: "Jobs",
    },
    NavLink {
        href: "/admin/audit-log/",
        label: "Audit log",
    },
];

/// The admin chrome around a page: which navigation entry is current and the breadcrumbs.
#[derive(Debug)]
pub struct AdminNav {
    /// The `href` of the current section in [`NAV`].
    pub section: &'static str,
    /// (label, link) pairs after "Admin"; the last one is the current page and has no link.
    pub crumbs: Vec<(String, String)>,
}

impl AdminNav {
    pub fn links(&self) -> &'static [NavLink] {
        NAV
    }

    /// The admin script's URL, for the page chrome.
    pub fn script_url(&self) -> &'static str {
        &SCRIPT_URL
    }

    pub fn is_current(&self, link: &NavLink) -> bool {
        link.href == self.section
    }

    /// A page in `section` (whose label is the first crumb) with further `crumbs`.
    pub fn new(section: &'static str, crumbs: &[(&str, &str)]) -> Self {
        let mut all = Vec::new();
        if let Some(link) = NAV.iter().find(|link| link.href == section)
            && section != "/admin/"
        {
            all.push((link.label.to_owned(), link.href.to_owned()));
        }
        all.extend(
            crumbs
                .iter()
                .map(|(label, href)| ((*label).to_owned(), (*href).to_owned())),
        );
        Self { section, crumbs: all }
    }
}
