//! The admin panel at `/admin/`: staff manage categories, items, users, subscribers, contact
//! messages, jobs, and read the audit log. Every page starts with the [`Staff`] extractor
//! (anonymous → sign-in redirect, anyone else → 404). Every write runs in one transaction
//! with its audit entry (and, when publishing, its notification job); content writes clear the
//! public page cache after they commit.

mod audit_log;
mod categories;
mod dashboard;
mod images;
mod items;
mod jobs;
mod list;
mod messages;
mod staff;
mod subscribers;
mod users;

use axum::Router;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use folio_db::queries::admin::audit;
use serde::Deserialize;

pub use staff::Staff;

use crate::layout::PageContext;
use crate::session::RequestContext;
use crate::session::flash::{self, Flash, Level};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/", get(dashboard::show))
        .merge(categories::router())
        .merge(items::router())
        .merge(users::router())
        .merge(subscribers::router())
        .merge(messages::router())
        .merge(jobs::router())
        .route("/admin/audit-log/", get(audit_log::list))
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

/// The page context of an admin page.
pub async fn admin_page(
    ctx: &RequestContext,
    title: impl Into<String>,
) -> crate::error::AppResult<PageContext> {
    ctx.page(title).await
}

/// Queues an error flash (a refused action) for the next page.
pub fn flash_error(ctx: &RequestContext, message: impl Into<String>) {
    flash::push(
        &ctx.cookies,
        &ctx.state.cookie_key,
        ctx.state.settings.secure_cookies,
        Flash {
            level: Level::Error,
            message: message.into(),
        },
    );
}

/// `found`, or the admin's 404 page (unknown ids look the same as ids of other kinds).
pub async fn or_not_found<T>(ctx: &RequestContext, found: Option<T>) -> crate::error::AppResult<T> {
    match found {
        Some(found) => Ok(found),
        None => Err(ctx.not_found().await),
    }
}

/// Writes the audit entry of a change into the change's transaction and commits both, so
/// there is never a change without its entry nor an entry without its change.
pub async fn commit_audited(
    txn: sea_orm::DatabaseTransaction,
    staff: &Staff,
    entry: audit::Entry<'_>,
) -> crate::error::AppResult<()> {
    audit::record(&txn, &staff.actor(), entry).await?;
    txn.commit().await?;
    Ok(())
}

/// 303 to `to` (after a POST, the browser follows with a GET).
pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// A form with nothing but its CSRF token (delete and action buttons).
#[derive(Deserialize)]
pub struct Confirm {}

/// The confirmation page of a delete or bulk action: what will change, and one button.
#[derive(askama::Template)]
#[template(path = "features/admin/templates/confirm.html")]
pub struct ConfirmPage {
    pub page: PageContext,
    pub nav: AdminNav,
    pub heading: String,
    /// One line per object that will change.
    pub lines: Vec<String>,
    /// Shown instead of the button when the action can't go ahead (and nothing will change).
    pub refusal: Option<String>,
    pub action: String,
    pub hidden: Vec<(&'static str, String)>,
    pub button: &'static str,
    pub cancel: String,
}

/// What the confirmation of deleting one object says.
pub struct DeleteOne<'a> {
    /// The list the object belongs to (`/admin/items/`); its page is `<list><id>/`.
    list: &'static str,
    id: i64,
    /// The kind of object: the heading reads "Delete <noun>".
    noun: &'static str,
    /// The object's name in the breadcrumb, linking to its page; `None` for objects without a
    /// page of their own (cancelling then goes back to the list).
    crumb: Option<&'a str>,
    line: String,
    refusal: Option<String>,
}

impl<'a> DeleteOne<'a> {
    /// Asks to delete the `noun` `id` of `list`; `line` says what will go.
    pub fn new(list: &'static str, id: i64, noun: &'static str, line: String) -> Self {
        Self {
            list,
            id,
            noun,
            crumb: None,
            line,
            refusal: None,
        }
    }

    /// The object has a page of its own, shown in the breadcrumb as `name`.
    pub fn named(self, name: &'a str) -> Self {
        Self {
            crumb: Some(name),
            ..self
        }
    }

    /// Why the object can't be deleted, if it can't: shown instead of the button.
    pub fn refused(self, refusal: Option<String>) -> Self {
        Self { refusal, ..self }
    }
}

impl ConfirmPage {
    /// The page that asks before one object is deleted; the button posts to `<object>/delete/`.
    pub async fn delete_one(staff: &Staff, delete: DeleteOne<'_>) -> crate::error::AppResult<Response> {
        let object = format!("{}{}/", delete.list, delete.id);
        let heading = format!("Delete {}", delete.noun);
        let crumbs: Vec<(&str, &str)> = match delete.crumb {
            Some(name) => vec![(name, object.as_str()), ("Delete", "")],
            None => vec![("Delete", "")],
        };
        let cancel = match delete.crumb {
            Some(_) => object.clone(),
            None => delete.list.to_owned(),
        };
        Ok(crate::layout::ok(&ConfirmPage {
            page: admin_page(&staff.ctx, heading.clone()).await?,
            nav: AdminNav::new(delete.list, &crumbs),
            heading,
            lines: vec![delete.line],
            refusal: delete.refusal,
            action: format!("{object}delete/"),
            hidden: Vec::new(),
            button: "Yes, delete it",
            cancel,
        }))
    }
}
