//! The audit log, read-only: search, filters by action and object type, newest first.

use askama::Template;
use axum::extract::RawQuery;
use axum::response::Response;
use folio_db::entities::audit_entry;
use folio_db::queries::audit_entries::{self, AuditFilter, AuditSort};

use super::toolkit::admin_page;
use super::toolkit::list::{Filter, ListQuery, ListView};
use super::{AdminNav, Staff};
use crate::error::AppResult;
use crate::layout::{PageContext, ok};

const LIST: &str = "/admin/audit-log/";

/// The audit log's actions as the filter shows them: (label, stored value).
const ACTIONS: &[(&str, &str)] = &[
    ("Created", "create"),
    ("Changed", "update"),
    ("Deleted", "delete"),
    ("Published", "publish"),
    ("Scheduled", "schedule"),
    ("Unpublished", "unpublish"),
    ("Made staff", "make_staff"),
    ("Removed from staff", "remove_staff"),
    ("Deactivated", "deactivate"),
    ("Reactivated", "reactivate"),
    ("Retried", "retry"),
    ("Sent a password-reset link", "send_reset_link"),
];
const OBJECT_TYPES: &[(&str, &str)] = &[
    ("Category", "category"),
    ("Item", "item"),
    ("User", "user"),
    ("Subscriber", "subscriber"),
    ("Contact message", "contact_message"),
    ("Job", "job"),
];

/// The admin pages of the object types that have one.
const PAGES: &[(&str, &str)] = &[
    ("category", "/admin/categories/"),
    ("item", "/admin/items/"),
    ("user", "/admin/users/"),
    ("contact_message", "/admin/contact-messages/"),
    ("job", "/admin/jobs/"),
];

/// The stored values of a filter's choices.
fn values(choices: &[(&str, &'static str)]) -> Vec<&'static str> {
    choices.iter().map(|(_, value)| *value).collect()
}

#[derive(Template)]
#[template(path = "features/admin/templates/audit_log.html")]
struct ListPage {
    page: PageContext,
    nav: AdminNav,
    view: ListView,
    filters: Vec<Filter>,
    rows: Vec<audit_entry::Model>,
}

impl ListPage {
    /// "item #7", or the bare type for entries about no one object.
    fn object_label(&self, entry: &audit_entry::Model) -> String {
        match entry.object_id {
            Some(id) => format!("{} #{id}", entry.object_type),
            None => entry.object_type.clone(),
        }
    }

    /// The admin page of the entry's object, unless the entry deleted it or it has none.
    fn object_url(&self, entry: &audit_entry::Model) -> Option<String> {
        let id = entry.object_id.filter(|_| entry.action != "delete")?;
        let (_, list) = PAGES.iter().find(|(kind, _)| *kind == entry.object_type)?;
        Some(format!("{list}{id}/"))
    }
}

pub async fn list(staff: Staff, RawQuery(raw): RawQuery) -> AppResult<Response> {
    let query = ListQuery::parse(raw.as_deref());
    let sort = query.sort(
        &[
            ("created_at", AuditSort::CreatedAt),
            ("actor", AuditSort::Actor),
            ("action", AuditSort::Action),
        ],
        ("created_at", true),
    );
    let action = query.choice("action", &values(ACTIONS));
    let object_type = query.choice("object_type", &values(OBJECT_TYPES));
    let filter = AuditFilter { action, object_type };
    let found = audit_entries::list(&staff.ctx.state.db, filter, &query.request(&sort)).await?;
    let view = ListView::new(LIST, &query, &sort, &found)
        .with_filter("action", action)
        .with_filter("object_type", object_type);
    Ok(ok(&ListPage {
        page: admin_page(&staff.ctx, "Audit log").await?,
        nav: AdminNav::new(LIST, &[]),
        view,
        filters: vec![
            Filter::new("action", "By action", ACTIONS),
            Filter::new("object_type", "By object", OBJECT_TYPES),
        ],
        rows: found.rows,
    }))
}
