//! The job system's metrics: recorded with the `metrics` macros, which do nothing until a
//! process installs a recorder (`folio_web::metrics`, when `FOLIO_METRICS_LISTEN` is set).
//! The names are a contract with the CloudWatch alarms and the worker's autoscaling.

use chrono::Utc;
use folio_db::queries::jobs::{QueueDepth, oldest_due_run_at};
use folio_db::{DatabaseConnection, DbErr};

use crate::worker::Outcome;

/// Jobs by `state` (`queued`, `running`, `failed`), as last counted.
pub const JOBS: &str = "folio_jobs";
/// Seconds the longest-waiting due job has waited; 0 when none is waiting.
pub const OLDEST_QUEUED_AGE: &str = "folio_jobs_oldest_queued_age_seconds";
/// How long a job ran, by `kind` and `outcome` (histogram).
pub const JOB_DURATION: &str = "folio_job_duration_seconds";
/// Jobs this process finished running, by `kind` and `outcome`.
pub const JOBS_FINISHED: &str = "folio_jobs_finished_total";
/// Emails by `outcome`: `sent`, `failed` (the transport refused or failed) or `suppressed`
/// (not attempted: SES reported a bounce or complaint for the address).
pub const EMAILS: &str = "folio_emails_total";

/// Counts the jobs table into [`JOBS`] and [`OLDEST_QUEUED_AGE`].
pub async fn record_queue(db: &DatabaseConnection) -> Result<(), DbErr> {
    let depth = QueueDepth::read(db).await?;
    let now = Utc::now();
    let oldest = oldest_due_run_at(db, now).await?;
    // Counts are far below 2^53, so the float gauge holds them exactly.
    for (state, count) in [
        ("queued", depth.queued),
        ("running", depth.running),
        ("failed", depth.failed),
    ] {
        metrics::gauge!(JOBS, "state" => state).set(count as f64);
    }
    let age = oldest.map_or(0.0, |run_at| {
        (now - run_at).to_std().map_or(0.0, |waited| waited.as_secs_f64())
    });
    metrics::gauge!(OLDEST_QUEUED_AGE).set(age);
    Ok(())
}

/// Records one job's run in [`JOB_DURATION`] and [`JOBS_FINISHED`].
pub(crate) fn record_job(kind: &str, outcome: Outcome, took: std::time::Duration) {
    // `kind` comes from the registry's fixed set of job names (an unknown kind fails before
    // it runs, under its stored name, which only code writes), so its values stay few.
    let outcome = outcome_label(outcome);
    metrics::histogram!(JOB_DURATION, "kind" => kind.to_owned(), "outcome" => outcome)
        .record(took.as_secs_f64());
    metrics::counter!(JOBS_FINISHED, "kind" => kind.to_owned(), "outcome" => outcome).increment(1);
}

fn outcome_label(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Done => "done",
        Outcome::Retrying => "retrying",
        Outcome::Failed => "failed",
        Outcome::Released => "released",
        Outcome::LostLease => "lost_lease",
    }
}

/// Records one email in [`EMAILS`]: `sent`, `failed` or `suppressed`.
pub(crate) fn record_email(outcome: &'static str) {
    metrics::counter!(EMAILS, "outcome" => outcome).increment(1);
}
