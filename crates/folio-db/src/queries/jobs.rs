//! The outbox job queue's statements. The worker loop and the job types live in `folio-jobs`;
//! this module is the part that must be exactly right on each backend:
//! - a job row is inserted with whatever connection the caller passes, so enqueuing inside the
//!   transaction that makes the change means the job exists if and only if the change commits;
//! - claiming marks jobs `running` with a lease (`locked_until`) and the worker's id. PostgreSQL
//!   and MySQL/MariaDB pick rows with `FOR UPDATE SKIP LOCKED`, so concurrent workers never
//!   pick the same row and never wait for each other; SQLite runs the claim as one
//!   `UPDATE … RETURNING` statement, which holds the database's single write lock from its
//!   first step to its last (the effect of an immediate transaction);
//! - a `running` job whose lease has passed is claimable again: its worker died;
//! - finishing, failing and extending a lease are conditional on `locked_by`, so a worker whose
//!   lease was taken over can no longer touch the job;
//! - a finished job stays as `succeeded` (what ran, for the admin's job list) until a worker's
//!   periodic prune deletes it, by primary key and in small batches (see `prune_succeeded`).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionSession, TransactionTrait, Value,
};

use super::list::{self, ListRequest, Page, sort_columns};
use crate::entities::job::{self, FAILED, QUEUED, RUNNING, SUCCEEDED};

sort_columns! {
    /// The columns the admin's job list sorts by.
    JobSort for job {
        Id => Id,
        Kind => Kind,
        State => State,
        Attempts => Attempts,
        RunAt => RunAt,
        UpdatedAt => UpdatedAt,
    }
}

/// One page of the admin's job list, all or those in `state`; the search looks at the kind
/// and the last error.
pub async fn list(
    conn: &impl ConnectionTrait,
    state: Option<&str>,
    request: &ListRequest<JobSort>,
) -> Result<Page<job::Model>, DbErr> {
    let mut select = job::Entity::find();
    if let Some(state) = state {
        select = select.filter(job::Column::State.eq(state));
    }
    let searched = [job::Column::Kind, job::Column::LastError];
    list::fetch(conn, select, &searched, request, job::Column::Id).await
}

