//! Jobs: the outbox queue as staff see it (queued, running, failed with the last error), a
//! detail page, retry of a failed job and delete of a job that is not running. Finished jobs
//! are deleted by the worker, so this is pending work and failures only.

use askama::Template;
use axum::Router;
use axum::extract::RawQuery;
use axum::response::Response;
use axum::routing::{get, post};
use folio_db::entities::job;
use folio_db::queries::admin::audit::Entry;
use folio_db::queries::admin::{Page, users as admin_users};
use folio_db::queries::jobs;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::list::{Filter, ListQuery, ListView};
use super::{
    AdminNav, Confirm, ConfirmPage, DeleteOne, Staff, admin_page, commit_audited, flash_error, or_not_found,
    see_other,
};
use crate::error::AppResult;
use crate::features::PathId;
use crate::forms::CsrfForm;
use crate::layout::{PageContext, ok};
use crate::session::RequestContext;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/jobs/", get(list))
        .route("/admin/jobs/{id}/", get(show))
        .route("/admin/jobs/{id}/retry/", post(retry))
        .route("/admin/jobs/{id}/delete/", get(show_delete).post(delete))
}

const LIST: &str = "/admin/jobs/";

#[derive(Template)]
#[template(path = "features/admin/templates/jobs.html")]
struct ListPage {
    page: PageContext,
    nav: AdminNav,
    view: ListView,
    filters: Vec<Filter>,
    rows: Vec<job::Model>,
}

/// The first line of an error, cut to fit a table cell.
fn short(error: &Option<String>) -> String {
    let first = error.as_deref().unwrap_or("").lines().next().unwrap_or("");
    let mut cut: String = first.chars().take(120).collect();
    if cut.len() < first.len() {
        cut.push('…');
    }
    cut
}

async fn list(staff: Staff, RawQuery(raw): RawQuery) -> AppResult<Response> {
    let query = ListQuery::parse(raw.as_deref());
    let sort = query.sort(
        &[
            ("id", job::Column::Id),
            ("kind", job::Column::Kind),
            ("state", job::Column::State),
            ("attempts", job::Column::Attempts),
            ("run_at", job::Column::RunAt),
            ("updated_at", job::Column::UpdatedAt),
        ],
        ("id", true),
    );
    let state = query.choice("state", &[job::QUEUED, job::RUNNING, job::FAILED]);
    let mut select = job::Entity::find();
    if let Some(state) = state {
        select = select.filter(job::Column::State.eq(state));
    }
    let searched = [job::Column::Kind, job::Column::LastError];
    let found: Page<job::Model> = query
        .fetch(&staff.ctx.state.db, select, &searched, &sort, job::Column::Id)
        .await?;
    let view = ListView::new(LIST, &query, &sort, &found).with_filter("state", state);
    Ok(ok(&ListPage {
        page: admin_page(&staff.ctx, "Jobs").await?,
        nav: AdminNav::new(LIST, &[]),
        view,
        filters: vec![Filter::new(
            "state",
            "By state",
            &[
                ("Queued", job::QUEUED),
                ("Running", job::RUNNING),
                ("Failed", job::FAILED),
            ],
        )],
        rows: found.rows,
    }))
}

async fn found(ctx: &RequestContext, id: i64) -> AppResult<job::Model> {
    or_not_found(ctx, jobs::find(&ctx.state.db, id).await?).await
}

#[derive(Template)]
#[template(path = "features/admin/templates/job.html")]
struct JobPage {
    page: PageContext,
    nav: AdminNav,
    job: job::Model,
}

impl JobPage {
    fn is_failed(&self) -> bool {
        self.job.state == job::FAILED
    }

    fn is_running(&self) -> bool {
        self.job.state == job::RUNNING
    }
}

async fn show(staff: Staff, PathId(id): PathId) -> AppResult<Response> {
    let job = found(&staff.ctx, id).await?;
    Ok(ok(&JobPage {
        page: admin_page(&staff.ctx, format!("Job {id}")).await?,
        nav: AdminNav::new(LIST, &[(&format!("Job {id}"), "")]),
        job,
    }))
}

async fn retry(
    staff: Staff,
    PathId(id): PathId,
    CsrfForm { ctx, .. }: CsrfForm<Confirm>,
) -> AppResult<Response> {
    let job = found(&ctx, id).await?;
    let txn = folio_db::begin_write(&ctx.state.db).await?;
    if !jobs::retry(&txn, id).await? {
        drop(txn);
        flash_error(
            &ctx,
            format!(
                "Job {id} is not failed ({}), so there is nothing to retry.",
                job.state
            ),
        );
        return Ok(see_other(&format!("{LIST}{id}/")));
    }
    let entry = Entry::new("retry", "job", id, format!("Retried job {id} ({})", job.kind));
    commit_audited(txn, &staff, entry).await?;
    ctx.flash(format!("Job {id} ({}) is queued again.", job.kind));
    Ok(see_other(&format!("{LIST}{id}/")))
}

async fn show_delete(staff: Staff, PathId(id): PathId) -> AppResult<Response> {
    let job = found(&staff.ctx, id).await?;
    let running = job.state == job::RUNNING;
    let label = format!("Job {id}");
    let delete = DeleteOne::new(
        LIST,
        id,
        "job",
        format!(
            "Job {id} ({}, {}) will be deleted and never run.",
            job.kind, job.state
        ),
    )
    .named(&label)
    .refused(running.then(|| "A running job can't be deleted; wait until it finishes or fails.".to_owned()));
    ConfirmPage::delete_one(&staff, delete).await
}

async fn delete(
    staff: Staff,
    PathId(id): PathId,
    CsrfForm { ctx, .. }: CsrfForm<Confirm>,
) -> AppResult<Response> {
    let job = found(&ctx, id).await?;
    let txn = folio_db::begin_write(&ctx.state.db).await?;
    if !admin_users::delete_job(&txn, id).await? {
        drop(txn);
        flash_error(
            &ctx,
            "A running job can't be deleted; wait until it finishes or fails.",
        );
        return Ok(see_other(&format!("{LIST}{id}/")));
    }
    let entry = Entry::new(
        "delete",
        "job",
        id,
        format!("Deleted job {id} ({}, {})", job.kind, job.state),
    );
    commit_audited(txn, &staff, entry).await?;
    ctx.flash(format!("Job {id} was deleted."));
    Ok(see_other(LIST))
}
