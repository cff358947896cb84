//! Jobs: the outbox queue as staff see it (queued, running, failed with the last error, and
//! succeeded: finished jobs are kept for a day, then the workers prune them), a detail page,
//! retry of a failed job and delete of a job that is not running.

use askama::Template;
use axum::Router;
use axum::extract::RawQuery;
use axum::response::Response;
use axum::routing::{get, post};
use folio_db::entities::job;
use folio_db::queries::audit_entries::Entry;
use folio_db::queries::jobs::{self, JobSort};
use folio_db::{DatabaseConnection, DatabaseTransaction, DbErr};

use super::toolkit::delete::{Deletable, Deleted, delete, show_delete};
use super::toolkit::history::{Audited, show_history};
use super::toolkit::list::{Filter, ListQuery, ListView};
use super::toolkit::{Resource, admin_page, change_audited, flash_error, found, see_other};
use super::{AdminNav, Staff};
use crate::error::AppResult;
use crate::features::PathId;
use crate::forms::{Confirm, CsrfForm};
use crate::layout::{PageContext, ok};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/jobs/{id}/history/", get(show_history::<Jobs>))
        .route("/admin/jobs/", get(list))
        .route("/admin/jobs/{id}/", get(show))
        .route("/admin/jobs/{id}/retry/", post(retry))
        .route(
            "/admin/jobs/{id}/delete/",
            get(show_delete::<Jobs>).post(delete::<Jobs>),
        )
}

const LIST: &str = "/admin/jobs/";

const RUNNING_REFUSAL: &str = "A running job can't be deleted; wait until it finishes or fails.";

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
            ("id", JobSort::Id),
            ("kind", JobSort::Kind),
            ("state", JobSort::State),
            ("attempts", JobSort::Attempts),
            ("run_at", JobSort::RunAt),
            ("updated_at", JobSort::UpdatedAt),
        ],
        ("id", true),
    );
    let state = query.choice("state", &[job::QUEUED, job::RUNNING, job::FAILED, job::SUCCEEDED]);
    let found = jobs::list(&staff.ctx.state.db, state, &query.request(&sort)).await?;
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
                ("Succeeded", job::SUCCEEDED),
            ],
        )],
        rows: found.rows,
    }))
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

    fn is_succeeded(&self) -> bool {
        self.job.state == job::SUCCEEDED
    }
}

async fn show(staff: Staff, PathId(id): PathId) -> AppResult<Response> {
    let job = found::<Jobs>(&staff.ctx, id).await?;
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
    let job = found::<Jobs>(&ctx, id).await?;
    let entry = Entry::new("retry", "job", id, format!("Retried job {id} ({})", job.kind));
    if !change_audited(&staff, entry, async |txn| jobs::retry(txn, id).await).await? {
        flash_error(
            &ctx,
            format!(
                "Job {id} is not failed ({}), so there is nothing to retry.",
                job.state
            ),
        );
        return Ok(see_other(&format!("{LIST}{id}/")));
    }
    ctx.flash(format!("Job {id} ({}) is queued again.", job.kind));
    Ok(see_other(&format!("{LIST}{id}/")))
}

/// Deleting a job that is not running.
struct Jobs;

impl Resource for Jobs {
    type Row = job::Model;
    const LIST: &'static str = LIST;

    async fn find(db: &DatabaseConnection, id: i64) -> Result<Option<job::Model>, DbErr> {
        jobs::find(db, id).await
    }

    fn id(job: &job::Model) -> i64 {
        job.id
    }
}

impl Audited for Jobs {
    const OBJECT_TYPE: &'static str = "job";

    fn title(job: &job::Model) -> String {
        format!("Job {}", job.id)
    }
}

impl Deletable for Jobs {
    const NOUN: &'static str = "job";

    fn name(job: &job::Model) -> Option<String> {
        Some(format!("Job {}", job.id))
    }

    fn warning(job: &job::Model) -> String {
        let never_run = if job.state == job::SUCCEEDED {
            "" // it has run: only the record goes
        } else {
            " and never run"
        };
        format!(
            "Job {} ({}, {}) will be deleted{never_run}.",
            job.id, job.kind, job.state
        )
    }

    async fn refusal(_db: &DatabaseConnection, job: &job::Model) -> Result<Option<String>, DbErr> {
        Ok((job.state == job::RUNNING).then(|| RUNNING_REFUSAL.to_owned()))
    }

    async fn delete(txn: &DatabaseTransaction, job: &job::Model) -> Result<Deleted, DbErr> {
        Ok(if jobs::delete_unless_running(txn, job.id).await? {
            Deleted::Yes
        } else {
            Deleted::Refused(RUNNING_REFUSAL.to_owned())
        })
    }

    fn summary(job: &job::Model) -> String {
        format!("Deleted job {} ({}, {})", job.id, job.kind, job.state)
    }

    fn deleted(job: &job::Model) -> String {
        format!("Job {} was deleted.", job.id)
    }
}
