//! `/admin/`: counts at a glance (items by status, the job queue, people) and the latest
//! audit entries.

use askama::Template;
use axum::response::Response;
use folio_db::entities::{audit_entry, category, contact_message, item, subscriber, user};
use folio_db::queries::jobs::QueueDepth;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};

use super::{AdminNav, Staff, admin_page};
use crate::error::AppResult;
use crate::layout::{PageContext, ok};

#[derive(Template)]
#[template(path = "features/admin/templates/dashboard.html")]
struct DashboardPage {
    page: PageContext,
    nav: AdminNav,
    drafts: u64,
    published: u64,
    categories: u64,
    users: u64,
    subscribers: u64,
    confirmed_subscribers: u64,
    messages: u64,
    queued_jobs: i64,
    running_jobs: i64,
    failed_jobs: i64,
    recent: Vec<audit_entry::Model>,
}

pub async fn show(staff: Staff) -> AppResult<Response> {
    let db = &staff.ctx.state.db;
    let items_with = |status: &'static str| {
        item::Entity::find()
            .filter(item::Column::Status.eq(status))
            .count(db)
    };
    let jobs = QueueDepth::read(db).await?;
    let recent = audit_entry::Entity::find()
        .order_by_desc(audit_entry::Column::Id)
        .limit(10)
        .all(db)
        .await?;
    let page = DashboardPage {
        page: admin_page(&staff.ctx, "Admin").await?,
        nav: AdminNav::new("/admin/", &[("Dashboard", "")]),
        drafts: items_with(item::DRAFT).await?,
        published: items_with(item::PUBLISHED).await?,
        categories: category::Entity::find().count(db).await?,
        users: user::Entity::find().count(db).await?,
        subscribers: subscriber::Entity::find().count(db).await?,
        confirmed_subscribers: subscriber::Entity::find()
            .filter(subscriber::Column::Confirmed.eq(true))
            .count(db)
            .await?,
        messages: contact_message::Entity::find().count(db).await?,
        queued_jobs: jobs.queued,
        running_jobs: jobs.running,
        failed_jobs: jobs.failed,
        recent,
    };
    Ok(ok(&page))
}
