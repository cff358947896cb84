//! `/admin/`: counts at a glance (items by status, the job queue, people) and the latest
//! audit entries.

use askama::Template;
use axum::response::Response;
use folio_db::entities::{audit_entry, item};
use folio_db::queries::jobs::QueueDepth;
use folio_db::queries::{audit_entries, categories, contact_messages, items, subscribers, users};

use super::toolkit::admin_page;
use super::{AdminNav, Staff};
use crate::error::AppResult;
use crate::layout::{PageContext, ok};

#[derive(Template)]
#[template(path = "features/admin/templates/dashboard.html")]
struct DashboardPage {
    page: PageContext,
    nav: AdminNav,
    drafts: u64,
    scheduled: u64,
    published: u64,
    categories: u64,
    users: u64,
    subscribers: u64,
    confirmed_subscribers: u64,
    messages: u64,
    unread_messages: u64,
    queued_jobs: i64,
    running_jobs: i64,
    failed_jobs: i64,
    succeeded_jobs: i64,
    recent: Vec<audit_entry::Model>,
}

pub async fn show(staff: Staff) -> AppResult<Response> {
    let db = &staff.ctx.state.db;
    let jobs = QueueDepth::read(db).await?;
    let page = DashboardPage {
        page: admin_page(&staff.ctx, "Admin").await?,
        nav: AdminNav::new("/admin/", &[("Dashboard", "")]),
        drafts: items::count_with_status(db, item::DRAFT).await?,
        scheduled: items::count_with_status(db, item::SCHEDULED).await?,
        published: items::count_with_status(db, item::PUBLISHED).await?,
        categories: categories::count(db).await?,
        users: users::count(db).await?,
        subscribers: subscribers::count(db, None).await?,
        confirmed_subscribers: subscribers::count(db, Some(true)).await?,
        messages: contact_messages::count(db).await?,
        unread_messages: contact_messages::count_unread(db).await?,
        queued_jobs: jobs.queued,
        running_jobs: jobs.running,
        failed_jobs: jobs.failed,
        succeeded_jobs: jobs.succeeded,
        recent: audit_entries::latest(db, 10).await?,
    };
    Ok(ok(&page))
}