/// Writes a job row through `conn`: pass the transaction of the change that causes the job.
pub async fn enqueue(
    conn: &impl ConnectionTrait,
    kind: &str,
    payload: &str,
    max_attempts: i32,
    run_at: DateTime<Utc>,
) -> Result<i64, DbErr> {
    let now = Utc::now();
    let row = job::ActiveModel {
        kind: Set(kind.to_owned()),
        payload: Set(payload.to_owned()),
        state: Set(QUEUED.to_owned()),
        attempts: Set(0),
        max_attempts: Set(max_attempts),
        run_at: Set(run_at),
        locked_until: Set(None),
        locked_by: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    let result = job::Entity::insert(row).exec(conn).await?;
    Ok(result.last_insert_id)
}

/// The condition that makes a job claimable at `now`: due, or running on an expired lease.
fn claimable(now: DateTime<Utc>) -> sea_orm::Condition {
    sea_orm::Condition::any()
        .add(job::Column::State.eq(QUEUED).and(job::Column::RunAt.lte(now)))
        .add(
            job::Column::State
                .eq(RUNNING)
                .and(job::Column::LockedUntil.lt(now)),
        )
}

/// Claims up to `limit` claimable jobs for `worker` until `now + lease`, oldest first. Each
/// claim counts as an attempt, so a job that kills its worker every time still runs out of
/// attempts.
pub async fn claim<C>(
    db: &C,
    worker: &str,
    limit: u64,
    lease: chrono::Duration,
) -> Result<Vec<job::Model>, DbErr>
where
    C: ConnectionTrait + TransactionTrait,
{
    let now = Utc::now();
    let locked_until = now + lease;
    match db.get_database_backend() {
        DbBackend::MySql => {
            retrying_deadlocks(|| claim_in_transaction(db, worker, limit, now, locked_until)).await
        }
        backend => claim_in_one_statement(db, backend, worker, limit, now, locked_until).await,
    }
}

fn claim_update(
    worker: &str,
    now: DateTime<Utc>,
    locked_until: DateTime<Utc>,
) -> sea_orm::UpdateMany<job::Entity> {
    job::Entity::update_many()
        .col_expr(job::Column::State, Expr::value(RUNNING))
        .col_expr(job::Column::Attempts, Expr::col(job::Column::Attempts).add(1))
        .col_expr(job::Column::LockedUntil, Expr::value(locked_until))
        .col_expr(job::Column::LockedBy, Expr::value(worker))
        .col_expr(job::Column::UpdatedAt, Expr::value(now))
}

/// PostgreSQL and SQLite: `UPDATE jobs … WHERE id IN (SELECT … [FOR UPDATE SKIP LOCKED])
/// RETURNING *`.
async fn claim_in_one_statement(
    db: &impl ConnectionTrait,
    backend: DbBackend,
    worker: &str,
    limit: u64,
    now: DateTime<Utc>,
    locked_until: DateTime<Utc>,
) -> Result<Vec<job::Model>, DbErr> {
    let mut pick = Query::select();
    pick.column(job::Column::Id)
        .from(job::Entity)
        .cond_where(claimable(now))
        .order_by(job::Column::RunAt, sea_orm::Order::Asc)
        .order_by(job::Column::Id, sea_orm::Order::Asc)
        .limit(limit);
    if backend == DbBackend::Postgres {
        pick.lock_with_behavior(
            sea_orm::sea_query::LockType::Update,
            sea_orm::sea_query::LockBehavior::SkipLocked,
        );
    }
    claim_update(worker, now, locked_until)
        .filter(job::Column::Id.in_subquery(pick))
        .exec_with_returning(db)
        .await
}

/// Tries before a deadlock is reported.
const DEADLOCK_TRIES: u32 = 5;

/// Runs `attempt` again when the database chose it as a deadlock victim. InnoDB does so even
/// with `SKIP LOCKED`: a claim's update moves rows within the `(state, run_at)` index that
/// another claimer is scanning, and a completion's move to `succeeded` can cross a claim the
/// same way. The
/// victim's statement or transaction is rolled back whole, so trying again is safe; only pass
/// work that is a whole transaction or a statement on its own (never a step of a caller's
/// transaction, which the deadlock has already rolled back).
async fn retrying_deadlocks<T, Fut>(mut attempt: impl FnMut() -> Fut) -> Result<T, DbErr>
where
    Fut: std::future::Future<Output = Result<T, DbErr>>,
{
    let mut tries = 1;
    loop {
        match attempt().await {
            Err(err) if is_deadlock(&err) && tries < DEADLOCK_TRIES => {
                tokio::time::sleep(std::time::Duration::from_millis(5 * u64::from(tries))).await;
                tries += 1;
            }
            result => return result,
        }
    }
}

/// A deadlock victim: MySQL's error 1213 (SQLSTATE 40001) or PostgreSQL's 40P01.
fn is_deadlock(err: &DbErr) -> bool {
    let (DbErr::Exec(sea_orm::RuntimeErr::SqlxError(sqlx))
    | DbErr::Query(sea_orm::RuntimeErr::SqlxError(sqlx))) = err
    else {
        return false;
    };
    matches!(&**sqlx, sea_orm::SqlxError::Database(db) if matches!(db.code().as_deref(), Some("40001" | "40P01")))
}

/// MySQL/MariaDB (no `UPDATE … RETURNING`): select and lock in a transaction, then update.
async fn claim_in_transaction(
    db: &impl TransactionTrait,
    worker: &str,
    limit: u64,
    now: DateTime<Utc>,
    locked_until: DateTime<Utc>,
) -> Result<Vec<job::Model>, DbErr> {
    let txn = crate::begin_write(db).await?;
    let ids: Vec<i64> = job::Entity::find()
        .select_only()
        .column(job::Column::Id)
        .filter(claimable(now))
        .order_by_asc(job::Column::RunAt)
        .order_by_asc(job::Column::Id)
        .limit(limit)
        .lock_with_behavior(
            sea_orm::sea_query::LockType::Update,
            sea_orm::sea_query::LockBehavior::SkipLocked,
        )
        .into_tuple()
        .all(&txn)
        .await?;
    if ids.is_empty() {
        txn.commit().await?;
        return Ok(Vec::new());
    }
    claim_update(worker, now, locked_until)
        .filter(job::Column::Id.is_in(ids.clone()))
        .exec(&txn)
        .await?;
    let jobs = job::Entity::find()
        .filter(job::Column::Id.is_in(ids))
        .order_by_asc(job::Column::Id)
        .all(&txn)
        .await?;
    txn.commit().await?;
    Ok(jobs)
}

fn held_by(id: i64, worker: &str) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(job::Column::Id.eq(id))
        .add(job::Column::State.eq(RUNNING))
        .add(job::Column::LockedBy.eq(worker))
}

/// The job succeeded: its row stays as `succeeded`, finished at `updated_at`, with its lease
/// cleared (no claim picks that state up again). `last_error` is kept: an earlier attempt's
/// error is worth seeing beside the success. False when the lease had been taken over
/// meanwhile.
pub async fn complete(db: &DatabaseConnection, id: i64, worker: &str) -> Result<bool, DbErr> {
    let update = job::Entity::update_many()
        .col_expr(job::Column::State, Expr::value(SUCCEEDED))
        .col_expr(
            job::Column::LockedUntil,
            Expr::value(Value::ChronoDateTimeUtc(None)),
        )
        .col_expr(job::Column::LockedBy, Expr::value(Value::String(None)))
        .col_expr(job::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(held_by(id, worker));
    let result = retrying_deadlocks(|| update.clone().exec(db)).await?;
    Ok(result.rows_affected == 1)
}

/// Deletes up to `limit` succeeded jobs that finished before `finished_before` and returns how
/// many went. Every worker runs it once a minute, so it is written to be cheap, idempotent and
/// harmless beside claims, completions and other workers' prunes:
/// - the rows are found by a plain (non-locking) read on the `(state, run_at)` index: a
///   succeeded job's `run_at` is never later than its finish, so `run_at < finished_before`
///   bounds the index range and `updated_at` (the finish) decides;
/// - they are then deleted by primary key, so InnoDB locks exactly those rows (no range or gap
///   locks that a completion's move into `succeeded` could wait on), in key order, so two
///   workers pruning at once queue behind each other instead of deadlocking; the second finds
///   the rows gone and deletes nothing;
/// - a succeeded row never changes again (every other write needs `queued`, `running` or
///   `failed`), so what the read found is still what the delete removes; the delete repeats
///   the condition anyway.
pub async fn prune_succeeded(
    db: &DatabaseConnection,
    finished_before: DateTime<Utc>,
    limit: u64,
) -> Result<u64, DbErr> {
    let ids: Vec<i64> = job::Entity::find()
        .select_only()
        .column(job::Column::Id)
        .filter(job::Column::State.eq(SUCCEEDED))
        .filter(job::Column::RunAt.lt(finished_before))
        .filter(job::Column::UpdatedAt.lt(finished_before))
        .order_by_asc(job::Column::RunAt)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    if ids.is_empty() {
        return Ok(0);
    }
    let delete = job::Entity::delete_many()
        .filter(job::Column::Id.is_in(ids))
        .filter(job::Column::State.eq(SUCCEEDED))
        .filter(job::Column::UpdatedAt.lt(finished_before));
    Ok(retrying_deadlocks(|| delete.clone().exec(db))
        .await?
        .rows_affected)
}

/// The job failed: it runs again at `retry_at`, or, with `None`, is kept as failed.
pub async fn fail(
    db: &DatabaseConnection,
    id: i64,
    worker: &str,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
) -> Result<bool, DbErr> {
    let now = Utc::now();
    let mut update = job::Entity::update_many()
        .col_expr(job::Column::LastError, Expr::value(error))
        .col_expr(
            job::Column::LockedUntil,
            Expr::value(Value::ChronoDateTimeUtc(None)),
        )
        .col_expr(job::Column::LockedBy, Expr::value(Value::String(None)))
        .col_expr(job::Column::UpdatedAt, Expr::value(now));
    update = match retry_at {
        Some(at) => update
            .col_expr(job::Column::State, Expr::value(QUEUED))
            .col_expr(job::Column::RunAt, Expr::value(at)),
        None => update.col_expr(job::Column::State, Expr::value(FAILED)),
    };
    let update = update.filter(held_by(id, worker));
    let result = retrying_deadlocks(|| update.clone().exec(db)).await?;
    Ok(result.rows_affected == 1)
}

/// Gives a claimed job back without counting the attempt (a worker shutting down).
pub async fn release(db: &DatabaseConnection, id: i64, worker: &str) -> Result<bool, DbErr> {
    let update = job::Entity::update_many()
        .col_expr(job::Column::State, Expr::value(QUEUED))
        .col_expr(job::Column::Attempts, Expr::col(job::Column::Attempts).sub(1))
        .col_expr(
            job::Column::LockedUntil,
            Expr::value(Value::ChronoDateTimeUtc(None)),
        )
        .col_expr(job::Column::LockedBy, Expr::value(Value::String(None)))
        .col_expr(job::Column::RunAt, Expr::value(Utc::now()))
        .filter(held_by(id, worker));
    let result = retrying_deadlocks(|| update.clone().exec(db)).await?;
    Ok(result.rows_affected == 1)
}

/// Pushes the lease of a job still running to `now + lease`; false when it is no longer ours.
pub async fn extend_lease(
    db: &DatabaseConnection,
    id: i64,
    worker: &str,
    lease: chrono::Duration,
) -> Result<bool, DbErr> {
    let update = job::Entity::update_many()
        .col_expr(job::Column::LockedUntil, Expr::value(Utc::now() + lease))
        .filter(held_by(id, worker));
    let result = retrying_deadlocks(|| update.clone().exec(db)).await?;
    Ok(result.rows_affected == 1)
}

/// Staff retry a failed job: it is queued now with a fresh set of attempts. False when the
/// job is not failed (already retried, or gone).
pub async fn retry(db: &impl ConnectionTrait, id: i64) -> Result<bool, DbErr> {
    let now = Utc::now();
    let result = job::Entity::update_many()
        .col_expr(job::Column::State, Expr::value(QUEUED))
        .col_expr(job::Column::Attempts, Expr::value(0))
        .col_expr(job::Column::RunAt, Expr::value(now))
        .col_expr(job::Column::UpdatedAt, Expr::value(now))
        .filter(job::Column::Id.eq(id))
        .filter(job::Column::State.eq(FAILED))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// The job, if it still exists (a succeeded job is pruned after a day; staff may delete any
/// job that is not running).
pub async fn find(db: &impl ConnectionTrait, id: i64) -> Result<Option<job::Model>, DbErr> {
    job::Entity::find_by_id(id).one(db).await
}

/// Jobs per state, across every worker of the deployment: the admin dashboard shows it and
/// the worker logs it once a minute for the queue-depth metric. One `GROUP BY` on the
/// `(state, run_at)` index, so the succeeded rows kept for a day cost an index scan, no more.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueueDepth {
    pub queued: i64,
    pub running: i64,
    pub failed: i64,
    /// Finished and not yet pruned (about the last day's).
    pub succeeded: i64,
}

impl QueueDepth {
    pub async fn read(db: &impl ConnectionTrait) -> Result<Self, DbErr> {
        let counts: Vec<(String, i64)> = job::Entity::find()
            .select_only()
            .column(job::Column::State)
            .column_as(job::Column::Id.count(), "n")
            .group_by(job::Column::State)
            .into_tuple()
            .all(db)
            .await?;
        let mut depth = Self::default();
        for (state, count) in counts {
            match state.as_str() {
                QUEUED => depth.queued = count,
                RUNNING => depth.running = count,
                FAILED => depth.failed = count,
                SUCCEEDED => depth.succeeded = count,
                _ => {}
            }
        }
        Ok(depth)
    }
}

/// The earliest `run_at` among queued jobs that are due by `now`: how long the longest-waiting
/// runnable job has waited (the metrics' oldest queued age). Jobs scheduled for later (a
/// retry's backoff, a scheduled publication) are not waiting, so they are left out.
pub async fn oldest_due_run_at(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, DbErr> {
    let oldest: Option<Option<DateTime<Utc>>> = job::Entity::find()
        .select_only()
        .column_as(job::Column::RunAt.min(), "oldest")
        .filter(job::Column::State.eq(QUEUED))
        .filter(job::Column::RunAt.lte(now))
        .into_tuple()
        .one(db)
        .await?;
    Ok(oldest.flatten())
}

/// The soonest `run_at` of a queued job, so an idle worker knows how long it may sleep.
pub async fn next_run_at(db: &impl ConnectionTrait) -> Result<Option<DateTime<Utc>>, DbErr> {
    let next: Option<Option<DateTime<Utc>>> = job::Entity::find()
        .select_only()
        .column_as(job::Column::RunAt.min(), "next")
        .filter(job::Column::State.eq(QUEUED))
        .into_tuple()
        .one(db)
        .await?;
    Ok(next.flatten())
}

/// Deletes a job that is not running: a running job belongs to a worker, which would finish
/// or fail a row that no longer exists.
pub async fn delete_unless_running(conn: &impl ConnectionTrait, id: i64) -> Result<bool, DbErr> {
    let result = job::Entity::delete_many()
        .filter(job::Column::Id.eq(id))
        .filter(job::Column::State.ne(job::RUNNING))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}
